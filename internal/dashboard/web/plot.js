// Line plots drawn as SVG, with no library: a time axis, a value axis and a legend.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const palette = ["#0969da", "#cf222e", "#1a7f37", "#8250df", "#9a6700", "#bf3989", "#6e7781"];

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

// niceStep is a round step that cuts lo..hi into about n parts.
function niceStep(lo, hi, n) {
  if (hi <= lo) hi = lo + 1;
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map(m => m * mag).find(s => s >= raw);
}

// niceTicks are the round values from lo to hi, about n of them; with cover, the last one
// is at or above hi, so that the axis holds every value.
function niceTicks(lo, hi, n, cover) {
  const step = niceStep(lo, hi, n), out = [];
  const last = cover ? Math.ceil(hi / step - 1e-9) * step : hi;
  for (let v = Math.ceil(lo / step) * step; v <= last + 1e-9; v += step) out.push(+v.toFixed(10));
  return out;
}

// linePlot draws lines [{label, points: [[x, y], ...], dashed}] and returns the SVG;
// xFormat and yFormat write the axes' values. The plot is named by name (data-plot).
function linePlot(name, lines, { xFormat = String, yFormat = String, width = 860, height = 240 } = {}) {
  const pad = { l: 56, r: 12, t: 10, b: 26 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height + 24}`, class: "lineplot", "data-plot": name, role: "img" });
  const all = lines.flatMap(l => l.points);
  if (all.length === 0) {
    root.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "empty" }, "no data yet"));
    return root;
  }
  let x0 = Math.min(...all.map(p => p[0])), x1 = Math.max(...all.map(p => p[0]));
  if (x1 === x0) x1 = x0 + 1;
  const ys = niceTicks(0, Math.max(...all.map(p => p[1]), 1e-9), 4, true);
  const y1 = ys[ys.length - 1] || 1;
  const X = x => pad.l + (x - x0) / (x1 - x0) * (width - pad.l - pad.r);
  const Y = y => height - pad.b - y / y1 * (height - pad.t - pad.b);
  for (const v of ys) {
    root.append(svg("line", { x1: pad.l, x2: width - pad.r, y1: Y(v), y2: Y(v), class: "grid" }));
    root.append(svg("text", { x: pad.l - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, yFormat(v)));
  }
  for (const v of niceTicks(x0, x1, 6)) {
    if (v < x0 || v > x1) continue;
    root.append(svg("text", { x: X(v), y: height - 8, "text-anchor": "middle", class: "tick" }, xFormat(v, x1 - x0)));
  }
  let lx = pad.l;
  lines.forEach((l, i) => {
    const color = l.color || palette[i % palette.length];
    if (l.points.length) {
      const d = l.points.map((p, j) => `${j ? "L" : "M"}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join("");
      root.append(svg("path", { d, fill: "none", stroke: color, "stroke-width": 1.8, "stroke-dasharray": l.dashed ? "5 3" : "none", "data-series": l.label }));
    }
    root.append(svg("rect", { x: lx, y: height + 8, width: 10, height: 10, fill: color }));
    const label = svg("text", { x: lx + 14, y: height + 17, class: "legend" }, l.label);
    root.append(label);
    lx += 22 + 7 * l.label.length;
  });
  return root;
}

// clockTime writes a Unix time in milliseconds as HH:MM, with seconds when the axis spans
// under 10 minutes.
function clockTime(ms, span) {
  const d = new Date(ms), two = n => n.toString().padStart(2, "0");
  return two(d.getHours()) + ":" + two(d.getMinutes()) + (span < 600000 ? ":" + two(d.getSeconds()) : "");
}

function hoursTime(seconds) {
  return (seconds / 3600).toFixed(seconds % 3600 ? 1 : 0) + " h";
}
