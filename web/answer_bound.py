"""An upper bound on the bytes of a program's `/api/graph` JSON, from its evaluated trace alone:
every value's shape and name and who uses whom are known once the program is evaluated, and
the answer is made of those (`encode.graph_json`). Checked before reverse mode, the step
texts and the encoding, so a program whose answer would be too large costs only its
evaluation. Each piece is bounded by its worst case; tests/test_answer_bound.py checks that
the bound is never below the real size and says how far above it is."""

from __future__ import annotations

import math
import re

import numpy as np

from autodiff.evaluate import Trace
from autodiff.graph import trace_labels
from autodiff.model import KIND_CONST, KIND_INPUT, KIND_OP
from autodiff.ops import OPS

NUMBER = 25
"""A float as orjson writes it, with its comma: `-2.2250738585072014e-308,` (NaN and the
infinities are shorter strings)."""
TRANSLATED = 3
"""Bytes of a template's words in any language, per byte of its English (Cyrillic takes
two bytes a letter, and a translation may be longer)."""
FIELDS = {"node": 420, "edge": 130, "step": 140, "contribution": 200, "problem": 120,
          "check_row": 260, "fixed": 2_000}
"""Keys, ids, flags and punctuation of each kind of item, generously counted."""
CHECK_ROWS = 64
"""Rows of the gradient check at most (`limits.MAX_GRADCHECK_ENTRIES`)."""
PROSE = 400
"""Bytes of any fixed sentence a text may add: the seed's, ` so far`, `(rounding)`, a reason
why a number is not finite, a problem's words."""


HOLE = re.compile(r"\{\w+\}")


def _literal(text: str) -> tuple[int, int]:
    """A template's bytes without its placeholders (in any language), and its placeholders."""
    return TRANSLATED * len(HOLE.sub("", text).encode()), len(HOLE.findall(text))


def _longest(texts) -> tuple[int, int]:
    found = [_literal(text) for text in texts] or [(0, 0)]
    return max(b for b, _ in found), max(h for _, h in found)


def _texts(op) -> tuple[tuple[int, int], tuple[tuple[int, int], ...], int]:
    """An op's forward template and gate line, its longest term per argument (its local
    derivative or vector-Jacobian text, ` · {g}` and a gradient name), both as `_literal`
    gives them, and the bytes its node's `formula` and `symbol` take. A def of the program is
    an op too, its formula the def's own text (not translated)."""
    terms = []
    for arg in range(op.arity):
        texts = [text[arg] for text in (op.local_text, op.vjp_text) if len(text) > arg]
        if op.name == "matmul":
            texts += ["{g} ⊗ {b}", "{a} ⊗ {g}", "{g} · {b}", "{a} · {g}"]
        size, holes = _longest(texts)
        terms.append((size, holes + 1))
    mine = OPS.get(op.name) is op
    words = len((op.formula + op.symbol + op.name).encode()) * (TRANSLATED if mine else 2)
    return _longest([op.expr, op.gate]), tuple(terms), words


TERM_EXTRA = 60
"""What a term adds to its template where broadcasting is summed back: ` · `, brackets,
`sum(..., axis=1, keepdims=True)` (else 8 bytes: ` · ` and brackets)."""
OP_TEXTS = {op.name: _longest([op.expr, op.gate]) for op in OPS.values()}
"""Per op, its forward text's template and its gate line."""


def _value_text(shape: tuple[int, ...]) -> int:
    """Bytes of a value in a text (`format.value`): 4 significant digits, a short list, or
    the shape (`⟨64×64⟩`)."""
    size = math.prod(shape)
    if not shape:
        return 13
    return 4 * 13 + 12 if size <= 4 else 8 * len(shape) + 8


def _display(shape: tuple[int, ...]) -> int:
    """Bytes of a value's display lines (`format.display_rows`): cells of 9 characters (11
    bytes at most: `…`, `-∞`), at most 5 by 5, quoted and separated."""
    rows = min(shape[0], 5) if len(shape) == 2 else 1
    cols = min(shape[-1], 5) if shape else 1
    return rows * (cols * 12 + 3) + 2


def answer_bound(trace: Trace, forward: bool = False) -> int:
    """Bytes the JSON answer of this trace's graph takes at most (`forward`: with forward
    mode's tangents and steps too)."""
    entries, parents = trace.entries, trace.parents
    labels = [len(label.encode()) + 3 for label in trace_labels(trace)]  # as ∇x, gx or ẋ
    widest = max(labels, default=8)
    shapes = [tuple(t.var.shape) for t in entries]
    values = [_value_text(s) for s in shapes]

    def array(i: int) -> int:
        shape = shapes[i]
        return NUMBER * math.prod(shape) + 2 * (shape[0] if len(shape) == 2 else 1) + 4

    terms: list[list[int]] = [[] for _ in entries]  # per value, its uses' terms' bytes
    ops: dict[int, tuple] = {}  # `_texts` per op met
    total = FIELDS["fixed"] + CHECK_ROWS * (FIELDS["check_row"] + widest)
    for i, t in enumerate(entries):
        total += FIELDS["node"] + 2 * labels[i] + 2 * array(i) + 2 * _display(shapes[i])
        if t.kind == KIND_INPUT:
            total += labels[i] + array(i)  # its gradient, by name
        if t.kind != KIND_OP:
            continue
        ps, op = parents[i], t.var.op
        if id(op) not in ops:
            ops[id(op)] = _texts(op)
        (text, holes), terms_of, words = ops[id(op)]
        total += words
        named = max(labels[p] for p in (i, *ps)) + 2  # a placeholder filled with a label
        hole = max([named, *(values[p] + 2 for p in ps)])  # ... or a number, bracketed
        # Its forward step (the expression with labels, then with numbers), its backward
        # step's gate line, and its edges with their local derivatives.
        total += 2 * FIELDS["step"] + 3 * (text + holes * hole) + labels[i] + values[i]
        total += PROSE + 2 * len(ps) * 12
        for arg, p in enumerate(ps):
            total += FIELDS["edge"] + array(p) + 16
            size, holes = terms_of[arg]
            extra = TERM_EXTRA if shapes[p] != shapes[i] else 8  # summed back, or ` · `, ()
            terms[p].append(size + holes * named + extra)
        if forward:  # its tangent, and the step that computes it (each argument's term)
            term = sum(terms_of[arg][0] + terms_of[arg][1] * hole + TERM_EXTRA + values[p]
                       for arg, p in enumerate(ps))
            total += array(i) + 2 * (FIELDS["contribution"] + 2 * labels[i] + 2 * term + PROSE)
    inputs_above = _inputs_above(trace)
    for i, t in enumerate(entries):
        uses = sorted(terms[i], reverse=True)
        if t.kind == KIND_CONST or not uses:
            continue
        # Its uses' contributions: the k-th writes the k terms and amounts so far (in the
        # contribution's text and again in its step's), and the new total.
        k = len(uses)
        each = [term + values[i] + 8 for term in uses]
        texts = sum((k - j) * size for j, size in enumerate(each))  # largest counted most
        texts += k * (labels[i] + 2 * values[i] + PROSE) + uses[0] + values[i] * 4
        total += k * (FIELDS["contribution"] + 2 * array(i) + _display(shapes[i])) + 2 * texts
        # At most one problem per slot (value, gradient): a line, and the inputs above.
        line = labels[i] + sum(each) + values[i] + PROSE
        total += 2 * (FIELDS["problem"] + line + PROSE + inputs_above[i])
    return total


def _inputs_above(trace: Trace) -> list[int]:
    """Per entry, the bytes of the names of the inputs it depends on, as a problem lists them."""
    entries, parents = trace.entries, trace.parents
    names = [len((t.name or "").encode()) + 3 for t in entries if t.kind == KIND_INPUT]
    if not names:
        return [0] * len(entries)
    weights = np.array(names[::-1], dtype=np.int64)  # bit k of a mask is input k
    width = (len(names) + 7) // 8
    above: list[int] = []
    out = []
    seen = 0
    for i, t in enumerate(entries):
        mask = 0
        for p in parents[i]:
            mask |= above[p]
        if t.kind == KIND_INPUT:
            mask |= 1 << seen
            seen += 1
        above.append(mask)
        bits = np.unpackbits(np.frombuffer(mask.to_bytes(width, "big"), np.uint8))
        out.append(int(bits[-len(names):] @ weights))
    return out
