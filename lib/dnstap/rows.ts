/**
 * dnstap frames → dns_queries rows, as the contract says: one row per CLIENT_RESPONSE (joined
 * with its CLIENT_QUERY when there is one: same client address, port, transport and DNS id),
 * plus one per CLIENT_QUERY that never got a response (rcode NULL). RESOLVER_*, FORWARDER_*
 * and other frames are not rows. A response without a question section gives a row with
 * `domain` and `qtype` NULL.
 *
 * Within a batch the join happens here; queries still unanswered when the batch ends wait in
 * the database (dnstap_pending, see commit.ts) for a later batch's response, and become rows of
 * their own after 60 s.
 *
 * @module
 */
import { apexDomain, normalizeDomain } from "../domain.ts";
import type { Batch } from "../ingest/batch.ts";
import { type DnstapRow, dnstapRowValues } from "../ingest/row_sink.ts";
import type { ZoneClock } from "../time.ts";
import type { PrivacyPolicy } from "../privacy/policy.ts";
import { countExcluded } from "../ingest/counts.ts";
import { decodeDnstap, DnstapDecodeError, type DnstapRecord, MessageType } from "./message.ts";
import {
  addressText,
  className,
  type DnsSummary,
  parseDnsMessage,
  rcodeName,
  typeName,
} from "./wire.ts";

/** A query unanswered for this long (by the frames' own clock) counts as never answered. */
export const DNSTAP_ANSWER_WINDOW_MS = 60_000;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** What happened to one frame. */
export type FrameOutcome = "row" | "waiting" | "skipped" | "malformed" | "excluded";

const EXCLUDED = Symbol("excluded");

/** BIND's flag string of a query: `+`/`-` (RD), `E(n)`, `T`, `D`, `C`, `K`. */
function flagString(m: DnsSummary, tcp: boolean): string {
  return (m.rd ? "+" : "-") + (m.edns >= 0 ? `E(${m.edns})` : "") + (tcp ? "T" : "") +
    (m.dnssecOk ? "D" : "") + (m.cd ? "C" : "") + (m.cookie ? "K" : "");
}

/** A message's header flags as dig prints them: `qr aa tc rd ra ad cd`, only those set. */
function headerFlags(m: DnsSummary): string {
  const f: string[] = [];
  if (m.qr) f.push("qr");
  if (m.aa) f.push("aa");
  if (m.tc) f.push("tc");
  if (m.rd) f.push("rd");
  if (m.ra) f.push("ra");
  if (m.ad) f.push("ad");
  if (m.cd) f.push("cd");
  return f.join(" ");
}

/** Joins query and response frames into rows of a batch. */
export class DnstapAssembler {
  readonly #nodeId: number;
  readonly #clock: ZoneClock;
  #waiting = new Map<string, DnstapRow>();
  #answered: string[] = [];
  #names = new Map<string, { domain: string; apex: string }>();
  /** The latest frame time seen, ms. */
  lastFrameMs = 0;

  readonly #privacy: PrivacyPolicy | null;

  constructor(options: { nodeId: number; clock: ZoneClock; privacy?: PrivacyPolicy }) {
    this.#nodeId = options.nodeId;
    this.#clock = options.clock;
    this.#privacy = options.privacy?.active ? options.privacy : null;
  }

  #name(qname: string): { domain: string; apex: string } {
    let n = this.#names.get(qname);
    if (n === undefined) {
      const domain = normalizeDomain(qname);
      n = { domain, apex: apexDomain(domain) };
      if (this.#names.size >= 50_000) this.#names.clear();
      this.#names.set(qname, n);
    }
    return n;
  }

  #row(rec: DnstapRecord, m: DnsSummary, atUs: number): DnstapRow | null | typeof EXCLUDED {
    let client = rec.queryAddress ? addressText(rec.queryAddress) : null;
    if (client === null) return null;
    const names = m.qname === null ? null : this.#name(m.qname);
    let domain = names?.domain ?? null, ecs = m.ecs;
    if (this.#privacy) {
      const r = this.#privacy.row({ client, domain, apex: names?.apex ?? null });
      if (r === null) return EXCLUDED;
      client = r.client;
      domain = r.domain;
      ecs = this.#privacy.subnet(ecs);
    }
    return {
      atUs,
      client,
      port: rec.queryPort,
      domain,
      apex: names?.apex ?? null,
      qtype: m.qtype === null ? null : typeName(m.qtype),
      flags: flagString(m, rec.transport === "tcp"),
      nodeId: this.#nodeId,
      qclass: m.qclass === null ? null : className(m.qclass),
      transport: rec.transport,
      rd: m.rd,
      edns: m.edns >= 0 ? m.edns : null,
      dnssecOk: m.dnssecOk,
      cd: m.cd,
      ecs,
      server: rec.responseAddress ? addressText(rec.responseAddress) : null,
      rcode: null,
      latencyUs: null,
      size: null,
      responseFlags: null,
      answerCount: null,
    };
  }

  #key(rec: DnstapRecord, id: number): string {
    const a = rec.queryAddress;
    let hex = "";
    // The key waits in dnstap_pending: it holds the address as stored, never more.
    if (a && this.#privacy && this.#privacy.ingest.mode !== "full") {
      hex = this.#privacy.ingest.text(addressText(a) ?? "") ?? "";
    } else if (a) { for (let i = 0; i < a.length; i++) hex += HEX[a[i]]; }
    return `${hex}#${rec.queryPort ?? ""}#${rec.transport ?? ""}#${id}`;
  }

  #wallDay(atUs: number): number {
    return Math.floor(this.#clock.toWall(Math.floor(atUs / 1000)) / 86_400_000);
  }

  /** Handle one frame's record; complete rows go into `batch`. */
  add(rec: DnstapRecord, batch: Batch): FrameOutcome {
    if (rec.type !== MessageType.CLIENT_QUERY && rec.type !== MessageType.CLIENT_RESPONSE) {
      return "skipped";
    }
    const isQuery = rec.type === MessageType.CLIENT_QUERY;
    const wire = isQuery ? rec.queryMessage : rec.responseMessage;
    const m = wire ? parseDnsMessage(wire) : null;
    const timeUs = isQuery
      ? rec.queryTimeUs ?? rec.responseTimeUs
      : rec.queryTimeUs ?? rec.responseTimeUs;
    if (!m || timeUs === null) return "malformed";
    const ms = Math.floor(timeUs / 1000);
    if (ms > this.lastFrameMs) this.lastFrameMs = ms;
    const key = this.#key(rec, m.id);
    if (isQuery) {
      const row = this.#row(rec, m, timeUs);
      if (row === EXCLUDED) return "excluded";
      if (!row) return "malformed";
      const earlier = this.#waiting.get(key);
      // The same client, port and id again before an answer: the earlier one stays unanswered.
      if (earlier) this.#emit(earlier, batch);
      this.#waiting.set(key, row);
      return "waiting";
    }
    const query = this.#waiting.get(key);
    let row: DnstapRow | null;
    if (query) {
      this.#waiting.delete(key);
      row = query;
      const respUs = rec.responseTimeUs ?? timeUs;
      row.latencyUs = Math.max(0, Math.round(respUs - query.atUs));
    } else {
      const own = this.#row(rec, m, timeUs);
      if (own === EXCLUDED) return "excluded";
      this.#answered.push(key);
      row = own;
      if (!row) return "malformed";
      if (rec.queryTimeUs !== null && rec.responseTimeUs !== null) {
        row.latencyUs = Math.max(0, Math.round(rec.responseTimeUs - rec.queryTimeUs));
      }
    }
    row.rcode = rcodeName(m.rcode);
    row.size = wire!.length;
    row.responseFlags = headerFlags(m);
    row.answerCount = Math.min(m.ancount, 32767);
    this.#emit(row, batch);
    return "row";
  }

  /**
   * Count one data frame into `batch`: decode it, join it, and count it as a row, waiting,
   * skipped, or rejected (`dnstap_undecodable`, with a sample while `keepSample`).
   */
  addFrame(payload: Uint8Array, offset: number, batch: Batch, keepSample: boolean): FrameOutcome {
    batch.counts.lines++;
    let outcome: FrameOutcome;
    try {
      outcome = this.add(decodeDnstap(payload), batch);
    } catch (error) {
      if (!(error instanceof DnstapDecodeError)) throw error;
      outcome = "malformed";
    }
    if (outcome === "skipped") batch.counts.skipped++;
    else if (outcome === "excluded") countExcluded(batch.counts);
    else if (outcome === "malformed") {
      batch.addReject({
        reason: "dnstap_undecodable",
        byteOffset: offset,
        length: payload.length,
        // A frame's addresses are binary and cannot be found to redact: no sample then.
        sample: this.#privacy?.stored.mode === "full" || !this.#privacy
          ? payload.slice(0, 512)
          : new Uint8Array(),
      }, keepSample);
    }
    return outcome;
  }

  #emit(row: DnstapRow, batch: Batch): void {
    batch.addDnstapRow(row, this.#wallDay(row.atUs));
  }

  /**
   * Forget the queries and answers taken since the last {@linkcode seal}: their frames are
   * read again (a failed commit, a checkpoint another process moved).
   */
  reset(): void {
    this.#waiting = new Map();
    this.#answered = [];
    // Frames past the last commit are read again: until then the latest frame is not known.
    // Kept, it would expire queries whose responses are among those frames (two rows each).
    this.lastFrameMs = 0;
  }

  /**
   * End `batch`: its unanswered queries wait in the database, and queries waiting since
   * before `expireBefore` become rows (default: 60 s before the latest frame).
   */
  seal(batch: Batch, expireBefore?: Date): void {
    const waiting = [...this.#waiting.entries()].map(([key, row]) => {
      batch.days.add(this.#wallDay(row.atUs));
      return { key, atUs: row.atUs, values: dnstapRowValues(row) };
    });
    batch.dnstap = {
      waiting,
      answered: this.#answered,
      expireBefore: expireBefore ?? new Date(this.lastFrameMs - DNSTAP_ANSWER_WINDOW_MS),
    };
    this.#waiting = new Map();
    this.#answered = [];
  }
}
