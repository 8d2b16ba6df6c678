/**
 * Query rows packed into blocks (dns_query_blocks, migration 0027) as they are parsed: one
 * buffer per column holds each row's value already encoded as an element of a binary array.
 * Rows are spread over {@linkcode CLIENT_BUCKETS} open blocks by a hash of the client address
 * ({@linkcode clientBucket}), so each client's queries of a stretch of time are in one block:
 * a client's search or drill-down reads a quarter of the blocks of a range (the `clients`
 * summary's GIN index finds them). The stretch is a round of BLOCK_ROWS × CLIENT_BUCKETS
 * rows: an open block that reaches {@linkcode BLOCK_ROWS} rows is written, and at the end of
 * a round (or when a row's day or node changes) every open block is, so the blocks of one
 * round lie within its time and the rounds do not overlap (a stream sorts one round at a time,
 * sql/search/stream_rows.sql; a search by time reads a round's blocks where it read one).
 * Each written block is one block row of binary COPY data (lib/db/binary_copy.ts): the
 * block's span, its distinct clients, the hashes of its apex domains ({@linkcode nameHash}),
 * the Bloom filter of its full names (lib/ingest/name_bloom.ts), and one array per column. The five columns the flags
 * say (transport, recursion desired, EDNS version, DO, CD) are not sent: their arrays stay
 * NULL and readers derive them from `flags` (migration 0035). The server then parses arrays
 * of fixed-size values and compresses them; no row of a query is ever a heap row of its own.
 *
 * @module
 */
import { BinaryCopyWriter, HEADER_BYTES, PG_EPOCH_US, writeInet } from "../db/binary_copy.ts";
import type { QueryLine } from "../parse/types.ts";
import { Inet } from "./address.ts";
import { buildNameBloom, nameHashes, storeNameHashes } from "./name_bloom.ts";
import { IntSet } from "./int_set.ts";
import { AddrSet } from "./addr_set.ts";
import type { FastRow } from "./binary_sink.ts";
import type { RowExtras } from "./row_sink.ts";

/** Queries per block at most. */
export const BLOCK_ROWS = 4000;

/**
 * Open blocks of a batch, one per client bucket (migration 0037 packs staged rows the same
 * way, with PostgreSQL's own hash of the address). A power of two.
 */
export const CLIENT_BUCKETS = 4;

const BUCKET_SHIFT = 32 - Math.log2(CLIENT_BUCKETS);

/**
 * The bucket (0 … CLIENT_BUCKETS − 1) of a client address: the top bits of a multiplicative
 * hash of its bytes (IPv4: the four; IPv6: the sixteen folded to 32 bits).
 */
export function clientBucket(a: Inet): number {
  const b = a.bytes;
  let x = (b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
  if (a.family !== 2) {
    for (let i = 4; i < 16; i += 4) {
      x ^= (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
    }
  }
  return Math.imul(x ^ (x >>> 16), 0x9e3779b1) >>> BUCKET_SHIFT;
}

/**
 * Store every block row of `blocks` (COPY data as {@linkcode BlockSink.blocks} gives it: the
 * header in the first buffer, each row whole in one buffer, the trailer last) under node
 * `nodeId`, in place. The commit does it: a batch may be read before its node's id is known
 * (ingest reads while the migrations are applied, lib/context.ts). Throws on data that is not
 * block rows.
 */
export function setBlockNode(blocks: readonly Uint8Array[], nodeId: number): void {
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i];
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    let p = i === 0 ? HEADER_BYTES : 0;
    while (p < b.length) {
      const fields = v.getInt16(p);
      if (fields === -1) break; // the trailer
      if (fields !== BLOCK_COLUMNS.length || v.getInt32(p + 2) !== 4) {
        throw new Error(`setBlockNode: not a block row at byte ${p} of buffer ${i}`);
      }
      v.setInt32(p + 6, nodeId);
      p += 2;
      for (let f = 0; f < fields; f++) p += 4 + Math.max(0, v.getInt32(p));
    }
  }
}

/** The dns_query_blocks columns a block row holds, in order. */
export const BLOCK_COLUMNS = [
  "node_id",
  "first_at",
  "last_at",
  "n",
  "clients",
  "names",
  "name_bloom",
  "apex_bloom",
  "at_us",
  "client_ip",
  "client_port",
  "domain",
  "apex_domain",
  "qtype",
  "flags",
  "qclass",
  "view",
  "client_subnet",
  "server_ip",
] as const;

const OID = { int4: 23, text: 25, inet: 869 } as const;
const ENCODER = new TextEncoder();

/**
 * The 32-bit FNV-1a hash of a name's UTF-8 bytes, as a signed integer: what
 * dnsa_name_hash(name) gives in SQL, and what dns_query_blocks.names holds.
 */
export function nameHash(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 0x811c9dc5 | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h | 0;
}

function nameHashOf(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) return nameHash(ENCODER.encode(s));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h | 0;
}

/** One column's elements of the current block, encoded. */
class Column {
  buf = new Uint8Array(1 << 16);
  view = new DataView(this.buf.buffer);
  pos = 0;
  /** Non-NULL elements in the block. */
  values = 0;

  constructor(readonly oid: number) {}

  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  nul(): void {
    this.room(4);
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  text(s: string | null): void {
    if (s === null) return this.nul();
    const n = s.length;
    this.room(4 + n * 3);
    const buf = this.buf, start = this.pos + 4;
    let p = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 128) buf[p++] = c;
      else {
        p += ENCODER.encodeInto(s.slice(i), buf.subarray(p)).written;
        break;
      }
    }
    this.view.setInt32(this.pos, p - start);
    this.pos = p;
    this.values++;
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.room(4 + n);
    this.view.setInt32(this.pos, n);
    const buf = this.buf;
    let p = this.pos + 4;
    for (let i = start; i < end; i++) buf[p++] = src[i];
    this.pos = p;
    this.values++;
  }

  int4(v: number): void {
    this.room(8);
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, v);
    this.pos += 8;
    this.values++;
  }

  inet(a: Inet | null): void {
    if (a === null) return this.nul();
    this.room(24);
    this.pos = writeInet(this.buf, this.view, this.pos, a);
    this.values++;
  }

  clear(): void {
    this.pos = 0;
    this.values = 0;
  }
}

/** The rows of one open block: its columns, times, distinct clients, apexes and names. */
class OpenBlock {
  readonly cols = {
    client: new Column(OID.inet),
    port: new Column(OID.int4),
    domain: new Column(OID.text),
    apex: new Column(OID.text),
    qtype: new Column(OID.text),
    flags: new Column(OID.text),
    qclass: new Column(OID.text),
    view: new Column(OID.text),
    ecs: new Column(OID.inet),
    server: new Column(OID.inet),
  };
  /** Each row's queried_at (epoch µs): us[0, count). */
  readonly us = new Float64Array(BLOCK_ROWS);
  count = 0;
  /** Distinct IPv4 clients (as numbers), then the others (by their bytes). */
  readonly clients4 = new IntSet(BLOCK_ROWS);
  readonly clients = new AddrSet(BLOCK_ROWS);
  /** Distinct apex hashes (unsigned). */
  readonly names = new IntSet(BLOCK_ROWS);
  /** The two hashes of each row's full name (NULLs left out), for the block's name_bloom. */
  readonly g1 = new Uint32Array(BLOCK_ROWS);
  readonly g2 = new Uint32Array(BLOCK_ROWS);
  fullCount = 0;
  /** The two hashes of each row's apex (NULLs left out), for the block's apex_bloom. */
  readonly a1 = new Uint32Array(BLOCK_ROWS);
  readonly a2 = new Uint32Array(BLOCK_ROWS);
  apexCount = 0;
  readonly hashAt = { start: 0, end: 0, g1: this.g1, g2: this.g2, at: 0 };

  addName(bytes: Uint8Array, start: number, end: number): void {
    const h = this.hashAt;
    h.start = start;
    h.end = end;
    h.at = this.fullCount++;
    storeNameHashes(bytes, h);
  }

  /** A row's full name by its two hashes (see addName). */
  addNameHashes(g1: number, g2: number): void {
    this.g1[this.fullCount] = g1;
    this.g2[this.fullCount++] = g2;
  }

  addApex(g1: number, g2: number): void {
    this.a1[this.apexCount] = g1;
    this.a2[this.apexCount++] = g2;
  }

  addClient(a: Inet): void {
    const b = a.bytes;
    if (a.family === 2 && a.bits === 32) {
      this.clients4.add((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]);
      return;
    }
    this.clients.add(a);
  }

  clear(): void {
    for (const col of Object.values(this.cols)) col.clear();
    this.count = 0;
    this.clients4.clear();
    this.clients.clear();
    this.names.clear();
    this.fullCount = 0;
    this.apexCount = 0;
  }
}

/**
 * Open blocks of released sinks, for the next: ten column buffers each, which a batch of its
 * own allocated and grew again (~2.6 MB a batch, a tenth of the ingest's garbage).
 */
const SPARE_BLOCKS: OpenBlock[][] = [];
/** Sets kept: the batches in flight and the one being read. */
const MAX_SPARE_BLOCKS = 8;

/** Query-log rows as block rows of binary COPY data for dns_query_blocks. */
export class BlockSink {
  readonly #w = new BinaryCopyWriter();
  #client = new Inet();
  #server = new Inet();
  #ecs = new Inet();
  #rows = 0;
  /** Taken from the spares (a batch's open blocks are the next batch's, their buffers grown). */
  #open = SPARE_BLOCKS.pop() ?? Array.from({ length: CLIENT_BUCKETS }, () => new OpenBlock());
  #day = NaN;
  #nodeId = 0;
  /** Rows added since every open block was last written (the round so far), and their
   * latest time. */
  #round = 0;
  #roundMax = -Infinity;
  /** An IPv4 client of a block's clients4 as writeInet takes it. */
  readonly #v4 = Object.assign(new Inet(), { family: 2, bits: 32 });
  /** A client of a block's other clients, as writeInet takes it. */
  readonly #addr = new Inet();

  /** Query rows added. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * The open block of `client`'s bucket for a row of `day`, `nodeId` and time `us`, with room
   * for it. A full round ends at a row later than all of it: rows of one instant stay in one
   * round, so the next round's blocks begin after this one's end.
   */
  #begin(day: number, nodeId: number, client: Inet, us: number): OpenBlock {
    if (
      day !== this.#day || nodeId !== this.#nodeId ||
      (this.#round >= BLOCK_ROWS * CLIENT_BUCKETS && us > this.#roundMax)
    ) {
      for (const b of this.#open) this.#flush(b);
      this.#day = day;
      this.#nodeId = nodeId;
      this.#round = 0;
      this.#roundMax = -Infinity;
    }
    this.#round++;
    if (us > this.#roundMax) this.#roundMax = us;
    const b = this.#open[clientBucket(client)];
    if (b.count >= BLOCK_ROWS) this.#flush(b);
    return b;
  }

  /** Add a parsed query row of day `day`; false (nothing added) for an unusable address. */
  add(q: QueryLine, x: RowExtras, day: number): boolean {
    if (!this.#client.parse(q.clientIp, false)) return false;
    const server = q.serverIp !== null && this.#server.parse(q.serverIp, false);
    const ecs = q.ecsSubnet !== null && this.#ecs.parse(q.ecsSubnet, true);
    const us = x.at * 1000;
    const b = this.#begin(day, x.nodeId, this.#client, us);
    const c = b.cols;
    b.us[b.count++] = us;
    c.client.inet(this.#client);
    b.addClient(this.#client);
    if (q.clientPort === null) c.port.nul();
    else c.port.int4(q.clientPort);
    const at = c.domain.pos + 4;
    c.domain.text(x.domain);
    if (x.domain !== null) b.addName(c.domain.buf, at, c.domain.pos);
    c.apex.text(x.apex);
    if (x.apex !== null) {
      b.names.add(nameHashOf(x.apex));
      const [g1, g2] = nameHashes(ENCODER.encode(x.apex));
      b.addApex(g1, g2);
    }
    c.qtype.text(q.qtype);
    c.flags.text(q.flags);
    c.qclass.text(q.qclass);
    c.view.text(q.view);
    c.ecs.inet(ecs ? this.#ecs : null);
    c.server.inet(server ? this.#server : null);
    this.#rows++;
    return true;
  }

  /** Add a row of the fast path (lib/ingest/fast_query.ts) of day `day`. */
  addFast(r: FastRow, day: number): void {
    const us = r.us + PG_EPOCH_US;
    const b = this.#begin(day, r.nodeId, r.client, us);
    const c = b.cols;
    b.us[b.count++] = us;
    c.client.inet(r.client);
    b.addClient(r.client);
    c.port.int4(r.port);
    c.domain.bytes(r.domain, 0, r.domainLen);
    b.addNameHashes(r.nameG1, r.nameG2);
    c.apex.bytes(r.apex, r.apexStart, r.apexEnd);
    b.names.add(r.apexHash);
    b.addApex(r.apexG1, r.apexG2);
    c.qtype.bytes(r.src, r.qtype, r.qtypeEnd);
    c.flags.bytes(r.src, r.flags, r.flagsEnd);
    c.qclass.bytes(r.src, r.qclass, r.qclassEnd);
    if (r.view < 0) c.view.nul();
    else c.view.bytes(r.src, r.view, r.viewEnd);
    c.ecs.inet(r.ecs);
    c.server.inet(r.server);
    this.#rows++;
  }

  /** Write open block `b` as one row and empty it. */
  #flush(b: OpenBlock): void {
    const us = b.us, k = b.count;
    if (k === 0) return;
    let lo = us[0], hi = us[0];
    for (let i = 1; i < k; i++) {
      const t = us[i];
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    const w = this.#w;
    const cols = Object.values(b.cols);
    const v4 = b.clients4;
    let size = 2 + 8 + 12 + 12 + 8 + 40 + k * 12 + b.names.size * 9 + 40 + 4 + k + 5 +
      v4.size * 12;
    size += b.clients.size * 24;
    for (const col of cols) size += 24 + col.pos;
    w.room(size);
    w.fields(BLOCK_COLUMNS.length);
    w.int4(this.#nodeId);
    w.time(lo);
    w.time(hi);
    w.int4(k);
    // clients inet[]
    this.#array(OID.inet, v4.size + b.clients.size, (buf, p) => {
      const a = this.#v4, list = v4.list;
      for (let i = 0; i < v4.size; i++) {
        const x = list[i];
        a.bytes[0] = x >>> 24;
        a.bytes[1] = (x >>> 16) & 255;
        a.bytes[2] = (x >>> 8) & 255;
        a.bytes[3] = x & 255;
        p = writeInet(buf, w.view, p, a);
      }
      const others = b.clients, x = this.#addr;
      for (let i = 0; i < others.size; i++) p = writeInet(buf, w.view, p, others.get(i, x));
      return p;
    });
    const names = b.names;
    const hashes = new Array<number>(names.size);
    for (let i = 0; i < names.size; i++) hashes[i] = names.list[i] | 0;
    w.intArray(23, hashes);
    const bloom = buildNameBloom(b.g1, b.g2, { count: b.fullCount, n: k });
    w.view.setInt32(w.pos, bloom.length);
    w.buf.set(bloom, w.pos + 4);
    w.pos += 4 + bloom.length;
    // One byte a distinct apex (migration 0038): small enough to stay in the heap row.
    const apexBloom = buildNameBloom(b.a1, b.a2, { count: b.apexCount, n: names.size });
    w.view.setInt32(w.pos, apexBloom.length);
    w.buf.set(apexBloom, w.pos + 4);
    w.pos += 4 + apexBloom.length;
    const offsets = new Array<number>(k);
    for (let i = 0; i < k; i++) offsets[i] = us[i] - lo;
    w.intArray(20, offsets);
    for (const col of cols) {
      if (col.values === 0 && (col === b.cols.view || col === b.cols.ecs)) {
        w.nul();
        continue;
      }
      this.#array(col.oid, k, (buf, p) => {
        buf.set(col.buf.subarray(0, col.pos), p);
        return p + col.pos;
      });
    }
    b.clear();
  }

  /** A one-dimensional array field of `k` elements that `fill` writes (room is made). */
  #array(oid: number, k: number, fill: (buf: Uint8Array, p: number) => number): void {
    const w = this.#w, v = w.view, at = w.pos;
    v.setInt32(at + 4, k === 0 ? 0 : 1);
    v.setInt32(at + 8, 1); // may hold NULLs (the server finds out)
    v.setInt32(at + 12, oid);
    let p = at + 16;
    if (k > 0) {
      v.setInt32(p, k);
      v.setInt32(p + 4, 1);
      p += 8;
    }
    p = fill(w.buf, p);
    v.setInt32(at, p - at - 4);
    w.pos = p;
  }

  /** The COPY data: header, block rows, trailer. */
  blocks(): Uint8Array[] {
    for (const b of this.#open) this.#flush(b);
    this.#round = 0;
    this.#roundMax = -Infinity;
    return this.#w.blocks();
  }

  /**
   * Hand the COPY blocks back once the COPY has completed (see BinaryCopyWriter.release), and
   * the open blocks to the next batch.
   */
  release(): void {
    this.#w.release();
    if (this.#open.length === 0) return;
    for (const b of this.#open) b.clear();
    if (SPARE_BLOCKS.length < MAX_SPARE_BLOCKS) SPARE_BLOCKS.push(this.#open);
    this.#open = [];
  }
}
