/**
 * The query log, search box, drill-downs and client names in a real browser (Debian's
 * chromium, headless) against `dns-analytics serve` on PostgreSQL holding the BIND 9.18
 * fixture, a planted query name `<img src=x onerror=alert(1)>.example`, and client names from
 * a hosts file (one with markup), ISC dhcpd, dnsmasq and Kea lease files and PTR lookups
 * against a real named (the seed's reverse zone). Checks: names in the top-clients list,
 * every top-list row links to its query log, the Queries page filters and pages, live tail
 * shows rows as they are committed, the search box goes to the right view, markup is text
 * everywhere (no dialog, no injected element). Screenshots go to tests/artifacts/.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Page } from "puppeteer-core";
import { type BrowserSession, CHROMIUM, hasChromium, openBrowser } from "./browser.ts";
import { createTestDb, startServe, stderrOf } from "./pg.ts";
import { freePort, haveNamed, startNamed } from "./named.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const SEED_REVERSE = new URL("../../deploy/bind/dns1/db.238.168.192", import.meta.url).pathname;
const XSS = "<img src=x onerror=alert(1)>.example";
const XSS_CLIENT = "<img/src=x/onerror=alert(2)>"; // a hosts file name has no spaces
const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

const missing = !hasChromium()
  ? `${CHROMIUM} is missing`
  : !Deno.env.get("DNSA_TEST_DATABASE_URL")
  ? "DNSA_TEST_DATABASE_URL is not set"
  : !haveNamed()
  ? "named is missing"
  : null;

/** A BIND 9.18 query line at `at` (UTC) for `name` (escaped as BIND prints it). */
function line(at: Date, ip: string, port: number, name: string): string {
  const d = `${String(at.getUTCDate()).padStart(2, "0")}-${
    MONTHS[at.getUTCMonth()]
  }-${at.getUTCFullYear()} ${at.toISOString().slice(11, 23)}`;
  const logged = name.replaceAll(" ", "\\032").replaceAll("(", "\\(").replaceAll(")", "\\)");
  return `${d} client @0x7fd4ba26d098 ${ip}#${port} (${logged}): query: ${logged} IN A ` +
    "+E(0)K (127.0.0.1)";
}

function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

async function until(page: Page, expression: string, what: string, ms = 30_000) {
  try {
    await page.waitForFunction(expression, { timeout: ms, polling: 100 });
  } catch (e) {
    const banner = await inPage<string>(page, `document.getElementById("banner")?.textContent`)
      .catch(() => "");
    throw new Error(`waiting for ${what}: ${(e as Error).message}; banner: ${banner}`);
  }
}

async function screenshot(page: Page, name: string) {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  console.log(`screenshot: ${path}`);
}

function assertQuiet(s: BrowserSession, where: string) {
  const e = s.events;
  assert.deepEqual(e.exceptions, [], `${where}: exceptions`);
  assert.deepEqual(e.cspViolations, [], `${where}: CSP violations`);
  assert.deepEqual(e.consoleErrors, [], `${where}: console errors`);
  assert.deepEqual(e.dialogs, [], `${where}: dialogs`);
  assert.deepEqual(e.failedResponses, [], `${where}: failed responses`);
}

/** No element the markup would have made: no <img> anywhere in the page. */
const NO_IMG = `document.querySelectorAll("img").length === 0`;

Deno.test({
  name: "browser: query log, search box, drill-downs and client names of every source",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-search-browser-" });
  const dnsPort = freePort();
  let serve: Deno.ChildProcess | null = null;
  let session: BrowserSession | null = null;
  await Deno.writeTextFile(
    join(dir, "db.test"),
    "$TTL 300\n@ IN SOA ns.test.example. a.test.example. 1 3600 600 86400 300\n" +
      "@ IN NS ns.test.example.\nns IN A 127.0.0.1\n",
  );
  await Deno.copyFile(SEED_REVERSE, join(dir, "db.238.168.192"));
  await Deno.writeTextFile(
    join(dir, "named.conf"),
    `options { directory "${dir}"; pid-file "${dir}/named.pid";
  listen-on port ${dnsPort} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; };
zone "test.example" { type primary; file "db.test"; };
zone "238.168.192.in-addr.arpa" { type primary; file "db.238.168.192"; };
`,
  );
  const named = await startNamed(join(dir, "named.conf"), dnsPort);
  try {
    // The fixture (25 Nov 2026), the planted name, and today's queries of the PTR client.
    const queries = join(dir, "queries.log"), errors = join(dir, "query-errors.log");
    const fixture = new TextDecoder().decode(
      gunzipSync(await Deno.readFile(join(FIXTURES, "queries.log.gz"))),
    );
    const planted: string[] = [];
    for (let i = 0; i < 50; i++) {
      planted.push(
        line(new Date(Date.UTC(2026, 10, 25, 20, 44, 30, i)), "127.0.0.10", 40000 + i, XSS),
      );
    }
    const now = new Date();
    for (let i = 0; i < 3; i++) {
      planted.push(line(new Date(now.getTime() + i), "192.168.238.40", 50000 + i, "ptr.example"));
    }
    await Deno.writeTextFile(queries, fixture + planted.join("\n") + "\n");
    await Deno.copyFile(join(FIXTURES, "query-errors.log"), errors);
    await Deno.writeTextFile(join(dir, "hosts"), `127.0.0.10 ${XSS_CLIENT}\n`);
    await Deno.writeTextFile(
      join(dir, "dhcpd.leases"),
      'lease 127.0.0.11 {\n  binding state active;\n  client-hostname "tv";\n}\n',
    );
    await Deno.writeTextFile(
      join(dir, "dnsmasq.leases"),
      "1764108000 52:54:00:12:34:57 127.0.0.12 phone 01:52:54:00:12:34:57\n",
    );
    await Deno.writeTextFile(
      join(dir, "kea-leases4.csv"),
      "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname," +
        "state,user_context,pool_id\n127.0.0.13,52:54:00:12:34:60,,4000,1764108000,1,0,0," +
        "kea-host.lan.,0,,0\n",
    );
    const env = { DNSA_NODE: "dns1", DNSA_LOG_TZ: "UTC" };
    const ingest = await db.run(["ingest", queries, errors], env);
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.equal((await db.run(["rollup"], env)).code, 0);

    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    serve = startServe({
      ...env,
      DATABASE_URL: db.url,
      DNSA_HTTP: `127.0.0.1:${port}`,
      DNSA_POLL_MS: "100",
      DNSA_QUERY_LOG: queries,
      DNSA_ERROR_LOG: errors,
      DNSA_CLIENT_NAMES: join(dir, "hosts"),
      DNSA_DHCP_LEASES: ["dhcpd.leases", "dnsmasq.leases", "kea-leases4.csv"]
        .map((f) => join(dir, f)).join(","),
      DNSA_PTR_LOOKUP: "on",
      DNSA_PTR_RESOLVER: `127.0.0.1:${dnsPort}`,
    });
    // Every source named its client.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [{ n }] = await db.sql<{ n: number }[]>`
        select count(distinct address)::int as n from dns_client_names`.catch(() => [{ n: 0 }]);
      if (n >= 5) break;
      if (Date.now() > deadline) throw new Error(`client names: ${n} of 5`);
      await new Promise((r) => setTimeout(r, 250));
    }

    session = await openBrowser();
    const { page } = session;

    // Overview (today: the PTR client; 25 Nov: the fixture's clients) — names beside addresses.
    await page.goto(`${base}/#/?from=2026-11-25&to=${now.toISOString().slice(0, 10)}`, {
      waitUntil: "networkidle0",
    });
    await until(page, `document.querySelector('#panel-top-clients tbody tr')`, "top clients");
    const names = await inPage<string[]>(
      page,
      `[...document.querySelectorAll('#panel-top-clients tbody tr')].map((tr) => tr.textContent)`,
    );
    const all = names.join("\n");
    for (const n of [XSS_CLIENT, "tv", "phone", "kea-host.lan", "printer.codeandcore.home"]) {
      assert.ok(all.includes(n), `top clients show ${n}: ${all}`);
    }
    // Every top-list row has its log link.
    const logLinks = await inPage<Record<string, [number, number]>>(
      page,
      `Object.fromEntries([...document.querySelectorAll('section.panel')].map((p) => [p.id,
        [p.querySelectorAll('tbody tr').length,
         [...p.querySelectorAll('tbody a')].filter((a) => a.getAttribute('href').startsWith('#/queries?')).length]]))`,
    );
    for (
      const id of ["top-domains", "top-apex-domains", "top-clients", "top-servfail", "qtypes"]
    ) {
      const [rows, links] = logLinks[`panel-${id}`];
      assert.ok(rows > 0 && links === rows, `${id}: ${rows} rows, ${links} log links`);
    }
    await until(page, NO_IMG, "no injected image");
    await screenshot(page, "search-overview-names.png");

    // A top-domains log link opens the query log filtered by that domain.
    const href = await inPage<string>(
      page,
      `[...document.querySelectorAll('#panel-top-domains tbody a')].find((a) => a.getAttribute('href').startsWith('#/queries?')).getAttribute('href')`,
    );
    const domain = new URLSearchParams(href.slice(href.indexOf("?") + 1)).get("domain")!;
    await page.goto(`${base}/${href}`, { waitUntil: "networkidle0" });
    await until(page, `document.querySelectorAll('#query-log tbody tr').length === 100`, "a page");
    const domains = await inPage<string[]>(
      page,
      `[...document.querySelectorAll('#query-log tbody tr td:nth-child(5)')].map((td) => td.textContent)`,
    );
    assert.ok(domains.every((d) => d === domain), `the log of ${domain}`);
    await page.click("button.more");
    await until(page, `document.querySelectorAll('#query-log tbody tr').length > 100`, "page 2");

    // The planted name and the marked-up client name are text in the query log.
    const marked = `client=127.0.0.10&domain=${encodeURIComponent(XSS)}`;
    await page.goto(`${base}/#/queries?from=2026-11-25&to=2026-11-25&${marked}`, {
      waitUntil: "networkidle0",
    });
    await until(page, `document.querySelector('#query-log tbody tr')`, "the client's log");
    const cells = await inPage<string>(page, `document.querySelector('#query-log').textContent`);
    assert.ok(cells.includes(XSS) && cells.includes(XSS_CLIENT));
    await until(page, NO_IMG, "no injected image");
    await screenshot(page, "search-queries-markup.png");

    // The search box: a client name goes to its client view with the drill-downs.
    await page.goto(`${base}/#/?from=2026-11-25&to=2026-11-25`, { waitUntil: "networkidle0" });
    await page.type("#search-box", "tv");
    await page.keyboard.press("Enter");
    await until(page, `location.hash.startsWith('#/client/127.0.0.11')`, "the client of tv");
    await until(page, `document.querySelector('#panel-detail-domains tbody tr')`, "drill-down");
    await until(page, `document.getElementById('client-name').textContent === 'tv'`, "its name");
    await screenshot(page, "search-client-drilldown.png");
    // A network goes to the query log; a domain name to its view with its top clients.
    await page.evaluate(`document.getElementById('search-box').value = ''`);
    await page.type("#search-box", "127.0.0.0/30");
    await page.keyboard.press("Enter");
    await until(page, `location.hash.startsWith('#/queries?')`, "the network's log");
    await page.evaluate(`document.getElementById('search-box').value = ''`);
    await page.type("#search-box", XSS);
    await page.keyboard.press("Enter");
    await until(page, `location.hash.startsWith('#/domain/')`, "the domain view");
    await until(page, `document.querySelector('#panel-detail-clients tbody tr')`, "its clients");
    const clients = await inPage<string>(
      page,
      `document.querySelector('#panel-detail-clients tbody').textContent`,
    );
    assert.ok(clients.includes(XSS_CLIENT) && clients.includes("127.0.0.10"));
    await until(page, NO_IMG, "no injected image");
    await screenshot(page, "search-domain-clients.png");

    // Live tail: rows appear as serve commits them.
    await page.goto(`${base}/#/queries?days=1`, { waitUntil: "networkidle0" });
    await until(page, `document.querySelector('#query-log tbody tr')`, "today's log");
    await page.click("#live-tail");
    const fresh = [];
    for (let i = 0; i < 5; i++) {
      fresh.push(line(new Date(Date.now() + i), "127.0.0.12", 60000 + i, `tail-${i}.example`));
    }
    await Deno.writeTextFile(queries, fresh.join("\n") + "\n", { append: true });
    await until(
      page,
      `[...document.querySelectorAll('#query-log tbody tr td:nth-child(5)')].filter((td) => td.textContent.startsWith('tail-')).length === 5`,
      "the tail rows",
    );
    const top = await inPage<string>(
      page,
      `document.querySelector('#query-log tbody tr td:nth-child(4)').textContent`,
    );
    assert.equal(top, "phone");
    await screenshot(page, "search-live-tail.png");
    assertQuiet(session, "search pages");
  } finally {
    await session?.close();
    if (serve) {
      serve.kill("SIGTERM");
      await serve.status;
      const err = await stderrOf(serve);
      if (!/serve stopped/.test(err)) console.error(err.slice(-2000));
    }
    await named.stop();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
