/**
 * dnstap from another emitter: Unbound (Debian's, built with dnstap) writes client queries and
 * responses to `serve`'s socket; the rows carry Unbound's rcodes and its latencies.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDb, startServe, stderrOf } from "./pg.ts";
import { freePort } from "./named.ts";

function haveUnbound(): boolean {
  try {
    Deno.statSync("/usr/sbin/unbound");
    Deno.statSync("/usr/bin/dig");
    return true;
  } catch {
    return false;
  }
}

async function dig(port: number, name: string): Promise<void> {
  const out = await new Deno.Command("/usr/bin/dig", {
    args: ["-p", String(port), "@127.0.0.1", "+tries=1", "+timeout=2", name],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.ok(out.success, `dig ${name}`);
}

Deno.test({
  name: "dnstap from Unbound → socket → rows with rcodes and latency",
  ignore: !haveUnbound(),
  fn: async () => {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-unbound-" });
    const sock = join(dir, "tap.sock");
    const port = freePort();
    await Deno.writeTextFile(
      join(dir, "unbound.conf"),
      `server:
  interface: 127.0.0.1@${port}
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  local-zone: "test.example." static
  local-data: "www.test.example. A 192.0.2.1"
dnstap:
  dnstap-enable: yes
  dnstap-socket-path: "${sock}"
  dnstap-log-client-query-messages: yes
  dnstap-log-client-response-messages: yes
`,
    );
    const child = startServe({
      DATABASE_URL: db.url,
      DNSA_NODE: "ub1",
      DNSA_LOG_TZ: "UTC",
      DNSA_SOURCE: "dnstap",
      DNSA_DNSTAP: `unix:${sock}`,
    });
    let unbound: Deno.ChildProcess | null = null;
    try {
      for (let i = 0; i < 150; i++) {
        const ok = await Deno.lstat(sock).then((s) => s.isSocket === true, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      unbound = new Deno.Command("/usr/sbin/unbound", {
        args: ["-d", "-c", join(dir, "unbound.conf")],
        stdout: "null",
        stderr: "null",
      }).spawn();
      for (let i = 0; i < 50; i++) {
        const out = await new Deno.Command("/usr/bin/dig", {
          args: [
            "-p",
            String(port),
            "@127.0.0.1",
            "+short",
            "+tries=1",
            "+timeout=1",
            "ready.test.example",
          ],
          stdout: "null",
          stderr: "null",
        }).output();
        if (out.success) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (let i = 0; i < 10; i++) await dig(port, "www.test.example");
      for (let i = 0; i < 7; i++) await dig(port, `nx${i}.test.example`);
      const deadline = Date.now() + 30_000;
      let rows: { k: string; n: number }[] = [];
      for (;;) {
        rows = await db.sql`select response_rcode as k, count(*)::int as n from dns_queries
          where domain <> 'ready.test.example' group by 1 order by 1`;
        const total = rows.reduce((a, r) => a + r.n, 0);
        if (total >= 17 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(rows.map((r) => [r.k, r.n]), [["NOERROR", 10], ["NXDOMAIN", 7]]);
      const [l] = await db.sql`select count(*)::int as joined, min(latency_us) as lo
        from dns_queries where latency_us is not null and domain <> 'ready.test.example'`;
      assert.equal(l.joined, 17, "every response joined with its query");
      assert.ok(l.lo >= 0);
    } finally {
      try {
        unbound?.kill("SIGTERM");
      } catch { /* gone */ }
      await unbound?.status;
      child.kill("SIGTERM");
      const status = await child.status;
      const err = await stderrOf(child);
      await db.drop();
      await Deno.remove(dir, { recursive: true });
      assert.equal(status.code, 0, err);
    }
  },
});
