"""`gen-stress push`: the real huggingface_hub client against a local fake Hub
(tests/hub_server.py on 127.0.0.1, via HF_ENDPOINT), and an opt-in live test.

The CLI and `datasets.load_dataset` run in subprocesses: both libraries read HF_ENDPOINT
and HF_HOME when they are imported, so a fresh process is the honest way to point them
at the test server.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import read_rows, run_cli
from gen_stress import __version__
from hub_server import GITATTRIBUTES, HubServer

MANIFEST = """\
name: pushed
version: 0.1.0
rows_per_shard: 3
splits:
  test: {seed: 31}
families:
  ocr: {n: 6}
"""
LOAD_BACK = """
import hashlib, json, sys
import datasets
out = {}
for revision in sys.argv[2:]:
    ds = datasets.load_dataset(sys.argv[1], "ocr", split="test", revision=revision)
    out[revision] = [[r["id"], r["question"], r["answer"], r["difficulty"],
                      hashlib.sha256(r["image"].tobytes()).hexdigest()] for r in ds]
print(json.dumps(out))
"""


def row_keys(folder: Path) -> list:
    from conftest import image_of

    return [[r["id"], r["question"], r["answer"], r["difficulty"], hashlib.sha256(image_of(r).tobytes()).hexdigest()]
            for r in read_rows(folder)]


def folder_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def hub():
    with HubServer() as server:
        yield server


@pytest.fixture
def env(hub, tmp_path) -> dict:
    """The environment of a user whose token is in HF_TOKEN, with its own HF_HOME."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    return {**clean, "HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HOME": str(tmp_path / "hf-home"),
            "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


@pytest.fixture(scope="module")
def release_a(tmp_path_factory) -> Path:
    """A release built from a manifest: two shards, a lock file."""
    base = tmp_path_factory.mktemp("push-a")
    (base / "m.yaml").write_text(MANIFEST)
    from gen_stress.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["build", str(base / "m.yaml"), "--out", str(base / "a"), "--workers", "1", "--no-progress"])
    assert stop.value.code == 0
    return base / "a"


@pytest.fixture(scope="module")
def folder_b(tmp_path_factory) -> Path:
    """A plain generated folder with other rows and another shard layout."""
    out = tmp_path_factory.mktemp("push-b") / "b"
    from gen_stress.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--family", "ocr", "--n", "4", "--seed", "9", "--workers", "1", "--no-progress", "--out", str(out)])
    assert stop.value.code == 0
    return out


def gen_stress(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gen_stress", *args], env=env, capture_output=True, text=True,
                          timeout=300)


def commit_requests(hub) -> int:
    return sum(1 for method, path in hub.hub.requests if method == "POST" and "/commit/" in path)


def test_push_tag_and_load_back_by_revision(hub, env, release_a, folder_b):
    first = gen_stress(["push", str(release_a), "--repo", "org/stress", "--tag", "v0.1.0"], env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"pushed {len(folder_files(release_a))} files to {hub.url}/datasets/org/stress")
    repo = hub.hub.repo("dataset", "org/stress")
    v1 = repo.tags["v0.1.0"]
    assert repo.branches["main"] == v1
    assert repo.commits[v1].files == {".gitattributes": GITATTRIBUTES, **folder_files(release_a)}
    assert repo.commits[v1].title == f"Release pushed 0.1.0 (gen-stress {__version__})"
    assert len(repo.commit_history(v1)) == 2, "the initial commit and one commit for the whole folder"
    assert "tagged v0.1.0" in first.stdout

    # A second version on the same branch: the first one's shards are deleted in its commit.
    second = gen_stress(["push", str(folder_b), "--repo", "org/stress", "--tag", "v0.2.0"], env)
    assert second.returncode == 0, second.stderr
    v2 = repo.tags["v0.2.0"]
    assert repo.tags["v0.1.0"] == v1 and repo.branches["main"] == v2 != v1
    assert set(repo.commits[v2].files) == {".gitattributes", *folder_files(folder_b)}
    deleted = {op["path"] for op in repo.commits[v2].operations if op["op"] == "delete"}
    assert deleted == set(folder_files(release_a)) - set(folder_files(folder_b))

    loaded = subprocess.run([sys.executable, "-c", LOAD_BACK, "org/stress", "v0.1.0", "v0.2.0"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    rows = json.loads(loaded.stdout)
    assert rows["v0.1.0"] == row_keys(release_a) and len(rows["v0.1.0"]) == 6
    assert rows["v0.2.0"] == row_keys(folder_b) and len(rows["v0.2.0"]) == 4


def test_existing_tag_is_an_error_unless_forced(hub, env, release_a, folder_b):
    assert gen_stress(["push", str(release_a), "--repo", "org/tags", "--tag", "v1"], env).returncode == 0
    repo = hub.hub.repo("dataset", "org/tags")
    tagged, commits = repo.tags["v1"], commit_requests(hub)
    again = gen_stress(["push", str(folder_b), "--repo", "org/tags", "--tag", "v1"], env)
    assert again.returncode == 2
    assert again.stderr == "gen-stress: error: tag v1 already exists in org/tags; pass --force-tag to move it\n"
    assert commit_requests(hub) == commits, "nothing uploaded"
    assert repo.tags["v1"] == tagged and repo.branches["main"] == tagged
    forced = gen_stress(["push", str(folder_b), "--repo", "org/tags", "--tag", "v1", "--force-tag"], env)
    assert forced.returncode == 0, forced.stderr
    assert repo.tags["v1"] == repo.branches["main"] != tagged


def test_unchanged_folder_makes_no_new_commit(hub, env, release_a):
    assert gen_stress(["push", str(release_a), "--repo", "org/same", "--tag", "v1"], env).returncode == 0
    repo = hub.hub.repo("dataset", "org/same")
    again = gen_stress(["push", str(release_a), "--repo", "org/same", "--tag", "v1-again"], env)
    assert again.returncode == 0, again.stderr
    assert "no new commit" in again.stdout
    assert repo.tags["v1-again"] == repo.tags["v1"] == repo.branches["main"]


def test_failed_upload_leaves_no_tag(hub, env, release_a):
    hub.hub.fail_commits = 1
    failed = gen_stress(["push", str(release_a), "--repo", "org/broken", "--tag", "v1"], env)
    assert failed.returncode == 1
    assert failed.stderr.startswith("gen-stress: error: push to org/broken failed: ")
    assert failed.stderr.count("\n") == 1 and "500" in failed.stderr
    repo = hub.hub.repo("dataset", "org/broken")
    assert repo.tags == {}
    assert set(repo.commits[repo.branches["main"]].files) == {".gitattributes"}
    retry = gen_stress(["push", str(release_a), "--repo", "org/broken", "--tag", "v1"], env)
    assert retry.returncode == 0, retry.stderr
    assert repo.tags["v1"] == repo.branches["main"]


def test_branch_and_private(hub, env, release_a):
    done = gen_stress(["push", str(release_a), "--repo", "org/secret", "--private", "--revision", "dev",
                       "--tag", "v1"], env)
    assert done.returncode == 0, done.stderr
    repo = hub.hub.repo("dataset", "org/secret")
    assert repo.private
    assert set(repo.commits[repo.branches["main"]].files) == {".gitattributes"}
    assert repo.tags["v1"] == repo.branches["dev"]
    assert set(repo.commits[repo.branches["dev"]].files) == {".gitattributes", *folder_files(release_a)}
    gen_stress(["push", str(release_a), "--repo", "org/open"], env)
    public = gen_stress(["push", str(release_a), "--repo", "org/open", "--private"], env)
    assert public.returncode == 2 and "already exists and is public" in public.stderr


def test_token_from_env_or_stored_login_never_shown(hub, env, release_a, tmp_path):
    token = hub.token
    with_env = gen_stress(["push", str(release_a), "--repo", "org/tok", "--tag", "v1"], env)
    assert with_env.returncode == 0, with_env.stderr
    stored = {k: v for k, v in env.items() if k != "HF_TOKEN"}
    home = Path(stored["HF_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "token").write_text(token)  # where `hf auth login` stores it
    with_login = gen_stress(["push", str(release_a), "--repo", "org/tok", "--tag", "v2"], stored)
    assert with_login.returncode == 0, with_login.stderr
    assert hub.hub.repo("dataset", "org/tok").tags.keys() == {"v1", "v2"}
    (home / "token").unlink()
    without = gen_stress(["push", str(release_a), "--repo", "org/tok"], stored)
    assert without.returncode == 2 and "no Hugging Face token" in without.stderr
    wrong = gen_stress(["push", str(release_a), "--repo", "org/tok2"], {**env, "HF_TOKEN": "hf_wrong_secret"})
    assert wrong.returncode == 1 and "hf_wrong_secret" not in wrong.stderr + wrong.stdout
    for run in (with_env, with_login, without):
        assert token not in run.stdout + run.stderr
    for path in [*release_a.rglob("*"), *home.rglob("*")]:
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path
    repo = hub.hub.repo("dataset", "org/tok")
    assert all(token.encode() not in data for c in repo.commits.values() for data in c.files.values())


def test_push_checks_its_input(tmp_path, release_a, capsys):
    code, _, err = run_cli(["push", str(release_a), "--repo", "no-slash"], capsys)
    assert code == 2 and "--repo 'no-slash' must be ORG/NAME" in err
    code, _, err = run_cli(["push", str(release_a), "--repo", "org/x", "--tag", "v1..2"], capsys)
    assert code == 2 and "not a valid git reference name" in err
    code, _, err = run_cli(["push", str(tmp_path), "--repo", "org/x"], capsys)
    assert code == 2 and "has no README.md" in err
    changed = tmp_path / "changed"
    shutil.copytree(release_a, changed)
    (changed / "ocr" / "test-00000-of-00002.parquet").write_bytes(b"not the recorded bytes")
    code, _, err = run_cli(["push", str(changed), "--repo", "org/x"], capsys)
    assert code == 2 and "no longer matches gen-stress.lock.json (ocr/test-00000-of-00002.parquet)" in err


@pytest.mark.live
@pytest.mark.skipif(not (os.environ.get("GEN_STRESS_LIVE_REPO") and os.environ.get("HF_TOKEN")),
                    reason="set HF_TOKEN and GEN_STRESS_LIVE_REPO=ORG/NAME (a scratch dataset repo) to run")
def test_live_push_and_load_back(release_a):
    """Against the real Hub: push with a fresh tag, load that revision back, same rows."""
    from huggingface_hub import HfApi

    repo = os.environ["GEN_STRESS_LIVE_REPO"]
    tag = f"test-{uuid.uuid4().hex[:10]}"
    live_env = {k: v for k, v in os.environ.items() if k != "HF_ENDPOINT"}
    try:
        done = gen_stress(["push", str(release_a), "--repo", repo, "--tag", tag], live_env)
        assert done.returncode == 0, done.stderr
        assert os.environ["HF_TOKEN"] not in done.stdout + done.stderr
        loaded = subprocess.run([sys.executable, "-c", LOAD_BACK, repo, tag], env=live_env, capture_output=True,
                                text=True, timeout=600)
        assert loaded.returncode == 0, loaded.stderr
        assert json.loads(loaded.stdout)[tag] == row_keys(release_a)
    finally:
        HfApi().delete_tag(repo, tag=tag, repo_type="dataset")


def test_release_without_its_lock_is_refused(tmp_path, release_a, capsys):
    """A release folder whose lock file is gone cannot be checked: push refuses it."""
    for also_manifest in (False, True):
        copy = tmp_path / f"copy{int(also_manifest)}"
        shutil.copytree(release_a, copy)
        (copy / "gen-stress.lock.json").unlink()
        if also_manifest:
            (copy / "manifest.yaml").unlink()  # the card still says it is a release
        code, _, err = run_cli(["push", str(copy), "--repo", "org/x"], capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1
        assert "is a release folder but its gen-stress.lock.json is missing" in err
