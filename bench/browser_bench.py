"""In the browser: time from a key press to the next painted frame, measured in Chromium.

A real key press goes through Playwright; the page's own listeners step the picture. The
time is taken from a capturing `keydown` listener to the first animation frame after it plus
a task (the frame's style, layout and paint are done by then). The floor is the same measure
for a key the page ignores; what the page adds is the difference.

Chromium draws at most one frame per 16.7 ms: a press that comes soon after a frame waits for
the next tick, while one that comes later starts a frame at once (the floor is then ~1 ms).
So the wait depends on when the press comes, and two ways of pressing are measured:
- at a random moment: each press waits a random 0–16.7 ms after the last painted frame, as a
  person's key presses fall anywhere in a frame. This is the figure a user sees.
- just after a frame: each press is sent as soon as the last frame is painted, so it waits
  most of a frame. In a given run the press lands at about the same point of the frame each
  time, and that point differs between runs, so this figure is the worst case and it swings.

A second, separate pass records a Chrome trace of the same presses at ~200 nodes and splits
each press's time into the renderer's phases (`breakdown`).
"""

from __future__ import annotations

import logging
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser_support import VIEWPORT, launch, live_server, page_url, wait_for_graph  # noqa: E402
from programs import with_nodes  # noqa: E402

PROBE = """() => {
  window.__latencies = [];
  document.addEventListener('keydown', () => {
    const start = performance.now();
    requestAnimationFrame(() => setTimeout(() => window.__latencies.push(performance.now() - start)));
  }, {capture: true});
}"""

TRACED_PROBE = """() => {
  window.__latencies = [];
  document.addEventListener('keydown', () => {
    const start = performance.now();
    performance.mark('step-key');
    requestAnimationFrame(() => setTimeout(() => {
      performance.mark('step-painted');
      window.__latencies.push(performance.now() - start);
    }));
  }, {capture: true});
}"""
"""PROBE, with marks that put each press's start and end in the trace."""

PRESSES = 60
FRAME_S = 1 / 60
TRACED_PRESSES = 40

TRACE_CATEGORIES = ["blink", "cc", "toplevel", "blink.user_timing"]
"""Not `devtools.timeline`: with it on, Chromium walks every layout object to count them at
each layout, which would show up as layout time growing with the page."""

PHASES = {
    "UpdateLayoutTree": "style",
    "LocalFrameView::layout": "layout",
    "HitTest": "hit test (hover)",
    "PageAnimator::serviceScriptedAnimations": "animation frame callbacks (and what they force)",
    "LocalFrameView::RunCompositingInputsLifecyclePhase": "pre-paint",
    "LocalFrameView::RunPrePaintLifecyclePhase": "pre-paint",
    "LocalFrameView::RunPaintLifecyclePhase": "paint",
    "LocalFrameView::pushPaintArtifactToCompositor": "layerize",
    "ProxyMain::BeginMainFrame::commit": "commit",
}
"""Trace events (outermost only) and the phase they count for; paint excludes layerize."""

ROWS = ["key press to painted frame", "main thread idle (waiting for the frame)",
        "input task (keydown listeners)", "style", "layout", "hit test (hover)",
        "animation frame callbacks (and what they force)", "pre-paint", "paint", "layerize",
        "commit"]


def measure(page, base: str, source: str, key: str, probe: str = PROBE,
            presses: int = PRESSES, phases: random.Random | None = None) -> tuple[int, list[float]]:
    """Nodes drawn and the latencies of `presses` presses of `key`, one at a time: each sent
    as soon as the last frame is painted, or a random part of a frame later from `phases`."""
    page.goto(page_url(base, source, 0))
    wait_for_graph(page, timeout=120_000)
    page.evaluate(probe)
    page.locator("#graph").click()  # focus leaves the editor, so keys step
    for i in range(presses):
        if phases is not None:
            time.sleep(phases.uniform(0, FRAME_S))
        page.keyboard.press(key)
        page.wait_for_function("n => window.__latencies.length >= n", arg=i + 1)
    return page.locator("#graph svg g.node").count(), page.evaluate("window.__latencies")


def traced(page, base: str, source: str) -> tuple[int, list[dict]]:
    """`measure` with a Chrome trace running; the trace's events."""
    cdp = page.context.new_cdp_session(page)
    events: list[dict] = []
    done = threading.Event()
    cdp.on("Tracing.dataCollected", lambda e: events.extend(e["value"]))
    cdp.on("Tracing.tracingComplete", lambda e: done.set())
    cdp.send("Tracing.start", {"traceConfig": {"includedCategories": TRACE_CATEGORIES},
                               "transferMode": "ReportEvents"})
    nodes, _ = measure(page, base, source, "ArrowRight", TRACED_PROBE, TRACED_PRESSES)
    cdp.send("Tracing.end")
    while not done.is_set():
        page.wait_for_timeout(20)
    cdp.detach()
    return nodes, events


def press_phases(events: list[dict]) -> list[dict[str, float]]:
    """Per traced press: milliseconds of each row of ROWS on the page's main thread."""
    marks = sorted((e["ts"], e["name"], (e["pid"], e["tid"])) for e in events
                   if e.get("name") in ("step-key", "step-painted"))
    if not marks:
        return []
    thread = marks[0][2]
    spans = sorted((e for e in events if (e["pid"], e["tid"]) == thread and e.get("ph") == "X"),
                   key=lambda e: (e["ts"], -e.get("dur", 0)))
    tasks = []  # outermost tasks only
    for e in spans:
        if e["name"] == "ThreadControllerImpl::RunTask" and (
                not tasks or e["ts"] >= tasks[-1]["ts"] + tasks[-1]["dur"]):
            tasks.append(e)
    windows = [(a[0], b[0]) for a, b in zip(marks, marks[1:])
               if a[1] == "step-key" and b[1] == "step-painted"]
    rows = []
    for start, end in windows:
        row: dict[str, float] = defaultdict(float)
        row[ROWS[0]] = (end - start) / 1e3
        busy = 0.0
        for task in tasks:
            if task["ts"] + task["dur"] > start and task["ts"] < end:
                busy += (min(end, task["ts"] + task["dur"]) - max(start, task["ts"])) / 1e3
                if task["ts"] <= start:
                    row["input task (keydown listeners)"] += task["dur"] / 1e3
        row["main thread idle (waiting for the frame)"] = row[ROWS[0]] - busy
        inside_until: dict[str, float] = {}
        for e in spans:
            phase = PHASES.get(e["name"])
            if phase is None or not start <= e["ts"] < end or inside_until.get(phase, 0) > e["ts"]:
                continue
            inside_until[phase] = e["ts"] + e["dur"]
            row[phase] += e["dur"] / 1e3
            if phase == "layerize":  # it runs inside the paint phase
                row["paint"] -= e["dur"] / 1e3
        rows.append(row)
    return rows


def breakdown(page, base: str, source: str) -> tuple[int, list[list[str]]]:
    """Nodes drawn, and the table rows of where a press's time goes (medians per press)."""
    nodes, events = traced(page, base, source)
    rows = press_phases(events)
    table_rows = []
    for name in ROWS:
        values = [row.get(name, 0.0) for row in rows]
        table_rows.append([name, f"{statistics.median(values):.1f} ms" if values else "–"])
    return nodes, table_rows


def latency_row(page, base: str, n: int, phases: random.Random | None) -> list[str]:
    """One table row: nodes, median, p95 and max of a step, the floor, and their difference."""
    _, floor = measure(page, base, with_nodes(n), "Shift", phases=phases)
    nodes, times = measure(page, base, with_nodes(n), "ArrowRight", phases=phases)
    times.sort()
    return [str(nodes), f"{statistics.median(times):.1f} ms",
            f"{times[int(len(times) * 0.95)]:.1f} ms", f"{times[-1]:.1f} ms",
            f"{statistics.median(floor):.1f} ms",
            f"{statistics.median(times) - statistics.median(floor):+.1f} ms"]


def run(table) -> None:
    """Print the tables of key-press-to-paint latencies at 20, 200 and 1,000 nodes (presses at
    a random moment, and just after a frame), and where a press's time goes at 200 nodes."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in the figures
    columns = ["nodes", "median", "p95", "max", "ignored key (floor)", "median − floor"]
    with live_server() as base, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=VIEWPORT)
        phases = random.Random(0)
        anywhere = [latency_row(page, base, n, phases) for n in (20, 200, 1000)]
        aligned = [latency_row(page, base, n, None) for n in (20, 200, 1000)]
        traced_nodes, phases_table = breakdown(page, base, with_nodes(200))
        browser.close()
    table("In the browser: key press to painted frame, pressed at a random moment "
          "(target ≤ 16 ms at 200 nodes)", columns, anywhere)
    table("The same, pressed just after a frame (the worst case: most of a frame's wait)",
          columns, aligned)
    table(f"Where a press's time goes, {traced_nodes} nodes (a separate pass under a Chrome "
          "trace, so a little slower; medians per press, so the rows need not add up)",
          ["what", "median"], phases_table)
