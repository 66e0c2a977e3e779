"""Which items the HTML report shows: per family and knob, per knob value, a few failed
items, and beside the values either side of a breaking point a few successes.

Pure selection over the scored rows (no images, no HTML): the same report gives the same
gallery. Items are taken in dataset order, so a fixed set of predictions shows a fixed
set of cards (the browser test counts them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

FAILS_PER_VALUE = 3  # failed items shown per knob value
SUCCESSES_NEAR_BREAK = 2  # successes shown at each of the two values either side of a breaking point
MAX_CATEGORIES = 8  # categorical knobs with more values than this get no gallery (fonts, object classes)


@dataclass(frozen=True)
class Shelf:
    """One knob value (or bin of values) of a gallery section."""

    label: str  # "6", "4-6", "serif"
    low: float | None  # numeric bounds on the curve's axis (None for categorical values)
    high: float | None
    n: int
    n_failed: int
    failed: tuple[str, ...]  # ids shown
    succeeded: tuple[str, ...]  # ids shown (only next to a breaking point)
    near_break: bool


@dataclass(frozen=True)
class Section:
    family: str
    knob: str
    axis: str  # the curve's axis name (circular knobs: distance from 0)
    scope: str  # which subtasks the curve's items come from
    kind: str  # numeric or categorical
    shelves: tuple[Shelf, ...]


def _leaf(subtask: str) -> str:
    return subtask.split("/", 1)[-1]


def _axis(family: str, knob: str):
    """Maps a knob value to the curve's axis, as the summary does (angles: distance from 0)."""
    from gen_stress.scoring.summary import family_knob_specs

    spec = family_knob_specs(family).get(knob)
    if spec is not None and spec.period is not None:
        return lambda v: spec.distance_from_zero(float(v))
    return float


def _in_scope(item: Mapping, curve: Mapping) -> bool:
    if not curve.get("primary"):
        return True
    return _leaf(item["subtask"]) in set(curve["scope"].split(", "))


def _one_per_group(members: Sequence[Mapping]) -> list[str]:
    """Ids, keeping the first member of each minimal-pair group (its card shows the twins)."""
    seen, ids = set(), []
    for item in members:
        group = item.get("group_id") or item["id"]
        if group not in seen:
            seen.add(group)
            ids.append(item["id"])
    return ids


def _shelf(label, low, high, members: Sequence[tuple[Mapping, Mapping]], near: bool) -> Shelf:
    failed = [i for i, s in members if not s["correct"]]
    succeeded = _one_per_group([i for i, s in members if s["correct"]]) if near else []
    return Shelf(label, low, high, len(members), len(failed), tuple(_one_per_group(failed)[:FAILS_PER_VALUE]),
                 tuple(succeeded[:SUCCESSES_NEAR_BREAK]), near)


def _near_break(curve: Mapping) -> set[int]:
    """Indexes of the points either side of the breaking point (none without one)."""
    cross = curve["crossing"]
    if cross["status"] != "crosses":
        return set()
    xs = [p["x"] for p in curve["points"]]
    below = [k for k, x in enumerate(xs) if x <= cross["value"]]
    above = [k for k, x in enumerate(xs) if x >= cross["value"]]
    return {k for k in (below[-1] if below else None, above[0] if above else None) if k is not None}


def numeric_section(family: str, curve: Mapping, pairs: Sequence[tuple[Mapping, Mapping]]) -> Section:
    """Shelves at the curve's points: an item belongs to the last point whose lower bound
    it reaches (the bins of `breaking.value_points`)."""
    axis = _axis(family, curve["knob"])
    members = [(i, s) for i, s in pairs if _in_scope(i, curve) and (i.get("difficulty") or {}).get(curve["knob"])
               is not None]
    points = curve["points"]
    lows = np.array([p["lo"] for p in points])
    groups: list[list] = [[] for _ in points]
    for item, score in members:
        x = axis(item["difficulty"][curve["knob"]])
        k = int(np.clip(np.searchsorted(lows, x, side="right") - 1, 0, len(points) - 1))
        groups[k].append((item, score))
    near = _near_break(curve)
    shelves = []
    for k, (point, group) in enumerate(zip(points, groups)):
        label = f"{point['lo']:g}" if point["lo"] == point["hi"] else f"{point['lo']:g}–{point['hi']:g}"
        shelves.append(_shelf(label, point["lo"], point["hi"], group, k in near))
    return Section(family, curve["knob"], curve.get("axis", curve["knob"]), curve["scope"], "numeric",
                   tuple(shelves))


def categorical_section(family: str, table: Mapping, pairs: Sequence[tuple[Mapping, Mapping]]) -> Section | None:
    values = [row["value"] for row in table["values"]]
    if len(values) > MAX_CATEGORIES:
        return None
    knob = table["knob"]
    shelves = []
    for value in values:
        group = [(i, s) for i, s in pairs if str((i.get("difficulty") or {}).get(knob)) == value]
        shelves.append(_shelf(value or "(empty)", None, None, group, False))
    return Section(family, knob, knob, "all subtasks", "categorical", tuple(shelves))


def gallery_sections(report: Mapping, items: Sequence[Mapping], scores: Sequence[Mapping]) -> list[Section]:
    """Every gallery section of the report: the numeric knobs' curves first, then the
    categorical knobs of few values, family by family."""
    by_family: dict[str, list] = {}
    for item, score in zip(items, scores):
        by_family.setdefault(item["family"], []).append((item, score))
    sections: list[Section] = []
    for family, block in report["families"].items():
        pairs = by_family.get(family, [])
        sections += [numeric_section(family, curve, pairs) for curve in block["knobs"]["numeric"]]
        sections += [s for t in block["knobs"]["categorical"] if (s := categorical_section(family, t, pairs))]
    return sections


def twins(items: Sequence[Mapping]) -> dict[str, list[str]]:
    """Item id -> the other members of its minimal-pair group, in dataset order."""
    groups: dict[str, list[str]] = {}
    for item in items:
        if item.get("group_id"):
            groups.setdefault(item["group_id"], []).append(item["id"])
    return {row_id: [o for o in members if o != row_id] for members in groups.values() for row_id in members}


def shown_ids(sections: Sequence[Section], pair_members: Mapping[str, list[str]]) -> list[str]:
    """Every id whose image the page needs (the twins of shown items included), sorted."""
    ids = {row_id for s in sections for shelf in s.shelves for row_id in shelf.failed + shelf.succeeded}
    ids |= {twin for row_id in list(ids) for twin in pair_members.get(row_id, ())}
    return sorted(ids)
