"""autodiff.errors: one hierarchy for user mistakes, each with its message and position."""

import pytest

import autodiff
from autodiff.errors import AutodiffError, EvaluationError, LimitError, ParseError, ShapeError


def test_every_user_mistake_is_an_autodiff_error():
    for kind in (ParseError, EvaluationError, ShapeError, LimitError):
        assert issubclass(kind, AutodiffError)
    assert issubclass(ShapeError, EvaluationError)


def test_an_error_reads_with_its_position_and_answers_as_json():
    err = EvaluationError("name 'w3' has no value", 3, 12)
    assert str(err) == "line 3, column 12: name 'w3' has no value"
    assert err.to_dict() == {"message": "name 'w3' has no value", "line": 3, "col": 12}
    assert str(EvaluationError("no position")) == "no position"
    assert EvaluationError("no position").to_dict()["line"] is None


def test_a_position_is_filled_in_once():
    err = ShapeError("shapes differ")
    assert err.at(2, 5) is err and (err.line, err.col) == (2, 5)
    err.at(9, 9)  # the innermost position, found first, is kept
    assert (err.line, err.col) == (2, 5)
    assert err.at(None, None).line == 2


@pytest.mark.parametrize("source, kind", [
    ("x = 2 +", ParseError), ("x = 2\nf = x ^ 2", ParseError),
    ("f = nope * 2", EvaluationError), ("a = [1, 2]\nf = sum(a @ [1, 2, 3])", ShapeError),
])
def test_the_engine_raises_the_kind_that_fits(source, kind):
    with pytest.raises(kind) as caught:
        autodiff.build(source)
    assert caught.value.line is not None and caught.value.col is not None
