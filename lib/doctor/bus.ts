/**
 * `doctor`'s bus check: the server answers, the stream and the durable consumer exist, and
 * what they hold (messages waiting, redeliveries, limits).
 *
 * @module
 */
import type { Config } from "../config.ts";
import type { BusConfig } from "../bus/config.ts";
import { connectNats } from "../bus/nats.ts";
import type { Finding } from "./finding.ts";

/** Findings about DNSA_BUS (none when it is not set). */
export async function checkBus(config: Readonly<Config>): Promise<Finding[]> {
  if (!config.bus) return [];
  const edge: Finding[] = config.database.kind === "postgres" ? [] : [{
    level: "ok",
    check: "database",
    message: "none: this node is an edge (DNSA_BUS without DATABASE_URL); serve and ingest " +
      "publish to the bus, and 'consume' stores centrally",
  }];
  return [...edge, ...await checkServer(config, config.bus)];
}

async function checkServer(config: Readonly<Config>, busConfig: BusConfig): Promise<Finding[]> {
  const check = "bus";
  let bus;
  try {
    bus = await connectNats(busConfig, { name: "dns-analytics doctor", timeoutMs: 3000 });
  } catch (error) {
    return [{
      level: "FAIL",
      check,
      message: `${(error as Error).message} (is nats-server running with -js, and are ` +
        "DNSA_BUS_CREDS / DNSA_BUS_TLS_CA right?)",
    }];
  }
  try {
    const s = await bus.status();
    if (!s.stream) {
      return [{
        level: "FAIL",
        check,
        message: `stream ${busConfig.stream} does not exist: run 'dns-analytics bus-setup'`,
      }];
    }
    const l = s.stream.limits;
    const findings: Finding[] = [{
      level: "ok",
      check,
      message: `stream ${s.stream.name}: ${s.stream.messages} messages, ${s.stream.bytes} bytes; ` +
        `max age ${Math.round(l.maxAgeMs / 3_600_000)} h, max bytes ${l.maxBytes}, ` +
        `replicas ${l.replicas}, duplicate window ${Math.round(l.duplicateWindowMs / 1000)} s`,
    }];
    if (!s.consumer) {
      findings.push({
        level: config.database.kind === "postgres" ? "FAIL" : "warn",
        check,
        message: "the durable consumer dns-analytics-consume does not exist: run " +
          "'dns-analytics bus-setup' (or start 'consume')",
      });
    } else {
      const c = s.consumer;
      findings.push({
        level: c.pending > 100_000 ? "warn" : "ok",
        check,
        message: `consumer ${c.name}: ${c.pending} waiting, ${c.ackPending} being stored, ` +
          `${c.redelivered} redelivered` +
          (c.pending > 100_000 ? " (the consumers fall behind: start more 'consume')" : ""),
      });
    }
    return findings;
  } catch (error) {
    return [{ level: "FAIL", check, message: (error as Error).message }];
  } finally {
    await bus.close();
  }
}
