"""The rule that turns a whole-image OCR pass into an answer, from the question alone.

1. The question names its sign: "the red sign" (colour), "the oval sign" (shape), "the
   leftmost sign" (position). A question that names no sign this way is not attempted.
2. Signs are found on the pixels: regions that differ from the background (the colour of
   the image's border), holes filled, that hold ink of another colour inside (plain
   shapes are one colour). Each sign gets its board colour (its most common colour,
   named by the nearest palette colour), its shape (the sign outline, among the five
   sign shapes, that overlaps its region best at its principal axis, either way round)
   and its box.
3. The referent picks one sign: the one of that colour (the largest, if several), the one
   whose region fits the named shape best, or the one furthest in the named direction.
4. The answer is the OCR lines whose centre lies on that sign, in reading order; when
   the whole-image pass found none there (text too small for the detector), the sign's
   region, turned upright, is given to the recogniser alone. Nothing read: "cannot
   read", an abstention, never a made-up string.

The recorded boxes of the scene are never read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from gen_stress.readers.engines import Line, is_rtl
from gen_stress.scenes.colors import PALETTE
from gen_stress.scenes.shapes import SIGN_SHAPES, sign_outline

DIRECTIONS = {"leftmost": "left", "rightmost": "right", "topmost": "top", "bottommost": "bottom"}
QUESTION = re.compile(r"What does the text on the (?P<which>[\w -]+?) sign(?: \(as seen in the image\))? say\?")
BACKGROUND_TOLERANCE = 14  # a pixel this close (max channel difference) to the background is background
INK_TOLERANCE = 40  # a pixel this far from the board colour is ink
MIN_SIGN_PX = 40  # smaller regions are noise
MIN_INK_SHARE = 0.015  # a sign holds at least this share of ink inside its board
CURRENCY = "$€£¥"  # prices end in "€": a word of its own
CANNOT_READ = "cannot read"  # an abstention phrase of the scoring's parser


@dataclass(frozen=True)
class Referent:
    kind: str  # color, shape, position
    value: str  # "red", "oval", "left"


@dataclass(frozen=True)
class Sign:
    mask: np.ndarray  # filled region, full image size
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)
    color: str  # nearest palette colour of the board
    angle_deg: float  # principal axis, counter-clockwise as seen
    shape_fit: dict  # sign shape -> IoU of its outline with the region


def referent(question: str) -> Referent | None:
    """What the question picks its sign by, or None when it asks nothing this rule reads."""
    found = QUESTION.search(question or "")
    if not found:
        return None
    which = found.group("which").strip()
    if which in PALETTE:
        return Referent("color", which)
    if which in SIGN_SHAPES:
        return Referent("shape", which)
    if which in DIRECTIONS:
        return Referent("position", DIRECTIONS[which])
    return None


def _background(rgb: np.ndarray) -> np.ndarray:
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    colors, counts = np.unique(border, axis=0, return_counts=True)
    return colors[counts.argmax()].astype(int)


def _mode_color(pixels: np.ndarray) -> np.ndarray:
    colors, counts = np.unique(pixels, axis=0, return_counts=True)
    return colors[counts.argmax()].astype(int)


def nearest_palette(rgb) -> str:
    return min(PALETTE, key=lambda name: sum((int(a) - int(b)) ** 2 for a, b in zip(PALETTE[name], rgb)))


def _principal_angle(ys: np.ndarray, xs: np.ndarray) -> float:
    """Angle of the region's long axis, counter-clockwise as seen (y points down)."""
    cov = np.cov(np.stack([xs, ys]).astype(float))
    evals, evecs = np.linalg.eigh(cov)
    vx, vy = evecs[:, evals.argmax()]
    return math.degrees(math.atan2(-vy, vx))


def _shape_fit(mask: np.ndarray, box, angle_deg: float) -> dict:
    """IoU of each sign outline with the region, fitted to the region's extents along its
    axes, at the axis angle and turned half round (arrows point one way)."""
    from PIL import Image, ImageDraw

    x0, y0, x1, y1 = box
    local = mask[y0:y1, x0:x1]
    ys, xs = np.nonzero(local)
    cx, cy = xs.mean(), ys.mean()
    fits = {}
    for turn in (0.0, 180.0):
        theta = math.radians(angle_deg + turn)
        u = np.array([math.cos(theta), -math.sin(theta)])  # along the text, in image coordinates
        v = np.array([math.sin(theta), math.cos(theta)])  # down the text
        pu, pv = (xs - cx) * u[0] + (ys - cy) * u[1], (xs - cx) * v[0] + (ys - cy) * v[1]
        ext = (pu.min() - 0.5, pv.min() - 0.5, pu.max() + 0.5, pv.max() + 0.5)
        width, height = ext[2] - ext[0], ext[3] - ext[1]
        for shape in SIGN_SHAPES:
            outline = sign_outline(shape, (0.0, 0.0, width, height))
            lo, hi = outline.min(axis=0), outline.max(axis=0)
            scaled = (outline - lo) / np.maximum(hi - lo, 1e-6) * [width, height] + [ext[0], ext[1]]
            points = [(cx + a * u[0] + b * v[0], cy + a * u[1] + b * v[1]) for a, b in scaled]
            canvas = Image.new("1", (x1 - x0, y1 - y0), 0)
            ImageDraw.Draw(canvas).polygon(points, fill=1)
            drawn = np.asarray(canvas, dtype=bool)
            iou = float((drawn & local).sum() / max(1, (drawn | local).sum()))
            fits[shape] = max(fits.get(shape, 0.0), iou)
    return fits


def find_signs(rgb: np.ndarray) -> list[Sign]:
    """Regions that differ from the background and hold ink of another colour."""
    rgb = rgb.astype(int)
    background = _background(rgb)
    foreground = np.abs(rgb - background).max(axis=2) > BACKGROUND_TOLERANCE
    labels, count = ndimage.label(foreground, structure=np.ones((3, 3)))
    signs = []
    for k, where in enumerate(ndimage.find_objects(labels), 1):
        if where is None:
            continue
        region = ndimage.binary_fill_holes(labels[where] == k)
        if region.sum() < MIN_SIGN_PX:
            continue
        pixels = rgb[where]
        board = _mode_color(pixels[labels[where] == k])
        inside = ndimage.binary_erosion(region, iterations=2)
        ink = (np.abs(pixels - board).max(axis=2) > INK_TOLERANCE) & (
            np.abs(pixels - background).max(axis=2) > BACKGROUND_TOLERANCE)
        if not inside.any() or (ink & inside).sum() / inside.sum() < MIN_INK_SHARE:
            continue
        mask = np.zeros(rgb.shape[:2], dtype=bool)
        mask[where] = region
        box = (where[1].start, where[0].start, where[1].stop, where[0].stop)
        ys, xs = np.nonzero(region)
        angle = _principal_angle(ys, xs)
        signs.append(Sign(mask, box, nearest_palette(board), angle, _shape_fit(mask, box, angle)))
    return signs


def pick_sign(signs: list[Sign], ref: Referent) -> Sign | None:
    if not signs:
        return None
    if ref.kind == "color":
        same = [s for s in signs if s.color == ref.value]
        return max(same, key=lambda s: int(s.mask.sum())) if same else None
    if ref.kind == "shape":
        named = [s for s in signs if max(s.shape_fit, key=s.shape_fit.get) == ref.value] or signs
        return max(named, key=lambda s: s.shape_fit[ref.value])
    key = {"left": lambda s: s.box[0], "right": lambda s: -s.box[2], "top": lambda s: s.box[1],
           "bottom": lambda s: -s.box[3]}[ref.value]
    return min(signs, key=key)


def lines_on(sign: Sign, lines: list[Line], rtl: bool = False) -> list[Line]:
    """The lines whose centre lies on the sign, in reading order along the sign's axis
    (from its right end for right-to-left text)."""
    grown = ndimage.binary_dilation(sign.mask, iterations=2)
    height, width = grown.shape
    on = [ln for ln in lines if 0 <= int(ln.center[1]) < height and 0 <= int(ln.center[0]) < width
          and grown[int(ln.center[1]), int(ln.center[0])]]
    theta = math.radians(sign.angle_deg)
    along = sorted(on, key=lambda ln: ln.center[0] * math.cos(theta) - ln.center[1] * math.sin(theta))
    return along[::-1] if rtl else along


def upright_crop(rgb: np.ndarray, sign: Sign) -> np.ndarray:
    """The sign's box, turned so that its long axis is horizontal (the recogniser's
    angle classifier, where there is one, settles upside-down text)."""
    from PIL import Image

    x0, y0, x1, y1 = sign.box
    crop = Image.fromarray(rgb[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2])
    angle = ((sign.angle_deg + 90) % 180) - 90  # the smaller turn to horizontal
    if abs(angle) > 2:
        crop = crop.rotate(-angle, expand=True, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    return np.asarray(crop)


def trim_edge_marks(text: str) -> str:
    """Drop words at either end that hold no letter, digit or currency sign: the sign's own
    edges read as "<", ">" or "=" by an engine (Tesseract) that sees the whole sign."""
    def kept(word: str) -> bool:
        return any(c.isalnum() or c in CURRENCY for c in word)

    words = text.split()
    while words and not kept(words[0]):
        words.pop(0)
    while words and not kept(words[-1]):
        words.pop()
    return " ".join(words)


def answer(engine, rgb: np.ndarray, ref: Referent, language: str = "en") -> str:
    """The reader's reply to a question whose referent is `ref`, on the image `rgb`,
    reading text of `language` (a gen-stress language code)."""
    sign = pick_sign(find_signs(rgb), ref)
    if sign is None:
        return CANNOT_READ
    found = lines_on(sign, engine.lines(rgb, language), rtl=is_rtl(language))
    text = (" ".join(ln.text for ln in found) if found
            else engine.read_crop(upright_crop(rgb, sign), language))
    return trim_edge_marks(text) or CANNOT_READ
