"""The page in each language, in a real browser: no English word of the interface is left, the
menu changes the language and keeps the program, and no label overflows its box."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from browser_support import VIEWPORT, counter, page_url, wait_for_graph

from autodiff import i18n
from autodiff.examples import by_slug

pytestmark = pytest.mark.browser

REUSE = by_slug("reuse").source
OTHERS = [lang for lang in i18n.LANGS if lang != i18n.DEFAULT]

SHOWN_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest('script, style, #graph, #source, .editor, #tape-scroll, #step-text')) continue;
    const text = n.textContent.trim();
    if (text) out.push(text);
  }
  for (const e of document.querySelectorAll('[title], [aria-label], [placeholder], [alt]')) {
    if (e.closest('#graph')) continue;
    for (const a of ['title', 'aria-label', 'placeholder', 'alt']) {
      const v = e.getAttribute(a);
      if (v && v.trim()) out.push(v.trim());
    }
  }
  for (const o of document.querySelectorAll('option')) out.push(o.textContent.trim());
  return out;
}"""
"""Every text and label of the page's interface (the graph, program and explanations aside:
they hold the program's names and the mathematics)."""

OVERFLOWING = """() => {
  const out = [];
  for (const e of document.querySelectorAll(
      'button, .btn, summary, label, .tabs [role=tab], .lg, .card-title, .phase-badge')) {
    if (e.offsetParent === null || e.closest('.sr-only, #tape-scroll') || e.querySelector('select')) continue;
    const box = e.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(e);
    const text = range.getBoundingClientRect();
    if (box.width && (text.right > box.right + 1 || text.left < box.left - 1
                      || text.bottom > box.bottom + 1)) {
      out.push(`${e.id || e.className}: ${e.textContent.trim().slice(0, 40)}`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('the page scrolls sideways');
  return out;
}"""
"""Labels whose text spills out of their box, and a page wider than the window."""


def _interface_ids() -> set[str]:
    """English ids of the page's and the scripts' messages that read differently in another
    language (so seeing one on an Italian page means it was left untranslated)."""
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = read_po(pot)
    return {m.id for m in template if isinstance(m.id, str) and "{" not in m.id
            and any(p.startswith(("templates/", "static/")) for p, _ in m.locations)}


@pytest.fixture(scope="module")
def interface_ids() -> set[str]:
    return _interface_ids()


@pytest.mark.parametrize("lang", OTHERS)
def test_the_page_in_a_language_shows_no_english_interface_word(browser, server, lang,
                                                                 interface_ids):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(page_url(server, REUSE, 3, lang=lang))
    wait_for_graph(page, 9)
    assert page.evaluate("document.documentElement.lang") == lang
    with i18n.language(lang):
        english = {m for m in interface_ids if i18n._(m) != m}
        assert counter(page).startswith(i18n._("step {k} / {n} · {phase}", k=3, n=9,
                                                 phase=i18n._("forward")))
    left = sorted(set(page.evaluate(SHOWN_TEXTS)) & english)
    assert not left, f"{lang}: English left on the page: {left}"
    assert not page.evaluate(OVERFLOWING), lang
    page.wait_for_function("l => document.getElementById('download-png').href.includes(`lang=${l}`)",
                           arg=lang)
    for export in page.eval_on_selector_all("[data-export]", "links => links.map((a) => a.href)"):
        assert f"lang={lang}" in export, export
    page.wait_for_function("() => location.hash.length > 1")  # written after a pause
    assert f"lang={lang}" in page.url and "lang=" not in page.url.split("#", 1)[1]
    page.close()


def test_the_language_menu_reopens_the_same_view_in_the_new_language(browser, server):
    page = browser.new_page(viewport=VIEWPORT, locale="en-US")
    page.goto(page_url(server, REUSE, 4))
    wait_for_graph(page, 9)
    assert page.evaluate("document.documentElement.lang") == "en"
    page.select_option("#lang-menu", "ru")
    page.wait_for_function("() => document.documentElement.lang === 'ru'")
    wait_for_graph(page, 9)
    assert counter(page).startswith("шаг 4 / 9")
    assert "lang=ru" in page.url
    assert page.input_value("#source") == REUSE
    page.close()


def test_the_browser_language_is_the_default(browser, server):
    context = browser.new_context(viewport=VIEWPORT, locale="es-ES")
    page = context.new_page()
    page.goto(page_url(server, REUSE, 2))
    wait_for_graph(page, 9)
    assert page.evaluate("document.documentElement.lang") == "es"
    assert counter(page).startswith("paso 2 / 9")
    context.close()


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_tool_bar_is_one_row_at_a_projectors_width(browser, server, lang):
    """1280 px, the width most lecture halls project: the graph keeps the height a second row
    of buttons would take, and the output's value is not all cut away."""
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.goto(page_url(server, REUSE, lang=lang))
    wait_for_graph(page, 9)
    bar = page.evaluate("""() => {
      const out = document.querySelector('.output-line');
      const brand = document.querySelector('.brand').getBoundingClientRect();
      const middle = brand.top + brand.height / 2; // each item's middle on the brand's row
      const rows = [...document.querySelectorAll('.topbar .share > *, .topbar .look > *')]
        .filter(e => e.getClientRects().length && e.offsetWidth > 2)
        .map(e => { const r = e.getBoundingClientRect(); return r.top <= middle && middle <= r.bottom; });
      return {rows: rows.every(Boolean) ? 1 : 2, right: Math.max(...[...document.querySelectorAll('.topbar .btn')]
        .map(b => b.getBoundingClientRect().right)), output: out.getBoundingClientRect().width};
    }""")
    assert bar["rows"] == 1, (lang, bar)
    assert bar["right"] <= 1280 and bar["output"] >= 80, (lang, bar)
    page.close()
