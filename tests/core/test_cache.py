"""inkseal.core.cache.BoundedCache: the one cache type for keys, signers and chains."""

from __future__ import annotations

import threading

import pytest

from inkseal.core.cache import BoundedCache


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2


def test_a_callable_size_is_read_at_each_insertion() -> None:
    size = {"now": 3}
    cache: BoundedCache[int, int] = BoundedCache(lambda: size["now"])
    for n in range(3):
        cache.put(n, n)
    size["now"] = 1
    cache.put(9, 9)
    assert len(cache) == 1 and cache.get(9) == 9
    size["now"] = 0
    assert cache.get_or_put(5, lambda: 5) == 5
    assert len(cache) == 0  # 0 keeps nothing


def test_get_or_put_builds_once_per_miss_and_keeps_the_first_value() -> None:
    cache: BoundedCache[str, object] = BoundedCache(4)
    built: list[object] = []

    def build() -> object:
        built.append(object())
        return built[-1]

    value = cache.get_or_put("k", build)
    assert cache.get_or_put("k", build) is value and len(built) == 1


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError):
        BoundedCache(-1)


def test_threads_never_push_it_past_its_size() -> None:
    cache: BoundedCache[int, int] = BoundedCache(16)
    seen: list[int] = []

    def hammer(offset: int) -> None:
        for n in range(2000):
            cache.get_or_put(offset * 10_000 + n % 64, lambda: n)
            seen.append(len(cache))

    threads = [threading.Thread(target=hammer, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(seen) <= 16
