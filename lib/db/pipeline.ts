/**
 * Statements sent together on one connection (pipelined): each goes without waiting for the
 * answer to the one before, so a transaction of several independent statements costs one
 * round trip where it cost one each. What ingest commits with (lib/ingest/commit.ts): each
 * round trip waits for the thread that is parsing the next batch.
 *
 * @module
 */

/**
 * A statement with parameters that postgres.js has not prepared on the connection is first
 * sent to be described (a round trip of its own, and nothing is pipelined behind it); a
 * prepared one is bound and run at once.
 */
export const PREPARED = { prepare: true } as const;

/** A postgres.js statement not sent yet (`tx\`…\``, `tx.unsafe(…)`). */
export interface Statement<T> extends PromiseLike<T> {
  execute(): unknown;
}

/**
 * Send `statements` (null: none) one after the other on the transaction's connection without
 * waiting for their answers, and wait for all: one round trip instead of one each. The
 * server runs them in order; the first that fails is the error (those after it fail only
 * because the transaction is aborted), and its answer comes first.
 */
export async function pipelined<const S extends readonly (Statement<unknown> | null)[]>(
  statements: S,
): Promise<{ -readonly [K in keyof S]: Awaited<S[K]> }> {
  // postgres.js sends a statement a microtask after its execute(), in the order of the calls;
  // a statement an async helper awaits goes later still, after them.
  for (const s of statements) s?.execute();
  return await Promise.all(statements) as { -readonly [K in keyof S]: Awaited<S[K]> };
}
