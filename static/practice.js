// Practice mode: the student finds each value and gradient; the server checks and reveals.
//
// The page starts from an answer that holds none of the numbers to find. Each step asks for
// its blanks; a right answer (or "Show the answer") brings the step's numbers back from the
// server, merged into the page's graph data so the usual stepper paints them.

import { startup } from "./boot.js";
import { GraphView } from "./graphview.js";
import { pageLanguage, t, tn } from "./i18n.js";
import { Stepper } from "./stepper.js";

const $ = (id) => document.getElementById(id);
const start = startup();
const query = start.query;

const session = {
  src: start.src,
  dtype: start.dtype,
  level: query.get("level") === "rules" ? "rules" : "values",
  given: query.get("given") === "values" ? "values" : "none",
  data: null,
  k: 0, // the step on screen: every step up to k is answered or shown
  solved: false, // whether step k + 1 is answered (Next is open)
  record: new Map(), // step -> {tries, right, shown}
};

const view = new GraphView($("graph"));
const stepper = new Stepper();

/** A POST of JSON to the app; resolves with the body, or throws Error(message). */
async function post(url, body) {
  let response;
  try {
    response = await fetch(new URL(url, document.baseURI), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ ...body, lang: pageLanguage() }),
      credentials: "same-origin",
    });
  } catch {
    throw new Error(t("The server could not be reached. Check the connection and try again."));
  }
  const payload = await response.json().catch(() => null);
  if (response.ok && payload && !payload.error) return payload;
  const e = payload && payload.error;
  const err = new Error(e && typeof e.message === "string" ? e.message : t("The server answered {status}.", { status: response.status }));
  err.line = e ? e.line : null;
  err.col = e ? e.col : null;
  throw err;
}

function common() {
  return { src: session.src, dtype: session.dtype };
}

async function load() {
  try {
    const data = await post("api/graph", {
      ...common(), mode: "practice", level: session.level, given: session.given,
    });
    session.data = data;
    view.setSvg(data.layout.svg);
    $("graph-msg").hidden = true;
    session.k = data.practice.first_step - 1;
    stepper.k = session.k;
    stepper.load(view.container, data);
    stepper.show(session.k);
    ask();
  } catch (err) {
    showError(err);
  }
}

// ---- the question of the next step ----------------------------------------------------

function question() {
  const data = session.data;
  return data && session.k < data.steps.length ? data.practice.questions[session.k] : null;
}

function ask() {
  const q = question();
  updateScore();
  if (!q) {
    finish();
    return;
  }
  session.solved = false;
  $("question-phase").textContent = q.kind === "seed" ? "backward · seed" : q.phase;
  $("question").dataset.phase = q.kind === "seed" ? "seed" : q.phase;
  $("question-title").textContent = titleOf(q);
  $("question-prompt").textContent = q.prompt;
  $("feedback").replaceChildren();
  $("step-text").hidden = true;
  $("next").disabled = true;
  $("check").disabled = false;
  $("show").disabled = false;
  $("blanks").replaceChildren(...q.blanks.map((blank, i) => blankField(blank, i)));
  const first = $("blanks").querySelector("input");
  if (first) first.focus({ preventScroll: true });
}

function titleOf(q) {
  const step = t("Step {k} of {n}", { k: q.step, n: session.data.steps.length });
  if (q.phase === "forward") return t("{step}: compute the value", { step });
  if (q.kind === "seed") return t("{step}: seed the backward pass", { step });
  return session.level === "rules"
    ? t("{step}: which local derivative does each input get?", { step })
    : t("{step}: each input gets upstream × local", { step });
}

function blankField(blank, i) {
  const row = document.createElement("div");
  row.className = "practice-blank";
  const label = document.createElement("label");
  label.className = "mono";
  label.textContent = blank.label;
  if (Array.isArray(blank.choices)) {
    const group = document.createElement("div");
    group.className = "practice-choices";
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", blank.label);
    blank.choices.forEach((choice, j) => {
      const option = document.createElement("label");
      option.className = "practice-choice mono";
      const input = document.createElement("input");
      input.type = "radio";
      input.name = `blank-${i}`;
      input.value = choice;
      input.dataset.blank = String(i);
      if (j === 0) input.required = true;
      option.append(input, document.createTextNode(` ${choice}`));
      group.appendChild(option);
    });
    row.append(label, group);
    return row;
  }
  const input = document.createElement("input");
  input.type = "text";
  input.inputMode = "decimal";
  input.className = "practice-input mono";
  input.id = `blank-${i}`;
  input.dataset.blank = String(i);
  input.placeholder = blank.shape.length ? t("a list such as [1, 2]") : t("a number");
  input.setAttribute("aria-describedby", "feedback");
  label.htmlFor = input.id;
  row.append(label, input);
  return row;
}

/** The answers typed or picked, one per blank (a list literal becomes a list). */
function answers() {
  const q = question();
  return q.blanks.map((blank, i) => {
    if (Array.isArray(blank.choices)) {
      const picked = $("blanks").querySelector(`input[name="blank-${i}"]:checked`);
      return picked ? picked.value : "";
    }
    const text = $(`blank-${i}`).value.trim();
    if (text.startsWith("[")) {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    return text;
  });
}

async function check(show) {
  const q = question();
  if (!q || session.solved) return;
  const record = session.record.get(q.step) || { tries: 0, right: false, shown: false };
  session.record.set(q.step, record);
  let verdict;
  try {
    verdict = await post("api/practice/check", {
      ...common(), step: q.step, level: session.level, answers: show ? [] : answers(), show,
    });
  } catch (err) {
    say([["wrong", err.message]]);
    return;
  }
  if (show) {
    record.shown = true;
  } else {
    record.tries += 1;
    record.right = verdict.all_correct;
  }
  if (verdict.reveal) {
    reveal(verdict.reveal);
    const words = show ? t("Here is the answer.") : record.tries === 1 ? t("Right!") : t("Right, now.");
    say([[show ? "shown" : "right", words]]);
    return;
  }
  say(q.blanks.map((blank, i) => verdict.correct[i]
    ? ["right", t("{name} right", { name: blank.label })]
    : ["wrong", t("{name} not yet: {hint}", { name: blank.label, hint: verdict.hints[i] })]));
  updateScore();
}

function say(lines) {
  $("feedback").replaceChildren(...lines.map(([kind, text]) => {
    const p = document.createElement("p");
    p.className = `practice-${kind}`;
    p.textContent = text;
    return p;
  }));
}

/** Merge what the server revealed into the graph data; paint the step; open Next. */
function reveal(patch) {
  const data = session.data;
  data.steps[patch.step.index - 1] = patch.step;
  const nodes = new Map(data.nodes.map((n) => [n.id, n]));
  for (const [id, part] of Object.entries(patch.nodes || {})) {
    const node = nodes.get(id);
    if (!node) continue;
    const { display, ...rest } = part;
    Object.assign(node, rest);
    Object.assign(node.display, display || {});
  }
  const edges = new Map(data.edges.map((e) => [e.id, e]));
  for (const [id, part] of Object.entries(patch.edges || {})) {
    if (edges.has(id)) Object.assign(edges.get(id), part);
  }
  if (patch.value !== undefined) data.value = patch.value;
  Object.assign(data.gradients, patch.gradients || {});
  session.solved = true;
  stepper.setData(data);
  stepper.show(patch.step.index);
  $("step-text").textContent = patch.step.text || "";
  $("step-text").hidden = false;
  $("check").disabled = true;
  $("show").disabled = true;
  $("next").disabled = false;
  $("next").focus({ preventScroll: true });
  updateScore();
}

function next() {
  if (!session.solved) return;
  session.k += 1;
  ask();
}

// ---- score and summary ----------------------------------------------------------------

function updateScore() {
  const records = [...session.record.values()];
  const right = records.filter((r) => r.right && !r.shown).length;
  const total = session.data ? session.data.steps.length - session.data.practice.first_step + 1 : 0;
  $("score").textContent = t("{n} right", { n: right });
  const done = Math.min(session.k, session.data ? session.data.steps.length : 0)
    - (session.data ? session.data.practice.first_step - 1 : 0);
  $("progress").textContent = t("{done} of {total} steps done", { done, total });
}

function finish() {
  const records = [...session.record.entries()];
  const first = records.filter(([, r]) => r.right && r.tries === 1 && !r.shown).length;
  const hard = records.filter(([, r]) => r.shown || r.tries > 1);
  $("question").hidden = true;
  $("summary").hidden = false;
  $("summary-line").textContent =
    t("{first} of {n} steps right at the first try; {hard} needed hints or the answer.",
      { first, n: records.length, hard: hard.length });
  $("summary-hard").replaceChildren(...hard.map(([step, r]) => {
    const li = document.createElement("li");
    const q = session.data.practice.questions[step - 1];
    li.textContent = t("step {k}", { k: step }) + `: ${q.prompt} — `
      + (r.shown ? t("shown") : tn("{n} try", "{n} tries", r.tries));
    return li;
  }));
  $("again").focus({ preventScroll: true });
  document.title = t("Practice done — Autodiff, step by step");
}

function showError(err) {
  $("graph-msg").hidden = false;
  $("graph-msg").textContent = t("The program could not run.");
  $("error-where").textContent = err.line ? t("line {line}, column {col}", { line: err.line, col: err.col ?? 1 }) : "";
  $("error-message").textContent = err.message;
  $("error").hidden = false;
}

// ---- keys and buttons -------------------------------------------------------------------

$("answer-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (session.solved) next();
  else check(false);
});
$("show").addEventListener("click", () => check(true));
$("next").addEventListener("click", () => next());
$("again").addEventListener("click", () => window.location.reload());
document.addEventListener("keydown", (e) => {
  if (e.key !== "ArrowRight" || !session.solved || e.altKey || e.ctrlKey || e.metaKey) return;
  e.preventDefault();
  next();
});

const explore = new URLSearchParams({ src: session.src });
if (session.dtype !== "float64") explore.set("dtype", session.dtype);
$("explore-link").href = `./?${explore}`;
document.title = t("Practice — Autodiff, step by step");
load();
