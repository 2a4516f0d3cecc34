"""The languages a person can read the app in, and the words of the current one.

Every sentence the engine, the web and the page show is an English message id in one gettext
catalogue per language (`autodiff/locale/<lang>/LC_MESSAGES/messages.po`, made and kept with
Babel: see docs/i18n.md). The language is the caller's context, like a locale: the edge sets it
with `language(lang)` around its work, and `_()` translates into it. Mathematics (z1, gz3, ∂, ·)
and numbers, written with a decimal point as the program is, never change.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import io
from collections.abc import Iterable, Iterator
from contextvars import ContextVar, Token
from pathlib import Path

LANGS = ("en", "it", "es", "ru")
"""Every language with a catalogue; the first is the language the messages are written in."""
DEFAULT = LANGS[0]
NAMES = {"en": "English", "it": "Italiano", "es": "Español", "ru": "Русский"}
"""Each language by its own name, as a language menu shows it."""
LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"

_current: ContextVar[str] = ContextVar("autodiff_lang", default=DEFAULT)


def N_(message: str) -> str:
    """Mark a message for the catalogues where it is defined; `_()` translates it where shown."""
    return message


def _(message: str, /, **params: object) -> str:
    """`message` in the current language, with `{name}` fields filled from `params` (the empty
    message stays empty: gettext would answer the catalogue's header)."""
    text = catalogue(_current.get()).gettext(message) if message else message
    return text.format(**params) if params else text


def translate(message: str) -> str:
    """A message id marked elsewhere (`N_`) in the current language; other text as it is."""
    return catalogue(_current.get()).gettext(message) if message else message


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The form of a message for `n` things (Russian has three), with `{n}` and `params` filled."""
    text = catalogue(_current.get()).ngettext(singular, plural, n)
    return text.format(n=n, **params)


def current() -> str:
    """The language texts are being made in."""
    return _current.get()


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Make texts in `lang` (a code of LANGS; None: the default) inside the block."""
    token = _current.set(known(lang) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def use(lang: str | None) -> Token:
    """Make texts in `lang` from now on in this context, until `reset(token)` (a request sets
    it when it starts and resets it when it ends)."""
    return _current.set(known(lang) or DEFAULT)


def reset(token: Token) -> None:
    """Back to the language before `use` gave `token`."""
    _current.reset(token)


def known(lang: str | None) -> str | None:
    """`lang` if it names a language with a catalogue (`it`, `it-IT`, `IT`), else None."""
    if not lang:
        return None
    code = lang.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGS else None


def best_match(preferred: Iterable[str]) -> str:
    """The first language of a person's preference list (Accept-Language order) we have."""
    for lang in preferred:
        if found := known(lang):
            return found
    return DEFAULT


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The translations of one language, compiled in memory from its `.po` file with Babel."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT or not path.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(po, locale=lang))
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def messages(lang: str, sources: str) -> dict:
    """Every translated message of `lang` whose id appears in files under `sources` (e.g.
    `static/`): what the browser's scripts need, from the same catalogue as the server's. A
    message with plural forms maps its singular id to its forms, in `plural_order`."""
    singles, plurals = _ids_used_in(sources)
    found = catalogue(lang)
    table: dict = {msgid: found.gettext(msgid) for msgid in singles}
    for one, other in plurals:
        table[one] = [found.ngettext(one, other, n) for n in _plural_examples(lang)]
    return table


def plural_order(lang: str) -> list[str]:
    """The CLDR category (`one`, `few`, `many`, `other`) of each plural form of `lang`'s
    catalogue, in order: how a browser's Intl.PluralRules picks a form."""
    from babel import Locale

    rule = Locale.parse(lang).plural_form
    return [rule(n) for n in _plural_examples(lang)]


def _plural_index(lang: str, n: int) -> int:
    found = catalogue(lang)
    plural = getattr(found, "plural", None)
    return plural(n) if plural else int(n != 1)


@functools.cache
def _plural_examples(lang: str) -> tuple[int, ...]:
    """For each plural form of `lang`, the smallest count that takes it."""
    examples: dict[int, int] = {}
    for n in range(1000):
        examples.setdefault(_plural_index(lang, n), n)
        if n > 200 and len(examples) >= 2:
            break
    return tuple(examples[k] for k in sorted(examples))


@functools.cache
def _ids_used_in(sources: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Message ids whose catalogue locations start with `sources`, read from the template:
    the plain ones, and the (singular, plural) pairs."""
    from babel.messages.pofile import read_po

    with (LOCALE_DIR / f"{DOMAIN}.pot").open("rb") as pot:
        template = read_po(pot)
    used = [m.id for m in template
            if m.id and any(path.startswith(sources) for path, _ in m.locations)]
    return (tuple(m for m in used if isinstance(m, str)),
            tuple(tuple(m[:2]) for m in used if not isinstance(m, str)))
