// The URL state: the address bar follows the program and step on screen, and links share it.

import { shareQuery } from "./api.js";

export class AddressBar {
  /**
   * share() gives what a link shares now ({src, step, dtype, edgeLabels}); the address bar is
   * rewritten `delay` ms after the last change, so typing does not flood the history API.
   */
  constructor(share, delay) {
    this.share = share;
    this.delay = delay;
    this.timer = null;
  }

  /** This page's address for the current state. */
  pageUrl() {
    const u = new URL(window.location.href);
    u.search = shareQuery(this.share());
    u.hash = "";
    return u.toString();
  }

  /** Keep the address bar on `?src=...&step=k` (written shortly after the last change). */
  update() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const next = `?${shareQuery(this.share())}`;
      if (window.location.search !== next) {
        try {
          window.history.replaceState(null, "", next);
        } catch {
          // too many updates in a short time: the next change writes it
        }
      }
    }, this.delay);
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
