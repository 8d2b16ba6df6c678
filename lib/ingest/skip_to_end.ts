/**
 * `serve --from-end`: on a first start, record files that have no checkpoint yet as read up
 * to their last complete line, so following starts with what BIND writes from now on. Files
 * with a checkpoint are left alone (the choice only concerns files never seen).
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { INGEST_SQL } from "../db/statements.ts";
import { SourceFile } from "./source_file.ts";

/** The offset after the last newline of `file` (uncompressed bytes). */
async function lastLineEnd(file: SourceFile): Promise<number> {
  let pos = 0, end = 0;
  for await (const block of file.blocks(0)) {
    const nl = block.lastIndexOf(10);
    if (nl >= 0) end = pos + nl + 1;
    pos += block.length;
  }
  return end;
}

/** Mark each of `paths` without a checkpoint as read to its end; returns the paths marked. */
export async function skipToEnd(
  sql: Sql,
  options: { nodeId: number; paths: readonly string[] },
): Promise<string[]> {
  const marked: string[] = [];
  for (const path of options.paths) {
    let file: SourceFile;
    try {
      file = await SourceFile.open(path);
    } catch {
      continue; // missing or unreadable: the follower reports it
    }
    try {
      const fingerprint = await file.fingerprint();
      if (fingerprint === null) continue;
      const [cp] = await sql.unsafe(INGEST_SQL.checkpointPeek, [options.nodeId, fingerprint]);
      if (cp) continue;
      const end = await lastLineEnd(file); // same descriptor: the file that was fingerprinted
      await sql.unsafe(INGEST_SQL.checkpointPut, [
        options.nodeId,
        fingerprint,
        path,
        end,
        0,
        0,
        0,
        0,
        "{}",
        null,
      ]);
      marked.push(path);
    } finally {
      file.close();
    }
  }
  return marked;
}
