// What a page starts from: the server's boot JSON, then the address's query, then defaults.

const TRUE_WORDS = ["1", "true", "on", "yes", true, 1];

/** Options the scripts read from the query that a short link's boot JSON carries instead. */
const LINK_OPTIONS = ["mode", "forward", "theme", "direction", "lr", "updates", "level", "given", "lang", "expand"];

/** The JSON the server put in <script id="boot">, or {} when it is missing or unreadable. */
export function readBoot(doc = document) {
  const node = doc.getElementById("boot");
  try {
    const boot = node ? JSON.parse(node.textContent || "{}") : {};
    return boot && typeof boot === "object" ? boot : {};
  } catch {
    return {};
  }
}

/** A step from text or a number: a whole number ≥ 0, else null. */
export function parseStep(raw) {
  const k = Number.parseInt(raw, 10);
  return Number.isFinite(k) && k >= 0 ? k : null;
}

/** Whether an option's value (from the URL or the boot JSON) means "on". */
export function isOn(value) {
  return TRUE_WORDS.includes(value);
}

/**
 * The start-up settings both pages share: {boot, query, gallery, src, step, dtype, edgeLabels}.
 * The boot JSON wins over the query (a short link's options fill it in); the program falls back to the gallery's "reuse" example.
 */
export function startup(doc = document, location = window.location) {
  const boot = readBoot(doc);
  const query = new URLSearchParams(location.search);
  // A short link (`/s/<id>`) has no query: its options come in the boot JSON.
  for (const key of LINK_OPTIONS) {
    if (!query.has(key) && typeof boot[key] === "string") query.set(key, boot[key]);
  }
  const gallery = Array.isArray(boot.gallery) ? boot.gallery : [];
  const example = gallery.find((e) => e.slug === "reuse") || gallery[0];
  let src = example ? example.source : "";
  if (typeof boot.src === "string") src = boot.src;
  else if (typeof boot.initial_src === "string") src = boot.initial_src;
  else if (query.has("src")) src = query.get("src");
  return {
    boot,
    query,
    gallery,
    src,
    step: parseStep(boot.step ?? boot.initial_step ?? query.get("step")) ?? 0,
    dtype: (boot.dtype ?? query.get("dtype")) === "float32" ? "float32" : "float64",
    edgeLabels: isOn(boot.edge_labels ?? query.get("edge_labels")),
  };
}
