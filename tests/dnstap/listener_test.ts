/**
 * listenDnstap with a BatchStore in place of the database (as an edge has, lib/bus/): what
 * each commit of the socket's batches hands over, without PostgreSQL.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { listenDnstap } from "../../lib/dnstap/listener.ts";
import type { BatchData } from "../../lib/ingest/batch.ts";
import type { WriterContext } from "../../lib/ingest/commit.ts";
import { DNSTAP_COLUMNS } from "../../lib/ingest/row_sink.ts";
import { createLogger } from "../../lib/log.ts";
import { clientFrame, openWriter } from "./socket_writer.ts";

const DOMAIN = DNSTAP_COLUMNS.indexOf("domain");

Deno.test("listener: a connection's STOP makes final its queries, not a newer connection's", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-listener-" });
  const path = join(dir, "tap.sock");
  const batches: BatchData[] = [];
  const ctx: WriterContext = {
    sql: undefined as never,
    nodeId: 1,
    tz: "UTC",
    knownDays: new Set(),
    store: {
      peek: () => Promise.resolve(null),
      commit: (batch) => {
        batches.push(batch);
        return Promise.resolve("committed");
      },
    },
  };
  const stop = new AbortController();
  const log = createLogger({ level: "error" });
  const listening = listenDnstap(ctx, { path, log, signal: stop.signal, flushMs: 200 });
  const waiting = (name: string) =>
    batches.flatMap((b) =>
      (b.dnstap?.waiting ?? []).filter((w) => w.values[DOMAIN] === name).map((w) => ({ b, w }))
    );
  try {
    for (let i = 0; i < 100 && !(await Deno.lstat(path).catch(() => null))?.isSocket; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // A named stops with a query unanswered; the named started after it asks before the
    // next commit, and its answer is still to come.
    const old = await openWriter(path);
    const next = await openWriter(path);
    const t = Date.now();
    await old.send([clientFrame(5, 41000, 1, "gone.test.example", t - 10)]);
    await old.stop();
    await next.send([clientFrame(5, 41001, 2, "late.test.example", t)]);
    for (let i = 0; i < 250 && waiting("late.test.example").length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const seen = [...batches]; // the commit after the new connection's own STOP aside
    await next.stop();
    const [late] = waiting("late.test.example");
    assert.ok(late && waiting("gone.test.example").length > 0, "both queries waited");
    const cutoff = late.b.dnstap!.expireBefore.getTime();
    assert.ok(
      cutoff <= t,
      `the new connection's query waits for its answer (cutoff ${cutoff - t} ms after it)`,
    );
    assert.ok(
      seen.some((b) => b.dnstap!.expireBefore.getTime() > t - 10),
      "the stopped connection's query became final",
    );
  } finally {
    stop.abort();
    await listening;
    await Deno.remove(dir, { recursive: true });
  }
});
