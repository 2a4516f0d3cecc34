"""The page's first `/api/graph` request, asked for by the page's head before its scripts run.

A page that opens a program asks for its graph only once its modules are loaded and run;
the server could have been working on the answer all that while. So the page's head names
that request as a preload (`<link rel="preload" as="fetch">`): the browser sends it with the
page's other files, and the page's first `GraphClient.fetch` uses its answer when the request
it was about to make has exactly the preload URL's fields (`static/api.js`). Where the page
would ask for something else (a program in the address's fragment, a changed look), the
preload goes unused and the page asks as usual: a mismatch costs time, never a wrong graph.
Only a page whose address names its program (`src=`, `z=`, a short link) has one: the app's
own address holds the program in its fragment (`#z=`), which the server never sees.

The theme and direction a page draws in by default follow the browser (dark scheme, upright
phone), which the server cannot see: one preload per case, each under its media query.
"""

from __future__ import annotations

from flask import g, request, url_for

from autodiff import i18n

from .look_views import page_view
from .params import FLAG_ON

DARK = "(prefers-color-scheme: dark)"
UPRIGHT_PHONE = "((max-width: 620px) and (orientation: portrait))"
"""`static/look.js`'s media queries for the default theme and direction (as conditions that
`not` and `and` combine)."""

MAX_URL_CHARS = 6000
"""A longer preload URL is not named: it must stay well inside the request line gunicorn and
nginx take (gunicorn.conf.py, deploy/nginx.conf), and a POST carries such a program anyway."""


def first_requests(given: dict, embedded: bool) -> list[dict[str, str]]:
    """The page's likely first `/api/graph` requests, as `{href, media}`: the fields
    `static/app.js` (or `static/embed.js`) sends for the page's program and options, one per
    default look the browser may pick. A short link's program is named by its id."""
    link_id = g.get("link_id") or request.args.get("id")
    if link_id:
        program = {"id": link_id}
    elif "src" in request.args or "z" in request.args:
        program = {"src": given.get("src", "")}
    else:
        return []
    fields = {**program, "dtype": given.get("dtype") or "float64",
              "edge_labels": "1" if given.get("edge_labels") in FLAG_ON else "0",
              "errors": "body", "lang": i18n.current()}
    if embedded:
        looks = [({"theme": given.get("theme"), "direction": given.get("direction")}, "")]
        rate = given.get("lr")
        passed = {"mode": given.get("mode"), "forward": given.get("forward"),
                  "lr": rate, "updates": (given.get("updates") or "1") if rate else None}
    else:
        looks = _page_looks(given)
        forward = given.get("mode") == "forward" and given.get("forward")
        passed = {"mode": "forward" if forward else None, "forward": given.get("forward") if forward else None}
    passed["expand"] = given.get("expand")
    out = []
    for look, media in looks:
        query = {**fields, **{k: v for k, v in {**passed, **look}.items() if v}}
        href = url_for("api_graph", **query)
        if len(href) > MAX_URL_CHARS:
            return []
        out.append({"href": href, "media": media})
    return out


def _page_looks(given: dict) -> list[tuple[dict, str]]:
    """The app page's (theme, direction) with the media query under which it draws in each:
    a theme or direction the address names is the only one; else as `Look` picks it."""
    view = page_view(given)
    themes = [(view["theme"], "")] if view["theme"] else [("dark", DARK), ("classic", f"(not {DARK})")]
    directions = ([(view["direction"], "")] if view["direction"]
                  else [("tb", UPRIGHT_PHONE), ("lr", f"(not {UPRIGHT_PHONE})")])
    return [({"theme": theme, "direction": direction}, " and ".join(m for m in (m1, m2) if m))
            for theme, m1 in themes for direction, m2 in directions]
