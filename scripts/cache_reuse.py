#!/usr/bin/env python
"""How far apart a worker's caches are asked for the same key: the evidence behind
their bounds.

    python scripts/cache_reuse.py --family ocr --n 3000
    python scripts/cache_reuse.py --family all --n 300 --set context=shelf

Generates --n items per family in this process with every `functools.lru_cache` of the
package and every `BoundedLRU` (scenes/memo.py) watched. For each cache it prints the
calls, the distinct keys, and how many calls would hit with a bound of 64 ... 65,536
entries (a lower bound: a repeat counts as a hit when fewer than that many calls of the
cache came between, and fewer distinct keys did). A cache whose hits stop growing at a
small bound gains nothing from a large one but memory that grows with --n.
"""

from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import part_for  # noqa: E402  (a sibling script)

from gen_stress import pipeline  # noqa: E402
from gen_stress.generators import family_names, get_family  # noqa: E402
from gen_stress.scenes import contexts, memo  # noqa: E402

BOUNDS = (64, 256, 1024, 4096, 16384, 65536)


class Gaps:
    """Per call of one cache: calls since the last call with the same key."""

    def __init__(self):
        self.calls = 0
        self.last: dict = {}
        self.gaps: list[int] = []

    def seen(self, key) -> None:
        self.calls += 1
        before = self.last.get(key)
        if before is not None:
            self.gaps.append(self.calls - before)
        self.last[key] = self.calls

    def hits_within(self, bound: float) -> int:
        return sum(1 for gap in self.gaps if gap <= bound)


WATCHED: dict[str, Gaps] = {}


def _watch_lru(name: str, cached) -> object:
    gaps = WATCHED.setdefault(name, Gaps())

    @functools.wraps(cached)
    def watched(*args, **kwargs):
        gaps.seen((args, tuple(sorted(kwargs.items()))))
        return cached(*args, **kwargs)

    return watched


def watch_caches() -> None:
    """Every lru_cache of the package's loaded modules, wherever a module names it, and
    every BoundedLRU's lookups (named by the module global that holds it)."""
    modules = [m for name, m in sys.modules.items() if name.startswith("gen_stress") and m is not None]
    replaced = {}
    for module in modules:
        for attr, value in list(vars(module).items()):
            if hasattr(value, "cache_info") and getattr(value, "__module__", None) == module.__name__:
                replaced[id(value)] = _watch_lru(f"{module.__name__.rsplit('.', 1)[-1]}.{attr}", value)
            elif isinstance(value, memo.BoundedLRU):
                value.watch_name = f"{module.__name__.rsplit('.', 1)[-1]}.{attr}"
    for module in modules:
        for attr, value in list(vars(module).items()):
            if id(value) in replaced:
                setattr(module, attr, replaced[id(value)])
    get = memo.BoundedLRU.get

    def watched_get(self, key, default=None):
        WATCHED.setdefault(getattr(self, "watch_name", "BoundedLRU"), Gaps()).seen(key)
        return get(self, key, default)

    memo.BoundedLRU.get = watched_get


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="ocr", help="a family, or all")
    parser.add_argument("--n", type=int, default=1000, help="items per family")
    parser.add_argument("--set", dest="settings", action="append", default=[], help="KNOB=VALUE, as gen-stress --set")
    args = parser.parse_args()
    families = family_names(args.family)
    contexts.contexts()  # every context's module loaded, so its caches are watched too
    watch_caches()
    for family in families:
        part, fam = part_for(family, args.n, args.settings), get_family(family)
        for index in range(args.n):
            pipeline.generate_index(fam, part, (512, 512), index)
    print(f"{'cache':34s}{'calls':>9s}{'keys':>8s}" + "".join(f"{b:>8d}" for b in BOUNDS) + "     any")
    for name, gaps in sorted(WATCHED.items()):
        if gaps.calls:
            hits = [gaps.hits_within(b) for b in (*BOUNDS, float("inf"))]
            print(f"{name:34s}{gaps.calls:9d}{len(gaps.last):8d}" + "".join(f"{h:8d}" for h in hits))


if __name__ == "__main__":
    main()
