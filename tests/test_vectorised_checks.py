"""Whole-scene and shortcut computations of the scene record and the pixel checks equal
the per-element ones they replace, on real rendered pages of every context."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from gen_stress.generators import get_family
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.questions import in_context
from gen_stress.questions.in_context import served_subtasks
from gen_stress.scenes import checks, model
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.geometry import Placement
from gen_stress.scenes.model import TextItem
from gen_stress.scenes.text import TextLayout

SIZE = (512, 512)
PAGES = [("grounding", "shelf"), ("spatial", "screen"), ("counting", "document"), ("ocr", "menu"),
         ("hallucination", "receipt")]


@pytest.fixture(scope="module")
def pages() -> list:
    """(draft, render) of every scene the pipeline verified on a few pages of each context
    (resampled ones too), ocr's turned lines among them."""
    seen = []
    real = in_context.verify

    def keep(draft, rendered):
        seen.append((draft, rendered))
        return real(draft, rendered)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(in_context, "verify", keep)
        for family, context in PAGES:
            fam = get_family(family)
            part = PartSpec(family=family, n=4, settings=(("context", context),),
                            subtasks=served_subtasks(fam, [context]))
            for index in range(4):
                generate_index(fam, part, SIZE, index)
    return seen


def _texts(pages) -> list:
    return [(item, rendered) for draft, rendered in pages for item in draft.scene.items if isinstance(item, TextItem)]


def test_text_geometry_is_each_layouts_quad_and_box(pages):
    layouts = [item.layout for item, _ in _texts(pages)]
    assert any(lay.rotated for lay in layouts) and any(not lay.rotated for lay in layouts)
    quads, boxes = model.text_geometry(layouts)
    assert repr(quads) == repr([np.round(lay.quad, 2).tolist() for lay in layouts])
    assert repr(boxes) == repr([list(lay.bbox) for lay in layouts])


def test_turned_lines_at_once_are_each_layouts_quad_and_box():
    """Lines turned by any angle (a whole turn, -0.0 and boxes just off the canvas's
    left and top among them), worked out together, have each layout's own quad and box."""
    rng = random.Random(11)
    font = load_catalog().by_name("DejaVu Sans")
    layouts = []
    for k in range(3000):
        angle = rng.choice([rng.uniform(-180, 180), rng.randint(-40, 40), 360, -360, 90, -0.0, 0.0, 1e-9])
        ink = (rng.randint(-5, 3), rng.randint(-30, -1), rng.randint(4, 400), rng.randint(0, 12))
        pivot = (rng.uniform(-3, 200), rng.choice([0, rng.uniform(-20, 5)]))
        center = (rng.uniform(-250, 700), rng.uniform(-250, 700)) if k % 2 else (rng.randint(-30, 3), rng.randint(-30, 3))
        layouts.append(TextLayout("x", font, 12, 0, ink, Placement(angle, pivot, center)))
    quads, boxes = model.text_geometry(layouts)
    assert sum(lay.placement.angle_deg != 0 for lay in layouts) > 2000
    assert repr(quads) == repr([np.round(lay.quad, 2).tolist() for lay in layouts])
    assert repr(boxes) == repr([list(lay.bbox) for lay in layouts])


def test_outlines_rounded_at_once_as_each_alone(pages):
    """Outlines, boxes, angles, sizes and visible fractions rounded for a whole scene at
    once are each one's own rounding."""
    for draft, rendered in pages:
        record = model.scene_record(draft.scene, rendered)
        objects = [it for it in draft.scene.items if not isinstance(it, TextItem)]
        assert len(objects) == len(record["objects"])
        for item, rec in zip(objects, record["objects"]):
            _, raw = model.item_record(item, {})  # the values as the item type gives them
            alone = np.round(np.asarray(raw["polygon"], dtype=float).reshape(-1, 2), 2).tolist()
            assert repr(rec["polygon"]) == repr(alone)
            assert repr(rec["bbox"]) == repr([model._round(v) for v in raw["bbox"]])
            assert repr((rec["angle_deg"], rec["size_px"])) == repr((model._round(raw["angle_deg"]),
                                                                     model._round(raw["size_px"])))
            assert repr(rec["visible_fraction"]) == repr(model._round(rendered.visible_fraction(item.item_id), 4))


def test_rounding_at_once_is_pythons_round():
    """Halves in decimal (1.005, 2.675: just below or above in binary), exact halves
    (0.125), values whose scaled product rounds onto a half, large and odd values."""
    rng = random.Random(5)
    values = [0.0, -0.0, 1.0, 0.125, -0.125, 0.005, 1.005, 2.675, 0.285, 1.0005, 0.00005, 12.34545,
              1e16, -2.0 ** 60, 1e4, 9999.995, 0.1 + 0.2, float("nan"), float("inf"), np.float32(0.3), np.int64(4), 7]
    values += [rng.uniform(-600, 600) for _ in range(20000)] + [rng.randint(-60000, 60000) / 1000 for _ in range(20000)]
    values += [(rng.randint(-99999, 99999) + 0.5) / 100 for _ in range(20000)]  # decimal halves at 2 digits
    values += [(rng.randint(-99999, 99999) + 0.5) / 10000 for _ in range(20000)]  # ... and at 4
    values += [np.nextafter(v, w) for v in values[-2000:] for w in (-np.inf, np.inf)]
    for ndigits in (2, 4):
        assert repr(model._round_many(values, ndigits)) == repr([round(float(v), ndigits) for v in values])
    assert len(values) > 1000 * model.ROUND_AT_ONCE  # the numpy path; a short list goes value by value
    assert repr(model._round_many(values[:5], 2)) == repr([round(float(v), 2) for v in values[:5]])
    assert model._round_many([], 2) == []


def test_rounding_shortcut_is_pythons_round():
    rng = random.Random(7)
    values = [0.0, -0.0, 1.0, -3.0, 0.125, 0.005, 2.675, 1.0005, 1e16, 2.0 ** 60, 0.1 + 0.2, 511.0, 7]
    values += [rng.uniform(-600, 600) for _ in range(2000)] + [rng.randint(-600, 600) / 8 for _ in range(500)]
    values += [np.float64(12.5), np.float32(0.3), np.int64(4)]
    for value in values:
        for ndigits in (2, 3, 4):
            assert repr(model._round(value, ndigits)) == repr(round(float(value), ndigits))


def test_owned_box_is_the_box_of_every_owned_pixel(pages):
    for _, rendered in pages:
        for item_id in rendered.area_px:
            x0, y0, x1, y1 = rendered.rasters[item_id].box
            h, w = rendered.ids.shape
            x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
            ys, xs = np.nonzero(rendered.ids[y0:y1, x0:x1] == item_id)
            expected = None if xs.size == 0 else \
                (int(xs.min()) + x0, int(ys.min()) + y0, int(xs.max()) + x0 + 1, int(ys.max()) + y0 + 1)
            assert checks.owned_box(rendered, item_id) == expected


def test_short_lines_find_the_same_ink_as_the_table(pages, monkeypatch):
    upright = [(item, rendered) for item, rendered in _texts(pages) if not item.layout.rotated]
    assert any(len(item.text) < checks.FEW_CHARS for item, _ in upright)
    one_by_one = [checks._chars_drew_ink(item, rendered, None, None) for item, rendered in upright]
    monkeypatch.setattr(checks, "FEW_CHARS", 0)  # every line through the summed-area table
    assert one_by_one == [checks._chars_drew_ink(item, rendered, None, None) for item, rendered in upright]


def test_short_line_boxes_past_the_coverage_hold_no_ink():
    """Boxes reaching past the coverage, or wholly outside it, are clamped (a box
    wholly above or left of it is empty, never a slice counted from the far end)."""
    inked = np.ones((5, 8), bool)
    spans = checks._spans([(1.0, -20.0, 3.0, -10.0), (20.0, 20.0, 30.0, 30.0), (-2.0, -2.0, 2.2, 2.2),
                           (3.0, 3.0, 4.0, 4.0)], 0, 2, 8, 5)
    assert spans[0][:2] == (0, 0)  # wholly above: empty rows
    assert spans[1] == (5, 5, 8, 8)  # wholly right of and below: empty at the far edges
    assert spans[2] == (0, 1, 0, 3)  # reaching past the top-left corner: clamped
    assert spans[3] == (math.floor(2.5) - 2, math.ceil(4.5) - 2, math.floor(2.5), math.ceil(4.5))
    r0, r1, c0, c1 = spans[0]
    assert not inked[r0:r1, c0:c1].any()


def test_ink_within_box_from_extremes(pages):
    for item, rendered in _texts(pages):
        xs, ys, _ = checks._ink(rendered, item.item_id)
        if xs.size:
            extent = (xs.min(), ys.min(), xs.max(), ys.max())
            assert checks._extent_inside(extent, item.bbox) == bool(checks._inside(xs, ys, item.bbox).all())
            shifted = tuple(v + 1.5 for v in item.bbox)  # ink left of and above the box
            assert checks._extent_inside(extent, shifted) == bool(checks._inside(xs, ys, shifted).all())


def test_remembered_ink_extent_and_strong_ink_are_the_ink_pixels(pages):
    """What text checks remember per shared line mask (the ink's extent, the strong ink
    the contrast check measures) is what the render's own ink pixels give, every time."""
    for _ in range(2):  # the second pass reads what the first remembered
        for item, rendered in _texts(pages):
            rendered.memo.clear()
            xs, ys, values = checks._ink(rendered, item.item_id)
            extent = checks._ink_extent(rendered, item.item_id)
            x0, y0, strong_xs, strong_ys = checks._strong_local(rendered, item.item_id)
            strong_xs, strong_ys = strong_xs + x0, strong_ys + y0
            if not xs.size:
                assert extent is None and strong_xs.size == 0
                continue
            assert extent == (xs.min(), ys.min(), xs.max(), ys.max())
            keep = values >= 0.6 * values.max()
            assert np.array_equal(strong_xs, xs[keep]) and np.array_equal(strong_ys, ys[keep])


def test_a_lines_coverage_and_box_without_its_raster_are_the_rasters(pages):
    """A check reads an upright line's coverage and box from its shared mask, without its
    Raster: the place, pixels and box `rasterize` gives it (turned lines and shapes
    through their Rasters)."""
    from gen_stress.scenes.render import _upright_line, rasterize

    upright = 0
    for draft, rendered in pages:
        for item in draft.scene.items:
            raster = rasterize(item) if isinstance(item, TextItem) and _upright_line(item) \
                else rendered.rasters[item.item_id]
            x0, y0, coverage = rendered.coverage(item.item_id)
            assert (x0, y0) == (raster.x0, raster.y0)
            assert np.array_equal(coverage, np.asarray(raster.coverage))
            assert rendered.rasters.box(item.item_id) == raster.box
            upright += isinstance(item, TextItem) and _upright_line(item)
    assert upright > 100


def test_render_pixels_read_in_place_are_the_image(pages):
    for _, rendered in pages:
        rendered.memo.clear()
        pixels = checks._pixels(rendered)
        assert pixels.dtype == np.uint8 and np.array_equal(pixels, np.asarray(rendered.image))
        assert checks._pixels(rendered) is pixels  # once per render


def test_text_records_made_in_one_call_are_the_per_item_records(pages):
    """scene_record makes each line's record in one call (its font fields remembered per
    font and size): the same record, key for key and in the same order, as the per-item
    record it replaces."""
    checked = 0
    for draft, rendered in pages:
        texts = [it for it in draft.scene.items if type(it) is TextItem]
        made = model.scene_record(draft.scene, rendered)["texts"]
        assert len(made) == len(texts)
        for item, record in zip(texts, made):
            measured = {"area_px": rendered.area_px[item.item_id], "visible_px": rendered.visible_px(item.item_id),
                        "visible_fraction": model._round(rendered.visible_fraction(item.item_id), 4)}
            key, expected = model.item_record(item, measured)
            assert key == "texts"
            assert list(record.items()) == list(expected.items())
            checked += 1
    assert checked > 100
    assert model._font_record.cache_info().maxsize is not None  # bounded


def test_short_line_spans_inlined_are_spans(pages):
    """The short-line path's verdicts are each box's own pixels looked at one by one
    (whole pixels from floor(edge - 0.5) to ceil(edge + 0.5), clamped)."""

    def span(lo: float, hi: float, origin: int, size: int) -> slice:
        start = min(max(math.floor(lo - 0.5) - origin, 0), size)
        return slice(start, min(max(math.ceil(hi + 0.5) - origin, start), size))

    checked = 0
    for item, rendered in _texts(pages):
        if item.layout.rotated or not item.layout.char_boxes:
            continue
        x0, y0, _cov, inked = checks._ink_mask(rendered, item.item_id)
        h, w = inked.shape
        expected = [bool(inked[span(by0, by1, y0, h), span(bx0, bx1, x0, w)].any())
                    for bx0, by0, bx1, by1 in item.layout.char_boxes]
        if len(expected) < checks.FEW_CHARS:
            assert checks._chars_drew_ink(item, rendered, None, None) == expected
            checked += 1
    assert checked
