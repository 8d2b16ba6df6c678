import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { Batch } from "../../lib/ingest/batch.ts";
import { createRunState, LineReader } from "../../lib/ingest/line_handler.ts";
import { ParseThread } from "../../lib/ingest/parse_thread.ts";
import type { BatchCursor, FileReader } from "../../lib/tail/source.ts";
import type { SourceFile } from "../../lib/tail/source_file.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url);
const MTIME = Date.UTC(2025, 0, 2);
const FILE = { mtime: new Date(MTIME) } as SourceFile;

/** The fixture's query and query-errors lines, a few bad lines, and an unterminated end. */
function input(): Uint8Array {
  const queries = gunzipSync(Deno.readFileSync(new URL("queries.log.gz", FIXTURES)));
  const errors = Deno.readFileSync(new URL("query-errors.log", FIXTURES));
  const bad = new Uint8Array([0x66, 0xff, 0xfe, 0x0a, 0x00, 0x0a, 0x0a, 0x78, 0x79]);
  const all = new Uint8Array(queries.length + errors.length + bad.length);
  all.set(queries);
  all.set(errors, queries.length);
  all.set(bad, queries.length + errors.length);
  return all;
}

/** What a commit reads of each batch (its COPY data as one byte string). */
function summary(b: Batch) {
  const rows = b.rows as { blocks: Uint8Array[] };
  const bytes = b.counts.rows > 0 ? rows.blocks.map((x) => [...x].join(",")).join(",") : "";
  return {
    endOffset: b.endOffset,
    counts: b.counts,
    errors: b.errors,
    rejects: b.rejects.map((r) => ({ ...r, sample: [...r.sample] })),
    days: [...b.days].sort(),
    span: [b.minAt, b.maxAt, b.lastLineAt],
    bytes,
  };
}

/** Read `data` in blocks of `step` bytes through `reader`, cutting every full batch. */
async function readAll(reader: FileReader, data: Uint8Array, step: number) {
  const out: ReturnType<typeof summary>[] = [];
  const cursor: BatchCursor & { batch: Batch } = {
    batch: new Batch({ path: "q", fingerprint: "f", startOffset: 0 }, { format: "blocks" }),
    cut() {
      out.push(summary(this.batch));
      this.batch = new Batch({ path: "q", fingerprint: "f", startOffset: this.batch.endOffset }, {
        format: "blocks",
      });
      return Promise.resolve();
    },
  };
  for (let i = 0; i < data.length; i += step) {
    await reader.push(data.slice(i, i + step), cursor);
  }
  const { pendingBytes } = await reader.end(cursor, true);
  out.push(summary(cursor.batch));
  return { out, pendingBytes };
}

Deno.test("parse thread: the same batches, offsets, counts and COPY data as the main thread's reader", async () => {
  const data = input();
  const state = createRunState({ tz: "Africa/Kampala", nodeId: 3, fast: true, privacy: null });
  state.refWall = state.clock.toWall(MTIME);
  const here = await readAll(new LineReader(state, 0, 5000), data, 65_536);
  assert.ok(here.out.length > 4, `${here.out.length} batches`);
  assert.ok(here.out.some((b) => b.counts.rejected > 0 && b.errors.length > 0));

  const thread = new ParseThread({ tz: "Africa/Kampala", nodeId: 3 });
  try {
    const there = await readAll(thread.reader(FILE, 0, 5000), data, 65_536);
    assert.equal(await thread.ready, true);
    assert.equal(there.pendingBytes, here.pendingBytes);
    assert.deepEqual(there.out, here.out);
    // A second file on the same thread, read in other block sizes, from an offset.
    const start = here.out[1].endOffset;
    const again = await readAll(thread.reader(FILE, start, 5000), data.subarray(start), 250_000);
    assert.equal(again.out.at(-1)!.endOffset, data.length);
    assert.equal(
      again.out.reduce((n, b) => n + b.counts.rows, 0),
      here.out.slice(2).reduce((n, b) => n + b.counts.rows, 0),
    );
  } finally {
    thread.close();
  }
});

Deno.test("parse thread: without its worker module the main thread parses, with the same result", async () => {
  const data = input().subarray(0, 400_000);
  const state = createRunState({ tz: "UTC", nodeId: 1, fast: true, privacy: null });
  state.refWall = state.clock.toWall(MTIME);
  const here = await readAll(new LineReader(state, 0, 1000), data, 100_000);
  const thread = new ParseThread(
    { tz: "UTC", nodeId: 1 },
    new URL("./no_such_worker.ts", import.meta.url),
  );
  try {
    const there = await readAll(thread.reader(FILE, 0, 1000), data, 100_000);
    assert.equal(await thread.ready, false);
    assert.deepEqual(there.out, here.out);
    assert.equal(there.pendingBytes, here.pendingBytes);
  } finally {
    thread.close();
  }
});
