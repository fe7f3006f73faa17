// The fleet map: pools by region, each cluster with its phase, nodes, use and cost, kept live
// by the server's event stream. Conditions show on hover.
"use strict";

const map = document.getElementById("map");
const summary = document.getElementById("summary");
const connection = document.getElementById("connection");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function money(v) { return v.toFixed(3) + "/h"; }

function bytes(v) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(i ? 1 : 0) + " " + units[i];
}

function bar(label, usage, format) {
  const share = usage.allocatable > 0 ? Math.min(1, usage.used / usage.allocatable) : 0;
  const fill = el("span");
  fill.style.width = (100 * share).toFixed(1) + "%";
  return el("div", { class: "usage" },
    el("div", { class: "meta", text: `${label} ${format(usage.used)} of ${format(usage.allocatable)}` }),
    el("div", { class: "bar", role: "img", "aria-label": `${label} ${(100 * share).toFixed(0)}% used` }, fill));
}

function clusterCard(c) {
  const conditions = c.conditions.map(x => `${x.type}=${x.status} (${x.reason}): ${x.message}`).join("\n");
  const shown = c.desiredState && c.desiredState !== "Online" && c.phase !== c.desiredState ? `${c.phase} → ${c.desiredState}` : c.phase;
  return el("div", { class: "cluster", "data-cluster": c.name, "data-phase": c.phase, title: conditions || "no conditions yet" },
    el("div", { class: "head" }, el("strong", { text: c.name }), el("span", { class: "phase", text: shown })),
    el("div", { class: "meta", text: `${c.nodes} node${c.nodes === 1 ? "" : "s"} · ${money(c.costPerHour)}` }),
    bar("CPU", c.cpu, v => v.toFixed(1)),
    bar("memory", c.memory, bytes));
}

function render(fleet) {
  summary.textContent = `${fleet.clusters} cluster${fleet.clusters === 1 ? "" : "s"} · ${money(fleet.costPerHour)}`;
  const regions = fleet.regions.map(r => el("section", { class: "region", "data-region": r.name },
    el("h2", { text: r.name || "no region" }),
    ...r.pools.map(p => el("div", { class: "pool", "data-pool": p.name },
      el("h3", {}, el("span", { text: p.name || "joined clusters" }),
        p.name ? el("small", { text: `${p.provider} · ${p.perNodeHour}/node-h + ${p.perClusterHour}/cluster-h${p.market ? " · " + p.market : ""}` }) : null),
      ...(p.clusters.length ? p.clusters.map(clusterCard) : [el("p", { class: "empty", text: "no cluster" })])))));
  map.replaceChildren(...(regions.length ? regions : [el("p", { class: "empty", text: "No pools or clusters yet." })]));
}

function connect() {
  const events = new EventSource("api/events");
  events.addEventListener("fleet", e => {
    connection.textContent = "live";
    connection.classList.remove("lost");
    render(JSON.parse(e.data));
  });
  events.addEventListener("failure", e => {
    connection.textContent = "the fleet API refused: " + JSON.parse(e.data);
    connection.classList.add("lost");
  });
  events.onerror = () => {
    connection.textContent = "reconnecting…";
    connection.classList.add("lost");
  };
}

connect();
