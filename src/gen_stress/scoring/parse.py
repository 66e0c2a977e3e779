"""Raw model replies -> answer values, strict first, then lenient, always recorded.

Every reply gets a parse status:

- ``exact``: the whole reply is a clean answer ("yes", "7", "B", "[12, 40, 88, 120]", the
  text itself);
- ``extracted``: the answer was found inside a longer reply ("Yes, there is a fork.",
  "I count 7 apples.", "The answer is (B).", 'The sign says "EXIT".');
- ``abstained``: the reply declines to answer (a phrase of ABSTAIN_PHRASES, or the
  item's own gold abstention answer such as "unanswerable");
- ``unparseable``: none of the above. It is never turned into an answer ("no", 0, ...).

Where a reply holds both an answer and an abstention phrase, whichever comes first wins
("No, there is no fork." is a "no"; "I cannot tell, maybe yes." abstains).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

EXACT, EXTRACTED, ABSTAINED, UNPARSEABLE = "exact", "extracted", "abstained", "unparseable"
PARSE_STATUSES = (EXACT, EXTRACTED, ABSTAINED, UNPARSEABLE)

# Phrases that mark a reply as an abstention, matched on whole words, case-insensitively
# and in any spelling of their negations and contractions ("can't", "can not" and "cannot";
# "isn't"; "there's").
ABSTAIN_PHRASES = (
    "unanswerable", "not answerable", "cannot be answered", "cannot answer",
    "cannot tell", "cannot say", "cannot determine", "cannot be determined", "cannot know",
    "cannot read", "cannot be read", "cannot see", "cannot make out", "cannot identify",
    "cannot be identified", "cannot count", "cannot find", "cannot locate",
    "unable to", "not possible to", "impossible to", "no way to tell",
    "unreadable", "illegible", "not legible", "not readable", "not visible", "not clearly visible",
    "do not know", "not sure", "unsure", "unclear", "not enough information", "insufficient information",
    "there is no", "there are no", "does not exist", "no such",
)
# On yes/no and count questions these phrases are answers, not abstentions: "there is no
# fork" answers "Is there a fork?" (its "no" decides) and "How many forks?" (zero).
NEGATIVE_ASSERTIONS = ("there is no", "there are no", "no such")

# The spellings of a phrase's words: what "cannot" or "is not" may look like in a reply.
_SPELLINGS = {
    "cannot": r"can(?:not|'?t|\s+not)",
    "there is": r"there(?:\s+is|'s)",
    "there are": r"there(?:\s+are|'re)",
    **{f"{verb} not": rf"{verb}(?:\s+not|n'?t)" for verb in ("is", "are", "was", "were", "do", "does", "did", "has",
                                                             "have", "could")},
}
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00ab": '"', "\u00bb": '"'})


# Invisible marks and optional signs a reader need not reproduce (code point -> removed).
_BIDI_MARKS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
_TATWEEL = {0x0640: None}
_ARABIC_VOWEL_MARKS = dict.fromkeys([*range(0x064B, 0x0653), 0x0670])  # harakat, shadda, sukun, dagger alef
_HEBREW_MARKS = dict.fromkeys([*range(0x0591, 0x05BE), 0x05BF, 0x05C1, 0x05C2, 0x05C4, 0x05C5, 0x05C7])
# Hebrew punctuation typed as its ASCII look-alike on most keyboards: geresh, gershayim, maqaf.
_HEBREW_PUNCTUATION = str.maketrans({"\u05f3": "'", "\u05f4": '"', "\u05be": "-"})

# The steps of normalize_text, in order: (name, what it does, the step). The report lists
# them and counts the texts each one changed.
TEXT_NORMALIZATIONS = (
    ("nfkc", "Unicode NFKC (composed like NFC; Arabic presentation forms to base letters, full-width and "
             "half-width forms to normal width, ligatures split)", lambda t: unicodedata.normalize("NFKC", t)),
    ("bidi_marks", "bidirectional marks removed (LRM, RLM, ALM, embeddings, isolates)",
     lambda t: t.translate(_BIDI_MARKS)),
    ("tatweel", "Arabic tatweel (kashida) removed", lambda t: t.translate(_TATWEEL)),
    ("arabic_vowel_marks", "Arabic vowel marks (harakat, shadda, sukun) removed", lambda t: t.translate(_ARABIC_VOWEL_MARKS)),
    ("hebrew_marks", "Hebrew points (niqqud) and cantillation marks removed", lambda t: t.translate(_HEBREW_MARKS)),
    ("hebrew_punctuation", "Hebrew geresh, gershayim and maqaf as ' \" -",
     lambda t: t.translate(_HEBREW_PUNCTUATION)),
    ("casefold", "case folded", str.casefold),
    ("whitespace", "runs of whitespace as one space, trimmed", lambda t: " ".join(t.split())),
)


def normalize_text(text: str) -> str:
    """The form text answers are compared in (exact match, ANLS, CER): the steps of
    TEXT_NORMALIZATIONS. Punctuation is kept: it is part of a price. Order is not touched:
    right-to-left answers compare in logical order."""
    for _name, _doc, step in TEXT_NORMALIZATIONS:
        text = step(text)
    return text


def normalization_counts(texts) -> dict[str, int]:
    """For each step of TEXT_NORMALIZATIONS, how many of `texts` it changed."""
    counts = dict.fromkeys((name for name, _doc, _step in TEXT_NORMALIZATIONS), 0)
    for text in texts:
        for name, _doc, step in TEXT_NORMALIZATIONS:
            after = step(text)
            counts[name] += after != text
            text = after
    return counts


def normalize_reply(reply: str) -> str:
    """Lower case with straight quotes, for finding words and phrases. Character for
    character the reply's own length, so positions in it are positions in the reply."""
    return reply.translate(_QUOTES).lower()


def phrase_pattern(phrase: str) -> str:
    """A regular expression for a phrase in any of its spellings, on whole words."""
    text = " ".join(phrase.lower().translate(_QUOTES).split())
    parts = []
    while text:
        for words, spelled in _SPELLINGS.items():
            if text == words or text.startswith(words + " "):
                parts.append(spelled)
                text = text[len(words):].strip()
                break
        else:
            word, _, text = text.partition(" ")
            parts.append(re.escape(word))
    return r"\s+".join(parts)


def _phrase_re(phrases: Sequence[str]) -> re.Pattern:
    alternatives = "|".join(phrase_pattern(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{alternatives})(?![\w'])")


_ABSTAIN_ALL = _phrase_re(ABSTAIN_PHRASES)
_ABSTAIN_NO_NEGATIVES = _phrase_re([p for p in ABSTAIN_PHRASES if p not in NEGATIVE_ASSERTIONS])


def abstention_at(reply_norm: str, *, allow_negatives: bool, extra: Sequence[str] = ()) -> int | None:
    """Position of the first abstention phrase in a reply (as `normalize_reply` gives
    it), or None. `extra`: more phrases, such as an unanswerable item's gold answer."""
    pattern = _ABSTAIN_ALL if allow_negatives else _ABSTAIN_NO_NEGATIVES
    found = [m.start() for m in [pattern.search(reply_norm)] if m]
    for phrase in extra:
        if phrase.strip():
            m = re.search(rf"(?<![\w']){phrase_pattern(phrase)}(?![\w'])", reply_norm)
            if m:
                found.append(m.start())
    return min(found) if found else None


@dataclass(frozen=True)
class Parsed:
    status: str
    value: object = None  # "yes"/"no", int, str, option index, (x0, y0, x1, y1)
    text: str | None = None  # the answer as read from the reply (the `parsed` field)


def _abstained() -> Parsed:
    return Parsed(ABSTAINED)


def _strip_wrappers(reply: str) -> str:
    """The reply without surrounding whitespace, markdown emphasis or code fences."""
    text = reply.strip()
    text = re.sub(r"^```\w*\s*|\s*```$", "", text)
    for mark in ("**", "__", "`", "*", "_"):
        if len(text) > 2 * len(mark) and text.startswith(mark) and text.endswith(mark):
            text = text[len(mark):-len(mark)].strip()
    return text


# yes / no ---------------------------------------------------------------------------

_YES_NO = re.compile(r"(?<![\w'])(yes|no)(?![\w'])")
_BARE = re.compile(r"^[\s\"'(\[]*(.*?)[\s\"')\].!,;:]*$", re.DOTALL)


def _bare(text: str) -> str:
    """A short reply without surrounding quotes, brackets and end punctuation."""
    return _BARE.match(text).group(1)


def parse_yes_no(reply: str, *, abstain_extra: Sequence[str] = ()) -> Parsed:
    """The first "yes" or "no" word wins; neither is unparseable (never "no")."""
    norm = normalize_reply(_strip_wrappers(reply))
    bare = _bare(norm)
    if bare in ("yes", "no"):
        return Parsed(EXACT, bare, bare)
    word = _YES_NO.search(norm)
    abstain = abstention_at(norm, allow_negatives=False, extra=abstain_extra)
    if abstain is not None and (word is None or abstain < word.start()):
        return _abstained()
    if word is None:
        return Parsed(UNPARSEABLE)
    return Parsed(EXTRACTED, word.group(1), word.group(1))


# integers ---------------------------------------------------------------------------

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
NUMBER_WORDS = {**{w: i for i, w in enumerate(_UNITS)}, **_TENS, "hundred": 100, "none": 0}
_DIGITS = re.compile(r"(?<![\w.,\-])\d+(?:[.,]\d+)*(?![\w])")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")
_WORD = re.compile(r"[a-z]+")
_ZERO_PHRASES = _phrase_re(NEGATIVE_ASSERTIONS)


def _digits_value(text: str) -> float:
    """7 -> 7, 7.5 -> 7.5, 1,000 -> 1000; other comma forms ("7,8") -> a non-integer."""
    if _THOUSANDS.fullmatch(text):
        return float(text.replace(",", ""))
    if "," in text or text.count(".") > 1:
        return 0.5
    return float(text)


def number_mentions(norm: str) -> list[tuple[int, float]]:
    """(position, value) of every number in a normalised reply: digits ("7", "7.5"),
    number words from zero to one hundred ("seven", "twenty-one", "one hundred", "a
    hundred", "none") and "there is/are no" (zero). Decimals stay non-integers."""
    found = [(m.start(), _digits_value(m.group())) for m in _DIGITS.finditer(norm)]
    words = [(m.start(), m.group()) for m in _WORD.finditer(norm)]
    k = 0
    while k < len(words):
        pos, word = words[k]
        nxt = words[k + 1][1] if k + 1 < len(words) else ""
        if word in _TENS and nxt in _UNITS[1:10]:
            found.append((pos, _TENS[word] + NUMBER_WORDS[nxt]))
            k += 2
        elif word in ("one", "a") and nxt == "hundred":
            found.append((pos, 100))
            k += 2
        elif word in NUMBER_WORDS:
            found.append((pos, NUMBER_WORDS[word]))
            k += 1
        else:
            k += 1
    found += [(m.start(), 0) for m in _ZERO_PHRASES.finditer(norm)]
    return sorted(found)


def parse_integer(reply: str, *, abstain_extra: Sequence[str] = ()) -> Parsed:
    """Digits or number words; two different numbers make the reply unparseable."""
    norm = normalize_reply(_strip_wrappers(reply))
    bare = _bare(norm)
    if re.fullmatch(r"\d+", bare) or bare in NUMBER_WORDS:
        value = int(bare) if bare.isdigit() else NUMBER_WORDS[bare]
        return Parsed(EXACT, value, str(value))
    numbers = number_mentions(norm)
    abstain = abstention_at(norm, allow_negatives=False, extra=abstain_extra)
    if abstain is not None and (not numbers or abstain < numbers[0][0]):
        return _abstained()
    values = {v for _, v in numbers}
    if len(values) != 1:
        return Parsed(UNPARSEABLE)
    value = values.pop()
    if value != int(value) or value < 0:
        return Parsed(UNPARSEABLE)
    return Parsed(EXTRACTED, int(value), str(int(value)))


# text -------------------------------------------------------------------------------

_QUOTED = re.compile(r"\"([^\"]+)\"|(?:(?<=^)|(?<=[\s:(]))'([^']+)'(?=$|[\s.,!?;:)])|`([^`]+)`")
_SAYS = re.compile(
    r"^(?:(?:the|this|that)\s+)?(?:text|sign|word|words|label|writing|answer|it)\b.{0,60}?"
    r"\b(?:says|reads|read|is|shows|displays|spells)\s*:?\s*(.+)$", re.IGNORECASE | re.DOTALL)
_ANSWER_PREFIX = re.compile(r"^(?:answer|text|final answer)\s*:\s*(.+)$", re.IGNORECASE | re.DOTALL)
_END_PUNCT = re.compile(r"[\s.!]+$")


def text_candidates(reply: str) -> list[tuple[int, str, bool]]:
    """(position, text, introduced) of the answers a longer reply may hold, best first: a
    quoted span, the part after "the text says/reads/is", the part after "Answer:" (these
    are introduced answers), then the reply without its final full stop."""
    text = _strip_wrappers(reply.translate(_QUOTES))
    found: list[tuple[int, str, bool]] = []
    quoted = _QUOTED.search(text)
    if quoted:
        span = next(g for g in quoted.groups() if g is not None)
        found.append((quoted.start(), span.strip(), True))
    for pattern in (_SAYS, _ANSWER_PREFIX):
        m = pattern.match(text)
        if m:
            found.append((m.start(1), _bare(_END_PUNCT.sub("", m.group(1).strip())), True))
    unstopped = _END_PUNCT.sub("", text)
    if unstopped != text:
        found.append((0, unstopped, False))
    return [c for c in found if c[1]]


def parse_text(reply: str, golds: Sequence[str], *, abstain_extra: Sequence[str] = ()) -> Parsed:
    """The whole reply, or the answer found in it. A candidate equal to a gold spelling
    (normalised) is taken first, so a well-formed long reply is not penalised; abstention
    phrases count unless a quoted or introduced answer comes before them."""
    whole = _strip_wrappers(reply)
    if not whole:
        return Parsed(UNPARSEABLE)
    gold_norms = {normalize_text(g) for g in golds if g}
    if normalize_text(whole) in gold_norms:
        return Parsed(EXACT, whole, whole)
    candidates = text_candidates(reply)
    for _pos, cand, _introduced in candidates:
        if normalize_text(cand) in gold_norms:
            return Parsed(EXTRACTED, cand, cand)
    abstain = abstention_at(normalize_reply(whole), allow_negatives=True, extra=abstain_extra)
    introduced = [pos for pos, _, intro in candidates if intro]
    if abstain is not None and (not introduced or abstain < min(introduced)):
        return _abstained()
    if candidates:
        cand = candidates[0][1]
        return Parsed(EXTRACTED, cand, cand)
    return Parsed(EXACT, whole, whole)


# choice -----------------------------------------------------------------------------

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def shows_letters(question: str, choices: Sequence[str]) -> bool:
    """Whether a prompt letters its options ("A. red star; B. blue circle"): only then is
    a letter in a reply an option letter."""
    return bool(choices) and re.search(rf"(?<![\w])A[.)]\s*{re.escape(choices[0])}", question) is not None


def parse_choice(reply: str, choices: Sequence[str], *, lettered: bool = True,
                 abstain_extra: Sequence[str] = ()) -> Parsed:
    """The option letter (A, B, ... in the order of `choices`) or the option's text. With
    `lettered` False (the prompt shows no letters), a letter is an answer only where an
    option is that letter itself (tags A, B, C): a reply "A" to a grid question whose
    cells are A1 ... C3 is no answer."""
    labels = ({LETTERS[k]: k for k in range(min(len(choices), len(LETTERS)))} if lettered
              else {c: k for k, c in enumerate(choices) if len(c) == 1 and c in LETTERS})
    text = _strip_wrappers(reply)
    bare = _bare(text)
    norm_choices = [normalize_text(c) for c in choices]
    if len(bare) == 1 and bare.upper() in labels:
        k = labels[bare.upper()]
        return Parsed(EXACT, k, choices[k])
    if normalize_text(bare) in norm_choices:
        k = norm_choices.index(normalize_text(bare))
        return Parsed(EXACT, k, choices[k])
    hits: list[tuple[int, int]] = []  # (position, option index)
    letter = f"([{''.join(labels)}])"  # capital letters only: "a red circle" is not option A
    patterns = (
        rf"\({letter}\)",  # (B)
        rf"(?i:answer|option|choice)\s*(?i:is)?\s*:?\s*\(?{letter}(?![\w'])",  # the answer is B
        rf"^{letter}\s*[.):]",  # B. the red circle
        rf"(?<![\w']){letter}(?=[.)]?\s*$)",  # ... so it is B
    ) if labels else ()
    for pattern in patterns:
        hits += [(m.start(1), labels[m.group(1)]) for m in re.finditer(pattern, text)]
    if not hits and labels:  # a capital letter standing alone ("the bird above tag C"), but not "A bird ..."
        hits = [(m.start(1), labels[m.group(1)]) for m in re.finditer(rf"(?<![\w']){letter}(?![\w'])", text)
                if not (m.group(1) == "A" and re.match(r"\s+[a-z]", text[m.end():])
                        and re.search(r"(^|[.!?:]\s+)$", text[:m.start()]))]
    if len({k for _, k in hits}) > 1:
        return Parsed(UNPARSEABLE)
    if not hits:
        norm = normalize_text(text)
        spans = []
        for k, option in enumerate(norm_choices):
            if len(option) < 2:  # one-letter options ("A") are found as letters above, not as words ("a")
                continue
            for m in re.finditer(rf"(?<!\w){re.escape(option)}(?!\w)", norm):
                spans.append((m.start(), m.end(), k))
        # an option found only inside a longer option's match ("red" in "dark red") does not count
        kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and (o[1] - o[0]) > (s[1] - s[0])
                                            for o in spans)]
        if len({k for *_, k in kept}) == 1:
            hits = [(kept[0][0], kept[0][2])]
        elif len({k for *_, k in kept}) > 1:
            return Parsed(UNPARSEABLE)
    abstain = abstention_at(normalize_reply(text), allow_negatives=True, extra=abstain_extra)
    first = min((pos for pos, _ in hits), default=None)
    if abstain is not None and (first is None or abstain < first):
        return _abstained()
    if not hits:
        return Parsed(UNPARSEABLE)
    k = hits[0][1]
    return Parsed(EXTRACTED, k, choices[k])


def gold_choice_index(answer: str, choices: Sequence[str]) -> int | None:
    """Which option the gold answer names: its text, or its letter."""
    norm = [normalize_text(c) for c in choices]
    if normalize_text(answer) in norm:
        return norm.index(normalize_text(answer))
    letter = _bare(answer.strip()).upper()
    if len(letter) == 1 and letter in LETTERS[:len(choices)]:
        return LETTERS.index(letter)
    return None


# boxes ------------------------------------------------------------------------------

_NUMBER = r"-?\d+(?:\.\d+)?"
_COORD = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w])")
_BOX_EXACT = re.compile(rf"^[\[(]?\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*[\])]?$")
_BOX_GROUP = re.compile(rf"[\[(]\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*,\s*({_NUMBER})\s*[\])]")

_POINT_EXACT = re.compile(rf"^[\[(]?\s*({_NUMBER})\s*,\s*({_NUMBER})\s*[\])]?$")
_POINT_GROUP = re.compile(rf"[\[(]\s*({_NUMBER})\s*,\s*({_NUMBER})\s*[\])]")
_POINT_NAMED = re.compile(rf"\bx\s*[=:]\s*({_NUMBER})\s*[,;]?\s*(?:and\s+)?y\s*[=:]\s*({_NUMBER})", re.IGNORECASE)

Box = tuple[float, float, float, float]
Point = tuple[float, float]


def _valid_box(values) -> Box | None:
    x0, y0, x1, y1 = (float(v) for v in values)
    return (x0, y0, x1, y1) if x1 >= x0 and y1 >= y0 else None


def _box_text(box: Box) -> str:
    return "[" + ", ".join(f"{v:g}" for v in box) + "]"


def parse_bbox(reply: str, *, abstain_extra: Sequence[str] = ()) -> Parsed:
    """Four numbers [x0, y0, x1, y1] in pixels of the stored image (origin top-left): the
    whole reply, a bracketed group of four inside it, or exactly four numbers in it. A box
    with x1 < x0 or y1 < y0 is not in the convention: unparseable. A reply with no box
    but one point (x, y) parses as that click point."""
    text = _strip_wrappers(reply)
    m = _BOX_EXACT.match(_END_PUNCT.sub("", text))
    if m:
        box = _valid_box(m.groups())
        return Parsed(EXACT, box, _box_text(box)) if box else Parsed(UNPARSEABLE)
    groups = list(_BOX_GROUP.finditer(text))
    numbers = list(_COORD.finditer(text))
    first = groups[0].start() if groups else numbers[0].start() if numbers else None
    abstain = abstention_at(normalize_reply(text), allow_negatives=True, extra=abstain_extra)
    if abstain is not None and (first is None or abstain < first):
        return _abstained()
    if len({g.groups() for g in groups}) == 1:
        values = groups[0].groups()
    elif not groups and len(numbers) == 4:
        values = [n.group() for n in numbers]
    else:
        return _point(text) if not groups else Parsed(UNPARSEABLE)
    box = _valid_box(values)
    return Parsed(EXTRACTED, box, _box_text(box)) if box else Parsed(UNPARSEABLE)


def _point(text: str) -> Parsed:
    """A click point (x, y) in pixels of the stored image, given instead of a box
    (ScreenSpot-style GUI grounding): the whole reply, one bracketed pair "(x, y)" or
    "[x, y]", or "x=.., y=..". Two bare numbers are no point ("from 12 to 88"). Its value
    is a 2-tuple, a box's a 4-tuple."""
    m = _POINT_EXACT.match(_END_PUNCT.sub("", text))
    if m:
        return Parsed(EXACT, _as_point(m.groups()), _point_text(m.groups()))
    pairs = {g.groups() for g in _POINT_GROUP.finditer(text)} | {g.groups() for g in _POINT_NAMED.finditer(text)}
    if len(pairs) != 1:
        return Parsed(UNPARSEABLE)
    values = pairs.pop()
    return Parsed(EXTRACTED, _as_point(values), _point_text(values))


def _as_point(values) -> Point:
    return (float(values[0]), float(values[1]))


def _point_text(values) -> str:
    return "({:g}, {:g})".format(*_as_point(values))


def point_in_box(point: Point, box: Box) -> bool:
    """A click hits the element when it falls on one of its pixels: x0 <= x < x1, y0 <= y < y1
    (a gold box's x1 and y1 are exclusive, one past its last pixel)."""
    x, y = point
    return box[0] <= x < box[2] and box[1] <= y < box[3]
