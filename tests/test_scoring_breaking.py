"""Breaking points: a simulated reader's threshold is recovered from a real text-size
sweep, and curves and tables come out of whatever knobs the rows hold."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import read_rows
from test_scoring_summary import synthetic_rows

from gen_stress.scoring import score_item, summarize
from gen_stress.scoring.breaking import breaking_point

STEP = 4


@pytest.fixture(scope="module")
def sweep_rows(tmp_path_factory):
    """180 OCR items with text_px swept over 4, 8, ..., 40 (18 per size)."""
    from gen_stress.cli import main

    out = tmp_path_factory.mktemp("sweep") / "stress-ocr"
    try:
        main(["--family", "ocr", "--n", "180", "--sweep", f"text_px=4:40:{STEP}", "--workers", "2", "--no-progress",
              "--out", str(out)])
    except SystemExit as stop:
        assert stop.code == 0
    rows = read_rows(out)
    for row in rows:
        row.pop("image")
    return rows


def simulated_reader(rows, threshold: int, seed: int, right_above: float = 1.0) -> list[str]:
    """Reads the text (in a sentence) when it is at least `threshold` px tall, with
    probability `right_above`; otherwise guesses uniformly among the dataset's answers."""
    rng = np.random.default_rng(seed)
    answers = sorted({r["answer"] for r in rows})
    replies = []
    for row in rows:
        if row["difficulty"]["text_px"] >= threshold and rng.random() < right_above:
            replies.append(f'The text on the sign says "{row["answer"]}".')
        else:
            replies.append(answers[int(rng.integers(len(answers)))])
    return replies


@pytest.mark.parametrize("threshold,seed,right_above", [(16, 0, 1.0), (24, 1, 1.0), (12, 2, 0.9), (28, 3, 0.85)])
def test_simulated_reader_threshold_is_recovered_within_one_step(sweep_rows, threshold, seed, right_above):
    replies = simulated_reader(sweep_rows, threshold, seed, right_above)
    report = summarize(sweep_rows, [score_item(r, reply) for r, reply in zip(sweep_rows, replies)])
    curve = next(c for c in report["families"]["ocr"]["knobs"]["numeric"] if c["knob"] == "text_px")
    cross = curve["crossing"]
    assert curve["scope"] == "tiny_text" and curve["n"] == 180
    assert [p["x"] for p in curve["points"]] == list(range(4, 41, STEP))
    assert cross["status"] == "crosses"
    assert curve["fit"]["direction"] == "increasing"
    # the reader switches between threshold - STEP (guessing) and threshold (reading)
    assert abs(cross["value"] - threshold) <= STEP
    assert cross["low"] <= cross["value"] <= cross["high"]
    assert threshold - 2 * STEP <= cross["low"] and cross["high"] <= threshold + STEP
    assert f"holds down to text_px ≈ {cross['value']:.3g}" in report["headline"][1]


def test_counting_curve_falls_with_n_and_breaks_where_the_counter_gives_up():
    rows = [r for r in synthetic_rows(360) if r["family"] == "counting"]
    rng = np.random.default_rng(5)
    replies = [r["answer"] if r["difficulty"]["n"] <= 7 else f"I count {int(rng.integers(1, 13))} apples."
               for r in rows]
    report = summarize(rows, [score_item(r, reply) for r, reply in zip(rows, replies)])
    curve = next(c for c in report["families"]["counting"]["knobs"]["numeric"] if c["knob"] == "n")
    assert curve["fit"]["direction"] == "decreasing"
    assert curve["crossing"]["status"] == "crosses"
    assert 7 <= curve["crossing"]["value"] <= 8
    assert curve["statement"].startswith("counting: holds up to n ≈ 7")
    assert curve["chance"] == pytest.approx(1 / 12, abs=0.01)


def test_every_family_knob_gets_a_curve_or_a_table():
    rows = synthetic_rows(90)
    report = summarize(rows, [score_item(r, r["answer"]) for r in rows])
    knobs = {name: ({c["knob"] for c in fam["knobs"]["numeric"]}, {t["knob"] for t in fam["knobs"]["categorical"]})
             for name, fam in report["families"].items()}
    assert knobs["hallucination"] == ({"n_objects", "object_px"}, {"neg_strategy"})
    assert knobs["counting"] == ({"n", "object_px", "overlap"}, set())
    assert knobs["spatial"] == ({"margin_px"}, set())  # `frame` never varies: no table
    assert knobs["grounding"] == ({"object_px", "n_distractors"}, set())


def test_statuses_of_curves_that_do_not_cross():
    x = np.repeat(np.arange(1, 11), 20)
    rng = np.random.default_rng(0)
    flat = breaking_point(x, rng.random(len(x)) < 0.9, 0.5, ["t", "flat"])
    assert flat["crossing"]["status"] == "above_throughout"
    at_chance = breaking_point(x, rng.random(len(x)) < 0.5, 0.5, ["t", "chance"])
    assert at_chance["crossing"]["status"] == "at_chance"
    below = breaking_point(x, rng.random(len(x)) < 0.3, 0.25, ["t", "below"], level=0.8)
    assert below["crossing"]["status"] == "below_throughout"
    few = breaking_point([1, 1, 2, 2], [True, False, True, True], 0.5, ["t", "few"])
    assert few["crossing"]["status"] == "too_few_values" and few["fit"] is None
    # one wrong item at the far end of the range is not a breaking point
    thin = breaking_point(np.r_[x, 0], np.r_[np.ones(len(x), bool), False], 0.0, ["t", "thin"])
    assert thin["crossing"]["status"] == "thin"


def test_a_set_level_moves_the_breaking_point():
    x = np.repeat(np.arange(0, 101, 10), 40)
    rng = np.random.default_rng(1)
    right = rng.random(len(x)) < 0.5 + 0.5 / (1 + np.exp(-(x - 50) / 8))
    halfway = breaking_point(x, right, 0.5, ["t", "lvl"])["crossing"]
    strict = breaking_point(x, right, 0.5, ["t", "lvl"], level=0.9)["crossing"]
    assert 40 <= halfway["value"] <= 60
    assert strict["value"] > halfway["value"] + 5
    assert strict["level"] == 0.9


def test_angles_are_read_as_distance_from_upright():
    """A reader that fails beyond 40 degrees of upright, either way round, breaks near 40
    on the circular axis (350 degrees is 10 from upright)."""
    from gen_stress.scoring import summarize

    items, scores = [], []
    for k in range(360):
        angle = (k * 7) % 360
        distance = min(angle, 360 - angle)
        items.append({"id": f"o{k}", "family": "ocr", "subtask": "ocr/rotated_text", "answer": f"word{k}",
                      "answer_type": "text", "answerable": True, "difficulty": {"angle_deg": angle}})
        scores.append({"correct": distance <= 40, "parse_status": "exact", "abstained": False,
                       "exact": distance <= 40, "anls": 1.0, "cer": 0.0, "confidence": None})
    curve = summarize(items, scores)["families"]["ocr"]["knobs"]["numeric"][0]
    assert curve["axis"].startswith("angle_deg (distance from 0")
    assert curve["range"] == [0.0, 180.0] or tuple(curve["range"]) == (0.0, 180.0)
    assert curve["crossing"]["status"] == "crosses"
    assert 30 <= curve["crossing"]["value"] <= 50
