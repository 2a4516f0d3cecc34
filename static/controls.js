// Step controls shared by the app and the embed: buttons, slider, counter, keys, play.

import { t } from "./i18n.js";
import { counterText, phaseAt } from "./stepper.js";

export const PLAY_INTERVAL_MS = 700;

const KEYLESS_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset", "color", "file"]);

/** Whether a key press belongs to a text field (or another widget that uses the keys). */
export function isTypingTarget(el) {
  if (!el || el === document.body || !el.tagName) return false;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === "INPUT") return !KEYLESS_INPUTS.has((el.type || "").toLowerCase());
  return tag === "TEXTAREA" || tag === "SELECT";
}

export class StepControls {
  /**
   * root holds buttons [data-step-action=first|prev|play|next|last], an
   * input[type=range][data-step-range] and an element [data-step-counter].
   * onStep(k) is called whenever the step changes.
   */
  constructor(root, onStep) {
    this.root = root;
    this.onStep = onStep;
    this.data = null;
    this.k = 0;
    this.n = 0;
    this.timer = null;
    this.buttons = {};
    for (const b of root.querySelectorAll("[data-step-action]")) {
      this.buttons[b.dataset.stepAction] = b;
      b.addEventListener("click", (e) => {
        this.act(b.dataset.stepAction);
        // After a mouse click, give the keys back to the page (Space = play, not "press again").
        if (e.detail > 0) b.blur();
      });
    }
    this.range = root.querySelector("[data-step-range]");
    this.counter = root.querySelector("[data-step-counter]");
    if (this.range) {
      this.range.addEventListener("input", () => {
        const k = Number(this.range.value);
        this.pause();
        this.go(k);
      });
    }
    this.update();
  }

  /** Keyboard: ← → Space Home End, except while typing in a field. */
  bindKeys(target = document) {
    target.addEventListener("keydown", (e) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      if (isTypingTarget(e.target)) return;
      const action = {
        ArrowRight: "next", ArrowLeft: "prev", Home: "first", End: "last", " ": "play",
      }[e.key];
      if (!action) return;
      // Space on a focused button presses that button; leave it to the browser.
      if (e.key === " " && e.target && e.target.closest
          && e.target.closest("button, a, summary, input, [role=tab]")) return;
      e.preventDefault();
      this.act(action);
    });
  }

  setData(data) {
    this.data = data;
    this.n = data && Array.isArray(data.steps) ? data.steps.length : 0;
    if (this.k > this.n) this.k = this.n;
    if (this.range) {
      this.range.max = String(this.n);
      this.range.disabled = !data;
    }
    this.update();
  }

  act(action) {
    switch (action) {
      case "first": this.pause(); this.go(0); break;
      case "prev": this.pause(); this.go(this.k - 1); break;
      case "next": this.pause(); this.go(this.k + 1); break;
      case "last": this.pause(); this.go(this.n); break;
      case "play": this.toggle(); break;
      default: break;
    }
  }

  go(k, { notify = true } = {}) {
    k = Math.max(0, Math.min(this.n, Math.round(Number(k) || 0)));
    const changed = k !== this.k;
    this.k = k;
    this.update();
    if (notify && (changed || k === 0)) this.onStep(k);
    return k;
  }

  get playing() {
    return this.timer !== null;
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    if (!this.data || this.n === 0) return;
    if (this.k >= this.n) this.go(0);
    this.timer = setInterval(() => {
      if (this.k >= this.n) {
        this.pause();
        return;
      }
      this.go(this.k + 1);
      if (this.k >= this.n) this.pause();
    }, PLAY_INTERVAL_MS);
    this.update();
  }

  pause() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.update();
  }

  update() {
    const { k, n } = this;
    const has = !!this.data;
    if (this.range) {
      if (this.range.value !== String(k)) this.range.value = String(k);
      this.range.setAttribute("aria-valuetext", counterText(this.data, k));
      this.range.style.setProperty("--fill", n ? `${(100 * k) / n}%` : "0%");
    }
    if (this.counter) {
      this.counter.textContent = has ? counterText(this.data, k) : "step 0 / 0 · start";
      this.counter.dataset.phase = phaseAt(this.data, k);
    }
    const b = this.buttons;
    if (b.first) b.first.disabled = !has || k === 0;
    if (b.prev) b.prev.disabled = !has || k === 0;
    if (b.next) b.next.disabled = !has || k >= n;
    if (b.last) b.last.disabled = !has || k >= n;
    if (b.play) {
      b.play.disabled = !has || n === 0;
      b.play.classList.toggle("playing", this.playing);
      b.play.setAttribute("aria-label", this.playing ? t("Pause") : t("Play"));
      b.play.title = this.playing ? t("Pause (Space)") : t("Play (Space)");
      b.play.setAttribute("aria-pressed", this.playing ? "true" : "false");
    }
  }
}
