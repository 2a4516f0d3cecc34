"""How numbers read: short in explanations, fixed width in the graph's boxes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FIXED_WIDTH = 9
"""Characters a number takes in a node, whatever its value (so layouts never move)."""

ARRAY_INLINE_MAX = 4
"""Arrays with more elements are shown by shape in explanations."""


def number(x: float) -> str:
    """Four significant digits, as in the tutorials: 0.3466, -1.876, 6."""
    return _number(float(x))


def _number(x: float) -> str:
    if x - x == 0.0 and x:  # finite and not zero: the common case, at once
        text = f"{x:.4g}"
        if "e" not in text:
            return text
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return "0"


def fixed(x: float) -> str:
    """A number in at most FIXED_WIDTH characters, with as many digits as fit."""
    return _fixed(float(x))


@lru_cache(maxsize=8192)
def _fixed(x: float) -> str:
    # Between 1e-3 and 1e6 six significant digits fit (five after a minus sign), unless
    # rounding takes the number to an exponent, as 999999.5 does.
    if 1e-3 <= x < 1e6:
        text = f"{x:.6g}"
        if "e" not in text and len(text) <= FIXED_WIDTH:
            return text
    elif -1e6 < x <= -1e-3:
        text = f"{x:.5g}"
        if "e" not in text and len(text) <= FIXED_WIDTH:
            return text
    elif not math.isfinite(x) or x == 0:
        return _number(x)
    for digits in (2, 1, 0):  # -1.23e-100 is 10 characters: drop digits until it fits
        mantissa, exponent = f"{x:.{digits}e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
        if len(text) <= FIXED_WIDTH:
            break
    return text


def value(a: np.ndarray) -> str:
    """A value in an explanation: a number, a short list, or the shape of a larger array."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _number(a.item())
    if a.size <= ARRAY_INLINE_MAX:
        return _nested(a.tolist())
    return "⟨" + "×".join(str(n) for n in a.shape) + "⟩"


def shape_text(shape: tuple[int, ...]) -> str:
    """`3×2`, `3`, or `scalar`."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def _nested(items) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(i) for i in items) + "]"
    return number(items)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """Put values into a template, bracketing a negative one where it would read wrongly."""
    out = []
    for literal, key, needs_bracket in _pieces(template):
        out.append(literal)
        if key is not None:
            out.append(bracket(values[key]) if needs_bracket else values[key])
    return "".join(out)


def bracket(text: str) -> str:
    """A number's text as it reads after an operator: negatives in brackets."""
    return f"({text})" if text.startswith("-") else text


@lru_cache(maxsize=512)
def _pieces(template: str) -> tuple[tuple[str, str | None, bool], ...]:
    """A template split once: (text before, placeholder, whether a negative needs brackets)."""
    pieces = []
    start = 0
    for match in _PLACEHOLDER.finditer(template):
        before = template[: match.start()].rstrip()
        after = template[match.end():]
        bracket = bool(before and before[-1] not in "(,") or after.startswith(("**", "²", "ᵀ"))
        pieces.append((template[start:match.start()], match.group(1), bracket))
        start = match.end()
    pieces.append((template[start:], None, False))
    return tuple(pieces)


DISPLAY_MAX = 5
"""Rows or columns of an array shown in a node; larger arrays show the first few and `…`."""

COMPACT_WIDTH = 7
"""Characters a number takes in a node in the compact form."""
COMPACT_DIGITS = 3
"""Significant digits at most in the compact form."""
COMPACT_MAX = 4
"""Rows or columns of an array the compact form shows."""


@dataclass(frozen=True)
class NumberForm:
    """How a node's numbers are written: each element `width` characters, and arrays cut to
    `most` rows and columns."""

    width: int
    most: int

    def fixed(self, x: float) -> str:
        """One element, in at most `width` characters."""
        return fixed(x) if self is STANDARD else compact(x)


STANDARD = NumberForm(FIXED_WIDTH, DISPLAY_MAX)
"""As many digits as fit in 9 characters, arrays up to 5 × 5: a screen read up close."""
COMPACT = NumberForm(COMPACT_WIDTH, COMPACT_MAX)
"""Three significant digits, arrays up to 4 × 4: larger type in the same room (a projector)."""
FORMS = {"standard": STANDARD, "compact": COMPACT}
"""The number forms by name (a theme names its own)."""


def compact(x: float) -> str:
    """A number in at most COMPACT_WIDTH characters, with at most COMPACT_DIGITS significant
    digits: fewer where only fewer fit (-0.00123 is -0.0012)."""
    return _compact(float(x))


@lru_cache(maxsize=8192)
def _compact(x: float) -> str:
    if not math.isfinite(x) or x == 0:
        return _number(x)
    for digits in range(COMPACT_DIGITS, 0, -1):
        text = f"{x:.{digits}g}"
        if "e" in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}e{int(exponent)}"
        if len(text) <= COMPACT_WIDTH:
            return text
    return text  # -1e-100: an exponent of three digits and a sign, one character over


def display_rows(a: np.ndarray, form: NumberForm = STANDARD) -> list[str]:
    """A value as the lines a node shows, each element `form.width` wide so widths never change."""
    a = np.asarray(a)
    if a.ndim == 0:
        return [form.fixed(a)]
    matrix = a if a.ndim == 2 else a[np.newaxis, :]
    rows = _elide(list(range(matrix.shape[0])), form.most)
    cols = _elide(list(range(matrix.shape[1])), form.most)
    return [_display_row(matrix, r, cols, form) if r is not None else _ellipsis_row(cols, form)
            for r in rows]


def display_width(shape: tuple[int, ...], form: NumberForm = STANDARD) -> int:
    """Characters of the widest line `display_rows` gives for this shape."""
    if not shape:
        return form.width
    columns = min(shape[-1], form.most)
    return columns * (form.width + 1) - 1


def display_height(shape: tuple[int, ...], form: NumberForm = STANDARD) -> int:
    """Lines `display_rows` gives for this shape."""
    return min(shape[0], form.most) if len(shape) == 2 else 1


def _elide(indices: list[int], most: int) -> list[int | None]:
    if len(indices) <= most:
        return indices
    return indices[: most - 2] + [None, indices[-1]]


def _display_row(matrix: np.ndarray, r: int, cols: list[int | None], form: NumberForm) -> str:
    cells = [form.fixed(matrix[r, c]) if c is not None else "…" for c in cols]
    return " ".join(cell.rjust(form.width) for cell in cells)


def _ellipsis_row(cols: list[int | None], form: NumberForm) -> str:
    return " ".join("⋮".rjust(form.width) for _ in cols)
