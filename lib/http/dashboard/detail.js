// Detail views: one domain (#/domain/<name>) or one client (#/client/<address>).
import { apiUrl, queriesHash, routeHash } from "./api.js";
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
  const subject = isDomain ? { domain: route.name } : { client: route.name };
  const clientName = h("span", { class: "client-name", id: "client-name" });
  main.append(
    h(
      "div",
      { class: "detail-head wide" },
      back,
      h("span", { class: "kind" }, isDomain ? "domain" : "client"),
      title,
      isDomain ? null : clientName,
      h("a", { class: "log-link", href: queriesHash(route, subject) }, "query log"),
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
  const drill = renderDrilldown(main, app, isDomain);

  const loaded = app.get(url).then((d) => {
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
  return Promise.all([loaded, drill]);
}

const COUNT_COLUMNS = [
  COL.count("hit_count", "Queries"),
  COL.count("nxdomain_count", "NXDOMAIN"),
  COL.count("servfail_count", "SERVFAIL"),
  COL.count("refused_count", "REFUSED"),
];

/** The raw-query drill-downs: a client's top domains, qtypes, rcodes; a domain's clients. */
function renderDrilldown(main, app, isDomain) {
  const { route } = app;
  const log = (filters) => ({
    key: "log",
    label: "Log",
    format: () => "queries",
    link: (row) => queriesHash(route, filters(row)),
  });
  const coverage = (c) => c?.note ? h("p", { class: "muted coverage" }, c.note) : null;
  if (isDomain) {
    const clients = panel("detail-clients", "Top clients (raw queries)", { wide: true });
    main.append(clients.el);
    const url = apiUrl("/api/domain-clients", route, { domain: route.name });
    return app.get(url).then((d) => {
      fill(
        clients.body,
        table(d.clients ?? [], [
          {
            key: "client_ip",
            label: "Client",
            link: (r) => routeHash({ ...route, view: "client", name: r.client_ip }),
          },
          { key: "client_name", label: "Name" },
          ...COUNT_COLUMNS,
          log((r) => ({ domain: route.name, client: r.client_ip })),
        ]),
        coverage(d.coverage),
      );
    }).catch((e) => {
      if (e?.name !== "AbortError") fill(clients.body, panelError(e));
    });
  }
  const p = {
    domains: panel("detail-domains", "Top domains (raw queries)", { wide: true }),
    qtypes: panel("detail-client-qtypes", "Query types"),
    rcodes: panel("detail-client-rcodes", "Response codes"),
  };
  for (const x of Object.values(p)) main.append(x.el);
  const client = route.name;
  const url = apiUrl("/api/client-domains", route, { client });
  const names = app.get(`/api/client-names?q=${encodeURIComponent(client)}`).then((r) => {
    const shown = (r.names ?? []).find((n) => n.shown);
    const el = document.getElementById("client-name");
    if (el && shown) el.textContent = shown.name;
  }).catch(() => {});
  const lists = app.get(url).then((d) => {
    fill(
      p.domains.body,
      table(d.domains ?? [], [
        {
          key: "domain",
          label: "Domain",
          link: (r) => r.domain ? routeHash({ ...route, view: "domain", name: r.domain }) : null,
        },
        ...COUNT_COLUMNS,
        log((r) => ({ client, domain: r.domain })),
      ]),
      coverage(d.coverage),
    );
    fill(
      p.qtypes.body,
      table(d.qtypes ?? [], [
        { key: "qtype", label: "Type" },
        COL.count("hit_count", "Queries"),
        log((r) => ({ client, qtype: r.qtype })),
      ]),
    );
    fill(
      p.rcodes.body,
      table(d.rcodes ?? [], [
        { key: "response_rcode", label: "Rcode" },
        COL.count("hit_count", "Queries"),
        log((r) => ({ client, rcode: r.response_rcode })),
      ]),
    );
  }).catch((e) => {
    if (e?.name === "AbortError") return;
    for (const x of Object.values(p)) fill(x.body, panelError(e));
  });
  return Promise.all([names, lists]);
}

function apexLink(apex, route) {
  if (!apex) return "–";
  if (apex === route.name) return apex;
  return h("a", { href: routeHash({ ...route, view: "domain", name: apex }) }, apex);
}
