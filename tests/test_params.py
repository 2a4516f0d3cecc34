"""web.params: a request's query and body as the library's arguments, checked."""

import pytest

from autodiff.errors import EvaluationError
from web.params import descent, errors_in_body, mode, options, params, source
from web.service import Options


def test_a_json_body_overrides_the_query_and_its_scalars_become_text(app):
    body = {"src": "x = 1", "step": 3, "edge_labels": True, "list": [1], "none": None}
    with app.test_request_context("/api/graph?src=old&dtype=float32", method="POST", json=body):
        assert params() == {"src": "x = 1", "dtype": "float32", "step": "3",
                            "edge_labels": "true"}


def test_a_form_body_works_as_a_json_one(app):
    with app.test_request_context("/api/graph", method="POST", data={"src": "y = 2"}):
        assert params() == {"src": "y = 2"}


@pytest.mark.parametrize("body, message", [
    ([1, 2], 'the request body must be a JSON object such as {"src": ...}'),
    ({"src": 5}, '"src" must be a string, such as "src": "..."'),
    ({"src": "x = 1", "dtype": 64}, '"dtype" must be a string'),
])
def test_json_bodies_that_are_not_what_they_should_be(app, body, message):
    with app.test_request_context("/api/graph", method="POST", json=body):
        with pytest.raises(EvaluationError, match=message.replace("{", r"\{").replace("(", r"\(")):
            params()


def test_options_default_and_checked():
    assert options({}) == Options()
    got = options({"dtype": "float32", "edge_labels": "on", "forward": "w1", "direction": "tb"})
    assert (got.dtype, got.edge_labels, got.forward, got.direction) == (
        "float32", True, "w1", "tb")
    assert options({"edge_labels": "0"}).edge_labels is False


@pytest.mark.parametrize("given, message", [
    ({"dtype": "float16"}, "dtype must be float64 or float32"),
    ({"direction": "rl"}, "direction must be one of lr, tb"),
    ({"theme": "neon"}, "theme must be one of"),
])
def test_unknown_options_are_refused_by_name(given, message):
    with pytest.raises(EvaluationError, match=message):
        options(given)


def test_the_program_is_required():
    assert source({"src": ""}) == ""
    with pytest.raises(EvaluationError, match=r"give the program as \?src="):
        source({})


def test_error_styles():
    assert errors_in_body({}) is False and errors_in_body({"errors": "body"}) is True
    with pytest.raises(EvaluationError, match="errors must be status or body"):
        errors_in_body({"errors": "loud"})


def test_descent_parameters():
    assert descent({}) is None
    assert descent({"lr": "0.1"}) == (0.1, 1)
    assert descent({"lr": "0.05", "updates": "20"}) == (0.05, 20)
    for given, message in [({"updates": "3"}, "updates needs a learning rate too"),
                           ({"lr": "0.1", "updates": "-2"}, "updates must be a whole number"),
                           ({"lr": "0"}, "lr must be a finite number above 0")]:
        with pytest.raises(EvaluationError, match=message):
            descent(given)


def test_modes():
    assert mode({}) == "reverse" and mode({"mode": "forward", "forward": "w1"}) == "forward"
    # forward= alone keeps reverse mode's steps and adds forward mode's derivative
    assert mode({"forward": "w1"}) == "reverse"
    assert mode({"mode": "practice"}) == "practice"
    with pytest.raises(EvaluationError, match="mode must be one of reverse, forward, practice"):
        mode({"mode": "exam"})
