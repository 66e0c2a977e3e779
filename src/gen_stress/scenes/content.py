"""What OCR text says: dictionary words, pseudowords, codes, prices, misspellings.

Each maker returns (text, prior_text): prior_text is what a language prior would "read"
instead (the correct spelling of a misspelled word), empty when there is none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources

import numpy as np

from gen_stress.rng import pick

CONTENT_KINDS = ("word", "pseudoword", "code", "price", "misspelled")

# Characters that OCR confuses with one another: codes draw from these on purpose.
CONFUSABLE = "8B3E0ODQ1IL7Z2S5G6"
CODE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ" + "OIQ"
CODE_DIGITS = "0123456789"
VOWELS = "aeiou"
ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
          "br", "cl", "dr", "fl", "gr", "pl", "sk", "st", "tr", "sh", "ch", "th"]
CODAS = ["", "", "", "n", "r", "l", "s", "t", "m", "k", "nd", "st"]


def _lines(name: str) -> list[str]:
    text = resources.files("gen_stress").joinpath("data", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@cache
def dictionary() -> frozenset[str]:
    return frozenset(_lines("words.txt"))


@cache
def common_words() -> tuple[str, ...]:
    return tuple(word for line in _lines("common_words.txt") for word in line.split())


def _casing(word: str, rng: np.random.Generator) -> str:
    style = int(rng.integers(3))
    return word if style == 0 else word.capitalize() if style == 1 else word.upper()


@cache
def _common_between(low: int, high: int) -> tuple[str, ...]:
    return tuple(w for w in common_words() if low <= len(w) <= high)


def make_word(rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    return _casing(pick(rng, _common_between(1, max_chars)), rng), ""


def make_pseudoword(rng: np.random.Generator, max_chars: int, avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Pronounceable but not a word: the reader cannot lean on a vocabulary. None of the
    `avoid` strings (look-alikes in the font drawn, see scenes.glyphs) occurs in it."""
    for _ in range(100):
        word = "".join(pick(rng, ONSETS) + pick(rng, VOWELS) + pick(rng, CODAS)
                       for _ in range(int(rng.integers(2, 4))))
        if 4 <= len(word) <= max_chars and word not in dictionary():
            cased = _casing(word, rng)
            if not holds_any(cased, avoid):
                return cased, ""
    return make_code(rng, max_chars, avoid)


def holds_any(text: str, avoid) -> bool:
    """Whether the text holds one of the `avoid` strings: asked about the strings the
    text holds when `avoid` decides them one by one (scenes.glyphs.LookAlikes)."""
    in_text = getattr(avoid, "in_text", None)
    return in_text(text) if in_text is not None else any(s in text for s in avoid)


def make_code(rng: np.random.Generator, max_chars: int, avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Serial-number-like codes, dense in 8/3/B and 0/O confusions, without the `avoid`
    characters (those the font drawn makes identical to another)."""
    patterns = ["LLDD-DDD", "LDD-LDL", "DDDD-LL", "LL-DDDD", "DLD-DLD", "LLLDDD", "DD-LDDL"]
    pattern = pick(rng, [p for p in patterns if len(p) <= max_chars] or ["LDD"])
    chars = []
    for slot in pattern:
        if slot == "-":
            chars.append("-")
            continue
        pool = "".join(c for c in (CODE_LETTERS if slot == "L" else CODE_DIGITS) if c not in avoid)
        confusable = "".join(c for c in CONFUSABLE if c in pool)
        if confusable and rng.random() < 0.5:  # half the characters come from the confusable set
            pool = confusable
        chars.append(pick(rng, pool))
    return "".join(chars), ""


def make_price(rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    amount = float(np.round(rng.uniform(0.05, 2000.0) if rng.random() < 0.3 else rng.uniform(0.05, 99.99), 2))
    style = int(rng.integers(4))
    if style == 0:
        text = f"${amount:,.2f}"
    elif style == 1:
        text = f"£{amount:,.2f}"
    elif style == 2:
        text = f"{amount:,.2f} €".replace(",", " ").replace(".", ",")
    else:
        text = f"${amount:.2f}"
    if len(text) > max_chars:
        text = f"${amount % 100:.2f}"
    return text, ""


def _misspell(word: str, rng: np.random.Generator) -> str | None:
    edits = []
    for i in range(1, len(word) - 2):  # swap two inner neighbours
        if word[i] != word[i + 1]:
            edits.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    for i in range(1, len(word) - 1):  # drop a doubled letter, or double a single one
        if word[i] == word[i - 1]:
            edits.append(word[:i] + word[i + 1:])
        elif word[i] not in VOWELS:
            edits.append(word[:i] + word[i] + word[i:])
    for i in range(1, len(word) - 1):  # one vowel for another
        if word[i] in VOWELS:
            edits.extend(word[:i] + v + word[i + 1:] for v in VOWELS if v != word[i])
    edits = [e for e in edits if e != word and e not in dictionary()]
    return pick(rng, edits) if edits else None


def make_misspelled(rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    """A common word with one edit that is not itself a word: a prior "corrects" it."""
    pool = _common_between(5, max_chars)
    for _ in range(50):
        word = pick(rng, pool)
        wrong = _misspell(word, rng)
        if wrong is not None:
            style = int(rng.integers(3))
            cased = [(wrong, word), (wrong.capitalize(), word.capitalize()), (wrong.upper(), word.upper())][style]
            return cased
    raise RuntimeError("no misspelling found")  # unreachable with the shipped word list


# Covering part of a text ---------------------------------------------------------------

COVER_SHARE = 0.3  # a partial cover hides this share of the characters
WHOLE_COVER = ("word", "misspelled")  # anyone completes "P▇▇sent": cover these whole


DIGIT_COVER = ("price", "number", "date")  # only a hidden digit is lost: the rest follows from the format


def _recoverable(text: str, hidden: list[int], kind: str, words_of_length: Callable[[int], tuple[str, ...]]) -> bool:
    """True when a reader could still tell what the hidden characters are."""
    shown = [text[i] for i in hidden]
    # A hidden separator or currency sign is guessed from the format, and the rest of a
    # month name gives the month.
    if kind in DIGIT_COVER:
        return not any(c.isdigit() for c in shown)
    if not any(c.isalnum() for c in shown):  # only a dash of a code
        return True
    if kind == "pseudoword":  # no dictionary word may fit what is left
        hide = set(hidden)
        pattern = "".join("." if i in hide else re.escape(c.lower()) for i, c in enumerate(text))
        words = words_of_length(len(text))
        lines = _as_lines(words)
        if lines is None:
            return any(re.fullmatch(pattern, w) for w in words)
        # A word matched whole is a whole line matched: "." never crosses a line break.
        return re.search(f"^(?:{pattern})$", lines, re.MULTILINE) is not None
    return False


_LINES: dict[int, tuple[tuple[str, ...], str | None]] = {}


def _as_lines(words: tuple[str, ...]) -> str | None:
    """The words one per line, joined once per word tuple (one regex search over them
    instead of one match per word); None when a word holds a line break."""
    entry = _LINES.get(id(words))
    if entry is None or entry[0] is not words:
        entry = _LINES[id(words)] = (words, None if any("\n" in w for w in words) else "\n".join(words))
    return entry[1]


@cache
def _words_of_length(n: int) -> tuple[str, ...]:
    return tuple(w for w in dictionary() if len(w) == n)


def hidden_span(text: str, kind: str, rng: np.random.Generator,
                words_of_length: Callable[[int], tuple[str, ...]] | None = None) -> list[int]:
    """Indices of the characters to cover so that nobody can recover them: the whole text
    for words (a partly covered word is read whole anyway), else a run of about
    COVER_SHARE of the characters that holds something unguessable (a digit of a price,
    number or date, a letter of a code, pseudoword letters no dictionary word
    completes); the whole text when no run does. `words_of_length(n)` gives the
    lower-case words of n characters a reader might complete a pseudoword to (default:
    the English dictionary)."""
    chars = [i for i, c in enumerate(text) if not c.isspace()]
    if kind in WHOLE_COVER:
        return chars
    count = max(1, round(COVER_SHARE * len(chars)))
    vocabulary = words_of_length or _words_of_length
    starts = [s for s in range(len(chars) - count + 1)
              if not _recoverable(text, chars[s:s + count], kind, vocabulary)]
    if not starts:
        return chars
    start = starts[int(rng.integers(len(starts)))]
    return chars[start:start + count]


MAKERS = {
    "word": make_word,
    "pseudoword": make_pseudoword,
    "code": make_code,
    "price": make_price,
    "misspelled": make_misspelled,
}


GLYPH_CHECKED = ("code", "pseudoword")  # no vocabulary tells a reader which look-alike is printed


def make_text(kind: str, rng: np.random.Generator, max_chars: int,
              avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """A text of the kind; codes and pseudowords hold none of the `avoid` strings."""
    if kind in GLYPH_CHECKED:
        return MAKERS[kind](rng, max(max_chars, 5), avoid)
    return MAKERS[kind](rng, max(max_chars, 5))
