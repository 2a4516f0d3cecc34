// Reverse or forward mode: the switch, and the comparison of what each mode costs.
//
// Forward mode follows one scalar input: each forward step computes a value and its tangent
// (ż = ∂z/∂x) together, in the row where reverse mode shows gradients.

import { t } from "./i18n.js";
import { gradName, numberText } from "./panels.js";

/** The scalar inputs of an answer: the ones forward mode on the graph can follow. */
export function scalarInputs(data) {
  return data.nodes.filter((n) => n.kind === "input" && Array.isArray(n.shape) && n.shape.length === 0);
}

/** How many input elements an answer has (one forward pass each for every gradient). */
function inputElements(data) {
  return data.nodes.filter((n) => n.kind === "input")
    .reduce((total, n) => total + (n.shape || []).reduce((a, b) => a * b, 1), 0);
}

function numberOf(v) {
  return typeof v === "number" ? numberText(v, 4) : String(v);
}

/** One or two sentences under the graph: passes per mode, and forward = reverse for x. */
export function comparisonText(data, view, input) {
  const n = inputElements(data);
  const reverse = t("Reverse mode: every gradient (input elements: {n}) from one backward pass.", { n });
  if (view !== "forward" || !data.forward_mode) return reverse;
  const d = data.forward_mode.derivative;
  const g = data.gradients ? data.gradients[input] : undefined;
  const out = data.nodes.find((node) => node.id === data.output);
  const name = out ? out.name : "f";
  return t("Forward mode: one pass per input element, {n} for every gradient; this pass gives ∂{name}/∂{input} = {d}, the same as reverse mode's {gradient} = {g}.",
    { n, name, input, d: numberOf(d), gradient: gradName(data, input), g: numberOf(g) }) + " " + reverse;
}

export class ModeSwitch {
  /** select lists reverse mode and forward mode by each scalar input; onChange(view, input). */
  constructor(select, onChange) {
    this.select = select;
    this.view = "reverse";
    this.input = null;
    this.key = "";
    select.addEventListener("change", () => {
      const value = select.value;
      this.view = value ? "forward" : "reverse";
      this.input = value || null;
      onChange(this.view, this.input);
    });
  }

  /** Start from a link's `mode` and `forward`. */
  restore(mode, input) {
    if (mode === "forward" && input) {
      this.view = "forward";
      this.input = input;
    }
  }

  /** What the address keeps: {mode, forward} in forward mode, else {}. */
  share() {
    return this.view === "forward" ? { mode: "forward", forward: this.input } : {};
  }

  /** The options of a new answer: reverse, then forward by each scalar input. */
  render(data) {
    const names = scalarInputs(data).map((n) => n.name);
    const key = names.join("\u0000");
    if (key !== this.key) {
      this.key = key;
      const reverse = new Option(t("reverse mode"), "");
      this.select.replaceChildren(reverse, ...names.map((name) => new Option(t("forward mode by {name}", { name }), name)));
    }
    this.select.value = this.view === "forward" ? this.input : "";
    this.select.disabled = names.length === 0;
  }
}
