"""The `screen` context: app and web screenshots with near-duplicate widgets.

Every family end to end through the CLI, the same bytes for one and two workers, a
refusal before any work, click points in `gen-stress score`, near-duplicate details
checked on the pixels, and minimal pairs that flip.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from conftest import read_rows, run_cli
from gen_stress.generators import get_family
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.questions.in_context import KINDS
from gen_stress.scenes import checks
from gen_stress.scenes.contexts import contexts
from gen_stress.scenes.page import Detail, Request
from gen_stress.scenes.render import render
from gen_stress.scoring import score_item

FAMILIES = ("hallucination", "counting", "ocr", "spatial", "grounding")
N = 6  # per family: every subtask twice


def _generate(out, workers: int, capsys) -> None:
    code, _out, err = run_cli(["--family", "all", "--set", "context=screen", "--n", str(N), "--seed", "4",
                               "--workers", str(workers), "--no-progress", "--out", str(out)], capsys)
    assert code == 0, err


def test_every_family_end_to_end_and_the_same_bytes_for_any_worker_count(tmp_path, capsys):
    one, two = tmp_path / "one", tmp_path / "two"
    _generate(one, 1, capsys)
    _generate(two, 2, capsys)
    for family in FAMILIES:
        rows = read_rows(one, family)
        assert len(rows) == N
        assert {r["subtask"].split("/")[1] for r in rows} == set(KINDS[family])
        for row in rows:
            assert row["difficulty"]["context"] == "screen"
            assert "screen" in row["scene"]["background"]
            assert any(t["font"] == "Material Design Icons" for t in row["scene"]["texts"])  # named icons
        shards = sorted(p.relative_to(one) for p in (one / family).glob("*.parquet"))
        for shard in shards:
            assert hashlib.sha256((one / shard).read_bytes()).digest() == \
                hashlib.sha256((two / shard).read_bytes()).digest(), f"{shard} differs between 1 and 2 workers"
        assert (one / "assets" / f"{family}-screen-samples.png").is_file()  # a contact sheet per context
    card = (one / "README.md").read_text()
    assert "Material Design Icons" in card and (one / "licenses" / "fonts" / "materialdesignicons.txt").is_file()
    # Balanced yes/no in the usual-element questions, and the unanswerable presuppositions.
    rows = read_rows(one, "hallucination")
    objects = [r["answer"] for r in rows if r["subtask"] == "hallucination/object"]
    assert abs(objects.count("yes") - objects.count("no")) <= 1
    action = [r for r in rows if r["subtask"] == "hallucination/action"]
    assert any(not r["answerable"] for r in action) and any(r["answerable"] for r in action)


def test_a_knob_screens_do_not_use_is_refused_before_any_work(tmp_path, capsys):
    code, _out, err = run_cli(["--family", "counting", "--set", "context=screen", "--set", "n=20", "--n", "3",
                               "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and err.count("\n") == 1 and "in context screen counts" in err
    assert not (tmp_path / "x").exists()


def test_click_points_inside_the_gold_box_are_hits(tmp_path, capsys):
    """A grounding answer given as a point (x, y) is right when it falls on the element,
    ScreenSpot-style; a box is still scored by IoU."""
    item = {"answer": "[100, 40, 160, 70]", "answer_type": "bbox", "choices": [], "aliases": [], "answerable": True}
    assert score_item(item, "(130, 55)")["correct"] and score_item(item, "Click at [100, 69].")["point_hit"]
    assert not score_item(item, "(160, 55)")["correct"]  # x1 is one past the last pixel
    assert score_item(item, "[101, 41, 159, 69]")["point_hit"] is None
    assert score_item(item, "x=130, y=55")["point_hit"] and score_item(item, "from 130 to 55")["parse_status"] == \
        "unparseable"
    out = tmp_path / "ds"
    code, _o, err = run_cli(["--family", "grounding", "--subtask", "region", "--set", "context=screen", "--n", "4",
                             "--seed", "2", "--no-progress", "--out", str(out)], capsys)
    assert code == 0, err
    rows = read_rows(out, "grounding")
    assert any("click" in r["question"] for r in rows)
    predictions = tmp_path / "preds.jsonl"
    with predictions.open("w") as handle:
        for k, row in enumerate(rows):
            x0, y0, x1, y1 = json.loads(row["answer"])
            point = ((x0 + x1) // 2, (y0 + y1) // 2) if k % 2 == 0 else (x1 + 5, y1 + 5)
            handle.write(json.dumps({"id": row["id"], "prediction": f"({point[0]}, {point[1]})"}) + "\n")
    code, _o, err = run_cli(["score", str(out), "--predictions", str(predictions), "--out", str(tmp_path / "r")],
                            capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    boxes = report["overall"]["answer_types"]["bbox"]
    assert (boxes["points"], boxes["point_hits"]) == (4, 2)
    assert report["overall"]["accuracy"]["value"] == 0.5


def test_the_distinguishing_detail_is_checked_on_the_pixels():
    """Filled and outlined hearts, ticked and empty checkboxes: each detail passes on the
    render, and the same pixels fail the other state's range."""
    context = contexts()["screen"]
    request = Request("marked_item")
    seen = set()
    for seed in range(6):
        rng = np.random.default_rng(seed)
        try:
            page = context.layout(context.sample(request, rng, (512, 512)), request, (512, 512))
        except Exception:  # a layout that did not fit: the pipeline resamples it
            continue
        rendered = render(page.scene)
        for detail in page.details:
            if detail.what in ("filled heart", "outlined heart", "ticked checkbox", "empty checkbox"):
                assert checks.detail_visible(detail, rendered) == [], detail
                filled = detail.min_fill > 0
                other = Detail(detail.item_id, "the other state", *((0.0, 0.45) if filled else (0.65, 1.0)))
                assert checks.detail_visible(other, rendered), f"{detail.what} also passes as the other state"
                seen.add(detail.what)
    assert {"filled heart", "outlined heart"} <= seen or {"ticked checkbox", "empty checkbox"} <= seen


@pytest.mark.parametrize("family,subtask", [("counting", "crowded"), ("counting", "small_items"),
                                            ("spatial", "left_right"), ("spatial", "relative_position"),
                                            ("ocr", "tiny_text")])
def test_minimal_pairs_flip_the_answer(family, subtask):
    part = PartSpec(family=family, n=2, seed=5, settings=(("context", "screen"),), subtasks=(subtask,),
                    options=(("pairs", True),))
    part.validate()
    fam = get_family(family)
    rows = [row for i in range(2) for row in generate_index(fam, part, (512, 512), i)]
    assert len(rows) == 4
    for a, b in zip(rows[::2], rows[1::2]):
        assert a["group_id"] == b["group_id"] != "" and a["question"] == b["question"]
        assert a["answer"] != b["answer"]


def test_icon_font_is_licensed_and_in_sync_with_the_icon_names():
    import importlib.util
    from pathlib import Path

    from fontTools.ttLib import TTFont

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("build_icon_font", root / "scripts" / "build_icon_font.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    wanted = script.code_points(root / "src" / "gen_stress" / "data" / "contexts" / "screen.yaml")
    assert sorted(TTFont(script.PINNED.out_font).getBestCmap()) == wanted, "rebuild with scripts/build_icon_font.py"
    licence = script.PINNED.out_license.read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "CC BY 4.0" in licence
