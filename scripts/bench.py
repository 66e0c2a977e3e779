#!/usr/bin/env python
"""Throughput benchmark: end-to-end generation against PNG encoding alone.

For each family it times the whole `gen-stress` path (sample, render, verify, encode,
write parquet, card) into a temporary folder, in a process forked from a fork server that
has run nothing (cold caches, as a fresh `gen-stress` run has), then re-encodes the very
same images to PNG with the same number of worker processes and nothing else. The ratio
of the two rates says how much the generator costs on top of the encoding every image
needs anyway.

    python scripts/bench.py --family ocr --n 2000
    python scripts/bench.py --family all --n 1000 --workers 1
    python scripts/bench.py --family ocr --n 300 --set capture=photo --capture photo
    python scripts/bench.py --family all --n 40 --workers 1 --capture photo --capture assistive --capture hard
    python scripts/bench.py --family all --n 500 --set context=receipt

Timings on shared machines are noisy: run it twice and read the median of --repeat runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import io
import multiprocessing
import resource
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from gen_stress import capture
from gen_stress.capture import with_capture
from gen_stress.dataset import build_dataset
from gen_stress.errors import GenerationError
from gen_stress.generators import family_names, get_family
from gen_stress.knobs import knob_spec, split_assignment
from gen_stress.pipeline import DatasetSpec, PartSpec, default_workers
from gen_stress.questions.in_context import served_subtasks, with_context
from gen_stress.writing import prints_other_language, with_script

TARGET_RATIO = 0.5  # each context generates at no less than half the PNG-encode-only rate


def _encode_chunk(pngs: list[bytes]) -> tuple[int, float, float]:
    """Decode a chunk (untimed), then time encoding it back to PNG: (images, wall s, CPU s)."""
    images = [Image.open(io.BytesIO(data)) for data in pngs]
    for image in images:
        image.load()
    wall, cpu = time.perf_counter(), time.process_time()
    for image in images:
        image.save(io.BytesIO(), format="PNG")
    return len(images), time.perf_counter() - wall, time.process_time() - cpu


def encode_only(pngs: list[bytes], workers: int) -> tuple[float, float]:
    """(images per second with `workers` processes, CPU seconds per image), encoding alone."""
    chunk = max(1, len(pngs) // (workers * 4))
    chunks = [pngs[i:i + chunk] for i in range(0, len(pngs), chunk)]
    if workers == 1:
        results = [_encode_chunk(c) for c in chunks]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_encode_chunk, chunks)
    count = sum(r[0] for r in results)
    return count / (sum(r[1] for r in results) / workers), sum(r[2] for r in results) / count


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the generation workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def read_pngs(folder: Path) -> list[bytes]:
    """The distinct images of a dataset: rows that share a scene (a question and its
    caption) share one image, which generation encodes once."""
    pngs: dict[bytes, None] = {}
    for path in sorted(folder.rglob("*.parquet")):
        for batch in pq.ParquetFile(path).iter_batches(columns=["image"]):
            pngs.update(dict.fromkeys(cell["bytes"] for cell in batch.column(0).to_pylist()))
    return list(pngs)


def part_for(family: str, n: int, settings: list[str]) -> PartSpec:
    """The family's part with knobs pinned (`--set context=receipt`): a context runs the
    subtasks it serves."""
    fam = get_family(family)
    pinned = []
    for text in settings:
        name, value = split_assignment(text, "--set")
        pinned.append((name, knob_spec(with_script(with_capture(with_context(fam.Knobs))), name, family).parse(value)))
    contexts = [v for k, v in pinned if k == "context"]
    subtasks = served_subtasks(fam, contexts, prints_other_language(pinned, ())) if contexts else ()
    return PartSpec(family=family, n=n, settings=tuple(pinned), subtasks=subtasks)


def _generate(spec: DatasetSpec, out: Path, workers: int, results) -> None:
    """In a child of the fork server (`_clean_context`): the end-to-end run, timed, like a
    fresh `gen-stress` process (cold caches; families benched one after another do not
    warm each other's), its CPU its own and its workers'."""
    for part in spec.parts:  # the families' modules imported first, untimed, as `part_for` did
        get_family(part.family)
    start, cpu = time.perf_counter(), _cpu_seconds()
    build_dataset(spec, out, workers=workers, progress=False)
    end_to_end, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    # One shard, or one worker, runs in this process; more run in worker processes.
    peak_mib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF,
                                                                  resource.RUSAGE_CHILDREN)) / 1024
    results.send((end_to_end, cpu, peak_mib))


@functools.cache
def _clean_context():
    """Where each run's process comes from: a fork server started at the first run, small
    and with the package imported, so a run's process inherits neither the PNGs nor the
    images that earlier families left in this one's heap (a process forked from here
    counted them in its peak RSS: 870 MiB where the first family read 445, at one
    worker; its CPU read the same either way)."""
    ctx = multiprocessing.get_context("forkserver")
    # What this script imports: a run's process imports the script again before its timing
    # starts (as __mp_main__; Python 3.11's fork server does not preload it) and finds them
    # loaded, as a process forked from here had them.
    ctx.set_forkserver_preload(["pyarrow.parquet", "PIL.Image", "gen_stress.capture", "gen_stress.dataset",
                                "gen_stress.generators", "gen_stress.knobs", "gen_stress.pipeline",
                                "gen_stress.questions.in_context", "gen_stress.writing"])
    return ctx


def bench_family(family: str, n: int, size: int, workers: int, settings: list[str] = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        spec = DatasetSpec(parts=(part_for(family, n, list(settings)),), width=size, height=size)
        ctx = _clean_context()
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_generate, args=(spec, out, workers, send))
        child.start()
        send.close()
        try:
            end_to_end, cpu, peak_mib = receive.recv()
        except EOFError:
            raise SystemExit(f"the {family} run failed (see above)") from None
        finally:
            child.join()
        pngs = read_pngs(out)
    encode_rate, encode_cpu = encode_only(pngs, workers)
    return {"images": len(pngs), "e2e_rate": len(pngs) / end_to_end, "encode_rate": encode_rate,
            "e2e_cpu_ms": 1000 * cpu / len(pngs), "encode_cpu_ms": 1000 * encode_cpu, "peak_mib": peak_mib}


def hard_ends() -> list[str]:
    """Each numeric capture knob alone at the end of its range away from its easy value
    (both ends for exposure), e.g. blur_px=12."""
    settings = []
    for field in dataclasses.fields(capture.CaptureKnobs):
        if field.name not in capture.NUMERIC:
            continue
        spec = field.metadata["knob"]
        ends = [spec["low"], spec["high"]]
        far = [e for e in ends if e != field.default]
        picked = far if field.name == "exposure" else [max(far, key=lambda e: abs(e - field.default))]
        settings += [f"{field.name}={end:g}" for end in picked]
    return settings


def capture_cost(family: str, n: int, size: int, setting: str, settings: list[str] = ()) -> dict:
    """CPU ms per photograph for the capture step (warp, table, light, blur, noise, JPEG,
    then the answer judged again on the photo), against the PNG encode of the images it
    made, both in this process. `setting` is a mode (`photo`) or one knob (`blur_px=12`);
    `settings` pin more knobs (`context=receipt`)."""
    spent, images = [], []
    real = capture.Camera.shoot

    def timed(self, drafts, renders):
        start = time.process_time()
        out = real(self, drafts, renders)
        spent.append(time.process_time() - start)
        images.append([shot.image for shot in {id(shot): shot for shot in out[1]}.values()])
        return out

    capture.Camera.shoot = timed
    try:
        with tempfile.TemporaryDirectory() as tmp:
            knob = setting if "=" in setting else f"capture={setting}"
            spec = DatasetSpec(parts=(part_for(family, n, [*settings, knob]),), width=size, height=size)
            build_dataset(spec, Path(tmp) / "ds", workers=1, progress=False)
    finally:
        capture.Camera.shoot = real
    # Every attempt's photographs count (a resampled one was made and paid for too).
    start = time.process_time()
    for shots in images:
        for image in shots:
            image.save(io.BytesIO(), format="PNG")
    png = time.process_time() - start
    return {"capture_ms": 1000 * sum(spent) / len(spent), "png_ms": 1000 * png / len(spent), "calls": len(spent)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="ocr", help="a family or 'all'")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--repeat", type=int, default=1, help="runs per family; the median is reported")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KNOB=VALUE",
                        help="pin a knob, e.g. context=receipt (repeatable)")
    parser.add_argument("--capture", action="append", default=[], metavar="MODE|KNOB=VALUE|hard",
                        help="also time the capture step alone against the PNG encode of its photographs: "
                             "photo, assistive, one knob (blur_px=12), or 'hard' for every knob at its hard end "
                             "(repeatable)")
    parser.add_argument("--capture-only", action="store_true", help="skip the end-to-end timing")
    args = parser.parse_args()

    pinned = f", {' '.join(args.settings)}" if args.settings else ""
    print(f"{args.size}x{args.size} images{pinned}, {args.workers} worker(s); ratio = end-to-end rate / PNG-encode-only rate,")
    print("by wall clock and by CPU time (CPU time is steadier on a shared machine)")
    print("(rates count images: rows sharing one image, a question and its caption, count once)")
    print(f"{'family':<14}{'images':>7}{'end-to-end/s':>14}{'PNG-only/s':>12}{'ratio':>7}"
          f"{'CPU ms/image':>13}{'PNG CPU ms':>12}{'CPU ratio':>10}")
    ratios = []
    for family in family_names(args.family):
        if args.capture_only:
            print(family)
        repeat = 0 if args.capture_only else args.repeat
        runs = [bench_family(family, args.n, args.size, args.workers, args.settings) for _ in range(repeat)]
        if runs:
            e2e = statistics.median(r["e2e_rate"] for r in runs)
            enc = statistics.median(r["encode_rate"] for r in runs)
            e2e_cpu = statistics.median(r["e2e_cpu_ms"] for r in runs)
            enc_cpu = statistics.median(r["encode_cpu_ms"] for r in runs)
            peak = max(r["peak_mib"] for r in runs)
            print(f"{family:<14}{runs[0]['images']:>7}{e2e:>14.1f}{enc:>12.1f}{e2e / enc:>7.2f}"
                  f"{e2e_cpu:>13.2f}{enc_cpu:>12.2f}{enc_cpu / e2e_cpu:>10.2f}   peak RSS {peak:.0f} MiB")
            ratios.append((family, enc_cpu / e2e_cpu))
        settings = [h for c in args.capture for h in (hard_ends() if c == "hard" else [c])]
        if settings:
            print(f"{'':<14}capture step (CPU ms per photograph) as a multiple of the PNG encode of the same images:")
        for setting in settings:
            try:
                cost = capture_cost(family, min(args.n, 200), args.size, setting, args.settings)
            except GenerationError as why:  # a knob's hard end no scene of the family survives
                print(f"{'':<14}{setting:<20}no items: {str(why)[:100]}")
                continue
            print(f"{'':<14}{setting:<20}capture {cost['capture_ms']:6.1f} ms   PNG encode {cost['png_ms']:6.1f} ms   "
                  f"= {cost['capture_ms'] / cost['png_ms']:.2f}x PNG   ({cost['calls']} photographs)")
    if ratios:
        print(summary(args.settings, ratios))


def summary(settings: list[str], ratios: list[tuple[str, float]], target: float = TARGET_RATIO) -> str:
    """One line per run: the generation rate as a multiple of the PNG-encode-only rate
    (by CPU time), against the target. The lowest has three decimals: at two, 0.496
    would read 0.50 beside "misses"."""
    where = " ".join(settings) or "defaults"
    worst = min(ratios, key=lambda r: r[1])
    verdict = "meets" if worst[1] >= target else "misses"
    return (f"{where}: generation runs at {', '.join(f'{f} {r:.2f}x' for f, r in ratios)} the PNG-encode-only "
            f"rate (CPU); lowest {worst[1]:.3f}x ({worst[0]}) {verdict} the {target}x target")


if __name__ == "__main__":
    main()
