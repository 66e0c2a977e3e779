"""`gen-stress score ORG/NAME --revision TAG`: the dataset read from a Hub repo at a tag,
through the same `datasets.load_dataset` call as a local folder. The Hub is the local fake
of tests/hub_server.py (HF_ENDPOINT); the command runs in a subprocess because
huggingface_hub reads HF_ENDPOINT when it is imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import read_rows

hub_server = pytest.importorskip("hub_server")

UPLOAD = """
import sys
from huggingface_hub import HfApi
api = HfApi()
api.create_repo(sys.argv[1], repo_type="dataset", exist_ok=True)
api.upload_folder(folder_path=sys.argv[2], repo_id=sys.argv[1], repo_type="dataset", delete_patterns=["*"])
if len(sys.argv) > 3:
    api.create_tag(sys.argv[1], tag=sys.argv[3], repo_type="dataset")
"""


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    from gen_stress.cli import main

    base = tmp_path_factory.mktemp("hub-score")
    for name, seed in (("a", 5), ("b", 6)):
        with pytest.raises(SystemExit) as stop:
            main(["--family", "ocr", "--n", "12", "--seed", str(seed), "--workers", "1", "--no-progress",
                  "--out", str(base / name)])
        assert stop.value.code == 0
    return base


def test_score_a_hub_repo_at_a_tag(folders, tmp_path):
    rows = read_rows(folders / "a")
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": r["id"], "prediction": r["answer"] if k % 3 else "no idea"}) + "\n"
                             for k, r in enumerate(rows)))
    with hub_server.HubServer() as hub:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        env = {**clean, "HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HOME": str(tmp_path / "hf-home"),
               "HF_HUB_DISABLE_PROGRESS_BARS": "1"}
        # v1 holds folder a; then main moves on to folder b
        for args in ((folders / "a", "v1"), (folders / "b",)):
            up = run(["-c", UPLOAD, "org/stress", *map(str, args)], env)
            assert up.returncode == 0, up.stderr
        scored = run(["-m", "gen_stress", "score", "org/stress", "--revision", "v1", "-p", str(preds),
                      "--out", str(tmp_path / "hub-report")], env)
        assert scored.returncode == 0, scored.stderr
        at_main = run(["-m", "gen_stress", "score", "org/stress", "-p", str(preds), "--out",
                       str(tmp_path / "main-report")], env)
    assert at_main.returncode == 2 and "none of the 12 predictions" in at_main.stderr  # main holds b's rows
    local = run(["-m", "gen_stress", "score", str(folders / "a"), "-p", str(preds), "--out",
                 str(tmp_path / "local-report")], {k: v for k, v in env.items() if k != "HF_ENDPOINT"})
    assert local.returncode == 0, local.stderr
    hub_report = json.loads((tmp_path / "hub-report" / "report.json").read_text())
    local_report = json.loads((tmp_path / "local-report" / "report.json").read_text())
    assert hub_report["inputs"]["revision"] == "v1" and hub_report["inputs"]["matched"] == len(rows)
    assert hub_report["families"] == local_report["families"]
    assert hub_report["overall"]["accuracy"]["value"] == pytest.approx(sum(1 for k in range(len(rows)) if k % 3)
                                                                       / len(rows))
