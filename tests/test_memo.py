"""The byte-bounded cache of drawn things (scenes/memo.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gen_stress.scenes.memo import BoundedLRU, cached_property


def test_least_recently_used_values_go_first_once_their_bytes_pass_the_bound():
    cache = BoundedLRU(max_bytes=100)
    for key in "abcd":
        cache.put(key, key.upper(), 30)
    assert len(cache) == 3 and cache.nbytes == 90 and "a" not in cache  # 120 bytes: "a" went
    assert cache.get("b") == "B"  # now the most recently used
    cache.put("e", "E", 30)
    assert [v for v, _ in cache.sizes()] == ["D", "B", "E"]  # "c" was the least recently used
    assert cache.get("c", "missing") == "missing"


def test_the_newest_value_stays_whatever_its_size():
    cache = BoundedLRU(max_bytes=100)
    cache.put("small", 1, 10)
    cache.put("huge", 2, 1000)
    assert cache.sizes() == [(2, 1000)] and cache.nbytes == 1000
    cache.put("next", 3, 10)
    assert cache.sizes() == [(3, 10)]


def test_an_entry_bound_also_holds_and_a_replaced_key_counts_once():
    cache = BoundedLRU(max_bytes=10**9, max_entries=2)
    cache.put("a", 1, 5)
    cache.put("a", 2, 7)  # replaced: its old bytes no longer count
    assert cache.nbytes == 7 and len(cache) == 1
    cache.put("b", 3, 1)
    cache.put("c", 4, 1)
    assert "a" not in cache and cache.nbytes == 2


def test_grown_values_count_their_new_bytes_and_push_out_old_ones():
    cache = BoundedLRU(max_bytes=100)
    cache.put("a", "A", 40)
    cache.put("b", "B", 40)
    cache.grow("b", 30)  # 110 bytes: "a" goes, "b" stays
    assert cache.sizes() == [("B", 70)] and cache.nbytes == 70
    cache.grow("gone", 10)  # a dropped key: nothing to count
    assert cache.nbytes == 70
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0


@dataclass(frozen=True)
class _Line:
    text: str
    calls: list = field(default_factory=list, compare=False)

    @cached_property
    def shout(self) -> str:
        """The text in capitals."""
        self.calls.append(self.text)
        return self.text.upper()


def test_cached_property_works_out_a_frozen_instance_value_once_and_keeps_it_in_its_dict():
    line = _Line("abc")
    assert line.shout == "ABC" and line.shout == "ABC"
    assert line.calls == ["abc"] and vars(line)["shout"] == "ABC"
    other = _Line("xy")
    assert other.shout == "XY" and other.calls == ["xy"]  # per instance
    assert isinstance(_Line.shout, cached_property) and _Line.shout.__doc__ == "The text in capitals."
    assert line == _Line("abc") and hash(line) == hash(_Line("abc"))  # the cached value is no field
