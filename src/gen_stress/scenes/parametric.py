"""Parametric vector objects: everyday things drawn from geometry, whose small parts are
knobs (a fork with 2-5 prongs, a key with 1-5 teeth, a shirt with 0-4 buttons, a clock
showing an hour, a mug with its handle left, right or missing, a bird with or without an
eye ring, crest, wing bar or tail band), plus the plain objects the hallucination scenes
need (plate, napkin, glass empty or full, door open or closed).

Every design is built in units of its decisive part: one unit is the prong's width, the
tooth's width, the button's diameter, the hour hand's width, the handle's thickness, the
eye ring's thickness. Placing a design at `unit_px` pixels per unit therefore makes the
decisive part exactly `unit_px` pixels, and the variants of one kind differ only in that
part. Each design also carries pixel probes (points that must show a part's paint, and
scan lines that must cross a counted part a given number of times) so the render can be
checked against what the label says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw
from shapely import affinity
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box
from shapely.ops import unary_union

from gen_stress.scenes import model, render
from gen_stress.scenes.colors import RGB, color_name
from gen_stress.scenes.geometry import Box, pixel_box
from gen_stress.scenes.memo import cached_property
from gen_stress.scenes.model import Attributes

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve")


@dataclass(frozen=True)
class Part:
    name: str
    geometry: Polygon | MultiPolygon  # unit coordinates, y down
    paint: str  # a paint slot of the design ("metal", "body", "accent", ...)


@dataclass(frozen=True)
class PaintProbe:
    """The pixel at `point` shows `paint` (present=True) or does not (present=False)."""

    what: str
    point: tuple[float, float]
    paint: str
    present: bool = True


@dataclass(frozen=True)
class RunProbe:
    """Going from `start` to `end`, pixels of `paint` form exactly `runs` separate runs
    (five prongs cross a line through them five times)."""

    what: str
    start: tuple[float, float]
    end: tuple[float, float]
    paint: str
    runs: int


@dataclass(frozen=True)
class Design:
    kind: str
    params: tuple[tuple[str, object], ...]
    parts: tuple[Part, ...]
    paints: tuple[tuple[str, RGB], ...]  # default colours of the paint slots
    probes: tuple = ()
    decisive: str = ""  # the part the variants differ in
    main: str = ""  # the paint that gives the object its colour name (default: the first part's)

    @cached_property
    def bounds(self) -> Box:
        return _union_bounds(p.geometry for p in self.parts)

    @property
    def extent(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.bounds
        return (x1 - x0, y1 - y0)


# Geometry helpers (unit coordinates) ---------------------------------------------------

def _union_bounds(geometries) -> Box:
    bounds = np.array([g.bounds for g in geometries])
    return (float(bounds[:, 0].min()), float(bounds[:, 1].min()), float(bounds[:, 2].max()), float(bounds[:, 3].max()))


def _circle(cx: float, cy: float, r: float) -> Polygon:
    return Point(cx, cy).buffer(r, quad_segs=16)


def _ring(cx: float, cy: float, outer: float, inner: float) -> Polygon:
    return _circle(cx, cy, outer).difference(_circle(cx, cy, inner))


def _rounded(x0: float, y0: float, x1: float, y1: float, r: float) -> Polygon:
    return box(x0 + r, y0 + r, x1 - r, y1 - r).buffer(r, quad_segs=8)


def _bar(x0: float, y0: float, x1: float, y1: float, width: float) -> Polygon:
    """A bar of `width` from (x0, y0) to (x1, y1)."""
    dx, dy = x1 - x0, y1 - y0
    length = math.hypot(dx, dy)
    nx, ny = -dy / length * width / 2, dx / length * width / 2
    return Polygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)])


# The designs -------------------------------------------------------------------------------

METAL: RGB = (150, 156, 168)
DARK: RGB = (34, 34, 38)
WHITE: RGB = (250, 250, 250)


def fork(prongs: int = 4) -> Design:
    """Prongs one unit wide; the head is as wide as five prongs with one-unit gaps, so
    every variant has the same outline apart from the prongs."""
    if not 2 <= prongs <= 5:
        raise ValueError("a fork has 2 to 5 prongs")
    head_w, prong_len = 9.0, 6.0
    gap = (head_w - prongs) / (prongs - 1)
    parts = [Part("prong", box(k * (1 + gap), 0, k * (1 + gap) + 1, prong_len + 0.01), "metal") for k in range(prongs)]
    parts.append(Part("head", Polygon([(0, prong_len), (head_w, prong_len), (head_w, prong_len + 1.5),
                                       (head_w / 2 + 1.2, prong_len + 4.5), (head_w / 2 - 1.2, prong_len + 4.5),
                                       (0, prong_len + 1.5)]), "metal"))
    parts.append(Part("handle", _rounded(head_w / 2 - 1.3, prong_len + 4.3, head_w / 2 + 1.3, prong_len + 19, 1.2), "metal"))
    probes = (RunProbe("prongs", (-1.0, prong_len / 2), (head_w + 1.0, prong_len / 2), "metal", prongs),)
    return Design("fork", (("prongs", prongs),), tuple(parts), (("metal", METAL),), probes, "prong")


def key(teeth: int = 3) -> Design:
    """Teeth one unit wide, hanging under the blade in slots one unit apart."""
    if not 1 <= teeth <= 5:
        raise ValueError("a key has 1 to 5 teeth")
    parts = [Part("bow", _ring(4, 4, 4, 1.7), "metal"),
             Part("blade", _rounded(7.2, 2.9, 22, 5.1, 0.3), "metal")]
    slots = [21 - 2 * k for k in range(5)]  # from the tip towards the bow
    for x in slots[:teeth]:
        parts.append(Part("tooth", box(x - 1, 5.0, x, 7.2), "metal"))
    probes = (RunProbe("teeth", (10.0, 6.4), (23.0, 6.4), "metal", teeth),)
    return Design("key", (("teeth", teeth),), tuple(parts), (("metal", (214, 168, 44)),), probes, "tooth")


def shirt(buttons: int = 3) -> Design:
    """Buttons one unit across, down the front."""
    if not 0 <= buttons <= 4:
        raise ValueError("a shirt has 0 to 4 buttons")
    body = Polygon([(-2.2, 0), (0, 2.4), (2.2, 0), (5.2, 0.6), (9, 4.6), (7, 7.2), (5.2, 5.6), (5.2, 16),
                    (-5.2, 16), (-5.2, 5.6), (-7, 7.2), (-9, 4.6), (-5.2, 0.6)])
    parts = [Part("body", body, "body")]
    for k in range(buttons):
        parts.append(Part("button", _circle(0, 4.6 + 2.9 * k, 0.5), "button"))
    probes = (RunProbe("buttons", (0.0, 2.6), (0.0, 15.5), "button", buttons),)
    return Design("shirt", (("buttons", buttons),), tuple(parts), (("body", (31, 90, 220)), ("button", WHITE)),
                  probes, "button")


def clock(hour: int = 3) -> Design:
    """The hour hand is one unit wide; the minute hand points at 12 (on the hour)."""
    if not 1 <= hour <= 12:
        raise ValueError("a clock shows an hour from 1 to 12")
    r = 10.0
    parts = [Part("rim", _ring(0, 0, r, r - 1.2), "rim"), Part("face", _circle(0, 0, r - 1.2), "face")]
    for k in range(12):
        a = math.radians(90 - 30 * k)
        parts.append(Part("tick", _bar(0.78 * r * math.cos(a), -0.78 * r * math.sin(a),
                                       0.88 * r * math.cos(a), -0.88 * r * math.sin(a), 0.5), "hand"))
    a = math.radians(90 - 30 * hour)
    parts.append(Part("minute hand", _bar(0, 0, 0, -0.7 * r, 0.6), "hand"))
    parts.append(Part("hour hand", _bar(0, 0, 0.5 * r * math.cos(a), -0.5 * r * math.sin(a), 1.0), "hand"))
    parts.append(Part("hub", _circle(0, 0, 0.8), "hand"))
    tip = (0.38 * r * math.cos(a), -0.38 * r * math.sin(a))
    probes = (PaintProbe("hour hand", tip, "hand"),)
    return Design("clock", (("hour", hour),), tuple(parts), (("rim", DARK), ("face", WHITE), ("hand", DARK)),
                  probes, "hour hand")


MUG_HANDLES = ("left", "right", "none")


def mug(handle: str = "right") -> Design:
    """The handle is one unit thick, on the left or right as seen, or missing."""
    if handle not in MUG_HANDLES:
        raise ValueError(f"a mug's handle is one of {MUG_HANDLES}")
    body = _rounded(-4, 0, 4, 9, 0.8)
    parts = [Part("body", body, "body"), Part("band", box(-4, 2.2, 4, 3.2).intersection(body), "band")]
    sides = {"left": -1, "right": 1}
    if handle in sides:
        s = sides[handle]
        loop = _ring(4 * s, 4.5, 3.0, 2.0).difference(box(-4, -1, 4, 10))
        parts.append(Part("handle", loop, "body"))
    probes = tuple(PaintProbe(f"handle {side}", (6.5 * s, 4.5), "body", present=handle == side)
                   for side, s in sides.items())
    return Design("mug", (("handle", handle),), tuple(parts), (("body", (214, 39, 40)), ("band", WHITE)),
                  probes, "handle")


BIRD_FEATURES = ("eye_ring", "crest", "wing_bar", "tail_band")
BIRD_FEATURE_TEXT = {
    "eye_ring": ("has a white ring around its eye", "has no white ring around its eye"),
    "crest": ("has a crest of feathers on its head", "has no crest on its head"),
    "wing_bar": ("has a white stripe across its wing", "has no white stripe on its wing"),
    "tail_band": ("has a white band across its tail", "has no white band on its tail"),
}


def bird(eye_ring: bool = False, crest: bool = False, wing_bar: bool = False, tail_band: bool = False) -> Design:
    """A perched bird facing right; its optional marks are one unit thick (the eye ring,
    the wing bar, the tail band) or one unit wide at the base (the crest's spikes)."""
    body = affinity.scale(_circle(0, 0, 1), 8, 5.5)
    head = _circle(7, -5, 4)
    tail = Polygon([(-6.5, -1.2), (-13, -4.2), (-13.5, 1.6), (-6.5, 2.2)])
    wing = affinity.rotate(affinity.scale(_circle(-1, -0.3, 1), 5.2, 2.8), -12, origin=(-1, -0.3))
    parts = [Part("tail", tail, "body"), Part("body", body.union(head), "body"), Part("wing", wing, "wing")]
    if tail_band:
        parts.append(Part("tail band", box(-11.6, -5, -10.6, 3).intersection(tail), "mark"))
    if wing_bar:
        parts.append(Part("wing bar", box(-1.5, -4, -0.5, 3).intersection(wing), "mark"))
    parts.append(Part("beak", Polygon([(10.4, -6.4), (14.2, -5.0), (10.4, -3.6)]), "beak"))
    if eye_ring:
        parts.append(Part("eye ring", _ring(8.3, -6.0, 1.9, 0.9), "mark"))
    parts.append(Part("eye", _circle(8.3, -6.0, 0.9), "eye"))
    if crest:
        spikes = [Polygon([(x - 0.5, -8.4), (x + 0.5, -8.4), (x - 0.6, -11.4)]) for x in (5.4, 6.8, 8.2)]
        parts.append(Part("crest", unary_union(spikes).union(box(4.9, -8.9, 8.7, -8.0)), "crest"))
    for x in (-1.2, 1.6):
        parts.append(Part("leg", box(x - 0.3, 5.0, x + 0.3, 8.4).union(box(x - 0.3, 8.0, x + 1.6, 8.6)), "leg"))
    probes = (
        PaintProbe("eye ring", (8.3 + 1.4, -6.0), "mark", eye_ring),
        PaintProbe("crest", (6.7, -9.4), "crest", crest),
        PaintProbe("wing bar", (-1.0, -0.3), "mark", wing_bar),
        PaintProbe("tail band", (-11.1, -0.5), "mark", tail_band),
    )
    params = tuple((f, v) for f, v in zip(BIRD_FEATURES, (eye_ring, crest, wing_bar, tail_band)))
    paints = (("body", (133, 82, 40)), ("wing", (92, 56, 26)), ("mark", WHITE), ("beak", (247, 160, 25)),
              ("eye", DARK), ("crest", (214, 39, 40)), ("leg", (90, 90, 90)))
    return Design("bird", params, tuple(parts), paints, probes, "", main="body")


def plate() -> Design:
    return Design("plate", (), (Part("rim", _circle(0, 0, 10), "rim"), Part("well", _circle(0, 0, 7), "well")),
                  (("rim", (236, 236, 240)), ("well", WHITE)), main="well")


def napkin() -> Design:
    square = box(0, 0, 10, 10)
    fold = Polygon([(0, 0), (10, 0), (0, 10)])
    return Design("napkin", (), (Part("cloth", square, "cloth"), Part("fold", fold, "fold")),
                  (("cloth", (247, 128, 191)), ("fold", (226, 104, 168))))


def glass(fill: str = "empty") -> Design:
    """A tumbler, empty or filled with juice to near its rim."""
    if fill not in ("empty", "full"):
        raise ValueError("a glass is empty or full")
    outline = Polygon([(0, 0), (8, 0), (7, 11), (1, 11)])
    inner = Polygon([(0.7, 0.6), (7.3, 0.6), (6.4, 10.3), (1.6, 10.3)])
    parts = [Part("glass", outline, "glass"), Part("inside", inner, "inside")]
    if fill == "full":
        parts.append(Part("juice", inner.intersection(box(0, 1.6, 8, 11)), "juice"))
    probes = (PaintProbe("juice", (4.0, 6.0), "juice", fill == "full"),)
    return Design("glass", (("fill", fill),), tuple(parts),
                  (("glass", (150, 178, 196)), ("inside", (222, 236, 244)), ("juice", (247, 129, 25))), probes, "")


def door(open: bool = False) -> Design:
    """A door in its frame, shut, or swung open to show the dark doorway."""
    frame = box(0, 0, 9, 17)
    parts = [Part("frame", frame, "frame"), Part("doorway", box(0.8, 0.8, 8.2, 17), "doorway")]
    if open:
        parts.append(Part("leaf", Polygon([(0.8, 0.8), (3.6, -0.4), (3.6, 18.2), (0.8, 17)]), "leaf"))
        parts.append(Part("knob", _circle(3.0, 9.3, 0.45), "knob"))
    else:
        parts.append(Part("leaf", box(0.8, 0.8, 8.2, 17), "leaf"))
        parts.append(Part("panel", box(2, 2.5, 7, 7.5).union(box(2, 10, 7, 15)), "panel"))
        parts.append(Part("knob", _circle(7.0, 9.0, 0.5), "knob"))
    probes = (PaintProbe("doorway", (6.0, 8.5), "doorway", open),)
    return Design("door", (("open", open),), tuple(parts),
                  (("frame", (92, 60, 36)), ("doorway", (30, 30, 34)), ("leaf", (156, 104, 60)),
                   ("panel", (140, 92, 52)), ("knob", (230, 190, 60))), probes, "")


BUILDERS = {"fork": fork, "key": key, "shirt": shirt, "clock": clock, "mug": mug, "bird": bird,
            "plate": plate, "napkin": napkin, "glass": glass, "door": door}

# Kinds whose variants differ in one counted or placed part (grounding/part_cue):
# kind -> (parameter, its values)
PART_VARIANTS: dict[str, tuple[str, tuple]] = {
    "fork": ("prongs", (2, 3, 4, 5)),
    "key": ("teeth", (1, 2, 3, 4, 5)),
    "shirt": ("buttons", (0, 1, 2, 3, 4)),
    "clock": ("hour", tuple(range(1, 13))),
    "mug": ("handle", MUG_HANDLES),
}
MIN_UNIT_PX = {"shirt": 3}  # buttons smaller than 3 px are not round any more


@lru_cache(maxsize=512)
def design(kind: str, params: tuple[tuple[str, object], ...] = ()) -> Design:
    if kind not in BUILDERS:
        raise ValueError(f"unknown parametric kind {kind!r}; known: {', '.join(BUILDERS)}")
    return BUILDERS[kind](**dict(params))


def part_phrase(kind: str, value) -> str:
    """How a question names a variant: 'has three prongs', 'shows 3 o'clock'."""
    if kind == "fork":
        return f"has {NUMBER_WORDS[value]} prongs"
    if kind == "key":
        return f"has {NUMBER_WORDS[value]} {'tooth' if value == 1 else 'teeth'}"
    if kind == "shirt":
        return f"has {NUMBER_WORDS[value]} {'button' if value == 1 else 'buttons'}"
    if kind == "clock":
        return f"shows {NUMBER_WORDS[value]} o'clock"
    if kind == "mug":
        return "has no handle" if value == "none" else f"has its handle on the {value} side"
    raise ValueError(kind)


# Placed objects -----------------------------------------------------------------------------

@dataclass(frozen=True)
class VectorItem:
    """A design placed on the canvas: its parts in canvas pixels with their colours."""

    item_id: int
    role: str
    label: str
    kind: str
    parts: tuple[tuple[str, Polygon | MultiPolygon, RGB], ...]  # (part name, canvas geometry, colour)
    z: int
    unit_px: float  # pixels per design unit: the decisive part's size
    paints: tuple[tuple[str, RGB], ...]
    probes: tuple = ()  # in canvas pixels
    color: str = ""  # the main colour's name
    attributes: Attributes = ()

    @cached_property
    def bbox(self) -> Box:
        return _union_bounds(g for _, g, _ in self.parts)

    @property
    def size_px(self) -> float:
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, y1 - y0)

    def paint(self, name: str) -> RGB:
        return dict(self.paints)[name]


def place(d: Design, *, item_id: int, role: str, label: str, unit_px: float, center: tuple[float, float],
          colors: dict[str, RGB] | None = None, z: int = 1, attributes: Attributes = ()) -> VectorItem:
    """The design scaled to `unit_px` pixels per unit, its box centred at `center`."""
    paints = {**dict(d.paints), **(colors or {})}
    x0, y0, x1, y1 = d.bounds
    ox, oy = center[0] - (x0 + x1) / 2 * unit_px, center[1] - (y0 + y1) / 2 * unit_px
    if float(unit_px).is_integer():  # whole-pixel units on a whole-pixel origin: parts fill whole pixels
        ox, oy = round(ox), round(oy)

    def to_canvas(g):
        return affinity.affine_transform(g, (unit_px, 0, 0, unit_px, ox, oy))

    def pt(p):
        return (p[0] * unit_px + ox, p[1] * unit_px + oy)

    parts = tuple((p.name, to_canvas(p.geometry), paints[p.paint]) for p in d.parts)
    probes = []
    for probe in d.probes:
        if isinstance(probe, PaintProbe):
            probes.append(PaintProbe(probe.what, pt(probe.point), probe.paint, probe.present))
        else:
            probes.append(RunProbe(probe.what, pt(probe.start), pt(probe.end), probe.paint, probe.runs))
    main = paints[d.main or d.parts[0].paint]
    return VectorItem(item_id, role, label, d.kind, parts, z, float(unit_px), tuple(paints.items()),
                      tuple(probes), color_name(main), attributes)


def _polygons(geometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry] if not geometry.is_empty else []
    return [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon) and not g.is_empty]


def _fill(draw: ImageDraw.ImageDraw, geometry, x0: int, y0: int) -> None:
    for poly in _polygons(geometry):
        draw.polygon([(x - x0, y - y0) for x, y in poly.exterior.coords[:-1]], fill=255)
        for hole in poly.interiors:
            draw.polygon([(x - x0, y - y0) for x, y in hole.coords[:-1]], fill=0)


@render.rasterize.register
def _(item: VectorItem) -> render.Raster:
    x0, y0, x1, y1 = pixel_box(item.bbox)
    size = (max(x1 - x0, 1), max(y1 - y0, 1))
    layers: list = []
    for _name, geometry, rgb in item.parts:
        if layers and layers[-1][0] == rgb:  # consecutive parts of one colour share a layer
            _fill(ImageDraw.Draw(layers[-1][1]), geometry, x0, y0)
            continue
        mask = Image.new("L", size, 0)
        _fill(ImageDraw.Draw(mask), geometry, x0, y0)
        layers.append((rgb, mask))
    # The coverage is the union of the parts (one part's hole may hold another part).
    coverage = layers[0][1].copy()
    for _rgb, mask in layers[1:]:
        coverage.paste(255, (0, 0), mask)
    return render.Raster(x0, y0, coverage, tuple(layers), binary=True)


@model.item_record.register
def _(item: VectorItem, measured: dict) -> tuple[str, dict]:
    outline = GeometryCollection([g for _, g, _ in item.parts]).convex_hull
    points = np.asarray(outline.exterior.coords)[:-1] if isinstance(outline, Polygon) else np.zeros((0, 2))
    return model.object_record(item, measured, shape=item.kind, color=item.color, bbox=item.bbox, polygon=points,
                               size_px=item.size_px, attributes=(("unit_px", f"{item.unit_px:g}"), *item.attributes))
