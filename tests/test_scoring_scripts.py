"""Text answers in other scripts: both sides normalised the same way before exact match,
ANLS and CER (presentation forms, width variants, marks, NFC/NFD); order is never touched."""

from __future__ import annotations

import unicodedata

import pytest

from gen_stress.scoring import score_item, summarize
from gen_stress.scoring.metrics import anls, cer
from gen_stress.scoring.parse import TEXT_NORMALIZATIONS, normalization_counts, normalize_text
from gen_stress.scoring.report import markdown
from gen_stress.scoring.report_html import normalization_html


def _item(answer: str, k: int = 0) -> dict:
    return {"id": f"t{k}", "family": "ocr", "subtask": "ocr/read_text", "answer": answer, "answer_type": "text",
            "choices": [], "aliases": [], "answerable": True, "difficulty": {}, "group_id": ""}


def _same(reply: str, gold: str) -> bool:
    """Right by exact match, with ANLS 1 and CER 0."""
    score = score_item(_item(gold), reply)
    return score["exact"] and score["anls"] == 1.0 and score["cer"] == 0.0


SALAM = "سلام"  # sin, lam, alef, mim (logical order)
SALAM_FORMS = "\uFEB3\uFEFC\uFEE1"  # initial sin, final lam-alef ligature, isolated mim
SHALOM = "שלום"


def test_arabic_presentation_forms_fold_to_base_letters():
    assert not set(SALAM_FORMS) & set(SALAM)
    assert _same(SALAM_FORMS, SALAM) and _same(SALAM, SALAM_FORMS)
    assert _same("ﻻ", "لا")  # the lam-alef ligature, isolated


def test_arabic_tatweel_bidi_marks_and_vowel_marks_are_not_required():
    assert _same("سـلـام", SALAM)  # kashida stretches
    assert _same("\u200f" + SALAM + "\u200f", SALAM)  # right-to-left marks around it
    assert _same("سَلَامٌ", SALAM)  # fatha, fatha, dammatan
    assert not _same("سلم", SALAM)  # a letter is still a letter


def test_right_to_left_answers_compare_in_logical_order():
    assert _same(SALAM, SALAM)
    visual = SALAM[::-1]  # what a reader that returns drawing order would give
    assert not score_item(_item(SALAM), visual)["exact"]
    assert cer(visual, SALAM) > 0.5 and anls(visual, SALAM) == 0.0
    assert not _same(SHALOM[::-1], SHALOM)


def test_hebrew_niqqud_and_cantillation_are_not_required():
    pointed = "שָׁלוֹם"  # qamats, shin dot, holam
    assert pointed != SHALOM and _same(pointed, SHALOM) and _same(SHALOM, pointed)
    assert _same("שָׁל֑וֹם", SHALOM)  # with an etnahta accent
    assert _same("\uFB2Aלום", SHALOM)  # shin with shin dot as one presentation form
    assert not _same("שלומ", SHALOM)  # a final letter is a letter: mem is not final mem
    assert _same("8 באוק' 2011", "8 באוק׳ 2011")  # geresh typed as an apostrophe
    assert _same('צה"ל', "צה״ל") and _same("בית-ספר", "בית־ספר")  # gershayim, maqaf


def test_cjk_full_width_and_half_width_forms_fold():
    assert _same("ＡＢＣ－１２３", "ABC-123")
    assert _same("ｶﾀｶﾅ", "カタカナ")  # half-width katakana
    assert _same("ﾊﾟﾝ", "パン")  # half-width voiced mark joins its kana
    assert _same("東京　駅", "東京 駅")  # ideographic space
    assert _same("￥4,095", "¥4,095")
    assert not _same("東京", "京東")


def test_combining_marks_nfc_and_nfd_compare_equal():
    for text in ("café", "Ελληνικά", "Ёлка", "한국어", "Mañana"):
        assert _same(unicodedata.normalize("NFD", text), text), text
    assert _same("\u0958", "\u0915\u093C")  # Devanagari qa: one code point or ka with nukta
    assert _same("\u09DC", "\u09A1\u09BC")  # Bengali rra likewise
    assert not _same("\u0915", "\u0915\u093C")  # the nukta is part of the letter


def test_latin_normalisation_is_what_it_was():
    def before(text: str) -> str:  # normalize_text before scripts were added
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    for text in ("EXIT", "  Exit\t now ", "$1,234.56", "12,50\u00a0€", "ﬁne", "Straße", "HELL0", "ŒUVRE", "x²"):
        assert normalize_text(text) == before(text)


def test_counts_say_which_normalisations_changed_a_text():
    counts = normalization_counts(["שָׁלוֹם", SALAM_FORMS, "ＡＢＣ", "سـلام", "EXIT", "\u200fx"])
    assert list(counts) == [name for name, _doc, _step in TEXT_NORMALIZATIONS]
    assert counts["hebrew_marks"] == 1 and counts["tatweel"] == 1 and counts["bidi_marks"] == 1
    assert counts["nfkc"] == 2  # the presentation forms and the full-width letters (the niqqud is NFC already)
    assert counts["casefold"] == 2  # the folded ＡＢＣ and EXIT


def test_report_says_which_normalisations_were_applied():
    golds = [SHALOM, SALAM, "ABC-123", "EXIT"]
    replies = ["שָׁלוֹם", SALAM_FORMS, "ＡＢＣ－１２３", "exit"]
    items = [_item(g, k) for k, g in enumerate(golds)]
    report = summarize(items, [score_item(i, r) for i, r in zip(items, replies)])
    text = report["overall"]["answer_types"]["text"]
    assert text["exact"] == 1.0
    assert text["normalized"]["hebrew_marks"] == 1 and text["normalized"]["nfkc"] == 2
    assert report["settings"]["text_normalization"] == [name for name, _doc, _step in TEXT_NORMALIZATIONS]
    report["inputs"] = {"dataset": "d", "split": "test", "families": ["ocr"], "predictions": "p.jsonl",
                        "format": "jsonl", "matched": 4}
    report["problems"] = {k: {"count": 0, "list": []}
                          for k in ("missing", "unknown", "malformed", "duplicates", "bad_confidence")}
    md = markdown(report, {})
    assert "Hebrew points (niqqud) and cantillation marks removed: 1" in md
    assert "Arabic presentation forms to base letters" in md and "logical order" in md
    html = normalization_html(report)
    assert "Hebrew points (niqqud)" in html and "full-width and half-width forms" in html


@pytest.mark.parametrize("reply, gold", [("EXIT", "EXIT"), ("Exit", "EXIT")])
def test_latin_answers_score_as_before(reply, gold):
    assert _same(reply, gold)
