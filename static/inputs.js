// The inputs card: a number field and a slider per scalar input, a note per array input.
//
// Moving a slider rewrites that input's literal in the program text (the layout stays, since
// only a value changes); the rows are rebuilt only when the set of inputs changes.

import { t } from "./i18n.js";
import { decimalsOf, findLiteral, formatLiteral, replaceLiteral, sliderRange } from "./source.js";

const NUMBER_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function scalarInputs(data) {
  return data.nodes.filter((n) => n.kind === "input" && Array.isArray(n.shape) && n.shape.length === 0);
}

function arrayInputs(data) {
  return data.nodes.filter((n) => n.kind === "input" && n.shape && n.shape.length > 0);
}

function setRange(range, value) {
  if (!Number.isFinite(value)) value = 0;
  const r = sliderRange(value);
  range.min = String(r.min);
  range.max = String(r.max);
  range.step = String(r.step);
  range.value = String(value);
}

function arrayRow(node) {
  const row = document.createElement("div");
  row.className = "input-row array";
  const name = document.createElement("span");
  name.className = "input-name";
  name.textContent = node.name;
  const note = document.createElement("span");
  note.className = "input-note";
  note.textContent = node.shape.length === 1
    ? t("vector of {n}: edit it in the program", { n: node.shape[0] })
    : t("{shape} matrix: edit it in the program", { shape: node.shape.join("×") });
  row.append(name, note);
  return row;
}

export class InputSliders {
  /**
   * box holds the rows, empty is the note shown when there are none; editor is the program's
   * editor. onRewrite(delay) is called after a row rewrote the program, with how long to wait
   * before asking the server (shorter for a slider than for typing).
   */
  constructor(box, empty, editor, { onRewrite, slideDelay, typeDelay }) {
    this.box = box;
    this.empty = empty;
    this.editor = editor;
    this.onRewrite = onRewrite;
    this.slideDelay = slideDelay;
    this.typeDelay = typeDelay;
    this.key = "";
    this.cue = "∇"; // ṫ while the rows hold forward mode's tangents
  }

  /** Show the inputs of a new answer: rebuild the rows if the inputs changed, else update them. */
  render(data) {
    const scalars = scalarInputs(data);
    const arrays = arrayInputs(data);
    const key = JSON.stringify([scalars.map((n) => n.name), arrays.map((n) => [n.name, n.shape])]);
    if (key !== this.key) {
      this.key = key;
      this.box.replaceChildren();
      scalars.forEach((n, i) => this.box.appendChild(this._row(n, i)));
      for (const n of arrays) this.box.appendChild(arrayRow(n));
      this.empty.hidden = scalars.length + arrays.length > 0;
    }
    for (const n of scalars) this._update(n);
  }

  _row(node, i) {
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
    range.setAttribute("aria-label", t("{name} slider", { name: node.name }));
    const grad = document.createElement("span");
    grad.className = "input-grad";
    grad.title = t("∂(output)/∂{name}: the gradient after the backward pass", { name: node.name });
    row.append(label, num, range, grad);
    row._node = node;
    setRange(range, Number(node.value));
    range.addEventListener("input", () => {
      const text = formatLiteral(Number(range.value), decimalsOf(Number(range.step)));
      num.value = text;
      this._rewrite(row, text, this.slideDelay);
    });
    range.addEventListener("change", () => setRange(range, Number(range.value)));
    num.addEventListener("input", () => {
      const text = num.value.trim();
      if (!NUMBER_TEXT.test(text)) return;
      const v = Number(text);
      if (v < Number(range.min) || v > Number(range.max)) setRange(range, v);
      range.value = String(v);
      this._rewrite(row, text, this.typeDelay);
    });
    return row;
  }

  /** Write new values of scalar inputs ({name: number}) into the program at once; arrays are
   * left for the person to edit. Returns the names written. */
  rewriteAll(values) {
    let src = this.editor.value;
    const written = [];
    for (const row of this.box.children) {
      const node = row._node;
      const v = node ? values[node.name] : undefined;
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      const next = replaceLiteral(src, node.name, node.line, formatLiteral(v));
      if (next !== null) {
        src = next;
        written.push(node.name);
      }
    }
    if (written.length) {
      this.editor.value = src;
      this.onRewrite(this.slideDelay);
    }
    return written;
  }

  _rewrite(row, text, delay) {
    const node = row._node;
    const next = replaceLiteral(this.editor.value, node.name, node.line, text);
    if (next === null) return;
    this.editor.value = next;
    this.onRewrite(delay);
  }

  _update(node) {
    const row = [...this.box.children].find((r) => r.dataset.name === node.name);
    if (!row) return;
    row._node = node;
    const num = row.querySelector(".input-number");
    const range = row.querySelector(".input-range");
    const editable = findLiteral(this.editor.value, node.name, node.line) !== null;
    num.disabled = !editable;
    range.disabled = !editable;
    row.title = editable ? "" : t("{name} is not a plain number in the program", { name: node.name });
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
    row.querySelector(".input-grad").textContent = `${this.cue} ${g}`;
  }
}
