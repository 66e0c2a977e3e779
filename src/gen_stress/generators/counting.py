"""Counting family: how many objects of one kind, among look-alikes that share one of
its attributes.

Subtasks: duplicates_merged (identical twins that touch or overlap: `overlap`,
`min_visible_fraction`), crowded (`n` up to 150 at a `density`), small_items (`object_px`
down to 3 pixels, mixed with big instances: `big_share`). The question names what to
count by colour, by class or by both; distractors share exactly one of the named
attributes (red squares and blue circles among red circles) and are recorded as such.
The gold count `n` is spread evenly over its range.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import shapely

from gen_stress.errors import UserError
from gen_stress.generators.base import Draft, Family, Question, Resample, SamplePlan
from gen_stress.knobs import knob, knob_specs
from gen_stress.rng import FAMILY_IDS, pick
from gen_stress.scenes import checks
from gen_stress.scenes.colors import BACKGROUNDS
from gen_stress.scenes.model import Scene
from gen_stress.scenes.objects import (
    COMPACT_SHAPES,
    PLURALS,
    SHAPE_MIN_PX,
    EdgedShape,
    Obj,
    circumradius,
    colors_on,
    draw_angle,
    edge_px_for,
    region_box,
    scatter,
    shape_items,
    told_apart,
)
from gen_stress.scenes.shapes import SHAPE_NAMES, UNIT_SHAPES, shape_polygon

NAMED = ("color", "shape", "both")
# The gold count is spread evenly over this range, per subtask (when it is not pinned).
COUNT_RANGE = {"duplicates_merged": (0, 24), "crowded": (0, 120), "small_items": (0, 40)}
REFERENCE_PX = 512  # drawn knobs are for images this big (and shrink for smaller ones)
MARGIN_PX = 4  # every object stays this far inside the image
GAP_PX = 2.0  # objects that are not twins stay this far apart
SIZE_SPREAD = 1.4  # instances are object_px to 1.4 x object_px across (big ones aside)
BIG_MIN_PX, BIG_MAX_PX = 24, 96
TINY_PX = 8  # below this only compact shapes (a 5-pixel star covers two pixels)
MIN_OWNED_PX = 3  # a counted instance owns at least this many pixels
HEADROOM = 0.05  # overlap + min_visible_fraction <= 1 - this: covering twins also take edge pixels
OVERLAP_TOLERANCE = 0.06  # measured largest covered fraction vs the overlap knob (or a pixel row's worth)
MAX_DENSITY = 0.34  # dart throwing jams near 0.5; keep clear of it
FIT_SAFETY = 0.8  # drawn knobs plan for this share of the image (sizes and classes vary)
CHAIN_WASTE = 1.6  # a chain's enclosing disc is about this much bigger than its links' discs
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


@dataclass(frozen=True)
class CountingKnobs:
    n: int = knob(low=0, high=150, easy=6, primary_for=("crowded",),
                  doc="gold count: target instances in the image")
    density: float = knob(low=0.02, high=0.4, easy=0.2, primary_for=("crowded",),
                          doc="share of the placement region covered by the objects' footprints (the discs "
                              "they can turn in); the region shrinks as it rises")
    object_px: int = knob(low=3, high=96, easy=14, primary_for=("small_items",),
                          doc="size across of the smallest instances, in pixels of the stored image (others "
                              "up to 1.4 times that)")
    big_share: float = knob(low=0.0, high=0.8, easy=0.0, primary_for=("small_items",),
                            doc="share of the instances drawn big (3 to 6 times object_px, 24 to 96 px)")
    overlap: float = knob(low=0.0, high=0.65, easy=0.0, primary_for=("duplicates_merged",),
                          doc="largest fraction of an instance's area covered by its twin (0: twins touch); "
                              "duplicates_merged only")
    min_visible_fraction: float = knob(low=0.3, high=0.9, easy=0.5, primary_for=("duplicates_merged",),
                                       doc="every instance keeps at least this share of its pixels visible, "
                                           "measured on the object-id buffer (at most 0.9: touching twins share "
                                           "a row of edge pixels)")
    distractors: int = knob(low=0, high=150, easy=4,
                            doc="objects that share the target's colour or its class, but not both")
    named: str = knob(choices=NAMED, easy="color",
                      doc="what the question names: colour, class or both (colour only under 14 px)")


@dataclass(frozen=True)
class _Kind:
    """One kind of object in a scene: a class in a colour, and what it shares with the
    targets when it is a distractor."""

    shape: str
    color: str
    shares: str = ""  # "", "color" or "shape"

    @property
    def role(self) -> str:
        return "distractor" if self.shares else "target"


def _sample(rng: np.random.Generator, seq, k: int) -> list:
    return [seq[i] for i in rng.permutation(len(seq))[:k]]


def stratified_count(slot: int, low: int, high: int) -> int:
    """The count of the slot-th item of a stratum: every value of low..high once per
    cycle of (high - low + 1) items, in an order shuffled per cycle (a pure function of
    the slot, so the spread does not depend on generation order)."""
    span = high - low + 1
    cycle, position = divmod(slot, span)
    order = np.random.default_rng([cycle, FAMILY_IDS["counting"], span]).permutation(span)
    return low + int(order[position])


def overlap_tolerance(area_px: int) -> float:
    """How far an instance's measured covered share may be from `overlap`: 0.06, or for
    small shapes about one row of edge pixels (a boundary moved by a pixel)."""
    return max(OVERLAP_TOLERANCE, 1.0 / math.sqrt(max(area_px, 1)))


def _footprint(size_px: float, shape_radius: float = 1.2) -> float:
    """Area of the disc an object `size_px` across can turn in, with half the gap."""
    return math.pi * (size_px / 2 * shape_radius + GAP_PX / 2) ** 2


def _footprint_of(count: int, object_px: int, big_share: float, scale: float = 1.0) -> float:
    """Expected footprint of `count` instances (sizes and classes at their means)."""
    lo, hi = _big_range(object_px, scale)
    small = _footprint(object_px * (1 + SIZE_SPREAD) / 2)
    return count * ((1 - big_share) * small + big_share * _footprint((lo + hi) / 2))


def _largest_px(count: int, big_share: float, room: float, scale: float = 1.0) -> int:
    """The largest object_px (3 at least) whose instances' expected footprint fits `room`."""
    size = 96
    while size > 3 and _footprint_of(count, size, big_share, scale) > room:
        size -= 1
    return size


def _scale(size: tuple[int, int]) -> float:
    """How much smaller than the reference the image is (1 for 512 px and up)."""
    return min(1.0, min(size) / REFERENCE_PX)


def _usable_area(size: tuple[int, int]) -> float:
    return (size[0] - 2 * MARGIN_PX) * (size[1] - 2 * MARGIN_PX)


def _big_range(object_px: int, scale: float = 1.0) -> tuple[float, float]:
    """Sizes of big instances: 3 to 6 times object_px, within 24 to 96 px (on a 512 px
    image; `scale` for smaller ones)."""
    top = BIG_MAX_PX * scale
    lo = min(top, max(BIG_MIN_PX * scale, 3 * object_px))
    return lo, min(top, max(lo, 6 * object_px))


class CountingFamily(Family):
    name = "counting"
    subtasks = ("duplicates_merged", "crowded", "small_items")
    Knobs = CountingKnobs
    description = ("Count the objects of one kind (by colour, class or both) among look-alikes that share one "
                   "attribute: touching or overlapping twins, dense crowds, tiny items beside big ones.")
    pairs = "one target instance added or removed, everything else the same (the count changes by one)"
    min_side = {"duplicates_merged": 192, "crowded": 128, "small_items": 96}  # measured, see README

    # Knobs -------------------------------------------------------------------------

    def draw_knobs(self, plan: SamplePlan, rng: np.random.Generator) -> dict:
        """Values for the subtask, drawn given any pinned ones so that together they fit
        the image (the objects' expected footprint at the density)."""
        pinned = plan.pinned

        def given(name, draw):
            return pinned[name] if name in pinned else draw()

        low, high = COUNT_RANGE[plan.subtask]
        n = given("n", lambda: stratified_count(plan.slot, low, high))
        v: dict = {"n": n, "overlap": 0.0, "min_visible_fraction": 0.5, "big_share": 0.0}
        budget = _usable_area((REFERENCE_PX, REFERENCE_PX)) * FIT_SAFETY
        if plan.subtask == "crowded":
            d = v["distractors"] = given("distractors", lambda: int(rng.integers(max(2, n // 4), max(3, n // 2) + 1)))
            # Dense enough to keep objects at least 10 px across, however many there are.
            floor = min(MAX_DENSITY, max(0.08, _footprint_of(n + d, 10, 0.0) / budget))
            density = v["density"] = given("density", lambda: round(float(rng.uniform(floor, MAX_DENSITY)), 3))
            fits = _largest_px(n + d, 0.0, density * budget)
            v["object_px"] = given("object_px", lambda: int(rng.integers(min(10, fits), min(36, max(10, fits)) + 1)))
        elif plan.subtask == "small_items":
            d = v["distractors"] = given("distractors", lambda: int(rng.integers(4, 25)))
            px = v["object_px"] = given("object_px", lambda: int(rng.integers(3, 15)))
            share = given("big_share", lambda: round(float(rng.uniform(0.2, 0.6)), 2))
            while "big_share" not in pinned and share > 0.05 and _footprint_of(n + d, px, share) > MAX_DENSITY * budget:
                share = round(share - 0.05, 2)  # fewer big ones where they would not fit
            v["big_share"] = share
            floor = min(MAX_DENSITY, max(0.08, _footprint_of(n + d, px, share) / budget))
            v["density"] = given("density", lambda: round(float(rng.uniform(floor, MAX_DENSITY)), 3))
        else:
            d = v["distractors"] = given("distractors", lambda: int(rng.integers(2, 13)))
            density = v["density"] = given("density", lambda: round(float(rng.uniform(0.15, MAX_DENSITY)), 3))
            # Chains waste room between their links and their enclosing disc.
            fits = _largest_px(n + d, 0.0, density * budget / CHAIN_WASTE)
            v["object_px"] = given("object_px", lambda: int(rng.integers(min(16, fits), min(48, max(16, fits)) + 1)))
            overlap = pinned.get("overlap")
            top = 0.8 if overlap is None else max(0.3, min(0.8, 1.0 - overlap - HEADROOM))
            mvf = v["min_visible_fraction"] = given("min_visible_fraction",
                                                    lambda: round(float(rng.uniform(0.3, top)), 2))
            v["overlap"] = given("overlap", lambda: 0.0 if rng.random() < 0.2
                                 else round(float(rng.uniform(0.02, max(0.02, 1.0 - mvf - HEADROOM))), 2))
        v["named"] = given("named", lambda: "color" if v["object_px"] < SHAPE_MIN_PX else pick(rng, NAMED))
        return v

    def easy_knobs(self, subtask: str) -> dict:
        values = super().easy_knobs(subtask)
        if subtask == "small_items":
            values["big_share"] = 0.4  # the leaf is about small instances beside big ones
        if subtask == "duplicates_merged":
            values["overlap"] = 0.2  # twins that overlap a little; 0 would be touching only
        return values

    def check_plan(self, plan: SamplePlan) -> None:
        """Pinned knob combinations no scene can have: one-line errors before any worker
        starts, not endless redraws. Unpinned knobs give way to pinned ones (see _fit)."""
        super().check_plan(plan)
        pinned = plan.pinned
        named, object_px = pinned.get("named"), pinned.get("object_px")
        if named not in (None, "color") and object_px is not None and object_px < SHAPE_MIN_PX:
            raise UserError(f"counting: named={named} needs object_px >= {SHAPE_MIN_PX:g} (classes of smaller "
                            f"shapes cannot be told apart); use named=color")
        if plan.subtask != "duplicates_merged" and pinned.get("overlap", 0) > 0:
            raise UserError("counting: overlap applies to duplicates_merged only; add --subtask duplicates_merged")
        overlap, visible = pinned.get("overlap"), pinned.get("min_visible_fraction")
        if overlap is not None and visible is not None and overlap > 1.0 - visible - HEADROOM + 1e-9:
            raise UserError(f"counting: overlap={overlap} would leave less than "
                            f"min_visible_fraction={visible} of a twin visible (overlap plus "
                            f"min_visible_fraction can be at most {1 - HEADROOM:g}: twins share edge pixels)")
        self._check_room(plan)

    @staticmethod
    def _check_room(plan: SamplePlan) -> None:
        """With the count, the size and the density all pinned, the smallest area the
        objects can need (fewest distractors drawn, smallest sizes and shapes, no big
        ones) must fit the image; otherwise every attempt would fail."""
        pinned = plan.pinned
        if not {"n", "object_px", "density"} <= set(pinned):
            return
        fewest = {"crowded": max(2, pinned["n"] // 4), "small_items": 4, "duplicates_merged": 2}[plan.subtask]
        count = pinned["n"] + pinned.get("distractors", fewest)
        radius = pinned["object_px"] / 2 * min(circumradius(s) for s in SHAPE_NAMES)
        area = count * math.pi * (radius + GAP_PX / 2) ** 2 / pinned["density"]
        if area > _usable_area(plan.size):
            width, height = plan.size
            raise UserError(f"counting/{plan.subtask}: {count} objects of {pinned['object_px']} px at density "
                            f"{pinned['density']} need more room than a {width}x{height} image has; lower n or "
                            "object_px, or raise density")

    # Scene -------------------------------------------------------------------------

    @staticmethod
    def _fit(plan: SamplePlan, knobs: CountingKnobs, size) -> CountingKnobs:
        """The knobs with the unpinned ones (neither set nor swept) fitted to the pinned
        ones and to the image, so that a sweep's easy values or a setting never ask for
        the impossible where a nuisance knob can give way: an overlap that would hide more
        than min_visible_fraction allows comes down (or, when the overlap is pinned, the
        visible fraction asked for does); drawn sizes are for a 512 px image
        and shrink with a smaller one; when the objects' footprint does not fit at the
        density, the density rises, then fewer instances are big, then all get smaller;
        a question about instances too small for their class names the colour, and a
        class named by a setting keeps its instances big enough to be told apart."""
        pinned = plan.pinned
        v = dataclasses.asdict(knobs)
        if v["overlap"] > 1.0 - v["min_visible_fraction"] - HEADROOM:
            if "overlap" not in pinned:
                v["overlap"] = round(max(0.0, 1.0 - v["min_visible_fraction"] - HEADROOM), 2)
            elif "min_visible_fraction" not in pinned:
                v["min_visible_fraction"] = round(max(0.3, 1.0 - v["overlap"] - HEADROOM), 2)
        scale = _scale(size)
        # twins smaller than 10 px would show their overlap as a pixel or two
        smallest = 10 if plan.subtask == "duplicates_merged" else 3
        if pinned.get("named", "color") != "color":
            smallest = max(smallest, math.ceil(SHAPE_MIN_PX))  # a class named by the user must stay recognisable
        if "object_px" not in pinned and (scale < 1 or v["object_px"] < smallest):
            v["object_px"] = max(smallest, round(v["object_px"] * scale))
        room = _usable_area(size) * FIT_SAFETY / (CHAIN_WASTE if plan.subtask == "duplicates_merged" else 1.0)
        count = v["n"] + v["distractors"]

        def need():
            return _footprint_of(count, v["object_px"], v["big_share"], scale)

        if need() > v["density"] * room and "density" not in pinned:
            v["density"] = round(min(MAX_DENSITY, math.ceil(need() / room * 1000) / 1000), 3)
        while need() > v["density"] * room and "big_share" not in pinned and v["big_share"] > 0.1:
            v["big_share"] = round(v["big_share"] - 0.1, 2)
        if need() > v["density"] * room and "object_px" not in pinned:
            v["object_px"] = max(smallest, _largest_px(count, v["big_share"], v["density"] * room, scale))
        if "named" not in pinned and v["object_px"] < SHAPE_MIN_PX:
            v["named"] = "color"
        return dataclasses.replace(knobs, **v)

    def compose(self, plan: SamplePlan, knobs: CountingKnobs, rng: np.random.Generator, size) -> list[Draft]:
        knobs = self._fit(plan, knobs, size)
        width, height = size
        background = pick(rng, list(BACKGROUNDS))
        bg_rgb = BACKGROUNDS[background]
        target_kinds, kinds = self._kinds(knobs, colors_on(bg_rgb), rng)
        if plan.subtask == "duplicates_merged":
            objs = self._twins(self._with_a_twin(kinds), knobs, rng, size)
        else:
            objs = self._scattered(kinds, knobs, rng, size)
        # Ids in a random order, so that nothing about an object follows from its id.
        objs = [objs[i] for i in rng.permutation(len(objs))]
        items = self._items(objs, plan.subtask)
        scene = Scene(width, height, background, bg_rgb, tuple(items))
        question = self._question(knobs, target_kinds, knobs.n)
        if not plan.options.get("pairs"):
            return [Draft(plan.subtask, knobs, scene, question)]
        twin_scene, twin_n = self._twin(plan, knobs, objs, items, target_kinds, scene, rng)
        twin_knobs = dataclasses.replace(knobs, n=twin_n)
        return [Draft(plan.subtask, knobs, scene, question, group=True),
                Draft(plan.subtask, twin_knobs, twin_scene, self._question(knobs, target_kinds, twin_n),
                      variant="b", group=True)]

    def _kinds(self, knobs: CountingKnobs, colors: tuple[str, ...], rng) -> tuple[list[_Kind], list[_Kind]]:
        """The instances' kinds: `n` targets, then `distractors` distractors. Each
        distractor kind shares exactly one attribute the question names with the targets
        present: their colour (another class, told apart at this size) or their class
        (another colour)."""
        shapes = COMPACT_SHAPES if knobs.object_px < TINY_PX else SHAPE_NAMES
        small = float(knobs.object_px)
        if knobs.named == "both":
            targets = [_Kind(pick(rng, shapes), pick(rng, colors))]
        elif knobs.named == "shape":
            shape = pick(rng, shapes)
            targets = [_Kind(shape, c) for c in _sample(rng, colors, int(rng.integers(1, 4)))]
        else:
            color = pick(rng, colors)
            targets = [_Kind(s, color) for s in _sample(rng, shapes, int(rng.integers(1, 4)))]
        instances = self._spread(targets, knobs.n, rng)
        present = list(dict.fromkeys(instances)) or targets
        shape, color = present[0].shape, present[0].color
        if knobs.named == "both":
            others = [s for s in shapes if told_apart(s, shape, small)]
            distractors = [_Kind(s, color, "color") for s in _sample(rng, others, int(rng.integers(1, 3)))]
            distractors += [_Kind(shape, c, "shape")
                            for c in _sample(rng, [c for c in colors if c != color], int(rng.integers(1, 3)))]
        elif knobs.named == "shape":
            others = [s for s in shapes if told_apart(s, shape, small)]
            distractors = [_Kind(s, pick(rng, present).color, "color")
                           for s in _sample(rng, others, int(rng.integers(1, 4)))]
        else:
            distractors = [_Kind(pick(rng, present).shape, c, "shape")
                           for c in _sample(rng, [c for c in colors if c != color], int(rng.integers(1, 4)))]
        return present, instances + self._spread(distractors, knobs.distractors, rng)

    @staticmethod
    def _spread(kinds: list[_Kind], count: int, rng) -> list[_Kind]:
        """`count` instances over the kinds: every kind once before any twice."""
        if not kinds:
            return []
        firsts = list(kinds) if count >= len(kinds) else _sample(rng, kinds, count)
        rest = [pick(rng, kinds) for _ in range(count - len(firsts))]
        return firsts + rest

    @staticmethod
    def _sizes(count: int, knobs: CountingKnobs, rng, scale: float) -> tuple[np.ndarray, np.ndarray]:
        """(sizes, big flags) of `count` instances: round(big_share * count) big, but
        when big_share > 0 at least one big and (of two or more) at least one small."""
        big = np.zeros(count, dtype=bool)
        n_big = round(knobs.big_share * count)
        if knobs.big_share > 0 and count:
            n_big = min(max(n_big, 1), max(count - 1, 1))
        big[rng.permutation(count)[:n_big]] = True
        small = rng.uniform(knobs.object_px, knobs.object_px * SIZE_SPREAD, size=count)
        lo, hi = _big_range(knobs.object_px, scale)
        return np.where(big, rng.uniform(lo, hi, size=count), small), big

    def _scattered(self, kinds: list[_Kind], knobs: CountingKnobs, rng, size) -> list[Obj]:
        """Crowded and small items: no two objects touch; all of them fill a region of the
        image whose area makes their footprints cover `density` of it."""
        sizes, big = self._sizes(len(kinds), knobs, rng, _scale(size))
        radii = np.array([s / 2 * circumradius(k.shape) for k, s in zip(kinds, sizes)])
        area = float(np.sum(np.pi * (radii + GAP_PX / 2) ** 2)) / knobs.density
        if area > _usable_area(size):
            raise Resample("objects do not fit the image at this density")
        box = region_box(area, size, MARGIN_PX, rng)
        order = np.argsort(-radii, kind="stable")
        centers = scatter(radii[order], box, rng, gap=GAP_PX)
        if centers is None:
            raise Resample("no room for every object at this density")
        angles = [draw_angle(kind.shape, rng) for kind in kinds]
        objs = []
        for slot, k in enumerate(order):
            kind = kinds[k]
            attrs = (("shares", kind.shares),) if kind.shares else ()
            if knobs.big_share > 0:
                attrs += (("scale", "big" if big[k] else "small"),)
            objs.append(Obj(kind.shape, kind.color, (float(centers[slot, 0]), float(centers[slot, 1])),
                            float(sizes[k]), float(angles[k]), kind.role, attrs))
        return objs

    # Twins that touch or overlap ----------------------------------------------------

    def _twins(self, kinds: list[_Kind], knobs: CountingKnobs, rng, size) -> list[Obj]:
        """Duplicates: instances in chains of identical twins (same class, colour, size
        and turn), each link covering `overlap` of the one below (0: touching); chains
        are scattered apart like single objects."""
        chains = self._chain_kinds(kinds, rng)
        sizes, _big = self._sizes(len(chains), knobs, rng, _scale(size))
        built = []
        for (kind, length), size_px in zip(chains, sizes):
            while length > 0:  # a chain that cannot grow that long continues as another
                angle = draw_angle(kind.shape, rng)
                offsets = _chain_offsets(kind.shape, float(size_px), angle, length, knobs.overlap, rng)
                center = offsets.mean(axis=0)
                radius = (float(np.max(np.linalg.norm(offsets - center, axis=1)))
                          + size_px / 2 * circumradius(kind.shape))
                built.append((kind, float(size_px), angle, offsets - center, radius))
                length -= len(offsets)
        radii = np.array([b[4] for b in built])
        area = float(np.sum(np.pi * (radii + GAP_PX / 2) ** 2)) / knobs.density
        if area > _usable_area(size):
            raise Resample("chains of twins do not fit the image at this density")
        order = np.argsort(-radii, kind="stable")
        centers = scatter(radii[order], region_box(area, size, MARGIN_PX, rng), rng, gap=2 * GAP_PX)
        if centers is None:
            raise Resample("no room for every chain of twins at this density")
        objs = []
        for slot, k in enumerate(order):
            kind, size_px, angle, offsets, _ = built[k]
            attrs = (("shares", kind.shares),) if kind.shares else ()
            if knobs.big_share > 0:
                attrs += (("scale", "big" if size_px >= _big_range(knobs.object_px, _scale(size))[0] else "small"),)
            for link, (dx, dy) in enumerate(offsets):
                objs.append(Obj(kind.shape, kind.color, (float(centers[slot, 0] + dx), float(centers[slot, 1] + dy)),
                                size_px, angle, kind.role, attrs + (("twin_group", str(slot)),), z=link))
        return objs

    @staticmethod
    def _with_a_twin(kinds: list[_Kind]) -> list[_Kind]:
        """The instances, with two of one kind (the subtask is about twins): when every
        kind is there once, the second target (or distractor) takes the first one's kind."""
        if len(set(kinds)) < len(kinds):
            return kinds
        for role in ("target", "distractor"):
            mine = [i for i, k in enumerate(kinds) if k.role == role]
            if len(mine) >= 2:
                kinds = list(kinds)
                kinds[mine[1]] = kinds[mine[0]]
                return kinds
        return kinds

    @staticmethod
    def _chain_kinds(kinds: list[_Kind], rng) -> list[tuple[_Kind, int]]:
        """Group the instances of each kind into chains of 1 to 4 (mostly 2 or 3); a
        kind with two or more instances never ends with a lone leftover."""
        by_kind: dict[_Kind, int] = {}
        for kind in kinds:
            by_kind[kind] = by_kind.get(kind, 0) + 1
        chains = []
        for kind, count in by_kind.items():
            while count > 0:
                length = min(count, int(pick(rng, (1, 2, 2, 3, 3, 4))))
                if count - length == 1 and length < 4:
                    length += 1  # no lone leftover when it could join
                chains.append((kind, length))
                count -= length
        return chains

    # Items, question, twin ------------------------------------------------------------

    @staticmethod
    def _items(objs: list[Obj], subtask: str, first_id: int = 1) -> list:
        items = shape_items(objs, first_id)
        if subtask == "duplicates_merged":
            # Edges keep touching twins two objects on the pixels (see EdgedShape).
            return [EdgedShape(it, edge_px_for(it.size_px)) for it in items]
        return items

    @staticmethod
    def _question(knobs: CountingKnobs, targets: list[_Kind], n: int) -> Question:
        if knobs.named == "both":
            what = f"{targets[0].color} {PLURALS[targets[0].shape]} are there in the image"
        elif knobs.named == "shape":
            what = f"{PLURALS[targets[0].shape]} are there in the image, of any colour"
        else:
            what = f"{targets[0].color} objects are there in the image, of any shape"
        prompt = (f"How many {what}? Count every separate shape, including small ones and ones that touch or "
                  f"overlap. Answer with a single number.")
        aliases = (NUMBER_WORDS[n],) if n < len(NUMBER_WORDS) else ()
        return Question(prompt, str(n), "integer", aliases=aliases)

    def _twin(self, plan: SamplePlan, knobs: CountingKnobs, objs: list[Obj], items: list, targets: list[_Kind],
              scene: Scene, rng) -> tuple[Scene, int]:
        """The scene with one target instance removed or added (added in free space among
        the others, clear of every object), and its count. Adds and removes alternate
        over the stratum."""
        low, high = COUNT_RANGE[plan.subtask]
        # Alternate within each cycle of counts, and swap from one cycle to the next.
        span = 1 if "n" in plan.pinned else high - low + 1
        cycle, position = divmod(plan.slot, span)
        add = knobs.n == 0 or ((cycle + position) % 2 == 0 and knobs.n < knob_specs(CountingKnobs)["n"].high)
        if not add:
            victims = [k for k, o in enumerate(objs) if o.role == "target"]
            gone = items[pick(rng, victims)].item_id
            return dataclasses.replace(scene, items=tuple(it for it in items if it.item_id != gone)), knobs.n - 1
        kind = pick(rng, targets)
        size_px = float(rng.uniform(knobs.object_px, knobs.object_px * SIZE_SPREAD))
        radius = size_px / 2 * circumradius(kind.shape)
        centers = np.array([o.center for o in objs]).reshape(-1, 2)
        radii = np.array([o.radius for o in objs])
        whole = (MARGIN_PX, MARGIN_PX, scene.width - MARGIN_PX, scene.height - MARGIN_PX)
        # Among the others if there is room there (an outlier would give the twin away).
        among = whole
        if len(objs):
            lo, hi = (centers - radii[:, None]).min(axis=0), (centers + radii[:, None]).max(axis=0)
            among = (max(whole[0], lo[0]), max(whole[1], lo[1]), min(whole[2], hi[0]), min(whole[3], hi[1]))
        center = None
        for box in (among, whole):
            center = scatter([radius], box, rng, gap=2 * GAP_PX, fixed=(centers, radii), rounds=50)
            if center is not None:
                break
        if center is None:
            raise Resample("no free place for the twin's added instance")
        extra = Obj(kind.shape, kind.color, (float(center[0, 0]), float(center[0, 1])), size_px,
                    draw_angle(kind.shape, rng), "target", (("added_in_twin", "yes"),))
        item = self._items([extra], plan.subtask, first_id=max(it.item_id for it in items) + 1)[0]
        return dataclasses.replace(scene, items=tuple(items) + (item,)), knobs.n + 1

    # Checks on the pixels ----------------------------------------------------------

    def verify(self, draft: Draft, rendered) -> list[str]:
        knobs: CountingKnobs = draft.knobs
        failures = []
        targets = [it for it in draft.scene.items if it.role == "target"]
        if len(targets) != int(draft.question.answer):
            failures.append(f"{len(targets)} targets in the scene, answer {draft.question.answer}")
        width, height = draft.scene.width, draft.scene.height
        for item in draft.scene.items:
            x0, y0, x1, y1 = item.bbox
            if x0 < 0 or y0 < 0 or x1 > width or y1 > height:
                failures.append(f"object {item.item_id} reaches over the image edge")
            failures += checks.object_visible(item.item_id, rendered, knobs.min_visible_fraction, item.role)
            if item.role == "target" and rendered.visible_px(item.item_id) < MIN_OWNED_PX:
                failures.append(f"target {item.item_id} owns fewer than {MIN_OWNED_PX} pixels")
        if draft.subtask == "duplicates_merged":
            # The knob is what the pixels show: no instance is covered more than `overlap`
            # and (but in a twin row, which may have lost the instance that covered) one
            # is covered that much, within a pixel row's worth of its area.
            shares = [(1.0 - rendered.visible_fraction(it.item_id), overlap_tolerance(rendered.area_px[it.item_id]))
                      for it in draft.scene.items]
            has_twins = any(it.z > 0 for it in draft.scene.items)
            over = [c for c, tol in shares if c > knobs.overlap + tol]
            if over or (has_twins and not draft.variant and not any(c >= knobs.overlap - tol for c, tol in shares)):
                covered = max(c for c, _ in shares)
                failures.append(f"largest covered share {covered:.2f} is not the overlap {knobs.overlap}")
        return failures


def _chain_offsets(shape: str, size_px: float, angle: float, length: int, overlap: float,
                   rng) -> np.ndarray:
    """Centres (relative to the first) of a chain of up to `length` identical twins, each
    covering `overlap` of the area of the one before it (touching it when 0) and clear
    of all the others. Shorter when a link finds no such place (twins that overlap much
    leave no room for a third clear of the first)."""
    base = shape_polygon(shape, (0.0, 0.0), size_px, angle)
    theta = math.radians(angle)
    c, s = math.cos(theta), math.sin(theta)
    # A step in the shape's own unit frame, on the canvas (as shape_polygon maps points).
    to_canvas = np.array([[c, -s], [s, c]]) * (size_px / 2)
    centers = [np.zeros(2)]
    polys = [base]
    for _ in range(1, length):
        for _attempt in range(8):
            direction = int(rng.integers(TWIN_DIRECTIONS))
            sign = 1.0 if rng.random() < 0.5 else -1.0  # the covered share is the same either way
            step, inside = _twin_step(shape, direction, overlap)
            step = sign * step @ to_canvas
            if overlap <= 0:
                step = _touching(base, step, inside)
            center = centers[-1] + step
            poly = shapely.transform(base, lambda xy, c=center: xy + c)
            if all(poly.distance(p) > GAP_PX for p in polys[:-1]):
                centers.append(center)
                polys.append(poly)
                break
        else:
            break
    return np.array(centers)


TWIN_DIRECTIONS = 12  # directions of the covered-share table, every 15 degrees of a half turn
TWIN_STEPS = 32  # distances of the table, from 0 to where twins part


@cache
def _covered_table(shape: str) -> tuple[np.ndarray, np.ndarray]:
    """(distances, covered): the share of a unit shape (2 across, upright) that a twin
    covers when moved that far along each table direction. A shape's own data, built
    once per process: solving for an overlap is then a lookup, not a dozen polygon
    intersections per twin."""
    base = UNIT_SHAPES[shape]
    distances = np.linspace(0.0, 2 * circumradius(shape), TWIN_STEPS + 1)
    covered = np.empty((TWIN_DIRECTIONS, TWIN_STEPS + 1))
    for j in range(TWIN_DIRECTIONS):
        phi = math.pi * j / TWIN_DIRECTIONS
        unit = np.array([math.cos(phi), math.sin(phi)])
        moved = [shapely.transform(base, lambda xy, step=d * unit: xy + step) for d in distances]
        covered[j] = shapely.area(shapely.intersection(base, np.array(moved, dtype=object))) / base.area
    return distances, covered


def _twin_step(shape: str, direction: int, overlap: float) -> tuple[np.ndarray, float]:
    """The twin's offset in the unit frame along a table direction so that it covers
    `overlap` of the shape: the first crossing of that share, interpolated. For 0 it is
    the first table distance where the twins are apart, with the share of it where they
    still overlap (for _touching to bring them together)."""
    distances, covered = _covered_table(shape)
    row = covered[direction]
    # row[0] is 1 and the last distance parts the twins (the area left is rounding), so
    # a crossing is found after the first entry.
    i = int(np.argmax(row[1:] <= overlap + 1e-9)) + 1
    d = distances[i]
    if overlap > 0 and row[i - 1] > row[i]:
        d = distances[i - 1] + (row[i - 1] - overlap) / (row[i - 1] - row[i]) * (distances[i] - distances[i - 1])
    phi = math.pi * direction / TWIN_DIRECTIONS
    return d * np.array([math.cos(phi), math.sin(phi)]), distances[i - 1] / d


def _touching(base, step: np.ndarray, inside: float) -> np.ndarray:
    """The step shortened until the moved twin touches `base`: bisection on "the twins
    overlap" between the share `inside` of the step (overlapping) and all of it (apart)."""
    lo, hi = inside, 1.0  # fractions of the step
    for _ in range(12):
        mid = (lo + hi) / 2
        moved = shapely.transform(base, lambda xy, shift=mid * step: xy + shift)
        if shapely.area(shapely.intersection(base, moved)) > 1e-9:
            lo = mid
        else:
            hi = mid
    return hi * step


FAMILY = CountingFamily()
