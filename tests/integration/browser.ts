/**
 * Test support for the dashboard: Debian's chromium driven headless by puppeteer-core, with
 * every console error, uncaught exception, CSP violation, failed request and dialog recorded.
 *
 * @module
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";

/** Where Debian installs chromium (`apt-get install chromium`). */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether chromium is installed. */
export function hasChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

/** What the page did that a test may want to see. */
export interface PageEvents {
  /** console.error / console.assert messages and browser log errors. */
  consoleErrors: string[];
  /** Uncaught exceptions in the page. */
  exceptions: string[];
  /** Content-Security-Policy violations ("directive: blocked URI"). */
  cspViolations: string[];
  /** alert/confirm/prompt dialogs that opened (each is dismissed). */
  dialogs: string[];
  /** Responses with status >= 400: "status URL". */
  failedResponses: string[];
}

/** A headless browser with one page. */
export interface BrowserSession {
  browser: Browser;
  page: Page;
  events: PageEvents;
  close(): Promise<void>;
}

/** Start chromium headless and open a page that records its events. */
export async function openBrowser(
  options: { width?: number; height?: number; timeoutMs?: number } = {},
): Promise<BrowserSession> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container: no sandbox. No GPU, no first-run UI, loopback only.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    timeout: options.timeoutMs ?? 30_000,
    protocolTimeout: options.timeoutMs ?? 30_000,
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(options.timeoutMs ?? 30_000);
  await page.setViewport({ width: options.width ?? 1280, height: options.height ?? 900 });
  const events: PageEvents = {
    consoleErrors: [],
    exceptions: [],
    cspViolations: [],
    dialogs: [],
    failedResponses: [],
  };
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "assert") {
      events.consoleErrors.push(msg.text());
    }
  });
  page.on("pageerror", (err) => events.exceptions.push(String((err as Error)?.message ?? err)));
  page.on("dialog", (dialog) => {
    events.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on("response", (res) => {
    if (res.status() >= 400) events.failedResponses.push(`${res.status()} ${res.url()}`);
  });
  // CSP violations reach the page as events; the binding reports them to the test.
  await page.exposeFunction("__dnsaCspViolation", (v: string) => events.cspViolations.push(v));
  // (A string: the test's type-check has no DOM types.)
  await page.evaluateOnNewDocument(`document.addEventListener("securitypolicyviolation", (e) =>
    globalThis.__dnsaCspViolation(e.violatedDirective + ": " + e.blockedURI));`);
  return {
    browser,
    page,
    events,
    async close() {
      await browser.close().catch(() => {});
    },
  };
}
