// The graph picture: parse the server's SVG, put it in the panel, fit it, zoom and pan.
//
// The SVG arrives as text produced (and sanitised) by the server; it is parsed with
// DOMParser as XML and imported, never concatenated into HTML.

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_SCALE = 2; // never blow a tiny graph up past this many pixels per unit
const MIN_ZOOM = 0.25;
const MAX_ZOOM = 8;
const PAD = 14; // pixels kept free around the fitted picture

/** Parse SVG text into an element owned by `doc`, or throw. */
export function parseSvg(text, doc = document) {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = parsed.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== "svg"
      || parsed.getElementsByTagName("parsererror").length) {
    throw new Error("the server sent a picture that could not be read");
  }
  for (const s of root.querySelectorAll("script, foreignObject")) s.remove();
  return doc.importNode(root, true);
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
    this.base = null; // the picture's own viewBox
    this.zoom = 1; // relative to "fit"
    this.center = null; // in viewBox units
    this._drag = null;
    this._observer = new ResizeObserver(() => this.layout());
    this._observer.observe(container);
    container.addEventListener("wheel", (e) => this._onWheel(e), { passive: false });
    container.addEventListener("pointerdown", (e) => this._onDown(e));
    container.addEventListener("pointermove", (e) => this._onMove(e));
    container.addEventListener("pointerup", (e) => this._onUp(e));
    container.addEventListener("pointercancel", (e) => this._onUp(e));
  }

  /** Replace the picture; returns the new <svg> element. */
  setSvg(text) {
    const svg = parseSvg(text, this.container.ownerDocument);
    this.base = viewBoxOf(svg);
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", "computation graph");
    svg.classList.add("adgraph");
    this.container.replaceChildren(svg);
    this.svg = svg;
    this.zoom = 1;
    this.center = null;
    this.layout();
    return svg;
  }

  clear() {
    this.container.replaceChildren();
    this.svg = null;
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

  /** Pixels per viewBox unit at the current zoom. */
  scale() {
    const w = this.container.clientWidth;
    const h = this.container.clientHeight;
    const b = this.base;
    if (!b || !w || !h) return 1;
    const fit = Math.min((w - 2 * PAD) / b.w, (h - 2 * PAD) / b.h, MAX_SCALE);
    return Math.max(0.05, fit) * this.zoom;
  }

  layout() {
    const svg = this.svg;
    if (!svg) return;
    const w = this.container.clientWidth;
    const h = this.container.clientHeight;
    if (!w || !h) return;
    const b = this.base;
    const s = this.scale();
    const c = this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 };
    const vw = w / s;
    const vh = h / s;
    const box = [c.x - vw / 2, c.y - vh / 2, vw, vh].map((v) => Math.round(v * 100) / 100);
    svg.setAttribute("viewBox", box.join(" "));
    svg.setAttribute("width", String(w));
    svg.setAttribute("height", String(h));
    this.container.classList.toggle("zoomed", this.zoom !== 1 || this.center !== null);
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
    // Plain wheel scrolls the page; pinch (ctrl+wheel) or ctrl/cmd+wheel zooms.
    if (!this.svg || !(e.ctrlKey || e.metaKey)) return;
    e.preventDefault();
    this.zoomBy(Math.exp(-e.deltaY * 0.0025), this._toUnits(e));
  }

  _onDown(e) {
    if (!this.svg || e.button !== 0) return;
    const b = this.base;
    this._drag = {
      x: e.clientX, y: e.clientY, id: e.pointerId,
      center: this.center || { x: b.x + b.w / 2, y: b.y + b.h / 2 }, moved: false,
    };
  }

  _onMove(e) {
    const d = this._drag;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
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
    if (d.moved && this.container.hasPointerCapture(e.pointerId)) {
      this.container.releasePointerCapture(e.pointerId);
    }
  }
}
