// reveal.js plugin for the autodiff embed (served at /plugins/reveal-backprop.js).
//
// A slide holding <iframe data-backprop data-src=".../embed?src=..."> gets one fragment per
// step of the graph (step k has data-fragment-index k), so the deck's own keys and a clicker
// step through the graph, both ways, and then move on. When the audience clicks into the
// iframe it steps by itself; the fragments follow it, and at its first and last step (and
// for PageDown, PageUp, Esc) it hands the key back to the deck.
//
//   import RevealBackprop from "https://APP/plugins/reveal-backprop.js";
//   Reveal.initialize({ plugins: [RevealBackprop] });

const PREFIX = "backprop:";

/** reveal.js key codes for the keys the embed hands back. */
const KEY_CODES = { PageDown: 34, PageUp: 33, Escape: 27, ArrowUp: 38, ArrowDown: 40 };

const isCount = (v) => Number.isInteger(v) && v >= 0 && v <= 1_000_000;

function isPlainObject(v) {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

/** The embed's message as {type, ...} when its shape is one the embed sends, else null. */
function readEmbedMessage(data) {
  if (!isPlainObject(data) || typeof data.type !== "string" || !data.type.startsWith(PREFIX)) {
    return null;
  }
  const type = data.type.slice(PREFIX.length);
  switch (type) {
    case "ready":
    case "stepped":
      return isCount(data.step) && isCount(data.total) ? { type, step: data.step, total: data.total } : null;
    case "boundary":
      return data.direction === "next" || data.direction === "prev"
        ? { type, direction: data.direction } : null;
    case "key":
      return Object.hasOwn(KEY_CODES, data.key) ? { type, key: data.key } : null;
    default:
      return null;
  }
}

/** One embedded graph on a slide: its iframe and the fragments that stand for its steps. */
class EmbeddedGraph {
  constructor(deck, iframe) {
    this.deck = deck;
    this.iframe = iframe;
    this.slide = iframe.closest("section");
    this.holder = null; // the hidden element holding the fragments
    this.ready = false;
    this.step = 0; // the step the embed shows, as far as the deck knows
  }

  get fragments() {
    return this.holder ? [...this.holder.children] : [];
  }

  /** The step the fragments stand for: how many of them are shown. */
  fragmentStep() {
    return this.fragments.filter((f) => f.classList.contains("visible")).length;
  }

  /** One fragment per step, 1..total (built again if the number of steps changed). */
  setTotal(total) {
    if (this.fragments.length === total) return;
    if (!this.holder) {
      this.holder = document.createElement("div");
      this.holder.className = "backprop-steps";
      this.holder.hidden = true;
      this.holder.setAttribute("aria-hidden", "true");
      this.iframe.after(this.holder);
    }
    const fragments = [];
    for (let k = 1; k <= total; k++) {
      const f = document.createElement("span");
      f.className = "fragment";
      f.dataset.fragmentIndex = String(k);
      f.dataset.backpropStep = String(k);
      fragments.push(f);
    }
    this.holder.replaceChildren(...fragments);
    this.deck.syncFragments(this.slide);
  }

  isCurrent() {
    return this.slide === this.deck.getCurrentSlide();
  }

  send(message) {
    const target = this.iframe.contentWindow;
    const origin = originOf(this.iframe.getAttribute("src"));
    if (target && origin) target.postMessage(message, origin);
  }

  /** Make the embed show what the fragments say (on the current slide only). */
  pushStep() {
    if (!this.ready || !this.isCurrent()) return;
    const k = this.fragmentStep();
    if (k === this.step) return;
    this.step = k;
    this.send({ type: `${PREFIX}step`, step: k });
  }

  /** The embed moved by itself (it had the keys): move the fragments to match. */
  followEmbed(k) {
    this.step = k;
    if (!this.isCurrent() || this.fragmentStep() === k) return;
    const fragments = this.fragments;
    const first = Number(fragments[0].dataset.fragmentIndex);
    const index = k === 0 ? first - 1 : Number(fragments[k - 1].dataset.fragmentIndex);
    this.deck.navigateFragment(index);
  }

  /** Give the keys back to the deck (the iframe may hold them since a click). */
  releaseFocus() {
    if (document.activeElement === this.iframe) this.iframe.blur();
    window.focus();
  }

  receive(message) {
    switch (message.type) {
      case "ready":
        this.ready = true;
        this.step = message.step;
        this.setTotal(message.total);
        if (this.isCurrent()) this.deck.navigateFragment(this.fragmentStep() - 1);
        this.pushStep();
        break;
      case "stepped":
        this.followEmbed(message.step);
        break;
      case "boundary":
        this.releaseFocus();
        if (message.direction === "next") this.deck.next();
        else this.deck.prev();
        break;
      case "key":
        this.releaseFocus();
        this.deck.triggerKey(KEY_CODES[message.key]);
        break;
      default:
        break;
    }
  }
}

function originOf(url) {
  try {
    return url ? new URL(url, window.location.href).origin : null;
  } catch {
    return null;
  }
}

function init(deck) {
  const graphs = [...deck.getSlidesElement().querySelectorAll("iframe[data-backprop]")]
    .map((iframe) => {
      // Loaded with the slides near the current one, so the steps are known on arrival.
      if (!iframe.hasAttribute("data-preload")) iframe.setAttribute("data-preload", "");
      // Registered late (Reveal.registerPlugin): load again to hear its `ready`.
      const src = iframe.getAttribute("src");
      if (src) iframe.setAttribute("src", src);
      return new EmbeddedGraph(deck, iframe);
    });

  window.addEventListener("message", (event) => {
    const graph = graphs.find((g) => g.iframe.contentWindow === event.source);
    if (!graph || event.origin !== originOf(graph.iframe.getAttribute("src"))) return;
    const message = readEmbedMessage(event.data);
    if (message) graph.receive(message);
  });

  const pushAll = () => {
    for (const graph of graphs) graph.pushStep();
  };
  for (const type of ["ready", "slidechanged", "fragmentshown", "fragmenthidden", "overviewhidden"]) {
    deck.on(type, pushAll);
  }
}

export default { id: "backprop", init };
