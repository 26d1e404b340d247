// leadstream web page: lead search, a lead's page with its sources and
// per-field provenance, the review queue with candidates side by side and
// keyboard shortcuts, and the workflow funnel. Plain JavaScript against the
// REST API; the API key stays in sessionStorage. Every value is written as
// text, never as HTML.
"use strict";

const state = { key: sessionStorage.getItem("leadstream.key") || "", role: "", cursor: null, items: [], current: 0, picked: 0 };

function el(tag, attrs, ...kids) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") n.className = v;
    else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) n.setAttribute(k, v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined) continue;
    n.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return n;
}
const $ = (sel) => document.querySelector(sel);

async function api(method, path, body) {
  const opts = { method, headers: { "X-API-Key": state.key } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(path, opts);
  let data = null;
  try { data = await resp.json(); } catch (_) { /* empty body */ }
  if (!resp.ok) {
    const msg = data && data.error ? `${data.error.code}: ${data.error.message}` : `HTTP ${resp.status}`;
    const err = new Error(msg);
    err.status = resp.status;
    throw err;
  }
  return data;
}

function show(view) {
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== view + "-view";
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.view === view);
  state.view = view;
  if (view === "review") loadReview();
  if (view === "funnel") loadFunnel();
}

async function login(key) {
  state.key = key;
  try {
    const me = await api("GET", "/api/whoami");
    state.role = me.role;
    sessionStorage.setItem("leadstream.key", key);
    $("#who").replaceChildren(`${me.name} (${me.role}) `, el("button", { id: "logout", onclick: logout }, "Sign out"));
    $("#tabs").hidden = false;
    show("leads");
    search();
  } catch (e) {
    sessionStorage.removeItem("leadstream.key");
    $("#login-error").textContent = e.message;
    show("login");
    $("#tabs").hidden = true;
  }
}

function logout() {
  sessionStorage.removeItem("leadstream.key");
  state.key = "";
  $("#who").replaceChildren();
  $("#tabs").hidden = true;
  show("login");
}

// ---- leads ----

function leadQuery() {
  const p = new URLSearchParams();
  const add = (name, id) => { const v = $(id).value.trim(); if (v) p.set(name, v); };
  add("q", "#q"); add("state", "#f-state"); add("fit_bucket", "#f-bucket"); add("min_fit", "#f-minfit");
  add("country", "#f-country"); add("source", "#f-source"); add("sort", "#f-sort");
  p.set("limit", "25");
  return p;
}

function fmtTime(s) { return s ? new Date(s).toLocaleString() : ""; }

async function search(more) {
  const p = leadQuery();
  if (more && state.cursor) p.set("cursor", state.cursor);
  try {
    const page = await api("GET", "/api/leads?" + p);
    const body = $("#results tbody");
    if (!more) { body.replaceChildren(); $("#lead").hidden = true; }
    for (const l of page.data) {
      body.append(el("tr", { "data-id": l.lead_id, onclick: () => openLead(l.lead_id) },
        el("td", {}, l.full_name || `${l.first_name} ${l.last_name}`), el("td", {}, l.email), el("td", {}, l.company),
        el("td", {}, el("span", { class: "badge " + l.state }, l.state)), el("td", {}, l.quality_score),
        el("td", {}, `${l.fit_score} ${l.fit_bucket || ""}`), el("td", {}, l.halopsa ? `#${l.halopsa.ticket_id} (status ${l.halopsa.status_id})` : "–"),
        el("td", {}, fmtTime(l.updated_at))));
    }
    state.cursor = page.pagination.next_cursor;
    $("#more").hidden = !page.pagination.has_more;
    // A search by relevance counts up to a cap: "10000+ leads".
    const plus = page.total_is_lower_bound ? "+" : "";
    $("#result-count").textContent = `${page.total}${plus} lead${page.total === 1 && !plus ? "" : "s"}`;
  } catch (e) {
    $("#result-count").textContent = e.message;
  }
}

async function openLead(id) {
  for (const tr of document.querySelectorAll("#results tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  const box = $("#lead");
  try {
    const l = await api("GET", "/api/leads/" + encodeURIComponent(id));
    const fields = ["first_name", "last_name", "title", "seniority", "department", "email", "phone", "company", "domain",
      "website", "industry", "city", "state", "country", "linkedin_url", "quality_score", "fit_score", "fit_bucket"];
    const grid = el("div", { class: "grid" }, fields.filter((f) => l[f] !== undefined && l[f] !== "")
      .map((f) => el("div", {}, el("span", {}, f.replace(/_/g, " ")), el("span", {}, String(l[f])))));
    const sources = el("table", { id: "lead-sources" }, el("thead", {}, el("tr", {}, el("th", {}, "Source"), el("th", {}, "Record"), el("th", {}, "First seen"), el("th", {}, "Last seen"))),
      el("tbody", {}, (l.sources || []).map((s) => el("tr", {}, el("td", {}, s.source), el("td", {}, s.source_record_id), el("td", {}, fmtTime(s.first_seen)), el("td", {}, fmtTime(s.last_seen))))));
    const prov = el("table", { id: "lead-provenance" }, el("thead", {}, el("tr", {}, el("th", {}, "Attribute"), el("th", {}, "Value"), el("th", {}, "Source"), el("th", {}, "Record"), el("th", {}, "Observed"))),
      el("tbody", {}, Object.keys(l.provenance || {}).sort().flatMap((attr) => l.provenance[attr].map((o, i) =>
        el("tr", {}, el("td", {}, i === 0 ? attr.replace(/_/g, " ") : ""), el("td", { class: o.selected ? "selected-value" : "" }, o.value + (o.selected ? " ✓" : "")),
          el("td", {}, o.source || ""), el("td", {}, o.source_record_id || ""), el("td", {}, fmtTime(o.observed_at)))))));
    const reviews = (l.reviews || []).length ? el("ul", {}, l.reviews.map((r) => el("li", {}, `${r.review_id}: ${r.status} ${r.decision || r.reason || ""}`))) : el("p", { class: "muted" }, "No review items.");
    const actions = [];
    if (state.role === "admin") {
      actions.push(el("button", { id: "erase", onclick: () => erase(l.lead_id) }, "Erase this person…"));
    }
    box.replaceChildren(
      el("h2", {}, l.full_name || `${l.first_name || ""} ${l.last_name || ""}`, " ", el("span", { class: "badge " + l.state }, l.state)),
      el("p", { class: "muted" }, `${l.lead_id} · updated ${fmtTime(l.updated_at)}` + (l.halopsa ? ` · HaloPSA ticket #${l.halopsa.ticket_id}` : "")),
      grid, el("h3", {}, "Sources"), sources, el("h3", {}, "Provenance per field"), prov, el("h3", {}, "Reviews"), reviews, ...actions);
    box.hidden = false;
    box.scrollIntoView({ block: "start" });
  } catch (e) {
    box.replaceChildren(el("p", { class: "error" }, e.message));
    box.hidden = false;
  }
}

async function erase(id) {
  if (!confirm("Erase this person everywhere leadstream keeps them? This cannot be undone.")) return;
  try {
    await api("DELETE", "/api/leads/" + encodeURIComponent(id));
    $("#lead").replaceChildren(el("p", {}, `Lead ${id} erased.`));
    search();
  } catch (e) {
    alert(e.message);
  }
}

// ---- review ----

async function loadReview() {
  try {
    const page = await api("GET", "/api/review?limit=200");
    state.items = page.data;
    state.current = Math.min(state.current, Math.max(state.items.length - 1, 0));
    $("#review-count").textContent = page.total ? `(${page.total})` : "";
    renderReview();
  } catch (e) {
    $("#review-status").textContent = e.message;
  }
}

function personName(r) {
  if (!r) return "";
  return r.full_name || `${r.first_name || ""} ${r.last_name || ""}`.trim();
}

function bars(components) {
  const names = ["email", "name", "phone", "company", "address"];
  return el("div", { class: "bars" }, names.map((n) => {
    const v = components ? components[n] : null;
    const fill = el("div", { class: "fill" + (v === null || v === undefined ? " na" : "") });
    if (v !== null && v !== undefined) fill.style.width = Math.round(Math.max(0, Math.min(1, v)) * 100) + "%";
    return el("div", { class: "bar", "data-component": n }, el("span", {}, n), el("div", { class: "track" }, fill),
      el("span", {}, v === null || v === undefined ? "–" : v.toFixed(2)));
  }));
}

function renderReview() {
  const list = $("#review-list");
  list.replaceChildren(...state.items.map((it, i) => el("li", { class: "review-item" + (i === state.current ? " active" : ""), "data-id": it.review_id,
    onclick: () => { state.current = i; state.picked = 0; renderReview(); } },
    el("strong", {}, personName(it.record) || it.review_id), el("br"), el("span", { class: "muted" }, it.reason))));
  const box = $("#review-detail");
  const it = state.items[state.current];
  if (!it) {
    box.replaceChildren(el("p", { class: "muted", id: "review-empty" }, "The review queue is empty."));
    return;
  }
  const rec = it.record || {};
  const line = (label, v) => v ? el("div", {}, el("span", { class: "muted" }, label + ": "), v) : null;
  const recordCard = el("div", { class: "card", id: "review-record" }, el("h3", {}, "Held record"),
    line("name", personName(rec)), line("e-mail", rec.email), line("phone", rec.phone), line("company", rec.company),
    line("title", rec.title), line("city", rec.city), line("source", it.source ? `${it.source.source} / ${it.source.source_record_id}` : ""),
    line("quality", String(it.quality_score)));
  const cands = it.candidates.map((c, i) => {
    const l = (it.candidate_leads || {})[c.lead_id] || {};
    return el("div", { class: "card candidate" + (i === state.picked ? " picked" : ""), "data-lead": c.lead_id,
      onclick: () => { state.picked = i; renderReview(); } },
      el("h3", {}, `${i + 1}. ${personName(l) || c.lead_id}`), line("e-mail", l.email), line("company", l.company),
      line("score", c.score.toFixed(2)), bars(c.components));
  });
  const buttons = it.decisions.map((d) => el("button", { id: "decide-" + d, class: d === "reject" ? "" : "primary", onclick: () => decide(d) },
    { approve: "Approve (a)", reject: "Reject (r)", merge: "Merge into picked (m)", create_new: "Create new (n)" }[d]));
  box.replaceChildren(el("h2", {}, `${it.reason.replace("_", " ")} · ${it.review_id}`),
    el("div", { class: "side" }, recordCard, ...cands), el("div", { class: "decisions" }, buttons));
}

async function decide(decision) {
  const it = state.items[state.current];
  if (!it || !it.decisions.includes(decision)) return;
  const body = { decision };
  if (decision === "merge") {
    const c = it.candidates[state.picked];
    if (!c) return;
    body.target_lead_id = c.lead_id;
  }
  try {
    const res = await api("POST", `/api/review/${encodeURIComponent(it.review_id)}/decision`, body);
    $("#review-status").textContent = `${res.review_id}: ${res.decision}` + (res.lead_id ? ` → ${res.lead_id}` : "");
    state.items.splice(state.current, 1);
    state.current = Math.min(state.current, Math.max(state.items.length - 1, 0));
    state.picked = 0;
    $("#review-count").textContent = state.items.length ? `(${state.items.length})` : "";
    renderReview();
  } catch (e) {
    $("#review-status").textContent = e.message;
  }
}

// ---- funnel ----

async function loadFunnel() {
  const p = new URLSearchParams();
  const from = $("#funnel-from").value, to = $("#funnel-to").value;
  if (from) p.set("from", new Date(from + "T00:00:00Z").toISOString().replace(".000", ""));
  if (to) p.set("to", new Date(to + "T00:00:00Z").toISOString().replace(".000", ""));
  try {
    const r = await api("GET", "/api/analytics/workflow?" + p);
    drawFunnel(r);
  } catch (e) {
    $("#funnel").replaceChildren(el("p", { class: "error" }, e.message));
  }
}

function svg(tag, attrs, ...kids) {
  const n = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
  for (const kid of kids) n.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  return n;
}

function drawFunnel(r) {
  const W = 720, rowH = 70, H = 40 + rowH * r.stages.length;
  const maxN = Math.max(1, ...r.stages.map((s) => s.entered));
  const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "Workflow funnel" });
  const colors = { advanced: "#1f8a4c", exited: "#b42318", open: "#98a2b3" };
  r.stages.forEach((s, i) => {
    const y = 20 + i * rowH, width = (W - 220) * (s.entered / maxN), x0 = 140 + (W - 220 - width) / 2;
    chart.append(svg("text", { x: 10, y: y + 22, "font-size": 14, "font-weight": 600 }, s.stage));
    chart.append(svg("text", { x: 10, y: y + 40, "font-size": 12, fill: "#667085" }, `${s.entered} entered`));
    let x = x0;
    for (const part of ["advanced", "exited", "open"]) {
      const w = s.entered ? width * (s[part] / s.entered) : 0;
      if (w > 0) chart.append(svg("rect", { x, y, width: w, height: 40, fill: colors[part], class: "funnel-" + part }, svg("title", {}, `${part}: ${s[part]}`)));
      x += w;
    }
    if (!s.entered) chart.append(svg("rect", { x: 140, y, width: W - 220, height: 40, fill: "#eef1f6" }));
    const conv = s.conversion_rate === null ? "–" : Math.round(s.conversion_rate * 100) + "%";
    chart.append(svg("text", { x: W - 70, y: y + 25, "font-size": 13 }, conv));
  });
  $("#funnel").replaceChildren(chart);
  const b = r.bottleneck || {};
  $("#funnel-facts").replaceChildren(
    el("p", {}, `Funnel rate (won / leads entered): ${r.funnel_rate === null ? "–" : Math.round(r.funnel_rate * 1000) / 10 + "%"}`),
    el("p", {}, `Bottleneck by dwell: ${b.by_dwell ? `${b.by_dwell.status} (median ${Math.round(b.by_dwell.median_seconds / 3600)} h)` : "not enough data"}`),
    el("p", {}, `Bottleneck by conversion: ${b.by_conversion ? `${b.by_conversion.stage} (${Math.round(b.by_conversion.conversion_rate * 100)}%)` : "not enough data"}`),
    el("p", { class: "muted" }, `Off-path transitions: ${r.off_path_transitions} · ${new Date(r.period.from).toLocaleDateString()} – ${new Date(r.period.to).toLocaleDateString()}`),
    el("p", { class: "muted" }, "Green advanced, red exited, grey still open; the figure on the right is the conversion rate."));
}

// ---- wiring ----

document.addEventListener("DOMContentLoaded", () => {
  $("#login-form").addEventListener("submit", (e) => { e.preventDefault(); login($("#key").value.trim()); });
  $("#search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  $("#more").addEventListener("click", () => search(true));
  $("#funnel-form").addEventListener("submit", (e) => { e.preventDefault(); loadFunnel(); });
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => show(t.dataset.view));
  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (e.key === "/" && !typing && state.view === "leads") { e.preventDefault(); $("#q").focus(); return; }
    if (typing || state.view !== "review" || e.ctrlKey || e.metaKey || e.altKey) return;
    const it = state.items[state.current];
    switch (e.key) {
      case "j": state.current = Math.min(state.current + 1, state.items.length - 1); state.picked = 0; renderReview(); break;
      case "k": state.current = Math.max(state.current - 1, 0); state.picked = 0; renderReview(); break;
      case "a": decide("approve"); break;
      case "r": decide("reject"); break;
      case "m": decide("merge"); break;
      case "n": decide("create_new"); break;
      default:
        if (it && /^[1-9]$/.test(e.key) && Number(e.key) <= it.candidates.length) { state.picked = Number(e.key) - 1; renderReview(); }
    }
  });
  if (state.key) login(state.key); else show("login");
});
