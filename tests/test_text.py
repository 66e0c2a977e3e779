"""The glyph cache draws a line exactly as Pillow's ImageDraw.text does; shared line masks are
those pixels."""

import dataclasses
import math
import random

import numpy as np
from PIL import Image, ImageDraw

from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.model import Scene, TextItem
from gen_stress.scenes.render import render
from gen_stress.scenes.text import (
    _glyph,
    _glyph_table,
    compose_line,
    layout_line,
    layout_text,
    line_advance,
    line_box,
    measured_advance,
    moved,
)


def _cached_line_is_pillows(text: str, font, text_px: int):
    """Assert the cached compose of a line is Pillow's drawing of it, byte for byte."""
    layout = layout_text(text, font, text_px=text_px)
    x0, y0, x1, y1 = layout.ink_box_local
    size, origin = (x1 - x0 + 4, y1 - y0 + 4), (2 - x0, 2 - y0)
    expected = Image.new("L", size, 0)
    ImageDraw.Draw(expected).text(origin, text, fill=255, font=layout._pil, anchor="ls")
    assert np.array_equal(compose_line(layout._pil, text, layout._kerns, size, origin),
                          np.asarray(expected)), (font.name, text_px, text)
    return layout, size, origin


def test_cached_glyphs_draw_the_same_bytes_as_pillow():
    rng = random.Random(7)
    alphabet = "".join(chr(c) for c in range(32, 127)) + "€£†‡•·"
    checked = 0
    for font in load_catalog().fonts:  # every font: kerning tables, script overlaps, mono
        for text_px in (4, 7, 11, 18, 30):
            text = "".join(c for c in (rng.choice(alphabet) for _ in range(30)) if font.draws(c)) or "A"
            layout, size, origin = _cached_line_is_pillows(text, font, text_px)
            checked += 1
    assert checked == 5 * len(load_catalog().fonts)


def test_overlapping_glyphs_blend_as_pillow_does():
    """Script and italic letters reach into their neighbours' columns: where two glyphs'
    ink meets, the cached line blends them exactly as FreeType's driver does."""
    overlapped = 0
    for font in load_catalog().fonts:
        for text_px in (6, 13, 27):
            text = "".join(c for c in "fifty waffles: AVAWAY Tyjo gg ff // \\\\ ..." if font.draws(c))
            layout, size, origin = _cached_line_is_pillows(text, font, text_px)
            # Blended pixels: more ink than the glyphs' own maximum would leave alone.
            overlapped += _inked_twice(layout._pil, text, layout._kerns, size, origin)
    assert overlapped > 0  # the blend ran


def _inked_twice(font, text, kerns, size, origin) -> int:
    """Pixels two glyphs of the line both ink (each glyph drawn alone at its place)."""
    hits = np.zeros((size[1], size[0]), np.int32)
    pen = 0.0
    for i, char in enumerate(text):
        alone = Image.new("L", size, 0)
        ImageDraw.Draw(alone).text((origin[0] + pen, origin[1]), char, fill=255, font=font, anchor="ls")
        hits += np.asarray(alone) > 0
        pen = font.getlength(text[:i + 1])
    return int(np.count_nonzero(hits > 1))


def test_line_metrics_from_cached_glyphs_hold_pillows():
    rng = random.Random(11)
    for font in load_catalog().fonts[::3]:
        for text_px in (5, 9, 16):
            text = "".join(c for c in (rng.choice("AVWaTo.,-1$ fiyj") for _ in range(25)) if font.draws(c)) or "A"
            layout = layout_line(text, font, text_px=text_px)
            pil = layout._pil
            assert line_advance(text, font, text_px) == pil.getlength(text)
            x0, y0, x1, y1 = pil.getbbox(text, anchor="ls")
            bx0, by0, bx1, by1 = layout.ink_box_local
            assert (bx0, by0, by1) == (x0, y0, y1) and x1 <= bx1 <= x1 + 1


def test_a_laid_out_line_has_pillows_ink_box_from_cached_glyphs():
    """An unstroked line's ink box, worked out from its cached glyphs (no layout call), is
    Pillow's getbbox exactly: every font, sizes from tiny to large, kerned pairs, spaces
    at either end, accents and signs; a glyph table that cannot tell leaves it to Pillow."""
    rng = random.Random(23)
    alphabet = "AVWaTo.,-1$ fiyj%7€£éüß·()'&"
    for font in load_catalog().fonts:
        for text_px in (4, 6, 9, 13, 22, 41):
            for _ in range(3):
                text = "".join(c for c in (rng.choice(alphabet) for _ in range(rng.randint(1, 14))) if font.draws(c))
                text = text or "A"
                layout = layout_text(text, font, text_px=text_px)
                pil = font.pil(font.em_for_cap(text_px))
                assert layout.ink_box_local == pil.getbbox(text, anchor="ls"), (font.name, text_px, text)
                assert line_box(pil, text, layout._kerns) == layout.ink_box_local
    font = load_catalog().fonts[0]
    pil = font.pil(font.em_for_cap(9))
    table = _glyph_table(pil)
    glyph = _glyph(pil, "o")
    try:  # half-pixel advances: the second glyph may end a pixel past the pen, or not
        advance = glyph.advance // 64 * 64 + 32
        box = (*glyph.box[:2], (advance + 32) >> 6, glyph.box[3])
        table["o"] = dataclasses.replace(glyph, advance=advance, box=box)
        assert line_box(pil, "oo", None) is None
    finally:
        table["o"] = glyph


def test_measured_advance_is_the_line_advance_without_drawing_glyphs():
    """Fitting loops measure a line at sizes they then drop: from advances alone (no glyph
    rasterised), the same value as the drawn line's advance, kerning included."""
    rng = random.Random(5)
    fonts = load_catalog().fonts
    for font in fonts:
        for text_px in (4, 6, 13, 29):  # sizes measured before anything is drawn at them
            text = "".join(c for c in (rng.choice("AVWaTo.,-1$ fiyj% ") for _ in range(20)) if font.draws(c)) or "A"
            measured = measured_advance(text, font, text_px)
            assert measured == line_advance(text, font, text_px) == font.pil(font.em_for_cap(text_px)).getlength(text)
    assert measured_advance("", fonts[0], 9) == 0.0


def test_shared_line_masks_are_the_rasterized_pixels_and_their_ownership():
    """An upright line's shared mask (what the renderer pastes) is where `rasterize` puts
    its pixels, the same bytes, and owns the pixels it covers at least half of; drawn
    twice it is the same mask, unchanged by being pasted."""
    font = load_catalog().by_name("DejaVu Sans")
    for text, center in (("TOTAL 12.49", (120.3, 40.7)), ("Caesar salad", (200.0, 91.5)), ("TOTAL 12.49", (60.0, 150.2))):
        layout = layout_line(text, font, text_px=9)
        layout = moved(layout, center)
        origin, mask = layout.upright_line()
        expected_origin, outer, _inner = layout.rasterize()
        assert origin == expected_origin
        assert np.array_equal(np.asarray(mask.coverage), np.asarray(outer))
        assert mask.owned_px == np.count_nonzero(np.asarray(outer) >= 128)
        assert np.array_equal(np.asarray(mask.owned.convert("L")) > 0, np.asarray(outer) >= 128)
    first = layout_line("TOTAL 12.49", font, text_px=9)
    items = (TextItem(1, "a", moved(first, (100.0, 50.0)), rgb=(0, 0, 0), z=1),
             TextItem(2, "b", moved(first, (100.0, 120.0)), rgb=(200, 0, 0), z=1))
    rendered = render(Scene(300, 200, "white", (255, 255, 255), items))
    assert rendered.area_px[1] == rendered.area_px[2] == rendered.visible_px(1) == rendered.visible_px(2) > 0
    assert np.count_nonzero(rendered.ids) == 2 * rendered.area_px[1]
    assert np.asarray(items[0].layout.upright_line()[1].coverage).max() == 255  # untouched by the pastes


def _page_lines():
    """Lines of real pages (every context's first items), upright and turned."""
    from gen_stress.generators import get_family
    from gen_stress.pipeline import PartSpec, generate_index
    from gen_stress.questions import in_context
    from gen_stress.questions.in_context import served_subtasks

    seen = []
    real = in_context.verify

    def keep(draft, rendered):
        seen.extend(it for it in draft.scene.items if isinstance(it, TextItem))
        return real(draft, rendered)

    in_context.verify = keep
    try:
        for family, context in (("hallucination", "receipt"), ("ocr", "menu"), ("counting", "document"),
                                ("spatial", "screen")):
            fam = get_family(family)
            part = PartSpec(family=family, n=3, settings=(("context", context),),
                            subtasks=served_subtasks(fam, [context]))
            for index in range(3):
                generate_index(fam, part, (512, 512), index)
    finally:
        in_context.verify = real
    return seen


def test_line_masks_from_pillow_cores_are_pillows_images():
    """A line's shared mask is made from Pillow's cores (no Image per line): its coverage,
    owned pixels, their count and box are what Pillow's own Image calls give."""
    from gen_stress.scenes import text

    lines = [it for it in _page_lines() if it.layout.shaping is None and not it.layout.stroke_px]
    assert len(lines) > 100
    for item in lines[::3]:
        layout = item.layout
        x0, y0, x1, y1 = layout.ink_box_local
        size, origin = (x1 - x0 + 4, y1 - y0 + 4), (2 - x0, 2 - y0)
        mask = text._line_mask(layout._pil, layout.text, layout._kerns, size, origin)
        array = text.compose_line(layout._pil, layout.text, layout._kerns, size, origin)
        coverage = Image.frombuffer("L", size, array, "raw", "L", 0, 1)
        owned = coverage.convert("1", dither=Image.Dither.NONE)
        assert np.array_equal(np.asarray(mask.coverage), array) and mask.coverage.readonly
        assert mask.owned.tobytes() == owned.tobytes() and mask.owned.mode == "1"
        assert mask.owned_px == np.count_nonzero(array >= 128)
        assert mask.owned_box == (owned.getbbox() or (0, 0, 0, 0))


def test_turned_lines_through_pillows_core_transform_are_image_transform():
    """Turned lines (a skewed receipt, a stamp) are turned through Pillow's core transform
    call: the same pixels as Image.transform."""
    from gen_stress.scenes import text

    real = text._affine
    calls = []

    def both(mask, size, data):
        out = real(mask, size, data)
        expected = mask.transform(size, Image.Transform.AFFINE, data, Image.Resampling.BILINEAR)
        assert out.mode == expected.mode and out.size == expected.size
        assert out.tobytes() == expected.tobytes()
        calls.append(size)
        return out

    text._affine = both
    try:
        turned = [it for it in _page_lines() if it.layout.rotated]
        for item in turned:
            item.layout.rasterize()
    finally:
        text._affine = real
    assert len(turned) > 20 and len(calls) >= len(turned)


def test_char_boxes_from_drawn_glyphs_are_pillows_measures():
    """An unstroked line's character boxes come from the drawn glyphs: each glyph's
    advance and box are Pillow's getlength and getbbox of the character alone."""
    from gen_stress.scenes.text import _glyph, basic_pil

    alphabet = "".join(chr(c) for c in range(32, 127)) + "€£†‡•·œ"
    for font in load_catalog().fonts:
        for text_px in (4, 9, 16, 27, 48):
            pil = basic_pil(font, text_px)
            for char in alphabet:
                if font.draws(char):
                    glyph = _glyph(pil, char)
                    assert glyph.advance / 64 == pil.getlength(char), (font.name, text_px, char)
                    assert glyph.box == pil.getbbox(char, anchor="ls", stroke_width=0), (font.name, text_px, char)


def test_long_lines_drawn_from_words_are_drawn_glyph_by_glyph():
    """A long line is drawn from its words (each drawn once per font, size and pen
    fraction class): the same bytes as the glyph walk, with hair spaces, double and
    trailing spaces, kerning fonts, script faces whose letters reach into the next word,
    and taller glyphs that widen a font's band halfway through a line."""
    from gen_stress.scenes import text

    rng = random.Random(3)
    alphabet = "abcdefghijklmnopqrstuvwxyzAVWTfjy.,;:'\"()[]/" + "€£†ÅÉÎ"
    walked = fell_back = 0
    old_hot = text._HOT_LINES
    text._HOT_LINES = 0
    try:
        for font in load_catalog().fonts:
            text._FONT_WORDS.clear()
            for text_px in (4, 7, 13, 21):
                for _ in range(3):
                    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
                             for _ in range(rng.randint(3, 10))]
                    gaps = [rng.choice([" ", "  ", " \u200a", " \u200a\u200a\u200a", "\u200a "]) for _ in words]
                    line = "".join(c for c in "".join(w + g for w, g in zip(words, gaps)) if font.draws(c))
                    if len(line) < text._WORDS_FROM or " " not in line:
                        continue
                    layout = layout_line(line, font, text_px=text_px)
                    x0, y0, x1, y1 = layout.ink_box_local
                    size, origin = (x1 - x0 + 4, y1 - y0 + 4), (2 - x0, 2 - y0)
                    by_glyphs = text._glyph_compose(layout._pil, line, layout._kerns, size, origin)
                    by_words = text._word_compose(layout._pil, line, layout._kerns, size, origin)
                    fell_back += by_words is None
                    assert np.array_equal(text.compose_line(layout._pil, line, layout._kerns, size, origin),
                                          by_glyphs), (font.name, text_px, line)
                    if by_words is not None:
                        walked += 1
                        assert np.array_equal(by_words, by_glyphs), (font.name, text_px, line)
    finally:
        text._HOT_LINES = old_hot
    assert walked > 100 and fell_back > 0


def test_character_boxes_from_cached_glyphs_are_pillows():
    """An unstroked line's character boxes come from the glyph cache: each is Pillow's
    getbbox of the character, moved by getlength's advances and kerning before it."""
    from gen_stress.scenes import text

    rng = random.Random(13)
    for font in load_catalog().fonts:
        for text_px in (5, 9, 16):
            line = "".join(c for c in (rng.choice("AVWaTo.,-1$ fiyj\u200a") for _ in range(25)) if font.draws(c)) or "A"
            pil = text.basic_pil(font, text_px)
            expected, origin = [], 0.0
            for i, char in enumerate(line):
                x0, y0, x1, y1 = pil.getbbox(char, anchor="ls")
                expected.append((origin + x0, y0, origin + x1, y1))
                origin += pil.getlength(char)
                if i + 1 < len(line) and font.kerns(char, line[i + 1]):
                    origin += pil.getlength(char + line[i + 1]) - pil.getlength(char) - pil.getlength(line[i + 1])
            assert layout_line(line, font, text_px=text_px).char_boxes_local == tuple(expected), (font.name, line)


def test_a_shaped_lines_local_pixels_are_its_local_mask():
    """The shaping check reads a shaped line's raqm drawing as an array pasted from the
    glyph mask: the same pixels and origin as the Image `local_mask` draws, in every
    script, stroked, turned and vertical lines too."""
    from gen_stress.scenes import languages
    from gen_stress.scenes.shaping import Shaping

    catalog, rng = load_catalog(), np.random.default_rng(3)
    checked = 0
    for script in ("greek", "arabic", "devanagari", "thai", "hebrew", "japanese"):
        lang = languages.default_language(script)
        for direction in (lang.direction, "ttb") if script == "japanese" else (lang.direction,):
            shaping = Shaping(direction, languages.SCRIPT_TAGS[script], lang.code)
            fonts = catalog.of_script(script)
            for k in range(12):
                text, _ = languages.make_text(lang.code, ("word", "pseudoword", "code", "date")[k % 4], rng, 12)
                font = fonts[k % len(fonts)]
                if font.missing(text):
                    continue
                layout = layout_text(text, font, text_px=int(rng.integers(4, 49)), stroke_px=k % 3,
                                     angle_deg=float(30 * (k % 4 == 1)), shaping=shaping)
                (mask, origin), (pixels, at) = layout.local_mask(), layout.local_pixels()
                assert at == origin and np.array_equal(np.asarray(mask), pixels), (script, text)
                checked += 1
    assert checked > 40


def test_glyph_tables_stay_within_their_byte_bound_and_a_dropped_font_draws_the_same(monkeypatch):
    """The drawn glyphs of every (font, size) are kept by bytes: past the bound the least
    recently used font's table goes, and drawing in that font again rasterises the same
    glyphs (Pillow's pixels, byte for byte)."""
    from gen_stress.scenes import text as text_module
    from gen_stress.scenes.memo import BoundedLRU

    bound = 48 << 10
    monkeypatch.setattr(text_module, "_GLYPH_TABLES", BoundedLRU(bound))
    monkeypatch.setattr(text_module, "_LAST_TABLE", [None, None])
    fonts = load_catalog().fonts[:4]
    for font in fonts:
        for text_px in (9, 17, 30):
            _cached_line_is_pillows("Waffle 0123", font, text_px)
            tables = text_module._GLYPH_TABLES
            assert tables.nbytes <= bound or len(tables) == 1
            assert tables.nbytes == sum(nbytes for _, nbytes in tables.sizes())
    first = fonts[0].pil(fonts[0].em_for_cap(9))
    assert first not in text_module._GLYPH_TABLES  # dropped long ago
    _cached_line_is_pillows("Waffle 0123", fonts[0], 9)  # drawn again: the same pixels
    assert first in text_module._GLYPH_TABLES


def test_a_moved_layout_is_the_one_made_by_its_constructors():
    """`moved` makes its layout without the dataclasses' constructors and keeps what the
    layout worked out that its place does not change: the same fields as `TextLayout(...)`
    with `Placement(...)`, the same boxes and pixels, upright, turned, stroked or shaped."""
    from gen_stress.scenes.geometry import Placement
    from gen_stress.scenes.shaping import Shaping
    from gen_stress.scenes.text import TextLayout

    catalog = load_catalog()
    latin, arabic = catalog.by_name("DejaVu Sans"), next(f for f in catalog.script_fonts if not f.missing("سلام"))
    cases = [layout_text("Fizzo Cola 1,49", latin, text_px=9),
             layout_text("Turned 12", latin, text_px=11, angle_deg=17.0),
             layout_text("Hollow", latin, text_px=14, stroke_px=2),
             layout_text("سلام عليكم", arabic, text_px=12, shaping=Shaping("rtl", "Arab", "ar"))]
    for layout in cases:
        layout.char_boxes_local, layout.em_px, layout._pil  # worked out on the source: carried over
        layout.bbox, layout.quad  # placed: not carried over
        for center in ((100.3, 40.7), (12.0, 200.5)):
            pivot = layout.placement.pivot
            if not layout.placement.angle_deg % 360:
                expected_center = (math.floor(center[0] - pivot[0]) + pivot[0],
                                   math.floor(center[1] - pivot[1]) + pivot[1])
            else:
                expected_center = center
            expected = TextLayout(layout.text, layout.font, layout.text_px, layout.stroke_px, layout.ink_box_local,
                                  Placement(layout.placement.angle_deg, pivot, expected_center), layout.shaping)
            got = moved(layout, center)
            assert type(got) is TextLayout and type(got.placement) is Placement
            assert all(getattr(got, f.name) == getattr(expected, f.name) for f in dataclasses.fields(TextLayout))
            assert got.placement == expected.placement and hash(got.placement) == hash(expected.placement)
            assert got.bbox == expected.bbox and np.array_equal(got.quad, expected.quad)
            assert got.char_boxes == expected.char_boxes
            (origin, outer, inner), (e_origin, e_outer, e_inner) = got.rasterize(), expected.rasterize()
            assert origin == e_origin and outer.tobytes() == e_outer.tobytes()
            assert (inner is None) == (e_inner is None) and (inner is None or inner.tobytes() == e_inner.tobytes())
