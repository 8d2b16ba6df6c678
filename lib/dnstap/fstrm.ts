/**
 * Frame Streams (fstrm), the framing dnstap travels in: a data frame is a 32-bit big-endian
 * length and that many bytes; a control frame is a zero length (the escape), a 32-bit length,
 * a 32-bit control type and fields (32-bit type, 32-bit length, value; field 1 is a content
 * type). A file holds START, data frames, STOP. On a socket the writer (named) sends READY,
 * the reader answers ACCEPT, then START, data frames and STOP, answered by FINISH.
 *
 * @module
 */

/** The content type of dnstap. */
export const DNSTAP_CONTENT_TYPE = "protobuf:dnstap.Dnstap";

/** Control frame types. */
export const Control = {
  ACCEPT: 1,
  START: 2,
  STOP: 3,
  READY: 4,
  FINISH: 5,
} as const;

const CONTROL_NAMES: Record<number, string> = {
  1: "ACCEPT",
  2: "START",
  3: "STOP",
  4: "READY",
  5: "FINISH",
};

/** The name of a control type, for messages. */
export function controlName(type: number): string {
  return CONTROL_NAMES[type] ?? `control type ${type}`;
}

/** Largest data frame accepted (named's frames are a few hundred bytes; a DNS message ≤ 64 KiB). */
export const MAX_DATA_FRAME = 1 << 20;
/** Largest control frame accepted (fstrm's own limit is 512). */
export const MAX_CONTROL_FRAME = 4096;

/** One frame, with the byte offsets it spans in the stream. */
export type Frame =
  | { kind: "data"; payload: Uint8Array; start: number; end: number }
  | { kind: "control"; type: number; contentTypes: string[]; start: number; end: number };

/** A stream that is not Frame Streams, or breaks its limits; `message` says how. */
export class FrameError extends Error {
  override name = "FrameError";
}

const DECODER = new TextDecoder();

/**
 * Splits a byte stream into frames. `push` bytes as they arrive; `next` returns the next
 * complete frame, or null when more bytes are needed; it throws FrameError on a frame
 * larger than the limits or a malformed control frame (the stream cannot be resynchronised
 * after that). Offsets count from the first byte pushed plus `startOffset`.
 */
export class FrameDecoder {
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #base: number;

  constructor(startOffset = 0) {
    this.#base = startOffset;
  }

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.#buf.length - this.#pos;
  }

  /** Offset in the stream of the first byte not yet returned as part of a frame. */
  get offset(): number {
    return this.#base + this.#pos;
  }

  push(chunk: Uint8Array): void {
    const rest = this.#buf.length - this.#pos;
    if (rest === 0) {
      this.#base += this.#pos;
      this.#buf = chunk;
      this.#pos = 0;
      return;
    }
    const merged = new Uint8Array(rest + chunk.length);
    merged.set(this.#buf.subarray(this.#pos), 0);
    merged.set(chunk, rest);
    this.#base += this.#pos;
    this.#buf = merged;
    this.#pos = 0;
  }

  next(): Frame | null {
    const buf = this.#buf, pos = this.#pos;
    const avail = buf.length - pos;
    if (avail < 4) return null;
    const len = readU32(buf, pos);
    const start = this.#base + pos;
    if (len !== 0) {
      if (len > MAX_DATA_FRAME) {
        throw new FrameError(
          `data frame of ${len} bytes at byte ${start} exceeds the limit of ${MAX_DATA_FRAME}`,
        );
      }
      if (avail < 4 + len) return null;
      this.#pos = pos + 4 + len;
      return {
        kind: "data",
        payload: buf.subarray(pos + 4, pos + 4 + len),
        start,
        end: start + 4 + len,
      };
    }
    if (avail < 8) return null;
    const clen = readU32(buf, pos + 4);
    if (clen < 4 || clen > MAX_CONTROL_FRAME) {
      throw new FrameError(`control frame of ${clen} bytes at byte ${start} is not valid`);
    }
    if (avail < 8 + clen) return null;
    const body = buf.subarray(pos + 8, pos + 8 + clen);
    const type = readU32(body, 0);
    const contentTypes: string[] = [];
    for (let p = 4; p < body.length;) {
      if (p + 8 > body.length) throw new FrameError(`truncated control field at byte ${start}`);
      const ftype = readU32(body, p), flen = readU32(body, p + 4);
      if (p + 8 + flen > body.length) {
        throw new FrameError(`control field longer than its frame at byte ${start}`);
      }
      if (ftype === 1) contentTypes.push(DECODER.decode(body.subarray(p + 8, p + 8 + flen)));
      p += 8 + flen;
    }
    this.#pos = pos + 8 + clen;
    return { kind: "control", type, contentTypes, start, end: start + 8 + clen };
  }
}

function readU32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function writeU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = (v >>> 16) & 0xff;
  b[p + 2] = (v >>> 8) & 0xff;
  b[p + 3] = v & 0xff;
}

/** A control frame of `type` with `contentTypes` as its content-type fields. */
export function encodeControl(type: number, contentTypes: readonly string[] = []): Uint8Array {
  const fields = contentTypes.map((t) => new TextEncoder().encode(t));
  const clen = 4 + fields.reduce((n, f) => n + 8 + f.length, 0);
  const out = new Uint8Array(8 + clen);
  writeU32(out, 0, 0);
  writeU32(out, 4, clen);
  writeU32(out, 8, type);
  let p = 12;
  for (const f of fields) {
    writeU32(out, p, 1);
    writeU32(out, p + 4, f.length);
    out.set(f, p + 8);
    p += 8 + f.length;
  }
  return out;
}

/** A data frame holding `payload`. */
export function encodeData(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  writeU32(out, 0, payload.length);
  out.set(payload, 4);
  return out;
}

/** True when `head` (the first bytes of a file) starts a Frame Streams file or stream. */
export function looksLikeFrameStream(head: Uint8Array): boolean {
  if (head.length < 12) return false;
  return readU32(head, 0) === 0 && readU32(head, 4) >= 4 && readU32(head, 4) <= MAX_CONTROL_FRAME &&
    (readU32(head, 8) === Control.START || readU32(head, 8) === Control.READY);
}
