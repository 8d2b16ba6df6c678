/**
 * Takes the rows of a `COPY … TO STDOUT` off a connection's socket before postgres.js sees
 * them. PostgreSQL sends one CopyData message per row, and postgres.js turns each into a
 * stream event (measured: 1.5 s of CPU for the 5 million rows of a busy day, a quarter of the
 * rollup's reading thread); here the payloads go straight to a callback, in place, and the
 * driver sees every other message (CopyOutResponse, CopyDone, CommandComplete, …) as usual,
 * so its COPY stream simply ends without data.
 *
 * Only for connections without TLS (the tap reads the plain protocol); a TLS connection
 * reads through the driver's stream instead.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { openNoDelaySocket, type PgSocket, type SocketTarget } from "./socket.ts";

const COPY_DATA = 0x64; // 'd'

/** Receives CopyData payload bytes `b[from, to)`; a payload may arrive in several parts. */
export type TapSink = (b: Uint8Array, from: number, to: number) => void;

/** The protocol reader between one socket and postgres.js. */
export class CopyTap {
  /** Where CopyData payloads go; while null they pass to the driver. */
  sink: TapSink | null = null;
  #socket: PgSocket | null = null;
  readonly #head = new Uint8Array(5);
  #headN = 0;
  /** Payload bytes left of the current message. */
  #left = 0;
  #tapped = false;

  /** postgres.js's `socket` option: a TCP_NODELAY socket whose data passes through the tap. */
  readonly socket = async (target: SocketTarget): Promise<PgSocket> => {
    const s = await openNoDelaySocket(target);
    this.#socket = s;
    type On = (this: PgSocket, event: string, listener: (...a: never[]) => void) => PgSocket;
    const on = s.on as unknown as On;
    const filter = (chunk: Buffer) => this.filter(chunk);
    // postgres.js reads with on("data"): its listener gets what the tap leaves.
    s.on = function (this: PgSocket, event: string, listener: (...a: never[]) => void) {
      if (event !== "data") return on.call(this, event, listener);
      return on.call(
        this,
        "data",
        ((chunk: Buffer) => {
          const rest = filter(chunk);
          if (rest.length > 0) (listener as (c: Buffer) => void)(rest);
        }) as (...a: never[]) => void,
      );
    } as unknown as typeof s.on;
    return s;
  };

  /** Stop reading the socket until {@linkcode resume} (backpressure for the sink). */
  pause(): void {
    this.#socket?.pause();
  }

  resume(): void {
    this.#socket?.resume();
  }

  /**
   * The bytes of `chunk` for the driver (a Buffer, as it expects); CopyData payloads go to
   * the sink. Chunks may split messages anywhere.
   */
  filter(chunk: Buffer): Buffer {
    const parts: Buffer[] = [];
    let kept = 0;
    let runFrom = -1; // start of a run of bytes for the driver within chunk
    const flushRun = (to: number) => {
      if (runFrom >= 0 && to > runFrom) {
        parts.push(chunk.subarray(runFrom, to));
        kept += to - runFrom;
      }
      runFrom = -1;
    };
    let at = 0;
    const n = chunk.length;
    while (at < n) {
      if (this.#left === 0 && this.#headN === 0 && n - at >= 5) {
        // A whole header in this chunk (the usual case).
        const type = chunk[at];
        const len = ((chunk[at + 1] << 24) | (chunk[at + 2] << 16) | (chunk[at + 3] << 8) |
          chunk[at + 4]) - 4;
        this.#tapped = type === COPY_DATA && this.sink !== null;
        if (this.#tapped) flushRun(at);
        else if (runFrom < 0) runFrom = at;
        at += 5;
        this.#left = len;
      } else if (this.#left === 0) {
        // A header split across chunks: gather it.
        flushRun(at);
        this.#head[this.#headN++] = chunk[at++];
        if (this.#headN < 5) continue;
        const h = this.#head;
        this.#headN = 0;
        this.#left = ((h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4]) - 4;
        this.#tapped = h[0] === COPY_DATA && this.sink !== null;
        if (!this.#tapped) {
          parts.push(Buffer.from(h));
          kept += 5;
        }
      }
      if (this.#left > 0 && at < n) {
        const take = Math.min(this.#left, n - at);
        if (this.#tapped) this.sink!(chunk, at, at + take);
        else if (runFrom < 0) runFrom = at;
        at += take;
        this.#left -= take;
      }
    }
    flushRun(n);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, kept);
  }
}
