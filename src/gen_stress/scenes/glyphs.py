"""Look-alike glyphs: which confusable characters a font, at a size, draws so alike that a
careful reader cannot tell which one is printed.

A code "2L9-3O8" in a font whose O is a 0 with a little more width has no one right
reading. Codes and pseudowords (no vocabulary to lean on) therefore avoid every
character that has a look-alike in the font at the size drawn.

How two glyphs are compared (`glyph_difference`): each is rendered at the item's cap
height and outline width, cropped to its ink, and resized to a common box: the height
NORM_PX and the mean of the two widths, then blurred a little. That removes what a reader
cannot judge without the other glyph beside it (O a little wider than 0, l a little taller
than I, a hairline of an outline a pixel off) and keeps what tells them apart on its own
(the dot or slash of a zero, the tail of a Q, the flag of a 1, the straight back of a B).
The difference is the strongest local mismatch: the mean absolute difference over the
worst WINDOW_PX square. A clear height difference (old-style figures, o against 0) also
tells glyphs apart.

The threshold was read off renders of the pairs in all 20 catalogue fonts at 6 to 40 px,
solid and outlined, looked at side by side: O/0 in Roboto Condensed (solid and outlined,
12 to 36 px), DejaVu Sans and Sans Mono, Breip, Kaushan Script, and I/l in Liberation Sans,
Roboto Condensed and Open Sans score 0.0 to 0.37; dotted and slashed zeros (Liberation
Mono, Inconsolata), Q's tails, the flag of a 1 and the straight back of a B in Open Sans
score 0.40 and up. Near the threshold (B/8 in DejaVu Sans Mono, 0.36) the rule errs on the
side of refusing, which costs a redraw, never a label.

`look_alike` gives `glyph_difference`'s verdict for less: the same measure written as
matrix products on the glyphs' pixels (see `_seen`), exact where the measure is linear and
within 2/255 of it where Pillow's resize rounds (`SURE_MARGIN`); a difference that close to
the threshold is measured again the reference way, so every verdict is the reference's.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

from gen_stress.scenes.fonts import FontInfo
from gen_stress.scenes.render import as_array
from gen_stress.scenes.text import _glyph, basic_pil, core_pixels

# Sets of strings that read alike in many fonts. Multi-letter members ("rn") are matched as
# substrings. Case pairs (o/O, s/S) are left out: the case a reader gives is scored anyway.
CONFUSABLE_SETS: tuple[tuple[str, ...], ...] = (
    ("O", "0", "D", "Q"),
    ("o", "0"),
    ("I", "l", "1", "|"),
    ("S", "5"),
    ("B", "8"),
    ("Z", "2"),
    ("G", "6"),
    ("rn", "m"),
    ("cl", "d"),
    ("vv", "w"),
    ("g", "9"),
)
NORM_PX = 32  # glyphs are compared at this height
BLUR_PX = 1.5  # then blurred: a misaligned hairline of an outline is not a feature, a dot is
WINDOW_PX = 6  # the size of a telling feature (a dot, a slash, a tail) at NORM_PX
MIN_TELL_PX = 8  # below this cap height no feature tells look-alikes apart
ALIKE_BELOW = 0.38  # a difference under this: the two read alike
HEIGHT_TELLS = 0.2  # |log height ratio| above this: the heights alone tell them apart


# Cache bounds in this module follow measured reuse (scripts/cache_reuse.py): a glyph's
# ink and mask are asked again within an item or hardly ever, so large bounds only grew a
# worker with --n (its float64 inks were tens of MiB by 5,000 items).
@lru_cache(maxsize=256)
def _ink_image(font: FontInfo, text: str, text_px: int, stroke_px: int) -> Image.Image:
    """The text's ink (0..255) as the renderer draws it, cropped to its box: the stroke
    only for outlined letters. Drawn once per glyph, size and outline (a glyph is in up
    to three of the pairs compared)."""
    pil = font.pil(font.em_for_cap(text_px))
    # ImageDraw.text(origin, ...) on an image 4 px larger than the box, origin 2 px in
    # from its top-left corner, without the separate getbbox layout: the mask it draws
    # through (getmask2) has the box's size, and its offset is the box's corner.
    outer, (x0, y0) = pil.getmask2(text, "L", None, None, None, stroke_px, "ls", 255, (0.0, 0.0), stroke_filled=True)
    width, height = outer.size
    image = Image.new("L", (width + 4, height + 4), 0)
    draw = ImageDraw.Draw(image).draw
    draw.draw_bitmap((2, 2), outer, 255)
    if stroke_px:  # hollow letters: the fill is the sign's colour
        fill, (fx, fy) = pil.getmask2(text, "L", None, None, None, 0, "ls", 0, (0.0, 0.0), stroke_filled=True)
        draw.draw_bitmap((2 - x0 + fx, 2 - y0 + fy), fill, 0)
    box = image.getbbox()
    return image.crop(box) if box else image


def _solid_height(ink: np.ndarray) -> int:
    """Rows holding ink of at least half strength (128 of 255: v / 255 >= 0.5 exactly
    from 128 up): the faint rows of an overshoot or of antialiasing do not make a glyph
    look taller."""
    rows = np.flatnonzero((ink >= 128).any(axis=1))
    return int(rows[-1] - rows[0] + 1) if rows.size else 1


@lru_cache(maxsize=256)
def _glyph_height(font: FontInfo, text: str, text_px: int, stroke_px: int) -> int:
    return _solid_height(as_array(_ink_image(font, text, text_px, stroke_px)))


def _resized(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    # The 8-bit ink itself (the 0..1 floats once held here, rounded back to bytes, are it).
    return as_array(image.resize(size, Image.Resampling.BILINEAR)).astype(np.float32) / 255.0


@lru_cache(maxsize=4)
def _blur_weights(sigma: float) -> np.ndarray | None:
    """ndimage.gaussian_filter's own kernel (reversed for correlation), made once; None
    where scipy keeps it elsewhere (then gaussian_filter itself is called)."""
    kernel = getattr(getattr(ndimage, "_filters", None), "_gaussian_kernel1d", None)
    return None if kernel is None else kernel(sigma, 0, int(4.0 * sigma + 0.5))[::-1]


def _blurred(ink: np.ndarray) -> np.ndarray:
    """ndimage.gaussian_filter(ink, BLUR_PX): the same two passes without re-making its kernel."""
    weights = _blur_weights(BLUR_PX)
    if weights is None:
        return ndimage.gaussian_filter(ink, BLUR_PX)
    out = np.empty_like(ink)
    ndimage.correlate1d(ink, weights, 0, out, "reflect", 0.0, 0)
    ndimage.correlate1d(out, weights, 1, out, "reflect", 0.0, 0)
    return out


@lru_cache(maxsize=256)
def glyph_difference(font: FontInfo, a: str, b: str, text_px: int, stroke_px: int = 0) -> float:
    """How clearly a reader tells `a` from `b` in this font at this cap height (0: the
    same picture; see the module docstring)."""
    solid_a, solid_b = _glyph_height(font, a, text_px, stroke_px), _glyph_height(font, b, text_px, stroke_px)
    if abs(solid_a - solid_b) >= 2 and abs(math.log(solid_a / solid_b)) > HEIGHT_TELLS:  # a pixel is rounding
        return 1.0
    if text_px < MIN_TELL_PX:  # a 2-pixel tail or dot is a smudge; upscaled it would look like a feature
        return 0.0
    ink_a, ink_b = _ink_image(font, a, text_px, stroke_px), _ink_image(font, b, text_px, stroke_px)
    (wa, ha), (wb, hb) = ink_a.size, ink_b.size
    width = max(2, round(NORM_PX * (wa / ha + wb / hb) / 2))
    seen_a, seen_b = (_blurred(_resized(ink, (width, NORM_PX))) for ink in (ink_a, ink_b))
    return float(ndimage.uniform_filter(np.abs(seen_a - seen_b), size=WINDOW_PX, mode="constant").max())


COMMA_INK = 100  # (of 255) the faint tail of a small comma counts as ink: a reader sees it


@lru_cache(maxsize=1024)
def comma_reads_apart(font: FontInfo, text_px: int) -> bool:
    """Whether the font's comma reaches at least a pixel below its full stop at this size.
    In some script faces (Dancing Script) the comma is a dot on the baseline at any size
    a card prints: a price with a decimal comma, "11,50", reads "11.50"."""
    bottoms = []
    for mark in (",", "."):
        mask, (_x0, y0) = _mask(font, mark, text_px, 0)
        rows = np.flatnonzero((mask >= COMMA_INK).any(axis=1)) if mask is not None else np.array([])
        if not rows.size:
            return False
        bottoms.append(y0 + int(rows[-1]))
    return bottoms[0] >= bottoms[1] + 1


def look_alike(font: FontInfo, a: str, b: str, text_px: int, stroke_px: int = 0) -> bool:
    """`glyph_difference(...) < ALIKE_BELOW`, the same verdict for less (module docstring)."""
    return _look_alike(font, a, b, text_px, stroke_px)


# The fast measure ---------------------------------------------------------------------
#
# Pillow's BILINEAR resize of an 8-bit image is a separable convolution with non-negative
# weights summing to one, each pass rounded to whole levels: its pixels lie within one
# level (1/255) of the same convolution unrounded (half a level per pass; the second pass
# averages the first's error). The blur and the window mean are averages too, so the
# difference measured on unrounded resizes lies within 2/255 (0.0079) of the reference's
# (float rounding adds ~1e-6). Beyond SURE_MARGIN of the threshold the verdicts agree.
SURE_MARGIN = 0.01


@lru_cache(maxsize=4096)
def _look_alike(font: FontInfo, a: str, b: str, text_px: int, stroke_px: int) -> bool:
    solid_a, solid_b = _height(font, a, text_px, stroke_px), _height(font, b, text_px, stroke_px)
    if abs(solid_a - solid_b) >= 2 and abs(math.log(solid_a / solid_b)) > HEIGHT_TELLS:
        return False  # glyph_difference: 1.0
    if text_px < MIN_TELL_PX:
        return True  # glyph_difference: 0.0
    difference = _fast_difference(_ink(font, a, text_px, stroke_px), _ink(font, b, text_px, stroke_px))
    if abs(difference - ALIKE_BELOW) <= SURE_MARGIN:
        difference = glyph_difference(font, a, b, text_px, stroke_px)
    return difference < ALIKE_BELOW


@lru_cache(maxsize=1024)
def _mask(font: FontInfo, text: str, text_px: int, stroke_px: int) -> tuple[np.ndarray | None, tuple[int, int]]:
    """Pillow's glyph mask of the text (what `_ink_image` draws through) as an array
    (None: no ink) and its offset; the unstroked one is also the fill of every outlined
    size's letters. A single unstroked character is the text renderer's cached glyph
    (the same getmask2 mask: a code drawn at this size reuses it, and it them)."""
    if len(text) == 1 and not stroke_px:
        glyph = _glyph(basic_pil(font, text_px), text)
        return glyph.bitmap, glyph.box[:2]
    core, offset = font.pil(font.em_for_cap(text_px)).getmask2(text, "L", None, None, None, stroke_px, "ls", 255, (0.0, 0.0), stroke_filled=True)
    width, height = core.size
    return (core_pixels(core) if width and height else None), offset


@lru_cache(maxsize=256)
def _ink(font: FontInfo, text: str, text_px: int, stroke_px: int) -> np.ndarray:
    """`_ink_image`'s pixels (as float64, read only), without its Pillow images: a mask
    drawn with ink 255 on black keeps its values; the fill drawn with ink 0 over the
    stroke blends each pixel v under mask m to (v * (255 - m) + 128) / 255 in Pillow's
    integer rounding (tests/test_ocr_labels.py checks both against Pillow)."""
    outer, (x0, y0) = _mask(font, text, text_px, stroke_px)
    if outer is None:  # no ink: the blank image, 2 px of margin all round
        width, height = _blank_size(font, text, text_px, stroke_px)
        out = np.zeros((height + 4, width + 4))
        out.flags.writeable = False
        return out
    height, width = outer.shape
    if not stroke_px:  # the mask alone, its ink cropped (the blank margin holds none)
        rows, cols = np.flatnonzero(outer.any(axis=1)), np.flatnonzero(outer.any(axis=0))
        out = (outer[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].astype(np.float64) if rows.size
               else np.zeros((height + 4, width + 4)))
        out.flags.writeable = False
        return out
    image = np.zeros((height + 4, width + 4), np.int64)
    image[2:2 + height, 2:2 + width] = outer
    fill, (fx, fy) = _mask(font, text, text_px, 0)  # the letters' fill, drawn over the stroke
    col, row = 2 - x0 + fx, 2 - y0 + fy
    if fill is not None:
        c0, r0 = max(col, 0), max(row, 0)
        c1, r1 = min(col + fill.shape[1], width + 4), min(row + fill.shape[0], height + 4)
        if c1 > c0 and r1 > r0:
            m = fill[r0 - row:r1 - row, c0 - col:c1 - col].astype(np.int64)
            blended = image[r0:r1, c0:c1] * (255 - m) + 128
            image[r0:r1, c0:c1] = ((blended >> 8) + blended) >> 8
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    if rows.size:
        image = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    out = image.astype(np.float64)
    out.flags.writeable = False
    return out


def _blank_size(font: FontInfo, text: str, text_px: int, stroke_px: int) -> tuple[int, int]:
    """The size of the mask of a text without ink (`_ink_image`'s blank image is 4 px larger)."""
    pil = font.pil(font.em_for_cap(text_px))
    core, _offset = pil.getmask2(text, "L", None, None, None, stroke_px, "ls", 255, (0.0, 0.0), stroke_filled=True)
    return core.size


@lru_cache(maxsize=1024)
def _height(font: FontInfo, text: str, text_px: int, stroke_px: int) -> int:
    return _solid_height(_ink(font, text, text_px, stroke_px))


def _fast_difference(ink_a: np.ndarray, ink_b: np.ndarray) -> float:
    """`glyph_difference`'s measure of two inks, resized without rounding (see SURE_MARGIN)."""
    (ha, wa), (hb, wb) = ink_a.shape, ink_b.shape
    width = max(2, round(NORM_PX * (wa / ha + wb / hb) / 2))
    seen = _seen(ink_a, width) - _seen(ink_b, width)
    np.abs(seen, out=seen)
    return float((_window(NORM_PX) @ seen @ _window(width).T).max()) / 255.0


def _seen(ink: np.ndarray, width: int) -> np.ndarray:
    """The ink resized to (NORM_PX, width) and blurred, in levels: each axis's resize and
    blur are one matrix, as both are linear."""
    height, ink_width = ink.shape
    return _blurred_resize(height, NORM_PX) @ ink @ _blurred_resize(ink_width, width).T


@lru_cache(maxsize=1024)
def _blurred_resize(size: int, new_size: int) -> np.ndarray:
    """(new_size, size): Pillow's bilinear resize along one axis, unrounded (no pass when
    the size stays), then the blur along that axis."""
    return _blur(new_size) if size == new_size else _blur(new_size) @ _bilinear(size, new_size)


@lru_cache(maxsize=256)
def _blur(size: int) -> np.ndarray:
    """(size, size): gaussian_filter's reflecting pass along one axis, as a matrix."""
    return ndimage.gaussian_filter1d(np.eye(size), BLUR_PX, axis=0, mode="reflect")


def _bilinear(size: int, new_size: int) -> np.ndarray:
    """Pillow's BILINEAR resampling weights from `size` to `new_size` pixels (its
    precompute_coeffs: a triangle stretched by the scale when shrinking, the taps of each
    output pixel, from int(centre - support + 0.5) up to int(centre + support + 0.5),
    normalised to sum to one)."""
    scale = size / new_size
    support = max(scale, 1.0)
    center = (np.arange(new_size) + 0.5) * scale
    first = np.maximum(np.trunc(center - support + 0.5), 0)[:, None]
    last = np.minimum(np.trunc(center + support + 0.5), size)[:, None]
    x = np.arange(size)[None, :]
    taps = np.maximum(1.0 - np.abs((x - center[:, None] + 0.5) / support), 0.0)
    taps[(x < first) | (x >= last)] = 0.0
    total = taps.sum(axis=1, keepdims=True)
    return taps / np.where(total == 0, 1.0, total)


@lru_cache(maxsize=256)
def _window(size: int) -> np.ndarray:
    """(size, size): the WINDOW_PX mean with zeros beyond the edge, as a matrix."""
    return ndimage.uniform_filter1d(np.eye(size), WINDOW_PX, axis=0, mode="constant")


@lru_cache(maxsize=2048)
def ambiguous_strings(font: FontInfo, text_px: int, stroke_px: int = 0) -> frozenset[str]:
    """Members of CONFUSABLE_SETS that the font at this size draws like another member
    (both drawable): text holding one has no single right reading."""
    out: set[str] = set()
    for group in CONFUSABLE_SETS:
        drawn = [s for s in group if not font.missing(s)]
        for i, a in enumerate(drawn):
            for b in drawn[i + 1:]:
                # A pair both of whose members are already out adds nothing: not measured.
                if not {a, b} <= out and look_alike(font, a, b, text_px, stroke_px):
                    out |= {a, b}
    return frozenset(out)


MEMBERS = tuple(dict.fromkeys(s for group in CONFUSABLE_SETS for s in group))


class LookAlikes:
    """`ambiguous_strings(font, text_px, stroke_px)`, decided string by string as asked:
    a string is in it when a drawable member of one of its CONFUSABLE_SETS is drawn
    alike (what the whole set's pairwise pass finds for it). Checking a pseudoword then
    measures only the pairs of the strings it holds (`content.holds_any`), not all twenty;
    iterating, sizing or testing its truth gives the whole set."""

    def __init__(self, font: FontInfo, text_px: int, stroke_px: int):
        self.font, self.text_px, self.stroke_px = font, text_px, stroke_px
        self._known: dict[str, bool] = {}

    def __contains__(self, s: str) -> bool:
        verdict = self._known.get(s)
        if verdict is None:
            verdict = self._known[s] = self._decide(s)
        return verdict

    def _decide(self, s: str) -> bool:
        font = self.font
        if s not in MEMBERS or font.missing(s):
            return False
        for group in CONFUSABLE_SETS:
            if s not in group:
                continue
            drawn = [m for m in group if not font.missing(m)]
            for k, a in enumerate(drawn):  # the pairs holding s, each in the pass's order
                for b in drawn[k + 1:]:
                    if s in (a, b) and look_alike(font, a, b, self.text_px, self.stroke_px):
                        return True
        return False

    def in_text(self, text: str) -> bool:
        """`any(s in text for s in self)`, asking only about the members the text holds."""
        return any(m in text and m in self for m in MEMBERS)

    def full(self) -> frozenset[str]:
        return ambiguous_strings(self.font, self.text_px, self.stroke_px)

    def __iter__(self):
        return iter(self.full())

    def __len__(self) -> int:
        return len(self.full())

    def __bool__(self) -> bool:
        return bool(self.full())


@lru_cache(maxsize=2048)
def look_alikes(font: FontInfo, text_px: int, stroke_px: int = 0) -> LookAlikes:
    """The lazy `ambiguous_strings` of a font at a size (see LookAlikes), one per process."""
    return LookAlikes(font, text_px, stroke_px)
