/**
 * Checkpoints (`ingest_checkpoints`): how far each source of a node was read, keyed by its
 * fingerprint, with the counters of what was read. Every read and write of the table goes
 * through this module: the file pipeline peeks before reading, a commit locks and advances it
 * in the batch's transaction (so rows and checkpoint land together or not at all), and
 * `serve --from-end` marks files never seen as read to their end.
 *
 * @module
 */
import type { Queryable, Tx } from "../db/connect.ts";
import { PREPARED } from "../db/pipeline.ts";
import checkpointGet from "../../sql/ingest/checkpoint_get.sql" with { type: "text" };
import checkpointPeek from "../../sql/ingest/checkpoint_peek.sql" with { type: "text" };
import checkpointPeekNamed from "../../sql/ingest/checkpoint_peek_named.sql" with {
  type: "text",
};
import checkpointPut from "../../sql/ingest/checkpoint_put.sql" with { type: "text" };
import type { Counts } from "../ingest/counts.ts";

/** Where a source of a node was read to: null when it never was (no lock). */
export async function peekCheckpoint(
  sql: Queryable,
  key: { nodeId: number; fingerprint: string },
): Promise<number | null> {
  const [cp] = await sql.unsafe<{ byte_offset: string }[]>(checkpointPeek, [
    key.nodeId,
    key.fingerprint,
  ]);
  return cp ? Number(cp.byte_offset) : null;
}

/**
 * Where a source of the node named `node` was read to, while the database may still be
 * migrating (see WriterContext.ready, lib/ingest/commit.ts): null when it never was, or when
 * the database has no checkpoints table yet (a new install: nothing was read). Other errors
 * are thrown. The commit's own check ({@linkcode lockCheckpointStatement}) stays the authority: a
 * file another process advances meanwhile is read again from there.
 */
export async function peekCheckpointNamed(
  sql: Queryable,
  key: { node: string; fingerprint: string },
): Promise<number | null> {
  try {
    const [cp] = await sql.unsafe<{ byte_offset: string }[]>(checkpointPeekNamed, [
      key.node,
      key.fingerprint,
    ]);
    return cp ? Number(cp.byte_offset) : null;
  } catch (error) {
    if ((error as { code?: string }).code === "42P01") return null; // undefined_table
    throw error;
  }
}

/**
 * The statement (not sent yet) reading where a source of a node was read to, its row locked
 * until `tx` ends so that no other writer advances it meanwhile; its rows give
 * {@linkcode checkpointOffset} (0 when never).
 */
export function lockCheckpointStatement(tx: Tx, key: { nodeId: number; fingerprint: string }) {
  return tx.unsafe<{ byte_offset: string }[]>(
    checkpointGet,
    [key.nodeId, key.fingerprint],
    PREPARED,
  );
}

/** The offset the rows of {@linkcode lockCheckpointStatement} say (0 when none). */
export function checkpointOffset(rows: readonly { byte_offset: string }[]): number {
  return rows.length > 0 ? Number(rows[0].byte_offset) : 0;
}

/** What a checkpoint write records: the new offset and the counters to add. */
export interface CheckpointAdvance {
  nodeId: number;
  fingerprint: string;
  path: string;
  /** The offset read to now. */
  offset: number;
  /** Counters of the stretch read since the last write (`rows` as stored). */
  counts: Pick<Counts, "lines" | "rows" | "rejected" | "skipped" | "reasons">;
  /** Time of the last line or frame (epoch ms), null when none had one. */
  lastLineAt: number | null;
}

/** Record that a source was read to `advance.offset`, adding its counters (see the SQL). */
export async function putCheckpoint(sql: Queryable, advance: CheckpointAdvance): Promise<void> {
  await putCheckpointStatement(sql, advance);
}

/** {@linkcode putCheckpoint}'s statement, not sent yet. */
export function putCheckpointStatement(sql: Queryable, advance: CheckpointAdvance) {
  const c = advance.counts;
  return sql.unsafe(checkpointPut, [
    advance.nodeId,
    advance.fingerprint,
    advance.path,
    advance.offset,
    c.lines,
    c.rows,
    c.rejected,
    c.skipped,
    JSON.stringify(c.reasons),
    advance.lastLineAt === null ? null : new Date(advance.lastLineAt),
  ], PREPARED);
}
