"""CHAIR-style scoring of caption items (Rohrbach et al., 2018, "Object Hallucination in
Image Captioning"): which object classes a caption names, and which of them the image
does not show.

A caption item is a text item whose `difficulty.question_form` is "caption"; its gold
objects are the `scene` objects with role "object" (and the surface they stand on).
Mentions are found with the object library's vocabulary (every class name and synonym,
singular and plural), longest phrase first, so "bell pepper" is not also a "pepper". A word
is not an object when it is used in another sense (see `mentions`): a colour ("the walls
are peach", "cherry red", "orange and white"), a flavour or a modifier of the next noun
("orange juice", "lemon tart", "chocolate cake", "apple tree"), or the liquid a container
holds ("a glass of orange juice" names a glass; what it holds a drawing cannot tell). A
mention is hallucinated when no word of anything in the image (names, synonyms, what
composite pictures depict) is that phrase: the same rule that makes a class absent when
questions are generated.

- chair_i: hallucinated mentions over all mentions (0 when nothing is named);
- chair_s: the caption names at least one hallucinated object;
- object_recall: share of the image's objects the caption names (by a name, a synonym,
  or what the picture depicts);
- correct: no hallucinated object, and at least MIN_RECALL of the objects named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

CAPTION_FORM = "caption"
MIN_RECALL = 0.5


def is_caption(item: Mapping[str, Any]) -> bool:
    difficulty = item.get("difficulty") or {}
    return item.get("answer_type") == "text" and difficulty.get("question_form") == CAPTION_FORM


@cache
def _vocabulary() -> re.Pattern:
    from gen_stress.scenes.library import load_library

    phrases = {name for cls in load_library().classes for name in cls.names}
    ordered = sorted(phrases, key=lambda p: (-len(p), p))  # longest first: "bell pepper" before "pepper"
    return re.compile(r"\b(" + "|".join(re.escape(p) for p in ordered) + r")\b")


# Words after which a vocabulary word is a modifier, not an object: colours and
# appearance ("cherry red", "rose-coloured"), and what food and drink are made or tasting
# of ("orange juice", "lemon tart").
_COLOR_HEADS = ("red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "white", "black", "gray",
                "grey", "beige", "gold", "golden", "silver", "color", "colour", "colored", "coloured", "colors",
                "colours", "hue", "hued", "tone", "toned", "tint", "tinted", "shade", "shaded")
_FOOD_HEADS = ("juice", "juices", "tart", "tarts", "pie", "pies", "sauce", "soup", "soda", "tea", "drink", "drinks",
               "smoothie", "milkshake", "shake", "sorbet", "yogurt", "yoghurt", "jam", "jelly", "marmalade",
               "flavour", "flavor", "flavoured", "flavored", "scented", "scent", "syrup", "zest", "squash",
               "lemonade", "liqueur", "frosting", "icing", "glaze", "filling", "spread", "chips", "sprinkles",
               "pudding", "mousse", "cream", "candy", "bar", "milk", "water", "oil", "extract", "essence")
_MODIFIER_HEAD = re.compile(r"[ -](?:" + "|".join(_COLOR_HEADS + _FOOD_HEADS) + r")\b")
# A colour-sense word is a colour after these ("is orange", "bright orange", "in orange").
_COLOR_BEFORE = re.compile(r"\b(?:(?:is|are|was|were|be|looks?|appears?|seems?|bright|dark|light|pale|deep|vivid|"
                           r"soft|dusty|in|all|mostly|partly) |(?:" + "|".join(_COLOR_HEADS) + r")(?: and | or |, ?|-))$")
_COLOR_AFTER = re.compile(r"(?: and| or|,|-)\s*(?:" + "|".join(_COLOR_HEADS) + r")\b")
# A colour-sense word followed by another word is its adjective ("an orange tabby cat",
# "a coffee table"), unless that word is one a noun is followed by ("an orange on a plate").
_NOUN_FOLLOWERS = frozenset((
    "and", "or", "with", "without", "on", "onto", "in", "inside", "into", "next", "near", "beside", "besides", "by",
    "behind", "above", "below", "under", "over", "between", "among", "against", "at", "to", "from", "of", "for",
    "is", "are", "was", "were", "has", "have", "sits", "sit", "sitting", "lies", "lie", "lying", "rests", "resting",
    "placed", "stands", "standing", "hangs", "hanging", "that", "which", "cut", "sliced", "slice", "slices",
    "wedge", "wedges", "half", "halves", "peel", "peels", "segment", "segments", "too", "as", "alongside", "plus",
    "nearby", "there", "here", "left", "right", "top", "bottom", "while", "but", "who", "whose",
))
_NEXT_WORD = re.compile(r" ([a-z]+)")
# Containers whose contents (a liquid) are not a separate object: "a glass of orange juice".
_CONTAINERS = ("glass", "glasses", "cup", "cups", "mug", "mugs", "tumbler", "tumblers", "bottle", "bottles",
               "teacup", "teacups", "jug", "pitcher", "carton", "can", "flask")
_LIQUIDS = frozenset(("juice", "juices", "orange juice", "water", "tea", "coffee", "hot drink", "milk", "wine",
                      "beer", "soda", "soft drink", "lemonade", "whiskey", "whisky", "champagne", "cocktail",
                      "cocktails", "boba", "bubble tea", "chocolate", "hot chocolate", "cocoa"))
_CONTENTS = re.compile(r"\b(" + "|".join(_CONTAINERS) + r") of (?:[a-z-]+ ){0,2}$")
_CONTAINED = re.compile(r"^(" + "|".join(_CONTAINERS) + r") of (.+)$")  # "cup of coffee" said whole


@cache
def color_senses() -> frozenset[str]:
    """Vocabulary words that are also colour names (orange, peach, rose, lemon, cherry,
    chocolate, ...): they name an object only where they are not used as a colour."""
    from gen_stress.scenes.library import load_library

    colors = {"orange", "peach", "rose", "lemon", "cherry", "chocolate", "lime", "olive", "plum", "mint", "cream",
              "salmon", "coral", "wine", "coffee", "honey", "tangerine", "mustard", "banana", "tomato", "sky",
              "sand", "brick", "denim", "charcoal", "gold", "silver", "ivory", "lavender", "violet"}
    names = {name for cls in load_library().classes for name in cls.names}
    return frozenset(colors & names)


def _object_sense(text: str, start: int, end: int, phrase: str, next_start: int | None) -> str | None:
    """The object word a vocabulary match at text[start:end] names, or None when it is
    used in another sense."""
    before, after = text[:start], text[end:]
    if phrase in _LIQUIDS and _CONTENTS.search(before):
        return None  # what a glass or cup holds
    if _MODIFIER_HEAD.match(after):
        return None  # "orange juice", "cherry red", "rose-coloured"
    if next_start is not None and text[end:next_start] in (" ", "-"):
        return None  # modifies the next object: "chocolate cake", "apple tree", "dog bowl"
    if phrase in color_senses():
        if _COLOR_BEFORE.search(before) or _COLOR_AFTER.match(after):
            return None  # "the wall is peach", "bright orange", "orange and white"
        following = _NEXT_WORD.match(after)
        if following and following.group(1) not in _NOUN_FOLLOWERS:
            return None  # "an orange tabby cat", "a coffee table"
    contained = _CONTAINED.match(phrase)
    if contained and contained.group(2) in _LIQUIDS:
        return contained.group(1)  # "a cup of coffee" names a cup: the liquid a drawing cannot tell
    return phrase


def mentions(caption: str) -> list[str]:
    """The object phrases a caption names, in order (lower case), each in its object
    sense: colours, flavours, modifiers and a container's liquid are left out."""
    text = caption.lower()
    found = list(_vocabulary().finditer(text))
    named = []
    for k, m in enumerate(found):
        next_start = found[k + 1].start() if k + 1 < len(found) else None
        word = _object_sense(text, m.start(), m.end(), m.group(1), next_start)
        if word is not None:
            named.append(word)
    return named


def gold_words(scene: Mapping[str, Any]) -> tuple[frozenset[str], list]:
    """Every word for what the image shows, and the object classes present."""
    from gen_stress.scenes.library import concepts_of, load_library, word_forms

    lib = load_library()
    present = [lib.get(o["label"]) for o in scene["objects"] if o["role"] == "object"]
    words = set(concepts_of(present))
    for obj in scene["objects"]:
        if obj["role"] == "surface":  # "a table", with its synonyms
            synonyms = dict((a["name"], a["value"]) for a in obj.get("attributes") or ()).get("synonyms", "")
            for word in [obj["label"], *(s for s in synonyms.split(", ") if s)]:
                words |= word_forms(word)
    return frozenset(words), present


def score_caption(item: Mapping[str, Any], caption: str) -> dict:
    words, present = gold_words(item["scene"])
    named = mentions(caption)
    hallucinated = sorted({m for m in named if m not in words})
    said = set(named)
    recalled = [cls.name for cls in present if cls.concepts & said]  # naming what a picture depicts counts
    recall = len(recalled) / len(present) if present else 1.0
    return {
        "mentioned": sorted(said),
        "hallucinated": hallucinated,
        "chair_i": sum(m in hallucinated for m in named) / len(named) if named else 0.0,
        "chair_s": bool(hallucinated),
        "object_recall": recall,
        "correct": not hallucinated and recall >= MIN_RECALL,
    }
