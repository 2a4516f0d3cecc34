// The panels around the graph: step explanation, tape, gradient check, problems.
// Everything user-influenced goes in through textContent, never as markup.

import { t } from "./i18n.js";
import { phaseAt, phaseWord, unusedNodes } from "./stepper.js";

function el(tag, className = "", text = null) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== null) e.textContent = text;
  return e;
}

/** A number from the API ("NaN"/"Infinity" strings included) as a short text. */
export function numberText(x, digits = 6) {
  if (x === "NaN" || (typeof x === "number" && Number.isNaN(x))) return "NaN";
  if (x === "Infinity" || x === Infinity) return "∞";
  if (x === "-Infinity" || x === -Infinity) return "-∞";
  if (typeof x !== "number") return String(x ?? "—");
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e7) return String(Number(x.toPrecision(digits)));
  return x.toExponential(Math.max(0, digits - 3)).replace("e+", "e");
}

function errorText(x) {
  if (typeof x !== "number") return numberText(x);
  if (x === 0) return "0";
  return x.toExponential(1).replace("e+", "e");
}


const COUNTS = new WeakMap();
const NODES = new WeakMap();

function nodesById(data) {
  let nodes = NODES.get(data);
  if (!nodes) {
    nodes = new Map(data.nodes.map((n) => [n.id, n]));
    NODES.set(data, nodes);
  }
  return nodes;
}

/** Per node id, how many contributions its gradient gets in the whole backward pass. */
function contributionCounts(data) {
  let uses = COUNTS.get(data);
  if (!uses) {
    uses = new Map();
    for (const s of data.steps) {
      for (const c of s.contributions || []) uses.set(c.target, (uses.get(c.target) || 0) + 1);
    }
    COUNTS.set(data, uses);
  }
  return uses;
}

const UNUSED_NAMED = 3;

/** The gradient of the value named `name` as the step texts write it: `gx`, or `∇x` when a
 * name in the program already reads as a gradient (`gx` beside `x`). */
export function gradName(data, name) {
  return `${(data && data.gradient_prefix) || "g"}${name}`;
}

/** The seed step's note on values the output ignores: `gu, gw = 0: y does not depend on them`
 * (the first three by name, the rest counted; never "and 1 more"). The app's panel and the
 * embed both show it. */
export function unusedText(data, unused, output) {
  const named = unused.length > UNUSED_NAMED + 1 ? unused.slice(0, UNUSED_NAMED) : unused;
  const names = named.map((i) => gradName(data, data.nodes[i].name));
  const more = unused.length - names.length;
  const list = names.join(", ") + (more ? " " + t("and {n} more", { n: more }) : "");
  return unused.length === 1
    ? t("{list} = 0: {output} does not depend on it", { list, output })
    : t("{list} = 0: {output} does not depend on them", { list, output });
}

/** The explanation of step k: heading, the step's text, its rule, gradient status chips. */
export function renderExplanation(parts, data, k) {
  const { phase, title, text, rule, chips, box } = parts;
  const p = phaseAt(data, k);
  const step = data && k > 0 ? data.steps[k - 1] : null;
  const nodes = data ? nodesById(data) : new Map();
  const node = step ? nodes.get(step.node) : null;
  box.dataset.phase = step && step.kind === "seed" ? "seed" : p;
  chips.replaceChildren();
  const show = (...texts) => [phase, title, text, rule].forEach((e, i) => { e.textContent = texts[i]; });
  if (!data) {
    show(phaseWord("start"), "", "", "");
    return;
  }
  if (!step) {
    show(phaseWord("start"), t("Nothing computed yet"),
      t("Inputs and constants are known; every operation is still pending (·)."),
      t("Press → or ▶ to run the first operation. ← goes back, Home / End jump to the ends."));
    return;
  }
  const name = node ? node.name : step.node;
  const formula = node && node.formula ? node.formula : "";
  if (step.kind === "seed") {
    show(phaseWord("seed"), t("Seed: the gradient of {name} with respect to itself is 1", { name }), step.text,
      `∂${name}/∂${name} = 1`);
    const unused = unusedNodes(data.nodes);
    if (unused.length) {
      chips.appendChild(el("span", "chip final unused", unusedText(data, unused, name)));
    }
  } else if (p === "forward" && data.view === "forward") {
    show(phaseWord("forward"), t("Compute the value of {name} and its tangent", { name }), step.text, formula);
    return; // the tangent is complete at once: no running totals to mark
  } else if (p === "forward") {
    show(phaseWord("forward"), t("Compute the value of {name}", { name }), step.text, formula);
  } else {
    show(phaseWord("backward"), t("Push the gradient of {name} back to its inputs", { name }), step.text, formula);
  }
  const uses = contributionCounts(data);
  for (const c of step.contributions || []) {
    const target = nodes.get(c.target);
    const tname = target ? target.name : c.target;
    const total = uses.get(c.target) || 1;
    const chip = el("span", c.final ? "chip final" : "chip partial");
    const g = gradName(data, tname);
    chip.textContent = c.final
      ? (total > 1 ? t("{g}: contribution {k} of {n} · complete", { g, k: c.count, n: total })
        : t("{g}: complete", { g }))
      : t("{g}: contribution {k} of {n} · partial", { g, k: c.count, n: total });
    chips.appendChild(chip);
  }
}

function lineNumber(index) {
  return el("span", "tape-num", String(index));
}

/**
 * The tape, one line per step. The current line is marked by two elements of the scroller
 * moved with a transform, never by restyling the line: a bar under the lines (background and
 * left border) and the line's number in bold over them. Restyling a line makes Chromium
 * repaint the whole list, hundreds of lines, on every step; a moved mark repaints nothing.
 */
export class Tape {
  /** lists: {forward: <ol>, backward: <ol>}, scroller: the element that scrolls. */
  constructor(lists, scroller, onPick) {
    this.lists = lists;
    this.scroller = scroller;
    this.onPick = onPick;
    this.items = [];
    this.current = null;
    this.bar = el("div", "tape-mark");
    this.number = el("span", "tape-mark-num");
    this.placed = {};
    for (const mark of [this.bar, this.number]) {
      mark.setAttribute("aria-hidden", "true");
      mark.hidden = true;
    }
    scroller.prepend(this.bar); // under the lines
    scroller.append(this.number); // over them
    for (const list of Object.values(lists)) {
      list.addEventListener("click", (e) => {
        const b = e.target.closest("[data-step]");
        if (b) this.onPick(Number(b.dataset.step));
      });
    }
    // A new width wraps lines differently: the mark follows its line.
    new ResizeObserver(() => this.reveal()).observe(lists.forward);
  }

  render(data) {
    this.items = [null];
    this.current = null;
    const frags = { forward: document.createDocumentFragment(), backward: document.createDocumentFragment() };
    for (const s of data.steps) {
      const li = el("li");
      const b = el("button", `tape-line ${s.phase}${s.kind === "seed" ? " seed" : ""}`);
      b.type = "button";
      b.dataset.step = String(s.index);
      b.appendChild(lineNumber(s.index));
      b.appendChild(el("span", "tape-text", s.text));
      li.appendChild(b);
      (frags[s.phase] || frags.backward).appendChild(li);
      this.items.push(b);
    }
    this.lists.forward.replaceChildren(frags.forward);
    this.lists.backward.replaceChildren(frags.backward);
  }

  highlight(k) {
    if (this.current) {
      this.current.classList.remove("current");
      this.current.removeAttribute("aria-current");
    }
    this.current = this.items[k] || null;
    if (this.current) {
      this.current.classList.add("current");
      this.current.setAttribute("aria-current", "step");
    }
    // Scrolled now, not from an animation frame callback: a scroll makes Chromium find out
    // again what lies under the pointer, at the start of a frame, so a scroll made inside a
    // frame costs a second frame. The layout this reads is the one the frame needs anyway.
    this.reveal();
  }

  /** Scroll the tape (only the tape, never the page) so the current line is visible, and
   * put the mark over it. Everything is read before anything is written: one layout. */
  reveal() {
    const item = this.current;
    const box = this.scroller;
    const shown = Boolean(item) && box.clientHeight > 0;
    if (this.bar.hidden === shown) {
      this.bar.hidden = !shown;
      this.number.hidden = !shown;
    }
    if (!shown) {
      if (!item && box.scrollTop) box.scrollTop = 0;
      return;
    }
    const line = item.getBoundingClientRect();
    const num = item.firstChild.getBoundingClientRect();
    const boxRect = box.getBoundingClientRect();
    const scrollTop = box.scrollTop;
    // The mark lies in the scroller's content, so scrolling moves it with its line. That
    // content is drawn from a whole pixel: the mark is placed from that one.
    const x0 = Math.round(boxRect.left + box.clientLeft) - box.scrollLeft;
    const y0 = Math.round(boxRect.top + box.clientTop) - scrollTop;
    // Scrolled before the mark is moved: setting scrollTop lays out whatever changed first.
    const top = line.top - boxRect.top + scrollTop;
    const bottom = top + line.height;
    const margin = Math.min(48, box.clientHeight / 4);
    if (top - margin < scrollTop) box.scrollTop = Math.max(0, top - margin);
    else if (bottom + margin > scrollTop + box.clientHeight) {
      box.scrollTop = bottom + margin - box.clientHeight;
    }
    const phase = item.classList.contains("forward") ? "forward" : "backward";
    this.move(this.bar, line, x0, y0, phase);
    this.move(this.number, num, x0, y0, phase);
    if (this.number.textContent !== item.dataset.step) this.number.textContent = item.dataset.step;
  }

  /** Cover `rect` (viewport pixels) with `mark`, on whole pixels as the line's own box is drawn. */
  move(mark, rect, x0, y0, phase) {
    const left = Math.round(rect.left);
    const top = Math.round(rect.top);
    const width = Math.round(rect.right) - left;
    const height = Math.round(rect.bottom) - top;
    const style = mark.style;
    const was = this.placed[mark.className] || {};
    if (was.width !== width) style.width = `${width}px`;
    if (was.height !== height) style.height = `${height}px`;
    if (was.phase !== phase) mark.dataset.phase = phase;
    style.transform = `translate(${left - x0}px, ${top - y0}px)`;
    this.placed[mark.className] = { width, height, phase };
  }
}

/** The gradient-check table body and its summary line. */
export function renderCheck(tbody, summary, check) {
  tbody.replaceChildren();
  if (!check || !Array.isArray(check.rows) || !check.rows.length) {
    summary.textContent = t("No inputs to check.");
    return;
  }
  const bad = check.rows.filter((r) => !r.ok).length;
  const shown = check.rows.length;
  const of = check.total && check.total > shown
    ? " " + t("(a sample of {shown} of {total} entries)", { shown, total: check.total }) : "";
  summary.textContent = (bad
    ? "✗ " + t("{bad} of {shown} gradients disagree with finite differences", { bad, shown })
    : "✓ " + t("all {shown} gradients agree with finite differences", { shown })) + of;
  summary.dataset.ok = bad ? "0" : "1";
  const frag = document.createDocumentFragment();
  for (const r of check.rows) {
    const tr = el("tr", r.ok ? "ok" : "bad");
    tr.appendChild(el("th", "mono", r.label));
    tr.appendChild(el("td", "num grad", numberText(r.autodiff)));
    tr.appendChild(el("td", "num", numberText(r.numeric)));
    tr.appendChild(el("td", "num", errorText(r.rel_error)));
    const mark = el("td", "mark");
    mark.appendChild(el("span", "", r.ok ? "✓" : "✗"));
    mark.appendChild(el("span", "sr-only", " " + (r.ok ? t("agrees") : t("disagrees"))));
    mark.title = r.ok ? t("agrees") : t("disagrees");
    tr.appendChild(mark);
    frag.appendChild(tr);
  }
  tbody.appendChild(frag);
}

/** The problems box: where a NaN or infinity first arose, each with a button to the step
 * that produced it (`onJump(k)`, when given). */
export function renderProblems(box, list, problems, nodes, onJump = null) {
  list.replaceChildren();
  if (!problems || !problems.length) {
    box.hidden = true;
    return;
  }
  const names = new Map((nodes || []).map((n) => [n.id, n.name]));
  for (const p of problems) {
    const li = el("li");
    li.appendChild(el("span", "problem-slot", p.slot === "grad" ? t("gradient") : t("value")));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "problem-msg", p.message));
    if (p.inputs && p.inputs.length) {
      li.appendChild(el("span", "problem-from", " " + t("(from {inputs})", { inputs: p.inputs.join(", ") })));
    }
    if (onJump && p.step) {
      const go = el("button", "problem-step", t("go to step {k}", { k: p.step }));
      go.type = "button";
      go.addEventListener("click", () => onJump(p.step));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(go);
    }
    li.dataset.node = names.has(p.node) ? p.node : "";
    list.appendChild(li);
  }
  box.hidden = false;
}

/** The trouble lens: the node where the first NaN or infinity arose is marked on the graph,
 * its reason in words as the node's tooltip; a click on it goes to the step that made it. */
export function markTrouble(container, problems, onJump) {
  if (!container) return;
  for (const g of container.querySelectorAll("g.node.trouble")) {
    g.classList.remove("trouble");
    g.querySelector("title.trouble-why")?.remove();
    g.onclick = null;
  }
  const first = problems && problems[0];
  const g = first && container.querySelector(`g.node[id="${first.node}"]`);
  if (!g) return;
  g.classList.add("trouble");
  const why = document.createElementNS("http://www.w3.org/2000/svg", "title");
  why.setAttribute("class", "trouble-why");
  why.textContent = first.message;
  g.prepend(why);
  if (first.step) g.onclick = () => onJump(first.step);
}
