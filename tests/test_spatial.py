"""The spatial family: answers agree with the boxes in `scene` under the margin rule,
named objects are unique, answers are balanced, mirrored twins flip, sweeps work."""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter

import numpy as np
import pytest
from conftest import read_rows, run_cli

from gen_stress.generators import Resample, get_family
from gen_stress.generators.spatial import GRID_CELLS, QUADRANTS, SpatialFamily
from gen_stress.knobs import make_knobs
from gen_stress.pipeline import PartSpec, generate_index, plan_for
from gen_stress.rng import sample_rng
from gen_stress.scenes.objects import told_apart
from gen_stress.scenes.render import render

SPATIAL: SpatialFamily = get_family("spatial")  # type: ignore[assignment]
RATIO = 1.25  # the runner-up is at least this many times as far, plus margin_px


def _run(args, tmp_path_factory, name):
    from gen_stress.cli import main

    out = tmp_path_factory.mktemp(name) / "ds"
    try:
        main([*args, "--no-progress", "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    return read_rows(out, "spatial")


@pytest.fixture(scope="module")
def spatial_rows(tmp_path_factory) -> list[dict]:
    """300 items, 100 per subtask, by two workers."""
    return _run(["--family", "spatial", "--n", "300", "--rows-per-shard", "100", "--workers", "2"],
                tmp_path_factory, "spatial")


@pytest.fixture(scope="module")
def pair_rows(tmp_path_factory) -> list[dict]:
    return _run(["--family", "spatial", "--n", "60", "--pairs", "--workers", "2"], tmp_path_factory, "pairs")


# An independent reading of the rules, from the scene record and the question text -------

def boxes_by_label(row) -> dict[str, list[float]]:
    return {o["label"]: o["bbox"] for o in row["scene"]["objects"]}


def center(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def clearly_before(a, b, axis, margin) -> bool:
    gap = b[axis] - a[axis + 2]
    return gap >= margin and gap > abs(center(a)[1 - axis] - center(b)[1 - axis])


def options_of(row) -> list[str]:
    assert row["answer"] in row["choices"]
    listed = re.search(r"Options: (.*)\. Answer with the letter", row["question"]).group(1)
    assert listed == "; ".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(row["choices"]))
    return list(row["choices"])


def clear_winner(distances: dict[str, float], margin: float) -> str:
    ranked = sorted(distances, key=distances.get)
    assert distances[ranked[1]] >= RATIO * distances[ranked[0]] + margin, distances
    return ranked[0]


def expected_answer(row) -> str:
    """The answer the boxes give under the labelling rules (asserting they give one)."""
    q, margin, form = row["question"], row["difficulty"]["margin_px"], row["difficulty"]["form"]
    boxes = boxes_by_label(row)
    size = (row["scene"]["width"], row["scene"]["height"])
    if form == "yes_no":
        x, relation, y = re.match(r"Is the (.+?) (to the left of|to the right of|above|below) the (.+?)\?", q).groups()
        axis = 0 if "left" in relation or "right" in relation else 1
        forward = relation in ("to the left of", "above")
        a, b = (boxes[x], boxes[y]) if forward else (boxes[y], boxes[x])
        assert clearly_before(a, b, axis, margin) or clearly_before(b, a, axis, margin), "a dead-zone pair"
        return "yes" if clearly_before(a, b, axis, margin) else "no"
    if form == "which":
        phrase, x, y = re.match(r"Which is (further left|further right|higher up|lower down) in the image, "
                                r"the (.+?) or the (.+?)\?", q).groups()
        assert options_of(row) == [x, y]
        axis = 0 if "further" in phrase else 1
        forward = phrase in ("further left", "higher up")
        if clearly_before(boxes[x], boxes[y], axis, margin):
            return x if forward else y
        assert clearly_before(boxes[y], boxes[x], axis, margin), "a dead-zone pair"
        return y if forward else x
    if form in ("quadrant", "grid"):
        cells = 2 if form == "quadrant" else 3
        (name,) = re.search(r"is the (.+?)\?", q).groups()
        box = boxes[name]
        found = []
        for axis in (0, 1):
            step = size[axis] / cells
            k = int(center(box)[axis] // step)
            assert k == 0 or box[axis] - k * step >= margin
            assert k == cells - 1 or (k + 1) * step - box[axis + 2] >= margin
            found.append(k)
        assert options_of(row) == list(QUADRANTS if cells == 2 else GRID_CELLS)
        return (QUADRANTS if cells == 2 else GRID_CELLS)[found[1] * cells + found[0]]
    if form == "corner":
        corner = re.search(r"closest to the ([a-z-]+) corner", q).group(1)
        point = (0 if "left" in corner else size[0], 0 if "top" in corner else size[1])
        winner = clear_winner({label: math.dist(point, center(b)) for label, b in boxes.items()}, margin)
        assert winner in options_of(row)
        return winner
    if form == "nearest":
        (ref,) = re.search(r"nearest to the (.+?), measured", q).groups()
        winner = clear_winner({label: math.dist(center(boxes[ref]), center(b))
                               for label, b in boxes.items() if label != ref}, margin)
        assert winner in options_of(row)
        return winner
    y, z = re.search(r"between the (.+?) and the (.+?), on the line", q).groups()
    a, b = np.array(center(boxes[y])), np.array(center(boxes[z]))
    spots = {}
    for label, box in boxes.items():
        if label in (y, z):
            continue
        p = np.array(center(box))
        t = float(np.dot(p - a, b - a) / np.dot(b - a, b - a))
        spots[label] = (float(np.linalg.norm(p - (a + min(max(t, 0), 1) * (b - a)))), t)
    winner = clear_winner({label: d for label, (d, _t) in spots.items()}, margin)
    d, t = spots[winner]
    box = boxes[winner]
    assert 0.15 <= t <= 0.85 and d <= 0.5 * min(box[2] - box[0], box[3] - box[1])
    assert winner in options_of(row)
    return winner


# Tests ------------------------------------------------------------------------------------

def test_answers_agree_with_the_boxes(spatial_rows):
    forms = Counter()
    for row in spatial_rows:
        assert row["answer"] == expected_answer(row), row["id"]
        forms[row["subtask"], row["difficulty"]["form"]] += 1
        assert row["answer_type"] == ("yes_no" if row["difficulty"]["form"] == "yes_no" else "choice")
    assert forms == {("spatial/left_right", "yes_no"): 50, ("spatial/left_right", "which"): 50,
                     ("spatial/above_below", "yes_no"): 50, ("spatial/above_below", "which"): 50,
                     **{("spatial/relative_position", f): 20 for f in ("between", "nearest", "quadrant", "grid",
                                                                         "corner")}}


def test_viewer_frame_is_stated_and_recorded(spatial_rows):
    for row in spatial_rows:
        assert row["scene"]["frame_of_reference"] == "viewer"
        if row["difficulty"]["form"] not in ("nearest", "between"):  # forms with a direction in them
            assert "as the viewer sees the image" in row["question"]


def test_named_objects_are_unique_and_unmistakable(spatial_rows):
    shared_seen = Counter()
    for row in spatial_rows:
        objects = row["scene"]["objects"]
        named = [o for o in objects if o["role"] == "named"]
        labels = Counter(o["label"] for o in objects)
        for obj in named:
            assert labels[obj["label"]] == 1
            assert f"the {obj['label']}" in row["question"] or obj["label"] in row["choices"]
            for other in objects:
                if other["id"] != obj["id"] and other["color"] == obj["color"]:
                    assert told_apart(other["shape"], obj["shape"], row["difficulty"]["object_px"])
        if len(named) >= 2:
            shared = row["difficulty"]["shared"]
            shared_seen[shared] += 1
            assert len({o["color"] for o in named}) == (1 if shared == "color" else len(named))
            assert len({o["shape"] for o in named}) == (1 if shared == "shape" else len(named))
        assert len(objects) == len(named) + row["difficulty"]["clutter"]
    assert set(shared_seen) == {"none", "color", "shape"}


def _answers_of_plans(n: int, pairs: bool = False) -> list[tuple]:
    """(subtask, form, answer, choices, first-named-is-first) of items 0..n-1, from the
    scene each composes (no render: the answer is fixed before the pixels)."""
    part = PartSpec(family="spatial", n=n, options=(("pairs", True),) if pairs else ())
    out = []
    for index in range(n):
        rng = sample_rng(0, "spatial", index)
        plan = plan_for(SPATIAL, part, index)
        knobs = make_knobs(SPATIAL.Knobs, SPATIAL.draw_knobs(plan, rng))
        for _ in range(60):
            try:
                draft = SPATIAL.compose(plan, knobs, rng, (512, 512))[0]
                break
            except Resample:
                continue
        boxes = {it.item_id: it.bbox for it in draft.scene.items}
        ask = draft.ask
        first = None
        if ask.form in ("yes_no", "which"):
            a, b = (ask.subject, ask.reference) if ask.form == "yes_no" else ask.options
            axis = 0 if plan.subtask == "left_right" else 1
            first = boxes[a][axis + 2] < boxes[b][axis]
        q = draft.question
        out.append((plan.subtask, knobs.form, q.answer, q.choices, first))
    return out


def test_answers_are_balanced_over_2000_items(spatial_rows):
    plans = _answers_of_plans(2000)
    yes_no = [a for s, f, a, c, first in plans if f == "yes_no"]
    assert abs(yes_no.count("yes") / len(yes_no) - 0.5) <= 0.03
    for subtask in ("left_right", "above_below"):
        firsts = [first for s, f, a, c, first in plans if s == subtask]
        assert abs(np.mean(firsts) - 0.5) <= 0.03, "each object is the left (upper) one half of the time"
    for form in ("which", "between", "nearest", "quadrant", "grid", "corner"):
        positions = Counter(c.index(a) for s, f, a, c, _ in plans if f == form)
        total = sum(positions.values())
        k = len(next(c for s, f, a, c, _ in plans if f == form))
        assert len(positions) == k
        assert all(abs(v / total - 1 / k) <= 0.03 for v in positions.values()), (form, positions)
    # and on the generated rows
    for subtask in ("left_right", "above_below"):
        answers = [r["answer"] for r in spatial_rows if r["subtask"] == f"spatial/{subtask}"
                   and r["answer_type"] == "yes_no"]
        assert answers.count("yes") == answers.count("no")


def _mirror(box, size, axis):
    if axis == 0:
        return [size - box[2], box[1], size - box[0], box[3]]
    return [box[0], size - box[3], box[2], size - box[1]]


def test_mirrored_twins_flip_the_answer(pair_rows):
    by_id = {r["id"]: r for r in pair_rows}
    assert len(pair_rows) == 120
    forms = Counter()
    for row in pair_rows:
        if row["id"].endswith("-b"):
            continue
        twin = by_id[row["id"] + "-b"]
        assert row["group_id"] == twin["group_id"] == row["id"]
        assert row["question"] == twin["question"] and row["choices"] == twin["choices"]
        assert twin["answer"] == expected_answer(twin) and row["answer"] == expected_answer(row)
        assert twin["answer"] != row["answer"]
        if row["answer_type"] == "yes_no":
            assert {row["answer"], twin["answer"]} == {"yes", "no"}
        axis = 1 if row["subtask"] == "spatial/above_below" else 0
        # The same objects, re-drawn mirrored: the same classes, colours and sizes, boxes mirrored.
        for a, b in zip(row["scene"]["objects"], twin["scene"]["objects"]):
            assert (a["id"], a["label"], a["size_px"], a["area_px"] > 0) == (b["id"], b["label"], b["size_px"], True)
            assert np.allclose(_mirror(a["bbox"], 512, axis), b["bbox"], atol=0.02)
        if row["difficulty"]["form"] == "quadrant":
            swap = {"top-left": "top-right", "bottom-left": "bottom-right"}
            swap.update({v: k for k, v in swap.items()})
            assert twin["answer"] == swap[row["answer"]]
        forms[row["difficulty"]["form"]] += 1
        assert row["image"]["bytes"] != twin["image"]["bytes"]
    assert set(forms) == {"yes_no", "which", "quadrant", "corner"}


def test_sweep_of_margin(tmp_path, capsys):
    code, _, err = run_cli(["--family", "spatial", "--n", "40", "--sweep", "margin_px=2:40:4", "--workers", "2",
                            "--no-progress", "--out", str(tmp_path / "sw")], capsys)
    assert code == 0, err
    rows = read_rows(tmp_path / "sw", "spatial")
    assert Counter(r["difficulty"]["margin_px"] for r in rows) == {v: 4 for v in range(2, 39, 4)}
    assert {r["subtask"] for r in rows} == {"spatial/left_right", "spatial/above_below"}
    for row in rows:
        assert row["difficulty"]["form"] == "yes_no"
        assert row["answer"] == expected_answer(row)
    assert [r["answer"] for r in rows].count("yes") == 20


def test_verify_rejects_a_wrong_answer():
    """The pixel check is real: the same scene with the opposite answer fails it, and a
    scene whose pair is moved into the dead zone fails it."""
    part = PartSpec(family="spatial", n=6)
    checked = 0
    for index in range(0, 6, 3):  # left_right items
        rng = sample_rng(0, "spatial", index)
        plan = plan_for(SPATIAL, part, index)
        knobs = make_knobs(SPATIAL.Knobs, SPATIAL.draw_knobs(plan, rng))
        draft = SPATIAL.compose(plan, knobs, rng, (512, 512))[0]
        rendered = render(draft.scene)
        assert SPATIAL.verify(draft, rendered) == []
        if draft.question.answer_type == "yes_no":
            wrong = "no" if draft.question.answer == "yes" else "yes"
        else:
            wrong = next(c for c in draft.question.choices if c != draft.question.answer)
        bad = dataclasses.replace(draft, question=dataclasses.replace(draft.question, answer=wrong))
        assert SPATIAL.verify(bad, rendered)
        # a margin the pair does not have: nothing can be said about it
        wide = dataclasses.replace(draft, knobs=dataclasses.replace(knobs, margin_px=400))
        assert SPATIAL.verify(wide, rendered)
        checked += 1
    assert checked == 2


def test_same_index_same_rows():
    part = PartSpec(family="spatial", n=3, options=(("pairs", True),))
    for index in range(3):
        assert generate_index(SPATIAL, part, (512, 512), index) == generate_index(SPATIAL, part, (512, 512), index)


@pytest.mark.parametrize("args,message", [
    (["--subtask", "left_right", "--set", "form=between"], "form=between is a form of relative_position"),
    (["--subtask", "relative_position", "--pairs", "--set", "form=nearest"], "a mirror does not change"),
])
def test_impossible_settings_are_one_line_errors(args, message, tmp_path, capsys):
    code, _, err = run_cli(["--family", "spatial", "--n", "4", "--workers", "1", "--no-progress",
                            "--out", str(tmp_path / "out"), *args], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("size", [(256, 256), (768, 512)])
def test_other_image_sizes(size):
    part = PartSpec(family="spatial", n=6, options=(("pairs", True),))
    for index in range(6):
        rows = generate_index(SPATIAL, part, size, index)
        for row in rows:
            assert (row["scene"]["width"], row["scene"]["height"]) == size
            assert row["answer"] == expected_answer(row)  # the rules read the image's size from the scene
        assert rows[0]["answer"] != rows[1]["answer"]


def test_all_families_in_one_folder(tmp_path, capsys):
    out = tmp_path / "all"
    code, _, err = run_cli(["--family", "all", "--n", "3", "--workers", "2", "--no-progress", "--out", str(out)],
                           capsys)
    assert code == 0, err
    card = (out / "README.md").read_text()
    for family in ("counting", "spatial"):
        assert len(read_rows(out, family)) == 3
        assert f"config_name: {family}" in card
        assert (out / "assets" / f"{family}-samples.png").exists()
