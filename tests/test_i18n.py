"""The catalogues: every message a person reads is in them, and translated in every language."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from autodiff import i18n

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "autodiff" / "locale"
OTHERS = [lang for lang in i18n.LANGS if lang != i18n.DEFAULT]

SAME_IN_EVERY_LANGUAGE = {
    "SVG", "PNG", "PDF", "ZIP", "GIF", "MP4", "QR", "A−", "A+", "float32", "float64", "η", "Autodiff",
    "LaTeX/TikZ (Beamer)", "PowerPoint", "Beamer", "TikZ", "HTML", "OK",
}
"""Message ids that read the same in every language (names of formats and symbols)."""
FIELD = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")


def _read(path: Path, lang: str | None = None):
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _ids(catalogue) -> set[str]:
    return {m.id for m in catalogue if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    """Every message id in the code now, extracted afresh as `make catalogues` does."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "t",
         "-k", "N_", "--omit-header", "-o", str(out), "."],
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
    untranslated = [m.id for m in catalogue if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"{lang}: untranslated or fuzzy: {untranslated}"
    same = [m.id for m in catalogue
            if m.id and m.string == m.id and m.id not in SAME_IN_EVERY_LANGUAGE]
    assert not same, f"{lang}: left in English: {same}"


@pytest.mark.parametrize("lang", OTHERS)
def test_translations_keep_every_field(lang):
    """`{n}` in a message must be in its translation, and nothing else in braces."""
    for m in _read(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang):
        if m.id:
            assert sorted(FIELD.findall(m.string)) == sorted(FIELD.findall(m.id)), (lang, m.id)


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
