// Talking to /api/graph: one request in flight, stale ones aborted, late answers ignored.

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

export class GraphClient {
  constructor(url = "api/graph") {
    this.url = new URL(url, document.baseURI).toString();
    this.seq = 0;
    this.controller = null;
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
    let response;
    let payload = null;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
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
