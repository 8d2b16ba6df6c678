// Charts of the dashboard, drawn as SVG with createElementNS. Colours come from CSS classes
// (app.css), so they follow the light or dark theme.
import { fmtNumber, h, s } from "./dom.js";

const WIDTH = 800;
const H = 240;
const M = { top: 12, right: 12, bottom: 28, left: 60 };

/** Round `max` up to a "nice" axis end and return the tick values from 0. */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((st) => st >= raw) ?? 10 * mag;
  const ticks = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks.at(-1) < max) ticks.push(Number((ticks.at(-1) + step).toPrecision(12)));
  return ticks;
}

/** Chart width in user units: the container's pixels, so text keeps its size on a phone. */
function chartWidth(width) {
  return Math.max(300, Math.min(1600, Math.round(width || WIDTH)));
}

function frame(W, ticks, yFormat, label) {
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart",
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "xMidYMid meet",
  });
  const top = ticks.at(-1);
  const y = (v) => M.top + (H - M.top - M.bottom) * (1 - v / top);
  const axis = s("g", { class: "axis" });
  for (const t of ticks) {
    axis.append(
      s("line", { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t), class: "grid" }),
      s("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end" }, yFormat(t)),
    );
  }
  svg.append(axis);
  return { svg, y };
}

function xLabels(W, svg, labels, xOf) {
  const g = s("g", { class: "axis" });
  const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(W / 90))));
  labels.forEach((l, i) => {
    if (i % every !== 0 || !l) return;
    g.append(s("text", { x: xOf(i), y: H - 8, "text-anchor": "middle" }, l));
  });
  svg.append(g);
}

/**
 * Stacked bars: one bar per bucket, one segment per series.
 * buckets: [{ label, title, values: { key: n } }]; series: [{ key, label }].
 */
export function stackedBars(
  buckets,
  series,
  { label = "chart", yFormat = fmtNumber, width = WIDTH } = {},
) {
  const W = chartWidth(width);
  const totals = buckets.map((b) => series.reduce((a, se) => a + (b.values[se.key] ?? 0), 0));
  const { svg, y } = frame(W, niceTicks(Math.max(0, ...totals)), yFormat, label);
  const plotW = W - M.left - M.right;
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, Math.min(48, slot * 0.8));
  const bars = s("g", { class: "bars" });
  buckets.forEach((b, i) => {
    let acc = 0;
    const x = M.left + i * slot + (slot - barW) / 2;
    for (const se of series) {
      const v = b.values[se.key] ?? 0;
      if (v <= 0) continue;
      const y1 = y(acc + v), y0 = y(acc);
      acc += v;
      bars.append(
        s(
          "rect",
          {
            x: x.toFixed(2),
            y: y1.toFixed(2),
            width: barW.toFixed(2),
            height: Math.max(0.5, y0 - y1).toFixed(2),
            class: `bar s-${se.key}`,
          },
          s("title", {}, `${b.title}: ${se.label} ${fmtNumber(v)}`),
        ),
      );
    }
  });
  svg.append(bars);
  xLabels(W, svg, buckets.map((b) => b.label), (i) => M.left + i * slot + slot / 2);
  return svg;
}

/**
 * Lines over time: points [{ t (ms), label, values: { key: n | null } }] placed by t on the
 * axis from `from` to `to` (default: the first and last point); a null value breaks the line.
 * `ticks(n)` gives about n axis tick instants (default: evenly spaced), `tickLabel(t)` names them. Dots mark the points when there are few, and always a
 * point that stands alone.
 */
export function lineChart(points, series, options = {}) {
  const { label = "chart", yFormat = fmtNumber, width = WIDTH } = options;
  const tickLabel = options.tickLabel ?? ((t) => new Date(t).toISOString().slice(5, 16));
  const W = chartWidth(width);
  const all = points.flatMap((p) => series.map((se) => p.values[se.key])).filter((v) =>
    typeof v === "number"
  );
  const { svg, y } = frame(W, niceTicks(Math.max(0, ...all)), yFormat, label);
  const t0 = options.from ?? points[0]?.t ?? 0;
  const t1 = Math.max(options.to ?? points.at(-1)?.t ?? 1, t0);
  const plotW = W - M.left - M.right;
  const x = (t) => M.left + plotW * (t1 > t0 ? (t - t0) / (t1 - t0) : 0.5);
  for (const se of series) {
    let d = "";
    const dots = s("g", { class: `dots s-${se.key}` });
    const has = (i) => typeof points[i]?.values[se.key] === "number";
    points.forEach((p, i) => {
      if (!has(i)) return;
      const v = p.values[se.key];
      const px = x(p.t).toFixed(2), py = y(v).toFixed(2);
      d += `${has(i - 1) ? "L" : "M"}${px},${py}`;
      if (points.length <= 150 || (!has(i - 1) && !has(i + 1))) {
        dots.append(
          s(
            "circle",
            { cx: px, cy: py, r: 2.5 },
            s("title", {}, `${p.label}: ${se.label} ${yFormat(v)}`),
          ),
        );
      }
    });
    svg.append(s("path", { d, class: `line s-${se.key}` }), dots);
  }
  const g = s("g", { class: "axis" });
  const n = Math.max(2, Math.floor(plotW / 110));
  const ticks = options.ticks?.(n) ??
    (t1 > t0 ? Array.from({ length: n + 1 }, (_, i) => t0 + (t1 - t0) * i / n) : [t0]);
  for (const t of ticks) {
    const at = x(t);
    const anchor = at < M.left + 30 ? "start" : at > W - M.right - 30 ? "end" : "middle";
    g.append(s("text", { x: at.toFixed(2), y: H - 8, "text-anchor": anchor }, tickLabel(t)));
  }
  svg.append(g);
  return svg;
}

/** A thin horizontal bar for a share 0–1 (a table cell). */
export function shareBar(fraction, key = "share") {
  const f = Math.max(0, Math.min(1, Number(fraction) || 0));
  return s(
    "svg",
    { viewBox: "0 0 100 8", class: "sharebar", preserveAspectRatio: "none", "aria-hidden": "true" },
    s("rect", { x: 0, y: 0, width: 100, height: 8, class: "track" }),
    s("rect", { x: 0, y: 0, width: (f * 100).toFixed(2), height: 8, class: `bar s-${key}` }),
  );
}

/** The legend of a chart's series. */
export function legend(series) {
  return h(
    "ul",
    { class: "legend" },
    series.map((se) => h("li", {}, h("span", { class: `sw s-${se.key}` }), se.label)),
  );
}
