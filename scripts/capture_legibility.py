#!/usr/bin/env python
"""How a real OCR engine (RapidOCR, from the test extra) reads captured OCR items: text
accuracy along one capture knob, and a predictions file for `gen-stress score`.

The engine reads a crop around the target's recorded box (after capture), so this
measures legibility, not finding the sign.

    python scripts/capture_legibility.py --sweep blur_px=0:8:1 --n 90 --out legibility/
    gen-stress score legibility/dataset --predictions legibility/predictions.jsonl --out legibility/report
"""

from __future__ import annotations

import argparse
import io
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from gen_stress.dataset import build_dataset
from gen_stress.generators import get_family
from gen_stress.knobs import parse_sweep, resolve_sweep
from gen_stress.pipeline import DatasetSpec, PartSpec

MARGIN_PX = 6


def read_target(engine, row: dict) -> str:
    """The engine's reading of a crop around the target's box ("" if nothing)."""
    text = next(t for t in row["scene"]["texts"] if t["role"] == "target")
    x0, y0, x1, y1 = (int(v) for v in text["bbox"])
    image = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB"))
    h, w = image.shape[:2]
    crop = image[max(0, y0 - MARGIN_PX):min(h, y1 + MARGIN_PX), max(0, x0 - MARGIN_PX):min(w, x1 + MARGIN_PX)]
    if crop.size == 0:
        return ""
    result, _ = engine(crop, use_det=False, use_cls=False)
    return result[0][0] if result else ""


def main() -> None:
    from rapidocr_onnxruntime import RapidOCR

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", required=True, help="one capture knob, e.g. blur_px=0:8:1")
    parser.add_argument("--set", action="append", default=["text_px=20", "covered=false"])
    parser.add_argument("--n", type=int, default=90)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    family = get_family("ocr")
    from gen_stress.capture import with_capture
    from gen_stress.questions.in_context import with_context

    knobs_cls = with_capture(with_context(family.Knobs))
    sweep = resolve_sweep(*parse_sweep(args.sweep), knobs_cls, "ocr")
    settings = tuple((k, _parse(knobs_cls, k, v))
                     for k, v in (s.split("=", 1) for s in args.set))
    part = PartSpec("ocr", args.n, sweeps=(sweep,), settings=settings)
    part.validate()
    dataset = args.out / "dataset"
    build_dataset(DatasetSpec(parts=(part,)), dataset, workers=args.workers, progress=False, overwrite=True)
    engine = RapidOCR()
    correct: dict = defaultdict(list)
    with open(args.out / "predictions.jsonl", "w") as predictions:
        for path in sorted(dataset.rglob("*.parquet")):
            for row in pq.read_table(path).to_pylist():
                got = read_target(engine, row)
                predictions.write(json.dumps({"id": row["id"], "prediction": got}) + "\n")
                if row["answerable"]:
                    correct[row["difficulty"][sweep.knob]].append(got == row["answer"])
    curve = {str(v): round(float(np.mean(correct[v])), 3) for v in sorted(correct)}
    (args.out / "curve.json").write_text(json.dumps({"knob": sweep.knob, "accuracy": curve}, indent=1))
    print(json.dumps({"knob": sweep.knob, "accuracy": curve}))


def _parse(knobs_cls, name: str, value: str):
    from gen_stress.knobs import knob_specs

    return knob_specs(knobs_cls)[name].parse(value)


if __name__ == "__main__":
    from gen_stress.errors import UserError

    try:
        main()
    except UserError as why:  # a bad knob value: one line, no traceback, exit 2 as the CLI
        import sys

        print(f"capture_legibility: {why}", file=sys.stderr)
        sys.exit(2)
