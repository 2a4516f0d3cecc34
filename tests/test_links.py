"""Short links through the app, on SQLite and on a real PostgreSQL server (see conftest)."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from app import create_app
from web.links import ID_CHARS, canonical, content_of, link_id, links_table

REUSE = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"


def store(client, **body):
    return client.post("/api/links", json=body)


class Boot(HTMLParser):
    """The page's boot JSON, read as the browser reads it."""

    def __init__(self, html: str):
        super().__init__()
        self.inside, self.text = False, ""
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.inside = tag == "script" and ("id", "boot") in attrs

    def handle_endtag(self, tag):
        self.inside = False

    def handle_data(self, data):
        if self.inside:
            self.text += data


def boot_of(res) -> dict:
    return json.loads(Boot(res.get_data(as_text=True)).text)


def test_storing_answers_the_id_and_its_short_path(links_app):
    client = links_app.test_client()
    res = store(client, src=REUSE, step="3")
    assert res.status_code == 201
    body = res.get_json()
    assert set(body) == {"id", "url"}
    assert re.fullmatch(rf"[A-Za-z0-9]{{{ID_CHARS}}}", body["id"])
    assert body["url"] == f"/s/{body['id']}"


def test_the_same_content_is_stored_once_under_the_same_id(links_app):
    client = links_app.test_client()
    first = store(client, src=REUSE, step="3", theme="dark")
    again = store(client, src=REUSE.replace("\n", "\r\n") + "  \n\n", step="3", theme="dark",
                  dtype="float64", direction="lr", mode="reverse", edge_labels="0")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert links_app.extensions["links"].count() == 1


@pytest.mark.parametrize("change", [
    {"step": "4"}, {"theme": "projector"}, {"dtype": "float32"}, {"edge_labels": "1"},
    {"direction": "tb"}, {"mode": "forward", "forward": "w1"}, {"src": REUSE + "\nz = y * 2"},
    {"font": "130"}, {"graph_only": "1"}, {"lr": "0.1"}, {"lr": "0.1", "updates": "5"},
    {"mode": "practice", "level": "rules"}, {"mode": "practice", "given": "values"},
    {"lang": "it"},
])
def test_other_content_gets_another_id(links_app, change):
    client = links_app.test_client()
    base = {"src": REUSE, "step": "3"}
    assert store(client, **base).get_json()["id"] != store(client, **{**base, **change}).get_json()["id"]


def test_ids_come_from_the_content_not_from_a_counter(links_app):
    """Consecutive stores give unrelated ids; an id is the hash of the canonical content, so a
    second server computes the same one."""
    client = links_app.test_client()
    ids = [store(client, src=f"x = {k}\ny = x * x").get_json()["id"] for k in range(5)]
    assert len(set(ids)) == 5
    assert all(sum(a == b for a, b in zip(ids[k], ids[k + 1])) < 5 for k in range(4))
    expected = link_id(canonical({"src": "x = 0\ny = x * x"}))
    assert ids[0] == expected


def test_a_short_link_opens_the_page_there(links_app):
    client = links_app.test_client()
    link = store(client, src=REUSE, step="5", edge_labels="1", dtype="float32").get_json()
    res = client.get(link["url"])
    assert res.status_code == 200 and res.mimetype == "text/html"
    boot = boot_of(res)
    assert (boot["src"], boot["step"], boot["edge_labels"], boot["dtype"]) == (REUSE, "5", "1",
                                                                                "float32")
    # Relative URLs of the page (api/graph, static files) resolve from the app's root.
    assert '<base href="/">' in res.get_data(as_text=True)


def test_a_short_link_keeps_every_option_of_the_page_s_address(links_app):
    """The look, gradient descent and practice settings come back in the boot JSON, as the
    page's scripts read them; defaults are left out of the content, so they change no id."""
    client = links_app.test_client()
    view = {"step": "4", "theme": "dark", "direction": "tb", "font": "130", "graph_only": "1",
            "dtype": "float32", "edge_labels": "1", "mode": "forward", "forward": "w1",
            "lr": "0.05", "updates": "3", "lang": "es"}
    url = store(client, src=REUSE, **view).get_json()["url"]
    page = client.get(url, headers={"Accept-Language": "it"})
    boot = boot_of(page)
    assert {k: str(boot[k]) for k in view} == {**view, "font": "130", "graph_only": "True"}
    assert '<html lang="es"' in page.get_data(as_text=True)  # the link's language, not the browser's
    assert '<html lang="ru"' in client.get(url + "?lang=ru").get_data(as_text=True)
    practice = store(client, src=REUSE, mode="practice", level="rules", given="values")
    boot = boot_of(client.get(practice.get_json()["url"]))
    assert (boot["mode"], boot["level"], boot["given"]) == ("practice", "rules", "values")
    plain = store(client, src=REUSE).get_json()["id"]
    defaults = store(client, src=REUSE, font="100", level="values", given="none",
                     graph_only="0").get_json()["id"]
    assert plain == defaults
    assert store(client, src=REUSE, lr="0.10").get_json() == store(client, src=REUSE,
                                                                   lr="0.1").get_json()


def test_image_and_embed_routes_take_the_id(links_app):
    client = links_app.test_client()
    link_id_ = store(client, src=REUSE, step="3").get_json()["id"]
    by_src = client.get(f"/svg?src={quote(REUSE)}&step=3")
    by_id = client.get(f"/svg/{link_id_}")
    assert by_id.status_code == 200 and by_id.mimetype == "image/svg+xml"
    assert by_id.data == by_src.data
    assert client.get(f"/svg?id={link_id_}").data == by_src.data
    png = client.get(f"/png/{link_id_}?step=1")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.data == client.get(f"/png?src={quote(REUSE)}&step=1").data
    embed = client.get(f"/embed/{link_id_}")
    assert embed.status_code == 200 and boot_of(embed)["src"] == REUSE
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert embed.headers["Access-Control-Allow-Origin"] == "*"


def test_a_request_may_change_the_options_but_never_the_program(links_app):
    client = links_app.test_client()
    link_id_ = store(client, src=REUSE, step="3").get_json()["id"]
    other = client.get(f"/svg/{link_id_}?src={quote('x = 1')}&step=2")
    assert other.data == client.get(f"/svg?src={quote(REUSE)}&step=2").data


@pytest.mark.parametrize("path", ["/s/AAAAAAAAAAA", "/embed/AAAAAAAAAAA", "/s/%3Cb%3Ehi%3Cb%3E",
                                  "/s/" + "A" * 60])
def test_an_unknown_link_is_a_404_page(links_app, path):
    res = links_app.test_client().get(path)
    assert res.status_code == 404 and res.mimetype == "text/html"
    assert "no link with this id" in res.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/svg/AAAAAAAAAAA", "/png/AAAAAAAAAAA",
                                  "/api/graph?id=AAAAAAAAAAA"])
def test_an_unknown_link_is_a_json_404_for_images_and_the_api(links_app, path):
    res = links_app.test_client().get(path)
    assert res.status_code == 404
    assert "no link with this id" in res.get_json()["error"]["message"]


@pytest.mark.parametrize("body, message", [
    ({"src": "x" * 20_001}, "20,001 characters long; a link holds at most 20,000"),
    ({}, "give the program"),
    ({"src": "x = 1", "theme": "neon"}, "theme must be one of"),
    ({"src": "x = 1", "step": "-1"}, "step must be a whole number"),
    ({"src": "x = 1", "forward": "import os"}, "forward must name an input"),
    ({"src": "x = 1", "font": "33"}, "font must be one of"),
    ({"src": "x = 1", "lr": "-1"}, "lr must be a finite number above 0"),
    ({"src": "x = 1", "lr": "nan"}, "lr must be a finite number above 0"),
    ({"src": "x = 1", "updates": "3"}, "updates needs a learning rate"),
    ({"src": "x = 1", "lr": "0.1", "updates": "501"}, "updates must be a whole number from 0"),
    ({"src": "x = 1", "level": "hard"}, "level must be one of"),
    ({"src": "x = 1", "lang": "xx"}, "lang must be one of"),
])
def test_a_bad_link_is_a_400_with_the_reason(links_app, body, message):
    res = store(links_app.test_client(), **body)
    assert res.status_code == 400 and message in res.get_json()["error"]["message"]
    assert links_app.extensions["links"].count() == 0


def test_a_body_over_the_request_limit_is_a_413(links_app):
    res = links_app.test_client().post("/api/links", data=b"{" + b" " * 200_000 + b"}",
                                       content_type="application/json")
    assert res.status_code == 413 and "KiB" in res.get_json()["error"]["message"]


def test_a_stored_program_is_never_echoed_unescaped(links_app):
    client = links_app.test_client()
    hostile = "x = 1\n# </script><script>alert(1)</script><img src=x onerror=alert(2)>\ny = x"
    res = client.get(store(client, src=hostile).get_json()["url"])
    html = res.get_data(as_text=True)
    assert "</script><script>alert(1)" not in html and "<img src=x" not in html
    assert boot_of(res)["src"] == hostile


def test_a_colliding_id_moves_to_a_longer_one(links_app):
    """Another content already under the 11-character id: the new one gets 15 characters,
    and both stay readable."""
    client = links_app.test_client()
    content = content_of({"src": REUSE})
    taken = link_id(canonical(content))
    store(client, src="x = 1")  # creates the store
    with links_app.extensions["links"].engine.begin() as conn:
        conn.execute(sa.insert(links_table).values(id=taken, content='{"src":"x = 2"}'))
    body = store(client, src=REUSE).get_json()
    assert body["id"] == link_id(canonical(content), ID_CHARS + 4)
    assert boot_of(client.get(body["url"]))["src"] == REUSE
    assert boot_of(client.get(f"/s/{taken}"))["src"] == "x = 2"
    assert store(client, src=REUSE).get_json() == body


def test_storing_the_same_program_at_once_makes_one_row(links_app):
    client = links_app.test_client()
    store(client, src="x = 0")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: store(links_app.test_client(), src=REUSE), range(16)))
    assert {a.status_code for a in answers} <= {200, 201}
    assert sum(a.status_code == 201 for a in answers) == 1
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert links_app.extensions["links"].count() == 2


def test_a_link_stored_through_one_app_is_read_through_another(links_app, database_url):
    link = store(links_app.test_client(), src=REUSE, step="2").get_json()
    other = create_app({"TESTING": True, "DATABASE_URL": database_url})
    try:
        res = other.test_client().get(link["url"])
        assert res.status_code == 200 and boot_of(res)["src"] == REUSE
    finally:
        other.extensions["links"].dispose()


def test_prune_removes_only_what_it_is_asked_to(links_app):
    client = links_app.test_client()
    kept = store(client, src="x = 1").get_json()["id"]
    gone = store(client, src="x = 2").get_json()["id"]
    links = links_app.extensions["links"]
    assert len(links.prune(ids=(gone,), dry_run=True)) == 1 and links.count() == 2
    assert [link.id for link in links.prune(ids=(gone,))] == [gone]
    assert client.get(f"/s/{gone}").status_code == 404
    assert client.get(f"/s/{kept}").status_code == 200


def test_storing_is_rate_limited_per_client_address(database_url):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "LINKS_RATE_LIMIT": "3 per minute"})
    try:
        client = app.test_client()
        answers = [store(client, src=f"x = {k}").status_code for k in range(4)]
        assert answers == [201, 201, 201, 429]
        res = store(client, src="x = 9")
        assert res.status_code == 429 and 0 < int(res.headers["Retry-After"]) <= 61
        assert "too many links stored from your address (at most 3 per 1 minute)" in \
            res.get_json()["error"]["message"]
        elsewhere = client.post("/api/links", json={"src": "x = 9"},
                                environ_base={"REMOTE_ADDR": "192.0.2.7"})
        assert elsewhere.status_code == 201
        # Reading is not limited.
        assert all(client.get(f"/s/{elsewhere.get_json()['id']}").status_code == 200
                   for _ in range(5))
    finally:
        app.extensions["links"].dispose()


def test_an_unreachable_database_is_a_503_that_says_so():
    app = create_app({"TESTING": True,
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"})
    client = app.test_client()
    res = store(client, src=REUSE)
    assert res.status_code == 503 and "cannot be reached" in res.get_json()["error"]["message"]
    assert res.headers["Retry-After"] == "30"
    page = client.get("/s/AAAAAAAAAAA")
    assert page.status_code == 503 and page.mimetype == "text/html"


def test_a_short_link_keeps_forward_mode_for_the_page(links_app):
    client = links_app.test_client()
    link = store(client, src=REUSE, mode="forward", forward="w1").get_json()
    boot = boot_of(client.get(link["url"]))
    assert (boot["mode"], boot["forward"]) == ("forward", "w1")


def test_the_exports_take_the_id(links_app):
    client = links_app.test_client()
    link_id_ = store(client, src=REUSE).get_json()["id"]
    pdf = client.get(f"/pdf/{link_id_}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    by_src = client.get(f"/zip?src={quote(REUSE)}")
    by_id = client.get(f"/zip/{link_id_}")
    assert by_id.status_code == 200 and by_id.mimetype == by_src.mimetype
    assert client.get("/pptx/AAAAAAAAAAA").status_code == 404


def test_behind_the_local_nginx_the_limit_counts_the_address_nginx_saw(database_url):
    """Over gunicorn's unix socket there is no peer address: the last X-Forwarded-For entry
    (added by nginx) is the client; what the client wrote before it changes nothing."""
    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "LINKS_RATE_LIMIT": "2 per minute"})
    try:
        client = app.test_client()

        def via_nginx(k, forwarded):
            return client.post("/api/links", json={"src": f"x = {k}"},
                               environ_base={"REMOTE_ADDR": ""},
                               headers={"X-Forwarded-For": forwarded}).status_code

        spoofed = [via_nginx(k, f"10.0.0.{k}, 198.51.100.4") for k in range(3)]
        assert spoofed == [201, 201, 429]
        assert via_nginx(9, "198.51.100.5") == 201
    finally:
        app.extensions["links"].dispose()


def test_a_link_named_by_id_answers_in_its_own_language(links_app):
    """`id=` (in the query or a JSON body) is a short link too: its stored language wins over
    the browser's, and `lang=` over both."""
    client = links_app.test_client()
    link = store(client, src=REUSE, lang="it").get_json()["id"]
    spanish_browser = {"Accept-Language": "es"}

    def texts(answer) -> list[str]:
        return [step["text"] for step in answer.get_json()["steps"]]

    italian = texts(client.get(f"/api/graph?src={quote(REUSE)}&lang=it"))
    assert italian != texts(client.get(f"/api/graph?src={quote(REUSE)}", headers=spanish_browser))
    assert texts(client.get(f"/api/graph?id={link}", headers=spanish_browser)) == italian
    assert texts(client.post("/api/graph", json={"id": link}, headers=spanish_browser)) == italian
    russian = texts(client.get(f"/api/graph?src={quote(REUSE)}&lang=ru"))
    assert texts(client.get(f"/api/graph?id={link}&lang=ru")) == russian
    assert client.get("/api/graph?id=" + "x" * 43, headers=spanish_browser).status_code == 404
    for page in ("/", "/embed"):  # the page itself: its words and the messages of its scripts
        html = client.get(f"{page}?id={link}", headers=spanish_browser).get_data(as_text=True)
        assert '<html lang="it"' in html and '"lang": "it"' in html, page
