/**
 * Whether a file is dnstap: a module of its own, so that deciding a file's kind loads nothing
 * of the dnstap reader (its protobuf decoder) for a run that reads only query logs.
 *
 * @module
 */
import { SourceFile } from "../tail/source_file.ts";
import { looksLikeFrameStream } from "./fstrm.ts";

/** True when the file at `path` starts like a Frame Streams file (plain or gzip). */
export async function isDnstapFile(path: string): Promise<boolean> {
  try {
    using file = await SourceFile.open(path);
    return looksLikeFrameStream(await file.head(12, (h) => h.length >= 12));
  } catch {
    return false;
  }
}
