// The look of the page: its theme (or the browser's colour scheme), the graph's direction,
// the text size and "graph only", each kept in the URL by the page's share query.

const DARK_QUERY = "(prefers-color-scheme: dark)";
const UPRIGHT_PHONE = "(max-width: 620px) and (orientation: portrait)";
export const FONT_SCALES = [75, 90, 100, 115, 130, 150, 175, 200];

export class Look {
  /**
   * boot: the page's boot JSON ({theme, direction, font, graph_only}, checked by the server);
   * onChange(what) runs after a change made here ("theme", "direction", "font", "graph").
   */
  constructor(boot, onChange, win = window) {
    this.chosen = typeof boot.theme === "string" && boot.theme ? boot.theme : null;
    this.chosenDirection = ["lr", "tb"].includes(boot.direction) ? boot.direction : null;
    this.upright = win.matchMedia ? win.matchMedia(UPRIGHT_PHONE) : null;
    this.upright?.addEventListener("change", () => {
      if (!this.chosenDirection) this._changed("direction");
    });
    this.font = FONT_SCALES.includes(boot.font) ? boot.font : 100;
    this.graphOnly = boot.graph_only === true;
    this.onChange = onChange;
    this.media = win.matchMedia ? win.matchMedia(DARK_QUERY) : null;
    this.media?.addEventListener("change", () => {
      if (!this.chosen) this._changed("theme");
    });
    this.apply();
  }

  /** The theme the page and its frames are drawn in now. */
  get theme() {
    return this.chosen || (this.media?.matches ? "dark" : "classic");
  }

  /** The graph's direction now: as chosen, else top to bottom on an upright phone. */
  get direction() {
    return this.chosenDirection || (this.upright?.matches ? "tb" : "lr");
  }

  /** Pick a theme by name, or null to follow the browser's colour scheme. */
  setTheme(name) {
    this.chosen = name || null;
    this._changed("theme");
  }

  setDirection(direction) {
    this.chosenDirection = direction === "tb" ? "tb" : "lr";
    this._changed("direction");
  }

  /** One step up (+1) or down (-1) the text sizes; whether it moved. */
  stepFont(by) {
    const i = FONT_SCALES.indexOf(this.font) + by;
    if (i < 0 || i >= FONT_SCALES.length) return false;
    this.font = FONT_SCALES[i];
    this._changed("font");
    return true;
  }

  setGraphOnly(on) {
    this.graphOnly = !!on;
    this._changed("graph");
  }

  /** What the URL keeps of the look (only what differs from the defaults). */
  query() {
    return {
      theme: this.chosen, direction: this.chosenDirection,
      font: this.font !== 100 ? this.font : null, graphOnly: this.graphOnly,
    };
  }

  /** Put the look on the page: the theme's custom properties, the text size, graph only. */
  apply(doc = document) {
    const root = doc.documentElement;
    root.dataset.theme = this.theme;
    root.style.setProperty("--font-zoom", String(this.font / 100));
    doc.body?.classList.toggle("graph-only", this.graphOnly);
  }

  _changed(what) {
    this.apply();
    this.onChange(what);
  }
}
