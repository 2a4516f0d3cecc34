"""The counters of the limit on storing links, kept in the links database (`links://`), so
every gunicorn worker and every app server on one database counts the same client together.

A storage for the `limits` library that Flask-Limiter uses: Flask-Limiter parses the limits,
picks the window and answers 429; this only keeps counters, one row per client and limit,
each changed by one atomic INSERT ... ON CONFLICT DO UPDATE (SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite

from .links import LinkStore, StoreError, metadata

rate_limits_table = sa.Table(
    "rate_limits",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Index("rate_limits_expires_at", "expires_at"),
)
"""One counter per client and limit: how many links it stored in the window that ends at
`expires_at` (seconds since the epoch, the app servers' clock)."""

SWEEP_EVERY_S = 60.0
"""How often a process deletes counters whose window has ended (clients that went away)."""


class LinkStoreLimits(Storage):
    """Fixed-window counters in the links database. `store` is the app's LinkStore: the table
    is made by its migrations, on first use like the links."""

    STORAGE_SCHEME = ["links"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *,
                 store: LinkStore, **options):
        self.store = store
        self._swept_at = 0.0
        self._sweep_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (sa.exc.SQLAlchemyError, StoreError)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the counter, starting a new window of `expiry` seconds when the
        last one has ended: the count after adding."""
        now = time.time()
        table = rate_limits_table
        with self.store.engine.begin() as conn:
            dialect = {"sqlite": sqlite, "postgresql": postgresql}[conn.dialect.name]
            insert = dialect.insert(table).values(key=key, count=amount, expires_at=now + expiry)
            ended = table.c.expires_at <= now
            count = conn.execute(insert.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={"count": sa.case((ended, amount), else_=table.c.count + amount),
                      "expires_at": sa.case((ended, now + expiry), else_=table.c.expires_at)},
            ).returning(table.c.count)).scalar_one()
        self._sweep(now)
        return count

    def get(self, key: str) -> int:
        """The count in the current window (0 when it has ended or never began)."""
        row = self._row(key)
        return row.count if row is not None else 0

    def get_expiry(self, key: str) -> float:
        """When the current window ends (now, when there is none)."""
        row = self._row(key)
        return row.expires_at if row is not None else time.time()

    def _row(self, key: str):
        table = rate_limits_table
        with self.store.engine.connect() as conn:
            return conn.execute(sa.select(table.c.count, table.c.expires_at).where(
                table.c.key == key, table.c.expires_at > time.time())).one_or_none()

    def check(self) -> bool:
        """Whether the database answers (Flask-Limiter asks before leaving its fallback)."""
        try:
            with self.store.engine.connect() as conn:
                conn.execute(sa.select(1))
            return True
        except self.base_exceptions:
            return False

    def reset(self) -> int | None:
        """Forget every counter: how many there were."""
        with self.store.engine.begin() as conn:
            return conn.execute(sa.delete(rate_limits_table)).rowcount

    def clear(self, key: str) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(sa.delete(rate_limits_table).where(rate_limits_table.c.key == key))

    def _sweep(self, now: float) -> None:
        """Delete ended windows, at most once a minute per process."""
        if now - self._swept_at < SWEEP_EVERY_S or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            with self.store.engine.begin() as conn:
                conn.execute(sa.delete(rate_limits_table)
                             .where(rate_limits_table.c.expires_at <= now))
        finally:
            self._sweep_lock.release()
