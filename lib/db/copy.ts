/**
 * COPY through postgres.js: FROM STDIN settled in every case ({@linkcode copyIn}), and TO
 * STDOUT as a stream of chunks with backpressure ({@linkcode copyOut}). The data's format is
 * lib/db/binary_copy.ts's.
 *
 * @module
 */
import { once } from "node:events";
import { setImmediate } from "node:timers";
import type { Sql, Tx } from "./connect.ts";

/**
 * COPY `blocks` (binary or text COPY data) into `table`. postgres.js settles the stream's `finish` only on CommandComplete: when the
 * server refuses the data after the stream ended, or the connection drops then, it never
 * settles. A probe query queued behind the COPY settles in every case: it runs after a
 * successful COPY, and fails (aborted transaction, closed connection) after a failed one.
 */
export async function copyIn(
  tx: Tx,
  table: string,
  columns: readonly string[],
  blocks: Iterable<Uint8Array>,
  format: "binary" | "text" = "binary",
): Promise<void> {
  const query = tx.unsafe(`copy ${table} (${columns.join(", ")}) from stdin (format ${format})`);
  // The server's own error (disk full, read-only, a constraint) arrives after CopyDone, when
  // postgres.js has already resolved the query with the stream and only calls the query's
  // reject (a no-op then). Keep it, so a failed COPY says why (its SQLSTATE) rather than only
  // "transaction aborted" from the probe below.
  let refused: unknown = null;
  const q = query as unknown as { reject?: (error: unknown) => unknown };
  const reject = q.reject;
  if (typeof reject === "function") {
    q.reject = (error: unknown) => {
      refused ??= error;
      return reject.call(query, error);
    };
  }
  const w = await query.writable();
  const finished = new Promise<void>((resolve, reject) => {
    w.once("finish", resolve);
    w.once("error", reject);
    // Destroyed without an error (the connection went away): as good as one.
    w.once(
      "close",
      () => reject(Object.assign(new Error("COPY stream closed"), { code: "CONNECTION_CLOSED" })),
    );
  });
  finished.catch((error) => refused ??= error);
  const list = [...blocks];
  for (let i = 0; i < list.length - 1; i++) {
    if (!w.write(list[i])) await Promise.race([once(w, "drain"), finished]);
  }
  // The last block's callback: every byte has reached the socket, so the stream's final
  // step (CopyDone) follows within a tick or two of end().
  if (list.length > 0) {
    const sent = new Promise<void>((resolve) => w.write(list[list.length - 1], () => resolve()));
    await Promise.race([sent, finished]);
  }
  w.end();
  // The probe may only be queued once the stream has sent CopyDone (its final step ran):
  // earlier, postgres.js refuses it, and a refused query fails the whole transaction.
  const state = (w as unknown as { _writableState?: { finalCalled?: boolean } })._writableState;
  for (let i = 0; state && !state.finalCalled; i++) {
    await Promise.race([
      new Promise((r) => i < 20 ? setImmediate(r) : setTimeout(r, i < 40 ? 1 : 5)),
      finished,
    ]);
  }
  const probe = tx`select 1`;
  try {
    await Promise.race([finished, probe]);
    await Promise.all([finished, probe]);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "25P02") {
      const real = (refused as { code?: unknown } | null)?.code;
      if (typeof real === "string" && real !== "25P02") throw refused;
      throw new Error(
        "PostgreSQL refused the rows of a batch (COPY failed; its log has the reason). " +
          "This is a bug in dns-analytics: please report it with that log line.",
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Run `text`, a `copy … to stdout`, on `conn`; `onChunk` sees each chunk of its data in turn
 * and may return a promise, during which the stream is paused.
 */
export async function copyOut(
  conn: Sql,
  text: string,
  onChunk: (chunk: Uint8Array) => Promise<void> | void,
): Promise<void> {
  const stream = await conn.unsafe(text).readable();
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (chunk: Uint8Array) => {
      const wait = onChunk(chunk);
      if (wait) {
        stream.pause();
        wait.then(() => stream.resume(), (e) => stream.destroy(e));
      }
    });
    stream.once("end", resolve);
    stream.once("error", reject);
    stream.once("close", () => resolve());
  });
}
