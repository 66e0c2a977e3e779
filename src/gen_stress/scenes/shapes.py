"""Shape outlines as shapely polygons: object shapes, and sign outlines around text."""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry import Polygon

from gen_stress.scenes.geometry import Box

_CIRCLE_STEPS = 48


def _regular(n: int, start_deg: float = 90.0) -> np.ndarray:
    angles = np.radians(start_deg + np.arange(n) * 360.0 / n)
    return np.stack([np.cos(angles), -np.sin(angles)], axis=1)


def _star(points: int = 5, inner: float = 0.45) -> np.ndarray:
    outer = _regular(2 * points)
    radii = np.where(np.arange(2 * points) % 2 == 0, 1.0, inner)
    return outer * radii[:, None]


def _heart() -> np.ndarray:
    t = np.linspace(0, 2 * math.pi, _CIRCLE_STEPS, endpoint=False)
    x = 16 * np.sin(t) ** 3
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    pts = np.stack([x, y], axis=1)
    pts -= (pts.max(axis=0) + pts.min(axis=0)) / 2
    return pts / np.abs(pts).max()


def _cross(arm: float = 0.34) -> np.ndarray:
    a = arm
    return np.array(
        [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a), (-1, a), (-1, -a), (-a, -a)]
    )


# Unit outlines centred on 0 that fill the square [-1, 1] x [-1, 1] in at least one axis.
UNIT_SHAPES: dict[str, Polygon] = {
    "circle": Polygon(_regular(_CIRCLE_STEPS)),
    "square": Polygon([(-1, -1), (1, -1), (1, 1), (-1, 1)]),
    "triangle": Polygon(_regular(3) - [0, -0.25]),
    "star": Polygon(_star()),
    "hexagon": Polygon(_regular(6, 0.0)),
    "cross": Polygon(_cross()),
    "heart": Polygon(_heart()),
    "ring": Polygon(_regular(_CIRCLE_STEPS), [_regular(_CIRCLE_STEPS) * 0.55]),
    "diamond": Polygon([(0, -1), (1, 0), (0, 1), (-1, 0)]),
    "pentagon": Polygon(_regular(5)),
}

SHAPE_NAMES = tuple(UNIT_SHAPES)
_UNIT_RINGS = {
    name: [np.asarray(shape.exterior.coords)] + [np.asarray(r.coords) for r in shape.interiors]
    for name, shape in UNIT_SHAPES.items()
}


def shape_polygon(name: str, center: tuple[float, float], size_px: float, angle_deg: float = 0.0) -> Polygon:
    """A shape `size_px` across (its unit square scaled), turned counter-clockwise as seen."""
    theta = math.radians(angle_deg)
    c, s = math.cos(theta), math.sin(theta)
    # Counter-clockwise as seen (y points down), as geometry.Placement turns.
    turn = np.array([[c, -s], [s, c]]) * (size_px / 2)
    moved = [ring @ turn + center for ring in _UNIT_RINGS[name]]
    return Polygon(moved[0], moved[1:])


# Sign outlines, built around a text box in the text's own (upright) frame -----------

SIGN_SHAPES = ("rectangular", "oval", "hexagonal", "arrow-shaped", "banner")


def sign_outline(shape: str, box: Box) -> np.ndarray:
    """Outline points of a sign holding `box` (already padded) in the text's frame."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if shape == "rectangular":
        r = min(w, h) * 0.18
        return _rounded_rect(x0, y0, x1, y1, r)
    if shape == "oval":
        # The ellipse through the box corners, with the same aspect as the box.
        t = np.linspace(0, 2 * math.pi, _CIRCLE_STEPS, endpoint=False)
        return np.stack([cx + w / 2 * math.sqrt(2) * np.cos(t), cy + h / 2 * math.sqrt(2) * np.sin(t)], axis=1)
    if shape == "hexagonal":
        d = h * 0.6
        return np.array([(x0 - d, cy), (x0, y0), (x1, y0), (x1 + d, cy), (x1, y1), (x0, y1)])
    if shape == "arrow-shaped":
        d = h * 0.75
        return np.array([(x0, y0), (x1, y0), (x1 + d, cy), (x1, y1), (x0, y1)])
    if shape == "banner":
        d = h * 0.45
        return np.array([(x0 - d, y0), (x1 + d, y0), (x1, cy), (x1 + d, y1), (x0 - d, y1), (x0, cy)])
    raise ValueError(f"unknown sign shape {shape!r}")


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float, steps: int = 6) -> np.ndarray:
    pts = []
    corners = [(x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180)]
    for cx, cy, start in corners:
        for k in range(steps + 1):
            a = math.radians(start + 90 * k / steps)
            pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return np.array(pts)
