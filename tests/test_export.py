"""`gen-stress export`: jsonl (imagefolder), VLMEvalKit TSV and lmms-eval task folders,
each read back the way its consumer reads it, and scored back with `gen-stress score`.

lmms-eval runs for real, end to end: its wheel (pinned) is fetched without dependencies
into the pytest cache, and what its CLI, evaluator and `openai` model import (torch's CPU
build, accelerate, transformers, openai, ...) comes from the `test` extra, so nothing is
stood in. Its full dependency set (torchvision, wandb, spacy, timm, ...) is not needed for
this path and is not installed.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shlex
import string
import subprocess
import sys
import zipfile
from pathlib import Path

import datasets
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from conftest import image_of, read_rows, run_cli
from gen_stress.generators import registry
from gen_stress.pipeline import DatasetSpec, PartSpec

LMMS_EVAL = "lmms-eval==0.7.3"


def families_present() -> list[str]:
    return list(registry())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Every family; OCR with 30 items so that covered (unanswerable) items appear, the
    others with minimal pairs wherever they make them."""
    from gen_stress.dataset import build_dataset

    parts = []
    for name, family in registry().items():
        pairs = family.pairs and name != "ocr"
        parts.append(PartSpec(family=name, n=30 if name == "ocr" else 9, seed=4,
                              options=(("pairs", True),) if pairs else ()))
    out = tmp_path_factory.mktemp("export") / "stress"
    build_dataset(DatasetSpec(parts=tuple(parts), rows_per_shard=16), out, workers=2, progress=False)
    return out


def rows_by_family(folder: Path) -> dict[str, list[dict]]:
    return {name: read_rows(folder, name) for name in families_present()}


def reply_for(row: dict, k: int) -> str:
    """A simulated model: right, wrong or abstaining, in turn."""
    if k % 3 == 0:
        return f"The answer is {row['answer']}."
    if k % 3 == 2:
        return "I cannot tell from the image."
    kind, answer = row["answer_type"], row["answer"]
    if kind == "yes_no":
        return "No." if answer == "yes" else "Yes."
    if kind == "integer":
        return str(int(answer) + 1)
    if kind == "choice":
        return next(c for c in row["choices"] if c != answer)
    if kind == "bbox":
        return "[0, 0, 1, 1]"
    return "zzqx"


# jsonl ---------------------------------------------------------------------------------------

def test_jsonl_imagefolder(dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "jsonl"
    code, stdout, err = run_cli(["export", "jsonl", str(dataset), "--out", str(out)], capsys)
    assert code == 0, err
    for family, rows in rows_by_family(dataset).items():
        lines = [json.loads(line) for line in (out / family / "test" / "metadata.jsonl").read_text().splitlines()]
        assert [r["id"] for r in lines] == [r["id"] for r in rows]
        assert all((out / family / "test" / r["file_name"]).read_bytes() == row["image"]["bytes"]
                   for r, row in zip(lines, rows))
        loaded = datasets.load_dataset("imagefolder", data_dir=str(out / family), split="test")
        assert len(loaded) == len(rows)
        by_id = {r["id"]: r for r in rows}
        for got in loaded:
            want = by_id[got["id"]]
            assert np.array_equal(np.asarray(got["image"].convert("RGB")), np.asarray(image_of(want)))
            for column in ("question", "answer", "answer_type", "choices", "aliases", "answerable", "subtask",
                           "group_id", "index"):
                assert got[column] == want[column], column
            assert got["difficulty"] == want["difficulty"]
        via_card = datasets.load_dataset(str(out), family, split="test")
        assert sorted(via_card["id"]) == sorted(by_id)


# VLMEvalKit --------------------------------------------------------------------------------

def vlmevalkit_load(path: Path) -> pd.DataFrame:
    """What VLMEvalKit does with `<LMUData>/<name>.tsv` (vlmeval/dataset/__init__.py
    build_dataset, image_base.ImageBaseDataset.__init__, smp decode_base64_to_image)."""
    data = pd.read_csv(path, sep="\t")  # vlmeval.smp.load for .tsv
    assert "question" in [c.lower() for c in data.columns]
    data = data[~pd.isna(data["image"])]
    data["index"] = [str(x) for x in data["index"]]
    data["image"] = [str(x) for x in data["image"]]
    for value in data["image"]:
        assert len(value) > 64, "a short image cell is read as a reference to another row"
        assert not (value.startswith("[") and value.endswith("]")), "read as a list of images"
    return data


def decode_image(text: str) -> Image.Image:
    image = Image.open(io.BytesIO(base64.b64decode(text)))
    if image.mode in ("RGBA", "P", "LA"):
        image = image.convert("RGB")
    image.load()
    return image


def mcq_prompt(line: pd.Series) -> str:
    """ImageMCQDataset.build_prompt's text part."""
    options = {c: line[c] for c in string.ascii_uppercase if c in line and not pd.isna(line[c])}
    prompt = f"Question: {line['question']}\n"
    if options:
        prompt += "Options:\n" + "".join(f"{k}. {v}\n" for k, v in options.items())
        prompt += "Please select the correct answer from the options above. \n"
    return prompt.rstrip()


def test_vlmevalkit_tsv(dataset, tmp_path, capsys):
    out = tmp_path / "vlm"
    code, _, err = run_cli(["export", "vlmevalkit", str(dataset), "--out", str(out)], capsys)
    assert code == 0, err
    any_mcq = False
    for family, rows in rows_by_family(dataset).items():
        by_id = {r["id"]: r for r in rows}
        seen = []
        for kind in ("OpenEnded", "MCQ"):
            path = out / f"GenStress_{family}_{kind}.tsv"
            if not path.exists():
                continue
            data = vlmevalkit_load(path)
            is_mcq = "A" in data and "B" in data
            assert is_mcq == (kind == "MCQ")
            assert ("openended" in path.stem.lower()) == (not is_mcq), "VLMEvalKit's DATASET_TYPE reads the name"
            for column in ("index", "id", "image", "question", "answer", "category", "l2-category"):
                assert column in data.columns
            assert data["index"].is_unique
            for _, line in data.iterrows():
                row = by_id[line["id"]]
                assert int(line["index"]) == rows.index(row)
                assert line["category"] == family and line["l2-category"] == row["subtask"]
                if is_mcq:  # VLMEvalKit lists the options itself: the question does not
                    assert row["question"].startswith(line["question"]) and "Options:" not in line["question"]
                    assert "A. " not in line["question"] and line["question"].endswith((".", "?"))
                else:
                    assert line["question"] == row["question"]
                assert np.array_equal(np.asarray(decode_image(line["image"])), np.asarray(image_of(row)))
                if is_mcq:
                    any_mcq = True
                    options = [str(line[c]) for c in string.ascii_uppercase if c in line and not pd.isna(line[c])]
                    assert options == row["choices"]
                    assert line[line["answer"]] == row["answer"]
                    assert mcq_prompt(line).count("Options:") == 1
                    assert not any(re.fullmatch(r"[A-Z]\d*", c) for c in options), "no option reads as a label"
                else:  # an abstention gold, or options that read as option labels (tags A, cells B2)
                    assert row["answer_type"] != "choice" or row["answer"] not in row["choices"] or any(
                        re.fullmatch(r"[A-Z]\d*", c) for c in row["choices"])
                seen.append(line["id"])
        assert sorted(seen) == sorted(by_id), f"every {family} row exactly once"
    assert any_mcq == any(r["answer_type"] == "choice" for rows in rows_by_family(dataset).values() for r in rows)


def test_vlmevalkit_results_score_back(dataset, tmp_path, capsys):
    """A VLMEvalKit result file (every column plus `prediction`) goes into `gen-stress score`."""
    out = tmp_path / "vlm"
    assert run_cli(["export", "vlmevalkit", str(dataset), "--out", str(out), "--family", "ocr"], capsys)[0] == 0
    data = pd.read_csv(out / "GenStress_ocr_OpenEnded.tsv", sep="\t", dtype=str, keep_default_na=False)
    rows = {r["id"]: r for r in read_rows(dataset, "ocr")}
    data["prediction"] = [reply_for(rows[i], k) for k, i in enumerate(data["id"])]
    result = tmp_path / "model_GenStress_ocr_OpenEnded.xlsx"
    data.drop(columns=["image"]).to_excel(result, index=False)
    code, _, err = run_cli(["score", str(dataset), "--predictions", str(result), "--family", "ocr",
                            "--out", str(tmp_path / "report")], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    from gen_stress.scoring import score_item, summarize

    items = list(rows.values())
    expected = summarize(items, [score_item(r, reply_for(r, k)) for k, r in enumerate(items)])
    assert report["overall"]["accuracy"]["value"] == expected["overall"]["accuracy"]["value"]
    assert report["overall"]["n"] == len(items)


VLMEVALKIT = "ms-vlmeval==0.0.20"  # VLMEvalKit's `vlmeval` package as published on the package index

VLMEVALKIT_MCQ = r"""
import json, os, sys, types
site, lmu, name = sys.argv[1:4]
sys.path.insert(0, site)


def package(dotted):
    # A package of vlmeval whose __init__ is not run: vlmeval/__init__ (through tools),
    # vlmeval/utils, vlmeval/dataset and vlmeval/dataset/utils import every model, API and
    # dataset module (torchvision, decord, nltk, ...), none of which the MCQ path uses.
    module = types.ModuleType(dotted)
    module.__path__ = [os.path.join(site, *dotted.split("."))]
    sys.modules[dotted] = module
    return module


package("vlmeval")
utils = package("vlmeval.utils")
from vlmeval.utils import matching_util, mp_util
utils.can_infer, utils.can_infer_lego = matching_util.can_infer, matching_util.can_infer_lego
utils.track_progress_rich = mp_util.track_progress_rich
api = types.ModuleType("vlmeval.api")
api.OpenAIWrapper = None  # the judge model: exact matching uses none
sys.modules["vlmeval.api"] = api
package("vlmeval.dataset")
dataset_utils = package("vlmeval.dataset.utils")
from vlmeval.dataset.utils import judge_util
dataset_utils.DEBUG_MESSAGE, dataset_utils.build_judge = judge_util.DEBUG_MESSAGE, judge_util.build_judge
from vlmeval.dataset.image_mcq import CustomMCQDataset  # what build_dataset picks for a TSV with A and B
from vlmeval.smp import dump, load

os.environ["LMUData"] = lmu
replies = json.load(open(os.path.join(lmu, "replies.json")))
dataset = CustomMCQDataset(dataset=name)
prompts = {}
for k in range(len(dataset.data)):
    line = dataset.data.iloc[k]
    messages = dataset.build_prompt(line)
    assert [m["type"] for m in messages] == ["image", "text"] and os.path.isfile(messages[0]["value"])
    prompts[str(line["id"])] = messages[1]["value"]
result = dataset.data.drop(columns=["image"]).copy()
result["prediction"] = [replies[i] for i in result["id"]]  # what --mode infer writes
out = os.path.join(lmu, "outputs", "stub", "T20260101-000000", f"stub_{name}.xlsx")
os.makedirs(os.path.dirname(out))
dump(result, out)
acc = dataset.evaluate(out, model="exact_matching", nproc=1)
print(json.dumps({"prompts": prompts, "acc": acc.to_dict("records")[0], "result": out}))
"""


@pytest.fixture(scope="session")
def vlmevalkit_site(request, tmp_path_factory) -> Path:
    """VLMEvalKit's `vlmeval` package (ms-vlmeval on the package index), unpacked without
    its dependencies (decord, lpips, openai-clip, ...); what its MCQ path imports comes
    from the `test` extra."""
    cache_provider = getattr(request.config, "cache", None)
    name = VLMEVALKIT.replace("==", "-")
    cache = Path(cache_provider.mkdir(name)) if cache_provider else tmp_path_factory.mktemp(name)
    site = cache / "site"
    if not (site / "vlmeval" / "dataset" / "image_mcq.py").is_file():
        fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d",
                                  str(cache / "wheels"), VLMEVALKIT], capture_output=True, text=True, timeout=600)
        assert fetched.returncode == 0, f"cannot fetch {VLMEVALKIT}: {fetched.stderr.strip()[-500:]}"
        for wheel in (cache / "wheels").glob("ms_vlmeval-*.whl"):
            zipfile.ZipFile(wheel).extractall(site)
    return site


def test_vlmevalkit_scores_our_mcq_like_gen_stress(dataset, vlmevalkit_site, tmp_path, capsys, monkeypatch):
    """VLMEvalKit's own CustomMCQDataset (load, build_prompt, evaluate with exact matching:
    can_infer, mcq_vanilla_eval, report_acc) on the spatial MCQ file gives the accuracies
    `gen-stress score` gives on the same result file, per family and subtask; and the
    export README's score commands run as written."""
    lmu = tmp_path / "LMUData"
    code, _, err = run_cli(["export", "vlmevalkit", str(dataset), "--out", str(lmu)], capsys)
    assert code == 0, err
    name = "GenStress_spatial_MCQ"
    table = pd.read_csv(lmu / f"{name}.tsv", sep="\t", dtype=str, keep_default_na=False)
    letters = [c for c in string.ascii_uppercase if c in table.columns]
    replies = {}
    for k, (row_id, gold) in enumerate(zip(table["id"], table["answer"])):
        wrong = next(c for c in letters if c != gold)
        replies[row_id] = [f"The answer is {gold}.", wrong, "I cannot tell from the image."][k % 3]
    (lmu / "replies.json").write_text(json.dumps(replies))
    env = {k: v for k, v in os.environ.items() if k not in ("LMUData", "PYTHONPATH")}
    done = subprocess.run([sys.executable, "-c", VLMEVALKIT_MCQ, str(vlmevalkit_site), str(lmu), name],
                          capture_output=True, text=True, env={**env, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
                          timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-4000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    for prompt in got["prompts"].values():
        assert prompt.count("Options:") == 1 and prompt.count("\nA. ") == 1, "the options are listed once"

    code, _, err = run_cli(["score", str(dataset), "--family", "spatial", "-p", got["result"],
                            "--out", str(tmp_path / "report")], capsys)
    assert code == 0, err
    scored = [json.loads(line) for line in (tmp_path / "report" / "scores.jsonl").read_text().splitlines()]
    mcq = [s for s in scored if s["id"] in replies]
    assert len(mcq) == len(replies)
    assert got["acc"]["Overall"] == pytest.approx(np.mean([s["correct"] for s in mcq]), abs=1e-12)
    assert got["acc"]["spatial"] == pytest.approx(np.mean([s["correct"] for s in mcq]), abs=1e-12)
    for subtask in {s["subtask"] for s in mcq}:
        want = np.mean([s["correct"] for s in mcq if s["subtask"] == subtask])
        assert got["acc"][subtask] == pytest.approx(want, abs=1e-12), subtask

    # the README's score commands, as written (the model and run folder filled in)
    run_dir = Path(got["result"]).parent
    for family_rows in rows_by_family(dataset).values():
        family = family_rows[0]["family"]
        for kind in ("OpenEnded", "MCQ"):
            source = lmu / f"GenStress_{family}_{kind}.tsv"
            if source.exists() and not (run_dir / f"stub_GenStress_{family}_{kind}.xlsx").exists():
                data = pd.read_csv(source, sep="\t", dtype=str, keep_default_na=False).drop(columns=["image"])
                rows = {r["id"]: r for r in family_rows}
                data["prediction"] = [reply_for(rows[i], k) for k, i in enumerate(data["id"])]
                data.to_excel(run_dir / f"stub_GenStress_{family}_{kind}.xlsx", index=False)
    readme = (lmu / "README.md").read_text()
    assert "CustomVQADataset.evaluate" in readme and "JPEG at quality 75" in readme
    blocks = [b.split("```", 1)[0] for b in readme.split("```bash\n")[1:]]
    commands = [line for block in blocks for line in block.splitlines() if line.startswith("gen-stress score")]
    assert len(commands) == 2
    monkeypatch.chdir(tmp_path / "LMUData")
    for command in commands:
        filled = command.replace("<model>", "stub").replace("T<timestamp>", run_dir.name)
        code, out, err = run_cli(shlex.split(filled)[1:], capsys)
        assert code == 0, (filled, err)
        report = json.loads((Path(shlex.split(filled)[-1]) / "report.json").read_text())
        assert report["problems"]["missing"]["count"] == 0 and report["problems"]["duplicates"]["count"] == 0


# lmms-eval ---------------------------------------------------------------------------------

# Where each lmms-eval metric of a task is in `gen-stress score`'s report.json block of the
# family (written out here, not taken from the export, so the two are checked apart).
REPORT_PATHS = {
    "accuracy": ("accuracy", "value"), "pairs_all_right": ("paired", "value"),
    "abstention_recall": ("abstention", "abstention_recall"), "over_abstention": ("abstention", "over_abstention"),
    "pope_acc": ("answer_types", "yes_no", "accuracy"), "pope_precision": ("answer_types", "yes_no", "precision"),
    "pope_recall": ("answer_types", "yes_no", "recall"), "pope_f1": ("answer_types", "yes_no", "f1"),
    "pope_yes_ratio": ("answer_types", "yes_no", "yes_ratio"), "count_mae": ("answer_types", "integer", "mae"),
    "text_anls": ("answer_types", "text", "anls"), "box_iou": ("answer_types", "bbox", "mean_iou"),
    "chair_i": ("answer_types", "caption", "chair_i"), "chair_s": ("answer_types", "caption", "chair_s"),
    "caption_recall": ("answer_types", "caption", "object_recall"),
}


def report_figure(block: dict, family: str, metric: str):
    if metric.startswith("acc_"):
        return block["subtasks"][f"{family}/{metric[4:]}"]["accuracy"]["value"]
    value = block
    for key in REPORT_PATHS[metric]:
        value = value[key]
    return value


@pytest.fixture(scope="session")
def lmms_eval_site(request, tmp_path_factory) -> Path:
    """lmms-eval's wheel (pinned), unpacked without its dependencies: what its CLI,
    evaluator and `openai` model import comes from the `test` extra (pyproject.toml)."""
    cache_provider = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    name = LMMS_EVAL.replace("==", "-")
    cache = Path(cache_provider.mkdir(name)) if cache_provider else tmp_path_factory.mktemp(name)
    site = cache / "site"
    if not (site / "lmms_eval" / "evaluator.py").is_file():
        wheels = cache / "wheels"
        fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels),
                                  LMMS_EVAL], capture_output=True, text=True, timeout=600)
        assert fetched.returncode == 0, f"cannot fetch {LMMS_EVAL}: {fetched.stderr.strip()[-500:]}"
        for wheel in wheels.glob("lmms_eval-*.whl"):
            zipfile.ZipFile(wheel).extractall(site)
    return site


def harness_env(site: Path, tmp: Path, extra: dict | None = None) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_", "OPENAI_"))}
    path = os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])
    return {**base, "PYTHONPATH": path, "HF_HOME": str(tmp / "hf-home"), "HF_DATASETS_OFFLINE": "1",
            "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", **(extra or {})}


def readme_commands(readme: str) -> list[str]:
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def printed_rows(stdout: str) -> dict[tuple[str, str], str]:
    """(task, metric) -> value, from the tables lmms-eval prints."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[1] == "none":
            rows[(cells[0].removeprefix("- ").strip(), cells[3])] = cells[5]
    return rows


@pytest.mark.slow
def test_lmms_eval_runs_end_to_end_like_gen_stress(dataset, lmms_eval_site, tmp_path, capsys, monkeypatch):
    """lmms-eval's own CLI (task loading, the `openai` model against a local
    OpenAI-compatible server, process_results, aggregation, the group, the printed tables,
    results and samples files) on every family, run by the export README's commands; its
    numbers equal `gen-stress score` on the samples files it wrote."""
    from openai_server import OpenAIServer, image_key

    tasks = tmp_path / "tasks"
    code, _, err = run_cli(["export", "lmms-eval", str(dataset), "--out", str(tasks)], capsys)
    assert code == 0, err
    rows = rows_by_family(dataset)
    replies = {(r["question"], image_key(image_of(r))): reply_for(r, k)
               for family_rows in rows.values() for k, r in enumerate(family_rows)}
    run, score = readme_commands((tasks / "README.md").read_text())
    assert run.startswith("lmms-eval ") and score.startswith("gen-stress score ")
    with OpenAIServer(replies) as server:
        args = run.replace("<model>", "openai").replace(
            "<model_args>", f"model=stub,base_url={server.url},api_key=test,max_retries=1,num_concurrent=4")
        done = subprocess.run([sys.executable, "-m", "lmms_eval", *shlex.split(args)[1:]], cwd=tmp_path,
                              env=harness_env(lmms_eval_site, tmp_path), capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0 and "Error during evaluation" not in done.stdout + done.stderr, done.stderr[-4000:]
    n_rows = sum(len(r) for r in rows.values())
    assert len(server.requests) == n_rows and not server.unknown, "every row asked once, with its own image"

    results_files = list((tmp_path / "results").glob("*/*_results.json"))
    assert len(results_files) == 1, "lmms-eval wrote its results file"
    results = json.loads(results_files[0].read_text())["results"]
    for family in rows:
        assert list((tmp_path / "results").glob(f"*/*_samples_gen_stress_{family}.jsonl")), family

    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(shlex.split(score)[1:], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["inputs"]["matched"] == n_rows and report["problems"]["duplicates"]["count"] == 0
    printed = printed_rows(done.stdout)

    names = set()
    for family, family_rows in rows.items():
        task, block = f"gen_stress_{family}", report["families"][family]
        metrics = [key.split(",")[0] for key in results[task] if key.endswith(",none") and "_stderr" not in key]
        names |= set(metrics)
        assert metrics and not any(m.startswith("paired_") for m in metrics)
        for metric in metrics:
            want, got = report_figure(block, family, metric), results[task][f"{metric},none"]
            assert got == pytest.approx(want, abs=1e-12) if want is not None else got is None, (task, metric)
            assert printed[(task, metric)] == ("N/A" if want is None else f"{want:.4f}"), (task, metric)
        subtasks = {r["subtask"].split("/", 1)[1] for r in family_rows}
        assert {m[4:] for m in metrics if m.startswith("acc_")} == (subtasks if len(subtasks) > 1 else set())
        assert ("pairs_all_right" in metrics) == (block["paired"] is not None)
        assert ("abstention_recall" in metrics) == (block["abstention"]["unanswerable"]["n"] > 0)
        # each sample's value carries the row id and a number lmms-eval reads as the score
        samples = next((tmp_path / "results").glob(f"*/*_samples_{task}.jsonl")).read_text().splitlines()
        assert sorted(json.loads(line)["accuracy"]["id"] for line in samples) == sorted(r["id"] for r in family_rows)
        for line in map(json.loads, samples):
            value = line["accuracy"]
            assert value["score"] in (0.0, 1.0) and value["score"] == float(value["result"]["correct"])
    assert {"pairs_all_right", "abstention_recall", "over_abstention", "pope_f1", "count_mae", "text_anls",
            "box_iou", "chair_i", "chair_s", "caption_recall"} <= names, "every kind of figure was checked"
    hallucination = [key for key in results["gen_stress_hallucination"] if key.startswith("pope_acc,")]
    assert hallucination, "POPE accuracy is over the yes/no items, captions apart"
    # the group: accuracy over every item, as `gen-stress score` gives it overall
    group_metrics = [key for key in results["gen_stress"] if key.endswith(",none") and "_stderr" not in key]
    assert group_metrics == ["accuracy,none"]
    assert results["gen_stress"]["accuracy,none"] == pytest.approx(report["overall"]["accuracy"]["value"], abs=1e-12)
    assert printed[("gen_stress", "accuracy")] == f"{report['overall']['accuracy']['value']:.4f}"


def test_lmms_eval_task_pinned_to_a_hub_revision(dataset, lmms_eval_site, tmp_path, capsys):
    """The task's dataset_path/revision resolve through lmms-eval's own TaskManager and
    loader against the local fake Hub: push with a tag, export with --repo/--revision,
    load the docs."""
    from hub_server import HubServer

    out = tmp_path / "tasks"
    code, _, err = run_cli(["export", "lmms-eval", str(dataset), "--out", str(out), "--family", "ocr",
                            "--repo", "org/stress", "--revision", "v1.0.0", "--name", "pinned"], capsys)
    assert code == 0, err
    text = (out / "pinned_ocr.yaml").read_text()
    assert 'dataset_path: "org/stress"' in text and 'revision: "v1.0.0"' in text
    rows = read_rows(dataset, "ocr")
    with HubServer() as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HOME": str(tmp_path / "hf-home"),
               "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
        base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        pushed = subprocess.run([sys.executable, "-m", "gen_stress", "push", str(dataset), "--repo", "org/stress",
                                 "--tag", "v1.0.0"], env={**base, **env}, capture_output=True, text=True, timeout=300)
        assert pushed.returncode == 0, pushed.stderr
        repo = hub.hub.repo("dataset", "org/stress")
        repo.branches["main"] = repo.commits[repo.tags["v1.0.0"]].parent  # main loses the data; the tag keeps it
        done = subprocess.run([sys.executable, "-c", LOAD_TASKS, str(out), "pinned"], capture_output=True, text=True,
                              env=harness_env(lmms_eval_site, tmp_path, {**env, "HF_DATASETS_OFFLINE": "0",
                                                                         "HF_HUB_OFFLINE": "0"}), timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])["pinned_ocr"]
    assert got["dataset_path"] == "org/stress" and got["dataset_kwargs"] == {"revision": "v1.0.0"}
    assert got["ids"] == [r["id"] for r in rows]


LOAD_TASKS = r"""
import json, sys
from lmms_eval.tasks import TaskManager, get_task_dict

include_path, group = sys.argv[1:3]
tasks = get_task_dict([group], TaskManager(include_path=include_path, include_defaults=False))
(_, members), = tasks.items()
print(json.dumps({name: {"dataset_path": task.config.dataset_path, "dataset_kwargs": task.config.dataset_kwargs,
                         "ids": [d["id"] for d in task.dataset_no_image[task.config.test_split]]}
                  for name, task in members.items()}))
"""


def test_export_checks_its_input(dataset, tmp_path, capsys):
    code, _, err = run_cli(["export", "csv", str(dataset), "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "'csv' is not one of" in err
    code, _, err = run_cli(["export", "jsonl", str(dataset), "--out", str(tmp_path / "x"), "--split", "train"], capsys)
    assert code == 2 and "has no 'train' split" in err
    code, _, err = run_cli(["export", "jsonl", str(dataset), "--out", str(tmp_path / "x"), "--repo", "o/n"], capsys)
    assert code == 2 and "apply to the lmms-eval format only" in err
    code, _, err = run_cli(["export", "lmms-eval", str(dataset), "--out", str(tmp_path / "x"), "--repo", "o/n"],
                           capsys)
    assert code == 2 and "--repo needs --revision" in err
    code, _, err = run_cli(["export", "jsonl", str(dataset), "--out", str(dataset / "inside")], capsys)
    assert code == 2 and "is inside the input" in err
    code, _, err = run_cli(["export", "jsonl", str(tmp_path), "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "not a gen-stress dataset folder" in err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    code, _, err = run_cli(["export", "jsonl", str(dataset), "--out", str(tmp_path / "full")], capsys)
    assert code == 2 and "is not empty" in err and (tmp_path / "full" / "keep.txt").read_text() == "mine"
    assert not (tmp_path / "x").exists()
