// The graph picture: parse the server's SVG, put it in the panel, fit it, zoom and pan.
//
// The SVG arrives as text produced (and sanitised) by the server; it is parsed with
// DOMParser as XML and imported, never concatenated into HTML. Nothing here asks the browser
// to lay the picture out: the layers' extents come from the coordinates in the SVG, so the
// new picture is laid out once, with everything else the new graph changes on the page.
//
// Two changes to the picture's structure (the same shapes at the same places) keep a step's
// frame cheap in Chromium, whose cost otherwise grows with the whole picture:
// - It is drawn as a stack of <svg> layers: the server's <svg> keeps its <style> and
//   background, and its groups move, in document order, into small <svg> roots stacked above
//   it, each only as large as what it draws (`splitLayers`). Chromium repaints an <svg> root
//   as a whole when anything inside it changes, and hit-tests (on every frame with the
//   pointer over the picture) every element of a root whose box holds the pointer; a step
//   changes a handful of groups, so small roots keep both to a few groups.
// - Node groups lose their translation, their children moved by it instead (`flattenGroups`):
//   every transform starts a new paint chunk, and each frame hands all chunks to the
//   compositor, so one chunk per node costs time on every frame.
//
// A large picture (over DETAIL_CHARS of SVG) is not parsed as a whole: its groups are cut
// apart as text, each part's extent read from its coordinates, and a part becomes a layer
// only when it is on screen at a size that can be read. Smaller than that (a long chain,
// fitted), the picture is drawn as a sketch: every node's box and every edge, a few paths
// in all. `onDetail` tells the page when new parts arrived, for their state to be drawn.

import { t } from "./i18n.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_SCALE = 2; // never blow a tiny graph up past this many pixels per unit
const MIN_ZOOM = 0.25;
const MAX_ZOOM = 400; // a long chain, fitted, is tiny: zoom far enough in to read one node
const PAD = 14; // pixels kept free around the fitted picture
const LAYER_ELEMENTS = 200; // per layer: a step repaints a few layers; each costs every frame
const LAYER_MARGIN = 10; // user units around a layer's groups for strokes (the current box: 5)
const SWIPE_PX = 40; // a touch moving this far sideways over a fitted picture is a swipe
const DETAIL_CHARS = 300_000; // a picture larger than this is parsed a part at a time
const SKETCH_TEXT_PX = 3; // node text smaller than this on screen: a large picture is sketched
const TEXT_UNITS = 14; // the frame's font size, in user units
const DETAIL_AHEAD = 0.5; // parts this many screens beyond the edges are made ready too
const CURRENT_PX = 12; // the sketch's mark of the current node is never smaller than this
const TROUBLE_PX = 24; // nor its ring around the node where a NaN or infinity arose

/** Parse SVG text into an element owned by `doc`, or throw. */
export function parseSvg(text, doc = document) {
  // As XML, not as an SVG document: an SVG document looks for its title again (among all
  // the root's children) whenever a <title> gets its text, which is quadratic in the graph.
  const parsed = new DOMParser().parseFromString(text, "application/xml");
  const root = parsed.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== "svg"
      || parsed.getElementsByTagName("parsererror").length) {
    throw new Error(t("the server sent a picture that could not be read"));
  }
  for (const s of root.querySelectorAll("script, foreignObject")) s.remove();
  return doc.adoptNode(root); // moved, not copied: the parsed document is thrown away
}

/** The (dx, dy) of a group's transform when it is a single translation (none: 0, 0), or null. */
function translationOf(g) {
  const list = g.transform.baseVal;
  if (!list.numberOfItems) return { dx: 0, dy: 0 };
  const t = list.getItem(0);
  if (list.numberOfItems > 1 || t.type !== SVGTransform.SVG_TRANSFORM_TRANSLATE) return null;
  return { dx: t.matrix.e, dy: t.matrix.f };
}

/** The values of an SVGLengthList of plain numbers, or null (none, or one with a unit). */
function lengthsOf(list) {
  const values = [];
  for (let i = 0; i < list.numberOfItems; i++) {
    const length = list.getItem(i);
    if (length.unitType !== SVGLength.SVG_LENGTHTYPE_NUMBER) return null;
    values.push(length.value);
  }
  return values.length ? values : null;
}

/** Add `by` to every length of an SVGLengthList. */
function shiftLengths(list, by) {
  for (let i = 0; i < list.numberOfItems; i++) list.getItem(i).value += by;
}

/** Which of an absolute command's arguments are x (1) and y (2) coordinates. */
const PATH_AXES = {
  M: [1, 2], L: [1, 2], T: [1, 2], H: [1], V: [2], C: [1, 2, 1, 2, 1, 2], S: [1, 2, 1, 2],
  Q: [1, 2, 1, 2], A: [0, 0, 0, 0, 0, 1, 2], Z: [],
};
const PATH_TOKEN = /([A-Za-z])|([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|([\s,]+)|(.)/g;

/** The commands [{letter, args}] of path data with absolute commands only, or null. */
function pathCommands(d) {
  const commands = [];
  for (const [, letter, number, , other] of (d || "").matchAll(PATH_TOKEN)) {
    if (other !== undefined || (number !== undefined && !commands.length)) return null;
    if (letter !== undefined) commands.push({ letter, args: [] });
    else if (number !== undefined) commands[commands.length - 1].args.push(number);
  }
  for (const { letter, args } of commands) {
    const axes = PATH_AXES[letter]; // lower case (relative) letters are not there
    if (!axes || (axes.length ? !args.length || args.length % axes.length : args.length)) {
      return null;
    }
  }
  return commands.length ? commands : null;
}

/** Path data of `commands` moved by (dx, dy). */
function movedPath(commands, dx, dy) {
  return commands.map(({ letter, args }) => {
    const axes = PATH_AXES[letter];
    const moved = args.map((a, i) => {
      const axis = axes[i % axes.length];
      return axis ? String(Number(a) + (axis === 1 ? dx : dy)) : a;
    });
    return letter + moved.join(" ");
  }).join("");
}

/** The x and y coordinates in path `commands`. */
function pathCoordinates(commands) {
  const xs = [];
  const ys = [];
  for (const { letter, args } of commands) {
    const axes = PATH_AXES[letter];
    args.forEach((a, i) => {
      const axis = axes[i % axes.length];
      if (axis) (axis === 1 ? xs : ys).push(Number(a));
    });
  }
  return { xs, ys };
}

const NO_GEOMETRY = { xs: [], ys: [], move: () => {} };

/**
 * Where `el` is drawn from: its coordinates {xs, ys} and move(dx, dy), which moves it; null
 * if it cannot be read. A text's coordinates are its anchor: the shapes around it (a node's
 * outline, a label's box) hold its glyphs. Texts and polygons are read and moved through
 * their SVG DOM lists, which the browser has already parsed, not by rewriting attributes.
 */
function geometryOf(el) {
  switch (el.localName) {
    case "title":
      return NO_GEOMETRY;
    case "text": {
      const x = el.x.baseVal;
      const y = el.y.baseVal;
      const xs = el.childElementCount ? null : lengthsOf(x);
      const ys = xs && lengthsOf(y);
      if (!ys) return null;
      return { xs, ys, move: (dx, dy) => { shiftLengths(x, dx); shiftLengths(y, dy); } };
    }
    case "polygon":
    case "polyline": {
      const points = el.points;
      const xs = [];
      const ys = [];
      for (let i = 0; i < points.numberOfItems; i++) {
        const p = points.getItem(i);
        xs.push(p.x);
        ys.push(p.y);
      }
      if (!xs.length) return null;
      return {
        xs, ys, move: (dx, dy) => {
          for (let i = 0; i < points.numberOfItems; i++) {
            const p = points.getItem(i);
            p.x += dx;
            p.y += dy;
          }
        },
      };
    }
    case "path": {
      const commands = pathCommands(el.getAttribute("d"));
      if (!commands) return null;
      return {
        ...pathCoordinates(commands),
        move: (dx, dy) => el.setAttribute("d", movedPath(commands, dx, dy)),
      };
    }
    default:
      return null;
  }
}

/** A box {x0, y0, x1, y1} grown to hold the coordinates `xs`, `ys` moved by (dx, dy). */
function grown(box, { xs, ys }, dx, dy) {
  const b = box || { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  for (const x of xs) {
    if (x + dx < b.x0) b.x0 = x + dx;
    if (x + dx > b.x1) b.x1 = x + dx;
  }
  for (const y of ys) {
    if (y + dy < b.y0) b.y0 = y + dy;
    if (y + dy > b.y1) b.y1 = y + dy;
  }
  return b;
}

/**
 * Give every top-level group of `svg` that is only translated its children's coordinates
 * moved by the translation instead, and drop its transform. A group holding anything else
 * (another element or transform, a relative path command) keeps its transform.
 * Returns each top-level group's extent {x0, y0, x1, y1} in the picture's units, read from
 * the same coordinates (a Map; a group it could not read is left out).
 */
export function flattenGroups(svg) {
  const extents = new Map();
  for (const g of svg.children) {
    if (g.localName !== "g") continue;
    const t = translationOf(g);
    if (!t) continue;
    const shapes = [];
    for (const child of g.children) {
      const shape = child.hasAttribute("transform") ? null : geometryOf(child);
      if (!shape) {
        shapes.length = 0;
        break;
      }
      shapes.push(shape);
    }
    if (!shapes.length) continue;
    const { dx, dy } = t;
    let box = null;
    for (const shape of shapes) box = grown(box, shape, dx, dy);
    if (box.x0 <= box.x1 && box.y0 <= box.y1) extents.set(g, box);
    if (!g.hasAttribute("transform")) continue;
    for (const shape of shapes) shape.move(dx, dy);
    g.removeAttribute("transform");
  }
  return extents;
}

const EXTENTS = new WeakMap();

/**
 * Move the picture's groups out of `svg` into layers: new <svg> roots (returned in paint
 * order) of about LAYER_ELEMENTS elements each, cut between the server's top-level
 * children. What comes before the first group (the <style>, the background) stays in `svg`.
 * Stacked in this order above `svg`, the layers paint exactly what `svg` painted.
 * `extents` (from `flattenGroups`) gives each layer its extent when it has all its groups'.
 */
export function splitLayers(svg, extents = new Map(), perLayer = LAYER_ELEMENTS) {
  const doc = svg.ownerDocument;
  const children = [...svg.children];
  const first = children.findIndex((c) => c.localName === "g");
  const layers = [];
  if (first < 0) return layers;
  let layer = null;
  let size = 0;
  let box = null; // the extent of the layer's groups so far; null once one is unknown
  const close = () => {
    if (layer && box) EXTENTS.set(layer, withMargin(box));
  };
  for (const child of children.slice(first)) {
    const weight = 1 + child.getElementsByTagName("*").length;
    if (!layer || (size > 0 && size + weight > perLayer)) {
      close();
      layer = doc.createElementNS(SVG_NS, "svg");
      layer.setAttribute("class", `${svg.getAttribute("class") || ""} graph-layer`.trim());
      layer.setAttribute("preserveAspectRatio", "none");
      layer.setAttribute("aria-hidden", "true");
      layers.push(layer);
      size = 0;
      box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    }
    layer.appendChild(child);
    size += weight;
    const e = extents.get(child);
    box = box && e ? union(box, e) : null;
  }
  close();
  return layers;
}

const OPEN_TAG = /^<g\b([^>]*)>/;
const ATTR = /\s([a-z-]+)="([^"]*)"/g;
const TRANSLATE = /^translate\(\s*(-?[\d.]+)[\s,]+(-?[\d.]+)\s*\)$/;
const SHAPE_DATA = /\s(?:points|d)="([^"]*)"/g;
const PAIR = /(-?\d*\.?\d+),(-?\d*\.?\d+)/g;

/**
 * One top-level group of the server's SVG, read as text: {text, id, role, kind, box, path}:
 * `role` "node", "copy" (a shared leaf's copy), "edge" or "", `kind` its `kind-…` class, its
 * extent {x0, y0, x1, y1} from its shapes' coordinate pairs (a node's outline, its first
 * shape, holds the rest of it; an edge's label lies inside its box) and, for an edge, its
 * curve's path data. Null if it is not a group this can read (another transform, a group
 * inside).
 */
function readGroup(text) {
  const open = OPEN_TAG.exec(text);
  if (!open || text.indexOf("<g", 2) >= 0) return null;
  const attrs = {};
  for (const [, name, value] of open[1].matchAll(ATTR)) attrs[name] = value;
  let dx = 0;
  let dy = 0;
  if (attrs.transform) {
    const t = TRANSLATE.exec(attrs.transform);
    if (!t) return null;
    dx = Number(t[1]);
    dy = Number(t[2]);
  }
  const cls = attrs.class || "";
  const role = (/\b(node|copy|edge)\b/.exec(cls) || ["", ""])[1];
  const outlined = role === "node" || role === "copy";
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
  let path = null;
  for (const [whole, data] of text.matchAll(SHAPE_DATA)) {
    if (path === null && whole.trimStart().startsWith("d=")) path = data;
    for (const [, x, y] of data.matchAll(PAIR)) {
      const px = Number(x) + dx;
      const py = Number(y) + dy;
      if (px < box.x0) box.x0 = px;
      if (px > box.x1) box.x1 = px;
      if (py < box.y0) box.y0 = py;
      if (py > box.y1) box.y1 = py;
    }
    if (outlined) break;
  }
  if (!(box.x0 <= box.x1 && box.y0 <= box.y1)) return null;
  const kind = (/\bkind-[\w-]+/.exec(cls) || ["kind-op"])[0];
  return { text, id: attrs.id || "", role, kind, box, path };
}

/** How many elements SVG text holds: its tags less its closing tags. */
function elementCount(text) {
  let tags = 0;
  let closing = 0;
  for (let at = text.indexOf("<"); at >= 0; at = text.indexOf("<", at + 1)) {
    tags++;
    if (text[at + 1] === "/") closing++;
  }
  return tags - closing;
}

/**
 * A large picture cut apart as text: {root, open, groups, parts}. `root` is the SVG up to
 * its first group (the style sheet, the background), closed; `open` its <svg> tag; `parts`
 * are runs of about LAYER_ELEMENTS elements of groups, in paint order, each {text, box,
 * layer: null}. Null
 * when the text holds anything else at the top level than groups: it is parsed whole then.
 */
export function cutParts(text, perLayer = LAYER_ELEMENTS) {
  const first = text.indexOf("\n<g ");
  const end = text.lastIndexOf("</svg>");
  if (first < 0 || end < first) return null;
  const groups = [];
  let at = first + 1;
  while (at < end) {
    if (!text.startsWith("<g ", at)) return null;
    const close = text.indexOf("</g>", at);
    if (close < 0 || close > end) return null;
    const group = readGroup(text.slice(at, close + 4));
    if (!group) return null;
    groups.push(group);
    at = close + 4;
    while (at < end && (text[at] === "\n" || text[at] === " ")) at++;
  }
  const parts = [];
  let part = null;
  for (const g of groups) {
    const weight = elementCount(g.text);
    if (!part || (part.size > 0 && part.size + weight > perLayer)) {
      part = { texts: [], size: 0, box: { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity } };
      parts.push(part);
    }
    part.texts.push(g.text);
    part.size += weight;
    part.box = union(part.box, g.box);
  }
  return {
    root: `${text.slice(0, first + 1)}</svg>`,
    open: text.slice(0, text.indexOf(">", text.indexOf("<svg")) + 1), // the root's own tag
    groups,
    parts: parts.map((p) => ({ text: p.texts.join(""), box: withMargin(p.box), layer: null })),
  };
}

/** Whether boxes {x, y, w, h} overlap. */
function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** Path data of a box {x0, y0, x1, y1}. */
function boxPath({ x0, y0, x1, y1 }) {
  const r = (v) => Math.round(v * 10) / 10;
  return `M${r(x0)} ${r(y0)}H${r(x1)}V${r(y1)}H${r(x0)}Z`;
}

/**
 * The sketch of a large picture: one path of every edge's curve and one of the boxes of each
 * kind of node, styled by the picture's own style sheet (its classes); over them the boxes
 * of the values known so far and of the final gradients (`.sketch-valued`, `.sketch-final`),
 * a mark for the current node (`.sketch-current`) and a ring around the node where a NaN or
 * infinity first arose (`.sketch-trouble`), all redrawn by the view.
 */
function sketchOf(groups, cls, doc) {
  const layer = doc.createElementNS(SVG_NS, "svg");
  layer.setAttribute("class", cls);
  layer.classList.add("graph-layer", "graph-sketch");
  layer.setAttribute("preserveAspectRatio", "none");
  layer.setAttribute("aria-hidden", "true");
  const add = (parent, tag, classes, d = null) => {
    const el = doc.createElementNS(SVG_NS, tag);
    el.classList.add(...classes);
    if (d !== null) el.setAttribute("d", d);
    parent.appendChild(el);
    return el;
  };
  const edges = groups.filter((g) => g.role === "edge" && g.path).map((g) => g.path);
  add(layer, "path", ["rule", "sketch-edges"], edges.join(""));
  const kinds = new Map();
  let nodes = 0;
  for (const g of groups) {
    if (g.role !== "node" && g.role !== "copy") continue;
    if (!kinds.has(g.kind)) kinds.set(g.kind, []);
    kinds.get(g.kind).push(boxPath(g.box));
    nodes++;
  }
  for (const [kind, boxes] of kinds) {
    add(add(layer, "g", [kind]), "path", ["outline", "sketch-nodes"], boxes.join(""));
  }
  layer.dataset.nodes = String(nodes);
  add(layer, "path", ["val", "sketch-valued"]);
  add(layer, "path", ["grad", "sketch-final"]);
  add(add(layer, "g", ["current"]), "path", ["outline", "sketch-current"]);
  add(layer, "path", ["sketch-trouble"]);
  return layer;
}

/** The smallest box {x0, y0, x1, y1} holding boxes `a` and `b`. */
function union(a, b) {
  return { x0: Math.min(a.x0, b.x0), y0: Math.min(a.y0, b.y0), x1: Math.max(a.x1, b.x1),
    y1: Math.max(a.y1, b.y1) };
}

/** A box {x0, y0, x1, y1} as {x, y, w, h} with LAYER_MARGIN around it. */
function withMargin(b) {
  return { x: b.x0 - LAYER_MARGIN, y: b.y0 - LAYER_MARGIN, w: b.x1 - b.x0 + 2 * LAYER_MARGIN,
    h: b.y1 - b.y0 + 2 * LAYER_MARGIN };
}

/**
 * A layer's groups' extent in user units, with LAYER_MARGIN around it: from the coordinates
 * in the SVG, or else measured once, the first time the layer is placed. Texts that later
 * grow past it are still drawn (the layer lets its drawing overflow), only hit-tested and
 * repainted a little less cheaply.
 */
function extentOf(layer) {
  let e = EXTENTS.get(layer);
  if (!e) {
    const b = layer.getBBox();
    e = withMargin({ x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height });
    if (b.width || b.height) EXTENTS.set(layer, e); // not drawn yet: measure again next time
  }
  return e;
}

function viewBoxOf(svg) {
  const vb = svg.viewBox && svg.viewBox.baseVal;
  if (vb && vb.width > 0 && vb.height > 0) return { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
  const w = parseFloat(svg.getAttribute("width")) || 300;
  const h = parseFloat(svg.getAttribute("height")) || 150;
  return { x: 0, y: 0, w, h };
}

export class GraphView {
  constructor(container) {
    this.container = container;
    this.svg = null;
    this.layers = []; // in paint order; of a large picture, the parts made so far
    this.shown = []; // the layers (or the sketch) on screen, placed by the last layout
    this.parts = null; // of a large picture: [{text, box, layer}] (see `cutParts`)
    this.groups = null; // of a large picture: its groups as read from the text
    this.open = null; // of a large picture: its <svg> tag, each part parsed inside a copy
    this.sketch = null;
    this.boxes = new Map(); // node id → its extent {x0, y0, x1, y1, input}
    this.currentId = null; // the node the step is about (`markCurrent`)
    this.progress = null; // () => {valued, final}: node ids the sketch colours (the stepper's)
    this._progressDrawn = false; // whether the sketch's colours are those of the step shown
    this.onDetail = null; // () => void: parts of a large picture arrived; draw their state
    this.detailChars = DETAIL_CHARS; // a picture with more SVG than this is made part by part
    this.base = null; // the picture's own viewBox
    this.zoom = 1; // relative to "fit"
    this.center = null; // in viewBox units
    this._drag = null;
    this.onSwipe = null; // (+1 | -1) => void: a sideways swipe on a fitted picture, by touch
    this.swipeZoom = 1; // a touch's sideways drag steps at zooms up to this one
    this.onLayout = null; // () => void: after the picture was placed (zoom, pan, fit, resize)
    this._observer = new ResizeObserver(() => this.layout());
    this._observer.observe(container);
    container.addEventListener("wheel", (e) => this._onWheel(e), { passive: false });
    container.addEventListener("pointerdown", (e) => this._onDown(e));
    container.addEventListener("pointermove", (e) => this._onMove(e));
    container.addEventListener("pointerup", (e) => this._onUp(e));
    container.addEventListener("pointercancel", (e) => this._onUp(e));
    // On paper: the whole picture at the page's width (the print style sheet shows it).
    const win = container.ownerDocument.defaultView;
    const paper = win.matchMedia ? win.matchMedia("print") : null;
    win.addEventListener("beforeprint", () => this._paper(true));
    win.addEventListener("afterprint", () => this._paper(!!paper?.matches));
    paper?.addEventListener("change", () => this._paper(paper.matches));
  }

  /**
   * Put a copy of the whole picture in the panel for printing (or take it away): one <svg>
   * root of the picture's own viewBox, without the screen's layers and pixel sizes, which
   * the print style sheet shows instead of them at the width of the page.
   */
  _paper(on) {
    this.container.querySelector(":scope > svg.graph-print")?.remove();
    if (!on || !this.svg) return;
    if (this.parts && this.parts.some((p) => !p.layer)) {
      this.parts.forEach((p, i) => p.layer || this._make(i));
      if (this.onDetail) this.onDetail();
    }
    const copy = this.svg.cloneNode(true); // the style sheet and the background
    for (const layer of this.layers) {
      for (const child of layer.children) copy.appendChild(child.cloneNode(true));
    }
    const b = this.base;
    copy.setAttribute("viewBox", [b.x, b.y, b.w, b.h].join(" "));
    copy.removeAttribute("width");
    copy.removeAttribute("height");
    copy.classList.add("graph-print");
    copy.setAttribute("aria-hidden", "true");
    this.container.appendChild(copy);
  }

  /**
   * Replace the picture; returns the new <svg> element (its groups live in `this.layers`,
   * inside the container too: look elements up from `this.container`).
   */
  setSvg(text) {
    const cut = text.length > this.detailChars ? cutParts(text) : null;
    const svg = parseSvg(cut ? cut.root : text, this.container.ownerDocument);
    this.base = viewBoxOf(svg);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", t("computation graph"));
    svg.classList.add("adgraph");
    this.boxes = new Map();
    this.sketch = null;
    this.currentId = null;
    this.troubleId = null;
    if (cut) {
      this.parts = cut.parts;
      this.groups = cut.groups;
      this.open = cut.open;
      this.layers = [];
      for (const g of cut.groups) {
        if (g.role === "node") this.boxes.set(g.id, { ...g.box, input: g.kind === "kind-input" });
      }
    } else {
      this.parts = null;
      this.groups = null;
      const extents = flattenGroups(svg);
      for (const [g, b] of extents) {
        if (g.classList.contains("node")) this.boxes.set(g.id, { ...b, input: g.classList.contains("kind-input") });
      }
      this.layers = splitLayers(svg, extents);
    }
    const size = this._size(); // read before the new picture is in: no layout of it yet
    this.container.replaceChildren(svg, ...this.layers);
    this.svg = svg;
    this.zoom = 1;
    this.swipeZoom = 1;
    this.center = null;
    this._quiet = true; // the page draws the state of a new picture itself
    try {
      this.layout(size);
    } finally {
      this._quiet = false;
    }
    return svg;
  }

  clear() {
    this.container.replaceChildren();
    this.svg = null;
    this.layers = [];
    this.shown = [];
    this.parts = null;
    this.groups = null;
    this.open = null;
    this.sketch = null;
    this.boxes = new Map();
    this.currentId = null;
    this.troubleId = null;
  }

  /** Every node's box in user units: [{id, x, y, w, h, input}]. */
  nodeBoxes() {
    return Array.from(this.boxes, ([id, b]) => ({ id, x: b.x0, y: b.y0, w: b.x1 - b.x0, h: b.y1 - b.y0, input: b.input }));
  }

  /** The box {x, y, width, height} in user units of a node (its id or its group), or null. */
  boxOf(target) {
    if (!target) return null;
    const id = typeof target === "string" ? target : target.id;
    const b = this.boxes.get(id);
    if (b) return { x: b.x0, y: b.y0, width: b.x1 - b.x0, height: b.y1 - b.y0 };
    const el = typeof target === "string" ? this.container.querySelector(`[id="${CSS.escape(id)}"]`) : target;
    return el ? el.getBBox() : null;
  }

  /** The node the step is about (its id, or null): the sketch marks it. */
  markCurrent(id) {
    this.currentId = id || null;
    this._progressDrawn = false;
    this._markSketch();
  }

  /** The node where a NaN or infinity first arose (its id, or null): the sketch rings it, as
   * the picture marks it (`panels.markTrouble`) once it can be read. */
  markTrouble(id) {
    this.troubleId = id || null;
    this._markSketch();
  }

  /** The sketch's colours (once per step, while it shows) and its rings (sized to the zoom). */
  _markSketch() {
    if (!this.sketch || this.sketch.style.display === "none") return;
    if (!this._progressDrawn) {
      const { valued = [], final = [] } = this.progress ? this.progress() : {};
      const boxes = (ids) => ids.map((id) => this.boxes.get(id)).filter(Boolean).map(boxPath).join("");
      this.sketch.querySelector(".sketch-valued").setAttribute("d", boxes(valued));
      this.sketch.querySelector(".sketch-final").setAttribute("d", boxes(final));
      this._progressDrawn = true;
    }
    this._ring(".sketch-current", this.currentId, CURRENT_PX);
    this._ring(".sketch-trouble", this.troubleId, TROUBLE_PX);
  }

  /** The sketch's path `selector` around node `id`'s box, at least `px` screen pixels wide
   * and high; none without the node. */
  _ring(selector, id, px) {
    const mark = this.sketch.querySelector(selector);
    const b = id && this.boxes.get(id);
    if (!b) {
      mark.removeAttribute("d");
      return;
    }
    const least = px / this.scale();
    const gx = Math.max(0, least - (b.x1 - b.x0)) / 2;
    const gy = Math.max(0, least - (b.y1 - b.y0)) / 2;
    mark.setAttribute("d", boxPath({ x0: b.x0 - gx, y0: b.y0 - gy, x1: b.x1 + gx, y1: b.y1 + gy }));
  }

  /** Parse part `i` of a large picture into its layer, put in paint order. */
  _make(i) {
    const part = this.parts[i];
    const root = parseSvg(`${this.open}${part.text}</svg>`, this.container.ownerDocument);
    root.setAttribute("class", this.svg.getAttribute("class") || "");
    const [layer] = splitLayers(root, flattenGroups(root), Infinity);
    EXTENTS.set(layer, part.box);
    part.layer = layer;
    const next = this.parts.slice(i + 1).find((p) => p.layer);
    this.container.insertBefore(layer, next ? next.layer : null);
    this.layers = this.parts.filter((p) => p.layer).map((p) => p.layer);
  }

  /**
   * Of a large picture, what the view `box` [x, y, w, h] at scale `s` shows: the sketch when
   * its text would be too small to read, else the parts on screen (made first when new, with
   * those a little beyond). Returns whether parts were made.
   */
  _showParts([x, y, w, h], s) {
    const far = s * TEXT_UNITS < SKETCH_TEXT_PX;
    if (far && !this.sketch) {
      this._progressDrawn = false;
      this.sketch = sketchOf(this.groups, this.svg.getAttribute("class") || "", this.container.ownerDocument);
      const b = this.base;
      EXTENTS.set(this.sketch, withMargin({ x0: b.x, y0: b.y, x1: b.x + b.w, y1: b.y + b.h }));
      this.container.insertBefore(this.sketch, this.svg.nextSibling);
    }
    if (this.sketch) this.sketch.style.display = far ? "" : "none";
    let made = false;
    if (!far) {
      const ahead = { x: x - DETAIL_AHEAD * w, y: y - DETAIL_AHEAD * h, w: w * (1 + 2 * DETAIL_AHEAD), h: h * (1 + 2 * DETAIL_AHEAD) };
      this.parts.forEach((part, i) => {
        if (!part.layer && overlaps(part.box, ahead)) {
          this._make(i);
          made = true;
        }
      });
    }
    const view = { x, y, w, h };
    this.shown = far ? [this.sketch] : [];
    for (const part of this.parts) {
      if (!part.layer) continue;
      const on = !far && overlaps(part.box, view);
      if (on) this.shown.push(part.layer);
      const display = on ? "" : "none";
      if (part.layer.style.display !== display) part.layer.style.display = display;
    }
    return made;
  }

  /** Fit to the panel again (the "fit" button). */
  fit() {
    this.zoom = 1;
    this.center = null;
    this.layout();
  }

  zoomBy(factor, at = null) {
    if (!this.svg) return;
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.zoom * factor));
    const b = this.base;
    const c = this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 };
    if (at) {
      // keep the point under the pointer where it is
      const k = this.zoom / next;
      this.center = { x: at.x + (c.x - at.x) * k, y: at.y + (c.y - at.y) * k };
    } else {
      this.center = c;
    }
    this.zoom = next;
    this.layout();
  }

  /**
   * Zoom so one unit of the picture is `pixels` pixels (never less than fit), showing its
   * start (top left); a touch's sideways drag still steps at this zoom (a phone's own).
   */
  zoomToScale(pixels) {
    if (!this.svg) return;
    const fit = this.scale() / this.zoom;
    if (fit >= pixels) return;
    this.zoom = Math.min(MAX_ZOOM, pixels / fit);
    this.swipeZoom = this.zoom;
    const s = this.scale();
    const b = this.base;
    const w = this.container.clientWidth / s;
    const h = this.container.clientHeight / s;
    this.center = { x: b.x + Math.min(b.w, w) / 2, y: b.y + Math.min(b.h, h) / 2 };
    this.layout();
  }

  /** The height in pixels the picture would like at `width`: fitted, never blown up. */
  preferredHeight(width) {
    const b = this.base;
    if (!b || width <= 2 * PAD) return 0;
    return Math.ceil(b.h * Math.min((width - 2 * PAD) / b.w, MAX_SCALE) + 2 * PAD);
  }

  /** The container's size in pixels: {w, h}. */
  _size() {
    return { w: this.container.clientWidth, h: this.container.clientHeight };
  }

  /** Pixels per viewBox unit at the current zoom (in a container of `size`). */
  scale({ w, h } = this._size()) {
    const b = this.base;
    if (!b || !w || !h) return 1;
    const fit = Math.min((w - 2 * PAD) / b.w, (h - 2 * PAD) / b.h, MAX_SCALE);
    return Math.max(1e-4, fit) * this.zoom; // "fit" fits any graph, however long
  }

  layout(size = this._size()) {
    const svg = this.svg;
    const { w, h } = size;
    if (!svg || !w || !h) return;
    const b = this.base;
    const s = this.scale(size);
    const c = this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 };
    const vw = w / s;
    const vh = h / s;
    const box = [c.x - vw / 2, c.y - vh / 2, vw, vh].map((v) => Math.round(v * 100) / 100);
    svg.setAttribute("viewBox", box.join(" "));
    svg.setAttribute("width", String(w));
    svg.setAttribute("height", String(h));
    const made = this.parts ? this._showParts(box, s) : false;
    if (!this.parts) this.shown = this.layers;
    this._placeLayers(box, w, h);
    this._markSketch();
    this.container.classList.toggle("zoomed", this.zoom !== 1 || this.center !== null);
    if (made && this.onDetail && !this._quiet) this.onDetail();
    if (this.onLayout) this.onLayout();
  }

  /**
   * Put every layer shown over its own groups, mapped onto the same pixels as the <svg> below it
   * (viewBox `box` shown centred at w×h). A layer's box is its groups' extent in whole
   * pixels of the container: Chromium snaps an <svg> root's box to pixels and stretches
   * the drawing to fit, so a box that is already whole keeps the layers aligned.
   */
  _placeLayers(box, w, h) {
    const [x, y, bw, bh] = box;
    const s = Math.min(w / bw, h / bh);
    const ox = (w - bw * s) / 2 - x * s; // user unit u is drawn at pixel ox + u·s
    const oy = (h - bh * s) / 2 - y * s;
    const extents = this.shown.map(extentOf); // all read before any is written
    this.shown.forEach((layer, i) => {
      const e = extents[i];
      const left = Math.floor(ox + e.x * s);
      const top = Math.floor(oy + e.y * s);
      const width = Math.max(1, Math.ceil(ox + (e.x + e.w) * s) - left);
      const height = Math.max(1, Math.ceil(oy + (e.y + e.h) * s) - top);
      const own = [(left - ox) / s, (top - oy) / s, width / s, height / s];
      layer.setAttribute("viewBox", own.join(" "));
      layer.style.left = `${left}px`;
      layer.style.top = `${top}px`;
      layer.style.width = `${width}px`;
      layer.style.height = `${height}px`;
    });
  }

  _toUnits(e) {
    const rect = this.container.getBoundingClientRect();
    const s = this.scale();
    const b = this.base;
    const c = this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 };
    return {
      x: c.x + (e.clientX - rect.left - rect.width / 2) / s,
      y: c.y + (e.clientY - rect.top - rect.height / 2) / s,
    };
  }

  _onWheel(e) {
    // The wheel (and a touchpad's pinch, which arrives as ctrl+wheel) zooms at the pointer;
    // shift+wheel pans sideways.
    if (!this.svg) return;
    e.preventDefault();
    if (e.shiftKey && !e.ctrlKey) {
      const s = this.scale();
      const b = this.base;
      const c = this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 };
      this.center = { x: c.x + (e.deltaY || e.deltaX) / s, y: c.y };
      this.layout();
      return;
    }
    const rate = e.ctrlKey ? 0.01 : 0.0025;
    this.zoomBy(Math.exp(-e.deltaY * rate), this._toUnits(e));
  }

  /** Whether the picture is fitted as a whole (nothing can be out of view). */
  fitted() {
    return this.zoom === 1 && this.center === null;
  }

  /** The part of the picture on screen, in viewBox units: {x, y, w, h}. */
  visible() {
    const [x, y, w, h] = (this.svg.getAttribute("viewBox") || "0 0 0 0").split(/\s+/).map(Number);
    return { x, y, w, h };
  }

  /** Move the view just enough for a node (its id or group) to be on screen, when zoomed in. */
  keepInView(node) {
    if (!this.svg || !node || this.fitted()) return;
    const b = this.boxOf(node);
    if (!b) return;
    const v = this.visible();
    const margin = 0.05 * Math.min(v.w, v.h);
    const inside = b.x >= v.x + margin && b.y >= v.y + margin
      && b.x + b.width <= v.x + v.w - margin && b.y + b.height <= v.y + v.h - margin;
    if (inside) return;
    this.center = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    this.layout();
  }

  /** The height in pixels of the smallest node text on screen (labels and numbers), from
   * the texts' boxes in user units (a box on screen is rounded to whole pixels). */
  nodeTextHeight() {
    const texts = this.container.querySelectorAll("text.label, text.val, text.grad");
    let smallest = Infinity;
    for (const t of texts) {
      const height = t.textContent.trim() ? t.getBBox().height : 0; // 0: not drawn
      if (height > 0) smallest = Math.min(smallest, height);
    }
    return Number.isFinite(smallest) ? smallest * this.scale() : 0;
  }

  /**
   * Fit the picture; if its node text is then under `px` pixels high, zoom in until it is
   * `px` and centre a node (its id or group): the picture is followed rather than shrunk
   * (the caller keeps the current node in view). Whether it zoomed.
   */
  readableAt(px, node) {
    if (!this.svg) return false;
    this.fit();
    const b = this.boxOf(node);
    if (!b || this.nodeTextHeight() >= px) return false;
    this.center = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    if (this.parts && !this.nodeTextHeight()) {
      // Sketched: no text to measure until the zoom makes some, at about the font's size.
      this.zoom = Math.min(MAX_ZOOM, (this.zoom * px) / (this.scale() * TEXT_UNITS));
      this.layout();
    }
    // A text's box follows the font's metrics at the size drawn (hinted): measure again.
    for (let tries = 0; tries < 4; tries++) {
      const height = this.nodeTextHeight();
      if (!height || height >= px || this.zoom >= MAX_ZOOM) break;
      this.zoom = Math.min(MAX_ZOOM, this.zoom * (px / height) * 1.001);
      this.layout();
    }
    return true;
  }

  /** Zoom in on a node (its id or group, found by name): its box centred, large enough to read. */
  focus(node) {
    if (!this.svg || !node) return;
    const b = this.boxOf(node);
    if (!b) return;
    const w = this.container.clientWidth;
    const fitScale = this.scale() / this.zoom;
    const wanted = Math.min(MAX_ZOOM, Math.max(1, (0.25 * w) / (b.width * fitScale)));
    this.zoom = wanted;
    this.center = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    this.layout();
  }

  _onDown(e) {
    if (!this.svg || e.button !== 0) return;
    const b = this.base;
    this._drag = {
      x: e.clientX, y: e.clientY, id: e.pointerId,
      center: this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 }, moved: false,
      // a fitted picture has nowhere to pan to: a finger's drag steps instead
      swipe: e.pointerType === "touch" && this.zoom <= this.swipeZoom && !!this.onSwipe,
    };
  }

  _onMove(e) {
    const d = this._drag;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    if (d.swipe && !d.moved && Math.abs(dy) > Math.abs(dx) && !this.fitted()) {
      d.swipe = false; // up or down over a zoomed picture: pan it
    }
    if (d.swipe) {
      d.moved = true;
      return;
    }
    if (!d.moved) {
      d.moved = true;
      this.container.setPointerCapture(e.pointerId);
      this.container.classList.add("panning");
    }
    const s = this.scale();
    this.center = { x: d.center.x - dx / s, y: d.center.y - dy / s };
    this.layout();
  }

  _onUp(e) {
    const d = this._drag;
    if (!d || d.id !== e.pointerId) return;
    this._drag = null;
    this.container.classList.remove("panning");
    const dx = e.clientX - d.x;
    if (d.swipe && Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > 1.5 * Math.abs(e.clientY - d.y)) {
      this.onSwipe(dx < 0 ? 1 : -1);
    }
    if (d.moved && this.container.hasPointerCapture(e.pointerId)) {
      this.container.releasePointerCapture(e.pointerId);
    }
  }
}
