"""Capture: the step between render and encode that photographs a rendered scene, for
every family and every context, with the ground truth carried through exactly.

    render -> verify (on the clean render) -> capture -> re-measure, re-judge -> encode

The knobs (`capture` and its numeric knobs) join a family's `difficulty` only in
datasets that set or sweep one of them, so default runs keep their bytes. The camera
(scenes/camera.py) maps the image and the id buffer through one homography; here every
recorded box, quad and character box goes through the same matrix, visible fractions
are measured again, and a question whose answer-bearing items are cut off by the frame
or washed out by glare becomes unanswerable (by construction, never by opinion). Blur,
noise, JPEG and dim light keep the answer; their strength is recorded.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image
from shapely.geometry import Polygon, box as shapely_box

from gen_stress.generators.base import Draft, Question, Resample
from gen_stress.knobs import extend_knobs, knob, part_sets_any
from gen_stress.rng import FAMILY_IDS
from gen_stress.scenes import camera
from gen_stress.scenes.checks import chars_at
from gen_stress.scenes.model import ShapeItem, TextItem
from gen_stress.scenes.render import Rendered, encode_png

CAPTURE_KNOB = "capture"
MODES = ("none", "photo", "assistive")
CAPTURE_STREAM = 13  # the capture's own random stream: drawing it never shifts a scene's stream
UNANSWERABLE = "unanswerable"
UNANSWERABLE_ALIASES = ("cannot be seen", "not in the photo", "cannot be read", "cannot be answered")
ABSTAIN_CLAUSE = f' If the photo does not show enough to answer, answer "{UNANSWERABLE}".'
IN_FRAME = 0.99  # an item at least this much inside the frame is in frame
CUT_CHAR = 0.5  # a character less inside than this is cut off
WASHED_CHAR = 0.5  # a character whose box is this much clipped white is lost to glare
DOUBT_CHAR = 0.15  # between these and the above: resample, never a doubtful label
# A character's box pokes out of its line's box by at most half a pixel: it is measured
# at the exact pen position, the line's ink at the pen rounded to whole pixels (and the
# line's box is rounded outward, so in practice it holds every character's box).
CHAR_SLACK_PX = 1.0
WASHED_OBJECT = 0.3
WHITE_BEFORE = 200  # a pixel whose darkest channel was below this had a colour before clipping
# Roles whose items an abstract family's answer rests on, and those whose order the
# answer reads (which sign is topmost, which shape is left of which).
BEARING_ROLES = frozenset({"target", "target_sign", "named", "object", "tag", "label"})
ORDER_ROLES = frozenset({"target_sign", "distractor_sign"})


def _knob(**spec):
    """A capture knob: every one has a default (its easy value), so a family's own
    knobs can be made without them."""
    return dataclasses.field(default=spec["easy"], metadata=knob(**spec).metadata)


@dataclass(frozen=True, kw_only=True)
class CaptureKnobs:
    capture: str = _knob(choices=MODES, easy="none",
                         doc="none: the clean render; photo: a phone photo of it; assistive: the harder shots "
                             "of people who cannot see the subject (cut off, blurred, tilted, glare)")
    tilt_deg: float = _knob(low=0, high=60, easy=0.0, doc="camera off the page normal (perspective), degrees")
    roll_deg: float = _knob(low=-45, high=45, easy=0.0, doc="camera turned in the image plane, degrees")
    blur_px: float = _knob(low=0, high=12, easy=0.0, doc="defocus: radius of the blur disc, image pixels")
    motion_px: float = _knob(low=0, high=30, easy=0.0, doc="motion blur: streak length, image pixels")
    noise_sigma: float = _knob(low=0, high=40, easy=0.0, doc="sensor noise, standard deviation in 8-bit levels")
    jpeg_quality: int = _knob(low=5, high=100, easy=100, doc="JPEG round trip quality (100: none); stored as PNG")
    exposure: float = _knob(low=-3, high=3, easy=0.0, doc="stops of over (+) or under (-) exposure, clipped")
    glare: float = _knob(low=0, high=1, easy=0.0, doc="strength and size of a specular highlight that saturates")
    frame_fraction: float = _knob(low=0.2, high=1.0, easy=1.0, doc="share of the page's area kept in the frame")
    motion_deg: float = knob(easy=None, derived=True, doc="direction of the motion streak, counter-clockwise")
    tilt_axis_deg: float = knob(easy=None, derived=True, doc="direction of the axis the page turns about")
    target_photo_px: float = knob(easy=None, derived=True,
                            doc="cap height (text) or size (object) of the target after capture, image pixels")
    effective_px: float = knob(easy=None, derived=True, doc="target_photo_px divided by the blur spread (at least 1)")
    in_frame: float = knob(easy=None, derived=True, doc="share of the page's pixels inside the image")
    lost: str = knob(easy=None, derived=True, doc="why the question became unanswerable: frame, glare or none")
    page_to_image: str = knob(easy=None, derived=True, doc="the 3x3 homography from page to image pixels (JSON)")


NUMERIC = tuple(f.name for f in dataclasses.fields(CaptureKnobs)
                if f.name != CAPTURE_KNOB and not f.metadata["knob"]["derived"])
KNOB_NAMES = frozenset(f.name for f in dataclasses.fields(CaptureKnobs) if not f.metadata["knob"]["derived"])
EASY = {f.name: f.default for f in dataclasses.fields(CaptureKnobs) if f.name in KNOB_NAMES}


def with_capture(knobs_cls: type) -> type:
    """A family's knobs (with or without `context`) plus the capture knobs."""
    return extend_knobs(knobs_cls, CaptureKnobs, "Captured")


def uses_capture(part) -> bool:
    return part_sets_any(part, KNOB_NAMES)


def part_knobs(family, part) -> type:
    """The knobs class of a part's rows: the family's, plus `context` and capture when used."""
    from gen_stress.questions.in_context import part_knobs as context_knobs

    base = context_knobs(family, part)
    return with_capture(base) if uses_capture(part) else base


# Drawing the capture values ------------------------------------------------------------

def _photo(rng: np.random.Generator) -> dict[str, Any]:
    """A plausible phone photo: the whole page on a table, a little tilted, mild blur,
    light noise and JPEG, sometimes a soft highlight."""
    return {
        "tilt_deg": round(float(rng.uniform(4, 28)), 1),
        "roll_deg": round(float(rng.uniform(-8, 8)), 1),
        "blur_px": round(float(rng.uniform(0.0, 1.2)), 2),
        "motion_px": round(float(rng.uniform(0, 2.5)), 2) if rng.random() < 0.3 else 0.0,
        "noise_sigma": round(float(rng.uniform(1.5, 5)), 2),
        "jpeg_quality": int(rng.integers(70, 93)),
        "exposure": round(float(rng.uniform(-0.8, 0.4)), 2),
        "glare": round(float(rng.uniform(0.05, 0.3)), 2) if rng.random() < 0.2 else 0.0,
        "frame_fraction": 1.0 if rng.random() < 0.85 else round(float(rng.uniform(0.8, 1.0)), 2),
    }


def _assistive(rng: np.random.Generator) -> dict[str, Any]:
    """The harder end: subject cut off, out of focus or shaken, steep tilt, glare, dim."""
    return {
        "tilt_deg": round(float(rng.uniform(12, 50)), 1),
        "roll_deg": round(float(rng.uniform(-30, 30)), 1),
        "blur_px": round(float(rng.uniform(1.0, 5.0)), 2),
        "motion_px": round(float(rng.uniform(2, 14)), 2) if rng.random() < 0.5 else 0.0,
        "noise_sigma": round(float(rng.uniform(3, 12)), 2),
        "jpeg_quality": int(rng.integers(35, 86)),
        "exposure": round(float(rng.choice([rng.uniform(-2.2, -0.8), rng.uniform(-0.5, 0.5), rng.uniform(0.6, 1.5)])),
                          2),
        "glare": round(float(rng.uniform(0.35, 1.0)), 2) if rng.random() < 0.35 else 0.0,
        "frame_fraction": 1.0 if rng.random() < 0.5 else round(float(rng.uniform(0.35, 0.95)), 2),
    }


DRAW = {"photo": _photo, "assistive": _assistive}


def capture_rng(seed: int, family: str, index: int) -> np.random.Generator:
    return np.random.default_rng([index, FAMILY_IDS[family], seed, CAPTURE_STREAM])


def capture_values(pinned: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """Knob values of one index: pinned ones, drawn ones for photo and assistive, else easy."""
    mode = pinned.get(CAPTURE_KNOB, "none")
    drawn = DRAW[mode](rng) if mode in DRAW else {}
    return {**EASY, **drawn, **{k: v for k, v in pinned.items() if k in KNOB_NAMES}}


def draw_shot(values: dict[str, Any], rng: np.random.Generator) -> camera.Shot:
    """The rest of one photograph (where the frame and the glare fall, the table, the
    light), drawn per attempt from the capture stream."""
    mode = values[CAPTURE_KNOB]
    staged = mode != "none"
    offsets = (0.3, 0.7) if mode == "photo" else (0.0, 1.0)
    return camera.Shot(
        tilt_deg=values["tilt_deg"], tilt_axis_deg=round(float(rng.uniform(0, 180)), 1), roll_deg=values["roll_deg"],
        frame_fraction=values["frame_fraction"],
        margin=round(float(rng.uniform(0.03, 0.12) if mode == "photo" else rng.uniform(0.0, 0.06)), 3) if staged else 0.0,
        offset=(float(rng.uniform(*offsets)), float(rng.uniform(*offsets))),
        blur_px=values["blur_px"], motion_px=values["motion_px"], motion_deg=round(float(rng.uniform(0, 180)), 1),
        noise_sigma=values["noise_sigma"], jpeg_quality=values["jpeg_quality"], exposure=values["exposure"],
        glare=values["glare"], glare_at=(float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.15, 0.85))),
        vignette=float(rng.uniform(0.1, 0.5)) if staged else 0.0,
        light_tilt=(float(rng.uniform(-0.2, 0.2)), float(rng.uniform(-0.2, 0.2))) if staged else (0.0, 0.0),
        white_balance=(1 + float(rng.uniform(-0.06, 0.06)), 1.0, 1 + float(rng.uniform(-0.06, 0.06)))
        if staged else (1.0, 1.0, 1.0),
        table=int(rng.integers(len(camera.TABLES))), grain=float(rng.uniform(0.3, 1.0)),
        seed=int(rng.integers(2 ** 31)))


# The photograph of one render ----------------------------------------------------------

@dataclass
class Captured:
    """A render after capture; reads like a Rendered where rows are made."""

    image: Image.Image
    ids: np.ndarray  # warped with nearest sampling
    clean: Rendered
    matrix: np.ndarray | None  # page to image; None: geometry untouched
    in_frame_px: np.ndarray | None  # per id, page pixels whose centres land in the image
    washed: np.ndarray  # (h, w) bool: clipped white by the capture (white before does not count)
    counts: np.ndarray

    @cached_property
    def png(self) -> bytes:
        return encode_png(self.image)

    def in_frame_share(self, item_id: int) -> float:
        before = int(self.clean.counts[item_id]) if item_id < len(self.clean.counts) else 0
        if self.in_frame_px is None or before == 0:
            return 1.0 if before else 0.0
        return float(self.in_frame_px[item_id]) / before

    def visible_px(self, item_id: int) -> int:
        return int(self.counts[item_id]) if item_id < len(self.counts) else 0

    @cached_property
    def any_washed(self) -> bool:
        """Did the capture clip anything white (asked once per item)?"""
        return bool(self.washed.any())

    @cached_property
    def washed_px(self) -> np.ndarray:
        """Per id, its pixels clipped white by the capture (one count for every item)."""
        return camera.count_ids(self.ids, len(self.counts), self.washed.view(np.uint8) * np.uint8(255))

    def visible_fraction(self, item_id: int) -> float:
        return self.clean.visible_fraction(item_id) * self.in_frame_share(item_id)

    @cached_property
    def area_px(self) -> dict[int, int]:
        """What each item would cover alone, in image pixels: its owned pixels over its
        visible fraction (the page area times the local scale when nothing is seen)."""
        area = {}
        for item_id, before in self.clean.area_px.items():
            fraction, seen = self.visible_fraction(item_id), self.visible_px(item_id)
            area[item_id] = round(seen / fraction) if fraction > 0 and seen > 0 else \
                round(before * self.scale_at(self.clean.rasters[item_id].box) ** 2)
        return area

    def scale_at(self, box) -> float:
        if self.matrix is None:
            return 1.0
        return camera.local_scale(self.matrix, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))

    def map_points(self, points) -> np.ndarray:
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        return pts if self.matrix is None else camera.apply_h(self.matrix, pts)

    @cached_property
    def _to_page_matrix(self) -> np.ndarray:
        return np.linalg.inv(self.matrix)

    def to_page(self, points) -> np.ndarray:
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        return pts if self.matrix is None else camera.apply_h(self._to_page_matrix, pts)


def shoot(rendered: Rendered, shot: camera.Shot) -> Captured:
    size = rendered.image.size
    matrix = camera.page_to_image(shot, size) if shot.moves_geometry else None
    page = np.asarray(rendered.image)
    if matrix is None:
        rgb, ids, in_frame = page, rendered.ids, None
    else:
        rgb = camera.compose_on_table(page, matrix, shot, size)
        ids = camera.warp(rendered.ids, matrix, size, nearest=True)
        in_frame = None
        if shot.frame_fraction < 1.0:
            in_frame = camera.in_frame_counts(rendered.ids, matrix, size, len(rendered.counts))
    developed = camera.develop(rgb, shot)
    washed = developed.saturated
    if washed.any():  # only what had a colour is lost to clipping (near-white stays white)
        washed = washed & (camera.darkest_channel(rgb) < WHITE_BEFORE)
    # The same id buffer (geometry untouched) owns the same pixels: no need to count again.
    counts = rendered.counts if matrix is None else camera.count_ids(ids, len(rendered.counts))
    return Captured(developed.image, ids, rendered, matrix, in_frame, washed, counts)


# Judging the answer after capture ---------------------------------------------------------

def bearing_items(draft: Draft) -> list:
    """Items the answer rests on: those a context question marks (all of the page for a
    count), or by role; none (an absence question) means all of them, since any might be
    what is looked for."""
    marked = [it for it in draft.scene.items if ("asked", "yes") in getattr(it, "attributes", ())]
    if hasattr(draft, "depends") and draft.question.answer_type == "integer":
        # A count on a page ("how many dishes carry a dagger") rests on every text on it:
        # an entry cut off by the frame might carry the mark too.
        chosen = [it for it in draft.scene.items if isinstance(it, TextItem)]
    elif hasattr(draft, "depends"):
        chosen = marked
    else:
        chosen = [it for it in draft.scene.items if it.role in BEARING_ROLES]
    return chosen or list(draft.scene.items)


def lines_in_frame(items, shot: Captured) -> set[int]:
    """Ids of the (unshaped) lines whose characters are all wholly in frame, seen at
    once from the lines' boxes: a character's box lies within its line's box grown by
    CHAR_SLACK_PX, so when that grown box lands inside the image, so does every
    character (no need to measure a page's hundred lines character by character)."""
    lines = [it for it in items if isinstance(it, TextItem) and it.layout.shaping is None]
    if not lines:
        return set()
    boxes = np.array([it.bbox for it in lines], dtype=float) + np.array([-1, -1, 1, 1]) * CHAR_SLACK_PX
    corners = shot.map_points(boxes[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 2)).reshape(-1, 4, 2)
    w, h = shot.image.size
    inside = ((corners >= 0) & (corners <= (w, h))).all(axis=(1, 2))
    return {it.item_id for it, whole in zip(lines, inside) if whole}


def _text_loss(item: TextItem, shot: Captured, in_frame: bool = False) -> str:
    """'frame', 'glare' or '' for one text, judged per character; raises Resample when
    a character is partly cut or partly washed (a doubtful label). `in_frame`: every
    character is known to be wholly in frame (lines_in_frame)."""
    if in_frame:
        return _glare_loss(item, shot)
    w, h = shot.image.size
    boxes = np.asarray(item.layout.char_boxes, dtype=float).reshape(-1, 4)
    corners = shot.map_points(boxes[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 2)).reshape(-1, 4, 2)
    inside = ((corners >= 0) & (corners <= (w, h))).all(axis=(1, 2))
    frame = None if inside.all() else shapely_box(0, 0, w, h)
    shares = [1.0 if whole else _share_in(quad, frame) for quad, whole in zip(corners, inside)]
    if min(shares, default=1.0) < CUT_CHAR:
        return "frame"
    if min(shares, default=1.0) < IN_FRAME:
        raise Resample("a character is partly cut off by the frame")
    return _glare_loss(item, shot)


def _glare_loss(item: TextItem, shot: Captured) -> str:
    """'glare' when a character of a text in frame is half washed out, else ''."""
    if not shot.any_washed:
        return ""
    x0, y0, x1, y1 = _image_box(shot, item.bbox)
    if x1 <= x0 or y1 <= y0 or not shot.washed[y0:y1, x0:x1].any():
        return ""
    ys, xs = np.mgrid[y0:y1, x0:x1]
    page = shot.to_page(np.c_[xs.ravel() + 0.5, ys.ravel() + 0.5])
    in_chars = chars_at(item, page)  # (pixels, characters)
    washed = shot.washed[y0:y1, x0:x1].ravel()
    # Per character, the share of its pixels washed out (all characters at once).
    pixels = np.count_nonzero(in_chars, axis=0)
    hits = np.count_nonzero(in_chars & washed[:, None], axis=0)
    drawn = np.array([not char.isspace() for char in item.text]) & (pixels > 0)
    shares = (hits[drawn] / pixels[drawn]).tolist()
    if max(shares, default=0.0) >= WASHED_CHAR:  # one character lost is the text lost
        return "glare"
    if max(shares, default=0.0) >= DOUBT_CHAR:
        raise Resample("a character is partly washed out by glare")
    return ""


def _share_in(quad: np.ndarray, frame) -> float:
    polygon = Polygon(quad)
    return polygon.intersection(frame).area / polygon.area if polygon.area > 0 else 1.0


def _image_box(shot: Captured, box) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    mapped = shot.map_points([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    w, h = shot.image.size
    lo, hi = np.floor(mapped.min(axis=0)).astype(int), np.ceil(mapped.max(axis=0)).astype(int)
    return max(lo[0], 0), max(lo[1], 0), min(hi[0], w), min(hi[1], h)


def item_loss(item, shot: Captured, in_frame: bool = False) -> str:
    """'frame', 'glare' or '' for an item the answer rests on (`in_frame`: a text all
    of whose characters are known to be wholly in frame)."""
    if isinstance(item, TextItem):
        return _text_loss(item, shot, in_frame)
    if shot.in_frame_share(item.item_id) < IN_FRAME:
        return "frame"
    seen = shot.visible_px(item.item_id)
    if seen and shot.any_washed:
        washed = int(shot.washed_px[item.item_id])
        if washed / seen >= WASHED_OBJECT:
            return "glare"
    return ""


def _centre(item) -> tuple[float, float]:
    if isinstance(item, ShapeItem):
        c = item.geometry.centroid
        return (c.x, c.y)
    return tuple(np.asarray(item.layout.quad, dtype=float).mean(axis=0))


def _facts(draft: Draft, points: np.ndarray) -> tuple:
    """Which sign is the extreme one along each axis (the topmost, the leftmost ...)."""
    if getattr(draft.knobs, "referent", None) == "position":
        return tuple((int(np.argmin(points[:, a])), int(np.argmax(points[:, a]))) for a in (0, 1))
    return ()


def _mapped_corners(draft: Draft, ids, shot: Captured) -> np.ndarray:
    """The corners of items in the photo: a text's quad, a shape's box."""
    corners = []
    for it in (draft.scene.item(i) for i in ids):
        if isinstance(it, TextItem):
            corners += np.asarray(it.layout.quad, dtype=float).tolist()
        else:
            x0, y0, x1, y1 = it.bbox
            corners += [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    return shot.map_points(corners)


def check_page_relation(draft: Draft, shot: Captured) -> None:
    """A relation a page question states holds as seen in the photo, or the scene is
    redrawn (a tilted or rolled camera can turn a page so that the words no longer fit
    the image): the first entry's centre comes before the second's along the axis, and
    left-right (two columns, asked "as seen in the image") leaves no overlap at all.
    Above-below reads a list, whose neighbouring lines may overlap in y once rolled."""
    axis, first, second = draft.order
    a, b = _mapped_corners(draft, first, shot)[:, axis], _mapped_corners(draft, second, shot)[:, axis]
    if (a.min() + a.max()) / 2 >= (b.min() + b.max()) / 2 or (axis == 0 and a.max() >= b.min()):
        raise Resample(f"capture turned the page so that the asked {'xy'[axis]} order no longer shows")


def check_order(draft: Draft, shot: Captured) -> None:
    """What the answer reads off the frame is the same after capture (else resample):
    which sign is the extreme one; on a page, the stated relation between two entries
    (check_page_relation). Families whose answers are relations in the frame re-derive
    them on the photo themselves (Family.judge_photo)."""
    if shot.matrix is None:
        return
    if getattr(draft, "order", None):
        check_page_relation(draft, shot)
        return
    items = [it for it in draft.scene.items if it.role in ORDER_ROLES]
    if not items:
        return
    before = np.array([_centre(it) for it in items])
    if _facts(draft, before) != _facts(draft, shot.map_points(before)):
        raise Resample("capture changed what the answer reads off the frame")


def photo_boxes(draft: Draft, shot: Captured) -> dict[int, tuple[int, int, int, int]]:
    """Every item's box on the photo's id buffer (resample when one owns no pixel),
    searched near where its page box lands (a page pixel it owns can reach one pixel
    past its outline, and nearest sampling half a pixel more)."""
    boxes = {}
    for it in draft.scene.items:
        x0, y0, x1, y1 = it.bbox
        wx0, wy0, wx1, wy1 = _image_box(shot, (x0 - 2, y0 - 2, x1 + 2, y1 + 2))
        found = _owned_box(shot.ids[wy0:wy1, wx0:wx1], it.item_id)
        boxes[it.item_id] = None if found is None else (found[0] + wx0, found[1] + wy0, found[2] + wx0,
                                                        found[3] + wy0)
    if any(b is None for b in boxes.values()):
        raise Resample("an object owns no pixel in the photo")
    return boxes


def _box_ids(draft: Draft) -> list[int]:
    ids = list(getattr(draft, "box_ids", ()) or ())
    return ids or [it.item_id for it in draft.scene.items if it.role == "target"]


def _owned_box(ids: np.ndarray, item_id: int):
    ys, xs = np.nonzero(ids == item_id)
    if xs.size == 0:
        return None
    return (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)


def captured_question(draft: Draft, shot: Captured, lost: str) -> Question:
    q = draft.question
    prompt = q.question if UNANSWERABLE in q.question else q.question + ABSTAIN_CLAUSE
    if lost and q.answerable:
        return Question(prompt, UNANSWERABLE, q.answer_type, choices=q.choices, aliases=UNANSWERABLE_ALIASES,
                        answerable=False)
    if q.answer_type == "bbox" and q.answerable:
        boxes = [b for i in _box_ids(draft) if (b := _owned_box(shot.ids, i)) is not None]
        if not boxes:
            raise Resample("the boxed item owns no pixels after capture")
        arr = np.asarray(boxes)
        answer = str([int(arr[:, 0].min()), int(arr[:, 1].min()), int(arr[:, 2].max()), int(arr[:, 3].max())])
        return dataclasses.replace(q, question=prompt, answer=answer)
    return dataclasses.replace(q, question=prompt)


def _target_px(items: list, shot: Captured) -> float | None:
    for kind in (TextItem, ShapeItem):
        for it in items:
            if isinstance(it, kind):
                size = it.layout.text_px if isinstance(it, TextItem) else it.size_px
                return round(float(size) * shot.scale_at(it.bbox), 2)
    return None


def captured_draft(draft: Draft, shot: Captured, values: dict[str, Any], camera_shot: camera.Shot,
                   in_frame: float, judge=None) -> Draft:
    items = bearing_items(draft)
    whole = lines_in_frame(items, shot)
    lost, doubt = "", None
    for it in items:
        try:
            lost = item_loss(it, shot, it.item_id in whole)
        except Resample as why:  # doubtful, unless another item is lost outright
            doubt = why
            continue
        if lost:  # the first item lost decides: the others cannot change the answer
            break
    if doubt is not None and not lost:
        raise doubt
    if not lost:  # what the answer reads off the frame, as the photo shows it
        if judge is not None and not hasattr(draft, "depends"):
            draft = judge(draft, photo_boxes(draft, shot), shot.image.size)
        else:
            check_order(draft, shot)
    question = captured_question(draft, shot, lost)
    photo_px = _target_px(items, shot) if len(items) < len(draft.scene.items) or len(items) == 1 else None
    spread = max(1.0, math.hypot(values["blur_px"], values["motion_px"] / 2))
    record = {f.name: getattr(draft.knobs, f.name) for f in dataclasses.fields(draft.knobs)}
    matrix = shot.matrix if shot.matrix is not None else np.eye(3)
    record.update(values, motion_deg=camera_shot.motion_deg if values["motion_px"] else None,
                  tilt_axis_deg=camera_shot.tilt_axis_deg if values["tilt_deg"] else None,
                  target_photo_px=photo_px, effective_px=round(photo_px / spread, 2) if photo_px else None,
                  in_frame=round(in_frame, 4), lost=lost or "none",
                  page_to_image=json.dumps(np.round(matrix, 6).tolist()))
    knobs = with_capture(type(draft.knobs))(**record)
    return dataclasses.replace(draft, knobs=knobs, question=question)


def page_in_frame(shot: Captured) -> float:
    if shot.in_frame_px is None:
        return 1.0
    return float(shot.in_frame_px.sum()) / float(shot.clean.counts.sum())


ZOOM_TRIES = 6  # photographs tried for a capture twin that zooms the answer out of frame
FAMILY_TWIN_TRIES = 12  # photos of a family's twins before capture twins instead
SHOTS_PER_SCENE = 3  # photos of one rendered scene before a new scene is drawn


def capture_twins(family_pairs: str, part) -> bool:
    """With --pairs, is the twin a second photograph of the same scene (the frame or the
    glare changed, the answer flipping to "unanswerable")? Yes when the capture is what
    the run studies (a capture knob is swept) or the family makes no twins of its own;
    otherwise the twin is the family's own (one fact changed), photographed alike."""
    return not family_pairs or any(s.knob in KNOB_NAMES for s in part.sweeps)


@dataclass
class Camera:
    """The capture of one index: its knob values (fixed) and its random stream (a new
    framing, glare and table per attempt). Every scene of an index (a question and its
    caption, a family's minimal pair) is photographed alike. With `pairs` (capture
    twins, see capture_twins), the twin is the same scene photographed with one knob
    changed so the answer flips between the text and "unanswerable": the frame cuts
    the answer's items off, or (when the first shot lost them) takes the whole page in,
    or the glare goes."""

    family: str
    values: dict[str, Any]
    rng: np.random.Generator
    pairs: bool = False
    judge: Any = None  # the family's judge_photo, if it has one
    twins_lost: int = 0  # attempts whose photo hid the fact a family's twins differ in

    @classmethod
    def for_index(cls, family, part, plan) -> Camera | None:
        if not uses_capture(part):
            return None
        rng = capture_rng(part.seed, family.name, plan.index)
        pairs = bool(plan.options.get("pairs")) and capture_twins(family.pairs, part)
        return cls(family.name, capture_values(dict(plan.pinned), rng), rng, pairs, family.judge_photo)

    def scene_plan(self, plan):
        """The plan the scene is composed from, marked `photographed` (the gold then follows
        the photo, so a family need not aim a planned answer the camera would move); capture
        twins replace the family's own."""
        options = {**plan.options, "photographed": True}
        if self.pairs:
            options.pop("pairs", None)
        return dataclasses.replace(plan, options=options)

    def _draft(self, draft: Draft, rendered: Rendered, shot: camera.Shot, values: dict) -> tuple[Draft, Captured]:
        captured = shoot(rendered, shot)
        return captured_draft(draft, captured, values, shot, page_in_frame(captured), self.judge), captured

    def shoot(self, drafts: list[Draft], renders: list[Rendered]) -> tuple[list[Draft], list[Captured]]:
        """Every scene of the index photographed alike; drafts re-judged on the photo.
        A family's twins the photos keep failing (this index's frame cuts every count off,
        its glare washes the changed detail out, its roll turns the mirrored answer away)
        become, after FAMILY_TWIN_TRIES photos, capture twins of the first scene. A scene
        whose photo fails is photographed again (a new framing and light) a few times
        before it is given up: scenes can be far harder to come by than photos."""
        for _ in range(SHOTS_PER_SCENE - 1):
            try:
                return self._shoot_once(drafts, renders, draw_shot(self.values, self.rng))
            except Resample:
                continue
        return self._shoot_once(drafts, renders, draw_shot(self.values, self.rng))

    def _shoot_once(self, drafts: list[Draft], renders: list[Rendered], shot: camera.Shot
                    ) -> tuple[list[Draft], list[Captured]]:
        if self.pairs:
            return self._pair(drafts[0], renders[0], shot)
        family_twins = len(drafts) == 2 and all(d.group for d in drafts)
        try:
            return self._alike(drafts, renders, shot)
        except Resample:
            if not family_twins:
                raise
            self.twins_lost += 1
            if self.twins_lost < FAMILY_TWIN_TRIES:
                raise
        return self._pair(drafts[0], renders[0], shot)

    def _alike(self, drafts: list[Draft], renders: list[Rendered], shot: camera.Shot
               ) -> tuple[list[Draft], list[Captured]]:
        shots: dict[int, Captured] = {}
        out_drafts, out_shots = [], []
        for draft, rendered in zip(drafts, renders):
            if id(rendered) not in shots:
                shots[id(rendered)] = shoot(rendered, shot)
            captured = shots[id(rendered)]
            out_drafts.append(captured_draft(draft, captured, self.values, shot, page_in_frame(captured), self.judge))
            out_shots.append(captured)
        twins = [d for d in out_drafts if d.group]
        if len({d.question.answer for d in twins}) < len(twins) or len({d.knobs.lost for d in twins}) > 1:
            raise Resample("the photo no longer tells the twins apart")  # e.g. a target cut off
        return out_drafts, out_shots

    def _zoom_away(self, draft: Draft, shot: camera.Shot, size: tuple[int, int]) -> list[dict]:
        """Framings that zoom in on a corner of the page, away from the answer's items:
        first those whose frame leaves one of them wholly outside (seen from the homography
        alone, before any photo is taken; a frame that half cuts every item is doubtful)."""
        boxes = np.array([it.bbox for it in bearing_items(draft)], dtype=float)
        w, h = size
        candidates = [{"frame_fraction": round(float(self.rng.uniform(0.25, 0.6)), 2),
                       "offset": (float(self.rng.integers(2)), float(self.rng.integers(2)))} for _ in range(12)]

        def loses_one(change: dict) -> bool:
            matrix = camera.page_to_image(dataclasses.replace(shot, **change), size)
            quads = camera.apply_h(matrix, boxes[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 2)).reshape(-1, 4, 2)
            lo, hi = quads.min(axis=1), quads.max(axis=1)
            return bool(((hi[:, 0] <= 0) | (lo[:, 0] >= w) | (hi[:, 1] <= 0) | (lo[:, 1] >= h)).any())

        return sorted(candidates, key=lambda c: not loses_one(c))[:ZOOM_TRIES]

    def _pair(self, draft: Draft, rendered: Rendered, shot: camera.Shot) -> tuple[list[Draft], list[Captured]]:
        if not draft.question.answerable:  # unanswerable before capture (hidden text): nothing to flip
            first, first_shot = self._draft(draft, rendered, shot, self.values)
            return [first], [first_shot]
        draft = dataclasses.replace(draft, group=True)  # twins: a judge keeps the question as asked
        first, first_shot = self._draft(draft, rendered, shot, self.values)
        lost = first.knobs.lost
        # One knob changed where that flips the answer; the light fixed too only where the
        # index's glare or overexposure would wash the answer out of every photo.
        light = ({"glare": 0.0}, {"exposure": 0.0}, {"glare": 0.0, "exposure": 0.0})
        if lost == "glare":
            changes = list(light)
        elif lost == "frame":
            changes = [{"frame_fraction": 1.0}] + [{"frame_fraction": 1.0, **fix} for fix in light]
        else:
            changes = self._zoom_away(draft, shot, rendered.image.size)
        real = ({k: v for k, v in c.items() if getattr(shot, k) != v} for c in changes)
        for change in dict.fromkeys(tuple(c.items()) for c in real if c):  # each distinct shot once
            change = dict(change)
            knob_change = {k: v for k, v in change.items() if k in KNOB_NAMES}
            twin_shot = dataclasses.replace(shot, **change)
            try:
                twin, twin_captured = self._draft(draft, rendered, twin_shot, {**self.values, **knob_change})
            except Resample:
                continue
            if (twin.knobs.lost == "none") != (lost == "none"):
                return ([dataclasses.replace(first, group=True),
                         dataclasses.replace(twin, variant="b", group=True)], [first_shot, twin_captured])
        raise Resample("no framing flips the answer")


# The scene column through the camera -------------------------------------------------------

def _mapped_box(captured: Captured, box) -> list[float]:
    x0, y0, x1, y1 = box
    pts = captured.map_points([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    return [round(float(v), 2) for v in (lo[0], lo[1], hi[0], hi[1])]


def map_scene_record(record: dict, captured: Captured) -> dict:
    """Boxes, outlines, quads and character boxes in image pixels after capture."""
    if captured.matrix is None:
        return record
    w, h = captured.image.size
    record = {**record, "width": w, "height": h}
    record["objects"] = [{**o, "bbox": _mapped_box(captured, o["bbox"]),
                          "polygon": np.round(captured.map_points(o["polygon"]), 2).tolist() if o["polygon"] else []}
                         for o in record["objects"]]
    record["texts"] = [{**t, "bbox": _mapped_box(captured, t["bbox"]),
                        "quad": np.round(captured.map_points(t["quad"]), 2).tolist(),
                        "char_boxes": [_mapped_box(captured, b) for b in t["char_boxes"]],
                        # Shaped text: its grapheme clusters' boxes, like the character boxes.
                        **({"clusters": [{**c, "bbox": _mapped_box(captured, c["bbox"])} for c in t["clusters"]]}
                           if t.get("clusters") else {})}
                       for t in record["texts"]]
    return record
