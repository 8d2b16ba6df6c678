/**
 * A connection to PostgreSQL on Deno's own TCP (or unix) socket, with the part of node:net's
 * Socket that postgres.js uses (its `socket` option): `data`, `drain`, `error` and `close`
 * events, write with a callback and backpressure, end, destroy, pause and resume.
 *
 * Why: node:net's write path in Deno copies and schedules each write through its stream
 * machinery. Measured here, 118 MB written in 1 MiB chunks to a loopback reader: 98–176 ms
 * through node:net, 29–31 ms through Deno.Conn. An ingest of 1 M query lines sends that much
 * COPY data; its main thread is the backfill's critical path.
 *
 * Reads are copied out of one reusable buffer into a Buffer of their own size (postgres.js
 * keeps parts of what it is given). A socket error without a code (Deno gives none for some)
 * gets ECONNRESET: whatever broke, the connection is lost (lib/fault.ts).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";

const READ_BYTES = 256 * 1024;
/** Bytes queued beyond which write() returns false (and `drain` follows). */
const HIGH_WATER = 1 << 20;

type WriteCallback = (error?: Error | null) => void;

/** An error with a code for the fault policy: ECONNRESET when the runtime gave none. */
function withCode(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  const c = e as Error & { code?: unknown };
  if (typeof c.code !== "string") c.code = "ECONNRESET";
  return e;
}

/** An empty CopyData message: what {@linkcode DenoSocket.claimCopy} looks for. */
const EMPTY_COPY_DATA = [0x64, 0, 0, 0, 4];

/** A connected Deno.Conn as postgres.js's socket. */
export class DenoSocket extends EventEmitter {
  /** The socket that last had an empty CopyData message written (see claimCopy). */
  static #copyMarked: DenoSocket | null = null;

  /**
   * The socket of a COPY FROM STDIN that postgres.js has just started, found by what it
   * writes: `write` is called at once with an empty chunk (its stream writes through to the
   * socket synchronously); the socket that wrote that empty CopyData message is the COPY's,
   * or null (node:net's socket, with TLS). An empty CopyData message is valid COPY data.
   */
  static claimCopy(write: (chunk: Uint8Array) => void): DenoSocket | null {
    DenoSocket.#copyMarked = null;
    write(new Uint8Array(0));
    const s = DenoSocket.#copyMarked;
    DenoSocket.#copyMarked = null;
    return s;
  }

  /**
   * Write `data` as one CopyData message without copying it (its 5-byte header, then
   * `data` itself, queued as it is: leave it unchanged until `cb`). False: wait for `drain`.
   */
  writeCopyData(data: Uint8Array, cb?: WriteCallback): boolean {
    const head = new Uint8Array(5);
    head[0] = 0x64;
    new DataView(head.buffer).setInt32(1, data.length + 4);
    this.write(head);
    return this.write(data, cb);
  }

  /** `open` until closed, as node:net's socket says it. */
  readyState: "open" | "closed" = "open";
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly #conn: Deno.Conn;
  #queue: { data: Uint8Array; cb: WriteCallback | undefined }[] = [];
  #queued = 0;
  #writing = false;
  #needDrain = false;
  #ending = false;
  #paused = false;
  #resume: (() => void) | null = null;
  #closed = false;

  constructor(conn: Deno.Conn, where: { host?: string; port?: number } = {}) {
    super();
    this.#conn = conn;
    this.host = where.host;
    this.port = where.port;
    this.#read();
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(READ_BYTES);
    try {
      while (!this.#closed) {
        if (this.#paused) {
          await new Promise<void>((r) => this.#resume = r);
          continue;
        }
        const n = await this.#conn.read(buf);
        if (this.#closed) return;
        if (n === null) break;
        const chunk = Buffer.allocUnsafe(n);
        chunk.set(buf.subarray(0, n));
        this.emit("data", chunk);
      }
      this.#close(null);
    } catch (error) {
      this.#close(error);
    }
  }

  /** Queue `data`; `cb` once it is with the kernel. False: wait for `drain`. */
  write(data: Uint8Array | string, cb?: WriteCallback): boolean {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (bytes.length === 5 && EMPTY_COPY_DATA.every((b, i) => bytes[i] === b)) {
      DenoSocket.#copyMarked = this;
    }
    if (this.#closed) {
      if (cb) queueMicrotask(() => cb(withCode(new Error("write after the socket closed"))));
      return false;
    }
    this.#queue.push({ data: bytes, cb });
    this.#queued += bytes.length;
    if (!this.#writing) this.#flush();
    if (this.#queued < HIGH_WATER) return true;
    this.#needDrain = true;
    return false;
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const { data, cb } = this.#queue[0];
        let off = 0;
        while (off < data.length) off += await this.#conn.write(data.subarray(off));
        this.#queue.shift();
        this.#queued -= data.length;
        cb?.(null);
      }
    } catch (error) {
      this.#writing = false;
      this.#close(error);
      return;
    }
    this.#writing = false;
    if (this.#ending) return this.#close(null);
    if (this.#needDrain && !this.#closed) {
      this.#needDrain = false;
      this.emit("drain");
    }
  }

  /** Send `data` if given, then close once everything queued is written. */
  end(data?: Uint8Array | string): this {
    if (data !== undefined) this.write(data);
    this.#ending = true;
    if (!this.#writing) this.#close(null);
    return this;
  }

  destroy(error?: Error): this {
    this.#close(error ?? null);
    return this;
  }

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    const r = this.#resume;
    this.#resume = null;
    r?.();
    return this;
  }

  setKeepAlive(enable: boolean): this {
    if ("setKeepAlive" in this.#conn) (this.#conn as Deno.TcpConn).setKeepAlive(enable);
    return this;
  }

  /** Close once: pending writes fail, then `error` (when there is one) and `close`. */
  #close(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.readyState = "closed";
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
    const failed = error === null ? null : withCode(error);
    const pending = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    this.#resume?.();
    this.#resume = null;
    queueMicrotask(() => {
      for (const p of pending) p.cb?.(failed ?? withCode(new Error("socket closed")));
      if (failed && this.listenerCount("error") > 0) this.emit("error", failed);
      this.emit("close", failed !== null);
    });
  }
}

/** Connect to `target` with Deno.connect: a TCP connection with TCP_NODELAY, or a unix socket. */
export async function connectDenoSocket(
  target: { host: string; port: number } | { path: string },
): Promise<DenoSocket> {
  try {
    if ("path" in target) {
      return new DenoSocket(await Deno.connect({ transport: "unix", path: target.path }));
    }
    const conn = await Deno.connect({ hostname: target.host, port: target.port });
    conn.setNoDelay(true);
    return new DenoSocket(conn, target);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    const c = e as Error & { code?: unknown };
    // A name that does not resolve: Deno gives no code; node:net's is ENOTFOUND.
    if (typeof c.code !== "string" && /lookup address/i.test(e.message)) c.code = "ENOTFOUND";
    throw e;
  }
}
