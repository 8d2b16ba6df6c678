/**
 * `demo` in a real browser (Debian's chromium, headless), once per source: within 30 s of the
 * dashboard's start the summary shows a non-zero NXDOMAIN share (with the query log: from the
 * simulated statistics channel, said in a note), the rate-limiting panel its chart of dropped
 * answers, the cache panel a hit ratio, and with dnstap the response-time chart. The page raises
 * no error. Screenshots go to tests/artifacts/demo-querylog.png and demo-dnstap.png.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "puppeteer-core";
import { type BrowserSession, CHROMIUM, hasChromium, openBrowser } from "./browser.ts";
import { startDemo } from "../demo_process.ts";

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const noChromium = hasChromium() ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
if (noChromium) console.log(`demo_browser_test: ignored: ${noChromium}`);

/** What the overview shows of the demo. */
interface Shown {
  nxdomain: number;
  nxdomainNote: string;
  rrlLines: number;
  cacheRatio: string;
  cacheNote: string;
  latencyLines: number;
  latencyText: string;
  loading: number;
}

function shown(page: Page): Promise<Shown> {
  return page.evaluate(`(() => {
    const stat = (panel, label) => [...document.querySelectorAll("#panel-" + panel + " .stat")]
      .find((s) => s.querySelector("dt")?.textContent === label);
    const nx = stat("summary", "NXDOMAIN");
    return {
      nxdomain: parseFloat(nx?.querySelector("dd")?.textContent ?? "0") || 0,
      nxdomainNote: nx?.querySelector("dd.note")?.textContent ?? "",
      rrlLines: document.querySelectorAll("#panel-rrl svg.chart path.line").length,
      cacheRatio: stat("cache", "Cache hit ratio")?.querySelector("dd")?.textContent ?? "",
      cacheNote: document.querySelector("#panel-cache p.note")?.textContent ?? "",
      latencyLines: document.querySelectorAll("#panel-latency svg.chart path.line").length,
      latencyText: document.querySelector("#panel-latency")?.textContent ?? "",
      loading: document.querySelectorAll("#main .loading").length,
    };
  })()`) as Promise<Shown>;
}

async function demoInBrowser(source: "querylog" | "dnstap") {
  const demo = await startDemo(["--source", source, "--seconds", "600"]);
  let session: BrowserSession | null = null;
  let stopped: Awaited<ReturnType<typeof demo.stop>> | null = null;
  try {
    session = await openBrowser();
    const { page } = session;
    const ready = (s: Shown) =>
      s.loading === 0 && s.nxdomain > 0 && s.rrlLines > 0 && s.cacheRatio !== "" &&
      (source === "querylog" || s.latencyLines > 0);
    // The page reloads its data every minute; the test reloads it until the panels are
    // filled, for at most 30 s from the dashboard's start.
    let last: Shown | null = null;
    await page.goto(`${demo.url}#/?days=1`, { waitUntil: "networkidle0" });
    while (performance.now() - demo.listeningAt < 30_000) {
      // (goto of the same URL is a same-document navigation: reload loads the data again.)
      if (last) await page.reload({ waitUntil: "networkidle0" });
      await page.waitForFunction(`!document.querySelector("#main .loading")`, { timeout: 20_000 });
      last = await shown(page);
      if (ready(last)) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const after = ((performance.now() - demo.listeningAt) / 1000).toFixed(1);
    console.log(`demo --source ${source}: ${JSON.stringify(last)} after ${after} s`);
    assert.ok(last && ready(last), `panels not filled within 30 s: ${JSON.stringify(last)}`);
    assert.match(last.cacheNote, /server's cache counters/);
    if (source === "querylog") {
      assert.match(last.nxdomainNote, /named's statistics channel/);
      assert.match(last.latencyText, /No latency: needs dnstap/);
    } else {
      assert.equal(last.nxdomainNote, "", "dnstap gives every query's rcode: no note");
    }
    assert.deepEqual(session.events.exceptions, []);
    assert.deepEqual(session.events.consoleErrors, []);
    assert.deepEqual(session.events.cspViolations, []);
    assert.deepEqual(session.events.failedResponses, []);
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, `demo-${source}.png`);
    await page.screenshot({ path: path as `${string}.png`, fullPage: true });
    console.log(`screenshot: ${path}`);
  } finally {
    await session?.close();
    stopped = await demo.stop();
  }
  assert.equal(stopped.code, 0, stopped.stderr.slice(-3000));
}

Deno.test({
  name: "browser: demo --source querylog fills NXDOMAIN (named's counters), RRL and cache",
  ignore: noChromium !== null,
  sanitizeResources: false,
  sanitizeOps: false,
}, () => demoInBrowser("querylog"));

Deno.test({
  name: "browser: demo --source dnstap fills NXDOMAIN, the response-time chart, RRL and cache",
  ignore: noChromium !== null,
  sanitizeResources: false,
  sanitizeOps: false,
}, () => demoInBrowser("dnstap"));
