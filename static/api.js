// Talking to /api/graph: one request in flight, stale ones aborted, late answers ignored.

import { readBoot } from "./boot.js";
import { languageParam, pageLanguage, t } from "./i18n.js";

export class GraphError extends Error {
  constructor(message, line = null, col = null, status = 0) {
    super(message);
    this.line = line;
    this.col = col;
    this.status = status;
  }
}

/** View options a request passes on as they are, when set. */
const PASSED_ON = ["mode", "forward", "theme", "direction", "lr", "updates", "expand"];

/**
 * The URL of a preload in the page's head (`web/first_answer.py`) that asks for exactly
 * `body`, under a media query the browser matches; null when there is none. Its answer is
 * on its way already: a GET of that URL gets it. A short link's preload names the program
 * by its id: the one the page opened with (boot JSON).
 */
function preloaded(body, doc = document) {
  const { src, ...fields } = body;
  for (const link of doc.querySelectorAll('link[rel="preload"][as="fetch"]')) {
    if (link.media && !window.matchMedia(link.media).matches) continue;
    const query = new URL(link.href).searchParams;
    const program = query.has("id") ? readBoot(doc).src : query.get("src");
    const named = [...query.keys()].filter((k) => k !== "id" && k !== "src");
    if (program === src && named.length === Object.keys(fields).length
        && named.every((k) => query.get(k) === String(fields[k]))) {
      return link.href;
    }
  }
  return null;
}

export class GraphClient {
  constructor(url = "api/graph") {
    this.url = new URL(url, document.baseURI).toString();
    this.seq = 0;
    this.controller = null;
    this.first = true; // the first answer may be on its way already (preloaded)
  }

  /**
   * Ask for the graph of `params` ({src, dtype, edge_labels, layout_key} and PASSED_ON).
   * Resolves with {data} for a graph, rejects with GraphError for a user error (sent as a
   * 200 with {error}, see `errors=body`), another failed status or a network failure, and
   * resolves with null when a newer request has superseded this one.
   */
  async fetch(params) {
    const seq = ++this.seq;
    if (this.controller) this.controller.abort();
    const controller = new AbortController();
    this.controller = controller;
    const body = {
      src: params.src,
      dtype: params.dtype || "float64",
      edge_labels: params.edge_labels ? 1 : 0,
      // A typo answers 200 with {error}: Chrome logs every 400 as a failed resource.
      errors: "body",
    };
    if (params.layout_key) body.layout_key = params.layout_key;
    body.lang = pageLanguage();
    for (const key of PASSED_ON) {
      if (params[key]) body[key] = params[key];
    }
    const early = this.first ? preloaded(body) : null;
    this.first = false;
    let response;
    let payload = null;
    try {
      response = await fetch(early || this.url, {
        method: early ? "GET" : "POST",
        headers: early ? { Accept: "application/json" }
          : { "Content-Type": "application/json", Accept: "application/json" },
        body: early ? undefined : JSON.stringify(body),
        signal: controller.signal,
        credentials: "same-origin",
      });
      payload = await response.json().catch(() => null);
    } catch (err) {
      if (seq !== this.seq || controller.signal.aborted) return null;
      throw new GraphError(t("The server could not be reached. Check the connection and try again."));
    }
    if (seq !== this.seq) return null;
    this.controller = null;
    if (response.ok && payload && Array.isArray(payload.nodes)) return { data: payload };
    const e = payload && payload.error;
    if (e && typeof e.message === "string") {
      // A user error in a 200 body stands for the 400 other clients get.
      const status = response.ok ? 400 : response.status;
      throw new GraphError(e.message, e.line ?? null, e.col ?? null, status);
    }
    throw new GraphError(t("The server answered {status}.", { status: response.status }),
      null, null, response.status);
  }

  abort() {
    this.seq++;
    if (this.controller) this.controller.abort();
    this.controller = null;
  }
}

/** The address of a frame or page for a program: `${path}?src=...&step=k` (+ options). */
export function shareQuery({ src, step, dtype, edgeLabels, extra = {}, look = {} }) {
  const q = new URLSearchParams();
  q.set("src", src);
  if (step !== null && step !== undefined) q.set("step", String(step));
  if (dtype && dtype !== "float64") q.set("dtype", dtype);
  if (edgeLabels) q.set("edge_labels", "1");
  if (look.theme) q.set("theme", look.theme);
  if (look.direction) q.set("direction", look.direction);
  if (look.font) q.set("font", String(look.font));
  if (look.graphOnly) q.set("graph_only", "1");
  const lang = languageParam();
  if (lang) q.set("lang", lang);
  for (const [key, value] of Object.entries(extra)) q.set(key, value);
  return q.toString();
}
