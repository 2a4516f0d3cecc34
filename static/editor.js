// The program editor: a plain <textarea> with a line-number gutter and an error marker.

const TAB = 4;

export class Editor {
  /**
   * wrap contains: textarea[data-editor-text], [data-editor-gutter],
   * [data-editor-band] (the marked line) and [data-editor-caret] (the marked column).
   */
  constructor(wrap) {
    this.wrap = wrap;
    this.text = wrap.querySelector("[data-editor-text]");
    this.gutter = wrap.querySelector("[data-editor-gutter]");
    this.band = wrap.querySelector("[data-editor-band]");
    this.caret = wrap.querySelector("[data-editor-caret]");
    this.lineCount = 0;
    this.error = null;
    this._charWidth = 0;
    this.text.addEventListener("input", () => this.refresh());
    this.text.addEventListener("scroll", () => this._place());
    this.text.addEventListener("keydown", (e) => this._onKey(e));
    new ResizeObserver(() => this._place()).observe(this.text);
    this.refresh();
  }

  get value() {
    return this.text.value;
  }

  /** Replace the whole text (keeps the scroll position and, if focused, the caret). */
  set value(v) {
    if (v === this.text.value) return;
    // An empty text has no scroll or caret to keep, and reading them would lay out the page
    // (at start-up, before the first request leaves).
    const kept = this.text.value ? {
      start: this.text.selectionStart, end: this.text.selectionEnd,
      top: this.text.scrollTop, left: this.text.scrollLeft,
    } : null;
    this.text.value = v;
    if (kept) {
      if (document.activeElement === this.text) {
        this.text.setSelectionRange(Math.min(kept.start, v.length), Math.min(kept.end, v.length));
      }
      this.text.scrollTop = kept.top;
      this.text.scrollLeft = kept.left;
    }
    this.refresh();
  }

  onInput(callback) {
    this.text.addEventListener("input", () => callback(this.text.value));
  }

  /** Mark line/col (1-based); null clears the mark. */
  setError(line, col) {
    this.error = line ? { line, col: col || 1 } : null;
    this.refresh();
  }

  refresh() {
    const lines = this.text.value.split("\n").length;
    if (lines !== this.lineCount) {
      const frag = document.createDocumentFragment();
      for (let i = 1; i <= lines; i++) {
        const d = document.createElement("div");
        d.textContent = String(i);
        frag.appendChild(d);
      }
      this.gutter.replaceChildren(frag);
      this.lineCount = lines;
    }
    for (const d of this.gutter.querySelectorAll(".err-line")) d.classList.remove("err-line");
    this.text.classList.toggle("has-error", !!this.error);
    if (this.error && this.error.line <= lines) {
      const d = this.gutter.children[this.error.line - 1];
      if (d) d.classList.add("err-line");
    }
    this._placeSoon();
  }

  /** `_place` in the next frame, once however often asked: it reads the layout, which a
   * change of the text has just made stale (the frame lays it out anyway). */
  _placeSoon() {
    if (this._placing) return;
    this._placing = requestAnimationFrame(() => {
      this._placing = 0;
      this._place();
    });
  }

  _metrics() {
    const cs = getComputedStyle(this.text);
    const fontSize = parseFloat(cs.fontSize) || 16;
    const lh = parseFloat(cs.lineHeight) || fontSize * 1.5;
    if (!this._charWidth || this._font !== cs.font) {
      const ctx = document.createElement("canvas").getContext("2d");
      ctx.font = cs.font || `${fontSize}px monospace`;
      this._charWidth = ctx.measureText("0000000000").width / 10 || fontSize * 0.6;
      this._font = cs.font;
    }
    return {
      lh, cw: this._charWidth,
      top: parseFloat(cs.paddingTop) || 0, left: parseFloat(cs.paddingLeft) || 0,
    };
  }

  /** Columns on screen before character `col` of the line (tabs expanded). */
  _visualColumn(lineText, col) {
    let v = 0;
    for (let i = 0; i < Math.min(col - 1, lineText.length); i++) {
      v = lineText[i] === "\t" ? (Math.floor(v / TAB) + 1) * TAB : v + 1;
    }
    return v;
  }

  _place() {
    this.gutter.scrollTop = this.text.scrollTop;
    const err = this.error;
    if (!err || err.line > this.lineCount) {
      this.band.hidden = true;
      this.caret.hidden = true;
      return;
    }
    const m = this._metrics();
    const y = m.top + (err.line - 1) * m.lh - this.text.scrollTop;
    const lineText = this.text.value.split("\n")[err.line - 1] || "";
    const x = m.left + this._visualColumn(lineText, err.col) * m.cw - this.text.scrollLeft;
    this.band.hidden = false;
    this.band.style.transform = `translateY(${y}px)`;
    this.band.style.height = `${m.lh}px`;
    this.caret.hidden = false;
    this.caret.style.transform = `translate(${x}px, ${y}px)`;
    this.caret.style.width = `${Math.max(m.cw, 6)}px`;
    this.caret.style.height = `${m.lh}px`;
  }

  _onKey(e) {
    // Tab indents inside the editor; Escape leaves it so Tab moves focus on as usual.
    if (e.key === "Escape") {
      this.text.blur();
      return;
    }
    if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey
        && this.text.dataset.tabIndents === "1") {
      e.preventDefault();
      this.text.setRangeText("    ", this.text.selectionStart, this.text.selectionEnd, "end");
      this.refresh();
      this.text.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }
}
