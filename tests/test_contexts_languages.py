"""The ocr family on receipts and menus in other scripts and languages: the page prints
the language's words (data/contexts/languages.yaml) and the locale's amounts, in fonts
that draw all of it, shaped and checked line by line; a right-to-left page is mirrored
(names at the right edge, amounts at the left, a menu's first column at the right);
answers are NFC in logical order; what cannot be served yet is refused with one line
before any work starts."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest

from conftest import image_of, read_rows, run_cli
from gen_stress.errors import Resample
from gen_stress.scenes import languages
from gen_stress.scenes.contexts import contexts
from gen_stress.scenes.contexts.receipt import _body_fonts
from gen_stress.scenes.page import Request, TextStyle
from gen_stress.scenes.shaping import shaping_failures

GENERATE = ["--workers", "1", "--no-progress"]
OTHERS = [code for code in languages.LANGUAGES if code != "en"]


@pytest.mark.parametrize("code", OTHERS)
def test_amounts_read_back_and_page_words_are_drawable(code):
    """Babel's amounts parse back to the same minor units (the receipt adds up what is
    printed); every page string is NFC, in the language's charset (the script fonts are
    cut to it) and drawn by every font a receipt or menu may pick for its lines (no tofu)."""
    systems = ("latn",) + ((languages.LANGUAGES[code].native_digits,) if languages.LANGUAGES[code].native_digits else ())
    for minor in (5, 250, -250, 99_999, 12_345_678):
        for symbol in (False, True):
            for system in systems:
                printed = languages.format_amount(code, minor, symbol, system)
                assert languages.parse_amount(code, printed, system) == minor, printed
    strings = languages._page_strings(code)
    assert strings and all(unicodedata.is_normalized("NFC", s) for s in strings)
    assert set("".join(strings)) | set(languages.PAGE_MARKS) <= languages.charset(code)
    from gen_stress.scenes.contexts import menu
    from gen_stress.scenes.contexts.sheet import font_named, fonts_for
    pools = _body_fonts(code) + fonts_for(menu.TITLE_FONTS, code) + fonts_for(menu.DISH_FONTS, code) \
        + fonts_for(menu.BODY_FONTS, code)
    for name in pools:
        assert not font_named(name).missing("".join(strings) + languages.PAGE_MARKS), (code, name)


def _page(code: str, slot: str, seed: int, context: str = "receipt"):
    place = contexts()[context]
    request = Request(slot, TextStyle(12), language=code)
    for attempt in range(20):  # a menu may resample (a long name in a narrow column)
        try:
            rng = np.random.default_rng([seed, attempt])
            return place.layout(place.sample(request, rng, (512, 512)), request, (512, 512))
        except Resample:
            continue
    raise AssertionError("no page")


@pytest.mark.parametrize("context", ["receipt", "menu"])
@pytest.mark.parametrize("code, rtl", [("ar", True), ("he", True), ("hi", False), ("ja", False)])
def test_lines_are_shaped_and_mirrored_right_to_left(context, code, rtl):
    """Every line of the page is shaped in the language and passes the shaping check; on
    a right-to-left page an entry's name ends at the right edge and its amount starts at
    the left (a menu's first column is the right one), on a left-to-right one the other
    way round."""
    page = _page(code, "fine_text", 3, context)
    texts = [it for it in page.scene.items if hasattr(it, "layout")]
    assert all(it.layout.shaping is not None and it.layout.shaping.language == code for it in texts)
    assert not [f for it in texts for f in shaping_failures(it.layout)]
    for listing in page.listings:
        for entry in listing.entries:
            name, amount = (page.scene.item(i).layout.bbox for i in entry.ids)
            assert (name[0] > amount[2]) == rtl, (entry.name, name, amount)
    if page.columns:  # listed left to right: the first section's column is the right one when mirrored
        first = page.listings[0].entries[0].name
        assert (first in {e.name for e in page.columns[-1].entries}) == rtl


def test_latin_language_keeps_basic_layout():
    """German prints its own words with Pillow's basic layout, as English does."""
    page = _page("de", "styled_text", 5)
    texts = [it for it in page.scene.items if hasattr(it, "layout")]
    assert all(it.layout.shaping is None for it in texts)
    assert {e.name for e in page.listings[0].entries} <= set(languages.page_words("de")["goods"])


@pytest.mark.parametrize("context, script, code", [("receipt", "arabic", "ar"), ("receipt", "thai", "th"),
                                                   ("menu", "hebrew", "he"), ("menu", "cyrillic", "uk")])
def test_rows_end_to_end(context, script, code, tmp_path, capsys):
    """Through the CLI: the rows record the writing knobs resolved, the answer is the
    asked line's text (NFC, logical order) and the asked text carries its clusters."""
    out = tmp_path / "out"
    code_, _, err = run_cli(["--family", "ocr", "--n", "3", *GENERATE, "--set", f"context={context}",
                             "--set", f"script={script}", "--set", f"language={code}", "--out", str(out)], capsys)
    assert code_ == 0, err
    rows = read_rows(out)
    assert len(rows) == 3
    page_strings = set(languages._page_strings(code))
    for row in rows:
        assert row["difficulty"]["script"] == script and row["difficulty"]["language"] == code
        assert row["difficulty"]["context"] == context
        asked = next(t for t in row["scene"]["texts"] if {"name": "asked", "value": "yes"} in t["attributes"])
        assert asked["text"] == row["answer"] and unicodedata.is_normalized("NFC", row["answer"])
        assert asked["clusters"] and sum(c["end"] - c["start"] for c in asked["clusters"]) == len(row["answer"])
        assert image_of(row).size == (512, 512)
    def ascii_digits(text):  # a page may print the locale's own digits
        return "".join(str(unicodedata.digit(c)) if unicodedata.category(c) == "Nd" else c for c in text)

    fine, stamp = ascii_digits(rows[0]["answer"]), rows[1]["answer"]
    assert fine in page_strings and stamp in page_strings  # fine print and stamps are page words


@pytest.mark.parametrize("args, message", [
    (["--family", "ocr", "--set", "context=shelf", "--set", "script=japanese", "--set", "text_direction=vertical"],
     "text_direction=vertical is not supported in context shelf"),
    (["--family", "ocr", "--set", "context=receipt", "--set", "script=japanese", "--set", "text_direction=vertical"],
     "text_direction=vertical is not supported in context receipt"),
    (["--family", "ocr", "--set", "context=receipt", "--set", "script=thai", "--set", "font_class=script"],
     "the thai script has no script font"),
    (["--family", "counting", "--sweep", "context=abstract,receipt", "--set", "script=thai"],
     "script=thai is not supported by family counting in abstract scenes yet"),
    (["--family", "counting", "--set", "context=menu", "--set", "script=arabic", "--subtask", "duplicates_merged"],
     "context menu cannot serve counting/duplicates_merged"),
    (["--family", "counting", "--set", "context=document", "--set", "language=fr", "--subtask", "duplicates_merged"],
     "context document cannot serve counting/duplicates_merged"),
    (["--family", "ocr", "--set", "context=screen", "--set", "script=japanese", "--set", "text_direction=vertical"],
     "text_direction=vertical is not supported in context screen"),
    (["--family", "ocr", "--set", "context=screen", "--set", "script=thai", "--set", "font_class=script"],
     "the thai script has no script font"),
    (["--family", "ocr", "--sweep", "context=screen,shelf", "--set", "script=korean", "--set", "font_class=mono"],
     "the korean script has no mono font"),
])
def test_what_cannot_be_served_is_one_line(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli([*args, "--n", "2", *GENERATE, "--out", str(out)], capsys)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert message in err, err
    assert not out.exists()


def test_other_families_ask_what_the_page_prints(tmp_path, capsys):
    """`--family all` on a Thai receipt: counting counts its lines and units, spatial asks
    which Thai item is listed next to another, grounding boxes a line named by its Thai
    label, hallucination asks about its usual fields and amounts. Answers come from the
    page: the counted units add up, the choices are the receipt's own items."""
    out = tmp_path / "out"
    code, _, err = run_cli(["--family", "all", "--n", "2", *GENERATE, "--set", "context=receipt",
                            "--set", "script=thai", "--out", str(out)], capsys)
    assert code == 0, err
    goods = set(languages.page_words("th")["goods"])
    for family in ("ocr", "counting", "spatial", "grounding", "hallucination"):
        rows = read_rows(out, family)
        assert len(rows) == 2 and all(r["difficulty"]["language"] == "th" for r in rows)
        for row in rows:
            texts = {t["text"] for t in row["scene"]["texts"]}
            if family == "counting" and row["subtask"] == "counting/duplicates_merged":
                items = [t["text"] for t in row["scene"]["texts"] if t["role"] == "line_item"]
                units = sum(int(t.split(" × ")[0]) if " × " in t else 1 for t in items)
                assert str(units) == row["answer"], (items, row["answer"])
            if family == "spatial":
                assert set(row["choices"]) <= goods | {"above", "below"} and row["answer"] in row["choices"]
            if family == "grounding":
                words = goods | set(languages.page_words("th")["labels"].values())
                named = [w for w in words if w in row["question"] and any(w in t for t in texts)]
                assert named, row["question"]  # the box is asked of a line by its Thai words, printed there


@pytest.mark.parametrize("context", ["receipt", "menu"])
def test_a_page_prints_one_numbering_system(context):
    """A Persian page prints Latin digits or Persian ones (half the pages each, as the
    ocr family draws them), never both; its receipt still adds up in either."""
    seen = set()
    for seed in range(12):
        page = _page("fa", "fine_text", seed, context)
        digits = {c for it in page.scene.items if hasattr(it, "layout") for c in it.text
                  if unicodedata.category(c) == "Nd"}
        systems = {"latn" if c.isascii() else "arabext" for c in digits}
        assert len(systems) == 1, digits
        seen |= systems
    assert seen == {"latn", "arabext"}
