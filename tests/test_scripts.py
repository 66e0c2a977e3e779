"""Text beyond Latin (issue 14, rendering): raqm shaping checked against HarfBuzz, the
check failing on purpose (basic layout, a font lacking a glyph, a broken cluster),
grapheme-cluster boxes against the pixels, the writing knobs' validation, and small
end-to-end runs per script group."""

from __future__ import annotations

import hashlib
import unicodedata

import numpy as np
import pytest

from conftest import read_rows, run_cli
from gen_stress.scenes import shaping
from gen_stress.scenes.fonts import FontInfo, load_catalog
from gen_stress.scenes.languages import LANGUAGES, charset, make_text
from gen_stress.scenes.memo import BoundedLRU
from gen_stress.scenes.shaping import Shaping, bidi_runs, glyph_failures, shaping_failures, shaping_verdict
from gen_stress.scenes.text import TextLayout, layout_text
from gen_stress.writing import SCRIPT_TAGS

GENERATE = ["--workers", "1", "--no-progress", "--size", "320x320"]
ARABIC = Shaping("rtl", "Arab", "ar")
DEVANAGARI = Shaping("ltr", "Deva", "hi")


def shaping_of(code: str) -> Shaping:
    lang = LANGUAGES[code]
    return Shaping(lang.direction, SCRIPT_TAGS[lang.script], code)


def font(name: str) -> FontInfo:
    return load_catalog().by_name(name)


# The check passes on shaped text ------------------------------------------------------------

@pytest.mark.parametrize("code", ["ru", "el", "ar", "fa", "he", "hi", "bn", "th", "zh", "ja", "ko"])
def test_shaped_text_of_every_script_passes_the_check(code):
    rng = np.random.default_rng(7)
    lang = LANGUAGES[code]
    checked = 0
    for info in load_catalog().of_script(lang.script)[:3]:
        for kind in ("word", "code", "price", "date"):
            text, _ = make_text(code, kind, rng, 10)
            if info.missing(text):
                continue
            for text_px in (9, 26):
                layout = layout_text(text, info, text_px=text_px, shaping=shaping_of(code))
                assert shaping_failures(layout) == [], (info.name, text, text_px)
                checked += 1
    assert checked >= 8


def test_known_shaping_holds():
    """Arabic joins (HarfBuzz picks joining forms, not the isolated letters of the cmap,
    and lam-alef becomes one ligature: one cluster of two characters), Devanagari forms
    the conjunct of क्ष (fewer glyphs than characters)."""
    arabic = font("Noto Sans Arabic")
    glyphs = shaping.hb_shape(str(arabic.path), 40.0, "سلام", ARABIC)
    isolated_seen = arabic._tt.getGlyphID(arabic._tt.getBestCmap()[ord("س")])
    assert glyphs[-1].cluster == 0 and glyphs[-1].gid != isolated_seen  # initial form of the seen
    assert [g.cluster for g in glyphs] == [3, 1, 0]  # visual order, right to left; لا is one cluster
    layout = layout_text("سلام", arabic, text_px=30, shaping=ARABIC)
    assert [(c.start, c.end) for c in layout.clusters_local] == [(3, 4), (1, 3), (0, 1)]
    deva = font("Noto Sans Devanagari")
    assert len(shaping.hb_shape(str(deva.path), 40.0, "क्ष", DEVANAGARI)) < 3


# The check fails on purpose ---------------------------------------------------------------

@pytest.mark.parametrize("name, text, how", [
    ("Noto Sans Arabic", "مرحبا بالعالم", ARABIC),
    ("Noto Naskh Arabic", "السلام عليكم", ARABIC),
    ("Noto Sans Devanagari", "क्षत्रिय हिन्दी", DEVANAGARI),
    ("Noto Serif Devanagari", "स्वतंत्रता", DEVANAGARI),
])
@pytest.mark.parametrize("text_px", [10, 24])
def test_basic_layout_instead_of_raqm_is_refused(monkeypatch, name, text, how, text_px):
    """A font handed to Pillow's basic layout (no shaping: isolated Arabic letters left
    to right, Devanagari without conjuncts) draws other glyphs than HarfBuzz's."""
    layout = layout_text(text, font(name), text_px=text_px, shaping=how)
    assert shaping_failures(layout) == []
    # the same line drawn by the basic layout in raqm's place
    monkeypatch.setattr(TextLayout, "_pil", property(lambda self: self.font.pil(self.em_px)))
    monkeypatch.setattr(TextLayout, "_direction", property(lambda self: {}))
    broken = layout_text(text, font(name), text_px=text_px, shaping=how)
    failures = shaping_failures(broken)
    assert failures and "unlike HarfBuzz" in failures[0]


def test_a_remembered_verdict_does_not_hide_the_basic_layout(monkeypatch):
    """The verdict a family's verify remembers per line is the drawn line's: the same
    string, font and size drawn by the basic layout after raqm's passed is refused."""
    text, how = "مرحبا بالعالم", ARABIC
    layout = layout_text(text, font("Noto Sans Arabic"), text_px=18, shaping=how)
    assert shaping_verdict(layout) == [] and shaping_verdict(layout) == []
    monkeypatch.setattr(TextLayout, "_pil", property(lambda self: self.font.pil(self.em_px)))
    monkeypatch.setattr(TextLayout, "_direction", property(lambda self: {}))
    broken = layout_text(text, font("Noto Sans Arabic"), text_px=18, shaping=how)
    failures = shaping_verdict(broken)
    assert failures and "unlike HarfBuzz" in failures[0]
    assert shaping_verdict(broken) == failures


def test_remembered_raqm_lines_are_pillows_and_stay_bounded(monkeypatch):
    """A remembered raqm line is what Pillow draws for it afresh, and the memory holds
    at most its byte budget (least recently used lines dropped first)."""
    from PIL import Image, ImageDraw

    monkeypatch.setattr(shaping, "_RAQM_LINES", BoundedLRU(20_000, max_entries=4096))
    arabic = font("Noto Sans Arabic")
    pil = arabic.pil_shaping(arabic.em_for_cap(24))
    texts = ["مرحبا بالعالم", "السلام عليكم", "كتاب ١٢٣", "شكرا جزيلا", "مدينة القاهرة"]
    for text in texts * 2:
        size, origin = (400, 80), (20, 50)
        remembered = np.asarray(shaping.raqm_mask(pil, text, "ls", "rtl", "ar", size, origin))
        fresh = Image.new("L", size, 0)
        ImageDraw.Draw(fresh).text(origin, text, fill=255, font=pil, anchor="ls", direction="rtl", language="ar")
        assert np.array_equal(remembered, np.asarray(fresh)), text
        held = sum(core.size[0] * core.size[1] for (core, _), _ in shaping._RAQM_LINES.sizes())
        assert held == shaping._RAQM_LINES.nbytes <= 20_000 or len(shaping._RAQM_LINES) == 1
    assert 1 <= len(shaping._RAQM_LINES) < len(texts)


def test_a_font_lacking_a_glyph_is_refused(monkeypatch):
    """Devanagari set in a Latin font: HarfBuzz gives .notdef, refused (the coverage
    check that normally stops it first is turned off here)."""
    latin = font("Liberation Sans")
    assert latin.missing("नमस्ते")
    monkeypatch.setattr(FontInfo, "missing", lambda self, text: [])
    layout = layout_text("नमस्ते", latin, text_px=20, shaping=DEVANAGARI)
    failures = shaping_failures(layout)
    assert failures and ".notdef" in failures[0]


def test_a_broken_cluster_is_refused():
    """A vowel sign with no consonant to sit on: HarfBuzz inserts a dotted circle."""
    deva = font("Noto Sans Devanagari")
    failures = glyph_failures(str(deva.path), 30.0, "\u093fक", DEVANAGARI)
    assert failures and "dotted circle" in failures[0]
    assert glyph_failures(str(deva.path), 30.0, "कि", DEVANAGARI) == []


def test_bidi_runs_keep_numbers_left_to_right():
    assert bidi_runs("كتاب ١٢٣", True) == ((5, 8, False), (0, 5, True))
    assert bidi_runs("ABC-123 كود", True) == ((7, 11, True), (0, 7, False))
    # W2: a European number after Arabic letters is an Arabic number; the hyphen between
    # two of them stays right to left
    assert bidi_runs("بك58-347", True) == ((5, 8, False), (4, 5, True), (2, 4, False), (0, 2, True))
    assert bidi_runs("plain", False) == ((0, 5, False),)
    # Right-to-left letters, marks and neutrals alone: one right-to-left run, quotes and
    # brackets at either end included (the rules' result, without walking them)
    assert bidi_runs("«كتاب» (עברית)!", True) == ((0, 15, True),)
    assert bidi_runs("\u064eب ب", True) == ((0, 4, True),)


def test_glyphs_of_the_shared_face_are_those_of_a_face_per_size():
    """The check draws HarfBuzz's glyphs with one FreeType face per font file, set to each
    size in turn: the bitmaps are a fresh face's at that size, whatever sizes came before."""
    import freetype

    names = ["Noto Sans Arabic", "Noto Sans Devanagari", "DejaVu Sans", "Noto Sans CJK JP"]
    infos = [info for info in load_catalog().all() if info.name in names]
    assert len(infos) == len(names)
    compared = 0
    for em in (9 * 64 + 13, 31 * 64, 12 * 64 + 40, 9 * 64 + 13, 47 * 64 + 1):  # sizes revisited
        for info in infos:
            path = str(info.path)
            fresh = freetype.Face(path)
            fresh.set_char_size(em)
            for gid in range(1, min(fresh.num_glyphs, 60), 7):
                shaping._ft_glyph.cache_clear()
                shared = shaping._ft_glyph(path, em, gid)
                fresh.load_glyph(gid, freetype.FT_LOAD_DEFAULT | freetype.FT_LOAD_NO_BITMAP)
                fresh.glyph.render(freetype.FT_RENDER_MODE_NORMAL)
                bitmap = fresh.glyph.bitmap
                assert (shared.left, shared.top) == (fresh.glyph.bitmap_left, fresh.glyph.bitmap_top)
                if shared.rows is None:
                    assert not (bitmap.rows and bitmap.width)
                    continue
                rows = np.array(bitmap.buffer, np.uint8).reshape(bitmap.rows, bitmap.pitch)[:, :bitmap.width]
                assert np.array_equal(shared.rows, rows), (info.name, em, gid)
                compared += 1
    assert compared > 100


def test_overlapping_glyphs_blend_as_pillow_draws_them():
    """At 5 px the lam and alef of البحث share a column; Pillow lays one's coverage over
    the other's (darker than either), and the check's raster does the same."""
    text = "البحث"
    layout = layout_text(text, font("Noto Sans Arabic"), text_px=5, shaping=ARABIC)
    path, em_px = str(layout.font.path), round(layout.em_px, 4)
    drawn, origin = layout.local_pixels()
    shift = shaping.vertical_shift(path, em_px, text, ARABIC)
    reference = shaping.hb_raster(path, em_px, text, ARABIC, drawn.shape[::-1],
                                  (origin[0] + shift[0], origin[1] + shift[1]))
    assert np.abs(drawn.astype(int) - reference).max() <= 1  # Pillow's own rounding, nothing more
    assert shaping.raster_difference(drawn, reference) < 0.01
    below, above = np.array([[130, 0, 255]], np.uint8), np.array([[130, 90, 0]], np.uint8)
    assert shaping.GLYPH_OVER[below, above].tolist() == [[194, 90, 255]]


@pytest.mark.parametrize("name, text, how", [
    ("Noto Naskh Arabic", "صابون السعر", ARABIC),
    ("Noto Sans Devanagari", "क्षत्रिय हिन्दी", DEVANAGARI),
    ("Noto Sans CJK JP", "日本語テキスト", Shaping("ttb", "Hani", "ja")),
])
def test_the_check_raster_blends_only_where_ink_may_be(name, text, how):
    """hb_raster blends a glyph over the columns left of the ink placed so far and copies
    the rest: the same raster as blending every glyph everywhere, clipped or not."""
    def blended_everywhere(path, em_px, size, origin):
        out = np.zeros(size[::-1], np.uint8)
        for _glyph, x, y, bitmap in shaping.hb_placements(path, em_px, text, how):
            if bitmap.rows is None:
                continue
            col, row = origin[0] + x + bitmap.left, origin[1] + y - bitmap.top
            h, w = bitmap.rows.shape
            c0, r0, c1, r1 = max(col, 0), max(row, 0), min(col + w, size[0]), min(row + h, size[1])
            if c1 > c0 and r1 > r0:
                window = out[r0:r1, c0:c1]
                window[...] = shaping.GLYPH_OVER[window, bitmap.rows[r0 - row:r1 - row, c0 - col:c1 - col]]
        return out

    for text_px in (5, 9, 26):
        layout = layout_text(text, font(name), text_px=text_px, shaping=how)
        path, em_px = str(layout.font.path), round(layout.em_px, 4)
        drawn, origin = layout.local_pixels()
        for dx, dy in ((0, 0), (-3, 1), (2, -2)):  # the last two clip glyphs at the edges
            size, at = (drawn.shape[1] + dx, drawn.shape[0] + dy), (origin[0] + dx, origin[1] + dy)
            assert np.array_equal(shaping.hb_raster(path, em_px, text, how, size, at),
                                  blended_everywhere(path, em_px, size, at)), (text_px, dx, dy)


def test_truetype_script_faces_ship_without_hinting_programs():
    """scripts/build_script_fonts.py cuts the TrueType script faces without their hinting
    (FreeType's autohinter draws them in half the time); the CJK faces keep their CFF hints."""
    from fontTools.ttLib import TTFont

    faces = [info for info in load_catalog().script_fonts]
    truetype = [info for info in faces if info.path.suffix == ".ttf"]
    assert len(truetype) == 10 and len(faces) == 13
    for info in truetype:
        face = TTFont(info.path, lazy=True)
        assert not {"fpgm", "prep", "cvt "} & set(face.keys()), info.name
        assert face["maxp"].maxSizeOfInstructions == 0, info.name
    for info in set(faces) - set(truetype):
        assert "CFF " in TTFont(info.path, lazy=True), info.name


# Cluster boxes against the pixels --------------------------------------------------------

@pytest.mark.parametrize("name, text, how", [
    ("Noto Sans Arabic", "السعر ١٢٬٥٠ ج.م.", ARABIC),
    ("Noto Sans Devanagari", "क्षत्रिय हिन्दी", DEVANAGARI),
    ("Noto Sans Bengali", "কিন্তু স্বপ্ন", Shaping("ltr", "Beng", "bn")),
    ("Noto Sans Thai", "ที่น้ำใจ", Shaping("ltr", "Thai", "th")),
    ("Noto Sans CJK JP", "日本語テキスト", Shaping("ttb", "Hani", "ja")),
])
def test_cluster_boxes_cover_the_ink_and_the_string(name, text, how):
    layout = layout_text(text, font(name), text_px=28, shaping=how)
    clusters = layout.clusters_local
    covered = sorted(i for c in clusters for i in range(c.start, c.end))
    assert covered == list(range(len(text)))  # each character in exactly one cluster
    mask, origin = layout.local_mask()
    ink = np.asarray(mask) > 64
    inside = np.zeros_like(ink)
    for c in clusters:
        x0, y0, x1, y1 = (int(round(v)) for v in c.box)
        box = ink[origin[1] + y0:origin[1] + y1, origin[0] + x0:origin[0] + x1]
        if not text[c.start:c.end].isspace():
            assert box.any(), (text[c.start:c.end], c.box)  # a cluster's box holds its ink
        inside[max(0, origin[1] + y0 - 1):origin[1] + y1 + 1, max(0, origin[0] + x0 - 1):origin[0] + x1 + 1] = True
    assert not (ink & ~inside).any()  # and no ink lies outside every cluster's box
    # each character's box is its cluster's
    for c in clusters:
        assert all(layout.char_boxes_local[i] == c.box for i in range(c.start, c.end))


def test_vertical_cluster_boxes_sit_on_their_ink():
    """A vertical line's clusters are placed by the shift that makes HarfBuzz's raster
    match Pillow's pixel for pixel: their boxes together are the line's ink box, not a
    pixel up and left of it (the first of the shifts the forgiving measure ties)."""
    rng = np.random.default_rng(9)
    how, exact, lines = Shaping("ttb", "Hani", "ja"), 0, 0
    for text_px in (9, 14, 23, 37):
        for _ in range(5):
            text, _ = make_text("ja", "word", rng, 6)
            layout = layout_text(text, font("Noto Sans CJK JP"), text_px=text_px, shaping=how)
            mask, origin = layout.local_mask()
            ys, xs = np.nonzero(np.asarray(mask))
            ink = (xs.min() - origin[0], ys.min() - origin[1], xs.max() + 1 - origin[0], ys.max() + 1 - origin[1])
            boxes = [c.box for c in layout.clusters_local]
            union = (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
                     max(b[3] for b in boxes))
            offsets = [round(u - i) for u, i in zip(union, ink)]
            assert max(map(abs, offsets)) <= 1, (text, text_px, offsets)
            exact += offsets == [0, 0, 0, 0]
            lines += 1
    assert exact >= 0.8 * lines


# Knobs through the command line ------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--set", "script=klingon"], "knob script='klingon' is not one of"),
    # The unset language is listed as '' (a bare comma read as a missing choice).
    (["--set", "language=xx"], "knob language='xx' is not one of '', en, de, fr,"),
    (["--set", "language=ar"], "language ar (Arabic) is not written in the latin script"),
    (["--set", "script=hebrew", "--set", "language=ar"], "is not written in the hebrew script"),
    (["--sweep", "script=arabic,thai", "--set", "language=fa"], "is not written in the thai script"),
    (["--set", "script=korean", "--set", "text_direction=vertical"], "text_direction=vertical is for chinese"),
    (["--set", "text_direction=vertical"], "text_direction=vertical is for chinese and japanese text, not latin"),
    (["--set", "script=japanese", "--set", "context=screen", "--set", "text_direction=vertical"],
     "text_direction=vertical is not supported in context screen"),
    (["--set", "script=devanagari", "--set", "font_class=mono"], "the devanagari script has no mono font"),
])
def test_bad_writing_knobs_are_one_line(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(["--family", "ocr", "--n", "2", *GENERATE, *args, "--out", str(out)], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert message in err, err
    assert not out.exists()


@pytest.mark.parametrize("family", ["counting", "spatial", "grounding", "hallucination"])
def test_other_families_refuse_other_scripts(family, tmp_path, capsys):
    code, _, err = run_cli(["--family", family, "--n", "2", *GENERATE, "--set", "script=greek",
                            "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and f"script=greek is not supported by family {family}" in err


# End to end ------------------------------------------------------------------------------------

def _sha(folder) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.parquet"))}


@pytest.mark.parametrize("script, extra", [
    ("latin", ["--set", "language=de"]), ("cyrillic", []), ("arabic", []), ("hebrew", []),
    ("devanagari", ["--set", "language=mr"]),
    ("thai", []), ("chinese", []), ("japanese", ["--set", "text_direction=vertical"]),
])
def test_each_script_group_writes_a_dataset_datasets_reads(script, extra, tmp_path, capsys):
    import datasets

    out = tmp_path / script
    code, _, err = run_cli(["--family", "ocr", "--n", "6", *GENERATE, "--set", f"script={script}", *extra,
                            "--out", str(out)], capsys)
    assert code == 0, err
    ds = datasets.load_dataset(str(out), "ocr", split="test")
    assert len(ds) == 6
    for row in ds:
        assert row["difficulty"]["script"] == script
        assert LANGUAGES[row["difficulty"]["language"]].script == script
        assert unicodedata.is_normalized("NFC", row["answer"])
        target = next(t for t in row["scene"]["texts"] if t["role"] == "target")
        if row["answerable"]:
            assert row["answer"] == target["text"]  # logical order, as typed
        if script not in ("latin", "cyrillic"):  # shaped: clusters cover the text; one box per character
            assert sorted(i for c in target["clusters"] for i in range(c["start"], c["end"])) == \
                list(range(len(target["text"])))
            assert len(target["char_boxes"]) == len(target["text"])
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "logical order" in card and f"ocr-{script}-samples.png" in card


def test_shaped_runs_are_the_same_bytes_with_any_worker_count(tmp_path, capsys):
    args = ["--family", "ocr", "--n", "8", "--no-progress", "--size", "320x320", "--rows-per-shard", "3",
            "--sweep", "script=arabic,bengali,korean,greek"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert run_cli([*args, "--workers", "1", "--out", str(one)], capsys)[0] == 0
    assert run_cli([*args, "--workers", "2", "--out", str(two)], capsys)[0] == 0
    assert _sha(one) == _sha(two) and len(_sha(one)) == 3


def test_latin_set_explicitly_draws_the_default_images(tmp_path, capsys):
    """script=latin adds the knob columns but draws exactly the default run's images
    (basic layout, the same random draws)."""
    plain, latin = tmp_path / "plain", tmp_path / "latin"
    assert run_cli(["--family", "ocr", "--n", "6", *GENERATE, "--out", str(plain)], capsys)[0] == 0
    assert run_cli(["--family", "ocr", "--n", "6", *GENERATE, "--set", "script=latin", "--out", str(latin)],
                   capsys)[0] == 0
    a, b = read_rows(plain), read_rows(latin)
    assert [r["image"]["bytes"] for r in a] == [r["image"]["bytes"] for r in b]
    assert "script" not in a[0]["difficulty"] and b[0]["difficulty"]["script"] == "latin"
    assert "clusters" not in a[0]["scene"]["texts"][0]


@pytest.mark.parametrize("info", load_catalog().script_fonts, ids=lambda f: f.name)
def test_text_px_is_the_reference_letter_height_or_the_em(info):
    """`text_px` is the ink height of the font's size letter (alef, he, क, ক, ก), or the em
    box of a CJK font (its ideographs' ink a little less)."""
    text_px = 40
    script = info.scripts[0]
    lang = next(code for code, lang in LANGUAGES.items() if lang.script == script)
    if info.fixed_cap_ratio == 1.0:
        assert info.em_for_cap(text_px) == text_px
        char = next(c for c in sorted(charset(lang)) if ord(c) > 0x4E00)  # an ideograph or a Hangul syllable
        ink = layout_text(char, info, text_px=text_px, shaping=shaping_of(lang)).ink_box_local
        assert 0.75 * text_px <= ink[3] - ink[1] <= text_px
        return
    layout = layout_text(info.size_char, info, text_px=text_px, shaping=shaping_of(lang))
    assert abs((layout.ink_box_local[3] - layout.ink_box_local[1]) - text_px) <= 1.5


@pytest.mark.parametrize("script", ["arabic", "bengali", "greek", "korean"])
def test_pairs_change_one_letter_of_the_same_kind(script, tmp_path, capsys):
    out = tmp_path / script
    code, _, err = run_cli(["--family", "ocr", "--n", "6", *GENERATE, "--set", f"script={script}", "--pairs",
                            "--out", str(out)], capsys)
    assert code == 0, err
    rows = read_rows(out)
    twins = [(a, b) for a, b in zip(rows[::2], rows[1::2]) if a["group_id"]]
    assert twins
    for a, b in twins:
        assert a["group_id"] == b["group_id"] and b["id"].endswith("-b")
        assert len(a["answer"]) == len(b["answer"])
        changed = [i for i, (x, y) in enumerate(zip(a["answer"], b["answer"])) if x != y]
        assert len(changed) == 1
        x, y = a["answer"][changed[0]], b["answer"][changed[0]]
        assert unicodedata.category(x)[0] == unicodedata.category(y)[0]  # a letter for a letter, a digit for a digit


@pytest.mark.parametrize("settings", [[], ["--set", "language=de"], ["--set", "script=arabic"],
                                      ["--set", "script=devanagari"], ["--set", "script=japanese"]])
def test_pairs_of_dates_are_real_dates_one_character_apart(settings, tmp_path, capsys):
    """A date's twin is another date the locale prints in the same format, never
    11.06.23 -> 11.86.23."""
    from gen_stress.scenes.languages import _date_of

    out = tmp_path / "dates"
    code, _, err = run_cli(["--family", "ocr", "--n", "8", *GENERATE, "--set", "content=date", *settings,
                            "--pairs", "--out", str(out)], capsys)
    assert code == 0, err
    rows = read_rows(out)
    twins = [(a, b) for a, b in zip(rows[::2], rows[1::2]) if a["group_id"]]
    assert twins
    for a, b in twins:
        language = LANGUAGES[a["difficulty"].get("language") or "en"]
        assert sum(x != y for x, y in zip(a["answer"], b["answer"])) == 1 and len(a["answer"]) == len(b["answer"])
        first, second = _date_of(language, a["answer"]), _date_of(language, b["answer"])
        assert first is not None and second is not None, (a["answer"], b["answer"])
        assert first[0] != second[0] and first[1:] == second[1:]  # another day, the same format and digits


def test_date_twins_differ_in_one_character_and_are_dates():
    from gen_stress.scenes.languages import date_twins

    assert "21.08.2023" in date_twins("de", "21.06.2023")
    assert all(not t.startswith("21.8") for t in date_twins("de", "21.06.2023"))
    assert "21. Juli 2023" in date_twins("de", "21. Juni 2023")  # a month name one letter apart
    assert date_twins("de", "21.86.2023") == []  # not a date


# Measuring a shaped line without drawing it ----------------------------------------------

@pytest.mark.parametrize("code, direction", [("hi", None), ("ar", None), ("th", None), ("ru", None),
                                             ("ja", "ttb"), ("zh", "ttb"), ("ko", None)])
def test_measure_text_is_the_layouts_ink_box(code, direction):
    """`measure_text` (Pillow's getbbox of the raqm line) is the box `layout_text` takes
    from the line's drawn mask, on real fonts and strings, unstroked and stroked, before
    and after the line is drawn (then it is read off the remembered line)."""
    from gen_stress.scenes.text import measure_text

    lang = LANGUAGES[code]
    how = Shaping(direction or lang.direction, SCRIPT_TAGS[lang.script], code)
    rng = np.random.default_rng(11)
    compared = 0
    for info in load_catalog().of_script(lang.script)[:2]:
        for kind in ("word", "date", "price", "code"):
            for text_px in (5, 13, 29, 47):
                text, _ = make_text(code, kind, rng, 12)
                if info.missing(text):
                    continue
                stroke = int(rng.integers(0, 3))
                pil = info.pil_shaping(info.em_for_cap(text_px))
                key = (pil, text, shaping.vertical_anchor(how), how.direction, how.language)
                assert key not in shaping._RAQM_LINES  # measured before it is drawn
                measured = measure_text(text, info, text_px=text_px, stroke_px=stroke, shaping=how)
                laid = layout_text(text, info, text_px=text_px, stroke_px=stroke, shaping=how).ink_box_local
                assert measured == laid, (info.name, text, text_px, stroke)
                assert measure_text(text, info, text_px=text_px, stroke_px=stroke, shaping=how) == laid
                compared += 1
    assert compared >= 16
