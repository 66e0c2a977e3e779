"""Shaped text: how each writing system is laid out, and the check that what Pillow drew
is what HarfBuzz shapes.

Latin text keeps Pillow's basic layout and the glyph cache of scenes/text.py (today's
bytes). Every other script is laid out by Pillow's raqm layout (HarfBuzz shaping, fribidi
ordering). raqm does not tell which glyphs it drew, so the check works in two steps:

1. `uharfbuzz` shapes the same string with the same font file, size, direction, script
   and language (and the default features, as raqm uses). A .notdef glyph (id 0) or a
   dotted circle (U+25CC, HarfBuzz's mark for a broken cluster) that the string does not
   hold means the font cannot shape the text: refused.
2. Those glyph ids are drawn one by one with FreeType (freetype-py) at HarfBuzz's
   positions, the way Pillow places glyphs (pen in 26.6 units, rounded to a pixel, the
   bitmap at its bearing). That raster must match Pillow's beyond antialiasing: a layout
   that fell back to unshaped glyphs (isolated Arabic letters, Devanagari without
   conjuncts, left-to-right Hebrew) or drew other glyphs differs by whole strokes.

The grapheme clusters HarfBuzz reports (glyphs sharing a cluster value, which covers the
string offsets up to the next cluster's) are the units of the boxes recorded for shaped
text: a per-character box has no meaning inside a conjunct or a joined word.
"""

from __future__ import annotations

import ctypes
import io
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from gen_stress.scenes.fonts import ft_checked
from gen_stress.scenes.memo import BoundedLRU

DOTTED_CIRCLE = "\u25cc"
# A Pillow raster may differ from the HarfBuzz-glyph raster by antialiasing and by a
# pixel of rounding where hinted and unhinted advances part; whole glyphs differ far more
# (measured from 4 to 48 px em: shaped strings of every script stay under 0.03; basic
# layout of Arabic, Devanagari and Bengali conjuncts is above 0.12).
RASTER_TOLERANCE = 0.06


@dataclass(frozen=True)
class Shaping:
    """How a string is shaped: raqm/HarfBuzz direction ("ltr", "rtl" or "ttb"), ISO 15924
    script tag and BCP 47 language."""

    direction: str
    script: str
    language: str


class Glyph(NamedTuple):
    """One of HarfBuzz's glyphs (a named tuple: made by the dozen per checked line)."""

    gid: int
    cluster: int  # string offset of the first character of its cluster
    x_advance: int  # 26.6 units, y up (HarfBuzz's convention)
    y_advance: int
    x_offset: int
    y_offset: int


@dataclass(frozen=True)
class Cluster:
    start: int  # string offsets [start, end) the cluster covers
    end: int
    box: tuple[float, float, float, float]  # ink box around the left end of the baseline, y down


def vertical_anchor(shaping: Shaping | None) -> str:
    """Pillow's anchor of a line: the left end of the baseline ("ls"), or for vertical
    text the top of its centre line ("mt": Pillow has no baseline anchor there)."""
    return "mt" if shaping is not None and shaping.direction == "ttb" else "ls"


# Pillow's raqm drawing -------------------------------------------------------------------

_RAQM_LINES = BoundedLRU(24 << 20, max_entries=4096)  # glyph mask bytes (w x h), lines


def raqm_line(font, text: str, anchor: str, direction: str | None, language: str | None):
    """What `ImageDraw.text(..., fill=255)` of an unstroked line draws through: Pillow's
    glyph mask of the line (an ImagingCore) and its top-left from the anchor, made by one
    raqm layout. The ink box (`getbbox`) and the drawn line both follow from it, so a line
    is laid out once, not once to measure and once per drawing. Remembered (bounded by
    count and bytes): Pillow renders every glyph of a line anew, hinting each (FreeType's
    autohinter for the script faces, which ship without hinting programs: about 0.16 ms
    for a Devanagari or Bengali word, where a word in DejaVu Sans takes 0.05); pages in
    another language repeat their labels, goods and dishes from item to item. Keyed by
    the Pillow font and the arguments that draw it: a line drawn another way (basic
    layout) is drawn, not looked up."""
    key = (font, text, anchor, direction, language)
    line = _RAQM_LINES.get(key)
    if line is None:
        line = font.getmask2(text, "L", direction, None, language, 0, anchor, 255, (0.0, 0.0), stroke_filled=True)
        width, height = line[0].size
        _RAQM_LINES.put(key, line, width * height)
    return line


def raqm_box(font, text: str, anchor: str, direction: str | None, language: str | None,
             stroke_px: int = 0) -> tuple[int, int, int, int]:
    """`font.getbbox(text, anchor=..., stroke_width=stroke_px, direction=..., language=...)`,
    from `raqm_line` (getbbox widens the unstroked box by the stroke on every side)."""
    core, (x, y) = raqm_line(font, text, anchor, direction, language)
    width, height = core.size
    return (x - stroke_px, y - stroke_px, x + width + stroke_px, y + height + stroke_px)


def raqm_measure(font, text: str, anchor: str, direction: str | None, language: str | None,
                 stroke_px: int = 0) -> tuple[int, int, int, int]:
    """`raqm_box` without drawing the line: Pillow's `getbbox` loads each glyph once,
    where the mask (`getmask2`) loads each three times and renders it twice. The same box
    (both come from one bounding-box pass over raqm's glyphs), for a line that may be
    refused for its size before it is drawn: a vertical date at a large size is laid out
    up to eight times per attempt and rarely fits."""
    line = _RAQM_LINES.get((font, text, anchor, direction, language))
    if line is not None:
        return raqm_box(font, text, anchor, direction, language, stroke_px)
    x0, y0, x1, y1 = font.getbbox(text, direction=direction, language=language, anchor=anchor)
    return (x0 - stroke_px, y0 - stroke_px, x1 + stroke_px, y1 + stroke_px)


def raqm_mask(font, text: str, anchor: str, direction: str | None, language: str | None,
              size: tuple[int, int], origin: tuple[int, int]):
    """`ImageDraw.text(origin, text, fill=255, ...)` of the unstroked line on a blank "L"
    image of `size`, byte for byte: the glyph mask blended in with ink 255 (which leaves
    its coverage values as they are), as Pillow does. A new image per call."""
    from PIL import Image, ImageDraw

    core, (x, y) = raqm_line(font, text, anchor, direction, language)
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).draw.draw_bitmap((origin[0] + x, origin[1] + y), core, 255)
    return mask


# HarfBuzz -------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _hb_face(path: str):
    import uharfbuzz as hb

    with open(path, "rb") as handle:
        return hb.Face(handle.read())


@lru_cache(maxsize=64)
def _dotted_circle_gid(path: str) -> int:
    """The font's glyph id of U+25CC (-1 when it has none: HarfBuzz then inserts .notdef),
    looked up as HarfBuzz looks it up when it inserts one (the same ids as fontTools' best
    cmap for every catalogue font, without parsing the font again in Python)."""
    import uharfbuzz as hb

    gid = hb.Font(_hb_face(path)).get_nominal_glyph(ord(DOTTED_CIRCLE))
    return -1 if gid is None else gid


_STRONG_RTL = {"R", "AL"}
_NUMBER = {"EN", "AN"}
_LEFT_OR_NUMBER = {"L", "EN", "AN"}


def bidi_runs(text: str, rtl: bool) -> tuple[tuple[int, int, bool], ...]:
    """(start, end, right_to_left) runs of the string in visual order, by the Unicode
    bidirectional algorithm for the plain text gen-stress makes (no explicit embeddings;
    one line): a right-to-left paragraph holds left-to-right runs of Latin letters and of
    numbers (with the separators and currency signs between and around their digits),
    neutrals take the direction of strong neighbours on both sides, else the paragraph's
    (rules W2 to W7, N1, N2, I1, I2 and L2 of UAX #9). raqm runs fribidi; a disagreement
    shows in the raster check."""
    import unicodedata

    if not rtl and not any(unicodedata.bidirectional(c) in _STRONG_RTL for c in text):
        return ((0, len(text), False),)
    kinds = [unicodedata.bidirectional(c) for c in text]
    if rtl and text and not any(kind in _LEFT_OR_NUMBER for kind in kinds):
        # Right-to-left letters and neutrals alone (a word, a name): no rule below changes a
        # type, and every neutral lies between right-to-left sides or the paragraph's edge.
        return ((0, len(text), True),)
    last = "R" if rtl else "L"
    for i, kind in enumerate(kinds):  # W2: a European number after Arabic letters is an Arabic number
        if kind in ("R", "AL", "L"):
            last = kind
        elif kind == "EN" and last == "AL":
            kinds[i] = "AN"
    for i, kind in enumerate(kinds):  # W4: one separator between two numbers of a type joins them
        if 0 < i < len(kinds) - 1 and kinds[i - 1] == kinds[i + 1] and (
                (kind == "ES" and kinds[i - 1] == "EN") or (kind == "CS" and kinds[i - 1] in _NUMBER)):
            kinds[i] = kinds[i - 1]
    for i, kind in enumerate(kinds):  # W5: terminators (%, currency) next to a European number join it
        if kind == "ET":
            j = i
            while j < len(kinds) and kinds[j] == "ET":
                j += 1
            if (i > 0 and kinds[i - 1] == "EN") or (j < len(kinds) and kinds[j] == "EN"):
                for k in range(i, j):
                    kinds[k] = "EN"
    last = "R" if rtl else "L"
    for i, kind in enumerate(kinds):  # W7: a European number after Latin letters is left-to-right text
        if kind in _STRONG_RTL or kind == "L":
            last = "L" if kind == "L" else "R"
        elif kind == "EN" and last == "L":
            kinds[i] = "L"
    base = 1 if rtl else 0
    # Strong direction of each character (numbers count as right-to-left for neutrals, N1).
    strong = ["R" if k in _STRONG_RTL else "L" if k == "L" else "N" for k in kinds]
    near = ["R" if k in _NUMBER else s for k, s in zip(kinds, strong)]
    levels = []
    for i, kind in enumerate(kinds):
        if kind in _STRONG_RTL:
            level = 1
        elif kind == "L" or kind in _NUMBER:
            level = base + 1 if base % 2 else (2 if kind in _NUMBER else 0)
        else:
            before = next((near[j] for j in range(i - 1, -1, -1) if near[j] != "N"), "R" if rtl else "L")
            after = next((near[j] for j in range(i + 1, len(near)) if near[j] != "N"), "R" if rtl else "L")
            direction = before if before == after else ("R" if rtl else "L")
            level = (1 if direction == "R" else (2 if rtl else 0))
        levels.append(level)
    runs, start = [], 0
    for i in range(1, len(text) + 1):
        if i == len(text) or levels[i] != levels[start]:
            runs.append((start, i, levels[start]))
            start = i
    # L2: reverse every sequence at or above each odd-or-higher level, highest first.
    top = max(levels)
    order = list(range(len(runs)))
    for level in range(top, 0, -1):
        i = 0
        while i < len(order):
            if runs[order[i]][2] >= level:
                j = i
                while j < len(order) and runs[order[j]][2] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return tuple((runs[k][0], runs[k][1], runs[k][2] % 2 == 1) for k in order)


@lru_cache(maxsize=256)
def _hb_font(path: str, scale: int):
    """A HarfBuzz font of the file at a scale (26.6 units), kept: lines repeat sizes."""
    import uharfbuzz as hb

    font = hb.Font(_hb_face(path))
    font.scale = (scale, scale)
    return font


# Bounds follow measured reuse (scripts/cache_reuse.py): a line's shaping is asked again
# within its item (layout, drawing, check), a glyph's bitmap across items.
@lru_cache(maxsize=1024)
def hb_shape(path: str, em_px: float, text: str, shaping: Shaping) -> tuple[Glyph, ...]:
    """HarfBuzz's glyphs for the string at Pillow's size (`em_px`, 26.6 scale), in visual
    order (left to right, or top to bottom), each bidi run shaped on its own with the
    whole string as context."""
    import uharfbuzz as hb

    font = _hb_font(path, round(em_px * 64))
    runs = (((0, len(text), False),) if shaping.direction == "ttb"
            else bidi_runs(text, shaping.direction == "rtl"))
    glyphs: list[Glyph] = []
    for start, end, rtl in runs:
        buffer = hb.Buffer()
        buffer.add_str(text, item_offset=start, item_length=end - start)
        buffer.guess_segment_properties()  # the run's own script (digits and Latin codes too)
        if buffer.script in ("Zyyy", "Zinh", "Zzzz"):
            buffer.script = shaping.script
        buffer.direction = "ttb" if shaping.direction == "ttb" else ("rtl" if rtl else "ltr")
        buffer.language = shaping.language
        buffer.cluster_level = hb.BufferClusterLevel.MONOTONE_GRAPHEMES
        hb.shape(font, buffer, {})
        glyphs += [Glyph(info.codepoint, info.cluster, pos.x_advance, pos.y_advance, pos.x_offset, pos.y_offset)
                   for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions)]
    return tuple(glyphs)


def glyph_failures(path: str, em_px: float, text: str, shaping: Shaping) -> list[str]:
    """Why HarfBuzz cannot shape the string with this font ([] when it can)."""
    glyphs = hb_shape(path, em_px, text, shaping)
    failures = []
    missing = sorted({text[g.cluster] for g in glyphs if g.gid == 0})
    if missing:
        failures.append(f"no glyph for {''.join(missing)!r} in the shaped {text!r} (.notdef)")
    dotted = _dotted_circle_gid(path)
    if DOTTED_CIRCLE not in text and any(g.gid == dotted for g in glyphs):
        failures.append(f"a dotted circle (broken cluster) in the shaped {text!r}")
    return failures


# FreeType: HarfBuzz's glyphs drawn as Pillow draws glyphs ------------------------------

def _glyph_over(target: np.ndarray, source: np.ndarray) -> np.ndarray:
    """Pillow's blending of a glyph's coverage onto ink already there (its text drawing,
    MULDIV255): `source + target * (255 - source) / 255`. Where glyphs share a pixel (a
    kerned pair, an Arabic lam and alef at 5 px) it is darker than either's own."""
    t, s = target.astype(np.int32), source.astype(np.int32)
    tmp = t * (255 - s) + 128
    blended = np.minimum(s + (((tmp >> 8) + tmp) >> 8), 255)
    return np.where(s > 0, np.where(t > 0, blended, s), t).astype(np.uint8)


# Every (ink there, glyph) pair blended once: one table lookup per glyph, exact.
GLYPH_OVER = _glyph_over(*np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8),
                                      indexing="ij"))


@dataclass(frozen=True)
class _Bitmap:
    left: int
    top: int
    rows: np.ndarray | None


class _SizedFace:
    """One FreeType face of a font file, set to the size last asked for: items draw at
    sizes that rarely repeat, and a face per (file, size) read and parsed the file anew
    for almost every line. Read into memory (a face on a file shares its offset with
    forked workers)."""

    def __init__(self, path: str):
        import freetype

        with open(path, "rb") as handle:
            self.face = freetype.Face(io.BytesIO(handle.read()))
        self.em_26_6 = None

    def at(self, em_26_6: int):
        if em_26_6 != self.em_26_6:
            self.face.set_char_size(em_26_6)
            self.em_26_6 = em_26_6
        return self.face


@lru_cache(maxsize=64)
def _sized_face(path: str) -> _SizedFace:
    return _SizedFace(path)


def _ft_face(path: str, em_26_6: int):
    return _sized_face(path).at(em_26_6)


@lru_cache(maxsize=16384)
def _ft_glyph(path: str, em_26_6: int, gid: int) -> _Bitmap:
    """The glyph as Pillow renders it (default load flags: hinted, antialiased), with its
    bitmap's bearing from the horizontal origin (HarfBuzz's offsets place that origin in
    vertical text too). Through FreeType's own calls on freetype-py's face (its wrappers
    build a Python object per slot, bitmap and field read: a line loads a dozen new
    glyphs, every size being new to them)."""
    import freetype
    from freetype import raw

    face = _ft_face(path, em_26_6)._FT_Face
    ft_checked(raw.FT_Load_Glyph(face, gid, freetype.FT_LOAD_DEFAULT | freetype.FT_LOAD_NO_BITMAP))
    slot = face.contents.glyph
    ft_checked(raw.FT_Render_Glyph(slot, freetype.FT_RENDER_MODE_NORMAL))
    glyph = slot.contents
    bitmap = glyph.bitmap
    rows = None
    if bitmap.rows and bitmap.width:
        # The bitmap's bytes copied at once (freetype-py's `bitmap.buffer` lists one int at a time).
        data = ctypes.string_at(bitmap.buffer, bitmap.rows * bitmap.pitch)
        rows = np.frombuffer(data, np.uint8).reshape(bitmap.rows, bitmap.pitch)[:, :bitmap.width]
    return _Bitmap(glyph.bitmap_left, glyph.bitmap_top, rows)


def _pixel(value: int) -> int:
    return (value + 32) >> 6


@lru_cache(maxsize=1024)
def hb_placements(path: str, em_px: float, text: str, shaping: Shaping) -> tuple[tuple[Glyph, int, int, _Bitmap], ...]:
    """(glyph, pen x, pen y down, bitmap) of each HarfBuzz glyph, pen at the start of
    the line's baseline, positions in whole pixels as Pillow rounds them (remembered: a
    line's clusters and its raster check both place its glyphs)."""
    em = round(em_px * 64)
    out, pen_x, pen_y = [], 0, 0
    for glyph in hb_shape(path, em_px, text, shaping):
        bitmap = _ft_glyph(path, em, glyph.gid)
        x, y = _pixel(pen_x + glyph.x_offset), _pixel(pen_y - glyph.y_offset)
        out.append((glyph, x, y, bitmap))
        pen_x += glyph.x_advance
        pen_y -= glyph.y_advance
    return tuple(out)


def hb_raster(path: str, em_px: float, text: str, shaping: Shaping, size: tuple[int, int],
              origin: tuple[int, int]) -> np.ndarray:
    """An "L" mask of HarfBuzz's glyphs, the line's start at `origin` (like Pillow's
    anchor "ls"); overlapping glyphs blend as Pillow blends them (GLYPH_OVER), over the
    columns left of the ink placed so far (glyphs come left to right; beyond that edge a
    glyph is copied, as the lookup would leave it)."""
    out = np.zeros((size[1], size[0]), np.uint8)
    width, height = size
    right = -(1 << 30)  # the right edge of the ink placed so far
    for _glyph, x, y, bitmap in hb_placements(path, em_px, text, shaping):
        rows = bitmap.rows
        if rows is None:
            continue
        col, row = origin[0] + x + bitmap.left, origin[1] + y - bitmap.top
        h, w = rows.shape
        if col >= 0 and row >= 0 and col + w <= width and row + h <= height:  # (most glyphs: inside)
            shared = max(0, min(right - col, w))  # columns that may already hold ink
            if shared:
                window = out[row:row + h, col:col + shared]
                window[...] = GLYPH_OVER[window, rows[:, :shared]]
            if shared < w:
                out[row:row + h, col + shared:col + w] = rows[:, shared:]
            right = max(right, col + w)
            continue
        c0, r0, c1, r1 = max(col, 0), max(row, 0), min(col + w, size[0]), min(row + h, size[1])
        if c1 <= c0 or r1 <= r0:
            continue
        patch = bitmap.rows[r0 - row:r1 - row, c0 - col:c1 - col]
        window = out[r0:r1, c0:c1]
        window[...] = GLYPH_OVER[window, patch]
        right = max(right, c1)
    return out


def raster_difference(drawn: np.ndarray, reference: np.ndarray) -> float:
    """How far two masks differ: the ink in one and not the other, over the ink in either,
    after forgiving one pixel of shift (antialiasing and rounding)."""
    a, b = np.ascontiguousarray(drawn, np.uint8), np.ascontiguousarray(reference, np.uint8)
    # OpenCV's saturating subtraction is max(b, grown) - grown, without leaving 8 bits;
    # its sums are exact (float64 sums of 8-bit pixels).
    union = int(cv2.sumElems(cv2.max(a, b))[0])
    if not union:
        return 0.0
    missing = int(cv2.sumElems(cv2.subtract(b, _grow(a)))[0])  # reference ink Pillow did not draw nearby
    extra = int(cv2.sumElems(cv2.subtract(a, _grow(b)))[0])  # and ink Pillow drew where HarfBuzz has none
    return float(missing + extra) / float(union)


def _differences(a: np.ndarray, references: np.ndarray) -> list[float]:
    """`raster_difference(a, b)` for each b of a stack of references, in one pass: the
    masks side by side with a blank column between them (which keeps each one's edge
    as a blank border does), grown and compared at once, summed per column (OpenCV's
    filters take a wide image far faster than a tall one)."""
    count, height, width = references.shape
    columns = count * (width + 1)

    def side_by_side(masks) -> np.ndarray:
        wide = np.zeros((height, count, width + 1), np.uint8)
        wide[:, :, :width] = masks.transpose(1, 0, 2) if masks.ndim == 3 else masks[:, None, :]
        return wide.reshape(height, columns)

    def sums(mask: np.ndarray) -> list[int]:  # per mask: its column sums (exact in 32 bits), added
        return cv2.reduce(mask, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).reshape(count, width + 1).sum(axis=1).tolist()

    all_a, all_b = side_by_side(a), side_by_side(references)
    union = sums(cv2.max(all_a, all_b))
    missing = sums(cv2.subtract(all_b, side_by_side(_grow(a))))  # the blank columns stay blank
    extra = sums(cv2.subtract(all_a, _grow(all_b)))  # nothing is left of a blank column of a
    return [float(m + e) / float(u) if u else 0.0 for m, e, u in zip(missing, extra, union)]


_KERNEL_3X3 = np.ones((3, 3), np.uint8)


def _grow(mask: np.ndarray) -> np.ndarray:
    """The largest value within one pixel (a 3x3 maximum, zero beyond the edges)."""
    return cv2.dilate(mask, _KERNEL_3X3, borderType=cv2.BORDER_CONSTANT, borderValue=0)


VERTICAL_SHIFTS = tuple((dx, dy) for dx in range(-2, 2) for dy in range(-2, 2))


@lru_cache(maxsize=1024)
def vertical_shift(path: str, em_px: float, text: str, shaping: Shaping) -> tuple[int, int]:
    """Where HarfBuzz's origin of a vertical line lies from Pillow's "mt" anchor: Pillow
    centres the line on the anchor with its own rounding of the line's width and top,
    now and then a pixel or two off HarfBuzz's origin. The shift that makes the rasters
    agree best ((0, 0) for horizontal text): by the check's measure, which forgives a
    pixel and so ties neighbouring shifts, then by the summed difference of every pixel,
    which tells them apart (taking the first of the tied shifts put vertical cluster
    boxes a pixel up and left of their ink)."""
    if shaping.direction != "ttb":
        return (0, 0)
    from gen_stress.scenes.fonts import raqm_font

    font = raqm_font(path, em_px)
    x0, y0, x1, y1 = raqm_box(font, text, "mt", "ttb", shaping.language)
    size, origin = (x1 - x0 + 8, y1 - y0 + 8), (4 - x0, 4 - y0)
    pixels = np.asarray(raqm_mask(font, text, "mt", "ttb", shaping.language, size, origin))
    # HarfBuzz's raster at every shift at once: drawn once on a canvas 2 px larger all
    # round, each shift a window of it (the same pixels as drawing it there, edges clipped).
    pad = 2
    wide = hb_raster(path, em_px, text, shaping, (size[0] + 2 * pad, size[1] + 2 * pad),
                     (origin[0] + pad, origin[1] + pad))
    height, width = pixels.shape
    windows = np.stack([wide[pad - dy:pad - dy + height, pad - dx:pad - dx + width] for dx, dy in VERTICAL_SHIFTS])
    differences = _differences(pixels, windows)
    exact = np.abs(windows.astype(np.int16) - pixels.astype(np.int16)).reshape(len(windows), -1).sum(axis=1)
    return VERTICAL_SHIFTS[min(range(len(VERTICAL_SHIFTS)), key=lambda k: (differences[k], int(exact[k])))]


@lru_cache(maxsize=4096)
def clusters(path: str, em_px: float, text: str, shaping: Shaping) -> tuple[Cluster, ...]:
    """HarfBuzz's grapheme clusters in visual order, each with the string offsets it
    covers and the ink box of its glyphs (a glyph without ink counts as its advance on
    the baseline), around the line's anchor (see `vertical_anchor`). Remembered: every
    shaped line of a page records its clusters, and pages repeat their lines."""
    placed = hb_placements(path, em_px, text, shaping)
    shift_x, shift_y = vertical_shift(path, em_px, text, shaping)
    starts = sorted({g.cluster for g, *_ in placed})
    ends = dict(zip(starts, [*starts[1:], len(text)]))
    boxes: dict[int, list[float]] = {}
    order: list[int] = []
    for glyph, x, y, bitmap in placed:
        if bitmap.rows is not None:
            h, w = bitmap.rows.shape
            box = [x + bitmap.left, y - bitmap.top, x + bitmap.left + w, y - bitmap.top + h]
        else:
            box = [x, y, x + _pixel(glyph.x_advance), y - _pixel(glyph.y_advance)]
        if glyph.cluster not in boxes:
            order.append(glyph.cluster)
            boxes[glyph.cluster] = box
        else:
            old = boxes[glyph.cluster]
            boxes[glyph.cluster] = [min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]),
                                    max(old[3], box[3])]
    return tuple(Cluster(c, ends[c], (boxes[c][0] + shift_x, boxes[c][1] + shift_y, boxes[c][2] + shift_x,
                                      boxes[c][3] + shift_y)) for c in order)


_VERDICTS: OrderedDict = OrderedDict()
_VERDICT_COUNT = 8192  # lines; least recently used dropped


def shaping_verdict(layout) -> list[str]:
    """`shaping_failures` of a line, remembered: the verdict depends on the font file,
    size, string and shaping and on the Pillow font that draws it (raqm's, or another
    layout put in its place) alone (the check draws the line unstroked at its own
    origin), and lines come back (a twin, a redrawn scene, a page's labels and goods)."""
    if layout.shaping is None:
        return []
    key = (str(layout.font.path), round(layout.em_px, 4), layout.text, layout.shaping, layout._pil)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        verdict = _VERDICTS[key] = shaping_failures(layout)
        if len(_VERDICTS) > _VERDICT_COUNT:
            _VERDICTS.popitem(last=False)
    else:
        _VERDICTS.move_to_end(key)
    return list(verdict)


def shaping_failures(layout) -> list[str]:
    """The check of one shaped line (a scenes.text.TextLayout): HarfBuzz draws it with
    real glyphs, and Pillow drew those glyphs where HarfBuzz put them. [] when it holds."""
    if layout.shaping is None:
        return []
    path, em_px = str(layout.font.path), round(layout.em_px, 4)
    failures = glyph_failures(path, em_px, layout.text, layout.shaping)
    if failures:
        return failures
    drawn, origin = layout.local_pixels()
    shift = vertical_shift(path, em_px, layout.text, layout.shaping)
    height, width = drawn.shape
    reference = hb_raster(path, em_px, layout.text, layout.shaping, (width, height),
                          (origin[0] + shift[0], origin[1] + shift[1]))
    difference = raster_difference(drawn, reference)
    if difference > RASTER_TOLERANCE:
        return [f"raqm drew {layout.text!r} in {layout.font.name} unlike HarfBuzz shapes it "
                f"({difference:.0%} of the ink differs)"]
    return []

