"""The hostile-input sample: programs a user (or an attacker) may type, with the outcome due.

`data/hostile.tsv` is tab-separated with the header `category, input, expected`; each input
is written with backslash escapes (`\\n`, `\\t`, `\\u2212`, `\\x00`) so that one row is one
line. Outcomes:

- `ok`: builds, with every value and gradient finite;
- `nan-shown`: builds, NaN or an infinity shows in a value or gradient, and
  `graph.problems` says where;
- `error`: raises the package's own `AutodiffError` with a message, a line and a column;
- `any`: either of those, never another exception.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

HOSTILE_TSV = Path(__file__).parent / "data" / "hostile.tsv"

OUTCOMES = ("ok", "nan-shown", "error", "any")


def load_hostile(path: Path = HOSTILE_TSV) -> list[tuple[str, str, str]]:
    """Rows of (category, decoded source, expected outcome), in file order."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader)
        if header != ["category", "input", "expected"]:
            raise ValueError(f"{path.name}: unexpected header {header}")
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(row) != 3:
                raise ValueError(f"{path.name}:{number}: expected 3 columns, got {len(row)}")
            category, text, expected = row
            if expected not in OUTCOMES:
                raise ValueError(f"{path.name}:{number}: unknown outcome {expected!r}")
            rows.append((category, codecs.decode(text, "unicode_escape"), expected))
    return rows
