// dns-analytics dashboard: the page shell (range presets, custom range, node, location and
// network filters, error banner) and the router. Plain browser JavaScript modules, no build step.
import { ApiError, getJson, parseRoute, rangeDays, routeHash, zoneOffset } from "./api.js";
import { fill, h } from "./dom.js";
import { renderDetail } from "./detail.js";
import { renderOverview } from "./overview.js";
import { renderQueries, searchTarget } from "./queries.js";

const PRESETS = [
  { label: "Today", days: 1 },
  { label: "24 h", days: 2, title: "today and yesterday" },
  { label: "7 d", days: 7 },
  { label: "30 d", days: 30 },
  { label: "90 d", days: 90 },
];

const ui = {
  presets: document.getElementById("presets"),
  custom: document.getElementById("custom-range"),
  from: document.getElementById("range-from"),
  to: document.getElementById("range-to"),
  nodes: document.getElementById("node-filter"),
  nodesSummary: document.getElementById("node-summary"),
  nodeList: document.getElementById("node-list"),
  locationControl: document.getElementById("location-control"),
  location: document.getElementById("location-filter"),
  networkControl: document.getElementById("network-control"),
  network: document.getElementById("network-filter"),
  refresh: document.getElementById("refresh"),
  search: document.getElementById("search"),
  searchBox: document.getElementById("search-box"),
  banner: document.getElementById("banner"),
  main: document.getElementById("main"),
  range: document.getElementById("range-label"),
  updated: document.getElementById("updated"),
};

/** How often a range that reaches today is reloaded. */
const AUTO_REFRESH_MS = 60_000;

let generation = 0;
/** Zone of the data's days (from the API's answers). */
let zone = "UTC";
let controller = null;
let shownSubject = null;
let knownNodes = [];
/** The locations and networks of the registered nodes (dns_nodes), for their selects. */
let knownPlaces = { locations: [], networks: [] };
const errors = new Map();

function go(patch) {
  const next = routeHash({ ...parseRoute(location.hash), ...patch });
  if (next === location.hash) render();
  else location.hash = next;
}

function showErrors() {
  if (errors.size === 0) {
    ui.banner.hidden = true;
    ui.banner.replaceChildren();
    return;
  }
  const auth = [...errors.values()].some((e) => e.status === 401);
  fill(
    ui.banner,
    auth
      ? h(
        "p",
        {},
        "Not signed in or the token changed: ",
        h("a", { href: "/login" }, "sign in"),
        ".",
      )
      : null,
    h(
      "ul",
      {},
      [...errors.values()].filter((e) => e.status !== 401).map((e) => h("li", {}, e.message)),
    ),
  );
  ui.banner.hidden = false;
}

/** GET url for the current render (once per URL); a failure shows in the banner. */
function makeGet(gen, signal) {
  const pending = new Map();
  const load = async (url) => {
    try {
      return await getJson(url, signal);
    } catch (e) {
      if (gen === generation && e?.name !== "AbortError") {
        const err = e instanceof ApiError ? e : new ApiError(String(e?.message ?? e), 0, url);
        errors.set(url, err);
        showErrors();
      }
      throw e;
    }
  };
  return (url) => {
    if (!pending.has(url)) pending.set(url, load(url));
    return pending.get(url);
  };
}

function drawControls(route) {
  fill(
    ui.presets,
    PRESETS.map((p) =>
      h("button", {
        type: "button",
        class: !route.range.from && route.range.days === p.days ? "on" : null,
        "aria-pressed": !route.range.from && route.range.days === p.days ? "true" : "false",
        title: p.title ?? `the last ${p.days} days, today included`,
        "data-days": p.days,
        onclick: () => go({ range: { days: p.days } }),
      }, p.label)
    ),
  );
  if (route.range.from) {
    ui.from.value = route.range.from;
    ui.to.value = route.range.to;
  }
  ui.custom.classList.toggle("on", Boolean(route.range.from));
  drawNodeFilter(route);
  drawPlaceFilters(route);
}

/** One select: "All …" and `values` (plus the route's own value, when no node has it). */
function drawPlaceSelect(control, select, values, chosen, allLabel) {
  const options = [...values];
  if (chosen && !options.some((v) => v.toLowerCase() === chosen.toLowerCase())) {
    options.push(chosen);
  }
  fill(
    select,
    h("option", { value: "" }, allLabel),
    options.map((v) => h("option", { value: v }, v)),
  );
  select.value = options.find((v) => v.toLowerCase() === (chosen ?? "").toLowerCase()) ?? "";
  select.classList.toggle("on", Boolean(chosen));
  control.hidden = options.length === 0;
}

/** The location and network selects: the nodes' own values, passed to the API as filters. */
function drawPlaceFilters(route) {
  drawPlaceSelect(
    ui.locationControl,
    ui.location,
    knownPlaces.locations,
    route.location,
    "All locations",
  );
  drawPlaceSelect(
    ui.networkControl,
    ui.network,
    knownPlaces.networks,
    route.network,
    "All networks",
  );
}

function drawNodeFilter(route) {
  const selected = new Set(route.nodes);
  const names = [...new Set([...knownNodes, ...route.nodes])].sort();
  ui.nodesSummary.textContent = route.nodes.length === 0
    ? "All nodes"
    : route.nodes.length === 1
    ? `Node: ${route.nodes[0]}`
    : `${route.nodes.length} nodes`;
  const choose = (nodes) => go({ nodes });
  fill(
    ui.nodeList,
    h(
      "li",
      {},
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          checked: selected.size === 0,
          onchange: () => choose([]),
        }),
        "All nodes",
      ),
    ),
    names.map((n) =>
      h(
        "li",
        {},
        h(
          "label",
          {},
          h("input", {
            type: "checkbox",
            value: n,
            checked: selected.has(n),
            onchange: (ev) => {
              const next = new Set(selected);
              if (ev.target.checked) next.add(n);
              else next.delete(n);
              choose([...next].sort());
            },
          }),
          n,
        ),
      )
    ),
    names.length === 0 ? h("li", { class: "muted" }, "no nodes registered") : null,
  );
}

async function loadNodes(get) {
  try {
    const r = await get("/api/nodes");
    const nodes = r.nodes ?? [];
    knownNodes = nodes.map((n) => n.node_name).filter(Boolean);
    // One entry per location whatever its case (the API compares them case-insensitively).
    const byCase = new Map();
    for (const n of nodes) {
      if (n.location && !byCase.has(n.location.toLowerCase())) {
        byCase.set(n.location.toLowerCase(), n.location);
      }
    }
    knownPlaces = {
      locations: [...byCase.values()].sort((a, b) => a.localeCompare(b)),
      networks: [...new Set(nodes.map((n) => n.network).filter(Boolean))].sort(),
    };
    const route = parseRoute(location.hash);
    drawNodeFilter(route);
    drawPlaceFilters(route);
  } catch { /* shown in the banner */ }
}

/**
 * Draw the view of the URL. A soft render (Refresh, auto-refresh) builds the new view out of
 * sight and swaps it in once every panel is filled, so the page neither flashes nor jumps.
 */
function render({ soft = false } = {}) {
  const route = parseRoute(location.hash);
  const gen = ++generation;
  controller?.abort();
  controller = new AbortController();
  errors.clear();
  showErrors();
  const get = makeGet(gen, controller.signal);
  const days = rangeDays(route.range);
  if (!soft) {
    ui.range.textContent = route.range.from
      ? `${route.range.from} – ${route.range.to}`
      : days === 1
      ? "today"
      : `last ${days} days`;
  }
  const app = {
    route,
    get,
    showRange: (r) => {
      if (gen !== generation || !r?.from || !r?.to) return;
      if (r.tz) zone = r.tz;
      ui.range.textContent = `${r.from} – ${r.to}${r.tz ? ` (${r.tz})` : ""}`;
    },
  };
  drawControls(route);
  const target = soft ? h("main", { class: "grid staging", "aria-hidden": "true" }) : ui.main;
  if (soft) ui.main.after(target);
  else ui.main.replaceChildren();
  // A new subject starts at the top of the page; a new range or node filter keeps the place.
  const subject = `${route.view}/${route.name ?? ""}`;
  if (!soft && subject !== shownSubject) globalThis.scrollTo(0, 0);
  shownSubject = subject;
  ui.main.dataset.view = route.view;
  const done = route.view === "overview"
    ? renderOverview(target, app)
    : route.view === "queries"
    ? renderQueries(target, app)
    : renderDetail(target, app);
  done.finally(() => {
    if (gen === generation) {
      if (soft) ui.main.replaceChildren(...target.childNodes);
      ui.updated.textContent = `updated ${new Date().toLocaleTimeString()}`;
    }
    if (soft) target.remove();
  });
  loadNodes(get);
  document.title = route.view === "overview"
    ? "DNS analytics"
    : route.view === "queries"
    ? "Queries · DNS analytics"
    : `${route.name} · DNS analytics`;
}

/** Whether the route's range reaches today (in the zone of the data), so new data can come. */
function rangeIsLive(route) {
  if (!route.range.from) return true;
  const today = new Date(Date.now() + zoneOffset(Date.now(), zone)).toISOString().slice(0, 10);
  return route.range.to >= today;
}

// The node list closes on a click elsewhere.
document.addEventListener("click", (ev) => {
  if (ui.nodes.open && !ui.nodes.contains(ev.target)) ui.nodes.open = false;
});
ui.custom.addEventListener("submit", (ev) => {
  ev.preventDefault();
  let from = ui.from.value, to = ui.to.value;
  if (!from || !to) return;
  if (from > to) [from, to] = [to, from];
  go({ range: { from, to } });
});
ui.refresh.addEventListener("click", () => render({ soft: true }));
ui.location.addEventListener("change", () => go({ location: ui.location.value || undefined }));
ui.network.addEventListener("change", () => go({ network: ui.network.value || undefined }));
// The query log's link beside the brand (made here: the page's own links are # and /).
document.querySelector(".top .brand")?.after(
  h("a", { class: "nav", id: "nav-queries", href: "#/queries" }, "Queries"),
);
// The search box: an address, a network, a client name or a domain goes to its view.
ui.search.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = ui.searchBox.value.trim();
  if (text) location.hash = await searchTarget(text, parseRoute(location.hash));
});
setInterval(() => {
  const route = parseRoute(location.hash);
  // The query log keeps its pages and has its own live tail.
  if (route.view === "queries") return;
  if (!document.hidden && !ui.nodes.open && rangeIsLive(route)) {
    render({ soft: true });
  }
}, AUTO_REFRESH_MS);
globalThis.addEventListener("hashchange", () => render());
render();
