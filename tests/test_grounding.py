"""The grounding family: every description picks exactly one object, tags are legible,
boxes are inside the image and are the boxes of the object's drawn pixels, grid cells
are right, and the decisive part is as large as `part_px` says."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from conftest import read_rows
from gen_stress.cli import main
from gen_stress.generators import Resample, get_family
from gen_stress.generators.grounding import CELLS, GRID
from gen_stress.knobs import make_knobs
from gen_stress.pipeline import PartSpec, plan_for
from gen_stress.rng import sample_rng
from gen_stress.scenes import checks
from gen_stress.scenes.library import load_library
from gen_stress.scenes.parametric import BIRD_FEATURE_TEXT, PART_VARIANTS, part_phrase
from gen_stress.scenes.render import render

GRD = get_family("grounding")
LIB = load_library()


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    out = tmp_path_factory.mktemp("grounding") / "ds"
    try:
        main(["--family", "grounding", "--n", "60", "--rows-per-shard", "20", "--workers", "2", "--no-progress",
              "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    return read_rows(out, "grounding")


def attrs(record) -> dict:
    return {a["name"]: a["value"] for a in record["attributes"]}


def candidates(row):
    return [o for o in row["scene"]["objects"] if o["role"] in ("target", "distractor")]


def test_part_cue_picks_exactly_one(rows):
    seen = Counter()
    for row in rows:
        if row["subtask"] != "grounding/part_cue":
            continue
        kind = row["difficulty"]["object_type"]
        param, values = PART_VARIANTS[kind]
        spelled = {str(v): v for v in values}
        matching = [o for o in candidates(row)
                    if f"Which {kind} {part_phrase(kind, spelled[attrs(o)[param]])}" in row["question"]]
        assert len(matching) == 1, row["question"]
        assert attrs(matching[0])["letter"] == row["answer"] and matching[0]["role"] == "target"
        assert len({attrs(o)[param] for o in candidates(row)}) == len(candidates(row))
        seen[kind] += 1
    assert len(seen) >= 3


def test_similar_birds_pick_exactly_one(rows):
    count = 0
    for row in rows:
        if row["subtask"] != "grounding/similar_classes":
            continue
        feature = row["difficulty"]["decisive"].replace(" ", "_")
        has, lacks = BIRD_FEATURE_TEXT[feature]
        wanted = "True" if f"Which bird {has}?" in row["question"] else "False"
        assert f"Which bird {has}?" in row["question"] or f"Which bird {lacks}?" in row["question"]
        matching = [o for o in candidates(row) if attrs(o)[feature] == wanted]
        assert len(matching) == 1 and attrs(matching[0])["letter"] == row["answer"]
        target = matching[0]
        for other in candidates(row):
            if other is not target:
                differing = [f for f in BIRD_FEATURE_TEXT if attrs(other)[f] != attrs(target)[f]]
                assert len(differing) == row["difficulty"]["similarity"]
        count += 1
    assert count >= 10


def test_tags_are_legible_and_distinct(rows):
    for row in rows:
        if row["subtask"] == "grounding/region":
            continue
        labels = [t for t in row["scene"]["texts"] if t["role"] == "label"]
        assert sorted(t["text"] for t in labels) == sorted(row["choices"])
        assert row["answer"] in row["choices"] and row["answer_type"] == "choice"
        for t in labels:
            assert t["visible_fraction"] >= 0.995 and t["text_px"] == row["difficulty"]["label_px"]
            x0, y0, x1, y1 = t["bbox"]
            assert 0 <= x0 and 0 <= y0 and x1 <= 512 and y1 <= 512


def test_part_px_is_the_decisive_part(rows):
    for row in rows:
        if row["subtask"] != "grounding/region":
            for o in candidates(row):
                assert float(attrs(o)["unit_px"]) == row["difficulty"]["part_px"]
            target = next(o for o in candidates(row) if o["role"] == "target")
            assert row["difficulty"]["target_px"] == round(target["size_px"])


def test_region_answers(rows):
    forms = Counter()
    for row in rows:
        if row["subtask"] != "grounding/region":
            continue
        objects = candidates(row)
        target = next(o for o in objects if o["role"] == "target")
        name = row["difficulty"]["target"]
        assert name == target["label"]
        # the name picks exactly one object: no other object has a word for it
        assert sum(name in LIB.get(o["label"]).concepts for o in objects) == 1
        x0, y0, x1, y1 = target["bbox"]
        assert 0 <= x0 < x1 <= 512 and 0 <= y0 < y1 <= 512
        assert target["visible_fraction"] == 1.0
        forms[row["difficulty"]["region_form"]] += 1
        if row["answer_type"] == "bbox":
            assert "[x0, y0, x1, y1]" in row["question"] and "512x512" in row["question"]
            assert [int(v) for v in re.findall(r"\d+", row["answer"])] == [int(v) for v in target["bbox"]]
        else:
            col, r = CELLS.index(row["answer"]) % GRID, CELLS.index(row["answer"]) // GRID
            cell = 512 / GRID
            assert col * cell <= x0 and x1 <= (col + 1) * cell and r * cell <= y0 and y1 <= (r + 1) * cell
    assert forms["box"] and forms["grid"]


def test_boxes_match_the_drawn_pixels():
    """Recompose region items and measure each target's box on the object-id buffer."""
    part = PartSpec("grounding", n=120, subtasks=("region",))
    checked = 0
    for index in range(60):
        rng = sample_rng(0, "grounding", index)
        plan = plan_for(GRD, part, index)
        knobs = make_knobs(GRD.Knobs, GRD.draw_knobs(plan, rng))
        try:
            (draft,) = GRD.compose(plan, knobs, rng, (512, 512))
        except Resample:
            continue
        rendered = render(draft.scene)
        target = draft.scene.items[0]
        measured = checks.owned_box(rendered, target.item_id)
        assert measured == tuple(int(v) for v in target.bbox)
        if draft.question.answer_type == "bbox":
            assert draft.question.answer == "[{}, {}, {}, {}]".format(*measured)
        checked += 1
    assert checked >= 55


def test_answer_letters_are_spread_evenly():
    part = PartSpec("grounding", n=300, subtasks=("part_cue",))
    positions = Counter()
    for index in range(240):
        rng = sample_rng(0, "grounding", index)
        plan = plan_for(GRD, part, index)
        knobs = make_knobs(GRD.Knobs, {**GRD.draw_knobs(plan, rng), "n_candidates": 3})
        (draft,) = GRD.compose(plan, knobs, rng, (512, 512))
        positions[draft.question.answer] += 1
    assert positions == Counter({"A": 80, "B": 80, "C": 80})


def test_sweep_part_px(tmp_path, capsys):
    from conftest import run_cli

    out = tmp_path / "sweep"
    code, _, err = run_cli(["--family", "grounding", "--n", "8", "--sweep", "part_px=2:8:6", "--workers", "1",
                            "--no-progress", "--out", str(out)], capsys)
    assert code == 0, err
    swept = read_rows(out, "grounding")
    assert {r["difficulty"]["part_px"] for r in swept} == {2, 8}
    assert {r["subtask"] for r in swept} == {"grounding/similar_classes", "grounding/part_cue"}
