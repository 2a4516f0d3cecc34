// The main page: editor and gallery on the left, graph, stepper and explanation on the right.

import { GraphClient, GraphError, shareQuery } from "./api.js";
import { StepControls } from "./controls.js";
import { Editor } from "./editor.js";
import { GraphView } from "./graphview.js";
import { renderCheck, renderExplanation, renderProblems, Tape } from "./panels.js";
import { decimalsOf, findLiteral, formatLiteral, replaceLiteral, sliderRange } from "./source.js";
import { Stepper } from "./stepper.js";

const TYPE_DELAY_MS = 300;
const SLIDER_DELAY_MS = 40;
const URL_DELAY_MS = 120;
const BUSY_DELAY_MS = 250;

const $ = (id) => document.getElementById(id);

function readBoot() {
  const node = $("boot");
  try {
    return node ? JSON.parse(node.textContent || "{}") || {} : {};
  } catch {
    return {};
  }
}

const boot = readBoot();
const query = new URLSearchParams(window.location.search);
const gallery = Array.isArray(boot.gallery) ? boot.gallery : [];

const state = {
  dtype: (boot.dtype ?? query.get("dtype")) === "float32" ? "float32" : "float64",
  edgeLabels: ["1", "true", "on", "yes", true, 1].includes(boot.edge_labels ?? query.get("edge_labels")),
  data: null,
  src: "",
  svgKey: null, // key of the layout on screen
  pendingStep: null, // step to land on when the next graph arrives
  hasError: false,
  example: null, // the gallery entry the program came from, if any
};

const editor = new Editor($("editor"));
const view = new GraphView($("graph"));
const stepper = new Stepper();
const client = new GraphClient("api/graph");
const controls = new StepControls($("stepbar"), (k) => showStep(k));
controls.bindKeys(document);
const tape = new Tape({ forward: $("tape-forward"), backward: $("tape-backward") }, $("tape-scroll"),
  (k) => controls.go(k));
const explanation = {
  box: $("explain"), phase: $("explain-phase"), title: $("explain-title"),
  text: $("step-text"), rule: $("step-formula"), chips: $("step-chips"),
};

// ---- requests -------------------------------------------------------------------------

let requestTimer = null;
let busyTimer = null;

function schedule(delay) {
  clearTimeout(requestTimer);
  requestTimer = setTimeout(send, delay);
}

async function send({ retried = false } = {}) {
  clearTimeout(requestTimer);
  const src = editor.value;
  clearTimeout(busyTimer);
  busyTimer = setTimeout(() => $("graph-panel").classList.add("busy"), BUSY_DELAY_MS);
  let result;
  try {
    result = await client.fetch({
      src, dtype: state.dtype, edge_labels: state.edgeLabels, layout_key: state.svgKey,
    });
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    settle();
    showError(err);
    return;
  }
  if (!result) return; // a newer request took over
  const data = result.data;
  const layout = data.layout || {};
  if (!layout.svg && !data.layout_error && (layout.key !== state.svgKey || !view.svg)) {
    // The server kept the picture for a layout this page no longer shows: ask in full.
    if (!retried) {
      state.svgKey = null;
      send({ retried: true });
      return;
    }
  }
  settle();
  apply(data, src);
}

function settle() {
  clearTimeout(busyTimer);
  $("graph-panel").classList.remove("busy");
}

function apply(data, src) {
  const layout = data.layout || {};
  clearError();
  state.src = src;
  let svg = view.svg;
  if (layout.svg) {
    try {
      svg = view.setSvg(layout.svg);
      state.svgKey = layout.key || null;
      hideMessage();
    } catch (err) {
      view.clear();
      svg = null;
      state.svgKey = null;
      showMessage(`The graph could not be shown: ${err.message}`);
    }
  } else if (data.layout_error) {
    view.clear();
    svg = null;
    state.svgKey = null;
    showMessage(`The graph could not be drawn: ${data.layout_error}. ` +
      "The steps, the tape and the gradient check still work.");
  } else if (svg) {
    hideMessage();
  } else {
    showMessage("No picture came with this answer; the steps, the tape and the gradient check still work.");
  }
  state.data = data;
  const previous = controls.k;
  controls.setData(data);
  const n = data.steps.length;
  const k = Math.min(n, state.pendingStep ?? previous);
  state.pendingStep = null;
  stepper.k = k;
  stepper.load(svg && view.container, data);
  tape.render(data);
  renderCheck($("check-body"), $("check-summary"), data.check);
  renderProblems($("problems"), $("problems-list"), data.problems, data.nodes);
  renderInputs(data);
  $("output-value").textContent = outputLine(data);
  controls.go(k, { notify: false });
  showStep(k);
  syncGallery();
}

function outputLine(data) {
  const out = data.nodes.find((n) => n.id === data.output);
  if (!out) return "";
  const value = out.display && out.display.value ? out.display.value.join("  ").trim() : "";
  return `${out.name} = ${value}`;
}

// ---- messages and errors --------------------------------------------------------------

function showMessage(text) {
  const m = $("graph-msg");
  m.textContent = text;
  m.hidden = false;
}

function hideMessage() {
  $("graph-msg").hidden = true;
}

function showError(err) {
  state.hasError = true;
  const box = $("error");
  const where = err.line ? `line ${err.line}, column ${err.col ?? 1}` : "";
  $("error-where").textContent = where;
  $("error-where").hidden = !where;
  $("error-message").textContent = err.message;
  const snippet = $("error-snippet");
  if (err.line) {
    const lineText = editor.value.split("\n")[err.line - 1];
    if (lineText !== undefined) {
      const col = Math.max(1, err.col || 1);
      const pad = lineText.slice(0, col - 1).replace(/[^\t]/g, " ");
      snippet.textContent = `${lineText}\n${pad}^`;
      snippet.hidden = false;
    } else {
      snippet.hidden = true;
    }
  } else {
    snippet.hidden = true;
  }
  box.hidden = false;
  editor.setError(err.line, err.col);
  $("graph-panel").classList.add("stale");
  $("stale-note").hidden = !state.data;
  if (!state.data) showMessage("The graph appears here once the program runs.");
}

function clearError() {
  if (!state.hasError) return;
  state.hasError = false;
  $("error").hidden = true;
  editor.setError(null);
  $("graph-panel").classList.remove("stale");
  $("stale-note").hidden = true;
}

// ---- stepping -------------------------------------------------------------------------

function showStep(k) {
  stepper.show(k);
  renderExplanation(explanation, state.data, k);
  updateLinks();
  tape.highlight(k); // last: it lays the page out, with every other change of the step in it
}

// ---- the address bar and share links --------------------------------------------------

let urlTimer = null;

/** What a link shares: the program as typed (even mid-mistake) and the step on screen. */
function shareState(src = editor.value) {
  return { src, step: controls.k, dtype: state.dtype, edgeLabels: state.edgeLabels };
}

function pageUrl() {
  const u = new URL(window.location.href);
  u.search = shareQuery(shareState());
  u.hash = "";
  return u.toString();
}

function updateLinks() {
  // Frames can only be drawn for the last program that ran.
  const frame = shareQuery(shareState(state.data ? state.src : editor.value));
  $("download-svg").href = `svg?${frame}`;
  $("download-png").href = `png?${frame}`;
  updateUrl();
}

/** Keep the address bar on `?src=...&step=k` (written shortly after the last change). */
function updateUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const next = `?${shareQuery(shareState())}`;
    if (window.location.search !== next) {
      try {
        window.history.replaceState(null, "", next);
      } catch {
        // too many updates in a short time: the next change writes it
      }
    }
  }, URL_DELAY_MS);
}

$("copy-link").addEventListener("click", async () => {
  const url = pageUrl();
  const status = $("copy-status");
  let ok = false;
  try {
    await navigator.clipboard.writeText(url);
    ok = true;
  } catch {
    const tmp = document.createElement("textarea");
    tmp.value = url;
    tmp.setAttribute("readonly", "");
    tmp.className = "offscreen";
    document.body.appendChild(tmp);
    tmp.select();
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    tmp.remove();
  }
  status.textContent = ok ? "Link copied" : "Copy the address bar to share";
  status.hidden = false;
  clearTimeout(status._timer);
  status._timer = setTimeout(() => { status.hidden = true; }, 2500);
});

// ---- editor, gallery and options ------------------------------------------------------

editor.onInput(() => {
  syncGallery();
  updateUrl();
  schedule(TYPE_DELAY_MS);
});

function syncGallery() {
  const select = $("gallery");
  const src = editor.value.trim();
  const match = gallery.find((e) => e.source.trim() === src);
  if (match) state.example = match.slug;
  const base = gallery.find((e) => e.slug === state.example);
  const custom = select.querySelector('option[value=""]');
  if (custom) custom.textContent = base && !match ? `${base.title} (edited)` : "Your program";
  select.value = match ? match.slug : "";
  $("teaches").textContent = match ? match.teaches
    : base ? base.teaches : "Your own program: edit it freely.";
}

$("gallery").addEventListener("change", (e) => {
  const example = gallery.find((x) => x.slug === e.target.value);
  if (!example) return;
  controls.pause();
  editor.value = example.source;
  state.pendingStep = 0;
  syncGallery();
  send();
});

$("opt-float32").addEventListener("change", (e) => {
  state.dtype = e.target.checked ? "float32" : "float64";
  updateUrl();
  send();
});

$("opt-edge-labels").addEventListener("change", (e) => {
  state.edgeLabels = e.target.checked;
  updateUrl();
  send();
});

$("toggle-program").addEventListener("click", (e) => {
  const on = !document.body.classList.contains("graph-only");
  document.body.classList.toggle("graph-only", on);
  e.currentTarget.setAttribute("aria-pressed", on ? "true" : "false");
  e.currentTarget.textContent = on ? "Show editor" : "Graph only";
});

// Buttons clicked with the mouse hand the keys back to the page, so Space plays again.
for (const id of ["toggle-program", "copy-link", "zoom-in", "zoom-out", "zoom-fit"]) {
  $(id).addEventListener("click", (e) => {
    if (e.detail > 0) e.currentTarget.blur();
  });
}

$("zoom-in").addEventListener("click", () => view.zoomBy(1.25));
$("zoom-out").addEventListener("click", () => view.zoomBy(0.8));
$("zoom-fit").addEventListener("click", () => view.fit());

for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const tabs = [...tab.parentElement.querySelectorAll("[role=tab]")];
    const next = tabs[(tabs.indexOf(tab) + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    e.preventDefault();
    e.stopPropagation();
    selectTab(next);
    next.focus();
  });
}

function selectTab(tab) {
  for (const t of tab.parentElement.querySelectorAll("[role=tab]")) {
    const on = t === tab;
    t.setAttribute("aria-selected", on ? "true" : "false");
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  if (tab.id === "tab-tape") tape.reveal();
}

// ---- input sliders --------------------------------------------------------------------

let inputKey = "";

function scalarInputs(data) {
  return data.nodes.filter((n) => n.kind === "input" && Array.isArray(n.shape) && n.shape.length === 0);
}

function renderInputs(data) {
  const scalars = scalarInputs(data);
  const arrays = data.nodes.filter((n) => n.kind === "input" && n.shape && n.shape.length > 0);
  const key = JSON.stringify([scalars.map((n) => n.name), arrays.map((n) => [n.name, n.shape])]);
  const box = $("inputs");
  if (key !== inputKey) {
    inputKey = key;
    box.replaceChildren();
    scalars.forEach((n, i) => box.appendChild(inputRow(n, i)));
    for (const n of arrays) {
      const row = document.createElement("div");
      row.className = "input-row array";
      const name = document.createElement("span");
      name.className = "input-name";
      name.textContent = n.name;
      const note = document.createElement("span");
      note.className = "input-note";
      note.textContent = n.shape.length === 1
        ? `vector of ${n.shape[0]}: edit it in the program`
        : `${n.shape.join("×")} matrix: edit it in the program`;
      row.append(name, note);
      box.appendChild(row);
    }
    $("inputs-empty").hidden = scalars.length + arrays.length > 0;
  }
  for (const n of scalars) updateInputRow(n);
}

function inputRow(node, i) {
  const row = document.createElement("div");
  row.className = "input-row";
  row.dataset.name = node.name;
  const label = document.createElement("label");
  label.className = "input-name";
  label.htmlFor = `input-num-${i}`;
  label.textContent = node.name;
  const num = document.createElement("input");
  num.type = "number";
  num.step = "any";
  num.id = `input-num-${i}`;
  num.className = "input-number";
  num.dataset.name = node.name;
  num.autocomplete = "off";
  const range = document.createElement("input");
  range.type = "range";
  range.className = "input-range";
  range.dataset.name = node.name;
  range.setAttribute("aria-label", `${node.name} slider`);
  const grad = document.createElement("span");
  grad.className = "input-grad";
  grad.title = `∂(output)/∂${node.name}: the gradient after the backward pass`;
  row.append(label, num, range, grad);
  row._node = node;
  setRange(range, Number(node.value));
  range.addEventListener("input", () => {
    const step = Number(range.step);
    const text = formatLiteral(Number(range.value), decimalsOf(step));
    num.value = text;
    rewrite(row, text, SLIDER_DELAY_MS);
  });
  range.addEventListener("change", () => setRange(range, Number(range.value)));
  num.addEventListener("input", () => {
    const text = num.value.trim();
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return;
    const v = Number(text);
    if (v < Number(range.min) || v > Number(range.max)) setRange(range, v);
    range.value = String(v);
    rewrite(row, text, TYPE_DELAY_MS);
  });
  return row;
}

function setRange(range, value) {
  if (!Number.isFinite(value)) value = 0;
  const r = sliderRange(value);
  range.min = String(r.min);
  range.max = String(r.max);
  range.step = String(r.step);
  range.value = String(value);
}

function rewrite(row, text, delay) {
  const node = row._node;
  const next = replaceLiteral(editor.value, node.name, node.line, text);
  if (next === null) return;
  editor.value = next;
  syncGallery();
  updateUrl();
  schedule(delay);
}

function updateInputRow(node) {
  const row = [...$("inputs").children].find((r) => r.dataset.name === node.name);
  if (!row) return;
  row._node = node;
  const num = row.querySelector(".input-number");
  const range = row.querySelector(".input-range");
  const editable = findLiteral(editor.value, node.name, node.line) !== null;
  num.disabled = !editable;
  range.disabled = !editable;
  row.title = editable ? "" : `${node.name} is not a plain number in the program`;
  const value = typeof node.value === "number" ? node.value : Number.NaN;
  const active = document.activeElement === num || document.activeElement === range;
  if (!active) {
    num.value = Number.isFinite(value) ? formatLiteral(value) : "";
    if (Number.isFinite(value) && (value < Number(range.min) || value > Number(range.max))) {
      setRange(range, value);
    } else if (Number.isFinite(value)) {
      range.value = String(value);
    }
  }
  const g = node.display && node.display.grad ? node.display.grad.join(" ").trim() : "—";
  row.querySelector(".input-grad").textContent = `∇ ${g}`;
}

window.addEventListener("pagehide", () => client.abort());

// ---- startup --------------------------------------------------------------------------

function initialSource() {
  if (typeof boot.src === "string") return boot.src;
  if (typeof boot.initial_src === "string") return boot.initial_src;
  if (query.has("src")) return query.get("src");
  const reuse = gallery.find((e) => e.slug === "reuse") || gallery[0];
  return reuse ? reuse.source : "";
}

function initialStep() {
  const raw = boot.step ?? boot.initial_step ?? query.get("step");
  const k = Number.parseInt(raw, 10);
  return Number.isFinite(k) && k >= 0 ? k : 0;
}

function fillGallery() {
  const select = $("gallery");
  const custom = document.createElement("option");
  custom.value = "";
  custom.textContent = "Your program";
  const options = [custom];
  for (const example of gallery) {
    const option = document.createElement("option");
    option.value = String(example.slug);
    option.textContent = String(example.title);
    options.push(option);
  }
  select.replaceChildren(...options);
}

fillGallery();
$("opt-float32").checked = state.dtype === "float32";
$("opt-edge-labels").checked = state.edgeLabels;
editor.value = initialSource();
state.pendingStep = initialStep();
syncGallery();
showMessage("Drawing the graph…");
send();
