/**
 * Test support for the bus: a real `nats-server -js` (Debian's, /usr/sbin/nats-server or on
 * PATH) on a free loopback port with a temporary store directory. It can be stopped and
 * started again on the same port and store (a restart, as an edge or consumer sees it).
 *
 * @module
 */
import { join } from "node:path";

/** A running nats-server. */
export interface TestNats {
  /** `nats://127.0.0.1:PORT`. */
  url: string;
  port: number;
  storeDir: string;
  /** Stop (SIGTERM) and start again on the same port and store. */
  restart(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
  /** Start again after {@linkcode TestNats.stop}, on the same port and store. */
  start(): Promise<void>;
  /** Stop it and remove its store. */
  close(): Promise<void>;
}

/** The nats-server binary, or null when it is not installed. */
export function natsServerPath(): string | null {
  for (const p of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* next */ }
  }
  return null;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch (error) {
      if (Date.now() > until) throw new Error(`nats-server did not listen on ${port}: ${error}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Start `nats-server -js` on a free loopback port; `maxPayload` sets its max_payload. */
export async function startNats(options: { maxPayload?: number } = {}): Promise<TestNats> {
  const bin = natsServerPath();
  if (!bin) throw new Error("nats-server is not installed (apt-get install nats-server)");
  const storeDir = await Deno.makeTempDir({ prefix: "dnsa-nats-" });
  const port = freePort();
  const conf = join(storeDir, "nats.conf");
  await Deno.writeTextFile(conf, `max_payload: ${options.maxPayload ?? 1048576}\n`);
  let child: Deno.ChildProcess | null = null;
  const start = async () => {
    child = new Deno.Command(bin, {
      args: ["-c", conf, "-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await waitForPort(port, 15_000);
  };
  const stop = async () => {
    const c = child as Deno.ChildProcess | null;
    if (!c) return;
    child = null;
    try {
      c.kill("SIGTERM");
    } catch { /* gone */ }
    await c.status;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir: join(storeDir),
    async restart(options = {}) {
      await stop();
      await new Promise((r) => setTimeout(r, options.downMs ?? 500));
      await start();
    },
    stop,
    start: async () => {
      if (!child) await start();
    },
    async close() {
      await stop();
      await Deno.remove(storeDir, { recursive: true }).catch(() => {});
    },
  };
}
