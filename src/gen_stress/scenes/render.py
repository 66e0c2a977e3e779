"""One Pillow renderer for every family. It draws the RGB image and, alongside it, an
object-id buffer (which item owns each pixel), from which visibility is measured."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property, singledispatch

import numpy as np
import pyarrow as pa
from PIL import Image, ImageDraw

from gen_stress.scenes.colors import RGB
from gen_stress.scenes.geometry import pixel_box
from gen_stress.scenes.model import Scene, ShapeItem, TextItem


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


@rasterize.register
def _(item: TextItem) -> Raster:
    layout = item.layout
    # Most lines of a page: a shared mask (Latin only: shaped text is drawn by raqm).
    if layout.shaping is None and not layout.stroke_px and layout.placement.angle_deg == 0:
        (x0, y0), mask = layout.upright_line()
        return Raster(x0, y0, mask.coverage, ((item.rgb, mask.coverage),), owned=mask.owned, owned_px=mask.owned_px)
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

    def __missing__(self, item_id: int) -> Raster:
        raster = self[item_id] = rasterize(self._items[item_id])
        return raster


@dataclass
class Rendered:
    image: Image.Image
    ids: np.ndarray  # (height, width): id of the item owning each pixel, 0 = background
    rasters: dict[int, Raster]
    area_px: dict[int, int]  # pixels each item would cover alone (inside the canvas or not)
    counts: np.ndarray  # pixels owned, by item id
    memo: dict = field(default_factory=dict, repr=False)  # what several checks derive alike

    @cached_property
    def png(self) -> bytes:
        """The image as stored, encoded once per render."""
        return encode_png(self.image)

    def visible_px(self, item_id: int) -> int:
        return int(self.counts[item_id])

    def visible_fraction(self, item_id: int) -> float:
        area = self.area_px[item_id]
        return self.visible_px(item_id) / area if area else 0.0

    def coverage(self, item_id: int) -> tuple[int, int, np.ndarray]:
        """(x0, y0, coverage array) of one item, in canvas pixels (may reach outside)."""
        raster = self.rasters[item_id]
        return raster.x0, raster.y0, as_array(raster.coverage)

    def within_canvas(self, item_id: int) -> bool:
        x0, y0, x1, y1 = self.rasters[item_id].box
        return x0 >= 0 and y0 >= 0 and x1 <= self.image.width and y1 <= self.image.height


def _paint_directly(item, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The pixel box of a plain polygon lying wholly inside the canvas (painted straight
    onto the canvas, no mask needed), else None."""
    if type(item) is not ShapeItem or item.geometry.interiors:  # subclasses rasterise their own way
        return None
    x0, y0, x1, y1 = pixel_box(item.geometry.bounds)
    if x0 < 0 or y0 < 0 or x1 + 1 > size[0] or y1 + 1 > size[1]:
        return None
    return x0, y0, x1 + 1, y1 + 1  # Pillow fills the right and bottom edge pixels too


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


def render(scene: Scene) -> Rendered:
    size = (scene.width, scene.height)
    image = Image.new("RGB", size, scene.background_rgb)
    # One byte per pixel when the ids fit (most scenes), else 32-bit ids.
    ids = Image.new("L" if max((it.item_id for it in scene.items), default=0) < 256 else "I", size, 0)
    paint, label = ImageDraw.Draw(image), ImageDraw.Draw(ids)
    rasters = _Rasters({it.item_id: it for it in scene.items})
    area_px: dict[int, int] = {}
    boxes: dict[int, tuple[int, int, int, int]] = {}  # where each item's ids can be
    for item in scene.drawing_order():
        box = _paint_directly(item, size)
        if box is not None:
            # Same rasterisation as the mask path (integer offsets), without the mask.
            points = item.exterior.ravel().tolist()
            paint.polygon(points, fill=item.rgb)
            label.polygon(points, fill=item.item_id)
            area_px[item.item_id] = _count(ids.crop(box), item.item_id)  # it is on top now
            boxes[item.item_id] = box
            continue
        raster = rasterize(item)
        # An item owns the pixels it covers at least half of.
        if raster.owned is not None:
            owned, owned_px = raster.owned, raster.owned_px
        else:
            owned = raster.coverage if raster.binary else raster.coverage.convert("1", dither=Image.Dither.NONE)
            owned_px = _owned_px(raster, owned)
        box = raster.box
        for rgb, mask in raster.layers:
            paste(image, rgb, box, mask)
        paste(ids, item.item_id, box, owned)
        rasters[item.item_id] = raster
        area_px[item.item_id] = owned_px
        boxes[item.item_id] = box
    ids_array = as_array(ids)
    if ids.mode == "L":
        counts = _counts_in_boxes(ids_array, boxes)
        if counts is None:
            counts = np.asarray(ids.histogram())
    else:
        counts = np.bincount(ids_array.ravel(), minlength=max(area_px, default=0) + 1)
    return Rendered(image=image, ids=ids_array, rasters=rasters, area_px=area_px, counts=counts)


# Pillow's histogram walks every pixel in Python-visible bins; numpy's count has a fixed
# cost of a few microseconds but runs far faster per pixel: past this many pixels it wins.
_NUMPY_COUNT_PX = 3000


def _counts_in_boxes(ids: np.ndarray, boxes: dict[int, tuple[int, int, int, int]]):
    """The id buffer's histogram (256 counts), worked out in the items' boxes alone: an
    item's id is written only inside its box (a pasted raster's, a polygon's pixel box),
    so each id is counted there and the background gets the rest. A walk over the whole
    canvas costs as much as a PNG encode's tenth; the boxes of a few signs are far
    smaller. None when the boxes cover more than half the canvas (a dense page): then
    the histogram is cheaper."""
    h, w = ids.shape
    clipped = {i: (max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)) for i, (x0, y0, x1, y1) in boxes.items()}
    if sum(max(x1 - x0, 0) * max(y1 - y0, 0) for x0, y0, x1, y1 in clipped.values()) * 2 > h * w:
        return None
    counts = np.zeros(256, np.int64)
    for item_id, (x0, y0, x1, y1) in clipped.items():
        if x1 > x0 and y1 > y0:
            counts[item_id] = np.count_nonzero(ids[y0:y1, x0:x1] == item_id)
    counts[0] = h * w - counts[1:].sum()
    return counts


def _owned_px(raster: Raster, owned: Image.Image) -> int:
    """Pixels a raster owns: its coverage at 255 (binary) or at least half (128, the
    threshold of Pillow's "1" conversion)."""
    if owned.width * owned.height < _NUMPY_COUNT_PX:
        return owned.histogram()[-1]
    coverage = as_array(raster.coverage)
    return int(np.count_nonzero(coverage == 255 if raster.binary else coverage >= 128))


def _count(ids: Image.Image, item_id: int) -> int:
    if ids.mode == "L" and ids.width * ids.height < _NUMPY_COUNT_PX:
        return ids.histogram()[item_id]
    return int(np.count_nonzero(as_array(ids) == item_id))
