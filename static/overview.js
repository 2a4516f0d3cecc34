// The overview map: the whole graph drawn small in a corner while the picture is zoomed in,
// the part on screen marked; a click (or a drag) on the map moves the picture there, and so
// do the arrow keys while the map has the focus. It only follows the view: nothing moves
// unless the person asks.

const MAP_PX = 180; // the map's longer side, in CSS pixels
const FOLD_ASPECT = 3; // a picture longer than this many times its width is folded ...
const MAX_FOLDS = 12; // ... into at most this many rows (or columns), each as long as the map
const FOLD_GAP = 3; // pixels between folds
const MARK_PX = 6; // the least size of the mark of the part on screen
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

  /**
   * How the picture lies on the map: `s` map pixels per viewBox unit, the map's size `w` × `h`
   * in CSS pixels. A long picture (a chain) is folded like lines of text: its long side cut
   * into `folds` pieces of `piece` units, laid `band` pixels apart (`gap` of them between
   * pieces) across the map, so that
   * the part on screen is a mark one can see and aim at, not a dot on a hair-thin strip.
   */
  _geometry() {
    const b = this.view.base;
    const wide = b.w >= b.h;
    const [long, short] = wide ? [b.w, b.h] : [b.h, b.w];
    const folds = Math.max(1, Math.min(MAX_FOLDS, Math.floor(Math.sqrt(long / short / FOLD_ASPECT))));
    const s = (MAP_PX * folds) / long;
    const gap = folds > 1 ? FOLD_GAP : 0;
    const band = short * s + gap;
    const across = Math.max(24, Math.round(folds * band - gap));
    return { s, wide, folds, piece: long / folds, band, gap, w: wide ? MAP_PX : across, h: wide ? across : MAP_PX };
  }

  /** The map point [x, y] of the picture's point (x, y) in viewBox units, on fold `fold`
   *  (by default the one the point lies in). */
  _toMap(g, x, y, fold = null) {
    const b = this.view.base;
    const [along, across] = g.wide ? [x - b.x, y - b.y] : [y - b.y, x - b.x];
    const k = fold ?? Math.max(0, Math.min(g.folds - 1, Math.floor(along / g.piece)));
    const a = (along - k * g.piece) * g.s;
    const c = k * g.band + across * g.s;
    return g.wide ? [a, c] : [c, a];
  }

  /** The picture's point {x, y} in viewBox units under the map point (mx, my) (in a gap
   *  between folds: on the nearer one). */
  _fromMap(g, mx, my) {
    const b = this.view.base;
    const [a, c] = g.wide ? [mx, my] : [my, mx];
    const k = Math.max(0, Math.min(g.folds - 1, Math.floor((c + g.gap / 2) / g.band)));
    const along = k * g.piece + a / g.s;
    const across = Math.max(0, Math.min(g.wide ? b.h : b.w, (c - k * g.band) / g.s));
    return g.wide ? { x: b.x + along, y: b.y + across } : { x: b.x + across, y: b.y + along };
  }

  _draw() {
    const g = this._geometry();
    const { s, w, h } = g;
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
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const current = this.view.currentId;
    for (const box of this.boxes) {
      ctx.fillStyle = box.id === current ? style.getPropertyValue("--map-current")
        : box.input ? style.getPropertyValue("--map-input") : style.getPropertyValue("--map-node");
      const [x, y] = this._toMap(g, box.x, box.y);
      ctx.fillRect(x, y, Math.max(1, box.w * s), Math.max(1, box.h * s));
    }
    // The part on screen, on each fold it reaches, clipped to the map (a short graph is
    // shorter than the screen).
    const v = this.view.visible();
    const b = this.view.base;
    const [from, to] = g.wide ? [v.x - b.x, v.x + v.w - b.x] : [v.y - b.y, v.y + v.h - b.y];
    const first = Math.max(0, Math.floor(from / g.piece));
    const last = Math.min(g.folds - 1, Math.floor(to / g.piece));
    ctx.strokeStyle = style.getPropertyValue("--map-view");
    ctx.lineWidth = 2;
    for (let k = first; k <= last; k++) {
      const [x0, y0] = this._toMap(g, v.x, v.y, k);
      const [x1, y1] = this._toMap(g, v.x + v.w, v.y + v.h, k);
      const c0 = k * g.band; // the fold's band across the map
      const c1 = g.folds === 1 ? (g.wide ? h : w) : c0 + g.band - g.gap;
      const [cx0, cy0, cx1, cy1] = g.wide ? [0, c0, w, c1] : [c0, 0, c1, h];
      const left = Math.max(cx0 + 1, x0);
      const top = Math.max(cy0 + 1, y0);
      const right = Math.min(cx1 - 1, x1);
      const bottom = Math.min(cy1 - 1, y1);
      // Never smaller than MARK_PX each way, so a few nodes of a long chain still show.
      const mw = Math.max(MARK_PX, right - left);
      const mh = Math.max(MARK_PX, bottom - top);
      ctx.strokeRect((left + right - mw) / 2, (top + bottom - mh) / 2, mw, mh);
    }
  }

  /** Centre the picture on the point of the map under the pointer. */
  _moveTo(e) {
    const rect = this.canvas.getBoundingClientRect();
    this.view.center = this._fromMap(this._geometry(), e.clientX - rect.left, e.clientY - rect.top);
    this.view.layout();
  }
}
