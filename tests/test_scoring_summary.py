"""The figures of a report: gold answers score 1.0 everywhere, "always yes" scores what
POPE says it must, and every other block (pairs, abstention, calibration, baselines) on
rows of every answer type."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gen_stress.scoring import score_item, summarize
from gen_stress.scoring.metrics import anls, calibration_error, cer, iou, levenshtein

NEG_STRATEGIES = ("random", "popular", "adversarial")


def _row(family, leaf, index, answer, answer_type, difficulty, *, choices=(), aliases=(), answerable=True,
         group=False, variant=""):
    row_id = f"{family}-s0-{index:07d}" + (f"-{variant}" if variant else "")
    return {"id": row_id, "family": family, "subtask": f"{family}/{leaf}", "answer": answer,
            "answer_type": answer_type, "choices": list(choices), "aliases": list(aliases), "answerable": answerable,
            "difficulty": difficulty, "group_id": f"{family}-s0-{index:07d}" if group else "", "index": index}


def synthetic_rows(n: int = 120, seed: int = 0) -> list[dict]:
    """Rows shaped like the families being built beside OCR: hallucination (yes/no,
    balanced per neg_strategy, in minimal pairs), counting (integer), spatial (choice),
    grounding (boxes). Knob values vary so every knob gets a curve or a table."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        strategy = NEG_STRATEGIES[i % 3]
        knobs = {"neg_strategy": strategy, "n_objects": int(rng.integers(2, 9)), "object_px": int(rng.integers(12, 97))}
        present = (i // 3) % 2 == 0  # yes/no alternate within each strategy: 50/50 per stratum
        rows.append(_row("hallucination", "object_invented", i, "yes" if present else "no", "yes_no", knobs,
                         group=True))
        rows.append(_row("hallucination", "object_invented", i, "no" if present else "yes", "yes_no", knobs,
                         group=True, variant="b"))
        count = i % 12 + 1
        rows.append(_row("counting", "crowded_items_skipped", i, str(count), "integer",
                         {"n": count, "object_px": int(rng.integers(8, 65)), "overlap": round(float(rng.uniform(0, 0.5)), 3)}))
        options = ["left of the cup", "right of the cup", "above the cup", "below the cup"]
        rows.append(_row("spatial", "left_right_flipped", i, options[i % 4], "choice",
                         {"margin_px": int(rng.integers(4, 61)), "frame": "viewer"}, choices=options))
        x0, y0 = int(rng.integers(0, 300)), int(rng.integers(0, 300))
        side = int(rng.integers(10, 120))
        rows.append(_row("grounding", "exact_region_not_localized", i, f"[{x0}, {y0}, {x0 + side}, {y0 + side}]",
                         "bbox", {"object_px": side, "n_distractors": int(rng.integers(0, 6))}))
    return rows


def gold_reply(row: dict) -> str:
    return row["answer"]


def test_gold_answers_score_one_everywhere(ocr_rows):
    rows = ocr_rows + synthetic_rows()
    scores = [score_item(r, gold_reply(r)) for r in rows]
    report = summarize(rows, scores)
    blocks = [report["overall"], *report["families"].values()]
    blocks += [sub for fam in report["families"].values() for sub in fam["subtasks"].values()]
    for block in blocks:
        assert block["accuracy"]["value"] == 1.0
        assert block["parse_status"]["unparseable"] == 0
        types = block["answer_types"]
        if "yes_no" in types:
            assert (types["yes_no"]["precision"], types["yes_no"]["recall"], types["yes_no"]["f1"]) == (1.0, 1.0, 1.0)
        if "integer" in types:
            assert (types["integer"]["exact"], types["integer"]["off_by_one"], types["integer"]["mae"]) == (1.0, 1.0, 0.0)
        if "text" in types:
            assert (types["text"]["exact"], types["text"]["anls"], types["text"]["cer"]) == (1.0, 1.0, 0.0)
        if "choice" in types:
            assert types["choice"]["accuracy"] == 1.0
        if "bbox" in types:
            assert (types["bbox"]["mean_iou"], types["bbox"]["acc_at_0.5"]) == (1.0, 1.0)
        if block["paired"]:
            assert block["paired"]["value"] == 1.0
        abst = block["abstention"]
        assert abst["over_abstention"] == 0.0
        assert abst["abstention_recall"] in (None, 1.0)
    assert report["overall"]["abstention"]["unanswerable"]["n"] > 0  # the OCR rows hold covered text
    for family in report["families"].values():
        for curve in family["knobs"]["numeric"]:
            assert curve["crossing"]["status"] in ("above_throughout", "too_few_values"), curve["knob"]
        for table in family["knobs"]["categorical"]:
            assert all(row["accuracy"]["value"] == 1.0 for row in table["values"])
    assert json.loads(json.dumps(report)) == report


def test_always_yes_on_balanced_yes_no_items():
    rows = [r for r in synthetic_rows() if r["answer_type"] == "yes_no"]
    assert sum(r["answer"] == "yes" for r in rows) * 2 == len(rows)
    report = summarize(rows, [score_item(r, "Yes.") for r in rows])
    block = report["families"]["hallucination"]
    yes_no = block["answer_types"]["yes_no"]
    assert block["accuracy"]["value"] == 0.5
    assert (yes_no["recall"], yes_no["yes_ratio"], yes_no["precision"]) == (1.0, 1.0, 0.5)
    # per negative-sampling strategy, as POPE reports it
    strategies = next(t for t in block["knobs"]["categorical"] if t["knob"] == "neg_strategy")
    assert {row["value"] for row in strategies["values"]} == set(NEG_STRATEGIES)
    for row in strategies["values"]:
        assert row["accuracy"]["value"] == 0.5
        assert (row["yes_no"]["recall"], row["yes_no"]["yes_ratio"]) == (1.0, 1.0)
    assert block["baselines"]["always_yes"] == 0.5
    assert block["paired"]["value"] == 0.0  # one member of each pair is a "no"


def test_unparseable_yes_no_is_never_a_no():
    rows = [r for r in synthetic_rows(30) if r["answer_type"] == "yes_no"]
    report = summarize(rows, [score_item(r, "The plate holds a spoon.") for r in rows])
    yes_no = report["overall"]["answer_types"]["yes_no"]
    assert report["overall"]["accuracy"]["value"] == 0.0
    assert (yes_no["yes_ratio"], yes_no["no_ratio"]) == (0.0, 0.0)
    assert report["overall"]["parse_status"]["unparseable"] == len(rows)


def test_baselines_and_intervals():
    rows = synthetic_rows()
    report = summarize(rows, [score_item(r, gold_reply(r)) for r in rows])
    fams = report["families"]
    assert fams["hallucination"]["baselines"]["uniform_random"] == 0.5
    assert fams["spatial"]["baselines"]["uniform_random"] == 0.25
    assert fams["spatial"]["baselines"]["majority"] == pytest.approx(0.25)  # choice positions are uniform
    assert fams["counting"]["baselines"]["uniform_random"] == pytest.approx(1 / 12)
    assert fams["grounding"]["baselines"]["best"] == pytest.approx(1 / 120, abs=0.02)
    half = [r for r in rows if r["family"] == "counting"]
    scores = [score_item(r, "7") for r in half]
    acc = summarize(half, scores)["overall"]["accuracy"]
    assert acc["value"] == pytest.approx(10 / 120)
    assert acc["low"] < acc["value"] < acc["high"]
    ints = summarize(half, scores)["overall"]["answer_types"]["integer"]
    assert ints["off_by_one"] == pytest.approx(30 / 120)
    assert ints["mae"] == pytest.approx(np.mean([abs(int(r["answer"]) - 7) for r in half]))


def test_paired_accuracy_needs_every_member_right():
    rows = [r for r in synthetic_rows(30) if r["answer_type"] == "yes_no"]
    # right on every first member, wrong on the twins of the first ten groups
    scores = [score_item(r, ("no" if r["answer"] == "yes" else "yes") if r["id"].endswith("-b") and r["index"] < 10
                         else r["answer"]) for r in rows]
    paired = summarize(rows, scores)["overall"]["paired"]
    assert (paired["value"], paired["n"]) == (20 / 30, 30)


def test_abstention_and_calibration():
    rows = [
        {"id": f"t{k}", "family": "ocr", "subtask": "ocr/tiny_text", "answer": "EXIT", "answer_type": "text",
         "choices": [], "aliases": [], "answerable": True, "difficulty": {}, "group_id": ""} for k in range(8)
    ] + [
        {"id": f"u{k}", "family": "ocr", "subtask": "ocr/tiny_text", "answer": "unanswerable", "answer_type": "text",
         "choices": [], "aliases": ["illegible"], "answerable": False, "difficulty": {}, "group_id": ""}
        for k in range(4)
    ]
    replies = ["EXIT"] * 5 + ["EXlT", "I cannot read it.", "Illegible."] + ["unanswerable", "Illegible.", "EXIT", "EXIT"]
    scores = [score_item(r, reply, confidence=0.9) for r, reply in zip(rows, replies)]
    abst = summarize(rows, scores)["overall"]["abstention"]
    assert abst["answerable"] == {"n": 8, "correct": 5, "wrong": 1, "abstained": 2}
    assert abst["unanswerable"] == {"n": 4, "abstained": 2}
    assert (abst["abstention_recall"], abst["over_abstention"]) == (0.5, 0.25)
    assert abst["accuracy_answerable"]["value"] == 5 / 8
    assert abst["ece"] == pytest.approx(abs(0.9 - 7 / 12))  # one bin: confidence 0.9, accuracy 7/12


def test_item_metrics():
    assert levenshtein("kitten", "sitting") == 3
    assert anls("HELL0", "hello") == pytest.approx(0.8)
    assert anls("abc", "xyz") == 0.0  # beyond the 0.5 threshold
    assert cer("", "exit") == 1.0 and cer("exit", "exit") == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert calibration_error([0.8] * 10, [True] * 8 + [False] * 2) == pytest.approx(0.0)


def test_summary_is_deterministic_and_independent_of_what_else_is_scored():
    rows = synthetic_rows(60)
    rng = np.random.default_rng(3)
    scores = [score_item(r, gold_reply(r) if rng.random() < 0.7 else "no idea") for r in rows]
    full = summarize(rows, scores)
    assert summarize(rows, scores) == full
    counting = [(r, s) for r, s in zip(rows, scores) if r["family"] == "counting"]
    alone = summarize([r for r, _ in counting], [s for _, s in counting])
    assert alone["families"]["counting"] == full["families"]["counting"]


@pytest.mark.parametrize("hits,n,low,high", [
    (0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (5, 10, 0.2366, 0.7634), (0, 1, 0.0, 0.7935)])
def test_proportion_intervals_are_wilson_and_never_collapse(hits, n, low, high):
    """Wilson score intervals (95%): at 0% and 100% an interval, not a point."""
    from gen_stress.scoring.metrics import rate_ci

    ci = rate_ci(hits, n)
    assert ci["value"] == hits / n and ci["n"] == n
    assert ci["low"] == pytest.approx(low, abs=1e-4) and ci["high"] == pytest.approx(high, abs=1e-4)
    assert ci["low"] < ci["high"]
