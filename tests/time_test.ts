import assert from "node:assert/strict";
import { createZoneClock, resolveYearless } from "../lib/time.ts";

const wall = (s: string) => Date.parse(`${s}Z`);
const iso = (ms: number) => new Date(ms).toISOString();

Deno.test("wall clock to epoch in a fixed-offset zone", () => {
  const c = createZoneClock("Africa/Kampala");
  assert.equal(iso(c.toEpoch(wall("2026-11-25T20:43:16.780"))), "2026-11-25T17:43:16.780Z");
  assert.equal(iso(c.toWall(Date.parse("2026-11-25T17:43:16.780Z"))), "2026-11-25T20:43:16.780Z");
});

Deno.test("daylight saving: the repeated hour takes the earlier instant, the gap moves forward", () => {
  const c = createZoneClock("Europe/Berlin");
  assert.equal(iso(c.toEpoch(wall("2026-10-25T02:30:00"))), "2026-10-25T00:30:00.000Z");
  assert.equal(iso(c.toEpoch(wall("2026-10-25T03:30:00"))), "2026-10-25T02:30:00.000Z");
  assert.equal(iso(c.toEpoch(wall("2026-03-29T02:30:00"))), "2026-03-29T01:30:00.000Z");
  assert.equal(iso(c.toEpoch(wall("2026-07-01T12:00:00"))), "2026-07-01T10:00:00.000Z");
});

Deno.test("year-less syslog times land in the latest year not after the reference", () => {
  const ref = wall("2027-01-02T10:00:00");
  assert.equal(iso(resolveYearless(wall("2000-12-31T23:59:00"), ref)), "2026-12-31T23:59:00.000Z");
  assert.equal(iso(resolveYearless(wall("2000-01-02T09:00:00"), ref)), "2027-01-02T09:00:00.000Z");
  // 29 Feb only in a leap year.
  assert.equal(
    iso(resolveYearless(wall("2000-02-29T08:00:00"), wall("2027-03-01T00:00:00"))),
    "2024-02-29T08:00:00.000Z",
  );
});
