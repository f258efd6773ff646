"""The one bounded cache type: what a process keeps per key, thread-safe, least recently used out first.

Used for the keystores' unwrapped keys and token handles (pki.keystores), the signers built per
certificate (signing.tasks.signers) and the CA chains above certificates (pki.services). Each size
is a setting (settings.py: PKI_KEY_CACHE_SIZE, SIGNER_CACHE_SIZE, CHAIN_CACHE_SIZE). The size may
be given as a callable, read at each insertion, so that a changed setting applies without a
restart; 0 keeps nothing. Nothing here expires by age: none of these values goes stale (a revoked
certificate is refused before its cached signer is used), and a bound on memory is what each needs.

Pure: no Django imports.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `max_size` entries; `get` and `put` refresh an entry, the least recently used goes
    first. Evicted values are dropped (no reference kept), so what they hold can be freed."""

    def __init__(self, max_size: int | Callable[[], int]):
        if isinstance(max_size, int) and max_size < 0:
            raise ValueError("max_size must be >= 0")
        self._max_size = max_size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_size(self) -> int:
        size = self._max_size() if callable(self._max_size) else self._max_size
        return max(0, int(size))

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        size = self.max_size
        with self._lock:
            if size == 0:
                self._items.clear()
                return
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > size:
                self._items.popitem(last=False)

    def get_or_put(self, key: K, build: Callable[[], V]) -> V:
        """The cached value, else `build()` (run outside the lock: it may be slow) cached. Two
        threads missing at once both build; the first to finish wins and both get its value."""
        value = self.get(key)
        if value is not None:
            return value
        built = build()
        size = self.max_size
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
            if size == 0:
                self._items.clear()
                return built
            self._items[key] = built
            while len(self._items) > size:
                self._items.popitem(last=False)
        return built

    def discard(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items
