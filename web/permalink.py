"""The compressed form of a program that permalinks carry: `z=` is the program's UTF-8 text,
compressed with raw DEFLATE (the browser's CompressionStream('deflate-raw')), in base64url."""

from __future__ import annotations

import base64
import binascii
import zlib

from autodiff.errors import EvaluationError
from autodiff.i18n import N_, _
from autodiff.limits import MAX_SOURCE_CHARS

MAX_INFLATED_BYTES = 4 * MAX_SOURCE_CHARS
"""A program of the longest length in UTF-8 (4 bytes a character at most): inflating stops
here, so a small `z` that would inflate to gigabytes costs nothing."""

RAW_DEFLATE = -15
"""zlib's window-bits value for DEFLATE without a zlib or gzip header."""


def deflate(source: str) -> str:
    """The `z=` form of a program (the page makes the same with CompressionStream)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, RAW_DEFLATE)
    data = packer.compress(source.encode("utf-8")) + packer.flush()
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def inflate(z: str) -> str:
    """The program a `z=` value holds; EvaluationError (a 400) saying what is wrong with it."""
    try:
        data = base64.b64decode(z + "=" * (-len(z) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise EvaluationError(N_("z is not base64url text (A-Z a-z 0-9 - _)")) from None
    unpacker = zlib.decompressobj(RAW_DEFLATE)
    try:
        text = unpacker.decompress(data, MAX_INFLATED_BYTES + 1)
    except zlib.error:
        raise EvaluationError(N_("z is not a compressed program (raw DEFLATE)")) from None
    if len(text) > MAX_INFLATED_BYTES:
        raise EvaluationError(
            _("z holds a program longer than {limit} characters", limit=f"{MAX_SOURCE_CHARS:,}"))
    if not unpacker.eof:
        raise EvaluationError(N_("z is cut short: copy the whole link"))
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError:
        raise EvaluationError(N_("z does not hold UTF-8 text")) from None
