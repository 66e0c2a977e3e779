"""Capture: the photographed image, its warped id buffer and the recorded geometry agree;
answers flip to "unanswerable" only by construction; same bytes for any worker count;
bad knob values are one line and exit 2; no capture knob, no change."""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import image_of, read_rows, run_cli
from gen_stress import capture
from gen_stress.dataset import build_dataset
from gen_stress.generators import family_names, get_family
from gen_stress.knobs import Sweep
from gen_stress.pipeline import DatasetSpec, PartSpec, generate_index
from gen_stress.scenes import camera
from gen_stress.scenes.model import TextItem

SIZE = (512, 512)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import check_capture_boxes  # noqa: E402  (one check for the script and the test)


@pytest.fixture
def shots(monkeypatch) -> list:
    """Every Captured the pipeline makes, in order (the last ones are the kept rows')."""
    made: list = []
    real = capture.Camera.shoot

    def spy(self, drafts, renders):
        out = real(self, drafts, renders)
        made.append(out[1])
        return out

    monkeypatch.setattr(capture.Camera, "shoot", spy)
    return made


# Two cells per family (photo on the abstract scene, assistive on a receipt); the script
# runs the same check on hundreds of items of every family, mode and context.
CASES = [(name, mode, context) for name in family_names("all")
         for mode, context in (("photo", "abstract"), ("assistive", "receipt"))]


@pytest.mark.parametrize("family,mode,context", CASES, ids=["-".join(c) for c in CASES])
def test_recorded_geometry_matches_warped_ids(family, mode, context):
    part = check_capture_boxes.part_for(family, mode, context, 2, seed=0)
    part.validate()
    _, tally = check_capture_boxes.check_cell((family, mode, context, 0, 2, 0, SIZE))
    assert tally.rows >= 2 and tally.boxes > tally.rows
    assert not tally.problems, tally.problems[:5]


@pytest.mark.parametrize("script,mode", [("arabic", "photo"), ("japanese", "assistive"), ("devanagari", "photo")])
def test_shaped_text_is_captured_with_its_clusters_mapped(script, mode):
    """Shaped text under capture: the recorded cluster boxes hold the text's pixels in the
    photo and cover the string once (check_capture_boxes' checks)."""
    _, tally = check_capture_boxes.check_cell(("ocr", mode, "abstract", 0, 3, 0, SIZE, script))
    assert tally.rows >= 3 and tally.clusters >= tally.rows
    assert not tally.problems, tally.problems[:5]


def test_cluster_boxes_are_their_characters_boxes_after_capture(tmp_path, capsys):
    """A shaped character's box is its cluster's box on the page; after capture both are
    mapped alike (a cluster box left in page pixels would differ)."""
    out = tmp_path / "ar"
    code, _, err = run_cli(["--family", "ocr", "--n", "4", "--workers", "1", "--no-progress", "--size", "320",
                            "--set", "script=arabic", "--set", "capture=photo", "--out", str(out)], capsys)
    assert code == 0, err
    mapped = 0
    for row in read_rows(out):
        assert row["difficulty"]["capture"] == "photo" and row["difficulty"]["script"] == "arabic"
        for text in row["scene"]["texts"]:
            for cluster in text["clusters"]:
                for i in range(cluster["start"], cluster["end"]):
                    assert text["char_boxes"][i] == cluster["bbox"], (text["text"], i)
                    mapped += 1
    assert mapped >= 20


def test_visible_fraction_check_sees_the_frame():
    """The box check counts cut items itself: a close-up cuts some, and a wrong
    visible fraction is caught."""
    fam = get_family("ocr")
    part = PartSpec("ocr", 1, settings=(("frame_fraction", 0.3),))
    with check_capture_boxes.ShotSpy() as spy:
        row = generate_index(fam, part, SIZE, 0)[0]
    tally = check_capture_boxes.Tally()
    check_capture_boxes.record_problems(row, spy.last[0], tally)
    assert tally.cut > 0 and not tally.problems
    cut = next(r for r in row["scene"]["objects"] + row["scene"]["texts"] if 0 < r["visible_fraction"] < 0.9)
    cut["visible_fraction"] = round(cut["visible_fraction"] + 0.1, 4)
    check_capture_boxes.record_problems(row, spy.last[0], tally)
    assert any("visible_fraction" in p for p in tally.problems)


def test_characters_lie_within_their_line_box(monkeypatch):
    """What lines_in_frame rests on: every character's box of an unshaped line lies
    within the line's box grown by CHAR_SLACK_PX, on dense pages and labels alike (so a
    line whose grown box is in frame has every character in frame)."""
    lines = []
    real = capture.lines_in_frame

    def spy(items, shot):
        lines.extend(it for it in items if isinstance(it, TextItem) and it.layout.shaping is None)
        return real(items, shot)

    monkeypatch.setattr(capture, "lines_in_frame", spy)
    for family, context in (("counting", "document"), ("counting", "receipt"), ("ocr", "menu"), ("ocr", "abstract")):
        part = check_capture_boxes.part_for(family, "photo", context, 3, seed=0)
        part.validate()
        for index in range(3):
            generate_index(get_family(family), part, SIZE, index)
    assert len(lines) > 100
    slack = np.array([-1, -1, 1, 1]) * capture.CHAR_SLACK_PX
    for line in lines:
        grown = np.asarray(line.bbox, dtype=float) + slack
        chars = np.asarray(line.layout.char_boxes, dtype=float).reshape(-1, 4)
        assert (chars[:, :2] >= grown[:2]).all() and (chars[:, 2:] <= grown[2:]).all(), line.layout.text


def test_capture_knob_names_are_new_to_every_family():
    from gen_stress.questions.in_context import ContextKnobs

    shared = set(capture.CaptureKnobs.__dataclass_fields__)
    for name in family_names("all"):
        assert not shared & (set(get_family(name).Knobs.__dataclass_fields__) | set(ContextKnobs.__dataclass_fields__))


def test_explicit_capture_none_changes_nothing():
    """`--set capture=none` (all knobs easy) photographs nothing: the same pixels and
    scene as a run without capture knobs."""
    fam = get_family("grounding")
    plain = PartSpec("grounding", 4)
    none = PartSpec("grounding", 4, settings=(("capture", "none"),))
    for index in range(4):
        a, b = generate_index(fam, plain, SIZE, index)[0], generate_index(fam, none, SIZE, index)[0]
        assert a["image"]["bytes"] == b["image"]["bytes"]
        assert a["scene"] == b["scene"] and a["answer"] == b["answer"]
        assert "capture" not in a["difficulty"] and b["difficulty"]["lost"] == "none"


def _edges(row) -> float:
    gray = np.asarray(image_of(row).convert("L"), dtype=float)
    return float(np.abs(np.diff(gray, axis=1)).mean())


def test_blur_keeps_the_answer_and_records_effective_resolution():
    """The same scene (the capture has its own random stream) sharp and blurred."""
    fam = get_family("ocr")
    rows = [generate_index(fam, PartSpec("ocr", 1, settings=(("text_px", 24), ("blur_px", blur))), SIZE, 0)[0]
            for blur in (0.0, 6.0)]
    sharp, blurred = rows
    assert sharp["scene"] == blurred["scene"] and sharp["answer"] == blurred["answer"]
    assert blurred["answerable"] == sharp["answerable"] and blurred["difficulty"]["lost"] == "none"
    assert blurred["difficulty"]["target_photo_px"] == sharp["difficulty"]["target_photo_px"] == 24
    assert blurred["difficulty"]["effective_px"] == 4.0  # 24 px cap height over a 6 px disc
    assert _edges(blurred) < 0.5 * _edges(sharp)


def _scene_like(height: int, width: int) -> np.ndarray:
    """Flat ground with sharp discs and bars in colour, and a few pixels at the edges."""
    rng = np.random.default_rng(5)
    image = np.full((height, width, 3), (92, 100, 112), np.uint8)
    ys, xs = np.mgrid[:height, :width]
    for _ in range(12):
        cy, cx, r = rng.integers(0, height), rng.integers(0, width), rng.integers(4, 30)
        image[(ys - cy) ** 2 + (xs - cx) ** 2 < r * r] = rng.integers(0, 256, 3)
        y0, x0 = rng.integers(0, height - 3), rng.integers(0, width - 40)
        image[y0:y0 + 3, x0:x0 + 40] = rng.integers(0, 256, 3)
    return image


@pytest.mark.parametrize("length_px", [12.0, 30.0])
def test_motion_streak_is_the_exact_kernel_within_a_few_levels(length_px):
    """A long thin streak runs as a box filter along sheared rows: against the image
    convolved with psf's own kernel it differs by about a level (RMS), at any angle,
    on a wide image as well."""
    image = _scene_like(160, 224)
    for angle in (0.0, 17.3, 45.0, 71.9, 90.0, 133.4, 180.0):
        shot = camera.Shot(motion_px=length_px, motion_deg=angle)
        exact = camera.blur(image, camera.psf(0.0, length_px, angle)).astype(float)
        fast = camera.spread(image, shot).astype(float)
        diff = fast - exact
        assert np.sqrt((diff ** 2).mean()) < 2.0 and np.abs(diff).max() < 80, (angle, np.abs(diff).max())
        assert fast.std() < 0.99 * image.std()  # it did blur


@pytest.mark.parametrize("angle", [0.0, 30.0, 52.7, 90.0, 118.4, 161.0])
def test_motion_streak_keeps_its_direction_and_length(angle):
    """A bright dot becomes a segment along the recorded direction (counter-clockwise
    from the x axis, y pointing down) whose spread along it is that of the recorded
    length: a uniform segment of length L has variance L^2 / 12."""
    length_px = 24.0
    dot = np.zeros((81, 81, 3), np.uint8)
    dot[40, 40] = 255
    spread = camera.spread(dot, camera.Shot(motion_px=length_px, motion_deg=angle))[:, :, 0].astype(float)
    ys, xs = np.nonzero(spread)
    weights = spread[ys, xs] / spread.sum()
    dx, dy = xs - 40.0, 40.0 - ys  # y up: counter-clockwise angles
    assert abs((weights * dx).sum()) < 0.1 and abs((weights * dy).sum()) < 0.1  # centred
    cov = np.cov(np.vstack([dx, dy]), aweights=weights, bias=True)
    values, vectors = np.linalg.eigh(cov)
    major = vectors[:, 1]
    found = math.degrees(math.atan2(major[1], major[0])) % 180
    assert min(abs(found - angle % 180), 180 - abs(found - angle % 180)) < 0.5
    assert abs(math.sqrt(12 * values[1]) - length_px) < 0.5  # (the ends' half pixels add about 0.1)


def test_twins_flip_between_the_answer_and_unanswerable(shots):
    """Capture twins when the capture is what is swept: one knob of the camera changed."""
    fam = get_family("ocr")
    part = PartSpec("ocr", 6, settings=(("covered", False),), sweeps=(Sweep("capture", ("photo",)),),
                    options=(("pairs", True),))
    part.validate()
    for index in range(4):
        first, twin = generate_index(fam, part, SIZE, index)
        assert first["group_id"] == twin["group_id"] != "" and twin["id"].endswith("-b")
        assert {first["answerable"], twin["answerable"]} == {True, False}
        assert capture.UNANSWERABLE in (first["answer"], twin["answer"])
        target = next(t for t in first["scene"]["texts"] if t["role"] == "target")
        assert target["text"] in (first["answer"], twin["answer"])
        assert first["question"] == twin["question"]
        changed = {k for k in first["difficulty"] if first["difficulty"][k] != twin["difficulty"][k]}
        assert changed & {"frame_fraction", "glare", "exposure"}
        assert not changed & {"tilt_deg", "roll_deg", "blur_px", "jpeg_quality", "noise_sigma", "text_px"}


def test_family_twins_are_photographed_alike():
    """--set capture=photo --pairs: the family's own twin (one character changed),
    photographed with the very same camera, and the answers still differ."""
    fam = get_family("ocr")
    part = PartSpec("ocr", 2, settings=(("capture", "photo"), ("covered", False)), options=(("pairs", True),))
    part.validate()
    first, twin = generate_index(fam, part, SIZE, 0)
    assert first["group_id"] == twin["group_id"] != "" and twin["id"].endswith("-b")
    assert first["answer"] != twin["answer"] and capture.UNANSWERABLE not in (first["answer"], twin["answer"])
    assert first["difficulty"] == {**twin["difficulty"], "font": first["difficulty"]["font"]}
    texts = [next(t["text"] for t in row["scene"]["texts"] if t["role"] == "target") for row in (first, twin)]
    assert texts == [first["answer"], twin["answer"]]


def _digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_same_bytes_for_any_worker_count(tmp_path):
    part = PartSpec("counting", 8, settings=(("capture", "assistive"),))
    spec = DatasetSpec(parts=(part,), width=256, height=256, rows_per_shard=3)
    one = build_dataset(spec, tmp_path / "one", workers=1, progress=False).out
    two = build_dataset(spec, tmp_path / "two", workers=2, progress=False).out
    assert _digest(one) == _digest(two)
    rows = pq.read_table(next((tmp_path / "one").rglob("*.parquet"))).to_pylist()
    assert all(r["difficulty"]["capture"] == "assistive" for r in rows)


BAD = [
    (["--set", "blur_px=-1"], "outside 0..12"),
    (["--set", "capture=selfie"], "is not one of none, photo, assistive"),
    (["--sweep", "jpeg_quality=0:50:10"], "outside 5..100"),
    (["--set", "frame_fraction=1.5"], "outside 0.2..1.0"),
    (["--set", "glare=lots"], "takes float values"),
    (["--set", "lost=frame"], "derived from the others"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[a[1] for a, _ in BAD])
def test_bad_capture_values_are_one_line_exit_2(args, message, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, stderr = run_cli(["--family", "ocr", "--n", "3", "--out", str(out), "--no-progress"] + args, capsys)
    assert code == 2 and len(stderr.strip().splitlines()) == 1 and message in stderr, stderr
    assert not out.exists()


def test_page_relations_hold_in_the_photo():
    """A rolled camera can turn two columns until "left of" no longer shows: such a photo
    is redrawn, and every kept one shows the stated order (the names' quads apart in x)."""
    fam = get_family("spatial")
    part = PartSpec("spatial", 3, settings=(("context", "menu"), ("roll_deg", 45.0)), subtasks=("left_right",))
    part.validate()
    resampled = Counter()
    for index in range(3):
        row = generate_index(fam, part, SIZE, index, resampled)[0]
        subject, reference = re.search(r", is (.+) to the left or to the right of (.+), as seen", row["question"]).groups()
        quads = {t["text"]: np.asarray(t["quad"]) for t in row["scene"]["texts"]}
        left, right = (subject, reference) if row["answer"] == "left" else (reference, subject)
        assert quads[left][:, 0].max() < quads[right][:, 0].min(), row["id"]
    assert any("order no longer shows" in reason for reason in resampled)


def test_the_check_script_takes_scripts_where_its_docstring_says():
    """`--family ocr --script arabic` (abstract scenes) and receipts or menus in every
    family; not the abstract scenes of other families, nor pages that print no script."""
    assert check_capture_boxes.scripts_apply(("ocr",), ["abstract"])
    assert check_capture_boxes.scripts_apply(("ocr", "counting"), ["receipt", "menu"])
    assert not check_capture_boxes.scripts_apply(("ocr", "counting"), ["abstract"])
    assert not check_capture_boxes.scripts_apply(("ocr",), ["shelf"])
