"""The hallucination family: absent objects are really absent (counting everything each
picture depicts), yes/no is balanced within each negative strategy, adversarial
negatives co-occur with the scene more than random ones, attributes and states are
drawn as recorded, captions list the scene, and the worked example is reproducible."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import numpy as np
import pytest

from conftest import composed_drafts, read_rows, run_cli
from gen_stress.cli import main
from gen_stress.generators import family_names, get_family
from gen_stress.generators.hallucination import STRATEGIES, color_failures, example_drafts
from gen_stress.pipeline import PartSpec
from gen_stress.scenes.library import concepts_of, load_library, word_forms
from gen_stress.scenes.model import Scene
from gen_stress.scenes.render import render
from gen_stress.scenes.sprites import SpriteItem

HAL = get_family("hallucination")
LIB = load_library()


def composed(part: PartSpec) -> list:
    """(plan, drafts) of each index, composed (not rendered) as the pipeline does."""
    return list(composed_drafts(HAL, part))


@pytest.fixture(scope="module")
def object_items():
    return composed(PartSpec("hallucination", n=900, subtasks=("object",)))


@pytest.fixture(scope="module")
def mixed_items():
    return composed(PartSpec("hallucination", n=600))


def scene_classes(scene: Scene):
    return [LIB.get(it.label) for it in scene.items if it.role == "object"]


def test_yes_no_is_balanced_within_each_strategy(object_items, mixed_items):
    for items in (object_items, mixed_items):
        tally = defaultdict(Counter)
        for plan, drafts in items:
            q, knobs = drafts[0].question, drafts[0].knobs
            if q.answer_type == "yes_no":
                tally[(plan.subtask, knobs.neg_strategy)][q.answer] += 1
        for key, counts in tally.items():
            share = counts["yes"] / (counts["yes"] + counts["no"])
            assert abs(share - 0.5) <= 0.03, (key, counts)
        assert {s for _, s in tally} == set(STRATEGIES)


def test_absent_objects_are_absent_counting_everything_depicted(object_items):
    checked = 0
    for plan, drafts in object_items:
        draft = drafts[0]
        if draft.question.answer == "yes" or draft.question.answerable and draft.question.answer_type != "yes_no":
            continue
        target = LIB.get(draft.knobs.target)
        surface = next(it for it in draft.scene.items if it.role == "surface")
        words = concepts_of(scene_classes(draft.scene))
        words |= {w for word in [surface.label, *dict(surface.attributes)["synonyms"].split(", ")] for w in word_forms(word)}
        assert not target.concepts & words, (target.name, [c.name for c in scene_classes(draft.scene)])
        checked += 1
    assert checked > 300


def test_present_objects_are_present(object_items):
    for plan, drafts in object_items:
        draft = drafts[0]
        if draft.question.answer == "yes":
            assert draft.knobs.target in [c.name for c in scene_classes(draft.scene)]


def test_adversarial_negatives_cooccur_more_than_random(object_items):
    by_strategy = defaultdict(list)
    for plan, drafts in object_items:
        knobs = drafts[0].knobs
        if drafts[0].question.answer == "no":
            by_strategy[knobs.neg_strategy].append(knobs.cooccurrence)
            present = [c.name for c in scene_classes(drafts[0].scene)]
            assert knobs.cooccurrence == pytest.approx(LIB.cooccurrence_with(knobs.target, present), abs=1e-4)
    adversarial, random_ = np.mean(by_strategy["adversarial"]), np.mean(by_strategy["random"])
    assert adversarial > 3 * random_, (adversarial, random_)
    popular = Counter(k for k in by_strategy)  # all three strategies produced negatives
    assert set(popular) == set(STRATEGIES)


def test_presupposition_questions(object_items):
    forms = Counter()
    for plan, drafts in object_items:
        draft = drafts[0]
        if draft.knobs.question_form != "presupposed":
            continue
        q = draft.question
        target = LIB.get(draft.knobs.target)
        forms[q.answerable] += 1
        assert q.question.startswith(f"What colour {target.be} the {target.name}?")
        if q.answerable:
            assert q.answer == target.color and target in scene_classes(draft.scene)
        else:
            assert q.answer == f"there {target.be} no {target.name}"
            assert "not in the image" in q.aliases and target not in scene_classes(draft.scene)
    assert forms[True] == forms[False] > 0


def test_attributes_and_states_are_drawn_as_recorded(mixed_items):
    seen = Counter()
    for plan, drafts in mixed_items:
        draft = drafts[0]
        if plan.subtask == "object":
            continue
        knobs, q = draft.knobs, draft.question
        (target,) = [it for it in draft.scene.items if it.role == "object" and it.label == knobs.target]
        attrs = dict(target.attributes)
        if plan.subtask == "attribute":
            assert attrs["shown_color"] == knobs.true_value
            if knobs.neg_strategy == "adversarial":
                assert knobs.true_value != attrs["prototypical_color"]
                if q.answer == "no":
                    assert knobs.asked_value == attrs["prototypical_color"]
        else:
            assert attrs["state"] == knobs.true_value
        assert (q.answer == "yes") == (knobs.asked_value == knobs.true_value)
        assert f" {knobs.asked_value}?" in q.question
        seen[plan.subtask] += 1
    assert seen["attribute"] > 100 and seen["action"] > 100


def test_every_scene_has_a_caption_item(mixed_items):
    for plan, drafts in mixed_items:
        main, caption = drafts
        assert caption.variant == "caption" and caption.scene is main.scene
        assert caption.question.answer_type == "text" and caption.knobs.question_form == "caption"
        for cls in scene_classes(main.scene):
            assert cls.name in caption.question.answer


def test_recolour_check_catches_a_natural_colour():
    banana = LIB.get("banana").drawing().emoji
    natural = SpriteItem(1, "object", "banana", banana, (10, 10), 90, z=1)
    rendered = render(Scene(120, 120, "beige", (236, 226, 205), (natural,)))
    claimed = SpriteItem(1, "object", "banana", banana, (10, 10), 90, z=1, recolor=("yellow", "blue"))
    assert color_failures(claimed, rendered)
    blue = render(Scene(120, 120, "beige", (236, 226, 205), (claimed,)))
    assert color_failures(claimed, blue) == []


# Through the command line ---------------------------------------------------------------

@pytest.fixture(scope="module")
def hal_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("hal") / "ds"
    try:
        main(["--family", "hallucination", "--n", "36", "--rows-per-shard", "12", "--workers", "2",
              "--no-progress", "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    return out


def test_dataset_rows(hal_dataset):
    rows = read_rows(hal_dataset, "hallucination")
    assert len(rows) == 72  # a question and a caption per scene
    by_index = defaultdict(list)
    for row in rows:
        by_index[row["index"]].append(row)
    for index, pair in by_index.items():
        main, caption = sorted(pair, key=lambda r: r["id"])
        assert caption["id"].endswith("-caption") and caption["answer_type"] == "text"
        assert main["image"]["bytes"] == caption["image"]["bytes"]
        objects = [o for o in main["scene"]["objects"] if o["role"] == "object"]
        assert objects and all(o["visible_fraction"] >= 0.99 for o in objects)
        for o in objects:
            names = {a["name"] for a in o["attributes"]}
            assert "class" in names
        assert main["difficulty"]["n_objects"] == len(objects)
    readme = (hal_dataset / "README.md").read_text()
    assert "assets/hallucination-samples.png" in readme and (hal_dataset / "assets" / "hallucination-samples.png").exists()


def test_same_bytes_with_any_worker_count(hal_dataset, tmp_path, capsys):
    out = tmp_path / "one"
    code, _, err = run_cli(["--family", "hallucination", "--n", "36", "--rows-per-shard", "12", "--workers", "1",
                            "--no-progress", "--out", str(out)], capsys)
    assert code == 0, err
    for path in sorted((hal_dataset / "hallucination").glob("*.parquet")):
        assert path.read_bytes() == (out / "hallucination" / path.name).read_bytes()


def test_all_includes_the_new_families():
    assert {"hallucination", "grounding"} <= set(family_names("all"))


def test_worked_example_by_name(tmp_path, capsys):
    code, out, err = run_cli(["example", "fork-on-plate", "--out", str(tmp_path / "a")], capsys)
    assert code == 0, err
    code, _, _ = run_cli(["example", "fork-on-plate", "--out", str(tmp_path / "b")], capsys)
    for suffix in ("png", "json", "parquet"):
        assert (tmp_path / "a" / f"fork-on-plate.{suffix}").read_bytes() == \
            (tmp_path / "b" / f"fork-on-plate.{suffix}").read_bytes()
    row = json.loads((tmp_path / "a" / "fork-on-plate.json").read_text())
    assert row["question"].startswith("Is there a fork on the plate?")
    assert row["answer"] == "no" and row["difficulty"]["neg_strategy"] == "adversarial"
    objects = row["scene"]["objects"]
    labels = sorted(o["label"] for o in objects if o["role"] == "object")
    assert labels == ["napkin", "plate", "spoon"]
    assert next(o for o in objects if o["role"] == "surface")["label"] == "table"
    plate = next(o for o in objects if o["label"] == "plate")
    assert plate["color"] == "white"
    words = concepts_of([LIB.get(n) for n in labels])
    assert "fork" not in words
    code, _, err = run_cli(["example", "no-such-example"], capsys)
    assert code == 2 and "unknown example" in err


def test_worked_example_pixels():
    (draft,) = example_drafts("fork-on-plate")
    rendered = render(draft.scene)
    assert HAL.verify(draft, rendered) == []
    plate = next(it for it in draft.scene.items if it.label == "plate")
    x0, y0, x1, y1 = plate.bbox
    centre = rendered.image.getpixel((int((x0 + x1) / 2), int((y0 + y1) / 2)))
    assert min(centre) >= 245, "the plate is white"


def test_held_out_classes_are_never_shown_or_asked():
    """A train split that holds out the fork: no object in any image shows a fork (the
    "fork and knife with plate" picture included), and no question asks about one."""
    from gen_stress.pipeline import generate_index

    lib = load_library()
    fork_words = lib.get("fork").names
    part = PartSpec(family="hallucination", n=60, seed=4, split="train",
                    settings=(("template", "dining table"),), hold_out=(("target", ("fork",)),))
    part.validate()
    for index in range(0, 60, 2):
        rows = generate_index(HAL, part, (512, 512), index)
        classes = [lib.get(o["label"]) for o in rows[0]["scene"]["objects"] if o["role"] == "object"]
        assert not concepts_of(classes) & fork_words
        for row in rows:
            assert row["difficulty"]["target"] != "fork"
            assert "fork" not in row["question"].lower()
