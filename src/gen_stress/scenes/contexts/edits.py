"""Small edits of sampled content shared by the contexts (one home for each)."""

from __future__ import annotations

import unicodedata

import numpy as np

from gen_stress.errors import Resample
from gen_stress.rng import pick
from gen_stress.scenes import languages
from gen_stress.scenes.fonts import FontInfo
from gen_stress.scenes.glyphs import MIN_TELL_PX, look_alike

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"


def one_char_changed(text: str, font: FontInfo, rng: np.random.Generator, language: str = "",
                     text_px: int = 12) -> str:
    """The text with one letter or digit replaced by another of its kind that the font
    draws (so the twin reads differently by exactly one character). A page in a script
    beyond Latin (`language`) changes a letter of its own (`_changed_in_script`)."""
    if language and languages.LANGUAGES[language].script != "latin":
        return _changed_in_script(text, font, rng, language, text_px)
    positions = [i for i, c in enumerate(text) if c.isalnum() and c.isascii()]
    if not positions:
        raise ValueError(f"no letter or digit to change in {text!r}")
    i = positions[int(rng.integers(len(positions)))]
    old = text[i]
    pool = _DIGITS if old.isdigit() else _LOWER if old.islower() else _UPPER
    new = pick(rng, [c for c in pool if c != old and font.draws(c)])
    return text[:i] + new + text[i + 1:]


def near_miss(value: str, rng: np.random.Generator) -> str:
    """A printed number with one digit changed ("12.49" -> "12.40"): a value that looks
    right and is not. Its trailing zeros stay: a price in whole thousands ("5,000") or
    tens of cents ("12.40") keeps that step ("6,000", "12.30"), as the page's own prices
    do; "5,030" on a menu priced in thousands could be refused on sight, unread."""
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    changeable = positions
    while len(changeable) > 1 and unicodedata.digit(value[changeable[-1]]) == 0:
        changeable = changeable[:-1]
    i = changeable[int(rng.integers(len(changeable)))]
    # No leading zero ("$02.97"): the first digit of a number of several stays non-zero.
    old = unicodedata.digit(value[i])
    digits = [d for d in _DIGITS if d != str(old) and not (i == positions[0] and d == "0" and len(positions) > 1)]
    zero = ord(value[i]) - old  # the same numbering system's digit (Arabic-Indic, Devanagari, ...)
    return value[:i] + chr(zero + int(pick(rng, digits))) + value[i + 1:]


def _changed_in_script(text: str, font: FontInfo, rng: np.random.Generator, language: str, text_px: int) -> str:
    """One letter changed to another of its kind in the language (consonant for
    consonant, vowel letter for vowel letter, an independent Indic vowel for another, a
    CJK character or Hangul syllable for another), the case kept, or a digit to another
    of its numbering system; Cyrillic and Greek letters never to one the font draws alike
    at this size. A broken cluster is refused by the shaping check at verify."""
    script = languages.LANGUAGES[language].script
    classes = languages.letter_classes(language)
    plain = script not in languages.CASED
    kinds = [tuple(c for c in kind if len(c) == 1 and (plain or len(unicodedata.normalize("NFD", c)) == 1))
             for kind in (classes.consonants, classes.vowels, classes.initial_vowels)]
    positions = [i for i, c in enumerate(text)
                 if unicodedata.category(c) in ("Lu", "Ll", "Lo", "Nd") and not unicodedata.combining(c)]
    for _ in range(20):
        if not positions:
            break
        i = positions[int(rng.integers(len(positions)))]
        old = text[i]
        if unicodedata.category(old) == "Nd":
            zero = ord(old) - unicodedata.digit(old)
            pool = [chr(zero + k) for k in range(10)]
        else:
            kind = next((k for k in kinds if old.lower() in k), kinds[0] if script in languages.CJK else ())
            pool = [c for c in (c.upper() if old.isupper() else c for c in kind) if len(c) == 1]
        compare = script in languages.CASED and text_px >= MIN_TELL_PX
        options = [c for c in dict.fromkeys(pool) if c != old and font.draws(c)
                   and not (compare and look_alike(font, old, c, text_px, 0))]
        if options:
            changed = unicodedata.normalize("NFC", text[:i] + pick(rng, options) + text[i + 1:])
            if changed != text and not font.missing(changed):
                return changed
    raise Resample("no one-character change for the twin")
