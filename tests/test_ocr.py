"""The OCR family: every label is what is drawn, the question picks exactly one sign,
and the knobs are recorded and swept."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from conftest import image_of, read_rows, run_cli
from gen_stress.generators import Resample, get_family
from gen_stress.generators.ocr import DIRECTIONS, UNANSWERABLE, _clearly_beyond
from gen_stress.knobs import Sweep
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.scenes.colors import PALETTE, contrast_ratio

OCR = get_family("ocr")


def target_of(row):
    texts = [t for t in row["scene"]["texts"] if t["role"] == "target"]
    assert len(texts) == 1
    text = texts[0]
    board = next(o for o in row["scene"]["objects"] if o["id"] == text["on_object"])
    return text, board


def test_answer_is_the_target_text(ocr_rows):
    for row in ocr_rows:
        text, board = target_of(row)
        assert row["answer_type"] == "text"
        if row["answerable"]:
            assert row["answer"] == text["text"]
            assert text["visible_fraction"] >= 0.995
        else:
            assert row["answer"] == UNANSWERABLE
            covered = dict((a["name"], a["value"]) for a in text["attributes"])["covered_chars"]
            assert covered
            patches = [o for o in row["scene"]["objects"] if o["role"] == "occluder"]
            assert len(patches) == 1 and patches[0]["z"] > text["z"]
        assert f'answer "{UNANSWERABLE}"' in row["question"], "every item lets the model abstain"
        assert row["difficulty"]["n_chars"] == len(text["text"])
        assert row["difficulty"]["font"] == text["font"]
        assert row["difficulty"]["text_px"] == text["text_px"]
        assert row["difficulty"]["angle_deg"] == round(text["angle_deg"])
        assert row["difficulty"]["covered"] == (not row["answerable"])


def test_question_picks_exactly_one_sign(ocr_rows):
    seen = Counter()
    for row in ocr_rows:
        text, board = target_of(row)
        boards = [o for o in row["scene"]["objects"] if o["role"].endswith("_sign")]
        others = [o for o in boards if o["id"] != board["id"]]
        assert len(boards) == row["difficulty"]["n_signs"]
        referent = row["difficulty"]["referent"]
        seen[referent] += 1
        if referent == "color":
            assert f"the {board['color']} sign" in row["question"]
            assert all(o["color"] != board["color"] for o in others)
        elif referent == "shape":
            assert f"the {board['shape']} sign" in row["question"]
            assert all(o["shape"] != board["shape"] for o in others)
        else:
            word = re.search(r"the (\w+) sign", row["question"]).group(1)
            direction = {v: k for k, v in DIRECTIONS.items()}[word]
            for other in others:
                assert _clearly_beyond((None, None, None, board["bbox"]), other["bbox"], direction, (512, 512))
    assert set(seen) == {"color", "shape", "position"}


def test_contrast_knob_is_the_colours_contrast(ocr_rows):
    for row in ocr_rows:
        text, board = target_of(row)
        if row["difficulty"]["stroke_px"]:
            continue  # hollow letters: the outline carries the contrast
        ink = tuple(int(text["color"][i:i + 2], 16) for i in (1, 3, 5)) if text["color"].startswith("#") \
            else PALETTE[text["color"]]
        sign = PALETTE[board["color"]]
        assert contrast_ratio(ink, sign) == pytest.approx(row["difficulty"]["contrast_ratio"], rel=0.08)


def test_subtasks_and_their_knobs(ocr_rows):
    by = {s: [r for r in ocr_rows if r["subtask"] == f"ocr/{s}"] for s in OCR.subtasks}
    assert {s: len(v) for s, v in by.items()} == {s: 30 for s in OCR.subtasks}
    assert {r["difficulty"]["angle_deg"] for r in by["tiny_text"] + by["stylized_font"]} == {0}
    assert len({r["difficulty"]["angle_deg"] for r in by["rotated_text"]}) > 20
    assert min(r["difficulty"]["text_px"] for r in by["tiny_text"]) < 12
    assert max(r["difficulty"]["text_px"] for r in by["tiny_text"]) > 36
    assert len({r["difficulty"]["font_class"] for r in by["stylized_font"]}) >= 4
    contents = Counter(r["difficulty"]["content"] for r in ocr_rows)
    assert set(contents) == {"word", "pseudoword", "code", "price", "misspelled"}
    unanswerable = [r for r in ocr_rows if not r["answerable"]]
    assert len(unanswerable) == 9  # one in ten of each subtask


def test_misspellings_record_the_word_a_prior_expects(ocr_rows):
    from gen_stress.scenes.content import dictionary

    for row in ocr_rows:
        text, _ = target_of(row)
        if row["difficulty"]["content"] == "misspelled":
            assert text["prior_text"] and text["prior_text"] != text["text"]
            assert text["text"].lower() not in dictionary()
            assert text["prior_text"].lower() in dictionary()
        elif row["difficulty"]["content"] == "pseudoword":
            assert text["text"].lower() not in dictionary()


def test_render_checks_hold_on_regenerated_items():
    """150 items replayed from their seed stream: the kept scene passes every pixel check,
    and it is the one stored."""
    part = PartSpec(family="ocr", n=300)
    from gen_stress.pipeline import plan_for
    from gen_stress.knobs import make_knobs
    from gen_stress.rng import sample_rng
    from gen_stress.scenes.render import render

    for index in range(0, 300, 2):
        rng = sample_rng(part.seed, "ocr", index)
        plan = plan_for(OCR, part, index)
        knobs = make_knobs(OCR.Knobs, OCR.draw_knobs(plan, rng))
        passed = False
        for _ in range(60):
            try:
                draft = OCR.compose(plan, knobs, rng, (512, 512))[0]
            except Resample:
                continue
            if not OCR.verify(draft, render(draft.scene)):
                passed = True
                break
        assert passed
        row = generate_index(OCR, part, (512, 512), index)[0]
        assert row["question"] == draft.question.question and row["answer"] == draft.question.answer


def test_drawn_pixels_match_the_scene(ocr_rows):
    """The target's box holds its ink colour on the stored PNG."""
    for row in ocr_rows[:30]:
        text, board = target_of(row)
        if not row["answerable"]:
            continue
        image = np.asarray(image_of(row)).astype(int)
        x0, y0, x1, y1 = (int(v) for v in text["bbox"])
        crop = image[y0:y1, x0:x1].reshape(-1, 3)
        sign = np.array(PALETTE[board["color"]])
        differs = np.abs(crop - sign).sum(axis=1) > 30
        assert differs.mean() > 0.02, "the target's box shows ink, not only its sign"


def test_sweep_spreads_items_evenly(tmp_path, capsys):
    code, _, err = run_cli(["--family", "ocr", "--n", "40", "--sweep", "text_px=4:40:4", "--workers", "2",
                            "--rows-per-shard", "20", "--no-progress", "--out", str(tmp_path / "sw")], capsys)
    assert code == 0, err
    rows = read_rows(tmp_path / "sw")
    assert Counter(r["difficulty"]["text_px"] for r in rows) == {v: 4 for v in range(4, 41, 4)}
    assert {r["subtask"] for r in rows} == {"ocr/tiny_text"}
    easy = OCR.easy_knobs("tiny_text")
    for row in rows:
        for knob in ("angle_deg", "font_class", "stroke_px", "contrast_ratio", "content", "referent", "covered"):
            assert row["difficulty"][knob] == easy[knob]
    card = (tmp_path / "sw" / "README.md").read_text()
    assert "--sweep text_px=4:40:4" in card


def test_sweep_of_a_categorical_knob_and_a_pinned_knob():
    part = PartSpec(family="ocr", n=12, sweeps=(Sweep("font_class", ("script", "display", "mono")),),
                    settings=(("content", "code"),))
    rows = [generate_index(OCR, part, (512, 512), i)[0] for i in range(12)]
    assert Counter(r["difficulty"]["font_class"] for r in rows) == {"script": 4, "display": 4, "mono": 4}
    assert {r["difficulty"]["content"] for r in rows} == {"code"}
    assert {r["subtask"] for r in rows} == {"ocr/stylized_font"}
    assert all(re.fullmatch(r"[A-Z0-9-]+", r["answer"]) for r in rows)


def test_pairs_change_one_character(tmp_path, capsys):
    code, _, err = run_cli(["--family", "ocr", "--n", "10", "--pairs", "--workers", "1", "--no-progress",
                            "--out", str(tmp_path / "pairs")], capsys)
    assert code == 0, err
    rows = read_rows(tmp_path / "pairs")
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row["group_id"], []).append(row)
    answerable = [r for r in rows if r["answerable"]]
    assert len(rows) == 10 + len(answerable) // 2
    for group_id, members in groups.items():
        if len(members) == 1:  # covered items have no twin: changing a hidden letter flips nothing
            assert not members[0]["answerable"] and group_id == ""
            continue
        a, b = members
        assert b["id"] == a["id"] + "-b" and group_id == a["id"]
        assert a["question"] == b["question"] and a["difficulty"] == b["difficulty"]
        assert len(a["answer"]) == len(b["answer"])
        assert sum(x != y for x, y in zip(a["answer"], b["answer"])) == 1
        others_a = [t for t in a["scene"]["texts"] if t["role"] != "target"]
        others_b = [t for t in b["scene"]["texts"] if t["role"] != "target"]
        assert others_a == others_b, "everything but the one character stays the same"


@pytest.mark.parametrize("size", [(256, 256), (320, 240)])
def test_small_images(size):
    """Drawn text sizes shrink with the image, so small images work on defaults."""
    part = PartSpec(family="ocr", n=15)
    for index in range(15):
        row = generate_index(OCR, part, size, index)[0]
        text, _ = target_of(row)
        assert text["text_px"] <= 48 * min(size) / 512 + 1
        x0, y0, x1, y1 = text["bbox"]
        assert 0 <= x0 and 0 <= y0 and x1 <= size[0] and y1 <= size[1]


def test_signs_surely_near_are_near_by_their_outlines():
    """The placement's shortcut refuses a spot only when the outlines would: boards whose
    inner boxes (upright) or inner disks (turned) come closer than the gap have outlines
    closer than the gap, for every sign shape, on real text layouts."""
    from gen_stress.generators.ocr import GAP_PX, _Sign, _surely_near
    from gen_stress.scenes.fonts import load_catalog
    from gen_stress.scenes.shapes import SIGN_SHAPES
    from gen_stress.scenes.text import layout_text, moved

    rng = np.random.default_rng(5)
    fonts = load_catalog().fonts[:4]
    signs = []
    for k in range(40):
        text = ["MENU", "Exit 12", "open", "B7-Q", "tea"][k % 5]
        angle = 0 if k % 3 else int(rng.integers(1, 360))
        text_px = int(rng.integers(8, 40))
        layout = layout_text(text, fonts[k % 4], text_px=text_px, angle_deg=angle)
        pad = (max(4.0, 0.6 * text_px), max(3.0, 0.5 * text_px))
        signs.append(_Sign(SIGN_SHAPES[k % len(SIGN_SHAPES)], (200, 30, 30), layout, pad))
    refused = 0
    for _ in range(3000):
        a, b = signs[int(rng.integers(len(signs)))], signs[int(rng.integers(len(signs)))]
        placed_layout = moved(b.layout, tuple(rng.uniform(100, 400, 2)))
        placed = (b, placed_layout, b.outline_at(placed_layout), None)
        candidate = moved(a.layout, tuple(rng.uniform(100, 400, 2)))
        cx, cy = candidate.placement.center
        if _surely_near(a, cx, cy, placed):
            refused += 1
            assert a.outline_at(candidate).distance(placed[2]) < GAP_PX
    assert refused > 300
