"""Text geometry against pixels, and the render checks that guard every label."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from shapely.geometry import box as shapely_box

from gen_stress.scenes import checks
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.memo import BoundedLRU
from gen_stress.scenes.model import Scene, ShapeItem, TextItem
from gen_stress.scenes.render import render
from gen_stress.scenes.text import layout_text

CATALOG = load_catalog()
WHITE, BLACK, GREY = (250, 250, 250), (20, 20, 20), (128, 128, 128)


def scene_with(text_item: TextItem, *extra) -> Scene:
    board = ShapeItem(1, "target_sign", "white sign", "rectangular", WHITE,
                      shapely_box(*np.add(text_item.bbox, (-12, -12, 12, 12))), z=1)
    return Scene(400, 400, "light gray", (214, 214, 214), (board, text_item, *extra))


def text_item(text="Hamburg 8B30", font="DejaVu Sans", text_px=20, angle=0.0, center=(200.0, 200.0),
              rgb=BLACK, stroke_px=0) -> TextItem:
    layout = layout_text(text, CATALOG.by_name(font), text_px=text_px, angle_deg=angle, center=center,
                         stroke_px=stroke_px)
    return TextItem(2, "target", layout, rgb=rgb, z=2, on_item=1)


@pytest.mark.parametrize("angle", [0, 7, 33, 90, 145, 180, 271, 359])
@pytest.mark.parametrize("font", ["DejaVu Sans", "EB Garamond", "Dancing Script", "Cabin Sketch"])
def test_ink_stays_in_recorded_box_at_any_angle(angle, font):
    item = text_item(font=font, angle=float(angle), text_px=17)
    rendered = render(scene_with(item))
    assert checks.text_in_frame(item, rendered) == []
    assert checks.text_unoccluded(item, rendered) == []
    assert checks.text_contrast(item, rendered) == []
    # the recorded quad is the ink box turned counter-clockwise as seen
    quad = item.layout.quad
    if angle == 90:  # reading direction points up: the start of the text is at the bottom
        assert quad[0][1] > quad[1][1] and abs(quad[0][0] - quad[1][0]) < 1e-6


def test_upright_box_is_the_layout_box():
    """The recorded box is tight to the ink vertically and spans the pen's travel
    horizontally (the side bearings of the end letters, at most a sixth of the em)."""
    item = text_item(text="HIH", text_px=30)
    rendered = render(scene_with(item))
    x0, y0, cov = rendered.coverage(item.item_id)
    ys, xs = np.nonzero(cov >= 8)
    ink = (xs.min() + x0, ys.min() + y0, xs.max() + x0 + 1, ys.max() + y0 + 1)
    box = item.bbox
    assert abs(ink[1] - box[1]) <= 1 and abs(ink[3] - box[3]) <= 1
    bearing = item.layout.em_px / 6
    assert box[0] <= ink[0] <= box[0] + bearing and box[2] - bearing <= ink[2] <= box[2]


def test_char_boxes_hold_their_characters():
    item = text_item(text="WAVE-0O8", text_px=28, angle=30.0)
    rendered = render(scene_with(item))
    x0, y0, cov = rendered.coverage(item.item_id)
    ys, xs = np.nonzero(cov >= 8)
    local = item.layout.placement.to_local(np.stack([xs + x0 + 0.5, ys + y0 + 0.5], axis=1))
    boxes = np.array(item.layout.char_boxes_local)
    owner = ((local[:, :1] >= boxes[:, 0] - 1) & (local[:, :1] <= boxes[:, 2] + 1)
             & (local[:, 1:] >= boxes[:, 1] - 1) & (local[:, 1:] <= boxes[:, 3] + 1))
    assert owner.any(axis=1).mean() > 0.99, "ink outside every character box"
    assert owner.any(axis=0).all(), "a character box without ink"
    # canvas char boxes are the turned local boxes
    assert len(item.layout.char_boxes) == len(item.text)


def test_clipped_text_fails():
    item = text_item(center=(20.0, 200.0))
    assert any("clipped by the image edge" in f for f in checks.text_in_frame(item, render(scene_with(item))))


def test_covered_text_fails_and_hidden_chars_pass():
    item = text_item(text="ABCDEFGH", text_px=30)
    b = item.layout.char_boxes[2]
    patch = ShapeItem(3, "occluder", "patch", "patch", (200, 30, 30),
                      shapely_box(b[0] - 2, item.bbox[1] - 3, b[2] + 2, item.bbox[3] + 3), z=3)
    rendered = render(scene_with(item, patch))
    assert checks.text_unoccluded(item, rendered) != []
    assert checks.chars_hidden(item, rendered, [2]) == []
    assert checks.chars_hidden(item, rendered, [4]) != []


def test_invisible_text_fails_contrast():
    item = text_item(rgb=(248, 248, 248))  # on a (250, 250, 250) sign
    failures = checks.text_contrast(item, render(scene_with(item)))
    assert failures and "below" in failures[0]
    grey = text_item(rgb=GREY)
    assert checks.text_contrast(grey, render(scene_with(grey))) == []


def test_hollow_letters_measure_their_outline():
    item = dataclasses.replace(text_item(stroke_px=2, text_px=36), rgb=WHITE, stroke_rgb=BLACK)
    assert checks.text_contrast(item, render(scene_with(item))) == []


def test_visible_fraction_comes_from_the_id_buffer():
    item = text_item()
    cover = ShapeItem(3, "occluder", "patch", "patch", GREY, shapely_box(10, 10, 200, 390), z=3)
    rendered = render(scene_with(item, cover))
    left = rendered.visible_fraction(item.item_id)
    assert 0.3 < left < 0.7
    assert rendered.visible_fraction(3) == 1.0
    assert rendered.area_px[3] == np.count_nonzero(rendered.ids == 3) == 191 * 381  # edges included


def test_counts_are_the_id_buffers_histogram():
    """The pixel counts per id, worked out in the items' boxes, are the histogram of the
    whole id buffer: turned, hollow and clipped text, covering patches, shapes off the edge."""
    items = [text_item(angle=33.0, center=(150.0, 120.0)),
             dataclasses.replace(text_item(stroke_px=2, text_px=30, center=(200.0, 300.0)), item_id=4, on_item=None),
             ShapeItem(3, "occluder", "patch", "patch", GREY, shapely_box(120, 100, 180, 160), z=3),
             ShapeItem(5, "target", "grey square", "square", GREY, shapely_box(-30, 350, 40, 420), z=0),
             ShapeItem(6, "target", "grey square", "square", GREY, shapely_box(300.5, 20.2, 340.7, 60.9), z=4)]
    board = ShapeItem(1, "target_sign", "white sign", "rectangular", WHITE, shapely_box(80, 60, 230, 190), z=1)
    rendered = render(Scene(400, 400, "light gray", (214, 214, 214), (board, *items)))
    assert np.array_equal(rendered.counts, np.bincount(rendered.ids.ravel(), minlength=256))
    assert rendered.counts[3] > 0 and 0 < rendered.visible_fraction(2) < 1


def test_area_counts_pixels_outside_the_image():
    """An object cut by the image edge is only partly visible."""
    half_out = ShapeItem(1, "target", "grey square", "square", GREY, shapely_box(-50, 100, 50, 200), z=0)
    inside = ShapeItem(2, "target", "grey square", "square", GREY, shapely_box(100, 100, 200, 200), z=0)
    rendered = render(Scene(400, 400, "light gray", (214, 214, 214), (half_out, inside)))
    assert rendered.area_px[1] == rendered.area_px[2] == 101 * 101
    assert rendered.visible_fraction(1) == pytest.approx(51 / 101)
    assert rendered.visible_fraction(2) == 1.0
    x0, y0, cov = rendered.coverage(2)  # pixels on demand for shapes painted straight on
    assert (x0, y0) == (100, 100) and int((cov == 255).sum()) == 101 * 101


@pytest.mark.parametrize("font", CATALOG.fonts, ids=lambda f: f.name)
def test_char_boxes_follow_pillows_pen(font):
    """Per-character boxes sit where Pillow's layout puts each character (kerning pairs of
    the font's 'kern' table included), measured by laying out each prefix."""
    for text in ("AVATAR Toy", "WAVE-0O8B3", "To. Yo, Tw", "LT AV Ty Wa"):
        for text_px in (5, 13, 31):
            layout = layout_text(text, font, text_px=text_px)
            pil = layout._pil
            for i, box in enumerate(layout.char_boxes_local):
                pen = pil.getlength(text[:i + 1]) - pil.getlength(text[i])
                assert box[0] == pytest.approx(pen + pil.getbbox(text[i], anchor="ls")[0])


@pytest.mark.parametrize("angle", [0.0, 30.0])
def test_a_character_without_ink_is_caught(angle):
    """Were a glyph to draw nothing (a tofu-free empty glyph slipping past the coverage
    check), the pixel check names it: here a zero-width space forced past layout_text."""
    from gen_stress.scenes.geometry import Placement
    from gen_stress.scenes.text import TextLayout

    font = CATALOG.by_name("DejaVu Sans")
    good = layout_text("ABxCD", font, text_px=20, angle_deg=angle, center=(200.0, 200.0))
    layout = TextLayout("AB\u200bCD", font, 20, 0, good.ink_box_local,
                        Placement(angle, good.placement.pivot, good.placement.center))
    item = TextItem(2, "target", layout, rgb=BLACK, z=2, on_item=1)
    failures = checks.text_in_frame(item, render(scene_with(item)))
    assert failures == ["character '\\u200b' of 'AB\\u200bCD' drew no ink"]


def test_core_paste_and_one_call_polygons_match_pillow_and_shapely():
    """The renderer pastes through Pillow's core call and builds plain outlines in one
    shapely call: the same pixels and the same polygons as Image.paste and Polygon."""
    from PIL import Image
    from shapely.geometry import Polygon

    from gen_stress.scenes.geometry import polygon
    from gen_stress.scenes.render import paste

    rng = np.random.default_rng(3)
    for k in range(40):
        w, h = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        mask = Image.fromarray(rng.integers(0, 256, (h, w), dtype=np.uint8))
        owned = mask.convert("1", dither=Image.Dither.NONE)
        left, top = int(rng.integers(-30, 90)), int(rng.integers(-30, 90))  # partly off the canvas too
        box = (left, top, left + w, top + h)
        colours = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
        for paint in ((int(rng.integers(256)), 40, 200), colours):
            ours, pillows = Image.new("RGB", (100, 100), (9, 9, 9)), Image.new("RGB", (100, 100), (9, 9, 9))
            paste(ours, paint, box, mask)
            pillows.paste(paint, box, mask)
            assert ours.tobytes() == pillows.tobytes()
        ours, pillows = Image.new("L", (100, 100), 0), Image.new("L", (100, 100), 0)
        paste(ours, k + 1, box, owned)
        pillows.paste(k + 1, box, owned)
        assert ours.tobytes() == pillows.tobytes() and ours.getbbox() == pillows.getbbox()
        points = [tuple(p) for p in rng.uniform(-5, 500, (int(rng.integers(3, 25)), 2))]
        assert polygon(points).wkb == Polygon(points).wkb


def test_what_checks_remember_of_shared_line_masks_stays_within_its_byte_bound(monkeypatch):
    """Shared line masks' derivations are remembered by bytes, not entries: large lines
    never grow a worker past the bound, and the newest entry stays."""
    monkeypatch.setattr(checks, "_SHARED", BoundedLRU(1 << 20))
    masks = []
    for k in range(40):
        cov = np.full((100, 1000), 200, np.uint8)  # 100 KB, plus its inked copy
        cov.flags.writeable = False
        masks.append(cov)
        entry = checks._shared(cov, checks.INK_LEVEL)
        assert entry["inked"].all()
        assert checks._SHARED.nbytes <= 1 << 20
        if k % 2:  # derivations kept with the mask count in its bytes, read only
            checks._keep(entry, "strong", (np.zeros(1000, np.int64),))
            newest, nbytes = checks._SHARED.sizes()[-1]
            assert newest is entry and nbytes == 2 * cov.nbytes + 8000
            assert not entry["strong"][0].flags.writeable
    assert checks._SHARED.get((id(masks[-1]), checks.INK_LEVEL))["array"] is masks[-1]
    assert checks._SHARED.nbytes == sum(nbytes for _, nbytes in checks._SHARED.sizes())
    assert checks._shared(np.zeros((3, 3), np.uint8), checks.INK_LEVEL) is None  # an item's own, writable
