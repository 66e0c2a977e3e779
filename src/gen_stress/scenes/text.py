"""Text layout with exact geometry, and its rasterisation.

Layout and rasterisation share one Placement, so the quadrilateral, the box and the
per-character boxes recorded in the scene are the ones the pixels were drawn with.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from gen_stress.scenes.fonts import FontInfo, require_drawable
from gen_stress.scenes.frozen import made
from gen_stress.scenes.geometry import Box, Placement, bounds, pixel_box, rect_points
from gen_stress.scenes.memo import BoundedLRU, cached_property
from gen_stress.scenes.shaping import (GLYPH_OVER, Cluster, Shaping, clusters, raqm_box, raqm_line, raqm_mask,
                                      raqm_measure, vertical_anchor)

_PAD = 2  # blank pixels around the local text mask


@dataclass(frozen=True, eq=False)
class TextLayout:
    text: str
    font: FontInfo
    text_px: int  # cap height in pixels
    stroke_px: int
    ink_box_local: tuple[int, int, int, int]  # ink bounds around the left end of the baseline
    placement: Placement
    shaping: Shaping | None = None  # None: Latin, Pillow's basic layout; else raqm (scenes/shaping.py)

    # Remembered per layout: the checks, the renderer and the record ask for them again
    # and again (a cache look-up each time).
    @cached_property
    def em_px(self) -> float:
        return self.font.em_for_cap(self.text_px)

    @cached_property
    def _pil(self):
        return self.font.pil_shaping(self.em_px) if self.shaping else basic_pil(self.font, self.text_px)

    @property
    def _direction(self) -> dict:
        """Pillow's text arguments of a shaped line (none for basic layout)."""
        if self.shaping is None:
            return {}
        return {"direction": self.shaping.direction, "language": self.shaping.language}

    @property
    def _anchor(self) -> str:
        """Where the line's local origin is: the left end of the baseline, or the top of
        the centre line of vertical text (Pillow has no baseline anchor for it)."""
        return vertical_anchor(self.shaping)

    @cached_property
    def clusters_local(self) -> tuple[Cluster, ...]:
        """HarfBuzz's grapheme clusters of a shaped line, in visual order, each with the
        string offsets it covers and its ink box around the left end of the baseline."""
        if self.shaping is None:
            return ()
        return clusters(str(self.font.path), round(self.em_px, 4), self.text, self.shaping)

    @cached_property
    def cluster_boxes(self) -> tuple[Box, ...]:
        """The clusters' boxes on the canvas (in the order of `clusters_local`)."""
        return self._on_canvas([c.box for c in self.clusters_local])

    @property
    def _kerns(self):
        """Which character pairs the font kerns (None: it kerns none)."""
        return self.font.kerns if self.font.has_kern_table else None

    @cached_property
    def char_boxes_local(self) -> tuple[Box, ...]:
        """Each character's box; in shaped text, the box of the cluster it belongs to."""
        if self.shaping is not None:
            by_char: list[Box] = [(0.0, 0.0, 0.0, 0.0)] * len(self.text)
            for cluster in self.clusters_local:
                for i in range(cluster.start, cluster.end):
                    by_char[i] = cluster.box
            return tuple(by_char)
        boxes = []
        font, text = self._pil, self.text
        if not self.stroke_px:  # from the glyph cache: its boxes are getbbox's, its advances getlength's
            return _glyph_boxes(font, text, self._kerns)
        origin = 0.0
        for i, char in enumerate(text):
            advance, (x0, y0, x1, y1) = _char_metrics(font, char, self.stroke_px)
            boxes.append((origin + x0, y0, origin + x1, y1))
            origin += advance
            # Pillow's basic layout kerns only the pairs of the font's 'kern' table.
            if i + 1 < len(text) and self.font.kerns(char, text[i + 1]):
                origin += _kerning(font, char, text[i + 1])
        return tuple(boxes)

    # Geometry on the canvas -------------------------------------------------------

    @cached_property
    def quad(self) -> np.ndarray:
        """The ink box's four corners on the canvas (tl, tr, br, bl of the upright text)."""
        place = self.placement
        if place.angle_deg == 0:  # the identity turn, in plain floats (what `apply` computes)
            x0, y0, x1, y1 = self.ink_box_local
            px, py = place.pivot
            cx, cy = place.center
            return np.array([[x0 - px + cx, y0 - py + cy], [x1 - px + cx, y0 - py + cy],
                             [x1 - px + cx, y1 - py + cy], [x0 - px + cx, y1 - py + cy]])
        return place.apply(rect_points(self.ink_box_local))

    @property
    def rotated(self) -> bool:
        return self.placement.angle_deg % 360 != 0

    @cached_property
    def bbox(self) -> Box:
        """Axis-aligned box holding every ink pixel (one pixel of margin for the
        resampling blur when the text is rotated)."""
        place = self.placement
        if place.angle_deg == 0:  # the bounds of the identity-turned quad, in the same plain floats
            x0, y0, x1, y1 = self.ink_box_local
            (px, py), (cx, cy) = place.pivot, place.center
            return (float(math.floor(x0 - px + cx)), float(math.floor(y0 - py + cy)),
                    float(math.ceil(x1 - px + cx)), float(math.ceil(y1 - py + cy)))
        return tuple(float(v) for v in pixel_box(bounds(self.quad), 1.0 if self.rotated else 0.0))

    @cached_property
    def char_boxes(self) -> tuple[Box, ...]:
        return self._on_canvas(self.char_boxes_local)

    def _on_canvas(self, local_boxes) -> tuple[Box, ...]:
        """Axis-aligned canvas boxes around local boxes moved by the placement."""
        if not len(local_boxes):
            return ()
        place = self.placement
        if place.angle_deg == 0:  # the identity turn, in plain floats (what `apply` computes)
            (px, py), (cx, cy) = place.pivot, place.center
            out = []
            for x0, y0, x1, y1 in local_boxes:
                ax, bx, ay, by = x0 - px + cx, x1 - px + cx, y0 - py + cy, y1 - py + cy
                out.append((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)))
            return tuple(out)
        corners = np.asarray(local_boxes, dtype=float)[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 2)
        moved = self.placement.apply(corners).reshape(-1, 4, 2)
        return tuple(map(tuple, np.concatenate([moved.min(axis=1), moved.max(axis=1)], axis=1).tolist()))

    def local_to_canvas(self, points) -> np.ndarray:
        return self.placement.apply(points)

    # Pixels -----------------------------------------------------------------------

    def rasterize(self) -> tuple[tuple[int, int], Image.Image, Image.Image | None]:
        """(top-left on canvas, stroke-or-ink mask, fill mask when stroked)."""
        x0, y0, x1, y1 = self.ink_box_local
        size = (x1 - x0 + 2 * _PAD, y1 - y0 + 2 * _PAD)
        origin = (_PAD - x0, _PAD - y0)
        inner = None
        if self.shaping is not None:
            outer, inner = self._shaped_masks(size, origin)
        elif self.stroke_px:
            outer = Image.new("L", size, 0)
            ImageDraw.Draw(outer).text(
                origin, self.text, fill=255, font=self._pil, anchor="ls",
                stroke_width=self.stroke_px, stroke_fill=255,
            )
            inner = _line_mask(self._pil, self.text, self._kerns, size, origin).coverage
        else:
            outer = _line_mask(self._pil, self.text, self._kerns, size, origin).coverage
        return self._placed(outer, inner)

    def shaped_mask(self, size: tuple[int, int], origin: tuple[int, int]) -> Image.Image:
        """Pillow's raqm drawing of the unstroked line, its start at `origin` (what the
        shaping check compares with HarfBuzz's glyphs), from the line's one raqm layout
        (the renderer and the check draw the same line)."""
        direction = self._direction
        return raqm_mask(self._pil, self.text, self._anchor, direction.get("direction"), direction.get("language"),
                         size, origin)

    def local_mask(self) -> tuple[Image.Image, tuple[int, int]]:
        """The unstroked line's mask in local pixels, and where the line starts in it."""
        x0, y0, x1, y1 = self.ink_box_local
        size, origin = (x1 - x0 + 2 * _PAD, y1 - y0 + 2 * _PAD), (_PAD - x0, _PAD - y0)
        return self.shaped_mask(size, origin), origin

    def local_pixels(self) -> tuple[np.ndarray, tuple[int, int]]:
        """`local_mask()`'s pixels as an array, and where the line starts in it: raqm's
        glyph mask of the line pasted into a blank array (drawn with ink 255 on black,
        the coverage keeps the mask's values), without the Image that `raqm_mask` makes
        and that would be read back (the shaping check reads every shaped line)."""
        x0, y0, x1, y1 = self.ink_box_local
        size, origin = (x1 - x0 + 2 * _PAD, y1 - y0 + 2 * _PAD), (_PAD - x0, _PAD - y0)
        direction = self._direction
        core, (x, y) = raqm_line(self._pil, self.text, self._anchor, direction.get("direction"),
                                 direction.get("language"))
        width, height = core.size
        left, top = origin[0] + x, origin[1] + y
        if not (0 <= left and left + width <= size[0] and 0 <= top and top + height <= size[1]):
            mask, origin = self.local_mask()  # (past the line's box: drawn and clipped as Pillow does)
            return np.asarray(mask), origin
        pixels = np.zeros((size[1], size[0]), np.uint8)
        if width and height:
            array_core(pixels).paste(core, (left, top, left + width, top + height))
        return pixels, origin

    def _shaped_masks(self, size, origin) -> tuple[Image.Image, Image.Image | None]:
        fill = self.shaped_mask(size, origin)
        if not self.stroke_px:
            return fill, None
        outer = Image.new("L", size, 0)
        ImageDraw.Draw(outer).text(origin, self.text, fill=255, font=self._pil, anchor=self._anchor,
                                   stroke_width=self.stroke_px, stroke_fill=255, **self._direction)
        return outer, fill

    def _placed(self, outer: Image.Image, inner: Image.Image | None):
        x0, y0, x1, y1 = self.ink_box_local
        local_origin = (x0 - _PAD, y0 - _PAD)
        if not self.rotated:
            place = self.placement
            if place.angle_deg == 0:  # the identity turn, in plain floats (what `apply` computes)
                dx = local_origin[0] - place.pivot[0] + place.center[0]
                dy = local_origin[1] - place.pivot[1] + place.center[1]
            else:
                dx, dy = place.apply([local_origin])[0]
            return (int(round(dx)), int(round(dy))), outer, inner
        (bx0, by0), out_size, data = self._turn_frame()

        def turn(mask: Image.Image) -> Image.Image:
            return _affine(mask, out_size, data)

        return (bx0, by0), turn(outer), (turn(inner) if inner is not None else None)

    def _turn_frame(self) -> tuple[tuple[int, int], tuple[int, int], tuple[float, ...]]:
        """(top-left on canvas, size, Pillow AFFINE data) of the turned local mask."""
        x0, y0, x1, y1 = self.ink_box_local
        corners = self.placement.apply(rect_points((x0 - _PAD, y0 - _PAD, x1 + _PAD, y1 + _PAD)))
        bx0, by0, bx1, by1 = pixel_box(bounds(corners))
        return (bx0, by0), (bx1 - bx0, by1 - by0), self.placement.inverse_affine((bx0, by0), (x0 - _PAD, y0 - _PAD))

    def turned_line(self) -> tuple[tuple[int, int], object]:
        """(top-left on canvas, Pillow core "L") of a turned, unstroked basic-layout line:
        the coverage `rasterize` draws for it, without an Image around it (the renderer
        pastes cores; a skewed receipt turns every line)."""
        x0, y0, x1, y1 = self.ink_box_local
        mask = _line_mask(self._pil, self.text, self._kerns, (x1 - x0 + 2 * _PAD, y1 - y0 + 2 * _PAD),
                          (_PAD - x0, _PAD - y0))
        origin, size, data = self._turn_frame()
        return origin, _turned_core(mask.coverage_core, size, data)

    def upright_line(self) -> tuple[tuple[int, int], LineMask]:
        """(top-left on canvas, mask) of an upright, unstroked line (what `rasterize`
        draws), the mask shared by every line of the same text, font and size."""
        x0, y0, x1, y1 = self.ink_box_local
        mask = _line_mask(self._pil, self.text, self._kerns, (x1 - x0 + 2 * _PAD, y1 - y0 + 2 * _PAD),
                          (_PAD - x0, _PAD - y0))
        place = self.placement
        dx = x0 - _PAD - place.pivot[0] + place.center[0]  # the identity turn, as `rasterize` computes it
        dy = y0 - _PAD - place.pivot[1] + place.center[1]
        return (int(round(dx)), int(round(dy))), mask


def _affine(mask: Image.Image, size: tuple[int, int], data: tuple[float, ...]) -> Image.Image:
    """`mask.transform(size, AFFINE, data, BILINEAR)` of an "L" mask, through the core
    call alone: what Image.transform does for it (a zeroed image of `size`, every pixel
    mapped back into the mask, outside it 0) without its per-call argument checks; a
    turned page turns each of its lines. The same pixels (tests/test_text.py)."""
    if mask.mode != "L":  # ("1" and "P" are turned without interpolation)
        return mask.transform(size, Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)
    mask.load()
    return Image.Image()._new(_turned_core(mask.im, size, data))


def _turned_core(core, size: tuple[int, int], data: tuple[float, ...]):
    """`_affine` on Pillow's "L" cores: a zeroed core of `size`, every pixel mapped back
    into `core` (bilinear, outside it 0)."""
    out = Image.core.new("L", size)
    out.transform((0, 0) + tuple(size), core, Image.Transform.AFFINE, tuple(data[:6]), Image.Resampling.BILINEAR, 1)
    return out


# Glyph cache: Pillow's line render (ImageDraw.text) rasterises every glyph of a line
# twice per call; a dense page draws thousands. A line is the same pixels when its
# glyphs' bitmaps are placed as Pillow places them (pen positions in 26.6 units, each
# rounded to a whole pixel; overlaps blended "over"), so each glyph is drawn once per
# font and size. tests/test_text.py checks the equality against Pillow.

@dataclass(frozen=True)
class _Glyph:
    advance: int  # 26.6 units
    left: int  # bitmap's top-left from the pen on the baseline
    top: int
    bitmap: np.ndarray | None  # None: no ink (a space)
    box: tuple[int, int, int, int]  # Pillow's getbbox of the character alone (anchor "ls")


# Each Pillow font's drawn glyphs, bounded by bytes (memo.BoundedLRU): a run meets a
# thousand or more (font, size) pairs, a few new ones every hundred items, and each
# fills with the characters drawn in it; kept by entries, the tables grew a worker for
# tens of thousands of items. A font dropped is rasterised again when it comes back.
_GLYPH_TABLES = BoundedLRU(24 << 20)
_TABLE_BYTES = 1024  # an empty table: its dict, its key, the font it keeps alive
_GLYPH_BYTES = 256  # a _Glyph and its slot, besides its bitmap
_KERN_BYTES = 160  # a kerning pair's key, value and slot


_LAST_TABLE: list = [None, None]  # the last font asked for and its table (see _glyph_table)


def _glyph_table(font) -> dict:
    """char -> _Glyph, and (left, right) -> kerning in 26.6 units, for one Pillow font
    (filled as characters are drawn). A line asks for one font's table again and again:
    the last one is at hand (it is the most recently used, so the cache's order is the
    same as if it were looked up)."""
    last, table = _LAST_TABLE
    if font is last:
        return table
    table = _GLYPH_TABLES.get(font)
    if table is None:
        table = {}
        _GLYPH_TABLES.put(font, table, _TABLE_BYTES)
    _LAST_TABLE[:] = font, table
    return table


def array_core(array: np.ndarray):
    """Pillow's "L" core image on a (height, width) uint8 array's memory: Image.frombuffer's
    mapping, without its checks (what is pasted into it lands in the array)."""
    return Image.core.map_buffer(array, (array.shape[1], array.shape[0]), "raw", 0, ("L", 0, 1))


def core_pixels(core) -> np.ndarray:
    """An "L" core's pixels as a new array, pasted into its memory (np.asarray of an
    Image encodes it to bytes first: 5x slower)."""
    width, height = core.size
    array = np.zeros((height, width), np.uint8)
    array_core(array).paste(core, (0, 0, width, height))
    return array


def _glyph(font, char: str) -> _Glyph:
    table = _glyph_table(font)
    glyph = table.get(char)
    if glyph is None:
        # The mask ImageDraw.text draws through (one FreeType pass, not getbbox + text):
        # its size and offset are the character's getbbox.
        core, (x0, y0) = font.getmask2(char, "L", anchor="ls")
        width, height = core.size
        bitmap = core_pixels(core) if width and height else None
        glyph = table[char] = _Glyph(round(font.getlength(char) * 64), x0, y0, bitmap,
                                     (x0, y0, x0 + width, y0 + height))
        _GLYPH_TABLES.grow(font, _GLYPH_BYTES + (bitmap.nbytes if bitmap is not None else 0))
    return glyph


@lru_cache(maxsize=4096)
def _advance_table(font) -> dict:
    """char -> advance in 26.6 units, for characters measured but not (yet) drawn."""
    return {}


def _advance_26_6(font, char: str) -> int:
    """A character's advance as its _Glyph records it, without rasterising the glyph."""
    glyph = _glyph_table(font).get(char)
    if glyph is not None:
        return glyph.advance
    advances = _advance_table(font)
    value = advances.get(char)
    if value is None:
        value = advances[char] = round(font.getlength(char) * 64)
    return value


def _kern_26_6(font, kerns, left: str, right: str) -> int:
    """Kerning of a pair as Pillow's basic layout adds it (0 unless the font's 'kern'
    table lists the pair)."""
    table = _glyph_table(font)
    key = (left, right)
    value = table.get(key)
    if value is None:
        value = 0
        if kerns(left, right):
            value = round(font.getlength(left + right) * 64) - _advance_26_6(font, left) - _advance_26_6(font, right)
        table[key] = value
        _GLYPH_TABLES.grow(font, _KERN_BYTES)
    return value


def _glyph_boxes(font, text: str, kerns) -> tuple[Box, ...]:
    """Each character's box around the left end of the baseline of an unstroked line, from
    cached glyphs: what Pillow's getbbox of the character gives, moved by the getlength
    advances and kerning before it (in 26.6 units: the same floats)."""
    table = _glyph_table(font)
    boxes = []
    pen = 0
    last = len(text) - 1
    for i, char in enumerate(text):
        glyph = table.get(char) or _glyph(font, char)
        x0, y0, x1, y1 = glyph.box
        origin = pen / 64
        boxes.append((origin + x0, y0, origin + x1, y1))
        pen += glyph.advance
        if kerns is not None and i < last:
            kern = table.get((char, text[i + 1]))
            pen += kern if kern is not None else _kern_26_6(font, kerns, char, text[i + 1])
    return tuple(boxes)


def line_pen(font, text: str, kerns) -> int:
    """The advance of an unstroked line in 26.6 units: `line_metrics`'s first value,
    from advances alone (no glyph is rasterised: what sizing loops measure at sizes that
    are never drawn)."""
    table, advances = _glyph_table(font), _advance_table(font)
    pen = 0
    last = len(text) - 1
    for i, char in enumerate(text):
        glyph = table.get(char)
        if glyph is not None:
            pen += glyph.advance
        else:  # (_advance_26_6 without looking the glyph up again)
            advance = advances.get(char)
            pen += advance if advance is not None else _advance_26_6(font, char)
        if kerns is not None and i < last:
            kern = table.get((char, text[i + 1]))
            pen += kern if kern is not None else _kern_26_6(font, kerns, char, text[i + 1])
    return pen


def line_metrics(font, text: str, kerns) -> tuple[int, tuple[int, int, int, int]]:
    """(advance in 26.6 units, ink box around the left end of the baseline) of an
    unstroked line, from cached glyphs. The advance is Pillow's `getlength` exactly; the
    box holds Pillow's `getbbox` (the union of each glyph's own box and the pen line,
    which can be a pixel wider on the right)."""
    table = _glyph_table(font)
    pen = x0 = y0 = x1 = y1 = 0
    last = len(text) - 1
    for i, char in enumerate(text):  # the hot loop of dense pages: lookups inlined
        glyph = table.get(char) or _glyph(font, char)
        px = (pen + 32) >> 6
        gx0, gy0, gx1, gy1 = glyph.box
        if gx0 + px < x0:
            x0 = gx0 + px
        if gx1 + px > x1:
            x1 = gx1 + px
        if gy0 < y0:
            y0 = gy0
        if gy1 > y1:
            y1 = gy1
        pen += glyph.advance
        if kerns is not None and i < last:
            kern = table.get((char, text[i + 1]))
            pen += kern if kern is not None else _kern_26_6(font, kerns, char, text[i + 1])
    return pen, (x0, y0, max(x1, (pen + 32) >> 6), y1)


def line_box(font, text: str, kerns) -> tuple[int, int, int, int] | None:
    """Pillow's `getbbox(text, anchor="ls")` of an unstroked line, from cached glyphs, or
    None when they cannot tell it. Pillow's box is the union of the origin, the pen after
    each glyph and each glyph's own box (its control box, in whole pixels) placed at the
    rounded pen. A cached glyph's box is the box of the character alone: its own box
    joined with the origin and its advance, so its right edge is the glyph's own only
    where it passes the advance; elsewhere the glyph ends at most at its advance. When
    that bound never passes what is known (always so with hinted, whole-pixel advances),
    the box is exact; otherwise Pillow is asked (`line_metrics`'s box can be a pixel wider)."""
    table = _glyph_table(font)
    pen = x0 = y0 = y1 = 0
    known = bound = 0  # the right edge: at least `known`, at most `bound`
    last = len(text) - 1
    for i, char in enumerate(text):
        glyph = table.get(char) or _glyph(font, char)
        px = (pen + 32) >> 6
        gx0, gy0, gx1, gy1 = glyph.box
        if gx0 + px < x0:
            x0 = gx0 + px
        if gy0 < y0:
            y0 = gy0
        if gy1 > y1:
            y1 = gy1
        if gx1 + px > bound:
            bound = gx1 + px
        if gx1 > (glyph.advance + 32) >> 6 and gx1 + px > known:  # its own right edge
            known = gx1 + px
        pen += glyph.advance
        end = (pen + 32) >> 6
        if end > known:
            known = end
        if end > bound:
            bound = end
        if kerns is not None and i < last:
            kern = table.get((char, text[i + 1]))
            pen += kern if kern is not None else _kern_26_6(font, kerns, char, text[i + 1])
    return (x0, y0, known, y1) if known == bound else None


def compose_line(font, text: str, kerns, size: tuple[int, int], origin: tuple[int, int]) -> np.ndarray:
    """The "L" mask of `ImageDraw.text(origin, text, fill=255, font=font, anchor="ls")`
    on a blank (width, height) canvas, byte for byte, from cached glyph bitmaps;
    `kerns(a, b)` says whether the font kerns a pair (None: no pair)."""
    if len(text) >= _WORDS_FROM and " " in text and _by_words(font):
        out = _word_compose(font, text, kerns, size, origin)
        if out is not None:
            return out
    return _glyph_compose(font, text, kerns, size, origin)


def _glyph_compose(font, text: str, kerns, size: tuple[int, int], origin: tuple[int, int],
                   pen: int = 0) -> np.ndarray:
    """`compose_line` glyph by glyph (the pen starting `pen` 26.6 units right of `origin`)."""
    out = np.zeros((size[1], size[0]), np.uint8)
    table = _glyph_table(font)
    ox, oy = origin
    right = -(1 << 30)  # right edge of the glyphs placed so far: left of it, blend
    last = len(text) - 1
    for i, char in enumerate(text):  # the hot loop of dense pages: lookups inlined
        glyph = table.get(char) or _glyph(font, char)
        bitmap = glyph.bitmap
        if bitmap is not None:
            col, row = ox + ((pen + 32) >> 6) + glyph.left, oy + glyph.top
            h, w = bitmap.shape
            if col < right:  # over columns an earlier glyph may have inked: blend (a zero blends to the glyph)
                shared = right - col
                if shared >= w:
                    region = out[row:row + h, col:col + w]
                    region[...] = GLYPH_OVER[region, bitmap]
                else:
                    region = out[row:row + h, col:right]
                    region[...] = GLYPH_OVER[region, bitmap[:, :shared]]
                    out[row:row + h, right:col + w] = bitmap[:, shared:]
                    right = col + w
            else:
                out[row:row + h, col:col + w] = bitmap
                right = col + w
        pen += glyph.advance
        if kerns is not None and i < last:
            kern = table.get((char, text[i + 1]))
            pen += kern if kern is not None else _kern_26_6(font, kerns, char, text[i + 1])
    return out


# Lines as words: a dense page's long lines are words between blanks (a space, hair
# spaces). Inside a word the glyphs fall on whole pixels by where the word's pen starts
# within its pixel (1/64 steps: a few classes per word, split where a glyph steps to the
# next pixel), so a word is measured and drawn once per font, size and class, and a line
# is its words side by side, walked word by word instead of glyph by glyph (a page
# repeats its words). Where a word's ink would reach into an earlier word's columns (a
# hanging f: rare), the line is drawn glyph by glyph. The same values and bytes as the
# glyph walks (tests/test_text.py).

_WORDS_FROM = 16  # lines of this many characters or more, with a space, are walked by words
_TOKENS = re.compile("[ \u200a]+|[^ \u200a]+")  # runs of blanks (a space, hair spaces) and words
_WORD_BYTES = 48 << 20  # the drawn words of every font kept, at most (then all dropped)
_HOT_LINES = 12  # long lines of a font walked glyph by glyph before its words are cut


@dataclass(eq=False)
class _Word:
    advance: int  # 26.6: its glyphs' advances and the kerning between them
    first: str
    last: str
    glyphs: tuple  # (pen from the word's start in 26.6, _Glyph) per character
    cuts: tuple[int, ...]  # pen fractions (0..63) at which one of its glyphs steps a pixel right
    top: int  # rows of its glyph boxes around the baseline
    bottom: int
    runs: list  # per class: (first inked column from its start pixel, inked columns on the band), once drawn


class _FontWords:
    """One Pillow font's words. Their drawings span the same rows (`band`, around the
    baseline, widened and redrawn when a taller glyph comes), so a line is one
    concatenation of them and blank columns."""

    def __init__(self):
        self.words: dict[str, _Word] = {}
        self.lines = 0  # long lines seen (walked glyph by glyph while there are few)
        self.band = (0, 0)  # (top, bottom) rows around the baseline, blank margin included
        self.blank = np.zeros((0, 0), np.uint8)  # blank columns of the band


_FONT_WORDS: dict = {}
_word_bytes = 0


def _font_words(font) -> _FontWords:
    words = _FONT_WORDS.get(font)
    if words is None:
        words = _FONT_WORDS[font] = _FontWords()
    return words


def _by_words(font) -> bool:
    """Whether a font's long lines are walked by words: once it has had a few (a font and
    size printing a line or two, a large footnote, costs more to cut into words than to
    draw glyph by glyph)."""
    words = _font_words(font)
    if words.lines >= _HOT_LINES:
        return True
    words.lines += 1
    return False


def _word(font, words: _FontWords, token: str, kerns) -> _Word:
    table = _glyph_table(font)
    glyphs, pen, cuts = [], 0, set()
    top = bottom = 0
    last = len(token) - 1
    for i, char in enumerate(token):
        glyph = table.get(char) or _glyph(font, char)
        glyphs.append((pen, glyph))
        cuts.add((-pen - 32) & 63)  # where (fraction + pen + 32) reaches the next multiple of 64
        top, bottom = min(top, glyph.box[1]), max(bottom, glyph.box[3])
        pen += glyph.advance
        if kerns is not None and i < last:
            kern = table.get((char, token[i + 1]))
            pen += kern if kern is not None else _kern_26_6(font, kerns, char, token[i + 1])
    cuts.discard(0)
    cuts = tuple(sorted(cuts))
    band_top, band_bottom = words.band
    if top - _PAD < band_top or bottom + _PAD > band_bottom:  # a taller glyph: every word redrawn on a wider band
        words.band = (min(band_top, top - _PAD), max(band_bottom, bottom + _PAD))
        words.blank = np.zeros((words.band[1] - words.band[0], 64), np.uint8)
        for other in words.words.values():
            other.runs = [None] * len(other.runs)
    word = words.words[token] = _Word(pen, token[0], token[-1], tuple(glyphs), cuts, top, bottom,
                                      [None] * (len(cuts) + 1))
    return word


def _word_run(words: _FontWords, font, word: _Word, token: str, kerns, cls: int):
    """(first inked column from the word's start pixel, its inked columns on the band) in
    a class; (None, None) when the word has no ink."""
    global _word_bytes
    r = word.cuts[cls - 1] if cls else 0  # a pen fraction of the class (its first)
    placed = [(((r + 32 + pen) >> 6) + glyph.left, glyph.bitmap.shape[1]) for pen, glyph in word.glyphs
              if glyph.bitmap is not None]
    if not placed:
        word.runs[cls] = (None, None)
        return word.runs[cls]
    start = min(col for col, _w in placed)
    band_top, band_bottom = words.band
    out = _glyph_compose(font, token, kerns, (max(col + w for col, w in placed) - start, band_bottom - band_top),
                         (-start, -band_top), pen=r)
    _word_bytes += out.nbytes
    if _word_bytes > _WORD_BYTES:  # (bounded: a worker's memory does not grow with --n)
        _FONT_WORDS.clear()
        _word_bytes = out.nbytes
    word.runs[cls] = (start, out)
    return word.runs[cls]


def _word_compose(font, text: str, kerns, size: tuple[int, int], origin: tuple[int, int]) -> np.ndarray | None:
    """`compose_line` from drawn words: None where a word's ink would reach into an earlier
    word's columns, or the canvas asked for is not on the words' band."""
    words = _font_words(font)
    known = words.words
    table = _glyph_table(font)
    ox, oy = origin
    band = words.band
    pieces = []
    pen = cursor = 0  # cursor: the columns laid so far
    before = None
    for token in _TOKENS.findall(text):
        word = known.get(token) or _word(font, words, token, kerns)
        if before is not None and kerns is not None:
            kern = table.get((before, word.first))
            pen += kern if kern is not None else _kern_26_6(font, kerns, before, word.first)
        cls = bisect_right(word.cuts, pen & 63)
        start, strip = word.runs[cls] or _word_run(words, font, word, token, kerns, cls)
        if strip is not None:
            col = ox + (pen >> 6) + start
            if col < cursor:
                return None
            if col > cursor:
                gap = col - cursor
                pieces.append(words.blank[:, :gap] if gap <= 64 else np.zeros((strip.shape[0], gap), np.uint8))
            pieces.append(strip)
            cursor = col + strip.shape[1]
        pen += word.advance
        before = word.last
    top = -oy - band[0]
    if words.band != band or cursor > size[0] or top < 0 or top + size[1] > band[1] - band[0]:
        return None  # (a word widened the band on the way: its strips are of two heights)
    if cursor < size[0]:
        gap = size[0] - cursor
        pieces.append(words.blank[:, :gap] if gap <= 64 else np.zeros((band[1] - band[0], gap), np.uint8))
    return np.concatenate(pieces, axis=1)[top:top + size[1]]


@dataclass(frozen=True, eq=False)
class LineMask:
    """A line's "L" coverage (from `compose_line`), what it owns in the id buffer (the
    pixels it covers at least half of, a "1" image), how many pixels that is and their
    box, each worked out once when first asked (the renderer pastes every upright line's
    Pillow cores straight; Images are made only for whoever asks for them). A turned line
    owns the pixels of its turned coverage instead (its upright mask's own are never
    asked). Shared: read only (Pillow copies a read-only image before changing it)."""

    array: np.ndarray  # the coverage's pixels (read only)
    coverage_core: object  # Pillow's core image on `array`'s memory ("L")

    @classmethod
    def of(cls, array: np.ndarray) -> LineMask:
        array.flags.writeable = False
        return cls(array, array_core(array))

    @cached_property
    def owned_core(self):
        """Pillow's core image of the owned pixels ("1": 255 where coverage >= 128)."""
        return self.coverage_core.convert("1", Image.Dither.NONE)

    @cached_property
    def owned_px(self) -> int:
        return int(np.count_nonzero(self.array >= 128))

    @cached_property
    def owned_box(self) -> tuple[int, int, int, int]:
        """The box of the owned pixels (all zero when none)."""
        return self.owned_core.getbbox() or (0, 0, 0, 0)

    @cached_property
    def coverage(self) -> Image.Image:
        return _read_only(self.coverage_core)

    @cached_property
    def owned(self) -> Image.Image:
        return _read_only(self.owned_core)


def _read_only(core) -> Image.Image:
    """A Pillow image on a shared core, read only (as Image.frombuffer makes it)."""
    image = Image.new(core.mode, (0, 0))._new(core)
    image.readonly = 1
    return image


# Bounded by bytes (memo.BoundedLRU): a page's labels are a few hundred bytes and recur
# across items (a shelf's price labels, a screen's tabs), while the `ocr` family's large
# signs (up to tens of KB) recur only within an item. An entry counts its coverage, its
# owned pixels (the same size, once asked) and about 1 KB of Python and Pillow objects.
_LINE_MASKS = BoundedLRU(24 << 20)
_LINE_MASK_OVERHEAD = 1024


def _line_mask(font, text: str, kerns, size: tuple[int, int], origin: tuple[int, int]) -> LineMask:
    """`compose_line`, remembered: pages repeat lines (labels, totals, section names,
    prices) across items and across a question and its caption."""
    key = (font, text, size, origin)
    mask = _LINE_MASKS.get(key)
    if mask is None:
        mask = LineMask.of(compose_line(font, text, kerns, size, origin))
        _LINE_MASKS.put(key, mask, 2 * mask.array.nbytes + _LINE_MASK_OVERHEAD)
    return mask


# Bounds below are measured reuse (scripts/cache_reuse.py): an entry is asked again
# within a few hundred calls or, mostly, never; a larger bound only grows a worker with --n.
@lru_cache(maxsize=4096)
def _char_metrics(font, char: str, stroke_px: int):
    return font.getlength(char), font.getbbox(char, anchor="ls", stroke_width=stroke_px)


@lru_cache(maxsize=1024)
def _kerning(font, left: str, right: str) -> float:
    return font.getlength(left + right) - _char_metrics(font, left, 0)[0] - _char_metrics(font, right, 0)[0]


def layout_text(
    text: str,
    font: FontInfo,
    *,
    text_px: int,
    angle_deg: float = 0.0,
    center: tuple[float, float] = (0.0, 0.0),
    stroke_px: int = 0,
    shaping: Shaping | None = None,
) -> TextLayout:
    """Lay out one line of text with its ink box centred at `center`; shaped by raqm
    when `shaping` is given (scripts beyond Latin), else with Pillow's basic layout.

    Raises GlyphCoverageError when the font does not draw every character.
    """
    require_drawable(font, text)
    em_px = font.em_for_cap(text_px)
    if shaping is None and not stroke_px:
        ink_box = _line_ink_box(font.pil(em_px), text, font.kerns if font.has_kern_table else None)
    elif shaping is None:
        ink_box = _ink_box(font.pil(em_px), text, stroke_px)
    else:
        ink_box = raqm_box(font.pil_shaping(em_px), text, vertical_anchor(shaping), shaping.direction,
                           shaping.language, stroke_px)
    x0, y0, x1, y1 = ink_box
    pivot = ((x0 + x1) / 2, (y0 + y1) / 2)
    layout = TextLayout(text, font, text_px, stroke_px, ink_box, Placement(angle_deg, pivot, (0.0, 0.0)), shaping)
    return moved(layout, center)


def measure_text(text: str, font: FontInfo, *, text_px: int, stroke_px: int = 0,
                 shaping: Shaping | None = None) -> tuple[int, int, int, int]:
    """`layout_text(...).ink_box_local`, without drawing a shaped line (see
    shaping.raqm_measure): for a text that may be refused for its size."""
    require_drawable(font, text)
    em_px = font.em_for_cap(text_px)
    if shaping is None:
        return _ink_box(font.pil(em_px), text, stroke_px)
    return raqm_measure(font.pil_shaping(em_px), text, vertical_anchor(shaping), shaping.direction,
                        shaping.language, stroke_px)


@lru_cache(maxsize=1024)
def _line_ink_box(pil, text: str, kerns) -> tuple[int, int, int, int]:
    """Pillow's ink box of an unstroked line, from cached glyphs when they tell it (no
    layout call: a page's prices and sizes are new lines), else from Pillow."""
    box = line_box(pil, text, kerns)
    return box if box is not None else _ink_box(pil, text, 0)


@lru_cache(maxsize=256)
def _ink_box(pil, text: str, stroke_px: int) -> tuple[int, int, int, int]:
    """Pillow's ink box of a line (a full layout per call: labels repeat across items)."""
    return pil.getbbox(text, anchor="ls", stroke_width=stroke_px)


def layout_line(text: str, font: FontInfo, *, text_px: int) -> TextLayout:
    """An upright, unstroked line for a dense page, measured from cached glyphs (no
    Pillow layout call per line): the same pixels as `layout_text`, its box at most a
    pixel wider on the right. Its ink box is centred at the origin."""
    require_drawable(font, text)
    _advance, ink_box = _cached_line_metrics(font, text_px, text)
    x0, y0, x1, y1 = ink_box
    pivot = ((x0 + x1) / 2, (y0 + y1) / 2)
    return moved(TextLayout(text, font, text_px, 0, ink_box, Placement(0.0, pivot, (0.0, 0.0))), (0.0, 0.0))


def line_at(text: str, font: FontInfo, *, text_px: int, start: float, baseline: float) -> TextLayout:
    """`layout_line` moved so that its pen starts at (start, baseline): what
    `moved(layout_line(...), (start + pivot_x, baseline + pivot_y))` gives, in one step
    (a dense page lays out thousands of lines)."""
    require_drawable(font, text)
    ink_box = _cached_line_metrics(font, text_px, text)[1]
    x0, y0, x1, y1 = ink_box
    px, py = (x0 + x1) / 2, (y0 + y1) / 2
    cx, cy = start + px, baseline + py
    center = (math.floor(cx - px) + px, math.floor(cy - py) + py)  # as `moved` snaps upright text
    # (made without the frozen setattrs of TextLayout(...) and Placement(...): the same layout)
    placement = made(Placement, angle_deg=0.0, pivot=(px, py), center=center)
    return made(TextLayout, text=text, font=font, text_px=text_px, stroke_px=0, ink_box_local=ink_box,
                placement=placement)


def line_advance(text: str, font: FontInfo, text_px: int) -> float:
    """Pillow's `getlength` of a line, exactly, from cached glyphs."""
    return _cached_line_metrics(font, text_px, text)[0] / 64


@lru_cache(maxsize=4096)
def basic_pil(font: FontInfo, text_px: int):
    """`font.pil(font.em_for_cap(text_px))`, Pillow's font of basic-layout lines of a cap
    height, remembered by (font, size): a page asks for it for every line."""
    return font.pil(font.em_for_cap(text_px))


@lru_cache(maxsize=16384)  # (measured reuse: a shelf's 16,384 keep 90% of the hits of 65,536)
def measured_advance(text: str, font: FontInfo, text_px: int) -> float:
    """`pen_advance`, remembered, for fitting a line by trying sizes one after another."""
    return pen_advance(text, font, text_px)


def pen_advance(text: str, font: FontInfo, text_px: int) -> float:
    """`line_advance`'s value from advances alone: no glyph is rasterised (sizes tried
    and dropped, words measured to wrap them)."""
    return line_pen(basic_pil(font, text_px), text, font.kerns if font.has_kern_table else None) / 64


@lru_cache(maxsize=65536)
def _cached_line_metrics(font: FontInfo, text_px: int, text: str) -> tuple[int, tuple[int, int, int, int]]:
    """`line_metrics` of a line at a cap height: a page measures a line to fit it, then
    lays it out (bounded, so a worker's memory does not grow with --n)."""
    return line_metrics(basic_pil(font, text_px), text, font.kerns if font.has_kern_table else None)


# What a layout works out that does not depend on where it is placed: a moved copy keeps it.
_PLACE_FREE = ("em_px", "_pil", "clusters_local", "char_boxes_local")


def moved(layout: TextLayout, center: tuple[float, float]) -> TextLayout:
    """The same text with its ink box centred at `center` (upright text snapped to whole
    pixels, so that its pixels are exactly the font's). Made as `TextLayout(...)` and
    `Placement(...)` make them, without their frozen setattrs (a page moves dozens of
    lines), keeping what the layout worked out that its place does not change."""
    place = layout.placement
    pivot = place.pivot
    if not place.angle_deg % 360:
        center = (math.floor(center[0] - pivot[0]) + pivot[0], math.floor(center[1] - pivot[1]) + pivot[1])
    placement = made(Placement, angle_deg=place.angle_deg, pivot=pivot, center=center)
    if "matrix" in vars(place):  # (the turn's matrix: the same angle)
        vars(placement)["matrix"] = vars(place)["matrix"]
    new = made(TextLayout, text=layout.text, font=layout.font, text_px=layout.text_px, stroke_px=layout.stroke_px,
               ink_box_local=layout.ink_box_local, placement=placement, shaping=layout.shaping)
    state, fields = vars(layout), vars(new)
    for name in _PLACE_FREE:
        if name in state:
            fields[name] = state[name]
    return new
