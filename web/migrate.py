"""The links store's schema, kept by Alembic: brought up to date on first use and by
`flask links migrate`, one process at a time."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

PG_LOCK_KEY = 7_464_611_020
"""The advisory lock that app servers sharing a PostgreSQL database migrate under."""


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Alembic's configuration, without an .ini file: the scripts beside this module."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision of the schema."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(engine: sa.Engine) -> str | None:
    """The revision the database is at (None: the store has not been created)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: sa.Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision, holding a lock so that several workers or
    servers starting at once migrate one after the other: (revision before, revision after)."""
    with _migration_lock(engine), engine.begin() as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        if before != head():
            command.upgrade(alembic_config(conn), "head")
    return before, head()


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    # SQLite lives on one machine: a lock file beside the database orders its processes.
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
