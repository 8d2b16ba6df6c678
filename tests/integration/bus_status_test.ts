/**
 * Central serve's view of the bus (lib/bus/status_service.ts) against a real nats-server:
 * the durable consumer's pending messages and redeliveries in the metrics, and `dnsa_bus_up`
 * 0 with a warning while the bus does not answer.
 */
import assert from "node:assert/strict";
import { connectNats } from "../../lib/bus/nats.ts";
import { createBusStatusService } from "../../lib/bus/status_service.ts";
import { loadConfig } from "../../lib/config.ts";
import { createLogger } from "../../lib/log.ts";
import { formatExposition, MetricsRecorder, recorderFamilies } from "../../lib/metrics.ts";
import { natsServerPath, startNats } from "./nats.ts";

/** The value of the sample of `name` in `text`, or null when it has none. */
function sample(text: string, name: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? null : Number(line.split(" ")[1]);
}

Deno.test({
  name: "bus status: consumer pending and redeliveries in the metrics of a central serve",
  ignore: natsServerPath() === null,
  async fn() {
    const nats = await startNats();
    const config = loadConfig({
      env: { DNSA_BUS: nats.url, DATABASE_URL: "postgres://u@127.0.0.1/db" },
    });
    const logged: string[] = [];
    const metrics = new MetricsRecorder({ source: "querylog" });
    const service = createBusStatusService(config, {
      log: createLogger({ write: (line) => logged.push(line) }),
      metrics,
      everyMs: 100,
    });
    const scrape = () => formatExposition(recorderFamilies(metrics, { node: "central" }));
    const until = async (ok: (text: string) => boolean) => {
      const end = Date.now() + 20_000;
      while (!ok(scrape()) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
      return scrape();
    };
    try {
      const bus = await connectNats(config.bus!, { name: "test" });
      await bus.setup();
      for (let i = 0; i < 3; i++) {
        const headers = { node: "edge1", fingerprint: "fp", startOffset: i, endOffset: i + 1 };
        await bus.publish(new Uint8Array([i]), { msgId: `edge1:fp:${i}-${i + 1}`, headers });
      }
      // One message taken and given back: delivered again, a redelivery.
      await bus.fetch({ max: 1, expiresMs: 1000, each: (d) => d.nak(0) });
      await bus.fetch({ max: 1, expiresMs: 1000, each: () => {} });
      await bus.close();
      await service.start();
      const text = await until((t) => sample(t, "dnsa_bus_consumer_redelivered") === 1);
      assert.equal(sample(text, "dnsa_bus_up"), 1);
      assert.equal(sample(text, "dnsa_bus_stream_messages"), 3);
      assert.equal(sample(text, "dnsa_bus_consumer_pending"), 2);
      assert.equal(sample(text, "dnsa_bus_consumer_ack_pending"), 1);
      assert.equal(sample(text, "dnsa_bus_consumer_redelivered"), 1);
      await nats.stop();
      const down = await until((t) => sample(t, "dnsa_bus_up") === 0);
      assert.equal(sample(down, "dnsa_bus_up"), 0);
      assert.equal(sample(down, "dnsa_bus_consumer_pending"), null);
      assert.ok(logged.some((l) => l.includes("bus state not readable")));
    } finally {
      await service.stop();
      await nats.close();
    }
  },
});
