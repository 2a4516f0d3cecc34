"""Screenshots of every theme for three gallery examples at 1280×720 and 1920×1080.

    .venv/bin/python scripts/theme_screenshots.py [OUT_DIR]   (default: artifacts/themes)

Serves the app on a free loopback port and drives Debian's Chromium (CHROMIUM_PATH), in
the lecture-hall view: graph only, mid-way through the backward pass.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import launch, live_server, page_url, wait_for_graph  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from autodiff import build  # noqa: E402
from autodiff.draw.theme import THEMES  # noqa: E402
from autodiff.examples import by_slug  # noqa: E402

EXAMPLES = ("reuse", "gates", "matvec")
SIZES = ((1280, 720), (1920, 1080))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with live_server() as base, sync_playwright() as p:
        browser = launch(p)
        for width, height in SIZES:
            page = browser.new_page(viewport={"width": width, "height": height})
            for slug in EXAMPLES:
                source = by_slug(slug).source
                steps = len(build(source).steps)
                step = steps - 2  # the backward pass under way
                for theme in THEMES:
                    page.goto(page_url(base, source, step, theme=theme, graph_only=1))
                    wait_for_graph(page, steps)
                    page.wait_for_timeout(300)
                    path = out / f"{slug}-{theme}-{width}x{height}.png"
                    page.screenshot(path=str(path))
                    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
            page.close()
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "artifacts" / "themes")
