"""scripts/blind_prior.py: how much a question's named field gives its answer away."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "blind_prior.py"


@pytest.fixture(scope="module")
def blind():
    spec = importlib.util.spec_from_file_location("gen_stress_blind_prior", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(answers: dict[str, list[str]]) -> list[dict]:
    return [{"id": f"{key}-{k}", "question": f"Does it show {key}? Answer yes or no.", "answer": answer,
             "difficulty": {"target": key}} for key, said in answers.items() for k, answer in enumerate(said)]


def test_a_field_always_answered_the_same_is_given_away(blind):
    accuracy, chance = blind.blind_accuracy(rows({"a tip line": ["no"] * 40, "a total": ["yes"] * 40}))
    assert accuracy == 1.0 and chance == 0.5


def test_a_field_asked_yes_as_often_as_no_gives_nothing(blind):
    accuracy, chance = blind.blind_accuracy(rows({f"field {k}": ["yes", "no"] * 20 for k in range(4)}))
    assert 0.3 < accuracy < 0.7 and chance == 0.5


def test_the_picture_kind_the_question_names_is_part_of_the_key(blind):
    """"Any honey on this store shelf?" always "no" and "... on this product page?" always
    "yes" gives the answer away, though "any honey" alone is asked each way as often."""
    said = [{"id": f"{kind}-{k}", "answer": answer, "background": kind, "difficulty": {"target": "any honey"}}
            for kind, answer in (("store shelf", "no"), ("web page", "yes")) for k in range(30)]
    assert blind.key_of(said[0]) == "store shelf: any honey"
    assert blind.blind_accuracy(said)[0] == 1.0


def test_values_and_unanswerable_are_two_answers(blind):
    assert blind.answer_class("12.40") == "value" and blind.answer_class("unanswerable") == "unanswerable"
    leaning = blind.telling_keys(rows({"a": ["12.40", "3.10", "unanswerable"], "b": ["yes", "no"]}), 1)
    assert leaning[0][0] == "a" and leaning[0][1] == {"value": 2, "unanswerable": 1}


def test_it_reads_a_generated_dataset(tmp_path, capsys):
    out = tmp_path / "receipt"
    rc, _, err = run_cli(["--family", "hallucination", "--subtask", "object", "--n", "12", "--workers", "1",
                          "--no-progress", "--set", "context=receipt", "--out", str(out)], capsys)
    assert rc == 0, err
    done = subprocess.run([sys.executable, str(SCRIPT), str(out), "--top", "2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = done.stdout.splitlines()[0].split()
    assert line[:2] == ["receipt", "hallucination/object"] and line[2] == "12"
    assert 0.0 <= float(line[line.index("blind") + 1]) <= 1.0
    missing = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "none")], capture_output=True, text=True)
    assert missing.returncode == 2 and "is not a dataset folder" in missing.stderr.splitlines()[-1]
