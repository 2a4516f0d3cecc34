"""A full disk under PostgreSQL: the links table in a tablespace on the test server's own 1 MiB
tmpfs (see pg_support), filled through gunicorn until PostgreSQL itself reports the disk full
(SQLSTATE 53100, "could not extend file"). The client gets a 503 that blames the server, the
app keeps serving, nothing stored is harmed, and storing works again once there is room."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from links_full_disk import program
from pg_support import tiny_disk
from test_links_server import get, gunicorn

from web.links import LinkStore
from web.service import normalise

pytestmark = pytest.mark.slow

DATABASE = "fulldisk"
TABLESPACE = "tiny"
MAX_STORES = 1_000


def post(base: str, src: str) -> tuple[int, dict, str | None]:
    request = urllib.request.Request(f"{base}/api/links", data=json.dumps({"src": src}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as res:
            return res.status, json.loads(res.read()), res.headers.get("Retry-After")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), err.headers.get("Retry-After")


@pytest.fixture
def store_on_a_tiny_disk(postgres_url):
    """A database of its own whose links table (with its TOAST table and index) lives on the
    tiny disk: its URL. The rest of the cluster, the WAL included, is on the ordinary disk."""
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    url = postgres_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(sa.text(f"DROP TABLESPACE IF EXISTS {TABLESPACE}"))
        conn.execute(sa.text(f"CREATE TABLESPACE {TABLESPACE} LOCATION '{tiny_disk(postgres_url)}'"))
        conn.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
    store = LinkStore(url)
    with store.engine.begin() as conn:  # the schema made as the app makes it, then moved
        conn.execute(sa.text(f"ALTER TABLE links SET TABLESPACE {TABLESPACE}"))
        conn.execute(sa.text(f"ALTER INDEX links_pkey SET TABLESPACE {TABLESPACE}"))
        conn.execute(sa.text(f"ALTER INDEX links_created_at SET TABLESPACE {TABLESPACE}"))
    store.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            conn.execute(sa.text(f"DROP TABLESPACE IF EXISTS {TABLESPACE}"))
        admin.dispose()


def test_a_full_postgresql_disk_answers_503_and_harms_nothing(store_on_a_tiny_disk):
    url = store_on_a_tiny_disk
    rng = random.Random(53100)
    acked: dict[str, str] = {}
    with gunicorn(url) as (base, process):
        for k in range(MAX_STORES):
            src = program(k, rng)
            status, body, retry_after = post(base, src)
            if status != 201:
                break
            acked[body["id"]] = normalise(src)  # as stored: no blanks at the ends of lines
        assert len(acked) >= 5, "the tiny disk held too few links before it was full"
        assert status == 503, body
        assert body["error"]["message"] == (
            "the link store is full, so the link was not saved; try again later")
        assert int(retry_after) > 0
        # The app keeps serving: its workers are up, links open, other pages answer.
        assert process.poll() is None
        assert get(f"{base}/healthz")[0] == 200
        assert post(base, program(MAX_STORES, rng))[0] == 503  # still full, still a clear 503
        for link_id, src in acked.items():
            status, kind, page = get(f"{base}/s/{link_id}")
            assert (status, kind) == (200, "text/html")
            assert src.split("\n")[1][:60].encode() in page
        assert get(f"{base}/svg/{next(iter(acked))}")[0] == 200
        # The operator makes room (the table back on the big disk); no restart is needed.
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE links SET TABLESPACE pg_default"))
        engine.dispose()
        assert post(base, program(MAX_STORES + 1, rng))[0] == 201
    store = LinkStore(url)
    try:
        for link_id, src in acked.items():
            assert store.get(link_id).content == {"src": src}
        assert store.count() == len(acked) + 1  # the refused ones left no row behind
        with store.engine.begin() as conn:  # PostgreSQL's own checks of the table and index
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS amcheck"))
            assert conn.execute(sa.text("SELECT count(*) FROM verify_heapam('links')")).scalar() == 0
            conn.execute(sa.text("SELECT bt_index_check('links_pkey', true)"))
    finally:
        store.dispose()
