#!/usr/bin/env python
"""Read-back rate per script with the reference readers, through the real commands:
`gen-stress` (ocr, tiny_text, other knobs easy), `gen-stress read`, `gen-stress score`.

For each script: the exact read-back rate at easy settings (text_px 32) and along a
text_px sweep, with the breaking point `gen-stress score` fits. Chinese and Latin are read
by RapidOCR, the other scripts by Tesseract with the language's data package (see
gen_stress.readers.engines); a script whose reader is missing is listed as such.

    python scripts/script_legibility.py --out legibility/ [--scripts arabic,chinese]
    python scripts/script_legibility.py --out legibility/ --crop

With `--crop`, the reader reads the target's recorded box alone (a small margin
around it, one line) instead of finding it in the whole image: a legibility check of
the rendered text, without the engine's detection and the sign-picking rule. It is
scored with the scorer's normalisation (scoring/parse.normalize_text); the breaking
point is the largest swept size read back less than half the time.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from gen_stress.readers.engines import make_engine
from gen_stress.scenes.languages import SCRIPTS, default_language
from gen_stress.scoring.parse import normalize_text

READERS = {"latin": "rapidocr", "chinese": "rapidocr"}  # the rest: tesseract
MARGIN_PX = 6  # around a cropped target, as scripts/context_legibility.py


def run(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "gen_stress", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"gen-stress {' '.join(args)} failed: {done.stderr.strip().splitlines()[-1:]}")


def measure(folder: Path, script: str, reader: str, sweep: str, n: int, content: str) -> dict:
    """Generate, read and score one sweep; the text exact rate per text_px value and the
    fitted breaking point."""
    data, preds, report = folder / "data", folder / "predictions.jsonl", folder / "report"
    settings = ["--set", f"script={script}"] + (["--set", f"content={content}"] if content != "word" else [])
    run("--family", "ocr", "--subtask", "tiny_text", "--sweep", sweep, *settings, "--n", str(n),
        "--workers", "1", "--no-progress", "--overwrite", "--out", str(data))
    run("read", str(data), "--reader", reader, "--out", str(preds), "--overwrite")
    run("score", str(data), "--predictions", str(preds), "--out", str(report), "--overwrite")
    figures = json.loads((report / "report.json").read_text(encoding="utf-8"))
    block = figures["families"]["ocr"]
    text = block["answer_types"]["text"]
    curve = next((c for c in block["knobs"]["numeric"] if c["knob"] == "text_px" and c["scope"] == "all subtasks"),
                 next((c for c in block["knobs"]["numeric"] if c["knob"] == "text_px"), None))
    points = {f"{p['x']:g}": round(p["value"], 2) for p in curve["points"]} if curve else {}
    crossing = curve["crossing"] if curve else {}
    return {"n": text["n"], "exact": text["exact"], "anls": text["anls"], "by_text_px": points,
            "breaking_point": crossing.get("value"), "status": crossing.get("status")}


def target_crop(row: dict) -> np.ndarray:
    """The target's recorded box (the text whose string is the answer), with a margin."""
    target = next(t for t in row["scene"]["texts"] if t["text"] == row["answer"])
    x0, y0, x1, y1 = (int(v) for v in target["bbox"])
    image = np.asarray(Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB"))
    return image[max(0, y0 - MARGIN_PX):y1 + MARGIN_PX, max(0, x0 - MARGIN_PX):x1 + MARGIN_PX]


def measure_crops(folder: Path, script: str, engine, sweep: str, n: int, content: str) -> dict:
    """Generate one sweep and read every target's crop: the exact rate per text_px."""
    data = folder / "data"
    settings = ["--set", f"script={script}"] + (["--set", f"content={content}"] if content != "word" else [])
    run("--family", "ocr", "--subtask", "tiny_text", "--sweep", sweep, *settings, "--n", str(n),
        "--workers", "1", "--no-progress", "--overwrite", "--out", str(data))
    tally: dict[int, list[int]] = {}
    for path in sorted(data.rglob("*.parquet")):
        for row in pq.read_table(path).to_pylist():
            language = row["difficulty"].get("language") or "en"
            read = engine.read_crop(target_crop(row), language)
            cell = tally.setdefault(int(row["difficulty"]["text_px"]), [0, 0])
            cell[0] += normalize_text(read) == normalize_text(row["answer"])
            cell[1] += 1
    hits, total = sum(h for h, _ in tally.values()), sum(k for _, k in tally.values())
    low = [px for px, (h, k) in tally.items() if h < k / 2]
    return {"n": total, "exact": hits / total, "by_text_px": {f"{px}": round(h / k, 2) for px, (h, k) in sorted(tally.items())},
            "breaking_point": max(low) if low else None, "status": "below every size read" if not low else "found"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scripts", default=",".join(SCRIPTS))
    parser.add_argument("--n-easy", type=int, default=30)
    parser.add_argument("--n-sweep", type=int, default=70)
    parser.add_argument("--sweep", default="text_px=4,6,8,10,12,16,20,28")
    parser.add_argument("--content", default="word", help="content kind (easy: word)")
    parser.add_argument("--crop", action="store_true", help="read each target's box alone (see above)")
    args = parser.parse_args()
    results = {}
    engines = {}
    for script in args.scripts.split(","):
        reader = READERS.get(script, "tesseract")
        folder = args.out / script
        if args.crop:
            engine = engines.setdefault(reader, make_engine(reader))
            easy = measure_crops(folder / "easy", script, engine, "text_px=32", args.n_easy, args.content)
            swept = measure_crops(folder / "sweep", script, engine, args.sweep, args.n_sweep, args.content)
        else:
            easy = measure(folder / "easy", script, reader, "text_px=32", args.n_easy, args.content)
            swept = measure(folder / "sweep", script, reader, args.sweep, args.n_sweep, args.content)
        results[script] = {"language": default_language(script).code, "reader": reader,
                           "easy_exact": easy["exact"], "easy_n": easy["n"], **{f"sweep_{k}": v for k, v in swept.items()}}
        print(json.dumps({script: results[script]}, ensure_ascii=False), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "legibility.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("| script | language | reader | easy (text_px 32) | by text_px | breaking point (px) |")
    print("|---|---|---|---|---|---|")
    for script, r in results.items():
        curve = ", ".join(f"{k}: {v}" for k, v in r["sweep_by_text_px"].items())
        point = f"{r['sweep_breaking_point']:.1f}" if r["sweep_breaking_point"] is not None else r["sweep_status"]
        print(f"| {script} | {r['language']} | {r['reader']} | {r['easy_exact']:.2f} of {r['easy_n']} | {curve} | {point} |")


if __name__ == "__main__":
    main()
