"""Sizes beyond which a program is refused before any work is done."""

MAX_SOURCE_CHARS = 20_000
"""Characters of program text."""

MAX_DEPTH = 1_000
"""Nesting depth of the syntax tree (a 600-factor product is 600 deep)."""

MAX_NODES = 2_000
"""Values in the computation graph: inputs, constants and operations."""

MAX_ELEMENTS = 4_096
"""Elements of one array, broadcast results included (64 x 64)."""

MAX_TOTAL_ELEMENTS = 100_000
"""Elements of all the graph's values together (bounds memory and the JSON answer)."""

MAX_NDIM = 2
"""Arrays are scalars, vectors or matrices."""

MAX_GRADCHECK_ENTRIES = 64
"""Input elements checked against finite differences; beyond this the check is a sample."""

MAX_FORWARD_SWEEPS = 64
"""Elements of the input forward mode differentiates by: it sweeps the graph once per element."""

MAX_DESCENT_UPDATES = 500
"""Steps of gradient descent one request may ask for."""

MAX_DESCENT_WORK = 100_000
"""Updates times graph values: each update evaluates the whole program again."""
