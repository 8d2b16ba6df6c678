/**
 * The parts of a DNS message (RFC 1035 wire format) that a row needs: header flags, rcode
 * (with the EDNS extended bits), section counts, the question, and the EDNS OPT record (version,
 * DO, UDP size, client subnet, cookie). Answers are skipped, not decoded. This is the hot path of
 * dnstap ingest; tests/dnstap/wire_test.ts checks it against `dns-packet` on real frames.
 *
 * @module
 */

/** What {@linkcode parseDnsMessage} reads. */
export interface DnsSummary {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** rcode including the EDNS extended bits. */
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
  /** The first question's name in BIND's presentation form (no trailing dot; root "."). */
  qname: string | null;
  qtype: number | null;
  qclass: number | null;
  /** EDNS version, -1 without an OPT record. */
  edns: number;
  dnssecOk: boolean;
  udpSize: number;
  cookie: boolean;
  /** EDNS client subnet as `address/source-prefix`, or null. */
  ecs: string | null;
}

// Bytes BIND escapes with a backslash in names: " $ ( ) . ; @ \
const SPECIAL = new Set([0x22, 0x24, 0x28, 0x29, 0x2e, 0x3b, 0x40, 0x5c]);

function label(b: Uint8Array, start: number, len: number): string {
  let s = "";
  for (let i = start; i < start + len; i++) {
    const c = b[i];
    if (c > 0x20 && c < 0x7f) {
      s += SPECIAL.has(c) ? "\\" + String.fromCharCode(c) : String.fromCharCode(c);
    } else {
      s += "\\" + String(c).padStart(3, "0");
    }
  }
  return s;
}

/**
 * Read a name at `pos`; returns [name, position after it] or null when malformed. Pointers
 * are followed (at most 64 hops). `text` false skips building the string.
 */
function readName(b: Uint8Array, pos: number, text: boolean): [string, number] | null {
  let name = "";
  let after = -1;
  let hops = 0;
  for (;;) {
    if (pos >= b.length) return null;
    const len = b[pos];
    if (len === 0) {
      if (after < 0) after = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= b.length || ++hops > 64) return null;
      if (after < 0) after = pos + 2;
      pos = ((len & 0x3f) << 8) | b[pos + 1];
      continue;
    }
    if ((len & 0xc0) !== 0 || pos + 1 + len > b.length) return null;
    if (text) name += (name === "" ? "" : ".") + label(b, pos + 1, len);
    pos += 1 + len;
  }
  return [name === "" ? "." : name, after];
}

/** Parse `wire`; null when even the header or question is truncated or malformed. */
export function parseDnsMessage(wire: Uint8Array): DnsSummary | null {
  if (wire.length < 12) return null;
  const f1 = wire[2], f2 = wire[3];
  const m: DnsSummary = {
    id: (wire[0] << 8) | wire[1],
    qr: (f1 & 0x80) !== 0,
    opcode: (f1 >> 3) & 0x0f,
    aa: (f1 & 0x04) !== 0,
    tc: (f1 & 0x02) !== 0,
    rd: (f1 & 0x01) !== 0,
    ra: (f2 & 0x80) !== 0,
    ad: (f2 & 0x20) !== 0,
    cd: (f2 & 0x10) !== 0,
    rcode: f2 & 0x0f,
    qdcount: (wire[4] << 8) | wire[5],
    ancount: (wire[6] << 8) | wire[7],
    nscount: (wire[8] << 8) | wire[9],
    arcount: (wire[10] << 8) | wire[11],
    qname: null,
    qtype: null,
    qclass: null,
    edns: -1,
    dnssecOk: false,
    udpSize: 0,
    cookie: false,
    ecs: null,
  };
  let pos = 12;
  for (let q = 0; q < m.qdcount; q++) {
    const n = readName(wire, pos, q === 0);
    if (!n || n[1] + 4 > wire.length) return q === 0 ? null : m;
    if (q === 0) {
      m.qname = n[0];
      m.qtype = (wire[n[1]] << 8) | wire[n[1] + 1];
      m.qclass = (wire[n[1] + 2] << 8) | wire[n[1] + 3];
    }
    pos = n[1] + 4;
  }
  // Skip answers and authority; read the OPT record of the additional section.
  const records = m.ancount + m.nscount + m.arcount;
  for (let r = 0; r < records; r++) {
    const n = readName(wire, pos, false);
    if (!n || n[1] + 10 > wire.length) return m; // truncated after the question: keep what we have
    const p = n[1];
    const type = (wire[p] << 8) | wire[p + 1];
    const rdlen = (wire[p + 8] << 8) | wire[p + 9];
    const rdata = p + 10;
    if (rdata + rdlen > wire.length) return m;
    if (type === 41 && r >= m.ancount + m.nscount) readOpt(wire, p, rdata, rdlen, m);
    pos = rdata + rdlen;
  }
  return m;
}

function readOpt(w: Uint8Array, p: number, rdata: number, rdlen: number, m: DnsSummary): void {
  m.udpSize = (w[p + 2] << 8) | w[p + 3];
  m.rcode |= w[p + 4] << 4;
  m.edns = w[p + 5];
  m.dnssecOk = (w[p + 6] & 0x80) !== 0;
  for (let o = rdata; o + 4 <= rdata + rdlen;) {
    const code = (w[o] << 8) | w[o + 1];
    const len = (w[o + 2] << 8) | w[o + 3];
    const v = o + 4;
    if (v + len > rdata + rdlen) break;
    if (code === 10) m.cookie = true;
    if (code === 8 && len >= 4) m.ecs = clientSubnet(w, v, len);
    o = v + len;
  }
}

function clientSubnet(w: Uint8Array, v: number, len: number): string | null {
  const family = (w[v] << 8) | w[v + 1];
  const source = w[v + 2];
  const addr = w.subarray(v + 4, v + len);
  if (family === 1 && source <= 32 && addr.length <= 4) {
    const b = [0, 0, 0, 0].map((_, i) => addr[i] ?? 0);
    return `${b.join(".")}/${source}`;
  }
  if (family === 2 && source <= 128 && addr.length <= 16) {
    const b = new Uint8Array(16);
    b.set(addr);
    return `${ipv6Text(b)}/${source}`;
  }
  return null;
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address as text; null for other lengths. */
export function addressText(b: Uint8Array): string | null {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length === 16) return ipv6Text(b);
  return null;
}

/** RFC 5952 text of 16 bytes. */
function ipv6Text(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i] << 8) | b[i + 1]);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

const TYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  3: "MD",
  4: "MF",
  5: "CNAME",
  6: "SOA",
  7: "MB",
  8: "MG",
  9: "MR",
  10: "NULL",
  11: "WKS",
  12: "PTR",
  13: "HINFO",
  14: "MINFO",
  15: "MX",
  16: "TXT",
  17: "RP",
  18: "AFSDB",
  19: "X25",
  20: "ISDN",
  21: "RT",
  22: "NSAP",
  23: "NSAP-PTR",
  24: "SIG",
  25: "KEY",
  26: "PX",
  27: "GPOS",
  28: "AAAA",
  29: "LOC",
  30: "NXT",
  31: "EID",
  32: "NIMLOC",
  33: "SRV",
  34: "ATMA",
  35: "NAPTR",
  36: "KX",
  37: "CERT",
  38: "A6",
  39: "DNAME",
  40: "SINK",
  41: "OPT",
  42: "APL",
  43: "DS",
  44: "SSHFP",
  45: "IPSECKEY",
  46: "RRSIG",
  47: "NSEC",
  48: "DNSKEY",
  49: "DHCID",
  50: "NSEC3",
  51: "NSEC3PARAM",
  52: "TLSA",
  53: "SMIMEA",
  55: "HIP",
  56: "NINFO",
  57: "RKEY",
  58: "TALINK",
  59: "CDS",
  60: "CDNSKEY",
  61: "OPENPGPKEY",
  62: "CSYNC",
  63: "ZONEMD",
  64: "SVCB",
  65: "HTTPS",
  99: "SPF",
  100: "UINFO",
  101: "UID",
  102: "GID",
  103: "UNSPEC",
  104: "NID",
  105: "L32",
  106: "L64",
  107: "LP",
  108: "EUI48",
  109: "EUI64",
  249: "TKEY",
  250: "TSIG",
  251: "IXFR",
  252: "AXFR",
  253: "MAILB",
  254: "MAILA",
  255: "ANY",
  256: "URI",
  257: "CAA",
  258: "AVC",
  259: "DOA",
  260: "AMTRELAY",
  261: "RESINFO",
  262: "WALLET",
  32768: "TA",
  32769: "DLV",
};

const CLASSES: Record<number, string> = { 1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY" };

const RCODES: Record<number, string> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
  11: "DSOTYPENI",
  16: "BADVERS",
  17: "BADKEY",
  18: "BADTIME",
  19: "BADMODE",
  20: "BADNAME",
  21: "BADALG",
  22: "BADTRUNC",
  23: "BADCOOKIE",
};

/** BIND's mnemonic of a type (`TYPE999` for unknown types). */
export function typeName(t: number): string {
  return TYPES[t] ?? `TYPE${t}`;
}

/** BIND's mnemonic of a class (`CLASS9` for unknown classes). */
export function className(c: number): string {
  return CLASSES[c] ?? `CLASS${c}`;
}

/** BIND's mnemonic of an rcode (`RCODE12` for unassigned ones). */
export function rcodeName(r: number): string {
  return RCODES[r] ?? `RCODE${r}`;
}
