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
    link: Link = _store().get(link_id, touch=False)
    for key, value in link.content.items():
        if key != "src":
            click.echo(f"{key}: {value}")
    click.echo(f"created: {link.created_at}")
    click.echo(f"last opened: {link.last_used_at or 'never'}")
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


PRUNE_LISTED = 50
"""Links `prune` names one by one; beyond these it only counts."""


@links_cli.command("prune")
@click.option("--before", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="links first stored before this day (UTC)")
@click.option("--unused-since", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="links not opened since this day (UTC); one never opened counts from the "
                   "day it was stored")
@click.option("--larger-than", type=click.IntRange(min=0), metavar="CHARS",
              help="links whose program and options are over CHARS characters")
@click.option("--id", "ids", multiple=True, help="this link, whatever the filters (repeatable)")
@click.option("--dry-run", is_flag=True, help="only list what would be removed")
def prune_command(before, unused_since, larger_than, ids, dry_run):
    """Remove links: those that match every filter given (--before, --unused-since,
    --larger-than), and named ones (--id). Nothing else ever removes a link."""
    if before is None and unused_since is None and larger_than is None and not ids:
        raise click.UsageError("say what to prune: --before YYYY-MM-DD, --unused-since "
                               "YYYY-MM-DD, --larger-than CHARS and/or --id ID")
    pruned = _store().prune(before=_utc_day(before), unused_since=_utc_day(unused_since),
                            larger_than=larger_than, ids=tuple(ids), dry_run=dry_run)
    for link in pruned[:PRUNE_LISTED]:
        last = link.last_used_at.strftime("%Y-%m-%d") if link.last_used_at else "never"
        click.echo(f"{link.id}  stored {link.created_at:%Y-%m-%d}  opened {last}  "
                   f"{link.size:,} characters")
    if len(pruned) > PRUNE_LISTED:
        click.echo(f"... and {len(pruned) - PRUNE_LISTED:,} more")
    verb = "would remove" if dry_run else "removed"
    total = sum(link.size for link in pruned)
    click.echo(f"{verb} {len(pruned):,} link{'s' if len(pruned) != 1 else ''} "
               f"({total:,} characters)")


def _utc_day(day):
    return day.replace(tzinfo=UTC) if day else None
