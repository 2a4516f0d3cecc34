"""The one least-recently-used map every cache here uses: bounded in entries, and in bytes
when given a way to weigh a value."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class LRU:
    """A thread-safe map that drops its least recently used entries past `size` entries or,
    with `weigh` (a value's size in bytes), past `max_bytes` in all."""

    def __init__(self, size: int, max_bytes: int | None = None,
                 weigh: Callable[[Any], int] | None = None):
        assert (max_bytes is None) == (weigh is None), "max_bytes needs weigh, and weigh it"
        self.size = size
        self.max_bytes = max_bytes
        self.weigh = weigh
        self.bytes = 0
        """What the kept values weigh in all (0 without `weigh`)."""
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        """The value for key, or `default`; marks it recently used."""
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key][0]

    def put(self, key, value) -> None:
        """Store a value, dropping the least recently used beyond the bounds (a value heavier
        than `max_bytes` alone is not kept at all)."""
        weight = self.weigh(value) if self.weigh else 0
        if self.max_bytes is not None and weight > self.max_bytes:
            self.discard(key)
            return
        with self._lock:
            self._drop(key)
            self._items[key] = (value, weight)
            self.bytes += weight
            while len(self._items) > self.size or (
                    self.max_bytes is not None and self.bytes > self.max_bytes):
                self._drop(next(iter(self._items)))

    def discard(self, key) -> None:
        """Forget one key, if kept."""
        with self._lock:
            self._drop(key)

    def _drop(self, key) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self.bytes -= found[1]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def values(self) -> list:
        """The kept values, least recently used first."""
        with self._lock:
            return [value for value, _ in self._items.values()]

    def __len__(self) -> int:
        return len(self._items)
