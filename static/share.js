// The Share action: store the program on the server and show its short link, with a copy button.

import { copyText } from "./address.js";
import { t } from "./i18n.js";
import { storeLink } from "./permalink.js";

const STATUS_MS = 2500;

/**
 * Wire the Share button. `els`: {button, box, url, copy, status}; `share()` gives the state to
 * store ({src, step, dtype, edgeLabels}). Messages only ever reach the page as text.
 */
export function bindShare(els, share) {
  const say = (text, sticky = false) => {
    els.status.textContent = text;
    els.status.hidden = false;
    clearTimeout(els.status._timer);
    if (!sticky) els.status._timer = setTimeout(() => { els.status.hidden = true; }, STATUS_MS);
  };

  els.button.addEventListener("click", async () => {
    els.button.disabled = true;
    try {
      const url = await storeLink(share());
      els.url.value = url;
      els.box.hidden = false;
      els.url.focus();
      els.url.select();
      say(t("Short link ready"));
    } catch (err) {
      els.box.hidden = true;
      say(err.message, true);
    } finally {
      els.button.disabled = false;
    }
  });

  els.copy.addEventListener("click", async () => {
    const ok = await copyText(els.url.value);
    say(ok ? t("Short link copied") : t("Select the link and copy it"));
  });
}
