"""Fixtures shared by the test files: the Flask app and its test client; for the browser
tests, the app on a free port, Chromium, and a page that records console errors."""

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


@pytest.fixture(scope="module")
def live_app():
    """The real app served on a free port for browser tests; yields its base URL."""
    from browser_support import live_server

    with live_server() as base:
        yield base


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium through Playwright, one per test module."""
    from browser_support import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    """A fresh 1280×720 page; `page.console.errors` collects its console errors."""
    from browser_support import VIEWPORT, Console

    context = chromium.new_context(viewport=VIEWPORT)
    p = context.new_page()
    p.console = Console(p)
    yield p
    context.close()
