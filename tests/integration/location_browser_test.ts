/**
 * The dashboard's location and network selects in a real browser (Debian's chromium), across
 * federated nodes: home-dns1 (local, location home, 192.168.238.0/24), home-dns2 (a peer,
 * location home, 10.10.10.0/24) and raxio-dns1 (a peer, location "Raxio DSM"), federated into
 * home-dns1's PostgreSQL database, which `serve` reads. The selects list the nodes' locations
 * and networks; choosing one puts it in the URL, passes it to the API, and the numbers change:
 * 62 queries in all, 12 at home (two nodes), 50 at Raxio DSM, 7 in 10.10.10.0/24.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { type BrowserSession, CHROMIUM, hasChromium, openBrowser } from "./browser.ts";
import { createTestDb, startServe, stderrOf, type TestDb } from "./pg.ts";

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const missing = hasChromium()
  ? (Deno.env.get("DNSA_TEST_DATABASE_URL") ? null : "DNSA_TEST_DATABASE_URL is not set")
  : `${CHROMIUM} is missing (apt-get install chromium)`;
if (missing) console.log(`location_browser_test: ignored: ${missing}`);

/** `n` query log lines for `name` from `ip`, today (UTC), a second apart. */
function lines(n: number, ip: string, name: string): string {
  const start = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 60_000;
  const p = (x: number, w = 2) => String(x).padStart(w, "0");
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(start + i * 1000);
    return `${p(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.000 client ` +
      `@0x7f00 ${ip}#5353 (${name}): query: ${name} IN A +E(0) (10.0.0.1)`;
  }).join("\n") + "\n";
}

/** The summary's query count and the top domains, once every panel has loaded. */
async function numbers(page: Page): Promise<{ queries: string; top: string[]; hash: string }> {
  await page.waitForFunction(
    `!document.querySelector("#main .loading") && !document.querySelector(".staging")`,
    { timeout: 20_000 },
  );
  return await page.evaluate(`({
    queries: [...document.querySelectorAll("#panel-summary .stat")]
      .find((s) => s.querySelector("dt").textContent === "Queries")?.querySelector("dd")
      .textContent,
    top: [...document.querySelectorAll("#panel-top-domains tbody tr")]
      .map((tr) => tr.cells[0].textContent + "=" + tr.cells[1].textContent),
    hash: location.hash,
  })`) as { queries: string; top: string[]; hash: string };
}

/** Choose `value` in the select `id` and wait for the view of the new URL. */
async function choose(page: Page, id: string, value: string, hashPart: string) {
  await page.select(`#${id}`, value);
  await page.waitForFunction(
    `location.hash.includes(${JSON.stringify(hashPart)}) || ${JSON.stringify(hashPart)} === ""`,
    { timeout: 10_000 },
  );
  // The new view starts with every panel loading; wait for that, then for the data.
  await new Promise((r) => setTimeout(r, 100));
  return await numbers(page);
}

Deno.test({
  name: "browser: the location and network selects filter the dashboard across federated nodes",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dbs: TestDb[] = [];
  const dir = await Deno.makeTempDir({ prefix: "dnsa-location-browser-" });
  let serve: Deno.ChildProcess | null = null;
  let session: BrowserSession | null = null;
  try {
    const home1 = {
      DNSA_NODE: "home-dns1",
      DNSA_NODE_IP: "192.168.238.128",
      DNSA_NODE_LOCATION: "home",
      DNSA_NODE_NETWORK: "192.168.238.0/24",
      DNSA_LOG_TZ: "UTC",
    };
    const nodes = [
      [home1, "192.168.238.10", "one.example", 5],
      [
        {
          DNSA_NODE: "home-dns2",
          DNSA_NODE_IP: "10.10.10.250",
          DNSA_NODE_LOCATION: "home",
          DNSA_NODE_NETWORK: "10.10.10.0/24",
          DNSA_LOG_TZ: "UTC",
        },
        "10.10.10.20",
        "two.example",
        7,
      ],
      [
        { DNSA_NODE: "raxio-dns1", DNSA_NODE_LOCATION: "Raxio DSM", DNSA_LOG_TZ: "UTC" },
        "196.43.1.1",
        "isp.example",
        50,
      ],
    ] as const;
    for (const [env, ip, name, n] of nodes) {
      const db = await createTestDb();
      dbs.push(db);
      const log = join(dir, `${env.DNSA_NODE}.log`);
      await Deno.writeTextFile(log, lines(n, ip, name));
      const r = await db.run(["ingest", log], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await db.run(["rollup"], env)).code, 0);
    }
    const fed = await dbs[0].run(["federate"], {
      ...home1,
      DNSA_PEERS: `dns2=${dbs[1].url},raxio=${dbs[2].url}`,
    });
    assert.equal(fed.code, 0, fed.stderr);

    const port = freePort();
    const base = `http://127.0.0.1:${port}/`;
    serve = startServe({
      ...home1,
      DATABASE_URL: dbs[0].url,
      DNSA_HTTP: `127.0.0.1:${port}`,
      DNSA_QUERY_LOG: join(dir, "home-dns1.log"),
      DNSA_ERROR_LOG: join(dir, "none.log"),
    });
    await waitHealthy(`${base}healthz`, 60_000);

    session = await openBrowser();
    const { page } = session;
    await page.goto(`${base}#/?days=2`, { waitUntil: "networkidle0" });
    await page.waitForFunction(
      `document.querySelectorAll("#location-filter option").length === 3`,
      { timeout: 20_000 },
    );
    const options = await page.evaluate(`({
      locations: [...document.querySelectorAll("#location-filter option")].map((o) => o.value),
      networks: [...document.querySelectorAll("#network-filter option")].map((o) => o.value),
      hidden: document.getElementById("location-control").hidden,
    })`) as { locations: string[]; networks: string[]; hidden: boolean };
    assert.deepEqual(options.locations, ["", "home", "Raxio DSM"]);
    assert.deepEqual(options.networks, ["", "10.10.10.0/24", "192.168.238.0/24"]);
    assert.equal(options.hidden, false);

    const all = await numbers(page);
    assert.equal(all.queries, "62");
    assert.deepEqual(all.top, ["isp.example=50", "two.example=7", "one.example=5"]);

    const home = await choose(page, "location-filter", "home", "location=home");
    assert.equal(home.queries, "12", "home: two nodes, one local and one federated");
    assert.deepEqual(home.top, ["two.example=7", "one.example=5"]);
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({
      path: join(ARTIFACTS, "dashboard-location-home.png") as `${string}.png`,
    });

    const raxio = await choose(page, "location-filter", "Raxio DSM", "location=Raxio");
    assert.equal(raxio.queries, "50");
    assert.deepEqual(raxio.top, ["isp.example=50"]);

    // Back to every location, then one network.
    await page.select("#location-filter", "");
    await page.waitForFunction(`!location.hash.includes("location=")`, { timeout: 10_000 });
    const net = await choose(page, "network-filter", "10.10.10.0/24", "network=10.10.10.0");
    assert.equal(net.queries, "7");
    assert.deepEqual(net.top, ["two.example=7"]);

    // A bookmarked URL with a location opens with the select set.
    await page.goto(`${base}#/?days=2&location=HOME`, { waitUntil: "networkidle0" });
    const bookmarked = await numbers(page);
    assert.equal(bookmarked.queries, "12");
    assert.equal(await page.evaluate(`document.getElementById("location-filter").value`), "home");

    assert.deepEqual(session.events.exceptions, []);
    assert.deepEqual(session.events.consoleErrors, []);
    assert.deepEqual(session.events.failedResponses, []);
  } finally {
    await session?.close();
    if (serve) {
      serve.kill("SIGTERM");
      await serve.status;
      await stderrOf(serve).catch(() => "");
    }
    for (const db of dbs) await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A port that was free a moment ago. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Poll `url` until it answers 200 or `ms` pass. */
async function waitHealthy(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not healthy after ${ms} ms`);
}
