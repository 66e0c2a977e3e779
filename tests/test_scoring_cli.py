"""`gen-stress score` end to end: a generated dataset, predictions in each harness's
format, the report folder, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from PIL import Image

STYLES = ("{a}", 'The text on the sign says "{a}".', "{a}.", "Answer: {a}")


def model_replies(rows: list[dict], seed: int = 0) -> dict[str, str]:
    """Replies of a plausible model: reads large text in several phrasings, misreads
    small text, abstains on covered text most of the time."""
    rng = np.random.default_rng(seed)
    replies = {}
    for row in rows:
        if not row["answerable"]:
            reply = "I can't read the text, it is covered." if rng.random() < 0.7 else "SALE"
        elif row["difficulty"]["text_px"] >= 10 and rng.random() < 0.9:
            reply = STYLES[int(rng.integers(len(STYLES)))].format(a=row["answer"])
        else:
            reply = row["answer"][:-1] + "#"
        replies[row["id"]] = reply
    return replies


def write_jsonl(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def assert_tables_are_well_formed(markdown: str) -> None:
    """Every Markdown table has a header, a separator and rows of as many cells."""
    tables, current = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert tables
    for table in tables:
        cells = [len(row.replace("\\|", "").split("|")) - 2 for row in table]
        assert len(table) >= 3 and set(table[1].strip("|").split("|")) == {"---"}, table
        assert len(set(cells)) == 1, table


def score(args, capsys):
    return run_cli(["score", *map(str, args)], capsys)


@pytest.fixture(scope="module")
def replies(ocr_rows):
    return model_replies(ocr_rows)


def test_report_folder_from_jsonl(ocr_dataset, ocr_rows, replies, tmp_path, capsys):
    ids = [r["id"] for r in ocr_rows]
    records = [{"id": i, "prediction": replies[i], "confidence": 0.8} for i in ids[:-3]]  # three missing
    records.append({"id": "ocr-s0-9999999", "prediction": "EXIT"})  # not in the dataset
    records.append({"id": ids[0], "prediction": "a second reply"})  # duplicate: the first counts
    records.append({"prediction": "no id"})  # malformed line 91
    preds = write_jsonl(tmp_path / "preds.jsonl", records)
    out = tmp_path / "report"
    code, stdout, stderr = score([ocr_dataset, "--predictions", preds, "--out", out], capsys)
    assert code == 0, stderr
    assert stdout.splitlines()[0].startswith("ocr: accuracy ")
    assert ("3 items without a prediction (scored as wrong), 1 predictions with unknown ids, 1 malformed lines, "
            "1 duplicate predictions: listed in the report") in stdout
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert [p for p in written if not p.startswith("report_files/")] == [
        "plots/ocr-knobs.png", "report.html", "report.json", "report.md", "scores.jsonl"]
    assert any(p.startswith("report_files/") for p in written)  # the gallery's full-size images

    report = json.loads((out / "report.json").read_text())
    problems = report["problems"]
    assert problems["missing"] == {"count": 3, "list": ids[-3:]}
    assert problems["unknown"]["list"] == [{"line": 88, "id": "ocr-s0-9999999", "reason": "id not in the dataset"}]
    assert problems["duplicates"]["list"] == [{"line": 89, "id": ids[0], "first_line": 1}]
    assert problems["malformed"]["list"] == [{"line": 90, "reason": "no string `id`"}]
    assert report["inputs"]["matched"] == len(ids) - 3

    # the figures are the public API's figures on the same replies (missing = empty reply)
    from gen_stress.scoring import score_item, summarize

    scores = [score_item(r, replies[r["id"]], 0.8) if r["id"] in ids[:-3] else {**score_item(r, ""), "missing": True}
              for r in ocr_rows]
    expected = summarize(ocr_rows, scores)
    assert report["overall"] == json.loads(json.dumps(expected["overall"]))
    assert report["headline"] == expected["headline"]
    lines = (out / "scores.jsonl").read_text().splitlines()
    assert len(lines) == len(ids)
    first = json.loads(lines[0])
    assert (first["id"], first["prediction"]) == (ids[0], replies[ids[0]])
    assert first["correct"] == scores[0]["correct"]

    markdown = (out / "report.md").read_text()
    for heading in ("## Headline", "## ocr", "### Subtasks", "### Breaking points", "### Abstention",
                    "### By categorical knob", "## Predictions that did not count", "## How this was scored"):
        assert heading in markdown
    assert "![accuracy versus each knob of ocr](plots/ocr-knobs.png)" in markdown
    assert_tables_are_well_formed(markdown)
    assert report["headline"][0] in markdown
    again = tmp_path / "again"
    assert score([ocr_dataset, "--predictions", preds, "--out", again], capsys)[0] == 0
    for path in out.rglob("*"):  # the same command gives the same bytes
        if path.is_file():
            assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path
    with Image.open(out / "plots/ocr-knobs.png") as plot:
        assert plot.format == "PNG" and plot.width >= 900 and plot.height >= 300
        assert len(plot.convert("L").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50  # a drawn figure


def test_same_report_from_every_prediction_format(ocr_dataset, ocr_rows, replies, tmp_path, capsys):
    ids = [r["id"] for r in ocr_rows]
    plain = write_jsonl(tmp_path / "preds.jsonl", [{"id": i, "prediction": replies[i]} for i in ids])
    # lmms-eval --log_samples: the doc is dropped from the file; doc_id is the position in the
    # task's split, the task name (from the file name) says the family
    lmms = write_jsonl(tmp_path / "20250101_120000_samples_gen_stress_ocr.jsonl", [
        {"doc_id": k, "target": r["answer"], "resps": [[replies[r["id"]]]], "filtered_resps": [replies[r["id"]]],
         "doc_hash": "0" * 64, "prompt_hash": "1" * 64, "target_hash": "2" * 64, "input": r["question"]}
        for k, r in enumerate(ocr_rows)])
    # ... or a metric value carries the row id (gen-stress's process_results does)
    lmms_ids = write_jsonl(tmp_path / "samples_gen_stress_all.jsonl", [
        {"doc_id": k, "filtered_resps": [replies[r["id"]]], "gen_stress": {"id": r["id"], "correct": True}}
        for k, r in enumerate(reversed(ocr_rows))])
    # VLMEvalKit: the dataset TSV's columns plus prediction, as .xlsx or .tsv
    table = pd.DataFrame({"index": range(len(ids)), "question": [r["question"] for r in ocr_rows],
                          "answer": [r["answer"] for r in ocr_rows], "category": "ocr",
                          "l2-category": [r["subtask"] for r in ocr_rows],
                          "prediction": [replies[i] for i in ids]})
    xlsx = tmp_path / "mymodel_GenStress_ocr.xlsx"
    table.to_excel(xlsx, index=False)
    tsv = tmp_path / "mymodel_GenStress_ocr.tsv"
    table.assign(id=ids).sample(frac=1.0, random_state=0).to_csv(tsv, sep="\t", index=False)

    from gen_stress.scoring.run import score_predictions

    reports = {}
    for name, path in [("jsonl", plain), ("lmms-eval", lmms), ("lmms-eval", lmms_ids), ("vlmevalkit", xlsx),
                       ("vlmevalkit", tsv)]:
        report = score_predictions(str(ocr_dataset), path).report  # what the command writes, without plots
        assert report["inputs"]["format"] == name, path
        assert report["inputs"]["matched"] == len(ids), path
        reports[path.name] = report
    first = reports[plain.name]
    for name, report in reports.items():
        assert report["families"] == first["families"], name
    out = tmp_path / "report"
    code, _, stderr = score([ocr_dataset, "-p", xlsx, "--out", out], capsys)
    assert code == 0, stderr
    assert json.loads((out / "report.json").read_text())["families"] == json.loads(json.dumps(first["families"]))


BAD_INPUT = [
    ('{"id": "a", "prediction": "x"}\n{"id": "b", "prediction": \n', [], "line 2: not valid JSON"),
    ('["ocr-s0-0000000", "yes"]\n', [], "line 1: expected a JSON object"),
    ('{"id": "nope-1", "prediction": "x"}\n', [], "none of the 1 predictions"),
    ("", [], "is empty"),
    ('{"id": "a", "prediction": "x"}\n', ["--revision", "v1"], "--revision applies to Hub repo ids"),
    ('{"id": "a", "prediction": "x"}\n', ["--level", "1.5"], "--level must be between 0 and 1"),
    ('{"id": "a", "prediction": "x"}\n', ["--family", "counting"], "has no family 'counting'"),
    ('{"id": "a", "prediction": "x"}\n', ["--split", "train"], "cannot load ocr/train"),
    ('{"id": "a", "prediction": "x"}\n', ["--format", "csv"], "Invalid value for '--format'"),
]


@pytest.mark.parametrize("content,extra,message", BAD_INPUT, ids=[m for _, _, m in BAD_INPUT])
def test_bad_input_is_one_line_exit_2_nothing_written(ocr_dataset, tmp_path, capsys, content, extra, message):
    preds = tmp_path / "preds.jsonl"
    preds.write_text(content)
    out = tmp_path / "report"
    code, _, stderr = score([ocr_dataset, "-p", preds, "--out", out, *extra], capsys)
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert message in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preds.jsonl"]


def test_bad_dataset_and_table_and_out(ocr_dataset, tmp_path, capsys):
    preds = write_jsonl(tmp_path / "preds.jsonl", [{"id": "ocr-s0-0000000", "prediction": "x"}])
    code, _, stderr = score([tmp_path / "no-such-folder", "-p", preds], capsys)
    assert code == 2 and "neither an existing folder nor a Hub repo id" in stderr
    code, _, stderr = score([ocr_dataset, "-p", tmp_path / "missing.jsonl"], capsys)
    assert code == 2 and "does not exist" in stderr
    table = tmp_path / "result.tsv"
    table.write_text("index\tanswer\n0\tx\n")
    code, _, stderr = score([ocr_dataset, "-p", table], capsys)
    assert code == 2 and "needs `index` (or `id`) and `prediction` columns" in stderr
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    code, _, stderr = score([ocr_dataset, "-p", preds, "--out", out], capsys)
    assert code == 2 and "is not empty; pass --overwrite" in stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    code, _, stderr = score([ocr_dataset, "-p", preds, "--out", out, "--overwrite"], capsys)
    assert code == 0, stderr
    assert (out / "report.md").exists() and not (out / "keep.txt").exists()


def test_several_prediction_files_are_merged(ocr_dataset, ocr_rows, replies, tmp_path, capsys, monkeypatch):
    """Repeated -p (or a quoted glob) merges the files: a row's first prediction counts, a
    later one for the same row is a duplicate naming both files, and the figures equal
    those of one file holding everything."""
    ids = [r["id"] for r in ocr_rows]
    half = len(ids) // 2
    records = [{"id": i, "prediction": replies[i]} for i in ids]
    whole = write_jsonl(tmp_path / "all.jsonl", records)
    first = write_jsonl(tmp_path / "part-1.jsonl", records[:half])
    second = write_jsonl(tmp_path / "part-2.jsonl", records[half:] + [{"id": ids[0], "prediction": "zzz"}])
    assert score([ocr_dataset, "-p", whole, "--out", tmp_path / "one"], capsys)[0] == 0
    code, out, err = score([ocr_dataset, "-p", first, "-p", second, "--out", tmp_path / "two"], capsys)
    assert code == 0, err
    one = json.loads((tmp_path / "one" / "report.json").read_text())
    two = json.loads((tmp_path / "two" / "report.json").read_text())
    assert two["overall"]["accuracy"] == one["overall"]["accuracy"] and two["inputs"]["matched"] == len(ids)
    assert two["inputs"]["predictions"] == "part-1.jsonl, part-2.jsonl"
    assert two["problems"]["duplicates"]["list"] == [
        {"line": f"part-2.jsonl:{len(ids) - half + 1}", "id": ids[0], "first_line": "part-1.jsonl:1"}]
    monkeypatch.chdir(tmp_path)
    code, _, err = score([ocr_dataset, "-p", "part-*.jsonl", "--out", "glob"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "glob" / "report.json").read_text())["overall"] == two["overall"]
    code, _, err = score([ocr_dataset, "-p", "nothing-*.jsonl", "--out", "none"], capsys)
    assert code == 2 and err.count("\n") == 1 and "matches no file" in err and not (tmp_path / "none").exists()
