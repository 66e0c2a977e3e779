"""Nothing lost, nothing stale: the `datasets` cache serves each folder its own rows, and
output folders survive concurrent runs, kills, overlapping --out and full disks.

Kills and concurrent runs use real processes and real signals; loads use the real
`datasets` library in subprocesses with a cache folder of their own.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import read_rows, run_cli
from gen_stress import staging
from gen_stress.errors import UserError
from gen_stress.osutil import RENAME_EXCHANGE, pid_alive

SRC = Path(os.environ.get("PYTHONPATH", "").split(":")[0] or Path(__file__).resolve().parents[1] / "src")
QUICK = ["--family", "ocr", "--workers", "1", "--no-progress"]
# A run long enough to be killed while it writes: shards of 10 rows appear within seconds.
LONG = ["--family", "ocr", "--n", "100000", "--rows-per-shard", "10", "--workers", "2", "--no-progress"]

LOAD = r'''
import json, sys
import datasets
datasets.utils.logging.disable_progress_bar()
result = []
for kwargs in json.loads(sys.argv[1]):
    loaded = datasets.load_dataset(**kwargs)
    split = loaded if isinstance(loaded, datasets.Dataset) else loaded["test"]
    result.append(list(split["id"]))
print(json.dumps(result))
'''


def env_with(**extra) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    return {**base, "PYTHONPATH": str(SRC), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **extra}


def load_ids(cache: Path, loads: list[dict]) -> list[list[str]]:
    """Each load_dataset(**kwargs) in a fresh process sharing one datasets cache."""
    done = subprocess.run([sys.executable, "-c", LOAD, json.dumps(loads)], capture_output=True, text=True,
                          env=env_with(HF_DATASETS_CACHE=str(cache)), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def ids_on_disk(folder: Path) -> list[str]:
    return [r["id"] for r in read_rows(folder)]


def readme_load(folder: Path) -> dict:
    return {"path": str(folder), "name": "ocr", "split": "test"}


# The datasets cache ------------------------------------------------------------------------

def test_each_folder_loads_its_own_rows(tmp_path, capsys):
    """Two folders with one base name, then one regenerated in place with --overwrite:
    every load returns the rows on disk, as the README calls it and as the exported
    lmms-eval task calls it (its dataset_path, dataset_name and lmms-eval's own kwargs)."""
    a, b, cache = tmp_path / "a" / "stress-ocr", tmp_path / "b" / "stress-ocr", tmp_path / "hf-cache"
    for folder, seed in ((a, "1"), (b, "2")):
        assert run_cli([*QUICK, "--n", "4", "--seed", seed, "--out", str(folder)], capsys)[0] == 0
    tasks = tmp_path / "tasks"
    assert run_cli(["export", "lmms-eval", str(a), "--out", str(tasks), "--name", "t"], capsys)[0] == 0
    task = yaml.safe_load((tasks / "t_ocr.yaml").read_text().replace("!function", ""))
    harness = {"path": task["dataset_path"], "name": task["dataset_name"], **task.get("dataset_kwargs", {}),
               "download_mode": "reuse_dataset_if_exists", "num_proc": 1}
    first = load_ids(cache, [readme_load(a), readme_load(b), harness])
    assert first == [ids_on_disk(a), ids_on_disk(b), ids_on_disk(a)]
    assert first[0] != first[1]

    assert run_cli([*QUICK, "--n", "5", "--seed", "3", "--out", str(a), "--overwrite"], capsys)[0] == 0
    again = load_ids(cache, [readme_load(a), harness, {**readme_load(a), "download_mode": "force_redownload"}])
    assert again == [ids_on_disk(a)] * 3, "regenerated in place: the new rows, also when re-downloaded"
    assert again[0] != first[0] and len(again[0]) == 5


def strip_fingerprints(folder: Path) -> None:
    """Make the card look like one written before fingerprints."""
    card = folder / "README.md"
    card.write_text("".join(line for line in card.read_text().splitlines(keepends=True)
                            if not line.startswith("  description: ")))


def test_folder_without_fingerprint_is_named(tmp_path, capsys):
    """A card without a fingerprint (an older gen-stress): `score` reads the files and says
    harnesses might not; the lmms-eval export refuses it."""
    folder = tmp_path / "old"
    assert run_cli([*QUICK, "--n", "3", "--out", str(folder)], capsys)[0] == 0
    strip_fingerprints(folder)
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"id": i, "prediction": "x"}) + "\n" for i in ids_on_disk(folder)))
    code, _, err = run_cli(["score", str(folder), "-p", str(preds), "--out", str(tmp_path / "report")], capsys)
    assert code == 0, err
    assert "has no fingerprint matching the files of ocr" in err
    code, _, err = run_cli(["export", "lmms-eval", str(folder), "--out", str(tmp_path / "tasks")], capsys)
    assert code == 2 and "could read another folder's cached rows; regenerate the folder" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "tasks").exists()


def test_exported_imagefolder_card_is_fingerprinted_too(ocr_dataset, tmp_path, capsys):
    from gen_stress.export.source import DatasetFolder
    from gen_stress.fingerprint import stale_configs

    out = tmp_path / "images"
    assert run_cli(["export", "jsonl", str(ocr_dataset), "--out", str(out)], capsys)[0] == 0
    configs = DatasetFolder.open(out).card["configs"]
    assert stale_configs(out, configs) == [] and stale_configs(ocr_dataset, DatasetFolder.open(ocr_dataset).card[
        "configs"]) == []
    with open(out / "ocr" / "test" / "metadata.jsonl", "a") as handle:
        handle.write("\n")
    assert stale_configs(out, configs) == ["ocr"], "a changed file no longer matches"


# Concurrent runs and folders that appear -----------------------------------------------------

def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gen_stress", *args], cwd=cwd, env=env_with(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def partial_of(out: Path, pid: int) -> Path:
    return out.parent / f".{out.name}.partial-{pid}"


def has_shard(folder: Path) -> bool:
    return any(p.stat().st_size > 0 for p in folder.glob("ocr/*.parquet"))


def test_second_run_with_the_same_out_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    first = start([*QUICK, "--n", "40", "--out", str(out)], tmp_path)
    wait_for(lambda: partial_of(out, first.pid).exists() or first.poll() is not None)
    code, _, err = run_cli([*QUICK, "--n", "3", "--seed", "9", "--out", str(out)], capsys)
    assert code == 2 and f"another gen-stress run (pid {first.pid}) is writing --out {out}" in err
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert ids_on_disk(out) == [f"ocr-s0-{k:07d}" for k in range(40)], "the first run's dataset is there"


def test_folder_created_at_out_during_a_run_is_kept(tmp_path):
    """Even with --overwrite: it replaces what was there at the start, nothing newer."""
    out = tmp_path / "out"
    run = start([*QUICK, "--n", "40", "--out", str(out), "--overwrite"], tmp_path)
    wait_for(lambda: partial_of(out, run.pid).exists())
    out.mkdir()
    (out / "mine.txt").write_text("precious")
    _, err = run.communicate(timeout=300)
    assert run.returncode == 2, err
    assert err.strip() == (f"gen-stress: error: --out {out} appeared while this run was writing; it was left "
                           "untouched and this run's output discarded")
    assert (out / "mine.txt").read_text() == "precious" and sorted(os.listdir(out)) == ["mine.txt"]
    assert sorted(os.listdir(tmp_path)) == ["out"], "nothing else left behind"


def test_folder_changed_during_a_block_is_never_replaced(tmp_path):
    """The checks at the move into place, in-process: an empty --out that received a file,
    and an --out replaced by another folder, both stay as they are."""
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(UserError, match="received files while this run was writing"):
        with staging.staged(out, overwrite=False) as tmp:
            (tmp / "new.txt").write_text("new")
            (out / "late.txt").write_text("late")
    assert os.listdir(out) == ["late.txt"]
    with pytest.raises(UserError, match="was replaced while this run was writing"):
        with staging.staged(out, overwrite=True) as tmp:
            (tmp / "new.txt").write_text("new")
            out.rename(tmp_path / "moved")
            out.mkdir()
            (out / "other.txt").write_text("other")
    assert os.listdir(out) == ["other.txt"] and sorted(os.listdir(tmp_path)) == ["moved", "out"]


# --out and the inputs ---------------------------------------------------------------------

@pytest.fixture()
def inputs(ocr_dataset, tmp_path) -> Path:
    """A copy of a dataset folder with a predictions file and a manifest beside it."""
    work = tmp_path / "work"
    shutil.copytree(ocr_dataset, work / "data")
    (work / "preds.jsonl").write_text(json.dumps({"id": "ocr-s0-0000000", "prediction": "x"}) + "\n")
    (work / "m.yaml").write_text("name: m\nversion: 0.0.1\nsplits:\n  test: {seed: 1}\nfamilies:\n  ocr: {n: 2}\n")
    return work


OVERLAPS = [  # (where it runs, the command, the reason)
    (".", ["score", "data", "-p", "preds.jsonl", "--out", "data"], "--out data is the input data"),
    (".", ["score", "data", "-p", "preds.jsonl", "--out", "."], "--out . is the current folder"),
    (".", ["score", "data", "-p", "data/README.md", "--out", "data/report"], "is inside the input data"),
    ("data", ["score", ".", "-p", "../preds.jsonl", "--out", ".."], "is a folder holding the current folder"),
    (".", ["export", "jsonl", "data", "--out", "."], "--out . is the current folder"),
    (".", ["export", "jsonl", "data", "--out", "data/x"], "--out data/x is inside the input data"),
    (".", ["build", "m.yaml", "--out", "."], "--out . is the current folder"),
    (".", ["build", "m.yaml", "--out", "m.yaml"], "--out m.yaml is the input m.yaml"),
    (".", ["build", "m.yaml", "--out", ".", "--dry-run"], "--out . is the current folder"),
    (".", ["--family", "ocr", "--n", "2", "--out", "."], "--out . is the current folder"),
]


@pytest.mark.parametrize("where,args,message", OVERLAPS, ids=[" ".join(a) for _, a, _ in OVERLAPS])
def test_out_never_overlaps_an_input(where, args, message, inputs, monkeypatch, capsys):
    monkeypatch.chdir(inputs / where)
    before = {p: p.read_bytes() for p in inputs.rglob("*") if p.is_file()}
    code, _, err = run_cli(args if "--dry-run" in args else [*args, "--overwrite"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err, err
    assert {p: p.read_bytes() for p in inputs.rglob("*") if p.is_file()} == before


def test_out_holding_an_input_is_refused(inputs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["export", "jsonl", str(inputs / "data"), "--out", str(inputs), "--overwrite"], capsys)
    assert code == 2 and f"--out {inputs} contains the input {inputs / 'data'}" in err
    code, _, err = run_cli(["score", str(inputs / "data"), "-p", str(inputs / "preds.jsonl"), "--out", str(inputs),
                            "--overwrite"], capsys)
    assert code == 2 and "contains the input" in err
    assert (inputs / "preds.jsonl").is_file() and (inputs / "data" / "README.md").is_file()


def test_out_that_is_a_link_is_refused(tmp_path, capsys):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "mine.txt").write_text("mine")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    code, _, err = run_cli([*QUICK, "--n", "2", "--out", str(tmp_path / "link"), "--overwrite"], capsys)
    assert code == 2 and err.strip().endswith("is a symbolic link; give the folder it points to")
    assert (tmp_path / "link").is_symlink() and os.listdir(tmp_path / "real") == ["mine.txt"]


# Replacing a folder ---------------------------------------------------------------------------

def test_overwrite_is_one_atomic_exchange(tmp_path, monkeypatch):
    calls = []
    real = staging.renameat2

    def spy(source, target, flags):
        calls.append(flags)
        return real(source, target, flags)

    monkeypatch.setattr(staging, "renameat2", spy)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with staging.staged(out, overwrite=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert os.listdir(out) == ["new.txt"] and os.listdir(tmp_path) == ["out"]
    if sys.platform.startswith("linux"):
        assert calls == [RENAME_EXCHANGE]


SWAP_CUT_IN_HALF = r'''
import os, sys, time
from pathlib import Path
from gen_stress import staging
staging.renameat2 = lambda source, target, flags: False  # an OS without renameat2
real_rename = os.rename
def rename_then_hang(source, target):
    real_rename(source, target)
    if ".old-" in str(target):
        time.sleep(600)  # killed here: --out is gone, the data only in the hidden folder
os.rename = rename_then_hang
with staging.staged(Path(sys.argv[1]), overwrite=True) as tmp:
    (tmp / "new.txt").write_text("new")
'''


def test_swap_killed_halfway_is_restored_by_the_next_run(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("precious")
    run = subprocess.Popen([sys.executable, "-c", SWAP_CUT_IN_HALF, str(out)], env=env_with())
    old = tmp_path / f".out.old-{run.pid}"
    wait_for(lambda: old.exists() or run.poll() is not None)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    assert not out.exists() and (old / "old.txt").exists()
    code, _, err = run_cli([*QUICK, "--n", "2", "--out", str(out)], capsys)
    assert code == 2
    assert f"gen-stress: restored {out} from .out.old-{run.pid}, left by a run (pid {run.pid}) killed" in err
    assert f"--out {out} is not empty; pass --overwrite" in err, "restored, so it is not replaced silently"
    assert (out / "old.txt").read_text() == "precious"
    assert sorted(os.listdir(tmp_path)) == ["out"], "the half-written partial folder is gone too"


# Killed runs --------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


linux_only = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")


@linux_only
def test_sigterm_removes_the_partial_folder_and_stops_workers(tmp_path):
    out = tmp_path / "out"
    run = start([*LONG, "--out", str(out)], tmp_path)
    wait_for(lambda: has_shard(partial_of(out, run.pid)))
    workers = children(run.pid)
    assert len(workers) >= 2
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM
    assert err.strip() == "gen-stress: terminated; partial output removed"
    assert os.listdir(tmp_path) == []
    wait_for(lambda: not any(pid_alive(w) for w in workers), timeout=10)


@linux_only
def test_killed_parent_takes_its_workers_and_leaves_a_partial_the_next_run_removes(tmp_path, capsys):
    out = tmp_path / "out"
    run = start([*LONG, "--out", str(out)], tmp_path)
    partial = partial_of(out, run.pid)
    wait_for(lambda: has_shard(partial))
    workers = children(run.pid)
    run.send_signal(signal.SIGKILL)
    _, err = run.communicate(timeout=30)  # returns once the workers, which share stderr, are gone
    wait_for(lambda: not any(pid_alive(w) for w in workers), timeout=10)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert partial.is_dir(), "SIGKILL cannot be caught: the partial folder stays"
    size = sum(p.stat().st_size for p in partial.rglob("*") if p.is_file())
    shards = list(partial.glob("ocr/*.parquet"))
    time.sleep(1.0)
    assert sum(p.stat().st_size for p in partial.rglob("*") if p.is_file()) == size, "no worker writes on"
    assert shards

    code, _, err = run_cli([*QUICK, "--n", "2", "--out", str(out)], capsys)
    assert code == 0, err
    assert f"gen-stress: removed {partial.name} (" in err and f"left by a run (pid {run.pid}) that is gone" in err
    assert sorted(os.listdir(tmp_path)) == ["out"]


def dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_stale_verify_scratch_is_removed_and_a_live_one_kept(tmp_path, capsys):
    stale = tmp_path / f"{staging.VERIFY_PREFIX}{dead_pid()}"
    (stale / "x").mkdir(parents=True)
    live = tmp_path / f"{staging.VERIFY_PREFIX}{os.getppid()}"  # alive: the process that ran pytest
    live.mkdir()
    with staging.scratch(tmp_path) as folder:
        assert folder.name == f"{staging.VERIFY_PREFIX}{os.getpid()}" and folder.is_dir()
    assert sorted(os.listdir(tmp_path)) == [live.name]
    assert f"removed {stale.name}" in capsys.readouterr().err


def test_sigterm_during_verify_removes_its_scratch_folder(tmp_path, capsys):
    manifest = tmp_path / "m.yaml"
    manifest.write_text("name: m\nversion: 0.0.1\nrows_per_shard: 5\nsplits:\n  test: {seed: 1}\n"
                        "families:\n  ocr: {n: 300}\n")
    release = tmp_path / "rel"
    release.mkdir()
    (release / "manifest.yaml").write_bytes(manifest.read_bytes())
    from gen_stress.release.lock import LOCK_NAME, lock_text, make_lock
    from gen_stress.release.manifest import load_manifest

    (release / LOCK_NAME).write_text(lock_text(make_lock(load_manifest(manifest), {})))
    run = start(["verify", str(release), "--workers", "2", "--no-progress"], tmp_path)
    scratch = tmp_path / f"{staging.VERIFY_PREFIX}{run.pid}"
    wait_for(lambda: any(scratch.glob(".m-0.0.1.partial-*/ocr/*.parquet")) or run.poll() is not None)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM, err
    assert sorted(os.listdir(tmp_path)) == ["m.yaml", "rel"]


# Limits and full disks ------------------------------------------------------------------------

def test_huge_n_is_refused_before_any_work(tmp_path, capsys):
    started = time.monotonic()
    code, _, err = run_cli([*QUICK, "--n", "1000000000000", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and err.strip() == ("gen-stress: error: --n must be at most 10,000,000 per family and split, "
                                         "got 1000000000000")
    assert time.monotonic() - started < 5
    manifest = tmp_path / "m.yaml"
    manifest.write_text("name: m\nversion: 0.0.1\nsplits:\n  test: {seed: 1}\nfamilies:\n  ocr: {n: 1000000000000}\n")
    code, out, err = run_cli(["build", str(manifest), "--dry-run"], capsys)
    assert code == 2 and "--n must be at most 10,000,000" in err and out == ""
    code, _, err = run_cli([*QUICK, "--n", "300000", "--rows-per-shard", "1", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "makes 300,000 shards, more than 100,000" in err
    assert os.listdir(tmp_path) == ["m.yaml"]


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")


def test_full_disk_is_one_line_and_keeps_the_old_folder(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert run_cli([*QUICK, "--n", "2", "--out", str(out)], capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr("pyarrow.parquet.ParquetWriter.write_table", no_space)
    code, _, err = run_cli([*QUICK, "--n", "3", "--out", str(out), "--overwrite"], capsys)
    assert code == 2
    assert err == f"gen-stress: error: no space left on the device of --out {out} (the old folder is unchanged)\n"
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    code, _, err = run_cli([*QUICK, "--n", "3", "--out", str(tmp_path / "new")], capsys)
    assert code == 2 and err.endswith(f"--out {tmp_path / 'new'} (nothing was written)\n")
    assert os.listdir(tmp_path) == ["out"]


@pytest.fixture()
def tiny_disk(tmp_path):
    """A 1 MB tmpfs (needs root and a kernel that lets it mount)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_really_full_disk(tiny_disk, capsys):
    out = tiny_disk / "out"
    code, _, err = run_cli([*QUICK, "--n", "60", "--out", str(out)], capsys)
    assert code == 2
    assert err == f"gen-stress: error: no space left on the device of --out {out} (nothing was written)\n"
    assert os.listdir(tiny_disk) == []


# example --------------------------------------------------------------------------------------

def test_example_follows_the_overwrite_rule(tmp_path, capsys):
    out = tmp_path / "ex"
    assert run_cli(["example", "fork-on-plate", "--out", str(out)], capsys)[0] == 0
    (out / "fork-on-plate.json").write_text("my notes")
    code, _, err = run_cli(["example", "fork-on-plate", "--out", str(out)], capsys)
    assert code == 2 and err.strip() == (f"gen-stress: error: --out {out} already holds fork-on-plate.png, "
                                         "fork-on-plate.json, fork-on-plate.parquet; pass --overwrite to replace them")
    assert (out / "fork-on-plate.json").read_text() == "my notes"
    assert run_cli(["example", "fork-on-plate", "--out", str(out), "--overwrite"], capsys)[0] == 0
    assert json.loads((out / "fork-on-plate.json").read_text())["id"] == "hallucination-example-fork-on-plate"
    assert sorted(os.listdir(out)) == ["fork-on-plate.json", "fork-on-plate.parquet", "fork-on-plate.png"]
