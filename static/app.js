// The main page: editor and gallery on the left, graph, stepper and explanation on the right.

import { AddressBar, copyText } from "./address.js";
import { GraphClient } from "./api.js";
import { startup } from "./boot.js";
import { isTypingTarget, StepControls } from "./controls.js";
import { DescentPanel } from "./descent.js";
import { Editor } from "./editor.js";
import { updateExportLinks } from "./exports.js";
import { GraphView } from "./graphview.js";
import { t } from "./i18n.js";
import { InputSliders } from "./inputs.js";
import { comparisonText, ModeSwitch } from "./modes.js";
import { Look } from "./look.js";
import { OverviewMap } from "./overview.js";
import { markTrouble, renderCheck, renderExplanation, renderProblems, Tape } from "./panels.js";
import { RequestLoop } from "./requests.js";
import { Stepper } from "./stepper.js";
import { fragmentFor, qrAddress, reopenOnNewFragment, withFragment } from "./permalink.js";
import { bindShare } from "./share.js";

const TYPE_DELAY_MS = 300;
const SLIDER_DELAY_MS = 40;
const URL_DELAY_MS = 120;
const BUSY_DELAY_MS = 250;
const TALL_RATIO = 2; // graph only: a picture narrower than this × its height has the text beside it
const PHONE = window.matchMedia("(max-width: 620px)");
const PHONE_TEXT_PX = 14; // on a phone a new picture opens with its text this large, not fitted
const FRAME_TEXT_UNITS = 14; // the size of the picture's text in its own units

const $ = (id) => document.getElementById(id);

const start = await withFragment(startup());
const gallery = start.gallery;

const state = {
  dtype: start.dtype,
  edgeLabels: start.edgeLabels,
  expand: start.query.get("expand") || "", // composite ops drawn as their primitives
  data: null,
  src: "",
  pendingStep: null, // step to land on when the next graph arrives
  hasError: false,
  example: null, // the gallery entry the program came from, if any
};

const look = new Look(start.boot, lookChanged);
const editor = new Editor($("editor"));
const view = new GraphView($("graph"));
const overview = new OverviewMap($("overview"), view);
view.onLayout = () => overview.update();
const stepper = new Stepper();
const controls = new StepControls($("stepbar"), (k) => showStep(k));
controls.bindKeys(document);
const tape = new Tape({ forward: $("tape-forward"), backward: $("tape-backward") }, $("tape-scroll"),
  (k) => controls.go(k));
const inputs = new InputSliders($("inputs"), $("inputs-empty"), editor, {
  onRewrite: edited, slideDelay: SLIDER_DELAY_MS, typeDelay: TYPE_DELAY_MS,
});
const explanation = {
  box: $("explain"), phase: $("explain-phase"), title: $("explain-title"),
  text: $("step-text"), rule: $("step-formula"), chips: $("step-chips"),
};

const modes = new ModeSwitch($("opt-mode"), () => {
  requests.layoutKey = null; // the picture's gradient rows become tangents (or back)
  address.update();
  requests.now();
});
modes.restore(start.query.get("mode"), start.query.get("forward"));

const descent = new DescentPanel({
  rate: $("descent-rate"), count: $("descent-count"), one: $("descent-one"), run: $("descent-run"),
  reset: $("descent-reset"), apply: $("descent-apply"), curve: $("descent-curve"),
  table: $("descent-table"), text: $("descent-text"), status: $("descent-status"),
}, {
  request: () => ({
    src: state.src, dtype: state.dtype, expand: state.expand, layout_key: requests.layoutKey,
  }),
  onApply: (point) => inputs.rewriteAll(point),
  onChange: () => address.update(),
});
descent.restore(start.query.get("lr"), start.query.get("updates"));

// ---- requests -------------------------------------------------------------------------

const requests = new RequestLoop(new GraphClient("api/graph"), {
  request: () => ({
    src: editor.value, dtype: state.dtype, edge_labels: state.edgeLabels, ...modes.share(),
    theme: look.theme, direction: look.direction, expand: state.expand,
  }),
  hasPicture: () => !!view.svg,
  onAnswer: apply,
  onError: showError,
  busy: $("graph-panel"),
  busyDelay: BUSY_DELAY_MS,
});

/** After the program text changed: the gallery, the address and (soon) the graph follow. */
function edited(delay) {
  syncGallery();
  address.update();
  requests.later(delay);
}

function apply(data, src) {
  const layout = data.layout || {};
  clearError();
  state.src = src;
  let svg = view.svg;
  if (layout.svg) {
    try {
      svg = view.setSvg(layout.svg);
      overview.reset();
      if (PHONE.matches) view.zoomToScale(PHONE_TEXT_PX / FRAME_TEXT_UNITS);
      document.body.classList.toggle("graph-tall", view.base.w < TALL_RATIO * view.base.h);
      requests.layoutKey = layout.key || null;
      hideMessage();
    } catch (err) {
      view.clear();
      overview.reset();
      svg = null;
      requests.layoutKey = null;
      showMessage(t("The graph could not be shown: {reason}", { reason: err.message }));
    }
  } else if (data.layout_error) {
    view.clear();
    overview.reset();
    svg = null;
    requests.layoutKey = null;
    showMessage(t("The graph could not be drawn: {reason}. The steps, the tape and the gradient check still work.",
      { reason: data.layout_error }));
  } else if (svg) {
    hideMessage();
  } else {
    showMessage(t("No picture came with this answer; the steps, the tape and the gradient check still work."));
  }
  state.data = data;
  syncExpand();
  const previous = controls.k;
  controls.setData(data);
  const n = data.steps.length;
  const k = Math.min(n, state.pendingStep ?? previous);
  state.pendingStep = null;
  stepper.k = k;
  stepper.load(svg && view.container, data);
  tape.render(data);
  renderCheck($("check-body"), $("check-summary"), data.check);
  const jump = (step) => controls.go(step);
  renderProblems($("problems"), $("problems-list"), data.problems, data.nodes, jump);
  markTrouble(svg && view.container, data.problems, jump);
  view.markTrouble(data.problems?.[0]?.node);
  inputs.cue = data.view === "forward" ? "ṫ" : "∇";
  inputs.render(data);
  $("output-value").textContent = outputLine(data);
  modes.render(data);
  fillFindNames(data);
  $("mode-compare").textContent = comparisonText(data, modes.view, modes.input);
  document.body.classList.toggle("view-forward", data.view === "forward");
  descent.refresh();
  controls.go(k, { notify: false });
  if (layout.svg) readable(k);
  showStep(k);
  syncGallery();
}

/** Node text on screen in the projector theme with the graph alone, read from the back of
 * a room: a picture too large for it at the panel's size is zoomed in on and followed. */
const PROJECTOR_TEXT_PX = 20;

function readable(k) {
  if (look.theme !== "projector" || !look.graphOnly || !state.data?.steps.length) return;
  stepper.show(k); // the texts the zoom measures
  view.readableAt(PROJECTOR_TEXT_PX, state.data.steps[Math.max(k, 1) - 1].node);
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
  const where = err.line ? t("line {line}, column {col}", { line: err.line, col: err.col ?? 1 }) : "";
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
  if (!state.data) showMessage(t("The graph appears here once the program runs."));
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
  view.markCurrent(k > 0 && state.data ? state.data.steps[k - 1].node : null);
  overview.update(); // the current step's node, marked on the map
  if ($("follow").checked && k > 0 && state.data) view.keepInView(state.data.steps[k - 1].node);
  renderExplanation(explanation, state.data, k);
  updateLinks();
  tape.highlight(k); // last: it lays the page out, with every other change of the step in it
}

// ---- the address bar and share links --------------------------------------------------

/** What a link shares: the program as typed (even mid-mistake) and the step on screen. */
function shareState(src = editor.value) {
  return {
    src, step: controls.k, dtype: state.dtype, edgeLabels: state.edgeLabels,
    extra: { ...modes.share(), ...descent.share(), ...(state.expand ? { expand: state.expand } : {}) },
    look: look.query(),
  };
}

const address = new AddressBar(() => shareState(), URL_DELAY_MS);

let linksSeq = 0;

async function updateLinks() {
  address.update();
  // Frames can only be drawn for the last program that ran; z= keeps long programs' links short.
  const seq = ++linksSeq;
  const frame = await fragmentFor(shareState(state.data ? state.src : editor.value));
  if (seq !== linksSeq) return;
  $("download-svg").href = `svg?${frame}`;
  $("download-png").href = `png?${frame}`;
  updateExportLinks($("export-menu"), frame);
}

$("copy-link").addEventListener("click", async () => {
  const ok = await copyText(await address.pageUrl());
  const status = $("copy-status");
  status.textContent = ok ? t("Link copied") : t("Copy the address bar to share");
  status.hidden = false;
  clearTimeout(status._timer);
  status._timer = setTimeout(() => { status.hidden = true; }, 2500);
});

bindShare({
  button: $("share-link"), box: $("share-box"), url: $("share-url"), copy: $("share-copy"),
  status: $("copy-status"),
}, () => shareState(state.data ? state.src : editor.value));
reopenOnNewFragment();
if (start.brokenFragment) {
  $("copy-status").textContent = t("This link's program could not be read: {reason}",
    { reason: start.brokenFragment });
  $("copy-status").hidden = false;
}

// ---- editor, gallery and options ------------------------------------------------------

editor.onInput(() => edited(TYPE_DELAY_MS));

function syncGallery() {
  const select = $("gallery");
  const src = editor.value.trim();
  const match = gallery.find((e) => e.source.trim() === src);
  if (match) state.example = match.slug;
  const base = gallery.find((e) => e.slug === state.example);
  const custom = select.querySelector('option[value=""]');
  if (custom) custom.textContent = base && !match ? t("{title} (edited)", { title: base.title }) : t("Your program");
  select.value = match ? match.slug : "";
  $("teaches").textContent = match ? match.teaches
    : base ? base.teaches : t("Your own program: edit it freely.");
}

$("gallery").addEventListener("change", (e) => {
  const example = gallery.find((x) => x.slug === e.target.value);
  if (!example) return;
  controls.pause();
  editor.value = example.source;
  if (example.dtype === "float32" && state.dtype !== "float32") {
    state.dtype = "float32"; // an example meant for single precision (overflow to watch)
    $("opt-float32").checked = true;
    address.update();
  }
  state.pendingStep = 0;
  syncGallery();
  requests.now();
});

$("opt-float32").addEventListener("change", (e) => {
  state.dtype = e.target.checked ? "float32" : "float64";
  address.update();
  requests.now();
});

/** The "expand gates" box: on when the address expands any op; offered while there is a
 *  composite gate to expand or an expanded one to collapse. */
function syncExpand() {
  const box = $("opt-expand");
  box.checked = !!state.expand;
  box.disabled = !state.expand && !(state.data && (state.data.composites || []).length);
}

$("opt-expand").addEventListener("change", (e) => {
  state.expand = e.target.checked ? "all" : "";
  // At the last step, stay there: the steps are others, the final frame the same.
  if (state.data && controls.k >= state.data.steps.length) state.pendingStep = Infinity;
  address.update();
  requests.now();
});

/** A double-click on a gate drawn as one (sigmoid, tanh, softmax, a def) draws that kind of
 *  gate as its primitives, the others staying gates (`expand=sigmoid,cell`). */
$("graph").addEventListener("dblclick", (e) => {
  const g = e.target.closest("g.node");
  const node = g && state.data ? state.data.nodes.find((n) => n.id === g.id) : null;
  if (!node || !(state.data.composites || []).includes(node.op) || state.expand === "all") return;
  e.preventDefault();
  state.expand = [...(state.expand ? state.expand.split(",") : []), node.op].join(",");
  if (controls.k >= state.data.steps.length) state.pendingStep = Infinity;
  syncExpand();
  address.update();
  requests.now();
});

$("opt-edge-labels").addEventListener("change", (e) => {
  state.edgeLabels = e.target.checked;
  address.update();
  requests.now();
});

$("toggle-program").addEventListener("click", () => look.setGraphOnly(!look.graphOnly));

// ---- the look: theme, direction, text size, and the QR code of the view ---------------

/** After the look changed: the controls show it, the URL keeps it, the graph follows. */
function lookChanged(what) {
  syncLook();
  updateLinks();
  if (what === "theme" || what === "direction") {
    requests.layoutKey = null; // the picture comes again, in the new theme or direction
    requests.now();
  } else if (what === "graph") {
    view.fit();
  }
}

function syncLook() {
  $("theme-menu").value = look.chosen || "";
  $("direction-menu").value = look.direction;
  const toggle = $("toggle-program");
  toggle.setAttribute("aria-pressed", look.graphOnly ? "true" : "false");
  toggle.textContent = look.graphOnly ? t("Show editor") : t("Graph only");
}

$("theme-menu").addEventListener("change", (e) => look.setTheme(e.target.value));
$("lang-menu").addEventListener("change", async (e) => {
  // The page is made in its language on the server: open the same state in the new one.
  const url = new URL(await address.pageUrl());
  url.searchParams.set("lang", e.target.value);
  window.location.assign(url.toString());
});
$("direction-menu").addEventListener("change", (e) => look.setDirection(e.target.value));
$("font-up").addEventListener("click", () => look.stepFont(+1));
$("font-down").addEventListener("click", () => look.stepFont(-1));

$("share-qr").addEventListener("click", async () => {
  const image = $("qr-image");
  const note = $("qr-note");
  const failed = (message) => {
    image.hidden = true;
    note.textContent = message;
  };
  image.hidden = false;
  note.textContent = t("Scan it to open the same graph at the same step.");
  image.onerror = () => failed(t("No QR code could be made just now: share the link instead."));
  image.removeAttribute("src");
  $("qr-dialog").showModal();
  try {
    image.src = await qrAddress(shareState(state.data ? state.src : editor.value));
  } catch (err) {
    failed(err.message);
  }
});

view.onSwipe = (by) => controls.go(controls.k + by);
view.progress = () => stepper.progress(); // the sketch of a large picture colours the step
// Parts of a large picture made as they come on screen get the step's state and marks.
view.onDetail = () => {
  stepper.attach(view.container);
  if (state.data) markTrouble(view.container, state.data.problems, (step) => controls.go(step));
};

// Buttons clicked with the mouse hand the keys back to the page, so Space plays again.
for (const id of ["toggle-program", "copy-link", "share-link", "zoom-in", "zoom-out", "zoom-fit",
  "font-up", "font-down", "share-qr"]) {
  $(id).addEventListener("click", (e) => {
    if (e.detail > 0) e.currentTarget.blur();
  });
}

/** Find a value by its name: jump to the step that computes it (inputs: step 0) and zoom. */
$("find").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $("find-name").value.trim();
  const data = state.data;
  const status = $("find-status");
  if (!name || !data) return;
  const node = data.nodes.find((n) => n.name === name || n.given_name === name);
  if (!node) {
    status.textContent = t("no value is called {name}", { name });
    return;
  }
  const step = data.steps.find((s) => s.phase === "forward" && s.node === node.id);
  status.textContent = step ? t("step {k}", { k: step.index }) : t("given at the start");
  controls.pause();
  controls.go(step ? step.index : 0);
  view.focus(node.id);
});

function fillFindNames(data) {
  const list = $("find-names");
  const names = [...new Set(data.nodes.filter((n) => n.kind !== "const").map((n) => n.name))];
  if (list.childElementCount !== names.length || list.dataset.key !== names.join(" ")) {
    list.dataset.key = names.join(" ");
    list.replaceChildren(...names.slice(0, 500).map((n) => new Option(n)));
  }
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

window.addEventListener("pagehide", () => requests.abort());

// U: one more update of gradient descent (as the panel's button), except while typing.
document.addEventListener("keydown", (e) => {
  if (e.key !== "u" && e.key !== "U") return;
  if (e.altKey || e.ctrlKey || e.metaKey || isTypingTarget(e.target)) return;
  e.preventDefault();
  selectTab($("tab-descent"));
  descent.go(descent.updates + 1);
});

// ---- startup --------------------------------------------------------------------------

function fillGallery() {
  const select = $("gallery");
  const custom = document.createElement("option");
  custom.value = "";
  custom.textContent = t("Your program");
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
syncLook();
$("opt-float32").checked = state.dtype === "float32";
$("opt-edge-labels").checked = state.edgeLabels;
syncExpand();
editor.value = start.src;
state.pendingStep = start.step;
syncGallery();
showMessage(t("Drawing the graph…"));
requests.now();
