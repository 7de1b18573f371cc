// aloft UI: a read-only single page over the JSON API under /api/.
// Every value from the API reaches the page as a text node or a validated attribute:
// this file never assigns HTML (no innerHTML, outerHTML, insertAdjacentHTML, document.write).
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const STATUSES = ["MATERIALIZED", "FAILED", "IN_PROGRESS", "MISSING"];
const STATUS_LABEL = { MATERIALIZED: "materialized", FAILED: "failed", IN_PROGRESS: "in progress", MISSING: "missing" };
let refreshTimer = null;
let renderSeq = 0;

// -- DOM helpers ------------------------------------------------------------------------------

function safeHref(value) {
  const text = String(value);
  if (text.startsWith("#") || (text.startsWith("/") && !text.startsWith("//"))) return text;
  return /^(https?:|mailto:)/i.test(text.trim()) ? text.trim() : null;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "href") {
      const href = safeHref(value);
      if (href !== null) el.setAttribute("href", href);
    } else if (/^[a-z][a-z0-9-]*$/i.test(name) && !name.toLowerCase().startsWith("on") && name !== "style") {
      el.setAttribute(name, String(value));
    }
  }
  return el;
}

function h(tag, attrs, ...children) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

function s(tag, attrs, ...children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

function link(href, text, attrs) {
  return h("a", Object.assign({ href }, attrs || {}), text);
}

function badge(status) {
  return h("span", { class: "badge " + String(status || "").replace(/[^A-Za-z_]/g, "") }, String(status || "-"));
}

function card(title, ...children) {
  return h("section", { class: "card" }, title ? h("h2", null, title) : null, children);
}

function kv(pairs) {
  const dl = h("dl", { class: "kv" });
  for (const [label, value] of pairs) {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) continue;
    append(dl, [h("dt", null, label), h("dd", null, value)]);
  }
  return dl;
}

function table(headers, rows, attrs) {
  return h("table", attrs || null,
    h("thead", null, h("tr", null, headers.map((x) => h("th", null, x)))),
    h("tbody", null, rows));
}

// -- formatting -------------------------------------------------------------------------------

function pad(n) { return String(n).padStart(2, "0"); }

function fmtTime(ts) {
  if (ts === null || ts === undefined) return "-";
  const d = new Date(ts * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "-";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m ${Math.round(seconds % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

function fmtAgo(ts) {
  if (ts === null || ts === undefined) return "";
  const secs = Date.now() / 1000 - ts;
  if (secs < 0) return "in " + fmtDuration(-secs);
  if (secs < 60) return "just now";
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  return `${Math.floor(secs / 86400)} d ago`;
}

function when(ts) {
  return h("span", { title: fmtAgo(ts) }, fmtTime(ts));
}

function shortId(id) { return id ? String(id).slice(0, 8) : "-"; }

function runLink(id) { return id ? link("#/runs/" + encodeURIComponent(id), shortId(id), { class: "mono", title: id }) : "-"; }

function assetHref(key) { return "#/assets/" + String(key).split("/").map(encodeURIComponent).join("/"); }

function assetLink(key) { return link(assetHref(key), key); }

function runDuration(run) {
  if (run.duration !== null && run.duration !== undefined) return run.duration;
  if (run.started_at && !run.ended_at) return Date.now() / 1000 - run.started_at;
  return null;
}

// -- metadata ---------------------------------------------------------------------------------

function metadataValue(entry) {
  const v = entry.value;
  switch (entry.type) {
    case "int": case "float": return h("span", { class: "mono" }, typeof v === "number" ? v.toLocaleString() : String(v));
    case "bool": return String(v);
    case "null": return h("span", { class: "muted" }, "null");
    case "timestamp": return when(v);
    case "path": return h("code", null, v);
    case "url": return entry.href ? link(entry.href, v, { target: "_blank", rel: "noopener noreferrer" }) : h("code", null, v);
    case "md": return h("pre", { class: "md" }, v);
    case "text": return String(v).includes("\n") ? h("pre", null, v) : String(v);
    case "table": return metadataTable(entry);
    case "table_schema": return table(["column", "type", "description"],
      ((v && v.columns) || []).map((c) => h("tr", null, h("td", null, c.name), h("td", null, c.type), h("td", null, c.description || ""))),
      { class: "meta-table" });
    default:
      return h("pre", null, typeof v === "string" && entry.truncated ? v : JSON.stringify(v, null, 2));
  }
}

function metadataTable(entry) {
  const v = entry.value || {};
  const records = v.records || [];
  let columns = (v.columns || []).map((c) => c.name);
  if (!columns.length && records.length) columns = Object.keys(records[0]);
  const rows = records.map((r) => h("tr", null, columns.map((c) => h("td", null, r[c] === undefined ? "" : typeof r[c] === "object" ? JSON.stringify(r[c]) : String(r[c])))));
  const note = entry.total_rows > records.length ? h("div", { class: "muted" }, `first ${records.length} of ${entry.total_rows} rows`) : null;
  return h("div", null, table(columns, rows, { class: "meta-table" }), note);
}

function metadataList(entries) {
  if (!entries || !entries.length) return h("span", { class: "muted" }, "no metadata");
  return table(["label", "value"], entries.map((e) => h("tr", null,
    h("td", null, e.label, e.truncated ? h("span", { class: "muted" }, " (cut)") : null),
    h("td", null, metadataValue(e)))), { class: "meta-table" });
}

function metadataInline(entries) {
  const simple = (entries || []).filter((e) => ["int", "float", "bool", "text", "path", "url", "timestamp"].includes(e.type)).slice(0, 3);
  return h("span", { class: "meta-inline" }, simple.map((e, i) => [i ? ", " : "", e.label + ": ",
    e.type === "timestamp" ? fmtTime(e.value) : String(e.value).slice(0, 60)]));
}

// Numeric metadata of recent materializations as sparklines; the newest point is flagged when
// it lies more than three standard deviations from the earlier ones.
function metadataPlots(materializations) {
  const series = {};
  for (const m of [...materializations].reverse()) {
    for (const e of m.metadata) {
      if ((e.type === "int" || e.type === "float") && typeof e.value === "number") (series[e.label] = series[e.label] || []).push([m.timestamp, e.value]);
    }
  }
  const rows = Object.entries(series).filter(([, points]) => points.length >= 2).map(([label, points]) => {
    const values = points.map((p) => p[1]);
    const lo = Math.min(...values), hi = Math.max(...values);
    const w = 240, ht = 36, span = hi - lo || 1;
    const xy = points.map((p, i) => [4 + (i / (points.length - 1)) * (w - 8), ht - 4 - ((p[1] - lo) / span) * (ht - 8)]);
    const last = values[values.length - 1];
    const earlier = values.slice(0, -1);
    const mean = earlier.reduce((a, b) => a + b, 0) / earlier.length;
    const std = Math.sqrt(earlier.reduce((a, b) => a + (b - mean) ** 2, 0) / earlier.length);
    const unusual = earlier.length >= 4 && Math.abs(last - mean) > 3 * (std || Math.abs(mean) * 0.01 || 1);
    const [lx, ly] = xy[xy.length - 1];
    const svg = s("svg", { class: "spark", width: w, height: ht, viewBox: `0 0 ${w} ${ht}` },
      s("polyline", { points: xy.map((p) => p.join(",")).join(" ") }),
      s("circle", { class: unusual ? "unusual" : "last", cx: lx, cy: ly, r: 3 }, s("title", null, `${label}: ${last} at ${fmtTime(points[points.length - 1][0])}`)));
    return h("tr", null, h("td", null, label), h("td", null, svg),
      h("td", { class: "num" }, last.toLocaleString(), unusual ? [" ", h("span", { class: "badge FAILED", title: `mean ${mean.toLocaleString()} ± ${std.toLocaleString()}` }, "unusual")] : null),
      h("td", { class: "num muted" }, `${lo.toLocaleString()} – ${hi.toLocaleString()}`));
  });
  return rows.length ? table(["label", `last ${materializations.length} materializations`, "latest", "range"], rows, { class: "meta-table" }) : null;
}

// -- partitions -------------------------------------------------------------------------------

function statusCounts(counts, total) {
  return h("span", { class: "legend" }, STATUSES.filter((st) => counts[st]).map((st) =>
    h("span", null, h("span", { class: "dot " + st }), `${counts[st].toLocaleString()} ${STATUS_LABEL[st]}`)),
  total === 0 ? "no partitions" : null);
}

function countsBar(counts, total, width) {
  const svg = s("svg", { class: "strip", width, height: 10, viewBox: `0 0 ${width} 10` });
  let x = 0;
  for (const st of STATUSES) {
    const w = total ? (counts[st] / total) * width : 0;
    if (w > 0) svg.append(s("rect", { class: st, x, y: 0, width: w, height: 10 }, s("title", null, `${counts[st]} ${STATUS_LABEL[st]}`)));
    x += w;
  }
  if (!total) svg.append(s("rect", { class: "MISSING", x: 0, y: 0, width, height: 10 }));
  return svg;
}

function rangeStrip(ranges, total) {
  const width = 1000;
  const svg = s("svg", { class: "strip", width: "100%", height: 18, viewBox: `0 0 ${width} 18`, preserveAspectRatio: "none" });
  let x = 0;
  for (const r of ranges) {
    const w = (r.count / total) * width;
    svg.append(s("rect", { class: r.status, x, y: 0, width: Math.max(w, 0.5), height: 18 },
      s("title", null, r.start === r.end ? `${r.start}: ${STATUS_LABEL[r.status]}` : `${r.start} … ${r.end} (${r.count}): ${STATUS_LABEL[r.status]}`)));
    x += w;
  }
  return svg;
}

function partitionsCard(p, query, base) {
  if (p.error) return card("Partitions", h("p", { class: "muted" }, "Cannot list the partitions: " + p.error));
  const filter = h("div", { class: "row filters" }, h("span", { class: "muted" }, "show:"),
    [null, ...STATUSES].map((st) => {
      const q = Object.assign({}, query, { partitions_status: st, partitions_cursor: null });
      const label = st ? `${STATUS_LABEL[st]} (${p.counts[st].toLocaleString()})` : `all (${p.total.toLocaleString()})`;
      return link(base + queryString(q), label, { class: (p.status_filter || null) === st ? "badge IN_PROGRESS" : "badge" });
    }));
  const cells = h("div", { class: "cells" });
  const frag = document.createDocumentFragment();
  for (const c of p.cells) {
    const title = `${c.key}: ${STATUS_LABEL[c.status]}` + (c.run_id ? ` (run ${shortId(c.run_id)})` : "") + (c.updated_at ? ` at ${fmtTime(c.updated_at)}` : "");
    const cell = h("div", { class: "cell " + c.status + (c.run_id ? " link" : ""), title, "data-key": c.key });
    if (c.run_id) cell.addEventListener("click", () => { location.hash = "#/runs/" + encodeURIComponent(c.run_id); });
    frag.append(cell);
  }
  cells.append(frag);
  const offset = Number(query.partitions_cursor || 0);
  const pager = h("div", { class: "row pager" },
    h("span", { class: "muted" }, p.cells.length ? `partitions ${offset + 1}–${offset + p.cells.length}` : "no partitions in this view"),
    offset > 0 ? link(base + queryString(Object.assign({}, query, { partitions_cursor: null })), "first page") : null,
    p.next_cursor ? link(base + queryString(Object.assign({}, query, { partitions_cursor: p.next_cursor })), "next page →") : null);
  return card("Partitions", p.definition ? h("div", { class: "muted mono" }, p.definition) : null,
    h("div", { class: "row" }, statusCounts(p.counts, p.total)),
    p.total ? rangeStrip(p.ranges, p.total) : null, filter, cells, pager);
}

// -- routing ----------------------------------------------------------------------------------

function queryString(query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== null && v !== undefined && v !== "") params.set(k, v);
  const text = params.toString();
  return text ? "?" + text : "";
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, search] = raw.split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(search || ""));
  return { section: parts[0] || "assets", rest: parts.slice(1), query };
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, query) {
  const response = await fetch("/api/" + path + queryString(query || {}), { headers: { Accept: "application/json" } });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

const VIEWS = {
  assets: (r) => (r.rest.length ? assetView(r.rest.join("/"), r.query) : assetsView(r.query)),
  runs: (r) => (r.rest.length ? runView(r.rest[0], r.query) : runsView(r.query)),
  jobs: () => jobsView(),
  automation: () => automationView(),
  backfills: (r) => (r.rest.length ? backfillView(r.rest[0], r.query) : backfillsView(r.query)),
};

async function render() {
  const seq = ++renderSeq;
  clearTimeout(refreshTimer);
  const route = parseHash();
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.section === route.section);
  const main = document.getElementById("main");
  let result;
  try {
    const view = VIEWS[route.section];
    if (!view) throw new ApiError(404, { message: `no page '${route.section}'` });
    result = await view(route);
  } catch (err) {
    result = { el: errorView(err) };
  }
  if (seq !== renderSeq) return;  // a newer navigation won
  // A refresh keeps what the reader opened (tracebacks, metadata, ticks).
  const opened = new Set(Array.from(main.querySelectorAll("details[open][data-id]"), (d) => d.dataset.id));
  main.replaceChildren(result.el);
  for (const d of main.querySelectorAll("details[data-id]")) if (opened.has(d.dataset.id)) d.open = true;
  if (result.refresh) {
    refreshTimer = setTimeout(() => { if (!document.hidden) render(); else refreshTimer = setTimeout(render, result.refresh); }, result.refresh);
  }
  updateActivity();
}

function errorView(err) {
  const body = err.body || {};
  const route = parseHash();
  let hint = null;
  if (body.suggestion) {
    const target = route.section === "assets" ? assetHref(body.suggestion) : `#/${route.section}/${encodeURIComponent(body.suggestion)}`;
    hint = h("p", null, "Did you mean ", link(target, body.suggestion), "?");
  }
  return card(err.status === 404 ? "Not found" : "Error", h("p", null, err.message), hint,
    h("p", null, link("#/" + route.section, "back to " + route.section)));
}

async function updateActivity() {
  const el = document.getElementById("activity");
  try {
    const data = await api("overview");
    const n = data.runs_in_progress.length;
    el.replaceChildren(n ? link("#/runs?status=STARTED", `${n} run${n > 1 ? "s" : ""} in progress`, { class: "badge STARTED" }) : h("span", { class: "muted" }, `${data.assets} assets · ${data.store}`));
  } catch (e) {
    el.replaceChildren(h("span", { class: "badge FAILURE" }, "API unreachable"));
  }
}

// -- assets -----------------------------------------------------------------------------------

function assetState(a) {
  if (a.runs_in_progress && a.runs_in_progress.length) return "inprogress";
  if (a.is_external) return "external";
  if (a.partitions) {
    const c = a.partitions.counts;
    if (c.FAILED) return "failed";
    if (a.partitions.total && c.MATERIALIZED === a.partitions.total) return "materialized";
    return c.MATERIALIZED ? "partial" : "missing";
  }
  return a.latest ? "materialized" : "missing";
}

function groupColor(name) {
  let hash = 0;
  for (const ch of String(name)) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360}, 55%, 55%)`;
}

function groupDot(name) {
  return s("svg", { width: 14, height: 10, viewBox: "0 0 14 10" }, s("rect", { x: 0, y: 0, width: 10, height: 10, rx: 2, fill: groupColor(name) }));
}

function nodeSubtitle(a) {
  if (a.partitions) return `${a.partitions.counts.MATERIALIZED}/${a.partitions.total} partitions` + (a.partitions.counts.FAILED ? `, ${a.partitions.counts.FAILED} failed` : "");
  if (a.is_external) return "external";
  return a.latest ? "materialized " + fmtAgo(a.latest.timestamp) : "never materialized";
}

function fit(text, chars) { return text.length > chars ? "…" + text.slice(text.length - chars + 1) : text; }

function graphView(data, byKey, filterText) {
  const g = data.graph;
  const svg = s("svg", { class: "graph", width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}` });
  const edges = g.edges.map((e) => {
    const path = s("path", { class: "edge", d: e.path, "data-source": e.source, "data-target": e.target });
    svg.append(path);
    return path;
  });
  for (const n of g.nodes) {
    const a = byKey[n.key];
    const matches = !filterText || n.key.toLowerCase().includes(filterText) || n.group.toLowerCase().includes(filterText);
    const node = s("g", { class: `node ${assetState(a)}${matches ? "" : " dim"}`, transform: `translate(${n.x},${n.y})`, "data-key": n.key },
      s("title", null, n.key + (a.description ? "\n" + a.description : "")),
      s("rect", { class: "box", width: g.node_width, height: g.node_height, rx: 6 }),
      s("rect", { x: 0, y: 0, width: 5, height: g.node_height, rx: 2, fill: groupColor(n.group) }),
      s("text", { x: 12, y: 18 }, fit(n.key, 27)),
      s("text", { class: "sub", x: 12, y: 34 }, fit(nodeSubtitle(a), 34)));
    node.addEventListener("click", () => { location.hash = assetHref(n.key); });
    node.addEventListener("mouseenter", () => edges.forEach((p) => p.classList.toggle("hl", p.dataset.source === n.key || p.dataset.target === n.key)));
    node.addEventListener("mouseleave", () => edges.forEach((p) => p.classList.remove("hl")));
    svg.append(node);
  }
  let scale = 1;
  const zoom = (factor) => {
    scale = factor === 0 ? 1 : Math.min(3, Math.max(0.2, scale * factor));
    svg.setAttribute("width", g.width * scale);
    svg.setAttribute("height", g.height * scale);
  };
  const tools = h("div", { class: "row" },
    h("button", { onclick: () => zoom(1.25), title: "zoom in" }, "+"),
    h("button", { onclick: () => zoom(0.8), title: "zoom out" }, "−"),
    h("button", { onclick: () => zoom(0), title: "actual size" }, "1:1"),
    h("span", { class: "legend grow" }, [["materialized", "materialized"], ["partial", "some partitions"], ["failed", "failed"], ["inprogress", "in progress"], ["missing", "never"]].map(([cls, label]) => h("span", { class: "badge " + cls }, label))));
  return h("div", null, tools, h("div", { class: "graph-wrap" }, svg));
}

async function assetsView(query) {
  const data = await api("assets");
  const byKey = Object.fromEntries(data.assets.map((a) => [a.key, a]));
  const filterText = (query.q || "").toLowerCase();
  const search = h("input", { type: "search", placeholder: "filter by key or group", value: query.q || "", "aria-label": "filter assets" });
  search.addEventListener("change", () => { location.hash = "#/assets" + queryString({ q: search.value, group: query.group }); });
  const groups = h("div", { class: "row filters" }, h("span", { class: "muted" }, "groups:"),
    link("#/assets" + queryString({ q: query.q }), "all", { class: query.group ? "badge" : "badge IN_PROGRESS" }),
    data.groups.map((gr) => link("#/assets" + queryString({ q: query.q, group: gr.name }), `${gr.name} (${gr.count})`, { class: query.group === gr.name ? "badge IN_PROGRESS" : "badge" })));
  const shown = data.assets.filter((a) => (!query.group || a.group === query.group) && (!filterText || a.key.toLowerCase().includes(filterText) || a.group.toLowerCase().includes(filterText)));
  const rows = shown.map((a) => h("tr", null,
    h("td", null, assetLink(a.key), a.is_external ? h("span", { class: "muted" }, " (external)") : null),
    h("td", null, groupDot(a.group), a.group),
    h("td", null, a.latest ? [when(a.latest.timestamp), h("div", { class: "muted" }, fmtAgo(a.latest.timestamp))] : h("span", { class: "muted" }, "never")),
    h("td", null, a.latest ? runLink(a.latest.run_id) : "-", a.runs_in_progress.length ? [" ", badge("IN_PROGRESS")] : null),
    h("td", null, a.partitions ? [countsBar(a.partitions.counts, a.partitions.total, 120), h("div", { class: "muted" }, `${a.partitions.counts.MATERIALIZED.toLocaleString()}/${a.partitions.total.toLocaleString()}` + (a.partitions.counts.FAILED ? `, ${a.partitions.counts.FAILED} failed` : ""))] : h("span", { class: "muted" }, "-")),
    h("td", null, a.latest ? metadataInline(a.latest.metadata) : null)));
  const graphFilter = query.group ? query.group.toLowerCase() : filterText;
  return {
    el: h("div", null,
      h("div", { class: "row" }, h("h1", { class: "grow" }, `Assets (${data.assets.length})`), search),
      data.assets.length ? card(null, groups, graphView(data, byKey, graphFilter)) : card(null, h("p", { class: "muted" }, "The definitions have no assets.")),
      shown.length ? card(null, table(["asset", "group", "last materialized", "run", "partitions", "metadata"], rows)) : null),
  };
}

async function assetView(key, query) {
  const base = assetHref(key);
  const data = await api("assets/" + key.split("/").map(encodeURIComponent).join("/"), Object.assign({ history_limit: 50 }, query));
  const a = data.asset;
  const d = data.definition || {};
  const parts = [];
  parts.push(h("div", { class: "muted" }, link("#/assets", "Assets"), " / ", a.key));
  parts.push(h("div", { class: "row" }, h("h1", { class: "grow" }, a.key),
    a.group ? badge(a.group) : null, a.is_external ? badge("external") : null, a.defined === false ? badge("not in the definitions") : null));
  if (a.description) parts.push(card(null, h("pre", null, a.description)));
  if (a.runs_in_progress && a.runs_in_progress.length) parts.push(card("In progress", a.runs_in_progress.map((id) => [runLink(id), " "])));
  if (a.defined !== false) {
    parts.push(card("Definition", kv([
      ["upstream", (a.upstream || []).map((k, i) => [i ? ", " : "", assetLink(k)])],
      ["downstream", (a.downstream || []).map((k, i) => [i ? ", " : "", assetLink(k)])],
      ["jobs", (d.jobs || []).map((j, i) => [i ? ", " : "", link("#/runs" + queryString({ job: j }), j)])],
      ["step", d.step && d.step !== a.key ? h("code", null, d.step) : null],
      ["also computes", (d.other_keys_of_step || []).map((k, i) => [i ? ", " : "", assetLink(k)])],
      ["kinds", (a.kinds || []).join(", ")],
      ["owners", (a.owners || []).join(", ")],
      ["code version", a.code_version],
      ["I/O manager", d.io_manager_key],
      ["partitions", d.partitions_def ? h("code", null, d.partitions_def) : null],
      ["automation", (d.automation || []).join("; ")],
      ["retry policy", d.retry_policy ? h("code", null, d.retry_policy) : null],
      ["tags", Object.entries(d.tags || {}).map(([k, v]) => h("span", { class: "badge" }, `${k}=${v}`))],
      ["metadata", d.metadata && d.metadata.length ? metadataList(d.metadata) : null],
    ])));
  }
  const latest = data.latest;
  parts.push(card("Latest materialization", latest ? [kv([
    ["time", [when(latest.timestamp), " ", h("span", { class: "muted" }, fmtAgo(latest.timestamp))]],
    ["run", runLink(latest.run_id)],
    ["partition", latest.partition_key],
    ["code version", latest.code_version],
    ["data version", latest.data_version],
    ["stored at", latest.storage_location ? h("code", null, latest.storage_location) : null],
  ]), h("h2", null, "Metadata"), metadataList(latest.metadata)] : h("p", { class: "muted" }, "Never materialized.")));
  if (data.partitions) parts.push(partitionsCard(data.partitions, query, base));
  if (data.checks && data.checks.length) {
    parts.push(card("Checks", table(["check", "result", "severity", "time", "run", "description"], data.checks.map((c) => h("tr", null,
      h("td", null, c.check_name), h("td", null, badge(c.passed ? "SUCCEEDED" : "FAILED")), h("td", null, c.severity),
      h("td", null, when(c.timestamp)), h("td", null, runLink(c.run_id)), h("td", null, c.description || ""))))));
  }
  const plots = metadataPlots(data.history.materializations);
  if (plots) parts.push(card("Metadata over time", plots));
  const history = data.history;
  const historyRows = history.materializations.map((m) => h("tr", null,
    h("td", null, when(m.timestamp)), h("td", null, runLink(m.run_id)), h("td", null, m.partition_key || "-"),
    h("td", null, m.metadata.length ? h("details", { "data-id": `meta-${m.run_id}-${m.partition_key}-${m.timestamp}` }, h("summary", null, metadataInline(m.metadata), ` (${m.metadata.length})`), metadataList(m.metadata)) : h("span", { class: "muted" }, "-"))));
  parts.push(card("Materializations", historyRows.length ? table(["time", "run", "partition", "metadata"], historyRows) : h("p", { class: "muted" }, "None recorded."),
    h("div", { class: "row pager" },
      query.history_cursor ? link(base + queryString(Object.assign({}, query, { history_cursor: null })), "newest") : null,
      history.next_cursor ? link(base + queryString(Object.assign({}, query, { history_cursor: history.next_cursor })), "older →") : null)));
  return { el: h("div", null, parts) };
}

// -- runs -------------------------------------------------------------------------------------

async function runsView(query) {
  const data = await api("runs", { limit: query.limit || 50, status: query.status, job: query.job, cursor: query.cursor });
  const statusSelect = h("select", { "aria-label": "status" }, h("option", { value: "" }, "any status"),
    data.statuses.map((st) => h("option", { value: st, selected: query.status === st ? "selected" : null }, st)));
  const jobSelect = h("select", { "aria-label": "job" }, h("option", { value: "" }, "any job"),
    data.jobs.map((j) => h("option", { value: j, selected: query.job === j ? "selected" : null }, j)));
  const apply = () => { location.hash = "#/runs" + queryString({ status: statusSelect.value, job: jobSelect.value }); };
  statusSelect.addEventListener("change", apply);
  jobSelect.addEventListener("change", apply);
  const rows = data.runs.map((r) => h("tr", null,
    h("td", null, runLink(r.run_id)), h("td", null, r.job_name), h("td", null, badge(r.status)),
    h("td", null, r.trigger, r.origin ? h("div", { class: "muted" }, r.origin) : null),
    h("td", null, r.partition_range ? `${r.partition_range[0]} … ${r.partition_range[1]}` : r.partition_key || "-"),
    h("td", null, when(r.created_at), h("div", { class: "muted" }, fmtAgo(r.created_at))),
    h("td", { class: "num" }, fmtDuration(runDuration(r))),
    h("td", { class: "num" }, String(r.selection_count))));
  const pager = h("div", { class: "row pager" },
    query.cursor ? link("#/runs" + queryString(Object.assign({}, query, { cursor: null })), "newest") : null,
    data.next_cursor ? link("#/runs" + queryString(Object.assign({}, query, { cursor: data.next_cursor })), "older →") : null);
  return {
    el: h("div", null, h("div", { class: "row" }, h("h1", { class: "grow" }, "Runs"), statusSelect, jobSelect),
      card(null, rows.length ? table(["run", "job", "status", "trigger", "partition", "created", "duration", "steps/assets"], rows) : h("p", { class: "muted" }, "No runs recorded."), pager)),
    refresh: query.cursor ? 0 : 3000,
  };
}

function timeline(run, steps) {
  const timed = steps.filter((st) => st.started_at || st.ended_at);
  if (!timed.length) return null;
  const now = Date.now() / 1000;
  const t0 = Math.min(...timed.map((st) => st.started_at || st.ended_at), run.started_at || Infinity);
  const t1 = Math.max(...timed.map((st) => st.ended_at || now), run.ended_at || 0, t0 + 0.001);
  const labelW = 200, width = 900, rowH = 20, barW = width - labelW - 80;
  const svg = s("svg", { class: "timeline", width: "100%", viewBox: `0 0 ${width} ${steps.length * rowH + 24}` });
  svg.append(s("text", { x: labelW, y: 12 }, "0s"), s("text", { x: labelW + barW - 30, y: 12 }, fmtDuration(t1 - t0)));
  steps.forEach((st, i) => {
    const y = 20 + i * rowH;
    svg.append(s("line", { x1: 0, x2: width, y1: y + rowH - 1, y2: y + rowH - 1 }));
    svg.append(s("text", { x: 4, y: y + 14 }, fit(st.step_key, 30)));
    if (!st.started_at && !st.ended_at) return;
    const start = st.started_at || st.ended_at;
    const end = st.ended_at || now;
    const x = labelW + ((start - t0) / (t1 - t0)) * barW;
    const w = Math.max(((end - start) / (t1 - t0)) * barW, 2);
    svg.append(s("rect", { class: st.status, x, y: y + 4, width: w, height: rowH - 8, rx: 2 },
      s("title", null, `${st.step_key}: ${st.status}, ${fmtDuration(end - start)}`)));
    svg.append(s("text", { x: Math.min(x + w + 4, width - 60), y: y + 14 }, fmtDuration(end - start)));
  });
  return svg;
}

async function runView(runId, query) {
  const data = await api("runs/" + encodeURIComponent(runId), { events_cursor: query.events_cursor });
  const r = data.run;
  const parts = [h("div", { class: "muted" }, link("#/runs", "Runs"), " / ", r.run_id)];
  parts.push(h("div", { class: "row" }, h("h1", { class: "grow mono" }, r.run_id), badge(r.status)));
  parts.push(card(null, kv([
    ["job", link("#/runs" + queryString({ job: r.job_name }), r.job_name)],
    ["trigger", [r.trigger, r.origin ? ` (${r.origin})` : ""]],
    ["partition", r.partition_range ? `${r.partition_range[0]} … ${r.partition_range[1]}` : r.partition_key],
    ["created", when(r.created_at)],
    ["started", r.started_at ? when(r.started_at) : null],
    ["ended", r.ended_at ? when(r.ended_at) : null],
    ["duration", fmtDuration(runDuration(r))],
    ["run key", r.run_key],
    ["re-execution of", r.parent_run_id ? runLink(r.parent_run_id) : null],
    ["execution", r.execution_arn ? h("code", null, r.execution_arn) : null],
    ["selection", r.selection.map((k, i) => [i ? ", " : "", data.assets.includes(k) ? assetLink(k) : h("code", null, k)])],
    ["tags", Object.entries(r.tags).map(([k, v]) => h("span", { class: "badge" }, `${k}=${v}`))],
  ])));
  for (const e of data.errors) {
    parts.push(h("section", { class: "card error" }, h("h2", null, `${e.step_key} failed (attempt ${e.attempt})`),
      h("p", null, h("strong", null, e.error_type + ": "), e.message),
      e.traceback ? h("details", { "data-id": `tb-${e.step_key}-${e.attempt}` }, h("summary", null, "traceback"), h("pre", null, e.traceback)) : null));
  }
  const tl = timeline(r, data.steps);
  parts.push(card("Steps", tl, table(["step", "status", "attempts", "started", "duration", "log lines"], data.steps.map((st) => h("tr", null,
    h("td", null, h("code", null, st.step_key)), h("td", null, badge(st.status)), h("td", { class: "num" }, String(st.attempts)),
    h("td", null, st.started_at ? when(st.started_at) : "-"), h("td", { class: "num" }, fmtDuration(st.duration)),
    h("td", { class: "num" }, String(st.log_lines)))))));
  const events = data.events.map((e) => h("tr", null,
    h("td", { class: "mono" }, fmtTime(e.timestamp)), h("td", null, h("code", null, e.step_key)),
    h("td", null, badge(e.event_type.replace("STEP_", ""))), h("td", { class: "num" }, String(e.attempt)),
    h("td", null, e.message || "", e.logs.length ? h("pre", { class: "log" }, e.logs.join("\n")) : null,
      e.error ? h("div", null, h("strong", null, e.error.error_type + ": "), e.error.message) : null)));
  const offset = Number(query.events_cursor || 0);
  parts.push(card(`Events and logs (${data.event_count})`, events.length ? table(["time", "step", "event", "attempt", "details"], events) : h("p", { class: "muted" }, "No step events (none recorded yet, or expired)."),
    h("div", { class: "row pager" },
      offset ? link("#/runs/" + encodeURIComponent(r.run_id), "first events") : null,
      data.next_cursor ? link("#/runs/" + encodeURIComponent(r.run_id) + queryString({ events_cursor: data.next_cursor }), "more events →") : null)));
  const finished = ["SUCCESS", "FAILURE", "CANCELED"].includes(r.status);
  return { el: h("div", null, parts), refresh: finished ? 0 : 2000 };
}

// -- jobs, automation, backfills --------------------------------------------------------------

function listLinks(items, make, max) {
  const shown = items.slice(0, max || 8).map((x, i) => [i ? ", " : "", make(x)]);
  return [shown, items.length > (max || 8) ? h("span", { class: "muted" }, ` +${items.length - (max || 8)} more`) : null];
}

async function jobsView() {
  const data = await api("jobs");
  const rows = data.jobs.map((j) => h("tr", null,
    h("td", null, h("strong", null, j.name), j.description ? h("div", { class: "muted" }, j.description) : null),
    h("td", null, j.kind),
    h("td", null, j.kind === "assets" ? listLinks(j.assets, assetLink) : listLinks(j.ops, (o) => h("code", null, o))),
    h("td", null, j.partitions_def ? h("code", null, j.partitions_def) : "-"),
    h("td", null, listLinks(j.schedules, (x) => link("#/automation", x)), j.schedules.length && j.sensors.length ? "; " : "", listLinks(j.sensors, (x) => link("#/automation", x))),
    h("td", null, j.latest_run ? [badge(j.latest_run.status), " ", runLink(j.latest_run.run_id), h("div", { class: "muted" }, fmtAgo(j.latest_run.created_at))] : h("span", { class: "muted" }, "never run")),
    h("td", null, link("#/runs" + queryString({ job: j.name }), "runs"))));
  return { el: h("div", null, h("h1", null, `Jobs (${data.jobs.length})`),
    card(null, rows.length ? table(["job", "kind", "assets / ops", "partitions", "schedules / sensors", "latest run", ""], rows) : h("p", { class: "muted" }, "No jobs defined."))) };
}

function ticksTable(ticks) {
  if (!ticks.length) return h("span", { class: "muted" }, "no ticks recorded");
  return table(["time", "status", "runs", "detail"], ticks.map((t) => h("tr", null,
    h("td", null, when(t.timestamp)), h("td", null, badge(t.status)),
    h("td", null, t.run_ids.map((id) => [runLink(id), " "])),
    h("td", null, t.error ? h("pre", null, t.error) : t.skip_reason || ""))), { class: "meta-table" });
}

async function automationView() {
  const data = await api("automation");
  const schedules = data.schedules.map((sc) => h("tr", null,
    h("td", null, h("strong", null, sc.name), sc.description ? h("div", { class: "muted" }, sc.description) : null),
    h("td", null, sc.job || "-"), h("td", null, h("code", null, sc.cron.join(" | ")), h("div", { class: "muted" }, sc.timezone)),
    h("td", null, badge(sc.default_status)),
    h("td", null, sc.error ? h("span", { class: "badge FAILED" }, sc.error) : sc.next_ticks.map((t) => h("div", { class: "mono", title: "your time: " + fmtTime(t.time) }, t.local.replace("T", " ").slice(0, 16)))),
    h("td", null, h("details", { "data-id": "ticks-" + sc.name }, h("summary", null, sc.recent_ticks.length ? `${sc.recent_ticks.length} recent` : "none"), ticksTable(sc.recent_ticks)))));
  const sensors = data.sensors.map((se) => h("tr", null,
    h("td", null, h("strong", null, se.name), se.description ? h("div", { class: "muted" }, se.description) : null),
    h("td", null, se.type), h("td", null, se.job || "-"), h("td", null, h("code", null, se.trigger)), h("td", null, badge(se.default_status)),
    h("td", null, se.cursor === null ? h("span", { class: "muted" }, "none") : h("code", null, se.cursor)),
    h("td", null, h("details", { "data-id": "ticks-" + se.name }, h("summary", null, se.recent_ticks.length ? `${se.recent_ticks.length} recent` : "none"), ticksTable(se.recent_ticks)))));
  const cond = data.conditions;
  const conditions = cond.assets.map((c) => h("tr", null, h("td", null, assetLink(c.asset)), h("td", null, c.conditions.join("; ")),
    h("td", null, c.last_requested ? when(c.last_requested) : "-"),
    h("td", null, Object.entries(c.reasons).map(([ident, reason]) => h("div", null, h("code", null, ident), ": ", reason)))));
  return { el: h("div", null, h("h1", null, "Automation"),
    card(`Schedules (${schedules.length})`, schedules.length ? table(["schedule", "job", "cron", "default", "next ticks", "ticks"], schedules) : h("p", { class: "muted" }, "No schedules.")),
    card(`Sensors (${sensors.length})`, sensors.length ? table(["sensor", "type", "job", "trigger", "default", "cursor", "ticks"], sensors) : h("p", { class: "muted" }, "No sensors.")),
    cond.assets.length ? card("Declarative automation", h("p", { class: "muted" }, "last evaluation: ", cond.last_evaluation ? fmtTime(cond.last_evaluation) : "never", cond.error ? " — " + cond.error : ""),
      table(["asset", "conditions", "last requested", "latest reasons"], conditions)) : null) };
}

async function backfillsView(query) {
  const data = await api("backfills", { status: query.status });
  const rows = data.backfills.map((b) => h("tr", null,
    h("td", null, link("#/backfills/" + encodeURIComponent(b.backfill_id), b.backfill_id, { class: "mono" })),
    h("td", null, b.job_name), h("td", null, badge(b.status)),
    h("td", null, b.first_partition ? `${b.first_partition} … ${b.last_partition}` : "-"),
    h("td", null, countsBar(b.counts, b.partition_count, 120), h("div", { class: "muted" }, `${b.counts.MATERIALIZED}/${b.partition_count}` + (b.counts.FAILED ? `, ${b.counts.FAILED} failed` : ""))),
    h("td", null, when(b.created_at)), h("td", null, b.updated_at ? when(b.updated_at) : "-")));
  return { el: h("div", null, h("h1", null, "Backfills"),
    card(null, rows.length ? table(["backfill", "job", "status", "partitions", "progress", "created", "updated"], rows) : h("p", { class: "muted" }, "No backfills recorded."))),
  refresh: 5000 };
}

async function backfillView(id, query) {
  const data = await api("backfills/" + encodeURIComponent(id), query);
  const b = data.backfill;
  const base = "#/backfills/" + encodeURIComponent(id);
  const finished = ["COMPLETED", "FAILED", "CANCELED"].includes(b.status);
  return { el: h("div", null, h("div", { class: "muted" }, link("#/backfills", "Backfills"), " / ", b.backfill_id),
    h("div", { class: "row" }, h("h1", { class: "grow mono" }, b.backfill_id), badge(b.status)),
    card(null, kv([["job", link("#/runs" + queryString({ job: b.job_name }), b.job_name)], ["created", when(b.created_at)],
      ["updated", b.updated_at ? when(b.updated_at) : null], ["selection", b.selection.join(", ")],
      ["tags", Object.entries(b.tags).map(([k, v]) => h("span", { class: "badge" }, `${k}=${v}`))]])),
    partitionsCard(data.partitions, query, base)), refresh: finished ? 0 : 3000 };
}

// -- start ------------------------------------------------------------------------------------

if (typeof window !== "undefined") {
  window.addEventListener("hashchange", render);
  window.addEventListener("DOMContentLoaded", render);
}
if (typeof module !== "undefined") {
  module.exports = { render, safeHref, fmtDuration, queryString, assetState, fit };
}
