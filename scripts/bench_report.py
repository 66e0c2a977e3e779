"""Size and browser load time of `gen-stress score`'s report.html on a large dataset.

Generates a dataset (or reuses one), writes predictions that get every second item wrong,
scores them, and opens report.html in headless Chromium (Debian's package, driven by the
test suite's small DevTools client) to time the page's load event:

    python scripts/bench_report.py --n 1000 --family all --pairs     # about 9,000 items
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import Browser, chromium_binary  # noqa: E402


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def write_predictions(dataset: Path, out: Path) -> int:
    """Gold for even rows, a wrong reply for odd ones."""
    count = 0
    with out.open("w") as handle:
        for shard in sorted(dataset.glob("*/*.parquet")):
            table = pq.read_table(shard, columns=["id", "answer"]).to_pylist()
            for row in table:
                reply = row["answer"] if count % 2 == 0 else "zzz"
                handle.write(json.dumps({"id": row["id"], "prediction": reply}) + "\n")
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="all")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--pairs", action="store_true")
    parser.add_argument("--dataset", type=Path, help="score this folder instead of generating one")
    parser.add_argument("--repeat", type=int, default=3, help="page loads to time")
    args = parser.parse_args()
    binary = chromium_binary()
    if binary is None:
        sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        dataset = args.dataset
        if dataset is None:
            dataset = work / "data"
            command = [sys.executable, "-m", "gen_stress", "--family", args.family, "--n", str(args.n),
                       "--out", str(dataset), "--no-progress"] + (["--pairs"] if args.pairs else [])
            subprocess.run(command, check=True)
        predictions = work / "preds.jsonl"
        items = write_predictions(dataset, predictions)
        report = work / "report"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "gen_stress", "score", str(dataset), "--predictions",
                        str(predictions), "--out", str(report)], check=True, stdout=subprocess.DEVNULL)
        score_s = time.perf_counter() - started
        page = report / "report.html"
        files = report / "report_files"
        loads = []
        for _ in range(args.repeat):
            browser = Browser(binary)
            try:
                started = time.perf_counter()
                browser.open(page.as_uri())
                loads.append(time.perf_counter() - started)
            finally:
                browser.close()
        print(f"items {items}; score {score_s:.1f} s")
        print(f"report.html {page.stat().st_size / 1e6:.1f} MB; report_files/ "
              f"{folder_mb(files) if files.exists() else 0:.1f} MB; whole report {folder_mb(report):.1f} MB")
        print("load event after " + ", ".join(f"{s:.2f} s" for s in loads))


if __name__ == "__main__":
    main()
