"""A cache on disk that the server's worker processes share: a layout or a PNG one worker
made is read by the others instead of being made again (a 2,000-value layout takes dot
seconds). On when AUTODIFF_CACHE_DIR names a directory (scripts/serve.py sets one); any
trouble with it is a miss, never a failed request."""

from __future__ import annotations

import os
import threading
from typing import Any

SHARED_CACHE_BYTES = 256_000_000
"""What the directory may hold in all; the least recently stored go first."""
DISK_TIMEOUT_S = 0.5
"""How long a read or write may wait for another process's lock before it counts as a miss."""

_OPENED: dict[int, Any] = {}
"""The open cache by process id: each forked worker opens its own."""
_LOCK = threading.Lock()


def _cache():
    """The process's diskcache.Cache, or None when no directory is set."""
    folder = os.environ.get("AUTODIFF_CACHE_DIR")
    if not folder:
        return None
    pid = os.getpid()
    with _LOCK:
        if pid not in _OPENED:
            import diskcache  # only servers that share a cache need it

            _OPENED.clear()  # a parent's handle is not used across fork
            _OPENED[pid] = diskcache.Cache(
                folder, size_limit=SHARED_CACHE_BYTES, timeout=DISK_TIMEOUT_S,
                eviction_policy="least-recently-stored",
            )
        return _OPENED[pid]


def get(kind: str, key: Any) -> Any:
    """What another process stored under (kind, key), or None."""
    try:
        cache = _cache()
        return None if cache is None else cache.get((kind, key))
    except Exception:  # noqa: BLE001  (a damaged, locked or full cache is only a miss)
        return None


def put(kind: str, key: Any, value: Any) -> None:
    """Store for the other processes (dropped quietly when the cache cannot take it)."""
    try:
        cache = _cache()
        if cache is not None:
            cache.set((kind, key), value)
    except Exception:  # noqa: BLE001
        pass
