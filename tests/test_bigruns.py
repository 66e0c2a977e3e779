"""Big runs with real components: shard slices and `assemble`, `--resume` after kill -9,
`--engine ray` on a two-node Ray cluster on loopback (started here, stopped at the end),
and a large `push` cut short then run again against the local test Hub."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import run_cli
from hub_server import HubServer

# One plan for every test here: 12 items in 6 shards of 2.
PLAN = ["--family", "ocr", "--n", "12", "--rows-per-shard", "2", "--no-progress"]
SHARDS = 6


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def cli_env(**extra: str) -> dict:
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **extra}


def start_cli(args: list[str], **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gen_stress", *args], env=cli_env(**extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The files of one uninterrupted local run with one worker."""
    from gen_stress.cli import main

    out = tmp_path_factory.mktemp("reference") / "full"
    with pytest.raises(SystemExit) as stop:
        main([*PLAN, "--workers", "1", "--out", str(out)])
    assert stop.value.code == 0
    files = files_of(out)
    assert sum(name.endswith(".parquet") for name in files) == SHARDS and "README.md" in files
    return files


# Slices ---------------------------------------------------------------------------------

def test_three_slices_assemble_to_the_full_run(tmp_path, reference, capsys):
    slices = []
    for k, span in enumerate(["0:2", "2:3", "3:6"]):
        folder = tmp_path / f"slice{k}"
        code, out, err = run_cli([*PLAN, "--workers", "2", "--shards", span, "--out", str(folder)], capsys)
        assert code == 0, err
        assert "README.md" not in files_of(folder), "a slice has no card"
        slices.append(folder)

    code, out, err = run_cli(["assemble", *map(str, slices), "--out", str(tmp_path / "whole")], capsys)
    assert code == 0, err
    assert "assembled 12 rows from 3 slices" in out
    assert files_of(tmp_path / "whole") == reference  # shards, card and contact sheet

    # A missing slice, and a shard given twice, are refused before anything is written.
    code, _, err = run_cli(["assemble", str(slices[0]), str(slices[2]), "--out", str(tmp_path / "gap")], capsys)
    assert code == 2 and "1 of 6 shards are in no slice: ocr/test-00002-of-00006.parquet" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "gap").exists()
    overlap = tmp_path / "overlap"
    assert run_cli([*PLAN, "--workers", "1", "--shards", "1:3", "--out", str(overlap)], capsys)[0] == 0
    code, _, err = run_cli(["assemble", *map(str, slices), str(overlap), "--out", str(tmp_path / "twice")], capsys)
    assert code == 2 and "shard ocr/test-00001-of-00006.parquet is in two slices" in err
    assert not (tmp_path / "twice").exists()

    # A slice of another spec (another seed) is named with the difference.
    other = tmp_path / "other"
    assert run_cli([*PLAN, "--seed", "5", "--shards", "2:3", "--workers", "1", "--out", str(other)], capsys)[0] == 0
    code, _, err = run_cli(["assemble", str(slices[0]), str(other), str(slices[2]), "--out", str(tmp_path / "mixed")],
                           capsys)
    assert code == 2 and "a slice of another spec" in err and "seed 0, not 5" in err


def test_slice_outside_the_plan_is_refused(tmp_path, capsys):
    code, _, err = run_cli([*PLAN, "--shards", "4:9", "--out", str(tmp_path / "s")], capsys)
    assert code == 2 and "outside this run's 6 shards" in err and not (tmp_path / "s").exists()


# Resume ---------------------------------------------------------------------------------

def test_resume_after_kill_gives_the_same_bytes(tmp_path, reference, capsys):
    out = tmp_path / "run"
    run = start_cli([*PLAN, "--workers", "1", "--out", str(out)])
    partial = wait_for(lambda: next(tmp_path.glob(".run.partial-*"), None), 120, "the staging folder")
    wait_for(lambda: len(list(partial.glob("ocr/test-*.parquet"))) >= 2, 300, "two finished shards")
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    finished = len(list(partial.glob("ocr/test-*.parquet")))
    assert 2 <= finished < SHARDS and not out.exists()

    code, _, err = run_cli([*PLAN, "--seed", "1", "--workers", "1", "--resume", "--out", str(out)], capsys)
    assert code == 2 and "cannot --resume" in err and "seed 0, not 1" in err
    assert len(err.strip().splitlines()) == 1 and partial.is_dir(), "the refused resume keeps the shards"

    code, _, err = run_cli([*PLAN, "--workers", "2", "--resume", "--out", str(out)], capsys)
    assert code == 0, err
    assert f"resuming: {finished} of {SHARDS} shards already finished" in err
    assert files_of(out) == reference
    assert [p.name for p in tmp_path.iterdir()] == ["run"], "no staging folder left behind"


# Ray --------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_node(args: list[str], temp_dir: str, attempts: int = 3) -> subprocess.Popen:
    """`ray start ... --block` in its own session (stopped as a whole), once it is up. Ray
    gives a node 30 s to register: on a loaded machine that can fail, so try again."""
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--node-ip-address", "127.0.0.1",
               "--num-cpus", "1", "--disable-usage-stats", "--temp-dir", temp_dir, *args]
    lines: list[str] = []
    for _ in range(attempts):
        node = subprocess.Popen(command, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        for line in node.stdout:
            lines.append(line)
            if "will now block" in line:  # read on in the background, so the pipe never fills
                threading.Thread(target=node.stdout.read, daemon=True).start()
                return node
        _stop_node(node)
    raise AssertionError("ray start failed:\n" + "".join(lines[-20:]))


def _session_pids(sessions: list[int]) -> list[int]:
    """Processes in these sessions: a node's daemons and the Ray workers it started (each
    worker has its own process group, but stays in the node's session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) in sessions:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _stop_node(node: subprocess.Popen) -> None:
    """SIGTERM to the node's group, then SIGKILL to whatever of its session is left."""
    try:
        os.killpg(node.pid, signal.SIGTERM)
        node.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    for pid in _session_pids([node.pid]):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    node.wait(timeout=10)


@pytest.fixture(scope="module")
def ray_cluster():
    """A head node and one worker node on 127.0.0.1, one CPU each; the address, and the
    sessions of both nodes (Ray's workers run in them)."""
    pytest.importorskip("ray", reason="the `ray` extra is not installed")  # CI installs it
    temp_dir = tempfile.mkdtemp(prefix="gsray")  # short: Ray's socket paths must fit 107 bytes
    port = _free_port()
    nodes = [_start_node(["--head", "--port", str(port), "--include-dashboard=false"], temp_dir)]
    try:
        nodes.append(_start_node(["--address", f"127.0.0.1:{port}"], temp_dir))
        yield f"127.0.0.1:{port}", [n.pid for n in nodes]
    finally:
        for node in reversed(nodes):
            _stop_node(node)
        subprocess.run(["rm", "-rf", temp_dir], check=False)


def _shard_task_pids(sessions: list[int]) -> list[int]:
    """Ray worker processes of this cluster that are writing a shard right now."""
    found = []
    for pid in _session_pids(sessions):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::write_shard"):
            found.append(pid)
    return found


@pytest.mark.slow
def test_ray_run_equals_a_local_run(tmp_path, reference, ray_cluster):
    address, _ = ray_cluster
    run = start_cli([*PLAN, "--engine", "ray", "--ray-address", address, "--out", str(tmp_path / "ray")])
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert files_of(tmp_path / "ray") == reference


@pytest.mark.slow
def test_ray_task_killed_mid_run_is_retried(tmp_path, reference, ray_cluster):
    address, sessions = ray_cluster
    run = start_cli([*PLAN, "--engine", "ray", "--ray-address", address, "--out", str(tmp_path / "ray")])
    victim = wait_for(lambda: _shard_task_pids(sessions), 300, "a Ray worker writing a shard")[0]
    os.kill(victim, signal.SIGKILL)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert files_of(tmp_path / "ray") == reference, "the retried shard has the same bytes, no partial left"


def test_engine_ray_without_ray_says_how_to_install(tmp_path):
    """Without the extra (Ray made unimportable), --engine ray is one line naming the extra."""
    shadow = tmp_path / "shadow"
    (shadow / "ray").mkdir(parents=True)
    (shadow / "ray" / "__init__.py").write_text("raise ImportError('no ray here')\n")
    path = os.pathsep.join([str(shadow), os.environ.get("PYTHONPATH", "")])
    run = start_cli([*PLAN, "--engine", "ray", "--out", str(tmp_path / "x")], PYTHONPATH=path)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 2
    assert err.strip() == "gen-stress: error: --engine ray needs Ray, which is not installed: " \
                          "pip install 'gen-stress[ray]'"
    assert not (tmp_path / "x").exists()


# Large push -------------------------------------------------------------------------------

PUSH_LARGE = """
import sys
import gen_stress.hub as hub
hub.LARGE_FILES, hub.COMMIT_FILES = 4, 3  # this small folder counts as large: commits of 3 files
from gen_stress.cli import main
main(sys.argv[1:])
"""


def test_large_push_cut_short_resumes_without_resending(tmp_path, reference):
    folder = tmp_path / "data"
    for name, data in reference.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    with HubServer() as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        env.update(HF_ENDPOINT=server.url, HF_TOKEN=server.token, HF_HOME=str(tmp_path / "hf-home"),
                   HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
        push = [sys.executable, "-c", PUSH_LARGE, "push", str(folder), "--repo", "org/big", "--tag", "v1"]
        hub = server.hub
        hub.commits_before_failure = 2  # the third commit fails: the push is cut short
        first = subprocess.run(push, env=env, capture_output=True, text=True, timeout=300)
        assert first.returncode == 1 and "push to org/big failed" in first.stderr
        repo = hub.repo("dataset", "org/big")
        assert not repo.tags, "no tag before everything is uploaded"
        sent_first = list(hub.uploaded)
        assert len(sent_first) == 6  # two commits of three files landed

        second = subprocess.run(push, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        sent_again = hub.uploaded[len(sent_first):]
        assert sorted(sent_first + sent_again) == sorted(reference), "every file sent exactly once"
        assert repo.commits[repo.tags["v1"]].files.keys() - {".gitattributes"} == reference.keys()
        posts = [path for method, path in hub.requests if method == "POST"]
        assert "/tag/" in posts[-1] and not any("/tag/" in p for p in posts[:-1]), "the tag comes last"
        history = repo.commit_history(repo.tags["v1"])
        assert all(sum(op["op"] == "add" for op in c.operations) <= 3 for c in history), "commits of 3 files at most"
        assert "sending" in second.stdout and "the others already there" in second.stdout
