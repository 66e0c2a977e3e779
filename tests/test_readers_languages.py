"""Reference readers and languages: each item's language reaches the engine (`-l ara`),
an engine without a model for it declines the item and says why, and right-to-left lines
come back in logical order."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from gen_stress.readers import item_language, predictions
from gen_stress.readers.engines import RAPIDOCR_LANGUAGES, TESSERACT_LANGUAGES, Line, join_unspaced
from gen_stress.readers.rule import Sign, lines_on
from gen_stress.scenes.languages import LANGUAGES

QUESTION = "What does the text on the red sign say? Answer with the text exactly as printed."


def test_every_language_has_a_tesseract_model_name():
    assert set(TESSERACT_LANGUAGES) == set(LANGUAGES)
    assert TESSERACT_LANGUAGES["zh"] == "chi_sim" and TESSERACT_LANGUAGES["ar"] == "ara"
    assert set(RAPIDOCR_LANGUAGES) == {"en", "zh"}
    from gen_stress.readers.engines import Tesseract

    assert Tesseract.models("ar") == "ara+eng" and Tesseract.models("de") == "deu"  # Latin digits outside Latin


def test_item_language_from_its_knobs():
    assert item_language({"difficulty": {}}) == "en"  # datasets made before scripts
    assert item_language({"difficulty": {"script": "arabic"}}) == "ar"
    assert item_language({"difficulty": {"script": "arabic", "language": "fa"}}) == "fa"
    assert item_language({"difficulty": {"script": "chinese", "language": ""}}) == "zh"


def test_cjk_and_thai_lose_the_spaces_an_engine_puts_between_characters():
    assert join_unspaced("东 京 站") == "东京站"
    assert join_unspaced("カ タ カ ナ") == "カタカナ"
    assert join_unspaced("ภา ษา") == "ภาษา"
    assert join_unspaced("12,50 €") == "12,50 €" and join_unspaced("2024年 3月") == "2024年 3月"
    assert join_unspaced("서울 역") == "서울 역"  # Korean keeps its word spaces


def test_right_to_left_lines_come_in_logical_order():
    mask = np.zeros((40, 200), dtype=bool)
    mask[5:35, 5:195] = True
    sign = Sign(mask, (5, 5, 195, 35), "red", 0.0, {})
    right, left = Line("سلام", (110, 10, 180, 30), 0.9), Line("عليكم", (20, 10, 90, 30), 0.9)
    assert [ln.text for ln in lines_on(sign, [left, right], rtl=True)] == ["سلام", "عليكم"]
    assert [ln.text for ln in lines_on(sign, [right, left])] == ["عليكم", "سلام"]


class _Engine:
    """Records what it is asked: the language of each call."""

    version = "recording engine"

    def __init__(self, languages):
        self.languages, self.asked = languages, []

    def supports(self, language):
        return language in self.languages

    def unsupported(self, language):
        return f"no model for {language}"

    def lines(self, rgb, language="en"):
        self.asked.append(language)
        return []

    def read_crop(self, rgb, language="en"):
        self.asked.append(language)
        return "x"


def test_predictions_pass_the_language_and_decline_what_the_engine_cannot_read():
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (200, 120), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((40, 30, 160, 90), fill=(220, 30, 30))
    ImageDraw.Draw(image).rectangle((70, 50, 130, 70), fill=(0, 0, 0))  # the ink
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    png = {"bytes": buffer.getvalue()}
    items = [{"id": f"i{k}", "answer_type": "text", "question": QUESTION, "image": png,
              "difficulty": difficulty} for k, difficulty in enumerate(
        [{"script": "arabic"}, {"script": "korean"}, {}, {"script": "latin", "language": "de"}])]
    engine = _Engine({"ar", "en", "de"})
    records = list(predictions(engine, items))
    assert [r["prediction"] is None for r in records] == [False, True, False, False]
    assert records[1]["abstain"] == "no model for ko"
    assert set(engine.asked) == {"ar", "en", "de"}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract is not installed")
def test_tesseract_says_which_data_package_is_missing():
    from gen_stress.readers.engines import Tesseract

    engine = Tesseract()
    assert engine.supports("en")
    missing = engine.unsupported("zh")
    assert "tesseract-ocr-chi-sim" in missing
