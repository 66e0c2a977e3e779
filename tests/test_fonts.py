"""Fonts: the catalog, real glyph coverage (no tofu), and cap-height sizing."""

from __future__ import annotations

import numpy as np
import pytest
from fontTools.pens.boundsPen import BoundsPen
from PIL import Image, ImageDraw

from gen_stress.errors import GlyphCoverageError
from gen_stress.scenes.fonts import FONT_CLASSES, font_dir, load_catalog
from gen_stress.scenes.text import layout_text

CATALOG = load_catalog()


def test_catalog_has_twelve_fonts_in_every_class_with_licences():
    assert len(CATALOG.fonts) >= 12
    for font_class in FONT_CLASSES:
        assert len(CATALOG.of_class(font_class)) >= 2, font_class
    for font in CATALOG.fonts:
        assert font.path.is_file() and font.path.parent == font_dir()
        assert font.license_file.is_file() and font.license_file.stat().st_size > 200
        assert font.license and font.copyright and font.source.startswith("Debian")


@pytest.mark.parametrize("font", CATALOG.fonts, ids=lambda f: f.name)
def test_every_font_draws_the_basic_alphabet(font):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,-:/#$%&'()"
    assert font.missing(alphabet) == []


def test_coverage_comes_from_the_font_not_a_list():
    breip = CATALOG.by_name("Breip")
    assert not breip.draws("€")  # not in its cmap
    assert CATALOG.by_name("DejaVu Sans").draws("€")
    assert not CATALOG.by_name("DejaVu Sans").draws("字")  # no CJK in a Latin font
    assert breip not in CATALOG.drawing("12,50 €")
    assert CATALOG.by_name("DejaVu Sans") in CATALOG.drawing("12,50 €")


def test_mapped_but_empty_glyph_is_not_drawable():
    """A character the cmap maps to an outline-less glyph would render as nothing."""
    found = next(((font, chr(code)) for font in CATALOG.fonts for code in list(font._tt.getBestCmap())[:4000]
                  if not (chr(code).isspace() or code < 32) and font._bounds(chr(code)) is None), None)
    assert found, "some shipped font maps a non-space character to an empty glyph"
    font, char = found  # the first such glyph of the first such font
    assert not font.draws(char)
    with pytest.raises(GlyphCoverageError):
        layout_text(f"a{char}b", font, text_px=20)


# CFF operators that draw a line or a curve, and those that may do so elsewhere (in a
# subroutine, or as an accented composite: endchar with arguments).
CFF_DRAWING = {"rlineto", "hlineto", "vlineto", "rrcurveto", "hhcurveto", "vvcurveto", "hvcurveto", "vhcurveto",
               "rcurveline", "rlinecurve", "flex", "hflex", "hflex1", "flex1"}
CFF_INDIRECT = {"callsubr", "callgsubr", "endchar", "seac"}


def charstring_draws(font, name: str) -> bool:
    """Whether a CFF glyph draws, read off its decompiled charstring: a drawing operator,
    else traced when it calls a subroutine or builds an accent."""
    charstring = font._tt["CFF "].cff.topDictIndex[0].CharStrings[name]
    charstring.decompile()
    operators = {op for op in charstring.program if isinstance(op, str)}
    if operators & CFF_DRAWING:
        return True
    if not operators & CFF_INDIRECT:
        return False
    pen = BoundsPen(font._glyphs)
    font._glyphs[name].draw(pen)
    return pen.bounds is not None


@pytest.mark.parametrize("font", [f for f in CATALOG.all() if "CFF " in f._tt or "glyf" in f._tt],
                         ids=lambda f: f.name)
def test_outline_verdicts_are_the_glyph_data(font):
    """Every glyph the cmap reaches: the quick verdict (a TrueType header's contour
    count; FreeType's CFF outline) is what the glyph's decompiled data says."""
    for name in sorted(set(font._tt.getBestCmap().values())):
        quick = font._has_outline(name)  # first: the TrueType glyph still undecompiled
        if "glyf" in font._tt:
            expected = font._tt["glyf"][name].numberOfContours != 0
        else:
            expected = charstring_draws(font, name)
        assert quick == expected, name


def test_asking_for_text_a_font_cannot_draw_is_an_error():
    with pytest.raises(GlyphCoverageError, match="does not draw '€'"):
        layout_text("9,99 €", CATALOG.by_name("Breip"), text_px=20)


@pytest.mark.parametrize("font", CATALOG.fonts, ids=lambda f: f.name)
def test_text_px_is_the_rendered_cap_height(font):
    """An "H" set at text_px is text_px tall above the baseline, on the pixels (hinting and
    hand-drawn wobble allowed: one pixel, or 5%)."""
    baseline = 150
    for text_px in (4, 6, 11, 24, 48):
        pil = font.pil(font.em_for_cap(text_px))
        mask = Image.new("L", (200, 200), 0)
        ImageDraw.Draw(mask).text((20, baseline), "H", fill=255, font=pil, anchor="ls")
        rows = np.nonzero(np.asarray(mask)[:baseline].max(axis=1) >= 32)[0]
        height = baseline - rows.min()
        assert abs(height - text_px) <= max(1, 0.05 * text_px), (text_px, height)


@pytest.mark.parametrize("font", CATALOG.fonts + CATALOG.script_fonts + (CATALOG.icons,), ids=lambda f: f.name)
def test_freetype_facts_are_fonttools(font):
    """What FreeType says of a font (its cmap, which glyphs draw, the cap height of a
    simple TrueType glyph, the kerned pairs by id) is what fontTools' decompiled tables
    say: the best cmap, the glyph data, BoundsPen's bounds, the 'kern' table's pairs."""
    import random

    cmap = font._tt.getBestCmap()
    unmapped = [c for c in random.Random(0).sample(range(32, 0x30000), 2000) if c not in cmap]
    for code in list(cmap) + unmapped:
        char, name = chr(code), cmap.get(code)
        assert font._gid(char) == (font._tt.getGlyphID(name) if name else 0), hex(code)
        assert font.draws(char) == (name is not None and (char.isspace() or font._has_outline(name))), hex(code)
    if font.fixed_cap_ratio is None:
        pen = BoundsPen(font._tt.getGlyphSet())
        font._tt.getGlyphSet()[cmap[ord(font.size_char)]].draw(pen)
        expected = (pen.bounds[3] - max(pen.bounds[1], 0)) / font._tt["head"].unitsPerEm
        assert font.cap_ratio == expected
        assert font._cap_ratio_from_points() in (None, expected)
        assert font.measured_cap_ratio in (None, expected)
        # Pinned exactly where FreeType cannot tell it (no fontTools pass at a run's start).
        assert (font.measured_cap_ratio is None) == (font._cap_ratio_from_points() is not None)
    assert font.has_kern_table == ("kern" in font._tt)
    order = font._tt.getGlyphOrder()
    kern_pairs = ({pair for table in font._tt["kern"].kernTables for pair in getattr(table, "kernTable", {})}
                  if font.has_kern_table else set())
    assert {(order[a], order[b]) for a, b in font._kern_ids} == kern_pairs


def test_font_faces_close_past_the_bound_and_reopen_drawing_the_same(monkeypatch):
    """A worker meets thousands of (font, size) pairs: at most OPEN_FACES FreeType faces
    stay open, and a closed one opens again, unasked, drawing the same pixels (the
    caches keyed on the font object keep working)."""
    from gen_stress.scenes import fonts

    monkeypatch.setattr(fonts, "OPEN_FACES", 3)
    catalog = load_catalog()
    pils = [font.pil(17.0 + k / 8) for font in catalog.fonts[:3] for k in range(2)]
    drawn = [(pil.getmask2("Qg7", "L")[0], pil.getlength("Qg7")) for pil in pils]
    masks = [(bytes(mask), mask.size, length) for mask, length in drawn]
    assert sum(pil._face is not None for pil in pils) == 3  # the three used last
    assert pils[0]._face is None
    for pil, (data, size, length) in zip(pils, masks):
        mask, _offset = pil.getmask2("Qg7", "L")
        assert (bytes(mask), mask.size, pil.getlength("Qg7")) == (data, size, length)
    assert sum(pil._face is not None for pil in pils) == 3
