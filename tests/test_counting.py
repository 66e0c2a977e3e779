"""The counting family: the answer is the number of targets in the scene, every target
shows on the stored pixels, distractors share exactly one named attribute, counts are
spread evenly, and sweeps and minimal pairs work."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from conftest import image_of, read_rows, run_cli
from PIL import Image, ImageDraw

from gen_stress.generators import get_family
from gen_stress.generators.counting import (
    COUNT_RANGE,
    overlap_tolerance,
    stratified_count,
)
from gen_stress.knobs import Sweep, make_knobs
from gen_stress.pipeline import PartSpec, generate_index, plan_for
from gen_stress.rng import sample_rng
from gen_stress.scenes.colors import PALETTE, mix
from gen_stress.scenes.objects import SHAPE_MIN_PX, told_apart
from gen_stress.scenes.shapes import SHAPE_NAMES

COUNTING = get_family("counting")
PLURAL_OF = {name + ("es" if name.endswith("s") else "s"): name for name in SHAPE_NAMES}


@pytest.fixture(scope="module")
def counting_rows(tmp_path_factory) -> list[dict]:
    """300 items, 100 per subtask, written by two workers in three shards."""
    out = tmp_path_factory.mktemp("counting") / "ds"
    from gen_stress.cli import main

    try:
        main(["--family", "counting", "--n", "300", "--rows-per-shard", "100", "--workers", "2",
              "--no-progress", "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    return read_rows(out, "counting")


def criterion(row) -> tuple[str | None, str | None]:
    """(colour, class) the question counts; None for an attribute it leaves open."""
    question = row["question"]
    named = row["difficulty"]["named"]
    if named == "both":
        color, plural = re.match(r"How many (\w+) (\w+) are there", question).groups()
        return color, PLURAL_OF[plural]
    if named == "shape":
        return None, PLURAL_OF[re.match(r"How many (\w+) are there in the image, of any colour", question).group(1)]
    return re.match(r"How many (\w+) objects are there in the image, of any shape", question).group(1), None


def counts(obj, color, shape) -> bool:
    return (color is None or obj["color"] == color) and (shape is None or obj["shape"] == shape)


def test_answer_is_the_number_of_targets(counting_rows):
    assert len(counting_rows) == 300
    for row in counting_rows:
        objects = row["scene"]["objects"]
        targets = [o for o in objects if o["role"] == "target"]
        assert row["answer_type"] == "integer" and row["answer"] == str(len(targets)) == str(row["difficulty"]["n"])
        assert len(objects) == row["difficulty"]["n"] + row["difficulty"]["distractors"]
        color, shape = criterion(row)
        # The question's criterion picks out exactly the targets: distractors are not targets.
        assert [o["id"] for o in objects if counts(o, color, shape)] == [o["id"] for o in targets]


def test_distractors_share_exactly_one_named_attribute(counting_rows):
    kinds = Counter()
    for row in counting_rows:
        objects = row["scene"]["objects"]
        targets = [o for o in objects if o["role"] == "target"]
        color, shape = criterion(row)
        target_colors = {o["color"] for o in targets} or ({color} if color else set())
        target_shapes = {o["shape"] for o in targets} or ({shape} if shape else set())
        smallest = min(o["size_px"] for o in objects)
        for obj in (o for o in objects if o["role"] == "distractor"):
            shares = {a["name"]: a["value"] for a in obj["attributes"]}["shares"]
            kinds[row["difficulty"]["named"], shares] += 1
            # (with no target in the scene, the colours or classes the targets would have are unknown)
            if shares == "color":
                assert obj["color"] in target_colors or not targets
                assert shape is not None and obj["shape"] != shape
                assert told_apart(obj["shape"], shape, smallest), "a look-alike class would be a target in disguise"
            else:
                assert obj["shape"] in target_shapes or not targets
                assert color is not None and obj["color"] != color
        if row["difficulty"]["object_px"] < SHAPE_MIN_PX:
            assert row["difficulty"]["named"] == "color", "classes of tiny shapes are not named"
    # Red squares among red circles and blue circles: both kinds occur when both are named.
    assert kinds["both", "color"] > 0 and kinds["both", "shape"] > 0
    assert kinds["color", "shape"] > 0 and kinds["shape", "color"] > 0


def _owners(row) -> np.ndarray:
    """An object-id buffer drawn here, independently of the generator's renderer, from
    the polygons recorded in `scene` (rings get their hole back: 0.55 of the outline)."""
    scene = row["scene"]
    ids = Image.new("I", (scene["width"], scene["height"]), 0)
    draw = ImageDraw.Draw(ids)
    for obj in sorted(scene["objects"], key=lambda o: (o["z"], o["id"])):
        points = np.asarray(obj["polygon"])
        before = ids.copy() if obj["shape"] == "ring" else None
        draw.polygon(points.ravel().tolist(), fill=obj["id"])
        if before is not None:  # what lay under the hole shows through
            center = (points.max(axis=0) + points.min(axis=0)) / 2
            hole = Image.new("L", ids.size, 0)
            ImageDraw.Draw(hole).polygon((center + 0.55 * (points - center)).ravel().tolist(), fill=255)
            ids.paste(before, (0, 0), hole)
    return np.asarray(ids)


def test_every_instance_shows_on_the_stored_pixels(counting_rows):
    """On the PNG itself: each target (and distractor) keeps at least min_visible_fraction
    of its area, and what shows there is its own paint (its colour, or the shade of its
    edge), so the count can be read off the image."""
    for row in counting_rows:
        owners = _owners(row)
        image = np.asarray(image_of(row)).astype(int)
        need = row["difficulty"]["min_visible_fraction"]
        for obj in row["scene"]["objects"]:
            assert obj["visible_fraction"] >= need
            assert min(obj["bbox"][:2]) >= 0 and obj["bbox"][2] <= 512 and obj["bbox"][3] <= 512
            x0, y0, x1, y1 = (int(v) for v in obj["bbox"])
            window = (slice(max(y0 - 1, 0), y1 + 2), slice(max(x0 - 1, 0), x1 + 2))
            mine = owners[window] == obj["id"]
            shown = int(mine.sum())
            # Pillow's fill flips a row of edge pixels when a vertex moves across a pixel
            # boundary, and `scene` keeps vertices to 0.01 px: allow for an edge row.
            slack = 0.1 * obj["area_px"] + 3
            assert shown >= obj["visible_px"] - slack, (row["id"], obj["id"])
            assert shown >= need * obj["area_px"] - slack
            fill = PALETTE[obj["color"]]
            paints = np.array([fill, mix(fill, (0, 0, 0), 0.45), mix(fill, (255, 255, 255), 0.45)])
            pixels = image[window][mine]
            own = (np.abs(pixels[:, None, :] - paints[None]).sum(axis=2) <= 3).any(axis=1)
            assert (~own).sum() <= slack, (row["id"], obj["id"], own.mean())
            if obj["role"] == "target":
                assert shown >= 3


def test_twins_touch_or_overlap_by_the_knob(counting_rows):
    rows = [r for r in counting_rows if r["subtask"] == "counting/duplicates_merged"]
    touching = 0
    for row in rows:
        objects = row["scene"]["objects"]
        overlap = row["difficulty"]["overlap"]
        # within 0.06, or a row of edge pixels for small shapes
        assert all(1 - o["visible_fraction"] <= overlap + overlap_tolerance(o["area_px"]) for o in objects)
        assert any(1 - o["visible_fraction"] >= overlap - overlap_tolerance(o["area_px"]) for o in objects)
        assert row["difficulty"]["overlap"] <= 1 - row["difficulty"]["min_visible_fraction"]
        groups = Counter({a["name"]: a["value"] for a in o["attributes"]}["twin_group"] for o in objects)
        assert max(groups.values()) >= 2, "some instances are twins"
        for group in groups:
            members = [o for o in objects if {"name": "twin_group", "value": group} in o["attributes"]]
            assert len({(o["shape"], o["color"], o["size_px"], o["angle_deg"], o["role"]) for o in members}) == 1
        touching += row["difficulty"]["overlap"] == 0
    assert 0 < touching < len(rows)


def test_count_is_spread_evenly_over_its_range(counting_rows):
    """Every value of a subtask's range equally often: exactly, from the plans of 2000
    items, and roughly, on the generated rows."""
    part = PartSpec(family="counting", n=2000)
    by_subtask: dict[str, Counter] = {}
    for index in range(2000):
        plan = plan_for(COUNTING, part, index)
        n = COUNTING.draw_knobs(plan, sample_rng(0, "counting", index))["n"]
        by_subtask.setdefault(plan.subtask, Counter())[n] += 1
    for subtask, seen in by_subtask.items():
        low, high = COUNT_RANGE[subtask]
        assert set(seen) == set(range(low, high + 1))
        assert max(seen.values()) - min(seen.values()) <= 1
    for subtask, (low, high) in COUNT_RANGE.items():
        ns = [r["difficulty"]["n"] for r in counting_rows if r["subtask"] == f"counting/{subtask}"]
        assert abs(np.mean(ns) - (low + high) / 2) < 0.15 * (high - low)
        assert min(ns) <= low + 0.1 * (high - low) and max(ns) >= high - 0.1 * (high - low)
    assert sorted(stratified_count(s, 0, 9) for s in range(10)) == list(range(10))


def test_subtask_knobs(counting_rows):
    by = {s: [r for r in counting_rows if r["subtask"] == f"counting/{s}"] for s in COUNTING.subtasks}
    assert max(r["difficulty"]["n"] for r in by["crowded"]) >= 100
    small = by["small_items"]
    assert min(r["difficulty"]["object_px"] for r in small) <= 4
    for row in small:
        sizes = [o["size_px"] for o in row["scene"]["objects"]]
        assert max(sizes) >= 24 > row["difficulty"]["object_px"] * 1.4 >= min(sizes), "big and small mixed"
    for row in by["crowded"] + small:
        assert row["difficulty"]["overlap"] == 0 and max(o["z"] for o in row["scene"]["objects"]) == 0
    shapes = {o["shape"] for r in counting_rows for o in r["scene"]["objects"]}
    colors = {o["color"] for r in counting_rows for o in r["scene"]["objects"]}
    assert len(shapes) >= 8 and len(colors) >= 8


def test_sweep_of_n(tmp_path, capsys):
    code, _, err = run_cli(["--family", "counting", "--n", "33", "--sweep", "n=0:100:10", "--workers", "2",
                            "--no-progress", "--out", str(tmp_path / "sw")], capsys)
    assert code == 0, err
    rows = read_rows(tmp_path / "sw", "counting")
    assert Counter(r["difficulty"]["n"] for r in rows) == {v: 3 for v in range(0, 101, 10)}
    assert {r["subtask"] for r in rows} == {"counting/crowded"}
    easy = COUNTING.easy_knobs("crowded")
    for row in rows:
        assert row["answer"] == str(row["difficulty"]["n"])
        for knob in ("density", "object_px", "distractors", "named", "big_share", "overlap"):
            assert row["difficulty"][knob] == easy[knob]


def test_sweeps_of_overlap_and_object_px():
    part = PartSpec(family="counting", n=8, sweeps=(Sweep("overlap", (0.0, 0.15, 0.3, 0.45)),))
    rows = [generate_index(COUNTING, part, (512, 512), i)[0] for i in range(8)]
    assert {r["subtask"] for r in rows} == {"counting/duplicates_merged"}
    for row in rows:
        overlap = row["difficulty"]["overlap"]
        assert any(abs(1 - o["visible_fraction"] - overlap) <= overlap_tolerance(o["area_px"])
                   for o in row["scene"]["objects"])
    part = PartSpec(family="counting", n=6, sweeps=(Sweep("object_px", (3, 6, 12)),))
    rows = [generate_index(COUNTING, part, (512, 512), i)[0] for i in range(6)]
    assert {r["subtask"] for r in rows} == {"counting/small_items"}
    for row in rows:
        assert min(o["size_px"] for o in row["scene"]["objects"]) >= row["difficulty"]["object_px"]


def test_pairs_add_or_remove_one_target(tmp_path, capsys):
    code, _, err = run_cli(["--family", "counting", "--n", "24", "--pairs", "--workers", "1", "--no-progress",
                            "--out", str(tmp_path / "pairs")], capsys)
    assert code == 0, err
    rows = read_rows(tmp_path / "pairs", "counting")
    assert len(rows) == 48
    by_id = {r["id"]: r for r in rows}
    changes = Counter()
    for row in rows:
        if row["id"].endswith("-b"):
            continue
        twin = by_id[row["id"] + "-b"]
        assert row["group_id"] == twin["group_id"] == row["id"]
        assert row["question"] == twin["question"]
        delta = int(twin["answer"]) - int(row["answer"])
        assert abs(delta) == 1 and twin["difficulty"]["n"] == int(twin["answer"])
        changes[delta] += 1
        base = {o["id"]: o for o in row["scene"]["objects"]}
        other = {o["id"]: o for o in twin["scene"]["objects"]}
        gone, added = set(base) - set(other), set(other) - set(base)
        assert len(gone | added) == 1
        (changed,) = gone | added
        assert (base.get(changed) or other.get(changed))["role"] == "target"
        for oid in set(base) & set(other):  # everything else the same
            assert base[oid]["polygon"] == other[oid]["polygon"] and base[oid]["color"] == other[oid]["color"]
    assert changes[1] > 0 and changes[-1] > 0


def test_same_index_same_row():
    part = PartSpec(family="counting", n=3)
    for index in range(3):
        assert generate_index(COUNTING, part, (512, 512), index) == generate_index(COUNTING, part, (512, 512), index)


@pytest.mark.parametrize("args,message", [
    (["--set", "named=both", "--set", "object_px=6"], "named=both needs object_px >= 14"),
    (["--set", "overlap=0.3"], "overlap applies to duplicates_merged only"),
    (["--subtask", "duplicates_merged", "--set", "overlap=0.6", "--set", "min_visible_fraction=0.5"],
     "would leave less than min_visible_fraction"),
])
def test_impossible_knobs_are_one_line_errors(args, message, tmp_path, capsys):
    code, _, err = run_cli(["--family", "counting", "--n", "4", "--workers", "1", "--no-progress",
                            "--out", str(tmp_path / "out"), *args], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_pinned_knobs_are_kept():
    part = PartSpec(family="counting", n=3, settings=(("n", 150), ("distractors", 20)), subtasks=("crowded",))
    for index in range(3):
        plan = plan_for(COUNTING, part, index)
        knobs = make_knobs(COUNTING.Knobs, {**COUNTING.draw_knobs(plan, sample_rng(0, "counting", index)),
                                            **plan.pinned})
        assert knobs.n == 150 and knobs.distractors == 20
    row = generate_index(COUNTING, part, (512, 512), 0)[0]
    assert row["answer"] == "150" and sum(o["role"] == "target" for o in row["scene"]["objects"]) == 150


def test_unpinned_knobs_give_way_to_pinned_ones():
    """A sweep's easy values or drawn values yield to what is set or swept, and the row
    records what was drawn: a crowd of 150 packs tighter, a large pinned overlap lowers
    the visible share asked for."""
    part = PartSpec(family="counting", n=1, sweeps=(Sweep("n", (150,)),))
    row = generate_index(COUNTING, part, (512, 512), 0)[0]
    easy = COUNTING.easy_knobs("crowded")
    assert row["answer"] == "150" and row["difficulty"]["density"] > easy["density"]
    part = PartSpec(family="counting", n=1, settings=(("overlap", 0.6),), subtasks=("duplicates_merged",))
    row = generate_index(COUNTING, part, (512, 512), 0)[0]
    assert row["difficulty"]["overlap"] == 0.6 and row["difficulty"]["min_visible_fraction"] <= 0.35


@pytest.mark.parametrize("size", [(256, 256), (640, 384)])
def test_other_image_sizes(size):
    part = PartSpec(family="counting", n=6, options=(("pairs", True),))
    for index in range(6):
        for row in generate_index(COUNTING, part, size, index):
            assert (row["scene"]["width"], row["scene"]["height"]) == size
            assert row["answer"] == str(sum(o["role"] == "target" for o in row["scene"]["objects"]))
            for obj in row["scene"]["objects"]:
                assert obj["bbox"][0] >= 0 and obj["bbox"][2] <= size[0] and obj["bbox"][3] <= size[1]
            if size == (256, 256) and row["subtask"] == "counting/crowded":
                assert row["difficulty"]["object_px"] <= 18, "drawn sizes shrink with a smaller image"
