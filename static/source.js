// Editing the program text: find and rewrite an input's number literal (`w1 = 2.0`).

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function lineStarts(src) {
  const starts = [0];
  for (let i = 0; i < src.length; i++) if (src[i] === "\n") starts.push(i + 1);
  return starts;
}

/**
 * Where the literal of `name = number` is: {start, end} offsets into src, or null when the
 * input is not a plain number literal. `line` (1-based) is where the parser saw it; when
 * missing or wrong, the first `name = number` statement anywhere is used.
 */
export function findLiteral(src, name, line = null) {
  const re = new RegExp(
    String.raw`(^|;)(\s*${escapeRegExp(name)}\s*=\s*)(${NUMBER})(?=\s*(?:$|;|#))`, "g");
  const starts = lineStarts(src);
  const search = (l) => {
    const begin = starts[l];
    const end = l + 1 < starts.length ? starts[l + 1] - 1 : src.length;
    const text = src.slice(begin, end);
    re.lastIndex = 0;
    const m = re.exec(text);
    if (!m) return null;
    const start = begin + m.index + m[1].length + m[2].length;
    return { start, end: start + m[3].length };
  };
  if (line && line >= 1 && line <= starts.length) {
    const hit = search(line - 1);
    if (hit) return hit;
  }
  for (let l = 0; l < starts.length; l++) {
    const hit = search(l);
    if (hit) return hit;
  }
  return null;
}

/** src with the literal of `name` replaced by `text`, or null if there is none. */
export function replaceLiteral(src, name, line, text) {
  const at = findLiteral(src, name, line);
  if (!at) return null;
  return src.slice(0, at.start) + text + src.slice(at.end);
}

/** Decimals that `step` needs (0.01 → 2). */
export function decimalsOf(step) {
  if (!(step > 0) || step >= 1) return 0;
  return Math.min(10, Math.ceil(-Math.log10(step) - 1e-9));
}

/** A number as a short literal: 2, -0.35, 1.5e-7 (never 0.30000000000000004). */
export function formatLiteral(x, decimals = null) {
  if (!Number.isFinite(x)) return "0";
  let text;
  if (decimals !== null) {
    text = x.toFixed(decimals);
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  } else {
    text = String(Number(x.toPrecision(12)));
  }
  if (text === "-0") text = "0";
  return text;
}

/** A slider range around a value: value ± max(5, 2·|value|), with a fine, round step. */
export function sliderRange(value) {
  const half = Math.max(5, 2 * Math.abs(value));
  const raw = (2 * half) / 1000;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) || raw;
  const round = (v) => Number((Math.round(v / step) * step).toFixed(decimalsOf(step)));
  return { min: round(value - half), max: round(value + half), step };
}
