"""`flask links ...`: the operator's commands, on SQLite and on PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from web.links import links_table
from web.migrate import head

ROOT = Path(__file__).resolve().parent.parent
REUSE = "w1 = 2.0\nw2 = 1.5\ny = w1 * cos(3*w1 + w2)"


def run(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=["links", *args], input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_create_then_migrate_then_status(links_app):
    created = run(links_app, "create")
    assert created.exit_code == 0 and "links store created" in created.output
    assert f"schema {head()}" in created.output
    assert "already there" in run(links_app, "create").output
    assert f"schema already at {head()}" in run(links_app, "migrate").output
    status = run(links_app, "status").output
    assert f"schema: {head()}" in status and "links:  0" in status


def test_add_and_show_a_link_from_a_file(links_app, tmp_path):
    program = tmp_path / "reuse.txt"
    program.write_text(REUSE)
    added = run(links_app, "add", str(program), "--step", "3", "--theme", "dark")
    short = added.output.split()[0]
    assert added.exit_code == 0 and short.startswith("/s/")
    res = links_app.test_client().post("/api/links", json={"src": REUSE, "step": "3",
                                                           "theme": "dark"})
    assert res.get_json()["url"] == short
    shown = run(links_app, "show", short[3:]).output
    assert "step: 3" in shown and "theme: dark" in shown and shown.rstrip().endswith(REUSE)
    assert "already stored" in run(links_app, "add", "-", "--step", "3", "--theme", "dark",
                                   input=REUSE).output


def test_prune_by_day_and_by_id(links_app):
    client = links_app.test_client()
    old, new, named = (client.post("/api/links", json={"src": f"x = {k}"}).get_json()["id"]
                       for k in range(3))
    with links_app.extensions["links"].engine.begin() as conn:
        conn.execute(sa.update(links_table).where(links_table.c.id == old)
                     .values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    assert "say what to prune" in run(links_app, "prune").output
    assert "would remove 1 link" in run(links_app, "prune", "--before", "2021-01-01",
                                        "--dry-run").output
    assert "removed 1 link" in run(links_app, "prune", "--before", "2021-01-01").output
    assert "removed 1 link" in run(links_app, "prune", "--id", named).output
    assert client.get(f"/s/{old}").status_code == 404
    assert client.get(f"/s/{named}").status_code == 404
    assert client.get(f"/s/{new}").status_code == 200
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert "removed 1 link" in run(links_app, "prune", "--before", tomorrow).output


def test_backup_of_a_sqlite_store_is_a_whole_database(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'links.db'}"})
    link = app.test_client().post("/api/links", json={"src": REUSE}).get_json()
    target = tmp_path / "copy.db"
    assert run(app, "backup", str(target)).exit_code == 0
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT id FROM links").fetchall() == [(link["id"],)]
    copy.close()
    restored = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{target}"})
    assert restored.test_client().get(link["url"]).status_code == 200


def test_backup_of_a_postgresql_store_restores_with_pg_restore(postgres_url, tmp_path):
    from pg_support import pg_bin, reset

    reset(postgres_url)
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_url})
    link = app.test_client().post("/api/links", json={"src": REUSE}).get_json()
    target = tmp_path / "links.dump"
    assert run(app, "backup", str(target)).exit_code == 0
    app.extensions["links"].dispose()
    assert target.read_bytes().startswith(b"PGDMP")
    reset(postgres_url)
    libpq = postgres_url.replace("postgresql+psycopg", "postgresql")
    subprocess.run([pg_bin("pg_restore"), "--dbname", libpq, str(target)], check=True)
    restored = create_app({"TESTING": True, "DATABASE_URL": postgres_url})
    assert restored.test_client().get(link["url"]).status_code == 200
    restored.extensions["links"].dispose()


def test_the_flask_command_line_runs_the_commands(tmp_path):
    env_url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "links", "create"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"DATABASE_URL": env_url, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert "links store created" in done.stdout and (tmp_path / "cli.db").exists()


def _set(app, link_id, **when):
    with app.extensions["links"].engine.begin() as conn:
        conn.execute(sa.update(links_table).where(links_table.c.id == link_id).values(**when))


def test_prune_by_last_use_and_by_size_with_a_dry_run_first(links_app):
    client = links_app.test_client()
    fresh, never, stale, large = (
        client.post("/api/links", json={"src": src}).get_json()["id"]
        for src in ("x = 1", "x = 2", "x = 3", "x = 4\n# " + "a" * 5_000))
    old = datetime(2020, 1, 1, tzinfo=UTC)
    _set(links_app, never, created_at=old)  # stored long ago, never opened
    _set(links_app, stale, created_at=old, last_used_at=old + timedelta(days=30))
    assert client.get(f"/s/{fresh}").status_code == 200  # opened: its use is noted
    assert "last opened: 20" in run(links_app, "show", fresh).output
    assert "last opened: never" in run(links_app, "show", large).output  # show is no use

    listed = run(links_app, "prune", "--unused-since", "2021-01-01", "--dry-run").output
    assert "would remove 2 links" in listed
    assert f"{never}  stored 2020-01-01  opened never" in listed
    assert f"{stale}  stored 2020-01-01  opened 2020-01-31" in listed
    assert links_app.extensions["links"].count() == 4  # a dry run removes nothing

    # Opening the stale link makes it used again (a use older than a day is written anew).
    assert client.get(f"/svg/{stale}").status_code == 200
    assert "would remove 1 link " in run(links_app, "prune", "--unused-since", "2021-01-01",
                                         "--dry-run").output

    big = run(links_app, "prune", "--larger-than", "1000", "--dry-run").output
    assert f"{large}  stored" in big and "would remove 1 link (5,0" in big
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    # Filters hold together: large AND not opened since tomorrow is the large one only.
    both = run(links_app, "prune", "--larger-than", "1000", "--unused-since", tomorrow).output
    assert "removed 1 link" in both
    assert "removed 1 link" in run(links_app, "prune", "--unused-since", "2021-01-01").output
    assert client.get(f"/s/{never}").status_code == 404
    assert client.get(f"/s/{large}").status_code == 404
    assert client.get(f"/s/{fresh}").status_code == 200
    assert client.get(f"/s/{stale}").status_code == 200


def test_links_stored_before_the_last_use_column_keep_working(database_url):
    """A store made at the first schema, with a link in it, is brought up to date on first
    use: the link opens, and its last use starts being noted."""
    from alembic import command

    from web.links import LinkStore, make_engine
    from web.migrate import alembic_config

    engine = make_engine(sa.make_url(database_url))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(sa.text("INSERT INTO links (id, content) VALUES ('OldLink0001', "
                             "'{\"src\":\"x = 5\"}')"))
    engine.dispose()
    store = LinkStore(database_url)
    try:
        link = store.get("OldLink0001")
        assert link.content == {"src": "x = 5"} and link.last_used_at is None
        assert store.get("OldLink0001", touch=False).last_used_at is not None
    finally:
        store.dispose()
