"""Small geometry helpers. Image coordinates: x right, y down, origin top-left."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from gen_stress.scenes.memo import cached_property

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Point = tuple[float, float]


@dataclass(frozen=True)
class Placement:
    """Rotate a local frame by angle_deg (counter-clockwise as seen) about `pivot`, then
    move the pivot to `center`. One matrix for pixels and geometry alike, so boxes stay
    exact after rotation."""

    angle_deg: float
    pivot: Point
    center: Point

    @cached_property
    def matrix(self) -> np.ndarray:
        angle = float(self.angle_deg)
        return _turn_matrix(angle, math.copysign(1.0, angle))  # the sign tells -0.0 from 0.0 apart

    def apply(self, points) -> np.ndarray:
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        return (pts - self.pivot) @ self.matrix.T + self.center

    def to_local(self, points) -> np.ndarray:
        """Canvas points back into the local frame (the inverse of `apply`)."""
        pts = np.asarray(points, dtype=float).reshape(-1, 2)
        return (pts - self.center) @ self.matrix + self.pivot

    def inverse_affine(self, dest_origin: Point, local_origin: Point) -> tuple[float, ...]:
        """Pillow AFFINE data mapping a destination image (whose pixel 0,0 sits at
        dest_origin on the canvas) back into a local image (whose pixel 0,0 sits at
        local_origin in the local frame)."""
        inv = self.matrix.T
        offset = inv @ (np.asarray(dest_origin) - self.center) + np.asarray(self.pivot)
        offset = offset - np.asarray(local_origin)
        return (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])


@lru_cache(maxsize=4096)
def _turn_matrix(angle_deg: float, _sign: float) -> np.ndarray:
    """Shared (read-only) per angle: most items of a page share one."""
    theta = math.radians(angle_deg)
    c, s = math.cos(theta), math.sin(theta)
    # y points down, so a counter-clockwise turn on screen is this matrix.
    matrix = np.array([[c, s], [-s, c]])
    matrix.flags.writeable = False
    return matrix


def bounds(points) -> Box:
    if type(points) is np.ndarray and points.shape == (4, 2) and points.dtype == float:
        # A quad (every text item has one): plain floats beat numpy's reductions here.
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = points.tolist()
        return (min(ax, bx, cx, dx), min(ay, by, cy, dy), max(ax, bx, cx, dx), max(ay, by, cy, dy))
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    return (float(x0), float(y0), float(x1), float(y1))


def polygon(points) -> "shapely.Polygon":
    """shapely's `Polygon(points)` for a plain outline, in one call: the constructor turns
    each point into floats in Python first (same floats, same polygon)."""
    return shapely.polygons(np.asarray(points, dtype=float))


def rect_points(box: Box) -> list[Point]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def pixel_box(box: Box, pad: float = 0.0) -> tuple[int, int, int, int]:
    """The smallest whole-pixel box holding `box` grown by pad."""
    x0, y0, x1, y1 = box
    return (
        math.floor(x0 - pad),
        math.floor(y0 - pad),
        math.ceil(x1 + pad),
        math.ceil(y1 + pad),
    )


def inside(box: Box, width: int, height: int, margin: float = 0.0) -> bool:
    x0, y0, x1, y1 = box
    return x0 >= margin and y0 >= margin and x1 <= width - margin and y1 <= height - margin


def round_box(box: Box, ndigits: int = 2) -> list[float]:
    return [round(float(v), ndigits) for v in box]


def tallness(size: tuple[int, int]) -> float:
    """How much taller than wide a picture of `size` is; 1 for a square or wide one (a
    phone held upright: pages photographed closer, cards listing more)."""
    return max(1.0, size[1] / size[0])
