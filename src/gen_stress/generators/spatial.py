"""Spatial family: where objects are, in the viewer's frame (image left is left).

Subtasks: left_right ("Is the X to the left of the Y?", "Which is further left?"),
above_below (the same vertically), relative_position (which object lies between two
others, which is nearest to one, which is closest to a corner of the image, in which
quadrant or 3 x 3 grid cell an object is).

A pair is only asked about when the gap between the objects' boxes along the asked axis
is at least `margin_px` and larger than their offset across it; "nearest", "between" and
"corner" need a clear winner (the runner-up at least CLEAR_RATIO times as far, plus
`margin_px`). Scenes are placed with stricter margins than these, and verified on the
object-id buffer with the labelling ones.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from gen_stress.errors import UserError
from gen_stress.generators.base import Draft, Family, Question, Resample, SamplePlan
from gen_stress.knobs import knob, knob_specs
from gen_stress.rng import pick
from gen_stress.scenes import checks
from gen_stress.scenes.colors import BACKGROUNDS
from gen_stress.scenes.geometry import Box
from gen_stress.scenes.model import Scene
from gen_stress.scenes.objects import (
    Obj,
    colors_on,
    draw_angle,
    outlines,
    owned_box,
    scatter,
    shape_items,
    told_apart,
)
from gen_stress.scenes.shapes import SHAPE_NAMES

FORMS = ("yes_no", "which", "between", "nearest", "quadrant", "grid", "corner")
SUBTASK_FORMS = {
    "left_right": ("yes_no", "which"),
    "above_below": ("yes_no", "which"),
    "relative_position": ("between", "nearest", "quadrant", "grid", "corner"),
}
# A left-right mirror changes the answer of these relative forms only (not "between" or
# "nearest", and not a middle grid column), so --pairs asks those.
MIRROR_FORMS = ("quadrant", "corner")
SHARED = ("none", "color", "shape")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
CORNER_ROLL_MAX_DEG = 20.0  # past it a rolled photo rarely has an object clearly nearest a corner
QUADRANTS = CORNERS
GRID_CELLS = ("top-left", "top-center", "top-right", "middle-left", "center", "middle-right",
              "bottom-left", "bottom-center", "bottom-right")
N_OPTIONS = 4  # object options of between, nearest and corner questions
CLEAR_RATIO = 1.25  # labelling: the runner-up is at least this many times as far (plus margin_px)
PLACE_RATIO = 1.45  # placement: stricter
REFERENCE_PX = 512  # drawn knobs are for images this big (and shrink for smaller ones)
BORDER_PX = 4  # objects stay this far inside the image
GAP_PX = 4.0  # and this far from each other
SIZE_SPREAD = 1.25  # objects are object_px to 1.25 x object_px across
FRAME = {  # the viewer's frame, said in the prompt
    "x": "Left and right are as the viewer sees the image.",
    "y": "Above and below are as the viewer sees the image (up is the top of the image).",
    "xy": "Directions are as the viewer sees the image (left is the image's left, up its top).",
}


def place_extra(margin_px: float) -> float:
    """How much stricter placement is than labelling, in pixels."""
    return max(3.0, 0.25 * margin_px)


@dataclass(frozen=True)
class SpatialKnobs:
    margin_px: int = knob(low=2, high=60, easy=24, primary_for=("left_right", "above_below"),
                          doc="smallest gap between the boxes along the asked axis, in pixels (also the distance "
                              "of a box from grid lines and the runner-up's extra distance)")
    clutter: int = knob(low=0, high=16, easy=2, doc="objects not named in the question")
    object_px: int = knob(low=12, high=96, easy=40, doc="size across of the objects (up to 1.25 times that)")
    shared: str = knob(choices=SHARED, easy="none",
                       doc="what the named objects have in common (quadrant and grid: what some clutter has in "
                           "common with the named one): none, color or shape")
    form: str = knob(choices=FORMS, easy="yes_no",
                     doc="question form: yes_no, which (left_right, above_below); between, nearest, quadrant, "
                         "grid, corner (relative_position)")


@dataclass(frozen=True)
class Ask:
    """What a question asks, by object id, so that its answer can be recomputed from
    boxes alone (the scene's, or the ones measured on the pixels)."""

    form: str
    word: str = ""  # left/right/above/below; the corner; "" otherwise
    subject: int = 0  # the X of yes/no, the object of quadrant/grid, the reference of nearest
    reference: int = 0  # the Y of yes/no
    ends: tuple[int, int] = (0, 0)  # the two objects of between
    options: tuple[int, ...] = ()  # object ids of the options, in order (which, between, nearest, corner)


@dataclass(frozen=True)
class SpatialDraft(Draft):
    """A draft that keeps what its question asks, for verify to re-derive the answer
    from the boxes measured on the pixels."""

    ask: Ask | None = None


# Labelling rules, on boxes -------------------------------------------------------------

def _center(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def before(a: Box, b: Box, axis: int, margin: float, dominant: bool = True) -> bool:
    """True when box a is clearly before box b along the axis (0: left of, 1: above):
    the gap between them is at least `margin` and (`dominant`) larger than the offset
    of their centres across the axis."""
    gap = b[axis] - a[axis + 2]
    across = abs(_center(a)[1 - axis] - _center(b)[1 - axis])
    return gap >= margin and (gap > across or not dominant)


def cell_of(box: Box, cells: int, size: tuple[int, int], margin: float) -> int | None:
    """The grid cell (row-major, `cells` x `cells`) holding the box at least `margin`
    away from every inner grid line, else None."""
    found = []
    for axis in (0, 1):
        step = size[axis] / cells
        lo, hi = box[axis], box[axis + 2]
        k = int(_center(box)[axis] // step)
        inner_lo = k * step if k > 0 else -math.inf
        inner_hi = (k + 1) * step if k < cells - 1 else math.inf
        if not (lo - inner_lo >= margin and inner_hi - hi >= margin):
            return None
        found.append(k)
    return found[1] * cells + found[0]


def corner_point(name: str, size: tuple[int, int]) -> tuple[float, float]:
    return (0.0 if "left" in name else float(size[0]), 0.0 if "top" in name else float(size[1]))


def _segment_distance(p, a, b) -> tuple[float, float]:
    """(distance from p to segment ab, position t of p's projection along ab)."""
    p, a, b = (np.asarray(v, dtype=float) for v in (p, a, b))
    ab = b - a
    t = float(np.dot(p - a, ab) / np.dot(ab, ab))
    closest = a + min(max(t, 0.0), 1.0) * ab
    return float(np.linalg.norm(p - closest)), t


def clear_winner(distances: dict[int, float], margin: float, ratio: float = CLEAR_RATIO) -> int | None:
    """The id with the smallest distance when every other is at least `ratio` times as
    far plus `margin`, else None."""
    ranked = sorted(distances, key=distances.get)
    if len(ranked) < 2:
        return ranked[0] if ranked else None
    best, runner = distances[ranked[0]], distances[ranked[1]]
    return ranked[0] if runner >= ratio * best + margin else None


def answer_of(ask: Ask, boxes: dict[int, Box], size: tuple[int, int], margin: float, dominant: bool = True):
    """The answer the boxes give under the labelling rules: True/False (yes_no), an
    object id (which, between, nearest, corner) or a cell index (quadrant, grid); None
    when the rules give no clear answer. `dominant`: see `before`."""
    if ask.form in ("yes_no", "which"):
        axis = 0 if ask.word in ("left", "right") else 1
        forward = ask.word in ("left", "above")  # the word names the earlier object
        a, b = (ask.subject, ask.reference) if ask.form == "yes_no" else ask.options
        if before(boxes[a], boxes[b], axis, margin, dominant):
            first = a
        elif before(boxes[b], boxes[a], axis, margin, dominant):
            first = b
        else:
            return None
        named = first if forward else (b if first == a else a)
        return named == a if ask.form == "yes_no" else named
    if ask.form in ("quadrant", "grid"):
        return cell_of(boxes[ask.subject], 2 if ask.form == "quadrant" else 3, size, margin)
    others = [k for k in boxes if k not in (ask.subject, *ask.ends)]
    if ask.form == "nearest":
        ref = _center(boxes[ask.subject])
        return clear_winner({k: math.dist(ref, _center(boxes[k])) for k in others}, margin)
    if ask.form == "corner":
        point = corner_point(ask.word, size)
        return clear_winner({k: math.dist(point, _center(boxes[k])) for k in boxes}, margin)
    # between: the winner lies along the segment, every other object clearly off it
    a, b = (_center(boxes[k]) for k in ask.ends)
    found = {k: _segment_distance(_center(boxes[k]), a, b) for k in others}
    winner = clear_winner({k: d for k, (d, _t) in found.items()}, margin)
    if winner is None:
        return None
    d, t = found[winner]
    width = min(boxes[winner][2] - boxes[winner][0], boxes[winner][3] - boxes[winner][1])
    return winner if 0.15 <= t <= 0.85 and d <= 0.5 * width else None


def corner_in_photo(plan: SamplePlan) -> bool:
    """Can a photo of the plan's scene answer "closest to a corner of the image"? Not when
    the camera is rolled so far that the image's corners show the table around the page;
    the item then asks the quadrant instead."""
    return abs(float(plan.pinned.get("roll_deg", 0.0))) <= CORNER_ROLL_MAX_DEG


def photo_answer(ask: Ask, boxes: dict[int, Box], size: tuple[int, int], margin: float):
    """The answer a photo gives (a rolled camera turns every pair, so "left of" needs the
    clear gap along x alone), or None when it gives none or names an object that is not
    one of the options (clutter the camera brought nearer)."""
    answer = answer_of(ask, boxes, size, margin, dominant=False)
    if ask.options and answer not in ask.options:
        return None
    return answer


# The family ----------------------------------------------------------------------------

class SpatialFamily(Family):
    name = "spatial"
    subtasks = ("left_right", "above_below", "relative_position")
    Knobs = SpatialKnobs
    description = ("Where objects are, in the viewer's frame: left or right of, above or below, between, nearest, "
                   "closest to a corner, in which quadrant or grid cell; asked only with clear margins.")
    pairs = ("the scene mirrored (left-right; top-bottom for above_below) and rendered again with the same "
             "objects, so the answer flips; relative_position then asks only quadrant and corner questions")
    min_side = {"left_right": 96, "above_below": 96, "relative_position": 128}  # measured, see README

    def draw_knobs(self, plan: SamplePlan, rng: np.random.Generator) -> dict:
        forms = self._forms(plan)
        pinned = plan.pinned
        margin = pinned.get("margin_px", int(rng.integers(2, 41)))
        values = {
            "margin_px": margin,
            "clutter": int(rng.integers(0, 11)),
            "shared": pick(rng, SHARED),
            "form": forms[plan.slot % len(forms)],  # forms take turns; compose balances within each
        }
        form = pinned.get("form", values["form"])
        top = 64
        if form == "grid":  # small enough for a grid cell with its margins
            top = int((REFERENCE_PX / 3 - 2 * (margin + place_extra(margin)) - 2 * BORDER_PX) / SIZE_SPREAD / 1.42)
        values["object_px"] = int(rng.integers(min(16, max(12, top)), max(12, top) + 1))
        return values

    def easy_knobs(self, subtask: str) -> dict:
        values = super().easy_knobs(subtask)
        # Each subtask's own easy form; "corner" also has a mirrored twin (--pairs).
        values["form"] = "corner" if subtask == "relative_position" else "yes_no"
        return values

    @staticmethod
    def _forms(plan: SamplePlan) -> tuple[str, ...]:
        if plan.options.get("pairs") and plan.subtask == "relative_position":
            return MIRROR_FORMS
        return SUBTASK_FORMS[plan.subtask]

    def check_plan(self, plan: SamplePlan) -> None:
        """Knob settings no item of the subtask can have: one-line errors before any
        worker starts (a drawn or easy form always suits the subtask)."""
        super().check_plan(plan)
        self._check_pair_room(plan)
        form = plan.pinned.get("form")
        if form is None:
            return
        if form == "corner" and not corner_in_photo(plan):
            raise UserError(f"spatial: form=corner needs roll_deg within ±{CORNER_ROLL_MAX_DEG:g} "
                            "(a camera rolled further shows the table in the image's corners)")
        if form not in SUBTASK_FORMS[plan.subtask]:
            owners = [s for s, forms in SUBTASK_FORMS.items() if form in forms]
            raise UserError(f"spatial: form={form} is a form of {' and '.join(owners)}, not of "
                            f"{plan.subtask}; add --subtask {owners[0]}")
        if plan.options.get("pairs") and plan.subtask == "relative_position" and form not in MIRROR_FORMS:
            raise UserError(f"spatial: a mirror does not change the answer of form={form}; with --pairs, "
                            f"relative_position asks {' or '.join(MIRROR_FORMS)}")

    @staticmethod
    def _check_pair_room(plan: SamplePlan) -> None:
        """A pinned margin must leave room for two objects side by side along the asked
        axis (at their smallest: drawn sizes shrink to fit, set ones do not)."""
        margin = plan.pinned.get("margin_px")
        if margin is None or plan.subtask not in ("left_right", "above_below"):
            return
        object_px = plan.pinned.get("object_px", knob_specs(SpatialKnobs)["object_px"].low)
        side = plan.size[0] if plan.subtask == "left_right" else plan.size[1]
        need = 2 * object_px + margin + place_extra(margin) + 2 * BORDER_PX
        if need > side:
            raise UserError(f"spatial/{plan.subtask}: margin_px={margin} leaves no room for two objects of "
                            f"{object_px} px side by side in {side} px (they need {need:g}); lower margin_px "
                            "or object_px, or use a larger --size")

    # Scene -------------------------------------------------------------------------

    @staticmethod
    def _fit(plan: SamplePlan, knobs: SpatialKnobs, size) -> SpatialKnobs:
        """Drawn sizes are for a 512 px image: on a smaller one, object_px and margin_px
        shrink with the image unless they were set or swept."""
        scale = min(size) / REFERENCE_PX
        changes = {}
        for name, low in (("object_px", 12), ("margin_px", 2)):
            if scale < 1 and name not in plan.pinned:
                changes[name] = max(low, round(getattr(knobs, name) * scale))
        if knobs.form == "corner" and not corner_in_photo(plan):  # drawn or easy: set ones are refused
            changes["form"] = "quadrant"
        return dataclasses.replace(knobs, **changes)

    def compose(self, plan: SamplePlan, knobs: SpatialKnobs, rng: np.random.Generator, size) -> list[Draft]:
        knobs = self._fit(plan, knobs, size)
        width, height = size
        background = pick(rng, list(BACKGROUNDS))
        bg_rgb = BACKGROUNDS[background]
        colors = colors_on(bg_rgb)
        # The balance counter of this item among items of its form: forms take turns when
        # drawn (draw_knobs), then the answer's bits go round within each form.
        drawn_form = not plan.easy and "form" not in plan.pinned
        k = plan.slot // len(self._forms(plan)) if drawn_form else plan.slot
        pairs, photographed = bool(plan.options.get("pairs")), bool(plan.options.get("photographed"))
        if photographed and knobs.form in ("quadrant", "grid"):
            # The photo decides the cell (a rolled camera moves the object to another), and a
            # planned cell can sit where no camera of this index shows it clearly: drawn anew
            # with each attempt.
            k += int(rng.integers(4 if knobs.form == "quadrant" else 9))
        lay = self._layout(plan.subtask, knobs, k, colors, rng, size, pairs, photographed)
        objs = self._placed(lay, knobs, colors, rng)
        items = shape_items(objs)
        if answer_of(lay.ask, {it.item_id: it.bbox for it in items}, size, knobs.margin_px) != lay.answer:
            raise Resample("the boxes do not give the planned answer")
        scene = Scene(width, height, background, bg_rgb, tuple(items))
        labels = {it.item_id: it.label for it in items}
        question = self._question(lay.ask, lay.answer, labels)
        if not pairs:
            return [SpatialDraft(plan.subtask, knobs, scene, question, ask=lay.ask)]
        # The twin: every object mirrored and drawn again (not the image flipped).
        twin_items = shape_items([o.mirrored(width, height, "y" if plan.subtask == "above_below" else "x")
                                  for o in objs])
        twin_answer = answer_of(lay.ask, {it.item_id: it.bbox for it in twin_items}, size, knobs.margin_px)
        if twin_answer is None or twin_answer == lay.answer:
            raise Resample("the mirrored scene does not flip the answer")
        twin = Scene(width, height, background, bg_rgb, tuple(twin_items))
        return [SpatialDraft(plan.subtask, knobs, scene, question, group=True, ask=lay.ask),
                SpatialDraft(plan.subtask, knobs, twin, self._question(lay.ask, twin_answer, labels),
                             variant="b", group=True, ask=lay.ask)]

    # Named objects -------------------------------------------------------------------

    @staticmethod
    def _named_kinds(count: int, shared: str, size_px: float, colors, rng) -> list[tuple[str, str]]:
        """(shape, colour) of `count` objects whose descriptions are unique and that no one
        would mix up: same colour only with classes told apart at this size."""
        order = [SHAPE_NAMES[i] for i in rng.permutation(len(SHAPE_NAMES))]
        palette = [colors[i] for i in rng.permutation(len(colors))]
        if shared == "shape":
            if len(palette) < count:
                raise Resample("not enough colours on this background")
            return [(order[0], c) for c in palette[:count]]
        shapes: list[str] = []
        for s in order:
            if all(told_apart(s, t, size_px) for t in shapes):
                shapes.append(s)
        if len(shapes) < count or (shared == "none" and len(palette) < count):
            raise Resample("not enough distinct objects to name")
        if shared == "color":
            return [(s, palette[0]) for s in shapes[:count]]
        return list(zip(shapes[:count], palette[:count]))

    def _layout(self, subtask: str, knobs: SpatialKnobs, k: int, colors, rng, size, pairs: bool,
                photographed: bool = False) -> _Layout:
        """The named objects, the key ones placed for the question; its Ask and planned
        answer. Named object i gets id i + 1."""
        form = knobs.form
        count = {"yes_no": 2, "which": 2, "quadrant": 1, "grid": 1, "nearest": 1 + N_OPTIONS,
                 "corner": N_OPTIONS, "between": 2 + N_OPTIONS}[form]
        kinds = self._named_kinds(count, knobs.shared if count > 1 else "none", knobs.object_px, colors, rng)
        objs = [Obj(shape, color, (0.0, 0.0), float(rng.uniform(knobs.object_px, knobs.object_px * SIZE_SPREAD)),
                    draw_angle(shape, rng), "named") for shape, color in kinds]
        # Each outline's box about its centre: placing a centre places the box.
        offsets = [np.asarray(p.bounds) for p in outlines(objs)]
        lay = _Layout(objs, offsets, size, knobs.margin_px + place_extra(knobs.margin_px), pairs, photographed)
        if form in ("yes_no", "which"):
            self._pair(lay, subtask, knobs, k, rng)
        elif form in ("quadrant", "grid"):
            self._in_cell(lay, knobs, k, rng)
        elif form == "corner":
            self._corner(lay, knobs, k, rng)
        elif form == "nearest":
            self._nearest(lay, k, rng)
        else:
            self._between(lay, knobs, k, rng)
        return lay

    @staticmethod
    def _pair(lay: _Layout, subtask: str, knobs: SpatialKnobs, k: int, rng) -> None:
        """X and Y, one clearly before the other along the subtask's axis. Bits of k: the
        answer (yes / first option) and the direction word, so each object is the left
        (or upper) one half of the time."""
        axis = 0 if subtask == "left_right" else 1
        word = (("left", "right") if axis == 0 else ("above", "below"))[(k // 2) % 2]
        forward = word in ("left", "above")
        if knobs.form == "yes_no":
            yes = k % 2 == 0
            x_first = yes == forward
            lay.ask = Ask("yes_no", word, subject=1, reference=2)
            lay.answer = yes
            lay.mention = {0: "subject", 1: "reference"}
        else:
            named = k % 2  # the option the answer is
            x_first = (named == 0) == forward
            lay.ask = Ask("which", word, options=(1, 2))
            lay.answer = 1 + named
            lay.mention = {0: "option", 1: "option"}
        first, second = (0, 1) if x_first else (1, 0)
        margin = knobs.margin_px
        extra = place_extra(margin)
        spread = max(8.0, margin)
        if lay.photographed:  # a rolled camera turns the pair: its boxes grow and the gap shrinks
            spread += 2.5 * max(lay.radius(0), lay.radius(1))
        gap = margin + extra + float(rng.uniform(0, spread))
        across = float(rng.uniform(-1, 1)) * (gap - extra) * 0.9
        lead, trail = lay.offsets[first], lay.offsets[second]
        # The trail's centre relative to the lead's: boxes `gap` apart along the axis,
        # box centres `across` apart across it.
        rel = np.zeros(2)
        rel[axis] = lead[axis + 2] + gap - trail[axis]
        rel[1 - axis] = (lead[1 - axis] + lead[3 - axis]) / 2 + across - (trail[1 - axis] + trail[3 - axis]) / 2
        size = np.asarray(lay.size, dtype=float)
        lo = np.maximum(BORDER_PX - lead[:2], BORDER_PX - trail[:2] - rel)
        hi = np.minimum(size - BORDER_PX - lead[2:], size - BORDER_PX - trail[2:] - rel)
        if (lo > hi).any():
            raise Resample("the pair does not fit the image at this margin")
        center = rng.uniform(lo, hi)
        lay.put(first, center)
        lay.put(second, center + rel)

    @staticmethod
    def _in_cell(lay: _Layout, knobs: SpatialKnobs, k: int, rng) -> None:
        """One object inside a cell of a 2 x 2 (quadrant) or 3 x 3 grid, clear of the inner
        grid lines; the cell goes round all cells with k."""
        cells = 2 if knobs.form == "quadrant" else 3
        cell = k % (cells * cells)
        col, row = cell % cells, cell // cells
        lo, hi = np.zeros(2), np.zeros(2)
        for axis, index in ((0, col), (1, row)):
            step = lay.size[axis] / cells
            start = index * step + (lay.strict if index > 0 else BORDER_PX)
            stop = (index + 1) * step - (lay.strict if index < cells - 1 else BORDER_PX)
            lo[axis], hi[axis] = start - lay.offsets[0][axis], stop - lay.offsets[0][axis + 2]
        if (lo > hi).any():
            raise Resample("the object does not fit a grid cell at this margin")
        lay.put(0, rng.uniform(lo, hi))
        lay.ask = Ask(knobs.form, subject=1)
        lay.answer = cell
        lay.mention = {0: "subject"}

    @staticmethod
    def _corner(lay: _Layout, knobs: SpatialKnobs, k: int, rng) -> None:
        """Four options; the answer one placed near the asked corner, every other object
        clearly further. With --pairs another option is nearest the mirrored corner."""
        corner = CORNERS[k % 4]
        winner = (k // 4) % 4
        wanted = [(winner, corner)]
        mirrored = corner.replace("left", "_").replace("right", "left").replace("_", "right")
        if lay.pairs:
            wanted.append(((winner + 1 + (k // 16) % 3) % 4, mirrored))
        for index, name in wanted:
            off = lay.offsets[index]
            ux, uy = rng.uniform(0, 0.2, size=2) * np.asarray(lay.size)
            x = BORDER_PX + ux - off[0] if "left" in name else lay.size[0] - BORDER_PX - ux - off[2]
            y = BORDER_PX + uy - off[1] if "top" in name else lay.size[1] - BORDER_PX - uy - off[3]
            lay.put(index, (x, y))
            lay.far_from(corner_point(name, lay.size), lay.box_center(index))
        lay.ask = Ask("corner", corner, options=(1, 2, 3, 4))
        lay.answer = winner + 1
        lay.mention = {i: "option" for i in range(4)}

    @staticmethod
    def _nearest(lay: _Layout, k: int, rng) -> None:
        """A reference and four options; the answer option placed near the reference,
        every other object clearly further from it."""
        winner = 1 + k % N_OPTIONS
        for _ in range(30):
            ref = lay.random_center(0, rng)
            theta = rng.uniform(0, 2 * math.pi)
            distance = lay.radius(0) + lay.radius(winner) + GAP_PX + float(rng.uniform(2, 0.1 * min(lay.size)))
            center = ref + distance * np.array([math.cos(theta), math.sin(theta)])
            if lay.fits(winner, center):
                break
        else:
            raise Resample("no room beside the reference")
        lay.put(0, ref)
        lay.put(winner, center)
        lay.far_from(lay.box_center(0), lay.box_center(winner))
        lay.ask = Ask("nearest", subject=1, options=tuple(range(2, 2 + N_OPTIONS)))
        lay.answer = winner + 1
        lay.mention = {0: "reference", **{i: "option" for i in range(1, 1 + N_OPTIONS)}}

    @staticmethod
    def _between(lay: _Layout, knobs: SpatialKnobs, k: int, rng) -> None:
        """Two ends far apart and four options; the answer option on the line between the
        ends, every other object clearly off it."""
        winner = 2 + k % N_OPTIONS
        big = max(o.size_px for o in lay.objs)
        for _ in range(40):
            a = lay.random_center(0, rng)
            theta = rng.uniform(0, 2 * math.pi)
            shortest, longest = max(5 * big, 0.35 * min(lay.size)), 0.9 * min(lay.size)
            if shortest > longest:
                raise Resample("the ends of a between question do not fit the image")
            length = float(rng.uniform(shortest, longest))
            b = a + length * np.array([math.cos(theta), math.sin(theta)])
            if not lay.fits(1, b):
                continue
            lay.put(0, a)
            lay.put(1, b)
            ca, cb = lay.box_center(0), lay.box_center(1)
            t = float(rng.uniform(0.4, 0.6))
            normal = np.array([-(cb - ca)[1], (cb - ca)[0]]) / np.linalg.norm(cb - ca)
            spot = ca + t * (cb - ca) + normal * float(rng.uniform(-0.1, 0.1)) * lay.objs[winner].size_px
            center = spot - lay.box_center_offset(winner)
            clear = all(np.linalg.norm(center - lay.center(e)) >= lay.radius(e) + lay.radius(winner) + GAP_PX
                        for e in (0, 1))
            if lay.fits(winner, center) and clear:
                lay.put(winner, center)
                lay.far_from_segment(ca, cb, spot)
                break
        else:
            raise Resample("no room for the ends and the object between them")
        lay.ask = Ask("between", ends=(1, 2), options=tuple(range(3, 3 + N_OPTIONS)))
        lay.answer = winner + 1
        lay.mention = {0: "end", 1: "end", **{i: "option" for i in range(2, 2 + N_OPTIONS)}}

    # Clutter -------------------------------------------------------------------------

    def _placed(self, lay: _Layout, knobs: SpatialKnobs, colors, rng) -> list[Obj]:
        """Every object placed: the named ones the layout left and the clutter, scattered
        clear of the placed ones (and clear of the question's winner by the layout's
        rules). Clutter never looks like a named object."""
        named = [dataclasses.replace(o, attributes=(("mention", lay.mention[i]),)) for i, o in enumerate(lay.objs)]
        clutter = []
        shares = knobs.shared if len(named) == 1 else "none"
        for c in range(knobs.clutter):
            for _ in range(50):
                shape, color = pick(rng, SHAPE_NAMES), pick(rng, colors)
                if c == 0 and shares == "color":
                    color = named[0].color
                elif c == 0 and shares == "shape":
                    shape = named[0].shape
                if all(color != o.color or told_apart(shape, o.shape, knobs.object_px) for o in named):
                    break
            else:
                raise Resample("no clutter object unlike the named ones")
            clutter.append(Obj(shape, color, (0.0, 0.0),
                               float(rng.uniform(knobs.object_px, knobs.object_px * SIZE_SPREAD)),
                               draw_angle(shape, rng), "distractor"))
        unplaced = [i for i in range(len(named)) if i not in lay.placed]
        movers = [named[i] for i in unplaced] + clutter
        if movers:
            radii = np.array([o.radius for o in movers])
            order = np.argsort(-radii, kind="stable")
            fixed = (np.array([lay.center(i) for i in lay.placed]), np.array([lay.radius(i) for i in lay.placed]))
            box = (BORDER_PX, BORDER_PX, lay.size[0] - BORDER_PX, lay.size[1] - BORDER_PX)
            centers = scatter(radii[order], box, rng, gap=GAP_PX, fixed=fixed, keep=lay.keep, rounds=60)
            if centers is None:
                raise Resample("no room for every object")
            for slot, j in enumerate(order):
                movers[j] = dataclasses.replace(movers[j], center=(float(centers[slot, 0]), float(centers[slot, 1])))
        for i, center in lay.placed.items():
            named[i] = dataclasses.replace(named[i], center=(float(center[0]), float(center[1])))
        for slot, i in enumerate(unplaced):
            named[i] = movers[slot]
        return named + movers[len(unplaced):]

    # Question ----------------------------------------------------------------------

    @staticmethod
    def answer_text(ask: Ask, answer, labels: dict[int, str]) -> str:
        if ask.form == "yes_no":
            return "yes" if answer else "no"
        if ask.form == "quadrant":
            return QUADRANTS[answer]
        if ask.form == "grid":
            return GRID_CELLS[answer]
        return labels[answer]

    def _question(self, ask: Ask, answer, labels: dict[int, str]) -> Question:
        def the(i):
            return f"the {labels[i]}"

        frame = FRAME["x" if ask.word in ("left", "right") else "y" if ask.word in ("above", "below") else "xy"]
        choices: tuple[str, ...] = ()
        if ask.form == "yes_no":
            relation = {"left": "to the left of", "right": "to the right of", "above": "above", "below": "below"}
            text = f"Is {the(ask.subject)} {relation[ask.word]} {the(ask.reference)}? {frame} Answer yes or no."
            return Question(text, self.answer_text(ask, answer, labels), "yes_no")
        if ask.form == "which":
            phrase = {"left": "further left", "right": "further right", "above": "higher up", "below": "lower down"}
            a, b = ask.options
            text = f"Which is {phrase[ask.word]} in the image, {the(a)} or {the(b)}? {frame}"
        elif ask.form == "quadrant":
            text = f"In which quadrant of the image is {the(ask.subject)}? {frame}"
            choices = QUADRANTS
        elif ask.form == "grid":
            text = (f"Divide the image into a 3 by 3 grid of equal cells. In which cell is {the(ask.subject)}? "
                    f"{frame}")
            choices = GRID_CELLS
        elif ask.form == "corner":
            text = f"Which object is closest to the {ask.word} corner of the image? {frame}"
        elif ask.form == "nearest":
            text = f"Which object is nearest to {the(ask.subject)}, measured centre to centre?"
        else:
            a, b = ask.ends
            text = f"Which object lies between {the(a)} and {the(b)}, on the line joining them?"
        choices = choices or tuple(labels[i] for i in ask.options)
        listed = "; ".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(choices))
        text += f" Options: {listed}. Answer with the letter or the text of one option."
        return Question(text, self.answer_text(ask, answer, labels), "choice", choices=choices)

    # Checks on the pixels ----------------------------------------------------------

    def judge_photo(self, draft: Draft, boxes: dict[int, Box], size: tuple[int, int]) -> Draft:
        """The answer a photograph of the scene gives (capture): its boxes on the photo's
        id buffer under the same rules and margins. A rolled or tilted camera can move
        an object to another quadrant or past another: the gold follows the photo, and
        a photo with no clear answer is redrawn. A rolled camera turns every pair, so in
        a photo "left of" needs the clear gap along x alone, not the clean scenes' gap
        larger than the offset across (at 30 degrees of roll few pairs would keep it)."""
        ask = draft.ask
        answer = photo_answer(ask, boxes, size, draft.knobs.margin_px)
        if answer is None and ask.form == "corner" and not draft.group:
            # A rolled camera turns the scene's corners away from the photo's: the question
            # asks about a photo corner with a clear answer, if one has (twins keep theirs).
            start = CORNERS.index(ask.word)
            for word in CORNERS[start + 1:] + CORNERS[:start]:
                answer = photo_answer(dataclasses.replace(ask, word=word), boxes, size, draft.knobs.margin_px)
                if answer is not None:
                    ask = dataclasses.replace(ask, word=word)
                    break
        if answer is None:
            raise Resample("the photo gives no clear answer under the labelling rules")
        labels = {it.item_id: it.label for it in draft.scene.items}
        return dataclasses.replace(draft, question=self._question(ask, answer, labels), ask=ask)

    def verify(self, draft: Draft, rendered) -> list[str]:
        """Every object whole and inside the image, and the boxes measured on the id
        buffer give the same answer under the labelling rules."""
        scene = draft.scene
        failures = []
        boxes = {}
        for item in scene.items:
            x0, y0, x1, y1 = item.bbox
            if x0 < 0 or y0 < 0 or x1 > scene.width or y1 > scene.height:
                failures.append(f"object {item.item_id} reaches over the image edge")
            failures += checks.object_visible(item.item_id, rendered, 0.98, item.role)
            boxes[item.item_id] = owned_box(rendered, item)
        if failures or any(b is None for b in boxes.values()):
            return failures or ["an object owns no pixel"]
        labels = {it.item_id: it.label for it in scene.items}
        measured = answer_of(draft.ask, boxes, (scene.width, scene.height), draft.knobs.margin_px)
        if measured is None or self.answer_text(draft.ask, measured, labels) != draft.question.answer:
            failures.append(f"on the pixels the answer is {measured!r}, not {draft.question.answer!r}")
        return failures


@dataclass
class _Layout:
    """The named objects while they are being placed, and what the rest must keep clear of."""

    objs: list[Obj]
    offsets: list[np.ndarray]  # each outline's box about its centre
    size: tuple[int, int]
    strict: float  # the placement margin (the labelling margin plus place_extra)
    pairs: bool = False
    photographed: bool = False  # the gold follows a photo (capture): the camera may turn the scene
    placed: dict = dataclasses.field(default_factory=dict)  # index -> centre
    rules: list = dataclasses.field(default_factory=list)  # (kind, args) the other objects keep to
    ask: Ask | None = None
    answer: object = None
    mention: dict = dataclasses.field(default_factory=dict)

    def put(self, index: int, center) -> None:
        self.placed[index] = np.asarray(center, dtype=float)

    def center(self, index: int) -> np.ndarray:
        return self.placed[index]

    def radius(self, index: int) -> float:
        return self.objs[index].radius

    def box_center_offset(self, index: int) -> np.ndarray:
        off = self.offsets[index]
        return np.array([(off[0] + off[2]) / 2, (off[1] + off[3]) / 2])

    def box_center(self, index: int) -> np.ndarray:
        return self.placed[index] + self.box_center_offset(index)

    def fits(self, index: int, center) -> bool:
        off = self.offsets[index]
        x, y = center
        return (x + off[0] >= BORDER_PX and y + off[1] >= BORDER_PX and x + off[2] <= self.size[0] - BORDER_PX
                and y + off[3] <= self.size[1] - BORDER_PX)

    def random_center(self, index: int, rng) -> np.ndarray:
        off = self.offsets[index]
        lo = np.array([BORDER_PX - off[0], BORDER_PX - off[1]])
        hi = np.array([self.size[0] - BORDER_PX - off[2], self.size[1] - BORDER_PX - off[3]])
        if (lo > hi).any():
            raise Resample("an object does not fit the image")
        return rng.uniform(lo, hi)

    def far_from(self, point, winner_center) -> None:
        """Others keep their box centres PLACE_RATIO times as far from `point` as the
        winner's, plus the placement margin."""
        self.rules.append(("point", np.asarray(point, dtype=float),
                           PLACE_RATIO * math.dist(point, winner_center) + self.strict))

    def far_from_segment(self, a, b, winner_spot) -> None:
        d, _t = _segment_distance(winner_spot, a, b)
        self.rules.append(("segment", (np.asarray(a), np.asarray(b)), PLACE_RATIO * d + self.strict))

    def keep(self, centers: np.ndarray, radii: np.ndarray) -> np.ndarray:
        """Which candidate centres keep every rule. A box centre can sit up to 0.38 of
        the radius from the shape's centre (triangles), hence the slack."""
        ok = np.ones(len(centers), dtype=bool)
        slack = 0.4 * radii
        for kind, where, limit in self.rules:
            if kind == "point":
                dist = np.linalg.norm(centers - where, axis=1)
            else:
                a, b = where
                ab = b - a
                t = np.clip(((centers - a) @ ab) / (ab @ ab), 0.0, 1.0)
                dist = np.linalg.norm(centers - (a + t[:, None] * ab), axis=1)
            ok &= dist >= limit + slack
        return ok


FAMILY = SpatialFamily()
