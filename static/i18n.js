// The page's words in its language: the server embeds the catalogue's messages for the
// scripts in <script id="messages"> (the same gettext catalogues as the server's texts).

let table = null;
let language = "en";
let pluralOrder = ["one", "other"];

function load(doc = globalThis.document) {
  table = {};
  const node = doc && doc.getElementById("messages");
  if (!node) return;
  try {
    const data = JSON.parse(node.textContent || "{}");
    table = data.messages && typeof data.messages === "object" ? data.messages : {};
    if (typeof data.lang === "string") language = data.lang;
    if (Array.isArray(data.plural)) pluralOrder = data.plural;
  } catch {
    table = {};
  }
}

/** `message` in the page's language, with `{name}` fields filled from `params`. */
export function t(message, params = {}) {
  if (table === null) load();
  const found = table[message];
  return fill(typeof found === "string" && found ? found : message, params);
}

/** The form of a message for `n` things (Russian has three), `{n}` and `params` filled:
 *  `tn("{n} update", "{n} updates", 3)`. */
export function tn(singular, plural, n, params = {}) {
  if (table === null) load();
  const forms = table[singular];
  let text = n === 1 ? singular : plural;
  if (Array.isArray(forms) && forms.length) {
    const at = pluralOrder.indexOf(new Intl.PluralRules(language).select(n));
    text = forms[at >= 0 ? at : forms.length - 1];
  }
  return fill(text, { n, ...params });
}

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The page's language code (`en`, `it`, `es`, `ru`). */
export function pageLanguage() {
  if (table === null) load();
  return language;
}

/** The `lang` a link or request should carry: the page's language when the address names one
 *  or it is not the default (a shared link keeps the language it was read in), else null. */
export function languageParam(location = globalThis.location) {
  const lang = pageLanguage();
  const named = location && new URLSearchParams(location.search).has("lang");
  return named || lang !== "en" ? lang : null;
}
