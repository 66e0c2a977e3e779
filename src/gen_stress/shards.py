"""Shards as the unit of big runs: what a shard file records about itself, the plan file
that says which spec and which shards a folder holds, and the card statistics read back
from the shard files.

A shard's parquet footer holds, under the key `gen_stress`, the hash of the dataset spec
and the resampling counts of its rows (the one statistic the rows do not show). A run
writes `gen-stress-plan.json` into its folder first: a slice (`--shards A:B`) keeps it, for
`gen-stress assemble` to check; a full run removes it before the card is written. A killed
run's plan file is what `--resume` compares the new command with.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from gen_stress import __version__
from gen_stress.errors import UserError
from gen_stress.knobs import Sweep
from gen_stress.pipeline import DatasetSpec, PartSpec, ShardTask, Summary, shard_tasks
from gen_stress.store import Opener, Store, folder_opener

PLAN_FILE = "gen-stress-plan.json"
META_KEY = "gen_stress"
TEMP_NAME = re.compile(r"^\..+\.tmp-\d+$")
# Of the scene only what the card counts (fonts used, emoji drawn): reading the whole
# scene column back cost as much per row as a fifth of generating it.
SUMMARY_COLUMNS = ["subtask", "answer_type", "answerable", "answer", "difficulty",
                   "scene.texts.list.element.font", "scene.objects.list.element.shape"]
SUMMARY_BATCH = 1000  # rows read at a time when summarising a shard: bounds memory


# The spec as a record, and its hash ------------------------------------------------------

def spec_record(spec: DatasetSpec) -> dict:
    """The spec as plain JSON data, with the version that renders it."""
    return json.loads(json.dumps({"version": __version__, **dataclasses.asdict(spec)}, default=str))


def spec_hash(spec: DatasetSpec) -> str:
    """sha256 of everything that decides the bytes: same hash, same shard files."""
    return hashlib.sha256(json.dumps(spec_record(spec), sort_keys=True).encode()).hexdigest()


CARD_ONLY = ("command", "title", "card_extra")  # spec fields that change the card, never a shard


def shard_hash(spec: DatasetSpec) -> str:
    """sha256 of what decides the shard bytes (the spec without its card-only fields); each
    shard's footer carries it."""
    record = {k: v for k, v in spec_record(spec).items() if k not in CARD_ONLY}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def spec_from_record(record: dict) -> DatasetSpec:
    def part(p: dict) -> PartSpec:
        return PartSpec(family=p["family"], n=p["n"], seed=p["seed"], split=p["split"],
                        sweeps=tuple(Sweep(s["knob"], tuple(s["values"])) for s in p["sweeps"]),
                        settings=tuple((k, v) for k, v in p["settings"]), subtasks=tuple(p["subtasks"]),
                        options=tuple((k, v) for k, v in p["options"]),
                        hold_out=tuple((k, tuple(v)) for k, v in p["hold_out"]))

    return DatasetSpec(parts=tuple(part(p) for p in record["parts"]), width=record["width"],
                       height=record["height"], rows_per_shard=record["rows_per_shard"], command=record["command"],
                       title=record["title"], card_extra=tuple((h, t) for h, t in record["card_extra"]))


def first_difference(old: Any, new: Any, where: str = "") -> str:
    """Where two spec records first differ, e.g. "parts[0].seed 0, not 1" ("" if equal)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new), key=lambda k: (k == "command", k)):  # the command last
            found = first_difference(old.get(key), new.get(key), f"{where}.{key}" if where else key)
            if found:
                return found
        return ""
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for k, (a, b) in enumerate(zip(old, new)):
            found = first_difference(a, b, f"{where}[{k}]")
            if found:
                return found
        return ""
    return "" if old == new else f"{where} {json.dumps(old)}, not {json.dumps(new)}"


# Tasks, slices and the plan file -------------------------------------------------------

def plan_tasks(spec: DatasetSpec, folder: Path) -> list[ShardTask]:
    """Every shard of the spec in one global order (parts in turn), writing into `folder`."""
    digest = shard_hash(spec)
    return [t for part in spec.parts for t in shard_tasks(spec, part, folder, digest)]


def parse_slice(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*:\s*(\d+)\s*", text)
    if not match:
        raise UserError(f"--shards {text!r} is malformed: expected START:STOP, e.g. 12:20 (STOP excluded)")
    return int(match[1]), int(match[2])


def check_slice(shards: tuple[int, int], total: int) -> None:
    start, stop = shards
    if not 0 <= start < stop <= total:
        raise UserError(f"--shards {start}:{stop} is outside this run's {total} shards (0:{total}); "
                        "START must be below STOP")


@dataclass(frozen=True)
class Plan:
    """What a folder holds: shards [start, stop) of the `total` shards of a spec."""

    spec: dict  # spec_record
    digest: str
    start: int
    stop: int
    total: int
    files: tuple[str, ...]


def plan_text(spec: DatasetSpec, tasks: list[ShardTask], start: int, stop: int) -> str:
    record = {"spec_hash": spec_hash(spec), "spec": spec_record(spec), "shards": [start, stop],
              "total_shards": len(tasks), "files": [t.filename for t in tasks[start:stop]]}
    return json.dumps(record, indent=1) + "\n"


def write_plan(folder: Path, spec: DatasetSpec, tasks: list[ShardTask], start: int, stop: int) -> None:
    (Path(folder) / PLAN_FILE).write_text(plan_text(spec, tasks, start, stop), encoding="utf-8")


def parse_plan(text: str) -> Plan | None:
    """A plan file's contents, or None when they are not a readable plan."""
    try:
        record = json.loads(text)
        start, stop = record["shards"]
        return Plan(record["spec"], record["spec_hash"], start, stop, record["total_shards"], tuple(record["files"]))
    except (ValueError, KeyError, TypeError):
        return None


def read_plan(folder: Path | Store) -> Plan | None:
    """The plan of a folder or a store, or None when it has none (or an unreadable one)."""
    try:
        if isinstance(folder, Store):
            return parse_plan(folder.fs.cat_file(folder.path(PLAN_FILE)).decode("utf-8"))
        return parse_plan((Path(folder) / PLAN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# Shard files ---------------------------------------------------------------------------

def temp_name(name: str) -> str:
    """The hidden name a shard is written under before its rename."""
    return f".{name}.tmp-{os.getpid()}"


def remove_temps(folder: Path) -> None:
    """Remove shards cut short (by a killed worker) from a folder whose writers are done."""
    for path in Path(folder).rglob(".*.tmp-*"):
        if TEMP_NAME.match(path.name) and path.is_file():
            path.unlink()


def shard_metadata(task: ShardTask, resampled: Counter) -> dict[str, str]:
    return {META_KEY: json.dumps({"spec_hash": task.spec_hash, "file": task.filename,
                                  "resampled": list(resampled.items())})}


def read_shard_metadata(source) -> dict | None:
    """The footer record of a shard (a path or an open binary file), or None if it is no
    complete gen-stress shard."""
    try:
        meta = pq.ParquetFile(source).metadata.metadata or {}
        return json.loads(meta[META_KEY.encode()])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stored_shard_metadata(store: Store, name: str) -> dict | None:
    """The footer record of a shard in a store (see read_shard_metadata)."""
    try:
        with store.open(name) as handle:
            return read_shard_metadata(handle)
    except FileNotFoundError:
        return None


def is_finished(task: ShardTask) -> bool:
    """True when the task's shard is in place and belongs to the same spec."""
    from gen_stress.store import is_url

    if is_url(task.directory):
        meta = stored_shard_metadata(Store(task.directory), task.filename)
    else:
        path = Path(task.directory) / task.filename
        meta = read_shard_metadata(path) if path.is_file() else None
    return meta is not None and meta.get("spec_hash") == task.spec_hash


def summarize_shard(source) -> Summary:
    """The card statistics of one shard (a path or an open binary file), read from its
    rows and its footer."""
    summary = Summary()
    handle = pq.ParquetFile(source)
    for batch in handle.iter_batches(batch_size=SUMMARY_BATCH, columns=SUMMARY_COLUMNS):
        summary.add_batch(batch)
    meta = json.loads(handle.metadata.metadata[META_KEY.encode()])
    summary.resampled.update(dict(meta["resampled"]))
    return summary


def summaries_from_shards(folder: Path, tasks: Iterable[ShardTask], open_shard: Opener | None = None) -> dict:
    """(family, split) -> Summary, merged in shard order, from the files in `folder` (or
    the ones `open_shard` opens by name)."""
    summaries: dict = {}
    open_shard = open_shard or folder_opener(folder)
    for task in tasks:
        key = (task.part.family, task.part.split)
        with open_shard(task.filename) as handle:
            summaries.setdefault(key, Summary()).merge(summarize_shard(handle))
    return summaries
