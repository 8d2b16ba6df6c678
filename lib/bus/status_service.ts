/**
 * Central `serve`'s view of the bus (DNSA_BUS with a database): reads the stream's and the
 * durable consumer's state every 15 s and adds it to `/metrics` (consumer pending,
 * redeliveries, stream size; `dnsa_bus_up` 0 while the bus does not answer). It never stops
 * serve: an unreachable bus is retried at the next reading.
 *
 * @module
 */
import type { Config } from "../config.ts";
import { errorText } from "../error_text.ts";
import type { Logger } from "../log.ts";
import type { MetricsRecorder } from "../metrics.ts";
import type { Service } from "../serve/service.ts";
import { sleep } from "../sleep.ts";
import type { Bus, BusStatus } from "./bus.ts";
import { busStatusFamilies } from "./metrics.ts";
import { connectNats } from "./nats.ts";

/** The service that keeps the bus's state in `metrics`. */
export function createBusStatusService(
  config: Readonly<Config>,
  options: { log: Logger; metrics: MetricsRecorder; everyMs?: number },
): Service {
  const abort = new AbortController();
  let latest: BusStatus | null = null;
  let loop: Promise<void> | null = null;
  let warned = false;
  const read = async (bus: Bus | null): Promise<Bus | null> => {
    try {
      bus ??= await connectNats(config.bus!, { name: "dns-analytics serve", timeoutMs: 5000 });
      latest = await bus.status();
      warned = false;
    } catch (error) {
      latest = null;
      if (!warned) options.log.warn("bus state not readable", { error: errorText(error) });
      warned = true;
    }
    return bus;
  };
  return {
    name: "bus status",
    start() {
      options.metrics.collectors.push(() => busStatusFamilies(latest));
      loop ??= (async () => {
        let bus: Bus | null = null;
        try {
          while (!abort.signal.aborted) {
            bus = await read(bus);
            await sleep(options.everyMs ?? 15_000, abort.signal);
          }
        } finally {
          await bus?.close();
        }
      })();
      return Promise.resolve();
    },
    async stop() {
      abort.abort();
      await loop;
    },
  };
}
