#!/usr/bin/env python
"""Peak memory of one worker as the rows it writes grow.

    python scripts/bench_memory.py --family ocr --n 1000 4000 16000
    python scripts/bench_memory.py --family all --set context=shelf --n 500 2000 8000

Each --n runs `gen-stress --workers 1` (the CLI process is the one worker and writes every
row) in a fresh process and reports its peak RSS. The caches a worker keeps (glyphs,
line masks, measured widths, what the checks derive) are bounded, most by bytes, so the
peak should level off after the first thousand or two rows instead of growing with --n.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bigruns import _cli, peak_rss_mib  # noqa: E402  (a sibling script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="ocr")
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--set", dest="settings", action="append", default=[], help="KNOB=VALUE, as gen-stress --set")
    args = parser.parse_args()
    extra = [arg for setting in args.settings for arg in ("--set", setting)]
    print(f"gen-stress --family {args.family} {' '.join(extra)} --workers 1")
    for n in args.n:
        with tempfile.TemporaryDirectory() as tmp:
            command = _cli(["--family", args.family, "--n", str(n), "--workers", "1", *extra], Path(tmp) / "ds")
            start = time.perf_counter()
            peak = peak_rss_mib(command)
            print(f"  --n {n:>7}: peak RSS {peak:6.0f} MiB  ({time.perf_counter() - start:6.1f} s)", flush=True)


if __name__ == "__main__":
    main()
