"""A throwaway PostgreSQL server on loopback for the link store's tests.

Debian's `postgresql` package (installed by `make test`) provides the binaries; the cluster
lives in a temporary folder, belongs to the `postgres` user when we are root (PostgreSQL
refuses to run as root), and is stopped and removed at the end. As root the server also gets
a tiny disk of its own, for the store's full-disk test. A missing PostgreSQL is an
error, not a reason to skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

PREFERRED_PORT = 55432
START_TIMEOUT_S = 30
TINY_DISK = "tiny-disk"
"""A folder of the server's home, a 1 MiB tmpfs that only the server sees: a tablespace on it
is a real full disk for the store's tests (see `tiny_disk`)."""
TINY_DISK_SIZE = "1m"


def pg_bin(name: str) -> str:
    """A PostgreSQL server binary: from PATH, else Debian's versioned folder."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    path = shutil.which(name) or (found[0] if found else None)
    if path is None:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install Debian's postgresql "
            "(`sh scripts/install-system-deps.sh --postgres`, which `make test` runs)")
    return path


def _port() -> int:
    """55432 when it is free, else any free port."""
    for port in (PREFERRED_PORT, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise RuntimeError("no free port")


def _as_owner(argv: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *argv] if owner else argv


@contextmanager
def postgres_server() -> Iterator[str]:
    """A fresh cluster on 127.0.0.1; yields its SQLAlchemy URL (database `postgres`)."""
    owner = "postgres" if os.geteuid() == 0 else None
    home = tempfile.mkdtemp(prefix="links-pg-")
    data = os.path.join(home, "data")
    if owner:
        entry = pwd.getpwnam(owner)
        os.chown(home, entry.pw_uid, entry.pw_gid)
    port = _port()
    run = dict(check=True, capture_output=True, text=True, cwd=home)
    subprocess.run(_as_owner([pg_bin("initdb"), "-D", data, "-U", "postgres", "--auth=trust",
                              "--encoding=UTF8", "--no-sync"], owner), **run)
    options = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=on"
    start = _as_owner([pg_bin("pg_ctl"), "-D", data, "-l", os.path.join(home, "log"), "-o",
                       options, "-w", "-t", str(START_TIMEOUT_S), "start"], owner)
    subprocess.run(_with_tiny_disk(start, home, owner), **run)
    try:
        _wait(port)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([pg_bin("pg_ctl"), "-D", data, "-m", "immediate", "-w",
                                  "stop"], owner), capture_output=True, cwd=home)
        shutil.rmtree(home, ignore_errors=True)


def _with_tiny_disk(start: list[str], home: str, owner: str | None) -> list[str]:
    """`start` run in a mount namespace of its own where `home/tiny-disk` is a small tmpfs
    owned by the server's user. The server keeps the namespace (and the mount) while it runs;
    nothing outside it sees the mount, and it goes when the server stops. As root only (the
    server cannot run as root, and a user namespace would make it root)."""
    if os.geteuid() != 0:
        return start
    if shutil.which("unshare") is None:
        raise RuntimeError("unshare (util-linux) is needed to give PostgreSQL a tiny disk")
    folder = os.path.join(home, TINY_DISK)
    os.mkdir(folder)
    entry = pwd.getpwnam(owner)
    mount = (f"mount -t tmpfs -o size={TINY_DISK_SIZE},mode=0700,uid={entry.pw_uid},"
             f"gid={entry.pw_gid} tmpfs {shlex.quote(folder)}")
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f"{mount} && exec {shlex.join(start)}"]


def tiny_disk(url: str) -> str:
    """The tiny tmpfs of the server at `url` (see `_with_tiny_disk`), as the server sees it."""
    import sqlalchemy as sa

    if os.geteuid() != 0:
        raise RuntimeError("the full-disk test of PostgreSQL mounts a tmpfs: run it as root "
                           "(as `make test` in CI does)")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        data = conn.execute(sa.text("SHOW data_directory")).scalar_one()
    engine.dispose()
    return os.path.join(os.path.dirname(data), TINY_DISK)


def _wait(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not listen on port {port}")


def reset(url: str) -> None:
    """Drop the store's tables, so each test starts from an empty database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS links, rate_limits, alembic_version"))
    engine.dispose()
