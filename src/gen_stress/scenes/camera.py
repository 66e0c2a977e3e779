"""A phone camera pointed at a rendered page: one homography (perspective, roll, crop and
resize in a single 3x3 matrix) for the image, the id buffer and every recorded geometry,
then photometric steps (defocus and motion blur, uneven light, exposure, glare, noise,
JPEG) that leave geometry alone.

Coordinates are continuous pixels (pixel i covers [i, i+1)); Pillow samples output
pixel centres, so a pixel centre mapped back through the inverse matrix lands in the
source pixel it copies (NEAREST for ids): the same matrix maps boxes exactly.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from scipy import fft as sp_fft

# Surfaces a page lies on (sRGB): wood, laminate, desk, fabric, stone.
TABLES = ((120, 82, 52), (158, 112, 70), (92, 60, 38), (176, 170, 160), (205, 200, 190), (70, 72, 78),
          (46, 52, 60), (138, 132, 120), (190, 160, 120))
FOCAL_PER_SIDE = 1.4  # focal length in units of the longer image side (a phone's main lens)
SATURATED = 0.999  # linear light at or above this in every channel is clipped white


@dataclass(frozen=True)
class Shot:
    """Every value one photograph needs, drawn once per attempt and applied alike to
    every scene of an index (a minimal pair is photographed identically)."""

    tilt_deg: float = 0.0
    tilt_axis_deg: float = 0.0  # direction of the axis the page turns about, in the page
    roll_deg: float = 0.0
    frame_fraction: float = 1.0  # share of the page's extent (by area) kept in frame
    margin: float = 0.0  # table around the page, as a share of the image side (whole page in frame)
    offset: tuple[float, float] = (0.5, 0.5)  # where the frame sits over the page, 0..1 per axis
    blur_px: float = 0.0  # defocus disc radius, output pixels
    motion_px: float = 0.0  # motion streak length, output pixels
    motion_deg: float = 0.0  # its direction, counter-clockwise from the x axis as seen
    noise_sigma: float = 0.0  # sensor noise, 8-bit levels
    jpeg_quality: int = 100  # 100: no JPEG round trip
    exposure: float = 0.0  # stops; negative is low light
    glare: float = 0.0  # 0: none; 1: a large saturating highlight
    glare_at: tuple[float, float] = (0.5, 0.5)  # its centre, as a share of the image
    vignette: float = 0.0  # darkening of the corners, 0..1
    light_tilt: tuple[float, float] = (0.0, 0.0)  # light falling off across x and y
    white_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    table: int = 0  # index into TABLES
    grain: float = 0.0  # strength of the table's grain
    seed: int = 0  # noise and texture stream

    @property
    def lit(self) -> bool:
        """Does the light change (exposure, glare, falloff, white balance)?"""
        return bool(self.exposure or self.glare or self.vignette or any(self.light_tilt)
                    or self.white_balance != (1.0, 1.0, 1.0))

    @property
    def moves_geometry(self) -> bool:
        return bool(self.tilt_deg or self.roll_deg or self.frame_fraction < 1.0 or self.margin)


# Geometry ------------------------------------------------------------------------------

def _rodrigues(axis: np.ndarray, angle: float) -> np.ndarray:
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + math.sin(angle) * k + (1 - math.cos(angle)) * k @ k


def apply_h(matrix: np.ndarray, points) -> np.ndarray:
    """(n, 2) points through a homography."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    mapped = np.c_[pts, np.ones(len(pts))] @ matrix.T
    return mapped[:, :2] / mapped[:, 2:]


def page_to_image(shot: Shot, size: tuple[int, int]) -> np.ndarray:
    """The 3x3 matrix taking page pixels to image pixels: centre, roll, turn the page
    plane by the tilt and project through a pinhole, then scale and move so the wanted
    share of the page fills the frame."""
    w, h = size
    centre = np.array([[1, 0, -w / 2], [0, 1, -h / 2], [0, 0, 1.0]])
    r = math.radians(shot.roll_deg)
    roll = np.array([[math.cos(r), math.sin(r), 0], [-math.sin(r), math.cos(r), 0], [0, 0, 1.0]])
    a = math.radians(shot.tilt_axis_deg)
    turn = _rodrigues(np.array([math.cos(a), math.sin(a), 0.0]), math.radians(shot.tilt_deg))
    focal = FOCAL_PER_SIDE * max(w, h)
    project = np.diag([focal, focal, 1.0]) @ np.array([[turn[0, 0], turn[0, 1], 0], [turn[1, 0], turn[1, 1], 0],
                                                       [turn[2, 0], turn[2, 1], focal]])
    camera = project @ roll @ centre
    corners = apply_h(camera, [(0, 0), (w, 0), (w, h), (0, h)])
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    fit = min(w / (x1 - x0), h / (y1 - y0))
    # The whole page with table around it, or (frame_fraction < 1) a window onto part of it.
    scale = fit * (1 - 2 * shot.margin) if shot.frame_fraction >= 1 else fit / math.sqrt(shot.frame_fraction)
    spans = (scale * (x1 - x0), scale * (y1 - y0))
    # Free room (positive: table shows) or overhang (negative: page cut) per axis.
    moves = [(side - span) * share for side, span, share in zip((w, h), spans, shot.offset)]
    place = np.array([[scale, 0, moves[0] - scale * x0], [0, scale, moves[1] - scale * y0], [0, 0, 1.0]])
    matrix = place @ camera
    return matrix / matrix[2, 2]


def local_scale(matrix: np.ndarray, point) -> float:
    """How many image pixels one page pixel spans at `point` (square root of the
    Jacobian determinant of the homography there)."""
    x, y = float(point[0]), float(point[1])
    d = matrix[2, 0] * x + matrix[2, 1] * y + matrix[2, 2]
    det = np.linalg.det(matrix) / d ** 3
    return math.sqrt(abs(det))


def _perspective_data(matrix: np.ndarray) -> tuple[float, ...]:
    inverse = np.linalg.inv(matrix)
    inverse = inverse / inverse[2, 2]
    return tuple(inverse.ravel()[:8])


def warp(image: Image.Image, matrix: np.ndarray, size: tuple[int, int], resample, fill=0) -> Image.Image:
    return image.transform(size, Image.Transform.PERSPECTIVE, _perspective_data(matrix), resample=resample,
                           fillcolor=fill)


def in_frame_counts(ids: np.ndarray, matrix: np.ndarray, size: tuple[int, int], n_ids: int) -> np.ndarray:
    """Per id, how many of its page pixels land inside the image: the image's outline
    mapped back onto the page (a straight-edged quad) and filled like any polygon."""
    h, w = ids.shape
    outline = apply_h(np.linalg.inv(matrix), [(0, 0), (size[0], 0), (size[0], size[1]), (0, size[1])])
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).polygon(outline.ravel().tolist(), fill=1)
    return np.bincount(ids[np.asarray(mask, dtype=bool)], minlength=n_ids)


# The table under the page ---------------------------------------------------------------

def table_image(shot: Shot, size: tuple[int, int]) -> Image.Image:
    """A surface with grain along one axis and soft blotches: a narrow noise field (full
    height, 16 columns) stretched across, then tinted through per-channel tables."""
    w, h = size
    rng = np.random.default_rng([shot.seed, 1])
    grain = np.cumsum(rng.normal(0, 1, h)) * 0.02
    grain = grain - grain.mean() + 0.25 * np.sin(np.arange(h) * rng.uniform(0.05, 0.3))
    blotch = np.repeat(rng.uniform(-0.5, 0.5, (8, 16)), -(-h // 8), axis=0)[:h]
    field = 0.08 * grain[:, None] + 0.12 * blotch
    narrow = Image.fromarray(np.clip(128 + 127 * field, 0, 255).astype(np.uint8), "L")
    wide = narrow.resize(size, Image.Resampling.BILINEAR)
    tints = [wide.point([int(min(255, c * (1 + shot.grain * (v - 128) / 127))) for v in range(256)])
             for c in TABLES[shot.table]]
    return Image.merge("RGB", tints)


def compose_on_table(page: Image.Image, matrix: np.ndarray, shot: Shot, size: tuple[int, int]) -> Image.Image:
    """The page warped onto a table, with a soft shadow under its edge."""
    w, h = page.size
    outline = apply_h(matrix, [(0, 0), (w, 0), (w, h), (0, h)])
    warped = warp(page, matrix, size, Image.Resampling.BILINEAR)
    table = table_image(shot, size)
    shadow = Image.new("L", size, 0)
    ImageDraw.Draw(shadow).polygon((outline + (size[0] / 150, size[1] / 100)).ravel().tolist(), fill=255)
    shadow = shadow.filter(ImageFilter.BoxBlur(max(2, size[0] // 60)))
    table = Image.composite(table.point(lambda v: int(v * 0.55)), table, shadow)
    alpha = Image.new("L", size, 0)
    ImageDraw.Draw(alpha).polygon(outline.ravel().tolist(), fill=255)
    return Image.composite(warped, table, alpha)


# Photometric steps ------------------------------------------------------------------------

_TO_LINEAR = ((np.arange(256) / 255.0) ** 2.2).astype(np.float32)
_TO_SRGB = np.round(255 * np.linspace(0, 1, 4096) ** (1 / 2.2)).astype(np.uint8)


def psf(blur_px: float, motion_px: float, motion_deg: float) -> np.ndarray | None:
    """The point spread: a disc of radius blur_px convolved with a streak of motion_px."""
    if blur_px <= 0 and motion_px <= 0:
        return None
    half = max(1, int(math.ceil(max(blur_px, 0.5) + motion_px / 2 - 0.5)))  # the grid reaches half + 0.5
    sub = 4  # supersampled for smooth edges
    grid = (np.arange((2 * half + 1) * sub) + 0.5) / sub - (half + 0.5)
    gx, gy = np.meshgrid(grid, grid)
    kernel = np.zeros_like(gx)
    t = math.radians(motion_deg)
    steps = max(1, int(math.ceil(motion_px * 2)))
    for k in range(steps):
        along = (k + 0.5) / steps - 0.5 if motion_px > 0 else 0.0
        cx, cy = along * motion_px * math.cos(t), -along * motion_px * math.sin(t)
        radius = max(blur_px, 0.5)
        kernel += ((gx - cx) ** 2 + (gy - cy) ** 2) <= radius ** 2
    kernel = kernel.reshape(2 * half + 1, sub, 2 * half + 1, sub).sum(axis=(1, 3))
    return (kernel / kernel.sum()).astype(np.float32)


def convolve(linear: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Each channel convolved with the kernel (FFT, edges reflected)."""
    half = kernel.shape[0] // 2
    padded = np.pad(linear, ((half, half), (half, half), (0, 0)), mode="reflect")
    shape = [sp_fft.next_fast_len(s, real=True) for s in padded.shape[:2]]
    spectrum = sp_fft.rfft2(padded, shape, axes=(0, 1)) * sp_fft.rfft2(kernel, shape)[:, :, None]
    full = sp_fft.irfft2(spectrum, shape, axes=(0, 1))
    h, w = linear.shape[:2]
    return full[2 * half:2 * half + h, 2 * half:2 * half + w].astype(np.float32)


def blur(image: Image.Image, kernel: np.ndarray | None) -> Image.Image:
    """The image through the point spread (8-bit values; small kernels in Pillow)."""
    if kernel is None:
        return image
    side = kernel.shape[0]
    if side <= 5:  # Pillow's own kernels are 3x3 or 5x5
        return image.filter(ImageFilter.Kernel((side, side), kernel.ravel().tolist(), scale=float(kernel.sum())))
    spread = convolve(np.asarray(image, dtype=np.float32), kernel)
    return Image.fromarray(np.clip(spread + 0.5, 0, 255).astype(np.uint8), "RGB")


def light_field(shot: Shot, size: tuple[int, int]) -> np.ndarray:
    """Gain per pixel: corner falloff and a light gradient (separable, cheap)."""
    w, h = size
    x = np.linspace(-1, 1, w, dtype=np.float32)
    y = np.linspace(-1, 1, h, dtype=np.float32)
    gx = (1 - 0.5 * shot.vignette * x ** 2) * (1 + shot.light_tilt[0] * x)
    gy = (1 - 0.5 * shot.vignette * y ** 2) * (1 + shot.light_tilt[1] * y)
    return gy[:, None] * gx[None, :]


def glare_field(shot: Shot, size: tuple[int, int]) -> np.ndarray | None:
    """An added highlight whose core saturates: an elliptic Gaussian, wider than tall."""
    if shot.glare <= 0:
        return None
    w, h = size
    sx, sy = (0.05 + 0.14 * shot.glare) * w, (0.03 + 0.09 * shot.glare) * h
    peak = 1.2 + 5.0 * shot.glare
    x = np.arange(w, dtype=np.float32) + 0.5 - shot.glare_at[0] * w
    y = np.arange(h, dtype=np.float32) + 0.5 - shot.glare_at[1] * h
    return peak * np.exp(-(y ** 2) / (2 * sy ** 2))[:, None] * np.exp(-(x ** 2) / (2 * sx ** 2))[None, :]


_NOISE = np.random.default_rng(20261202).standard_normal(1 << 21, dtype=np.float32)


def _noise(count: int, seed: int) -> np.ndarray:
    """Unit Gaussian noise: a window of a fixed table at a place the seed picks, read
    forwards or backwards (drawing fresh normals costs as much as a PNG encode)."""
    reps = -(-count // (_NOISE.size // 2)) + 1
    table = np.tile(_NOISE, reps) if reps > 2 else _NOISE
    start = int(np.random.default_rng([seed, 2]).integers(table.size - count))
    window = table[start:start + count]
    return window if seed % 2 else window[::-1]


@dataclass
class Developed:
    image: Image.Image
    saturated: np.ndarray  # (h, w) bool: clipped white in every channel (before noise and JPEG)


def develop(image: Image.Image, shot: Shot) -> Developed:
    """Light, blur, glare, exposure, noise and JPEG on an RGB image (geometry untouched)."""
    size = image.size
    image = blur(image, psf(shot.blur_px, shot.motion_px, shot.motion_deg))
    if shot.lit:
        # Exposure and white balance ride on the table that linearises (one pass fewer).
        per_channel = _TO_LINEAR[:, None] * np.float32(2.0 ** shot.exposure) * np.asarray(shot.white_balance,
                                                                                            dtype=np.float32)
        linear = per_channel[np.asarray(image), np.arange(3)]
        linear *= light_field(shot, size)[:, :, None]
        glare = glare_field(shot, size)
        if glare is not None:
            linear += glare[:, :, None]
        # (channel by channel: a reduction along the last axis is several times slower)
        saturated = np.minimum(np.minimum(linear[:, :, 0], linear[:, :, 1]), linear[:, :, 2]) >= SATURATED
        np.clip(linear, 0, 1, out=linear)
        linear *= 4095
        rgb = _TO_SRGB[linear.astype(np.uint16)]
    else:  # the light untouched: no round trip through linear values
        rgb = np.asarray(image)
        saturated = np.zeros(rgb.shape[:2], dtype=bool)
    if not shot.noise_sigma and shot.jpeg_quality >= 100:
        return Developed(image if not shot.lit else Image.fromarray(rgb, "RGB"), saturated)
    if shot.noise_sigma > 0:
        # Sensor noise; clipped whites stay white.
        noise = _noise(rgb.size, shot.seed).reshape(rgb.shape) * np.float32(shot.noise_sigma)
        noise += rgb
        noisy = np.clip(noise, 0, 255, out=noise).astype(np.uint8)
        rgb = np.where(saturated[:, :, None], rgb, noisy) if saturated.any() else noisy
    out = Image.fromarray(rgb, "RGB")
    if shot.jpeg_quality < 100:
        buffer = io.BytesIO()
        out.save(buffer, format="JPEG", quality=int(shot.jpeg_quality))
        out = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return Developed(out, saturated)
