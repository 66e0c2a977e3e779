"""Text in other scripts and languages: words, pseudowords, codes, prices, numbers, dates.

Each language has a word list (data/words/<code>.txt, from Unicode CLDR; English keeps
scenes/content's SCOWL lists), the main exemplar letters of its CLDR locale
(data/words/letters.json) and a Babel locale for prices, numbers and dates. Every maker
returns (text, prior_text) like scenes/content.make_text; English goes through
scenes/content unchanged, so the default bytes stay the same. Every text is NFC and in
logical order (right-to-left scripts are stored as typed, not as drawn). `charset` lists
every character a language's makers can emit, so fonts can be subset to it.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import compress

import numpy as np
from babel import Locale
from babel.dates import format_date, get_day_names
from babel.numbers import (
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

from gen_stress.rng import pick
from gen_stress.scenes import content
from gen_stress.scenes.library import data_text, data_yaml
from gen_stress.scenes.shaping import Shaping

SCRIPTS = ("latin", "cyrillic", "greek", "arabic", "hebrew", "devanagari", "bengali", "thai",
           "chinese", "japanese", "korean")
CASED = ("latin", "cyrillic", "greek")
CJK = ("chinese", "japanese", "korean")
LANGUAGE_KINDS = content.CONTENT_KINDS + ("number", "date")  # content.CONTENT_KINDS stays as it was

CLDR_SOURCE = "Unicode CLDR 41 emoji annotations (Debian unicode-cldr-core)"
CLDR_LICENCE = "Unicode-DFS-2016"


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, also the word-list file name
    script: str  # one of SCRIPTS
    name: str
    locale: str  # Babel locale of prices, numbers and dates
    direction: str  # "ltr" or "rtl" (text is stored in logical order either way)
    currency: str  # ISO 4217
    native_digits: str = ""  # Babel numbering system of the locale's own digits, if any
    price_scale: int = 1  # currencies with small units (yen, won, rial) show larger amounts
    words_source: str = CLDR_SOURCE
    words_licence: str = CLDR_LICENCE
    words_licence_file: str = "words/LICENSE-CLDR.txt"  # under gen_stress/data


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (
    Language("en", "latin", "English", "en_US", "ltr", "USD",
             words_source="SCOWL size 35 (Debian wamerican-small) and a list of common words",
             words_licence="SCOWL (permissive, notice kept)", words_licence_file="words-LICENSE.txt"),
    Language("de", "latin", "German", "de_DE", "ltr", "EUR"),
    Language("fr", "latin", "French", "fr_FR", "ltr", "EUR"),
    Language("es", "latin", "Spanish", "es_ES", "ltr", "EUR"),
    Language("ru", "cyrillic", "Russian", "ru_RU", "ltr", "RUB"),
    Language("uk", "cyrillic", "Ukrainian", "uk_UA", "ltr", "UAH"),
    Language("el", "greek", "Greek", "el_GR", "ltr", "EUR"),
    Language("ar", "arabic", "Arabic", "ar_EG", "rtl", "EGP", native_digits="arab"),
    Language("fa", "arabic", "Persian", "fa_IR", "rtl", "IRR", native_digits="arabext", price_scale=10000),
    Language("he", "hebrew", "Hebrew", "he_IL", "rtl", "ILS"),
    Language("hi", "devanagari", "Hindi", "hi_IN", "ltr", "INR", native_digits="deva"),
    Language("mr", "devanagari", "Marathi", "mr_IN", "ltr", "INR", native_digits="deva"),
    Language("bn", "bengali", "Bengali", "bn_BD", "ltr", "BDT", native_digits="beng"),
    Language("th", "thai", "Thai", "th_TH", "ltr", "THB", native_digits="thai"),
    Language("zh", "chinese", "Chinese (simplified)", "zh_Hans_CN", "ltr", "CNY"),
    Language("ja", "japanese", "Japanese", "ja_JP", "ltr", "JPY", price_scale=100),
    Language("ko", "korean", "Korean", "ko_KR", "ltr", "KRW", price_scale=1000),
)}

# ISO 15924 tags HarfBuzz shapes each script with.
SCRIPT_TAGS = {"latin": "Latn", "cyrillic": "Cyrl", "greek": "Grek", "arabic": "Arab", "hebrew": "Hebr",
               "devanagari": "Deva", "bengali": "Beng", "thai": "Thai", "chinese": "Hani", "japanese": "Hani",
               "korean": "Hang"}


def shaping_of(code: str) -> Shaping | None:
    """How a horizontal line in the language is shaped: None for Latin script (Pillow's
    basic layout, as English), else raqm in the language's direction."""
    lang = LANGUAGES[code]
    return None if lang.script == "latin" else Shaping(lang.direction, SCRIPT_TAGS[lang.script], code)


# Zero of each numbering system's digits (Babel gives the separators, not the digits).
DIGIT_ZERO = {"latn": 0x30, "arab": 0x660, "arabext": 0x6F0, "deva": 0x966, "beng": 0x9E6, "thai": 0xE50}
DATE_FORMATS = ("short", "medium", "long")
FIRST_DATE, LAST_DATE = datetime.date(1990, 1, 1), datetime.date(2035, 12, 31)


@cache
def default_language(script: str) -> Language:
    """The first language listed for the script (English for latin), remembered (asked
    a dozen times per sample; the list is fixed)."""
    return next(lang for lang in LANGUAGES.values() if lang.script == script)


# Data ----------------------------------------------------------------------------------

@cache
def words(code: str) -> tuple[str, ...]:
    """The language's word list (English: the common words of scenes/content)."""
    if code == "en":
        return content.common_words()
    text = data_text("words", f"{code}.txt")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def _word_set(code: str) -> frozenset[str]:
    """Case-folded words: no casing of a pseudoword or misspelling may be a word."""
    listed = frozenset(words(code)) | (content.dictionary() if code == "en" else frozenset())
    return frozenset(w.casefold() for w in listed)


@cache
def letters(code: str) -> tuple[str, ...]:
    """CLDR's main exemplar characters of the language (lower case where cased)."""
    return tuple(json.loads(data_text("words", "letters.json"))[code])


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _base(char: str) -> str:
    return unicodedata.normalize("NFD", char)[0]


# Letter classes per script, from the exemplar letters --------------------------------------

VOWEL_BASES = {"latin": "aeiouy", "cyrillic": "аеиоуыэюяєії", "greek": "αεηιουω"}
ABJAD_VOWELS = {"ar": "اوي", "fa": "اوی", "he": "וי"}
ABJAD_SKIP = "ءآأؤإئىة"  # hamza seats and final-only forms: not free consonants
HEBREW_FINALS = {"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"}
THAI_LEAD, THAI_ABOVE, THAI_BELOW = "เแโใไ", "\u0e34\u0e35\u0e36\u0e37", "\u0e38\u0e39"
THAI_TONES, THAI_FINALS = "\u0e48\u0e49\u0e4a\u0e4b", "กงนมยวดบ"
THAI_SKIP = "ฃฅฤฦ"  # obsolete consonants and the vowel letters
JAPANESE_SKIP = "ぁぃぅぇぉっゃゅょゎゐゑァィゥェォッャュョヮヰヱヵヶー々ゝゞヽヾ"  # never lead, or archaic


@dataclass(frozen=True)
class Letters:
    consonants: tuple[str, ...]
    vowels: tuple[str, ...]  # vowel letters, or vowel signs for Indic scripts
    initial_vowels: tuple[str, ...] = ()  # Indic independent vowels
    virama: str = ""


def _indic_letters(code: str) -> Letters:
    consonants, signs, initials, virama = [], [], [], ""
    for char in letters(code):
        name = unicodedata.name(char, "")
        tail = name.split(" LETTER ")[-1] if " LETTER " in name else ""
        if " VOWEL SIGN " in name and "VOCALIC" not in name and "CANDRA" not in name:
            signs.append(char)
        elif name.endswith("SIGN VIRAMA"):
            virama = char
        elif tail and tail[0] in "AEIOU" and len(tail) <= 2:
            initials.append(char)
        elif tail and tail[0] not in "AEIOU" and not tail.startswith(("VOCALIC", "KHANDA", "CANDRA", "SHORT")):
            consonants.append(char)
    return Letters(tuple(consonants), tuple(signs), tuple(initials), virama)


@cache
def letter_classes(code: str) -> Letters:
    script = LANGUAGES[code].script
    own = letters(code)
    if script in CASED:
        alpha = [c for c in own if unicodedata.category(c) == "Ll" and len(c.upper()) == 1 and c not in "ςйёъь"]
        vowels = tuple(c for c in alpha if _base(c) in VOWEL_BASES[script])
        return Letters(tuple(c for c in alpha if c not in vowels), vowels)
    if script in ("arabic", "hebrew"):
        base = [c for c in own if unicodedata.category(c) == "Lo" and c not in ABJAD_SKIP
                and c not in HEBREW_FINALS.values()]
        vowels = tuple(ABJAD_VOWELS[code])
        return Letters(tuple(c for c in base if c not in vowels), vowels)
    if script in ("devanagari", "bengali"):
        return _indic_letters(code)
    if script == "thai":
        return Letters(tuple(c for c in own if "\u0e01" <= c <= "\u0e2e" and c not in THAI_SKIP), ())
    pool = [c for c in own if c not in JAPANESE_SKIP]
    return Letters(tuple(pool), ())


# Casing ----------------------------------------------------------------------------------

def _casings(code: str) -> tuple[str, ...]:
    script = LANGUAGES[code].script
    if script not in CASED:
        return ("as is",)
    if code == "de":
        return ("as is", "upper")  # German nouns keep their capital
    if script == "greek":
        return ("lower", "capitalize")  # Greek capitals drop the accents: leave them out
    return ("lower", "capitalize", "upper")


def _case(text: str, style: str) -> str:
    return {"as is": text, "lower": text, "capitalize": text[:1].upper() + text[1:],
            "upper": text.upper()}[style]


def _cased(code: str, rng: np.random.Generator, *texts: str) -> tuple[str, ...]:
    style = pick(rng, _casings(code))
    return tuple(_case(t, style) for t in texts)


# Makers ----------------------------------------------------------------------------------

def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@cache
def _word_lengths(code: str) -> np.ndarray:
    return np.array([len(w) for w in words(code)], dtype=np.int64)


@cache
def _words_up_to(code: str, max_chars: int, min_chars: int = 1) -> tuple[str, ...]:
    # The words in list order, chosen by one comparison of the lengths (each room a line
    # offers is a new key: a pass over thousands of words per key).
    lengths = _word_lengths(code)
    fitting = tuple(compress(words(code), ((lengths >= min_chars) & (lengths <= max_chars)).tolist()))
    return fitting or tuple(sorted(words(code), key=len)[:20])


def make_word(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    return _nfc(_cased(lang.code, rng, pick(rng, _words_up_to(lang.code, max_chars)))[0]), ""


def _syllable(lang: Language, rng: np.random.Generator, first: bool, last: bool, avoid: frozenset[str]) -> str:
    cls = letter_classes(lang.code)
    # (the common case of nothing to avoid: no copy of a CJK list of 2,000 characters per syllable)
    cons = ([c for c in cls.consonants if c not in avoid] or list(cls.consonants)) if avoid else cls.consonants
    script = lang.script
    if script in CASED:
        coda = pick(rng, cons) if rng.random() < 0.3 else ""
        return pick(rng, cons) + pick(rng, cls.vowels) + coda
    if script in ("arabic", "hebrew"):
        return pick(rng, cons) + (pick(rng, cls.vowels) if rng.random() < 0.4 and not last else "")
    if script in ("devanagari", "bengali"):
        if first and rng.random() < 0.2:
            return pick(rng, cls.initial_vowels)
        onset = pick(rng, cons)
        if not first and rng.random() < 0.15:  # a conjunct: consonant, virama, consonant
            onset = pick(rng, cons) + cls.virama + onset
        return onset + (pick(rng, cls.vowels) if rng.random() < 0.7 else "")
    if script == "thai":
        form = int(rng.integers(4))
        c = pick(rng, cons)
        tone = pick(rng, THAI_TONES) if rng.random() < 0.3 else ""
        final = pick(rng, THAI_FINALS) if rng.random() < 0.4 else ""
        if form == 0:
            return c + pick(rng, THAI_ABOVE + THAI_BELOW) + tone + final
        if form == 1:
            return pick(rng, THAI_LEAD) + c + tone + final
        if form == 2:
            return c + tone + "า" + final
        return c + "\u0e31" + tone + pick(rng, THAI_FINALS)
    return pick(rng, cons)  # CJK: one character


def _abjad_finish(lang: Language, word: str) -> str:
    if lang.script == "hebrew" and word[-1] in HEBREW_FINALS:
        return word[:-1] + HEBREW_FINALS[word[-1]]
    return word


def make_pseudoword(lang: Language, rng: np.random.Generator, max_chars: int,
                    avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Letters of the script in syllables that look pronounceable (random exemplar
    characters for CJK), never a word of the list; none of the `avoid` strings in it."""
    if lang.code == "en":
        return content.make_pseudoword(rng, max_chars, avoid)
    short = lang.script in CJK
    low, high = (2, min(4, max_chars)) if short else (3, max_chars)
    for _ in range(100):
        count = int(rng.integers(low, high + 1)) if short else int(rng.integers(2, 4))
        parts = [_syllable(lang, rng, k == 0, k == count - 1, avoid) for k in range(count)]
        word = _nfc(_abjad_finish(lang, "".join(parts)))
        if not (low <= len(word) <= max(high, low)) or word.casefold() in _word_set(lang.code):
            continue
        (cased,) = _cased(lang.code, rng, word)
        if not content.holds_any(cased, avoid):
            return _nfc(cased), ""
    return make_code(lang, rng, max_chars, avoid)


def _digits(system: str) -> str:
    return "".join(chr(DIGIT_ZERO[system] + d) for d in range(10))


def _numbering(lang: Language, rng: np.random.Generator) -> str:
    """Latin digits or the locale's own, half and half where it has its own."""
    return lang.native_digits if lang.native_digits and rng.random() < 0.5 else "latn"


@cache
def _code_letters(code: str) -> tuple[str, ...]:
    lang = LANGUAGES[code]
    cls = letter_classes(code)
    if lang.script in ("cyrillic", "greek"):
        return tuple(dict.fromkeys(_base(c).upper() for c in cls.consonants + cls.vowels))
    return cls.consonants


def make_code(lang: Language, rng: np.random.Generator, max_chars: int,
              avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """Serial-number-like codes of the script's letters and the locale's digits (Latin
    script languages keep the English codes, dense in look-alikes)."""
    if lang.script == "latin":
        return content.make_code(rng, max_chars, avoid)
    patterns = ["LLDD-DDD", "LDD-LDL", "DDDD-LL", "LL-DDDD", "DLD-DLD", "LLLDDD", "DD-LDDL"]
    pattern = pick(rng, [p for p in patterns if len(p) <= max_chars] or ["LDD"])
    digits = [d for d in _digits(_numbering(lang, rng)) if d not in avoid]
    pool = [c for c in _code_letters(lang.code) if c not in avoid] if avoid else _code_letters(lang.code)
    out = [slot if slot == "-" else pick(rng, pool if slot == "L" else digits) for slot in pattern]
    return _nfc("".join(out)), ""


def _visible(text: str, system: str = "latn") -> str:
    """Babel's output as printed: bidi and other format marks dropped, no-break spaces as
    spaces, digits of the numbering system."""
    text = "".join(" " if c in "\u00a0\u202f" else c for c in text if unicodedata.category(c) != "Cf")
    if system != "latn":
        text = "".join(chr(DIGIT_ZERO[system] + int(c)) if "0" <= c <= "9" else c for c in text)
    return _nfc(text.strip())


@cache
def _locale(name: str) -> Locale:
    """Babel's locale object (a locale name is parsed again on every Babel call)."""
    return Locale.parse(name)


def format_price(lang: Language, amount: float, system: str) -> str:
    locale = _locale(lang.locale)
    return _visible(format_currency(amount, lang.currency, locale=locale, numbering_system=system), system)


def format_number(lang: Language, value: float, system: str) -> str:
    return _visible(format_decimal(value, locale=_locale(lang.locale), numbering_system=system), system)


@lru_cache(maxsize=4096)
def format_day(lang: Language, day: datetime.date, style: str, system: str) -> str:
    # Remembered: `draw_date` formats the day in every style to pick one that fits.
    return _visible(format_date(day, style, locale=_locale(lang.locale)), system)


def draw_price(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[float, str]:
    """(amount, numbering system) of a price that fits `max_chars` when it can."""
    amount = float(rng.uniform(0.05, 2000.0) if rng.random() < 0.3 else rng.uniform(0.05, 99.99))
    system = _numbering(lang, rng)
    digits = get_currency_precision(lang.currency)
    value = round(amount * lang.price_scale, digits)
    if len(format_price(lang, value, system)) > max_chars:
        value = round((amount % 100) * lang.price_scale, digits)
    return value, system


def make_price(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    if lang.code == "en":
        return content.make_price(rng, max_chars)
    return format_price(lang, *draw_price(lang, rng, max_chars)), ""


def make_number(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    """A quantity with the locale's grouping and decimal signs."""
    system = _numbering(lang, rng)
    for _ in range(20):
        whole = int(rng.integers(1000, 10 ** int(rng.integers(4, 8))))
        value = whole / 100 if rng.random() < 0.5 else whole
        text = format_number(lang, value, system)
        if len(text) <= max_chars:
            return text, ""
    return format_number(lang, int(rng.integers(1000, 10000)), system), ""


def draw_date(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[datetime.date, str, str]:
    """(day, format, numbering system) of a date that fits `max_chars` when it can."""
    span = (LAST_DATE - FIRST_DATE).days
    system = _numbering(lang, rng)
    day = FIRST_DATE + datetime.timedelta(days=int(rng.integers(span + 1)))
    styles = [s for s in DATE_FORMATS if len(format_day(lang, day, s, system)) <= max_chars] or ["short"]
    return day, pick(rng, styles), system


def make_date(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    """A date in one of the locale's short, medium or long formats."""
    return format_day(lang, *draw_date(lang, rng, max_chars)), ""


@cache
def _dates_of_year(code: str, year: int, system: str) -> dict[str, tuple[datetime.date, str]]:
    """Every date of one year as the locale prints it, text -> (day, format); the first
    format in DATE_FORMATS order wins where two print alike."""
    lang, table = LANGUAGES[code], {}
    day = datetime.date(year, 1, 1)
    while day.year == year:
        for style in DATE_FORMATS:
            table.setdefault(format_day(lang, day, style, system), (day, style))
        day += datetime.timedelta(days=1)
    return table


def _date_of(lang: Language, text: str) -> tuple[datetime.date, str, str] | None:
    """(day, format, numbering system) of a date `make_date` printed, found again from
    the text alone: its year is one of its digit runs (4 digits, or 2 in short formats)."""
    system = next((s for s, zero in DIGIT_ZERO.items() if s != "latn" and any(
        zero <= ord(c) <= zero + 9 for c in text)), "latn")
    runs, run = [], ""
    for c in text + " ":
        if unicodedata.category(c) == "Nd":
            run += str(unicodedata.digit(c))
        elif run:
            runs.append(run)
            run = ""
    years = sorted({int(r) for r in runs if len(r) == 4} |
                   {century + int(r) for r in runs if len(r) == 2 for century in (1900, 2000)})
    for year in (y for y in years if FIRST_DATE.year <= y <= LAST_DATE.year):
        found = _dates_of_year(lang.code, year, system).get(text)
        if found is not None:
            return found[0], found[1], system
    return None


def date_twins(language: str, text: str) -> list[str]:
    """Real dates in the same format that differ from a printed date in one character
    (a digit of the day, month or year, or a month name one letter apart, Juni/Juli):
    what a page could print, never an impossible "11.86.23". Empty when `text` is not a
    date of this language's formats."""
    lang = LANGUAGES[language]
    found = _date_of(lang, text)
    if found is None:
        return []
    day, style, system = found
    near = {day.replace(day=d) for d in range(1, 32) if _valid(day.year, day.month, d)}
    near |= {day.replace(month=m) for m in range(1, 13) if _valid(day.year, m, day.day)}
    near |= {day.replace(year=y) for y in range(FIRST_DATE.year, LAST_DATE.year + 1)
             if _valid(y, day.month, day.day)}
    out = set()
    for other in sorted(near - {day}):
        printed = format_day(lang, other, style, system)
        if len(printed) == len(text) and sum(a != b for a, b in zip(printed, text)) == 1:
            out.add(printed)
    return sorted(out)


def _valid(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _edits(lang: Language, word: str) -> list[str]:
    """Single-letter misspellings that keep the script well formed."""
    cls = letter_classes(lang.code)
    script, out = lang.script, []
    if script in CJK:
        if script == "korean":  # another vowel in one syllable
            for i, c in enumerate(word):
                base, rest = divmod(ord(c) - 0xAC00, 588)
                vowel, final = divmod(rest, 28)
                out += [word[:i] + chr(0xAC00 + base * 588 + v * 28 + final) + word[i + 1:]
                        for v in (vowel - 1, vowel + 1) if 0 <= v < 21]
        else:  # one character for a neighbour in the exemplar list (often a similar reading)
            pool, index = cls.consonants, _consonant_index(lang.code)
            for i, c in enumerate(word):
                k = index.get(c)
                if k is not None:
                    out += [word[:i] + pool[j] + word[i + 1:] for j in (k - 1, k + 1) if 0 <= j < len(pool)]
        return out
    if script in ("devanagari", "bengali", "thai"):
        swaps = cls.vowels if script != "thai" else tuple(THAI_ABOVE + THAI_BELOW + THAI_TONES)
        for i, c in enumerate(word):
            if c in swaps:
                group = swaps if script != "thai" else next(
                    g for g in (THAI_ABOVE, THAI_BELOW, THAI_TONES) if c in g)
                out += [word[:i] + v + word[i + 1:] for v in group if v != c]
        return out
    inner = range(1, len(word) - 2)
    for i in inner:  # swap two inner neighbours
        if word[i] != word[i + 1] and word[i].isalpha() and word[i + 1].isalpha():
            out.append(word[:i] + word[i + 1] + word[i] + word[i + 2:])
    for i in range(1, len(word) - 1):  # one vowel for another
        if word[i] in cls.vowels:  # with an accent for one with an accent, a plain one for a plain one
            same = [v for v in cls.vowels if len(_nfd(v)) == len(_nfd(word[i]))]
            out += [word[:i] + v + word[i + 1:] for v in same if v != word[i]]
    return out


@cache
def _consonant_index(code: str) -> dict[str, int]:
    """Where each consonant (each CJK character) first stands in `letter_classes`' list:
    `consonants.index(c)` without a walk along 2,000 characters."""
    index: dict[str, int] = {}
    for k, c in enumerate(letter_classes(code).consonants):
        index.setdefault(c, k)
    return index


def make_misspelled(lang: Language, rng: np.random.Generator, max_chars: int) -> tuple[str, str]:
    """A word of the list with one edit that is not itself a word: a prior "corrects" it."""
    if lang.code == "en":
        return content.make_misspelled(rng, max_chars)
    low = 2 if lang.script in CJK else 4
    pool = _words_up_to(lang.code, max_chars, low)
    allowed = charset(lang.code)
    for _ in range(50):
        word = pick(rng, pool)
        edits = [e for e in dict.fromkeys(_nfc(e) for e in _edits(lang, word))
                 if e != word and e.casefold() not in _word_set(lang.code) and set(e) <= allowed]
        if edits:
            return tuple(_nfc(t) for t in _cased(lang.code, rng, pick(rng, edits), word))
    raise RuntimeError(f"no misspelling found for {lang.code}")  # unreachable with the shipped lists


MAKERS = {
    "word": make_word,
    "pseudoword": make_pseudoword,
    "code": make_code,
    "price": make_price,
    "misspelled": make_misspelled,
    "number": make_number,
    "date": make_date,
}


def make_text(language: str, kind: str, rng: np.random.Generator, max_chars: int,
              avoid: frozenset[str] = frozenset()) -> tuple[str, str]:
    """A text of the kind in the language. English content kinds are scenes/content's,
    draw for draw; codes and pseudowords hold none of the `avoid` strings."""
    lang = LANGUAGES[language]
    if language == "en" and kind in content.CONTENT_KINDS:
        return content.make_text(kind, rng, max_chars, avoid)
    if kind in content.GLYPH_CHECKED:
        return MAKERS[kind](lang, rng, max(max_chars, 5), avoid)
    return MAKERS[kind](lang, rng, max(max_chars, 5))


# Covering part of a text --------------------------------------------------------------------

@cache
def _lower_words_of_length(code: str, n: int) -> tuple[str, ...]:
    return tuple(w for w in dict.fromkeys(w.lower() for w in words(code)) if len(w) == n)


def hidden_span(language: str, text: str, kind: str, rng: np.random.Generator) -> list[int]:
    """scenes/content.hidden_span judged against the language's own words: a covered run
    of a pseudoword is unguessable when no word of this language completes what is left
    (English keeps its dictionary, draw for draw)."""
    if language == "en":
        return content.hidden_span(text, kind, rng)
    return content.hidden_span(text, kind, rng, lambda n: _lower_words_of_length(language, n))


# Page words: what the real-world contexts print in other languages ------------------------

PAGE_MARKS = " :%*×"  # printed on pages beyond words and amounts: "14:05", "VAT 19%", "****1234", "2 × "


@cache
def page_words(code: str) -> dict:
    """The page words of a language (data/contexts/languages.yaml), every string NFC;
    {} for English (the contexts' own vocabularies) and languages without any."""
    data = data_yaml("contexts", "languages.yaml")
    entry = data.get(code)
    if entry is None:
        return {}
    return {**_nfc_all(entry), "goods_cents": data["goods_cents"], "menu_cents": data["menu_cents"],
            "menu_diets": data["menu_diets"]}


def _nfc_all(value):
    """Every string of a loaded YAML value NFC-normalised (lists and mappings walked)."""
    if isinstance(value, str):
        return _nfc(value)
    if isinstance(value, list):
        return [_nfc_all(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc_all(v) for k, v in value.items()}
    return value


def _page_strings(code: str) -> list[str]:
    words = page_words(code)
    out = [s for key in ("stores", "goods", "variants", "thanks", "fine", "stamps") for s in words.get(key, [])]
    out += list(words.get("labels", {}).values())
    if words:
        out.append(words["tax"]["label"])
        menu = words["menu"]
        out += menu["restaurants"] + menu["labels"] + menu["fine"] + menu["variants"]
        out += [menu["special"], *menu["diets"].values()]
        out += [s for name, dishes in menu["sections"] for s in [name, *dishes]]
        doc = words.get("document", {})
        out += [doc[k] for k in ("caption", "row_label", "stop", "note") if doc.get(k)]
        out += doc.get("headings", []) + doc.get("stamps", [])
    return [s.replace("{brand}", "") for s in out]


@cache
def screen_words(code: str) -> dict:
    """The labels of the screen context in a language (data/contexts/screen_languages.yaml),
    every string NFC; {} for English (screen.yaml's own) and languages without any."""
    entry = data_yaml("contexts", "screen_languages.yaml").get(code)
    return _nfc_all(entry) if entry else {}


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value
    return [s for v in items for s in _strings_in(v)]


def format_share(code: str, percent: int, system: str = "latn") -> str:
    """A share in percent as the locale prints it ("45%", "45 %", "٤٥٪")."""
    return _visible(format_percent(Decimal(percent) / 100, locale=_locale(LANGUAGES[code].locale),
                                   numbering_system=system), system)


def format_whole_amount(code: str, units: int, system: str = "latn") -> str:
    """An amount in whole units of the currency, with its sign, as the locale prints a
    rounded figure (its currency pattern without the decimals: "€1,234", "1.234 €")."""
    lang = LANGUAGES[code]
    locale = _locale(lang.locale)
    pattern = locale.currency_formats["standard"].pattern.split(";")[0]
    whole = re.sub(r"\.0+", "", pattern)
    return _visible(format_currency(units, lang.currency, format=whole, locale=locale, currency_digits=False,
                                    numbering_system=system), system)


@cache
def weekday_letters(code: str) -> tuple[str, ...]:
    """The narrow names of the days, Monday first (CLDR through Babel): a chart's axis."""
    names = get_day_names("narrow", context="stand-alone", locale=_locale(LANGUAGES[code].locale))
    return tuple(_nfc(names[k]) for k in range(7))


SCREEN_MARKS = "\u2026-+:%"  # a cut label's ellipsis; times, percentages, a figure's change


@cache
def screen_charset(code: str) -> frozenset[str]:
    """Every character the screen context can draw in the language beyond `charset`: its
    labels, and Babel's percentages in the locale's digits (fonts are subset to both)."""
    words = screen_words(code)
    if not words:
        return frozenset()
    chars = set("".join(_strings_in(words)).replace("{app}", "").replace("{pct}", "").replace("{n}", "")) | set(SCREEN_MARKS)
    chars |= set("".join(weekday_letters(code)))
    lang = LANGUAGES[code]
    for system in ("latn",) + ((lang.native_digits,) if lang.native_digits else ()):
        chars |= set(format_share(code, 45, system)) | set(_digits(system))
        chars |= set(format_whole_amount(code, 1234567, system)) | set(format_number(lang, 1234567, system))
    return frozenset(chars)


def currency_digits(code: str) -> int:
    """Decimal places of the language's currency (0 for yen, won and rial)."""
    return get_currency_precision(LANGUAGES[code].currency)


@lru_cache(maxsize=16384)
def format_amount(code: str, minor: int, symbol: bool = False, system: str = "latn") -> str:
    """An amount in minor units (cents, or whole yen) as the locale prints it (Babel's
    currency format in the numbering system's digits), with or without its currency sign."""
    lang = LANGUAGES[code]
    value = Decimal(minor).scaleb(-currency_digits(code))
    text = format_price(lang, value, system)
    if symbol:
        return text
    body = text.replace(_visible(get_currency_symbol(lang.currency, _locale(lang.locale))), "").strip()
    return "-" + body[1:].strip() if body.startswith("-") else body  # "-ریال 12": the sign stays on the number


@lru_cache(maxsize=16384)
def parse_amount(code: str, text: str, system: str = "latn") -> int:
    """Minor units of a printed amount (the inverse of `format_amount`): arithmetic is
    checked on what is printed. Both remembered: a page prints its goods' prices, and
    every page of a language the same ones."""
    lang = LANGUAGES[code]
    body = text.replace(_visible(get_currency_symbol(lang.currency, _locale(lang.locale))), "").replace(" ", "")
    body = body.replace(get_group_symbol(_locale(lang.locale), numbering_system=system), "")
    body = body.replace(get_decimal_symbol(_locale(lang.locale), numbering_system=system), ".")
    body = "".join(str(unicodedata.digit(c)) if unicodedata.category(c) == "Nd" else c for c in body)
    return int(Decimal(body).scaleb(currency_digits(code)))


# Running text: sentences of the language's words, as tokens a line may break before -------

SPACELESS = frozenset({"zh", "ja", "th"})  # written without spaces between words


def word_space(code: str) -> str:
    """What the language writes between two words: a space, or nothing (Chinese, Japanese, Thai)."""
    return "" if code in SPACELESS else " "


def joined(code: str, *parts: str) -> str:
    """Words joined as the language writes them (NFC)."""
    return _nfc(word_space(code).join(parts))


BREAK_ANYWHERE = frozenset({"zh", "ja"})  # a line may break between any two characters
# Characters a Chinese or Japanese line never starts with (closing punctuation, small kana,
# the long-vowel mark): a break before them is not allowed.
NO_LINE_START = frozenset("。、，．！？」』）ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶー々")
JUSTIFY_SPACE = "\u200a"  # hair space: stretches a justified line's spaces to the pixel (script fonts draw it)


@cache
def sentence_words(code: str) -> tuple[str, ...]:
    """Words a sentence is made of: the list's words of 2 to 10 characters (2 to 4 in CJK)."""
    high = 4 if LANGUAGES[code].script in CJK else 10
    return _words_up_to(code, high, 2)


_POOL_ARRAYS: dict[int, tuple[tuple[str, ...], np.ndarray]] = {}  # id(pool) -> (pool, its array)


def _draw_words(rng: np.random.Generator, pool: tuple[str, ...], n_words: int) -> list[str]:
    """`rng.choice(pool, size=n_words, replace=False)` as strings, the same draw: numpy
    turned a pool of thousands of words into an array on every call (0.4 ms; a page
    in another language asks for 30 sentences), so each pool is turned once."""
    entry = _POOL_ARRAYS.get(id(pool))
    if entry is None or entry[0] is not pool:
        if len(_POOL_ARRAYS) >= 256:  # pools are cached tuples; a bound all the same
            _POOL_ARRAYS.clear()
        entry = _POOL_ARRAYS[id(pool)] = (pool, np.array(pool))
    return [str(w) for w in rng.choice(entry[1], size=n_words, replace=False)]


def _capitalised(code: str, word: str) -> str:
    return word[:1].upper() + word[1:] if LANGUAGES[code].script in CASED else word


def phrase(code: str, rng: np.random.Generator, n_words: int, pool: tuple[str, ...] = ()) -> str:
    """A run of the language's words (a title, a journal's name; from `pool`, by default
    `sentence_words`): the first capitalised where the script has capitals, joined as the
    language writes them."""
    picked = _draw_words(rng, pool or sentence_words(code), n_words)
    return joined(code, _capitalised(code, picked[0]), *picked[1:])


def sentence_tokens(code: str, rng: np.random.Generator, n_words: int, stop: str,
                    first: bool = True, pool: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A sentence of the language's words, as tokens a line may break before: a token's
    leading space is the space a break there swallows. Spaced languages break at their
    spaces; Thai only between the words it was made of (it writes no spaces, and a space
    ends its sentence); Chinese and Japanese between any two characters, except before
    the closing full stop, which stays with the character before it. Words come from
    `pool` (by default `sentence_words`)."""
    picked = _draw_words(rng, pool or sentence_words(code), n_words)
    picked[0] = _capitalised(code, picked[0])
    picked[-1] += stop
    if code in BREAK_ANYWHERE:
        tokens: list[str] = []
        for char in "".join(picked):
            if tokens and char in NO_LINE_START:  # stays with the character before it
                tokens[-1] += char
            else:
                tokens.append(char)
        return tuple(_nfc(t) for t in tokens)
    space = word_space(code)
    tokens = [("" if first else " ") + picked[0]] + [space + w for w in picked[1:]]
    return tuple(_nfc(t) for t in tokens)


def person_name(lang: Language, rng: np.random.Generator) -> str:
    """An invented name of the script's letters (an author): two capitalised pseudowords,
    one of two or three characters in CJK."""
    if lang.script in CJK:
        return make_pseudoword(lang, rng, 3)[0]
    parts = [make_pseudoword(lang, rng, 7)[0].lower() for _ in range(2)]
    return _nfc(" ".join(_capitalised(lang.code, p) for p in parts))


def page_numbering(lang: Language, rng: np.random.Generator) -> str:
    """The digits a page prints: Latin, or the locale's own half the time where it has them."""
    return _numbering(lang, rng)


def in_digits(text: str, system: str) -> str:
    """The text with its ASCII digits in the numbering system's digits."""
    return _visible(text, system) if system != "latn" else text


# Character sets --------------------------------------------------------------------------

def _all_casings(code: str, texts) -> set[str]:
    """The characters of every text in every casing the language writes it in, lowered
    too (each NFC). The texts joined by newlines are cased and normalised at once: a
    newline is a boundary to NFC (no mark composes or reorders across it) and to
    lowering's final sigma (neither cased nor case-ignorable, as a string's end is), and
    upper-casing is character by character; a few thousand words per language."""
    texts = list(texts)
    if any("\n" in text for text in texts):
        chars: set[str] = set()
        for text in texts:
            for style in _casings(code):
                chars.update(_nfc(_case(text, style)))
                chars.update(_nfc(_case(text, style).lower()))
        return chars
    joined = "\n".join(texts)
    chars = set()
    for style in _casings(code):
        cased = ("\n".join(_case(text, style) for text in texts) if style == "capitalize"
                 else _case(joined, style))
        chars.update(_nfc(cased))
        chars.update(_nfc(cased.lower()))
    chars.discard("\n")
    return chars


def _formatted_chars(lang: Language) -> set[str]:
    """Every character Babel's prices, numbers and dates can show here: the variable parts
    are digits (all ten appear in the samples) and month and weekday names (all appear)."""
    chars: set[str] = set()
    systems = ("latn",) + ((lang.native_digits,) if lang.native_digits else ())
    for system in systems:
        chars.update(_digits(system))
        for value in (1234567.89, 0.05, 98765.43, 10.0):
            chars.update(format_price(lang, value, system))
            chars.update(format_number(lang, value, system))
        for month in range(1, 13):
            for day in (1, 17, 28):
                for style in DATE_FORMATS:
                    chars.update(format_day(lang, datetime.date(2024, month, day), style, system))
    return chars


@cache
def charset(language: str) -> frozenset[str]:
    """Every character any maker can emit for the language."""
    lang = LANGUAGES[language]
    chars = _formatted_chars(lang)
    if language == "en":
        chars |= _all_casings("en", content.common_words())
        chars |= {c for part in content.ONSETS + content.CODAS + list(content.VOWELS) for c in part.upper() + part}
        chars |= set(content.CODE_LETTERS + content.CODE_DIGITS + "-")
        chars |= set("$£€,. ") | set(content.CODE_DIGITS)
        return frozenset(chars)
    cls = letter_classes(language)
    chars |= _all_casings(language, words(language))
    chars |= _all_casings(language, cls.consonants + cls.vowels + cls.initial_vowels + (cls.virama,))
    chars |= set(HEBREW_FINALS.values()) if lang.script == "hebrew" else set()
    if lang.script == "thai":
        chars |= set(THAI_LEAD + THAI_ABOVE + THAI_BELOW + THAI_TONES + THAI_FINALS + "า\u0e31")
    if lang.script == "latin":
        chars |= set(content.CODE_LETTERS + content.CODE_DIGITS + "-")
    else:
        chars |= set(_code_letters(language)) | {"-"}
    if page_words(language):  # what the contexts print in the language
        chars |= set("".join(_page_strings(language))) | set(PAGE_MARKS)
    chars.discard("")
    return frozenset(chars)
