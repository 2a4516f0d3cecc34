"""A program of exactly 20,000 characters (the longest the app takes) with a moderate graph."""

import random

from autodiff.limits import MAX_SOURCE_CHARS
from web.service import normalise

LINES = 100
NOISE = "abcdefghijklmnopqrstuvwxyz      "


def long_program() -> str:
    """A chain of `LINES` named activations, then comment lines of random letters up to the
    limit (little to compress: its fragment is longer than gunicorn's request line limit)."""
    body = ["layer_activation_0000 = 0.25"]
    for k in range(1, LINES):
        body.append(f"layer_activation_{k:04d} = sin(layer_activation_{k - 1:04d}) + 0.5")
    rng = random.Random(20)
    text = "\n".join(body)
    while len(text) < MAX_SOURCE_CHARS:
        text += "\n# " + "".join(rng.choice(NOISE) for _ in range(75)) + rng.choice(NOISE[:26])
    text = text[:MAX_SOURCE_CHARS - 1] + "z"
    assert normalise(text) == text  # as stored: no trailing blanks
    return text
