/**
 * `serve --from-end`: on a first start, record files that have no checkpoint yet as read up
 * to their last complete record, so following starts with what the server writes from now
 * on. Files with a checkpoint are left alone (the choice only concerns files never seen).
 *
 * @module
 */
import type { Sql } from "../db/connect.ts";
import { zeroCounts } from "../ingest/counts.ts";
import { peekCheckpoint, putCheckpoint } from "./checkpoint.ts";
import { isFinalFile } from "./file_set.ts";
import type { TailSource } from "./source.ts";
import { SourceFile } from "./source_file.ts";

/** Mark each of `paths` without a checkpoint as read to its end; returns the paths marked. */
export async function skipToEnd(
  sql: Sql,
  source: TailSource,
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
      const final = isFinalFile(path, file.mtime, Date.now());
      // Not of this kind (a dnstap file that is not one): the follower reports it.
      const fingerprint = await source.fingerprint(file, { final }).catch(() => null);
      if (fingerprint === null) continue;
      const key = { nodeId: options.nodeId, fingerprint };
      if (await peekCheckpoint(sql, key) !== null) continue;
      // Same descriptor: the end of the file that was fingerprinted.
      const offset = await source.recordsEnd(file, final);
      await putCheckpoint(sql, { ...key, path, offset, counts: zeroCounts(), lastLineAt: null });
      marked.push(path);
    } finally {
      file.close();
    }
  }
  return marked;
}
