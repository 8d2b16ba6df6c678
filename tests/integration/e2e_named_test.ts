/**
 * End to end with real BIND: named from Debian on a loopback port, logging with the `logging`
 * block of deploy/bind/dns1/named.conf.local (paths moved into a temporary directory and
 * `size` made tiny so named rotates its files several times), `serve` following the logs into
 * PostgreSQL while dig and dnsperf send a known mix. The database must then hold exactly the
 * queries sent, with the rcodes the logs can give (SERVFAIL and REFUSED from query-errors).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDb, startServe, stderrOf, waitUntilRead } from "./pg.ts";
import { freePort, haveNamed, startNamed } from "./named.ts";

const DEPLOY_LOCAL = new URL("../../deploy/bind/dns1/named.conf.local", import.meta.url).pathname;

/** The `logging { … }` block of a named.conf, by brace matching (comments stripped first). */
function loggingBlock(conf: string): string {
  const text = conf.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)(\/\/|#).*$/gm, "$1");
  const start = text.search(/\blogging\s*\{/);
  assert.ok(start >= 0, "deploy/bind/dns1/named.conf.local has a logging block");
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return text.slice(start, text.indexOf(";", i) + 1);
  }
  throw new Error("unbalanced logging block");
}

async function dig(args: string[]): Promise<void> {
  const out = await new Deno.Command("/usr/bin/dig", { args, stdout: "null", stderr: "null" })
    .output();
  assert.ok(out.success, `dig ${args.join(" ")}`);
}

Deno.test({
  name: "e2e: named with the deploy logging, rotations, serve → every query once",
  ignore: !haveNamed(),
  fn: async () => {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-e2e-" });
    const port = freePort();
    const logDir = join(dir, "log");
    await Deno.mkdir(logDir);
    // The deploy logging, with the log directory moved and files of 64 KiB: many rotations.
    const logging = loggingBlock(await Deno.readTextFile(DEPLOY_LOCAL))
      .replaceAll("/var/log/named/", `${logDir}/`)
      .replace(/size\s+\d+[kKmMgG]?/g, "size 64k")
      .replace(/versions\s+\d+/g, "versions 40");
    await Deno.writeTextFile(
      join(dir, "db.test"),
      `$TTL 300
@ IN SOA ns.test.example. admin.test.example. 1 3600 600 86400 300
@ IN NS ns.test.example.
ns IN A 127.0.0.1
www IN A 192.0.2.1
weird\\@name IN TXT "an escaped name"
`,
    );
    const conf = join(dir, "named.conf");
    await Deno.writeTextFile(
      conf,
      `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 port ${port} { ::1; };
  recursion yes;
  allow-query { !127.0.0.14; 127.0.0.0/8; ::1; };
  allow-recursion { 127.0.0.0/8; ::1; };
  dnssec-validation no;
  resolver-query-timeout 500;
  querylog yes;
};
controls { };
${logging}
zone "test.example" { type primary; file "${dir}/db.test"; };
zone "dead.example" { type forward; forward only; forwarders { 127.0.0.99 port 9; }; };
`,
    );
    const named = await startNamed(conf, port);
    const child = startServe({
      DATABASE_URL: db.url,
      DNSA_NODE: "dns1",
      DNSA_LOG_TZ: "UTC",
      DNSA_QUERY_LOG: join(logDir, "queries.log"),
      DNSA_ERROR_LOG: join(logDir, "query-errors.log"),
      DNSA_POLL_MS: "200",
    });
    let sent = 0;
    const want: Record<string, number> = { SERVFAIL: 0, REFUSED: 0 };
    try {
      const at = ["-p", String(port), "+tries=1", "+timeout=3"];
      // dnsperf: 3000 queries, half existing names, half NXDOMAIN.
      const perf = join(dir, "perf.txt");
      await Deno.writeTextFile(
        perf,
        Array.from(
          { length: 3000 },
          (_, i) => i % 2 ? "www.test.example A" : `nx${i}.test.example AAAA`,
        ).join("\n") + "\n",
      );
      const dp = await new Deno.Command("/usr/bin/dnsperf", {
        args: [
          "-s",
          "127.0.0.1",
          "-p",
          String(port),
          "-d",
          perf,
          "-n",
          "1",
          "-c",
          "2",
          "-Q",
          "2000",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      const report = new TextDecoder().decode(dp.stdout);
      const completed = Number(/Queries completed:\s+(\d+)/.exec(report)?.[1]);
      assert.ok(completed > 2900, report);
      sent += Number(/Queries sent:\s+(\d+)/.exec(report)?.[1]);
      // dig: TCP, IPv6, EDNS client subnet, an escaped name, SERVFAIL, REFUSED.
      for (let i = 0; i < 20; i++) await dig(["@127.0.0.1", ...at, "+tcp", "www.test.example"]);
      for (let i = 0; i < 20; i++) await dig(["@::1", ...at, "www.test.example", "AAAA"]);
      for (let i = 0; i < 10; i++) {
        await dig(["@127.0.0.1", ...at, "+subnet=198.51.100.0/24", "www.test.example"]);
      }
      await dig(["@127.0.0.1", ...at, "weird\\@name.test.example", "TXT"]);
      for (let i = 0; i < 5; i++) await dig(["@127.0.0.1", ...at, `sf${i}.dead.example`]);
      for (let i = 0; i < 8; i++) {
        await dig(["@127.0.0.1", ...at, "-b", "127.0.0.14", "www.test.example"]);
      }
      sent += 20 + 20 + 10 + 1 + 5 + 8;
      want.SERVFAIL = 5;
      want.REFUSED = 8;

      const rotated = [...Deno.readDirSync(logDir)].filter((e) =>
        /^queries\.log\.\d+$/.test(e.name)
      );
      assert.ok(rotated.length >= 3, `named rotated its query log ${rotated.length} times`);

      // Every query once (plus the readiness probes of startNamed, counted apart).
      const deadline = Date.now() + 60_000;
      let n = 0;
      for (;;) {
        const [r] = await db.sql`select count(*)::int as n from dns_queries
          where domain <> 'ns.test.example'`;
        n = r.n;
        if (n >= sent || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      // Nothing more arrives once every log file is read to its end.
      await waitUntilRead(db.sql, [join(logDir, "queries.log"), join(logDir, "query-errors.log")]);
      const [r2] = await db.sql`select count(*)::int as n from dns_queries
        where domain <> 'ns.test.example'`;
      assert.equal(r2.n, sent, "rows = queries sent");
      const rc = await db.sql`select response_rcode as k, count(*)::int as n from dns_queries
        where response_rcode is not null group by 1`;
      assert.deepEqual(Object.fromEntries(rc.map((r) => [r.k, r.n])), want);
      const [t] = await db.sql`select
        count(*) filter (where transport = 'tcp')::int as tcp,
        count(*) filter (where family(client_ip) = 6)::int as v6,
        count(*) filter (where client_subnet = '198.51.100.0/24'::inet)::int as ecs,
        count(*) filter (where domain = 'weird@name.test.example')::int as odd
        from dns_queries`;
      assert.ok(t.tcp >= 20, `tcp ${t.tcp}`);
      assert.equal(t.v6, 20);
      assert.equal(t.ecs, 10);
      assert.equal(t.odd, 1);
    } finally {
      await named.stop();
      child.kill("SIGTERM");
      const status = await child.status;
      const err = await stderrOf(child);
      await db.drop();
      await Deno.remove(dir, { recursive: true });
      assert.equal(status.code, 0, err);
    }
  },
});
