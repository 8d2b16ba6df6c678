/**
 * The dashboard's files, served by the HTTP server: the page at `/` and its scripts, style
 * sheet and icon under `/assets/`. The sources are real files beside this module, imported as
 * text so that `deno compile` puts them in the binary.
 *
 * @example
 * ```ts
 * const page = DASHBOARD_ASSETS.get("/"); // { type: "text/html; charset=utf-8", body: "<!doctype html>…" }
 * ```
 *
 * @module
 */
import indexHtml from "./index.html" with { type: "text" };
import appJs from "./app.js" with { type: "text" };
import apiJs from "./api.js" with { type: "text" };
import chartsJs from "./charts.js" with { type: "text" };
import detailJs from "./detail.js" with { type: "text" };
import domJs from "./dom.js" with { type: "text" };
import overviewJs from "./overview.js" with { type: "text" };
import panelsJs from "./panels.js" with { type: "text" };
import queriesJs from "./queries.js" with { type: "text" };
import serverJs from "./server.js" with { type: "text" };
import appCss from "./app.css" with { type: "text" };
import faviconSvg from "./favicon.svg" with { type: "text" };

/** One file of the dashboard: its Content-Type and its text. */
export interface DashboardAsset {
  type: string;
  body: string;
}

const JS = "text/javascript; charset=utf-8";

/** The dashboard's files keyed by URL path (`/`, `/assets/app.js`, …). */
export const DASHBOARD_ASSETS: ReadonlyMap<string, DashboardAsset> = new Map([
  ["/", { type: "text/html; charset=utf-8", body: indexHtml }],
  ["/assets/app.js", { type: JS, body: appJs }],
  ["/assets/api.js", { type: JS, body: apiJs }],
  ["/assets/charts.js", { type: JS, body: chartsJs }],
  ["/assets/detail.js", { type: JS, body: detailJs }],
  ["/assets/dom.js", { type: JS, body: domJs }],
  ["/assets/overview.js", { type: JS, body: overviewJs }],
  ["/assets/panels.js", { type: JS, body: panelsJs }],
  ["/assets/queries.js", { type: JS, body: queriesJs }],
  ["/assets/server.js", { type: JS, body: serverJs }],
  ["/assets/app.css", { type: "text/css; charset=utf-8", body: appCss }],
  ["/assets/favicon.svg", { type: "image/svg+xml", body: faviconSvg }],
]);
