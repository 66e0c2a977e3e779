"""Labels a person agrees with in the library scenes: a/an by sound in every question and
caption template, real-world sizes kept in order, and no setting named that the plain
surface does not show."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import composed_drafts
from gen_stress.generators import get_family
from gen_stress.generators.hallucination import Wanted, caption_question, make_object
from gen_stress.pipeline import PartSpec
from gen_stress.scenes.library import SIZE_CLASSES, class_sizes, indefinite_article, load_library

HAL = get_family("hallucination")
LIB = load_library()

# Written out by hand, not derived: words spelt with a vowel but said with a consonant
# ("a unicorn"), and words whose h is silent ("an hour").
CONSONANT_SOUND = {"unicorn", "one-way", "ukulele", "european", "useful", "uniform", "university", "user"}
SILENT_H = {"hour", "hourglass", "honest", "heir"}


def article_errors(text: str) -> list[str]:
    """'a' before a vowel sound or 'an' before a consonant sound, judged by spelling and the
    hand-written exceptions above."""
    errors = []
    for article, word in re.findall(r"\b(a|an) ([a-z][a-z-]*)", text.lower()):
        vowel = word[0] in "aeiou" and word not in CONSONANT_SOUND
        vowel = vowel or word in SILENT_H or re.fullmatch(r"[aefhilmnorsx]-\w+", word) is not None
        if re.fullmatch(r"[a-z]-\w+", word) and word[0] not in "aefhilmnorsx":
            vowel = False
        if (article == "an") != vowel:
            errors.append(f"{article} {word}")
    return errors


@pytest.mark.parametrize("phrase,article", [
    ("umbrella", "an"), ("unicorn", "a"), ("hourglass", "an"), ("one-way sign", "a"), ("t-shirt", "a"),
    ("x-ray", "an"), ("ukulele", "a"), ("honest answer", "an"), ("hat", "a"), ("egg", "an"), ("owl", "an"),
    ("useful tool", "a"), ("open umbrella", "an"), ("empty glass", "an"), ("full glass", "a"),
    ("european car", "a"), ("ice skate", "an"), ("apple", "an"), ("banana", "a"),
])
def test_indefinite_article_by_sound(phrase, article):
    assert indefinite_article(phrase) == article
    assert not article_errors(f"{article} {phrase}")


def test_every_template_reads_right_for_every_object():
    """Each object name in each form a question or caption puts it: "Is there an
    umbrella ...?", "What colour is the ...?", the caption "An open umbrella, ..."."""
    for cls in LIB.classes:
        texts = [cls.exists_question(), f"{cls.be.capitalize()} the {cls.name} red? Answer yes or no."]
        texts += [cls.described(state) for state in (cls.states or ("",))]
        for state in cls.states or ("",):
            placed = [make_object(Wanted(cls, state=state), 2, (100.0, 100.0), 64)]
            texts.append(caption_question(placed).answer)
        for text in texts:
            assert not article_errors(text), (cls.name, text)


def composed_scenes(template: str, n: int, object_px: int | None = None):
    settings = (("template", template),) + ((("object_px", object_px),) if object_px else ())
    part = PartSpec("hallucination", n=n, settings=settings, subtasks=("object",))
    return (drafts for _plan, drafts in composed_drafts(HAL, part))


@pytest.mark.parametrize("template,object_px", [("farmyard", None), ("street", None), ("park", None),
                                                ("office desk", None), ("farmyard", 40), ("street", 128)])
def test_size_classes_keep_their_order_in_scenes(template, object_px):
    """A bee is smaller than a book and a chick smaller than a cow in every scene; the
    biggest class present is drawn at most object_px."""
    pairs = 0
    for drafts in composed_scenes(template, 12, object_px):
        scene, knobs = drafts[0].scene, drafts[0].knobs
        objects = [(LIB.get(it.label).size_rank, it.size_px) for it in scene.items if it.role == "object"]
        assert max(px for _, px in objects) <= knobs.object_px
        for rank_a, px_a in objects:
            for rank_b, px_b in objects:
                if rank_a < rank_b:
                    pairs += 1
                    assert px_a < px_b, (template, objects)
    assert pairs > 10  # the templates do mix size classes


def test_class_sizes_step_and_squeeze():
    rng = np.random.default_rng(0)
    ranks = list(range(len(SIZE_CLASSES))) * 20
    for largest in (32, 56, 88, 128):
        sizes = class_sizes(ranks, largest, rng)
        by_rank = [[s for r, s in zip(ranks, sizes) if r == k] for k in range(len(SIZE_CLASSES))]
        assert all(max(lower) < min(upper) for lower, upper in zip(by_rank, by_rank[1:]))
        assert max(sizes) <= largest
        assert min(sizes) >= min(24, largest * 0.5)  # squeezed, not shrunk to dots
    one_class = class_sizes([2] * 50, 100, rng)  # one class only: about 15% of variation, as before
    assert 83 <= min(one_class) and max(one_class) <= 100 and len(set(one_class)) > 5


def test_library_sizes_are_plausible():
    size = {c.name: c.size_rank for c in LIB.classes}
    for small, big in [("bee", "book"), ("chick", "cow"), ("coin", "apple"), ("apple", "cat"), ("cat", "person"),
                       ("person", "bus"), ("ant", "elephant"), ("mouse", "horse"), ("key", "guitar")]:
        assert size[small] < size[big], (small, big)


def test_setting_stays_out_of_captions_and_questions():
    """The surface is a plain rounded rectangle: which room or place it is, nobody can
    tell, so no gold caption or question names it."""
    settings = {t.name for t in LIB.templates} | {t.surface.label for t in LIB.templates} | {
        s for t in LIB.templates for s in t.surface.synonyms}
    for _plan, drafts in composed_drafts(HAL, PartSpec("hallucination", n=60)):
        for draft in drafts:
            text = f"{draft.question.question} {draft.question.answer}".lower()
            named = [s for s in settings if re.search(rf"\b{re.escape(s)}\b", text)]
            assert not named, (named, text)
