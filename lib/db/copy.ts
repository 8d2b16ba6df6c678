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
import { DenoSocket } from "./deno_socket.ts";

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
  // On Deno's socket (no TLS) each block goes out as a CopyData message of its own, as it
  // is: postgres.js's stream would copy every block into a new buffer first (~35 ms of the
  // main thread per 100 MB). Otherwise through that stream.
  const sock = list.length > 0 ? DenoSocket.claimCopy((c) => w.write(c)) : null;
  const stops: Promise<unknown>[] = [finished];
  if (sock) {
    const closed = new Promise<never>((_, reject) =>
      sock.once(
        "close",
        () =>
          reject(Object.assign(new Error("COPY connection closed"), { code: "CONNECTION_CLOSED" })),
      )
    );
    closed.catch(() => {});
    stops.push(closed);
  }
  const drains = sock ?? w;
  const write = (block: Uint8Array, cb?: () => void) =>
    sock ? sock.writeCopyData(block, cb) : w.write(block, cb);
  for (let i = 0; i < list.length - 1; i++) {
    if (!write(list[i])) await Promise.race([once(drains, "drain"), ...stops]);
  }
  // The last block's callback: every byte has reached the socket, so the stream's final
  // step (CopyDone) follows within a tick or two of end().
  if (list.length > 0) {
    const sent = new Promise<void>((resolve) => write(list[list.length - 1], () => resolve()));
    await Promise.race([sent, ...stops]);
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

/** Bytes of COPY data held while the consumer is busy, before reading pauses. */
const COPY_OUT_HIGH_WATER = 1 << 20;

/**
 * Run `text`, a `copy … to stdout`, on `conn` and yield its data: what arrived while the
 * consumer was busy comes as one chunk (PostgreSQL sends a message per row), and reading
 * pauses while a megabyte waits. A consumer that stops early (`break`, a cancelled HTTP
 * response) cancels the statement on the server; the rest of its data is read and dropped,
 * so the connection can be used again.
 *
 * @example
 * ```ts
 * for await (const chunk of copyOutChunks(sql, "copy (select 1) to stdout (format csv)")) {
 *   await Deno.stdout.write(chunk);
 * }
 * ```
 */
export async function* copyOutChunks(conn: Sql, text: string): AsyncGenerator<Uint8Array> {
  const query = conn.unsafe(text);
  const stream = await query.readable();
  let pending: Uint8Array[] = [];
  let bytes = 0;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on("data", (chunk: Uint8Array) => {
    pending.push(chunk);
    bytes += chunk.length;
    if (bytes >= COPY_OUT_HIGH_WATER) stream.pause();
    notify();
  });
  const end = (error?: unknown) => {
    if (error !== undefined && failure === null) failure = error;
    ended = true;
    notify();
  };
  stream.once("end", () => end());
  stream.once("close", () => end());
  stream.once("error", (error: unknown) => end(error));
  try {
    while (true) {
      if (bytes > 0) {
        const out = pending.length === 1 ? pending[0] : concat(pending, bytes);
        pending = [];
        bytes = 0;
        if (!ended && stream.isPaused()) stream.resume();
        yield out;
        continue;
      }
      if (failure !== null) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  } finally {
    if (!ended) {
      // Stopped early: the server cancels the COPY (57014) and ends what it had sent;
      // reading that to its end frees the connection (a paused one would never be released).
      pending = [];
      stream.removeAllListeners("data");
      stream.on("data", () => {});
      stream.on("error", () => {});
      const done = new Promise<void>((resolve) => wake = resolve);
      stream.resume();
      await query.cancel();
      // Bounded: a server that does not answer the cancel leaves the connection to its
      // owner, who closes it.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((r) => timer = setTimeout(r, 10_000))]);
      clearTimeout(timer);
    }
  }
}

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
