"""Work kept from one program to the next, for the web service: off unless switched on.

While a slider moves or a number is typed, a program comes back with one line changed. With
reuse on, the parser keeps each line's syntax and conversion, and `evaluate` replays a kept
trace when only input numbers changed. Off by default, so `autodiff.build` is a pure
function of its arguments; `web/service.py` switches it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .lru import LRU

KNOWN_LINES = 1024
"""Lines kept parsed and converted (each at most `parser.KNOWN_LINE_CHARS` long)."""
KNOWN_TRACES = 16
"""Traces kept to be replayed: each holds at most `limits.MAX_TOTAL_ELEMENTS` numbers a few
times (values and local derivatives), mostly shared with the analyses the service keeps."""

line_syntax = LRU(KNOWN_LINES)
"""`parser`: Python's syntax nodes of a line, by its text and number (None: it does not
parse alone)."""
statements = LRU(KNOWN_LINES)
"""`parser`: (statement, values it counts) by (line text, line number, start and end
column)."""
traces = LRU(KNOWN_TRACES)
"""`evaluate`: a trace by its program's skeleton (`evaluate.skeleton`)."""

_on = False


def switch_on() -> None:
    """Keep work between programs from now on (the web service, once per process)."""
    global _on
    _on = True


def switch_off() -> None:
    """Keep nothing, and forget what is kept."""
    global _on
    _on = False
    clear()


@contextmanager
def switched_on() -> Iterator[None]:
    """Keep work between programs within a block (a notebook moving one input; tests)."""
    was = _on
    switch_on()
    try:
        yield
    finally:
        switch_on() if was else switch_off()


def is_on() -> bool:
    """Whether work is kept between programs."""
    return _on


def clear() -> None:
    """Forget every kept line and trace (as for programs never seen)."""
    for kept in (line_syntax, statements, traces):
        kept.clear()
