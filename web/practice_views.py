"""Practice mode's check route: a student's answer for one step in, a verdict out."""

from __future__ import annotations

from flask import Blueprint, request

from autodiff.errors import EvaluationError
from autodiff.i18n import N_

from .params import options, params, source
from .practice import check_answer
from .service import parse_step

practice_views = Blueprint("practice", __name__)


@practice_views.post("/api/practice/check")
def check():
    """Check the answers of one step; the step's numbers come back once right (or shown)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise EvaluationError(N_('send a JSON object such as {"src": ..., "step": 1, '
                                 '"answers": [6]}'))
    answers = body.get("answers", [])
    if not isinstance(answers, list):
        raise EvaluationError(N_("answers must be a list, one answer per blank of the step"))
    given = params()
    step = parse_step(given.get("step"))
    if step is None:
        raise EvaluationError(N_("give the step to check, e.g. \"step\": 1"))
    show = given.get("show", "0") in ("1", "true", "True")
    return check_answer(source(given), options(given), step, answers,
                        given.get("level", "values"), show)
