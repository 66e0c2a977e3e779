"""A real OCR engine on captured OCR items: it reads the easy end and fails as blur,
tilt and JPEG compression grow (the labels keep their answers; the pixels lose them)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gen_stress.generators import get_family
from gen_stress.knobs import Sweep
from gen_stress.pipeline import PartSpec, generate_index

pytest.importorskip("rapidocr_onnxruntime")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from capture_legibility import read_target  # noqa: E402  (one reader for the script and the test)

PER_VALUE = 8
# knob, (easy value, hard value), cap height of the text, the least drop in accuracy
CASES = [("blur_px", (0.0, 7.0), 20, 0.5), ("tilt_deg", (0.0, 60.0), 10, 0.25), ("jpeg_quality", (100, 5), 8, 0.4)]


@pytest.mark.slow
@pytest.mark.parametrize("knob,values,text_px,drop", CASES, ids=[c[0] for c in CASES])
def test_accuracy_falls_along_the_capture_knob(rapidocr_engine, knob, values, text_px, drop):
    part = PartSpec("ocr", 2 * PER_VALUE, sweeps=(Sweep(knob, values),),
                    settings=(("text_px", text_px), ("covered", False)))
    ocr = get_family("ocr")
    right = {v: 0 for v in values}
    for index in range(2 * PER_VALUE):
        row = generate_index(ocr, part, (512, 512), index)[0]
        assert row["answerable"] and row["difficulty"]["lost"] == "none"
        right[row["difficulty"][knob]] += read_target(rapidocr_engine, row) == row["answer"]
    easy, hard = (right[v] / PER_VALUE for v in values)
    assert easy >= 0.7, right
    assert hard <= easy - drop, right
