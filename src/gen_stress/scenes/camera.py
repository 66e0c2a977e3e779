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
from functools import lru_cache

import numpy as np
import cv2
from PIL import Image

# Generation runs one process per core: one OpenCV thread each (no oversubscription;
# the pixels do not depend on it).
cv2.setNumThreads(1)

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


def _cv_matrix(matrix: np.ndarray) -> np.ndarray:
    """The same homography in OpenCV's convention (pixel i centred at i, not i + 0.5)."""
    return _HALF_BACK @ matrix @ _HALF_ON


_HALF_ON = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1.0]])
_HALF_BACK = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1.0]])


def warp(pixels: np.ndarray, matrix: np.ndarray, size: tuple[int, int], nearest: bool = False, onto=None) -> np.ndarray:
    """Pixels through the homography at the output size: each output pixel centre mapped
    back onto the page, sampled bilinearly (nearest for ids, so an id is never blended).
    With `onto`, what falls outside the page keeps those pixels (the table)."""
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    if onto is None:
        return cv2.warpPerspective(pixels, _cv_matrix(matrix), size, flags=flags, borderMode=cv2.BORDER_CONSTANT,
                                   borderValue=0)
    return cv2.warpPerspective(pixels, _cv_matrix(matrix), size, dst=onto, flags=flags,
                               borderMode=cv2.BORDER_TRANSPARENT)


def _fill(shape: tuple[int, int], outline: np.ndarray) -> np.ndarray:
    """A convex outline filled as a uint8 mask (255 inside), at 1/16 pixel precision."""
    mask = np.zeros(shape, dtype=np.uint8)
    points = np.round((outline - 0.5) * 16).astype(np.int32)  # OpenCV centres pixel i at i
    cv2.fillConvexPoly(mask, points, 255, lineType=cv2.LINE_8, shift=4)
    return mask


def in_frame_counts(ids: np.ndarray, matrix: np.ndarray, size: tuple[int, int], n_ids: int) -> np.ndarray:
    """Per id, how many of its page pixels land inside the image: the image's outline
    mapped back onto the page (a straight-edged quad) and filled like any polygon."""
    outline = apply_h(np.linalg.inv(matrix), [(0, 0), (size[0], 0), (size[0], size[1]), (0, size[1])])
    return count_ids(ids, n_ids, _fill(ids.shape, outline))


def count_ids(ids: np.ndarray, n_ids: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Pixels per id (where a uint8 mask is 255, if given), for ids below n_ids:
    OpenCV's histogram for an 8-bit id buffer (exact, several times faster than
    bincount; masked out pixels become id 0, then leave its count), bincount otherwise."""
    if ids.dtype != np.uint8 or n_ids > 256:
        return np.bincount((ids if mask is None else ids[mask > 0]).ravel(), minlength=n_ids)
    kept = ids if mask is None else cv2.bitwise_and(ids, mask)
    counts = cv2.calcHist([kept], [0], None, [n_ids], [0, n_ids]).ravel().astype(np.int64)
    if mask is not None:
        counts[0] -= mask.size - cv2.countNonZero(mask)
    return counts


# The table under the page ---------------------------------------------------------------

def table_image(shot: Shot, size: tuple[int, int]) -> np.ndarray:
    """A surface with grain along one axis and soft blotches: a narrow noise field (full
    height, 16 columns) tinted per channel, then stretched across."""
    w, h = size
    rng = np.random.default_rng([shot.seed, 1])
    grain = np.cumsum(rng.normal(0, 1, h)) * 0.02
    grain = grain - grain.mean() + 0.25 * np.sin(np.arange(h) * rng.uniform(0.05, 0.3))
    blotch = np.repeat(rng.uniform(-0.5, 0.5, (8, 16)), -(-h // 8), axis=0)[:h]
    field = np.clip(128 + 127 * (0.08 * grain[:, None] + 0.12 * blotch), 0, 255) - 128
    tint = np.asarray(TABLES[shot.table], dtype=float)
    narrow = np.clip(tint * (1 + shot.grain * field[:, :, None] / 127), 0, 255).astype(np.uint8)
    return cv2.resize(narrow, size, interpolation=cv2.INTER_LINEAR)


def _covers_frame(outline: np.ndarray, size: tuple[int, int]) -> bool:
    """Does the page's (convex) outline hold every corner of the image?"""
    corners = np.array([(0, 0), (size[0], 0), (size[0], size[1]), (0, size[1])], dtype=float)
    edges = np.roll(outline, -1, axis=0) - outline
    cross = edges[:, None, 0] * (corners[None, :, 1] - outline[:, None, 1]) - \
        edges[:, None, 1] * (corners[None, :, 0] - outline[:, None, 0])
    return bool((cross >= 0).all() or (cross <= 0).all())


def compose_on_table(page: np.ndarray, matrix: np.ndarray, shot: Shot, size: tuple[int, int]) -> np.ndarray:
    """The page warped onto a table, with a soft shadow under its edge."""
    h, w = page.shape[:2]
    outline = apply_h(matrix, [(0, 0), (w, 0), (w, h), (0, h)])
    if _covers_frame(outline, size):  # a close-up: no table in sight
        return warp(page, matrix, size)
    table = table_image(shot, size)
    shadow = _fill((size[1], size[0]), outline + (size[0] / 150, size[1] / 100))
    side = 2 * max(2, size[0] // 60) + 1
    shade = 255 - (cv2.blur(shadow, (side, side)) * 0.45).astype(np.uint8)  # 45% darker under the page
    table = cv2.multiply(table, cv2.merge([shade] * 3), scale=1 / 255)
    return warp(page, matrix, size, onto=table)


# Photometric steps ------------------------------------------------------------------------

_TO_LINEAR = ((np.arange(256) / 255.0) ** 2.2).astype(np.float32)


def psf(blur_px: float, motion_px: float, motion_deg: float) -> np.ndarray | None:
    """The point spread: a disc of radius blur_px swept along a centred streak of
    motion_px (its density: how long the moving disc covers each point), supersampled
    4x per pixel for smooth edges."""
    if blur_px <= 0 and motion_px <= 0:
        return None
    half = max(1, int(math.ceil(max(blur_px, 0.5) + motion_px / 2 - 0.5)))  # the grid reaches half + 0.5
    sub = 4
    grid = (np.arange((2 * half + 1) * sub) + 0.5) / sub - (half + 0.5)
    gx, gy = np.meshgrid(grid, grid)
    radius = max(blur_px, 0.5)
    if motion_px > 0:
        # Along and across the streak; the disc covers a point while its centre is
        # within `reach` of the point's foot on the streak: an interval, clipped to it.
        t = math.radians(motion_deg)
        along = gx * math.cos(t) - gy * math.sin(t)
        across = gx * math.sin(t) + gy * math.cos(t)
        reach = np.sqrt(np.maximum(radius ** 2 - across ** 2, 0.0))
        ends = motion_px / 2
        kernel = np.clip(np.minimum(along + reach, ends) - np.maximum(along - reach, -ends), 0.0, None)
    else:
        kernel = (gx ** 2 + gy ** 2 <= radius ** 2).astype(float)
    kernel = kernel.reshape(2 * half + 1, sub, 2 * half + 1, sub).sum(axis=(1, 3))
    return (kernel / kernel.sum()).astype(np.float32)


# OpenCV filters an 8-bit image tap by tap, skipping zero taps, for kernels under 130
# taps; from there on through its own DFT (three planes, slower than ours below). Tap by
# tap is the cheaper of the two up to about 80 non-zero taps (a small disc, a thin streak).
OPENCV_DFT_TAPS = 130
DIRECT_TAPS = 80


def spread(rgb: np.ndarray, shot: Shot) -> np.ndarray:
    """The image through the shot's point spread: a long thin streak (motion with no
    more than the half-pixel disc of defocus, which psf also draws) as a box filter
    along sheared rows (its cost does not grow with the length), every other spread
    through its exact kernel."""
    radius = max(shot.blur_px, 0.5)
    side = 2 * max(1, int(math.ceil(radius + shot.motion_px / 2 - 0.5))) + 1  # psf's kernel side
    if shot.motion_px > 0 and radius <= 0.5 and side * side >= OPENCV_DFT_TAPS:
        return _per_distinct_plane(rgb, lambda plane: streak(plane, shot.motion_px, shot.motion_deg))
    return blur(rgb, psf(shot.blur_px, shot.motion_px, shot.motion_deg))


def _per_distinct_plane(rgb: np.ndarray, step) -> np.ndarray:
    """A per-channel step on an RGB image, run once when all channels are equal (a gray
    page), else on all three at once. A coarse grid of pixels settles most colour
    images before the full comparison."""
    coarse = rgb[::16, ::16]
    if (coarse[:, :, 0] != coarse[:, :, 1]).any() or (coarse[:, :, 0] != coarse[:, :, 2]).any():
        return step(rgb)
    red, green, blue = cv2.split(rgb)
    if cv2.countNonZero(cv2.absdiff(red, green)) or cv2.countNonZero(cv2.absdiff(red, blue)):
        return step(rgb)
    out = step(red)
    return cv2.merge([out, out, out])


# Work arrays of the streak, reused from photo to photo: fresh arrays of a few MB each
# would be new pages from the system every time (glibc maps large blocks), and faulting
# them in costs as much as the filtering itself. One growing byte buffer per role,
# viewed at the shape a photo needs; every step writes its whole array (generation runs
# one photo at a time per process).
_WORK: dict[str, np.ndarray] = {}


def _work(role: str, shape: tuple[int, ...], dtype) -> np.ndarray:
    size = math.prod(shape) * np.dtype(dtype).itemsize
    buffer = _WORK.get(role)
    if buffer is None or buffer.size < size:
        buffer = _WORK[role] = np.empty(size, np.uint8)
    return buffer[:size].view(dtype).reshape(shape)


def streak(pixels: np.ndarray, length_px: float, angle_deg: float) -> np.ndarray:
    """Motion blur: each pixel the mean of the image along a centred segment of
    `length_px` at `angle_deg` (counter-clockwise from the x axis as seen), pixels taken
    as constant squares along it and interpolated linearly across it, edges mirrored
    (psf draws the same segment a pixel wide: a half-pixel disc swept along it). A box
    filter along a sheared image: columns shifted by the slope (bilinear) so that the
    segment lies along a row, a running sum of the segment's length along the rows, and
    the shift undone; its cost does not grow with the length. The sheared image wraps
    around vertically (one period of the padded image), so it stays the image's size.
    Lines closer to vertical run on the transposed image."""
    t = math.radians(angle_deg)
    along, rise = math.cos(t), -math.sin(t)  # the direction in image axes (y down)
    steep = abs(rise) > abs(along)
    if steep:
        image = cv2.transpose(pixels, dst=_work("turned", (pixels.shape[1], pixels.shape[0], *pixels.shape[2:]),
                                                pixels.dtype))
        along, rise = rise, along
    else:
        image = pixels
    slope, reach = rise / along, length_px * abs(along)  # rows per column; the segment's extent in columns
    h, w = image.shape[:2]
    channels = image.shape[2:]
    # The box in columns: taps |j| <= m whole, |j| = m + 1 covered for `part` of a pixel.
    m = int(math.floor(reach / 2 - 0.5))
    part = reach / 2 - 0.5 - m
    side = m + 1
    pad = int(math.ceil(abs(slope) * side)) + 2  # rows a segment (and its bilinear taps) reaches past the image
    period, cols = h + 2 * pad, w + 2 * side
    padded = cv2.copyMakeBorder(image, pad, pad, side, side, cv2.BORDER_REFLECT_101,
                                dst=_work("padded", (period, cols, *channels), np.uint8))
    # Sheared row b at column a holds padded row b + slope * a + offset, modulo the period.
    offset = -min(0.0, slope * (cols - 1))
    sheared = _wrapped_shear(padded, slope, 0.0, offset, (cols, period), _work("sheared", padded.shape, np.uint8))
    # Sums along the rows, then the mean in 1/256 levels (16 bits, rounded once at the
    # end: rounding every step leaves a speckle in the smooth streaks that PNG pays for).
    # A fractional length: two odd boxes, weighted so that the end taps get `part`.
    inner = cv2.boxFilter(sheared, cv2.CV_16U, (2 * m + 1, 1), normalize=False,
                          dst=_work("inner", padded.shape, np.uint16))
    outer = inner if part <= 0 else cv2.boxFilter(sheared, cv2.CV_16U, (2 * m + 3, 1), normalize=False,
                                                  dst=_work("outer", padded.shape, np.uint16))
    mean = cv2.addWeighted(inner, 256 * (1 - part) / reach, outer, 256 * part / reach, 0, dtype=cv2.CV_16U,
                           dst=_work("mean", padded.shape, np.uint16))
    # Pixel (x, y) lies on sheared row y + pad - slope * (x + side) - offset, at column x + side.
    out = _wrapped_shear(mean, -slope, float(side), pad - slope * side - offset, (w, h),
                         _work("back", (h, w, *channels), np.uint16))
    if steep:
        return cv2.transpose(cv2.convertScaleAbs(out, alpha=1 / 256, dst=_work("upright", out.shape, np.uint8)))
    return cv2.convertScaleAbs(out, alpha=1 / 256)


def _wrapped_shear(src: np.ndarray, slope: float, x0: float, y0: float, size: tuple[int, int],
                   dst: np.ndarray) -> np.ndarray:
    """dst(a, b) = src(a + x0, (b + slope * a + y0) mod src's rows), bilinear: one warp
    from the source stacked on itself as often as the rows reach."""
    w, h = size
    period = src.shape[0]
    rows = (y0, y0 + slope * (w - 1))  # what row 0 reads in the first and last columns
    shift = -math.floor(min(rows) / period) * period  # the first row read lies in the first copy
    y0 += shift
    last = max(rows) + shift + h  # the last row read (bilinear: one past the last row)
    copies = math.floor(last / period) + 1
    if copies > 1:
        src = cv2.repeat(src, copies, 1, dst=_work("stack", (copies * period, *src.shape[1:]), src.dtype))
    matrix = np.array([[1.0, 0.0, x0], [slope, 1.0, y0]])
    return cv2.warpAffine(src, matrix, size, dst=dst, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT)


def blur(rgb: np.ndarray, kernel: np.ndarray | None) -> np.ndarray:
    """The image through the point spread, edges mirrored. The kernel is point-symmetric
    (a disc swept along a centred streak), so correlation is the convolution. A gray
    image (all channels equal, as most pages) is filtered once."""
    if kernel is None:
        return rgb
    if kernel.size < OPENCV_DFT_TAPS and np.count_nonzero(kernel) <= DIRECT_TAPS:
        return cv2.filter2D(rgb, -1, kernel, borderType=cv2.BORDER_REFLECT_101)
    red, green, blue = cv2.split(rgb)
    if cv2.countNonZero(cv2.absdiff(red, green)) or cv2.countNonZero(cv2.absdiff(red, blue)):
        return cv2.merge(_dft_filter([red, green, blue], kernel))
    return cv2.merge(_dft_filter([red], kernel) * 3)


def _dft_filter(planes: list[np.ndarray], kernel: np.ndarray) -> list[np.ndarray]:
    """Each uint8 plane convolved with the kernel through one float32 real DFT: the plane
    padded by mirroring to a fast DFT size (at least the kernel's reach on every side, so
    the circular wrap only mixes padding), its spectrum scaled by the kernel's gain.
    OpenCV's filter2D filters 8-bit images directly up to 130 taps, then through a
    slower DFT of its own."""
    h, w = planes[0].shape
    r = kernel.shape[0] // 2
    size_h, size_w = cv2.getOptimalDFTSize(h + 2 * r), cv2.getOptimalDFTSize(w + 2 * r)
    gain = _kernel_gain(kernel.tobytes(), kernel.shape[0], size_h, size_w)
    out = []
    for plane in planes:
        padded = cv2.copyMakeBorder(plane, r, size_h - h - r, r, size_w - w - r, cv2.BORDER_REFLECT_101)
        filtered = cv2.idft(cv2.multiply(cv2.dft(np.float32(padded)), gain), flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)
        out.append(cv2.convertScaleAbs(filtered[r:r + h, r:r + w]))
    return out


@lru_cache(maxsize=4)
def _kernel_gain(kernel_bytes: bytes, side: int, size_h: int, size_w: int) -> np.ndarray:
    """The kernel's spectrum at the DFT size, laid out to scale a packed real spectrum
    elementwise. The kernel is point-symmetric about its centre (placed at the origin,
    wrapped), so its spectrum is real: each frequency scales the real and imaginary
    parts of an image's spectrum alike (cheaper per image than mulSpectrums). Cached: a
    knob pinned at one blur gives every photo the same kernel."""
    kernel = np.frombuffer(kernel_bytes, dtype=np.float32).reshape(side, side)
    r = side // 2
    centred = np.zeros((size_h, size_w), np.float32)
    centred[np.ix_((np.arange(side) - r) % size_h, (np.arange(side) - r) % size_w)] = kernel
    return _real_gain(cv2.dft(centred))


def _real_gain(spectrum: np.ndarray) -> np.ndarray:
    """A real spectrum in OpenCV's packed (CCS) layout with each real part copied onto
    the slot of its imaginary part: rows hold (re, im) pairs side by side, except the
    first column (and the last, for an even width), which hold them one above the
    other below a real first row (and above a real last row, for an even height)."""
    gain = spectrum.copy()
    rows, cols = spectrum.shape
    end = cols - 1 if cols % 2 == 0 else cols
    gain[:, 2:end:2] = spectrum[:, 1:end:2]
    end_row = rows - 1 if rows % 2 == 0 else rows
    for col in [0] + ([cols - 1] if cols % 2 == 0 else []):
        gain[2:end_row:2, col] = spectrum[1:end_row:2, col]
    return gain


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


def _lit(rgb: np.ndarray, shot: Shot) -> tuple[np.ndarray, np.ndarray]:
    """Exposure, white balance, light falloff and glare in linear light, then clipped
    and back to sRGB: (image, clipped-white mask). Float32 OpenCV passes throughout (the
    exposure and white balance ride on the table that linearises)."""
    h, w = rgb.shape[:2]
    table = _TO_LINEAR[:, None] * np.float32(2.0 ** shot.exposure) * np.asarray(shot.white_balance, np.float32)
    if not shot.glare and not shot.vignette and not any(shot.light_tilt):  # the same gain everywhere:
        # each channel is a function of its own value alone, so the whole round trip is a table
        srgb = np.round(255 * np.minimum(table, 1.0) ** (1 / 2.2)).astype(np.uint8)
        return cv2.LUT(rgb, srgb.reshape(256, 1, 3)), _clipped_by_table(rgb, table)
    linear = cv2.multiply(cv2.LUT(rgb, table.reshape(256, 1, 3)), cv2.merge([light_field(shot, (w, h))] * 3))
    glare = glare_field(shot, (w, h))
    if glare is not None:
        linear = cv2.add(linear, cv2.merge([glare] * 3))
    saturated = darkest_channel(linear) >= SATURATED
    cv2.threshold(linear, 1.0, 1.0, cv2.THRESH_TRUNC, dst=linear)
    return cv2.convertScaleAbs(cv2.pow(linear, 1 / 2.2), alpha=255), saturated


def _clipped_by_table(rgb: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Pixels the (increasing) table clips white in every channel: each channel at or
    above the first value it clips, one range test."""
    clips = table >= SATURATED  # (256, 3)
    if not clips[-1].all():  # a channel never clips: no pixel is white in all three
        return np.zeros(rgb.shape[:2], dtype=bool)
    lowest = tuple(int(np.argmax(clips[:, c])) for c in range(3))
    return cv2.inRange(rgb, lowest, (255, 255, 255)) > 0


def darkest_channel(pixels: np.ndarray) -> np.ndarray:
    """Per pixel, the smallest of its three channels (channel by channel: a reduction
    along the last axis is many times slower)."""
    red, green, blue = cv2.split(pixels)
    return cv2.min(cv2.min(red, green), blue)


@dataclass
class Developed:
    image: Image.Image
    saturated: np.ndarray  # (h, w) bool: clipped white in every channel (before noise and JPEG)


def develop(rgb: np.ndarray, shot: Shot) -> Developed:
    """Light, blur, glare, exposure, noise and JPEG on an RGB array (geometry untouched)."""
    rgb = spread(rgb, shot)
    if shot.lit:
        rgb, saturated = _lit(rgb, shot)
    else:  # the light untouched: no round trip through linear values
        saturated = np.zeros(rgb.shape[:2], dtype=bool)
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
