"""The catalogues: every message a person reads is in them, and translated in every language."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from autodiff import build, i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "autodiff" / "locale"
OTHERS = [lang for lang in i18n.LANGS if lang != i18n.DEFAULT]

SAME_IN_EVERY_LANGUAGE = {
    "SVG", "PNG", "PDF", "ZIP", "GIF", "MP4", "QR", "float32", "float64", "Autodiff", "autodiff",
    "LaTeX/TikZ (Beamer)", "PowerPoint", "{message}: {hint}", "Zoom", "Auto", "ok", "NO",
    "Pausa", "Tema", "gradiente", "tangente", "Daltonismo", "Enter", "Link", "error: {message}",
}
"""Message ids that may read the same in a language: names of formats and keys, and words
some of the languages share with English or with each other."""
FIELD = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")


def _read(path: Path, lang: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _ids(catalogue) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


def _forms(text) -> tuple[str, ...]:
    """A translation's forms: one, or one per plural form."""
    return tuple(text) if isinstance(text, (tuple, list)) else (text,)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Every message id in the code now, extracted afresh as `make catalogues` does."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "t",
         "-k", "tn:1,2", "-k", "N_", "--omit-header", "-o", str(out), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    return _ids(_read(out))


def test_the_template_holds_every_message_of_the_code(extracted):
    kept = _ids(_read(LOCALE / "messages.pot"))
    assert extracted - kept == set(), "new messages: run `make catalogues` and translate them"
    assert kept - extracted == set(), "messages no longer used: run `make catalogues`"


@pytest.mark.parametrize("lang", OTHERS)
def test_every_message_is_translated(lang, extracted):
    catalogue = _read(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    missing = extracted - _ids(catalogue)
    assert not missing, f"{lang}: not in the catalogue (run `make catalogues`): {sorted(missing)}"
    untranslated = [m.id for m in catalogue if m.id and (not all(_forms(m.string)) or m.fuzzy)]
    assert not untranslated, f"{lang}: {len(untranslated)} untranslated or fuzzy: {untranslated[:20]}"
    same = [m.id for m in catalogue
            if isinstance(m.id, str) and m.string == m.id and m.id not in SAME_IN_EVERY_LANGUAGE]
    assert not same, f"{lang}: left in English: {same}"


@pytest.mark.parametrize("lang", OTHERS)
def test_translations_keep_every_field(lang):
    """`{n}` in a message must be in its translation, and nothing else in braces."""
    for m in _read(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang):
        for source, form in zip(_forms(m.id) * 3, _forms(m.string)):
            if source:
                assert sorted(set(FIELD.findall(form))) == sorted(set(FIELD.findall(source))), (
                    lang, source, form)


@pytest.mark.parametrize("lang", OTHERS)
def test_a_message_comes_out_in_the_current_language(lang):
    message = "Autodiff, step by step"
    with i18n.language(lang):
        translated = i18n._(message)
    assert translated != message
    assert i18n._(message) == message  # outside the block: the default language again


def test_language_codes_are_read_as_a_browser_sends_them():
    assert i18n.known("it-IT") == "it"
    assert i18n.known("RU") == "ru"
    assert i18n.known("fr") is None
    assert i18n.best_match(["fr-FR", "es-419", "en"]) == "es"
    assert i18n.best_match(["de"]) == "en"


# --- nothing a person reads is left outside the catalogues -----------------------------------

PROSE = re.compile(r"[A-Za-z]{2,}'?[a-z]* [a-z]{2,}|^[A-Z][a-z]{2,}[.!…]?$")
"""Words as a sentence or a label has them (class lists and selectors are listed below)."""
TECHNICAL = {
    "tick diverged-label", "chip final unused", "chip final", "chip partial", "num grad",
    "input-row array", "practice-choice mono", "practice-input mono", "xMidYMid meet",
    "Escape", "Tab", "Infinity", " px monospace",
}
"""Script strings that look like words but are class names, keys or values, never shown."""
JS_STRING = re.compile(r'''(t\(\s*)?("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)''')
HTML_TEXT = re.compile(r">([^<>]+)<")
HTML_ATTRIBUTE = re.compile(r'\b(?:title|aria-label|placeholder|alt)="([^"]*)"')
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _script_strings(path: Path):
    """Each string literal of a script outside `t(...)`, with its line (comments skipped)."""
    text = path.read_text()
    code = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    code = re.sub(r"(?m)^\s*//.*$", "", code)
    code = re.sub(r'\btn\(\s*"(?:[^"\\\n]|\\.)*"\s*,\s*"(?:[^"\\\n]|\\.)*"', "tn(", code)  # plural pairs
    for found in JS_STRING.finditer(code):
        line = code.count("\n", 0, found.start()) + 1
        if found.group(1) or "console." in code.splitlines()[line - 1]:
            continue
        yield line, re.sub(r"\$\{[^}]*\}", " ", found.group(2)[1:-1])


def test_every_sentence_of_the_scripts_is_in_the_catalogue():
    loose = [f"{path.name}:{line}: {text}"
             for path in sorted((ROOT / "static").glob("*.js"))
             for line, text in _script_strings(path)
             if PROSE.search(text) and text not in TECHNICAL]
    assert not loose, "wrap these in t(...) (static/i18n.js):\n" + "\n".join(loose)


def test_every_word_of_the_templates_is_in_the_catalogue():
    loose = []
    for path in sorted((ROOT / "templates").glob("*.html")):
        text = JINJA.sub("", path.read_text())
        for found in [*HTML_TEXT.findall(text), *HTML_ATTRIBUTE.findall(text)]:
            if re.search(r"[^\W\d_]{2,}", found):
                loose.append(f"{path.name}: {found.strip()}")
    assert not loose, "wrap these in {{ _(...) }}:\n" + "\n".join(loose)


# --- each language, end to end -------------------------------------------------------------

PHASE_WORD = {"it": "Passo", "es": "Paso", "ru": "Шаг"}
"""How each language starts a step's caption ("Step 3 · ...")."""


@pytest.mark.parametrize("lang", OTHERS)
def test_an_error_comes_in_the_language_asked_with_its_line_and_column(client, lang):
    src = "x = 2\ny = x * w3"
    english = client.get("/api/graph", query_string={"src": src}).get_json()["error"]
    answer = client.get("/api/graph", query_string={"src": src, "lang": lang})
    error = answer.get_json()["error"]
    assert answer.status_code == 400
    assert (error["line"], error["col"]) == (english["line"], english["col"]) == (2, 9)
    with i18n.language(lang):
        expected = i18n._("name '{name}' has no value; add a line such as '{name} = 1.0'",
                          name="w3")
    assert error["message"] == expected != english["message"]


@pytest.mark.parametrize("lang", OTHERS)
def test_the_browser_language_is_followed_and_lang_wins(client, lang):
    asked = {"Accept-Language": f"{lang}-XX,{lang};q=0.9,en;q=0.5"}
    body = client.get("/api/graph", query_string={"src": "x = 2\ny = x * 3"}, headers=asked)
    seed = [s["text"] for s in body.get_json()["steps"] if s["kind"] == "seed"][0]
    with i18n.language(lang):
        assert i18n._("so far") in i18n._("so far")  # the catalogue is loaded
        words = i18n._("{g} = 1: from here back, multiply the edges of a route, add the routes",
                       g="gy")
    assert seed == words
    english = client.get("/api/graph", query_string={"src": "x = 2\ny = x * 3", "lang": "en"},
                         headers=asked).get_json()
    assert [s["text"] for s in english["steps"] if s["kind"] == "seed"][0].endswith("add the routes")
    page = client.get("/", headers=asked).get_data(as_text=True)
    assert f'<html lang="{lang}"' in page


def test_an_unknown_language_is_refused_by_the_api_and_ignored_by_a_page(client):
    answer = client.get("/api/graph", query_string={"src": "x = 1\ny = 2 * x", "lang": "fr"})
    assert answer.status_code == 400
    assert "lang must be one of en, it, es, ru" in answer.get_json()["error"]["message"]
    page = client.get("/?lang=fr", headers={"Accept-Language": "es"})
    assert page.status_code == 200 and '<html lang="es"' in page.get_data(as_text=True)


@pytest.mark.parametrize("lang", OTHERS)
def test_a_pdf_export_has_its_captions_in_the_language(client, lang):
    from io import BytesIO

    from pypdf import PdfReader

    answer = client.get("/pdf", query_string={"src": "x = 2\ny = x * 3", "lang": lang})
    assert answer.status_code == 200
    pages = [p.extract_text() for p in PdfReader(BytesIO(answer.data)).pages]
    with i18n.language(lang):
        start = i18n._("Step 0 · start: nothing computed yet; inputs and constants are known.")
    assert " ".join(start.split()) in " ".join(pages[0].split())
    assert all(PHASE_WORD[lang] in text for text in pages[1:])
    assert not any("Step" in text for text in pages)


@pytest.mark.parametrize("lang", OTHERS)
def test_the_command_line_speaks_the_language(lang, tmp_path, capsys):
    from autodiff.__main__ import main

    program = tmp_path / "p.txt"
    program.write_text("x = 2\ny = x * 3\n")
    assert main(["explain", str(program), "--lang", lang]) == 0
    out = capsys.readouterr().out
    with i18n.language(lang):
        assert i18n._("Forward pass (values)") in out and i18n._("Gradients:") in out
    assert "Forward pass" not in out


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_browser_picks_the_plural_form_the_catalogue_would(lang):
    """The page picks a form by the CLDR category of n (Intl.PluralRules); the catalogue by its
    gettext rule. For every count they must give the same words."""
    from babel import Locale

    forms = i18n.messages(lang, "static/")["{n} try"]
    order = i18n.plural_order(lang)
    category = Locale.parse(lang).plural_form
    for n in range(0, 250):
        picked = forms[order.index(category(n))] if category(n) in order else forms[-1]
        assert picked == i18n.catalogue(lang).ngettext("{n} try", "{n} tries", n), (lang, n)


@pytest.mark.parametrize("lang", OTHERS)
def test_an_empty_message_stays_empty(lang):
    """gettext answers the empty id with the catalogue's header: an op without a gate line
    once showed "Project-Id-Version: ..." as a step's text."""
    with i18n.language(lang):
        assert i18n._("") == "" and i18n.translate("") == ""
        steps = build("x = 2\ny = cos(x) * 3").steps
    assert not any("Project-Id" in s.text or "Content-Type" in s.text for s in steps)
