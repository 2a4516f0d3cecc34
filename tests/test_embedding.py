"""The embed in other sites, in a real browser: a host page on another origin drives `/embed`
by messages, and a real reveal.js deck (installed by `make test`) steps it with fragments."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from browser_support import (
    ARTIFACTS,
    FRAME_CLASSES,
    FRAME_TEXTS,
    other_origin,
    server_frame,
)

from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

REUSE = by_slug("reuse").source
REUSE_STEPS = 9
REUSE_PHASES = ["forward"] * 4 + ["seed"] + ["backward"] * 4
DECK = (Path(__file__).parent / "data" / "reveal_deck.html").read_text()

HOST = """<!doctype html>
<html><head><meta charset="utf-8"><title>host</title><link rel="icon" href="data:,"></head>
<body>
<iframe id="embed" src="APP/embed?QUERY" style="width: 900px; height: 560px; border: 0"></iframe>
<script>
  window.received = [];
  window.addEventListener("message", (e) => {
    if (e.source === document.getElementById("embed").contentWindow) window.received.push(e.data);
  });
  window.tell = (message) => document.getElementById("embed").contentWindow.postMessage(message, "*");
</script>
</body></html>
"""

MALFORMED = [
    None, 5, "backprop:next", '{"type": "backprop:next"}', [], ["backprop:next"],
    {}, {"type": "backprop:jump"}, {"type": "backprop:step"}, {"type": "backprop:step", "step": -1},
    {"type": "backprop:step", "step": "3"}, {"type": "backprop:step", "step": 1.5},
    {"type": "backprop:step", "step": 3, "extra": True}, {"type": "backprop:next", "step": 1},
    {"type": "backprop:options"}, {"type": "backprop:options", "theme": "</style><script>"},
    {"type": "backprop:options", "edge_labels": "yes"}, {"type": "BACKPROP:NEXT"},
    {"type": "eval", "code": "document.body.remove()"}, {"type": ["backprop:next"]},
    "slide:start ", "javascript:alert(1)", {"context": "h5p", "action": "eval"},
    {"context": "H5P", "action": "hello"}, {"context": "h5p", "action": ["hello"]},
]


def fill(template: str, app: str, **query) -> str:
    return template.replace("APP", app).replace("QUERY", urlencode({"src": REUSE, **query}))


def received(page, kind: str) -> list[dict]:
    return page.evaluate("t => window.received.filter((m) => m && m.type === t)", f"backprop:{kind}")


def wait_for_count(page, kind: str, n: int) -> list[dict]:
    page.wait_for_function(
        "([t, n]) => window.received.filter((m) => m && m.type === t).length >= n",
        arg=[f"backprop:{kind}", n], timeout=10_000)
    return received(page, kind)


def embed_counter(page) -> str:
    return page.frame_locator("#embed").locator("[data-step-counter]").inner_text().strip()


# --- a host page drives the embed ---------------------------------------------------------


def test_a_host_on_another_origin_steps_the_embed_through_by_messages(page, live_app):
    with other_origin({"/host.html": fill(HOST, live_app)}) as site:
        page.goto(f"{site}/host.html")
        [ready] = wait_for_count(page, "ready", 1)
        assert ready == {"type": "backprop:ready", "step": 0, "total": REUSE_STEPS,
                         "height": received(page, "resize")[-1]["height"]}
        for k in range(1, REUSE_STEPS + 1):
            page.evaluate("() => window.tell({type: 'backprop:next'})")
            wait_for_count(page, "stepped", k)
        assert received(page, "stepped") == [
            {"type": "backprop:stepped", "step": k, "total": REUSE_STEPS, "phase": phase}
            for k, phase in enumerate(REUSE_PHASES, start=1)]
        assert embed_counter(page) == f"step 9 / {REUSE_STEPS} · backward"

        for message, step in [({"type": "backprop:step", "step": 3}, 3),
                              ({"type": "backprop:prev"}, 2), ({"type": "backprop:first"}, 0),
                              ({"type": "backprop:last"}, 9), ({"type": "backprop:step", "step": 99}, 9)]:
            before = len(received(page, "stepped"))
            page.evaluate("m => window.tell(m)", message)
            if step != 9 or message["type"] != "backprop:step":
                assert wait_for_count(page, "stepped", before + 1)[-1]["step"] == step
        page.wait_for_timeout(200)
        assert received(page, "stepped")[-1]["step"] == 9  # step 99 is the last step: no change

        # With the keys (after a click), the ends and the deck's keys go to the host.
        page.frame_locator("#embed").locator("#graph").click()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("PageDown")
        page.keyboard.press("Home")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("Escape")
        wait_for_count(page, "boundary", 2)
        assert received(page, "boundary") == [
            {"type": "backprop:boundary", "direction": "next"},
            {"type": "backprop:boundary", "direction": "prev"}]
        assert received(page, "key") == [
            {"type": "backprop:key", "key": "PageDown"}, {"type": "backprop:key", "key": "Escape"}]
        assert received(page, "stepped")[-1]["step"] == 0  # Home stepped, ← at 0 did not
        heights = received(page, "resize")
        assert heights and all(m["height"] > 200 for m in heights)
        canvas = page.evaluate("() => window.received.filter((m) => typeof m === 'string')")
        assert canvas and all(json.loads(m)["subject"] == "lti.frameResize" for m in canvas)
        # No H5P resizer answers here: each new height only greets one again.
        h5p = page.evaluate("() => window.received.filter((m) => m && m.context === 'h5p')")
        assert h5p == [{"context": "h5p", "action": "hello"}] * len(heights)
    assert not page.console.errors, page.console.errors


def test_malformed_messages_are_ignored_without_a_console_error(page, live_app):
    with other_origin({"/host.html": fill(HOST, live_app, step=4)}) as site:
        page.goto(f"{site}/host.html")
        wait_for_count(page, "ready", 1)
        before = page.evaluate("() => window.received.length")
        for message in MALFORMED:
            page.evaluate("m => window.tell(m)", message)
        page.evaluate("() => window.tell({type: 'backprop:step', step: 6})")  # this one counts
        wait_for_count(page, "stepped", 1)
        page.wait_for_timeout(200)
        news = page.evaluate("n => window.received.slice(n)", before)
        told = [m for m in news if isinstance(m, dict)
                and str(m.get("type")).startswith("backprop:") and m["type"] != "backprop:resize"]
        assert told == [
            {"type": "backprop:stepped", "step": 6, "total": REUSE_STEPS, "phase": "backward"}]
        assert embed_counter(page) == f"step 6 / {REUSE_STEPS} · backward"
    assert not page.console.errors, page.console.errors


def test_play_stops_when_the_slide_is_hidden_and_options_redraw(page, live_app):
    with other_origin({"/host.html": fill(HOST, live_app)}) as site:
        page.goto(f"{site}/host.html")
        wait_for_count(page, "ready", 1)
        page.evaluate("() => window.tell({type: 'backprop:play'})")
        wait_for_count(page, "stepped", 2)
        page.evaluate("() => window.tell('slide:stop')")  # what reveal.js sends a hidden slide
        page.wait_for_timeout(100)
        count = len(received(page, "stepped"))
        page.wait_for_timeout(1600)  # two play intervals
        assert len(received(page, "stepped")) == count
        frame = page.frame_locator("#embed")
        assert frame.locator("[id$='-local']").count() == 0
        page.evaluate("() => window.tell({type: 'backprop:options', edge_labels: true})")
        ready = wait_for_count(page, "ready", 2)[-1]
        assert ready == {"type": "backprop:ready", "step": count, "total": REUSE_STEPS,
                         "height": received(page, "resize")[-1]["height"]}
        assert frame.locator("[id$='-local']").count() > 0
        sheet = frame.locator("#graph svg style").first.text_content()
        page.evaluate("() => window.tell({type: 'backprop:options', theme: 'dark'})")
        assert wait_for_count(page, "ready", 3)[-1] == ready
        assert frame.locator("#graph svg style").first.text_content() != sheet  # redrawn dark
        assert frame.locator("html").get_attribute("data-theme") == "dark"
        assert frame.locator("[id$='-local']").count() > 0  # the other option stays
    assert not page.console.errors, page.console.errors


LATE_HOST = """<!doctype html>
<html><head><meta charset="utf-8"><title>late host</title><link rel="icon" href="data:,"></head>
<body>
<iframe id="embed" src="APP/embed?QUERY" style="width: 900px; height: 560px; border: 0"></iframe>
<script>
  // This host starts listening only once the embed has loaded (its first `ready` is gone):
  // it says hello and hears `ready` again, with the height the embed would like.
  window.received = [];
  const frame = document.getElementById("embed");
  window.tell = (message) => frame.contentWindow.postMessage(message, "*");
  frame.addEventListener("load", () => setTimeout(() => {
    window.addEventListener("message", (e) => {
      if (e.source === frame.contentWindow) window.received.push(e.data);
    });
    window.tell({type: "backprop:hello"});
  }, 1500));
</script>
</body></html>
"""

H5P_HOST = """<!doctype html>
<html><head><meta charset="utf-8"><title>H5P host</title><link rel="icon" href="data:,"></head>
<body style="margin: 0">
<iframe id="embed" src="APP/embed?QUERY" style="width: 300px; height: 150px; border: 0"></iframe>
<script>
  // The host side of H5P's resize handshake, as an H5P host page's resizer plays it:
  // hello is answered (the frame goes full width, and the host asks again on each window
  // resize); prepareResize sets the frame to the present height and answers resizePrepared;
  // resize sets the frame's height to the one asked for.
  window.received = [];
  const frame = document.getElementById("embed");
  const answer = (action) => frame.contentWindow.postMessage({context: "h5p", action}, "*");
  window.addEventListener("message", (e) => {
    if (e.source !== frame.contentWindow) return;
    window.received.push(e.data);
    if (!e.data || e.data.context !== "h5p") return;
    if (e.data.action === "hello") {
      frame.style.width = "100%";
      window.addEventListener("resize", () => answer("resize"));
      answer("hello");
    } else if (e.data.action === "prepareResize") {
      if (frame.clientHeight !== e.data.scrollHeight || e.data.scrollHeight !== e.data.clientHeight) {
        frame.style.height = e.data.clientHeight + "px";
        answer("resizePrepared");
      }
    } else if (e.data.action === "resize") {
      frame.style.height = e.data.scrollHeight + "px";
    }
  });
</script>
</body></html>
"""


def test_a_host_that_listens_late_says_hello_and_hears_ready_and_each_new_height(page, live_app):
    with other_origin({"/host.html": fill(LATE_HOST, live_app, step=3)}) as site:
        page.goto(f"{site}/host.html")
        [ready] = wait_for_count(page, "ready", 1)
        assert received(page, "stepped") == []  # the hello's answer, not a step
        assert ready["type"] == "backprop:ready" and (ready["step"], ready["total"]) == (3, REUSE_STEPS)
        assert 300 < ready["height"] < 2000
        # A narrower frame shows the picture smaller: the embed asks for less height.
        page.evaluate("() => { document.getElementById('embed').style.width = '450px'; }")
        [resize] = wait_for_count(page, "resize", 1)
        assert resize["height"] < ready["height"]
        page.evaluate("() => window.tell({type: 'backprop:hello'})")
        assert wait_for_count(page, "ready", 2)[-1] == {**ready, "height": resize["height"]}
    assert not page.console.errors, page.console.errors


def test_an_h5p_host_sizes_the_frame_by_its_handshake(page, live_app):
    with other_origin({"/host.html": fill(H5P_HOST, live_app)}) as site:
        page.set_viewport_size({"width": 1000, "height": 700})
        page.goto(f"{site}/host.html")
        wait_for_count(page, "ready", 1)
        wanted = page.wait_for_function("""() => {
            const last = window.received.filter((m) => m && m.type === "backprop:resize").pop();
            const frame = document.getElementById("embed");
            return last && frame.clientWidth === 1000 && frame.clientHeight === last.height
              && last.height;
          }""", timeout=10_000).json_value()
        actions = page.evaluate(
            "() => window.received.filter((m) => m && m.context === 'h5p').map((m) => m.action)")
        assert actions[0] == "hello" and "prepareResize" in actions and actions[-1] == "resize"
        last = page.evaluate("() => window.received.filter((m) => m && m.context === 'h5p').pop()")
        assert last == {"context": "h5p", "action": "resize", "scrollHeight": wanted}

        # The host's window narrows: it asks the frame again, and the frame gets its new height.
        page.set_viewport_size({"width": 600, "height": 700})
        smaller = page.wait_for_function("""(before) => {
            const last = window.received.filter((m) => m && m.type === "backprop:resize").pop();
            const frame = document.getElementById("embed");
            return last.height < before && frame.clientHeight === last.height && last.height;
          }""", arg=wanted, timeout=10_000).json_value()
        assert smaller < wanted
    assert not page.console.errors, page.console.errors


# --- a reveal.js deck -----------------------------------------------------------------------


def deck_state(page) -> dict:
    return page.evaluate("() => window.deck.getIndices()")


def embed_frame(page):
    return next(f for f in page.frames if "/embed?" in f.url)


def wait_for_embed_step(page, k: int):
    frame = embed_frame(page)
    frame.wait_for_function(
        "k => document.querySelector('[data-step-counter]').textContent.startsWith(`step ${k} /`)",
        arg=k, timeout=10_000)
    return frame


def test_a_reveal_deck_steps_the_embed_with_fragments_and_moves_on(page, live_app):
    with other_origin({"/deck.html": fill(DECK, live_app)}) as site:
        page.goto(f"{site}/deck.html")
        page.wait_for_function("() => window.deck && window.deck.isReady()")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "n => document.querySelectorAll('.present .backprop-steps .fragment').length === n",
            arg=REUSE_STEPS, timeout=15_000)
        frame = wait_for_embed_step(page, 0)
        assert deck_state(page)["h"] == 1

        # The deck's → shows one fragment, and the embed one step, at a time: the same frames
        # as the server draws for /svg?step=k.
        for k in range(1, REUSE_STEPS + 1):
            page.keyboard.press("ArrowRight")
            frame = wait_for_embed_step(page, k)
            assert deck_state(page) == {"h": 1, "v": 0, "f": k - 1}
            assert (frame.evaluate(FRAME_CLASSES), frame.evaluate(FRAME_TEXTS)) == \
                server_frame(live_app, REUSE, k), f"step {k}"
            if k == 4:
                page.screenshot(path=str(ARTIFACTS / "reveal-deck-step4.png"))
        for k in (8, 7):  # and back
            page.keyboard.press("ArrowLeft")
            frame = wait_for_embed_step(page, k)
            assert (frame.evaluate(FRAME_CLASSES), frame.evaluate(FRAME_TEXTS)) == \
                server_frame(live_app, REUSE, k), f"back to step {k}"

        # A click into the graph gives it the keys: it steps by itself, the fragments follow,
        # and → at its last step moves the deck on.
        page.frame_locator("iframe[data-backprop]").locator("#graph").click()
        page.keyboard.press("ArrowRight")
        wait_for_embed_step(page, 8)
        page.wait_for_function("() => window.deck.getIndices().f === 7")
        page.keyboard.press("ArrowRight")
        wait_for_embed_step(page, 9)
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => window.deck.getIndices().h === 2")

        # Back on the slide (all fragments shown), a click, then a clicker's PageDown.
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("() => window.deck.getIndices().h === 1")
        wait_for_embed_step(page, REUSE_STEPS)
        page.frame_locator("iframe[data-backprop]").locator("#graph").click()
        page.keyboard.press("PageDown")
        page.wait_for_function("() => window.deck.getIndices().h === 2")
        page.keyboard.press("ArrowRight")  # and the deck keeps its keys
        page.wait_for_function("() => window.deck.getIndices().h === 3")
    assert not page.console.errors, page.console.errors


def test_slide_start_goes_back_to_the_urls_step_only_with_restart(page, live_app):
    for restart, expected in (("1", 2), ("0", 5)):
        with other_origin({"/host.html": fill(HOST, live_app, step=2, restart=restart)}) as site:
            page.goto(f"{site}/host.html")
            assert wait_for_count(page, "ready", 1)[-1]["step"] == 2
            page.evaluate("() => window.tell({type: 'backprop:step', step: 5})")
            wait_for_count(page, "stepped", 1)
            page.evaluate("() => window.tell('slide:start')")  # the slide is shown again
            page.wait_for_timeout(300)
            assert received(page, "stepped")[-1]["step"] == expected, restart
            assert embed_counter(page).startswith(f"step {expected} /")
    assert not page.console.errors, page.console.errors
