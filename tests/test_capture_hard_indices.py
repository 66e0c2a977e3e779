"""Indices that once had no scene within the attempts: capture values, rolls and pairs
that make a family's question or twins hard to photograph. Each is generated directly
(one index, no dataset), and the gold is checked to follow the photo's rules."""

from __future__ import annotations

import pytest

from conftest import run_cli
from gen_stress.generators import get_family
from gen_stress.pipeline import PartSpec, generate_index

SIZE = (512, 512)
PAIRS = (("pairs", True),)


def rows_of(family: str, index: int, settings: tuple, options: tuple = (), n: int = 500) -> list[dict]:
    part = PartSpec(family=family, n=n, settings=settings, options=options)
    part.validate()
    return generate_index(get_family(family), part, SIZE, index)


@pytest.mark.parametrize("family, index, settings, options", [
    # a planned grid cell no camera of the index showed clearly (drawn per attempt now)
    ("spatial", 161, (("capture", "assistive"),), ()),
    # a pinned 45 degree roll: corner questions ask the quadrant; quadrant cells drawn per attempt
    ("spatial", 26, (("roll_deg", -45.0),), ()),
    ("spatial", 44, (("roll_deg", 45.0),), ()),
    # a pair under a pinned 30 degree roll (mirror twins, quadrant instead of corner)
    ("spatial", 161, (("roll_deg", 30.0),), PAIRS),
    # a frame too tight for any count: capture twins stand in for the family's
    ("counting", 22, (("capture", "assistive"),), PAIRS),
    # overexposure washing the answer out of every photo: the twin fixes the light too
    ("grounding", 62, (("capture", "assistive"),), PAIRS),
    ("grounding", 90, (("capture", "assistive"),), PAIRS),
    # a dozen unread messages on a screen, as twins under capture
    ("counting", 0, (("context", "screen"), ("capture", "assistive")), PAIRS),
    # swapped columns listed as drawn: a document's two_columns twin flips
    ("spatial", 0, (("context", "document"),), PAIRS),
    # a date too long for the drawn size: the drawn knobs are drawn again
    ("ocr", 405, (("script", "cyrillic"),), ()),
])
def test_hard_index_is_made(family, index, settings, options):
    rows = rows_of(family, index, settings, options)
    assert rows
    if options:
        assert len(rows) == 2 and rows[0]["group_id"] == rows[1]["group_id"]
        assert rows[0]["answer"] != rows[1]["answer"]
    for row in rows:
        if row["answer_type"] == "choice" and row["answerable"]:
            assert row["answer"] in row["choices"]


def test_rolled_corner_questions_become_quadrant_questions():
    rows = [r for i in range(0, 60) for r in rows_of("spatial", i, (("roll_deg", 40.0),), n=60)
            if r["subtask"] == "spatial/relative_position"]
    assert rows
    assert not any("corner of the image" in r["question"] for r in rows)
    assert any("quadrant" in r["question"] for r in rows)


def test_corner_form_with_a_large_roll_is_refused(capsys, tmp_path):
    code, _out, err = run_cli(["--family", "spatial", "--subtask", "relative_position", "--set", "form=corner",
                               "--set", "roll_deg=40", "--n", "4", "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "form=corner needs roll_deg within" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
