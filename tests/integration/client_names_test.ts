/**
 * Client names from each source, end to end: `serve` follows a hosts file, an ISC dhcpd, a
 * dnsmasq and a Kea lease file, and asks a real named (the seed's reverse zone
 * db.238.168.192) for PTR names; `report top-clients` and `report queries` show the names;
 * a changed hosts file is read again; a name change keeps the address's queries; doctor says
 * which sources are configured and how many clients have names.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDb, runProgram, startServe, stderrOf } from "./pg.ts";
import { freePort, haveNamed, startNamed } from "./named.ts";

const SEED_REVERSE = new URL("../../deploy/bind/dns1/db.238.168.192", import.meta.url).pathname;

const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");
const now = new Date();
/** Today as BIND prints it (PTR lookups are for the clients of the recent days). */
const TODAY = `${String(now.getUTCDate()).padStart(2, "0")}-${
  MONTHS[now.getUTCMonth()]
}-${now.getUTCFullYear()}`;

/** A BIND 9.18 query-log line as named writes it, today at `time` (UTC). New clients (of the
 * last minutes) get their PTR lookup before any rollup has counted them. */
function queryLine(time: string, ip: string, port: number, name: string): string {
  return `${TODAY} ${time} client @0x7fd4ba26d098 ${ip}#${port} (${name}): query: ${name} ` +
    "IN A +E(0)K (127.0.0.1)";
}

const CLIENTS = {
  hosts: "10.10.10.31",
  isc: "10.0.0.5",
  dnsmasq: "10.0.0.6",
  kea: "10.0.0.7",
  ptr: "192.168.238.40",
  noPtr: "192.168.238.99",
};

async function until<T>(what: string, f: () => Promise<T | null>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Until serve has migrated, the tables are not there yet (42P01).
    const v = await f().catch((e) => {
      if (e?.code === "42P01") return null;
      throw e;
    });
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test({
  name: "client names: hosts, dhcpd, dnsmasq, Kea, PTR → reports; reload; doctor",
  ignore: !haveNamed(),
  fn: async () => {
    const db = await createTestDb();
    const dir = await Deno.makeTempDir({ prefix: "dnsa-names-" });
    const port = freePort();
    const zone = `$TTL 300
@ IN SOA ns.test.example. admin.test.example. 1 3600 600 86400 300
@ IN NS ns.test.example.
ns IN A 127.0.0.1
`;
    await Deno.writeTextFile(join(dir, "db.test"), zone);
    await Deno.copyFile(SEED_REVERSE, join(dir, "db.238.168.192"));
    await Deno.writeTextFile(
      join(dir, "named.conf"),
      `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
};
zone "test.example" { type primary; file "db.test"; };
zone "238.168.192.in-addr.arpa" { type primary; file "db.238.168.192"; };
`,
    );
    const named = await startNamed(join(dir, "named.conf"), port);
    const hosts = join(dir, "hosts");
    const isc = join(dir, "dhcpd.leases");
    const dnsmasq = join(dir, "dnsmasq.leases");
    const kea = join(dir, "kea-leases4.csv");
    await Deno.writeTextFile(
      hosts,
      `# clients\n${CLIENTS.hosts} printer-<b>x</b> printer.lan\n`,
    );
    await Deno.writeTextFile(
      isc,
      `lease ${CLIENTS.isc} {\n  starts 3 2026/11/25 10:00:00;\n  binding state active;\n` +
        `  hardware ethernet 52:54:00:12:34:56;\n  client-hostname "tv";\n}\n`,
    );
    await Deno.writeTextFile(
      dnsmasq,
      `1764108000 52:54:00:12:34:57 ${CLIENTS.dnsmasq} phone 01:52:54:00:12:34:57\n`,
    );
    await Deno.writeTextFile(
      kea,
      "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname," +
        `state,user_context,pool_id\n${CLIENTS.kea},52:54:00:12:34:60,,4000,1764108000,1,0,0,` +
        "kea-host.lan.,0,,0\n",
    );
    const log = join(dir, "queries.log");
    const lines: string[] = [];
    let n = 0;
    for (const ip of Object.values(CLIENTS)) {
      for (let i = 0; i < 3; i++) {
        lines.push(
          queryLine(
            `${now.toISOString().slice(11, 19)}.${String(n).padStart(3, "0")}`,
            ip,
            1000 + n,
            "example.com",
          ),
        );
        n++;
      }
    }
    await Deno.writeTextFile(log, lines.join("\n") + "\n");
    const env = {
      DATABASE_URL: db.url,
      DNSA_NODE: "dns1",
      DNSA_LOG_TZ: "UTC",
      DNSA_POLL_MS: "100",
      DNSA_QUERY_LOG: log,
      DNSA_ERROR_LOG: join(dir, "query-errors.log"),
      DNSA_CLIENT_NAMES: hosts,
      DNSA_DHCP_LEASES: `${isc}, ${dnsmasq},${kea}`,
      DNSA_PTR_LOOKUP: "on",
      DNSA_PTR_RESOLVER: `127.0.0.1:${port}`,
    };
    const child = startServe(env);
    let passed = false;
    try {
      // The PTR round takes its clients from the statistics: serve's first rollup makes them.
      const names = await until("every source's name", async () => {
        const rows = await db.sql<{ address: string; name: string; source: string }[]>`
          select host(address) as address, name, source from dns_client_names order by 1`;
        return rows.length >= 5 ? rows : null;
      });
      assert.deepEqual(
        names.map((r) => [r.address, r.name, r.source]),
        [
          [CLIENTS.isc, "tv", "dhcp"],
          [CLIENTS.dnsmasq, "phone", "dhcp"],
          [CLIENTS.kea, "kea-host.lan", "dhcp"],
          [CLIENTS.hosts, "printer-<b>x</b>", "hosts"],
          [CLIENTS.ptr, "printer.codeandcore.home", "ptr"],
        ],
      );
      const negative = await until("the negative PTR answer", async () => {
        const [r] = await db.sql<{ name: string | null; ttl: number }[]>`
          select name, extract(epoch from expires_at - looked_up_at)::int as ttl
          from dns_client_ptr where address = ${CLIENTS.noPtr}`;
        return r ?? null;
      });
      assert.equal(negative.name, null);
      assert.equal(negative.ttl, 3600);

      const top = await db.run(["report", "top-clients", "--format", "json"], env);
      assert.equal(top.code, 0, top.stderr);
      const byIp = new Map(
        (JSON.parse(top.stdout) as { client_ip: string; client_name: string | null }[]).map((
          r,
        ) => [r.client_ip, r.client_name]),
      );
      assert.equal(byIp.get(CLIENTS.hosts), "printer-<b>x</b>");
      assert.equal(byIp.get(CLIENTS.isc), "tv");
      assert.equal(byIp.get(CLIENTS.dnsmasq), "phone");
      assert.equal(byIp.get(CLIENTS.kea), "kea-host.lan");
      assert.equal(byIp.get(CLIENTS.ptr), "printer.codeandcore.home");
      assert.equal(byIp.get(CLIENTS.noPtr), null);

      // The hosts file changes: read again, the old name is gone, the history stays.
      await Deno.writeTextFile(hosts, `${CLIENTS.hosts} printer2\n`);
      await until("the new hosts name", async () => {
        const [r] = await db.sql<{ name: string }[]>`
          select name from dns_client_best_names where address = ${CLIENTS.hosts}`;
        return r?.name === "printer2" ? r : null;
      });
      const q = await db.run([
        "report",
        "queries",
        "--client",
        "printer2",
        "--format",
        "json",
      ], env);
      assert.equal(q.code, 0, q.stderr);
      const rows = JSON.parse(q.stdout) as { client_ip: string; client_name: string }[];
      assert.equal(rows.length, 3);
      assert.ok(rows.every((r) => r.client_ip === CLIENTS.hosts && r.client_name === "printer2"));

      const doctor = await runProgram(["doctor", "--named-conf", join(dir, "named.conf")], env);
      assert.match(doctor.stdout, /client names: DNSA_CLIENT_NAMES .*hosts, 1 named addresses/);
      assert.match(doctor.stdout, /client names: DNSA_DHCP_LEASES .*dhcpd\.leases: isc, 1 named/);
      assert.match(doctor.stdout, /DNSA_DHCP_LEASES .*dnsmasq\.leases: dnsmasq, 1 named/);
      assert.match(doctor.stdout, /DNSA_DHCP_LEASES .*kea-leases4\.csv: kea, 1 named/);
      assert.match(doctor.stdout, /DNSA_PTR_LOOKUP=on: serve asks 127\.0\.0\.1 port/);
      assert.match(doctor.stdout, /client names: 5 clients have a name in the database/);
      passed = true;
    } finally {
      child.kill("SIGTERM");
      const status = await child.status;
      const err = await stderrOf(child);
      if (passed) {
        assert.equal(status.code, 0, err);
        assert.match(err, /client names read/);
      } else {
        console.error(err.slice(-3000));
        console.error(await db.sql`select * from dns_client_names`.catch((e) => e));
        console.error(await db.sql`select * from dns_client_ptr`.catch((e) => e));
      }
      await named.stop();
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
