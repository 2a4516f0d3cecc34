"""The page's head asks for its first graph (`web/first_answer.py`): which pages name a
preload, what it asks for, and that its answer is the one a POST of the same fields gets."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

from web.first_answer import MAX_URL_CHARS

PROGRAM = "x = 1.5\ny = x * sin(x)"


def preloads(client, url: str, **headers) -> list[tuple[dict[str, str], str | None]]:
    """The page's graph preloads: each one's query (as a dict) and its media query."""
    html = client.get(url, headers=headers).get_data(as_text=True)
    out = []
    for tag in re.findall(r'<link rel="preload" as="fetch"[^>]*>', html):
        href = unescape(re.search(r'href="([^"]*)"', tag).group(1))
        media = re.search(r'media="([^"]*)"', tag)
        assert urlsplit(href).path == "/api/graph"
        query = {k: v[0] for k, v in parse_qs(urlsplit(href).query, keep_blank_values=True).items()}
        out.append((query, unescape(media.group(1)) if media else None))
    return out


def test_a_program_in_the_address_is_asked_for_once_per_look_the_browser_may_pick(client):
    found = preloads(client, f"/?src={PROGRAM.replace(chr(10), '%0A')}")
    assert len(found) == 4  # light or dark × upright phone or not
    looks = {(q["theme"], q["direction"]) for q, _ in found}
    assert looks == {("classic", "lr"), ("classic", "tb"), ("dark", "lr"), ("dark", "tb")}
    for query, media in found:
        assert query["src"] == PROGRAM
        assert {k: query[k] for k in ("dtype", "edge_labels", "errors", "lang")} == {
            "dtype": "float64", "edge_labels": "0", "errors": "body", "lang": "en"}
        assert ("not (prefers-color-scheme: dark)" in media) == (query["theme"] == "classic")
        assert ("(not ((max-width: 620px)" in media) == (query["direction"] == "lr")


def test_a_look_the_address_names_leaves_one_preload_without_a_media_query(client):
    found = preloads(client, "/?src=x%3D1&theme=projector&direction=tb&lang=it&dtype=float32"
                             "&mode=forward&forward=x&expand=sigmoid&edge_labels=1")
    assert found == [({"src": "x=1", "dtype": "float32", "edge_labels": "1", "errors": "body",
                       "lang": "it", "mode": "forward", "forward": "x", "expand": "sigmoid",
                       "theme": "projector", "direction": "tb"}, None)]


def test_pages_whose_program_the_server_does_not_see_name_no_preload(client):
    assert preloads(client, "/") == []  # the gallery's program, or one in the #z= fragment
    assert preloads(client, "/?mode=practice&src=x%3D1") == []  # practice asks its own way
    long = "\n".join(f"v{i} = {i} * 2" for i in range(MAX_URL_CHARS // 10))
    assert preloads(client, "/?" + "src=" + long.replace("\n", "%0A")) == []


def test_a_short_link_is_asked_for_by_its_id(client):
    made = client.post("/api/links", json={"src": PROGRAM, "theme": "dark"}).get_json()
    found = preloads(client, made["url"])
    assert len(found) == 2  # its theme is the link's; the direction follows the screen
    for query, _ in found:
        assert query["id"] == made["id"] and "src" not in query
        assert query["theme"] == "dark"


def test_the_embed_asks_for_what_it_will_ask_for(client):
    found = preloads(client, "/embed?src=x%3D1&lr=0.1")
    assert found == [({"src": "x=1", "dtype": "float64", "edge_labels": "0", "errors": "body",
                       "lang": "en", "lr": "0.1", "updates": "1"}, None)]


def test_the_preloaded_answer_is_the_one_a_post_of_the_same_fields_gets(client):
    made = client.post("/api/links", json={"src": PROGRAM}).get_json()
    for url in (f"/?src={PROGRAM.replace(chr(10), '%0A')}", made["url"]):
        query, _ = preloads(client, url)[0]
        early = client.get("/api/graph", query_string=query)
        fields = {k: v for k, v in query.items() if k != "id"} | {"src": PROGRAM}
        asked = client.post("/api/graph", json=fields)
        assert early.status_code == asked.status_code == 200
        assert json.loads(early.data) == json.loads(asked.data)


def test_a_preloaded_program_with_a_mistake_answers_its_error_in_the_body(client):
    query, _ = preloads(client, "/?src=x%20%3D%20(1")[0]
    answer = client.get("/api/graph", query_string=query)
    assert answer.status_code == 200
    assert answer.get_json()["error"]["line"] == 1
