// Building blocks of the dashboard's views: panels, tables, the rcode series.
import { csvUrl } from "./api.js";
import { fmtInstant, fmtNumber, fmtPct, h } from "./dom.js";
import { shareBar } from "./charts.js";

/** The rcode split as the API names its columns, in stacking order. */
export const RCODES = [
  { key: "noerror", column: "noerror_count", label: "NOERROR" },
  { key: "nxdomain", column: "nxdomain_count", label: "NXDOMAIN" },
  { key: "servfail", column: "servfail_count", label: "SERVFAIL" },
  { key: "refused", column: "refused_count", label: "REFUSED" },
  { key: "other", column: "other_count", label: "other" },
  { key: "unknown", column: "unknown_count", label: "unknown (source has no rcode)" },
];

/** A panel: a titled card with a body to fill later; `wide` spans the whole grid row. */
export function panel(id, title, { wide = false, csv = null } = {}) {
  const body = h("div", { class: "body" }, h("p", { class: "muted loading" }, "loading…"));
  const actions = h("span", { class: "actions" });
  if (csv) actions.append(csvLink(csv));
  const el = h(
    "section",
    { class: `panel${wide ? " wide" : ""}`, id: `panel-${id}`, "data-panel": id },
    h("header", {}, h("h2", {}, title), actions),
    body,
  );
  return { el, body, actions };
}

/** A link that downloads `url` as CSV. */
export function csvLink(url) {
  return h("a", { class: "csv", href: csvUrl(url), download: "" }, "CSV");
}

/** The message shown in a panel whose data failed to load. */
export function panelError(err) {
  return h("p", { class: "error-inline" }, `Could not load: ${err?.message ?? err}`);
}

/**
 * A table of `rows` with `columns`: [{ key, label, num?, link?(row) → href, format?(v, row),
 * bar?(row) → 0..1 }].
 */
export function table(rows, columns, { empty = "No data in this range." } = {}) {
  if (!rows || rows.length === 0) return h("p", { class: "muted empty" }, empty);
  const head = h(
    "tr",
    {},
    columns.map((c) => h("th", { class: c.num ? "num" : null, scope: "col" }, c.label)),
  );
  const body = rows.map((row) =>
    h(
      "tr",
      {},
      columns.map((c) => {
        const v = row[c.key];
        const text = c.format ? c.format(v, row) : c.num ? fmtNumber(v) : v ?? "–";
        const href = c.link ? c.link(row) : null;
        const content = href ? h("a", { href }, text) : text;
        const td = h("td", { class: c.num ? "num" : "name" }, content);
        if (c.bar) td.append(shareBar(c.bar(row), c.barKey ?? "share"));
        return td;
      }),
    )
  );
  return h(
    "div",
    { class: "table-wrap" },
    h("table", {}, h("thead", {}, head), h("tbody", {}, body)),
  );
}

/** Column definitions shared by several tables. */
export const COL = {
  count: (key, label) => ({ key, label, num: true }),
  pct: (key, label) => ({ key, label, num: true, format: fmtPct }),
  instant: (key, label) => ({ key, label, format: fmtInstant }),
};

/** A row of headline figures: [{ label, value, note? }]. */
export function stats(items) {
  return h(
    "dl",
    { class: "stats" },
    items.map((it) =>
      h(
        "div",
        { class: `stat${it.warn ? " warn" : ""}` },
        h("dt", {}, it.label),
        h("dd", {}, it.value),
        it.note ? h("dd", { class: "note" }, it.note) : null,
      )
    ),
  );
}
