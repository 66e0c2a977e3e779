"""Frozen scene dataclasses (items, layouts, placements) made without their frozen
setattrs: a dataclass's constructor sets each field through object.__setattr__, which a
page or a shelf pays for hundreds of times a picture."""

from __future__ import annotations

from dataclasses import MISSING, fields
from functools import lru_cache


@lru_cache(maxsize=64)  # one entry per class
def _defaults(cls: type) -> dict:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


def made(cls: type, **values):
    """`cls(**values)` for a frozen dataclass without __post_init__ or default factories:
    the same fields, equality and hash."""
    item = object.__new__(cls)
    vars(item).update(_defaults(cls), **values)
    return item
