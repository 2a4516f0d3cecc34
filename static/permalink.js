// Permalinks of any length: the program compressed into the address's fragment
// (`#z=<raw DEFLATE, base64url>&step=k`, never sent to the server), and short links kept on
// the server (`POST api/links` → `/s/<id>`).

import { shareQuery } from "./api.js";
import { isOn, parseStep } from "./boot.js";
import { languageParam, t } from "./i18n.js";
import { THEMES } from "./messages.js";

/** Longest program text a fragment may inflate to, in UTF-8 bytes (the server's bound too). */
const MAX_INFLATED_BYTES = 80000;

/** Base64url without padding, as the server's `z=` reads it. */
export function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error(t("the link's z= is not base64url text"));
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The bytes as a stream. Not a Blob's stream: a Blob's bytes are read back from the
 *  browser's process, slowly while the page starts, on the way to the graph's request. */
function streamOf(bytes) {
  return new Response(bytes).body;
}

/** The `z=` form of a program: its UTF-8 text through CompressionStream('deflate-raw'). */
export async function deflate(src) {
  const stream = streamOf(new TextEncoder().encode(src))
    .pipeThrough(new CompressionStream("deflate-raw"));
  return toBase64Url(new Uint8Array(await new Response(stream).arrayBuffer()));
}

/** The program a `z=` value holds; stops reading past the longest program (a small link
 *  that would inflate to gigabytes costs nothing). */
export async function inflate(z) {
  const stream = streamOf(fromBase64Url(z))
    .pipeThrough(new DecompressionStream("deflate-raw"));
  const reader = stream.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_INFLATED_BYTES) {
      reader.cancel();
      throw new Error(t("the link holds a program longer than the app takes"));
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** The fragment for a state (as `shareQuery` takes it): `z=...&step=k` and every option the
 *  query form would carry, the program compressed in place of `src`. */
export async function fragmentFor(state) {
  const q = new URLSearchParams({ z: await deflate(state.src) });
  for (const [key, value] of new URLSearchParams(shareQuery(state))) {
    if (key !== "src") q.set(key, value);
  }
  return q.toString();
}

/** The state a `#z=...` fragment holds, or null when the address has none; `query` has every
 *  option it carries, as the address's query would. */
export async function readFragment(hash = window.location.hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  if (!q.has("z")) return null;
  const src = await inflate(q.get("z"));
  q.delete("z");
  return {
    src,
    step: parseStep(q.get("step")) ?? 0,
    dtype: q.get("dtype") === "float32" ? "float32" : "float64",
    edgeLabels: isOn(q.get("edge_labels")),
    query: q,
  };
}

/** Start-up settings with a fragment's program and options over the server's and the query's
 *  (`?src=` links still open as before). A broken fragment is reported and left out. */
export async function withFragment(start) {
  const query = new URLSearchParams(start.query);
  try {
    const opened = await readFragment();
    if (!opened) return { ...start, query };
    for (const [key, value] of opened.query) query.set(key, value);
    return { ...start, ...opened, boot: lookFrom(opened.query, start.boot), query, fromFragment: true };
  } catch (err) {
    console.warn(`This link's program could not be read: ${err.message}`);
    return { ...start, query, brokenFragment: err.message };
  }
}

/** The boot JSON with the look a fragment carries (theme, direction, text size, graph only):
 *  the server never sees a fragment, so it could not put them there itself. */
function lookFrom(q, boot) {
  const look = { ...boot };
  if (THEMES.includes(q.get("theme"))) look.theme = q.get("theme");
  if (["lr", "tb"].includes(q.get("direction"))) look.direction = q.get("direction");
  if (q.has("font")) look.font = Number.parseInt(q.get("font"), 10);
  if (q.has("graph_only")) look.graph_only = isOn(q.get("graph_only"));
  return look;
}

/** The app's root address (pages under /s/ and /embed/ set <base> to it). */
export function appRoot() {
  return new URL("./", document.baseURI);
}

/** The page's address for a state, program in the fragment. */
export async function pageUrlFor(state) {
  const url = appRoot();
  const lang = languageParam();
  if (lang) url.searchParams.set("lang", lang); // the server renders the page in it
  const fragment = new URLSearchParams(await fragmentFor(state));
  fragment.delete("lang"); // in the query already: the server never sees a fragment
  url.hash = fragment.toString();
  return url.toString();
}

/** A link's address typed or pasted over the current one changes only the fragment: open it. */
export function reopenOnNewFragment() {
  window.addEventListener("hashchange", () => window.location.reload());
}

/** Longest query the page puts after `qr?`; a longer view (the program compressed) is stored
 *  first and asked for by its id: a request line has a limit (gunicorn's is 8,190 bytes). */
const MAX_QR_QUERY = 4000;

/** The address of the QR code (`qr?...`) of a state; the server encodes the view's own
 *  address when it makes a small code, else its short link. */
export async function qrAddress(state) {
  const frame = await fragmentFor(state);
  if (frame.length <= MAX_QR_QUERY) return new URL(`qr?${frame}`, appRoot()).toString();
  const short = new URL(await storeLink(state));
  const id = short.pathname.split("/").pop();
  return new URL(`qr?id=${encodeURIComponent(id)}`, appRoot()).toString();
}

/** Store a state on the server: its short link's full address. Throws an Error with the
 *  server's message (a 429 says how long to wait, a 503 that the store is unavailable). */
export async function storeLink(state) {
  // The server keeps the options a link has (step, theme, mode, dtype, ...) and no others.
  const body = Object.fromEntries(new URLSearchParams(shareQuery(state)));
  let response;
  try {
    response = await fetch(new URL("api/links", appRoot()), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error(t("The server could not be reached."));
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!response.ok || !answer || typeof answer.id !== "string") {
    const message = answer && answer.error && answer.error.message;
    throw new Error(message || t("The server answered {status}.", { status: response.status }));
  }
  const link = new URL(`s/${encodeURIComponent(answer.id)}`, appRoot());
  const lang = languageParam();
  if (lang) link.searchParams.set("lang", lang); // the link opens in the language it was made in
  return link.toString();
}
