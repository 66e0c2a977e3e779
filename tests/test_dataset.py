"""The dataset folder: Hub layout, typed schema, card, and byte-for-byte determinism."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image

from conftest import read_rows, run_cli
from gen_stress.contract import COLUMNS, row_features
from gen_stress.generators import get_family
from gen_stress import pipeline
from gen_stress.dataset import build_dataset
from gen_stress.osutil import libc, no_huge_pages
from gen_stress.pipeline import DatasetSpec, PartSpec, generate_index
from gen_stress.shards import TEMP_NAME


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_hub_layout(ocr_dataset):
    shards = sorted(p.name for p in (ocr_dataset / "ocr").iterdir())
    assert shards == [f"test-0000{k}-of-00003.parquet" for k in range(3)]
    assert (ocr_dataset / "README.md").is_file()
    assert (ocr_dataset / "assets" / "ocr-samples.png").is_file()
    assert not list(ocr_dataset.parent.glob(".*partial*")), "temporary folder removed"
    sizes = [pq.ParquetFile(ocr_dataset / "ocr" / s).metadata.num_rows for s in shards]
    assert sizes == [30, 30, 30]


def test_load_dataset_offline(ocr_dataset, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    ds = datasets.load_dataset(str(ocr_dataset), "ocr", split="test")
    assert len(ds) == 90
    assert list(ds.features) == list(COLUMNS)
    assert ds.features == row_features(get_family("ocr"))
    row = ds[0]
    assert isinstance(row["image"], Image.Image) and row["image"].size == (512, 512)
    assert isinstance(row["difficulty"], dict) and isinstance(row["difficulty"]["text_px"], int)
    assert isinstance(row["scene"]["texts"], list) and row["scene"]["texts"][0]["bbox"]
    assert row["question"] and row["answer"]
    assert row["family"] == "ocr" and row["subtask"].startswith("ocr/")
    assert row["generator_version"]
    ids = ds["id"]
    assert len(set(ids)) == len(ids)
    assert ids[5] == "ocr-s0-0000005"


def test_typed_structs_not_json(ocr_dataset):
    schema = pq.read_schema(next((ocr_dataset / "ocr").glob("*.parquet")))
    assert str(schema.field("difficulty").type).startswith("struct<text_px: int32")
    assert "struct<" in str(schema.field("scene").type)
    assert schema.field("choices").type.value_type == "string"


def test_card(ocr_dataset, ocr_rows):
    text = (ocr_dataset / "README.md").read_text()
    front = yaml.safe_load(text.split("---\n")[1])
    shards = sorted(p.relative_to(ocr_dataset).as_posix() for p in (ocr_dataset / "ocr").glob("*.parquet"))
    files = "".join(f"{s}\0{hashlib.sha256((ocr_dataset / s).read_bytes()).hexdigest()}\n" for s in shards)
    assert front["configs"] == [{"config_name": "ocr", "data_files": [{"split": "test", "path": "ocr/test-*"}],
                                 "description": f"gen-stress ocr: files sha256 {hashlib.sha256(files.encode()).hexdigest()}"}]
    assert "gen-stress --family ocr --n 90 --seed 0 --size 512x512 --split test" in text
    for subtask in ("ocr/tiny_text", "ocr/rotated_text", "ocr/stylized_font"):
        count = sum(r["subtask"] == subtask for r in ocr_rows)
        covered = sum(r["subtask"] == subtask and not r["answerable"] for r in ocr_rows)
        assert f"| ocr | test | 90 | `{subtask}` | {count} | {covered} | - |" in text
    lo = min(r["difficulty"]["text_px"] for r in ocr_rows)
    hi = max(r["difficulty"]["text_px"] for r in ocr_rows)
    assert f"| `text_px` | cap height of the target text, in pixels of the stored image | {lo} to {hi} |" in text
    fonts = {t["font"] for r in ocr_rows for t in r["scene"]["texts"]}
    for font in fonts:
        assert f"- {font} (" in text
    assert "![ocr samples](assets/ocr-samples.png)" in text
    assert list((ocr_dataset / "licenses" / "fonts").iterdir())
    sheet = Image.open(ocr_dataset / "assets" / "ocr-samples.png")
    assert sheet.width >= 4 * 256 and sheet.height >= 3 * 256


def test_same_command_same_bytes_any_worker_count(tmp_path, capsys):
    args = ["--family", "ocr", "--n", "24", "--rows-per-shard", "8", "--no-progress", "--seed", "3"]
    runs = {}
    for name, workers in (("a", "2"), ("b", "2"), ("c", "1")):
        code, _, err = run_cli(args + ["--workers", workers, "--out", str(tmp_path / name)], capsys)
        assert code == 0, err
        runs[name] = digest(tmp_path / name)
    assert len(runs["a"]) == 2 + 3 + len(list((tmp_path / "a" / "licenses" / "fonts").iterdir()))
    assert runs["a"] == runs["b"], "the same command twice"
    assert runs["a"] == runs["c"], "one worker and two workers"


def test_a_shard_cut_into_pieces_has_the_bytes_one_worker_writes(tmp_path, capsys, monkeypatch):
    """One shard and two workers: the shard is cut into pieces that the workers write and
    this process joins. The joined file is the one a single worker writes, byte for byte:
    its row groups (two rows per index with --pairs, so groups close past 100 rows, not at
    piece ends), its footer's resampling counts in the order they arose, no piece left."""
    joined = []
    join = pipeline.join_pieces
    monkeypatch.setattr(pipeline, "join_pieces",
                        lambda task, pieces, written: (joined.append(len(pieces)), join(task, pieces, written)))
    args = ["--family", "counting", "--n", "120", "--pairs", "--no-progress", "--seed", "5"]
    for name, workers in (("one", "1"), ("two", "2")):
        code, _, err = run_cli(args + ["--workers", workers, "--out", str(tmp_path / name)], capsys)
        assert code == 0, err
    assert joined == [4], "120 indices for two workers: four pieces of 30"
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    shard = pq.ParquetFile(tmp_path / "two" / "counting" / "test-00000-of-00001.parquet")
    assert [shard.metadata.row_group(k).num_rows for k in range(shard.metadata.num_row_groups)] == [100, 100, 40]
    assert json.loads(shard.metadata.metadata[b"gen_stress"])["resampled"], "a footer with counts to keep in order"
    assert not [p for p in (tmp_path / "two").rglob(".*")], "no piece or temporary file left"


def test_rows_table_is_pyarrows_table_of_the_rows():
    """A row group's table, its image column built from the joined images, is the table
    `pa.Table.from_pylist` makes of the rows: equal, with the schema's metadata, and
    written to the same parquet bytes."""
    import io

    import pyarrow as pa

    part = PartSpec(family="ocr", n=4, settings=(("context", "receipt"),))
    family = get_family("ocr")
    task = pipeline.ShardTask(part, (256, 256), 0, 1, 0, 4, "", "")
    schema = pipeline._shard_schema(task)
    rows = [row for index in range(4) for row in generate_index(family, part, (256, 256), index)]
    ours, theirs = pipeline.rows_table(rows, schema), pa.Table.from_pylist(rows, schema=schema)
    assert ours.equals(theirs) and ours.schema.equals(theirs.schema, check_metadata=True)

    def written(table):
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()

    assert written(ours) == written(theirs)


def test_shards_are_cut_only_when_too_few_to_share():
    spec = DatasetSpec(parts=(PartSpec(family="ocr", n=500),))
    one = pipeline.shard_tasks(spec, spec.parts[0], Path("out"))
    pieces = pipeline.cut_into_pieces(one, 2)[0][1]
    assert [(p.start, p.stop) for p in pieces] == [(k * 500 // 8, (k + 1) * 500 // 8) for k in range(8)]
    assert all(TEMP_NAME.match(Path(p.path).name) for p in pieces), "a killed run's pieces are removed as temps"
    assert len({p.path for p in pieces}) == 8
    assert pipeline.cut_into_pieces(one, 1) == [(one[0], [])]
    many = pipeline.shard_tasks(spec, PartSpec(family="ocr", n=5000), Path("out"))
    assert all(not cut for _, cut in pipeline.cut_into_pieces(many, 2)), "ten shards: two workers share them whole"
    few = pipeline.shard_tasks(spec, PartSpec(family="ocr", n=40), Path("out"))
    assert pipeline.cut_into_pieces(few, 2) == [(few[0], [])], "pieces keep at least MIN_PIECE indices"
    stored = pipeline.shard_tasks(spec, spec.parts[0], "s3://bucket/run")
    assert pipeline.cut_into_pieces(stored, 2) == [(stored[0], [])], "a store's shards are written whole"


def test_sample_is_a_function_of_seed_family_index(ocr_rows):
    """Random access: index 41 generated on its own equals row 41 of the full run."""
    part = PartSpec(family="ocr", n=90)
    alone = generate_index(get_family("ocr"), part, (512, 512), 41)[0]
    stored = next(r for r in ocr_rows if r["index"] == 41)
    assert alone["image"]["bytes"] == stored["image"]["bytes"]
    assert alone["question"] == stored["question"] and alone["answer"] == stored["answer"]
    assert alone["difficulty"] == stored["difficulty"]


def test_other_seed_other_samples(tmp_path, capsys):
    code, _, _ = run_cli(["--family", "ocr", "--n", "3", "--seed", "7", "--workers", "1", "--no-progress",
                          "--out", str(tmp_path / "s7")], capsys)
    assert code == 0
    rows = read_rows(tmp_path / "s7")
    assert [r["id"] for r in rows] == ["ocr-s7-0000000", "ocr-s7-0000001", "ocr-s7-0000002"]
    part = PartSpec(family="ocr", n=3)
    seed0 = generate_index(get_family("ocr"), part, (512, 512), 0)[0]
    assert seed0["image"]["bytes"] != rows[0]["image"]["bytes"]


def test_image_size_option(tmp_path, capsys):
    code, _, err = run_cli(["--family", "ocr", "--n", "3", "--size", "640x384", "--workers", "1",
                            "--no-progress", "--out", str(tmp_path / "wide")], capsys)
    assert code == 0, err
    row = read_rows(tmp_path / "wide")[0]
    from conftest import image_of

    assert image_of(row).size == (640, 384)
    assert (row["scene"]["width"], row["scene"]["height"]) == (640, 384)


THP_FLAG = 42  # prctl(PR_GET_THP_DISABLE)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux prctl switch")
def test_rows_are_written_without_huge_pages_and_the_setting_is_restored(tmp_path, monkeypatch):
    """Arrow's allocator asks for transparent huge pages, which the kernel zeroes on
    first touch (see osutil.no_huge_pages): a run switches them off while it writes and
    leaves the process as it found it."""
    prctl = libc().prctl
    if prctl(THP_FLAG, 0, 0, 0, 0) < 0:
        pytest.skip("kernel without PR_GET_THP_DISABLE")
    seen = []
    real = pipeline._write_rows

    def watched(*args):
        seen.append(prctl(THP_FLAG, 0, 0, 0, 0))
        return real(*args)

    monkeypatch.setattr(pipeline, "_write_rows", watched)
    before = prctl(THP_FLAG, 0, 0, 0, 0)
    build_dataset(DatasetSpec(parts=(PartSpec(family="ocr", n=4),)), tmp_path / "ds", progress=False)
    assert seen == [1]
    assert prctl(THP_FLAG, 0, 0, 0, 0) == before
    with no_huge_pages():
        with no_huge_pages():
            assert prctl(THP_FLAG, 0, 0, 0, 0) == 1
        assert prctl(THP_FLAG, 0, 0, 0, 0) == 1  # an inner run does not switch them back on
    assert prctl(THP_FLAG, 0, 0, 0, 0) == before
