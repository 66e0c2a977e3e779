"""Assemble a dataset folder in the Hugging Face Hub layout, atomically:

    <out>/README.md                          dataset card with the `configs:` YAML
    <out>/<family>/<split>-0000K-of-0000N.parquet
    <out>/assets/<family>-samples.png        contact sheet

Everything is written under a hidden temporary name next to <out> and renamed into
place only when complete, so an interrupted run never leaves a folder that looks done.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from gen_stress.card import write_card
from gen_stress.pipeline import DatasetSpec, Summary, run_shards, shard_tasks
from gen_stress.staging import check_out, staged

__all__ = ["BuildResult", "build_dataset", "check_out", "write_dataset"]


@dataclass(frozen=True)
class BuildResult:
    out: Path
    summaries: dict  # (family, split) -> Summary
    files: tuple[str, ...]  # paths relative to out


def build_dataset(spec: DatasetSpec, out: Path, *, overwrite: bool = False, workers: int = 1,
                  progress: bool = True) -> BuildResult:
    with staged(Path(out), overwrite=overwrite) as tmp:
        summaries = write_dataset(spec, tmp, workers=workers, progress=progress)
        files = tuple(sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()))
    return BuildResult(out=Path(out), summaries=summaries, files=files)


def write_dataset(spec: DatasetSpec, folder: Path, *, workers: int = 1, progress: bool = True) -> dict:
    """Shards, card and contact sheets into an existing empty folder; the summaries by
    (family, split)."""
    spec.validate()
    tasks = [t for part in spec.parts for t in shard_tasks(spec, part, folder)]
    summaries: dict = defaultdict(Summary)
    for task, summary in run_shards(tasks, workers, progress):
        summaries[(task.part.family, task.part.split)].merge(summary)
    write_card(folder, spec, dict(summaries), [t.filename for t in tasks])
    return dict(summaries)
