"""The language of each request: `lang=` if given, else the browser's Accept-Language.

Every request's work runs in its language (`autodiff.i18n.language`), so an error, a step's
explanation and an export's captions come out in it; templates translate with Jinja's i18n
extension and the page's scripts get their messages from the same catalogue.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from markupsafe import Markup

from autodiff import i18n

from .encode import script_json
from .links import LinkNotFound, StoreError

BROWSER_SOURCES = "static/"
"""Where the scripts whose messages the page embeds live (catalogue locations)."""
LANGUAGE_MENU = tuple((code, i18n.NAMES[code]) for code in i18n.LANGS)


def request_language() -> str:
    """The language a request asks for: `lang=` (query or form), else a short link's (by
    its path or by `id=`), else its Accept-Language."""
    asked = request.args.get("lang") or (request.form.get("lang") if request.form else None)
    body = None
    if request.is_json:
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # refused in the request's view (`web.params`)
            body = None
        if not isinstance(body, dict):
            body = None
    if asked is None and body is not None:
        asked = body.get("lang")
    # A short link's: `/s/<id>`, `/png/<id>`, ..., or `id=` in the query or the body.
    asked = asked or g.get("link_lang") or _named_link_language(body)
    if asked:
        found = i18n.known(str(asked))
        if found:
            return found  # an unknown one is refused by the API (`web.params`)
    return i18n.best_match(request.accept_languages.values())


def _named_link_language(body: dict | None) -> str | None:
    """The language stored with the link that `id=` names (kept in `g.link`, which the view
    reads too); None without one, or when there is no such link (the view says so)."""
    link_id = request.args.get("id") or (body.get("id") if body is not None else None)
    store = current_app.extensions.get("links")
    if not isinstance(link_id, str) or store is None:
        return None
    try:
        g.link = store.get(link_id)
    except (LinkNotFound, StoreError):
        return None
    return g.link.content.get("lang")


def _enter_language() -> None:
    """Set the request's language for everything that runs for it (before each view)."""
    g.language_token = i18n.use(request_language())


def _leave_language(_error: BaseException | None) -> None:
    """The language before the request, once it is answered (a thread serves many)."""
    token = g.pop("language_token", None)
    if token is not None:
        i18n.reset(token)


def browser_messages_json() -> Markup:
    """The current language's messages for the page's scripts, as JSON safe inside <script>."""
    lang = i18n.current()
    return Markup(script_json({"lang": lang, "messages": i18n.messages(lang, BROWSER_SOURCES),
                               "plural": i18n.plural_order(lang)}))


def register_languages(app: Flask) -> None:
    """The request's language for views, errors and templates (`{{ _("...") }}`)."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: i18n.catalogue(i18n.current()).gettext(message),
        ngettext=lambda s, p, n: i18n.catalogue(i18n.current()).ngettext(s, p, n),
        newstyle=True,
    )
    app.before_request(_enter_language)
    app.teardown_request(_leave_language)

    @app.context_processor
    def language_context() -> dict:
        return {"lang": i18n.current(), "language_menu": LANGUAGE_MENU,
                "browser_messages": browser_messages_json}
