import assert from "node:assert/strict";
import { isFinalFile, isRotatedFile, orderRotatedFiles } from "../../lib/tail/file_set.ts";

Deno.test("rotated sets are read oldest first whatever the argument order", () => {
  const got = orderRotatedFiles([
    "/l/queries.log",
    "/l/query-errors.log",
    "/l/queries.log.0",
    "/l/queries.log.10",
    "/l/queries.log.2.gz",
    "/l/query-errors.log.0",
    "/l/queries.log.1",
  ]);
  assert.deepEqual(got, [
    "/l/queries.log.10",
    "/l/queries.log.2.gz",
    "/l/queries.log.1",
    "/l/queries.log.0",
    "/l/queries.log",
    "/l/query-errors.log.0",
    "/l/query-errors.log",
  ]);
});

Deno.test("BIND suffix timestamp and logrotate dateext names sort by time", () => {
  assert.deepEqual(
    orderRotatedFiles([
      "q/queries.log",
      "q/queries.log.20261125204523000",
      "q/queries.log.20261125204516064",
    ]),
    ["q/queries.log.20261125204516064", "q/queries.log.20261125204523000", "q/queries.log"],
  );
  assert.deepEqual(
    orderRotatedFiles(["a/q.log-20261125.gz", "a/q.log", "a/q.log-20261124"]),
    ["a/q.log-20261124", "a/q.log-20261125.gz", "a/q.log"],
  );
});

Deno.test("a path named twice is read once", () => {
  assert.deepEqual(orderRotatedFiles(["x.log", "x.log", "x.log.0"]), ["x.log.0", "x.log"]);
});

Deno.test("rotated versions are told from the live file", () => {
  for (
    const rotated of [
      "/l/queries.log.0",
      "/l/queries.log.12",
      "/l/queries.log.3.gz",
      "/l/queries.log.20261125093000123",
      "/l/queries.log-20261125",
      "/l/queries.log-20261125.gz",
      "/l/tap.fstrm.1",
      "/l/queries.log.gz",
    ]
  ) assert.equal(isRotatedFile(rotated), true, rotated);
  for (
    const live of ["/l/queries.log", "/l/query-errors.log", "/l/tap.fstrm", "/l/dnstap-1.fstrm"]
  ) {
    assert.equal(isRotatedFile(live), false, live);
  }
});

Deno.test("a rotated file's end is final once it was left unchanged for a while", () => {
  const now = Date.UTC(2026, 10, 25, 12);
  const ago = (ms: number) => new Date(now - ms);
  assert.equal(isFinalFile("/l/queries.log.0", ago(60_000), now), true);
  assert.equal(isFinalFile("/l/queries.log.0", ago(1_000), now), false, "a copy being made");
  assert.equal(isFinalFile("/l/queries.log", ago(3_600_000), now), false, "the live file");
  assert.equal(isFinalFile("/l/queries.log.0", null, now), false, "no time known");
});
