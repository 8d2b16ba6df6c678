import assert from "node:assert/strict";
import { ingestService } from "../../lib/serve/service.ts";

Deno.test("ingestService: stop aborts the run and finished gives its result", async () => {
  const service = ingestService("reader", async (signal) => {
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    return { rows: 3 };
  });
  assert.equal(service.name, "reader");
  await service.start();
  await service.stop();
  assert.deepEqual(await service.finished, { rows: 3 });
  await service.stop(); // idempotent
});

Deno.test("ingestService: a run that fails rejects finished; stop still returns", async () => {
  const service = ingestService("reader", () => Promise.reject(new Error("disk gone")));
  await service.start();
  await assert.rejects(service.finished, /disk gone/);
  await service.stop();
});

Deno.test("ingestService: stopped before it started, it never runs", async () => {
  let ran = false;
  const service = ingestService("reader", () => {
    ran = true;
    return Promise.resolve(0);
  });
  await service.stop();
  await service.start();
  assert.equal(ran, false);
});
