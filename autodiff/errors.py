"""One error hierarchy for everything a user can get wrong; each carries line and column."""

from __future__ import annotations

from .i18n import _, translate


class AutodiffError(Exception):
    """A mistake in the user's program: a message plus a 1-based position where known.

    `message` is an English message id (marked `N_`), translated here into the current
    language, or a text `_()` has already made in it."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        message = translate(message)
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def at(self, line: int | None, col: int | None) -> AutodiffError:
        """Fill in the position if it is still unknown; return self for `raise err.at(...)`."""
        if self.line is None and line is not None:
            self.line, self.col = line, col
        return self

    def to_dict(self) -> dict:
        """The JSON body of a 400 answer."""
        return {"message": self.message, "line": self.line, "col": self.col}

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("line {line}, column {col}: {message}", line=self.line, col=self.col,
                 message=self.message)


class ParseError(AutodiffError):
    """The text is not a program of the language (syntax, or a construct it does not allow)."""


class EvaluationError(AutodiffError):
    """The program is well formed but cannot be evaluated (unknown name, bad call)."""


class ShapeError(EvaluationError):
    """Array shapes that do not fit the operation."""


class LimitError(AutodiffError):
    """The program is larger than the app will compute (see `autodiff.limits`)."""
