#!/usr/bin/env python
"""Big-run benchmark: `--engine ray` against local workers, and peak memory per worker
as --n grows.

    ray start --head --port 6380 --node-ip-address 127.0.0.1 --num-cpus 1 --include-dashboard=false
    ray start --address 127.0.0.1:6380 --node-ip-address 127.0.0.1 --num-cpus 1
    python scripts/bench_bigruns.py --ray-address 127.0.0.1:6380 --n 400
    ray stop

With --s3-bucket, the same two runs also write to s3://BUCKET/bench-* (credentials and
endpoint from the environment, e.g. AWS_ENDPOINT_URL of a local `moto_server`; Ray's
nodes need them too, so start them with that environment).

Throughput: the same command (end to end, CLI start-up and card included) with
`--workers 2` and with `--engine ray` on the cluster, alternated --repeat times, medians.
Memory: one worker (`--workers 1`, the CLI process itself) writing the first two shards of
a plan of --n items, for each --n in --memory-n (a slice of a big plan costs what the
whole plan costs per shard, so 100,000 items need not be generated to measure it).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cli(args: list[str], out: Path) -> list[str]:
    return [sys.executable, "-m", "gen_stress", *args, "--no-progress", "--out", str(out)]


def timed_run(args: list[str], url: str | None = None) -> float:
    """Seconds for one run into a fresh folder, or into `url` (replaced)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = _cli(args, Path(tmp) / "ds")
        if url:
            command[-1:] = [url, "--overwrite"]
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        return time.perf_counter() - start


def _peak_rss_mib(command: list[str]) -> float:
    """Peak RSS of `command` and its descendants; run in a fresh process, whose
    RUSAGE_CHILDREN then covers this command only."""
    subprocess.run(command, check=True, capture_output=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def peak_rss_mib(command: list[str]) -> float:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_peak_rss_mib, (command,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="ocr")
    parser.add_argument("--n", type=int, default=400, help="items per throughput run")
    parser.add_argument("--rows-per-shard", type=int, default=50)
    parser.add_argument("--ray-address", default=None, help="a running Ray cluster (skip Ray without it)")
    parser.add_argument("--repeat", type=int, default=2, help="throughput runs per engine (0: memory only)")
    parser.add_argument("--s3-bucket", default=None, help="also time runs into s3://BUCKET/bench-*")
    parser.add_argument("--memory-n", type=int, nargs="*", default=[1000, 100_000])
    parser.add_argument("--memory-rows-per-shard", type=int, default=500)
    args = parser.parse_args()

    plan = ["--family", args.family, "--n", str(args.n), "--rows-per-shard", str(args.rows_per_shard)]
    if args.repeat:
        targets = [("folder", None)] + ([("s3", f"s3://{args.s3_bucket}")] if args.s3_bucket else [])
        print(f"{args.family}, {args.n} items in shards of {args.rows_per_shard}, end to end, median of {args.repeat}:")
        for label, bucket in targets:
            local, ray = [], []
            for k in range(args.repeat):
                local.append(timed_run([*plan, "--workers", "2"], bucket and f"{bucket}/bench-local"))
                if args.ray_address:
                    ray.append(timed_run([*plan, "--engine", "ray", "--ray-address", args.ray_address],
                                         bucket and f"{bucket}/bench-ray"))
            local_rate = args.n / statistics.median(local)
            print(f"  to a {label:6}  --workers 2         {statistics.median(local):7.1f} s  {local_rate:6.1f} items/s "
                  f"({local_rate / 2:.1f} per core)")
            if ray:
                ray_rate = args.n / statistics.median(ray)
                print(f"  to a {label:6}  --engine ray (2x1)  {statistics.median(ray):7.1f} s  {ray_rate:6.1f} items/s  "
                      f"ratio {ray_rate / local_rate:.2f}")
    for n in args.memory_n:
        with tempfile.TemporaryDirectory() as tmp:
            command = _cli(["--family", args.family, "--n", str(n), "--shards", "0:2", "--workers", "1",
                            "--rows-per-shard", str(args.memory_rows_per_shard)], Path(tmp) / "slice")
            print(f"  peak RSS of one worker, first 2 shards of {args.memory_rows_per_shard} of --n {n:>7}: "
                  f"{peak_rss_mib(command):6.0f} MiB")


if __name__ == "__main__":
    main()
