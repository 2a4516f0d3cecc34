// The embeddable stepper: graph, step buttons and the step's text; no editor.
//
// A host page (a slide deck, a course page) drives it by messages and hears every step change,
// the steps' boundaries and the keys it does not use (messages.js, docs/embedding.md).

import { GraphClient, GraphError } from "./api.js";
import { isOn, startup } from "./boot.js";
import { isTypingTarget, StepControls } from "./controls.js";
import { lossCurve, runSummary } from "./descent.js";
import { GraphView } from "./graphview.js";
import { t } from "./i18n.js";
import { H5PResizer, isFramed, readMessage, tellHost, tellHostHeight, THEMES } from "./messages.js";
import { renderProblems, unusedText } from "./panels.js";
import { pageUrlFor, withFragment } from "./permalink.js";
import { phaseAt, Stepper, unusedNodes } from "./stepper.js";

/** Node text on screen in the projector theme, in the embed's pixels: 20 px in a deck
 * that shows its slides at 96 % (reveal.js's margin at the slide's own size). */
const PROJECTOR_TEXT_PX = 21;

/** Keys a slide deck uses that the embed hands to its host instead of eating them. */
const HOST_KEYS = new Set(["PageDown", "PageUp", "Escape", "ArrowUp", "ArrowDown"]);

const $ = (id) => document.getElementById(id);

const start = await withFragment(startup());
const theme = start.query.get("theme");
const direction = start.query.get("direction");
const settings = {
  src: start.src,
  dtype: start.dtype,
  edgeLabels: start.edgeLabels,
  theme: THEMES.includes(theme) ? theme : null,
  direction: ["lr", "tb"].includes(direction) ? direction : null,
  mode: start.query.get("mode"),
  forward: start.query.get("forward"),
  lr: start.query.get("lr"),
  updates: start.query.get("updates"),
  expand: start.query.get("expand"),
};
/** On reveal.js's slide:start, go back to the URL's step (`restart=1`) or keep the step. */
const restart = isOn(start.query.get("restart"));
document.body.classList.toggle("transparent", isOn(start.query.get("transparent")));

const view = new GraphView($("graph"));
const stepper = new Stepper();
const client = new GraphClient("api/graph");
let data = null;
let told = null; // the step the host last heard of, once it heard `ready`
let wanted = start.step; // the step to show when the graph arrives
const controls = new StepControls($("stepbar"), (k) => show(k));
view.onDetail = () => stepper.attach(view.container); // parts of a large picture, as shown
view.progress = () => stepper.progress();

// ---- the step on screen ---------------------------------------------------------------

function show(k) {
  stepper.show(k);
  view.markCurrent(k > 0 ? currentNode(k) : null);
  view.keepInView(currentNode(k));
  const text = $("step-text");
  text.dataset.phase = phaseAt(data, k);
  text.textContent = data && k > 0 ? stepText(data, data.steps[k - 1])
    : t("Press → or ▶ to step through the computation.");
  pageUrlFor({ ...settings, step: k }).then((url) => { $("open-app").href = url; });
  if (told !== null && k !== told) {
    told = k;
    tellHost({ type: "backprop:stepped", step: k, total: controls.n, phase: phaseName(k) });
  }
  tellPreferredHeight();
}

/** The id of the node the step is about (at step 0: the first step's). */
function currentNode(k) {
  const step = data?.steps[Math.max(k, 1) - 1];
  return step ? step.node : null;
}

/** In the projector theme, node text stays large: a picture too large for that at this
 * size is zoomed in on and follows the current node (see `show`). */
function readable() {
  if (settings.theme === "projector") view.readableAt(PROJECTOR_TEXT_PX, currentNode(controls.k));
}

/** "start", "forward", "seed" or "backward": the seed is the first backward step. */
function phaseName(k) {
  if (!data || k <= 0) return "start";
  const step = data.steps[k - 1];
  return step.kind === "seed" ? "seed" : step.phase;
}

/** A step's text; at the seed, also why values the output ignores read 0. */
function stepText(graph, step) {
  const unused = step.kind === "seed" ? unusedNodes(graph.nodes) : [];
  if (!unused.length) return step.text;
  const output = graph.nodes.find((n) => n.id === step.node);
  return `${step.text}\n${unusedText(graph, unused, output ? output.name : step.node)}`;
}

// ---- loading the graph ----------------------------------------------------------------

async function load() {
  try {
    const result = await client.fetch({
      src: settings.src, dtype: settings.dtype, edge_labels: settings.edgeLabels,
      theme: settings.theme, direction: settings.direction, mode: settings.mode,
      forward: settings.forward, expand: settings.expand, lr: settings.lr, updates: settings.lr ? settings.updates || "1" : null,
    });
    if (!result) return;
    data = result.data;
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    showError(err);
    return;
  }
  $("error").hidden = true;
  showPicture(data);
  const k = Math.min(wanted, data.steps.length);
  controls.setData(data);
  stepper.k = k;
  stepper.load(view.svg && view.container, data);
  renderProblems($("problems"), $("problems-list"), data.problems, data.nodes);
  showDescent(data);
  controls.go(k, { notify: false });
  told = null;
  stepper.show(k); // the texts the zoom measures
  readable();
  show(k);
  told = k;
  tellReady();
}

/** `ready`: the step on screen, the number of steps and the height the embed would like
 * (after loading, and in answer to a host's `hello` once loaded). */
function tellReady() {
  tellHost({ type: "backprop:ready", step: controls.k, total: controls.n, height: preferredHeight() });
}

/** With `lr` (and `updates`) in the address: the run's loss curve and summary under the text. */
function showDescent(graph) {
  const box = $("descent");
  box.hidden = !Array.isArray(graph.descent);
  if (box.hidden) return;
  $("descent-summary").textContent = runSummary(graph, settings.lr);
  $("descent-curve").replaceChildren(lossCurve(graph.descent, graph.descent_diverged));
}

function showPicture(graph) {
  const layout = graph.layout || {};
  const message = $("graph-msg");
  if (layout.svg) {
    try {
      view.setSvg(layout.svg);
      message.hidden = true;
    } catch (err) {
      view.clear();
      message.textContent = err.message;
      message.hidden = false;
    }
  } else {
    view.clear();
    message.textContent = graph.layout_error
      ? t("The graph could not be drawn: {reason}", { reason: graph.layout_error })
      : t("No picture for this program.");
    message.hidden = false;
  }
}

function showError(err) {
  $("graph-msg").hidden = true;
  $("error-where").textContent = err.line ? t("line {line}, column {col}", { line: err.line, col: err.col ?? 1 }) : "";
  $("error-message").textContent = err.message;
  $("error").hidden = false;
  tellPreferredHeight();
}

// ---- the host: messages in, keys out, the height it would like -------------------------

const COMMANDS = {
  hello: () => { if (told !== null) tellReady(); }, // before that, `ready` comes when loaded
  step: (c) => go(c.step),
  next: () => controls.act("next"),
  prev: () => controls.act("prev"),
  first: () => controls.act("first"),
  last: () => controls.act("last"),
  play: () => { if (!controls.playing) controls.play(); },
  pause: () => controls.pause(),
  options: (c) => setOptions(c),
  "slide:start": () => { if (restart) go(start.step); },
  "slide:stop": () => controls.pause(),
  "h5p:ready": (c) => h5p.receive(c.type),
  "h5p:hello": (c) => h5p.receive(c.type),
  "h5p:resizePrepared": (c) => h5p.receive(c.type),
  "h5p:resize": (c) => h5p.receive(c.type),
};

function go(k) {
  controls.pause();
  if (data) controls.go(k);
  else wanted = k;
}

function setOptions({ theme: next, edgeLabels }) {
  const before = JSON.stringify(settings);
  if (next !== undefined) settings.theme = next;
  if (edgeLabels !== undefined) settings.edgeLabels = edgeLabels;
  if (JSON.stringify(settings) === before) return;
  if (settings.theme) document.documentElement.dataset.theme = settings.theme;
  if (data) wanted = controls.k;
  load();
}

window.addEventListener("message", (e) => {
  if (!isFramed() || e.source !== window.parent) return;
  const command = readMessage(e.data);
  if (command) COMMANDS[command.type](command);
});

// Registered before the step keys, so a key handed to the host does not also step.
document.addEventListener("keydown", (e) => {
  if (!isFramed() || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
  if (isTypingTarget(e.target)) return;
  if (HOST_KEYS.has(e.key)) {
    e.preventDefault();
    tellHost({ type: "backprop:key", key: e.key });
    return;
  }
  const atEnd = e.key === "ArrowRight" && (!data || controls.k >= controls.n);
  const atStart = e.key === "ArrowLeft" && controls.k <= 0;
  if (atEnd || atStart) {
    e.preventDefault();
    tellHost({ type: "backprop:boundary", direction: atEnd ? "next" : "prev" });
  }
});
controls.bindKeys(document);

let toldHeight = 0;
const h5p = new H5PResizer(() => preferredHeight());

/** The height that shows the whole picture at this width, with the bar and the text. */
function preferredHeight() {
  const graph = view.svg ? view.preferredHeight(view.container.clientWidth) : 0;
  const others = ["problems", "error", "stepbar", "step-text"]
    .map((id) => $(id))
    .filter((el) => !el.hidden)
    .reduce((sum, el) => sum + el.offsetHeight, 0);
  return Math.ceil(Math.max(graph, 120) + others);
}

/** Tell the host the preferred height when it changed (and an H5P host, by its handshake). */
function tellPreferredHeight() {
  if (!isFramed()) return;
  const height = preferredHeight();
  if (height === toldHeight) return;
  toldHeight = height;
  tellHostHeight(height);
  h5p.changed();
}

new ResizeObserver(() => tellPreferredHeight()).observe(document.body);
new ResizeObserver(() => readable()).observe(view.container);

// Playing stops when nobody can see it: the tab hidden, or the frame scrolled or slid away.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") controls.pause();
});
new IntersectionObserver((entries) => {
  if (entries.some((entry) => !entry.isIntersecting)) controls.pause();
}).observe(document.body);

load();
