"""Product packages drawn from geometry: cans, bottles, boxes, jars and bags, in
centimetres, so that a 500 ml bottle stands taller than a 330 ml one on the same shelf.

Each package is a parametric Design (scenes/parametric.py: parts with paint slots,
placed at `unit_px` pixels per centimetre) plus the panel its label is printed on, in
the same units: the shelf context lays the brand, product word, variant and size out
inside that panel. Bottles and jars have a cap whose colour can be a variant ("the
bottle with the blue cap"); their probe points at the cap so the render can be checked
to show it. A package is one scene item drawn from a stamp composited once per look; where a
question reads its print, the lines are separate text items on it instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from shapely.geometry import Polygon, box

from gen_stress.scenes import model, render
from gen_stress.scenes.colors import RGB, color_name, mix
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.frozen import made
from gen_stress.scenes.geometry import Box, pixel_box, rect_points
from gen_stress.scenes.memo import cached_property
from gen_stress.scenes.model import Attributes, TextItem
from gen_stress.scenes.parametric import Design, PaintProbe, Part, _polygons, _rounded
from gen_stress.scenes.shaping import Shaping
from gen_stress.scenes.text import TextLayout, layout_text, moved

PACKAGES = ("can", "bottle", "box", "jar", "bag")
METAL: RGB = (176, 180, 188)
WHITE: RGB = (250, 250, 250)


@dataclass(frozen=True)
class Package:
    design: Design
    panel: tuple[float, float, float, float]  # where the label is printed (cm, design frame)
    cap: tuple[float, float, float, float] | None = None  # the cap's box (cm), when it has one


def package_paints(body: RGB, label: RGB, cap: RGB | None) -> dict[str, RGB]:
    """The paint slots of a package in its line's colours."""
    return {"body": body, "label": label, "cap": cap or METAL, "metal": METAL, "shade": mix(body, (0, 0, 0), 0.25),
            "shine": mix(body, (255, 255, 255), 0.35), "rim": mix(cap or METAL, (0, 0, 0), 0.3)}


def _cap_rim(cap: tuple[float, float, float, float]) -> Part:
    """A darker edge round a cap, as a photographed cap shows: a white cap on a white card
    would not show at all without it (the cap colour is a variant people are asked about)."""
    x0, y0, x1, y1 = cap
    edge = max(0.2, (x1 - x0) * 0.05)
    return Part("cap rim", _rounded(x0 - edge, y0, x1 + edge, y1 + edge, 0.3), "rim")


@lru_cache(maxsize=256)
def package(kind: str, width_cm: float, height_cm: float) -> Package:
    """A package of the kind whose outline is width x height centimetres, its bottom
    edge on y = height."""
    builder = {"can": _can, "bottle": _bottle, "box": _box, "jar": _jar, "bag": _bag}.get(kind)
    if builder is None:
        raise ValueError(f"unknown package {kind!r}; known: {', '.join(PACKAGES)}")
    return builder(float(width_cm), float(height_cm))


def _design(kind: str, w: float, h: float, parts, probes=()) -> Design:
    defaults = tuple(package_paints((0, 0, 0), WHITE, None).items())  # a package's colours come with its product
    return Design(kind, (("width_cm", w), ("height_cm", h)), tuple(parts), defaults,
                  tuple(probes), "cap" if any(p.paint == "cap" for p in parts) else "", main="body")


def _can(w: float, h: float) -> Package:
    rim = min(0.5, h * 0.05)
    parts = [Part("top rim", _rounded(0.2, 0, w - 0.2, rim + 0.3, 0.15), "metal"),
             Part("body", box(0, rim, w, h - rim), "body"),
             Part("bottom rim", _rounded(0.2, h - rim - 0.3, w - 0.2, h, 0.15), "metal"),
             Part("shine", box(w * 0.12, rim, w * 0.2, h - rim), "shine")]
    panel = (w * 0.06, h * 0.22, w * 0.94, h * 0.82)
    parts.append(Part("label", box(*panel), "label"))
    return Package(_design("can", w, h, parts), panel)


def _bottle(w: float, h: float) -> Package:
    cap_w, cap_h = w * 0.42, max(1.4, h * 0.07)
    neck_h = h * 0.22
    x0 = (w - cap_w) / 2
    cap = (x0, 0.0, x0 + cap_w, cap_h)
    shoulder = Polygon([(x0 + 0.1, cap_h), (w - x0 - 0.1, cap_h), (w - x0 + 0.05, cap_h + neck_h * 0.5),
                        (w, cap_h + neck_h), (0, cap_h + neck_h), (x0 - 0.05, cap_h + neck_h * 0.5)])
    parts = [_cap_rim(cap), Part("cap", _rounded(cap[0], cap[1] + 0.2, cap[2], cap[3], 0.25), "cap"),
             Part("neck", shoulder, "body"),
             Part("body", _rounded(0, cap_h + neck_h - 0.3, w, h, min(0.8, w * 0.12)), "body"),
             Part("shine", box(w * 0.1, cap_h + neck_h, w * 0.18, h - 1.0), "shine")]
    panel = (0.0, cap_h + neck_h + (h - cap_h - neck_h) * 0.12, w, cap_h + neck_h + (h - cap_h - neck_h) * 0.72)
    parts.append(Part("label", box(*panel), "label"))
    probe = PaintProbe("cap", ((cap[0] + cap[2]) / 2, (cap[1] + cap[3]) / 2), "cap")
    return Package(_design("bottle", w, h, parts, (probe,)), panel, cap)


def _box(w: float, h: float) -> Package:
    parts = [Part("body", box(0, 0, w, h), "body"),
             Part("top", box(0, 0, w, h * 0.05), "shade"),
             Part("side", box(w * 0.92, 0, w, h), "shade")]
    panel = (w * 0.08, h * 0.14, w * 0.86, h * 0.74)
    parts.append(Part("label", _rounded(*panel, min(0.8, w * 0.05)), "label"))
    return Package(_design("box", w, h, parts), panel)


def _jar(w: float, h: float) -> Package:
    lid_h = max(1.0, h * 0.16)
    cap = (w * 0.06, 0.0, w * 0.94, lid_h)
    parts = [_cap_rim(cap), Part("lid", _rounded(cap[0], cap[1] + 0.2, cap[2], cap[3], 0.3), "cap"),
             Part("body", _rounded(0, lid_h - 0.2, w, h, min(1.0, w * 0.14)), "body"),
             Part("shine", box(w * 0.1, lid_h + 0.6, w * 0.17, h - 1.0), "shine")]
    panel = (0.0, lid_h + (h - lid_h) * 0.18, w, lid_h + (h - lid_h) * 0.82)
    parts.append(Part("label", box(*panel), "label"))
    probe = PaintProbe("cap", ((cap[0] + cap[2]) / 2, (cap[1] + cap[3]) / 2), "cap")
    return Package(_design("jar", w, h, parts, (probe,)), panel, cap)


def _bag(w: float, h: float) -> Package:
    """A crimped snack bag: zigzag seals top and bottom, narrower than its filled middle."""
    seal = h * 0.06
    teeth = 8
    b = w * 0.04  # how much narrower the seals are than the middle
    top = [(b + (w - 2 * b) * k / teeth, 0.0 if k % 2 == 0 else seal * 0.5) for k in range(teeth + 1)]
    bottom = [(b + (w - 2 * b) * k / teeth, h if k % 2 == 0 else h - seal * 0.5) for k in range(teeth, -1, -1)]
    outline = Polygon(top + [(w - b, seal), (w, h * 0.5), (w - b, h - seal)] + bottom
                      + [(b, h - seal), (0, h * 0.5), (b, seal)])
    seals = box(b, seal * 0.5, w - b, seal * 1.3).union(box(b, h - seal * 1.3, w - b, h - seal * 0.5))
    parts = [Part("body", outline, "body"), Part("seal", seals, "shade")]
    panel = (w * 0.1, h * 0.2, w * 0.9, h * 0.74)
    parts.append(Part("label", _rounded(*panel, min(1.0, w * 0.08)), "label"))
    return Package(_design("bag", w, h, parts), panel)


# Printed packages -------------------------------------------------------------------------

@dataclass(frozen=True)
class Print:
    """One line printed on a package's label, in the package's own pixels (its top-left
    corner at 0, 0)."""

    role: str  # brand, name, variant, size
    text: str
    font: str
    text_px: int
    rgb: RGB
    center: tuple[float, float]
    attributes: Attributes = ()
    shaping: Shaping | None = None  # shaped by raqm (shelves in scripts beyond Latin); None: basic layout


@dataclass(frozen=True)
class Look:
    """Everything that decides a printed package's pixels."""

    kind: str
    width_cm: float
    height_cm: float
    unit_px: float  # pixels per centimetre
    paints: tuple[tuple[str, RGB], ...]
    prints: tuple[Print, ...]

    # Worked out once: a look is the key of every stamp lookup (each facing's render,
    # box and record), and hashing its prints each time cost more than the lookups.
    @cached_property
    def _hash(self) -> int:
        return hash((self.kind, self.width_cm, self.height_cm, self.unit_px, self.paints, self.prints))

    def __hash__(self) -> int:
        return self._hash


def printed_lines(look: Look, origin: tuple[int, int], first_id: int, on_item: int, z: int) -> list[TextItem]:
    """The lines printed on a package whose top-left corner is at `origin`, as text items
    on it (ids from first_id up)."""
    ox, oy = origin
    items = []
    for k, pr in enumerate(look.prints):
        layout = moved(_print_layout(pr.text, pr.font, pr.text_px, pr.shaping),
                       (ox + pr.center[0], oy + pr.center[1]))
        items.append(made(TextItem, item_id=first_id + k, role=f"label_{pr.role}", layout=layout, rgb=pr.rgb,
                                z=z, on_item=on_item, attributes=pr.attributes, char_detail=False))
    return items


@lru_cache(maxsize=8192)
def _print_layout(text: str, font: str, text_px: int, shaping: Shaping | None) -> TextLayout:
    """A printed line laid out at the origin (`moved` puts it where `layout_text` would):
    a product's lines recur on its facings and its stamps."""
    return layout_text(text, load_catalog().by_name(font), text_px=text_px, shaping=shaping)


@lru_cache(maxsize=256)
def _outlines(kind: str, width_cm: float, height_cm: float):
    """(design bounds, every ring's points in centimetres as one (n, 2) array, the
    exteriors' extremes, ((paint slot, ((exterior, holes), ...)), ...) with each ring a
    slice of the array's flattened coordinates): what `_masks` scales and fills at every
    scale, read out of shapely once per package (rings without their closing point)."""
    design = package(kind, width_cm, height_cm).design
    rings: list[np.ndarray] = []

    def ring(coords) -> slice:
        rings.append(np.asarray(coords)[:-1])
        end = sum(len(r) for r in rings)
        return slice(2 * (end - len(rings[-1])), 2 * end)

    parts = tuple((part.paint, tuple((ring(poly.exterior.coords), tuple(ring(hole.coords) for hole in poly.interiors))
                                     for poly in _polygons(part.geometry)))
                  for part in design.parts)
    points = np.concatenate(rings)
    exteriors = np.concatenate([points.ravel()[ext].reshape(-1, 2) for _slot, polys in parts for ext, _holes in polys])
    return design.bounds, points, (exteriors.min(axis=0), exteriors.max(axis=0)), parts


@lru_cache(maxsize=1024)
def _masks(kind: str, width_cm: float, height_cm: float, unit_px: float):
    """(x0, y0, ((paint slot, box, core "1" mask in that box), ...), coverage) of a package's
    outline drawn at the origin: shared by every product of that package and size,
    whatever its colours. The pixels of the design placed (parametric.place) and
    rasterised, its rings moved as place's affine transform moves them (the same floats
    but for the sign of a zero, which neither a pixel box nor Pillow's polygon reads)
    without making shapely geometries: a picture's scale is new more often than not, and
    shapely's transforms cost four times the drawing."""
    (bx0, by0, bx1, by1), points, (low, high), parts = _outlines(kind, width_cm, height_cm)
    center = (width_cm * unit_px / 2, height_cm * unit_px / 2)
    ox, oy = center[0] - (bx0 + bx1) / 2 * unit_px, center[1] - (by0 + by1) / 2 * unit_px
    if float(unit_px).is_integer():  # (as place snaps whole-pixel units)
        ox, oy = round(ox), round(oy)
    offset = np.array((ox, oy), dtype=float)
    # The box of every part's outline (shapely's bounds: the exteriors' extremes; the
    # transform is increasing, so the extremes move to the extremes).
    (lx, ly), (hx, hy) = low * unit_px + offset, high * unit_px + offset
    x0, y0, x1, y1 = pixel_box((float(lx), float(ly), float(hx), float(hy)))
    size = (max(x1 - x0, 1), max(y1 - y0, 1))
    local = (points * unit_px + offset - (x0, y0)).ravel().tolist()  # the points as the rasteriser gives them to Pillow
    # As parametric's rasteriser: consecutive parts of one paint share a mask. Drawn, cut
    # and converted through Pillow's core calls (Images only for what is kept: a mask
    # costs a dozen Image wrappers otherwise, more than its drawing).
    masks: list = []  # (paint slot, core "L" mask)
    for slot, polys in parts:
        if not masks or masks[-1][0] != slot:
            masks.append((slot, Image.core.fill("L", size, 0)))  # Image.new's core
            draw = Image.core.draw(masks[-1][1], 0)  # (what ImageDraw.Draw wraps)
        for ext, holes in polys:
            draw.draw_polygon(local[ext], 255, 1)
            for hole in holes:
                draw.draw_polygon(local[hole], 0, 1)
    coverage = masks[0][1].copy()  # the union of the parts
    for _slot, mask in masks[1:]:
        coverage.paste(255, (0, 0, *size), mask)
    # Each slot's mask cut to the box of its pixels: a stamp pastes its paints there alone
    # (a mask's zeros change nothing), and most parts are small (a cap, a rim, a shine).
    # As "1" masks: the parts' masks are 0 or 255, which a "1" mask pastes alike, several
    # times faster than an "L" one (that blends every pixel).
    layers = tuple((slot, box, mask.crop(box).convert("1", Image.Dither.NONE))
                   for slot, mask in masks if (box := mask.getbbox()) is not None)
    return x0, y0, layers, _image(coverage)


def _image(core) -> Image.Image:
    """A Pillow image on a core image made here."""
    return Image.Image()._new(core)


@lru_cache(maxsize=2048)  # bounded: a worker's memory does not grow with --n
def stamp(look: Look, printed: bool = True) -> tuple[int, int, Image.Image, Image.Image]:
    """(x0, y0, colours, coverage) of the package drawn at the origin, with its print or
    without: composited once and reused for every facing of the look."""
    x0, y0, layers, coverage = _masks(look.kind, look.width_cm, look.height_cm, look.unit_px)
    paints = dict(look.paints)
    colours = Image.new("RGB", coverage.size, 0)
    canvas = colours.im  # pasted through the core call (render.paste's, without its checks)
    for slot, where, mask in layers:
        canvas.paste(paints[slot], where, mask)
    for pr in look.prints if printed else ():
        layout = moved(_print_layout(pr.text, pr.font, pr.text_px, pr.shaping), pr.center)  # (printed_lines')
        if layout.shaping is not None:  # shaped by raqm: drawn as the renderer draws its text item
            raster = render.rasterize(TextItem(0, "", layout, pr.rgb, 0))
            left, top = raster.x0 - x0, raster.y0 - y0
            for rgb, mask in raster.layers:
                render.paste(colours, rgb, (left, top, left + mask.width, top + mask.height), mask)
            continue
        # An upright, unstroked line: its pixels are its shared line mask (what the
        # renderer draws for the text item, without making its Raster).
        (left, top), mask = layout.upright_line()
        height, width = mask.array.shape
        left, top = left - x0, top - y0
        canvas.paste(pr.rgb, (left, top, left + width, top + height), mask.coverage_core)
    return x0, y0, colours, coverage


@dataclass(frozen=True)
class PackageItem:
    """A package as one scene item, placed by its top-left corner on a whole pixel. With
    `printed`, it owns the pixels of its print too (a facing nobody reads); without, its
    lines are separate text items on it (see printed_lines) and the pixels are the same."""

    item_id: int
    role: str
    label: str
    look: Look
    origin: tuple[int, int]
    z: int
    attributes: Attributes = ()
    printed: bool = True

    @property
    def bbox(self) -> Box:
        x0, y0, colours, _cov = stamp(self.look, self.printed)
        return (float(self.origin[0] + x0), float(self.origin[1] + y0),
                float(self.origin[0] + x0 + colours.width), float(self.origin[1] + y0 + colours.height))

    @property
    def probes(self) -> tuple[PaintProbe, ...]:
        """The design's paint probes (the cap) in canvas pixels."""
        unit, (ox, oy) = self.look.unit_px, self.origin
        design = package(self.look.kind, self.look.width_cm, self.look.height_cm).design
        return tuple(PaintProbe(p.what, (ox + p.point[0] * unit, oy + p.point[1] * unit), p.paint, p.present)
                     for p in design.probes if isinstance(p, PaintProbe))

    def paint(self, name: str) -> RGB:
        return dict(self.look.paints)[name]


def _owned(look: Look, printed: bool) -> tuple[Image.Image, int, tuple[int, int, int, int]]:
    """(the pixels a stamp owns as a "1" mask, how many, their box). Its coverage is its
    outline's, printed or not (see stamp): worked out once per outline and scale, shared
    by every look drawn in it. The coverage is 0 or 255: the "1" mask pastes the same
    pixels as the coverage, several times faster (an "L" mask blends every pixel), and
    the renderer needs not count them."""
    return _outline_owned(look.kind, look.width_cm, look.height_cm, look.unit_px)


@lru_cache(maxsize=1024)
def _outline_owned(kind: str, width_cm: float, height_cm: float,
                   unit_px: float) -> tuple[Image.Image, int, tuple[int, int, int, int]]:
    coverage = _masks(kind, width_cm, height_cm, unit_px)[3]
    ones = coverage.convert("1", dither=Image.Dither.NONE)
    return ones, int(np.count_nonzero(render.as_array(coverage) == 255)), ones.getbbox() or (0, 0, 0, 0)


@render.rasterize.register
def _(item: PackageItem) -> render.Raster:
    x0, y0, colours, coverage = stamp(item.look, item.printed)
    owned, owned_px, owned_box = _owned(item.look, item.printed)
    return render.Raster(item.origin[0] + x0, item.origin[1] + y0, coverage, ((colours, owned),), binary=True,
                         owned=owned, owned_px=owned_px, owned_box=owned_box)


def _stamped(item: PackageItem):
    """What the renderer pastes for a package (render.STAMPED): its Raster's parts."""
    x0, y0, colours, _coverage = stamp(item.look, item.printed)
    owned, owned_px, owned_box = _owned(item.look, item.printed)
    return item.origin[0] + x0, item.origin[1] + y0, colours, owned, owned_px, owned_box


render.STAMPED[PackageItem] = _stamped


@lru_cache(maxsize=2048)
def _named(look: Look) -> tuple[str, str]:
    """(the roles printed on it, its body's colour name), once per look: every facing of
    a product records them alike."""
    return ",".join(pr.role for pr in look.prints), color_name(dict(look.paints)["body"])


@model.item_record.register
def _(item: PackageItem, measured: dict) -> tuple[str, dict]:
    box_ = item.bbox
    printed, color = _named(item.look)
    return model.object_record(item, measured, shape=item.look.kind, color=color,
                               bbox=box_, polygon=rect_points(box_), size_px=max(box_[2] - box_[0], box_[3] - box_[1]),
                               attributes=(("printed", printed), *item.attributes))
