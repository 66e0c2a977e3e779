"""Small edits of sampled content shared by the contexts (one home for each)."""

from __future__ import annotations

import unicodedata

import numpy as np

from gen_stress.rng import pick
from gen_stress.scenes.fonts import FontInfo

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_UPPER = _LOWER.upper()
_DIGITS = "0123456789"


def one_char_changed(text: str, font: FontInfo, rng: np.random.Generator) -> str:
    """The text with one letter or digit replaced by another of its kind that the font
    draws (so the twin reads differently by exactly one character)."""
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
    right and is not."""
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    i = positions[int(rng.integers(len(positions)))]
    # No leading zero ("$02.97"): the first digit of a number of several stays non-zero.
    old = unicodedata.digit(value[i])
    digits = [d for d in _DIGITS if d != str(old) and not (i == positions[0] and d == "0" and len(positions) > 1)]
    zero = ord(value[i]) - old  # the same numbering system's digit (Arabic-Indic, Devanagari, ...)
    return value[:i] + chr(zero + int(pick(rng, digits))) + value[i + 1:]
