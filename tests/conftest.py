"""Fixtures shared by the test files: the Flask app and its test client."""

import pytest

from app import create_app


@pytest.fixture
def app():
    """A fresh app in testing mode."""
    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    """Flask's test client for the app."""
    return app.test_client()
