"""Checks of a render against its scene. Each returns a list of failure reasons (empty
when the render is faithful); the pipeline resamples a scene that fails any check."""

from __future__ import annotations

import math
import re

import numpy as np
import pyarrow as pa

from gen_stress.scenes.geometry import Box
from gen_stress.scenes.glyphs import comma_reads_apart
from gen_stress.scenes.memo import BoundedLRU
from gen_stress.scenes.model import TextItem
from gen_stress.scenes.render import Rendered

INK_LEVEL = 8  # coverage (0..255) below this is anti-aliasing haze, not ink
FEW_CHARS = 16  # below this many characters a line's boxes are looked at one by one (faster than a table)


# What checks derive from a line mask the renderer shares across items (every upright line
# of one text, font and size: screens repeat their labels), by the mask's id; the mask is
# held, so its id is not reused while remembered. Bounded by bytes, not entries: an entry
# holds its mask alive and the mask's ink as arrays (17 bytes an ink pixel), and a large
# line's can pass 100 KB, so 4096 of them grew a worker by hundreds of MiB with --n.
_SHARED = BoundedLRU(16 << 20)  # (a mask dropped from text's cache is not met again: its id is gone)


def _shared(cov: np.ndarray, level: int) -> dict | None:
    """The remembered derivations of a shared line mask (a read-only array owning its
    pixels, made once per text, font and size), or None for an item's own coverage."""
    if cov.flags.writeable or cov.base is not None:
        return None
    key = (id(cov), level)
    entry = _SHARED.get(key)
    if entry is None or entry["array"] is not cov:
        entry = {"key": key, "array": cov, "inked": cov >= level}
        entry["inked"].flags.writeable = False
        _SHARED.put(key, entry, cov.nbytes + entry["inked"].nbytes)
    return entry


def _keep(entry: dict, name: str, arrays: tuple) -> None:
    """Remembers arrays derived from a shared mask (read only), counted in its bytes."""
    for array in arrays:
        array.flags.writeable = False
    entry[name] = arrays
    _SHARED.grow(entry["key"], sum(array.nbytes for array in arrays))


def _ink_mask(rendered: Rendered, item_id: int, level: int = INK_LEVEL) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(x0, y0, coverage, coverage >= level) of an item, made once per render (once per
    shared line mask)."""
    key = ("ink_mask", item_id, level)
    if key not in rendered.memo:
        x0, y0, cov = rendered.coverage(item_id)
        shared = _shared(cov, level)
        rendered.memo[key] = (x0, y0, cov, cov >= level if shared is None else shared["inked"])
    return rendered.memo[key]


def _ink(rendered: Rendered, item_id: int, level: int = INK_LEVEL):
    """(xs, ys, values) of an item's ink pixels in canvas coordinates."""
    key = ("ink", item_id, level)
    if key not in rendered.memo:
        x0, y0, cov, inked = _ink_mask(rendered, item_id, level)
        shared = _shared(cov, level)
        local = None if shared is None else shared.get("ink")
        if local is None:
            ys, xs = np.nonzero(inked)
            local = (xs, ys, cov[ys, xs])
            if shared is not None:
                _keep(shared, "ink", local)
        xs, ys, values = local
        rendered.memo[key] = (xs + x0, ys + y0, values)
    return rendered.memo[key]


def _strong_local(rendered: Rendered, item_id: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """(x0, y0, xs, ys): an item's ink pixels at 0.6 of its strongest or more (what the
    contrast check measures), from its coverage's origin (x0, y0); picked once per shared
    line mask."""
    x0, y0, cov, _ = _ink_mask(rendered, item_id)
    shared = _shared(cov, INK_LEVEL)
    local = None if shared is None else shared.get("strong")
    if local is None:
        xs, ys, values = _ink(rendered, item_id)
        if not xs.size:
            return 0, 0, xs, ys
        keep = values >= 0.6 * values.max()
        local = (xs[keep] - x0, ys[keep] - y0)
        if shared is not None:
            _keep(shared, "strong", local)
    return x0, y0, local[0], local[1]


def _pixels(rendered: Rendered) -> np.ndarray:
    """The render's RGB pixels as a (height, width, 3) array, read in place through
    Pillow's Arrow export (its 4-byte pixels; no copy), made once per render: checks
    read a few small regions of it (a crop and np.asarray per text copied them)."""
    pixels = rendered.memo.get("pixels")
    if pixels is None:
        image = rendered.image
        try:
            if image.mode != "RGB":
                raise ValueError(image.mode)
            data = np.frombuffer(pa.array(image).values.buffers()[1], dtype=np.uint8)
            pixels = data.reshape(image.height, image.width, 4)[:, :, :3]
        except (AttributeError, TypeError, ValueError, IndexError, pa.ArrowException):  # older Pillow, a multi-block image
            pixels = np.asarray(image)
        rendered.memo["pixels"] = pixels
    return pixels


def _local(item: TextItem, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Pixel centres in the text's own upright frame, so rotated neighbours do not count."""
    return item.layout.placement.to_local(np.stack([xs + 0.5, ys + 0.5], axis=1))


def _in_chars(item: TextItem, local: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """(pixels, characters): which pixels fall in which character's box (local frame)."""
    boxes = np.asarray(item.layout.char_boxes_local, dtype=float).reshape(-1, 4)
    x, y = local[:, :1], local[:, 1:]
    return ((x >= boxes[:, 0] - slack) & (x <= boxes[:, 2] + slack)
            & (y >= boxes[:, 1] - slack) & (y <= boxes[:, 3] + slack))


def chars_at(item: TextItem, points) -> np.ndarray:
    """(points, characters): which page points fall in which character's box."""
    return _in_chars(item, item.layout.placement.to_local(points))


def _inside(xs: np.ndarray, ys: np.ndarray, box: Box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return (xs >= np.floor(x0)) & (xs < np.ceil(x1)) & (ys >= np.floor(y0)) & (ys < np.ceil(y1))


def text_in_frame(item: TextItem, rendered: Rendered) -> list[str]:
    """All ink inside the image and inside the recorded box; every character drew ink."""
    failures = []
    extent = _ink_extent(rendered, item.item_id)
    if extent is None:
        return [f"text {item.text!r} drew no ink"]
    if not rendered.within_canvas(item.item_id):
        failures.append(f"text {item.text!r} is clipped by the image edge")
    if not _extent_inside(extent, item.bbox):
        failures.append(f"ink of {item.text!r} lies outside its recorded box")
    xs = ys = None  # upright text is read off its coverage in place
    if item.layout.rotated:
        xs, ys, _ = _ink(rendered, item.item_id)
    for char, ok in zip(item.text, _chars_drew_ink(item, rendered, xs, ys)):
        if not ok and not char.isspace():
            failures.append(f"character {char!r} of {item.text!r} drew no ink")
    return failures


def _ink_extent(rendered: Rendered, item_id: int) -> tuple[int, int, int, int] | None:
    """(least x, least y, greatest x, greatest y) of an item's ink pixels in canvas
    coordinates, None without ink; once per shared line mask."""
    x0, y0, cov, _ = _ink_mask(rendered, item_id)
    shared = _shared(cov, INK_LEVEL)
    if shared is not None and "extent" in shared:
        local = shared["extent"]
    else:
        xs, ys, _ = _ink(rendered, item_id)
        local = (int(xs.min()) - x0, int(ys.min()) - y0, int(xs.max()) - x0, int(ys.max()) - y0) if xs.size else None
        if shared is not None:
            shared["extent"] = local
    if local is None:
        return None
    return local[0] + x0, local[1] + y0, local[2] + x0, local[3] + y0


def _extent_inside(extent: tuple[int, int, int, int], box: Box) -> bool:
    """Every pixel of an ink extent lies inside `box` (as `_inside` tells a pixel)."""
    xmin, ymin, xmax, ymax = extent
    x0, y0, x1, y1 = box
    return xmin >= math.floor(x0) and xmax < math.ceil(x1) and ymin >= math.floor(y0) and ymax < math.ceil(y1)


def _chars_drew_ink(item: TextItem, rendered: Rendered, xs: np.ndarray, ys: np.ndarray) -> list[bool]:
    """Per character: does its box hold ink? Upright text is read off the coverage in
    place; turned text through its own frame, so turned neighbours do not count."""
    if item.layout.rotated:  # `_in_chars(...).any(axis=0)`, laid out (characters, pixels): rows reduced in place
        boxes = np.asarray(item.layout.char_boxes_local, dtype=float).reshape(-1, 4)
        x, y = _local(item, xs, ys).T
        return ((x >= boxes[:, 0:1] - 0.5) & (x <= boxes[:, 2:3] + 0.5)
                & (y >= boxes[:, 1:2] - 0.5) & (y <= boxes[:, 3:4] + 0.5)).any(axis=1).tolist()
    boxes = item.layout.char_boxes
    if not boxes:
        return []
    x0, y0, cov, inked = _ink_mask(rendered, item.item_id)
    h, w = inked.shape
    if len(boxes) < FEW_CHARS:  # a short line: each box looked at in place
        spans = _spans(boxes, x0, y0, w, h)
        shared = _shared(cov, INK_LEVEL)
        if shared is None:
            return [bool(inked[r0:r1, c0:c1].any()) for r0, r1, c0, c1 in spans]
        # The same boxes over the same shared mask hold the same ink (a label drawn again).
        seen = shared.setdefault("chars", {})
        key = tuple(spans)
        if key not in seen:
            seen[key] = tuple(bool(inked[r0:r1, c0:c1].any()) for r0, r1, c0, c1 in spans)
        return list(seen[key])
    # Ink pixels counted over every character's box at once, from a summed-area table.
    table = np.zeros((h + 1, w + 1), np.int32)
    np.cumsum(np.cumsum(inked, axis=0), axis=1, out=table[1:, 1:])
    # Each box grown by half a pixel to whole pixels, in the coverage's frame, clamped to it.
    edges = np.asarray(boxes, dtype=float)
    lo = np.floor(edges[:, :2] - 0.5).astype(np.int64) - (x0, y0)
    hi = np.ceil(edges[:, 2:] + 0.5).astype(np.int64) - (x0, y0)
    lo = np.minimum(np.maximum(lo, 0), (w, h))
    hi = np.minimum(np.maximum(hi, lo), (w, h))  # an empty box holds none
    c0, r0, c1, r1 = lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1]
    inked_px = table[r1, c1] - table[r0, c1] - table[r1, c0] + table[r0, c0]
    return (inked_px > 0).tolist()


def _spans(boxes, x0: int, y0: int, width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(row start, row stop, column start, column stop) of each box's whole pixels, from
    floor(edge - 0.5) to ceil(edge + 0.5), in a frame at (x0, y0) of that size, clamped to
    it (empty when they do not overlap). One call per line: a screen checks hundreds of
    short labels."""
    floor, ceil = math.floor, math.ceil
    spans = []
    for bx0, by0, bx1, by1 in boxes:
        r0 = min(max(floor(by0 - 0.5) - y0, 0), height)
        c0 = min(max(floor(bx0 - 0.5) - x0, 0), width)
        spans.append((r0, min(max(ceil(by1 + 0.5) - y0, r0), height), c0, min(max(ceil(bx1 + 0.5) - x0, c0), width)))
    return spans


def text_unoccluded(item: TextItem, rendered: Rendered, min_visible: float = 0.995) -> list[str]:
    """Nothing drawn later covers the text."""
    fraction = rendered.visible_fraction(item.item_id)
    if fraction < min_visible:
        return [f"text {item.text!r} is {1 - fraction:.1%} covered"]
    return []


def chars_hidden(item: TextItem, rendered: Rendered, indices, max_visible: float = 0.02) -> list[str]:
    """The given characters are covered (for unanswerable items): almost none of their
    ink owns a pixel."""
    xs, ys, _ = _ink(rendered, item.item_id, level=128)
    owned = rendered.ids[np.clip(ys, 0, rendered.ids.shape[0] - 1), np.clip(xs, 0, rendered.ids.shape[1] - 1)]
    failures = []
    in_chars = _in_chars(item, _local(item, xs, ys))
    for i in indices:
        inside = in_chars[:, i]
        if not inside.any():
            continue
        shown = float(np.mean(owned[inside] == item.item_id))
        if shown > max_visible:
            failures.append(f"character {i} of {item.text!r} is only {1 - shown:.0%} covered")
    return failures


def _linear(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, dtype=float) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_LINEAR = _linear(np.arange(256))  # sRGB byte -> linear light
_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])


def _luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of sRGB colours (bytes through a table, means computed)."""
    rgb = np.asarray(rgb)
    lin = _LINEAR[rgb] if rgb.dtype == np.uint8 else _linear(rgb)
    return lin @ _WEIGHTS


COMMA_NUMBER = re.compile(r"\d+(?:,\d+)+")  # a number with a comma in it: 20,52 or 1,200


def comma_reads_as_stop(item: TextItem) -> bool:
    """Whether the line prints a number with a comma in it ("20,52", "1,200") in a font
    that draws the comma as a full stop at its size (most faces below 7 px): its pixels
    read as well with a full stop."""
    layout = item.layout
    return bool(COMMA_NUMBER.search(layout.text)) and not comma_reads_apart(layout.font, layout.text_px)


def text_contrast(item: TextItem, rendered: Rendered, floor: float = 1.15) -> list[str]:
    """Measured WCAG contrast between the text's ink and the ground around it: the ground
    is the mean of the pixels of what the text sits on (inside the text's box), the ink
    the mean of the half of the text's visible pixels that differ most from the ground
    (hollow letters are mostly ground-coloured inside)."""
    cx, cy, xs, ys = _strong_local(rendered, item.item_id)  # (from the coverage's origin: moved once below)
    h, w = rendered.ids.shape
    if xs.size and not rendered.within_canvas(item.item_id):  # else every ink pixel is in the image
        xs, ys = xs + cx, ys + cy
        cx = cy = 0
        keep = (xs >= 0) & (ys >= 0) & (xs < w) & (ys < h)
        xs, ys = xs[keep], ys[keep]
    if not xs.size:
        return [f"text {item.text!r} has no visible ink"]
    x0, y0, x1, y1 = (int(v) for v in item.bbox)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    pixels = _pixels(rendered)[y0:y1, x0:x1]
    region = rendered.ids[y0:y1, x0:x1]
    rows, cols = ys + (cy - y0), xs + (cx - x0)  # the strong ink in the box's frame
    owned = region[rows, cols] == item.item_id
    around = region == (item.on_item or 0)
    count = int(np.count_nonzero(around))
    if count == 0 or not owned.any():
        return [f"text {item.text!r} has no visible ink or no ground around it"]
    if not owned.all():  # (most texts own all their strong ink)
        rows, cols = rows[owned], cols[owned]
    # The ground's mean colour, as np.mean gives it: the sums are whole numbers, exact in any
    # order (one matrix product instead of gathering the ground's pixels and reducing them).
    ground = _luminance(around.ravel().astype(np.float64) @ pixels.astype(np.float64).reshape(-1, 3) / count)
    ink_lum = _luminance(pixels[rows, cols])
    half = ink_lum.size // 2
    distinct = np.partition(np.abs(ink_lum - ground), half)[half:]
    sign = 1.0 if ink_lum.mean() >= ground else -1.0
    ink = ground + sign * float(distinct.mean())
    ratio = (max(ink, ground) + 0.05) / (min(ink, ground) + 0.05)
    if ratio < floor:
        return [f"text {item.text!r} has contrast {ratio:.2f} below {floor}"]
    return []


def object_visible(item_id: int, rendered: Rendered, min_fraction: float, what: str = "object") -> list[str]:
    """At least `min_fraction` of the item's own pixels are on top in the id buffer (and
    inside the image), so a counted or referred-to object can really be seen."""
    fraction = rendered.visible_fraction(item_id)
    if fraction < min_fraction:
        return [f"{what} {item_id} is only {fraction:.0%} visible (needs {min_fraction:.0%})"]
    return []


# Objects: boxes, parts and colours, measured on the render ---------------------------

def owned_box(rendered: Rendered, item_id: int) -> tuple[int, int, int, int] | None:
    """[x0, y0, x1, y1] (x1, y1 exclusive) of the pixels an item owns in the id buffer,
    measured once per render (verify checks an answer's boxes, finalize records them)."""
    key = ("owned_box", item_id)
    if key not in rendered.memo:
        rendered.memo[key] = _owned_box(rendered, item_id)
    return rendered.memo[key]


def _owned_box(rendered: Rendered, item_id: int) -> tuple[int, int, int, int] | None:
    x0, y0, x1, y1 = rendered.id_region(item_id)
    mine = rendered.ids[y0:y1, x0:x1] == item_id
    # The first and last owned row and column (cheaper than every owned pixel's place).
    rows = np.flatnonzero(mine.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mine.any(axis=0))
    return (int(cols[0]) + x0, int(rows[0]) + y0, int(cols[-1]) + x0 + 1, int(rows[-1]) + y0 + 1)


def detail_visible(detail, rendered: Rendered) -> list[str]:
    """A near-duplicate's distinguishing detail shows: the item owns enough pixels, and the
    share of its owned box it fills is in the detail's range (filled vs outlined)."""
    box = owned_box(rendered, detail.item_id)
    owned = rendered.visible_px(detail.item_id)
    if box is None or owned < detail.min_px:
        return [f"{detail.what} shows {owned} pixels, fewer than {detail.min_px}"]
    fill = owned / ((box[2] - box[0]) * (box[3] - box[1]))
    if not detail.min_fill <= fill <= detail.max_fill:
        return [f"{detail.what} fills {fill:.2f} of its box, outside {detail.min_fill}..{detail.max_fill}"]
    if detail.min_chroma > 0 or detail.max_chroma < 255:
        x0, y0, x1, y1 = box
        mine = rendered.ids[y0:y1, x0:x1] == detail.item_id
        image = rendered.image
        pixels = _pixels(rendered) if image.mode == "RGB" else np.asarray(image.convert("RGB"))
        rgb = pixels[y0:y1, x0:x1][mine].astype(float).mean(axis=0)
        chroma = float(rgb.max() - rgb.min())
        if not detail.min_chroma <= chroma <= detail.max_chroma:
            return [f"{detail.what} has chroma {chroma:.0f}, outside {detail.min_chroma}..{detail.max_chroma}"]
    return []


def box_matches_pixels(item_id: int, box, rendered: Rendered, what: str = "object") -> list[str]:
    """The recorded box is exactly the box of the pixels the item owns, inside the image,
    and nothing covers the item (so the box is the whole object, not what is left of it)."""
    failures = []
    if not rendered.within_canvas(item_id):
        failures.append(f"{what} {item_id} is clipped by the image edge")
    if rendered.visible_px(item_id) != rendered.area_px[item_id]:
        failures.append(f"{what} {item_id} is partly covered")
    measured = owned_box(rendered, item_id)
    if measured is None or tuple(measured) != tuple(int(round(v)) for v in box):
        failures.append(f"{what} {item_id}: recorded box {list(box)} differs from its pixels' box {measured}")
    return failures


def _pixel(rendered: Rendered, point) -> tuple[int, int, int] | None:
    x, y = int(np.floor(point[0])), int(np.floor(point[1]))
    if not (0 <= x < rendered.image.width and 0 <= y < rendered.image.height):
        return None
    return rendered.image.getpixel((x, y))


def paint_at(rendered: Rendered, point, rgb, present: bool, what: str) -> list[str]:
    """The pixel at `point` shows the colour `rgb` (present) or another colour (not)."""
    shown = _pixel(rendered, point)
    if (shown == tuple(rgb)) != present:
        return [f"{what}: pixel at {tuple(round(v) for v in point)} is {shown}, expected "
                f"{'' if present else 'not '}{tuple(rgb)}"]
    return []


def paint_runs(rendered: Rendered, start, end, rgb, runs: int, what: str) -> list[str]:
    """Going from start to end pixel by pixel, the pixels of colour `rgb` form exactly
    `runs` separate runs (a line across five prongs meets five of them)."""
    length = int(np.ceil(np.hypot(end[0] - start[0], end[1] - start[1]))) + 1
    xs = np.floor(np.linspace(start[0], end[0], length)).astype(int)
    ys = np.floor(np.linspace(start[1], end[1], length)).astype(int)
    h, w = rendered.ids.shape
    if xs.min() < 0 or ys.min() < 0 or xs.max() >= w or ys.max() >= h:
        return [f"{what}: scan line leaves the image"]
    pixels = np.asarray(rendered.image.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)))
    hit = np.all(pixels[ys - ys.min(), xs - xs.min()] == np.asarray(rgb), axis=-1)
    found = int(hit[0]) + int(np.count_nonzero(hit[1:] & ~hit[:-1]))
    if found != runs:
        return [f"{what}: {found} seen where {runs} are drawn"]
    return []


def owned_pixels(rendered: Rendered, item_id: int) -> np.ndarray:
    """(n, 3) colours of the pixels the item owns."""
    x0, y0, x1, y1 = rendered.id_region(item_id)
    return _pixels(rendered)[y0:y1, x0:x1][rendered.ids[y0:y1, x0:x1] == item_id]
