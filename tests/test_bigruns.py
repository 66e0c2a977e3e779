"""Big runs with real components: shard slices and `assemble`, `--resume` after kill -9,
`--out` in object stores (s3fs against moto's S3 server, gcsfs against a GCS emulator),
`--engine ray` on a two-node Ray cluster on loopback (started here, stopped at the end),
and a large `push` cut short then run again against the local test Hub."""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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
    """`gen-stress ARGS` in a child process (this process's environment, plus `extra`)."""
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


# Object stores ----------------------------------------------------------------------------

@dataclass
class S3:
    """A local S3 server (moto) with an empty bucket; `env` lets a client reach it."""

    endpoint: str
    bucket: str = "gen-stress"
    env: dict = field(default_factory=dict)

    def fs(self):
        import s3fs

        return s3fs.S3FileSystem(endpoint_url=self.endpoint, key="test", secret="test", skip_instance_cache=True)

    def files(self, prefix: str) -> dict[str, bytes]:
        fs = self.fs()
        root = f"{self.bucket}/{prefix}/"
        found = {}
        for path in fs.find(root):
            try:
                found[path[len(root):]] = fs.cat_file(path)
            except FileNotFoundError:  # a running writer's temporary object, renamed since the listing
                continue
        return found


@pytest.fixture(scope="module")
def s3():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        store = S3(endpoint, env={"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
                                  "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1"})
        store.fs().mkdir(store.bucket)
        yield store
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3, monkeypatch):
    """The local S3 server's settings in this process's environment (for in-process runs)."""
    for key, value in s3.env.items():
        monkeypatch.setenv(key, value)
    return s3


def test_run_to_s3_equals_a_local_run(tmp_path, reference, s3_env, capsys):
    s3, url = s3_env, f"s3://{s3_env.bucket}/full"
    code, out, err = run_cli([*PLAN, "--workers", "2", "--out", url], capsys)
    assert code == 0, err
    assert f"wrote 12 rows to {url} (19 files)" in out
    assert s3.files("full") == reference, "shards, card, contact sheet and licences, byte for byte"

    # `datasets` reads the shards straight from the store.
    import datasets

    rows = datasets.load_dataset("parquet", data_files={"test": f"{url}/ocr/test-*.parquet"}, split="test",
                                 cache_dir=str(tmp_path / "cache"),
                                 storage_options={"endpoint_url": s3.endpoint, "key": "test", "secret": "test"})
    expected = pa.concat_tables(pq.read_table(io.BytesIO(data)) for name, data in sorted(reference.items())
                                if name.endswith(".parquet"))
    assert rows.select_columns(["id", "answer"]).to_dict() == expected.select(["id", "answer"]).to_pydict()

    # A finished prefix is not written over without --overwrite.
    code, _, err = run_cli([*PLAN, "--out", url], capsys)
    assert code == 2
    assert err.strip() == f"gen-stress: error: --out {url} is not empty (19 objects); pass --overwrite to replace them"


def test_s3_slice_killed_resumed_and_assembled(tmp_path, reference, s3_env, capsys):
    """A slice run to S3 killed with SIGKILL keeps its uploaded shards; --resume adds the
    rest; assemble merges it with a local slice into another prefix: the full run's bytes."""
    s3, first = s3_env, f"s3://{s3_env.bucket}/slice0"
    # Its local shard file is in the test's folder: a killed run cannot remove it, and the
    # machine's temporary folder gathered one per suite run.
    (tmp_path / "tmp").mkdir()
    run = start_cli([*PLAN, "--workers", "1", "--shards", "0:3", "--out", first], TMPDIR=str(tmp_path / "tmp"))
    wait_for(lambda: any(name.endswith(".parquet") for name in s3.files("slice0")), 300, "a shard in S3")
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    kept = s3.files("slice0")
    shards_kept = [name for name in kept if name.endswith(".parquet")]
    assert "gen-stress-plan.json" in kept and "README.md" not in kept
    assert all(kept[name] == reference[name] for name in shards_kept), "no partial shard in the store"

    code, _, err = run_cli([*PLAN, "--shards", "0:3", "--out", first], capsys)
    assert code == 2 and "or --resume to continue the run it holds" in err
    code, _, err = run_cli([*PLAN, "--seed", "1", "--shards", "0:3", "--resume", "--out", first], capsys)
    assert code == 2 and "cannot --resume" in err and "seed 0, not 1" in err

    code, _, err = run_cli([*PLAN, "--workers", "1", "--shards", "0:3", "--resume", "--out", first], capsys)
    assert code == 0, err
    assert f"resuming: {len(shards_kept)} of 3 shards already finished" in err
    second = tmp_path / "slice1"
    assert run_cli([*PLAN, "--workers", "2", "--shards", "3:6", "--out", str(second)], capsys)[0] == 0

    slice_files = s3.files("slice0")
    for out in (first, f"s3://{s3.bucket}", f"{first}/merged"):  # would clear the slice it reads
        code, _, err = run_cli(["assemble", first, str(second), "--overwrite", "--out", out], capsys)
        assert code == 2 and f"overlaps the slice {first}" in err and len(err.strip().splitlines()) == 1, err
    assert s3.files("slice0") == slice_files

    whole = f"s3://{s3.bucket}/whole"
    code, out, err = run_cli(["assemble", first, str(second), "--out", whole], capsys)
    assert code == 0, err
    assert s3.files("whole") == reference


def test_gs_slice_and_overwrite(reference):
    """gs:// through gcsfs against a local GCS emulator: a slice's shards land byte for byte,
    and --overwrite replaces what the prefix held."""
    from gcp_storage_emulator.server import create_server

    port = _free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket="gen-stress")
    server.start()
    try:
        env = {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}", "FSSPEC_GS_TOKEN": "anon",
               "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}  # gcsfs's probe for zonal buckets needs real GCS
        run = start_cli([*PLAN, "--workers", "1", "--shards", "0:1", "--out", "gs://gen-stress/s"], **env)
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0 and "wrote 2 rows to gs://gen-stress/s (shards 0:1, 2 files)" in out, err
        run = start_cli([*PLAN, "--workers", "1", "--shards", "1:2", "--overwrite", "--out", "gs://gen-stress/s"],
                        **env)
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0 and "removing the 2 objects under gs://gen-stress/s" in err, err
        # The plain client: the package's default (chosen at import) waits out its zonal
        # bucket probe on every call to an emulator.
        from gcsfs.core import GCSFileSystem

        fs = GCSFileSystem(endpoint_url=env["STORAGE_EMULATOR_HOST"], token="anon", skip_instance_cache=True)
        assert sorted(fs.find("gen-stress/s")) == ["gen-stress/s/gen-stress-plan.json",
                                                   "gen-stress/s/ocr/test-00001-of-00006.parquet"]
        name = "ocr/test-00001-of-00006.parquet"
        assert fs.cat_file(f"gen-stress/s/{name}") == reference[name]
    finally:
        server.stop()


def test_bad_store_urls_are_one_line(tmp_path, s3_env, monkeypatch, capsys):
    shadow = tmp_path / "shadow"  # gcsfs made unimportable: the extra is named
    (shadow / "gcsfs").mkdir(parents=True)
    (shadow / "gcsfs" / "__init__.py").write_text("raise ImportError('no gcsfs here')\n")
    monkeypatch.syspath_prepend(str(shadow))
    monkeypatch.delitem(sys.modules, "gcsfs", raising=False)
    cases = {
        "s3://gen-stress": "needs a bucket and a prefix: s3://BUCKET/NAME",
        "s3://no-such-bucket/x": "the bucket s3://no-such-bucket does not exist",
        "zz://bucket/x": "unknown protocol zz://",
        "hf://datasets/org/name": "then `gen-stress push` it to the Hub",
        "gs://bucket/x": "needs the gs:// file system, which is not installed: pip install 'gen-stress[gcs]'",
    }
    for url, message in cases.items():
        code, _, err = run_cli([*PLAN, "--out", url], capsys)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (url, err)
    code, _, err = run_cli(["assemble", "s3://gen-stress/none", "--out", str(tmp_path / "x")], capsys)
    assert code == 2 and "s3://gen-stress/none is not a slice folder" in err


# Ray --------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NODE_START_S = 120  # one `ray start` attempt, until it blocks
CLUSTER_WAIT_S = 300  # until both nodes are alive in the cluster's state
# Ray gives a starting node 30 s (fixed) to register, and the GCS drops a node whose health
# checks time out: on a loaded machine both happen. Health checks here are patient.
PATIENT_RAY = {"RAY_health_check_timeout_ms": "30000", "RAY_health_check_failure_threshold": "20"}


def _start_node(args: list[str], temp_dir: str, env: dict, attempts: int = 3) -> subprocess.Popen:
    """`ray start ... --block` in its own session (stopped as a whole), once it says it is
    up; an attempt that fails (Ray's fixed 30 s registration wait) or hangs is stopped and
    tried again."""
    command = [sys.executable, "-m", "ray.scripts.scripts", "start", "--block", "--node-ip-address", "127.0.0.1",
               "--num-cpus", "1", "--disable-usage-stats", "--temp-dir", temp_dir, *args]
    lines: list[str] = []
    for _ in range(attempts):
        node = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        up = threading.Event()

        def read(node=node, up=up) -> None:  # to the end, so that the pipe never fills
            for line in node.stdout:
                lines.append(line)
                if "will now block" in line:
                    up.set()

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + NODE_START_S
        while not up.wait(0.2) and node.poll() is None and time.monotonic() < deadline:
            pass
        if up.is_set():
            return node
        _stop_node(node)
    raise AssertionError(f"ray start failed {attempts} times:\n" + "".join(lines[-20:]))


WAIT_FOR_NODES = """
import logging, sys, time
import ray
address, wanted, timeout_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
deadline = time.monotonic() + timeout_s
while True:
    alive = [n for n in ray.nodes() if n["Alive"]]
    cpus = sum(n["Resources"].get("CPU", 0) for n in alive)
    if len(alive) >= wanted and cpus >= wanted:
        sys.exit(0)
    if time.monotonic() > deadline:
        sys.exit(f"{len(alive)} of {wanted} Ray nodes alive ({cpus:g} CPUs) after {timeout_s:g} s")
    time.sleep(0.5)
"""


def _wait_for_nodes(address: str, wanted: int, env: dict) -> None:
    """Poll the cluster's own state until `wanted` nodes of one CPU each are alive."""
    try:
        done = subprocess.run([sys.executable, "-c", WAIT_FOR_NODES, address, str(wanted), str(CLUSTER_WAIT_S)],
                              env=env, capture_output=True, text=True, timeout=CLUSTER_WAIT_S + 120)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"the Ray cluster at {address} did not answer within {CLUSTER_WAIT_S + 120} s") from None
    assert done.returncode == 0, f"the Ray cluster at {address} is not ready: {done.stderr.strip()[-2000:]}"


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
    except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
        pass
    for pid in _session_pids([node.pid]):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
    node.wait(timeout=10)


@pytest.fixture(scope="module")
def ray_cluster(s3):
    """A head node and one worker node on 127.0.0.1, one CPU each, whose workers reach the
    local S3 server; the address, and the sessions of both nodes (Ray's workers run in
    them). Both nodes are stopped at the end, whatever happened."""
    pytest.importorskip("ray", reason="the `ray` extra is not installed")  # CI installs it
    temp_dir = tempfile.mkdtemp(prefix="gsray")  # short: Ray's socket paths must fit 107 bytes
    port = _free_port()
    env = cli_env(**PATIENT_RAY, **s3.env)
    nodes: list[subprocess.Popen] = []
    try:
        nodes.append(_start_node(["--head", "--port", str(port), "--include-dashboard=false"], temp_dir, env))
        nodes.append(_start_node(["--address", f"127.0.0.1:{port}"], temp_dir, env))
        _wait_for_nodes(f"127.0.0.1:{port}", 2, env)
        yield f"127.0.0.1:{port}", [n.pid for n in nodes]
    finally:
        for node in reversed(nodes):
            _stop_node(node)
        shutil.rmtree(temp_dir, ignore_errors=True)


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
def test_ray_run_to_s3_equals_a_local_run(reference, ray_cluster, s3):
    """Ray tasks upload their shards to S3 themselves (no shared file system)."""
    address, _ = ray_cluster
    url = f"s3://{s3.bucket}/ray"
    run = start_cli([*PLAN, "--engine", "ray", "--ray-address", address, "--out", url], **s3.env)
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert s3.files("ray") == reference


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
