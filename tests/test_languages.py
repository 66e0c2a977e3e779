"""Text in every script: own letters, NFC, inside the charset, Babel's locale formats."""

import unicodedata

import numpy as np
import pytest
from babel.dates import format_date
from babel.numbers import format_currency

from gen_stress.scenes import content
from gen_stress.scenes.languages import (
    LANGUAGE_KINDS, LANGUAGES, SCRIPTS, charset, default_language, draw_date, draw_price, make_text, words,
)

# Unicode character-name prefixes of each script's letters.
SCRIPT_NAMES = {
    "latin": ("LATIN",), "cyrillic": ("CYRILLIC",), "greek": ("GREEK",), "arabic": ("ARABIC",),
    "hebrew": ("HEBREW",), "devanagari": ("DEVANAGARI",), "bengali": ("BENGALI",), "thai": ("THAI",),
    "chinese": ("CJK UNIFIED",), "japanese": ("CJK UNIFIED", "HIRAGANA", "KATAKANA"), "korean": ("HANGUL",),
}
SEEDS = range(150)
WORD_KINDS = ("word", "pseudoword", "misspelled")


def _in_script(char: str, script: str) -> bool:
    return unicodedata.name(char, "").startswith(SCRIPT_NAMES[script])


def _printed(text: str, digit_zero: int = 0x30) -> str:
    """Babel's string as the makers print it (own re-statement: format marks dropped,
    no-break spaces as spaces, digits of the numbering system)."""
    text = "".join(" " if c in "\u00a0\u202f" else c for c in text if unicodedata.category(c) != "Cf")
    text = "".join(chr(digit_zero + int(c)) if c.isdigit() and c.isascii() else c for c in text)
    return unicodedata.normalize("NFC", text.strip())


def test_every_script_has_languages():
    assert {lang.script for lang in LANGUAGES.values()} == set(SCRIPTS)
    for script in SCRIPTS:
        assert default_language(script).script == script
    assert default_language("latin").code == "en"
    assert {"de", "fr", "es", "ru", "uk", "ar", "fa", "hi", "mr"} <= set(LANGUAGES)
    assert all(lang.direction == ("rtl" if lang.script in ("arabic", "hebrew") else "ltr")
               for lang in LANGUAGES.values())


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_text_is_nfc_in_charset_and_in_its_script(code):
    lang, allowed = LANGUAGES[code], charset(code)
    for kind in LANGUAGE_KINDS:
        seen = set()
        for seed in SEEDS:
            text, prior = make_text(code, kind, np.random.default_rng(seed), 12)
            seen.add(text)
            assert text and text == unicodedata.normalize("NFC", text), (kind, text)
            assert set(text + prior) <= allowed, (kind, text, set(text + prior) - allowed)
            letters = [c for c in text if c.isalpha()]
            if kind in WORD_KINDS or (kind == "code" and lang.script != "latin"):
                assert letters and all(_in_script(c, lang.script) for c in letters), (kind, text)
            if kind in ("price", "number", "date"):
                assert any(unicodedata.category(c) == "Nd" for c in text), (kind, text)
        assert len(seen) > 20, (kind, sorted(seen)[:5])  # varied, not one string


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_pseudowords_and_misspellings_are_not_words(code):
    listed = set(words(code)) | (content.dictionary() if code == "en" else set())
    vocabulary = {w.casefold() for w in listed}  # the makers print words in upper case too
    for seed in SEEDS:
        pseudo, _ = make_text(code, "pseudoword", np.random.default_rng(seed), 10)
        assert pseudo.casefold() not in vocabulary
        wrong, right = make_text(code, "misspelled", np.random.default_rng(seed), 12)
        assert wrong != right and wrong.casefold() not in vocabulary
        assert right.casefold() in vocabulary


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_prices_and_dates_are_babel_locale_formats(code):
    lang = LANGUAGES[code]
    native_zero = {"arab": 0x660, "arabext": 0x6F0, "deva": 0x966, "beng": 0x9E6, "thai": 0xE50}
    for seed in SEEDS:
        if code != "en":  # English prices are scenes/content's, unchanged
            amount, system = draw_price(lang, np.random.default_rng(seed), 12)
            expected = _printed(format_currency(amount, lang.currency, locale=lang.locale, numbering_system=system),
                                native_zero.get(system, 0x30))
            assert make_text(code, "price", np.random.default_rng(seed), 12)[0] == expected
        day, style, system = draw_date(lang, np.random.default_rng(seed), 12)
        expected = _printed(format_date(day, style, locale=lang.locale), native_zero.get(system, 0x30))
        assert make_text(code, "date", np.random.default_rng(seed), 12)[0] == expected


def test_locale_formats_differ_where_locales_do():
    rng_text = {code: make_text(code, "number", np.random.default_rng(3), 14)[0] for code in ("de", "fr", "hi")}
    assert "." in rng_text["de"] or "," in rng_text["de"]
    assert _printed(format_currency(1234.5, "EUR", locale="de_DE")) == "1.234,50 €"
    assert _printed(format_currency(1234.5, "EUR", locale="fr_FR")) == "1 234,50 €"


@pytest.mark.parametrize("kind", content.CONTENT_KINDS)
def test_english_is_scenes_content_draw_for_draw(kind):
    for seed in SEEDS:
        assert (make_text("en", kind, np.random.default_rng(seed), 9)
                == content.make_text(kind, np.random.default_rng(seed), 9))


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_same_seed_same_text(code):
    for kind in LANGUAGE_KINDS:
        first = [make_text(code, kind, np.random.default_rng(s), 10) for s in range(20)]
        assert first == [make_text(code, kind, np.random.default_rng(s), 10) for s in range(20)]


def test_avoided_characters_never_appear():
    avoid = frozenset("08")
    for code in LANGUAGES:
        for seed in SEEDS:
            for kind in content.GLYPH_CHECKED:
                text, _ = make_text(code, kind, np.random.default_rng(seed), 10, avoid)
                assert not set(text) & avoid, (code, kind, text)


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_charset_is_small_and_word_lists_are_clean(code):
    limit = 4000 if LANGUAGES[code].script in ("chinese", "japanese", "korean") else 200
    assert len(charset(code)) < limit
    listed = words(code)
    assert 1000 <= len(listed) <= 5000 or code == "en"
    assert all(w == unicodedata.normalize("NFC", w) and " " not in w for w in listed)


# Words that only the annotations of weapons, death, vomit, religion or identity emoji
# give CLDR's lists (scripts/build_word_lists.py SENSITIVE): never drawn on a page.
LEFT_OUT = {
    "de": ("Tod", "Muslim", "Moslem", "Jude", "kotzen", "Pistole", "Transgender", "Religion"),
    "es": ("muerte", "islam", "vomitar", "pistola", "mierda", "judaísmo", "transgénero"),
    "fr": ("mort", "vomir", "musulman", "juif", "pistolet"),
    "ru": ("смерть", "блевать", "иудаизм", "пистолет", "мусульмане", "религия"),
    "he": ("מוות", "ירייה"),
    "ko": ("무슬림", "예배공간"),
}


@pytest.mark.parametrize("code", sorted(LEFT_OUT))
def test_word_lists_leave_out_what_only_sensitive_emoji_give(code):
    listed = set(words(code))
    assert not listed & set(LEFT_OUT[code])
    shared = {"de": "Hand", "es": "agua", "fr": "main", "ru": "рука", "he": "מים", "ko": "손가락"}[code]
    assert shared in listed  # a hand, water, a finger: benign emoji give them too


def test_card_names_the_word_lists_and_copies_their_licences(tmp_path):
    from collections import Counter

    from gen_stress.card import _words_section
    from gen_stress.pipeline import Summary

    none = Summary()
    assert _words_section({("ocr", "test"): none}, tmp_path) == []  # today's cards stay as they were
    used = Summary(categorical={"language": Counter({"ar": 3, "en": 2})})
    lines = "\n".join(_words_section({("ocr", "test"): used}, tmp_path))
    assert "Babel" in lines
    assert "Arabic (`ar`, arabic)" in lines and "Unicode-DFS-2016" in lines and "SCOWL" in lines
    assert (tmp_path / "licenses" / "words" / "LICENSE-CLDR.txt").read_text().count("Unicode, Inc.") >= 1
    assert (tmp_path / "licenses" / "words" / "words-LICENSE.txt").exists()


def test_a_dataset_in_another_language_names_its_word_list_in_the_card(tmp_path, capsys):
    from conftest import read_rows, run_cli

    out = tmp_path / "fa"
    code, _, err = run_cli(["--family", "ocr", "--n", "4", "--workers", "1", "--no-progress", "--size", "320x320",
                            "--set", "script=arabic", "--set", "language=fa", "--out", str(out)], capsys)
    assert code == 0, err
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "## Words" in card and "Persian (`fa`, arabic)" in card and "Unicode-DFS-2016" in card
    assert (out / "licenses" / "words" / "LICENSE-CLDR.txt").exists()
    allowed = charset("fa")
    for row in read_rows(out):
        assert row["difficulty"]["language"] == "fa"
        assert row["answer"] == unicodedata.normalize("NFC", row["answer"])
        assert set(row["answer"]) <= allowed or not row["answerable"]


def test_casings_and_fitting_words_are_the_word_by_word_ones():
    """A character set's casings made on the words joined by newlines, and the words
    that fit a room picked by one comparison of lengths, are what casing, normalising
    and filtering word by word give (final sigma and leading marks included)."""
    from gen_stress.scenes import content
    from gen_stress.scenes import languages as langs

    def by_word(code, texts):
        chars = set()
        for text in texts:
            for style in langs._casings(code):
                chars.update(langs._nfc(langs._case(text, style)))
                chars.update(langs._nfc(langs._case(text, style).lower()))
        return chars

    tricky = ["ΟΔΟΣ", "Σ", "\u0301ab", "aΣ\u0301", "ΣΑΣ'", "ά", "Ά", "straße"]
    for code in langs.LANGUAGES:
        texts = list(langs.words(code) if code != "en" else content.common_words()) + tricky
        assert langs._all_casings(code, texts) == by_word(code, texts), code
        words = langs.words(code)
        for low, high in ((1, 3), (2, 7), (3, 12), (1, 40), (30, 2)):
            fitting = tuple(w for w in words if low <= len(w) <= high) or tuple(sorted(words, key=len)[:20])
            assert langs._words_up_to(code, high, low) == fitting, (code, low, high)
