// The dashboard: one page per view of the fleet, each kept live by the server's event stream
// for that view. Pages are picked by the address's fragment (#map, #cost, ...).
"use strict";

const summary = document.getElementById("summary");
const connection = document.getElementById("connection");

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

function money(v) { return v.toFixed(3) + "/h"; }
function signedMoney(v) { return (v >= 0 ? "+" : "") + v.toFixed(3) + "/h"; }
function plural(n, word) { return `${n} ${word}${n === 1 ? "" : "s"}`; }
function conditionText(conds) { return conds.map(x => `${x.type}=${x.status} (${x.reason}): ${x.message}`).join("\n"); }

function bytes(v) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return v.toFixed(i ? 1 : 0) + " " + units[i];
}

// refusal shows why a page cannot be shown, such as RBAC's answer.
function refusal(target, message) {
  target.replaceChildren(el("p", { class: "refused", text: message }));
}

// ---- Fleet map ----

const map = document.getElementById("map");

function bar(label, usage, format) {
  const share = usage.allocatable > 0 ? Math.min(1, usage.used / usage.allocatable) : 0;
  const fill = el("span");
  fill.style.width = (100 * share).toFixed(1) + "%";
  return el("div", { class: "usage" },
    el("div", { class: "meta", text: `${label} ${format(usage.used)} of ${format(usage.allocatable)}` }),
    el("div", { class: "bar", role: "img", "aria-label": `${label} ${(100 * share).toFixed(0)}% used` }, fill));
}

function clusterCard(c) {
  const shown = c.desiredState && c.desiredState !== "Online" && c.phase !== c.desiredState ? `${c.phase} → ${c.desiredState}` : c.phase;
  return el("div", { class: "cluster", "data-cluster": c.name, "data-phase": c.phase, title: conditionText(c.conditions) || "no conditions yet" },
    el("div", { class: "head" }, el("strong", { text: c.name }), el("span", { class: "phase", text: shown })),
    el("div", { class: "meta", text: `${plural(c.nodes, "node")} · ${money(c.costPerHour)}` }),
    bar("CPU", c.cpu, v => v.toFixed(1)),
    bar("memory", c.memory, bytes));
}

function renderFleet(fleet) {
  summary.textContent = `${plural(fleet.clusters, "cluster")} · ${money(fleet.costPerHour)}`;
  const regions = fleet.regions.map(r => el("section", { class: "region", "data-region": r.name },
    el("h2", { text: r.name || "no region" }),
    ...r.pools.map(p => el("div", { class: "pool", "data-pool": p.name },
      el("h3", {}, el("span", { text: p.name || "joined clusters" }),
        p.missing ? el("small", { class: "bad", text: "no such ClusterPool" })
          : p.name ? el("small", { text: `${p.provider} · ${p.perNodeHour}/node-h + ${p.perClusterHour}/cluster-h${p.market ? " · " + p.market : ""}` }) : null),
      ...(p.clusters.length ? p.clusters.map(clusterCard) : [el("p", { class: "empty", text: "no cluster" })])))));
  map.replaceChildren(...(regions.length ? regions : [el("p", { class: "empty", text: "No pools or clusters yet." })]));
}

// ---- Cost and demand ----

function renderHistory(h) {
  const s = h.samples;
  const last = s[s.length - 1];
  document.getElementById("cost-summary").textContent = last
    ? `Now ${money(last.cost)}, ${last.placed} of ${last.requested} replicas placed (${last.ready} Ready). ` +
      `Spent ${h.totalCost.toFixed(3)} over the ${span(h.coveredHours)} watched.` + (h.scope ? ` Demand of namespace ${h.scope}.` : "")
    : "No sample yet.";
  const pts = key => s.map(x => [x.t, x[key]]);
  document.getElementById("plot-cost").replaceChildren(
    linePlot("cost", [{ label: "cost per hour", points: pts("cost") }], { xFormat: clockTime, yFormat: v => v.toFixed(2) }));
  document.getElementById("plot-demand").replaceChildren(
    linePlot("demand", [{ label: "requested", points: pts("requested") }, { label: "placed", points: pts("placed") },
      { label: "Ready", points: pts("ready"), dashed: true }], { xFormat: clockTime }));
}

// span writes hours as seconds, minutes or hours.
function span(hours) {
  if (hours < 1 / 60) return (3600 * hours).toFixed(0) + " s";
  return hours < 1 ? (60 * hours).toFixed(0) + " min" : hours.toFixed(1) + " h";
}

// ---- Planner ----

function renderPlanner(p) {
  const now = document.getElementById("plan-now");
  if (p.nowError) {
    refusal(now, "The plan could not be made: " + p.nowError);
  } else if (p.now) {
    const parts = [];
    if (p.now.actions.length === 0 && p.now.unserved.length === 0) parts.push(el("p", { text: "Nothing to do: the fleet fits its demand." }));
    if (p.now.actions.length) {
      parts.push(el("table", { class: "plan" },
        el("thead", {}, el("tr", {}, ...["Action", "Cluster", "Pool", "Nodes", "Cost", "Reason", "Runner-up it beat"].map(h => el("th", { text: h })))),
        el("tbody", {}, ...p.now.actions.map(a => el("tr", { "data-action": a.kind },
          el("td", { text: a.kind }), el("td", { text: a.cluster || "(new)" }), el("td", { text: a.pool }), el("td", { text: String(a.nodes) }),
          el("td", { text: signedMoney(a.costPerHour) }), el("td", { text: a.reason }), el("td", { class: "meta", text: a.runnerUp || "—" }))))));
    }
    for (const u of p.now.unserved) parts.push(el("p", { class: "refused", text: `Unserved: ${u.replicas} replicas of ${u.demand}: ${u.reason}` }));
    if (p.now.wholeFleet) parts.push(el("p", { class: "meta", text: p.now.wholeFleet }));
    parts.push(el("p", { class: "meta", text: `Planned at ${new Date(p.plannedAt).toLocaleTimeString()}, from the fleet as it is, with no memory of earlier plans.` }));
    now.replaceChildren(...parts);
  }
  const timeline = document.getElementById("timeline");
  if (!p.decisions.length) {
    timeline.replaceChildren(el("p", { class: "empty", text: "No decision in the last day." }));
    return;
  }
  timeline.replaceChildren(el("ol", { class: "timeline" }, ...p.decisions.map(d => el("li", { "data-action": d.action },
    el("time", { text: new Date(d.t).toLocaleTimeString() }),
    el("strong", { text: d.action }), el("span", { text: d.object }),
    d.costChange !== undefined ? el("span", { class: d.costChange > 0 ? "up" : "down", text: signedMoney(d.costChange) }) : null,
    el("div", { class: "meta", text: d.note })))));
}

// ---- Workloads ----

let workloads = null;
const workloadFilter = document.getElementById("workload-filter");
// Only so many workloads are drawn at once; the filter finds any, and "Show more" draws more.
const workloadPage = 100;
let workloadLimit = workloadPage;

// placementProblems are the Scheduled reasons that leave replicas without a place.
const placementProblems = ["Unschedulable", "UnknownTarget", "SpreadUnsatisfied"];

// placementNotes are a placement's problem, in red, and a move of its replicas in progress.
function placementNotes(p) {
  const conds = p.conditions || [];
  const problem = conds.find(c => c.type === "Scheduled" && c.status === "False" && placementProblems.includes(c.reason));
  const moving = conds.find(c => c.type === "Progressing" && c.reason !== "Settled");
  return [
    problem ? el("p", { class: "problem bad", text: `${problem.reason}: ${problem.message}` }) : null,
    moving ? el("p", { class: moving.status === "False" ? "moving bad" : "moving", text: moving.message }) : null,
  ];
}

function workloadCard(p, bindings) {
  return el("section", { class: "placement", "data-placement": (p.namespace ? p.namespace + "/" : "") + p.name },
    el("h3", { title: conditionText(p.conditions) }, `${p.kind} ${p.namespace ? p.namespace + "/" : ""}${p.name}`),
    ...placementNotes(p),
    ...bindings.map(b => el("div", { class: "binding", "data-binding": b.namespace + "/" + b.name, title: conditionText(b.conditions) },
      el("div", { class: "head" }, el("strong", { text: b.resource }),
        el("span", { text: `${b.ready} of ${b.replicas} Ready${b.unplaced ? `, ${b.unplaced} unplaced` : ""}` })),
      el("div", { class: "reason", text: b.reason || "no reason yet" }),
      el("ul", { class: "members" }, ...b.clusters.map(c => el("li", { "data-cluster": c.cluster, "data-state": c.state,
        // Applied is not serving: replicas that are not Ready yet (Pending pods) say so.
        "data-ready": c.replicas === undefined ? "" : c.ready >= c.replicas ? "all" : "short", title: c.message || "" },
        el("a", { href: c.link, target: "_blank", rel: "noopener", text: c.cluster }),
        ` ${c.state}` + (c.replicas !== undefined ? ` · ${c.ready}/${c.replicas} Ready` : "")))))));
}

function renderWorkloads(w) {
  workloads = w;
  const q = workloadFilter.value.trim().toLowerCase();
  const target = document.getElementById("workloads");
  let matched = 0, total = 0, drawn = 0;
  const cards = [];
  for (const p of w.placements) {
    total += p.bindings.length;
    const bindings = q ? p.bindings.filter(b => (p.namespace + "/" + p.name + " " + b.resource + " " + b.clusters.map(c => c.cluster).join(" ")).toLowerCase().includes(q)) : p.bindings;
    if (bindings.length === 0 && (q || p.bindings.length)) continue;
    matched += bindings.length;
    if (drawn < workloadLimit) {
      const some = bindings.slice(0, workloadLimit - drawn);
      drawn += some.length;
      cards.push(workloadCard(p, some));
    }
  }
  document.getElementById("workload-count").textContent = (q ? `${matched} of ` : "") + plural(total, "workload") +
    (drawn < matched ? `, the first ${drawn} shown` : "") + (w.scope ? ` in namespace ${w.scope}` : "");
  if (drawn < matched) {
    const more = el("button", { type: "button", id: "workloads-more", text: `Show ${Math.min(workloadPage, matched - drawn)} more` });
    more.addEventListener("click", () => { workloadLimit += workloadPage; renderWorkloads(workloads); });
    cards.push(more);
  }
  target.replaceChildren(...(cards.length ? cards : [el("p", { class: "empty", text: q ? "Nothing matches." : "No workload is placed yet." })]));
}
workloadFilter.addEventListener("input", () => { workloadLimit = workloadPage; if (workloads) renderWorkloads(workloads); });

// ---- Global names ----

const dnsRegion = document.getElementById("dns-region");
const dnsSubnet = document.getElementById("dns-subnet");
// answers are the last answer (or refusal) per host, and slots where each host shows it: the
// page may be drawn again while a question is out, so an answer goes where its host is now.
const answers = new Map();
const slots = new Map();

async function ask(host) {
  const q = new URLSearchParams({ host });
  if (dnsRegion.value) q.set("region", dnsRegion.value); else if (dnsSubnet.value.trim()) q.set("subnet", dnsSubnet.value.trim());
  const resp = await fetch("api/dns?" + q);
  answers.set(host, resp.ok ? await resp.json() : { refused: `${resp.status}: ${await resp.text()}` });
  showAnswer(answers.get(host), slots.get(host));
}

function showAnswer(a, out) {
  if (!out) return;
  if (a.refused) {
    out.replaceChildren(el("span", { class: "refused", text: a.refused }));
    return;
  }
  out.replaceChildren(el("div", { class: "answer", "data-rcode": a.rcode },
    el("div", { class: "meta", text: `${a.rcode} from ${a.server} in ${a.rttMs.toFixed(1)} ms` + (a.subnet ? `, as ${a.subnet} (scope /${a.scope})` : "") }),
    ...(a.records.length ? a.records.map(r => el("code", { text: r })) : [el("span", { class: "empty", text: "no record" })])));
}

function renderNames(n) {
  document.getElementById("dns-server").textContent = n.dnsServer ? `(${n.dnsServer})` : "(none known)";
  if (dnsRegion.options.length !== n.regions.length + 1) {
    dnsRegion.replaceChildren(el("option", { value: "", text: "(no region)" }), ...n.regions.map(r => el("option", { value: r.region, text: `${r.region} (${r.subnet})` })));
  }
  const target = document.getElementById("names");
  if (!n.names.length) {
    target.replaceChildren(el("p", { class: "empty", text: "No GlobalIngress yet." }));
    return;
  }
  target.replaceChildren(...n.names.map(g => el("section", { class: "gi", "data-gi": g.namespace + "/" + g.name },
    el("h3", { title: conditionText(g.conditions) }, `${g.namespace}/${g.name}`, el("small", { text: ` ${g.strategy}` })),
    ...g.hosts.map(h => {
      const out = el("div", { class: "answer-slot" });
      slots.set(h.host, out);
      if (answers.has(h.host)) showAnswer(answers.get(h.host), out);
      const button = el("button", { type: "button", "data-ask": h.host, text: "Ask the DNS server" });
      button.addEventListener("click", () => ask(h.host));
      return el("div", { class: "host", "data-host": h.host },
        el("div", { class: "head" }, el("strong", { text: h.host }), button),
        el("table", {}, el("thead", {}, el("tr", {}, ...["Cluster", "Region", "Addresses", "Health", "Weight", "Reason"].map(x => el("th", { text: x })))),
          el("tbody", {}, ...(h.targets.length ? h.targets.map(t => el("tr", { "data-target": t.cluster, "data-healthy": String(t.healthy) },
            el("td", { text: t.cluster }), el("td", { text: t.region || "" }), el("td", { text: t.addresses.join(", ") }),
            el("td", { class: t.healthy ? "ok" : "bad", text: t.healthy ? "healthy" : "unhealthy" }), el("td", { text: t.weight ? String(t.weight) : "" }),
            el("td", { class: "meta", text: t.reason || "" }))) : [el("tr", {}, el("td", { colspan: 6, class: "empty", text: "no target yet" }))]))),
        out);
    }))));
}
document.getElementById("dns-form").addEventListener("submit", e => e.preventDefault());

// ---- Simulator ----

const simTrace = document.getElementById("sim-trace");
const simPools = document.getElementById("sim-pools");
const simStatus = document.getElementById("sim-status");
let simChoices = null;

async function loadSimulator() {
  if (simChoices) return;
  const resp = await fetch("api/simulator");
  simChoices = await resp.json();
  simTrace.replaceChildren(...simChoices.traces.map(t => el("option", { value: t, text: t })));
  simPools.replaceChildren(...simChoices.pools.map(p => el("option", { value: p, text: p })));
  simTrace.addEventListener("change", () => { simPools.value = simChoices.poolsFor[simTrace.value]; });
  simPools.value = simChoices.poolsFor[simTrace.value];
}

async function fileText(input) { return input.files.length ? await input.files[0].text() : ""; }

document.getElementById("sim-form").addEventListener("submit", async e => {
  e.preventDefault();
  const body = { trace: simTrace.value, pools: simPools.value };
  const traceCSV = await fileText(document.getElementById("sim-trace-file"));
  const poolsYAML = await fileText(document.getElementById("sim-pools-file"));
  if (traceCSV) { body.traceCSV = traceCSV; delete body.trace; }
  if (poolsYAML) { body.poolsYAML = poolsYAML; delete body.pools; }
  simStatus.textContent = "Simulating…";
  const started = performance.now();
  const resp = await fetch("api/simulate", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!resp.ok) {
    simStatus.textContent = "";
    refusal(document.getElementById("sim-table"), await resp.text());
    return;
  }
  renderSimulation(await resp.json());
  simStatus.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
});

// frontierTable shows what policies without foresight trade: the oracles that give capacity
// back once demand stayed lower for a hold time, their cost in proportion to the locality
// bound and their unplaced demand to the floor.
function frontierTable(local) {
  if (!local || !local.frontier || !local.frontier.length) return el("p", { text: "" });
  const first = local.frontier[0].cost, floor = Math.max(local.unplaced_floor_replica_seconds, 1);
  const hold = p => p.hold_seconds < 0 ? "never" : p.hold_seconds < 3600 ? `${p.hold_seconds / 60} min` : `${p.hold_seconds / 3600} h`;
  return el("table", { class: "frontier" },
    el("caption", { text: "Without foresight: capacity given back once demand stayed lower for…" }),
    el("thead", {}, el("tr", {}, ...["Hold", "Cost × locality bound", "Unplaced × floor"].map(c => el("th", { text: c })))),
    el("tbody", {}, ...local.frontier.map(p => el("tr", { "data-hold": p.hold_seconds < 0 ? "never" : String(p.hold_seconds) },
      el("td", { text: hold(p) }), el("td", { text: first > 0 ? (p.cost / first).toFixed(3) : "" }),
      el("td", { text: (p.unplaced_replica_seconds / floor).toFixed(2) })))));
}

function renderSimulation(sim) {
  const bound = sim.reports.find(r => r.policy === "lowerbound");
  const cols = ["Policy", "Cost", "× bound", "Cluster-h", "Node-h", "Unplaced replica-s", "Churn /1000 rh", "Remote", "Far"];
  document.getElementById("sim-table").replaceChildren(el("table", { class: "sim" },
    el("thead", {}, el("tr", {}, ...cols.map(c => el("th", { text: c })))),
    el("tbody", {}, ...sim.reports.map(r => el("tr", { "data-policy": r.policy },
      el("td", { text: r.policy }), el("td", { text: r.cost.toFixed(2) }),
      el("td", { text: bound && bound.cost > 0 ? (r.cost / bound.cost).toFixed(3) : "" }),
      el("td", { text: r.cluster_hours.toFixed(1) }), el("td", { text: r.node_hours.toFixed(1) }),
      el("td", { text: r.unplaced_replica_seconds.toFixed(0) }), el("td", { text: r.churn_per_1000_replica_hours.toFixed(2) }),
      ...[r.remote_share, r.far_share].map(share => el("td", { text: r.policy.endsWith("bound") ? "-" : (100 * share).toFixed(1) + "%" })))))),
    frontierTable(sim.reports.find(r => r.policy === "localitybound")));
  const simulated = sim.reports.filter(r => r.series && r.series.length);
  // A policy keeps its colour in both plots.
  const colorOf = r => palette[sim.reports.indexOf(r) % palette.length];
  document.getElementById("plot-sim-cost").replaceChildren(linePlot("sim-cost",
    simulated.map(r => ({ label: r.policy, color: colorOf(r), dashed: r.policy === "forecast", points: r.series.map(p => [p.t, p.cost_per_hour]) })), { xFormat: hoursTime, yFormat: v => v.toFixed(1) }));
  const demand = simulated.length ? [{ label: "demand", color: "#1f2328", dashed: true, points: simulated[0].series.map(p => [p.t, p.demand_cpu]) }] : [];
  document.getElementById("plot-sim-capacity").replaceChildren(linePlot("sim-capacity",
    demand.concat(simulated.map(r => ({ label: r.policy, color: colorOf(r), dashed: r.policy === "forecast", points: r.series.map(p => [p.t, p.capacity_cpu]) }))), { xFormat: hoursTime }));
}

// ---- Pages and streams ----

const renderers = { map: ["fleet", renderFleet, map], cost: ["history", renderHistory, document.getElementById("plot-cost")],
  planner: ["planner", renderPlanner, document.getElementById("timeline")], workloads: ["workloads", renderWorkloads, document.getElementById("workloads")],
  names: ["names", renderNames, document.getElementById("names")], simulator: [null, null, null] };
let events = null;

function connect(view, render, target) {
  if (events) events.close();
  events = null;
  if (!view) { connection.textContent = ""; return; }
  events = new EventSource("api/events?view=" + view);
  events.addEventListener(view, e => {
    connection.textContent = "live";
    connection.classList.remove("lost");
    render(JSON.parse(e.data));
  });
  events.addEventListener("failure", e => {
    connection.textContent = "the fleet API refused";
    connection.classList.add("lost");
    refusal(target, JSON.parse(e.data));
  });
  events.onerror = () => {
    connection.textContent = "reconnecting…";
    connection.classList.add("lost");
  };
}

function show() {
  const page = (location.hash || "#map").slice(1);
  const name = renderers[page] ? page : "map";
  for (const s of document.querySelectorAll(".page")) s.hidden = s.id !== "page-" + name;
  summary.hidden = name !== "map";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.getAttribute("href") === "#" + name) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  connect(...renderers[name]);
  if (name === "simulator") loadSimulator();
}

window.addEventListener("hashchange", show);
show();
