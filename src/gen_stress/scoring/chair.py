"""CHAIR-style scoring of caption items (Rohrbach et al., 2018, "Object Hallucination in
Image Captioning"): which object classes a caption names, and which of them the image
does not show.

A caption item is a text item whose `difficulty.question_form` is "caption"; its gold
objects are the `scene` objects with role "object" (and the surface they stand on).
Mentions are found with the object library's vocabulary (every class name and synonym,
singular and plural), longest phrase first, so "bell pepper" is not also a "pepper". A
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


def mentions(caption: str) -> list[str]:
    """The object phrases a caption names, in order (lower case)."""
    return [m.group(1) for m in _vocabulary().finditer(caption.lower())]


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
