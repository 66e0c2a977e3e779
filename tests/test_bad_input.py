"""Bad input answered in one line (issue 9): seeds out of range, image sizes a family's
scenes cannot fit, impossible knob combinations (checked before any worker starts),
hostile manifests. Every case: exit code 2, one line on stderr, no traceback, nothing
written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import run_cli
from gen_stress.errors import GenerationError, UserError
from gen_stress.generators import get_family, registry
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.release import ManifestError, parse_manifest

GENERATE = ["--n", "3", "--workers", "1", "--no-progress"]


def assert_one_line_error(code: int, err: str, message: str, out: Path | None = None) -> None:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("gen-stress: error: ") and "Traceback" not in err
    assert message in err, err
    assert out is None or not out.exists()


# Seeds -------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [str(2**63), str(10**30)])
def test_seed_past_int64_is_refused(seed, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(["--family", "ocr", *GENERATE, "--seed", seed, "--out", str(out)], capsys)
    assert_one_line_error(code, err, "--seed must be from 0 to 9223372036854775807", out)


def test_largest_seed_is_accepted():
    part = PartSpec(family="spatial", n=1, seed=2**63 - 1)
    part.validate()
    row = generate_index(get_family("spatial"), part, (512, 512), 0)[0]
    assert row["seed"] == 2**63 - 1 and row["id"].startswith(f"spatial-s{2**63 - 1}-")


def test_manifest_seed_past_int64_is_refused():
    text = f"name: t\nversion: 0.1.0\nseed: {2**63}\nfamilies:\n  ocr: {{n: 2}}\n"
    with pytest.raises(ManifestError, match=r"m.yaml: seed: must be at most 9223372036854775807"):
        parse_manifest(text, "m.yaml")


# Image sizes -------------------------------------------------------------------------------

@pytest.mark.parametrize("size", ["64", "128"])
@pytest.mark.parametrize("family", ["ocr", "counting", "grounding", "hallucination"])
def test_too_small_images_are_refused_with_the_smallest_size(family, size, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(["--family", family, *GENERATE, "--size", size, "--out", str(out)], capsys)
    fam = get_family(family)
    leaf, need = max(fam.min_side.items(), key=lambda kv: kv[1])
    assert_one_line_error(code, err, "needs images of at least", out)
    assert f"--size {need} or more" in err or f"{need}x{need}" in err


def test_too_small_images_name_the_subtask(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(["--family", "spatial", *GENERATE, "--size", "100", "--subtask", "relative_position",
                            "--out", str(out)], capsys)
    assert_one_line_error(code, err, "spatial/relative_position needs images of at least 128x128 px", out)


def test_every_subtask_declares_a_smallest_size():
    for name, family in registry().items():
        assert set(family.min_side) == set(family.subtasks), name


@pytest.mark.parametrize("family", sorted(registry()))
def test_smallest_declared_size_works(family):
    """The declared smallest size is real: items of every subtask generate at it (a wide
    sample was measured when declaring it; this keeps it honest on a few)."""
    fam = get_family(family)
    for leaf, side in fam.min_side.items():
        part = PartSpec(family=family, n=3, seed=3, subtasks=(leaf,))
        part.validate((side, side))
        for index in range(2):
            rows = generate_index(fam, part, (side, side), index)
            assert rows and rows[0]["scene"]["width"] == side


# Impossible knob combinations: refused by PartSpec.validate, before any worker --------------

@pytest.mark.parametrize("family,kwargs,message", [
    ("counting", dict(settings=(("named", "both"), ("object_px", 6))), "named=both needs object_px >= 14"),
    ("counting", dict(settings=(("overlap", 0.3),)), "overlap applies to duplicates_merged only"),
    ("counting", dict(subtasks=("duplicates_merged",), settings=(("overlap", 0.6), ("min_visible_fraction", 0.5))),
     "would leave less than min_visible_fraction"),
    ("spatial", dict(subtasks=("left_right",), settings=(("form", "between"),)), "is a form of relative_position"),
    ("spatial", dict(subtasks=("relative_position",), settings=(("form", "nearest"),), options=(("pairs", True),)),
     "a mirror does not change"),
    ("grounding", dict(subtasks=("region",), settings=(("region_form", "grid"), ("object_px", 160))),
     "object_px=160 does not fit a grid cell of a 512x512 image; at most 158 fits"),
    ("counting", dict(subtasks=("crowded",), settings=(("n", 150), ("density", 0.08), ("object_px", 36))),
     "counting/crowded: 187 objects of 36 px at density 0.08 need more room than a 512x512 image has"),
])
def test_impossible_knobs_are_refused_by_validation(family, kwargs, message):
    with pytest.raises(UserError, match=message):
        PartSpec(family=family, n=4, **kwargs).validate()


def test_spatial_margin_without_room_for_a_pair_is_refused():
    part = PartSpec(family="spatial", n=4, subtasks=("left_right",), settings=(("margin_px", 60), ("object_px", 96)))
    part.validate()  # 275 px of 512
    with pytest.raises(UserError, match="spatial/left_right: margin_px=60 leaves no room for two objects of 96 px "
                                        r"side by side in 256 px \(they need 275\)"):
        part.validate((256, 256))


def test_ocr_settings_no_font_can_draw_are_refused():
    from gen_stress.scenes.fonts import load_catalog

    script = tuple(f.name for f in load_catalog().of_class("script"))
    part = PartSpec(family="ocr", n=3, subtasks=("stylized_font",), hold_out=(("font", script),))
    with pytest.raises(UserError, match="ocr/stylized_font: every script font is held out; keep one of"):
        part.validate()
    PartSpec(family="ocr", n=3, subtasks=("tiny_text",), hold_out=(("font", script),)).validate()  # draws no script
    with pytest.raises(UserError, match="text 48 px tall does not fit three characters on a 192x192 image"):
        PartSpec(family="ocr", n=3, subtasks=("tiny_text",), settings=(("text_px", 48),)).validate((192, 192))


def test_a_sweep_cell_that_cannot_be_made_is_refused_up_front(tmp_path, capsys):
    """One cell of the sweep (object_px=6 with a named class) is impossible: refused
    before generating, not after the other cells were written."""
    from gen_stress.knobs import resolve_sweep

    sweep = resolve_sweep("object_px", "6:20:2", get_family("counting").Knobs, "counting")
    with pytest.raises(UserError, match="named=shape needs object_px >= 14"):
        PartSpec(family="counting", n=8, sweeps=(sweep,), settings=(("named", "shape"),)).validate()


def test_part_px_that_cannot_fit_names_the_largest_that_does(tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(["--family", "grounding", *GENERATE, "--size", "320", "--subtask", "similar_classes",
                            "--set", "part_px=10", "--out", str(out)], capsys)
    assert_one_line_error(code, err, "grounding/similar_classes: 2 candidates with part_px=10 do not fit a 320x320 "
                                     "image; part_px up to 5 fits", out)
    part = PartSpec(family="grounding", n=1, subtasks=("similar_classes",), settings=(("part_px", 5),))
    part.validate((320, 320))
    assert generate_index(get_family("grounding"), part, (320, 320), 0)[0]["difficulty"]["part_px"] == 5


def test_context_text_too_large_for_its_page_is_refused_up_front(tmp_path, capsys):
    """A page holds only so large a line. A document's title in a monospaced font at
    40 px never fits a 512 px page: the run stopped on the first item that drew that font
    class, 60 attempts later, other items already made. A text_px above what a context
    draws itself is tried first on pages of every font class and outline an item can
    draw (the same verdict whatever the seed), and on each language's page."""
    for seed in ("0", "7"):
        out = tmp_path / f"out{seed}"
        code, _, err = run_cli(["--family", "ocr", *GENERATE, "--seed", seed, "--subtask", "stylized_font",
                                "--set", "context=document", "--set", "text_px=40", "--out", str(out)], capsys)
        assert_one_line_error(code, err, "ocr/stylized_font in context document: text_px=40 fits 0 of 24 trial pages "
                                         "at 512x512, font_class=mono, stroke_px=0 (most often: no title fits the page "
                                         "at 40 px); set text_px to 24 or less", out)
    # A sweep: the first value a Thai menu's allergen note cannot hold on one line.
    out = tmp_path / "thai"
    code, _, err = run_cli(["--family", "ocr", *GENERATE, "--set", "context=menu", "--set", "script=thai",
                            "--sweep", "text_px=4:32:2", "--out", str(out)], capsys)
    assert_one_line_error(code, err, "ocr/tiny_text in context menu: text_px=22 fits 0 of 24 trial pages at 512x512, "
                                     "script=thai (most often: a footnote line is wider than the card)", out)


def test_context_text_larger_than_it_draws_is_made_where_it_fits(monkeypatch):
    """A screen's labels at 32 px fit in every font class: accepted and made at 32 px.
    What a context draws itself is never tried (it is made at every size and script)."""
    from gen_stress.questions import in_context

    part = PartSpec(family="ocr", n=2, subtasks=("stylized_font",),
                    settings=(("context", "screen"), ("text_px", 32)))
    part.validate()
    assert {generate_index(get_family("ocr"), part, (512, 512), i)[0]["difficulty"]["text_px"] for i in range(2)} == {32}

    def no_trials(*args):
        raise AssertionError("a text size the context draws was tried")

    monkeypatch.setattr(in_context, "compose", no_trials)
    PartSpec(family="ocr", n=2, subtasks=("stylized_font",), settings=(("context", "document"), ("text_px", 24))).validate()
    PartSpec(family="ocr", n=2, subtasks=("tiny_text",), settings=(("context", "shelf"), ("text_px", 12))
             ).validate((384, 384))


def test_named_class_with_drawn_sizes_generates():
    """A named class keeps drawn instances big enough to be told apart, instead of
    failing in a worker halfway through the run."""
    fam = get_family("counting")
    part = PartSpec(family="counting", n=4, subtasks=("small_items",), settings=(("named", "shape"),))
    part.validate()
    for index in range(2):
        row = generate_index(fam, part, (512, 512), index)[0]
        assert row["difficulty"]["named"] == "shape" and row["difficulty"]["object_px"] >= 14


def test_resample_reasons_keep_their_numbers():
    """The error after the last attempt shows the reasons with their numbers, not the
    blanked-out kinds the card groups by."""
    fam = get_family("grounding")
    part = PartSpec(family="grounding", n=1, subtasks=("similar_classes",), settings=(("part_px", 10),))
    with pytest.raises(GenerationError) as caught:
        generate_index(fam, part, (320, 320), 0)
    assert "2 birds with 10 px parts do not fit a 320x320 image (60x)" in str(caught.value)
    assert "…" not in str(caught.value)


# Manifests ---------------------------------------------------------------------------------

BASE = "name: t\nversion: 0.1.0\nfamilies:\n  ocr: {n: 2}\n"


@pytest.mark.parametrize("text,message", [
    ("a: &a [x, x]\n" + BASE + "b: [*a, *a]\n", "at line 6: aliases (*a) are not allowed"),
    ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" + BASE,
     "at line 2: aliases (*a) are not allowed"),
    (BASE + "name: u\n", "at line 5: duplicate key 'name'"),
    ("name: t\nversion: 0.1.0\nfamilies:\n  ocr: {n: 2, n: 3}\n", "at line 4: duplicate key 'n'"),
    ("name: t\nversion: 0.1.0\nfamilies:\n  ocr: {n: 2}\n  ocr: {n: 3}\n", "at line 5: duplicate key 'ocr'"),
    (BASE + "title: " + "[" * 10_000 + "]" * 10_000 + "\n", "at line 5: nested deeper than 8 levels"),
    (BASE + "seed: " + "9" * 5000 + "\n", "not valid YAML"),
])
def test_hostile_manifests_are_one_line_errors(text, message, tmp_path, capsys):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    code, _, err = run_cli(["build", str(path), "--dry-run"], capsys)
    assert_one_line_error(code, err, message)
    assert len(err) < 450


@pytest.mark.parametrize("data", [
    {"name": "x" * 1_000_000 + "!", "version": "0.1.0", "families": {"ocr": {"n": 2}}},
    {"name": "t", "version": "0.1.0", "families": {"ocr": {"n": "z" * 1_000_000}}},
    {"name": "t", "version": "0.1.0", "families": {"ocr": {"n": 2, "set": {"clutter": "q" * 1_000_000}}}},
    {"name": "t", "version": "0.1.0", "families": {"ocr": {"n": 2}}, "image_size": "9" * 1_000_000},
    {"name": "t", "version": "0.1.0", "families": {"ocr": {"n": 2}}, "k" * 1000: 1},
])
def test_manifest_errors_cap_what_they_echo(data):
    with pytest.raises(ManifestError) as caught:
        parse_manifest(yaml.safe_dump(data, width=10**9), "m.yaml")
    message = str(caught.value)
    assert message.startswith("m.yaml: ") and len(message) < 450 and "\n" not in message


def test_plain_manifests_still_load():
    manifest = parse_manifest("# a comment\n" + BASE + "splits:\n  test: {seed: 1}\n  train: {seed: 2}\n", "m.yaml")
    assert [s.name for s in manifest.splits] == ["test", "train"]


# Predictions for `score` ---------------------------------------------------------------------

def _score(args, capsys):
    return run_cli(["score", *map(str, args)], capsys)


def test_bad_confidences_keep_the_answer(ocr_dataset, ocr_rows, tmp_path, capsys):
    import json

    ids = [r["id"] for r in ocr_rows]
    bad = ["NaN", "Infinity", "-Infinity", "1.5", "-0.1", '"high"', "true"]
    lines = [f'{{"id": "{i}", "prediction": "{r["answer"]}", "confidence": {bad[k] if k < len(bad) else 0.9}}}'
             for k, (i, r) in enumerate(zip(ids, ocr_rows))]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("\n".join(lines) + "\n")
    out = tmp_path / "report"
    code, stdout, err = _score([ocr_dataset, "-p", preds, "--out", out], capsys)
    assert code == 0, err
    assert f"{len(bad)} confidences left out (not a number from 0 to 1): listed in the report" in stdout
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"]["matched"] == len(ids) and report["problems"]["malformed"]["count"] == 0
    listed = report["problems"]["bad_confidence"]["list"]
    assert [e["line"] for e in listed] == list(range(1, len(bad) + 1)) and listed[0]["id"] == ids[0]
    assert "confidence nan is not a number from 0 to 1" in listed[0]["reason"]
    scores = [json.loads(line) for line in (out / "scores.jsonl").read_text().splitlines()]
    assert all(s["correct"] for s in scores[:len(bad)])  # the answers were scored
    assert "Confidences left out" in (out / "report.md").read_text()


@pytest.mark.parametrize("content,message", [
    ('{"prediction": "x"}\n{"prediction": "y"}\n',
     "none of its 2 records is usable: line 1: no string `id` (and 1 more)"),
    ('{"id": "ocr-s0-0000000", "prediction": ["x"]}\n', "none of its 1 records is usable: line 1: `prediction` of"),
    ('{"id": "ocr-s0-0000000", "prediction": "a\x01b"}\n', "line 1: not valid JSON (Invalid control character at "
                                                             "column 42)"),
])
def test_unusable_predictions_say_why(ocr_dataset, tmp_path, capsys, content, message):
    preds = tmp_path / "preds.jsonl"
    preds.write_text(content)
    code, _, err = _score([ocr_dataset, "-p", preds, "--out", tmp_path / "report"], capsys)
    assert_one_line_error(code, err, message)
    assert "none of the 0" not in err and "at at" not in err
    assert [p.name for p in tmp_path.iterdir()] == ["preds.jsonl"]


def test_byte_order_mark_is_accepted(ocr_dataset, ocr_rows, tmp_path, capsys):
    ids = [r["id"] for r in ocr_rows]
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(f'{{"id": "{i}", "prediction": "x"}}\n' for i in ids), encoding="utf-8-sig")
    table = tmp_path / "result.tsv"
    table.write_text("index\tprediction\n" + "".join(f"{i}\tx\n" for i in ids), encoding="utf-8-sig")
    for k, path in enumerate((preds, table)):
        code, _, err = _score([ocr_dataset, "-p", path, "--out", tmp_path / f"report{k}"], capsys)
        assert code == 0, err


def test_a_folder_as_predictions_file(ocr_dataset, tmp_path, capsys):
    folder = tmp_path / "preds"
    folder.mkdir()
    code, _, err = _score([ocr_dataset, "-p", folder, "--out", tmp_path / "report"], capsys)
    assert_one_line_error(code, err, f"predictions file {folder} is a folder", tmp_path / "report")


# export checks the shards before it writes ---------------------------------------------------

def _damage(folder: Path, how: str) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    shard = sorted((folder / "ocr").glob("test-*.parquet"))[1]
    if how == "footer":
        shard.write_bytes(shard.read_bytes()[:-100])
    else:
        table = pq.read_table(shard)
        images = table.column("image").to_pylist()
        images[5] = {"bytes": images[5]["bytes"][:-300], "path": images[5]["path"]}
        table = table.set_column(table.schema.get_field_index("image"), "image",
                                 pa.array(images, type=table.schema.field("image").type))
        pq.write_table(table, shard)
    return shard.relative_to(folder).as_posix()


@pytest.mark.parametrize("how,message", [("footer", "is not a readable parquet file"),
                                         ("image", "has a damaged image (row ocr-s0-0000035")])
@pytest.mark.parametrize("fmt", ["jsonl", "vlmevalkit", "lmms-eval"])
def test_export_refuses_damaged_shards_before_writing(ocr_dataset, tmp_path, capsys, how, message, fmt):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(ocr_dataset, copy)
    name = _damage(copy, how)
    out = tmp_path / "export"
    code, _, err = run_cli(["export", fmt, str(copy), "--out", str(out)], capsys)
    assert_one_line_error(code, err, f"shard {name} {message}", out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy"]  # no staging folder left either


# Card accuracy --------------------------------------------------------------------------------

def test_card_yes_share_only_where_subtasks_ask_yes_no(tmp_path, capsys):
    out = tmp_path / "stress-spatial"
    code, _, err = run_cli(["--family", "spatial", "--n", "8", "--workers", "1", "--no-progress", "--out", str(out),
                            "--subtask", "left_right", "--subtask", "relative_position"], capsys)
    assert code == 0, err
    from conftest import read_rows

    rows = read_rows(out, "spatial")
    yes_no = [r for r in rows if r["subtask"] == "spatial/left_right" and r["answer_type"] == "yes_no"]
    yes = sum(r["answer"] == "yes" for r in yes_no)
    card = (out / "README.md").read_text()
    assert f"| `spatial/left_right` | 4 | 0 | {yes / len(yes_no):.1%} of {len(yes_no)} |" in card
    assert "| `spatial/relative_position` | 4 | 0 | - |" in card


def test_card_value_lists_say_what_they_leave_out():
    from collections import Counter

    from gen_stress.card import _knob_rows
    from gen_stress.pipeline import Summary

    summary = Summary(categorical={"template": Counter({f"t{k:02d}": 20 - k for k in range(15)}),
                                   "target": Counter({"": 7, "fork": 2})})
    rows = "\n".join(_knob_rows("hallucination", {("hallucination", "test"): summary}))
    template = next(line for line in rows.splitlines() if line.startswith("| `template`"))
    assert "t11 (9), and 3 more values |" in template and "t12" not in template
    target = next(line for line in rows.splitlines() if line.startswith("| `target`"))
    assert "| (none) (7), fork (2) |" in target  # caption rows ask about no target: labelled, not blank
