"""A program of exactly 20,000 characters (the longest the app takes) with a moderate graph."""

from autodiff.limits import MAX_SOURCE_CHARS

LINES = 300


def long_program() -> str:
    """A chain of `LINES` named activations, padded to the limit with a closing comment."""
    body = ["layer_activation_0000 = 0.25"]
    for k in range(1, LINES):
        body.append(f"layer_activation_{k:04d} = sin(layer_activation_{k - 1:04d}) + 0.5")
    text = "\n".join(body) + "\n# "
    return text + "x" * (MAX_SOURCE_CHARS - len(text))
