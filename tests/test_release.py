"""Release manifests: validation, build with a lock file, splits and hold-outs, verify."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import datasets
import pytest
import yaml

from conftest import read_rows, run_cli
from gen_stress.errors import UserError
from gen_stress.generators import get_family, registry
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.release import LOCK_NAME, MANIFEST_NAME, load_manifest, parse_manifest
from gen_stress.release import build as release_build

REPO = Path(__file__).resolve().parents[1]
TINY = """\
# a tiny release: two splits, fonts held out of train
name: tiny
version: 0.1.0
image_size: 512
rows_per_shard: 4
splits:
  test: {seed: 21}
  train: {seed: 22, hold_out: true}
families:
  ocr:
    n: {test: 6, train: 5}
    hold_out:
      font_class: [script, display]
      font: [DejaVu Sans, Open Sans]
"""
HELD_CLASSES = {"script", "display"}
HELD_FONTS = {"DejaVu Sans", "Open Sans"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tiny_manifest(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("manifest") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="module")
def tiny_release(tiny_manifest, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "tiny"
    code = _main(["build", str(tiny_manifest), "--out", str(out), "--workers", "2", "--no-progress"])
    assert code == 0
    return out


def _main(args: list[str]) -> int:
    from gen_stress.cli import main

    try:
        main(args)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 1
    return 0


# Manifests ---------------------------------------------------------------------------------

def test_manifest_parts(tiny_manifest):
    manifest = load_manifest(tiny_manifest)
    assert (manifest.name, manifest.version, manifest.release) == ("tiny", "0.1.0", "tiny-0.1.0")
    assert manifest.sha256 == sha256(tiny_manifest)
    parts = {(p.family, p.split): p for p in manifest.parts()}
    assert set(parts) == {("ocr", "test"), ("ocr", "train")}
    assert (parts["ocr", "test"].n, parts["ocr", "test"].seed, parts["ocr", "test"].hold_out) == (6, 21, ())
    train = parts["ocr", "train"]
    assert (train.n, train.seed) == (5, 22)
    assert dict(train.hold_out) == {"font_class": ("script", "display"), "font": ("DejaVu Sans", "Open Sans")}


@pytest.mark.parametrize("change, message", [
    ({"colour": 1}, "unknown key(s) colour"),
    ({"splits": {"test": {"seed": 1}, "train": {"seed": 1}}}, "share seed 1"),
    ({"seed": 3, "splits": {"test": {"seed": 1}}}, "give each split its own seed"),
    ({"version": "1.0"}, "version: '1.0' is malformed"),
    ({"image_size": 20}, "from 64 to 4096"),
    ({"families": {"nope": {"n": 3}}}, "families.nope: unknown family"),
    ({"families": {"ocr": {"n": 0}}}, "families.ocr.n: must be at least 1"),
    ({"families": {"ocr": {"n": {"valid": 3}}}}, "families.ocr.n: unknown key(s) valid"),
    ({"families": {"ocr": {"n": 3, "set": {"text_px": 2}}}}, "families.ocr.set.text_px: knob text_px=2 is outside"),
    ({"families": {"ocr": {"n": 3, "set": {"bogus": 2}}}}, "'bogus' is not a knob of family ocr"),
    ({"families": {"ocr": {"n": 3, "sweeps": {"text_px": "9:4:1"}}}}, "families.ocr.sweeps.text_px"),
    ({"families": {"ocr": {"n": 3, "subtasks": ["huge_text"]}}}, "unknown subtask 'huge_text'"),
    ({"families": {"ocr": {"n": 3, "set": {"context": "poster"}}}}, "families.ocr.set.context"),
    ({"families": {"ocr": {"n": 3, "hold_out": {"font_class": ["gothic"]}}}}, "is not one of"),
    ({"families": {"ocr": {"n": 3, "hold_out": {"font": ["Breip"]}}}}, "no split keeps them out"),
    ({"splits": {"test": {"seed": 1}, "train": {"seed": 2, "hold_out": True}}}, "no family lists any"),
])
def test_manifest_errors_name_the_key(change, message):
    data = {"name": "x", "version": "1.0.0", "families": {"ocr": {"n": 3}}, **change}
    with pytest.raises(UserError) as err:
        parse_manifest(yaml.safe_dump(data), source="m.yaml")
    assert str(err.value).startswith("m.yaml: ") and message in str(err.value)


def test_manifest_is_loaded_safely(tmp_path):
    evil = tmp_path / "evil.yaml"
    evil.write_text("name: !!python/object/apply:os.system ['echo hi']\nversion: 1.0.0\nfamilies: {ocr: {n: 1}}\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_manifest(evil)


def test_shipped_manifests_cover_every_family(capsys):
    public = load_manifest(REPO / "manifests" / "v1.0.0.yaml")
    smoke = load_manifest(REPO / "manifests" / "smoke.yaml")
    for manifest, least in ((public, 1000), (smoke, 1)):
        assert {f.family for f in manifest.families} == set(registry())
        for part in manifest.parts():
            part.validate()
            assert part.n >= least
    assert all(n >= 2000 for f in public.families for split, n in f.n if split == "test")
    # held-out values of derived knobs have no declared choices: check the names are real
    from gen_stress.scenes.fonts import load_catalog

    fonts = {f.name for f in load_catalog().fonts}
    for entry in public.families:
        for knob, values in entry.hold_out:
            if knob == "font":
                assert set(values) <= fonts
            if (entry.family, knob) == ("hallucination", "target"):
                from gen_stress.scenes.library import load_library

                assert set(values) <= {c.name for c in load_library().classes}
    code, out, err = run_cli(["build", str(REPO / "manifests" / "v1.0.0.yaml"), "--dry-run"], capsys)
    assert code == 0, err
    assert out.startswith(f"{public.release} (manifest sha256 {public.sha256})")


def test_build_bad_input_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1.0.0\nfamilies: {ocr: {n: 2, pairs: maybe}}\n")
    code, _, err = run_cli(["build", str(bad), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and "families.ocr.pairs: expected true or false" in err
    code, _, err = run_cli(["build", str(tmp_path / "missing.yaml")], capsys)
    assert code == 2 and "does not exist" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_manifest_sets_context(tmp_path, capsys):
    """`context` is a knob of every family in a manifest too: a family asks what the
    context serves, and a combination it cannot serve is refused before any work."""
    text = ("name: x\nversion: 1.0.0\nfamilies:\n  spatial: {n: 2, set: {context: receipt}}\n"
            "  ocr: {n: 2, sweeps: {context: [abstract, menu]}}\n")
    parts = {p.family: p for p in parse_manifest(text, source="m.yaml").parts()}
    assert parts["spatial"].subtasks == ("above_below", "relative_position")  # receipts have one column
    assert dict(parts["spatial"].settings) == {"context": "receipt"}
    for part in parts.values():
        part.validate()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1.0.0\nfamilies: {spatial: {n: 2, subtasks: [left_right], "
                   "set: {context: receipt}}}\n")
    code, _, err = run_cli(["build", str(bad), "--out", str(tmp_path / "out")], capsys)
    assert code == 2 and err.count("\n") == 1 and "receipt cannot serve spatial/left_right" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


# Building ----------------------------------------------------------------------------------

def test_release_folder(tiny_release, tiny_manifest):
    lock = json.loads((tiny_release / LOCK_NAME).read_text())
    assert (tiny_release / MANIFEST_NAME).read_bytes() == tiny_manifest.read_bytes()
    assert lock["manifest"] == {"file": MANIFEST_NAME, "sha256": sha256(tiny_manifest)}
    assert lock["release"] == {"name": "tiny", "version": "0.1.0"}
    for library in ("gen-stress", "pillow", "freetype", "numpy", "zlib", "pyarrow"):
        assert lock["libraries"][library]
    on_disk = {p.relative_to(tiny_release).as_posix(): sha256(p) for p in tiny_release.rglob("*") if p.is_file()}
    assert lock["files"] == {k: v for k, v in on_disk.items() if k != LOCK_NAME}
    assert "ocr/train-00001-of-00002.parquet" in lock["files"]
    assert not [p for p in tiny_release.parent.iterdir() if p.name.startswith(".")], "no staging left behind"


def test_card_records_the_release(tiny_release):
    card = (tiny_release / "README.md").read_text()
    lock = json.loads((tiny_release / LOCK_NAME).read_text())
    assert f"sha256 `{lock['manifest']['sha256']}`" in card
    for library in ("pillow", "freetype", "numpy"):
        assert f"| {library} | {lock['libraries'][library]} |" in card
    assert "gen-stress build manifest.yaml --out tiny-0.1.0" in card
    assert "| train | 22 | kept out: ocr `font_class` `script`, `display`; ocr `font` `DejaVu Sans`, `Open Sans` |" in card
    assert "| test | 21 | all values may appear |" in card
    assert "```yaml\n# a tiny release" in card
    for path, digest in lock["files"].items():
        if path != "README.md":
            assert f"| `{path}` | `{digest}` |" in card


def test_same_manifest_twice_same_lock(tiny_release, tiny_manifest, tmp_path):
    again = tmp_path / "again"
    assert _main(["build", str(tiny_manifest), "--out", str(again), "--workers", "1", "--no-progress"]) == 0
    assert (again / LOCK_NAME).read_bytes() == (tiny_release / LOCK_NAME).read_bytes()
    assert (again / "README.md").read_bytes() == (tiny_release / "README.md").read_bytes()


def test_splits_load_and_are_disjoint(tiny_release, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ds = datasets.load_dataset(str(tiny_release), "ocr")
    assert {name: len(split) for name, split in ds.items()} == {"test": 6, "train": 5}
    test, train = read_rows(tiny_release, "ocr", "test"), read_rows(tiny_release, "ocr", "train")
    assert {r["seed"] for r in test} == {21} and {r["seed"] for r in train} == {22}
    assert not {r["id"] for r in test} & {r["id"] for r in train}
    assert not {r["image"]["bytes"] for r in test} & {r["image"]["bytes"] for r in train}
    for row in train:
        assert row["difficulty"]["font_class"] not in HELD_CLASSES
        assert row["difficulty"]["font"] not in HELD_FONTS


def test_hold_out_keeps_values_out_of_every_sign():
    """On 36 items the same seed without hold-out shows held-out classes and fonts, on
    target or distractor signs; with it, no sign in any image uses them."""
    family = get_family("ocr")
    plain = PartSpec(family="ocr", n=36, seed=5, split="train")
    held = PartSpec(family="ocr", n=36, seed=5, split="train",
                    hold_out=(("font_class", tuple(HELD_CLASSES)), ("font", tuple(HELD_FONTS))))
    held.validate()
    leaked = 0
    for index in range(36):
        before = generate_index(family, plain, (512, 512), index)[0]
        after = generate_index(family, held, (512, 512), index)[0]
        assert after["difficulty"]["font_class"] not in HELD_CLASSES
        assert not {t["font"] for t in after["scene"]["texts"]} & set(HELD_FONTS)
        assert not {t["font_class"] for t in after["scene"]["texts"] if t["role"] == "target"} & set(HELD_CLASSES)
        leaked += bool({t["font"] for t in before["scene"]["texts"]} & set(HELD_FONTS))
        assert generate_index(family, held, (512, 512), index)[0]["image"] == after["image"]
    assert leaked >= 10


@pytest.mark.parametrize("part, message", [
    (PartSpec("ocr", 3, settings=(("font_class", "script"),), hold_out=(("font_class", ("script",)),)), "held out"),
    (PartSpec("ocr", 3, hold_out=(("font_class", ("sans", "serif", "mono", "condensed", "script", "display")),)),
     "every value is held out"),
    (PartSpec("ocr", 3, hold_out=(("colour", ("red",)),)), "not a knob of ocr"),
])
def test_hold_out_that_cannot_be_met_is_an_error(part, message):
    with pytest.raises(UserError, match=message):
        part.validate()


# Verify ------------------------------------------------------------------------------------

def test_verify_matches(tiny_release, capsys):
    code, out, err = run_cli(["verify", str(tiny_release), "--workers", "2", "--no-progress"], capsys)
    assert code == 0, err
    lock = json.loads((tiny_release / LOCK_NAME).read_text())
    for path in lock["files"]:
        assert f"  ok           {path}\n" in out
    assert "library versions: as recorded" in out
    assert f"OK: all {len(lock['files'])} files match the recording" in out


def test_verify_names_changed_files_and_libraries(tiny_release, tmp_path, monkeypatch, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_release, copy)
    shard = copy / "ocr" / "test-00001-of-00002.parquet"
    shard.write_bytes(shard.read_bytes()[:-10])
    (copy / "assets" / "ocr-samples.png").unlink()
    real = release_build.library_versions()
    monkeypatch.setattr(release_build, "library_versions", lambda: {**real, "pillow": "99.0.0"})
    code, out, _ = run_cli(["verify", str(copy), "--workers", "1", "--no-progress"], capsys)
    assert code == 1
    assert ("  differs      ocr/test-00001-of-00002.parquet  (the folder's bytes differ from the recording)"
            in out)
    assert "  missing      assets/ocr-samples.png  (missing from the folder)" in out
    # the card records the library versions, so a rebuild with another Pillow changes it
    assert "  differs      README.md  (the rebuilt bytes differ from the recording)" in out
    assert "  ok           ocr/train-00000-of-00002.parquet" in out
    assert f"  pillow: recorded {real['pillow']}, here 99.0.0" in out
    assert "MISMATCH: 3 of" in out


def test_verify_refuses_an_edited_manifest(tiny_release, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_release, copy)
    (copy / MANIFEST_NAME).write_text(TINY.replace("seed: 21", "seed: 23"))
    code, _, err = run_cli(["verify", str(copy)], capsys)
    assert code == 2 and "is not the recorded manifest" in err
    code, _, err = run_cli(["verify", str(tmp_path)], capsys)
    assert code == 2 and f"has no {LOCK_NAME}" in err


def test_verify_lists_hidden_files(tiny_release, tmp_path, capsys):
    """A hidden file in a release folder is not part of the release: verify names it
    instead of passing over it (git's own files aside: a clone of the Hub repo has them)."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_release, copy)
    (copy / ".extra.parquet").write_bytes(b"smuggled")
    (copy / "ocr" / ".hidden").mkdir()
    (copy / "ocr" / ".hidden" / "rows.parquet").write_bytes(b"smuggled too")
    (copy / ".gitattributes").write_text("*.parquet filter=lfs diff=lfs merge=lfs -text\n")
    code, out, _ = run_cli(["verify", str(copy), "--workers", "1", "--no-progress"], capsys)
    assert code == 1
    assert f"  not recorded .extra.parquet  (in the folder, but not in {LOCK_NAME})" in out
    assert f"  not recorded ocr/.hidden/rows.parquet  (in the folder, but not in {LOCK_NAME})" in out
    assert ".gitattributes" not in out
    assert "MISMATCH: 2 of" in out
