// The embeddable stepper: graph, step buttons and the step's text; no editor.

import { GraphClient, GraphError, shareQuery } from "./api.js";
import { startup } from "./boot.js";
import { StepControls } from "./controls.js";
import { GraphView } from "./graphview.js";
import { renderProblems, unusedText } from "./panels.js";
import { phaseAt, Stepper, unusedNodes } from "./stepper.js";

const $ = (id) => document.getElementById(id);

const { src, step: startStep, dtype, edgeLabels, query } = startup();

const view = new GraphView($("graph"));
const stepper = new Stepper();
let data = null;
const controls = new StepControls($("stepbar"), (k) => show(k));
controls.bindKeys(document);

function show(k) {
  stepper.show(k);
  const text = $("step-text");
  const phase = phaseAt(data, k);
  text.dataset.phase = phase;
  text.textContent = data && k > 0 ? stepText(data, data.steps[k - 1])
    : "Press → or ▶ to step through the computation.";
  $("open-app").href = `./?${shareQuery({ src, step: k, dtype, edgeLabels })}`;
}

/** A step's text; at the seed, also why values the output ignores read 0. */
function stepText(graph, step) {
  const unused = step.kind === "seed" ? unusedNodes(graph.nodes) : [];
  if (!unused.length) return step.text;
  const output = graph.nodes.find((n) => n.id === step.node);
  return `${step.text}\n${unusedText(graph, unused, output ? output.name : step.node)}`;
}

async function load() {
  try {
    const view = { mode: query.get("mode"), forward: query.get("forward") };
    const result = await new GraphClient("api/graph").fetch({ src, dtype, edge_labels: edgeLabels, ...view });
    if (!result) return;
    data = result.data;
  } catch (err) {
    if (!(err instanceof GraphError)) throw err;
    $("graph-msg").hidden = true;
    $("error-where").textContent = err.line ? `line ${err.line}, column ${err.col ?? 1}` : "";
    $("error-message").textContent = err.message;
    $("error").hidden = false;
    return;
  }
  let svg = null;
  const layout = data.layout || {};
  if (layout.svg) {
    try {
      svg = view.setSvg(layout.svg);
      $("graph-msg").hidden = true;
    } catch (err) {
      $("graph-msg").textContent = err.message;
    }
  } else {
    $("graph-msg").textContent = data.layout_error
      ? `The graph could not be drawn: ${data.layout_error}` : "No picture for this program.";
  }
  const k = Math.min(startStep, data.steps.length);
  controls.setData(data);
  stepper.k = k;
  stepper.load(svg && view.container, data);
  renderProblems($("problems"), $("problems-list"), data.problems, data.nodes);
  controls.go(k, { notify: false });
  show(k);
}

load();
