"""`gen-stress export`: jsonl (imagefolder), VLMEvalKit TSV and lmms-eval task folders,
each read back the way its consumer reads it, and scored back with `gen-stress score`.

lmms-eval's own task loader is run for real: its wheel (pinned) and the light packages
its loader imports are fetched without dependencies into the pytest cache, and the check
runs in a subprocess where torch, transformers, accelerate, evaluate and sacrebleu (which
lmms-eval imports at module level but never uses to index task YAML, build task configs or
load datasets) are empty stand-ins. Installing lmms-eval itself would pull a multi-GB
torch build into every test run.
"""

from __future__ import annotations

import base64
import io
import json
import os
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
# What lmms-eval's task loader imports besides the heavy packages stubbed below: small and
# pure Python (markupsafe has a pure-Python fallback).
LOADER_DEPS = ("loguru==0.7.3", "pytz==2026.6", "jinja2==3.1.6", "markupsafe==3.0.4", "tenacity==9.2.1")


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
                assert line["question"] == row["question"]
                assert np.array_equal(np.asarray(decode_image(line["image"])), np.asarray(image_of(row)))
                if is_mcq:
                    any_mcq = True
                    options = [str(line[c]) for c in string.ascii_uppercase if c in line and not pd.isna(line[c])]
                    assert options == row["choices"]
                    assert line[line["answer"]] == row["answer"]
                    assert "Options:\nA. " in mcq_prompt(line)
                else:
                    assert row["answer_type"] != "choice" or row["answer"] not in row["choices"]
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


# lmms-eval ---------------------------------------------------------------------------------

HARNESS_CHECK = r'''
"""Load gen-stress tasks with lmms-eval's own TaskManager and run their hooks."""
import importlib.abc, importlib.machinery, json, sys, types

site, include_path, group, replies_path, samples_dir, aggregate = sys.argv[1:7]
sys.path.insert(0, site)
STUBBED = ("torch", "transformers", "accelerate", "evaluate", "sacrebleu")


class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub(f"{cls.__name__}.{name}")


def _stub(name):
    def getattr_(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _stub(f"{name}().{attr}")
    return _Meta(name, (), {"__init__": lambda self, *a, **k: None, "__getattr__": getattr_,
                            "__call__": lambda self, *a, **k: None})


class _Module(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _stub(f"{self.__name__}.{name}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec):
        module = _Module(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Finder())
import lmms_eval
from lmms_eval.tasks import TaskManager, get_task_dict

replies = json.load(open(replies_path))
manager = TaskManager(include_path=include_path, include_defaults=False)
tasks = get_task_dict([group], manager)
(group_key, members), = tasks.items()
report = {"lmms_eval": lmms_eval.__file__, "tasks": manager.all_tasks, "groups": manager.all_groups,
          "group": group_key.group_name, "group_metrics": group_key.config["aggregate_metric_list"], "members": {}}
for name, task in members.items():
    split = task.config.test_split
    docs, plain = task.test_docs(), task.dataset_no_image[split]
    values, lines = {}, []
    for k in range(len(docs)):
        doc = docs[k]
        visuals = task.doc_to_visual(doc)
        reply = replies[doc["id"]]
        result = task.process_results(plain[k], [reply])
        for metric, value in result.items():
            values.setdefault(metric, []).append(value)
        lines.append({"doc_id": k, "target": task.doc_to_target(doc), "arguments": [task.doc_to_text(doc)],
                      "resps": [[reply]], "filtered_resps": [reply], **result})
    with open(f"{samples_dir}/20260101_samples_{name}.jsonl", "w") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in lines)
    aggregation = task.aggregation()
    report["members"][name] = {
        "n": len(docs), "dataset_path": task.config.dataset_path, "dataset_name": task.config.dataset_name,
        "dataset_kwargs": task.config.dataset_kwargs, "metrics": [m["metric"] for m in task.config.metric_list],
        "aggregates": {m: aggregation[m](v) for m, v in values.items()} if aggregate == "yes" else {},
        "first_prompt": task.doc_to_text(docs[0]), "first_target": task.doc_to_target(docs[0]),
        "visual_sizes": sorted({v.size for v in visuals}), "ids": [d["id"] for d in plain],
    }
print(json.dumps(report, default=str))
'''


@pytest.fixture(scope="session")
def lmms_eval_site(request, tmp_path_factory) -> Path:
    cache_provider = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    name = LMMS_EVAL.replace("==", "-")
    cache = Path(cache_provider.mkdir(name)) if cache_provider else tmp_path_factory.mktemp(name)
    site = cache / "site"
    if not (site / "lmms_eval" / "tasks" / "__init__.py").is_file():
        wheels = cache / "wheels"
        fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(wheels),
                                  LMMS_EVAL, *LOADER_DEPS], capture_output=True, text=True, timeout=600)
        if fetched.returncode != 0:
            pytest.skip(f"cannot fetch {LMMS_EVAL} from the package index: {fetched.stderr.strip()[-300:]}")
        for wheel in wheels.glob("*.whl"):
            zipfile.ZipFile(wheel).extractall(site)
    return site


def run_harness(site: Path, include: Path, group: str, replies: dict, tmp: Path, env: dict | None = None,
                aggregate: bool = True) -> dict:
    (tmp / "replies.json").write_text(json.dumps(replies))
    samples = tmp / "samples"
    samples.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env = {**base, "HF_HOME": str(tmp / "hf-home"), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
           "HF_HUB_DISABLE_TELEMETRY": "1", **(env or {})}
    done = subprocess.run([sys.executable, "-c", HARNESS_CHECK, str(site), str(include), group,
                           str(tmp / "replies.json"), str(samples), "yes" if aggregate else "no"],
                          capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_lmms_eval_tasks_load_and_score_like_gen_stress(dataset, lmms_eval_site, tmp_path, capsys):
    from gen_stress.scoring import score_item, summarize

    out = tmp_path / "tasks"
    code, _, err = run_cli(["export", "lmms-eval", str(dataset), "--out", str(out)], capsys)
    assert code == 0, err
    rows = rows_by_family(dataset)
    replies = {r["id"]: reply_for(r, k) for family_rows in rows.values() for k, r in enumerate(family_rows)}
    report = run_harness(lmms_eval_site, out, "gen_stress", replies, tmp_path)

    assert str(lmms_eval_site) in report["lmms_eval"], "the real lmms-eval package was loaded"
    names = [f"gen_stress_{f}" for f in rows]
    assert sorted(report["tasks"]) == sorted(["gen_stress", *names]) and report["groups"] == ["gen_stress"]
    assert report["group"] == "gen_stress" and sorted(report["members"]) == sorted(names)
    assert report["group_metrics"][0]["metric"] == "accuracy"
    for family, family_rows in rows.items():
        got = report["members"][f"gen_stress_{family}"]
        assert got["dataset_path"] == str(dataset.resolve()) and got["dataset_name"] == family
        assert got["ids"] == [r["id"] for r in family_rows], "lmms-eval sees the rows in the folder's order"
        assert got["first_prompt"] == family_rows[0]["question"] and got["first_target"] == family_rows[0]["answer"]
        assert got["visual_sizes"] == [[512, 512]]
        aggregates = got["aggregates"]
        assert set(aggregates) == set(got["metrics"])
        assert ("paired_accuracy" in aggregates) == any(r["group_id"] for r in family_rows)
        assert ("abstention_recall" in aggregates) == (not all(r["answerable"] for r in family_rows))
        if family == "ocr":
            # what lmms-eval's --log_samples keeps goes back into `gen-stress score`
            samples = tmp_path / "samples" / "20260101_samples_gen_stress_ocr.jsonl"
            code, _, err = run_cli(["score", str(dataset), "--predictions", str(samples), "--family", family,
                                    "--out", str(tmp_path / "report")], capsys)
            assert code == 0, err
            expected = json.loads((tmp_path / "report" / "report.json").read_text())["overall"]
            assert expected["n"] == len(family_rows) and expected["missing_predictions"] == 0
        else:
            expected = summarize(family_rows, [score_item(r, replies[r["id"]]) for r in family_rows])["overall"]
        assert aggregates["accuracy"] == expected["accuracy"]["value"]
        if "paired_accuracy" in aggregates:
            assert aggregates["paired_accuracy"] == expected["paired"]["value"]
        if "abstention_recall" in aggregates:
            assert aggregates["abstention_recall"] == expected["abstention"]["abstention_recall"]
            assert aggregates["over_abstention"] == expected["abstention"]["over_abstention"]
    assert "abstention_recall" in report["members"]["gen_stress_ocr"]["metrics"]
    assert any("paired_accuracy" in m["metrics"] for m in report["members"].values()) == any(
        r["group_id"] for family_rows in rows.values() for r in family_rows)


def test_lmms_eval_task_pinned_to_a_hub_revision(dataset, lmms_eval_site, tmp_path, capsys):
    """The task's dataset_path/revision resolve through lmms-eval's loader against the
    local fake Hub: push with a tag, export with --repo/--revision, load the docs."""
    from hub_server import HubServer

    out = tmp_path / "tasks"
    code, _, err = run_cli(["export", "lmms-eval", str(dataset), "--out", str(out), "--family", "ocr",
                            "--repo", "org/stress", "--revision", "v1.0.0", "--name", "pinned"], capsys)
    assert code == 0, err
    text = (out / "pinned_ocr.yaml").read_text()
    assert 'dataset_path: "org/stress"' in text and 'revision: "v1.0.0"' in text
    rows = read_rows(dataset, "ocr")
    replies = {r["id"]: reply_for(r, k) for k, r in enumerate(rows)}
    with HubServer() as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HOME": str(tmp_path / "hf-home"),
               "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
        base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        pushed = subprocess.run([sys.executable, "-m", "gen_stress", "push", str(dataset), "--repo", "org/stress",
                                 "--tag", "v1.0.0"], env={**base, **env}, capture_output=True, text=True, timeout=300)
        assert pushed.returncode == 0, pushed.stderr
        repo = hub.hub.repo("dataset", "org/stress")
        repo.branches["main"] = repo.commits[repo.tags["v1.0.0"]].parent  # main loses the data; the tag keeps it
        report = run_harness(lmms_eval_site, out, "pinned", replies, tmp_path,
                             env={**env, "HF_DATASETS_OFFLINE": "0", "HF_HUB_OFFLINE": "0"}, aggregate=False)
    got = report["members"]["pinned_ocr"]
    assert got["dataset_path"] == "org/stress" and got["dataset_kwargs"] == {"revision": "v1.0.0"}
    assert got["ids"] == [r["id"] for r in rows]


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
