/**
 * Reading a log file as lines with exact byte offsets, whatever bytes it holds.
 *
 * The file is read in 1 MiB blocks (plain) or decompressed on the fly (`.gz`); each block is
 * split at `\n`. Offsets are bytes of the (uncompressed) content, never string lengths. A line
 * that is not valid UTF-8, holds a NUL byte, or is longer than `maxLineBytes` becomes a
 * {@linkcode RawReject} (the long line is discarded as it streams, so memory stays bounded).
 * An unterminated last line is left unread: the reader's result says how many bytes are
 * pending, and the caller's offset stays at the start of that line. Of a rotated file, which
 * no one appends to, that line is final: {@linkcode LineSplitter.endFinal} hands it over as
 * an `unterminated` reject.
 *
 * @module
 */
import { SourceFile } from "./source_file.ts";

/** A line that cannot be handed to the parser, with a prefix of its bytes as a sample. */
export interface RawReject {
  reason: "invalid_utf8" | "nul_byte" | "too_long" | "unterminated";
  sample: Uint8Array;
  length: number;
}

/**
 * One block of lines: item `i` spans bytes [`starts[i]`, `ends[i]`) of the file, newline
 * included. Lines a fast path took are not items; `end` is the offset after the last
 * complete line of the block, whichever way it went, and `lines` counts them all.
 */
export interface LineBlock {
  items: Array<string | RawReject>;
  starts: number[];
  ends: number[];
  end: number;
  lines: number;
}

/**
 * Takes the line that starts at `data[start]` straight from the bytes when it knows its
 * shape, and returns the index of the line's newline, which must lie before `limit` (the
 * line is `data[start, newline)`); returns -1 to have the line decoded and handed over as
 * an item instead. `data` is valid during the call.
 */
export type FastLine = (data: Uint8Array, start: number, limit: number) => number;

/** What is left when the reader reaches the end of the file. */
export interface ReadEnd {
  /** Offset after the last complete line. */
  offset: number;
  /** Bytes of an unterminated last line (0 when the file ends with `\n`). */
  pendingBytes: number;
}

/** Options of {@linkcode readLines}. */
export interface ReadLinesOptions {
  /** Byte offset (of the uncompressed content) to start at; must be a line start. */
  startOffset?: number;
  /** Decompress gzip. Default: the path ends with `.gz`. */
  gzip?: boolean;
  /** Longer lines are rejected as `too_long`. Default 64 KiB. */
  maxLineBytes?: number;
  /** Bytes of a rejected line kept as its sample. Default 1 KiB. */
  sampleBytes?: number;
  /** Offer each line's bytes to this first (see {@linkcode FastLine}). */
  fast?: FastLine;
}

const NL = 10;

/**
 * Read the lines of `path` from `startOffset`. Yields blocks of lines; returns the
 * {@linkcode ReadEnd}. Throws only for I/O errors (missing file, permission, corrupt gzip).
 */
export async function* readLines(
  path: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<LineBlock, ReadEnd> {
  using file = await SourceFile.open(path, { gzip: options.gzip });
  return yield* splitLines(file.blocks(options.startOffset ?? 0), options);
}

/** The lines of a byte stream that starts at `startOffset` of its file. */
export async function* splitLines(
  blocks: AsyncIterable<Uint8Array>,
  options: ReadLinesOptions = {},
): AsyncGenerator<LineBlock, ReadEnd> {
  const splitter = new LineSplitter(
    options.startOffset ?? 0,
    options.maxLineBytes ?? 65_536,
    options.sampleBytes,
  );
  for await (const block of blocks) {
    const out = splitter.push(block, options.fast);
    if (out.lines > 0) yield out;
  }
  return splitter.end();
}

/** Splits a byte stream into lines with offsets; the unit behind {@linkcode readLines}. */
export class LineSplitter {
  #offset: number; // offset of the first byte not yet consumed into a line
  #carry: Uint8Array[] = [];
  #carryLen = 0;
  #discarding = false; // inside a line already known to be too long
  #discardSample: Uint8Array | null = null;
  #max: number;
  #sampleBytes: number;
  #fatal = new TextDecoder("utf-8", { fatal: true });

  constructor(startOffset: number, maxLineBytes: number, sampleBytes = 1024) {
    this.#offset = startOffset;
    this.#max = maxLineBytes;
    this.#sampleBytes = sampleBytes;
  }

  /** Feed the next bytes; returns the lines they complete (see {@linkcode FastLine}). */
  push(data: Uint8Array, fast?: FastLine): LineBlock {
    const block: LineBlock = { items: [], starts: [], ends: [], end: this.#offset, lines: 0 };
    let pos = 0;
    if (this.#carryLen > 0 || this.#discarding) {
      const nl = data.indexOf(NL);
      if (nl < 0) {
        this.#grow(data);
        return block;
      }
      this.#grow(data.subarray(0, nl));
      block.starts.push(this.#offset);
      this.#finishCarry(block.items, block.ends);
      block.lines++;
      pos = nl + 1;
    }
    const last = data.lastIndexOf(NL);
    if (last >= pos) {
      if (fast) this.#splitFast(data, pos, last + 1, block, fast);
      else this.#splitRegion(data, pos, last + 1, block);
      pos = last + 1;
    }
    if (pos < data.length) this.#grow(data.subarray(pos));
    block.end = this.#offset;
    return block;
  }

  /** Lines in data[from, to) offered to `fast` first; the rest decoded one by one. */
  #splitFast(data: Uint8Array, from: number, to: number, block: LineBlock, fast: FastLine) {
    const base = this.#offset - from;
    const max = this.#max;
    let i = from;
    while (i < to) {
      block.lines++;
      // The fast path finds the newline itself (a line of at most `max` bytes).
      const end = fast(data, i, Math.min(to, i + max + 1));
      if (end >= 0) {
        i = end + 1;
        continue;
      }
      const nl = data.indexOf(NL, i);
      if (nl - i > max) {
        block.items.push({
          reason: "too_long",
          sample: data.slice(i, i + this.#sampleBytes),
          length: nl - i,
        });
      } else {
        block.items.push(this.#decodeLine(data.subarray(i, nl)));
      }
      block.starts.push(base + i);
      block.ends.push(base + nl + 1);
      i = nl + 1;
    }
    this.#offset = base + to;
  }

  /** End of input: the offset after the last complete line and the pending bytes. */
  end(): ReadEnd {
    return { offset: this.#offset, pendingBytes: this.#carryLen };
  }

  /**
   * End of a file nothing will be appended to: its unterminated last line, if any, is one
   * `unterminated` reject spanning to the end of the file (the block has no lines otherwise).
   */
  endFinal(): LineBlock {
    const block: LineBlock = { items: [], starts: [], ends: [], end: this.#offset, lines: 0 };
    if (this.#carryLen === 0) return block;
    const length = this.#carryLen;
    const sample = this.#discarding
      ? this.#discardSample!
      : this.#concat().slice(0, this.#sampleBytes);
    block.items.push({ reason: "unterminated", sample, length });
    block.starts.push(this.#offset);
    this.#offset += length;
    block.ends.push(this.#offset);
    block.end = this.#offset;
    block.lines = 1;
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
    this.#discardSample = null;
    return block;
  }

  #grow(part: Uint8Array): void {
    if (this.#discarding) {
      this.#carryLen += part.length;
      return;
    }
    if (this.#carryLen + part.length > this.#max) {
      const all = this.#concat();
      const sample = new Uint8Array(Math.min(this.#sampleBytes, all.length + part.length));
      sample.set(all.subarray(0, sample.length));
      if (all.length < sample.length) {
        sample.set(part.subarray(0, sample.length - all.length), all.length);
      }
      this.#discardSample = sample;
      this.#discarding = true;
      this.#carry = [];
      this.#carryLen += part.length;
      return;
    }
    this.#carry.push(part.slice());
    this.#carryLen += part.length;
  }

  #concat(): Uint8Array {
    if (this.#carry.length === 1) return this.#carry[0];
    const all = new Uint8Array(this.#carryLen);
    let at = 0;
    for (const c of this.#carry) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }

  #finishCarry(items: Array<string | RawReject>, ends: number[]): void {
    const length = this.#carryLen;
    this.#offset += length + 1;
    if (this.#discarding) {
      items.push({ reason: "too_long", sample: this.#discardSample!, length });
    } else {
      items.push(this.#decodeLine(this.#concat()));
    }
    ends.push(this.#offset);
    this.#carry = [];
    this.#carryLen = 0;
    this.#discarding = false;
    this.#discardSample = null;
  }

  /** Lines in data[from, to), where data[to - 1] is a newline. */
  #splitRegion(data: Uint8Array, from: number, to: number, block: LineBlock): void {
    const { items, starts, ends } = block;
    const base = this.#offset - from; // file offset of data[0]
    let text: string | null = null;
    try {
      text = this.#fatal.decode(data.subarray(from, to));
    } catch {
      text = null;
    }
    if (text !== null && text.length === to - from && text.indexOf("\0") < 0) {
      // ASCII: character index = byte index.
      let i = 0;
      const n = text.length;
      while (i < n) {
        const nl = text.indexOf("\n", i);
        if (nl - i > this.#max) {
          items.push({
            reason: "too_long",
            sample: data.slice(from + i, from + i + this.#sampleBytes),
            length: nl - i,
          });
        } else {
          items.push(text.slice(i, nl));
        }
        starts.push(base + from + i);
        ends.push(base + from + nl + 1);
        block.lines++;
        i = nl + 1;
      }
    } else {
      let i = from;
      while (i < to) {
        const nl = data.indexOf(NL, i);
        const line = data.subarray(i, nl);
        if (line.length > this.#max) {
          items.push({
            reason: "too_long",
            sample: line.slice(0, this.#sampleBytes),
            length: line.length,
          });
        } else {
          items.push(this.#decodeLine(line));
        }
        starts.push(base + i);
        ends.push(base + nl + 1);
        block.lines++;
        i = nl + 1;
      }
    }
    this.#offset = base + to;
  }

  #decodeLine(line: Uint8Array): string | RawReject {
    const sample = () => line.slice(0, this.#sampleBytes);
    if (line.indexOf(0) >= 0) return { reason: "nul_byte", sample: sample(), length: line.length };
    try {
      return this.#fatal.decode(line);
    } catch {
      return { reason: "invalid_utf8", sample: sample(), length: line.length };
    }
  }
}
