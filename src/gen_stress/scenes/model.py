"""The scene: a frozen description of everything in an image, from which answers are
computed before any pixel exists. `scene_record` turns it (plus what the render
measured) into the typed `scene` column."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache, singledispatch

import numpy as np
from datasets import List, Value
from shapely.geometry import Polygon

from gen_stress.scenes.colors import RGB, color_name
from gen_stress.scenes.frozen import made
from gen_stress.scenes.geometry import Box, bounds, polygon
from gen_stress.scenes.memo import cached_property
from gen_stress.scenes.text import TextLayout

Attributes = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ShapeItem:
    """A filled outline: an object, a sign's board, an occluding patch."""

    item_id: int
    role: str  # target, distractor, sign, occluder, ...
    label: str  # what a person would call it, e.g. "red star" or "sign"
    shape: str
    rgb: RGB
    geometry: Polygon  # canvas pixels
    z: int
    angle_deg: float = 0.0
    size_px: float = 0.0
    attributes: Attributes = ()

    @property
    def color(self) -> str:
        return color_name(self.rgb)

    @cached_property
    def bbox(self) -> Box:
        """The outline's bounds, worked out once (shapely's `bounds` costs microseconds a
        call; a layout's checks, the renderer and the record each ask)."""
        return tuple(self.geometry.bounds)  # type: ignore[return-value]

    @cached_property
    def exterior(self) -> np.ndarray:
        """Outline points (the closing point dropped)."""
        return np.asarray(self.geometry.exterior.coords)[:-1]

    def __getattr__(self, name: str):
        # Reached only for an attribute never set: the polygon of an item made from its
        # outline's points (outline_item), made the first time something asks for it.
        if name == "geometry" and "exterior" in vars(self):
            geometry = vars(self)["geometry"] = polygon(self.exterior)
            return geometry
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def outline_item(item_id: int, role: str, label: str, shape: str, rgb: RGB, points, z: int,
                 attributes: Attributes = (), bbox: Box | None = None) -> ShapeItem:
    """A ShapeItem of a plain outline (no holes) given by its points. Its outline is those
    points (shapely keeps them as given and closes the ring unless they do) and its box
    their extremes (shapely's bounds), both known without shapely; its shapely polygon
    is made only if something asks for it (the renderer does not): a screen draws dozens
    of widgets, and making each polygon cost as much as laying out its label. `bbox`:
    the extremes, when the caller worked them out for many outlines at once."""
    points = np.asarray(points, dtype=float)
    item = made(ShapeItem, item_id=item_id, role=role, label=label, shape=shape, rgb=rgb, z=z,
                attributes=tuple(attributes))
    if bbox is None:
        flat = points.ravel().tolist()
        xs, ys = flat[0::2], flat[1::2]
        bbox = (min(xs), min(ys), max(xs), max(ys))
    vars(item).update(exterior=_open_ring(points), bbox=bbox)
    return item


def outlined(item: ShapeItem, points) -> ShapeItem:
    """The item (its polygon made, with holes: a ring) told its outline (`exterior`) from
    the points its outer ring was made of instead of reading them back from shapely. (Its
    bounds stay shapely's: two numpy reductions cost more than they do.)"""
    vars(item)["exterior"] = _open_ring(np.asarray(points, dtype=float))
    return item


def _open_ring(points: np.ndarray) -> np.ndarray:
    """An outline's points without a closing point: shapely keeps the points as given and
    closes the ring unless they do, and `exterior` drops the closing point."""
    return points if (points[0] != points[-1]).any() else points[:-1]


def replaced(item, **changes):
    """`dataclasses.replace(item, **changes)`; a ShapeItem keeping its outline keeps what
    it knows of it (its points and box; an item of outline_item, its polygon still not
    made)."""
    if type(item) is not ShapeItem or "geometry" in changes:
        return dataclasses.replace(item, **changes)
    state = vars(item)
    values = {f.name: state[f.name] for f in _SHAPE_FIELDS if f.name in state}
    out = made(ShapeItem, **{**values, **changes})
    vars(out).update({k: state[k] for k in ("exterior", "bbox") if k in state})
    return out


_SHAPE_FIELDS = dataclasses.fields(ShapeItem)


def has_holes(item: ShapeItem) -> bool:
    """Whether the item's outline has holes (an item made by outline_item has none: its
    polygon is not made to ask)."""
    geometry = vars(item).get("geometry")
    if geometry is None and "exterior" in vars(item):
        return False
    return bool(item.geometry.interiors)


@dataclass(frozen=True)
class TextItem:
    """One line of text, laid out (its geometry is known before rendering)."""

    item_id: int
    role: str
    layout: TextLayout
    rgb: RGB
    z: int
    stroke_rgb: RGB | None = None
    on_item: int = 0  # the item (a sign) the text is printed on; 0 when none
    prior_text: str = ""  # what a language prior would expect instead (misspellings)
    attributes: Attributes = ()
    char_detail: bool = True  # record per-character boxes (dense pages keep them for asked text only)

    @property
    def text(self) -> str:
        return self.layout.text

    @property
    def bbox(self) -> Box:
        return self.layout.bbox


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    background: str
    background_rgb: RGB
    items: tuple = field(default=())
    frame_of_reference: str = "viewer"

    def item(self, item_id: int):
        for it in self.items:
            if it.item_id == item_id:
                return it
        raise KeyError(item_id)

    def drawing_order(self) -> list:
        return sorted(self.items, key=lambda it: (it.z, it.item_id))


# The typed `scene` column -------------------------------------------------------------

_BOX = List(Value("float32"), length=4)
_POINT = List(Value("float32"), length=2)
_ATTRIBUTES = List({"name": Value("string"), "value": Value("string")})

SCENE_FEATURES = {
    "width": Value("int32"),
    "height": Value("int32"),
    "frame_of_reference": Value("string"),
    "background": Value("string"),
    "objects": List(
        {
            "id": Value("int32"),
            "role": Value("string"),
            "label": Value("string"),
            "shape": Value("string"),
            "color": Value("string"),
            "bbox": _BOX,
            "polygon": List(_POINT),
            "area_px": Value("int32"),
            "visible_px": Value("int32"),
            "visible_fraction": Value("float32"),
            "z": Value("int32"),
            "angle_deg": Value("float32"),
            "size_px": Value("float32"),
            "attributes": _ATTRIBUTES,
        }
    ),
    "texts": List(
        {
            "id": Value("int32"),
            "role": Value("string"),
            "text": Value("string"),
            "prior_text": Value("string"),
            "font": Value("string"),
            "font_class": Value("string"),
            "text_px": Value("int32"),
            "em_px": Value("float32"),
            "angle_deg": Value("float32"),
            "color": Value("string"),
            "stroke_px": Value("int32"),
            "quad": List(_POINT, length=4),
            "bbox": _BOX,
            "char_boxes": List(_BOX),
            "area_px": Value("int32"),
            "visible_px": Value("int32"),
            "visible_fraction": Value("float32"),
            "z": Value("int32"),
            "on_object": Value("int32"),
            "attributes": _ATTRIBUTES,
        }
    ),
}


# Shaped text (scripts beyond Latin) adds its grapheme clusters to each text record, in
# the datasets that use the writing knobs only (gen_stress.writing): default datasets
# keep their schema and bytes. `char_boxes` stays one box per character (the box of the
# cluster holding it), so readers of per-character boxes keep working.
CLUSTERS_FEATURE = List({"start": Value("int32"), "end": Value("int32"), "bbox": _BOX})


def scene_features(shaped: bool = False) -> dict:
    """The `scene` column's type; with `clusters` in each text when `shaped`."""
    if not shaped:
        return SCENE_FEATURES
    texts = dict(SCENE_FEATURES["texts"].feature)
    texts["clusters"] = CLUSTERS_FEATURE
    return {**SCENE_FEATURES, "texts": List(texts)}


def _clusters(layout: TextLayout) -> list[dict] | None:
    """The grapheme clusters of shaped text in visual order: the string offsets
    [start, end) each covers and its box on the canvas (None for basic layout)."""
    if layout.shaping is None:
        return None
    boxes = np.round(np.asarray(layout.cluster_boxes, dtype=float).reshape(-1, 4), 2).tolist()
    return [{"start": c.start, "end": c.end, "bbox": box} for c, box in zip(layout.clusters_local, boxes)]


def _round(value: float, ndigits: int = 2) -> float:
    """round(float(value), ndigits). Whole numbers (most boxes and angles, whole
    visibility) round to themselves and are passed through: Python's correctly rounded
    decimal rounding costs half a microsecond a value, and a page records hundreds."""
    value = float(value)
    return value if value.is_integer() else round(value, ndigits)


ROUND_AT_ONCE = 32  # values from which _round_many rounds in numpy


def _round_many(values: list, ndigits: int = 2) -> list[float]:
    """[_round(v, ndigits) for v in values] in one numpy pass. numpy rounds x to
    rint(x * 10**n) / 10**n, which is Python's correctly rounded round(x, n) (the double
    nearest the decimal) unless x * 10**n lies within numpy's rounding error of a half:
    those few values, and large or non-finite ones, go through Python's round. A short
    list is rounded value by value (numpy's calls cost more than a few whole numbers)."""
    if len(values) < ROUND_AT_ONCE:
        return [_round(v, ndigits) for v in values]
    x = np.array(values, dtype=float)
    out = np.round(x, ndigits).tolist()
    size = np.abs(x)
    scaled = size * 10.0 ** ndigits
    with np.errstate(invalid="ignore"):  # inf - inf: those are doubtful already
        doubtful = ~(size < 1e4) | (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    if doubtful.any():
        for i in np.flatnonzero(doubtful).tolist():
            out[i] = _round(values[i], ndigits)
    return out


def _attrs(attributes: Attributes) -> list[dict]:
    return [{"name": k, "value": v} for k, v in attributes]


@singledispatch
def item_record(item, measured: dict) -> tuple[str, dict]:
    """(list name, record) for one scene item; new item types register here."""
    raise TypeError(f"no scene record for {type(item).__name__}")


def object_record(item, measured: dict, *, shape: str, color: str, bbox: Box, polygon, size_px: float,
                  angle_deg: float = 0.0, attributes: Attributes = ()) -> tuple[str, dict]:
    """The `objects` entry every object-like item type writes (shapes, sprites, vectors).
    Its box, outline, angle and size are as given: scene_record rounds them for a whole
    scene at once (_round_objects)."""
    return "objects", {
        "id": item.item_id,
        "role": item.role,
        "label": item.label,
        "shape": shape,
        "color": color,
        "bbox": bbox,
        "polygon": polygon,
        "z": item.z,
        "angle_deg": angle_deg,
        "size_px": size_px,
        "attributes": _attrs(attributes),
        **measured,
    }


@item_record.register
def _(item: ShapeItem, measured: dict) -> tuple[str, dict]:
    return object_record(item, measured, shape=item.shape, color=item.color, bbox=item.bbox, polygon=item.exterior,
                         size_px=item.size_px, angle_deg=item.angle_deg, attributes=item.attributes)


@item_record.register
def _(item: TextItem, measured: dict) -> tuple[str, dict]:
    layout = item.layout
    # A (4, 2) float array already; a whole scene's quads are rounded at once (scene_record).
    quad = measured["quad"] if "quad" in measured else np.round(layout.quad, 2).tolist()
    # Whole pixels: already what rounding to 2 decimals would give.
    bbox = measured["bbox"] if "bbox" in measured else list(layout.bbox)
    return "texts", _text_record(item, quad, bbox, measured)


def _text_record(item: TextItem, quad: list, bbox: list, measured: dict) -> dict:
    """The `texts` entry of a line (`measured`: what the render measured, last)."""
    layout = item.layout
    font_name, font_class, em_px = _font_record(layout.font, layout.text_px)
    record = {
        "id": item.item_id,
        "role": item.role,
        "text": layout.text,
        "prior_text": item.prior_text,
        "font": font_name,
        "font_class": font_class,
        "text_px": layout.text_px,
        "em_px": em_px,
        "angle_deg": _round(layout.placement.angle_deg),
        "color": color_name(item.rgb),
        "stroke_px": layout.stroke_px,
        "quad": quad,
        "bbox": bbox,
        "char_boxes": (np.round(np.asarray(layout.char_boxes, dtype=float).reshape(-1, 4), 2).tolist()
                       if item.char_detail else []),
        "z": item.z,
        "on_object": item.on_item,
        "attributes": _attrs(item.attributes) if item.attributes else [],
    }
    if layout.shaping is not None:  # only shaped text has the key (a default dataset's schema has no such field)
        record["clusters"] = _clusters(layout)
    record.update(measured)
    return record


@lru_cache(maxsize=4096)
def _font_record(font, text_px: int) -> tuple[str, str, float]:
    """(font, font_class, em_px) of a text record: the same for every line of a font and
    size (a page records hundreds of lines in a few)."""
    return font.name, font.font_class, _round(font.em_for_cap(text_px), 3)


def scene_record(scene: Scene, rendered) -> dict:
    record = {
        "width": scene.width,
        "height": scene.height,
        "frame_of_reference": scene.frame_of_reference,
        "background": scene.background,
        "objects": [],
        "texts": [],
    }
    texts = [it for it in scene.items if type(it) is TextItem]
    geometry = dict(zip((it.item_id for it in texts), zip(*text_geometry([it.layout for it in texts])))) \
        if texts else {}
    # `rendered` is a Rendered, or a photograph of one (capture.Captured): its own measures.
    fractions = _round_many([rendered.visible_fraction(item.item_id) for item in scene.items], 4)
    for item, fraction in zip(scene.items, fractions):
        measured = {
            "area_px": rendered.area_px[item.item_id],
            "visible_px": rendered.visible_px(item.item_id),
            "visible_fraction": fraction,
        }
        if item.item_id in geometry:  # a line (most items of a page): its record made here, in one call
            quad, bbox = geometry[item.item_id]
            record["texts"].append(_text_record(item, quad, bbox, measured))
            continue
        key, rec = item_record(item, measured)
        record[key].append(rec)
    _round_objects(record["objects"])
    return record


def text_geometry(layouts: list[TextLayout]) -> tuple[list, list]:
    """(quads rounded to 2 decimals, boxes) of text lines as lists, in one numpy pass over
    a scene's lines: an upright line's corners are its ink box moved by its placement,
    each coordinate `x - pivot + center` as TextLayout.quad computes it, its box their
    floor and ceiling as TextLayout.bbox does; a turned line's are its layout's, worked
    out for all turned lines at once (_turned_geometry)."""
    quads = np.empty((len(layouts), 4, 2))
    boxes: list = [None] * len(layouts)
    upright = [i for i, lay in enumerate(layouts) if lay.placement.angle_deg == 0]
    if upright:
        p = np.array([(*layouts[i].ink_box_local, *layouts[i].placement.pivot, *layouts[i].placement.center)
                      for i in upright], dtype=float)
        left, right = p[:, 0] - p[:, 4] + p[:, 6], p[:, 2] - p[:, 4] + p[:, 6]
        top, bottom = p[:, 1] - p[:, 5] + p[:, 7], p[:, 3] - p[:, 5] + p[:, 7]
        quads[upright] = np.stack([left, top, right, top, right, bottom, left, bottom], axis=1).reshape(-1, 4, 2)
        # `+ 0.0`: math.floor and math.ceil give no -0.0 (a box edge just left of or above the canvas)
        rows = (np.stack([np.floor(left), np.floor(top), np.ceil(right), np.ceil(bottom)], axis=1) + 0.0).tolist()
        for i, row in zip(upright, rows):
            boxes[i] = row
    turned = [i for i, box in enumerate(boxes) if box is None]
    if turned:
        quads[turned], rows = _turned_geometry([layouts[i] for i in turned])
        for i, row in zip(turned, rows):
            boxes[i] = row
    return np.round(quads, 2).tolist(), boxes


def _turned_geometry(layouts: list[TextLayout]) -> tuple[np.ndarray, list]:
    """(quads, boxes) of turned lines, as TextLayout.quad and .bbox compute them line by
    line (a receipt or a photo turns every line): each line's ink box corners turned by
    Placement.apply's product, `(corners - pivot) @ matrix.T + center`, one stacked
    matmul making the same BLAS call per line (so the same floats, fused multiply-adds
    included); boxes the floor and ceiling of the corners' bounds, one pixel out when the
    line is rotated, as geometry.pixel_box (`+ 0.0`: math.floor gives no -0.0)."""
    ink = np.array([lay.ink_box_local for lay in layouts], dtype=float)
    corners = ink[:, [0, 1, 2, 1, 2, 3, 0, 3]].reshape(-1, 4, 2)  # geometry.rect_points
    pivots = np.array([lay.placement.pivot for lay in layouts], dtype=float)[:, None, :]
    centers = np.array([lay.placement.center for lay in layouts], dtype=float)[:, None, :]
    matrices = np.stack([lay.placement.matrix for lay in layouts])
    quads = np.matmul(corners - pivots, matrices.transpose(0, 2, 1)) + centers
    pad = np.array([1.0 if lay.rotated else 0.0 for lay in layouts])[:, None]
    low = np.floor(quads.min(axis=1) - pad) + 0.0
    high = np.ceil(quads.max(axis=1) + pad) + 0.0
    return quads, np.concatenate([low, high], axis=1).tolist()


def _round_objects(objects: list[dict]) -> None:
    """Every object's box, angle and size rounded to 2 decimals in one pass (as `_round`
    each), and its outline (_round_polygons)."""
    values: list = []
    for obj in objects:
        values.extend(obj["bbox"])
        values.append(obj["angle_deg"])
        values.append(obj["size_px"])
    rounded = _round_many(values, 2)
    for k, obj in enumerate(objects):
        at = 6 * k
        obj["bbox"], obj["angle_deg"], obj["size_px"] = rounded[at:at + 4], rounded[at + 4], rounded[at + 5]
    _round_polygons(objects)


def _round_polygons(objects: list[dict]) -> None:
    """Every object's outline as [x, y] points rounded to 2 decimals, in one numpy call
    (rounding is per value: the same as rounding each outline alone). Outlines given as
    arrays are joined as arrays, never turned into lists first (a counting scene's
    outlines hold thousands of points)."""
    if not objects:
        return
    outlines = [np.asarray(obj["polygon"], dtype=float).reshape(-1, 2) for obj in objects]
    rounded = np.round(np.concatenate(outlines), 2).tolist()
    start = 0
    for obj, outline in zip(objects, outlines):
        end = start + len(outline)
        obj["polygon"] = rounded[start:end]
        start = end


__all__ = ["SCENE_FEATURES", "scene_features", "Scene", "ShapeItem", "TextItem", "bounds", "scene_record"]
