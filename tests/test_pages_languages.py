"""Document pages (and, as they come, screens and shelves) in other scripts and
languages: the running text is sentences of the language's words broken into lines only
where the language allows, right-to-left pages are right-aligned with their first column
at the right, every line passes the shaping check, answers are NFC in logical order, and
English pages keep their bytes."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import image_of, laid_pages, read_rows, run_cli
from gen_stress.errors import Resample
from gen_stress.generators import get_family
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.scenes import languages
from gen_stress.scenes.contexts import contexts
from gen_stress.scenes.page import Request, TextStyle
from gen_stress.scenes.shaping import shaping_failures

GENERATE = ["--workers", "1", "--no-progress"]
OTHERS = [code for code in languages.LANGUAGES if code != "en"]
HAIR = languages.JUSTIFY_SPACE


def _page(code: str, slot: str, seed: int, context: str = "document", style: TextStyle = TextStyle(12), **asked):
    place = contexts()[context]
    request = Request(slot, style, language=code, **asked)
    for attempt in range(30):
        try:
            rng = np.random.default_rng([seed, attempt])
            content = place.sample(request, rng, (512, 512))
            return content, place.layout(content, request, (512, 512))
        except Resample:
            continue
    raise AssertionError("no page")


def _breaks_at_tokens(content, page) -> None:
    """Every body line is a run of whole tokens of the page's sentences (a break swallows
    the space before it), in order: no line breaks inside a word (or, in Chinese and
    Japanese, before a closing full stop or a small kana)."""
    flat = [t for p in content.paragraphs for t in p.words]
    text, starts, ends, pos = "", set(), set(), 0
    for token in flat:
        lead = len(token) - len(token.lstrip())
        starts.add(pos + lead)
        text += token
        pos += len(token)
        ends.add(pos)
    cursor = 0
    for item in page.scene.items:
        if getattr(item, "role", "") != "body":
            continue
        line = item.text.replace(HAIR, "")
        found = text.find(line, cursor)
        assert found in starts and found + len(line) in ends, (line, found)
        cursor = found + len(line)


@pytest.mark.parametrize("code", OTHERS)
def test_document_pages_are_shaped_and_broken_at_words(code):
    """A page per language: every line is in the language's shaping and passes the
    shaping check; lines break only at the tokens the text was made of; a right-to-left
    page right-aligns its body lines and sets its first column at the right."""
    for seed in (1, 2):
        content, page = _page(code, "fine_text", seed)
        texts = [it for it in page.scene.items if hasattr(it, "layout")]
        assert content.language == code
        if languages.LANGUAGES[code].script == "latin":
            assert all(it.layout.shaping is None for it in texts)
        else:
            assert all(it.layout.shaping is not None and it.layout.shaping.language == code for it in texts)
            assert not [f for it in texts for f in shaping_failures(it.layout)]
        assert all(unicodedata.is_normalized("NFC", it.text.replace(HAIR, "")) for it in texts)
        _breaks_at_tokens(content, page)
        rtl = languages.LANGUAGES[code].direction == "rtl"
        body = [it for it in texts if it.role == "body"]
        paper = page.scene.item(1).geometry.bounds
        middle = (paper[0] + paper[2]) / 2
        if content.columns == 1 and body:
            # every line starts on its side of the page (right when mirrored); full lines reach the other
            near = [it.layout.bbox[2] if rtl else it.layout.bbox[0] for it in body]
            far = [it.layout.bbox[0] if rtl else it.layout.bbox[2] for it in body]
            if rtl:
                assert min(near) > middle and min(far) < middle
            else:
                assert max(near) < middle and max(far) > middle
        if page.columns:  # listed left to right: the first heading's column is the right one when mirrored
            first = next(p.heading for p in content.paragraphs if p.heading)
            assert (f"'{first}'" in {e.name for e in page.columns[-1].entries}) == rtl


@pytest.mark.parametrize("code", ["de", "ru", "ar", "he", "hi", "bn", "th", "ko"])
def test_justified_lines_stretch_spaces_only(code):
    """A justified line differs from its words only by hair spaces after its spaces (no
    tatweel, no letter spacing) and fills its column to within a hair space."""
    content, page = _page(code, "styled_text", 4)
    lines = [it for it in page.scene.items if getattr(it, "role", "") == "body"]
    stretched = [it for it in lines if HAIR in it.text]
    assert "\u0640" not in "".join(it.text for it in lines)
    for it in stretched:
        assert HAIR not in it.text.split(" ")[0] and " " + HAIR in it.text
    if code in ("th",) or languages.LANGUAGES[code].script == "korean":
        assert not stretched  # spaceless Thai, and CJK fonts without a hair space: ragged
    else:
        assert stretched


def test_chinese_and_japanese_lines_never_start_with_closing_marks():
    for code in ("zh", "ja"):
        for seed in range(3):
            _content, page = _page(code, "rotated_text", seed)
            for it in page.scene.items:
                if getattr(it, "role", "") == "body":
                    assert it.text[0] not in languages.NO_LINE_START, it.text


@pytest.mark.parametrize("script, code", [("arabic", "ar"), ("thai", "th"), ("japanese", "ja"),
                                          ("devanagari", "mr"), ("greek", "el")])
def test_document_rows_end_to_end(script, code, tmp_path, capsys):
    """Through the CLI: the three ocr subtasks on a page in the language; the answer is
    the asked line (a footnote, the stamp, the title) as printed, NFC, with its clusters."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "ocr", "--n", "3", *GENERATE, "--set", "context=document",
                          "--set", f"script={script}", "--set", f"language={code}", "--out", str(out)], capsys)
    assert rc == 0, err
    rows = read_rows(out)
    assert len(rows) == 3
    stamps = set(languages.page_words(code)["document"]["stamps"])
    for row in rows:
        assert row["difficulty"]["language"] == code and row["difficulty"]["context"] == "document"
        asked = next(t for t in row["scene"]["texts"] if {"name": "asked", "value": "yes"} in t["attributes"])
        assert asked["text"] == row["answer"] and unicodedata.is_normalized("NFC", row["answer"])
        if script != "greek":
            assert asked["clusters"] and sum(c["end"] - c["start"] for c in asked["clusters"]) == len(row["answer"])
        assert image_of(row).size == (512, 512)
    assert rows[1]["subtask"] == "ocr/rotated_text" and rows[1]["answer"] in stamps


def test_other_families_ask_what_a_document_prints(tmp_path, capsys):
    """`--family all` on Hebrew document pages: counting counts table rows and footnote
    markers, spatial asks about table rows and the two columns' headings (the first column
    is the right one), hallucination about usual fields and printed values, grounding the
    box of a row or a value among near-duplicate rows; all from the page's own words."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "all", "--n", "6", *GENERATE, "--set", "context=document",
                          "--set", "script=hebrew", "--out", str(out)], capsys)
    assert rc == 0, err
    goods = set(languages.page_words("he")["goods"])
    headings = set(languages.page_words("he")["document"]["headings"])
    for family in ("counting", "spatial", "hallucination", "grounding"):
        rows = read_rows(out, family)
        assert len(rows) == 6 and all(r["difficulty"]["language"] == "he" for r in rows)
        for row in rows:
            texts = {t["text"] for t in row["scene"]["texts"]}
            if row["subtask"] == "counting/crowded":
                assert int(row["answer"]) == sum(t["role"] == "row_label" for t in row["scene"]["texts"])
            if row["subtask"] == "spatial/above_below":
                assert set(row["choices"]) <= goods and row["answer"] in row["choices"]
            if row["subtask"] == "spatial/left_right":
                named = [h for h in headings if f"'{h}'" in row["question"]]
                assert len(named) == 2 and set(named) <= texts
                first, second = (next(t for t in row["scene"]["texts"] if t["text"] == h) for h in
                                 sorted(named, key=row["question"].index))
                assert row["answer"] == ("left" if first["bbox"][0] < second["bbox"][0] else "right")
            if row["subtask"] == "hallucination/attribute":  # a near miss keeps the page's digits
                value = row["question"].split(" on this page ")[-1].removesuffix("? Answer yes or no.")
                systems = {unicodedata.name(c).split()[0] for c in value if c.isdigit()}
                assert len(systems) == 1, value
            if row["subtask"] == "grounding/similar_classes":  # a good and the good plus a variant word
                labels = [t["text"] for t in row["scene"]["texts"] if t["role"] == "row_label"]
                twins = [(a, b) for a in labels for b in labels if b.startswith(a + " ")]
                assert len(twins) == 1 and twins[0][0] in goods, labels
                assert twins[0][1][len(twins[0][0]) + 1:] in languages.page_words("he")["variants"], twins


@pytest.mark.parametrize("script", ["arabic", "devanagari"])
def test_receipt_fields_marks_and_near_duplicates_in_other_languages(script, tmp_path, capsys):
    """On receipts in another language: asterisk-flagged items are counted (the asterisk
    after the amount, left of it when mirrored), the price of a good listed next to the
    same good with one more word is read, usual fields are asked about and a near miss
    keeps the page's digits."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "all", "--n", "6", *GENERATE, "--set", "context=receipt",
                          "--set", f"script={script}", "--out", str(out)], capsys)
    assert rc == 0, err
    rtl = script == "arabic"
    for row in read_rows(out, "counting") + read_rows(out, "grounding") + read_rows(out, "hallucination"):
        texts = row["scene"]["texts"]
        marks = [t for t in texts if t["role"] == "mark"]
        if row["subtask"] == "counting/small_items":
            assert int(row["answer"]) == len(marks)
        for mark in marks:  # next to its line's amount, on the amount's outer side
            amount = next(t for t in texts if t["role"] == "price" and t["attributes"][0] == mark["attributes"][0])
            middle = (mark["bbox"][0] + mark["bbox"][2]) / 2
            assert middle < amount["bbox"][0] if rtl else middle > amount["bbox"][2]
        if row["subtask"] == "grounding/similar_classes":
            name = row["question"].split("price of ")[1].split(" on this receipt")[0]
            line = next(t for t in texts if t["role"] == "line_item" and t["text"].endswith(name))
            price = next(t for t in texts if t["role"] == "price" and t["attributes"][0] == line["attributes"][0])
            assert price["text"] == row["answer"]
            assert any(t["role"] == "line_item" and name.startswith(t["text"].split(" × ")[-1] + " ")
                       for t in texts), name  # the good it is told apart from is listed too
            # ... named by a word receipts of the language add to a good ("Milch Bio"), not a random word
            code = languages.default_language(script).code
            assert name.rsplit(" ", 1)[-1] in languages.page_words(code)["variants"], name
        if row["subtask"] == "hallucination/attribute":
            value = row["question"].split(" on this receipt ")[-1].removesuffix("? Answer yes or no.")
            assert len({unicodedata.name(c).split()[0] for c in value if c.isdigit()}) == 1, value


def test_menu_columns_in_another_language(tmp_path, capsys):
    """A Hebrew menu's two columns: is one dish left or right of another, as drawn (its
    first section in the right column)."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "spatial", "--subtask", "left_right", "--n", "4", *GENERATE,
                          "--set", "context=menu", "--set", "script=hebrew", "--out", str(out)], capsys)
    assert rc == 0, err
    for row in read_rows(out, "spatial"):
        texts = {t["text"]: t for t in row["scene"]["texts"] if t["role"] == "dish"}
        asked = row["question"].split(" is ", 1)[1].split(", as seen")[0]
        first, second = (texts[n]["bbox"] for n in asked.split(" to the left or to the right of "))
        assert row["answer"] == ("left" if first[2] < second[0] else "right")


def test_two_column_menus_of_a_narrow_picture_leave_long_dishes_out():
    """A narrow card (384x1024) in two columns: a Russian dish name in a wide serif left
    its line no room for the leader, and a left/right question, which needs both
    columns, drew its menu again every time (an index failed all 60 attempts). The dishes
    too long for a column are left out instead, each column keeping a section."""
    request = Request("two_columns", None, two_columns=True, language="ru")
    laid = 0
    for content, _page in laid_pages("menu", request, (384, 1024), range(20)):
        laid += 1
        assert content.columns == 2 and len(content.sections) >= 2
        assert not contexts()["menu"]._crowded_dishes(content, (384, 1024))
    assert laid >= 18


@pytest.mark.parametrize("size, language, most", [((576, 1024), "", 0.25), ((576, 1024), "de", 0.35),
                                                   ((512, 512), "", 0.1)])
def test_tall_menu_cards_are_filled_down_to_their_footer(size, language, most):
    """A phone-shaped picture (576x1024) showed a menu card whose dishes filled its top
    half: on average 52% of the card lay empty between the last dish and the footer (66%
    at 384x1024). A card taller than wide lists more sections and dishes (English), and
    every card's spacing grows, up to MAX_SPREAD, until its longest column reaches the
    footer, a dish line's height of air left: 17% empty in English, 27% in German (the
    language's page words list fewer dishes), 7% on a square card (was 15%)."""
    shares = []
    for _content, page in laid_pages("menu", Request("dish_price", None, language=language), size, range(30)):
        items = page.scene.items
        card = next(it for it in items if it.role == "paper").bbox
        listed = max(it.bbox[3] for it in items if it.role in ("dish", "price", "description", "section_heading"))
        foot = min(it.bbox[1] for it in items if it.role in ("legend", "footer", "hours", "service", "fine"))
        assert listed < foot
        shares.append((foot - listed) / (card[3] - card[1]))
    assert len(shares) >= 25 and sum(shares) / len(shares) <= most, sum(shares) / len(shares)


@pytest.mark.parametrize("language", ["", "de"])
def test_menu_prices_with_a_decimal_comma_never_read_as_a_decimal_point(language):
    """In Dancing Script a comma is a dot on the baseline at every size a card prints
    (7 to 16 px): "11,50" in it reads "11.50", and the gold answer is "11,50". Such a
    card sets its prices in its body font; prices with a decimal point, and dish fonts
    whose comma reaches below their full stop, stay as they were."""
    from gen_stress.scenes.contexts.sheet import font_named
    from gen_stress.scenes.glyphs import comma_reads_apart

    assert not any(comma_reads_apart(font_named("Dancing Script"), px) for px in range(7, 17))
    assert all(comma_reads_apart(font_named("DejaVu Serif"), px) for px in range(7, 17))
    moved = 0
    for content, page in laid_pages("menu", Request("dish_price", None, language=language), (512, 512), range(80)):
        for item in page.scene.items:
            if item.role != "price":
                continue
            font = item.layout.font
            if "," in item.text:
                assert comma_reads_apart(font, item.layout.text_px), (item.text, font.name)
            moved += font.name != content.dish_font
            assert font.name == content.dish_font or content.dish_font == "Dancing Script"
    assert moved


@pytest.mark.parametrize("context, size, stop", [("screen", (384, 384), True), ("receipt", (512, 512), False),
                                                 ("menu", (512, 512), False)])
def test_a_comma_drawn_as_a_full_stop_lets_the_full_stop_answer_too(context, size, stop):
    """A German screen at 384 px prints its prices at 5 px, where every face draws a
    comma as a full stop: "20,52" reads as well "20.52", and that answer is accepted too
    (an alias); a receipt's or a menu's prices at 512 px show their commas, and only the
    printed answer is."""
    fam = get_family("grounding")
    part = PartSpec(family="grounding", n=12, settings=(("context", context), ("language", "de")))
    part.validate(size)
    seen = 0
    for index in range(12):
        row = generate_index(fam, part, size, index)[0]
        if re.search(r"\d,\d", row["answer"]):
            seen += 1
            assert (re.sub(r"(?<=\d),(?=\d)", ".", row["answer"]) in row["aliases"]) == stop, row
    assert seen >= 2


@pytest.mark.parametrize("language", ["", "de"])
def test_wide_menu_cards_are_mostly_set_in_two_columns(language):
    """A card wider than tall in one column ran each dish's dotted leader across the
    whole card: most wide cards (85% of those the sampler sets, against half of the
    others) have two columns."""
    request = Request("dish_price", None, language=language)
    wide = [c.columns for c, _page in laid_pages("menu", request, (1024, 576), range(60))]
    square = [c.columns for c, _page in laid_pages("menu", request, (576, 576), range(60))]
    assert wide.count(2) / len(wide) >= 0.7 and 0.3 <= square.count(2) / len(square) <= 0.7


@pytest.mark.parametrize("language", ["", "th"])
def test_receipts_of_a_phone_shaped_picture_print_larger(language):
    """A receipt is photographed with the phone upright, close enough to read: on a
    576x1024 picture its print is larger than on a 576x576 one (by the square root of
    how much taller the picture is, up to twice), and the strip still fits."""
    request = Request("near_miss", None, language=language)
    tall = [c.body_px for c, _page in laid_pages("receipt", request, (576, 1024), range(20))]
    square = [c.body_px for c, _page in laid_pages("receipt", request, (576, 576), range(20))]
    assert len(tall) == len(square) == 20
    assert sum(tall) / len(tall) >= 1.25 * sum(square) / len(square)


@pytest.mark.parametrize("language", ["", "de", "ja"])
def test_receipts_in_other_languages_include_the_tax_in_their_prices(language):
    """A till outside the US prints prices with the tax (VAT) in them: the total is the
    items less the discount (the sums are checked on every receipt), and the tax line
    under it is the share of it that is tax, base * pct / (100 + pct), half-up to the
    cent. An English receipt does so in euros, pounds, francs and crowns, and adds its
    sales tax on a line above the total in dollars."""
    from gen_stress.scenes.contexts.sheet import parse_money

    request = Request("near_miss", None, language=language)
    pages = list(laid_pages("receipt", request, (512, 512), range(24)))
    assert len(pages) >= 20
    added = 0
    for content, page in pages:
        texts = [it for it in page.scene.items if hasattr(it, "layout")]
        total = next(t for t in texts if t.role == "total")
        label = next(t for t in texts if t.role == "total_label" and t.text.startswith(f"{content.tax_label} "))
        tax = min((t for t in texts if t.role == "amount"), key=lambda t: abs(t.bbox[1] - label.bbox[1]))
        base = sum(g.qty * g.unit for g in content.goods) - (content.discount or 0)
        pct = content.tax_pct
        dollars = content.money.get("symbol") == "$"
        assert content.tax_included == (not dollars)
        if content.tax_included:
            assert label.bbox[1] > total.bbox[1]
            assert parse_money(tax.text, content.money) == (2 * base * pct + 100 + pct) // (2 * (100 + pct))
        else:
            assert label.bbox[1] < total.bbox[1] and label.text.split()[0] in ("TAX", "SALES", "GST")
            assert parse_money(tax.text, content.money) == (base * pct + 50) // 100
        added += dollars
    assert 0 < added < len(pages) or language


def _twins_one_character_apart(rows: list[dict], same_script: bool) -> None:
    """Each minimal pair's answers differ in one character (an accent may come apart in
    NFD: at most two code points), with `same_script` one of the same script or digits."""
    for a, b in zip(rows[::2], rows[1::2]):
        assert a["group_id"] == b["group_id"] and a["answer"] != b["answer"]
        x, y = unicodedata.normalize("NFD", a["answer"]), unicodedata.normalize("NFD", b["answer"])
        if len(x) == len(y):
            diff = [(p, q) for p, q in zip(x, y) if p != q]
            assert len(diff) <= 2, (a["answer"], b["answer"])
            if same_script:
                assert all(unicodedata.name(q).split()[0] == unicodedata.name(p).split()[0] for p, q in diff)


@pytest.mark.parametrize("context, script", [("document", "arabic"), ("receipt", "devanagari"),
                                             ("menu", "japanese"), ("document", "greek")])
def test_pairs_change_one_character_of_the_language(context, script, tmp_path, capsys):
    """`--pairs` on a page in another language: the twin's asked text differs by one
    character, a letter of the same script (or a digit of the same numbering system)."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "ocr", "--pairs", "--n", "3", *GENERATE, "--set", f"context={context}",
                          "--set", f"script={script}", "--out", str(out)], capsys)
    assert rc == 0, err
    rows = read_rows(out)
    assert len(rows) == 6
    _twins_one_character_apart(rows, same_script=script != "japanese")  # (Japanese mixes kanji and kana)


def test_menu_fields_and_near_duplicates_in_another_language(tmp_path, capsys):
    """A Thai menu: its desserts and drinks sections are the Desserts and Drinks a question
    names (their Thai headings printed), and a dish listed next to itself plus one word is
    priced as printed."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "all", "--n", "9", *GENERATE, "--set", "context=menu",
                          "--set", "script=thai", "--out", str(out)], capsys)
    assert rc == 0, err
    sections = [name for name, _dishes in languages.page_words("th")["menu"]["sections"]]
    sections_dishes = [dishes for _name, dishes in languages.page_words("th")["menu"]["sections"]]
    english = {"Desserts": sections[2], "Drinks": sections[3], "Sides": None}
    for row in read_rows(out, "hallucination") + read_rows(out, "grounding"):
        texts = row["scene"]["texts"]
        if row["subtask"] == "hallucination/object" and " section?" in row["question"]:
            asked = row["question"].split("show a ")[1].split(" section?")[0]
            shown = english[asked] is not None and any(t["text"] == english[asked] for t in texts)
            assert row["answer"] == ("yes" if shown else "no"), (asked, row["answer"])
        if row["subtask"] == "grounding/similar_classes":
            name = row["question"].split("price of ")[1].split(" on this menu")[0]
            dish = next(t for t in texts if t["role"] == "dish" and t["text"] == name)
            price = min((t for t in texts if t["role"] == "price"), key=lambda t: abs(t["bbox"][1] - dish["bbox"][1]))
            assert price["text"] == row["answer"]
            base = next(t["text"] for t in texts if t["role"] == "dish" and name.startswith(t["text"])
                        and t["text"] != name)
            # a dish, not a drink, plus a word Thai menus add to a dish ("special")
            assert name[len(base):] in languages.page_words("th")["menu"]["variants"], name
            assert base not in sections_dishes[3], base


def test_tall_menus_in_other_languages_fill_their_card(tmp_path, capsys):
    """A phone-shaped German card lists every dish of its sections, in one column, down
    to its footer (two columns of the language's short lists left half of it blank;
    one whose fine print is asked is set as a square card is), and
    a label at an angle keeps the height its turned line takes (a nearly level label had
    kept its whole length, and the card dropped all but a dish a section to make room)."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "ocr", "--n", "6", *GENERATE, "--set", "context=menu", "--set", "language=de",
                          "--size", "384x640", "--out", str(out)], capsys)
    assert rc == 0, err
    rows = [r for r in read_rows(out, "ocr") if r["subtask"] != "ocr/tiny_text"]  # (set as a square card is)
    assert len(rows) == 4
    for row in rows:
        scene = row["scene"]
        paper = next(o for o in scene["objects"] if o["role"] == "paper")["bbox"]
        dishes = [t["bbox"] for t in scene["texts"] if t["role"] == "dish"]
        lefts = [b[0] for b in dishes]  # (a glyph's side bearing moves a line's ink by a pixel or two)
        assert len(dishes) >= 12 and max(lefts) - min(lefts) <= 3, row["subtask"]  # one column
        # Down to the footer, or to a turned label set below it (a steep one takes the foot of the card).
        floor = min([t["bbox"][1] for t in scene["texts"] if t["role"] == "label"] + [paper[3]])
        assert max(b[3] for b in dishes) - paper[1] >= 0.7 * (floor - paper[1]), row["subtask"]


def test_square_two_column_menus_in_other_languages_fill_both_columns(tmp_path, capsys):
    """A square card in two columns lists three or four sections of three dishes or more
    (two sections of two dishes, the language's short lists, had left most of it blank)."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "spatial", "--n", "12", *GENERATE, "--set", "context=menu",
                          "--set", "language=fr", "--size", "512x512", "--out", str(out)], capsys)
    assert rc == 0, err
    rows = [r for r in read_rows(out, "spatial") if r["subtask"] == "spatial/left_right"]
    assert len(rows) == 4
    for row in rows:
        dishes = [t["bbox"] for t in row["scene"]["texts"] if t["role"] == "dish"]
        middle = row["scene"]["width"] / 2
        left, right = sum(b[2] < middle for b in dishes), sum(b[0] > middle for b in dishes)
        assert left + right == len(dishes) >= 9 and min(left, right) >= 3, (left, right)


def _entry_marked(mark: dict, texts: list, role: str, rtl: bool) -> dict:
    """The dish or row label a mark follows: on its line, ending just before it as the
    line reads (the nearest such entry; a two-column menu has another at the same height)."""
    mx0, my0, mx1, my1 = mark["bbox"]
    middle = (my0 + my1) / 2
    on_line = [t for t in texts if t["role"] == role and t["bbox"][1] - 2 <= middle <= t["bbox"][3] + 2]
    gap = (lambda t: t["bbox"][0] - mx1) if rtl else (lambda t: mx0 - t["bbox"][2])
    before = [t for t in on_line if gap(t) >= -1]
    assert before, mark
    return min(before, key=gap)


@pytest.mark.parametrize("context, script, code", [("menu", "hebrew", "he"), ("menu", "thai", "th"),
                                                   ("document", "arabic", "ar"), ("document", "japanese", "ja")])
def test_daggers_in_other_languages(context, script, code, tmp_path, capsys):
    """The dagger on pages in another language: drawn in a Latin font (the script's fonts
    have none) right after the marked dish or row as it reads (at its left on a
    right-to-left page), explained in the language's words (the dagger again, read first);
    grounding/part_cue answers the one marked entry, counting/small_items on menus counts
    the marked dishes, and a minimal pair's twin counts one more or one fewer."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "grounding", "--subtask", "part_cue", "--n", "3", *GENERATE,
                          "--set", f"context={context}", "--set", f"script={script}", "--out", str(out)], capsys)
    assert rc == 0, err
    words = languages.page_words(code)
    meaning = words["menu"]["special"] if context == "menu" else words["document"]["note"]
    rtl = languages.LANGUAGES[code].direction == "rtl"
    entry = "dish" if context == "menu" else "row_label"
    rows = read_rows(out, "grounding")
    assert len(rows) == 3
    for row in rows:
        texts = row["scene"]["texts"]
        daggers = [t for t in texts if t["text"] == "†" and t["role"] == "mark"]
        assert len(daggers) == 1 and daggers[0]["font"] in ("DejaVu Sans", "DejaVu Serif", "Liberation Serif")
        marked = _entry_marked(daggers[0], texts, entry, rtl)
        assert marked["text"] == row["answer"]
        note = next(t for t in texts if t["text"] == meaning)
        lead = next(t for t in texts if t["text"] == "†" and t["role"] != "mark"
                    and abs(t["bbox"][1] + t["bbox"][3] - note["bbox"][1] - note["bbox"][3]) < 10)
        assert (lead["bbox"][0] >= note["bbox"][2]) if rtl else (lead["bbox"][2] <= note["bbox"][0])
    if context == "menu":
        out = tmp_path / "count"
        rc, _, err = run_cli(["--family", "counting", "--subtask", "small_items", "--pairs", "--n", "2", *GENERATE,
                              "--set", "context=menu", "--set", f"script={script}", "--out", str(out)], capsys)
        assert rc == 0, err
        rows = read_rows(out, "counting")
        assert len(rows) == 4
        for row in rows:
            assert int(row["answer"]) == sum(t["role"] == "mark" and t["text"] == "†" for t in row["scene"]["texts"])
        for a, b in zip(rows[::2], rows[1::2]):
            assert a["group_id"] == b["group_id"] and abs(int(a["answer"]) - int(b["answer"])) == 1


@pytest.mark.parametrize("script, code", [("hebrew", "he"), ("chinese", "zh"), ("bengali", "bn")])
def test_vegetarian_marks_in_other_languages(script, code, tmp_path, capsys):
    """counting/crowded on a menu in another language: the dishes marked V are counted,
    every one of them meatless by the page words' diets (never the grilled chicken), the
    V drawn in a Latin font after the dish as it reads and explained in the language; a
    minimal pair's twin has one V more or fewer, again only on a meatless dish."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "counting", "--subtask", "crowded", "--pairs", "--n", "3", *GENERATE,
                          "--set", "context=menu", "--set", f"script={script}", "--out", str(out)], capsys)
    assert rc == 0, err
    words = languages.page_words(code)
    meatless = {dish for (_s, dishes), diets in zip(words["menu"]["sections"], words["menu_diets"])
                for dish, diet in zip(dishes, diets) if diet in ("V", "VG")}
    rtl = languages.LANGUAGES[code].direction == "rtl"
    rows = read_rows(out, "counting")
    assert len(rows) == 6
    for row in rows:
        texts = row["scene"]["texts"]
        marks = [t for t in texts if t["role"] == "mark" and t["text"] == "V"]
        assert int(row["answer"]) == len(marks) and marks
        for mark in marks:
            assert _entry_marked(mark, texts, "dish", rtl)["text"] in meatless
        assert any(t["role"] == "legend" and t["text"] == words["menu"]["diets"]["V"] for t in texts)
    for a, b in zip(rows[::2], rows[1::2]):
        assert a["group_id"] == b["group_id"] and abs(int(a["answer"]) - int(b["answer"])) == 1


# English pages: what they were before pages learnt other languages, as sampled since
# the contexts pick what their checks pass (ids, images, questions and answers of
# `--family all --n 4` per context; parquet metadata aside), and since a document's
# stamp takes the height of its turned line (not its whole length) above the footnotes
# and a paragraph that does not fit fills the last column with its first lines; a shelf
# asks about its single facing, not a variant differing only in its cap; a question about
# a usual field picks the field before its presence (document, menu and screen rows of
# hallucination changed); a shelf's popular negatives are products shelves draw, and a
# product kept off is named by one of its variants and sizes, and two lines of the aisle
# stay off its shelves for "any X?" (its hallucination rows); a screen no longer forces one
# optional element shown and one hidden for hallucination (its rows); a shelf picks the
# product (and the detail of a variant) it asks about before its presence (its
# hallucination rows); shelves draw again before any layout rows where no product could be
# asked about (a spatial question's named products, a variant question's detail; its
# spatial and hallucination rows); a menu card's spacing grows to fill it down to its footer
# (every menu image), and a card whose dish face draws its comma as a full stop sets prices
# with a decimal comma in its body font; a shelf's near-duplicate question draws one aisle
# three times at most (its grounding rows); a shelf asked "any X?" or the price of X shows no
# package a reader could take for X unnamed, and never asks "any cereal?" (its
# hallucination rows); a receipt's near-duplicate is named by one of its good's own
# variant words ("Pancakes Blueberry", was "Pancakes Zero"), a menu's by one of its
# dish's ("Local Craft Beer", was "Chicken Craft Beer") and a table row's by one of its
# table's ("Premium Lights", was "Upper Lights": their similar_classes rows); the helper
# text under a login form's password field is one such a field shows (never "Last synced
# 2 min ago": its login screens); a menu's label at an angle keeps the height its turned
# line takes, not its whole length, below the footer (its rotated_text rows); a receipt's
# tax is its currency's country's, added in dollars, elsewhere included in the prices and
# printed under the total, and only those say in their fine print that prices include it,
# with the dates and clock of its country (every receipt); a shelf prices each product line by size, its first product's price
# 1.4 times a size up, its flavours alike (most shelves).
ENGLISH = {"document": "fe34f6b35b6f23a2", "screen": "f37d7f6b05a5eb3a", "shelf": "ecc1f0ce3313e43c",
           "receipt": "df1f7d58b7f2baf0", "menu": "e1a7976e3f91d09d"}


@pytest.mark.parametrize("context", sorted(ENGLISH))
def test_english_pages_keep_their_bytes(context, tmp_path, capsys):
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "all", "--n", "4", *GENERATE, "--set", f"context={context}",
                          "--out", str(out)], capsys)
    assert rc == 0, err
    assert _rows_digest(out)[:16] == ENGLISH[context]


def _rows_digest(out) -> str:
    """sha256 of a dataset folder's ids, images, questions and answers (parquet metadata aside)."""
    digest = hashlib.sha256()
    for path in sorted(out.rglob("*.parquet")):
        for row in pq.read_table(path, columns=["id", "image", "question", "answer"]).to_pylist():
            digest.update(row["id"].encode() + row["image"]["bytes"] + row["question"].encode()
                          + row["answer"].encode())
    return digest.hexdigest()


@pytest.mark.parametrize("settings", [["--set", "script=arabic", "--seed", "11"], ["--seed", "3"]])
def test_body_text_never_runs_over_the_table(settings, tmp_path, capsys):
    """A paragraph taller than a whole column, or one the last column cannot hold, fills
    the column with its first lines (the rest is overleaf) and is never drawn down over
    the table below it (an Arabic page at seed 11 once was); text is left over only when
    the column's foot has no room for two more lines."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "ocr", "--n", "12", *GENERATE, "--set", "context=document", *settings,
                          "--out", str(out)], capsys)
    assert rc == 0, err
    for row in read_rows(out):
        texts = row["scene"]["texts"]
        table_top = min(t["bbox"][1] for t in texts if t["role"] in ("caption", "column_header"))
        assert all(t["bbox"][3] <= table_top for t in texts if t["role"] in ("body", "section_heading")), row["id"]
        body = sorted((t["bbox"] for t in texts if t["role"] == "body"), key=lambda b: (b[0] // 50, b[3]))
        steps = [b[3] - a[3] for a, b in zip(body, body[1:]) if 0 < b[3] - a[3] < 40]
        pitch = min(steps)
        lowest = max(b[3] for b in body)
        # a page of 9 to 12 paragraphs fills a column to its foot: a heading and two lines would not fit under it
        assert table_top - lowest < pitch * 4.5 + 8, row["id"]


# Screens in other languages ---------------------------------------------------------------

SCREEN_SLOTS = ("named_box", "fine_text", "count_rows", "two_columns", "near_duplicate", "rotated_text")


def _screen(code: str, slot: str, seed: int, style: TextStyle = TextStyle(10)):
    return _page(code, slot, seed, "screen", style, count=5, two_columns=slot == "two_columns")


@pytest.mark.parametrize("code", OTHERS)
def test_screens_are_shaped_in_every_language(code):
    """A screen per language and a few slots: every label is in the language's shaping
    and passes the shaping check, NFC; its words are the language's (no English label
    of the screen left); a right-to-left screen is mirrored (text ends at the right)."""
    from gen_stress.scenes.contexts import screen_local

    english = {s for v in screen_local.ENGLISH.values() for s in (v.values() if isinstance(v, dict) else
                                                                     v if isinstance(v, list) else [v])}
    english -= set(languages._strings_in(languages.screen_words(code)))  # "Total" is French too
    rtl = languages.LANGUAGES[code].direction == "rtl"
    for k, slot in enumerate(SCREEN_SLOTS):
        content, page = _screen(code, slot, k, TextStyle(10, 90 if slot == "rotated_text" else 0))
        assert content.language == code and content.kind in screen_local.LOCAL_KINDS
        texts = [it for it in page.scene.items if hasattr(it, "layout") and not dict(it.attributes).get("icon")]
        if languages.LANGUAGES[code].script == "latin":
            assert all(it.layout.shaping is None for it in texts)
        else:
            assert all(it.layout.shaping is not None and it.layout.shaping.language == code for it in texts)
            assert not [f for it in texts for f in shaping_failures(it.layout)]
        assert all(unicodedata.is_normalized("NFC", it.text) for it in texts)
        assert not english & {it.text for it in texts}, english & {it.text for it in texts}
        title = next(it for it in texts if it.role == "app_title")
        screen = page.scene.item(1).geometry.bounds
        middle = (screen[0] + screen[2]) / 2
        assert (title.layout.bbox[0] > middle) == rtl


def _rows_of(args, tmp_path, capsys, family="all"):
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", family, *args, *GENERATE, "--set", "context=screen", "--out", str(out)], capsys)
    assert rc == 0, err
    return out


@pytest.mark.parametrize("script, code", [("arabic", "ar"), ("japanese", "ja"), ("devanagari", "hi"),
                                          ("thai", "th"), ("cyrillic", "ru")])
def test_every_family_runs_on_screens_in_other_scripts(script, code, tmp_path, capsys):
    """`--family all` on screens in the script: every family's rows record the language;
    ocr answers are the asked label as drawn (NFC, with its clusters); spatial answers
    follow the drawn boxes (mirrored in Arabic); a price asked among near-duplicates is
    printed in the locale's format."""
    out = _rows_of(["--n", "6", "--set", f"script={script}"], tmp_path, capsys)
    for family in ("ocr", "counting", "spatial", "hallucination", "grounding"):
        rows = read_rows(out, family)
        assert len(rows) == 6 and all(r["difficulty"]["language"] == code for r in rows), family
        for row in rows:
            assert unicodedata.is_normalized("NFC", row["answer"])
            texts = row["scene"]["texts"]
            if family == "ocr":
                asked = next(t for t in texts if {"name": "asked", "value": "yes"} in t["attributes"])
                assert asked["text"] == row["answer"]
                assert asked["clusters"] and sum(c["end"] - c["start"] for c in asked["clusters"]) == len(row["answer"])
            if row["subtask"] == "spatial/left_right" and " to the left or to the right of " in row["question"]:
                asked = row["question"].split(" is ", 1)[1].split(", as seen")[0]
                first, second = (next(t for t in texts if t["text"] == n)["bbox"]
                                 for n in asked.split(" to the left or to the right of "))
                assert row["answer"] == ("left" if first[2] < second[0] else "right")
            if row["subtask"] == "grounding/similar_classes":
                assert languages.parse_amount(code, row["answer"], "latn" if row["answer"][0] in "0123456789"
                                              else languages.LANGUAGES[code].native_digits) > 0
                if "price of " in row["question"]:  # a good and the good plus a word its shops add
                    asked = row["question"].split("price of ")[1].split(" on this screen")[0]
                    assert any(asked in (t["text"] + w, t["text"] + " " + w) for t in texts
                               for w in languages.page_words(code)["variants"]), asked


def test_right_to_left_screens_are_mirrored():
    """An Arabic settings screen: toggles left of their labels, the back arrow at the
    right pointing right, icons right of their labels, the first tab at the right, the
    toggle count asked with the knob to the left; English keeps its layout."""
    for code, rtl in (("ar", True), ("he", True), ("de", False)):
        for seed in range(4):
            _content, page = _screen(code, "count_rows", seed)
            items = page.scene.items
            labels = [it for it in items if getattr(it, "role", "") == "setting"]
            tracks = [it for it in items if getattr(it, "role", "") == "toggle"]
            for label, track in zip(labels, tracks):
                x0, _, x1, _ = track.geometry.bounds
                assert (x1 < label.layout.bbox[0]) == rtl and (x0 > label.layout.bbox[2]) == (not rtl)
            assert ("knob to the left" in page.counts["count_rows"].question) == rtl
            icons = {dict(it.attributes).get("icon"): it for it in items if dict(getattr(it, "attributes", ())).get("icon")}
            if "arrow-left" in icons or "arrow-right" in icons:
                assert ("arrow-right" in icons) == rtl
            if page.strip is not None:
                xs = [page.scene.item(e.ids[0]).layout.bbox[0] for e in page.strip.entries]
                assert xs == sorted(xs)  # listed left to right as seen
                first = next(it for it in items if getattr(it, "role", "") == "tab_indicator")
                assert (first.geometry.bounds[0] > xs[len(xs) // 2]) == rtl


@pytest.mark.parametrize("script", ["hebrew", "japanese", "bengali"])
def test_screen_pairs_change_one_character(script, tmp_path, capsys):
    """`--pairs` on screens in another script: ocr twins differ by one character of the
    script; hallucination twins flip their answer."""
    out = _rows_of(["--n", "3", "--pairs", "--set", f"script={script}"], tmp_path, capsys, "ocr")
    rows = read_rows(out)
    assert len(rows) == 6
    _twins_one_character_apart(rows, same_script=False)
    out = _rows_of(["--n", "4", "--pairs", "--set", f"script={script}"], tmp_path / "h", capsys, "hallucination")
    rows = read_rows(out, "hallucination")
    assert len(rows) == 8
    assert all(a["answer"] != b["answer"] for a, b in zip(rows[::2], rows[1::2]))


def test_screens_in_other_languages_are_deterministic(tmp_path, capsys):
    """The same Hebrew screens with one worker or two, byte for byte."""
    digests = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        rc, _, err = run_cli(["--family", "all", "--n", "4", "--workers", workers, "--no-progress",
                              "--set", "context=screen", "--set", "script=hebrew", "--out", str(out)], capsys)
        assert rc == 0, err
        digests.append(_rows_digest(out))
    assert digests[0] == digests[1]


def test_avatar_initials_keep_their_cluster():
    """An inbox avatar shows a name's first letter whole: a conjunct with its virama, a
    letter with its vowel sign, the Thai consonant rather than a vowel written before it."""
    from gen_stress.scenes.contexts.screen_local import initial

    assert [initial(n) for n in ("Maya Chen", "क्षमा", "কি", "เกศ", "ניץ", "كاثغ")] == \
        ["M", "क्ष", "কি", "ก", "נ", "ك"]


def test_cut_labels_end_between_clusters():
    """A truncated label is cut between grapheme clusters: never before a vowel sign or a
    Thai tone mark, never after a virama."""
    from gen_stress.scenes.contexts.screen_local import cluster_end

    assert [cut for cut in range(1, 7) if cluster_end("কির্তন", cut)] == [2, 5, 6]
    assert [cut for cut in range(1, 4) if cluster_end("ที่ดี", cut)] == [3]
    assert all(cluster_end("Quarterly report", cut) for cut in range(1, 17))
    cut_seen = 0
    for code in ("bn", "hi", "th"):
        for seed in range(6):
            content, page = _screen(code, "fine_text", seed, TextStyle(14))
            full = [r.title for r in content.rows] + [r.sub for r in content.rows]
            for it in page.scene.items:
                if getattr(it, "text", "").endswith("\u2026"):
                    shown = it.text[:-1]
                    source = next(f for f in full if f.startswith(shown))
                    assert cluster_end(source, len(shown)), (source, shown)
                    cut_seen += 1
    assert cut_seen
# Shelves and product grids in other languages ----------------------------------------------

SHELF_SCRIPTS = [("arabic", "ar"), ("hebrew", "he"), ("japanese", "ja"), ("devanagari", "hi"), ("thai", "th"),
                 ("cyrillic", "ru")]


def _shelf_page(code: str, slot: str, seed: int):
    place = contexts()["shelf"]
    request = Request(slot, TextStyle(12), 4, language=code)
    for attempt in range(30):
        try:
            content = place.sample(request, np.random.default_rng([seed, attempt]), (512, 512))
            return content, place.layout(content, request, (512, 512))
        except Resample:
            continue
    raise AssertionError("no shelf")


def _shelf_texts(page):
    """Every line a shelf page prints: text items, and the print of every package."""
    from gen_stress.scenes.packages import PackageItem

    items = [it for it in page.scene.items if hasattr(it, "layout")]
    prints = [pr for it in page.scene.items if isinstance(it, PackageItem) for pr in it.look.prints]
    return items, prints


@pytest.mark.parametrize("code", OTHERS)
def test_shelves_print_the_language_shaped(code):
    """Shelves and grids in every language: every text item and every package's print is
    NFC, in the language's shaping (none for Latin-script languages) and passes the
    shaping check; product words are the language's goods, variants its flavour words,
    prices the locale's, and a right-to-left grid ends its cards' text at their right."""
    from gen_stress.scenes.contexts.sheet import font_named
    from gen_stress.scenes.shaping import glyph_failures

    words = languages.page_words(code)
    rtl = languages.LANGUAGES[code].direction == "rtl"
    modes = set()
    for slot, seed in (("variant", 1), ("fine_text", 2), ("count_rows", 3), ("named_box", 4)):
        content, page = _shelf_page(code, slot, seed)
        modes.add(content.mode)
        assert content.language == code and content.sale_word == words["labels"]["discount"]
        items, prints = _shelf_texts(page)
        latin = languages.LANGUAGES[code].script == "latin"
        for it in items:
            assert unicodedata.is_normalized("NFC", it.text)
            assert (it.layout.shaping is None) if latin else (it.layout.shaping.language == code)
            assert not shaping_failures(it.layout), it.text
        for pr in prints:
            assert unicodedata.is_normalized("NFC", pr.text)
            assert (pr.shaping is None) if latin else (pr.shaping.language == code)
            if not latin:
                assert not glyph_failures(str(font_named(pr.font).path), 20.0, pr.text, pr.shaping), pr.text
        for p in content.products():
            assert p.name in words["goods"] and p.variant in words["shelf"]["flavours"] and p.language == code
        if content.mode == "grid" and rtl:
            for card in (it for it in page.scene.items if getattr(it, "role", "") == "card"):
                names = [it for it in items if it.role == "card_name" and it.on_item == card.item_id]
                x1 = card.geometry.bounds[2]
                assert names and all(abs(x1 - it.layout.bbox[2]) < 0.1 * (x1 - card.geometry.bounds[0])
                                     for it in names)
    assert "grid" in modes or not rtl  # (a right-to-left grid is looked at)


@pytest.mark.parametrize("code", ["de", "ru", "ar", "hi", "ja"])
def test_shelf_variants_differ_in_one_detail_of_the_language(code):
    """A product line's near-duplicates in the language: the same brand and product word,
    and one flavour word of the language or one size (CLDR's unit format through Babel,
    in the page's digits) changed; every size of a language is one unit length."""
    from gen_stress.scenes.contexts import shelf

    lang = languages.LANGUAGES[code]
    for system in {"latn", lang.native_digits or "latn"}:
        aisles, small = shelf._localized(code, system)
        assert all(len(lines) >= 6 for lines in aisles.values()) and small
        flavours = set(languages.page_words(code)["shelf"]["flavours"])
        for lines in aisles.values():
            for line in lines:
                p = shelf._product(line, np.random.default_rng(0), "")
                assert p.brand not in {ln["brand"] for other in aisles.values() for ln in other if ln is not line}
                for twin in shelf._variants_of(p, line):
                    changed = [f for f in ("variant", "size", "cap") if getattr(twin, f) != getattr(p, f)]
                    assert len(changed) == 1 and (twin.brand, twin.name) == (p.brand, p.name)
                    if changed == ["variant"]:
                        assert {twin.variant, p.variant} <= flavours
                    if changed == ["size"]:
                        digits = {unicodedata.name(c).split()[0] for c in twin.size + p.size if c.isdigit()}
                        assert len(digits) <= 1 and (system == "latn") == (digits <= {"DIGIT"})


@pytest.mark.parametrize("script, code", SHELF_SCRIPTS)
def test_shelf_rows_in_other_scripts_end_to_end(script, code, tmp_path, capsys):
    """Through the CLI, every family on shelves in the script: rows in the language, the
    asked text as printed (NFC, its clusters recorded), products named by the language's
    words; a count of sale labels counts labels marked with the language's discount word."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "all", "--n", "4", *GENERATE, "--set", "context=shelf",
                          "--set", f"script={script}", "--out", str(out)], capsys)
    assert rc == 0, err
    discount = languages.page_words(code)["labels"]["discount"]
    for family in ("ocr", "counting", "spatial", "hallucination", "grounding"):
        rows = read_rows(out, family)
        assert len(rows) == 4
        for row in rows:
            assert row["difficulty"]["language"] == code and row["difficulty"]["context"] == "shelf"
            assert unicodedata.is_normalized("NFC", row["answer"]) and image_of(row).size == (512, 512)
            if family == "ocr":
                asked = next(t for t in row["scene"]["texts"] if {"name": "asked", "value": "yes"} in t["attributes"])
                assert asked["text"] == row["answer"] and asked["clusters"]
            if row["subtask"] == "counting/crowded" and "yellow" in row["question"]:
                marks = [t for t in row["scene"]["texts"] if t["role"] == "sale_mark"]
                assert {t["text"] for t in marks} <= {discount} and int(row["answer"]) == len(marks)


def test_shelf_pairs_and_determinism_in_another_language(tmp_path, capsys):
    """`--pairs` on Arabic shelves (ocr and counting): each twin's answer differs from its
    original's, a read text by one character of the script or a digit of its system; the
    same command with two workers writes the same bytes."""
    runs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        rc, _, err = run_cli(["--family", "all", "--pairs", "--n", "4", "--workers", workers, "--no-progress",
                              "--set", "context=shelf", "--set", "script=arabic", "--out", str(out)], capsys)
        assert rc == 0, err
        runs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*.parquet")})
    assert runs[0] == runs[1]
    out = tmp_path / "out1"
    for family in ("ocr", "counting"):
        rows = read_rows(out, family)
        assert len(rows) == 8
        for a, b in zip(rows[::2], rows[1::2]):
            assert a["group_id"] == b["group_id"] and a["answer"] != b["answer"]
            if family == "ocr" and len(a["answer"]) == len(b["answer"]):
                assert sum(x != y for x, y in zip(a["answer"], b["answer"])) == 1


def test_a_thai_page_is_fitted_to_its_footnote_markers(tmp_path, capsys):
    """Pages in another language are fitted to their footnote markers as English ones
    are (paragraphs without one left out, marked ones cut to their first sentence), the
    page's arithmetic spacing lines by the script's leading: Thai stacks marks above and
    below its letters, and ends a sentence with a space, not a stop. (Every run of Thai
    footnote counting failed: each page was drawn again until the attempts ran out.)"""
    from gen_stress.scenes.contexts.document import _first_sentence

    assert _first_sentence(("กา", "ขา", " คา", "งา"), "") == ("กา", "ขา")
    assert _first_sentence(("a", "b.", " c."), ".") == ("a", "b.")
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "counting", "--subtask", "small_items", "--set", "context=document",
                          "--set", "script=thai", "--n", "4", "--seed", "1", "--out", str(out), "--no-progress"], capsys)
    assert rc == 0, err
    rows = read_rows(out, "counting")
    assert len(rows) == 4
    for row in rows:
        numbers = [t for t in row["scene"]["texts"] if t["role"] == "footnote_marker"]
        assert "footnote markers" in row["question"] and len(numbers) == int(row["answer"])


def test_cjk_footnote_markers_own_pixels_on_small_pictures(tmp_path, capsys):
    """A Chinese page of a small picture sets its body at a 5 px em, at which Noto Sans
    CJK's 5, 6, 7 and 8 own no pixel: its raised digits are set at 6 px at least, so a
    fifth footnote shows (counting footnote markers failed every attempt at 600x400)."""
    out = tmp_path / "out"
    rc, _, err = run_cli(["--family", "counting", "--subtask", "small_items", "--set", "context=document",
                          "--set", "script=chinese", "--size", "600x400", "--n", "3", "--seed", "23",
                          "--out", str(out), *GENERATE], capsys)
    assert rc == 0, err
    for row in read_rows(out, "counting"):
        numbers = [t for t in row["scene"]["texts"] if t["role"] == "footnote_marker"]
        assert len(numbers) == int(row["answer"]) and all(t["visible_px"] > 0 for t in numbers)


def test_thai_footnotes_at_a_large_size_fit_a_low_page():
    """A low picture (1024x384) holds a portrait page 384 pixels tall; Thai lines stand
    tall, and footnotes asked at 9 px set the body at 9 px too. Once its text is cut as far
    as it goes, such a page gives up what the question does not ask about: footnotes
    other than the one read, table rows down to three (a marked row kept), then body
    size. Before, nearly every draw failed ("a paragraph with a footnote marker does not
    fit") and runs stopped after 60 of them on one item."""
    from gen_stress.scenes.contexts.document import MIN_TABLE_ROWS
    from gen_stress.scenes.model import TextItem

    request = Request("fine_text", TextStyle(9), language="th")
    laid, gave_up = 0, set()
    for content, page in laid_pages("document", request, (1024, 384), range(40), never="footnote marker"):
        laid += 1
        gave_up |= {what for what, did in (("rows", len(content.rows) == MIN_TABLE_ROWS),
                                            ("notes", len(content.footnotes) == 1), ("body", content.body_px < 9)) if did}
        texts = [it for it in page.scene.items if isinstance(it, TextItem)]
        markers = [t for t in texts if t.role == "footnote_marker"]
        assert len(markers) == sum(1 for p in content.paragraphs if p.marker) == len(content.footnotes)
        read = page.targets["fine_text"]
        assert read.text == content.footnotes[content.footnote_target - 1]
        assert any(r.dagger for r in content.rows) == any("†" in t.text for t in texts)
    assert laid >= 20 and gave_up == {"rows", "notes", "body"}, (laid, gave_up)


@pytest.mark.parametrize("size,language,most", [((576, 1024), "", 0.12), ((384, 1024), "", 0.15),
                                                ((576, 1024), "de", 0.12), ((512, 512), "", 0.08)])
def test_tall_document_pages_are_filled_down_to_their_table(size, language, most):
    """A phone-shaped page (576x1024) left on average 29% of its height blank between its
    last line of text and its table (18% at 448x640): it held the text of a square page. A
    page taller than wide holds more paragraphs (tallness ** 1.25 as many, three times at
    most; what does not fit is left off its foot): 7.5% blank, 5.6% on a square page."""
    shares = []
    for _content, page in laid_pages("document", Request("list_order", None, language=language), size, range(30)):
        items = page.scene.items
        text = max(it.bbox[3] for it in items if it.role in ("body", "section_heading"))
        table = min(it.bbox[1] for it in items if it.role in ("caption", "column_header", "cell", "row_label")
                    and it.bbox[1] > text)
        shares.append((table - text) / size[1])
    assert len(shares) >= 25 and sum(shares) / len(shares) <= most, sum(shares) / len(shares)


@pytest.mark.parametrize("language", ["", "de"])
def test_both_columns_of_a_tall_page_have_section_headings(language):
    """A tall page holds more paragraphs than two to a heading: its headings are spread
    over all of them, so the second column has some and a left/right question about
    section headings is made (in German at 384x1024 it drew its page again 60 times)."""
    request = Request("two_columns", None, two_columns=True, language=language)
    laid = 0
    for _content, page in laid_pages("document", request, (384, 1024), range(12)):
        laid += 1
        assert len(page.columns) == 2 and all(column.entries for column in page.columns)
    assert laid >= 10
