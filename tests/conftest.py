"""Shared fixtures: small datasets generated once per test session through the CLI."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from gen_stress.cli import main


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run `gen-stress ARGS` in this process; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main(args)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_rows(folder: Path, family: str = "ocr", split: str = "test") -> list[dict]:
    rows = []
    for path in sorted((folder / family).glob(f"{split}-*.parquet")):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def image_of(row: dict) -> Image.Image:
    return Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB")


@pytest.fixture(scope="session")
def ocr_dataset(tmp_path_factory) -> Path:
    """90 OCR items in several shards, written by two workers."""
    out = tmp_path_factory.mktemp("ocr") / "stress-ocr"
    main_args = ["--family", "ocr", "--n", "90", "--rows-per-shard", "30", "--workers", "2",
                 "--no-progress", "--out", str(out)]
    try:
        main(main_args)
    except SystemExit as stop:
        assert stop.code == 0
    return out


@pytest.fixture(scope="session")
def ocr_rows(ocr_dataset) -> list[dict]:
    return read_rows(ocr_dataset)
