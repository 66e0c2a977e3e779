"""Rebuild src/gen_stress/data/words/ from Unicode CLDR (Debian's unicode-cldr-core).

    apt-get download unicode-cldr-core && dpkg -x unicode-cldr-core_*.deb cldr
    python scripts/build_word_lists.py cldr/usr/share/unicode/cldr/common

For every language but English it writes `<code>.txt`, the common words of CLDR's emoji
annotations (everyday nouns, verbs and adjectives, reviewed by native speakers): single
words made only of the language's main exemplar letters, no capitalised names (German
nouns excepted), none of the locale's country, language or currency names, and none
that only a SENSITIVE emoji's annotation gives (weapons, death, drugs, vomit and waste,
an obscene gesture, religion and identity), sorted; and `letters.json`, each language's
main exemplar characters (the letters pseudowords and codes draw from). The output
depends only on the CLDR files: run it twice, get the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "gen_stress" / "data" / "words"

LANGS = ("de", "fr", "es", "ru", "uk", "el", "ar", "fa", "he", "hi", "mr", "bn", "th", "zh", "ja", "ko")
CJK = ("zh", "ja", "ko")
MAX_WORDS = 3000
MIN_LEN = {"zh": 2, "ja": 2, "ko": 2}  # a lone character is no word to read in CJK
MAX_LEN = {"zh": 4, "ja": 5, "ko": 4}
KEEP_CAPITALS = ("de",)  # German nouns are capitalised; they are not names

# Emoji whose annotations put words on a page that no one wants in a benchmark ("death",
# "vomit", "gun", a religion or an identity next to a dish, a file name or a table row):
# their annotations are not read, so a word only they give is left out, and a word a
# benign emoji gives too stays ("water" of the water pistol and of the droplet, "hand" of
# the middle finger and of the waving hand). A sequence holding one of the single
# characters (a skin tone of the middle finger, the pirate flag's skull) is one of them.
SENSITIVE = frozenset({
    *"💀☠⚰⚱🪦😵👻",  # death (the ghost: "death" in Hebrew)
    *"🔫🗡⚔💣🔪🏹🧨",  # weapons and explosives
    *"💉💊🚬🩸🔞🥴",  # drugs, blood, adults only, intoxicated
    *"🤮🤢💩🖕🤬😈👿",  # vomit, waste, obscene gestures, swearing, devils
    *"⛪🕌🕍🛕🕋⛩🛐✝☦☪🕉☸✡🔯🕎☯📿🧕🙏🪯🪷💒",  # religion (the lotus: Buddhism, Hinduism; the wedding chapel: church)
    *"⚧👳👲", "🏳\u200d🌈", "🏳\u200d⚧",  # identity (the turban and the skullcap: "Muslim", "Arab")
})


def sensitive(cp: str) -> bool:
    bare = cp.replace("\ufe0f", "")
    return bare in SENSITIVE or any(c in SENSITIVE for c in bare)


def parse_unicode_set(text: str) -> list[str]:
    """CLDR's `[a b c-e {ch} \\u0301]` notation: the characters and strings it holds."""
    body = text.strip()[1:-1]
    items: list[str] = []
    i = 0

    def char_at(j: int) -> tuple[str, int]:
        if body[j] == "\\":
            if body[j + 1] == "u":
                return chr(int(body[j + 2:j + 6], 16)), j + 6
            return body[j + 1], j + 2
        return body[j], j + 1

    while i < len(body):
        c = body[i]
        if c.isspace():
            i += 1
            continue
        if c == "{":
            end = body.index("}", i)
            items.append(body[i + 1:end])
            i = end + 1
            continue
        first, i = char_at(i)
        if i < len(body) and body[i] == "-" and i + 1 < len(body) and not body[i + 1].isspace():
            last, i = char_at(i + 1)
            items.extend(chr(k) for k in range(ord(first), ord(last) + 1))
        else:
            items.append(first)
    return items


def main_letters(common: Path, code: str) -> list[str]:
    root = ET.parse(common / "main" / f"{code}.xml").getroot()
    for node in root.iter("exemplarCharacters"):
        if node.get("type") is None:
            chars = [unicodedata.normalize("NFC", s) for s in parse_unicode_set(node.text) if len(s) == 1]
            if code == "ko":  # CLDR lists all 11,172 syllables: keep the 2,350 of KS X 1001
                chars = [c for c in chars if _encodes(c, "euc_kr") and len(c.encode("euc_kr")) == 2]
            if code == "zh":  # the 3,755 level-1 characters of GB 2312, the common ones
                chars = [c for c in chars if _encodes(c, "gb2312") and c.encode("gb2312")[0] < 0xD8]
            return sorted(set(chars))
    raise SystemExit(f"no exemplar characters for {code}")


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def annotation_words(common: Path, code: str) -> set[str]:
    """The words of the language's emoji annotations but the SENSITIVE emoji's."""
    words: set[str] = set()
    for folder in ("annotations", "annotationsDerived"):
        path = common / folder / f"{code}.xml"
        if not path.exists():
            continue
        for node in ET.parse(path).getroot().iter("annotation"):
            if not sensitive(node.get("cp", "")):
                words.update(unicodedata.normalize("NFC", phrase.strip()) for phrase in (node.text or "").split("|"))
    return words


def names(common: Path, code: str) -> set[str]:
    """The locale's names of countries, languages, scripts and currencies: proper nouns."""
    root = ET.parse(common / "main" / f"{code}.xml").getroot()
    found = set()
    for tag in ("territory", "language", "script", "displayName"):
        for node in root.iter(tag):
            found.update(unicodedata.normalize("NFC", w) for w in (node.text or "").split())
    return found


def clean(words: set[str], letters: set[str], code: str, proper: set[str]) -> list[str]:
    lower = {c.lower() for c in letters}
    keep = []
    for word in words:
        if word in proper:
            continue
        if not word or not (MIN_LEN.get(code, 3) <= len(word) <= MAX_LEN.get(code, 12)):
            continue
        if code not in KEEP_CAPITALS and word != word.lower():
            continue  # a capitalised word is a name here
        if code in KEEP_CAPITALS and (word.isupper() or any(c.isupper() for c in word[1:])):
            continue  # an abbreviation
        if not all(c.lower() in lower for c in word):
            continue
        keep.append(word)
    return sorted(keep)


def sample(words: list[str], limit: int) -> list[str]:
    """An even spread through the sorted list when it is too long (deterministic)."""
    if len(words) <= limit:
        return words
    step = len(words) / limit
    return [words[int(k * step)] for k in range(limit)]


def write_whole(path: Path, text: str) -> None:
    """The file written beside its place, then renamed into it: a killed run leaves each
    list whole, old or new."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def main(common: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    letters = {}
    for code in LANGS:
        chars = main_letters(common, code)
        letters[code] = "".join(chars)
        words = sample(clean(annotation_words(common, code), set(chars), code, names(common, code)), MAX_WORDS)
        header = (f"# {code}: common words from Unicode CLDR's emoji annotations (Unicode licence, see "
                  "LICENSE-CLDR.txt),\n# rebuilt by scripts/build_word_lists.py\n")
        write_whole(OUT / f"{code}.txt", header + "\n".join(words) + "\n")
        print(f"{code}: {len(words)} words, {len(chars)} letters")
    write_whole(OUT / "letters.json", json.dumps(letters, ensure_ascii=False, indent=0, sort_keys=True) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("common", type=Path, help="CLDR's common/ folder (holding main/ and annotations/)")
    common = parser.parse_args().common
    missing = [d for d in ("main", "annotations") if not (common / d).is_dir()]
    if missing:
        parser.error(f"{common} is not CLDR's common/ folder (no {' or '.join(f'{d}/' for d in missing)} in it)")
    main(common)
