"""Practice mode on the web: an answer that gives nothing away, and checks that reveal a step.

The page of a practice session fetches the graph without the numbers a student is to find
(values of operations, gradients, local derivatives, step texts, the gradient check) and a
first frame that shows only the inputs. Each step's numbers come back from the server only
once the student has answered it right, or asked to see it.
"""

from __future__ import annotations

from autodiff import practice
from autodiff.draw import get_layout, render_frame
from autodiff.errors import EvaluationError, LimitError
from autodiff.i18n import N_, _
from autodiff.model import KIND_OP, Graph

from .encode import graph_json
from .service import Options, analyse, encode

MAX_PRACTICE_NODES = 300
"""Values a practice graph may have: a lesson, not a network (each check encodes it again)."""
HIDDEN = "?"
"""What a number the student has not found yet reads as in the answer."""


def practice_answer(source: str, options: Options, given_values: bool, level: str) -> bytes:
    """The `/api/graph?mode=practice` JSON: the graph with the numbers to find left out."""
    graph = _graph(source, options)
    body = graph_json(graph, check=False)
    forward_steps = graph.forward_steps if given_values else 0
    full = graph_json(graph, check=False)
    body = _redacted(body, graph)
    for k in range(1, forward_steps + 1):  # forward values given: revealed from the start
        _apply(body, reveal(graph, k, full))
    body["practice"] = {
        "level": level,
        "given": "values" if given_values else "none",
        "first_step": forward_steps + 1,
        "questions": [_question(graph, k, level) for k in range(1, len(graph.steps) + 1)],
    }
    layout = get_layout(graph, edge_labels=options.edge_labels)
    body["layout"] = {"key": layout.key, "svg": render_frame(layout, graph, 0)}
    return encode(body)


def check_answer(source: str, options: Options, step: int, answers: list, level: str,
                 show: bool) -> dict:
    """Whether a step's answers are right, with hints; its numbers once right or shown."""
    graph = _graph(source, options)
    if level not in practice.LEVELS:
        raise EvaluationError(_("{name} must be one of {allowed}", name="level", allowed=", ".join(practice.LEVELS)))
    if show:
        verdict = None
    else:
        verdict = practice.check(graph, step, answers, level)
    found = {"step": step}
    if verdict is not None:
        found.update(correct=list(verdict.correct), hints=list(verdict.hints),
                     all_correct=verdict.all_correct)
    if verdict is None or verdict.all_correct:
        found["reveal"] = reveal(graph, step)
    return found


def reveal(graph: Graph, step: int, full: dict | None = None) -> dict:
    """What step `step` makes known: its text and contributions, the value it computes (with
    the local derivatives of its edges), or the gradients it completes. `full` is the graph's
    whole JSON when the caller has it."""
    full = full or graph_json(graph, check=False)
    s = full["steps"][step - 1]
    patch: dict = {"step": s, "nodes": {}, "edges": {}}
    node = next(n for n in full["nodes"] if n["id"] == s["node"])
    if s["phase"] == "forward":
        patch["nodes"][node["id"]] = _value_part(node)
        for edge_id in s["edges"]:
            edge = next(e for e in full["edges"] if e["id"] == edge_id)
            patch["edges"][edge_id] = {"local": edge["local"], "local_display": edge["local_display"]}
    elif s["kind"] == "seed":
        patch["nodes"][node["id"]] = _grad_part(node)
        patch["value"] = full["value"]
    for c in s["contributions"]:
        if c["final"]:
            target = next(n for n in full["nodes"] if n["id"] == c["target"])
            patch["nodes"][target["id"]] = _grad_part(target)
            if target["name"] in full["gradients"] and target["kind"] == "input":
                patch.setdefault("gradients", {})[target["name"]] = full["gradients"][target["name"]]
    return patch


def _graph(source: str, options: Options) -> Graph:
    if options.forward:
        raise EvaluationError(N_("practice mode is for reverse mode: leave out forward="))
    graph = analyse(source, options).graph
    if len(graph.nodes) > MAX_PRACTICE_NODES:
        raise LimitError(_("practice mode takes programs of at most {limit} values; this one "
                           "has {n}", limit=MAX_PRACTICE_NODES, n=len(graph.nodes)))
    return graph


def _redacted(body: dict, graph: Graph) -> dict:
    """The answer without any number a student is asked for."""
    for key in ("check", "problems", "forward_mode"):
        body.pop(key, None)
    body["value"] = HIDDEN
    body["gradients"] = {}
    for node, shown in zip(graph.nodes, body["nodes"]):
        if node.kind == KIND_OP:
            shown.update(value=HIDDEN, value_finite=True)
            shown["display"]["value"] = [HIDDEN] * len(shown["display"]["value"])
        shown.update(grad=None, grad_finite=True)
        shown["display"]["grad"] = None
    for edge in body["edges"]:
        edge.update(local=None, local_display=HIDDEN)
    body["steps"] = [_question_step(s) for s in body["steps"]]
    return body


def _question_step(s: dict) -> dict:
    """A step as the student first sees it: where it is, not what it computes."""
    return {**s, "text": None, "contributions": [
        {"edge": c["edge"], "target": c["target"], "count": c["count"], "final": c["final"],
         "amount": None, "total": None, "total_display": None, "text": None}
        for c in s["contributions"]]}


def _question(graph: Graph, step: int, level: str) -> dict:
    """What a step asks: its blanks by label and shape (and the rules to pick from)."""
    blanks = []
    for i, ask in enumerate(practice.asks(graph, step)):
        blank = {"label": ask.label, "shape": list(ask.shape)}
        if level == "rules" and ask.rule is not None:
            blank["choices"] = list(practice.choices(graph, step, i))
        blanks.append(blank)
    s = graph.steps[step - 1]
    return {"step": step, "phase": s.phase, "kind": s.kind,
            "prompt": practice.prompt(graph, step), "blanks": blanks}


def _apply(body: dict, patch: dict) -> None:
    """Merge what a step reveals into an answer (as the page does with each check)."""
    body["steps"][patch["step"]["index"] - 1] = patch["step"]
    nodes = {n["id"]: n for n in body["nodes"]}
    for node_id, part in patch["nodes"].items():
        display = part.pop("display", {})
        nodes[node_id].update(part)
        nodes[node_id]["display"].update(display)
    edges = {e["id"]: e for e in body["edges"]}
    for edge_id, part in patch["edges"].items():
        edges[edge_id].update(part)


def _value_part(node: dict) -> dict:
    return {"value": node["value"], "value_finite": node["value_finite"],
            "display": {"value": node["display"]["value"]}}


def _grad_part(node: dict) -> dict:
    return {"grad": node["grad"], "grad_finite": node["grad_finite"],
            "display": {"grad": node["display"]["grad"]}}
