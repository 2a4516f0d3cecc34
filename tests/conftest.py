"""Fixtures shared by the test files: the Flask app and its test client; for the browser
tests, the app on a free port, Chromium, and a page that records console errors."""

import os

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


@pytest.fixture(scope="module")
def server(live_app):
    """The browser tests' name for the live app's base URL (test_server.py has its own)."""
    return live_app


@pytest.fixture(scope="module")
def browser(chromium):
    """The browser tests' name for the shared Chromium."""
    return chromium


@pytest.fixture
def page(chromium):
    """A fresh 1280×720 page; `page.console.errors` collects its console errors."""
    from browser_support import VIEWPORT, Console

    context = chromium.new_context(viewport=VIEWPORT)
    p = context.new_page()
    p.console = Console(p)
    yield p
    context.close()


@pytest.fixture(scope="session", autouse=True)
def links_kept_in_a_temporary_folder(tmp_path_factory):
    """Apps made without DATABASE_URL (the browser tests' live server) keep their links in a
    folder of the test run, not in the checkout's instance/. They all count against one limit
    on storing there (kept in that database), so it is set high: the tests of the limit set
    their own, on a database of their own."""
    patch = pytest.MonkeyPatch()
    if "DATABASE_URL" not in os.environ:
        patch.setenv("DATABASE_URL", f"sqlite:///{tmp_path_factory.mktemp('links')}/links.sqlite3")
    if "LINKS_RATE_LIMIT" not in os.environ:
        patch.setenv("LINKS_RATE_LIMIT", "100000 per minute")
    yield
    patch.undo()


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server on loopback for the whole run (see pg_support)."""
    from pg_support import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The link store's database, once for each backend: a SQLite file of this test's own,
    and the shared PostgreSQL server with its tables dropped first."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'links.sqlite3'}"
    from pg_support import reset

    url = request.getfixturevalue("postgres_url")
    reset(url)
    return url


@pytest.fixture
def links_app(database_url):
    """An app whose link store is `database_url`."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    yield app
    app.extensions["links"].dispose()
