"""Short links and fragment permalinks in Chromium: the Share button, `/s/<id>`, `#z=`, and a
20,000-character program opened both ways through gunicorn."""

from __future__ import annotations

import json
import re
import subprocess
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from browser_support import ARTIFACTS, VIEWPORT, counter, page_url, wait_for_graph
from links_long_program import long_program
from playwright.sync_api import expect
from test_links import Boot
from test_links_server import get, gunicorn, post_link

from web.permalink import deflate

pytestmark = pytest.mark.browser

REUSE = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"
REUSE_STEPS = 9
LONG_GRAPH_MS = 90_000


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=VIEWPORT)
    p = context.new_page()
    p.errors = []
    p.on("console", lambda m: m.type == "error" and p.errors.append(m.text))
    p.on("pageerror", lambda e: p.errors.append(f"uncaught: {e}"))
    p.on("dialog", lambda d: p.errors.append(f"dialog: {d.message}"))
    yield p
    context.close()


def source_of(page) -> str:
    return page.input_value("#source")


def test_share_stores_the_program_and_shows_a_short_link_that_opens_there(page, live_app):
    page.goto(page_url(live_app, REUSE, 5))
    wait_for_graph(page, REUSE_STEPS)
    page.click("#share-link")
    expect(page.locator("#share-box")).to_be_visible(timeout=10_000)
    short = page.input_value("#share-url")
    assert re.fullmatch(re.escape(live_app) + r"/s/[0-9A-Za-z]{11}", short)
    expect(page.locator("#copy-status")).to_have_text("Short link ready")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "share-short-link.png"))
    page.click("#share-copy")
    expect(page.locator("#copy-status")).to_contain_text("copied")

    page.goto(short)
    wait_for_graph(page, REUSE_STEPS)
    assert counter(page) == f"step 5 / {REUSE_STEPS} · backward"
    assert source_of(page) == REUSE
    page.wait_for_timeout(500)  # the address bar keeps the short link while nothing changes
    assert page.url == short
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.hash.includes('step=6')")
    assert page.url.startswith(f"{live_app}/#z=")
    assert not page.errors


def test_a_step_taken_at_once_on_a_short_link_moves_the_address(page, live_app):
    """The address keeps a short link only while the page shows what the link opened: a
    step taken before the address was first written is a move too."""
    made = page.request.post(f"{live_app}/api/links", data={"src": REUSE, "step": "5"}).json()
    page.goto(f"{live_app}{made['url']}")
    page.wait_for_function("() => document.querySelector('[data-step-counter]').textContent"
                           ".includes('step 5 /')")
    page.keyboard.press("ArrowRight")  # within the address's first pause (URL_DELAY_MS)
    page.wait_for_function("() => location.hash.includes('step=6')", timeout=5_000)
    assert page.url.startswith(f"{live_app}/#z=")
    assert not page.errors


def test_the_page_writes_the_program_into_the_fragment_and_reads_it_back(page, live_app, chromium):
    page.goto(page_url(live_app, REUSE, 3))
    wait_for_graph(page, REUSE_STEPS)
    page.wait_for_function("() => location.hash.includes('step=3')")
    url = page.url
    assert "src=" not in url and "#z=" in url
    # The page's own compression is raw DEFLATE that the server reads too.
    z = re.search(r"#z=([A-Za-z0-9_-]+)", url).group(1)
    assert get(f"{live_app}/svg?z={z}&step=3")[0] == 200
    other = chromium.new_context(viewport=VIEWPORT).new_page()
    other.goto(url)
    wait_for_graph(other, REUSE_STEPS)
    assert counter(other) == f"step 3 / {REUSE_STEPS} · forward"
    assert source_of(other) == REUSE
    other.context.close()
    # A fragment made elsewhere (the server's encoder) opens too.
    square = "a = 4\nb = a * a"
    page.goto(f"{live_app}/#z={deflate(square)}&step=2")
    page.wait_for_function("() => document.querySelector('#source').value === 'a = 4\\nb = a * a'")
    assert not page.errors


def test_a_broken_fragment_says_so_and_opens_the_default(page, live_app):
    page.goto(f"{live_app}/#z=!!!")
    wait_for_graph(page)
    expect(page.locator("#copy-status")).to_contain_text("could not be read")


def test_an_unknown_short_link_is_a_page_that_says_so(page, live_app):
    response = page.goto(f"{live_app}/s/NoSuchLink1")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Link not found")
    page.screenshot(path=str(ARTIFACTS / "link-not-found.png"))


def test_a_stored_hostile_program_is_only_ever_text(page, live_app):
    hostile = "x = 1\n# </script><script>alert(1)</script><img src=z onerror=alert(2)>\ny = x * x"
    short = post_link(live_app, {"src": hostile})["url"]
    page.goto(live_app + short)
    wait_for_graph(page)
    assert source_of(page) == hostile
    assert page.locator("img[src=z]").count() == 0
    assert not page.errors


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def production(request, tmp_path_factory):
    """gunicorn as in production, its links in SQLite or in the tests' PostgreSQL server:
    (base URL, the long program's id)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('long-links') / 'links.sqlite3'}"
    else:
        from pg_support import reset

        url = request.getfixturevalue("postgres_url")
        reset(url)
    with gunicorn(url) as (base, _):
        yield base, post_link(base, {"src": long_program(), "step": "5"})["id"]


def test_a_20000_character_program_opens_from_its_short_link_and_its_fragment(page, production,
                                                                               chromium):
    base, link_id = production
    long = long_program()
    # The old way cannot work: gunicorn refuses a request line this long.
    assert get(f"{base}/?src={quote(long)}")[0] == 414
    assert get(f"{base}/embed/{link_id}")[0] == 200
    status, kind, png = get(f"{base}/png/{link_id}")
    assert (status, kind) == (200, "image/png") and png.startswith(b"\x89PNG")

    page.goto(f"{base}/s/{link_id}")
    wait_for_graph(page, timeout=LONG_GRAPH_MS)
    assert source_of(page) == long
    assert counter(page).startswith("step 5 / ")
    page.screenshot(path=str(ARTIFACTS / "long-program-short-link.png"))
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => location.hash.includes('step=6')", timeout=LONG_GRAPH_MS)
    permalink = page.url
    # Longer than gunicorn's request line limit (8,190), and it works: a fragment is not sent.
    assert permalink.startswith(f"{base}/#z=") and len(permalink) > 8_190

    fresh = chromium.new_context(viewport=VIEWPORT).new_page()
    fresh.goto(permalink)
    wait_for_graph(fresh, timeout=LONG_GRAPH_MS)
    assert source_of(fresh) == long
    assert counter(fresh).startswith("step 6 / ")
    fresh.context.close()
    assert not page.errors


def options_of(url: str) -> dict:
    """The options a page's own address carries in its fragment (the program compressed)."""
    return parse_qs(urlsplit(url).fragment)


def test_a_short_link_restores_every_option_the_page_s_address_carries(page, live_app, chromium):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(page_url(live_app, REUSE, 5))
    wait_for_graph(page, REUSE_STEPS)
    page.select_option("#theme-menu", "dark")
    page.select_option("#direction-menu", "tb")
    page.click("#font-up")
    page.click("#font-up")
    page.check("#opt-float32")
    page.check("#opt-edge-labels")
    page.select_option("#opt-mode", "w1")
    page.click("#tab-descent")
    page.fill("#descent-rate", "0.05")
    page.fill("#descent-count", "3")
    page.click("#descent-run")
    page.wait_for_function("() => document.querySelectorAll('#descent-table tr').length === 5")
    page.click("#toggle-program")
    page.wait_for_function("() => ['font=130', 'graph_only=1', 'updates=3', 'lr=0.05', "
                           "'theme=dark', 'direction=tb', 'dtype=float32', 'edge_labels=1', "
                           "'mode=forward', 'forward=w1', 'step=']"
                           ".every((o) => location.hash.includes(o))")
    shared = options_of(page.url)
    descent, step = page.inner_text("#descent-table"), counter(page)
    page.click("#share-link")
    expect(page.locator("#share-box")).to_be_visible(timeout=10_000)
    short = page.input_value("#share-url")

    opened = page.context.new_page()
    opened.goto(short)
    wait_for_graph(opened)
    opened.wait_for_function("() => document.querySelectorAll('#descent-table tr').length === 5")
    assert opened.url == short
    assert opened.evaluate("document.documentElement.dataset.theme") == "dark"
    assert opened.evaluate("document.body.classList.contains('graph-only')")
    assert opened.evaluate("getComputedStyle(document.documentElement)"
                           ".getPropertyValue('--font-zoom').trim()") == "1.3"
    assert opened.input_value("#direction-menu") == "tb"
    assert opened.input_value("#opt-mode") == "w1"
    assert opened.is_checked("#opt-float32") and opened.is_checked("#opt-edge-labels")
    assert opened.inner_text("#descent-table") == descent
    assert counter(opened) == step
    # And the address it would share now is the one that was shared: nothing was lost.
    opened.click("#copy-link")
    expect(opened.locator("#copy-status")).to_have_text("Link copied")
    assert options_of(opened.evaluate("navigator.clipboard.readText()")) == shared
    opened.screenshot(path=str(ARTIFACTS / "short-link-every-option.png"))
    assert not page.errors


def test_the_qr_code_of_a_20000_character_program_is_its_short_link(page, production, tmp_path):
    """Through gunicorn: the page's QR dialog shows a code (read from the screen by zbar) of
    the program's short link, which opens the whole program."""
    base, link_id = production
    page.goto(f"{base}/s/{link_id}")
    wait_for_graph(page, timeout=LONG_GRAPH_MS)
    page.click("#share-qr")
    page.wait_for_function("() => { const i = document.getElementById('qr-image');"
                           " return i.complete && i.naturalWidth > 100; }", timeout=30_000)
    shot = tmp_path / "qr.png"
    page.locator("#qr-image").screenshot(path=str(shot))
    read = subprocess.run(["zbarimg", "--raw", "-q", str(shot)], capture_output=True, text=True,
                          timeout=30)
    assert read.returncode == 0, read.stderr
    address = read.stdout.strip()
    assert re.fullmatch(re.escape(base) + r"/s/[0-9A-Za-z]{11}", address), address
    status, kind, html = get(address)
    assert (status, kind) == (200, "text/html")
    assert json.loads(Boot(html.decode()).text)["src"] == long_program()
    page.screenshot(path=str(ARTIFACTS / "qr-of-a-long-program.png"))
    assert not page.errors
