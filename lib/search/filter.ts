/**
 * The filters of the raw query search (`report queries`, `GET /api/queries`, the drill-downs),
 * parsed from text and validated. Every filter is optional and they combine with AND.
 *
 * - `from`, `to`: a date `YYYY-MM-DD` (the whole day in DNSA_LOG_TZ) or an ISO timestamp
 *   (`2026-11-25T20:43:16.780`, with or without `Z`/`+03:00`; without a zone it is wall time in
 *   DNSA_LOG_TZ). `from` is inclusive; `to` includes its whole day, or its whole millisecond.
 * - `client`: an address (`10.10.10.31`), a network (`10.10.10.0/24`) or a client name
 *   (`printer`, also matching `printer.<anything>`) from dns_client_names.
 * - `domain`: an exact name, or `*.example.com` for example.com and every name below it.
 * - `apex`, `qtype`, `rcode` (a mnemonic or `unknown` = the source did not say), `transport`,
 *   `node`: lists separated by commas where that makes sense.
 *
 * @example
 * ```ts
 * const f = parseQueryFilter({ client: "10.10.10.0/24", rcode: "REFUSED" }, { tz: "UTC" });
 * if (f.ok) console.log(f.value.client); // { kind: "cidr", value: "10.10.10.0/24" }
 * ```
 * @module
 */
import { isIP } from "node:net";
import { createZoneClock } from "../time.ts";

/** Who asked: an address, a network, or a name looked up in dns_client_names. */
export type ClientFilter =
  | { kind: "ip"; value: string }
  | { kind: "cidr"; value: string }
  | { kind: "name"; value: string };

/** Which names: one exact name, or a name and everything below it. */
export type DomainFilter = { kind: "exact"; value: string } | { kind: "suffix"; value: string };

/** A validated search. Instants are epoch ms; `to` is exclusive. */
export interface QueryFilter {
  from: number | null;
  to: number | null;
  nodes: string[] | null;
  client: ClientFilter | null;
  domain: DomainFilter | null;
  apex: string | null;
  qtypes: string[] | null;
  /** rcode mnemonics (upper case); `unknown` is {@linkcode QueryFilter.unknownRcode}. */
  rcodes: string[] | null;
  unknownRcode: boolean;
  transports: string[] | null;
}

/** The text form of the filters (CLI options, URL parameters). */
export interface FilterInput {
  from?: string | null;
  to?: string | null;
  node?: string | null;
  client?: string | null;
  domain?: string | null;
  apex?: string | null;
  qtype?: string | null;
  rcode?: string | null;
  transport?: string | null;
}

/** The names of {@linkcode FilterInput}, as CLI options and URL parameters. */
export const FILTER_KEYS = [
  "from",
  "to",
  "node",
  "client",
  "domain",
  "apex",
  "qtype",
  "rcode",
  "transport",
] as const;

/** A filter that is not valid: `param` names it. */
export interface FilterError {
  ok: false;
  param: string;
  message: string;
}

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const MNEMONIC = /^[A-Z][A-Z0-9]{0,15}$/;
const TRANSPORT = /^[a-z][a-z0-9-]{0,15}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const STAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;
const DAY = 86_400_000;

/** A query name as stored: ASCII lower case, surrounding space and one trailing dot removed. */
export function normalizeName(name: string): string {
  const lower = name.trim().replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return lower.length > 1 && lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** `text` with LIKE's wildcards (`%`, `_`) and its escape (`\`) escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A time bound as an epoch ms: a date is its midnight in `tz` (`end`: the next midnight), a
 * timestamp its instant (`end`: one millisecond after it). Null when `text` is neither.
 */
export function parseTimeBound(text: string, tz: string, end: boolean): number | null {
  const t = text.trim();
  const clock = createZoneClock(tz);
  const d = DATE.exec(t);
  if (d) {
    const wall = Date.UTC(+d[1], +d[2] - 1, +d[3]);
    if (new Date(wall).toISOString().slice(0, 10) !== t) return null;
    return clock.toEpoch(end ? wall + DAY : wall);
  }
  const m = STAMP.exec(t);
  if (!m) return null;
  const [, y, mo, da, hh, mi, ss = "0", frac = "0", zone] = m;
  if (+mo < 1 || +mo > 12 || +da < 1 || +da > 31 || +hh > 23 || +mi > 59 || +ss > 59) return null;
  const ms = Number(frac.padEnd(3, "0").slice(0, 3));
  const wall = Date.UTC(+y, +mo - 1, +da, +hh, +mi, +ss, ms);
  if (new Date(wall).getUTCDate() !== +da) return null;
  let at: number;
  if (zone === undefined) at = clock.toEpoch(wall);
  else if (zone === "Z") at = wall;
  else {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const off = (+z[2] * 60 + +z[3]) * 60_000 * (z[1] === "-" ? -1 : 1);
    at = wall - off;
  }
  return end ? at + 1 : at;
}

/** An address, a network or a name. Null for an empty or impossible value. */
export function parseClient(text: string): ClientFilter | null {
  const t = text.trim();
  if (t === "" || t.length > 253) return null;
  if (isIP(t)) return { kind: "ip", value: t };
  const slash = t.indexOf("/");
  if (slash > 0) {
    const addr = t.slice(0, slash);
    const bits = t.slice(slash + 1);
    const family = isIP(addr);
    if (family === 0 || !/^\d{1,3}$/.test(bits) || +bits > (family === 4 ? 32 : 128)) {
      return null;
    }
    return { kind: "cidr", value: `${addr}/${+bits}` };
  }
  if (/\s/.test(t)) return null;
  return { kind: "name", value: t.toLowerCase() };
}

/** An exact name or `*.name`. Null for an empty value. */
export function parseDomain(text: string): DomainFilter | null {
  const t = text.trim();
  if (t.startsWith("*.")) {
    const value = normalizeName(t.slice(2));
    return value === "" || value === "." || value.length > 1100 ? null : { kind: "suffix", value };
  }
  const value = normalizeName(t);
  return value === "" || value.length > 1100 ? null : { kind: "exact", value };
}

function list(text: string | null | undefined): string[] | null {
  if (text === null || text === undefined) return null;
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  return items.length === 0 ? null : [...new Set(items)];
}

function fail(param: string, message: string): FilterError {
  return { ok: false, param, message: `${param}: ${message}` };
}

/** Validate the filters; never throws. */
export function parseQueryFilter(
  input: FilterInput,
  options: { tz: string },
): { ok: true; value: QueryFilter } | FilterError {
  const value: QueryFilter = {
    from: null,
    to: null,
    nodes: null,
    client: null,
    domain: null,
    apex: null,
    qtypes: null,
    rcodes: null,
    unknownRcode: false,
    transports: null,
  };
  for (const key of ["from", "to"] as const) {
    const raw = input[key];
    if (raw === null || raw === undefined || raw.trim() === "") continue;
    const at = parseTimeBound(raw, options.tz, key === "to");
    if (at === null) {
      return fail(key, "must be a date YYYY-MM-DD or a timestamp such as 2026-11-25T20:43:16");
    }
    value[key] = at;
  }
  if (value.from !== null && value.to !== null && value.from >= value.to) {
    return fail("from", "must be before to");
  }
  const nodes = list(input.node);
  if (nodes) {
    const bad = nodes.find((n) => !NODE_NAME.test(n));
    if (bad !== undefined) return fail("node", `${JSON.stringify(bad)} is not a node name`);
    value.nodes = nodes;
  }
  if (input.client !== null && input.client !== undefined && input.client.trim() !== "") {
    value.client = parseClient(input.client);
    if (!value.client) {
      return fail("client", "must be an address, a network such as 10.10.10.0/24, or a name");
    }
  }
  if (input.domain !== null && input.domain !== undefined && input.domain.trim() !== "") {
    value.domain = parseDomain(input.domain);
    if (!value.domain) return fail("domain", "must be a name, or *.name for a name and below");
  }
  if (input.apex !== null && input.apex !== undefined && input.apex.trim() !== "") {
    value.apex = normalizeName(input.apex);
  }
  const qtypes = list(input.qtype)?.map((s) => s.toUpperCase());
  if (qtypes) {
    const bad = qtypes.find((s) => !MNEMONIC.test(s));
    if (bad !== undefined) return fail("qtype", `${JSON.stringify(bad)} is not a query type`);
    value.qtypes = qtypes;
  }
  const rcodes = list(input.rcode)?.map((s) => s.toUpperCase());
  if (rcodes) {
    const bad = rcodes.find((s) => !MNEMONIC.test(s));
    if (bad !== undefined) return fail("rcode", `${JSON.stringify(bad)} is not an rcode`);
    value.unknownRcode = rcodes.includes("UNKNOWN");
    const named = rcodes.filter((s) => s !== "UNKNOWN");
    value.rcodes = named.length > 0 ? named : null;
  }
  const transports = list(input.transport)?.map((s) => s.toLowerCase());
  if (transports) {
    const bad = transports.find((s) => !TRANSPORT.test(s));
    if (bad !== undefined) return fail("transport", `${JSON.stringify(bad)} is not a transport`);
    value.transports = transports;
  }
  return { ok: true, value };
}
