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
import type { CopyTap } from "./copy_tap.ts";

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

/** The first buffer a tapped COPY's payloads are gathered in (grown as needed). */
const TAP_BUFFER = 1 << 16;

/**
 * {@linkcode copyOutChunks} for a connection whose socket passes through `tap`
 * (lib/db/copy_tap.ts): the rows' payloads are copied from the socket's chunks into one
 * buffer, with no stream event per row, and the consumer takes what gathered meanwhile as one
 * chunk. The socket pauses while a megabyte waits; a consumer that stops early cancels the
 * statement, as there.
 */
export async function* copyOutTapped(
  conn: Sql,
  tap: CopyTap,
  text: string,
): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(TAP_BUFFER);
  let n = 0;
  let paused = false;
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  tap.sink = (b, from, to) => {
    const len = to - from;
    if (n + len > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, n + len));
      grown.set(buf.subarray(0, n));
      buf = grown;
    }
    if (len < 64) { for (let i = from; i < to; i++) buf[n++] = b[i]; }
    else {
      buf.set(b.subarray(from, to), n);
      n += len;
    }
    if (n >= COPY_OUT_HIGH_WATER && !paused) {
      paused = true;
      tap.pause();
    }
    if (wake) notify();
  };
  const query = conn.unsafe(text);
  const end = (error?: unknown) => {
    if (error !== undefined && failure === null) failure = error;
    ended = true;
    notify();
  };
  // The driver's stream carries no data (the tap took it): it only ends, or fails.
  const stream = await query.readable();
  stream.on("data", () => {});
  stream.once("end", () => end());
  stream.once("close", () => end());
  stream.once("error", (error: unknown) => end(error));
  try {
    while (true) {
      if (n > 0) {
        const out = buf.subarray(0, n);
        buf = new Uint8Array(Math.max(TAP_BUFFER, Math.min(n, COPY_OUT_HIGH_WATER)));
        n = 0;
        if (paused) {
          paused = false;
          tap.resume();
        }
        yield out;
        continue;
      }
      if (failure !== null) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => wake = resolve);
    }
  } finally {
    tap.sink = () => {};
    if (!ended) {
      // Stopped early: as copyOutChunks, the rest of the data is read (and dropped) after
      // the cancel, with a bounded wait.
      stream.on("error", () => {});
      const done = new Promise<void>((resolve) => wake = resolve);
      if (paused) tap.resume();
      await query.cancel();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((r) => timer = setTimeout(r, 10_000))]);
      clearTimeout(timer);
    }
    tap.sink = null;
  }
}
