// The URL state: the address bar follows the program and step on screen, and links share it.
// The program travels compressed in the fragment (#z=...), so a link of any length works.

import { pageUrlFor } from "./permalink.js";

/** Whether the page was opened at a short link (`/s/<id>`). */
function onShortLink() {
  return /\/s\/[0-9A-Za-z]+$/.test(window.location.pathname);
}

export class AddressBar {
  /**
   * share() gives what a link shares now ({src, step, dtype, edgeLabels}); the address bar is
   * rewritten `delay` ms after the last change, so typing does not flood the history API.
   */
  constructor(share, delay) {
    this.share = share;
    this.delay = delay;
    this.timer = null;
    this.seq = 0;
    this.opened = null; // the address of the first state asked for: a short link stays until the state moves
  }

  /** This page's address for the current state (a promise: compressing is asynchronous). */
  pageUrl() {
    return pageUrlFor(this.share());
  }

  /** Keep the address bar on `/#z=...&step=k` (written shortly after the last change). */
  update() {
    // The state the page opened at is the one of the first call, not of the first write: a
    // step taken before that write is a move away from it.
    if (this.opened === null) this.opened = this.pageUrl();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.write(), this.delay);
  }

  async write() {
    const seq = ++this.seq;
    const [next, opened] = await Promise.all([this.pageUrl(), this.opened]);
    if (seq !== this.seq) return; // a later change is being written
    if (onShortLink() && next === opened) return;
    if (window.location.href !== next) {
      try {
        window.history.replaceState(null, "", next);
      } catch {
        // too many updates in a short time: the next change writes it
      }
    }
  }
}

/** Put text on the clipboard (falling back to a selected text area); whether it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const tmp = document.createElement("textarea");
    tmp.value = text;
    tmp.setAttribute("readonly", "");
    tmp.className = "offscreen";
    document.body.appendChild(tmp);
    tmp.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    tmp.remove();
    return ok;
  }
}
