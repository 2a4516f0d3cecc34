"""The one LRU map: bounded in entries, and in bytes when it can weigh a value."""

import pytest

from autodiff.lru import LRU


def test_the_least_recently_used_goes_first():
    kept = LRU(2)
    kept.put("a", 1)
    kept.put("b", 2)
    assert kept.get("a") == 1  # a is now the most recently used
    kept.put("c", 3)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == (1, None, 3)
    assert len(kept) == 2


def test_a_byte_bound_drops_the_oldest_until_the_rest_fits():
    kept = LRU(10, max_bytes=10, weigh=len)
    kept.put("a", b"1234")
    kept.put("b", b"1234")
    kept.put("c", b"123456")  # 14 bytes: a goes
    assert kept.get("a") is None and kept.get("b") == b"1234" and kept.bytes == 10
    kept.put("b", b"1")  # a new value for a key replaces its weight
    assert kept.bytes == 7


def test_a_value_heavier_than_the_bound_is_not_kept():
    kept = LRU(10, max_bytes=10, weigh=len)
    kept.put("a", b"12")
    kept.put("a", b"x" * 11)
    assert kept.get("a") is None and kept.bytes == 0 and len(kept) == 0


def test_discard_and_clear_forget():
    kept = LRU(10, max_bytes=100, weigh=len)
    kept.put("a", b"12")
    kept.put("b", b"345")
    kept.discard("a")
    kept.discard("missing")
    assert kept.values() == [b"345"] and kept.bytes == 3
    kept.clear()
    assert len(kept) == 0 and kept.bytes == 0


def test_a_byte_bound_needs_a_way_to_weigh():
    with pytest.raises(AssertionError):
        LRU(10, max_bytes=100)
