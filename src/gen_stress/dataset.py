"""Assemble a dataset folder in the Hugging Face Hub layout, atomically:

    <out>/README.md                          dataset card with the `configs:` YAML
    <out>/<family>/<split>-0000K-of-0000N.parquet
    <out>/assets/<family>-samples.png        contact sheet

Everything is written under a hidden temporary name next to <out> and renamed into
place only when complete, so an interrupted run never leaves a folder that looks done.
A slice run (`shards=(A, B)`) writes only those shards and its plan file, no card;
`assemble` merges slices into the folder a full run gives, byte for byte. An `out` in
an object store gets the same files, written in a safe order (gen_stress.store).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gen_stress.card import ShardSource, write_card
from gen_stress.errors import Terminated, UserError
from gen_stress.osutil import no_huge_pages
from gen_stress.pipeline import DatasetSpec, run_shards
from gen_stress.shards import (
    PLAN_FILE,
    check_slice,
    first_difference,
    is_finished,
    plan_tasks,
    plan_text,
    read_plan,
    remove_temps,
    spec_from_record,
    spec_hash,
    spec_record,
    stored_shard_metadata,
    summaries_from_shards,
    write_plan,
)
from gen_stress.staging import check_out, say, scratch, stale_partials, staged
from gen_stress.store import CARD, Store, is_url, local_path, open_store

CARD_SCRATCH = ".gen-stress-card-"  # the local folder a card for an object store is written in

__all__ = ["BuildResult", "Engine", "assemble", "build_dataset", "check_out", "write_dataset"]


@dataclass(frozen=True)
class BuildResult:
    out: Path | str  # a folder, or an object-store URL
    summaries: dict  # (family, split) -> Summary
    files: tuple[str, ...]  # paths relative to out


@dataclass(frozen=True)
class Engine:
    """Where shards are generated: local worker processes, or tasks on a Ray cluster."""

    name: str = "local"  # or "ray"
    workers: int = 1  # local processes
    ray_address: str | None = None  # None: RAY_ADDRESS, a running local cluster, or a new one


@no_huge_pages()  # the parent's reads and writes too, and what forked workers inherit (see osutil)
def build_dataset(spec: DatasetSpec, out, *, overwrite: bool = False, workers: int = 1,
                  progress: bool = True, shards: tuple[int, int] | None = None, resume: bool = False,
                  engine: Engine | None = None) -> BuildResult:
    """Generate the dataset into `out`: a local folder (staged, then moved into place) or
    an object-store URL (see gen_stress.store). Everything is checked before any work."""
    spec.validate()
    if shards is not None:
        check_slice(shards, len(plan_tasks(spec, Path("."))))
    engine = engine or Engine(workers=workers)
    if engine.name == "ray":
        from gen_stress.ray_engine import import_ray

        import_ray()  # before any work: a missing extra is one line
    if is_url(out):
        return build_in_store(spec, open_store(str(out)), overwrite=overwrite, progress=progress, shards=shards,
                              resume=resume, engine=engine)
    out = local_path(out)
    leftover = find_resumable(out, spec, shards) if resume else None
    with staged(out, overwrite=overwrite, adopt=leftover) as tmp:
        summaries = write_dataset(spec, tmp, progress=progress, shards=shards, engine=engine)
        files = tuple(sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()))
    return BuildResult(out=out, summaries=summaries, files=files)


def write_dataset(spec: DatasetSpec, folder: Path, *, workers: int = 1, progress: bool = True,
                  shards: tuple[int, int] | None = None, engine: Engine | None = None) -> dict:
    """Shards, card and contact sheets into a folder (empty, or holding the finished shards
    of an interrupted run of the same spec); the summaries by (family, split)."""
    spec.validate()
    engine = engine or Engine(workers=workers)
    folder = Path(folder).resolve() if engine.name == "ray" else Path(folder)  # Ray workers have other cwds
    tasks = plan_tasks(spec, folder)
    start, stop = shards or (0, len(tasks))
    write_plan(folder, spec, tasks, start, stop)
    remove_temps(folder)
    _run_missing(tasks[start:stop], engine, progress)
    remove_temps(folder)  # of workers killed and retried
    summaries = summaries_from_shards(folder, tasks[start:stop])
    if shards is None:
        (folder / PLAN_FILE).unlink()
        write_card(folder, spec, summaries, [t.filename for t in tasks])
    return summaries


def _run_missing(tasks: list, engine: Engine, progress: bool, present: set[str] | None = None) -> None:
    """Generate the shards of `tasks` that are not finished yet, on the engine (only those
    named in `present`, when given, can be: it saves a request per shard in a store)."""
    todo = [t for t in tasks if not ((present is None or t.filename in present) and is_finished(t))]
    if len(todo) < len(tasks):
        say(f"resuming: {len(tasks) - len(todo)} of {len(tasks)} shards already finished")
    if engine.name == "ray":
        from gen_stress.ray_engine import run_shards_ray

        run_shards_ray(todo, engine.ray_address, progress)
    else:
        run_shards(todo, engine.workers, progress)


def check_resumable(plan, spec: DatasetSpec, shards: tuple[int, int] | None, where: str) -> None:
    """Refuse to resume the run whose plan is `plan` with another spec or another slice."""
    if plan.digest != spec_hash(spec):
        difference = first_difference(plan.spec, spec_record(spec))
        raise UserError(f"cannot --resume: the interrupted run in {where} has another spec "
                        f"({difference}); run without --resume to start again")
    wanted = shards or (0, plan.total)
    if (plan.start, plan.stop) != tuple(wanted):
        raise UserError(f"cannot --resume: the interrupted run in {where} wrote --shards "
                        f"{plan.start}:{plan.stop}, not {wanted[0]}:{wanted[1]}")


def find_resumable(out: Path, spec: DatasetSpec, shards: tuple[int, int] | None) -> Path | None:
    """The staging folder of a killed run of this command and --out, if any; a killed run of
    another spec is refused with the first difference."""
    for folder in stale_partials(out):
        plan = read_plan(folder)
        if plan is None:
            continue
        check_resumable(plan, spec, shards, folder.name)
        return folder
    say(f"--resume: no interrupted run of --out {out} found; starting from the first shard")
    return None


# Object stores ------------------------------------------------------------------------

def build_in_store(spec: DatasetSpec, store: Store, *, overwrite: bool, progress: bool,
                   shards: tuple[int, int] | None, resume: bool, engine: Engine) -> BuildResult:
    """The dataset under an object-store prefix: the plan file first, each shard uploaded
    once complete (by whichever worker writes it), the card last (gen_stress.store)."""
    tasks = plan_tasks(spec, store.url)
    start, stop = shards or (0, len(tasks))
    present = store.names()
    resuming = resume and _resumable_in_store(store, present, spec, shards)
    if not resuming:
        _clear_for_writing(store, overwrite, present,
                           " or --resume to continue the run it holds" if PLAN_FILE in present else "")
    store.put_text(PLAN_FILE, plan_text(spec, tasks, start, stop))
    try:
        _run_missing(tasks[start:stop], engine, progress, set(present) if resuming else set())
    except BaseException as stop:  # a store has no staging folder to remove: say what stays
        say(f"{store.url} keeps the shards finished so far, without a card; the same command with --resume "
            "continues")
        if isinstance(stop, Terminated):
            stop.outcome = "the shards finished so far stay in the store"
        raise
    summaries = summaries_from_shards(Path("."), tasks[start:stop], store.open)
    if shards is None:
        finish_in_store(store, spec, summaries, [t.filename for t in tasks])
    return BuildResult(out=store.url, summaries=summaries, files=tuple(store.names()))


def _refuse_out_over_slices(out: str, slice_urls: list[str]) -> None:
    """An --out prefix that is, holds or lies inside a slice would be cleared before the
    slice is read (the store counterpart of staging's check of local inputs)."""
    def norm(url: str) -> str:
        return url.rstrip("/") + "/"

    for text in slice_urls:
        a, b = norm(out), norm(text)
        if a.startswith(b) or b.startswith(a):
            raise UserError(f"--out {out} overlaps the slice {text}: write the assembled dataset to another prefix")


def _resumable_in_store(store: Store, present: list[str], spec: DatasetSpec, shards) -> bool:
    """Whether the prefix holds a killed run of this spec and slice to continue."""
    if not present:
        say(f"--resume: {store.url} is empty; starting from the first shard")
        return False
    plan = read_plan(store) if PLAN_FILE in present else None
    if plan is None:
        raise UserError(f"cannot --resume: {store.url} holds no unfinished gen-stress run (no readable "
                        f"{PLAN_FILE}); pass --overwrite to replace it")
    check_resumable(plan, spec, shards, store.url)
    return True


def finish_in_store(store: Store, spec: DatasetSpec, summaries: dict, filenames: list[str]) -> None:
    """Write the card from the shards in the store, then upload it: contact sheets and
    licences, then the plan file goes, then README.md, the mark of a finished folder."""
    with scratch(Path(tempfile.gettempdir()), CARD_SCRATCH) as folder:
        write_card(folder, spec, summaries, filenames, ShardSource(tuple(filenames), store.open))
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.name != CARD:
                store.put(path, path.relative_to(folder).as_posix())
        store.remove([n for n in (PLAN_FILE,) if store.exists(n)])
        store.put(folder / CARD, CARD)


# Assembling slices --------------------------------------------------------------------

def assemble(slices: list, out, *, overwrite: bool = False) -> BuildResult:
    """Merge slice folders of one spec (local folders or object-store URLs) into a dataset
    folder or store prefix with its card, refusing slices of other specs, shards missing
    or given twice, and shards not of the spec."""
    sources = [_slice_store(text) for text in slices]
    plans = []
    for text, source in zip(slices, sources):
        plan = read_plan(source)
        if plan is None:
            raise UserError(f"{text} is not a slice folder: it has no readable {PLAN_FILE} "
                            "(write slices with --shards START:STOP)")
        plans.append(plan)
    first = plans[0]
    for text, plan in zip(slices[1:], plans[1:]):
        if plan.digest != first.digest:
            raise UserError(f"{text} is a slice of another spec than {slices[0]} "
                            f"({first_difference(first.spec, plan.spec)})")
    spec = spec_from_record(first.spec)
    tasks = plan_tasks(spec, Path("."))
    names = [t.filename for t in tasks]
    source = _shard_sources(slices, sources, plans, tasks)
    if is_url(out):
        _refuse_out_over_slices(str(out), [text for text in slices if is_url(text)])
        store = open_store(str(out))
        _clear_for_writing(store, overwrite, store.names())
        for name in names:
            _copy_shard(source[name], name, store)
        summaries = summaries_from_shards(Path("."), tasks, store.open)
        finish_in_store(store, spec, summaries, names)
        return BuildResult(out=store.url, summaries=summaries, files=tuple(store.names()))
    out = local_path(out)
    with staged(out, overwrite=overwrite, inputs=[local_path(s) for s in slices if not is_url(s)]) as tmp:
        for name in names:
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            _fetch_shard(source[name], name, target)
        summaries = summaries_from_shards(tmp, tasks)
        write_card(tmp, spec, summaries, names)
        files = tuple(sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file()))
    return BuildResult(out=out, summaries=summaries, files=files)


def _slice_store(text) -> Store:
    """A slice folder as a store (a local folder as a file:// one), checked before any work."""
    return open_store(str(text), "slice") if is_url(text) else Store(local_path(text).resolve().as_uri())


def _clear_for_writing(store: Store, overwrite: bool, present: list[str], hint: str = "") -> None:
    """Refuse a non-empty prefix without --overwrite; with it, empty the prefix (card first)."""
    if present and not overwrite:
        raise UserError(f"--out {store.url} is not empty ({len(present)} objects); pass --overwrite to "
                        f"replace them{hint}")
    if present:
        say(f"--overwrite: removing the {len(present)} objects under {store.url}, the card first")
        store.clear()


def _shard_sources(slices: list, sources: list[Store], plans: list, tasks: list) -> dict[str, Store]:
    """filename -> the slice holding it; every shard exactly once, complete, of this spec."""
    wanted = [t.filename for t in tasks]
    source: dict[str, Store] = {}
    label: dict[str, str] = {}
    for text, store, plan in zip(slices, sources, plans):
        for name in plan.files:
            if name in source:
                raise UserError(f"shard {name} is in two slices, {label[name]} and {text}")
            meta = stored_shard_metadata(store, name)
            if meta is None or meta.get("spec_hash") != tasks[0].spec_hash:
                raise UserError(f"{text} lacks shard {name} (missing, incomplete or of another spec); "
                                "rerun its slice")
            source[name], label[name] = store, str(text)
    missing = [name for name in wanted if name not in source]
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise UserError(f"{len(missing)} of {len(wanted)} shards are in no slice: {', '.join(missing[:3])}{more}")
    return source


def _local_file(store: Store, name: str) -> Path | None:
    """The local path of a file of a file:// store (None for a remote one)."""
    return Path(store.path(name)) if store.url.startswith("file:") else None


def _fetch_shard(source: Store, name: str, target: Path) -> None:
    """A shard into a local folder: a hard link where the file system allows (no second
    copy of big shards), else a copy or a download."""
    local = _local_file(source, name)
    if local is None:
        source.get(name, target)
        return
    try:
        os.link(local, target)
    except OSError:
        shutil.copyfile(local, target)


def _copy_shard(source: Store, name: str, target: Store) -> None:
    """A shard into a store, as one object that appears complete: a copy inside the store
    where both are of one kind, else an upload of a local (or downloaded) file."""
    local = _local_file(source, name)
    if local is not None:
        target.put(local, name)
    elif type(source.fs) is type(target.fs):
        target.fs.copy(source.path(name), target.path(name))
    else:
        with tempfile.TemporaryDirectory(prefix="gen-stress-copy-") as folder:
            source.get(name, Path(folder) / "shard")
            target.put(Path(folder) / "shard", name)
