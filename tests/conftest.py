"""Shared fixtures: small datasets generated once per test session through the CLI (once
for all pytest-xdist workers), and one RapidOCR engine per worker."""

from __future__ import annotations

import io
import os
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


def generate_shared(tmp_path_factory, name: str, args: list[str]) -> Path:
    """`gen-stress ARGS --out <folder>`, run once for all pytest-xdist workers of this
    session: the first worker to ask generates it while the others wait on a lock."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    out, done = root / name / f"stress-{name}", root / f"{name}.done"
    with FileLock(str(root / f"{name}.lock")):
        if not done.exists():
            out.parent.mkdir(exist_ok=True)
            try:
                main([*args, "--out", str(out)])
            except SystemExit as stop:
                assert stop.code == 0
            done.touch()
    return out


@pytest.fixture(scope="session")
def ocr_dataset(tmp_path_factory) -> Path:
    """90 OCR items in several shards, written by two workers."""
    return generate_shared(tmp_path_factory, "ocr", ["--family", "ocr", "--n", "90", "--rows-per-shard", "30",
                                                      "--workers", "2", "--no-progress"])


@pytest.fixture(scope="session")
def ocr_rows(ocr_dataset) -> list[dict]:
    return read_rows(ocr_dataset)


@pytest.fixture(scope="session")
def rapidocr_engine():
    """One RapidOCR engine (PP-OCR models in ONNX, shipped in its wheel) for every test
    that reads with it: loading the models is the slow part."""
    rapidocr = pytest.importorskip("rapidocr_onnxruntime")
    return rapidocr.RapidOCR()


def composed_drafts(family, part, size: tuple[int, int] = (512, 512)):
    """(plan, drafts) of each index of a part, composed (not rendered) as the pipeline
    draws them: the index's own random stream, redrawn on Resample (indices that never
    fit are left out)."""
    from gen_stress.generators import Resample
    from gen_stress.knobs import make_knobs
    from gen_stress.pipeline import plan_for
    from gen_stress.rng import sample_rng

    for index in range(part.n):
        rng = sample_rng(part.seed, family.name, index)
        plan = plan_for(family, part, index)
        values = family.easy_knobs(plan.subtask) if plan.easy else family.draw_knobs(plan, rng)
        knobs = make_knobs(family.Knobs, {**values, **plan.pinned})
        for _ in range(60):
            try:
                yield plan, family.compose(plan, knobs, rng, size)
                break
            except Resample:
                continue


def laid_pages(context: str, request, size: tuple[int, int], seeds, never: str = ""):
    """(content, page) of each seed's page of a context that samples and lays out (seed
    `s` draws from `default_rng(s)`); a page drawn again is never so for `never`."""
    import numpy as np

    from gen_stress.errors import Resample
    from gen_stress.scenes.contexts import contexts

    place = contexts()[context]
    for seed in seeds:
        try:
            content = place.sample(request, np.random.default_rng(seed), size)
            page = place.layout(content, request, size)
        except Resample as why:
            assert not never or never not in str(why), why
            continue
        yield content, page
