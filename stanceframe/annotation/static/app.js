// stanceframe annotate: one unit at a time, keyboard first. Every answer is on disk before the page moves on.
"use strict";

const $ = (id) => document.getElementById(id);
let config = null;
let state = null;
let chosenStance = null;
let chosenFrames = new Set();
let busy = false;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

function showMessage(text, isError) {
  const box = $("message");
  box.textContent = text || "";
  box.className = isError ? "error" : "";
}

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function renderChoices() {
  const stanceBox = $("stance-choices");
  stanceBox.replaceChildren();
  const suggestion = (state && state.current && state.current.suggestion) || {};
  for (const label of config.stance) {
    const button = el("button", null, "choice" + (chosenStance === label.name ? " selected" : ""));
    button.type = "button";
    button.dataset.stance = label.name;
    button.title = label.definition;
    button.append(el("span", label.key || "", "key"), el("span", label.name));
    if (suggestion.stance === label.name) {
      const scores = suggestion.stance_scores || {};
      const score = typeof scores[label.name] === "number" ? " " + scores[label.name].toFixed(2) : "";
      button.append(el("span", "model" + score, "suggested"));
    }
    button.addEventListener("click", () => { chooseStance(label.name); });
    stanceBox.append(button);
  }
  const frameBox = $("frame-choices");
  frameBox.replaceChildren();
  const suggestedFrames = new Set(suggestion.frames || []);
  for (const label of config.frames) {
    const button = el("button", null, "choice" + (chosenFrames.has(label.name) ? " selected" : ""));
    button.type = "button";
    button.dataset.frame = label.name;
    button.title = label.definition;
    button.setAttribute("aria-pressed", chosenFrames.has(label.name) ? "true" : "false");
    button.append(el("span", label.key || "", "key"), el("span", label.name));
    if (suggestedFrames.has(label.name)) button.append(el("span", "model", "suggested"));
    button.addEventListener("click", () => { toggleFrame(label.name); });
    frameBox.append(button);
  }
}

function renderContext(box, items) {
  box.replaceChildren();
  for (const item of items || []) {
    const who = item.author ? item.author + ": " : "";
    const p = el("p", who + item.text);
    if (item.kind) p.title = item.kind + (item.id ? " " + item.id : "");
    box.append(p);
  }
}

function render(newState, keepChoices) {
  state = newState;
  const p = state.progress;
  $("progress").textContent = `${p.answered} of ${p.total} answered` + (p.skipped ? ` · ${p.skipped} skipped` : "");
  $("progress").dataset.answered = p.answered;
  $("progress").dataset.total = p.total;
  const current = state.current;
  $("done-banner").hidden = !state.done;
  $("out-path").textContent = state.out;
  $("unit").hidden = state.done;
  if (current) {
    const u = current.unit;
    $("unit").dataset.id = u.id;
    $("unit-meta").textContent = `${current.position}/${p.total} · ${u.kind}` + (u.author ? ` · ${u.author}` : "")
      + ` · ${u.id}` + (current.skipped_before ? " · skipped before" : "");
    $("unit-text").textContent = u.text;
    renderContext($("context-before"), current.context.before);
    renderContext($("context-after"), current.context.after);
    if (!keepChoices) {
      chosenStance = current.suggestion.stance || null;
      chosenFrames = new Set(current.suggestion.frames || []);
    }
  } else {
    $("unit").dataset.id = "";
    renderContext($("context-before"), []);
    renderContext($("context-after"), []);
    chosenStance = null;
    chosenFrames = new Set();
  }
  const recent = $("recent");
  recent.replaceChildren();
  for (const row of state.recent) {
    const li = el("li", `${row.id}: ${row.stance}` + (row.frames.length ? ` [${row.frames.join(", ")}]` : ""));
    li.dataset.id = row.id;
    recent.append(li);
  }
  renderChoices();
  if (state.message) showMessage(state.message, false);
}

function chooseStance(name) {
  if (!state || !state.current) return;
  chosenStance = name;
  renderChoices();
}

function toggleFrame(name) {
  if (!state || !state.current) return;
  if (chosenFrames.has(name)) chosenFrames.delete(name); else chosenFrames.add(name);
  renderChoices();
}

async function act(path, body) {
  if (busy) return;
  busy = true;
  try {
    const newState = await call("POST", path, body);
    render(newState, false);
    const undone = newState.undone;
    if (undone && undone.undone === "answer" && newState.current && newState.current.unit.id === undone.id) {
      chosenStance = undone.stance;  // the answer taken back, ready to correct
      chosenFrames = new Set(undone.frames);
      renderChoices();
    }
  } catch (error) {
    showMessage("not saved: " + error.message, true);
  } finally {
    busy = false;
  }
}

function save() {
  if (!state || !state.current) return;
  if (!chosenStance) { showMessage("choose a stance first (1–" + config.stance.length + ")", true); return; }
  const frames = config.frames.map((f) => f.name).filter((name) => chosenFrames.has(name));
  act("/api/answer", { id: state.current.unit.id, stance: chosenStance, frames });
}

function skip() {
  if (state && state.current) act("/api/skip", { id: state.current.unit.id });
}

function undo() { act("/api/undo", {}); }

function toggleHelp(show) {
  const help = $("help");
  help.hidden = show === undefined ? !help.hidden : !show;
}

function buildHelp() {
  const stance = $("help-stance");
  for (const label of config.stance) {
    stance.append(el("dt", (label.key ? label.key + "  " : "") + label.name));
    stance.append(el("dd", label.definition + (label.cues.length ? " Cues: " + label.cues.join("; ") : "")));
  }
  const frames = $("help-frames");
  for (const label of config.frames) {
    frames.append(el("dt", (label.key ? label.key + "  " : "") + label.name), el("dd", label.definition));
  }
  const notes = $("help-notes");
  for (const [name, text] of Object.entries(config.notes)) {
    notes.append(el("h3", name.replace(/_/g, " ")), el("p", text));
  }
  const rules = $("help-rules");
  for (const rule of config.decision_rules) rules.append(el("li", rule));
  if (!config.decision_rules.length) rules.append(el("li", "(the schema lists no decision rules)"));
  if (config.codebook) {
    $("help-codebook").textContent = config.codebook;
    $("help-codebook-part").hidden = false;
  }
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const key = event.key;
  if (!$("help").hidden) {
    if (key === "Escape" || key === "?") { toggleHelp(false); event.preventDefault(); }
    return;
  }
  if (key === "?") { toggleHelp(true); event.preventDefault(); return; }
  if (key === "Enter") { save(); event.preventDefault(); return; }
  const lower = key.length === 1 ? key.toLowerCase() : key;
  if (lower === "u") { undo(); event.preventDefault(); return; }
  if (lower === "s") { skip(); event.preventDefault(); return; }
  const stance = config.stance.find((label) => label.key === key);
  if (stance) { chooseStance(stance.name); event.preventDefault(); return; }
  const frame = config.frames.find((label) => label.key === lower);
  if (frame) { toggleFrame(frame.name); event.preventDefault(); }
}

async function start() {
  try {
    config = await call("GET", "/api/config");
    $("queue-name").textContent = config.title;
    $("max-stance").textContent = String(Math.min(config.stance.length, 9));
    buildHelp();
    render(await call("GET", "/api/state"), false);
    document.body.dataset.ready = "1";
  } catch (error) {
    showMessage("cannot reach the annotation server: " + error.message, true);
    return;
  }
  document.addEventListener("keydown", onKey);
  $("save").addEventListener("click", save);
  $("skip").addEventListener("click", skip);
  $("undo").addEventListener("click", undo);
  $("help-button").addEventListener("click", () => toggleHelp(true));
  $("help-close").addEventListener("click", () => toggleHelp(false));
}

start();
