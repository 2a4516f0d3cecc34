// Frame logic: which texts and classes the graph shows at step k.
//
// Step 0 shows only inputs and constants; steps 1..F compute one operation each; the
// seed (the first backward step) gives the output its gradient 1, and every value the
// output does not depend on (constants aside) its final gradient 0; every later backward
// step pushes contributions into its parents' running totals. `Stepper.show(k)` moves the
// picture to step k touching only the nodes whose state differs, so stepping needs no
// server request and no relayout.

import { t } from "./i18n.js";

export const PENDING = "·";

const STATE_CLASSES = [
  "pending", "current", "dead", "grad-partial", "grad-final", "nonfinite", "nonfinite-grad",
];

/** Whether a JSON value (number, "NaN"/"Infinity" string, nested lists) is all finite. */
export function allFinite(v) {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.every(allFinite);
  return typeof v === "number" && Number.isFinite(v);
}

/** Total number of frames after the start frame: steps.length. */
export function stepCount(data) {
  return data && Array.isArray(data.steps) ? data.steps.length : 0;
}

/** "forward", "backward" or "start" for step k. */
export function phaseAt(data, k) {
  if (!data || k <= 0 || k > stepCount(data)) return "start";
  return data.steps[k - 1].phase;
}

/** A phase as the page writes it, in the page's language. */
export function phaseWord(phase) {
  const words = { start: t("start"), forward: t("forward"), backward: t("backward"), seed: t("backward · seed") };
  return words[phase] || phase;
}

/** The counter line: "step 4 / 9 · forward". */
export function counterText(data, k) {
  return t("step {k} / {n} · {phase}", { k, n: stepCount(data), phase: phaseWord(phaseAt(data, k)) });
}

/**
 * The timeline of a graph: precomputed once per graph JSON, everything `show` needs:
 *   forwardStep[i]  the step that computes node i (0 for inputs and constants),
 *   gradEvents[i]   [{step, lines, final, finite}] in step order,
 *   touched[s]      node indices whose state step s changes (its node and its targets;
 *                   at the seed also the unused values).
 */
export function buildTimeline(data) {
  const nodes = data.nodes;
  const steps = data.steps;
  const index = new Map(nodes.map((node, i) => [node.id, i]));
  const forwardStep = new Int32Array(nodes.length);
  const gradEvents = nodes.map(() => []);
  const touched = [[]];
  const unused = unusedNodes(nodes);
  for (const step of steps) {
    const s = step.index;
    const i = index.get(step.node);
    const here = i === undefined ? [] : [i];
    if (i !== undefined && step.phase === "forward") {
      forwardStep[i] = s;
    } else if (i !== undefined && step.kind === "seed") {
      const node = nodes[i];
      const lines = node.display && node.display.grad ? node.display.grad : ["1"];
      gradEvents[i].push({ step: s, lines, final: true, finite: allFinite(node.grad) });
      for (const u of unused) {
        const zeros = nodes[u].display && nodes[u].display.grad ? nodes[u].display.grad : ["0"];
        gradEvents[u].push({ step: s, lines: zeros, final: true, finite: true });
        here.push(u);
      }
    }
    for (const c of step.contributions || []) {
      const t = index.get(c.target);
      if (t === undefined) continue;
      gradEvents[t].push({
        step: s, lines: c.total_display || [], final: !!c.final, finite: allFinite(c.total),
      });
      here.push(t);
    }
    touched[s] = here;
  }
  const stepNode = [-1].concat(steps.map((step) => {
    const i = index.get(step.node);
    return i === undefined ? -1 : i;
  }));
  const stepEdges = [[]].concat(steps.map((step) => step.edges || []));
  return { index, forwardStep, gradEvents, touched, stepNode, stepEdges };
}

/**
 * Indices of the values the output does not depend on, constants aside: nothing ever flows
 * into them, so the seed gives them their gradient 0 at once (as the server's frames do).
 */
export function unusedNodes(nodes) {
  const out = [];
  nodes.forEach((node, i) => {
    if (node.live === false && node.kind !== "const") out.push(i);
  });
  return out;
}

/** Index into events of the last event at or before step k, or -1. */
function lastEventAt(events, k) {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid].step <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * The state of node i at step k as plain data (used by `Stepper` and handy for tests):
 *   {shown, current, grad: null | {lines, final, finite}}
 */
export function nodeState(data, timeline, i, k) {
  const e = lastEventAt(timeline.gradEvents[i], k);
  return {
    shown: timeline.forwardStep[i] <= k,
    current: timeline.stepNode[k] === i,
    grad: e < 0 ? null : timeline.gradEvents[i][e],
  };
}

function setLines(elements, lines) {
  for (let j = 0; j < elements.length; j++) {
    const text = j < lines.length ? lines[j] : "";
    if (elements[j].textContent !== text) elements[j].textContent = text;
  }
}

export class Stepper {
  constructor() {
    this.root = null; // the element holding the picture: an <svg>, or the panel of its layers
    this.data = null;
    this.timeline = null;
    this.k = 0;
    this.nodeEls = [];
    this.edgeEls = new Map();
    this.edgesInto = [];
    // Rendered state per node; -2 means "unknown, render in full".
    this.shownState = new Int8Array(0);
    this.gradState = new Int32Array(0);
    this.currentState = new Int8Array(0);
    this.activeEdges = [];
  }

  get total() {
    return stepCount(this.data);
  }

  /** A new picture (`root` holds its groups, or null for none) and its data together. */
  load(root, data) {
    this.root = root;
    this.setData(data);
  }

  /** A new graph picture (after a relayout). */
  attach(root) {
    this.root = root;
    this._bind();
    this._renderAll();
  }

  /** New values for the same structure, or a new graph together with `attach`. */
  setData(data) {
    this.data = data;
    this.timeline = data ? buildTimeline(data) : null;
    if (this.k > this.total) this.k = this.total;
    this._bind();
    this._renderAll();
  }

  /** Move the picture to step k (clamped to 0..n); returns the step shown. */
  show(k) {
    k = Math.max(0, Math.min(this.total, Math.round(Number(k) || 0)));
    const from = this.k;
    this.k = k;
    if (!this.ready()) return k;
    const lo = Math.min(from, k);
    const hi = Math.max(from, k);
    const timeline = this.timeline;
    for (let s = lo + 1; s <= hi; s++) {
      for (const i of timeline.touched[s]) this._renderNode(i);
    }
    for (const s of [from, k]) {
      const i = timeline.stepNode[s];
      if (i !== undefined && i >= 0) this._renderNode(i);
    }
    this._renderEdges();
    return k;
  }

  /** The ids of the nodes whose value is known at the step shown, and of those whose
   *  gradient is final there (what a sketch of the picture colours). */
  progress() {
    const valued = [];
    const final = [];
    const timeline = this.timeline;
    if (!this.data || !timeline) return { valued, final };
    this.data.nodes.forEach((node, i) => {
      if (timeline.forwardStep[i] <= this.k) valued.push(node.id);
      const e = lastEventAt(timeline.gradEvents[i], this.k);
      if (e >= 0 && timeline.gradEvents[i][e].final) final.push(node.id);
    });
    return { valued, final };
  }

  ready() {
    const data = this.data;
    return !!(this.root && data && this.timeline && this.nodeEls.length === data.nodes.length);
  }

  _bind() {
    this.nodeEls = [];
    this.edgeEls = new Map();
    this.activeEdges = [];
    if (!this.root || !this.data) return;
    const byId = new Map();
    for (const el of this.root.querySelectorAll("[id]")) byId.set(el.id, el);
    const lines = (id, prefix) => {
      const out = [];
      for (let j = 0; byId.has(`${id}-${prefix}${j}`); j++) out.push(byId.get(`${id}-${prefix}${j}`));
      return out;
    };
    for (const node of this.data.nodes) {
      const g = byId.get(node.id);
      this.nodeEls.push(g ? { g, values: lines(node.id, "v"), grads: lines(node.id, "g") } : null);
    }
    const index = new Map(this.data.nodes.map((node, i) => [node.id, i]));
    this.edgesInto = this.data.nodes.map(() => []);
    for (const edge of this.data.edges) {
      const g = byId.get(edge.id);
      if (!g) continue;
      const el = { g, local: byId.get(`${edge.id}-local`) || null, edge };
      this.edgeEls.set(edge.id, el);
      const dst = index.get(edge.dst);
      if (dst !== undefined) this.edgesInto[dst].push(el);
    }
    const n = this.data.nodes.length;
    this.shownState = new Int8Array(n);
    this.gradState = new Int32Array(n);
    this.currentState = new Int8Array(n);
  }

  _renderAll() {
    if (!this.ready()) return;
    this.shownState.fill(-2);
    this.gradState.fill(-2);
    this.currentState.fill(-2);
    for (const el of this.edgeEls.values()) el.g.classList.remove("active", "forward", "backward");
    this.data.nodes.forEach((node, i) => {
      const el = this.nodeEls[i];
      if (el) el.g.classList.toggle("dead", node.live === false);
      for (const edge of this.edgesInto[i]) edge.g.classList.toggle("dead", node.live === false);
      this._renderNode(i);
    });
    this._renderEdges();
  }

  _renderNode(i) {
    const el = this.nodeEls[i];
    if (!el) return;
    const node = this.data.nodes[i];
    const timeline = this.timeline;
    const k = this.k;
    const shown = timeline.forwardStep[i] <= k ? 1 : 0;
    if (this.shownState[i] !== shown) {
      this.shownState[i] = shown;
      const lines = node.display && node.display.value ? node.display.value : [];
      setLines(el.values, shown ? lines : el.values.map(() => PENDING));
      el.g.classList.toggle("pending", !shown);
      el.g.classList.toggle("nonfinite", !!shown && node.value_finite === false);
      // Edges into a node not yet computed are pending; their local derivative shows `·`.
      for (const edge of this.edgesInto[i]) {
        edge.g.classList.toggle("pending", !shown);
        if (edge.local) {
          const text = shown ? String(edge.edge.local_display ?? "") : PENDING;
          if (edge.local.textContent !== text) edge.local.textContent = text;
        }
      }
    }
    const e = lastEventAt(timeline.gradEvents[i], k);
    if (this.gradState[i] !== e) {
      this.gradState[i] = e;
      const ev = e < 0 ? null : timeline.gradEvents[i][e];
      setLines(el.grads, ev ? ev.lines : []);
      el.g.classList.toggle("grad-partial", !!ev && !ev.final);
      el.g.classList.toggle("grad-final", !!ev && ev.final);
      el.g.classList.toggle("nonfinite-grad", !!ev && !ev.finite);
    }
    const current = timeline.stepNode[k] === i ? 1 : 0;
    if (this.currentState[i] !== current) {
      this.currentState[i] = current;
      el.g.classList.toggle("current", !!current);
    }
  }

  _renderEdges() {
    for (const el of this.activeEdges) el.g.classList.remove("active", "forward", "backward");
    this.activeEdges = [];
    const k = this.k;
    if (k <= 0) return;
    const phase = this.data.steps[k - 1].phase;
    for (const id of this.timeline.stepEdges[k]) {
      const el = this.edgeEls.get(id);
      if (!el) continue;
      el.g.classList.add("active", phase);
      this.activeEdges.push(el);
    }
  }
}

/** Remove every frame class (used before handing a picture to something else). */
export function clearFrame(svg) {
  for (const g of svg.querySelectorAll("g.node, g.edge")) {
    g.classList.remove(...STATE_CLASSES, "active", "forward", "backward");
  }
}
