// The gradient-descent panel: w ← w − η · gw after the backward pass, one update or many.
//
// Every point comes from the server (`/api/graph` with `lr` and `updates`), computed by the
// engine; the page only draws the loss curve and the inputs' trajectories. The graph's
// layout never moves: "Apply" writes the last point into the program as a slider would.

import { GraphClient } from "./api.js";
import { t, tn } from "./i18n.js";
import { gradName, numberText } from "./panels.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const CURVE = { width: 320, height: 130, pad: 10, foot: 18 }; // foot: room for the x label
const MAX_UPDATES = 500;
const TABLE_INPUTS = 4;

/** The text of a JSON number ("NaN"/"Infinity" strings too) or of an array's first elements. */
function shown(v) {
  if (Array.isArray(v)) {
    const flat = v.flat(2);
    const head = flat.slice(0, 3).map(shown).join(", ");
    return `[${head}${flat.length > 3 ? ", …" : ""}]`;
  }
  if (typeof v === "string") return v === "Infinity" ? "∞" : v === "-Infinity" ? "-∞" : v;
  return numberText(v, 4);
}

function finite(v) {
  return typeof v === "number" && Number.isFinite(v);
}

/** One line for a run: `20 updates with η = 0.1: f 4 → 0.0005317` (or where it diverged). */
export function runSummary(answer, rate) {
  const points = answer.descent || [];
  const k = answer.descent_diverged;
  if (k !== null && k !== undefined) return t("Diverged at update {k}: η = {rate} is too large for this program.", { k, rate });
  if (points.length < 2) return "";
  return tn("{n} update with η = {rate}: f {first} → {last}", "{n} updates with η = {rate}: f {first} → {last}",
    points.length - 1, { rate, first: shown(points[0].value), last: shown(points[points.length - 1].value) });
}

export class DescentPanel {
  /**
   * parts: {rate, count, one, run, reset, apply, curve, table, text, status};
   * request() gives {src, dtype} of the program on screen; onApply(inputs) writes a point's
   * inputs into the program; onChange() is told when η or the number of updates changed.
   */
  constructor(parts, { request, onApply, onChange }) {
    this.parts = parts;
    this.request = request;
    this.onApply = onApply;
    this.onChange = onChange;
    this.updates = 0;
    this.answer = null;
    this.client = new GraphClient("api/graph"); // a newer run supersedes a slower older one
    parts.one.addEventListener("click", () => this.go(this.updates + 1));
    parts.run.addEventListener("click", () => this.go(this.updates + this.count()));
    parts.reset.addEventListener("click", () => this.go(0));
    parts.apply.addEventListener("click", () => this.applyLast());
    parts.rate.addEventListener("change", () => this.go(this.updates));
  }

  /** η as typed, or null when it is not a number above 0. */
  rate() {
    const r = Number(this.parts.rate.value);
    return Number.isFinite(r) && r > 0 ? r : null;
  }

  count() {
    const n = Math.round(Number(this.parts.count.value));
    return Number.isFinite(n) && n > 0 ? n : 1;
  }

  /** Start from a shared link's `lr` and `updates`. */
  restore(rate, updates) {
    if (rate) this.parts.rate.value = rate;
    this.updates = Math.max(0, Math.min(MAX_UPDATES, Number.parseInt(updates, 10) || 0));
  }

  /** What the address keeps: {lr, updates} once an update was made, else {}. */
  share() {
    return this.updates > 0 && this.rate() ? { lr: String(this.rate()), updates: String(this.updates) } : {};
  }

  /** Run `updates` updates from the program's own point (asked of the server) and show them. */
  async go(updates) {
    const rate = this.rate();
    if (rate === null) {
      this.say(t("η must be a number above 0, such as 0.1"), true);
      return;
    }
    this.updates = Math.max(0, Math.min(MAX_UPDATES, updates));
    this.onChange();
    if (this.updates === 0) {
      this.answer = null;
      this.render();
      return;
    }
    let result;
    try {
      result = await this.client.fetch({ ...this.request(), lr: rate, updates: this.updates });
    } catch (err) {
      this.say(err.message, true);
      return;
    }
    if (!result) return; // a newer run was asked for meanwhile
    this.answer = result.data;
    this.render();
  }

  /** After a new program: run the same updates again on it (or nothing when none were made). */
  refresh() {
    if (this.updates > 0) this.go(this.updates);
    else this.render();
  }

  applyLast() {
    const points = this.answer ? this.answer.descent : null;
    if (!points || points.length < 2) return;
    const k = this.answer.descent_diverged ?? points.length;
    const last = points[Math.min(points.length, k) - 1];
    this.updates = 0;
    this.answer = null;
    this.onApply(last.inputs);
    this.render();
  }

  say(text, bad = false) {
    this.parts.status.textContent = text;
    this.parts.status.classList.toggle("bad", bad);
  }

  render() {
    const points = this.answer ? this.answer.descent : [];
    const diverged = this.answer ? this.answer.descent_diverged : null;
    this.parts.apply.disabled = points.length < 2;
    this.drawCurve(points, diverged);
    this.fillTable(points, diverged);
    this.explain(points, diverged);
    if (!points.length) this.say(t("Press “one update” (or U) after the backward pass."));
    else this.say(runSummary(this.answer, this.rate()), diverged !== null && diverged !== undefined);
  }

  /** One line per input of the last update: `w ← w − η · gw = … `, then the new value. */
  explain(points, diverged) {
    const lines = [];
    if (points.length >= 2) {
      const k = points.length - 1;
      const before = points[k - 1];
      const after = points[k];
      for (const [name, value] of Object.entries(before.inputs)) {
        const g = before.gradients[name];
        const scalar = !Array.isArray(value);
        const gname = gradName(this.answer, name);
        lines.push(scalar
          ? `${name} ← ${name} − η · ${gname} = ${shown(value)} − ${this.rate()} · ${shown(g)} = ${shown(after.inputs[name])}`
          : `${name} ← ${name} − η · ${gname}  ` + t("(each element): {value}", { value: shown(after.inputs[name]) }));
      }
      lines.push(`f = ${shown(after.value)}  ` + t("(was {value})", { value: shown(before.value) })
        + (diverged === k ? "  — " + t("not a number any more") : ""));
    }
    this.parts.text.textContent = lines.join("\n");
  }

  drawCurve(points, diverged) {
    this.parts.curve.replaceChildren(lossCurve(points, diverged));
  }

  fillTable(points, diverged) {
    const table = this.parts.table;
    const names = points.length ? Object.keys(points[0].inputs).slice(0, TABLE_INPUTS) : [];
    const head = document.createElement("tr");
    for (const text of ["update", "f", ...names]) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.appendChild(th);
    }
    const rows = points.map((p, k) => {
      const tr = document.createElement("tr");
      if (k === diverged) tr.className = "diverged";
      for (const text of [String(k), shown(p.value), ...names.map((n) => shown(p.inputs[n]))]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      return tr;
    });
    table.replaceChildren(...(points.length ? [head, ...rows] : []));
  }
}

/** The output value per update as a small SVG line plot; a divergence is marked. */
export function lossCurve(points, diverged) {
  const { width, pad, foot } = CURVE;
  const height = CURVE.height - foot + pad; // the plot's bottom edge sits `pad` above the foot
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${CURVE.height}`);
  svg.setAttribute("class", "loss-curve");
  svg.setAttribute("role", "img");
  const values = points.map((p) => p.value);
  const good = values.filter(finite);
  svg.setAttribute("aria-label", good.length ? t("output value over the updates ({n})", { n: points.length - 1 })
    : t("no updates yet"));
  const add = (name, attrs, text) => {
    const e = document.createElementNS(SVG_NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    svg.appendChild(e);
    return e;
  };
  add("line", { x1: pad, y1: height - pad, x2: width - 8, y2: height - pad, class: "axis" });
  add("line", { x1: pad, y1: 8, x2: pad, y2: height - pad, class: "axis" });
  if (good.length) {
    const lo = Math.min(...good);
    const hi = Math.max(...good);
    const span = hi - lo || 1;
    const n = Math.max(1, points.length - 1);
    const x = (k) => pad + ((width - 8 - pad) * k) / n;
    const y = (v) => height - pad - ((height - pad - 8) * (v - lo)) / span;
    const path = [];
    values.forEach((v, k) => { if (finite(v)) path.push(`${x(k).toFixed(1)},${y(v).toFixed(1)}`); });
    add("polyline", { points: path.join(" "), class: "curve" });
    values.forEach((v, k) => { if (finite(v) && points.length <= 60) add("circle", { cx: x(k), cy: y(v), r: 2.5, class: "dot" }); });
    add("text", { x: pad + 4, y: 16, class: "tick" }, `f = ${shown(hi)}`);
    add("text", { x: pad + 4, y: height - pad - 4, class: "tick" }, `f = ${shown(lo)}`);
    add("text", { x: width - 8, y: CURVE.height - 4, class: "tick", "text-anchor": "end" }, `update ${n}`);
    if (diverged !== null && diverged !== undefined) {
      const cx = x(diverged);
      add("line", { x1: cx, y1: 8, x2: cx, y2: height - pad, class: "diverged" });
      add("text", { x: cx - 4, y: 20, class: "tick diverged-label", "text-anchor": "end" }, "diverged ✗");
    }
  }
  return svg;
}
