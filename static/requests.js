// The request loop: ask the server for the graph after a pause in typing, mark the panel busy
// when an answer is slow, and ask again in full when the server kept no picture for us.

import { GraphError } from "./api.js";

export class RequestLoop {
  /**
   * client is a GraphClient; request() gives {src, dtype, edge_labels}; hasPicture() says
   * whether a picture is on screen; onAnswer(data, src) and onError(err) take the outcome;
   * busy is the element marked `.busy` once an answer takes longer than busyDelay ms.
   */
  constructor(client, { request, hasPicture, onAnswer, onError, busy, busyDelay }) {
    this.client = client;
    this.request = request;
    this.hasPicture = hasPicture;
    this.onAnswer = onAnswer;
    this.onError = onError;
    this.busy = busy;
    this.busyDelay = busyDelay;
    this.layoutKey = null; // key of the layout on screen: the server then omits its picture
    this.waitTimer = null;
    this.busyTimer = null;
  }

  /** Ask in `delay` ms, unless another change comes first (then wait again). */
  later(delay) {
    clearTimeout(this.waitTimer);
    this.waitTimer = setTimeout(() => this.now(), delay);
  }

  /** Ask now; the answer or the error goes to onAnswer / onError. */
  async now({ retried = false } = {}) {
    clearTimeout(this.waitTimer);
    const params = this.request();
    clearTimeout(this.busyTimer);
    this.busyTimer = setTimeout(() => this.busy.classList.add("busy"), this.busyDelay);
    let result;
    try {
      result = await this.client.fetch({ ...params, layout_key: this.layoutKey });
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      this._settle();
      this.onError(err);
      return;
    }
    if (!result) return; // a newer request took over
    const data = result.data;
    const layout = data.layout || {};
    const missing = !layout.svg && !data.layout_error
      && (layout.key !== this.layoutKey || !this.hasPicture());
    if (missing && !retried) {
      // The server kept the picture for a layout this page no longer shows: ask in full.
      this.layoutKey = null;
      this.now({ retried: true });
      return;
    }
    this._settle();
    this.onAnswer(data, params.src);
  }

  abort() {
    this.client.abort();
  }

  _settle() {
    clearTimeout(this.busyTimer);
    this.busy.classList.remove("busy");
  }
}
