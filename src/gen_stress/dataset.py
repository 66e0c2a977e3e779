"""Assemble a dataset folder in the Hugging Face Hub layout, atomically:

    <out>/README.md                          dataset card with the `configs:` YAML
    <out>/<family>/<split>-0000K-of-0000N.parquet
    <out>/assets/<family>-samples.png        contact sheet

Everything is written under a hidden temporary name next to <out> and renamed into
place only when complete, so an interrupted run never leaves a folder that looks done.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from gen_stress.card import write_card
from gen_stress.errors import UserError
from gen_stress.pipeline import DatasetSpec, Summary, run_shards, shard_tasks


@dataclass(frozen=True)
class BuildResult:
    out: Path
    summaries: dict  # (family, split) -> Summary
    files: tuple[str, ...]  # paths relative to out


def check_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserError(f"--out {out} is not empty; pass --overwrite to replace it")


def _temporary_dir(out: Path) -> Path:
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        probe = tmp / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise UserError(f"cannot write to --out {out}: {err.strerror or err}") from None
    return tmp


def _move_into_place(tmp: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old)
    else:
        tmp.rename(out)


def build_dataset(spec: DatasetSpec, out: Path, *, overwrite: bool = False, workers: int = 1,
                  progress: bool = True) -> BuildResult:
    for part in spec.parts:
        part.validate()
    keys = [(p.family, p.split) for p in spec.parts]
    if len(set(keys)) != len(keys):
        raise UserError("a family and split appear twice in one dataset")
    out = Path(out)
    check_out(out, overwrite)
    tmp = _temporary_dir(out)
    try:
        tasks = [t for part in spec.parts for t in shard_tasks(spec, part, tmp)]
        results = run_shards(tasks, workers, progress)
        summaries: dict = defaultdict(Summary)
        for task, summary in results:
            summaries[(task.part.family, task.part.split)].merge(summary)
        write_card(tmp, spec, dict(summaries), [t.filename for t in tasks])
        files = tuple(sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()))
        _move_into_place(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out=out, summaries=dict(summaries), files=files)
