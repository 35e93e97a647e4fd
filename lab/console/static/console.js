// The lab console: one SVG diagram per architecture, lit by timeline events (each event carries the
// node it lights, from lab/console/diagrams.yaml), and the panels the security team reads. The same
// `apply(event)` serves a replay (events played on a clock) and a live lab (server-sent events).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 132, NODE_H = 36;
const NOISE = new Set(["cloudtrail.not_recorded", "cron.run_skipped_no_change", "live.status"]);
const FINDINGS = new Set(["guardduty.finding", "securityhub.imported", "config.compliance_change", "cloudwatch.alarm_state",
                          "detector.alerted", "eventbridge.matched"]);
const state = { info: null, arms: {}, events: [], clock: 0, playing: false, start: 0, order: 0 };

const $ = (id) => document.getElementById(id);

function fmt(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "-";
  s = Math.max(0, s);
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// -- diagrams -------------------------------------------------------------------------------------
function drawDiagrams() {
  const box = $("diagrams");
  box.innerHTML = "";
  for (const [arm, spec] of Object.entries(state.info.diagrams)) {
    const card = document.createElement("div");
    card.className = "diagram";
    card.id = `diagram-${arm}`;
    card.innerHTML = `<h3>${arm} <small>(${spec.architecture})</small> <span class="status"></span></h3>`;
    const svg = el("svg", { viewBox: "0 0 1100 470" });
    const pos = Object.fromEntries(spec.nodes.map((n) => [n.id, n]));
    const arm_ = { nodes: {}, edges: [], litAt: {}, detonatedAt: null };
    for (const [from, to] of spec.edges) {
      const a = pos[from], b = pos[to];
      const g = el("g", { class: "edge", "data-from": from, "data-to": to });
      g.append(el("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y }));
      const label = el("text", { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4 }, "");
      g.append(label);
      svg.append(g);
      arm_.edges.push({ from, to, g, label });
    }
    for (const n of spec.nodes) {
      const g = el("g", { class: "node", id: `node-${arm}-${n.id}`, "data-node": n.id });
      g.append(el("rect", { x: n.x - NODE_W / 2, y: n.y - NODE_H / 2, width: NODE_W, height: NODE_H }));
      g.append(el("text", { x: n.x, y: n.y }, n.label));
      const order = el("text", { class: "order", x: n.x + NODE_W / 2 - 8, y: n.y - NODE_H / 2 + 9 }, "");
      g.append(order);
      svg.append(g);
      arm_.nodes[n.id] = { g, order };
    }
    card.append(svg);
    box.append(card);
    state.arms[arm] = arm_;
  }
}

function resetArm(arm) {
  const a = state.arms[arm];
  if (!a) return;
  a.litAt = {};
  for (const n of Object.values(a.nodes)) {
    n.g.classList.remove("lit", "fixed");
    n.g.removeAttribute("data-order");
    n.order.textContent = "";
  }
  for (const e of a.edges) { e.g.classList.remove("lit"); e.label.textContent = ""; }
}

function light(arm, node, t) {
  const a = state.arms[arm];
  if (!a || !a.nodes[node] || a.litAt[node] !== undefined) return;
  a.litAt[node] = t;
  const n = a.nodes[node];
  state.order += 1;
  n.g.classList.add(node === "L" ? "fixed" : "lit");
  n.g.setAttribute("data-order", String(state.order));
  n.g.setAttribute("data-t", String(t));
  n.order.textContent = String(Object.keys(a.litAt).length);
  for (const e of a.edges) {
    if (e.to === node && a.litAt[e.from] !== undefined && a.litAt[e.from] <= t) {
      e.g.classList.add("lit");
      e.label.textContent = `+${fmt(t - a.litAt[e.from])}`;
    }
  }
}

// -- panels ---------------------------------------------------------------------------------------
function rel(arm, t) {
  const a = state.arms[arm];
  return a && a.detonatedAt !== null ? t - a.detonatedAt : t;
}

function addItem(list, text, event, cls) {
  const li = document.createElement("li");
  li.innerHTML = text;
  if (cls) li.className = cls;
  li.addEventListener("click", () => { $("raw").textContent = JSON.stringify(event, null, 2); });
  $(list).prepend(li);
  while ($(list).children.length > 400) $(list).lastChild.remove();
  return li;
}

function describe(e) {
  const bits = [e.event_name, e.rule, e.alarm && `${e.alarm} -> ${e.new_state}`, e.finding_type,
                e.function, e.document, e.subject, e.job, e.source, e.log_group && !e.source ? e.log_group : null];
  return bits.filter(Boolean).slice(0, 3).join(" · ");
}

function apply(event) {
  const arm = event.architecture;
  if (event.kind === "technique.detonated") {
    resetArm(arm);
    if (state.arms[arm]) state.arms[arm].detonatedAt = event.t_s;
  }
  if (event.kind === "live.status") { statusOf(arm, event.text); }
  if (event.node) light(arm, event.node, event.t_s);
  const t = rel(arm, event.t_s);
  // Live, the people's calls come as whole CloudTrail records (cloudtrail.record); a replay has the
  // timeline's summary of the attacker's and the person's calls.
  const people = state.info.mode === "replay" && ["attacker", "operator"].includes(event.actor);
  const show = !NOISE.has(event.kind) && !(event.kind === "api_call" && !people);
  if (show || $("noise").checked) {
    const cls = event.detection ? "detection" : "";
    addItem("timeline", `<span class="arm">${arm}</span> ${fmt(t)} <b>${event.kind}</b> ${escape(describe(event))}`, event, cls);
  }
  if (event.kind === "sns.delivered") {
    addItem("inbox", `<span class="arm">${arm}</span> ${fmt(t)} ${escape(event.subject || "(no subject)")}`, event);
  }
  if (FINDINGS.has(event.kind) && event.detection) {
    addItem("findings", `<span class="arm">${arm}</span> ${fmt(t)} ${escape(event.source || event.kind)}`, event, "detection");
  }
  if (event.kind === "cloudwatch.alarm_state") {
    const id = `alarm-${arm}-${event.alarm}`;
    let li = document.getElementById(id);
    if (!li) { li = addItem("alarms", "", event); li.id = id; }
    li.innerHTML = `<span class="arm">${arm}</span> ${escape(event.alarm)}: <b>${event.new_state}</b> at ${fmt(t)}`;
  }
  if (event.kind === "technique.remediated") {
    // A student's fix is timed by their call (after_s), read back a moment later (t_s).
    statusOf(arm, `fixed after ${fmt(event.after_s ?? t)} by ${event.source}`);
    if (state.info.mode === "live" && state.info.student) refreshScore();
  }
}

function statusOf(arm, text) {
  const card = $(`diagram-${arm}`);
  if (card) card.querySelector(".status").textContent = text;
}

function escape(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

function clearPanels() {
  for (const id of ["timeline", "inbox", "findings", "alarms"]) $(id).innerHTML = "";
  state.order = 0;
  for (const arm of Object.keys(state.arms)) {
    resetArm(arm);
    state.arms[arm].detonatedAt = null;
    statusOf(arm, "");
  }
}

// -- replay ---------------------------------------------------------------------------------------
async function loadTrial() {
  const [technique, trial] = $("trial").value.split("#");
  const noise = $("noise").checked ? 1 : 0;
  const answer = await fetch(`/api/timeline?technique=${encodeURIComponent(technique)}&trial=${trial}&noise=${noise}`);
  state.events = await answer.json();
  state.next = 0;
  clearPanels();
  const first = state.events.find((e) => e.kind === "technique.detonated");
  state.attackAt = first ? first.t_s : null;  // the clock counts from it, before it too
  state.start = first ? first.t_s - 5 : (state.events[0] ? state.events[0].t_s : 0);
  // Everything before the attack (the account settling) is applied at once.
  state.clock = state.start;
  advance(0);
  const row = state.trials.find((r) => r.technique === technique && String(r.trial) === trial);
  $("outcome").textContent = Object.entries(row.arms).map(([arm, a]) =>
    `${arm}: ${a.outcome}, detected ${fmt(a.time_to_detect_s)} (${a.detection_source || "-"}), ` +
    `remediated ${fmt(a.time_to_remediate_s)} (${a.remediated_by || "-"})`).join("   |   ");
}

function advance(dt) {
  state.clock += dt;
  while (state.next < state.events.length && state.events[state.next].t_s <= state.clock) {
    apply(state.events[state.next]);
    state.next += 1;
  }
  const since = state.attackAt === null ? null : state.clock - state.attackAt;
  $("clock").textContent = since === null ? "" : since < 0
    ? `t = ${fmt(-since)} before the attack` : `t = ${fmt(since)} after the attack`;
  if (state.next >= state.events.length) { state.playing = false; $("play").textContent = "play"; }
}

function tick(last) {
  if (!state.playing) return;
  const now = performance.now();
  advance(((now - last) / 1000) * Number($("speed").value));
  requestAnimationFrame(() => tick(now));
}

async function startReplay() {
  $("replay-controls").hidden = false;
  state.trials = await (await fetch("/api/trials")).json();
  for (const r of state.trials) {
    const o = document.createElement("option");
    o.value = `${r.technique}#${r.trial}`;
    o.textContent = `${r.technique} #${r.trial}`;
    $("trial").append(o);
  }
  $("trial").addEventListener("change", loadTrial);
  $("noise").addEventListener("change", loadTrial);
  $("play").addEventListener("click", () => {
    state.playing = !state.playing;
    $("play").textContent = state.playing ? "pause" : "play";
    if (state.playing) { const now = performance.now(); requestAnimationFrame(() => tick(now)); }
  });
  $("end").addEventListener("click", () => {
    const last = state.events[state.events.length - 1];
    if (last) advance(Math.max(0, last.t_s - state.clock));
  });
  await loadTrial();
}

// -- live -----------------------------------------------------------------------------------------
async function post(path, body) {
  const answer = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return answer.json();
}

async function refreshScore() {
  const rows = await (await fetch("/api/scoreboard")).json();
  const body = $("scoreboard").querySelector("tbody");
  body.innerHTML = rows.map((r) => `<tr><td>${escape(r.player)}</td><td>${escape(r.technique)}</td><td>${fmt(r.student_s)}</td><td>${fmt(r.automation_s)}</td></tr>`).join("");
}

function startLive() {
  $("live-controls").hidden = false;
  $("insights-panel").hidden = false;
  $("accounts-panel").hidden = false;
  $("mode").textContent = `live, ${state.info.speed}x` + (state.info.student ? ", exercise: you are the manual architecture's on-call person" : "");
  for (const t of state.info.techniques) {
    const o = document.createElement("option");
    o.value = t.id;
    o.textContent = `${t.id} (${t.tactic})`;
    $("technique").append(o);
  }
  const exports = [];
  for (const [arm, account] of Object.entries(state.info.accounts)) {
    const o = document.createElement("option");
    o.value = arm; o.textContent = arm;
    $("insights-arm").append(o);
    exports.push(`# ${arm} account, as the on-call person:\n${account.exports.operator}`);
  }
  $("exports").textContent = exports.join("\n\n");
  const groupFor = () => {
    const groups = state.info.accounts[$("insights-arm").value].log_groups || [];
    const trail = groups.find((g) => g.includes("cloudtrail"));
    if (trail) $("insights-group").value = trail;
  };
  $("insights-arm").addEventListener("change", groupFor);
  groupFor();
  if (state.info.student) { $("score-panel").hidden = false; $("player-label").hidden = false; refreshScore(); }
  $("detonate").addEventListener("click", () => post("/api/detonate", { technique: $("technique").value, player: $("player").value }));
  $("revert").addEventListener("click", () => post("/api/revert", { technique: $("technique").value }));
  $("insights-run").addEventListener("click", async () => {
    $("insights-out").textContent = "running...";
    const answer = await post("/api/insights", { arm: $("insights-arm").value, query: $("insights-query").value, log_group: $("insights-group").value });
    $("insights-out").textContent = answer.error ? `error: ${answer.error}` : JSON.stringify(answer.rows, null, 1);
  });
  const source = new EventSource("/api/stream?since=0");
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    apply(event);
    if (event.kind === "technique.detonated") state.detonatedWall = performance.now();
    const a = state.arms[event.architecture];
    if (a && a.detonatedAt !== null) $("clock").textContent = `t = ${fmt(event.t_s - a.detonatedAt)} after the attack (simulated)`;
  };
  source.addEventListener("failure", (message) => { $("outcome").textContent = `the live lab stopped: ${JSON.parse(message.data)}`; source.close(); });
}

async function main() {
  state.info = await (await fetch("/api/info")).json();
  drawDiagrams();
  if (state.info.mode === "replay") {
    $("mode").textContent = `replay of ${state.info.scenario} (${state.info.run})`;
    await startReplay();
  } else {
    startLive();
  }
  document.body.setAttribute("data-ready", "1");
}

main();
