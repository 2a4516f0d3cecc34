"""The offline page in Chromium with every network request refused: it steps through every
frame, each picture and explanation the server's own for that step."""

import pytest
from browser_support import ARTIFACTS, launch
from playwright.sync_api import sync_playwright

import autodiff
from autodiff import draw
from autodiff.draw.decorate import caption_text
from autodiff.draw.export import ExportOptions, steps_of
from autodiff.draw.export.html import page
from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

REUSE = by_slug("reuse").source


def refuse_but_the_file(route, asked: list[str]) -> None:
    """Every request is refused (and noted) but the page's own file."""
    if route.request.url.startswith("file:") and route.request.resource_type == "document":
        route.continue_()
    else:
        asked.append(route.request.url)
        route.abort()


def test_offline_page_steps_through_every_frame_with_the_network_off(tmp_path):
    graph = autodiff.build(REUSE)
    layout = draw.get_layout(graph)
    options = ExportOptions()
    path = tmp_path / "steps.html"
    path.write_text(page(graph, layout, options, steps_of(graph, options)), encoding="utf-8")
    asked: list[str] = []
    with sync_playwright() as p:
        browser = launch(p)
        # The page's own policy forbids fetch() even of its blob: pictures, which this test
        # reads back to compare with the server's frames; the routes still refuse everything.
        context = browser.new_context(offline=True, bypass_csp=True)
        context.route("**/*", lambda route: refuse_but_the_file(route, asked))
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("console", lambda m: m.type == "error" and errors.append(m.text))
        tab.goto(path.as_uri())
        last = len(graph.steps)
        for k in range(last + 1):
            if k:
                tab.keyboard.press("ArrowRight")
            tab.wait_for_function(f"document.body.dataset.step === '{k}'")
            assert tab.text_content("#text") == caption_text(graph, k)
            svg = tab.evaluate("""async () => {
                const img = document.getElementById('frame');
                await img.decode();
                return [img.naturalWidth, await (await fetch(img.src)).text()];
            }""")
            assert svg[0] > 100, "the picture drew"
            assert svg[1] == draw.render_frame(layout, graph, k), k
        assert tab.text_content("#counter") == f"step {last} / {last}"
        tab.keyboard.press("Home")
        tab.wait_for_function("document.body.dataset.step === '0'")
        tab.click("#tape li:nth-child(4)")
        assert tab.evaluate("document.body.dataset.step") == "3"
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "standalone.png"))
        browser.close()
    assert asked == []
    assert errors == []


def test_the_export_menu_links_to_every_export_of_the_program_on_screen():
    """The page's Export menu opens, and each entry asks for its export with the page's
    program and options; the PDF it links to is a PDF."""
    from urllib.parse import parse_qs, quote, urlsplit

    from browser_support import live_server

    from web.permalink import inflate

    with live_server() as base, sync_playwright() as p:
        browser = launch(p)
        tab = browser.new_page()
        tab.goto(f"{base}/?src={quote(REUSE)}&step=3")
        tab.wait_for_function("() => document.querySelectorAll('#graph g.node').length > 0")
        tab.wait_for_function("() => document.querySelector('[data-export=pdf]').href"
                              ".includes('z=')")
        tab.click("#export-menu summary")
        hrefs = tab.eval_on_selector_all("[data-export]", "els => els.map(e => e.href)")
        assert [urlsplit(h).path for h in hrefs] == ["/pdf", "/pdf", "/pptx", "/gif", "/mp4",
                                                     "/zip", "/standalone", "/tex"]
        for href in hrefs:
            query = parse_qs(urlsplit(href).query)
            # The program travels compressed (z=), so a long one fits a request line.
            assert inflate(query["z"][0]) == REUSE and "step" not in query
        assert parse_qs(urlsplit(hrefs[1]).query)["layout"] == ["handout"]
        answer = tab.request.get(hrefs[0])
        assert answer.status == 200 and answer.body().startswith(b"%PDF")
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "export-menu.png"))
        # In Italian, the MP4 entry says so.
        tab.goto(f"{base}/?src={quote(REUSE)}&step=3&lang=it")
        tab.wait_for_function("() => document.querySelector('[data-export=mp4]').href"
                              ".includes('z=')")
        assert tab.text_content("[data-export=mp4]") == "Video MP4"
        browser.close()
