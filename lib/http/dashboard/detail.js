// Detail views: one domain (#/domain/<name>) or one client (#/client/<address>).
import { apiUrl, routeHash } from "./api.js";
import { legend, stackedBars } from "./charts.js";
import { fill, fmtInstant, fmtNumber, h } from "./dom.js";
import { COL, panel, panelError, RCODES, stats, table } from "./panels.js";

const DAY_COLUMNS = [
  { key: "stat_date", label: "Day" },
  COL.count("hit_count", "Queries"),
  ...RCODES.map((c) => COL.count(c.column, c.label.split(" ")[0])),
];

/** Build the detail view of a domain or a client into `main`; resolves once it is filled. */
export function renderDetail(main, app) {
  const { route } = app;
  const isDomain = route.view === "domain";
  const url = isDomain
    ? apiUrl("/api/domain", route, { name: route.name })
    : apiUrl("/api/client", route, { ip: route.name });
  const back = h(
    "a",
    { href: routeHash({ ...route, view: "overview", name: null }) },
    "← overview",
  );
  const title = h("h1", { class: "detail-name" }, route.name ?? "");
  main.append(
    h(
      "div",
      { class: "detail-head wide" },
      back,
      h("span", { class: "kind" }, isDomain ? "domain" : "client"),
      title,
    ),
  );
  const p = {
    summary: panel("detail-summary", "Summary", { wide: true, csv: url }),
    days: panel("detail-days", "Queries per day", { wide: true }),
    qtypes: isDomain ? panel("detail-qtypes", "Query types") : null,
    nodes: panel("detail-nodes", "Nodes"),
    table: panel("detail-table", "Per day", { wide: true }),
  };
  for (const x of Object.values(p)) if (x) main.append(x.el);

  return app.get(url).then((d) => {
    app.showRange(d);
    const days = d.days ?? [];
    const total = days.reduce((a, r) => a + (r.hit_count ?? 0), 0);
    const items = [{ label: "Queries", value: fmtNumber(total) }];
    if (isDomain) {
      items.push(
        { label: "Apex domain", value: apexLink(d.apex_domain, route) },
        { label: "First seen", value: fmtInstant(d.first_seen) },
        { label: "Last seen", value: fmtInstant(d.last_seen) },
      );
    }
    fill(
      p.summary.body,
      stats(items),
      days.length === 0 ? h("p", { class: "muted empty" }, "No queries in this range.") : null,
    );
    const present = RCODES.filter((c) => days.some((r) => (r[c.column] ?? 0) > 0));
    const buckets = days.map((r) => ({
      label: String(r.stat_date).slice(5, 10),
      title: String(r.stat_date).slice(0, 10),
      values: Object.fromEntries(RCODES.map((c) => [c.key, r[c.column] ?? 0])),
    }));
    fill(
      p.days.body,
      days.length === 0 ? h("p", { class: "muted empty" }, "No queries in this range.") : h(
        "div",
        {},
        stackedBars(buckets, present, {
          label: "queries per day by rcode",
          width: p.days.body.clientWidth,
        }),
        h("div", { class: "chart-foot" }, legend(present)),
      ),
    );
    if (p.qtypes) {
      fill(
        p.qtypes.body,
        table(d.qtypes ?? [], [{ key: "qtype", label: "Type" }, COL.count("hit_count", "Queries")]),
      );
    }
    fill(
      p.nodes.body,
      table(d.nodes ?? [], [
        { key: "node_name", label: "Node" },
        COL.count("hit_count", "Queries"),
      ]),
    );
    const columns = isDomain
      ? [...DAY_COLUMNS, COL.count("unique_clients", "Clients")]
      : DAY_COLUMNS;
    fill(p.table.body, table([...days].reverse(), columns));
  }).catch((e) => {
    if (e?.name === "AbortError") return;
    for (const x of Object.values(p)) if (x) fill(x.body, panelError(e));
  });
}

function apexLink(apex, route) {
  if (!apex) return "–";
  if (apex === route.name) return apex;
  return h("a", { href: routeHash({ ...route, view: "domain", name: apex }) }, apex);
}
