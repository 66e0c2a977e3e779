"""Large upright text on a plain sign is legible to a real OCR engine.

RapidOCR (PP-OCR models in ONNX, shipped inside its wheel) reads a crop of the target's
recorded box. This checks both that the pixels say what the label says and that the
recorded box frames the text. Characters outside the engine's dictionary (€, £) and
the I/1 pairs that codes are built to confuse are left to the harder items.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import image_of
from gen_stress.generators import get_family
from gen_stress.knobs import Sweep
from gen_stress.pipeline import PartSpec, generate_index

pytest.importorskip("rapidocr_onnxruntime")


def read_target(engine, row) -> str:
    text = next(t for t in row["scene"]["texts"] if t["role"] == "target")
    x0, y0, x1, y1 = (int(v) for v in text["bbox"])
    crop = np.asarray(image_of(row))[max(0, y0 - 6):y1 + 6, max(0, x0 - 6):x1 + 6]
    result, _ = engine(crop, use_det=False, use_cls=False)
    return result[0][0] if result else ""


def test_large_upright_text_reads_back_exactly(rapidocr_engine):
    part = PartSpec(
        family="ocr", n=45,
        sweeps=(Sweep("font_class", ("sans", "serif", "mono")),
                Sweep("content", ("word", "pseudoword", "misspelled"))),
        settings=(("text_px", 32),),
    )
    ocr = get_family("ocr")
    rows = [generate_index(ocr, part, (512, 512), i)[0] for i in range(45)]
    assert all(r["difficulty"]["angle_deg"] == 0 and r["answerable"] for r in rows)
    misses = [(r["answer"], got) for r in rows if (got := read_target(rapidocr_engine, r)) != r["answer"]]
    assert len(misses) <= 2, misses  # 43 of 45 exact, case and all

