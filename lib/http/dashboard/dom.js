// DOM helpers of the dashboard. Every value reaches the page through textContent or
// setAttribute, never through HTML parsing, so a query name such as
// "<img src=x onerror=alert(1)>.example" is shown as text.

const SVG_NS = "http://www.w3.org/2000/svg";

/** Append children (nodes, strings, numbers; null and false are skipped) to `el`. */
function append(el, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Set attributes; `class` and every other key go through setAttribute, `text` sets textContent. */
function applyAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") el.textContent = String(v);
    else if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else el.setAttribute(k, v === true ? "" : String(v));
  }
  return el;
}

/** An HTML element: h("a", { href: "#/", class: "x" }, "text", child). */
export function h(tag, attrs, ...children) {
  return append(applyAttrs(document.createElement(tag), attrs), children);
}

/** An SVG element, created in the SVG namespace. */
export function s(tag, attrs, ...children) {
  return append(applyAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

/** Remove every child of `el`, then append `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const NUMBER = new Intl.NumberFormat("en-US");

/** A count with thousands separators; "–" for null. */
export function fmtNumber(n) {
  if (n === null || n === undefined || n === "") return "–";
  return typeof n === "number" ? NUMBER.format(n) : String(n);
}

/** A percentage with one decimal. */
export function fmtPct(n) {
  if (n === null || n === undefined) return "–";
  return `${Number(n).toFixed(Number(n) < 10 ? 2 : 1)} %`;
}

/** An instant as the API gives it (ISO with offset) shown compactly: "2026-11-25 20:43:16". */
export function fmtInstant(v) {
  if (!v) return "–";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(String(v));
  return m ? `${m[1]} ${m[2]}` : String(v);
}

/** How long ago an instant was, from `now` (ms): "12 s ago", "3 min ago", "2 h ago", "4 d ago". */
export function fmtAge(v, now = Date.now()) {
  if (!v) return "never";
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) return String(v);
  return `${fmtSeconds(Math.max(0, (now - t) / 1000))} ago`;
}

/** A duration in seconds, rounded to its largest unit. */
export function fmtSeconds(sec) {
  if (sec === null || sec === undefined) return "–";
  if (sec < 90) return `${Math.round(sec)} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  if (sec < 172800) return `${Math.round(sec / 3600)} h`;
  return `${Math.round(sec / 86400)} d`;
}

/** A byte count: "512 B", "3.2 MiB". */
export function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
