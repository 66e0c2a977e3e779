"""Caption items are scored CHAIR-style: objects named against the objects drawn."""

from __future__ import annotations

import pytest

from gen_stress.generators import get_family
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.scoring import score_item, summarize
from gen_stress.scoring.chair import is_caption, mentions
from gen_stress.scenes.library import load_library

HAL = get_family("hallucination")


@pytest.fixture(scope="module")
def captions():
    part = PartSpec(family="hallucination", n=12, settings=(("template", "dining table"),))
    rows = [r for i in range(12) for r in generate_index(HAL, part, (512, 512), i)]
    return [r for r in rows if is_caption(r)]


def objects_of(row) -> list[str]:
    return [o["label"] for o in row["scene"]["objects"] if o["role"] == "object"]


def test_gold_caption_is_right(captions):
    assert len(captions) == 12
    for row in captions:
        score = score_item(row, row["answer"])
        assert score["correct"] and score["chair_i"] == 0.0 and score["object_recall"] == 1.0


def test_an_invented_object_is_a_hallucination(captions):
    lib = load_library()
    for row in captions:
        present = set(objects_of(row))
        absent = next(c for c in lib.absent_candidates(frozenset(
            w for name in present for w in lib.get(name).concepts)) if " " not in c.name)
        named = sorted(present)[:3]
        reply = f"I see a {', a '.join(named)} and a {absent.name} on the table."
        score = score_item(row, reply)
        assert score["hallucinated"] == [absent.name]
        assert score["chair_s"] and not score["correct"]
        assert score["chair_i"] == pytest.approx(1 / (len(named) + 1))


def test_what_a_composite_picture_depicts_is_not_invented():
    """A scene with the "fork and knife with plate" picture shows a knife."""
    lib = load_library()
    composite = next(c for c in lib.classes if {"knife", "fork", "plate"} <= set(c.depicts))
    row = {"answer": f"A {composite.name}.", "answer_type": "text", "answerable": True,
           "difficulty": {"question_form": "caption"},
           "scene": {"objects": [{"role": "object", "label": composite.name, "attributes": []}]}}
    score = score_item(row, "A knife and a fork on a plate.")
    assert score["hallucinated"] == [] and score["correct"]
    assert score_item(row, "A knife, a fork and a cup on a plate.")["hallucinated"] == ["cup"]


def test_longest_phrase_wins():
    assert mentions("A bell pepper next to two hot peppers.") == ["bell pepper", "hot peppers"]


def test_summary_reports_chair(captions):
    replies = [r["answer"] if k % 2 else "A cat and a violin." for k, r in enumerate(captions)]
    scores = [score_item(r, reply) for r, reply in zip(captions, replies)]
    caption = summarize(captions, scores)["families"]["hallucination"]["answer_types"]["caption"]
    assert caption["n"] == 12
    assert caption["chair_s"] == pytest.approx(0.5)
    assert caption["accuracy"] == pytest.approx(0.5)
