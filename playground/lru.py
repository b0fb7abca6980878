"""The one cache: a bounded, thread-safe LRU with one lock per key for the values it builds.

Every cache of the playground is one of these: loaded models, recent samples, web exports, latent
maps, evaluation curves, judge features. `get_or_create` builds a missing value once even when many
threads ask for it at the same moment (the others wait on that key's lock, not on the whole cache),
so a class opening the same page at once costs one model load, one sample, one fit.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")
_MISSING = object()


class LRU(Generic[V]):
    """`maxsize` entries at most (the least recently used go first); with `ttl` seconds, an entry
    not used for that long is gone on its next look-up. `on_evict(key, value)` hears about every
    entry that leaves, whatever the reason."""

    def __init__(self, maxsize: int, *, ttl: float | None = None,
                 on_evict: Callable[[Hashable, V], None] | None = None):
        assert maxsize > 0, "an LRU needs room for one entry at least"
        self.maxsize, self.ttl, self.on_evict = maxsize, ttl, on_evict
        self._items: OrderedDict[Hashable, tuple[V, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __contains__(self, key) -> bool:
        return self.get(key, _MISSING) is not _MISSING

    def keys(self) -> list:
        with self._lock:
            return list(self._items)

    def get(self, key, default=None):
        """The value (now the most recently used), or `default`; an expired entry is dropped."""
        with self._lock:
            found = self._items.get(key)
            if found is not None and self.ttl is not None and time.monotonic() - found[1] > self.ttl:
                gone = self._items.pop(key)[0]
                found = None
            else:
                gone = _MISSING
            if found is not None:
                self._items[key] = (found[0], time.monotonic())
                self._items.move_to_end(key)
        if gone is not _MISSING and self.on_evict:
            self.on_evict(key, gone)
        return default if found is None else found[0]

    def put(self, key, value: V) -> V:
        with self._lock:
            self._items[key] = (value, time.monotonic())
            self._items.move_to_end(key)
            evicted = []
            while len(self._items) > self.maxsize:
                old, (v, _) = self._items.popitem(last=False)
                evicted.append((old, v))
            if self.ttl is not None:  # expired entries would otherwise wait for their next look-up
                now = time.monotonic()
                for old in [k for k, (_, t) in self._items.items() if now - t > self.ttl]:
                    evicted.append((old, self._items.pop(old)[0]))
        for old, v in evicted:
            self._key_locks.pop(old, None)
            if self.on_evict:
                self.on_evict(old, v)
        return value

    def pop(self, key, default=None):
        with self._lock:
            found = self._items.pop(key, None)
            self._key_locks.pop(key, None)
        if found is not None and self.on_evict:
            self.on_evict(key, found[0])
        return default if found is None else found[0]

    def get_or_create(self, key, create: Callable[[], V]) -> V:
        """The cached value, or `create()`'s, built once per key even under concurrent calls."""
        value = self.get(key, _MISSING)
        if value is not _MISSING:
            return value
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            value = self.get(key, _MISSING)
            if value is _MISSING:
                value = self.put(key, create())
            return value

    def clear(self) -> None:
        with self._lock:
            items, self._items = self._items, OrderedDict()
            self._key_locks.clear()
        if self.on_evict:
            for key, (value, _) in items.items():
                self.on_evict(key, value)
