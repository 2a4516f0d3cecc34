"""The page in a real browser: Debian's Chromium driven by Playwright against the real app.

Run with `make test` (or `pytest -m browser`); CHROMIUM_PATH names the browser binary.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from browser_support import (
    ARTIFACTS,
    FRAME_CLASSES,
    FRAME_TEXTS,
    NODE_BOXES,
    VIEWPORT,
    classes,
    counter,
    node_ids,
    page_url,
    server_frame,
    text,
    wait_for_graph,
)
from playwright.sync_api import expect

import autodiff
from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

REUSE = by_slug("reuse").source
REUSE_STEPS = 9  # 4 forward, the seed, 4 backward


def open_reuse(page, server, step=None):
    page.goto(page_url(server, REUSE, step) if step is not None else f"{server}/")
    wait_for_graph(page, REUSE_STEPS)
    return node_ids(page)


def set_range(page, selector, value):
    """Move a range input as a drag would: set the value, fire `input` and `change`."""
    page.eval_on_selector(
        selector,
        """(el, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', {bubbles: true}));
      el.dispatchEvent(new Event('change', {bubbles: true}));
    }""",
        value,
    )


def press(page, key, times=1):
    for _ in range(times):
        page.keyboard.press(key)


# --- stepping -----------------------------------------------------------------------------


def test_reuse_steps_with_keys_and_buttons(page, server):
    ids = open_reuse(page, server)
    assert {"w1", "w2", "z1", "z2", "z3", "y", "3"} <= set(ids)
    w1, w2, y, z1 = ids["w1"], ids["w2"], ids["y"], ids["z1"]
    assert counter(page) == f"step 0 / {REUSE_STEPS} · start"

    # step 0: only inputs and constants have numbers
    assert text(page, f"{w1}-v0").strip() == "2"
    assert text(page, f"{w2}-v0").strip() == "1.5"
    assert text(page, f"{ids['3']}-v0").strip() == "3"
    for name in ("z1", "z2", "z3", "y"):
        assert text(page, f"{ids[name]}-v0").strip() == "·"
        assert "pending" in classes(page, ids[name])
    texts = page.evaluate(FRAME_TEXTS)
    assert all(not t.strip() for k, t in texts.items() if re.fullmatch(r"n\d+-g\d+", k))

    press(page, "ArrowRight")
    assert counter(page) == f"step 1 / {REUSE_STEPS} · forward"
    assert text(page, f"{z1}-v0").strip() == "6"
    assert {"current"} <= classes(page, z1) and "pending" not in classes(page, z1)

    press(page, "ArrowRight", 3)
    assert counter(page) == f"step 4 / {REUSE_STEPS} · forward"
    assert text(page, f"{y}-v0").strip() == "0.693271"
    assert "current" in classes(page, y) and "current" not in classes(page, z1)
    active = page.evaluate(
        "[...document.querySelectorAll('#graph g.edge.active')].map(g => [...g.classList])"
    )
    assert len(active) == 2 and all("forward" in c for c in active)
    assert not text(page, f"{y}-g0").strip()

    page.click("[data-step-action=next]")
    assert counter(page) == f"step 5 / {REUSE_STEPS} · backward"
    assert text(page, f"{y}-g0").strip() == "1"
    assert "grad-final" in classes(page, y)
    assert page.inner_text("#step-text").strip() == (
        "gy = 1: from here back, multiply the edges of a route, add the routes")

    page.click("[data-step-action=next]")  # y pushes into w1 (1st of 2) and z3
    assert "grad-partial" in classes(page, w1)
    assert text(page, f"{w1}-g0").strip() == "0.346635"
    backward = page.evaluate(
        "[...document.querySelectorAll('#graph g.edge.active')].map(g => [...g.classList])"
    )
    assert backward and all("backward" in c for c in backward)

    press(page, "End")
    assert counter(page) == f"step {REUSE_STEPS} / {REUSE_STEPS} · backward"
    assert "grad-final" in classes(page, w1) and "grad-partial" not in classes(page, w1)
    assert re.fullmatch(r"\s*-5\.2814\d*\s*", text(page, f"{w1}-g0"))
    assert text(page, f"{w2}-g0").strip() == "-1.876"

    page.click("[data-step-action=prev]")
    assert counter(page) == f"step {REUSE_STEPS - 1} / {REUSE_STEPS} · backward"
    assert "grad-partial" in classes(page, w1)

    press(page, "Home")
    assert counter(page) == f"step 0 / {REUSE_STEPS} · start"
    assert "pending" in classes(page, y) and "grad-final" not in classes(page, y)
    assert not text(page, f"{w1}-g0").strip()
    press(page, "ArrowLeft")
    assert counter(page) == f"step 0 / {REUSE_STEPS} · start"
    assert not page.console.errors


def test_explanation_tape_and_check(page, server):
    ids = open_reuse(page, server, step=4)
    assert counter(page) == f"step 4 / {REUSE_STEPS} · forward"
    assert page.inner_text("#step-text").strip() == "y = w1 · z3 = 2 · 0.3466 = 0.6933"
    assert "∂(a · b)/∂a = b" in page.inner_text("#step-formula")
    lines = page.locator(".tape-line")
    expect(lines).to_have_count(REUSE_STEPS)
    expect(page.locator(".tape-line.current")).to_have_attribute("data-step", "4")
    page.locator(".tape-line[data-step='9']").click()
    assert counter(page) == f"step 9 / {REUSE_STEPS} · backward"
    assert "grad-final" in classes(page, ids["w1"])
    expect(page.locator(".tape-line.current")).to_have_attribute("data-step", "9")

    page.click("#tab-check")
    rows = page.locator("#check-body tr")
    expect(rows).to_have_count(2)
    first = rows.nth(0).inner_text()
    assert "w1" in first and "-5.28136" in first and "✓" in first
    expect(page.locator("#check-summary")).to_contain_text("agree")


UNUSED = "x = 2.0\nunused = 3.0\nw = unused * 2\nv = [1.0, 2.0]\nu = v * 3\ny = x * x"
UNUSED_STEPS = 5  # w, u, y forward; the seed; y backward
UNUSED_SEED = 4


def test_page_frames_equal_the_server_frames_with_unused_values(page, server):
    page.goto(page_url(server, UNUSED, 0))
    wait_for_graph(page, UNUSED_STEPS)
    for k in [*range(UNUSED_STEPS + 1), UNUSED_SEED - 1, 0, UNUSED_STEPS, UNUSED_SEED]:
        set_range(page, "[data-step-range]", k)
        assert counter(page).startswith(f"step {k} / {UNUSED_STEPS}")
        here = page.evaluate(FRAME_CLASSES), page.evaluate(FRAME_TEXTS)
        assert here == server_frame(server, UNUSED, k), f"step {k}"
    assert not page.console.errors


def test_unused_values_read_zero_from_the_seed_on(page, server):
    # Regression: nothing flows into a value the output ignores, so its gradient row stayed
    # empty although the JSON says its gradient is 0.
    page.goto(page_url(server, UNUSED, UNUSED_SEED - 1))
    wait_for_graph(page, UNUSED_STEPS)
    ids = node_ids(page)
    for name in ("unused", "w", "v", "u"):
        assert "dead" in classes(page, ids[name])
        assert not text(page, f"{ids[name]}-g0").strip()
        assert "grad-final" not in classes(page, ids[name])
    press(page, "ArrowRight")
    assert counter(page) == f"step {UNUSED_SEED} / {UNUSED_STEPS} · backward"
    for name, zeros in [("unused", ["0"]), ("w", ["0"]), ("v", ["0", "0"]), ("u", ["0", "0"])]:
        assert text(page, f"{ids[name]}-g0").split() == zeros
        assert {"dead", "grad-final"} <= classes(page, ids[name])
    assert text(page, f"{ids['2']}-g0") is None  # constants have no gradient row
    expect(page.locator("#step-chips .chip.unused")).to_have_text(
        "gunused, gw, gv, gu = 0: y does not depend on them"
    )
    press(page, "End")
    assert text(page, f"{ids['unused']}-g0").strip() == "0"
    press(page, "Home")
    assert not text(page, f"{ids['unused']}-g0").strip()
    assert not page.console.errors


COLLIDING = "x = 2\ngx = 3\nw = 5\ny = x * gx"
"""`gx` is a name of the program, so every gradient is written ∇x, ∇gx, ∇w, ∇y."""


@pytest.mark.parametrize("source, seed_chip, last_chips", [
    (COLLIDING, "∇w = 0: y does not depend on it", ["∇x: complete", "∇gx: complete"]),
    (REUSE, None, ["gw1: contribution 2 of 2 · complete"]),
])
def test_chips_name_gradients_as_the_texts_do(page, server, source, seed_chip, last_chips):
    """The status chips under the explanation write each gradient as the step texts do:
    `gx` as the tutorials write it, `∇x` when a name in the program already reads as `gx`."""
    steps = len(autodiff.build(source).steps)
    page.goto(page_url(server, source, steps))
    wait_for_graph(page, steps)
    chips = page.locator("#step-chips .chip")
    expect(chips).to_have_text(last_chips)
    step_text = page.locator("#step-text").text_content()
    for chip in chips.all_text_contents():
        assert chip.split(":")[0] in step_text, (chip, step_text)
    if seed_chip:
        seed = next(k for k, s in enumerate(autodiff.build(source).steps, 1) if s.kind == "seed")
        set_range(page, "[data-step-range]", seed)
        expect(page.locator("#step-chips .chip.unused")).to_have_text(seed_chip)
        assert page.locator("#step-text").text_content().startswith("∇y = 1")
    assert not page.console.errors


@pytest.mark.slow
def test_play_runs_to_the_end_and_stops(page, server):
    src = by_slug("sigmoid").source  # 1 forward, seed, 1 backward
    page.goto(page_url(server, src))
    wait_for_graph(page, 3)
    page.click("[data-step-action=play]")
    expect(page.locator("[data-step-action=play]")).to_have_class(re.compile(r"\bplaying\b"))
    expect(page.locator("[data-step-counter]")).to_have_text("step 3 / 3 · backward", timeout=6000)
    expect(page.locator("[data-step-action=play]")).not_to_have_class(re.compile(r"\bplaying\b"))
    time.sleep(0.9)
    assert counter(page) == "step 3 / 3 · backward"


def test_step_slider_and_address_bar(page, server):
    ids = open_reuse(page, server)
    set_range(page, "[data-step-range]", 6)
    assert counter(page) == f"step 6 / {REUSE_STEPS} · backward"
    assert "grad-partial" in classes(page, ids["w1"])
    page.wait_for_function("() => location.hash.includes('step=6')")
    assert "#z=" in page.url
    assert "step=6" in page.get_attribute("#download-svg", "href")
    assert "step=6" in page.get_attribute("#download-png", "href")


# --- typing ---------------------------------------------------------------------------------


def test_the_error_mark_sits_on_its_line_and_column_and_follows_a_scrolled_editor(page, server):
    lines = [f"v{i} = {i}" for i in range(40)]
    lines[29] = "v29 = 2x"  # line 30: the mistake is at column 8
    open_reuse(page, server)
    page.fill("#source", "\n".join(lines))
    expect(page.locator("#error-where")).to_have_text(re.compile(r"line 30, column \d+"))
    col = int(re.search(r"column (\d+)", page.inner_text("#error-where")).group(1))
    page.wait_for_timeout(100)
    assert_marked(page, col, scrolled=True)  # typing left the editor scrolled to its end
    page.evaluate("document.querySelector('#source').scrollTop = 0")
    page.wait_for_timeout(100)
    assert_marked(page, col, scrolled=False)


def assert_marked(page, col: int, scrolled: bool) -> None:
    """The error's caret and gutter line are where line 30, column `col` is drawn."""
    where = page.evaluate("""col => {
      const text = document.querySelector('#source');
      const s = getComputedStyle(text);
      const line = parseFloat(s.lineHeight);
      const box = r => r.getBoundingClientRect();
      const err = document.querySelector('.editor-gutter > div.err-line');
      const c = document.createElement('canvas').getContext('2d');
      c.font = s.font;
      return {caretTop: box(document.querySelector('.editor-caret')).top,
              caretLeft: box(document.querySelector('.editor-caret')).left,
              lineTop: box(text).top + parseFloat(s.paddingTop) + 29 * line - text.scrollTop,
              colLeft: box(text).left + parseFloat(s.paddingLeft) + c.measureText('v29 = 2x'.slice(0, col - 1)).width,
              gutterTop: box(err).top, scrolled: text.scrollTop, line};
    }""", col)
    assert (where["scrolled"] > 0) == scrolled
    for top in (where["caretTop"], where["gutterTop"]):
        assert abs(top - where["lineTop"]) < 2, where
    assert abs(where["caretLeft"] - where["colLeft"]) < 2, where


def test_syntax_error_shows_position_and_keeps_graph(page, server):
    ids = open_reuse(page, server, step=4)
    before = page.evaluate(FRAME_TEXTS)
    editor = page.locator("#source")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("f = 2x")
    error = page.locator("#error")
    expect(error).to_be_visible(timeout=5000)
    expect(page.locator("#error-where")).to_have_text(re.compile(r"line 1, column \d+"))
    assert page.inner_text("#error-message").strip()
    expect(page.locator(".editor-gutter > div.err-line")).to_have_text("1")
    expect(page.locator(".editor-caret")).to_be_visible()
    # the last good graph stays, dimmed
    expect(page.locator("#graph-panel")).to_have_class(re.compile(r"\bstale\b"))
    assert node_ids(page) == ids
    assert page.evaluate(FRAME_TEXTS) == before
    assert counter(page) == f"step 4 / {REUSE_STEPS} · forward"
    # the address bar keeps what was typed, so a reload loses nothing
    page.wait_for_function("""async () => {
      const opened = await (await import('/static/permalink.js')).readFragment();
      return opened !== null && opened.src === 'f = 2x';
    }""")

    page.keyboard.press("Control+A")
    page.keyboard.type("a = 3\nf = a * a")
    expect(error).to_be_hidden(timeout=5000)
    expect(page.locator("#graph-panel")).not_to_have_class(re.compile(r"\bstale\b"))
    page.wait_for_function("() => document.querySelectorAll('#graph g.node').length === 2")
    assert set(node_ids(page)) == {"a", "f"}


@pytest.mark.slow
def test_a_typo_logs_nothing_to_the_console(page, server):
    """A typo is an answer, not a failed request: Chrome logs a 400 as "Failed to load
    resource", which a lecturer with devtools open would see as a red console."""
    open_reuse(page, server)
    answers = []
    page.on("response", lambda r: "api/graph" in r.url and answers.append(r.status))
    editor = page.locator("#source")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("x = 2\nf = x *")
    expect(page.locator("#error")).to_be_visible(timeout=5000)
    expect(page.locator("#error-where")).to_have_text(re.compile(r"line 2, column \d+"))
    expect(page.locator("#error-snippet")).to_contain_text("f = x *")
    expect(page.locator("#graph-panel")).to_have_class(re.compile(r"\bstale\b"))
    assert answers and set(answers) == {200}
    page.wait_for_timeout(300)  # a console message arrives after the response it is about
    assert not page.console.errors, page.console.errors


def test_keys_do_not_step_while_typing(page, server):
    open_reuse(page, server)
    page.locator("#source").focus()
    press(page, "ArrowRight", 2)
    press(page, "End")
    assert counter(page) == f"step 0 / {REUSE_STEPS} · start"
    page.keyboard.press("Escape")  # leaves the editor
    press(page, "ArrowRight")
    assert counter(page) == f"step 1 / {REUSE_STEPS} · forward"
    page.locator(".input-number[data-name=w2]").focus()
    press(page, "ArrowLeft")
    press(page, "Home")
    assert counter(page) == f"step 1 / {REUSE_STEPS} · forward"


def test_gallery_loads_matvec(page, server):
    open_reuse(page, server, step=3)
    page.select_option("#gallery", "matvec")
    page.wait_for_function(
        "src => document.querySelector('#source').value === src", arg=by_slug("matvec").source
    )
    wait_for_graph(page, 5)
    page.wait_for_function("() => document.querySelectorAll('#graph g.node').length === 4")
    ids = node_ids(page)
    assert {"A", "b", "f"} <= set(ids)
    assert counter(page) == "step 0 / 5 · start"
    assert text(page, f"{ids['A']}-v1").split() == ["3", "4"]
    press(page, "End")
    assert text(page, f"{ids['b']}-g0").split() == ["4", "6"]
    assert text(page, f"{ids['A']}-g0").split() == ["1", "-1"]
    expect(page.locator("#teaches")).to_have_text(by_slug("matvec").teaches)
    # vectors and matrices are edited in the program, not with sliders
    expect(page.locator(".input-range")).to_have_count(0)


# --- values ----------------------------------------------------------------------------------


def test_input_slider_changes_gradient_not_layout(page, server):
    ids = open_reuse(page, server, step=REUSE_STEPS)
    w1 = ids["w1"]
    assert re.fullmatch(r"\s*-5\.2814\d*\s*", text(page, f"{w1}-g0"))
    page.evaluate("document.querySelector('#graph svg').dataset.probe = 'same'")
    boxes = page.evaluate(NODE_BOXES)
    layout_keys = []

    def on_response(response):
        if "/api/graph" in response.url:
            body = response.json()
            layout_keys.append(body["layout"]["svg"] is None)

    page.on("response", on_response)
    slider = page.locator(".input-range[data-name=w1]")
    box = slider.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 25, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function(
        "id => !/-5\\.2814/.test(document.getElementById(id + '-g0').textContent)", arg=w1
    )
    page.wait_for_timeout(400)  # let the last request of the drag land

    source = page.input_value("#source")
    first = source.split("\n")[0]
    assert re.fullmatch(r"w1 = -?\d+(\.\d+)?", first) and first != "w1 = 2.0"
    assert source.split("\n")[1:] == REUSE.split("\n")[1:]
    new_w1 = float(first.split("=")[1])
    assert float(text(page, f"{w1}-v0")) == pytest.approx(new_w1)
    assert page.input_value(".input-number[data-name=w1]") == first.split("= ")[1]
    # same picture element, same node geometry, no new SVG sent
    assert page.evaluate("document.querySelector('#graph svg').dataset.probe") == "same"
    assert page.evaluate(NODE_BOXES) == boxes
    assert layout_keys and all(layout_keys)
    assert counter(page) == f"step {REUSE_STEPS} / {REUSE_STEPS} · backward"

    page.locator(".input-number[data-name=w2]").fill("0.5")
    page.wait_for_function(
        "id => document.getElementById(id + '-v0').textContent.trim() === '0.5'", arg=ids["w2"]
    )
    assert page.input_value("#source").split("\n")[1] == "w2 = 0.5"
    assert page.evaluate(NODE_BOXES) == boxes
    assert not page.console.errors


def test_the_trouble_lens_marks_the_first_nonfinite_node_and_jumps_to_its_step(
        page, server, tmp_path):
    page.goto(page_url(server, by_slug("instability").source, dtype="float32"))
    wait_for_graph(page)
    z1 = node_ids(page)["z1"]
    trouble = page.locator("#graph g.node.trouble")
    expect(trouble).to_have_count(1)
    assert trouble.get_attribute("id") == z1
    why = page.locator("#graph g.node.trouble > title.trouble-why").text_content()
    assert "exp(100) gives Infinity: overflow" in why and "float32" in why
    page.screenshot(path=str(tmp_path / "trouble.png"))
    press(page, "Home")
    trouble.click()
    assert counter(page).startswith("step 1 / ")  # the forward step that made exp(100) = ∞
    page.locator(".problem-step").nth(1).click()  # the gradient's NaN: the step of gx
    assert counter(page).startswith("step 5 / ")
    assert "so ∞ · 0 = NaN" in page.inner_text("#step-text")
    assert not page.console.errors


def test_an_example_meant_for_float32_switches_it_on(page, server):
    open_reuse(page, server)
    assert not page.is_checked("#opt-float32")
    page.select_option("#gallery", "stable")
    page.wait_for_function("() => location.hash.includes('dtype=float32')")
    assert page.is_checked("#opt-float32")
    expect(page.locator("#problems")).to_be_hidden()  # exp(-x) stays finite in float32
    page.select_option("#gallery", "instability")
    expect(page.locator("#problems")).to_be_visible(timeout=5000)
    assert not page.console.errors


def test_float32_flags_nonfinite_gradient(page, server):
    page.goto(page_url(server, by_slug("instability").source))
    wait_for_graph(page)
    expect(page.locator("#problems")).to_be_hidden()
    page.check("#opt-float32")
    expect(page.locator("#problems")).to_be_visible(timeout=5000)
    expect(page.locator("#problems")).to_contain_text("NaN")
    press(page, "End")
    x = node_ids(page)["x"]
    assert text(page, f"{x}-g0").strip() == "NaN"
    assert "nonfinite-grad" in classes(page, x)
    page.wait_for_function("() => location.hash.includes('dtype=float32')")


def test_edge_labels_toggle(page, server):
    open_reuse(page, server, step=2)
    assert page.locator("#graph .local").count() == 0
    page.check("#opt-edge-labels")
    page.wait_for_function("() => document.querySelectorAll('#graph text.local').length === 7")
    assert counter(page) == f"step 2 / {REUSE_STEPS} · forward"
    labels = page.evaluate(FRAME_TEXTS)
    assert labels["e0-local"].strip() == "—"  # from the constant 3: needs no derivative
    assert labels["e1-local"].strip() == "3"  # from w1 into z1 = 3 · w1, computed at step 1
    assert labels["e6-local"].strip() == "·"  # into y, still pending


# --- sharing ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_permalink_restores_program_and_step(page, server, browser):
    ids = open_reuse(page, server)
    press(page, "ArrowRight", 5)
    assert counter(page) == f"step 5 / {REUSE_STEPS} · backward"
    stepped = page.evaluate(FRAME_CLASSES)
    stepped_texts = page.evaluate(FRAME_TEXTS)
    page.wait_for_function("() => location.hash.includes('step=5')")
    url = page.url

    page.reload()
    wait_for_graph(page, REUSE_STEPS)
    assert counter(page) == f"step 5 / {REUSE_STEPS} · backward"
    assert page.input_value("#source") == REUSE
    assert page.evaluate(FRAME_CLASSES) == stepped
    assert page.evaluate(FRAME_TEXTS) == stepped_texts

    other = browser.new_context(viewport=VIEWPORT).new_page()
    other.goto(page_url(server, REUSE, 5))
    wait_for_graph(other, REUSE_STEPS)
    assert counter(other) == f"step 5 / {REUSE_STEPS} · backward"
    assert other.evaluate(FRAME_CLASSES) == stepped
    assert {"current", "grad-final"} <= classes(other, ids["y"])
    assert not text(other, f"{ids['w1']}-g0").strip()
    other.context.close()
    assert url.startswith(server)


def test_embed_steps_without_editor(page, server):
    page.goto(f"{server}/embed?{page_url('', REUSE, 6).split('?', 1)[1]}")
    wait_for_graph(page, REUSE_STEPS)
    assert counter(page) == f"step 6 / {REUSE_STEPS} · backward"
    assert page.locator("textarea").count() == 0
    assert "gw1 += z3 · gy" in page.inner_text("#step-text")
    press(page, "ArrowRight")
    assert counter(page) == f"step 7 / {REUSE_STEPS} · backward"
    assert not page.console.errors


def test_the_embed_says_why_unused_values_read_zero(page, server):
    page.goto(page_url(server, UNUSED, UNUSED_SEED).replace("/?", "/embed?", 1))
    wait_for_graph(page, UNUSED_STEPS)
    assert page.inner_text("#step-text").splitlines() == [
        "gy = 1: from here back, multiply the edges of a route, add the routes",
        "gunused, gw, gv, gu = 0: y does not depend on them"]
    press(page, "ArrowRight")  # the next step's text is its own again
    assert "does not depend" not in page.inner_text("#step-text")
    assert not page.console.errors


def test_embed_shows_a_typo_without_a_console_error(page, server):
    page.goto(page_url(server, "x = 2\nf = x *").replace("/?", "/embed?", 1))
    expect(page.locator("#error")).to_be_visible(timeout=5000)
    expect(page.locator("#error-where")).to_have_text(re.compile(r"line 2, column \d+"))
    assert page.inner_text("#error-message").strip()
    page.wait_for_timeout(300)  # a console message arrives after the response it is about
    assert not page.console.errors, page.console.errors


@pytest.mark.slow
def test_no_console_errors(page, server):
    open_reuse(page, server)
    press(page, "End")
    press(page, "Home")
    page.select_option("#gallery", "dense")
    wait_for_graph(page)
    page.wait_for_function("() => document.querySelector('#teaches').textContent.includes('layer')")
    press(page, "End")
    page.check("#opt-edge-labels")
    page.click("#tab-check")
    page.click("#zoom-in")
    page.click("#zoom-fit")
    page.wait_for_timeout(300)
    assert not page.console.errors


# --- the picture's layers -----------------------------------------------------------------

CHAIN = "\n".join(["x = 0.5"] + [f"t{k} = sin({'x' if k == 1 else f't{k - 1}'}) * 1.5" for k in
                                    range(1, 31)])
"""About 90 nodes: the page draws them in several layers."""

LAYERS = """() => {
  const base = document.querySelector('#graph > svg');
  const m = base.getScreenCTM();
  return [...document.querySelectorAll('#graph > svg')].map((svg) => {
    const c = svg.getScreenCTM();
    return {
      ctm: [c.a - m.a, c.d - m.d, c.e - m.e, c.f - m.f].map((v) => Math.abs(v)),
      tags: [...svg.children].map((e) => e.localName),
      ids: [...svg.querySelectorAll(':scope > g')].map((g) => g.id),
      layer: svg.classList.contains('graph-layer'),
    };
  });
}"""

NODE_PARTS = """async (frameUrl) => {
  // Per node, where every part is in the picture's units: on the page, and in the server's
  // frame (where the node group is moved by its translation).
  const boxes = (root, moved) => {
    const out = {};
    for (const g of root.querySelectorAll('g.node')) {
      const t = moved ? g.transform.baseVal.consolidate() : null;
      const [dx, dy] = t ? [t.matrix.e, t.matrix.f] : [0, 0];
      out[g.id] = [...g.children].filter((c) => c.localName !== 'title').map((c) => {
        const round = (v) => Math.round(v * 100) / 100;
        if (c.localName === 'text') {  // where it starts (its box depends on the fonts)
          return [Number(c.getAttribute('x')) + dx, Number(c.getAttribute('y')) + dy].map(round);
        }
        const b = c.getBBox();
        return [b.x + dx, b.y + dy, b.width, b.height].map(round);
      });
    }
    return out;
  };
  const text = await (await fetch(frameUrl)).text();
  const holder = document.createElement('div');
  holder.style.position = 'absolute';
  holder.style.left = '-20000px';
  holder.append(new DOMParser().parseFromString(text, 'image/svg+xml').documentElement);
  document.body.append(holder);
  const server = boxes(holder, true);
  holder.remove();
  return [boxes(document.getElementById('graph'), false), server];
}"""


@pytest.mark.slow
def test_picture_layers_draw_in_place(page, server):
    page.goto(page_url(server, CHAIN, 20))
    wait_for_graph(page)
    layers = page.evaluate(LAYERS)
    base, rest = layers[0], layers[1:]
    # the server's <svg> keeps its style sheet and background; the groups are in layers above
    assert not base["layer"] and base["tags"] == ["style", "rect"]
    assert len(rest) > 2 and all(layer["layer"] for layer in rest)
    # every layer maps the picture's units onto the same pixels as the <svg> below it
    assert all(max(layer["ctm"]) < 0.01 for layer in rest), [layer["ctm"] for layer in rest]
    # ... and the groups keep the server's order, so they paint in the same order
    with urlopen(f"{server}/svg?{urlencode({'src': CHAIN, 'step': 20})}") as answer:
        frame = answer.read().decode()
    assert [i for layer in rest for i in layer["ids"]] == re.findall(r'<g id="([ne]\d+)"', frame)
    # node groups lost their translation to their children: every part is where it was
    here, there = page.evaluate(NODE_PARTS, f"/svg?{urlencode({'src': CHAIN, 'step': 20})}")
    assert here == there and len(here) == len(re.findall(r'<g id="n\d+"', frame))
    assert page.evaluate("document.querySelectorAll('#graph g[transform]').length") == 0
    # what is drawn still takes the pointer (a node's title shows on hover) through the layers
    hits = page.evaluate("""() => [...document.querySelectorAll('#graph g.node')].map((g) => {
      const r = g.querySelector('.outline').getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + 4);
      return [g.id, hit && hit.closest('g') ? hit.closest('g').id : null];
    })""")
    assert all(want == got for want, got in hits), hits
    # zoomed and panned, the layers stay aligned
    page.click("#zoom-in")
    box = page.locator("#graph").bounding_box()
    page.mouse.move(box["x"] + 100, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(box["x"] + 160, box["y"] + 130, steps=4)
    page.mouse.up()
    assert all(max(layer["ctm"]) < 0.01 for layer in page.evaluate(LAYERS)[1:])
    assert not page.console.errors


TAPE_AFTER_KEYS = """(times) => {
  // Steps by key in one task: no frame (and no animation frame callback) runs in between.
  for (let i = 0; i < times; i++) {
    document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
  }
  const box = document.getElementById('tape-scroll');
  const line = box.querySelector('.tape-line.current');
  const b = box.getBoundingClientRect();
  const r = line.getBoundingClientRect();
  return {step: line.dataset.step, scrolled: box.scrollTop,
          inside: r.top >= b.top && r.bottom <= b.bottom};
}"""


def test_tape_follows_the_step_before_the_frame(page, server):
    page.goto(page_url(server, CHAIN, 0))
    wait_for_graph(page)
    page.locator("#graph").click()
    after = page.evaluate(TAPE_AFTER_KEYS, 40)
    # scrolled in the key's own task: a scroll from inside a frame would cost another frame
    assert after["step"] == "40" and after["scrolled"] > 0 and after["inside"], after


TAPE_MARK = """() => {
  // Where the current line's mark lies against the current line, in viewport pixels.
  const box = document.getElementById('tape-scroll');
  const line = box.querySelector('.tape-line.current');
  const bar = box.querySelector('.tape-mark');
  const num = box.querySelector('.tape-mark-num');
  const edges = (r) => [r.left, r.top, r.right, r.bottom].map(Math.round);
  const bold = getComputedStyle(num);
  return {step: line.dataset.step, shown: !bar.hidden && !num.hidden,
          line: edges(line.getBoundingClientRect()), bar: edges(bar.getBoundingClientRect()),
          lineNumber: edges(line.querySelector('.tape-num').getBoundingClientRect()),
          number: edges(num.getBoundingClientRect()), text: num.textContent,
          weight: bold.fontWeight, phase: bar.dataset.phase, scrolled: box.scrollTop};
}"""


def assert_mark_on_current_line(page, step, phase):
    mark = page.evaluate(TAPE_MARK)
    assert mark["step"] == str(step) and mark["shown"], mark
    assert mark["bar"] == mark["line"] and mark["number"] == mark["lineNumber"], mark
    assert mark["text"] == str(step) and mark["weight"] == "700" and mark["phase"] == phase, mark
    return mark


def test_tape_mark_covers_the_current_line(page, server):
    open_reuse(page, server, step=2)
    assert_mark_on_current_line(page, 2, "forward")
    page.locator("#graph").click()
    page.keyboard.press("ArrowRight")
    assert_mark_on_current_line(page, 3, "forward")
    page.locator(".tape-line[data-step='7']").click()
    assert_mark_on_current_line(page, 7, "backward")
    page.locator("#graph").click()
    page.keyboard.press("Home")  # nothing computed: no current line, no mark
    assert page.evaluate("() => document.querySelector('.tape-mark').hidden")
    page.keyboard.press("End")
    assert_mark_on_current_line(page, REUSE_STEPS, "backward")


@pytest.mark.slow
def test_tape_mark_follows_a_scrolled_tape(page, server):
    page.goto(page_url(server, CHAIN, 0))
    wait_for_graph(page)
    page.locator("#graph").click()
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    mark = assert_mark_on_current_line(page, 40, "forward")
    assert mark["scrolled"] > 0
    page.keyboard.press("End")  # a jump: the tape scrolls to its last line
    last = page.evaluate("() => document.querySelectorAll('.tape-line').length")
    assert assert_mark_on_current_line(page, last, "backward")["scrolled"] > mark["scrolled"]
    page.evaluate("() => { document.getElementById('tape-scroll').scrollTop = 0; }")
    assert_mark_on_current_line(page, last, "backward")  # scrolled by hand: it moves along
    page.click("#tab-check")
    page.locator("#graph").click()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")
    page.click("#tab-tape")  # hidden while it moved: placed when shown again
    assert_mark_on_current_line(page, 1, "forward")
    page.set_viewport_size({"width": 1000, "height": 720})  # lines wrap differently
    page.wait_for_timeout(100)
    assert_mark_on_current_line(page, 1, "forward")
    assert not page.console.errors


SYNTHETIC_STEPPER = """async (count) => {
  // A chain of `count` op nodes on one input, drawn as bare <g>/<text> elements.
  const { Stepper } = await import('/static/stepper.js');
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  const nodes = [{id: 'n0', name: 'x', kind: 'input', live: true, value_finite: true,
                  grad: 1, display: {value: ['1'], grad: ['1']}}];
  const edges = [];
  const steps = [];
  for (let i = 1; i <= count; i++) {
    nodes.push({id: `n${i}`, name: `z${i}`, kind: 'op', live: true, value_finite: true, grad: 1,
                display: {value: [String(i)], grad: ['1']}});
    edges.push({id: `e${i - 1}`, src: `n${i - 1}`, dst: `n${i}`, local_display: '1'});
    steps.push({index: i, phase: 'forward', kind: 'op', node: `n${i}`, edges: [`e${i - 1}`],
                contributions: []});
  }
  steps.push({index: count + 1, phase: 'backward', kind: 'seed', node: `n${count}`, edges: [],
              contributions: []});
  for (let i = count; i >= 1; i--) {
    steps.push({index: steps.length + 1, phase: 'backward', kind: 'op', node: `n${i}`,
                edges: [`e${i - 1}`], contributions: [{edge: `e${i - 1}`, target: `n${i - 1}`,
                total: 1, total_display: ['1'], final: true, count: 1}]});
  }
  for (const n of nodes) {
    const g = document.createElementNS(NS, 'g');
    g.id = n.id;
    g.setAttribute('class', 'node');
    for (const suffix of ['label', 'v0', 'g0']) {
      const t = document.createElementNS(NS, 'text');
      t.id = `${n.id}-${suffix}`;
      g.appendChild(t);
    }
    svg.appendChild(g);
  }
  for (const e of edges) {
    const g = document.createElementNS(NS, 'g');
    g.id = e.id;
    g.setAttribute('class', 'edge');
    svg.appendChild(g);
  }
  document.body.appendChild(svg);
  const stepper = new Stepper();
  stepper.load(svg, {nodes, edges, steps});
  const n = steps.length;
  const time = (f) => { const t = performance.now(); f(); return performance.now() - t; };
  const jumps = [time(() => stepper.show(n)), time(() => stepper.show(0)), time(() => stepper.show(n))];
  const singles = [];
  for (let k = n - 1; k >= 0; k--) singles.push(time(() => stepper.show(k)));
  singles.sort((a, b) => a - b);
  const check = [svg.querySelector('#n1-v0').textContent, svg.querySelector('#n1').classList.contains('pending')];
  svg.remove();
  return {n, jump: Math.max(...jumps), p95: singles[Math.floor(singles.length * 0.95)], check};
}"""


def test_stepper_walks_a_1000_node_chain_and_back(page, server):
    # Speed is measured in bench/browser_bench.py; here only that big jumps land right.
    page.goto(f"{server}/")
    wait_for_graph(page)
    result = page.evaluate(SYNTHETIC_STEPPER, 1000)
    assert result["n"] == 2001
    assert result["check"] == ["·", True]  # back at step 0


# --- screenshots -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["reuse", "gates", "matvec"])
def test_screenshots(page, server, slug):
    """1280×720 pictures of each example at the start, mid-forward, mid-backward and the end."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(page_url(server, by_slug(slug).source))
    wait_for_graph(page)
    n = int(page.get_attribute("[data-step-range]", "max"))
    forward = page.evaluate("() => document.querySelectorAll('#tape-forward .tape-line').length")
    frames = {
        "start": 0,
        "mid-forward": max(1, (forward + 1) // 2),
        "mid-backward": forward + 1 + (n - forward) // 2,
        "end": n,
    }
    for name, k in frames.items():
        set_range(page, "[data-step-range]", k)
        assert counter(page).startswith(f"step {k} / {n}")
        page.wait_for_timeout(150)
        page.screenshot(path=str(ARTIFACTS / f"{slug}-{name}.png"))
    assert not page.console.errors
