// The query log (#/queries): filters, newest first, "More" pages with the API's cursor, CSV
// of the whole result, and live tail (new rows appear at the top as they are committed).
import { apiUrl, getJson, QUERY_FILTERS, routeHash } from "./api.js";
import { fill, fmtInstant, h } from "./dom.js";
import { panel, panelError } from "./panels.js";

const PAGE = 100;
const TAIL_MS = 2000;
/** Rows kept on the page in live tail (the oldest drop off). */
const TAIL_KEEP = 1000;

const LABELS = {
  client: ["Client", "address, 10.0.0.0/24 or name"],
  domain: ["Domain", "name or *.example.com"],
  apex: ["Apex", "example.com"],
  qtype: ["Type", "A,AAAA"],
  rcode: ["Rcode", "NOERROR, SERVFAIL, unknown"],
  transport: ["Transport", "udp, tcp"],
};

const COLUMNS = [
  ["queried_at", "Time"],
  ["node_name", "Node"],
  ["client_ip", "Client"],
  ["client_name", "Name"],
  ["domain", "Domain"],
  ["qtype", "Type"],
  ["response_rcode", "Rcode"],
  ["transport", "Transport"],
  ["flags", "Flags"],
];

/** A row's identity among rows of one instant (rows identical in all columns are one). */
const rowKey = (r) => JSON.stringify(r);

/** Build the query log into `main`; resolves once the first page is shown. */
export function renderQueries(main, app) {
  const { route } = app;
  const url = (extra = {}) => apiUrl("/api/queries", route, { ...route.filters, ...extra });
  const form = h("form", { class: "filters", id: "query-filters" });
  for (const k of QUERY_FILTERS) {
    form.append(
      h(
        "label",
        {},
        LABELS[k][0],
        h("input", {
          name: k,
          value: route.filters[k] ?? "",
          placeholder: LABELS[k][1],
          autocomplete: "off",
        }),
      ),
    );
  }
  const tail = h("input", { type: "checkbox", id: "live-tail" });
  form.append(
    h("button", { type: "submit" }, "Search"),
    h("label", { class: "tail" }, tail, "Live tail"),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const filters = {};
    for (const k of QUERY_FILTERS) {
      const v = form.elements[k].value.trim();
      if (v) filters[k] = v;
    }
    location.hash = routeHash({ ...route, view: "queries", name: null, filters });
  });
  const p = panel("queries", "Query log", { wide: true, csv: url() });
  main.append(h("div", { class: "detail-head wide" }, h("h1", {}, "Queries"), form), p.el);

  const body = h("tbody");
  const more = h("button", { type: "button", class: "more", hidden: true }, "More");
  const status = h("p", { class: "muted", id: "queries-status" });
  let next = null;
  let newest = null; // queried_at of the newest row shown
  const shownAtNewest = new Set();

  const rowEl = (r) =>
    h(
      "tr",
      {},
      COLUMNS.map(([k]) => {
        const v = r[k];
        if (k === "queried_at") return h("td", { class: "name" }, fmtInstant(v));
        if (k === "client_ip" && v) {
          return h(
            "td",
            { class: "name" },
            h("a", { href: routeHash({ ...route, view: "client", name: v }) }, v),
          );
        }
        if (k === "domain" && v) {
          return h(
            "td",
            { class: "name" },
            h("a", { href: routeHash({ ...route, view: "domain", name: v }) }, v),
          );
        }
        return h("td", { class: "name" }, v ?? "–");
      }),
    );
  const remember = (rows) => {
    for (const r of rows) {
      if (newest === null || r.queried_at > newest) {
        newest = r.queried_at;
        shownAtNewest.clear();
      }
      if (r.queried_at === newest) shownAtNewest.add(rowKey(r));
    }
  };
  const append = (page) => {
    for (const r of page.rows) body.append(rowEl(r));
    remember(page.rows);
    next = page.next;
    more.hidden = !next;
    status.textContent = body.children.length === 0
      ? "No queries match."
      : `${body.children.length} rows shown${next ? "" : " (all)"}.`;
  };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      append(await getJson(url({ limit: PAGE, cursor: next })));
    } catch (e) {
      status.textContent = `Could not load: ${e?.message ?? e}`;
    } finally {
      more.disabled = false;
    }
  });

  // Live tail: ask for rows at or after the newest shown; add those not shown yet on top.
  let timer = null;
  const poll = async () => {
    if (!main.isConnected || !tail.checked) return;
    try {
      const params = { ...route.filters, limit: "500" };
      if (newest) params.from = newest;
      if (route.nodes.length > 0) params.node = route.nodes.join(",");
      const page = await getJson(`/api/queries?${new URLSearchParams(params)}`);
      const fresh = page.rows.filter((r) =>
        newest === null || r.queried_at > newest ||
        (r.queried_at === newest && !shownAtNewest.has(rowKey(r)))
      );
      if (fresh.length > 0) {
        body.prepend(...fresh.map(rowEl));
        remember(fresh);
        while (body.children.length > TAIL_KEEP) body.lastElementChild.remove();
        status.textContent = `${body.children.length} rows shown, live.`;
      }
    } catch { /* the next poll tries again */ }
    if (main.isConnected && tail.checked) timer = setTimeout(poll, TAIL_MS);
  };
  tail.addEventListener("change", () => {
    clearTimeout(timer);
    if (tail.checked) poll();
  });

  return app.get(url({ limit: PAGE })).then((page) => {
    fill(
      p.body,
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "query-log" },
          h("thead", {}, h("tr", {}, COLUMNS.map(([, label]) => h("th", { scope: "col" }, label)))),
          body,
        ),
      ),
      status,
      more,
    );
    append(page);
  }).catch((e) => {
    if (e?.name !== "AbortError") fill(p.body, panelError(e));
  });
}

/** Where the search box sends `text`: an address to its client view, a network to the query
 * log, a client name to its client, anything else to the domain view. */
export async function searchTarget(text, route) {
  const t = text.trim();
  const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;
  const ipv6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:.]*$/;
  const base = { ...route, filters: {} };
  if (ipv4.test(t) || ipv6.test(t)) return routeHash({ ...base, view: "client", name: t });
  if (t.includes("/")) return routeHash({ ...base, view: "queries", filters: { client: t } });
  if (t.startsWith("*.")) return routeHash({ ...base, view: "queries", filters: { domain: t } });
  // A client name is one word; anything with a space can only be a query name.
  if (!/\s/.test(t)) {
    try {
      const r = await getJson(`/api/client-names?q=${encodeURIComponent(t)}`);
      const addresses = [...new Set((r.names ?? []).map((n) => n.address))];
      if (addresses.length === 1) {
        return routeHash({ ...base, view: "client", name: addresses[0] });
      }
      if (addresses.length > 1) {
        return routeHash({ ...base, view: "queries", filters: { client: t } });
      }
    } catch { /* no client names: a domain */ }
  }
  return routeHash({ ...base, view: "domain", name: t });
}
