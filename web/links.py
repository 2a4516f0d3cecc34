"""Short links: a program and its view options kept under an id made from their content.

The same content always gets the same id, so storing twice stores once and a link's content
never changes. SQLAlchemy Core talks to the database (SQLite by default, PostgreSQL when
`DATABASE_URL` names one) and Alembic keeps its schema (`web/migrations`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from autodiff.composites import parse_expand
from autodiff.descent import check_learning_rate
from autodiff.errors import EvaluationError
from autodiff.i18n import LANGS, N_, _
from autodiff.limits import MAX_DESCENT_UPDATES, MAX_SOURCE_CHARS

from .look_views import FONT_SCALES
from .service import normalise

ID_CHARS = 11
"""Characters of an id: 65 bits of a SHA-256, so ids cannot be guessed or counted through."""

ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""Letters and digits only: an id survives chat markup, e-mail and a command line intact."""

ID_PATTERN = re.compile(rf"[0-9A-Za-z]{{{ID_CHARS},43}}")
"""What an id looks like (longer ones exist only after a collision of the first 11)."""

ID_SALT = b"backprop-link-v1\n"
"""Hashed before the content, so a later format of content gets ids of its own."""

VIEW_OPTIONS = {
    "theme": ("classic", "dark", "projector", "colourblind", "print"),
    "mode": ("reverse", "forward", "practice"),
    "dtype": ("float64", "float32"),
    "direction": ("lr", "tb"),
    "font": tuple(str(scale) for scale in FONT_SCALES),
    "level": ("values", "rules"),
    "given": ("none", "values"),
    "lang": LANGS,
}
"""Options a link keeps, with the values each may take (API.md, "View options"; `font`,
`level` and `given` are the page's text size and practice mode's settings)."""

DEFAULTS = {"mode": "reverse", "dtype": "float64", "direction": "lr", "font": "100",
            "level": "values", "given": "none"}
"""Options whose default is the same as leaving them out, so they are left out of the id.
The theme and the language are not here: without them the page follows the browser's."""

FLAGS = ("edge_labels", "graph_only")
"""On/off options, kept only when on."""

LINK_PAGE_OPTIONS = ("mode", "forward", "lr", "updates", "level", "given", "lang", "expand")
"""Options the page's scripts read from the address's query: a short link's reach them in the
page's boot JSON instead (the look, `font` and `graph_only`, is read there already)."""

ALIASES = {"colorblind": "colourblind"}

TRUE_WORDS = ("1", "true", "on", "yes")

MAX_NAME_CHARS = 100
"""`forward=<input>` names an input of the program; no name is longer than the program."""

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

links_table = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.String(43), primary_key=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("links_created_at", "created_at"),
    sa.Index("links_last_used_at", "last_used_at"),
)
"""One row per link: its id, its canonical JSON content, when it was first stored, and when it
was last opened (to the day; None: not opened since it was stored)."""

TOUCH_EVERY = timedelta(days=1)
"""How stale a link's last use may get before opening it writes the time again: at most one
write a day per link, so opening links stays a read."""


class LinkNotFound(LookupError):
    """No link has this id (or the id is not one we could have made)."""

    def __init__(self, link_id: str):
        super().__init__(link_id)
        self.link_id = link_id


class StoreError(Exception):
    """The store cannot do what was asked right now; nothing was half-written."""

    message = N_("the link store cannot be reached; try again in a moment")


class StoreFull(StoreError):
    """The database's disk (or quota) is full: the link was not stored."""

    message = N_("the link store is full, so the link was not saved; try again later")


@dataclass(frozen=True)
class Link:
    """A stored link: its id, the program and its view options (strings, as a query has them)."""

    id: str
    content: dict
    created_at: datetime | None = None
    last_used_at: datetime | None = None

    def params(self) -> dict:
        """The link as request parameters: `src` and each option as a string."""
        return {key: _as_param(value) for key, value in self.content.items()}


def _as_param(value) -> str:
    if value is True:
        return "1"
    return str(value)


def content_of(given: dict) -> dict:
    """The normalised content of a link from request parameters: the program (line ends and
    trailing blanks normalised) and the view options that differ from their defaults.
    Raises EvaluationError (a 400) naming anything that is not allowed."""
    src = given.get("src")
    if src is None or not normalise(src):
        raise EvaluationError(N_("give the program to link to as \"src\""))
    if len(src) > MAX_SOURCE_CHARS:
        raise EvaluationError(
            _("the program is {n} characters long; a link holds at most {limit}",
              n=f"{len(src):,}", limit=f"{MAX_SOURCE_CHARS:,}"))
    content: dict = {"src": normalise(src)}
    for name, allowed in VIEW_OPTIONS.items():
        value = given.get(name)
        if value in (None, ""):
            continue
        value = ALIASES.get(value, value)
        if value not in allowed:
            raise EvaluationError(_("{name} must be one of {allowed}", name=name,
                                    allowed=", ".join(allowed)))
        if DEFAULTS.get(name) != value:
            content[name] = value
    _add_step(content, given.get("step"))
    for flag in FLAGS:
        if given.get(flag, "0") in TRUE_WORDS:
            content[flag] = True
    forward = given.get("forward")
    if forward:
        if len(forward) > MAX_NAME_CHARS or not forward.isidentifier():
            raise EvaluationError(N_("forward must name an input of the program"))
        content["forward"] = forward
    _add_descent(content, given.get("lr"), given.get("updates"))
    expand = parse_expand(given.get("expand"))
    if expand:
        content["expand"] = ",".join(sorted(expand))
    return content


def _add_step(content: dict, text: str | None) -> None:
    if text in (None, ""):
        return
    if not text.isdigit() or len(text) > 9:
        raise EvaluationError(N_("step must be a whole number, 0 or more"))
    content["step"] = int(text)


def _add_descent(content: dict, rate: str | None, updates: str | None) -> None:
    """Gradient descent's learning rate and number of updates (`lr`, `updates`), checked as
    `/api/graph` checks them; the rate is kept as the number it is (0.10 and 0.1 are one)."""
    if rate in (None, ""):
        if updates not in (None, ""):
            raise EvaluationError("updates needs a learning rate too, e.g. lr=0.1")
        return
    content["lr"] = check_learning_rate(rate)
    if updates in (None, ""):
        return
    if not updates.isdigit() or int(updates) > MAX_DESCENT_UPDATES:
        raise EvaluationError(_("updates must be a whole number from 0 to {most}",
                                most=MAX_DESCENT_UPDATES))
    content["updates"] = int(updates)


def canonical(content: dict) -> str:
    """The content as the one JSON text the id is made from (sorted keys, no spaces)."""
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def link_id(text: str, length: int = ID_CHARS) -> str:
    """The id of canonical content: its SHA-256 written in base 62, first `length` digits."""
    number = int.from_bytes(hashlib.sha256(ID_SALT + text.encode("utf-8")).digest(), "big")
    digits = []
    while len(digits) < length:
        number, digit = divmod(number, len(ID_ALPHABET))
        digits.append(ID_ALPHABET[digit])
    return "".join(digits)


def database_url(instance_path: str | os.PathLike, configured: str | None = None) -> str:
    """The store's SQLAlchemy URL: `configured` (from DATABASE_URL), else a SQLite file in the
    instance folder. `postgres://` and `postgresql://` mean psycopg 3, the driver we ship."""
    if not configured:
        return f"sqlite:///{Path(instance_path).resolve() / 'links.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if configured.startswith(prefix):
            return "postgresql+psycopg://" + configured[len(prefix):]
    return configured


class LinkStore:
    """The links table behind one engine: stores and reads links, created on first use."""

    def __init__(self, url: str):
        self.url = sa.make_url(url)
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> sa.Engine:
        """The engine, made and the schema brought up to date the first time it is asked for
        (in each process: gunicorn's workers each open their own)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    engine = make_engine(self.url)
                    from .migrate import upgrade

                    with translated_errors():
                        upgrade(engine)
                    self._engine = engine
        return self._engine

    def put(self, content: dict) -> tuple[Link, bool]:
        """Store content (once): its link, and whether it was new. The row is committed before
        this returns, so an acknowledged link survives the server being killed."""
        text = canonical(content)
        for length in range(ID_CHARS, 44, 4):  # a longer id only after a collision
            candidate = link_id(text, length)
            stored = self._content(candidate)  # a read: storing a known link writes nothing
            if stored is None:
                with translated_errors(), self.engine.begin() as conn:
                    if conn.execute(_insert_new(conn, candidate, text)).first() is not None:
                        return Link(candidate, content), True
                stored = self._content(candidate)  # another server stored it meanwhile
            if stored == text:
                return Link(candidate, content), False
        raise StoreError("no free id for this content")  # 43 characters are the whole hash

    def _content(self, wanted: str) -> str | None:
        with translated_errors(), self.engine.connect() as conn:
            return conn.execute(
                sa.select(links_table.c.content).where(links_table.c.id == wanted)
            ).scalar_one_or_none()

    def get(self, wanted: str, touch: bool = True) -> Link:
        """The link with this id; LinkNotFound when there is none. Opening a link (`touch`)
        notes the day it was used, for `prune(unused_since=...)`."""
        if not ID_PATTERN.fullmatch(wanted):
            raise LinkNotFound(wanted)
        with translated_errors(), self.engine.connect() as conn:
            row = conn.execute(
                sa.select(links_table.c.content, links_table.c.created_at,
                          links_table.c.last_used_at)
                .where(links_table.c.id == wanted)
            ).one_or_none()
        if row is None:
            raise LinkNotFound(wanted)
        link = Link(wanted, json.loads(row.content), _utc(row.created_at), _utc(row.last_used_at))
        if touch and (link.last_used_at is None
                      or datetime.now(UTC) - link.last_used_at > TOUCH_EVERY):
            self._touch(wanted)
        return link

    def _touch(self, used: str) -> None:
        """Write now as the link's last use. Best effort: a store that cannot write (full, busy,
        read-only) still serves the link, so a failure is only logged."""
        try:
            with translated_errors(), self.engine.begin() as conn:
                conn.execute(sa.update(links_table).where(links_table.c.id == used)
                             .values(last_used_at=datetime.now(UTC)))
        except StoreError as error:
            logger.warning("link %s: its last use was not noted (%r)", used, error.__cause__)

    def count(self) -> int:
        """How many links are stored."""
        with translated_errors(), self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(links_table)).scalar_one()

    def prune(self, before: datetime | None = None, unused_since: datetime | None = None,
              larger_than: int | None = None, ids: tuple[str, ...] = (),
              dry_run: bool = False) -> list[Pruned]:
        """Delete the links that match every filter given (first stored before `before`, not
        opened since `unused_since`, content over `larger_than` characters), and those named
        in `ids`: what was (or, with `dry_run`, would be) removed, oldest first."""
        where = _prune_where(before, unused_since, larger_than, ids)
        if where is None:
            return []
        size = sa.func.length(links_table.c.content)
        with translated_errors(), self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(links_table.c.id, links_table.c.created_at,
                          links_table.c.last_used_at, size.label("size"))
                .where(where).order_by(links_table.c.created_at, links_table.c.id)
            ).all()
            if not dry_run:
                conn.execute(sa.delete(links_table).where(where))
        return [Pruned(row.id, _utc(row.created_at), _utc(row.last_used_at), row.size)
                for row in rows]

    def dispose(self) -> None:
        """Close the pooled connections (tests, and the CLI when it is done)."""
        if self._engine is not None:
            self._engine.dispose()


@dataclass(frozen=True)
class Pruned:
    """A link that pruning removed: its id, when it was stored and last opened, its size in
    characters (program and options)."""

    id: str
    created_at: datetime
    last_used_at: datetime | None
    size: int


def _prune_where(before: datetime | None, unused_since: datetime | None,
                 larger_than: int | None, ids: tuple[str, ...]):
    """The links `prune` removes: all the filters at once, or a named id; None: no criterion."""
    filters = []
    if before is not None:
        filters.append(links_table.c.created_at < before)
    if unused_since is not None:  # a link never opened counts from when it was stored
        last_use = sa.func.coalesce(links_table.c.last_used_at, links_table.c.created_at)
        filters.append(last_use < unused_since)
    if larger_than is not None:
        filters.append(sa.func.length(links_table.c.content) > larger_than)
    chosen = [sa.and_(*filters)] if filters else []
    if ids:
        chosen.append(links_table.c.id.in_(ids))
    return sa.or_(*chosen) if chosen else None


def _utc(moment: datetime | None) -> datetime | None:
    """A time from the database as an aware UTC datetime (SQLite hands back naive ones)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _insert_new(conn: sa.Connection, new_id: str, text: str):
    """INSERT that does nothing when the id is taken (one statement, no race between two
    servers storing the same program at once); it returns the id only when it added the row."""
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[conn.dialect.name]
    insert = dialect.insert(links_table).values(id=new_id, content=text)
    return insert.on_conflict_do_nothing().returning(links_table.c.id)


def make_engine(url: sa.URL) -> sa.Engine:
    """An engine for the store's database, its schema as it is (see `web.migrate`)."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4,
                            connect_args={"connect_timeout": 5})


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never wait for a writer
    "PRAGMA synchronous=FULL",  # a commit is on disk before the link is acknowledged
    "PRAGMA busy_timeout=15000",  # gunicorn's workers take turns to write (its timeout: 30 s)
)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    """A SQLite file, made with its folder on first use, in WAL mode."""
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 15})

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    return engine


SQLITE_FULL = 13
"""sqlite3's error code for "database or disk is full"."""

PG_DISK_FULL = "53100"


@contextmanager
def translated_errors() -> Iterator[None]:
    """Turns the database's failures into StoreFull or StoreError (both answer 503)."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        if _is_disk_full(error.orig):
            raise StoreFull() from error
        if isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)):
            raise StoreError() from error
        raise


def _is_disk_full(orig: BaseException | None) -> bool:
    if getattr(orig, "sqlite_errorcode", None) == SQLITE_FULL:
        return True
    return getattr(orig, "sqlstate", None) == PG_DISK_FULL
