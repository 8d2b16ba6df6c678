/**
 * The dashboard in a real browser (Debian's chromium, headless) against `dns-analytics serve`
 * on a fresh PostgreSQL database holding the BIND 9.18 fixture (node dns1, query log) and its
 * dnstap capture (node dns2, with rcodes and latencies), plus a planted query for the name
 * `<img src=x onerror=alert(1)>.example`. Signs in with the token, renders every panel, and
 * checks: no console error, exception, CSP violation or dialog; SVG charts drawn; the planted
 * name shown as text and never as markup; node filter; domain and client click-through; the
 * page fits a phone's width. Screenshots go to tests/artifacts/.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Page } from "puppeteer-core";
import { type BrowserSession, CHROMIUM, hasChromium, openBrowser } from "./browser.ts";
import { createTestDb, runProgram, startServe, stderrOf } from "./pg.ts";

const FIXTURES = new URL("../fixtures/bind-9.18/", import.meta.url).pathname;
const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const DAY = "2026-11-25";
const XSS = "<img src=x onerror=alert(1)>.example";
const TOKEN = "browser-test-token-5b1f0c";
const PLANTED = 1000;

const noChromium = hasChromium() ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
const missing = noChromium ??
  (Deno.env.get("DNSA_TEST_DATABASE_URL") ? null : "DNSA_TEST_DATABASE_URL is not set");
if (missing) console.log(`browser_test: PostgreSQL test ignored: ${missing}`);
if (noChromium) console.log(`browser_test: embedded database test ignored: ${noChromium}`);

/** The planted name as BIND 9.18 logs it (space as \032, parentheses escaped). */
function plantedLines(n: number): string {
  const logged = XSS.replaceAll(" ", "\\032").replaceAll("(", "\\(").replaceAll(")", "\\)");
  const lines = [];
  for (let i = 0; i < n; i++) {
    const at = `${10 + Math.floor(i / 1000)}.${String(i % 1000).padStart(3, "0")}`;
    lines.push(
      `25-Nov-2026 20:44:${at} client @0x7fd4ba26d098 127.0.0.10#${40000 + i} ` +
        `(${logged}): query: ${logged} IN A +E(0)K (127.0.0.1)`,
    );
  }
  return lines.join("\n") + "\n";
}

/** The fixture's query log with the planted name, and its query-errors log, in `dir`. */
async function writeLogs(dir: string): Promise<{ queries: string; errors: string }> {
  const queries = join(dir, "queries.log"), errors = join(dir, "query-errors.log");
  const log = new TextDecoder().decode(
    gunzipSync(await Deno.readFile(join(FIXTURES, "queries.log.gz"))),
  );
  await Deno.writeTextFile(queries, log + plantedLines(PLANTED));
  await Deno.copyFile(join(FIXTURES, "query-errors.log"), errors);
  return { queries, errors };
}

/** Stop serve; print its log when it did not stop cleanly. */
async function stopServe(serve: Deno.ChildProcess) {
  serve.kill("SIGTERM");
  await serve.status;
  const stderr = await stderrOf(serve);
  if (!/serve stopped/.test(stderr)) console.error(stderr.slice(-2000));
}

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
  let last = "";
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not healthy after ${ms} ms: ${last}`);
}

/** Evaluate an expression in the page (a string: this file is type-checked without DOM types). */
function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

/** Wait until `expression` is truthy in the page. */
async function until(page: Page, expression: string, what: string, ms = 20_000) {
  try {
    await page.waitForFunction(expression, { timeout: ms, polling: 100 });
  } catch (e) {
    const banner = await inPage<string>(page, `document.getElementById("banner")?.textContent`)
      .catch(() => "");
    throw new Error(`waiting for ${what}: ${(e as Error).message}; banner: ${banner}`);
  }
}

const rendered = (panel: string, selector: string) =>
  `document.querySelector('#panel-${panel} .body ${selector}')`;

/** Assert the page raised nothing since the last check. */
function assertQuiet(s: BrowserSession, where: string) {
  const e = s.events;
  assert.deepEqual(e.exceptions, [], `${where}: exceptions`);
  assert.deepEqual(e.cspViolations, [], `${where}: CSP violations`);
  assert.deepEqual(e.consoleErrors, [], `${where}: console errors`);
  assert.deepEqual(e.dialogs, [], `${where}: dialogs`);
  assert.deepEqual(e.failedResponses, [], `${where}: failed responses`);
}

async function screenshot(page: Page, name: string): Promise<string> {
  await Deno.mkdir(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, name);
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  console.log(`screenshot: ${path}`);
  return path;
}

Deno.test({
  name: "browser: the dashboard renders the fixture, shows hostile names as text, drills down",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const db = await createTestDb();
  const dir = await Deno.makeTempDir({ prefix: "dnsa-browser-" });
  let serve: Deno.ChildProcess | null = null;
  let session: BrowserSession | null = null;
  try {
    // Data: the query log (+ the planted name) and query-errors as dns1, dnstap as dns2.
    const { queries, errors } = await writeLogs(dir);
    const env = { DNSA_NODE: "dns1", DNSA_LOG_TZ: "UTC" };
    const ingest = await db.run(["ingest", queries, errors], env);
    assert.equal(ingest.code, 0, ingest.stderr);
    assert.equal(ingest.json?.rejected, 0);
    const dnstap = join(dir, "dnstap-1.fstrm");
    const xz = await new Deno.Command("xz", {
      args: ["-dc", join(FIXTURES, "dnstap-1.fstrm.xz")],
      stdout: "piped",
    }).output();
    assert.ok(xz.success, "xz -dc of the dnstap fixture (apt-get install xz-utils)");
    await Deno.writeFile(dnstap, xz.stdout);
    const tap = await db.run(["ingest", "--node", "dns2", dnstap], env);
    assert.equal(tap.code, 0, tap.stderr);
    const rollup = await db.run(["rollup"], env);
    assert.equal(rollup.code, 0, rollup.stderr);

    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    serve = startServe({
      ...env,
      DATABASE_URL: db.url,
      DNSA_HTTP: `127.0.0.1:${port}`,
      DNSA_HTTP_TOKEN: TOKEN,
      DNSA_QUERY_LOG: queries,
      DNSA_ERROR_LOG: errors,
    });
    await waitHealthy(`${base}/healthz`, 30_000);

    session = await openBrowser();
    const { page } = session;
    const overview = `${base}/#/?from=${DAY}&to=${DAY}`;

    // Without the cookie the page sends the browser to the login form; the token signs in.
    await page.goto(overview, { waitUntil: "domcontentloaded" });
    assert.equal(new URL(page.url()).pathname, "/login");
    await page.type("input[name=token]", TOKEN);
    await Promise.all([
      page.waitForNavigation({ waitUntil: "domcontentloaded" }),
      page.click("button[type=submit]"),
    ]);
    assert.equal(new URL(page.url()).pathname, "/");
    // The login page is the server's; what the browser did around it (e.g. asking for
    // /favicon.ico without the cookie) is not the dashboard's.
    console.log(`login phase: ${JSON.stringify(session.events)}`);
    for (const list of Object.values(session.events)) list.length = 0;

    await page.goto(overview, { waitUntil: "networkidle0" });
    await until(page, rendered("top-domains", "tbody tr"), "the top-domains table");
    await until(page, rendered("traffic", "svg.chart rect.bar"), "the traffic chart");
    await until(page, rendered("latency", "svg.chart path.line"), "the latency chart");
    await until(page, rendered("health", "table tbody tr"), "the job runs");
    await until(page, `!document.querySelector('.loading')`, "every panel loaded");
    assertQuiet(session, "overview");

    const facts = await inPage<Record<string, unknown>>(
      page,
      `(() => {
        const q = (s) => [...document.querySelectorAll(s)];
        const text = (s) => document.querySelector(s)?.textContent ?? "";
        return {
          bars: q("#panel-traffic svg.chart rect.bar").length,
          barClasses: [...new Set(q("#panel-traffic rect.bar").map((r) => r.getAttribute("class")))],
          latencyPoints: q("#panel-latency svg circle").length,
          topDomains: q("#panel-top-domains tbody tr").map((tr) => tr.cells[0].textContent),
          topClients: q("#panel-top-clients tbody tr").length,
          apex: q("#panel-top-apex-domains tbody tr").length,
          qtypes: q("#panel-qtypes tbody tr").map((tr) => tr.cells[0].textContent),
          nxdomain: q("#panel-top-nxdomain tbody tr").length,
          servfail: q("#panel-top-servfail tbody tr").length,
          nodes: q("#panel-nodes tbody tr").map((tr) => tr.cells[0].textContent),
          jobs: q("#panel-health tbody tr").map((tr) => tr.cells[0].textContent),
          summary: text("#panel-summary"),
          range: text("#range-label"),
          csv: q("a.csv").map((a) => a.getAttribute("href")),
          imgs: q("img").length,
          bodyHasXss: document.body.textContent.includes(${JSON.stringify(XSS)}),
          banner: document.getElementById("banner").hidden,
          nodeChoices: q("#node-list input[value]").map((i) => i.value),
        };
      })()`,
    );
    assert.ok((facts.bars as number) >= 3, `stacked bars: ${facts.bars}`);
    for (const c of ["bar s-noerror", "bar s-nxdomain", "bar s-servfail", "bar s-unknown"]) {
      assert.ok((facts.barClasses as string[]).includes(c), `a ${c} segment`);
    }
    assert.ok((facts.latencyPoints as number) >= 3, "p50/p95/p99 points");
    const top = facts.topDomains as string[];
    assert.equal(top[0], "youtube.com");
    assert.ok(top.includes(XSS), `the planted name is listed as text: ${top.join(", ")}`);
    assert.equal(facts.imgs, 0, "no <img> element: the planted name was not parsed as HTML");
    assert.equal(facts.bodyHasXss, true);
    assert.ok((facts.topClients as number) >= 5);
    assert.ok((facts.apex as number) >= 10);
    assert.ok((facts.qtypes as string[]).includes("AAAA"));
    assert.ok((facts.nxdomain as number) >= 1, "dnstap gives NXDOMAIN rows");
    assert.ok((facts.servfail as number) >= 1);
    assert.deepEqual(facts.nodes, ["dns1", "dns2"]);
    assert.deepEqual(facts.nodeChoices, ["dns1", "dns2"]);
    assert.ok((facts.jobs as string[]).includes("rollup"));
    assert.match(facts.summary as string, /Queries\s*42,217/);
    assert.equal(facts.range, `${DAY} – ${DAY} (UTC)`);
    assert.equal(facts.banner, true, "no error banner");
    const csv = facts.csv as string[];
    assert.ok(csv.includes(`/api/reports/top-domains?from=${DAY}&to=${DAY}&limit=25&format=csv`));

    // A CSV link downloads CSV with the session cookie.
    const cookie = (await page.cookies()).find((c) => c.name === "dnsa_token");
    assert.ok(cookie?.httpOnly, "the token cookie is HttpOnly");
    const csvRes = await fetch(`${base}${csv[0]}`, {
      headers: { cookie: `dnsa_token=${cookie.value}` },
    });
    assert.match(csvRes.headers.get("content-type") ?? "", /^text\/csv/);
    assert.match((await csvRes.text()).split("\n")[0], /^node_name,hit_count/);

    await screenshot(page, "dashboard-overview.png");

    // Refresh rebuilds the view out of sight: the panels never fall back to "loading…".
    await inPage(page, `document.getElementById("updated").textContent = ""`);
    await page.click("#refresh");
    assert.equal(
      await inPage<number>(page, `document.querySelectorAll("#main .loading").length`),
      0,
    );
    await until(
      page,
      `document.getElementById("updated").textContent.startsWith("updated")`,
      "refresh",
    );
    await until(page, `!document.querySelector(".staging")`, "the staged view swapped in");
    assert.equal(
      await inPage<number>(page, `document.querySelectorAll("#panel-top-domains tbody tr").length`),
      top.length,
    );
    assertQuiet(session, "refresh");

    // Node filter: dns1 alone (query log) has no latency and one node in the summary.
    await page.click("#node-filter summary");
    await page.click('#node-list input[value="dns1"]');
    await until(page, `location.hash.includes("node=dns1")`, "the node in the URL");
    await until(page, rendered("latency", "p.empty"), "the no-latency note");
    await until(page, `!document.querySelector('.loading')`, "panels of dns1");
    const dns1 = await inPage<Record<string, string>>(
      page,
      `({ latency: document.querySelector("#panel-latency").textContent,
          summary: document.querySelector("#panel-summary").textContent,
          nodes: document.querySelector("#node-summary").textContent })`,
    );
    assert.match(dns1.latency, /No latency: needs dnstap/);
    assert.match(dns1.summary, /Nodes reporting\s*1(?!\d)/);
    assert.match(dns1.summary, /Queries\s*26,866/);
    assert.equal(dns1.nodes, "Node: dns1");
    assertQuiet(session, "node filter");

    // Click-through: the planted name's detail view.
    await page.goto(overview, { waitUntil: "networkidle0" });
    await until(page, rendered("top-domains", "tbody tr"), "the top-domains table again");
    const clicked = await inPage<boolean>(
      page,
      `(() => {
        const a = [...document.querySelectorAll("#panel-top-domains tbody a")]
          .find((x) => x.textContent === ${JSON.stringify(XSS)});
        if (!a) return false;
        a.click();
        return true;
      })()`,
    );
    assert.ok(clicked, "a link for the planted name");
    await until(page, `document.querySelector(".detail-name")`, "the domain detail");
    await until(page, rendered("detail-days", "svg.chart rect.bar"), "the domain's chart");
    await until(page, rendered("detail-qtypes", "tbody tr"), "the domain's qtypes");
    const detail = await inPage<Record<string, unknown>>(
      page,
      `({
        name: document.querySelector(".detail-name").textContent,
        hash: location.hash,
        summary: document.querySelector("#panel-detail-summary").textContent,
        qtypes: [...document.querySelectorAll("#panel-detail-qtypes tbody tr")]
          .map((tr) => tr.cells[0].textContent + "=" + tr.cells[1].textContent),
        nodes: [...document.querySelectorAll("#panel-detail-nodes tbody tr")]
          .map((tr) => tr.cells[0].textContent),
        imgs: document.querySelectorAll("img").length,
        title: document.title,
      })`,
    );
    assert.equal(detail.name, XSS);
    assert.match(
      detail.hash as string,
      /^#\/domain\/%3Cimg%20src%3Dx%20onerror%3Dalert\(1\)%3E\.example\?/,
    );
    assert.match(
      detail.summary as string,
      new RegExp(`Queries\\s*${PLANTED.toLocaleString("en-US")}(?!\\d)`),
    );
    assert.deepEqual(detail.qtypes, [`A=${PLANTED.toLocaleString("en-US")}`]);
    assert.deepEqual(detail.nodes, ["dns1"]);
    assert.equal(detail.imgs, 0);
    assert.equal(detail.title, `${XSS} · DNS analytics`);
    assertQuiet(session, "domain detail");
    await screenshot(page, "dashboard-domain.png");

    // Click-through: the busiest client.
    await page.goto(overview, { waitUntil: "networkidle0" });
    await until(page, rendered("top-clients", "tbody a"), "the top-clients table");
    const client = await inPage<string>(
      page,
      `(() => { const a = document.querySelector("#panel-top-clients tbody a");
        a.click(); return a.textContent; })()`,
    );
    await until(page, rendered("detail-days", "svg.chart rect.bar"), "the client's chart");
    await until(page, rendered("detail-nodes", "tbody tr"), "the client's nodes");
    const clientView = await inPage<Record<string, string>>(
      page,
      `({ name: document.querySelector(".detail-name").textContent,
          kind: document.querySelector(".detail-head .kind").textContent })`,
    );
    assert.equal(clientView.name, client);
    assert.equal(clientView.kind, "client");
    assertQuiet(session, "client detail");

    // A phone: nothing wider than the screen (tables scroll inside their panel).
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    await page.goto(overview, { waitUntil: "networkidle0" });
    await until(page, rendered("top-domains", "tbody tr"), "the phone layout");
    await until(page, `!document.querySelector('.loading')`, "every panel on the phone");
    const widths = await inPage<number[]>(
      page,
      `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`,
    );
    assert.ok(widths[0] <= widths[1], `page ${widths[0]} px wide on a ${widths[1]} px screen`);
    assertQuiet(session, "phone");
    await screenshot(page, "dashboard-phone.png");

    // Signed out (the cookie gone): a refresh shows the banner with a link to /login.
    await page.deleteCookie({ name: "dnsa_token", url: base });
    await page.click("#refresh");
    await until(page, `document.querySelector('#banner:not([hidden]) a[href="/login"]')`, "401");
    assert.ok(session.events.failedResponses.some((r) => r.startsWith("401 ")));
    assert.deepEqual(session.events.exceptions, []);
  } finally {
    await session?.close();
    if (serve) await stopServe(serve);
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "browser: the dashboard on the embedded database, without a token on loopback",
  ignore: noChromium !== null,
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsa-browser-embedded-" });
  let serve: Deno.ChildProcess | null = null;
  let session: BrowserSession | null = null;
  try {
    const { queries, errors } = await writeLogs(dir);
    const env = {
      DNSA_DATA_DIR: join(dir, "data"),
      DNSA_NODE: "dns1",
      DNSA_LOG_TZ: "UTC",
      DNSA_QUERY_LOG: queries,
      DNSA_ERROR_LOG: errors,
    };
    const ingest = await runProgram(["ingest", queries, errors], env);
    assert.equal(ingest.code, 0, ingest.stderr);
    const rollup = await runProgram(["rollup"], env);
    assert.equal(rollup.code, 0, rollup.stderr);
    const port = freePort();
    const base = `http://127.0.0.1:${port}`;
    serve = startServe({ ...env, DNSA_HTTP: `127.0.0.1:${port}` });
    await waitHealthy(`${base}/healthz`, 60_000);

    session = await openBrowser();
    const { page } = session;
    const res = await page.goto(`${base}/#/?from=${DAY}&to=${DAY}`, { waitUntil: "networkidle0" });
    assert.equal(res?.status(), 200, "no token on loopback: the page opens directly");
    assert.match(res?.headers()["content-security-policy"] ?? "", /script-src 'self'/);
    await until(page, rendered("top-domains", "tbody tr"), "the top-domains table");
    await until(page, rendered("traffic", "svg.chart rect.bar"), "the traffic chart");
    await until(page, `!document.querySelector('.loading')`, "every panel loaded");
    const facts = await inPage<Record<string, unknown>>(
      page,
      `({
        top: [...document.querySelectorAll("#panel-top-domains tbody tr")]
          .map((tr) => tr.cells[0].textContent),
        latency: document.querySelector("#panel-latency").textContent,
        summary: document.querySelector("#panel-summary").textContent,
        imgs: document.querySelectorAll("img").length,
      })`,
    );
    assert.equal((facts.top as string[])[0], "youtube.com");
    assert.ok((facts.top as string[]).includes(XSS), "the planted name, as text");
    assert.equal(facts.imgs, 0);
    assert.match(facts.latency as string, /No latency: needs dnstap/);
    assert.match(facts.summary as string, /Queries\s*26,866(?!\d)/);
    assertQuiet(session, "embedded overview");
    await screenshot(page, "dashboard-embedded.png");
  } finally {
    await session?.close();
    if (serve) await stopServe(serve);
    await Deno.remove(dir, { recursive: true });
  }
});
