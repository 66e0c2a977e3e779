"""Emoji sprites: recognisable objects drawn from Noto Color Emoji bitmaps.

Noto Color Emoji is a colour bitmap font (CBDT) with one strike: Pillow draws it only at
109 px with embedded colour. Each glyph is drawn once per process, cropped to its ink,
optionally recoloured, then resized to the size asked for; every step is cached.

A `SpriteItem` is a scene item like ShapeItem and TextItem: the renderer pastes its
colours through its alpha, and the object-id buffer owns the pixels whose alpha is at
least one half, so its box (`bbox`) is exactly the box of the pixels it owns.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gen_stress.scenes import model, render
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.geometry import Box, rect_points
from gen_stress.scenes.model import Attributes
from gen_stress.scenes.memo import cached_property

BITMAP_PX = 109  # the font's only bitmap strike

# Hues (degrees) that recoloured objects are turned to, one per colour word. Close to the
# hues Noto Color Emoji paints these colours with.
HUE_TARGETS: dict[str, float] = {"red": 4.0, "orange": 28.0, "yellow": 50.0, "green": 105.0,
                                 "blue": 222.0, "purple": 280.0}
MIN_SATURATION = 0.35  # a pixel is "coloured" when this saturated and this bright
MIN_VALUE = 0.30
REGION_DEG = 25.0  # pixels within this hue distance of an object's main hue are its main colour


def emoji_font_path() -> Path:
    return load_catalog().emoji.path


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(emoji_font_path()), BITMAP_PX, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=None)
def base_bitmap(codepoint: str) -> Image.Image:
    """The glyph of one code point as RGBA, cropped to its ink."""
    char = chr(int(codepoint, 16))
    font = _font()
    x0, y0, x1, y1 = font.getbbox(char)
    image = Image.new("RGBA", (x1, y1), (0, 0, 0, 0))
    ImageDraw.Draw(image).text((0, 0), char, font=font, embedded_color=True)
    box = image.getchannel("A").getbbox()
    if box is None:
        raise ValueError(f"emoji U+{codepoint} draws nothing in {emoji_font_path().name}")
    return image.crop(box)


def hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hue in degrees, saturation 0..1, value 0..1) of an (..., 3) uint8 array."""
    c = rgb.astype(np.float32) / 255.0
    mx, mn = c.max(axis=-1), c.min(axis=-1)
    delta = mx - mn
    safe = np.where(delta == 0, 1.0, delta)
    r, g, b = c[..., 0], c[..., 1], c[..., 2]
    hue = np.where(mx == r, (g - b) / safe % 6.0, np.where(mx == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = np.where(delta == 0, 0.0, hue * 60.0)
    sat = np.where(mx == 0, 0.0, delta / np.where(mx == 0, 1.0, mx))
    return hue, sat, mx


def _rgb_from_hsv(hue: np.ndarray, sat: np.ndarray, val: np.ndarray) -> np.ndarray:
    h = (hue % 360.0) / 60.0
    i = np.floor(h).astype(int) % 6
    f = h - np.floor(h)
    p, q, t = val * (1 - sat), val * (1 - sat * f), val * (1 - sat * (1 - f))
    r = np.choose(i, [val, q, p, p, t, val])
    g = np.choose(i, [t, val, val, q, p, p])
    b = np.choose(i, [p, p, t, val, val, q])
    return np.stack([r, g, b], axis=-1)


def hue_distance(a, b):
    d = np.abs(np.asarray(a, dtype=np.float64) - b) % 360.0
    return np.minimum(d, 360.0 - d)


def colored_hues(rgb: np.ndarray) -> np.ndarray:
    """Hues of the pixels that look coloured (saturated, not dark)."""
    hue, sat, val = hsv(rgb)
    return hue[(sat >= MIN_SATURATION) & (val >= MIN_VALUE)]


def main_hue(hues: np.ndarray) -> float:
    """The hue most pixels cluster around (the densest 30-degree window)."""
    if hues.size == 0:
        return float("nan")
    centers = np.arange(0.0, 360.0, 2.0)
    counts = [(hue_distance(hues, c) <= 15.0).sum() for c in centers]
    return float(centers[int(np.argmax(counts))])


@lru_cache(maxsize=None)
def sprite_main_hue(codepoint: str) -> float:
    """The main hue of a glyph (its owned pixels), in degrees."""
    rgba = np.asarray(base_bitmap(codepoint))
    return main_hue(colored_hues(rgba[rgba[..., 3] >= 128][:, :3]))


def hue_share(rgb: np.ndarray, hue: float, within: float = 30.0) -> float:
    """Share of the coloured pixels whose hue is within `within` degrees of `hue`."""
    hues = colored_hues(rgb)
    return float((hue_distance(hues, hue) <= within).mean()) if hues.size else 0.0


@lru_cache(maxsize=256)
def recolored_bitmap(codepoint: str, source: str, target: str) -> Image.Image:
    """The glyph with its main colour turned to `target`: pixels near its main hue get
    the target's hue (saturation and brightness kept), so a yellow banana becomes a blue
    one and its brown tips stay brown. `source` is the prototypical colour (for the cache
    key and the record)."""
    rgba = np.asarray(base_bitmap(codepoint)).copy()
    hue, sat, val = hsv(rgba[..., :3])
    main = sprite_main_hue(codepoint)
    mask = (hue_distance(hue, main) <= REGION_DEG) & (sat >= 0.2) & (val >= 0.15) & (rgba[..., 3] > 0)
    turned = hue[mask] + (HUE_TARGETS[target] - main)
    rgb = _rgb_from_hsv(turned, sat[mask], val[mask])
    rgba[mask, :3] = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


@dataclass(frozen=True)
class Sprite:
    """A sprite at its drawn size: colours, alpha, and the box of the pixels it owns."""

    rgb: Image.Image
    alpha: Image.Image
    owned_box: tuple[int, int, int, int]  # local pixels with alpha >= 128 (x1, y1 exclusive)

    # What the renderer's ownership rule gives, worked out once per (shared) sprite.
    @cached_property
    def owned(self) -> Image.Image:
        return self.alpha.convert("1", dither=Image.Dither.NONE)

    @cached_property
    def owned_px(self) -> int:
        return int(np.count_nonzero(render.as_array(self.alpha) >= 128))


def scaled_size(codepoint: str, size_px: int) -> tuple[int, int]:
    """Width and height of the sprite whose longer side is size_px."""
    w, h = base_bitmap(codepoint).size
    f = size_px / max(w, h)
    return max(1, round(w * f)), max(1, round(h * f))


@lru_cache(maxsize=1024)
def sprite(codepoint: str, size_px: int, recolor: tuple[str, str] | None = None) -> Sprite:
    base = recolored_bitmap(codepoint, *recolor) if recolor else base_bitmap(codepoint)
    image = base.resize(scaled_size(codepoint, size_px), Image.Resampling.LANCZOS)
    alpha = image.getchannel("A")
    owned = alpha.convert("1", dither=Image.Dither.NONE).getbbox()  # the renderer's ownership rule
    if owned is None:
        raise ValueError(f"emoji U+{codepoint} at {size_px} px owns no pixel")
    return Sprite(image.convert("RGB"), alpha, owned)


@dataclass(frozen=True)
class SpriteItem:
    """An emoji picture placed with its bitmap's top-left at `origin` (whole pixels)."""

    item_id: int
    role: str
    label: str  # the class name
    codepoint: str
    origin: tuple[int, int]
    size_px: int  # the longer side of the glyph's ink, in pixels
    z: int
    recolor: tuple[str, str] | None = None  # (prototypical colour, colour shown)
    color: str = ""  # the colour shown, when the class has one
    attributes: Attributes = ()

    @property
    def sprite(self) -> Sprite:
        return sprite(self.codepoint, self.size_px, self.recolor)

    @property
    def bbox(self) -> Box:
        """The box of the pixels the object owns: [x0, y0, x1, y1], x1 and y1 exclusive."""
        x0, y0, x1, y1 = self.sprite.owned_box
        ox, oy = self.origin
        return (float(ox + x0), float(oy + y0), float(ox + x1), float(oy + y1))


@render.rasterize.register
def _(item: SpriteItem) -> render.Raster:
    s = item.sprite
    return render.Raster(item.origin[0], item.origin[1], s.alpha, ((s.rgb, s.alpha),), owned=s.owned,
                         owned_px=s.owned_px)


@model.item_record.register
def _(item: SpriteItem, measured: dict) -> tuple[str, dict]:
    box = item.bbox
    return model.object_record(item, measured, shape="emoji", color=item.color, bbox=box, polygon=rect_points(box),
                               size_px=item.size_px, attributes=(("emoji", f"U+{item.codepoint}"), *item.attributes))
