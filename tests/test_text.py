"""The glyph cache draws a line exactly as Pillow's ImageDraw.text does."""

import random

import numpy as np
from PIL import Image, ImageDraw

from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.text import compose_line, layout_text


def test_cached_glyphs_draw_the_same_bytes_as_pillow():
    rng = random.Random(7)
    alphabet = "".join(chr(c) for c in range(32, 127)) + "€£†‡•·"
    checked = 0
    for font in load_catalog().fonts:  # every font: kerning tables, script overlaps, mono
        for text_px in (4, 7, 11, 18, 30):
            text = "".join(c for c in (rng.choice(alphabet) for _ in range(30)) if font.draws(c)) or "A"
            layout = layout_text(text, font, text_px=text_px)
            x0, y0, x1, y1 = layout.ink_box_local
            size, origin = (x1 - x0 + 4, y1 - y0 + 4), (2 - x0, 2 - y0)
            expected = Image.new("L", size, 0)
            ImageDraw.Draw(expected).text(origin, text, fill=255, font=layout._pil, anchor="ls")
            assert np.array_equal(compose_line(layout._pil, text, layout._kerns, size, origin),
                                  np.asarray(expected)), (font.name, text_px, text)
            checked += 1
    assert checked == 5 * len(load_catalog().fonts)
