/**
 * Throughput of the BIND line parser and of the domain functions over the real fixture lines.
 * `deno bench -A tests/parse/parse_bench.ts`. Each bench is one pass over all lines (the line
 * count is in its name: lines/s = count / time per iteration); the same loops are also timed
 * once at load and printed as lines/s.
 *
 * Two inputs: lines split from one decoded text (V8 "sliced" strings: what a reader that
 * decodes a chunk and splits it hands over) and the same lines as standalone strings (what a
 * reader that decodes each line's bytes separately hands over). V8 reads characters of
 * sliced strings more slowly, so both are shown.
 */

import { gunzipSync } from "node:zlib";
import { apexDomain, normalizeDomain } from "../../lib/domain.ts";
import { parseBindLine } from "../../lib/parse/bind_line.ts";
import { Batch } from "../../lib/ingest/batch.ts";
import { FastQueryPath } from "../../lib/ingest/fast_query.ts";
import { createZoneClock } from "../../lib/time.ts";

const DIR = new URL("../fixtures/bind-9.18/", import.meta.url);
const decoder = new TextDecoder();

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

const queryText = decoder.decode(gunzipSync(await Deno.readFile(new URL("queries.log.gz", DIR))));
const slicedQueries = splitLines(queryText);
const encoder = new TextEncoder();
/** Each line decoded from its own bytes: flat strings, as a per-line byte reader yields. */
const flatQueries = slicedQueries.map((l) => decoder.decode(encoder.encode(l)));
const errorLines = splitLines(await Deno.readTextFile(new URL("query-errors.log", DIR)))
  .map((l) => decoder.decode(encoder.encode(l)));
const qnames = flatQueries.map((l) => {
  const r = parseBindLine(l);
  return r.kind === "query" ? r.qname : "";
});

/** Keeps results observable so the optimiser cannot drop the work. */
let sink = 0;

function linesPerSecond(name: string, n: number, run: () => void): void {
  const passes = 20;
  run(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < passes; i++) run();
  const ms = (performance.now() - t0) / passes;
  console.log(`${name}: ${(n / ms / 1000).toFixed(2)} M lines/s (${n} lines, ${ms.toFixed(1)} ms)`);
}

function parseAll(lines: string[]): void {
  for (const line of lines) {
    const r = parseBindLine(line);
    if (r.kind === "query" || r.kind === "error") sink += r.qname.length + r.time;
    else sink++;
  }
}

function domainsAll(names: string[]): void {
  for (const q of names) sink += apexDomain(normalizeDomain(q)).length;
}

function normalizeAll(names: string[]): void {
  for (const q of names) sink += normalizeDomain(q).length;
}

const nq = slicedQueries.length;
Deno.bench(`parseBindLine queries.log, flat strings (${nq} lines/iter)`, {
  group: "parse",
  baseline: true,
}, () => parseAll(flatQueries));
Deno.bench(`parseBindLine queries.log, sliced strings (${nq} lines/iter)`, {
  group: "parse",
}, () => parseAll(slicedQueries));
Deno.bench(`parseBindLine query-errors.log (${errorLines.length} lines/iter)`, {
  group: "errors",
}, () => parseAll(errorLines));
Deno.bench(`normalizeDomain (${qnames.length} names/iter)`, { group: "domain" }, () => {
  normalizeAll(qnames);
});
Deno.bench(`normalizeDomain + apexDomain (${qnames.length} names/iter)`, {
  group: "domain",
}, () => domainsAll(qnames));

// The same work once more outside the bench harness, printed as lines/s.
linesPerSecond("parseBindLine, flat", nq, () => parseAll(flatQueries));
linesPerSecond("parseBindLine, sliced", nq, () => parseAll(slicedQueries));
linesPerSecond("parseBindLine, query-errors", errorLines.length, () => parseAll(errorLines));
linesPerSecond("normalizeDomain", qnames.length, () => normalizeAll(qnames));
linesPerSecond("normalizeDomain+apexDomain", qnames.length, () => domainsAll(qnames));

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});

// The ingest hot path: common query lines from bytes straight into binary COPY rows (no
// strings), with the general parser taking the rest, as `ingest` runs them.
const queryBytes = gunzipSync(await Deno.readFile(new URL("queries.log.gz", DIR)));
const lineEnds: number[] = [];
for (let i = queryBytes.indexOf(10); i >= 0; i = queryBytes.indexOf(10, i + 1)) lineEnds.push(i);
const fastPath = new FastQueryPath({ clock: createZoneClock("UTC"), nodeId: 1 });

function fastAll(): void {
  const batch = new Batch({ path: "bench", fingerprint: "bench", startOffset: 0 });
  let start = 0;
  for (const end of lineEnds) {
    if (fastPath.tryLine(queryBytes, start, end + 1, batch) < 0) {
      const r = parseBindLine(decoder.decode(queryBytes.subarray(start, end)));
      sink += r.kind === "query" ? r.qname.length : 1;
    }
    start = end + 1;
  }
  sink += batch.counts.rows;
}

linesPerSecond("ingest fast path, bytes to COPY rows", lineEnds.length, fastAll);

Deno.bench({
  name: `ingest fast path, queries.log bytes to COPY rows (${lineEnds.length} lines/iter)`,
  group: "fast",
  fn: fastAll,
});
