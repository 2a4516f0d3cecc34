// The embed's message protocol (window.postMessage): what a host page may ask, and what the
// embed tells it. Messages are plain JSON objects named "backprop:…"; anything of another
// shape is ignored, and nothing that arrives is ever evaluated. docs/embedding.md has the table.

export const THEMES = ["classic", "dark", "projector", "colourblind", "colorblind", "print"];

const MAX_STEP = 1_000_000;

const isStep = (v) => Number.isInteger(v) && v >= 0 && v <= MAX_STEP;
const isTheme = (v) => THEMES.includes(v);
const isFlag = (v) => v === true || v === false || v === 0 || v === 1;

/** Each command the host may send: its fields and their checks (all required but options'). */
const COMMANDS = {
  "backprop:hello": {},
  "backprop:step": { step: isStep },
  "backprop:next": {},
  "backprop:prev": {},
  "backprop:first": {},
  "backprop:last": {},
  "backprop:play": {},
  "backprop:pause": {},
  "backprop:options": { theme: isTheme, edge_labels: isFlag },
};

const OPTIONAL_FIELDS = new Set(["backprop:options"]);

/** What reveal.js sends every iframe of a slide as it is shown and hidden. */
const REVEAL_SIGNALS = new Set(["slide:start", "slide:stop"]);

/** What an H5P host page's resizer (h5p-resizer.js) sends a framed page: `ready` when it
 * starts, `hello` in answer to the frame's, `resizePrepared` in answer to `prepareResize`,
 * and `resize` when its own window changed size. */
const H5P_ACTIONS = new Set(["ready", "hello", "resizePrepared", "resize"]);

function isPlainObject(v) {
  return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * A message's data as a command — {type: "hello"}, {type: "step", step}, {type: "next"}, …,
 * {type: "options", theme?, edgeLabels?}, {type: "slide:start"}, {type: "slide:stop"} or an
 * H5P host's {type: "h5p:hello"} (and `h5p:ready`, `h5p:resizePrepared`, `h5p:resize`) — or
 * null for anything else.
 */
export function readMessage(data) {
  if (typeof data === "string") return REVEAL_SIGNALS.has(data) ? { type: data } : null;
  if (isPlainObject(data) && data.context === "h5p") {
    // H5P's resizer adds fields of its own (parentHeight): only the action is read.
    return typeof data.action === "string" && H5P_ACTIONS.has(data.action)
      ? { type: `h5p:${data.action}` } : null;
  }
  if (!isPlainObject(data) || typeof data.type !== "string") return null;
  if (!Object.hasOwn(COMMANDS, data.type)) return null;
  const fields = COMMANDS[data.type];
  const keys = Object.keys(data).filter((key) => key !== "type");
  if (keys.some((key) => !Object.hasOwn(fields, key) || !fields[key](data[key]))) return null;
  const given = keys.length;
  if (OPTIONAL_FIELDS.has(data.type) ? given === 0 : given !== Object.keys(fields).length) return null;
  const command = { type: data.type.slice("backprop:".length) };
  if ("step" in data) command.step = data.step;
  if ("theme" in data) command.theme = data.theme;
  if ("edge_labels" in data) command.edgeLabels = Boolean(data.edge_labels);
  return command;
}

/** Whether this page sits in a frame of another page (only then is there a host to tell). */
export function isFramed() {
  return window.parent !== window;
}

/** Tell the host page something: any origin may listen, and nothing secret is said. */
export function tellHost(message) {
  if (isFramed()) window.parent.postMessage(message, "*");
}

/**
 * Tell the host the height this page would like, in this protocol's form and in the one
 * Canvas (LTI) listens for, so a host can size the iframe to it (H5P hosts: `H5PResizer`).
 */
export function tellHostHeight(height) {
  tellHost({ type: "backprop:resize", height });
  tellHost(JSON.stringify({ subject: "lti.frameResize", height }));
}

/**
 * The framed side of H5P's resize handshake, as an H5P content page does it: say `hello`
 * until the host's resizer answers `hello`; then for each new height say `prepareResize`
 * (the host shrinks the frame to the present height and answers `resizePrepared`), then
 * `resize` with the height wanted. A host `resize` (its window changed) asks for the height
 * again.
 */
export class H5PResizer {
  /** height(): the height this page would like now. */
  constructor(height) {
    this.height = height;
    this.friendly = false; // the host's resizer answered `hello`
  }

  /** The wanted height changed (or the page is ready): start a resize, or greet the host. */
  changed() {
    if (!this.friendly) {
      this._send("hello");
      return;
    }
    this._send("prepareResize", { scrollHeight: this.height(), clientHeight: window.innerHeight });
  }

  /** A command read from the host: `h5p:ready`, `h5p:hello`, `h5p:resizePrepared`, `h5p:resize`. */
  receive(type) {
    if (type === "h5p:ready") this._send("hello");
    else if (type === "h5p:hello") {
      this.friendly = true;
      this.changed();
    } else if (type === "h5p:resizePrepared" && this.friendly) {
      this._send("resize", { scrollHeight: this.height() });
    } else if (type === "h5p:resize") this.changed();
  }

  _send(action, fields = {}) {
    tellHost({ context: "h5p", action, ...fields });
  }
}
