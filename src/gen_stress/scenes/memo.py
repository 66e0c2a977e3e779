"""A least-recently-used cache bounded by the bytes its values hold.

The caches of drawn things (line masks, raqm lines, what the checks derive from a mask)
hold values whose sizes differ by orders of magnitude: a shelf's price label is a few
hundred bytes, a large `ocr` sign tens of KB. Bounded by entries, such a cache grew a
worker for thousands of items with --n; bounded by bytes, it is full after the first
hundreds and a worker's memory levels off. Values are only ever recomputed when dropped,
so the bound never changes an output byte.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable


class BoundedLRU:
    """Values by key, least recently used dropped first while the values' bytes pass
    `max_bytes` (or, if given, their count passes `max_entries`); the newest entry is
    kept whatever its size."""

    def __init__(self, max_bytes: int, max_entries: int | None = None):
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self.nbytes = 0
        self._entries: OrderedDict[Hashable, list] = OrderedDict()  # key -> [value, bytes]

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The value (now the most recently used), or `default`."""
        entry = self._entries.get(key)
        if entry is None:
            return default
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> Any:
        """Stores `value` (holding `nbytes`) as the most recently used; returns it."""
        old = self._entries.pop(key, None)
        if old is not None:
            self.nbytes -= old[1]
        self._entries[key] = [value, nbytes]
        self.nbytes += nbytes
        if self.nbytes > self.max_bytes or self.max_entries is not None:
            self._trim()
        return value

    def grow(self, key: Hashable, nbytes: int) -> None:
        """A stored value now holds `nbytes` more (what was derived from it and kept)."""
        entry = self._entries.get(key)
        if entry is not None:
            entry[1] += nbytes
            self.nbytes += nbytes
            if self.nbytes > self.max_bytes:  # (growing adds no entry)
                self._trim()

    def _trim(self) -> None:
        entries = self._entries
        while len(entries) > 1 and (self.nbytes > self.max_bytes
                                    or (self.max_entries is not None and len(entries) > self.max_entries)):
            self.nbytes -= entries.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def sizes(self) -> list[tuple[Any, int]]:
        """(value, bytes) of every entry, least recently used first."""
        return [(value, nbytes) for value, nbytes in self._entries.values()]

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0


class cached_property:  # noqa: N801 (named as the functools decorator it stands in for)
    """functools.cached_property without its lock: Python 3.11's takes an RLock on every
    first access (the value computed under it), about 0.3 us of a 0.5 us access, and a
    picture's lines, line masks and products are asked some 200 first times each (Python
    3.12 dropped the lock). Every module of scenes/ uses this one. The value goes into the
    instance's __dict__ as functools' does (frozen dataclasses too), so later reads never
    reach this descriptor. Workers are processes: no two threads fill the same instance."""

    def __init__(self, func):
        self.func = func
        self.attrname: str | None = None
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    def __get__(self, instance, owner: type | None = None):
        if instance is None:
            return self
        value = instance.__dict__[self.attrname] = self.func(instance)
        return value
