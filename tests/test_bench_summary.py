"""scripts/bench.py's verdict line: the lowest ratio shown precisely enough to agree with it."""

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def bench():
    path = Path(__file__).resolve().parents[1] / "scripts" / "bench.py"
    spec = importlib.util.spec_from_file_location("gen_stress_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_ratio_just_under_the_target_does_not_read_as_the_target(bench):
    line = bench.summary(["script=greek"], [("ocr", 0.4962)])
    assert "lowest 0.496x (ocr) misses the 0.5x target" in line
    assert line.startswith("script=greek: generation runs at ocr 0.50x")


def test_the_lowest_family_decides(bench):
    line = bench.summary([], [("counting", 0.55), ("ocr", 0.5), ("spatial", 0.61)])
    assert line.startswith("defaults:")
    assert "lowest 0.500x (ocr) meets the 0.5x target" in line
