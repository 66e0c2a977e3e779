"""Grounding family: find the one object a description fits, among near-duplicates, and
locate objects exactly.

Subtasks:
- similar_classes: birds that differ in small marks (eye ring, crest, wing bar, tail
  band). Only the target has the decisive mark (or only it lacks it); each look-alike
  differs from it in `similarity` marks, the decisive one included. Every bird carries a
  letter on a tag; the answer is the target's letter.
- part_cue: objects of one kind that differ only in one part: forks with 2-5 prongs, keys
  with 1-5 teeth, shirts with 0-4 buttons, clocks showing different hours, mugs with the
  handle left, right or missing. "Which key has three teeth?"
- region: emoji objects of different classes; "Give the bounding box of the banana" (an
  `[x0, y0, x1, y1]` box in pixels of this image, the convention stated in the prompt), or
  "In which cell of the 3x3 grid is the banana?" (answer like B2).

`part_px` is the decisive part's size in pixels: the whole object is drawn in units of
it. Every description picks exactly one object by construction, the tags' letters are
checked for legibility on the pixels, each object's parts are checked on the pixels (a
line across the prongs meets as many prongs as the label says), and boxes are the boxes
of the pixels each object owns in the object-id buffer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from shapely.geometry import box as shapely_box

from gen_stress.errors import UserError
from gen_stress.generators.base import Draft, Family, Question, Resample, SamplePlan
from gen_stress.generators.hallucination import probe_failures
from gen_stress.knobs import knob
from gen_stress.rng import pick
from gen_stress.scenes import checks
from gen_stress.scenes.colors import BACKGROUNDS, PALETTE, mix
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.library import load_library
from gen_stress.scenes.model import Scene, ShapeItem, TextItem
from gen_stress.scenes.parametric import (
    BIRD_FEATURE_TEXT,
    BIRD_FEATURES,
    MIN_UNIT_PX,
    PART_VARIANTS,
    VectorItem,
    design,
    part_phrase,
    place,
)
from gen_stress.scenes.sprites import SpriteItem, scaled_size
from gen_stress.scenes.text import layout_text

SUBTASKS = ("similar_classes", "region", "part_cue")
LETTERS = "ABCDEF"
REGION_FORMS = ("box", "grid")
GRID = 3
COLUMNS = "ABC"
CELLS = tuple(f"{COLUMNS[c]}{r + 1}" for r in range(GRID) for c in range(GRID))
REFERENCE_PX = 512  # drawn knobs are for images this big (and shrink for smaller ones)
MARGIN_PX = 8  # objects and tags stay this far inside the image
CELL_PAD_PX = 6  # and this far inside their layout cell or grid cell
GAP_PX = 10  # region objects stay this far apart
TAG_GAP_PX = 6  # between an object and its tag
LABEL_FONT = "DejaVu Sans"
TAG_RGB = PALETTE["white"]
INK_RGB = PALETTE["black"]
GRID_RGB = (70, 70, 76)
BIRD_COLORS = ("brown", "gray", "blue", "green", "orange", "purple")
PART_COLORS = {"fork": ("gray",), "key": ("yellow", "gray"), "shirt": ("blue", "red", "green", "purple"),
               "clock": (), "mug": ("red", "blue", "green", "orange")}
BOX_PROMPT = ("Give the bounding box of the {name} in pixel coordinates of this {w}x{h} image, as [x0, y0, x1, y1]: "
              "(x0, y0) is the top-left corner of the box and (x1, y1) its bottom-right corner, with the origin "
              "at the top-left corner of the image, x growing to the right and y growing downwards. Answer with "
              "the four integers in square brackets.")
GRID_PROMPT = ("The image is divided into a 3x3 grid by the lines drawn on it. Columns are A, B, C from left "
               "to right and rows are 1, 2, 3 from top to bottom. In which cell is the {name}? Answer with the "
               "cell name only, like B2.")
TAG_PROMPT = " Each {kind} has a letter on a tag below it. Answer with that letter."


@dataclass(frozen=True)
class GroundingKnobs:
    part_px: int = knob(low=2, high=10, easy=6, primary_for=("similar_classes", "part_cue"),
                        doc="size of the decisive part in pixels (prong, tooth or mark width, button diameter, "
                            "hand or handle thickness); the whole object is drawn in units of it")
    similarity: int = knob(low=1, high=3, easy=3, primary_for=("similar_classes",),
                           doc="marks in which each look-alike bird differs from the target, the decisive one "
                               "included (1: only the decisive mark differs, the hardest)")
    n_candidates: int = knob(low=2, high=6, easy=3,
                             doc="objects in the image: the target and its look-alikes, or for region, other objects")
    object_px: int = knob(low=24, high=160, easy=96, primary_for=("region",),
                          doc="longer side of the object to locate, in pixels (region)")
    region_form: str = knob(choices=REGION_FORMS, easy="box", primary_for=("region",),
                            doc="box: answer [x0, y0, x1, y1] in pixels; grid: answer the 3x3 grid cell")
    label_px: int = knob(low=8, high=24, easy=14, doc="cap height of the letters on the tags, in pixels")
    object_type: str = knob(easy="", derived=True, doc="bird, the part-cue kind (fork, key, shirt, clock, mug) or emoji")
    decisive: str = knob(easy="", derived=True, doc="the part, mark or class that tells the target apart")
    target: str = knob(easy="", derived=True, doc="what the question names")
    target_px: int = knob(easy=0, derived=True, doc="longer side of the target object, in pixels")


class GroundingFamily(Family):
    name = "grounding"
    subtasks = SUBTASKS
    Knobs = GroundingKnobs
    description = ("Pick the one object a description fits among near-duplicates (small marks, one part "
                   "different) and locate objects exactly (pixel boxes, grid cells).")

    min_side = {"similar_classes": 320, "region": 224, "part_cue": 160}  # measured, see README

    def check_plan(self, plan: SamplePlan) -> None:
        """Sizes that no layout of the image can hold, refused up front with the largest
        that fits (drawn sizes shrink with the image and always fit)."""
        super().check_plan(plan)
        fixed = self.fixed_values(plan)
        width, height = plan.size
        where = f"grounding/{plan.subtask}"
        if plan.subtask == "region":
            px, form = fixed.get("object_px"), fixed.get("region_form", "grid")  # drawn forms include grid
            room = (min(width, height) / GRID - 2 * CELL_PAD_PX if form == "grid"
                    else min(width, height) - 2 * MARGIN_PX)
            if px is not None and px > room:
                raise UserError(f"{where}: object_px={px} does not fit {'a grid cell of ' if form == 'grid' else ''}"
                                f"a {width}x{height} image; at most {int(room)} fits")
            return
        unit = fixed.get("part_px")
        if unit is None:
            return
        n, label_px = fixed.get("n_candidates", 2), fixed.get("label_px", 10)  # the smallest drawn
        kinds = ["bird"] if plan.subtask == "similar_classes" else [
            k for k in PART_VARIANTS if len(PART_VARIANTS[k][1]) >= n]

        def fits(u: int) -> bool:
            return any(u >= MIN_UNIT_PX.get(kind, 2)
                       and grid_layouts(n, *block_size(_largest_extent(kind), u, label_px)[:2], plan.size)
                       for kind in kinds)

        if not fits(unit):
            largest = max((u for u in range(2, unit) if fits(u)), default=None)
            hint = f"part_px up to {largest} fits" if largest else "use a larger --size"
            raise UserError(f"{where}: {n} candidates with part_px={unit} do not fit a {width}x{height} image; {hint}")

    def draw_knobs(self, plan: SamplePlan, rng: np.random.Generator) -> dict:
        region = plan.subtask == "region"
        # Drawn sizes are for a 512 px image and shrink with a smaller one.
        scale = min(1.0, min(plan.size) / REFERENCE_PX)
        return {
            "part_px": max(2, round(int(rng.integers(2, 9)) * scale)),
            "similarity": int(rng.integers(1, 4)),
            # 2, 3, 4 look-alikes in blocks of 12 slots: the target's letter (slot % n) is uniform for each n
            "n_candidates": int(rng.integers(3, 7)) if region else 2 + (plan.slot // 12) % 3,
            "object_px": max(24, round(int(rng.integers(24, 141)) * scale)),
            "region_form": REGION_FORMS[plan.slot % 2],
            "label_px": int(rng.integers(10, 19)),
        }

    def compose(self, plan: SamplePlan, knobs: GroundingKnobs, rng: np.random.Generator, size) -> list[Draft]:
        if plan.subtask == "region":
            scene, question, values = self._region(plan, knobs, rng, size)
        else:
            scene, question, values = self._lookalikes(plan, knobs, rng, size)
        return [Draft(plan.subtask, dataclasses.replace(knobs, **values), scene, question)]

    # similar_classes and part_cue: which one has ...? -------------------------------------

    def _lookalikes(self, plan: SamplePlan, knobs: GroundingKnobs, rng, size):
        n = knobs.n_candidates
        if plan.subtask == "similar_classes":
            kind = "bird"
            variants, decisive, phrase = _bird_variants(knobs.similarity, n, rng)
            color = PALETTE[pick(rng, BIRD_COLORS)]
            colors = {"body": color, "wing": mix(color, (0, 0, 0), 0.35)}
        else:
            kinds = [k for k in PART_VARIANTS if knobs.part_px >= MIN_UNIT_PX.get(k, 2)
                     and len(PART_VARIANTS[k][1]) >= n]
            if not kinds:
                raise Resample(f"no part-cue kind has {n} variants at {knobs.part_px} px parts")
            kind = pick(rng, kinds)
            param, values = PART_VARIANTS[kind]
            chosen = [values[int(i)] for i in rng.choice(len(values), size=n, replace=False)]
            variants = [((param, v),) for v in chosen]
            decisive = design(kind, variants[0]).decisive
            phrase = part_phrase(kind, chosen[0])
            names = PART_COLORS[kind]
            colors = {d_paint: PALETTE[pick(rng, names)] for d_paint in [design(kind, variants[0]).parts[0].paint]} \
                if names else {}
        designs = [design(kind, v) for v in variants]
        letters = list(LETTERS[:n])
        target_letter = letters[plan.slot % n]
        others = [c for c in letters if c != target_letter]
        order = [target_letter] + [others[int(i)] for i in rng.permutation(len(others))]
        background = pick(rng, [b for b in BACKGROUNDS if b not in ("slate", "charcoal")] if kind == "clock"
                           else list(BACKGROUNDS))
        items = layout_candidates(designs, order, kind, knobs, colors, rng, size)
        scene = Scene(size[0], size[1], background, BACKGROUNDS[background], tuple(items))
        prompt = f"Which {kind} {phrase}?" + TAG_PROMPT.format(kind=kind)
        if kind == "mug":
            prompt = prompt.replace("?", " (left and right as seen in the image)?", 1)
        question = Question(prompt, target_letter, "choice", choices=tuple(letters))
        target = items[0]
        return scene, question, {"object_type": kind, "decisive": decisive, "target": f"{kind} that {phrase}",
                                 "target_px": int(round(target.size_px))}

    # region: where is the X? ------------------------------------------------------------

    def _region(self, plan: SamplePlan, knobs: GroundingKnobs, rng, size):
        width, height = size
        lib = load_library()
        classes = []
        words: set[str] = set()
        pool = lib.emoji_classes
        while len(classes) < knobs.n_candidates:
            cls = pick(rng, pool)
            if not cls.concepts & words:
                classes.append(cls)
                words |= cls.concepts
        sizes = [knobs.object_px] + [int(np.clip(round(knobs.object_px * rng.uniform(0.7, 1.3)), 20, 170))
                                     for _ in classes[1:]]
        background = pick(rng, list(BACKGROUNDS))
        items: list = []
        if knobs.region_form == "grid":
            cell_w, cell_h = width / GRID, height / GRID
            room = int(min(cell_w, cell_h) - 2 * CELL_PAD_PX)
            sizes = sizes[:1] + [min(s, room) for s in sizes[1:]]
            target_cell = (plan.slot // 2) % len(CELLS)
            others = [c for c in range(len(CELLS)) if c != target_cell]
            cells = [target_cell] + [others[int(i)] for i in rng.permutation(len(others))[:len(classes) - 1]]
            for k, (cls, size_px, cell) in enumerate(zip(classes, sizes, cells)):
                col, row = cell % GRID, cell // GRID
                area = (col * cell_w + CELL_PAD_PX, row * cell_h + CELL_PAD_PX,
                        (col + 1) * cell_w - CELL_PAD_PX, (row + 1) * cell_h - CELL_PAD_PX)
                items.append(_sprite_in(cls, k + 1, size_px, area, rng))
            next_id = len(items) + 1
            for k in range(1, GRID):
                for line in (shapely_box(k * cell_w - 1, 0, k * cell_w + 1, height),
                             shapely_box(0, k * cell_h - 1, width, k * cell_h + 1)):
                    items.append(ShapeItem(next_id, "grid", "grid line", "line", GRID_RGB, line, z=0))
                    next_id += 1
            target = items[0]
            question = Question(GRID_PROMPT.format(name=classes[0].name), CELLS[target_cell], "choice", choices=CELLS)
        else:
            boxes: list = []
            for k, (cls, size_px) in enumerate(zip(classes, sizes)):
                item = _sprite_in(cls, k + 1, size_px, (MARGIN_PX, MARGIN_PX, width - MARGIN_PX, height - MARGIN_PX),
                                  rng, avoid=boxes)
                items.append(item)
            target = items[0]
            x0, y0, x1, y1 = (int(v) for v in target.bbox)
            question = Question(BOX_PROMPT.format(name=classes[0].name, w=width, h=height),
                                f"[{x0}, {y0}, {x1}, {y1}]", "bbox")
        scene = Scene(width, height, background, BACKGROUNDS[background], tuple(items))
        return scene, question, {"object_type": "emoji", "decisive": "class", "target": classes[0].name,
                                 "target_px": int(round(max(target.bbox[2] - target.bbox[0],
                                                            target.bbox[3] - target.bbox[1])))}

    # Checks on the pixels ----------------------------------------------------------

    def verify(self, draft: Draft, rendered) -> list[str]:
        failures: list[str] = []
        for item in draft.scene.items:
            if isinstance(item, (SpriteItem, VectorItem)):
                failures += checks.object_visible(item.item_id, rendered, 0.99, what=item.label)
                if isinstance(item, VectorItem):
                    failures += probe_failures(item, rendered)
            elif isinstance(item, TextItem):
                failures += checks.text_in_frame(item, rendered)
                failures += checks.text_unoccluded(item, rendered)
                failures += checks.text_contrast(item, rendered, floor=4.5)
        if draft.subtask == "region":
            target = draft.scene.items[0]
            failures += checks.box_matches_pixels(target.item_id, target.bbox, rendered, what=target.label)
        return failures


def _bird_variants(similarity: int, n: int, rng):
    """The target's marks and n-1 look-alikes: each differs from the target in the
    decisive mark and in similarity-1 others, so only the target fits the description."""
    target = {f: bool(rng.random() < 0.5) for f in BIRD_FEATURES}
    decisive = pick(rng, BIRD_FEATURES)
    variants = [target]
    others = [f for f in BIRD_FEATURES if f != decisive]
    for _ in range(n - 1):
        flip = {decisive} | {others[int(i)] for i in rng.choice(len(others), size=similarity - 1, replace=False)}
        variants.append({f: (not v) if f in flip else v for f, v in target.items()})
    has, lacks = BIRD_FEATURE_TEXT[decisive]
    phrase = has if target[decisive] else lacks
    return [tuple(sorted(v.items())) for v in variants], decisive.replace("_", " "), phrase


def _sprite_in(cls, item_id: int, size_px: int, area, rng, avoid: list | None = None) -> SpriteItem:
    """An emoji sprite placed with its picture inside `area`, clear of the boxes in `avoid`
    (which it joins)."""
    x0, y0, x1, y1 = area
    bw, bh = scaled_size(cls.drawing().emoji, size_px)
    left, top = int(np.ceil(x0)), int(np.ceil(y0))  # whole-pixel origins keep the picture inside `area`
    right, bottom = int(np.floor(x1 - bw)), int(np.floor(y1 - bh))
    if right < left or bottom < top:
        raise Resample(f"a {size_px} px object does not fit its place")
    for _ in range(60):
        ox = int(rng.integers(left, right + 1))
        oy = int(rng.integers(top, bottom + 1))
        b = (ox, oy, ox + bw, oy + bh)
        if avoid is not None:
            if any(b[0] < o[2] + GAP_PX and o[0] < b[2] + GAP_PX and b[1] < o[3] + GAP_PX and o[1] < b[3] + GAP_PX
                   for o in avoid):
                continue
            avoid.append(b)
        attrs = (("class", cls.name), ("category", cls.category))
        return SpriteItem(item_id, "target" if item_id == 1 else "distractor", cls.name, cls.drawing().emoji,
                          (ox, oy), size_px, z=1, color=cls.color, attributes=attrs)
    raise Resample("no room for another object")


def _largest_extent(kind: str) -> tuple[float, float]:
    """The extent (in units) that look-alikes of the kind can need: the layout makes room
    for the largest of the candidates drawn."""
    if kind == "bird":
        designs = [design("bird", tuple((f, marks) for f in BIRD_FEATURES)) for marks in (False, True)]
    else:
        param, values = PART_VARIANTS[kind]
        designs = [design(kind, ((param, v),)) for v in values]
    return max(d.extent[0] for d in designs), max(d.extent[1] for d in designs)


def tag_pad(label_px: int) -> float:
    return max(3.0, 0.45 * label_px)


def block_size(extent: tuple[float, float], unit: int, label_px: int) -> tuple[float, float, float]:
    """Width and height of a candidate with its tag below it, and the tag's height, for
    a design of `extent` (in units) drawn at `unit` px."""
    sample = layout_text("W", load_catalog().by_name(LABEL_FONT), text_px=label_px)
    pad = tag_pad(label_px)
    tag_w = sample.bbox[2] - sample.bbox[0] + 2 * pad
    tag_h = sample.bbox[3] - sample.bbox[1] + 2 * pad
    return max(extent[0] * unit, tag_w), extent[1] * unit + TAG_GAP_PX + tag_h, tag_h


def grid_layouts(n: int, block_w: float, block_h: float, size) -> list[tuple]:
    """Every grid of cells (slack, cols, rows, cell width, cell height) that holds n
    blocks in the image; empty when none does."""
    width, height = size
    layouts = []
    for cols in range(1, n + 1):
        rows = -(-n // cols)
        cw, ch = (width - 2 * MARGIN_PX) / cols, (height - 2 * MARGIN_PX) / rows
        slack = min(cw - block_w, ch - block_h) - 2 * CELL_PAD_PX
        if slack >= 0:
            layouts.append((slack, cols, rows, cw, ch))
    return layouts


def layout_candidates(designs, letters, kind: str, knobs: GroundingKnobs, colors, rng, size) -> list:
    """Candidates in the cells of a grid layout, each with a letter tag below it; the
    target (designs[0]) first. Items: objects 1..n, then tag boards and letters."""
    width, height = size
    n = len(designs)
    unit = knobs.part_px
    extent = (max(d.extent[0] for d in designs), max(d.extent[1] for d in designs))
    ext_h = extent[1] * unit
    font = load_catalog().by_name(LABEL_FONT)
    pad = tag_pad(knobs.label_px)
    block_w, block_h, tag_h = block_size(extent, unit, knobs.label_px)
    layouts = grid_layouts(n, block_w, block_h, size)
    if not layouts:
        raise Resample(f"{n} {kind}s with {unit} px parts do not fit a {width}x{height} image")
    _slack, cols, rows, cw, ch = max(layouts)
    cells = rng.permutation(cols * rows)[:n]
    objects, tags = [], []
    for k, (d, letter, cell) in enumerate(zip(designs, letters, cells)):
        col, row = int(cell) % cols, int(cell) // cols
        x0 = MARGIN_PX + col * cw + CELL_PAD_PX
        y0 = MARGIN_PX + row * ch + CELL_PAD_PX
        bx = x0 + float(rng.uniform(0, cw - 2 * CELL_PAD_PX - block_w))
        by = y0 + float(rng.uniform(0, ch - 2 * CELL_PAD_PX - block_h))
        cx = round(bx + block_w / 2)
        cy = round(by + ext_h / 2)
        attrs = tuple((name, str(value)) for name, value in d.params) + (("letter", letter),)
        obj = place(d, item_id=k + 1, role="target" if k == 0 else "distractor", label=kind, unit_px=unit,
                    center=(cx, cy), colors=colors, attributes=attrs)
        objects.append(obj)
        text_center = (cx, by + ext_h + TAG_GAP_PX + tag_h / 2)
        text = layout_text(letter, font, text_px=knobs.label_px, center=text_center)
        tx0, ty0, tx1, ty1 = text.bbox
        board = shapely_box(tx0 - pad, ty0 - pad, tx1 + pad, ty1 + pad).buffer(2, quad_segs=4)
        board_id, text_id = 2 * n + 2 * k + 1, 2 * n + 2 * k + 2
        tags.append(ShapeItem(board_id, "tag", f"tag {letter}", "rounded rectangle", TAG_RGB, board, z=1,
                              attributes=(("for_object", str(k + 1)),)))
        tags.append(TextItem(text_id, "label", text, INK_RGB, z=2, on_item=board_id,
                             attributes=(("for_object", str(k + 1)),)))
    return objects + tags


FAMILY = GroundingFamily()
