"""`flask --app app links ...`: the operator's commands for the link store."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from .links import Link, content_of, make_engine
from .migrate import current, head, upgrade

links_cli = AppGroup("links", help="Create, migrate, back up and prune the short-link store.")


def _store():
    return current_app.extensions["links"]


def _where(store) -> str:
    return store.url.render_as_string(hide_password=True)


@links_cli.command("create")
def create_command():
    """Create the store (the SQLite file, or the tables in DATABASE_URL's database)."""
    store = _store()
    before, after = upgrade(make_engine(store.url))
    said = "created" if before is None else "already there"
    click.echo(f"links store {said}: {_where(store)} (schema {after})")


@links_cli.command("migrate")
def migrate_command():
    """Bring the store's schema up to date (safe to run while servers are up)."""
    store = _store()
    before, after = upgrade(make_engine(store.url))
    if before == after:
        click.echo(f"schema already at {after}: {_where(store)}")
    else:
        click.echo(f"schema {before or 'none'} -> {after}: {_where(store)}")


@links_cli.command("status")
def status_command():
    """Where the store is, its schema revision and how many links it holds."""
    store = _store()
    click.echo(f"store:  {_where(store)}")
    click.echo(f"schema: {current(store.engine)} (newest {head()})")
    click.echo(f"links:  {store.count()}")


@links_cli.command("add")
@click.argument("program", type=click.File("r", encoding="utf-8"))
@click.option("--step", help="open at this step")
@click.option("--theme")
@click.option("--mode")
@click.option("--dtype")
@click.option("--direction")
@click.option("--edge-labels", is_flag=True)
def add_command(program, **options):
    """Store PROGRAM (a file, or - for standard input) and print its short path."""
    given = {k: str(v) for k, v in options.items() if v not in (None, False)}
    given["edge_labels"] = "1" if options["edge_labels"] else "0"
    link, new = _store().put(content_of({**given, "src": program.read()}))
    click.echo(f"/s/{link.id}" + ("" if new else "  (already stored)"))


@links_cli.command("show")
@click.argument("link_id")
def show_command(link_id):
    """Print a stored link's program and options."""
    link: Link = _store().get(link_id)
    for key, value in link.content.items():
        if key != "src":
            click.echo(f"{key}: {value}")
    click.echo(f"created: {link.created_at}")
    click.echo(link.content["src"])


@links_cli.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def backup_command(target):
    """Copy the store to TARGET while it is in use: SQLite's online backup, or pg_dump's
    custom format for PostgreSQL (restore with pg_restore)."""
    store = _store()
    store.engine  # noqa: B018 (the store exists and is migrated before it is copied)
    if store.url.get_backend_name() == "sqlite":
        _sqlite_backup(store.url.database, target)
    else:
        _pg_dump(store.url, target)
    click.echo(f"backed up {_where(store)} to {target}")


def _sqlite_backup(database: str, target: str) -> None:
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        source.close()
    if result != "ok":
        raise click.ClickException(f"the copy failed its integrity check: {result}")


def _pg_dump(url: sa.URL, target: str) -> None:
    if shutil.which("pg_dump") is None:
        raise click.ClickException("pg_dump is not installed (Debian: postgresql-client)")
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--table=links", "--table=alembic_version",
         f"--file={target}", libpq],
        capture_output=True, text=True)
    if done.returncode != 0:
        raise click.ClickException(f"pg_dump failed: {done.stderr.strip()}")


@links_cli.command("prune")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="remove links first stored before this day (UTC)")
@click.option("--id", "ids", multiple=True, help="remove this link (repeatable)")
@click.option("--dry-run", is_flag=True, help="only count what would be removed")
def prune_command(before, ids, dry_run):
    """Remove links: those stored before a day, or named ones. Nothing else ever removes one."""
    if before is None and not ids:
        raise click.UsageError("say what to prune: --before YYYY-MM-DD and/or --id ID")
    when = before.replace(tzinfo=UTC) if before else None
    count = _store().prune(before=when, ids=tuple(ids), dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    click.echo(f"{verb} {count} link{'s' if count != 1 else ''}")
