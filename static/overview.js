// The overview map: the whole graph drawn small in a corner while the picture is zoomed in,
// the part on screen marked; a click (or a drag) on the map moves the picture there, and so
// do the arrow keys while the map has the focus. It only follows the view: nothing moves
// unless the person asks.

const MAP_PX = 180; // the map's longer side, in CSS pixels
const KEY_MOVE = 0.25; // an arrow key moves the picture by this part of the screen
const KEY_DIRECTIONS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

export class OverviewMap {
  /** canvas: the map's <canvas>; view: the GraphView it follows (call update() after each
   *  layout, reset() after each new picture). */
  constructor(canvas, view) {
    this.canvas = canvas;
    this.view = view;
    this.boxes = null; // the nodes' boxes in viewBox units, read once per picture when needed
    this._dragging = false;
    canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.stopPropagation();
      this._dragging = true;
      canvas.setPointerCapture(e.pointerId);
      this._moveTo(e);
    });
    canvas.addEventListener("pointermove", (e) => {
      if (this._dragging) this._moveTo(e);
    });
    const stop = (e) => {
      this._dragging = false;
      if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("wheel", (e) => e.stopPropagation(), { passive: true });
    // Focusable only where there is a fine pointer (and so, most likely, a keyboard): a
    // phone's browser moves a touch that lands near a focusable element onto it, and the
    // sideways swipes that step the graph would land on the map.
    if (window.matchMedia("(any-pointer: fine)").matches) canvas.tabIndex = 0;
    canvas.addEventListener("keydown", (e) => this._onKey(e));
  }

  /** An arrow key on the focused map moves the picture (the steps' keys then do not step). */
  _onKey(e) {
    const by = KEY_DIRECTIONS[e.key];
    if (!by || e.altKey || e.ctrlKey || e.metaKey || !this.view.svg) return;
    e.preventDefault();
    const v = this.view.visible();
    this.view.center = { x: v.x + v.w / 2 + by[0] * KEY_MOVE * v.w, y: v.y + v.h / 2 + by[1] * KEY_MOVE * v.h };
    this.view.layout();
  }

  /** A new picture: its boxes are read again the next time the map shows. */
  reset() {
    this.boxes = null;
    this.update();
  }

  /** Show the map while the picture is zoomed or moved (when all of it is on screen there is
   *  nothing to find), and draw the part on screen. */
  update() {
    const view = this.view;
    const shown = !!view.svg && !view.fitted();
    this.canvas.hidden = !shown;
    if (!shown) return;
    if (!this.boxes) this.boxes = this.view.nodeBoxes();
    this._draw();
  }

  /** Map pixels per viewBox unit, and the map's size in CSS pixels. */
  _geometry() {
    const b = this.view.base;
    const s = MAP_PX / Math.max(b.w, b.h);
    return { s, w: Math.max(24, Math.round(b.w * s)), h: Math.max(24, Math.round(b.h * s)) };
  }

  _draw() {
    const { s, w, h } = this._geometry();
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.canvas;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    const ctx = canvas.getContext("2d");
    const style = getComputedStyle(canvas);
    const b = this.view.base;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const current = this.view.currentId;
    for (const box of this.boxes) {
      ctx.fillStyle = box.id === current ? style.getPropertyValue("--map-current")
        : box.input ? style.getPropertyValue("--map-input") : style.getPropertyValue("--map-node");
      ctx.fillRect((box.x - b.x) * s, (box.y - b.y) * s, Math.max(1, box.w * s), Math.max(1, box.h * s));
    }
    // The part on screen, clipped to the map (a short graph is shorter than the screen).
    const v = this.view.visible();
    const left = Math.max(1, (v.x - b.x) * s);
    const top = Math.max(1, (v.y - b.y) * s);
    const right = Math.min(w - 1, (v.x + v.w - b.x) * s);
    const bottom = Math.min(h - 1, (v.y + v.h - b.y) * s);
    ctx.strokeStyle = style.getPropertyValue("--map-view");
    ctx.lineWidth = 2;
    ctx.strokeRect(left, top, Math.max(2, right - left), Math.max(2, bottom - top));
  }

  /** Centre the picture on the point of the map under the pointer. */
  _moveTo(e) {
    const rect = this.canvas.getBoundingClientRect();
    const { s } = this._geometry();
    const b = this.view.base;
    this.view.center = { x: b.x + (e.clientX - rect.left) / s, y: b.y + (e.clientY - rect.top) / s };
    this.view.layout();
  }
}
