"""One Pillow renderer for every family. It draws the RGB image and, alongside it, an
object-id buffer (which item owns each pixel), from which visibility is measured."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import singledispatch
from itertools import chain

import numpy as np
import pyarrow as pa
from PIL import Image, ImageDraw

from gen_stress.scenes.colors import RGB
from gen_stress.scenes.geometry import pixel_box
from gen_stress.scenes.memo import cached_property
from gen_stress.scenes.model import Scene, ShapeItem, TextItem, has_holes


def as_array(image: Image.Image) -> np.ndarray:
    """The pixels of an "L" or "I" image as a (height, width) array, through Pillow's
    Arrow export (no copy; np.asarray copies through tobytes, 50x slower)."""
    try:
        array = pa.array(image).to_numpy(zero_copy_only=False)
    except (AttributeError, TypeError, ValueError, pa.ArrowException):  # older Pillow, or a multi-block image
        return np.asarray(image)
    return array.reshape(image.height, image.width)



def encode_png(image: Image.Image) -> bytes:
    """The image as stored: PNG at Pillow's default settings (one encoder for every path)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

@dataclass(frozen=True)
class Raster:
    """An item's pixels before compositing: where it goes, what it covers, its paints."""

    x0: int
    y0: int
    coverage: Image.Image  # "L": how much of each pixel the item covers
    layers: tuple[tuple[RGB, Image.Image], ...]  # paints, bottom first
    binary: bool = False  # coverage is already 0 or 255 (no anti-aliasing)
    owned: Image.Image | None = None  # the pixels it owns ("1"), when known beforehand
    owned_px: int = 0  # ... and how many they are
    owned_box: tuple[int, int, int, int] | None = None  # ... and their box in the raster, when known
    array: np.ndarray | None = None  # the coverage's pixels, when already at hand (read only)

    @property
    def box(self) -> tuple[int, int, int, int]:
        return (self.x0, self.y0, self.x0 + self.coverage.width, self.y0 + self.coverage.height)


@singledispatch
def rasterize(item) -> Raster:
    """Pixels of one scene item; new item types register an implementation."""
    raise TypeError(f"cannot render {type(item).__name__}")


@rasterize.register
def _(item: ShapeItem) -> Raster:
    x0, y0, x1, y1 = pixel_box(item.geometry.bounds)
    # Pillow fills polygons up to and including their right and bottom edge pixels.
    mask = Image.new("L", (x1 - x0 + 1, y1 - y0 + 1), 0)
    draw = ImageDraw.Draw(mask)
    draw.polygon((item.exterior - (x0, y0)).ravel().tolist(), fill=255)
    for hole in item.geometry.interiors:
        draw.polygon([(x - x0, y - y0) for x, y in hole.coords], fill=0)
    return Raster(x0, y0, mask, ((item.rgb, mask),), binary=True)


def _upright_line(item) -> bool:
    """Most lines of a page: upright, unstroked Latin text, drawn through a shared mask
    (shaped text is drawn by raqm)."""
    if type(item) is not TextItem:
        return False
    layout = item.layout
    return layout.shaping is None and not layout.stroke_px and layout.placement.angle_deg == 0


def _turned_line(item) -> bool:
    """The lines of a skewed sheet: turned, unstroked Latin text (the renderer pastes the
    turned coverage's core straight; its Raster is made if a check asks for it)."""
    if type(item) is not TextItem:
        return False
    layout = item.layout
    return layout.shaping is None and not layout.stroke_px and layout.rotated


@rasterize.register
def _(item: TextItem) -> Raster:
    layout = item.layout
    if _upright_line(item):
        (x0, y0), mask = layout.upright_line()
        return Raster(x0, y0, mask.coverage, ((item.rgb, mask.coverage),), owned=mask.owned, owned_px=mask.owned_px,
                      owned_box=mask.owned_box, array=mask.array)
    (x0, y0), outer, inner = layout.rasterize()
    if inner is None:
        return Raster(x0, y0, outer, ((item.rgb, outer),))
    stroke = item.stroke_rgb if item.stroke_rgb is not None else item.rgb
    return Raster(x0, y0, outer, ((stroke, outer), (item.rgb, inner)))


class _Rasters(dict):
    """Rasters by item id. Items painted straight onto the canvas are rasterised again
    only if someone asks for their pixels."""

    def __init__(self, items: dict):
        super().__init__()
        self._items = items
        self.turned: dict = {}  # item id -> (top-left, core) of turned lines drawn from cores

    def __missing__(self, item_id: int) -> Raster:
        drawn = self.turned.get(item_id)
        if drawn is not None:  # what rasterize gives a turned line, from the core already turned
            (x0, y0), core = drawn
            coverage = Image.Image()._new(core)
            raster = self[item_id] = Raster(x0, y0, coverage, ((self._items[item_id].rgb, coverage),))
            return raster
        raster = self[item_id] = rasterize(self._items[item_id])
        return raster

    def box(self, item_id: int) -> tuple[int, int, int, int]:
        """An item's `Raster.box`; an upright line's from its shared mask (see `frame`)."""
        if item_id not in self and _upright_line(self._items[item_id]):
            x0, y0, array = self.frame(item_id)
            return x0, y0, x0 + array.shape[1], y0 + array.shape[0]
        return self[item_id].box

    def frame(self, item_id: int) -> tuple[int, int, np.ndarray]:
        """(x0, y0, coverage array) of an item's raster; an upright line's straight from its
        shared mask, without making its Raster (a check asks where a line's ink is, not
        for its images)."""
        raster = self.get(item_id)
        if raster is None:
            item = self._items[item_id]
            if _upright_line(item):  # what `rasterize` gives it: the mask at its top-left
                (x0, y0), mask = item.layout.upright_line()
                return x0, y0, mask.array
            raster = self[item_id]
        return raster.x0, raster.y0, raster.array if raster.array is not None else as_array(raster.coverage)


@dataclass
class Rendered:
    image: Image.Image
    ids: np.ndarray  # (height, width): id of the item owning each pixel, 0 = background
    rasters: dict[int, Raster]
    area_px: dict[int, int]  # pixels each item would cover alone (inside the canvas or not)
    visible: dict[int, int]  # pixels each item owns in the id buffer
    memo: dict = field(default_factory=dict, repr=False)  # what several checks derive alike
    boxes: dict = field(default_factory=dict, repr=False)  # item id -> where its id went (all it owns is inside)

    @cached_property
    def png(self) -> bytes:
        """The image as stored, encoded once per render."""
        return encode_png(self.image)

    @cached_property
    def counts(self) -> np.ndarray:
        """The id buffer's histogram (pixels owned, by id; 256 ids at least), background
        included: worked out when asked (the capture reads it; rows need `visible`)."""
        return np.bincount(self.ids.ravel(), minlength=max(256, max(self.area_px, default=0) + 1))

    def visible_px(self, item_id: int) -> int:
        return self.visible[item_id]

    def visible_fraction(self, item_id: int) -> float:
        area = self.area_px[item_id]
        return self.visible_px(item_id) / area if area else 0.0

    def coverage(self, item_id: int) -> tuple[int, int, np.ndarray]:
        """(x0, y0, coverage array) of one item, in canvas pixels (may reach outside)."""
        return self.rasters.frame(item_id)

    def within_canvas(self, item_id: int) -> bool:
        x0, y0, x1, y1 = self.rasters.box(item_id)
        return x0 >= 0 and y0 >= 0 and x1 <= self.image.width and y1 <= self.image.height

    def id_region(self, item_id: int) -> tuple[int, int, int, int]:
        """Where the item's id can be in the id buffer, inside the canvas: where the
        renderer wrote it (no Raster made for its box)."""
        box = self.boxes.get(item_id)
        x0, y0, x1, y1 = box if box is not None else self.rasters.box(item_id)
        h, w = self.ids.shape
        return max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)


def _paint_directly(item) -> tuple[int, int, int, int] | None:
    """The pixel box of a plain polygon that starts inside the canvas (painted straight
    onto the canvas, no mask needed; what runs past the right or bottom edge is clipped
    there), else None. Pillow truncates a vertex to a whole pixel towards zero: from
    the canvas's origin as from a mask's, where no vertex is negative."""
    if type(item) is not ShapeItem or has_holes(item):  # subclasses rasterise their own way
        return None
    x0, y0, x1, y1 = pixel_box(item.bbox)  # (the geometry's bounds, remembered by the item)
    if x0 < 0 or y0 < 0:
        return None
    return x0, y0, x1 + 1, y1 + 1  # Pillow fills the right and bottom edge pixels too


def _rectangle_box(points: list[float]) -> tuple[int, int, int, int] | None:
    """The pixels Pillow's polygon fills for an upright rectangle (four corners, none
    negative, `points` flat), inside the canvas or not, as a box (x1, y1 exclusive): its
    whole-pixel corners (Pillow's truncation) and every pixel between, edges included;
    None for another polygon."""
    if len(points) != 8:
        return None
    xa, ya, xb, yb, xc, yc, xd, yd = points
    if not ((xa == xb and yb == yc and xc == xd and yd == ya) or (ya == yb and xb == xc and yc == yd and xd == xa)):
        return None
    return int(min(xa, xc)), int(min(ya, yc)), int(max(xa, xc)) + 1, int(max(ya, yc)) + 1


def _px_beyond(points: list[float], box: tuple[int, int, int, int], size: tuple[int, int]) -> int:
    """Pixels of a polygon painted straight onto the canvas (`points` flat, none negative)
    that fall past its right or bottom edge: what its mask would have owned there. The
    polygon's whole-pixel vertices (Pillow's truncation) drawn again, moved by whole
    pixels, into the strips beyond the edges."""
    x0, y0, x1, y1 = box
    width, height = size
    vertices = [int(v) for v in points]
    strips = [(width, y0, x1, y1), (x0, height, min(x1, width), y1)]  # right of the canvas; below it
    beyond = 0
    for sx0, sy0, sx1, sy1 in strips:
        if sx1 > sx0 and sy1 > sy0:
            strip = Image.core.fill("L", (sx1 - sx0, sy1 - sy0), 0)
            moved = [v - (sx0 if k % 2 == 0 else sy0) for k, v in enumerate(vertices)]
            Image.core.draw(strip, 0).draw_polygon(moved, 1, 1)
            beyond += strip.histogram()[1]
    return beyond


def paste(target: Image.Image, paint, box: tuple[int, int, int, int], mask: Image.Image) -> None:
    """`target.paste(paint, box, mask)` onto a canvas made here (Image.new: loaded, writable),
    through the core call alone: Image.paste checks its arguments and makes two pixel-access
    objects per call, and a page pastes hundreds of items. The same pixels."""
    if isinstance(paint, Image.Image):
        if paint.mode != target.mode:  # Image.paste converts it first
            target.paste(paint, box, mask)
            return
        paint = paint.im
    target.im.paste(paint, box, mask.im)


# Item types drawn as a stamp, every pixel they own known beforehand: type -> a function
# giving an item's (x0, y0, colours, owned "1" mask, owned pixels, their box in the mask).
# The renderer pastes the colours through the mask as it would the item's Raster (binary,
# its owned mask given), without making it (a check that asks gets it from `rasterize`).
STAMPED: dict = {}


def render(scene: Scene) -> Rendered:
    size = (scene.width, scene.height)
    image = Image.new("RGB", size, scene.background_rgb)
    # One byte per pixel when the ids fit (most scenes), else 32-bit ids.
    ids = Image.new("L" if max((it.item_id for it in scene.items), default=0) < 256 else "I", size, 0)
    ids_array = as_array(ids)  # a view of the id buffer: it follows every draw below
    paint, label = ImageDraw.Draw(image).draw, ImageDraw.Draw(ids).draw
    inks: dict = {}  # Pillow's ink of each colour (what ImageDraw.polygon works out per call)
    rasters = _Rasters({it.item_id: it for it in scene.items})
    area_px: dict[int, int] = {}
    boxes: dict[int, tuple[int, int, int, int]] = {}  # where each item's ids can be, in drawing order
    whole: set[int] = set()  # items that wrote their id on every pixel they own, and nothing else

    def stamp(item_id: int, x0: int, y0: int, paint, coverage, owned, owned_px: int, owned_box) -> None:
        """A fast path's drawing, on Pillow's cores: `paint` (a colour or a core) through
        `coverage`, the id through the owned "1" core, at (x0, y0); what it owns and where."""
        width, height = owned.size
        box = (x0, y0, x0 + width, y0 + height)
        image.im.paste(paint, box, coverage)
        ids.im.paste(item_id, box, owned)
        area_px[item_id] = owned_px
        ox0, oy0, ox1, oy1 = owned_box
        boxes[item_id] = (x0 + ox0, y0 + oy0, x0 + ox1, y0 + oy1)
        whole.add(item_id)

    for item in scene.drawing_order():
        # Fast paths: what the raster path below does for the item, without its Raster
        # (made if a check asks for it).
        if _upright_line(item):
            (x0, y0), mask = item.layout.upright_line()
            stamp(item.item_id, x0, y0, item.rgb, mask.coverage_core, mask.owned_core, mask.owned_px, mask.owned_box)
            continue
        if _turned_line(item):
            (x0, y0), coverage = rasters.turned[item.item_id] = item.layout.turned_line()
            owned = coverage.convert("1", Image.Dither.NONE)
            stamp(item.item_id, x0, y0, item.rgb, coverage, owned, _owned_core_px(coverage, owned),
                  owned.getbbox(True) or (0, 0, 0, 0))
            continue
        stamped = STAMPED.get(type(item))
        if stamped is not None:  # (a shelf draws dozens of packages)
            x0, y0, colours, owned, owned_px, owned_box = stamped(item)
            stamp(item.item_id, x0, y0, colours.im, owned.im, owned.im, owned_px, owned_box)
            continue
        box = _paint_directly(item)
        if box is not None:
            # Same rasterisation as the mask path (integer offsets), without the mask.
            points = item.exterior.ravel().tolist()
            filled = _rectangle_box(points)
            if filled is not None:  # the box Pillow's polygon fills, filled as a box (7x faster on RGB)
                fx0, fy0, fx1, fy1 = filled
                clipped = (fx0, fy0, min(fx1, size[0]), min(fy1, size[1]))
                if clipped[2] > fx0 and clipped[3] > fy0:
                    image.im.paste(item.rgb, clipped)
                    ids.im.paste(item.item_id, clipped)
            else:
                ink = inks.get(item.rgb)
                if ink is None:
                    ink = inks[item.rgb] = paint.draw_ink(item.rgb)
                paint.draw_polygon(points, ink, 1)
                label.draw_polygon(points, label.draw_ink(item.item_id), 1)
            x0, y0, x1, y1 = box
            area = None if filled is None else (filled[2] - filled[0]) * (filled[3] - filled[1])
            if area is None:
                area = int(np.count_nonzero(ids_array[y0:y1, x0:x1] == item.item_id))  # on top now
                if x1 > size[0] or y1 > size[1]:  # (it runs past the edge)
                    area += _px_beyond(points, box, size)
            area_px[item.item_id] = area
            boxes[item.item_id] = box
            whole.add(item.item_id)
            continue
        raster = rasterize(item)
        # An item owns the pixels it covers at least half of.
        if raster.owned is not None:
            owned, owned_px = raster.owned, raster.owned_px
        else:
            owned = raster.coverage.convert("1", dither=Image.Dither.NONE)
            owned_px = _owned_px(raster, owned)
        box = raster.box
        for rgb, mask in raster.layers:
            if raster.binary and mask.mode == "L":
                # 0 or 255 only: a "1" mask pastes the same pixels, up to 8x faster onto RGB
                # (an "L" mask blends every pixel; a full-width shelf board costs 0.2 ms so).
                mask = owned if mask is raster.coverage and owned.mode == "1" else _ones(mask)
            paste(image, rgb, box, mask)
        paste(ids, item.item_id, box, owned)
        rasters[item.item_id] = raster
        area_px[item.item_id] = owned_px
        if owned.mode == "1":  # a "1" mask writes the id on each pixel it owns (an "L" one could blend)
            whole.add(item.item_id)
            # Where its id went: a tighter box than the raster's meets fewer later boxes.
            local = raster.owned_box or owned.getbbox() or (0, 0, 0, 0)
            box = (box[0] + local[0], box[1] + local[1], box[0] + local[2], box[1] + local[3])
        boxes[item.item_id] = box
    visible = _visible_px(ids_array, boxes, area_px, whole)
    return Rendered(image=image, ids=ids_array, rasters=rasters, area_px=area_px, visible=visible, boxes=boxes)


def _ones(mask: Image.Image) -> Image.Image:
    """A binary "L" mask (0 or 255) as a "1" mask: the same pixels pasted."""
    return mask.convert("1", dither=Image.Dither.NONE)


# Past this many items the pairwise box test costs more than counting every pixel.
_MAX_PAIRED_ITEMS = 800


def _visible_px(ids: np.ndarray, boxes: dict[int, tuple[int, int, int, int]], area_px: dict[int, int],
                whole: set[int]) -> dict[int, int]:
    """Pixels each item owns in the id buffer (`boxes` in drawing order). An item's id is
    written only inside its box (a pasted raster's, a polygon's pixel box): an item of
    `whole` inside the canvas whose box no later item's box meets still owns all it
    wrote, its area; the others are counted in their boxes. A walk over the whole canvas
    costs as much as a tenth of a PNG encode."""
    order = list(boxes)
    if len(order) > _MAX_PAIRED_ITEMS:
        counts = np.bincount(ids.ravel(), minlength=max(order) + 1)
        return {item_id: int(counts[item_id]) for item_id in order}
    if not order:
        return {}
    h, w = ids.shape
    drawn = np.fromiter(chain.from_iterable(boxes.values()), np.int64, 4 * len(order)).reshape(-1, 4)
    clipped = np.clip(drawn, 0, (w, h, w, h))
    x0, y0, x1, y1 = np.ascontiguousarray(clipped.T, dtype=np.int32)  # narrow, contiguous: compared faster
    meets = (x0[:, None] < x1) & (x0 < x1[:, None]) & (y0[:, None] < y1) & (y0 < y1[:, None])
    last = len(order) - 1 - meets[:, ::-1].argmax(axis=1)  # the last item whose box meets each one's
    kept = (last <= np.arange(len(order))) & (clipped == drawn).all(axis=1)
    visible = {}
    for item_id, keep, (bx0, by0, bx1, by1) in zip(order, kept.tolist(), clipped.tolist()):
        if keep and item_id in whole:
            visible[item_id] = area_px[item_id]
        elif bx1 > bx0 and by1 > by0:
            visible[item_id] = int(np.count_nonzero(ids[by0:by1, bx0:bx1] == item_id))
        else:
            visible[item_id] = 0
    return visible


# Pillow's histogram walks every pixel in Python-visible bins; numpy's count has a fixed
# cost of a few microseconds but runs far faster per pixel: past this many pixels it wins.
_NUMPY_COUNT_PX = 3000


def _owned_core_px(coverage, owned) -> int:
    """`_owned_px` of an anti-aliased coverage and its "1" image, as Pillow cores."""
    width, height = owned.size
    if width * height < _NUMPY_COUNT_PX:
        return owned.histogram()[-1]
    return int(np.count_nonzero(as_array(Image.Image()._new(coverage)) >= 128))


def _owned_px(raster: Raster, owned: Image.Image) -> int:
    """Pixels a raster owns: its coverage at 255 (binary) or at least half (128, the
    threshold of Pillow's "1" conversion)."""
    if owned.width * owned.height < _NUMPY_COUNT_PX:
        return owned.histogram()[-1]
    coverage = as_array(raster.coverage)
    return int(np.count_nonzero(coverage == 255 if raster.binary else coverage >= 128))
