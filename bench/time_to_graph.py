"""In the browser: how long until a new program's graph is painted, and who spends that time.

Two ways a person gets a new graph, each timed in Chromium to the first frame painted after
the page put the new picture in `#graph` (an animation frame plus a task after it):
- a link: from the start of navigation (the page, its modules and /api/graph all included),
  in each form the app hands out: `?src=` (while the URL is short enough for the servers),
  a short link `/s/<id>` (Share, the QR code) and the address bar's `#z=`;
- a keystroke: the key that turns a half-typed last line into a program (`g = f * ` → `2`),
  from its `keydown`; the page waits for a pause in typing before it asks.
Every program has a structure not laid out before in the run, so the server runs `dot`.

The server's time is the /api/graph request as the page's Resource Timing sees it (sent to
last byte, on loopback). The browser's own work is the rest: total − typing delay − server,
split into what happens before the request leaves and after its answer arrives. For a
keystroke, the main thread's CPU time from the answer to the paint is read from a Chrome
trace as well: on a busy machine the wall times grow with the load, that one much less.

Links are timed on a phone too, as Chromium emulates one: a slower CPU, and a round trip
added to every request (which the server's time then includes).
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path
from unittest.mock import patch
from urllib.request import Request, urlopen

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import VIEWPORT, launch, live_server, page_url  # noqa: E402
from programs import node_count, with_nodes  # noqa: E402

from web.permalink import deflate  # noqa: E402

SIZES = (20, 100, 1000, 2000)
REPEAT = 3
TYPE_DELAY_MS = 300  # static/app.js TYPE_DELAY_MS: the pause in typing before the page asks
TARGETS = {100: 100, 1000: 250}  # values → most ms of the browser's own work
MAX_REQUEST_LINE = 8190  # gunicorn.conf.py's limit_request_line: a longer ?src= link is refused
LINK_FORMS = ("?src=", "/s/<id>", "#z=")
PHONE = {"width": 390, "height": 844}
PHONE_CPU_SLOWDOWN = 4  # Chrome DevTools' "mid-tier mobile"
PHONE_LATENCY_MS = 40  # a round trip over Wi-Fi to a server on the campus or nearby
PHONE_SIZES = (100, 1000)
PHONE_FORMS = ("/s/<id>", "#z=")  # a QR code or a short link, and the address bar's link
LAST_LINE = "g = f * "
KEY = "2"

PAINTED = "graph painted at "
PROBE = """() => {
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(() => {
      requestAnimationFrame(() => setTimeout(() => console.debug('""" + PAINTED + """' + performance.now())));
    }).observe(document.getElementById('graph'), {childList: true});
  });
  window.__keyAt = null;
  document.addEventListener('keydown', () => { window.__keyAt = performance.now(); },
                            {capture: true});
}"""
"""Installed before the page's own scripts: the paint time of each new picture, told on the
console (`watch`), and the time of the last key."""

LAST_REQUEST = """since => {
  const all = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('/api/graph') && e.startTime >= since);
  const e = all[all.length - 1];
  return {start: e.startTime, end: e.responseEnd, bytes: e.decodedBodySize};
}"""


def program(n: int, variant: int) -> str:
    """About `n` values whose input is named by `variant` (`x<variant>`), so each has a
    structure of its own (labels are part of it); two values are left for the keystroke's
    `g = f * 2`."""
    return re.sub(r"\bx\b", f"x{variant}", with_nodes(n - 2))


def watch(page):
    """`page` with PROBE installed and its paint times kept in `page.painted`."""
    page.painted = []
    page.add_init_script(script=f"({PROBE})()")
    page.on("console", lambda m: m.text.startswith(PAINTED)
            and page.painted.append(float(m.text[len(PAINTED):])))
    return page


def painted_after(page, since: float) -> float:
    """The first paint time after `since`, waited for without running anything in the page:
    Playwright's own waiting (`wait_for_function`) puts a script in the page, which would
    take the main thread while the page is being timed."""
    for _ in range(120_000 // 5):
        if later := [p for p in page.painted if p > since]:
            return min(later)
        page.wait_for_timeout(5)
    raise TimeoutError(f"no graph painted after {since:.0f} ms")


def link_url(base: str, source: str, form: str) -> str | None:
    """The program's link in `form` (None: a `?src=` link too long for the servers)."""
    if form == "#z=":
        return f"{base}/#z={deflate(source)}"
    if form == "?src=":
        url = page_url(base, source)
        return url if len(url) - len(base) + len("GET  HTTP/1.1") <= MAX_REQUEST_LINE else None
    asked = Request(f"{base}/api/links", data=json.dumps({"src": source}).encode(),
                    headers={"Content-Type": "application/json"})
    with urlopen(asked) as answer:
        return base + json.load(answer)["url"]


def by_link(page, url: str) -> dict[str, float]:
    """Open the link; the times of this load."""
    page.painted.clear()  # times of other pages, from other origins of time
    page.goto(url)
    painted = painted_after(page, 0)
    request = page.evaluate(LAST_REQUEST, 0)
    return {"total": painted, "delay": 0.0, "server": request["end"] - request["start"],
            "before": request["start"], "after": painted - request["end"],
            "bytes": request["bytes"]}


def by_keystroke(page, source: str) -> dict[str, float]:
    """On the page of `source`, type a half line and then the key that completes it."""
    editor = page.locator("#editor textarea")
    editor.fill(source + "\n" + LAST_LINE)
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    editor.press("Control+End")
    page.painted.clear()
    with MainThreadTrace(page) as trace:
        editor.press(KEY)
        key = page.evaluate("window.__keyAt")
        painted = painted_after(page, key)
    request = page.evaluate(LAST_REQUEST, key)
    return {"total": painted - key, "delay": float(TYPE_DELAY_MS),
            "server": request["end"] - request["start"],
            "before": request["start"] - key - TYPE_DELAY_MS, "after": painted - request["end"],
            "cpu_after": trace.cpu_ms(request["end"] - key, painted - key),
            "bytes": request["bytes"]}


class MainThreadTrace:
    """A Chrome trace of the page's main thread while the block runs; `cpu_ms(a, b)` is the
    thread's CPU time in the tasks that start between a and b ms after the last keydown."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.events: list[dict] = []
        self.done = False
        self.cdp.on("Tracing.dataCollected", lambda e: self.events.extend(e["value"]))
        self.cdp.on("Tracing.tracingComplete", lambda e: setattr(self, "done", True))
        self.page = page

    def __enter__(self):
        self.cdp.send("Tracing.start", {"categories": "toplevel,devtools.timeline",
                                        "transferMode": "ReportEvents"})
        return self

    def __exit__(self, *exc):
        self.cdp.send("Tracing.end")
        while not self.done:
            self.page.wait_for_timeout(20)
        self.cdp.detach()

    def cpu_ms(self, start: float, end: float) -> float:
        main = next(e["tid"] for e in self.events
                    if e.get("name") == "thread_name" and e["args"]["name"] == "CrRendererMain")
        ours = sorted((e for e in self.events if e.get("tid") == main and e.get("ph") == "X"),
                      key=lambda e: (e["ts"], -e.get("dur", 0)))
        key = max(e["ts"] for e in ours if e["name"] == "EventDispatch"
                  and e["args"].get("data", {}).get("type") == "keydown")
        cpu, inside_until = 0.0, -1
        for e in ours:  # top-level events only: those nested in another are counted in it
            if e["ts"] < inside_until or "tdur" not in e:
                continue
            inside_until = e["ts"] + e.get("dur", 0)
            if key + start * 1000 <= e["ts"] <= key + end * 1000:
                cpu += e["tdur"] / 1000
        return cpu


def row(values: int, runs: list[dict[str, float]], *first: str, target: int | None = None) -> list[str]:
    """A table row of medians over `runs`, after the `first` cells, with the browser's own
    work against its `target`."""
    med = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    own = statistics.median(r["total"] - r["delay"] - r["server"] for r in runs)
    mark = f" (target ≤ {target})" if target else ""
    cpu = [f"{med['cpu_after']:.0f} ms"] if "cpu_after" in med else []
    return [*first, str(values), f"{med['total']:.0f} ms", f"{med['delay']:.0f} ms",
            f"{med['server']:.0f} ms", f"{own:.0f} ms{mark}", f"{med['before']:.0f} ms",
            f"{med['after']:.0f} ms", *cpu, f"{med['bytes'] / values / 1024:.2f} KB"]


def run(table, repeat: int = REPEAT) -> None:
    """Print the time-to-graph tables, by link and by keystroke, at 20 to 2,000 values, each
    the median of `repeat` programs of that size."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    links, keys = [], []
    kept = tempfile.TemporaryDirectory()  # the short links' store, for this run only
    store = {"DATABASE_URL": f"sqlite:///{kept.name}/links.sqlite3",
             "LINKS_RATE_LIMIT": "1000000 per minute"}
    with kept, patch.dict(os.environ, store), live_server() as base, sync_playwright() as p:
        browser = launch(p)
        page = watch(browser.new_page(viewport=VIEWPORT))
        page.goto(page_url(base, "x = 1\nf = x * 2"))  # warm: modules cached, spare dot up
        painted_after(page, 0)
        for n in SIZES:
            link_runs: dict[str, list] = {form: [] for form in LINK_FORMS}
            key_runs = []
            for variant in range(repeat):
                for i, form in enumerate(LINK_FORMS):
                    source = program(n, variant * len(LINK_FORMS) + i)
                    if url := link_url(base, source, form):
                        link_runs[form].append(by_link(page, url))
                key_runs.append(by_keystroke(page, program(n, variant)))
            values = node_count(program(n, 0))
            links.extend(row(values, runs, form, target=TARGETS.get(n))
                         for form, runs in link_runs.items() if runs)
            keys.append(row(values + 2, key_runs, target=TARGETS.get(n)))
        phone = on_a_phone(browser, base, repeat)
        browser.close()
    header = ["values", "total", "typing delay", "server", "browser's own work",
              "before the request", "after the answer", "answer per value"]
    table(f"Time to graph: link → graph painted (medians of {repeat}; target for the browser's "
          "own work ≤ 100 ms at 100 values, ≤ 250 ms at 1,000)", ["link", *header], links)
    table(f"Time to graph: keystroke → graph painted (medians of {repeat}; same targets)",
          [*header[:-1], "main-thread CPU after the answer", header[-1]], keys)
    table(f"Time to graph on a phone: link → graph painted at {PHONE['width']}×{PHONE['height']}, "
          f"the CPU slowed {PHONE_CPU_SLOWDOWN}× and {PHONE_LATENCY_MS} ms added to every request "
          f"(medians of {repeat})", ["link", *header[:2], "server and round trip", *header[4:]],
          [r[:3] + r[4:] for r in phone])


def on_a_phone(browser, base: str, repeat: int) -> list[list[str]]:
    """Link rows as a student opens a shared link on a phone over Wi-Fi: a narrow upright
    screen, a slower CPU and a round trip on every request (Chromium's own emulation)."""
    page = watch(browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True))
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": PHONE_LATENCY_MS, "downloadThroughput": -1,
        "uploadThroughput": -1})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
    page.goto(page_url(base, "x = 1\nf = x * 2"))  # warm: modules cached
    painted_after(page, 0)
    rows = []
    for n in PHONE_SIZES:
        runs: dict[str, list] = {form: [] for form in PHONE_FORMS}
        for variant in range(repeat):
            for i, form in enumerate(PHONE_FORMS):
                url = link_url(base, program(n, 500 + variant * len(PHONE_FORMS) + i), form)
                runs[form].append(by_link(page, url))
        rows.extend(row(node_count(program(n, 0)), r, form) for form, r in runs.items())
    page.close()
    return rows
