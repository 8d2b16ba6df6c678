/**
 * The `bus-setup` command: create the JetStream stream and the durable consumer `consume`
 * shares, or change the stream's limits. Needs no database.
 *
 * @module
 */
import { type CommandInput, type CommandRecord, UsageError } from "../lib/cli.ts";
import { ConfigError } from "../lib/config.ts";
import { connectNats } from "../lib/bus/nats.ts";
import type { StreamLimits } from "../lib/bus/bus.ts";

const HELP = `Creates, on the NATS JetStream server of DNSA_BUS, the stream DNSA_BUS_STREAM
(default dns-analytics; subjects <stream>.b.<node> for batches and <stream>.p.<node>
for parts of large ones, file storage, oldest messages
discarded at the limits) and the durable consumer dns-analytics-consume that
every 'consume' shares, where they are missing; with options it changes the
stream's limits. Prints the stream and consumer state as JSON. Edges and
consumers also create what is missing, with the defaults, at start.

Options (durations: 90s, 30m, 12h, 7d; sizes: 500M, 20G, 1T):
  --max-age DUR           drop messages older than this (default 7d). Keep it
                          longer than the longest outage of the central tier.
  --max-bytes SIZE        the stream's size limit (default none). At the
                          limit the oldest messages are dropped, stored or not.
  --replicas N            copies in a JetStream cluster (default 1; 3 for a
                          3-server cluster)
  --duplicate-window DUR  a re-published batch is dropped by the stream within
                          this window (default 1h); 'consume' skips it after

The same with the nats CLI:
  nats stream add dns-analytics --subjects 'dns-analytics.>' --storage file \\
    --retention limits --discard old --max-age 7d --max-bytes -1 --replicas 1 \\
    --dupe-window 1h --max-msgs -1 --max-msgs-per-subject -1 --max-msg-size -1 \\
    --allow-direct
  nats consumer add dns-analytics dns-analytics-consume --pull --ack explicit \\
    --filter 'dns-analytics.b.>' --deliver all --wait 30s --max-pending 256 \\
    --max-deliver -1 --replay instant

Example:
  DNSA_BUS=nats://bus1:4222 dns-analytics bus-setup --max-age 14d --replicas 3`;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZES: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function duration(name: string, text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m) throw new UsageError(`--${name} must be a duration such as 90s, 30m, 12h or 7d`);
  return Number(m[1]) * UNITS[m[2]];
}

function size(name: string, text: string): number {
  if (text.trim() === "-1") return -1;
  const m = /^(\d+)([KMGT]?)B?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--${name} must be a size such as 500M, 20G or -1 (no limit)`);
  return Number(m[1]) * SIZES[m[2].toUpperCase()];
}

/** The limits named on the command line. */
export function parseLimits(values: CommandInput["values"]): Partial<StreamLimits> {
  const limits: Partial<StreamLimits> = {};
  if (typeof values["max-age"] === "string") {
    limits.maxAgeMs = duration("max-age", values["max-age"]);
  }
  if (typeof values["max-bytes"] === "string") {
    limits.maxBytes = size("max-bytes", values["max-bytes"]);
  }
  if (typeof values.replicas === "string") {
    const n = Number(values.replicas);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw new UsageError("--replicas must be 1 to 5");
    limits.replicas = n;
  }
  if (typeof values["duplicate-window"] === "string") {
    limits.duplicateWindowMs = duration("duplicate-window", values["duplicate-window"]);
  }
  return limits;
}

/** `dns-analytics bus-setup`. */
export const busSetupCommand: CommandRecord = {
  name: "bus-setup",
  summary: "create the bus stream and consumer, or change the stream's limits",
  usage: "dns-analytics bus-setup [--max-age DUR] [--max-bytes SIZE] [--replicas N] " +
    "[--duplicate-window DUR]",
  options: {
    "max-age": { type: "string" },
    "max-bytes": { type: "string" },
    replicas: { type: "string" },
    "duplicate-window": { type: "string" },
  },
  help: HELP,
  database: "none",
  check({ values }) {
    parseLimits(values);
  },
  async run({ loadConfig }, { values, out }) {
    const config = loadConfig();
    if (!config.bus) throw new ConfigError("bus-setup needs DNSA_BUS (nats://host:4222)");
    const bus = await connectNats(config.bus, { name: "dns-analytics bus-setup" });
    try {
      out(JSON.stringify(await bus.setup({ limits: parseLimits(values) })));
      return 0;
    } finally {
      await bus.close();
    }
  },
};
