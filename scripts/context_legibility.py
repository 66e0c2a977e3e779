#!/usr/bin/env python
"""How often real OCR engines read an easy-setting `ocr` target back exactly, per context.

Generates `--n` items per context at the easy settings (the OCR family's defaults, so the
three subtasks fine print, rotated text and styled font take turns), crops each target's
recorded box with a small margin (as tests/test_contexts.py does) and reads the crop with
RapidOCR (recognition only) and Tesseract (one line). Prints the exact-match rate per
context and engine, and every miss; `--misses DIR` also writes each missed crop as a PNG
to look at.

With `--language` (repeatable), receipts, menus, document pages and shelves (`--context`) print that language (`--set language=...`): the
crops are read by Tesseract with the language's data (and English for the digits), and by
RapidOCR for Chinese; a reading counts when it equals the answer after the scorer's
normalisation (NFC, presentation forms, width variants, niqqud; scoring/parse.py).

    python scripts/context_legibility.py --n 100
    python scripts/context_legibility.py --context receipt --n 200 --seed 2 --misses misses/
    python scripts/context_legibility.py --context receipt --context menu --language ar --language ru --n 60
    python scripts/context_legibility.py --context document --language th --language ja --n 30
    python scripts/context_legibility.py --context receipt --language ar --text-px 6,8,10,12,16 --n 40

With `--text-px`, only the fine print is asked (ocr/tiny_text), swept over those cap
heights: the read-back rate per size, and the breaking point (the largest size at which
fewer than half are read back, when one is).
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image

from gen_stress.generators import get_family
from gen_stress.knobs import Sweep
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.readers.engines import Tesseract
from gen_stress.scenes.languages import LANGUAGES
from gen_stress.scoring.parse import normalize_text

MARGIN_PX = 6
CONTEXTS = ("receipt", "menu", "document")


def target_crop(row: dict) -> np.ndarray:
    target = next(t for t in row["scene"]["texts"] if {"name": "asked", "value": "yes"} in t["attributes"])
    x0, y0, x1, y1 = (int(v) for v in target["bbox"])
    image = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB"))
    left, right = max(0, x0 - MARGIN_PX), x1 + MARGIN_PX
    if row["difficulty"].get("context") == "shelf":
        # A shelf label's edge lies 4 px from its price (read as a "1" or "|"): 2 px either
        # side there; and a price's own currency sign beside it left out.
        left, right = max(0, x0 - 2), x1 + 2
        for other in row["scene"]["texts"]:
            ox0, oy0, ox1, oy1 = other["bbox"]
            if other is not target and other["role"] == "currency" and oy0 < y1 and oy1 > y0:
                left = max(left, min(int(ox1) + 1, x0)) if ox0 < x0 else left  # (ink boxes may touch)
                right = min(right, max(int(ox0), x1)) if ox1 > x1 else right
    return image[max(0, y0 - MARGIN_PX):y1 + MARGIN_PX, left:right]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context", action="append", choices=CONTEXTS + ("shelf",), help="default: all three")
    parser.add_argument("--n", type=int, default=100, help="items per context")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--misses", type=Path, help="write each missed crop here")
    parser.add_argument("--text-px", help="with --language: sweep the fine print's cap height (comma-separated)")
    parser.add_argument("--language", action="append", choices=sorted(LANGUAGES),
                        help="pages in this language (repeatable); default: English, every context")
    args = parser.parse_args()
    if args.language:
        read_languages(args)
        return

    from rapidocr_onnxruntime import RapidOCR

    rapid, tesseract = RapidOCR(), Tesseract()
    family = get_family("ocr")
    if args.misses:
        args.misses.mkdir(parents=True, exist_ok=True)
    for context in args.context or CONTEXTS:
        part = PartSpec(family="ocr", n=args.n, seed=args.seed, sweeps=(Sweep("context", (context,)),))
        part.validate()
        hits = {"rapidocr": 0, "tesseract": 0}
        for index in range(args.n):
            row = generate_index(family, part, (512, 512), index)[0]
            crop = target_crop(row)
            result, _ = rapid(crop, use_det=False, use_cls=False)
            reads = {"rapidocr": result[0][0].strip() if result else "", "tesseract": tesseract.read_crop(crop)}
            for engine, text in reads.items():
                if text == row["answer"]:
                    hits[engine] += 1
                    continue
                print(f"  {context} {index} {row['subtask']} {engine}: {row['answer']!r} read as {text!r}")
                if args.misses:
                    Image.fromarray(crop).save(args.misses / f"{context}_{index}.png")
        print(f"{context}: " + ", ".join(f"{e} {h}/{args.n} ({100 * h / args.n:.0f}%)" for e, h in hits.items()))


def read_languages(args) -> None:
    """Read-back of receipts, menus and document pages printed in other languages, per language."""
    tesseract = Tesseract()
    family = get_family("ocr")
    for context, code in [(c, code) for c in args.context or CONTEXTS for code in args.language]:
        lang = LANGUAGES[code]
        engines = {"tesseract": lambda crop, c=code: tesseract.read_crop(crop, c)}
        if code in ("zh", "en"):
            from rapidocr_onnxruntime import RapidOCR

            rapid = RapidOCR()
            engines["rapidocr"] = lambda crop: (lambda r: r[0][0][0].strip() if r[0] else "")(
                rapid(crop, use_det=False, use_cls=False))
        settings = (("script", lang.script), ("language", code))  # easy settings, as above
        sweeps = (Sweep("context", (context,)),)
        subtasks = ()
        if args.text_px:
            sweeps += (Sweep("text_px", tuple(int(v) for v in args.text_px.split(","))),)
            subtasks = ("tiny_text",)
        part = PartSpec(family="ocr", n=args.n, seed=args.seed, sweeps=sweeps, settings=settings, subtasks=subtasks)
        part.validate()
        hits = {name: {} for name in engines}
        for index in range(args.n):
            row = generate_index(family, part, (512, 512), index)[0]
            crop = target_crop(row)
            for name, read in engines.items():
                text = read(crop)
                ok = normalize_text(text) == normalize_text(row["answer"])
                key = f"text_px {row['difficulty']['text_px']:02d}" if args.text_px else row["subtask"]
                tally = hits[name].setdefault(key, [0, 0])
                tally[0] += ok
                tally[1] += 1
                if not ok and args.misses:
                    args.misses.mkdir(parents=True, exist_ok=True)
                    Image.fromarray(crop).save(args.misses / f"{context}_{code}_{index}_{name}.png")
        for name, by_subtask in hits.items():
            total = [sum(v[0] for v in by_subtask.values()), sum(v[1] for v in by_subtask.values())]
            parts = ", ".join(f"{s.split('/')[-1]} {h}/{n}" for s, (h, n) in sorted(by_subtask.items()))
            if args.text_px:
                low = [s for s, (h, n) in by_subtask.items() if h < n / 2]
                parts += f"; breaking point: {max(low).split()[-1].lstrip('0') + ' px' if low else 'none'}"
            print(f"{context} {code} {name}: {total[0]}/{total[1]} ({100 * total[0] / total[1]:.0f}%) [{parts}]",
                  flush=True)


if __name__ == "__main__":
    main()
