"""Plain shapes as objects to count and to name: colours that stand out from the
background, classes a person tells apart at a given size, outlines built many at a time,
scattering without overlap, and an edged shape for twins that touch or overlap.

Used by the counting and spatial families.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import shapely
from PIL import Image, ImageChops, ImageDraw

from gen_stress.scenes.colors import PALETTE, RGB, mix, relative_luminance
from gen_stress.scenes.geometry import Box, pixel_box
from gen_stress.scenes.model import ShapeItem, item_record
from gen_stress.scenes.render import Raster, Rendered, rasterize
from gen_stress.scenes.shapes import SHAPE_NAMES, UNIT_SHAPES

Attributes = tuple[tuple[str, str], ...]

PLURALS = {name: name + ("es" if name.endswith(("s", "x", "ch", "sh")) else "s") for name in SHAPE_NAMES}

# Below this size a shape's class is not named in a question: a 6-pixel star and a
# 6-pixel circle are the same blob. Colour still reads at a few pixels.
SHAPE_MIN_PX = 14.0

# Classes that look alike, and the size (px across) from which they are told apart
# (squares and diamonds keep near their upright poses, see draw_angle).
_CONFUSABLE = {
    frozenset(("square", "diamond")): 20.0,
    frozenset(("circle", "hexagon")): 32.0,
    frozenset(("circle", "pentagon")): 28.0,
    frozenset(("hexagon", "pentagon")): 32.0,
    frozenset(("circle", "ring")): 16.0,
    frozenset(("ring", "hexagon")): 20.0,
    frozenset(("ring", "pentagon")): 20.0,
}

# Shapes that still cover a few whole pixels when only a few pixels across.
COMPACT_SHAPES = ("circle", "square", "hexagon", "pentagon", "diamond")

MIN_DELTA_E = 30.0  # CIELAB distance between an object's colour and the background


# A square turned 45 degrees is a diamond and a cross an "x": these turn at most this
# far (degrees) from one of their four upright poses, so their names stay true.
UPRIGHT_SHAPES = {"square": 15.0, "diamond": 15.0, "cross": 15.0}


def draw_angle(shape: str, rng: np.random.Generator) -> float:
    """A turn for the shape (degrees, counter-clockwise as seen) that keeps its name."""
    tilt = UPRIGHT_SHAPES.get(shape)
    if tilt is None:
        return float(rng.uniform(0, 360))
    return float((90 * int(rng.integers(4)) + rng.uniform(-tilt, tilt)) % 360)


def told_apart(a: str, b: str, size_px: float) -> bool:
    """True when classes a and b cannot be mistaken for each other at `size_px` across
    (whatever their rotation)."""
    return a != b and size_px >= _CONFUSABLE.get(frozenset((a, b)), 0.0)


def _lab(rgb: RGB) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour."""
    c = np.asarray(rgb, dtype=float) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ c
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@cache
def colors_on(background: RGB) -> tuple[str, ...]:
    """Palette colours that stand out from the background (white on beige does not)."""
    ground = _lab(background)
    return tuple(name for name, rgb in PALETTE.items() if np.linalg.norm(_lab(rgb) - ground) >= MIN_DELTA_E)


@cache
def circumradius(shape: str) -> float:
    """Radius of the unit shape's enclosing circle about its centre: any turn of a shape
    `size_px` across stays within size_px / 2 * circumradius of its centre."""
    points = np.asarray(UNIT_SHAPES[shape].exterior.coords)
    return float(np.sqrt((points ** 2).sum(axis=1)).max())


@cache
def _unit_rings(shape: str) -> tuple[np.ndarray, ...]:
    poly = UNIT_SHAPES[shape]
    return (np.asarray(poly.exterior.coords),) + tuple(np.asarray(r.coords) for r in poly.interiors)


# Objects as data ------------------------------------------------------------------------

@dataclass(frozen=True)
class Obj:
    """A plain shape to draw: everything needed to build (or mirror) its outline."""

    shape: str
    color: str
    center: tuple[float, float]
    size_px: float
    angle_deg: float
    role: str = "object"
    attributes: Attributes = ()
    z: int = 0

    @property
    def label(self) -> str:
        return f"{self.color} {self.shape}"

    @property
    def radius(self) -> float:
        return self.size_px / 2 * circumradius(self.shape)

    def moved(self, dx: float, dy: float) -> Obj:
        return replace(self, center=(self.center[0] + dx, self.center[1] + dy))

    def mirrored(self, width: int, height: int, axis: str) -> Obj:
        """The object in the scene flipped left-right (axis "x") or top-bottom ("y").
        Every unit shape is symmetric about its vertical axis, so the flipped outline is
        the same shape turned the other way: -angle for a left-right flip, 180 - angle for
        a top-bottom flip."""
        x, y = self.center
        if axis == "x":
            return replace(self, center=(width - x, y), angle_deg=(-self.angle_deg) % 360)
        return replace(self, center=(x, height - y), angle_deg=(180.0 - self.angle_deg) % 360)


def outlines(objs: list[Obj]) -> list[shapely.Polygon]:
    """The outlines of many objects, built per class in one vectorised shapely call (the
    same points as shapes.shape_polygon, an order of magnitude faster for big scenes)."""
    result: list = [None] * len(objs)
    by_shape: dict[str, list[int]] = {}
    for k, obj in enumerate(objs):
        by_shape.setdefault(obj.shape, []).append(k)
    for shape, ks in by_shape.items():
        theta = np.radians([objs[k].angle_deg for k in ks])
        half = np.array([objs[k].size_px / 2 for k in ks])
        centers = np.array([objs[k].center for k in ks], dtype=float)
        c, s = np.cos(theta) * half, np.sin(theta) * half
        # Counter-clockwise as seen (y points down), as shapes.shape_polygon turns.
        turns = np.stack([np.stack([c, -s], axis=1), np.stack([s, c], axis=1)], axis=1)  # (k, 2, 2)
        rings = [ring @ turns + centers[:, None, :] for ring in _unit_rings(shape)]
        holes = np.stack(rings[1:], axis=1) if len(rings) > 1 else None
        for k, poly in zip(ks, shapely.polygons(rings[0], holes=holes)):
            result[k] = poly
    return result


def shape_items(objs: list[Obj], first_id: int = 1) -> list[ShapeItem]:
    """Scene items for the objects, with ids first_id, first_id + 1, ..."""
    return [
        ShapeItem(first_id + k, obj.role, obj.label, obj.shape, PALETTE[obj.color], poly, z=obj.z,
                  angle_deg=round(obj.angle_deg, 2), size_px=round(obj.size_px, 2), attributes=obj.attributes)
        for k, (obj, poly) in enumerate(zip(objs, outlines(objs)))
    ]


# An edged shape: identical twins that touch stay two objects -------------------------

@dataclass(frozen=True)
class EdgedShape:
    """A filled shape with a band of a darker (or, on dark paint, lighter) shade just
    inside its outline, as drawn objects have. Without it two touching twins of one
    colour would be one blob on the pixels and their count a guess. The whole shape,
    edge included, is the object on the id buffer."""

    shape_item: ShapeItem
    edge_px: int

    @property
    def item_id(self) -> int:
        return self.shape_item.item_id

    @property
    def z(self) -> int:
        return self.shape_item.z

    @property
    def role(self) -> str:
        return self.shape_item.role

    @property
    def label(self) -> str:
        return self.shape_item.label

    @property
    def bbox(self) -> Box:
        return self.shape_item.bbox

    @property
    def edge_rgb(self) -> RGB:
        rgb = self.shape_item.rgb
        return mix(rgb, (255, 255, 255), 0.45) if relative_luminance(rgb) < 0.05 else mix(rgb, (0, 0, 0), 0.45)


def edge_px_for(size_px: float) -> int:
    return max(1, round(size_px / 18))


def _inset(ring: np.ndarray, width: float, into_left: bool) -> np.ndarray:
    """The ring's points moved `width` across it (to the left of its direction of travel
    when into_left), each edge parallel to the original: the mitred offset, exact for a
    band much narrower than the edges."""
    ahead = np.concatenate((ring[1:], ring[:1])) - ring
    normal = np.stack([-ahead[:, 1], ahead[:, 0]], axis=1)
    normal /= np.sqrt((normal * normal).sum(axis=1))[:, None]
    if not into_left:
        normal = -normal
    before = np.concatenate((normal[-1:], normal[:-1]))  # the normal of the edge arriving at each point
    both = normal + before
    # The mitre is width / cos(half the turn); capped at 3 widths, so sharp tips (the
    # heart's) do not shoot across the shape.
    length = np.sqrt((both * both).sum(axis=1))
    scale = np.minimum(1.0 / np.maximum(1.0 + (normal * before).sum(axis=1), 1e-9), 3.0 / np.maximum(length, 1e-9))
    return ring + width * both * scale[:, None]


@rasterize.register
def _(item: EdgedShape) -> Raster:
    shape = item.shape_item
    x0, y0, x1, y1 = pixel_box(shape.geometry.bounds)
    size = (max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1))
    shell = shape.exterior - (x0, y0)
    interiors = shape.geometry.interiors
    full, inner = Image.new("L", size, 0), Image.new("L", size, 0)
    draw_full, draw_inner = ImageDraw.Draw(full), ImageDraw.Draw(inner)
    draw_full.polygon(shell.ravel().tolist(), fill=255)
    # The fill is the shape inset by the edge's width; the band left is the edge. (A ring
    # counter-clockwise in shapely's sense has its inside on the left of the normal used.)
    draw_inner.polygon(_inset(shell, item.edge_px, shape.geometry.exterior.is_ccw).ravel().tolist(), fill=255)
    for ring in interiors:
        hole = np.asarray(ring.coords)[:-1] - (x0, y0)
        draw_full.polygon(hole.ravel().tolist(), fill=0)
        # the material lies outside a hole: its inset goes the other way
        draw_inner.polygon(_inset(hole, item.edge_px, not ring.is_ccw).ravel().tolist(), fill=0)
    inner = ImageChops.darker(inner, full)  # the fill never leaves the shape
    return Raster(x0, y0, full, ((item.edge_rgb, full), (shape.rgb, inner)), binary=True)


@item_record.register
def _(item: EdgedShape, measured: dict) -> tuple[str, dict]:
    key, record = item_record(item.shape_item, measured)
    record["attributes"] = record["attributes"] + [{"name": "edge_px", "value": str(item.edge_px)}]
    return key, record


# Scattering without overlap ------------------------------------------------------------

def scatter(radii, box: Box, rng: np.random.Generator, *, gap: float = 2.0,
            fixed: tuple[np.ndarray, np.ndarray] | None = None, keep=None,
            per_round: int = 4, rounds: int = 40) -> np.ndarray | None:
    """Centres for discs of the given radii (biggest first), each wholly inside `box`,
    clear of each other and of the `fixed` discs (centres, radii) by `gap`; None when
    some disc finds no room. `keep(centres, radii) -> bool mask` can rule out places.

    Vectorised dart throwing in rounds: every disc still unplaced draws `per_round`
    uniform candidates and keeps its first one clear of the discs already placed; of
    those, a disc that comes too close to an earlier one waits for the next round. Discs
    much smaller than the biggest go in a later tier, once the big ones have their room."""
    radii = np.asarray(radii, dtype=float)
    n = len(radii)
    n_fixed = len(fixed[1]) if fixed is not None else 0
    px, py, pr = np.empty(n + n_fixed), np.empty(n + n_fixed), np.empty(n + n_fixed)
    if n_fixed:
        px[:n_fixed], py[:n_fixed], pr[:n_fixed] = fixed[0][:, 0], fixed[0][:, 1], fixed[1]
    count = n_fixed
    x0, y0, x1, y1 = box
    lo = np.stack([x0 + radii, y0 + radii], axis=1)
    hi = np.stack([x1 - radii, y1 - radii], axis=1)
    if (lo > hi).any():
        return None
    out = np.empty((n, 2))
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and radii[stop] >= 0.6 * radii[start]:
            stop += 1
        remaining = np.arange(start, stop)
        for _ in range(rounds):
            if remaining.size == 0:
                break
            rr = radii[remaining]
            cand = rng.uniform(lo[remaining, None, :], hi[remaining, None, :], size=(remaining.size, per_round, 2))
            clear = np.ones(cand.shape[:2], dtype=bool)
            if count:
                dx = cand[..., :1] - px[:count]
                dy = cand[..., 1:] - py[:count]
                clear = (dx * dx + dy * dy >= (pr[:count] + (rr[:, None, None] + gap)) ** 2).all(axis=2)
            if keep is not None:
                clear &= keep(cand.reshape(-1, 2), np.repeat(rr, per_round)).reshape(clear.shape)
            found = np.flatnonzero(clear.any(axis=1))
            chosen = cand[found, clear[found].argmax(axis=1)]
            cr = rr[found]
            dx = chosen[:, None, 0] - chosen[None, :, 0]
            dy = chosen[:, None, 1] - chosen[None, :, 1]
            clash = np.tril(dx * dx + dy * dy < (cr[:, None] + cr[None, :] + gap) ** 2, k=-1).any(axis=1)
            take = remaining[found[~clash]]
            out[take] = chosen[~clash]
            px[count:count + take.size], py[count:count + take.size] = chosen[~clash, 0], chosen[~clash, 1]
            pr[count:count + take.size] = radii[take]
            count += take.size
            waiting = np.ones(remaining.size, dtype=bool)
            waiting[found[~clash]] = False
            remaining = remaining[waiting]
        if remaining.size:
            return None
        start = stop
    return out


def region_box(area: float, size: tuple[int, int], margin: float, rng: np.random.Generator) -> Box:
    """A rectangle of the given area (aspect 2:3 to 3:2, squeezed to fit) at a random
    place inside the image less `margin`; the whole usable image when the area is larger."""
    width, height = size[0] - 2 * margin, size[1] - 2 * margin
    if area >= width * height:
        return (margin, margin, margin + width, margin + height)
    aspect = math.exp(rng.uniform(math.log(2 / 3), math.log(3 / 2)))
    w = min(width, math.sqrt(area * aspect))
    h = min(height, area / w)
    w = min(width, area / h)
    x = margin + rng.uniform(0, width - w)
    y = margin + rng.uniform(0, height - h)
    return (x, y, x + w, y + h)


# Measured on the pixels ----------------------------------------------------------------

def owned_box(rendered: Rendered, item: ShapeItem | EdgedShape) -> tuple[int, int, int, int] | None:
    """[x0, y0, x1, y1) of the pixels the item owns on the id buffer (None: no pixel)."""
    h, w = rendered.ids.shape
    bx0, by0, bx1, by1 = pixel_box(item.bbox, pad=1)
    bx0, by0, bx1, by1 = max(bx0, 0), max(by0, 0), min(bx1, w), min(by1, h)
    ys, xs = np.nonzero(rendered.ids[by0:by1, bx0:bx1] == item.item_id)
    if xs.size == 0:
        return None
    return (int(xs.min()) + bx0, int(ys.min()) + by0, int(xs.max()) + bx0 + 1, int(ys.max()) + by0 + 1)
