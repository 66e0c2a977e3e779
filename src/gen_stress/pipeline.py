"""The one data path: plan an index, sample knobs, compose the scene and its answers,
render, verify, encode, write. Parallel workers write whole shards, or pieces of shards
that the parent joins; a sample depends only on (seed, family, index), so the bytes do
not depend on the worker count."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
from functools import partial
import math
import multiprocessing
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from gen_stress import capture, writing
from gen_stress.contract import make_row, row_features
from gen_stress.errors import GenerationError, UserError, clip
from gen_stress.generators import get_family
from gen_stress.generators.base import Family, Resample, SamplePlan
from gen_stress.knobs import Sweep, knob_specs, make_knobs
from gen_stress.osutil import die_with_parent, no_huge_pages
from gen_stress.questions import in_context
from gen_stress.rng import MAX_SEED, sample_rng
from gen_stress.scenes.fonts import warm_up
from gen_stress.scenes.render import render

EMOJI_FONT_NAME = "Noto Color Emoji"  # objects recorded with shape "emoji" are drawn in it
MAX_ATTEMPTS = 60  # scenes redrawn per index before giving up (with the reasons)
REDRAW_KNOBS_EVERY = 30  # attempts on one draw of the knobs before they are drawn again
ROW_GROUP = 100  # rows per parquet row group: bounds what a worker holds in memory
SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")
# Limits that keep planning small: the parent holds one small record per shard, never
# one per item. 10 million items of one family and split take days on one machine.
MAX_ITEMS = 10_000_000
MAX_SHARDS = 100_000


@dataclass(frozen=True)
class PartSpec:
    """One family in one split of a dataset."""

    family: str
    n: int
    seed: int = 0
    split: str = "test"
    sweeps: tuple[Sweep, ...] = ()
    settings: tuple[tuple[str, Any], ...] = ()  # knobs pinned to one value
    subtasks: tuple[str, ...] = ()  # restrict to these leaves (empty: all)
    options: tuple[tuple[str, Any], ...] = ()  # family options, e.g. ("pairs", True)
    # knob values kept out of this part (e.g. fonts seen only in test): (knob, values)
    hold_out: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def validate(self, size: tuple[int, int] = (512, 512)) -> None:
        """One-line UserError for anything that would fail later; runs before any worker."""
        family = get_family(self.family)
        if self.n < 1:
            raise UserError(f"--n must be at least 1, got {self.n}")
        if self.n > MAX_ITEMS:
            raise UserError(f"--n must be at most {MAX_ITEMS:,} per family and split, got {clip(self.n)}")
        if not 0 <= self.seed <= MAX_SEED:
            raise UserError(f"--seed must be from 0 to {MAX_SEED} (2^63 - 1), got {clip(self.seed)}")
        if not SPLIT_NAME.match(self.split):
            raise UserError(f"split name {self.split!r} must be letters, digits and underscores")
        for leaf in self.subtasks:
            if leaf not in family.subtasks:
                raise UserError(f"unknown subtask {leaf!r} of {self.family}; choose from {', '.join(family.subtasks)}")
        options = dict(self.options)
        if options.get("pairs") and not family.pairs and not capture.uses_capture(self) and \
                not in_context.context_pairs(family, self):  # capture twins, or a context's own
            some = in_context.pair_subtasks(family, self)
            if some:
                raise UserError(f"family {self.family} makes minimal pairs (--pairs) here only for "
                                f"{', '.join(some)}: pick those with --subtask")
            raise UserError(f"family {self.family} does not make minimal pairs (--pairs)")
        swept = [s.knob for s in self.sweeps]
        pinned = [k for k, _ in self.settings]
        for name in set(swept) & set(pinned) | {k for k in swept if swept.count(k) > 1}:
            raise UserError(f"knob {name} is both swept and set, or swept twice")
        self._validate_hold_out(family)
        writing.check_part(family, self)  # before the context's check: it names what is refused
        in_context.check_part(family, self)
        in_context.check_size(self, size)
        self._validate_plans(family, size)

    def _validate_plans(self, family: Family, size: tuple[int, int]) -> None:
        """The family's check of every distinct plan: each subtask the part makes, with
        each sweep cell (sweep cells cycle fastest, so index k * cells is cell 0 of the
        k-th subtask). The subtask needing the largest image goes first, so a size error
        names the size that suits them all."""
        cells = math.prod(len(s.values) for s in self.sweeps)
        firsts = [plan_for(family, self, k * cells, size) for k in range(len(self.subtasks or family.subtasks))]
        names = [s.knob for s in self.sweeps]
        plans = {p.subtask: p for p in firsts}.values()
        for plan in sorted(plans, key=lambda p: -family.min_side.get(p.subtask, 0)):
            for cell in itertools.product(*(s.values for s in self.sweeps)):
                pinned = {**dict(self.settings), **dict(zip(names, cell))}
                if pinned.get(in_context.CONTEXT_KNOB, in_context.ABSTRACT) != in_context.ABSTRACT:
                    # A real-world context (checked by in_context above): text larger than it draws, tried
                    check_text_reach(family, self, dataclasses.replace(plan, pinned=pinned), size)
                    continue
                pinned.pop(in_context.CONTEXT_KNOB, None)
                family.check_plan(dataclasses.replace(plan, pinned=pinned))

    def _validate_hold_out(self, family: Family) -> None:
        """Held-out values must be values the part could otherwise produce, and never the
        only ones it can produce (a pinned, swept or, under a sweep, easy value)."""
        specs = knob_specs(family.Knobs)
        pinned = dict(self.settings)
        swept = {s.knob: s.values for s in self.sweeps}
        for name, values in self.hold_out:
            if name not in specs:
                raise UserError(f"cannot hold out {name!r}: not a knob of {self.family} (its knobs: {', '.join(specs)})")
            spec = specs[name]
            for value in values:
                spec.check(value)
            if name in pinned and pinned[name] in values:
                raise UserError(f"{self.family} knob {name} is set to {pinned[name]!r}, which is held out")
            if set(swept.get(name, ())) & set(values):
                raise UserError(f"{self.family} knob {name} sweeps over a held-out value")
            if self.sweeps and not spec.derived and name not in swept and name not in pinned and spec.easy in values:
                raise UserError(f"{self.family} knob {name}: its easy value {spec.easy!r} (used under a sweep) "
                                "is held out")
            if spec.choices is not None and set(spec.choices) <= set(values):
                raise UserError(f"{self.family} knob {name}: every value is held out")


@dataclass(frozen=True)
class DatasetSpec:
    parts: tuple[PartSpec, ...]
    width: int = 512
    height: int = 512
    rows_per_shard: int = 500
    command: str = ""  # the command line that rebuilds the dataset (for the card)
    title: str = ""
    card_extra: tuple[tuple[str, str], ...] = ()  # extra card sections (heading, markdown)

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def validate(self) -> None:
        """Everything about the dataset that can be refused before any work."""
        for part in self.parts:
            part.validate(self.size)
        keys = [(p.family, p.split) for p in self.parts]
        if len(set(keys)) != len(keys):
            raise UserError("a family and split appear twice in one dataset")
        if self.rows_per_shard < 1:
            raise UserError(f"--rows-per-shard must be at least 1, got {self.rows_per_shard}")
        shards = sum(math.ceil(p.n / self.rows_per_shard) for p in self.parts)
        if shards > MAX_SHARDS:
            raise UserError(f"--rows-per-shard {self.rows_per_shard} makes {shards:,} shards, more than "
                            f"{MAX_SHARDS:,}; use larger shards")


# Planning: which subtask and pinned knobs an index gets ------------------------------

def plan_for(family: Family, part: PartSpec, index: int, size: tuple[int, int] = (512, 512)) -> SamplePlan:
    """Sweep cells cycle fastest, then subtasks, then the balance slot: every stratum
    gets an even share of every value, and the plan is a pure function of the index."""
    grid = list(itertools.product(*(s.values for s in part.sweeps))) or [()]
    cell = dict(zip((s.knob for s in part.sweeps), grid[index % len(grid)]))
    rest = index // len(grid)
    eligible = list(part.subtasks or family.subtasks)
    if part.sweeps:
        specs = knob_specs(writing.part_knobs(family, part))
        primary = [leaf for leaf in eligible if any(leaf in specs[s.knob].primary_for for s in part.sweeps)]
        eligible = primary or eligible
    subtask = eligible[rest % len(eligible)]
    pinned = {**dict(part.settings), **cell}
    return SamplePlan(index=index, subtask=subtask, pinned=pinned, easy=bool(part.sweeps),
                      slot=rest // len(eligible), options=dict(part.options), size=size,
                      hold_out={name: frozenset(values) for name, values in part.hold_out})


def _reason_kind(reason: str) -> str:
    """A reason without its particulars, so that counts group ("text '…' is 3% covered")."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?%?", "…", reason)


PROBE_TRIALS = 24  # pages a context lays out before any work, for each end of an item's style ...
PROBE_FITS = 6  # ... of which a quarter must fit: an item's 60 attempts then all fail once in 10^7
PROBE_SEED = 0x7E57  # the trial pages' streams, the same whatever the run's --seed


def check_text_reach(family: Family, part: PartSpec, plan: SamplePlan, size: tuple[int, int]) -> None:
    """A real-world context asked for text larger than it draws itself (a `text_px` set
    or swept above in_context.DRAWN_TEXT_PX) lays out trial pages first: a page holds
    only so large a title, footnote or stamp, and a run would stop on the first item that
    never fits. An item keeps its drawn style (font class, outline, angle) and its turn for
    all its attempts, so a quarter of the trial pages must fit at every end of them
    (in_context.trial_styles), or the value is refused in one line."""
    text_px = plan.pinned.get("text_px")
    if family.name != "ocr" or text_px is None:
        return
    highest = in_context.drawn_text_px(plan.subtask, size)[1]
    if text_px <= highest:
        return
    camera = capture.Camera.for_index(family, part, plan)
    for turn in range(in_context.turns_of(family, plan)):
        turn_plan = dataclasses.replace(plan, slot=turn)
        for style in in_context.trial_styles(family, turn_plan):
            fits, reasons, examples = 0, Counter(), {}
            for trial in range(PROBE_TRIALS):
                trial_plan = dataclasses.replace(turn_plan, index=trial)
                trial_plan = camera.scene_plan(trial_plan) if camera is not None else trial_plan
                rng = sample_rng(PROBE_SEED, family.name, trial)
                knobs = {**in_context.knob_values(family, trial_plan, rng), **style}
                try:
                    in_context.compose(family, trial_plan, knobs, rng, size)
                except Resample as why:
                    reasons[_reason_kind(str(why))] += 1
                    examples.setdefault(_reason_kind(str(why)), str(why))
                    continue
                fits += 1
                if fits == PROBE_FITS:
                    break
            else:
                where = "".join(f", {k}={v}" for k, v in {**plan.pinned, **style}.items()
                                if k in writing.KNOB_NAMES or k in style)
                raise UserError(f"{family.name}/{plan.subtask} in context {plan.pinned[in_context.CONTEXT_KNOB]}: "
                                f"text_px={text_px} fits {fits} of {PROBE_TRIALS} trial pages at {size[0]}x{size[1]}"
                                f"{where} (most often: {examples[reasons.most_common(1)[0][0]]}); set text_px to {highest} "
                                f"or less (what the context draws there) or use a larger --size")


def held_out_value(family: Family, part: PartSpec, drafts: list) -> str:
    """The first held-out value the drafts show or ask about, as a reason ("" if none)."""
    for name, values in part.hold_out:
        for draft in drafts:
            shown = family.shown_values(draft, name) & set(values)
            if shown:
                return f"held-out {name} '{sorted(map(str, shown))[0]}'"
    return ""


def generate_index(family: Family, part: PartSpec, size: tuple[int, int], index: int,
                   resampled: Counter | None = None) -> list[dict]:
    """The rows of one index: resampled from its own random stream until the render
    passes every check, at most MAX_ATTEMPTS times."""
    rng = sample_rng(part.seed, family.name, index)
    plan = plan_for(family, part, index, size)
    camera = capture.Camera.for_index(family, part, plan)
    plan = camera.scene_plan(plan) if camera is not None else plan
    if in_context.context_of(plan) != in_context.ABSTRACT:  # a real-world context: questions over its page
        knobs = in_context.knob_values(family, plan, rng)
        compose, verify = partial(in_context.compose, family), in_context.verify
    else:
        values = family.easy_knobs(plan.subtask) if plan.easy else family.draw_knobs(plan, rng)
        knobs = make_knobs(writing.part_knobs(family, part), {**values, **plan.pinned})
        compose, verify = family.compose, family.verify
    redraw = in_context.context_of(plan) == in_context.ABSTRACT and not plan.easy
    reasons: Counter = Counter()
    examples: dict[str, str] = {}  # reason kind -> its first reason in full, for the error message

    def note(reason: str) -> None:
        kind = _reason_kind(reason)
        reasons[kind] += 1
        examples.setdefault(kind, reason)

    for attempt in range(MAX_ATTEMPTS):
        if redraw and attempt and attempt % REDRAW_KNOBS_EVERY == 0:
            # Drawn knobs no scene can have (a date too long for the drawn size in this
            # script): drawn again, the pinned ones kept.
            knobs = make_knobs(writing.part_knobs(family, part), {**family.draw_knobs(plan, rng), **plan.pinned})
        try:
            drafts = compose(plan, knobs, rng, size)
        except Resample as why:
            note(str(why))
            continue
        held = held_out_value(family, part, drafts)
        if held:  # checked on the final knobs, so derived ones (the font) count too
            note(held)
            if not plan.easy:  # the held-out value may be a drawn knob: draw them again
                knobs = make_knobs(writing.part_knobs(family, part), {**family.draw_knobs(plan, rng),
                                                                         **plan.pinned})
            continue
        renders = _render_each_scene_once(drafts)
        failures = [f for d, r in zip(drafts, renders) for f in verify(d, r)]
        if failures:
            note(failures[0])
            continue
        drafts = [in_context.finalize(d, r) for d, r in zip(drafts, renders)]
        if camera is not None:  # photographed: geometry mapped, answers judged again on the photo
            try:
                drafts, renders = camera.shoot(drafts, renders)
            except Resample as why:
                note(str(why))
                continue
        if resampled is not None:
            resampled.update(reasons)
        rows = [make_row(family, d, r, seed=part.seed, index=index) for d, r in zip(drafts, renders)]
        if camera is not None:
            for row, r in zip(rows, renders):
                row["scene"] = capture.map_scene_record(row["scene"], r)
        return rows
    common = ", ".join(f"{examples.get(r, r)} ({c}x)" for r, c in reasons.most_common(3))
    raise GenerationError(
        f"{family.name} index {index} ({plan.subtask}, knobs {dict(plan.pinned) or 'drawn'}): "
        f"no scene passed its checks in {MAX_ATTEMPTS} attempts: {common}"
    )


def _render_each_scene_once(drafts: list) -> list:
    """Renders of the drafts, rows that share one scene (a question and its caption)
    sharing one render."""
    renders: dict[int, object] = {}
    for draft in drafts:
        if id(draft.scene) not in renders:
            renders[id(draft.scene)] = render(draft.scene)
    return [renders[id(d.scene)] for d in drafts]


# Shards -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ShardTask:
    part: PartSpec
    size: tuple[int, int]
    shard: int
    n_shards: int
    start: int
    stop: int
    directory: str  # absolute for engines whose workers run elsewhere (Ray), or a store URL
    spec_hash: str = ""  # of the dataset spec, recorded in the shard (see gen_stress.shards)

    @property
    def filename(self) -> str:
        return f"{self.part.family}/{self.part.split}-{self.shard:05d}-of-{self.n_shards:05d}.parquet"


@dataclass
class Summary:
    """What the card reports about rows: counts, knob ranges, answers, resampling."""

    rows: int = 0
    subtasks: Counter = field(default_factory=Counter)
    answer_types: Counter = field(default_factory=Counter)
    unanswerable: Counter = field(default_factory=Counter)  # by subtask
    yes_no: Counter = field(default_factory=Counter)  # yes/no items by subtask
    yes: Counter = field(default_factory=Counter)  # ... of which the answer is yes
    numeric: dict = field(default_factory=dict)  # knob -> [min, max]
    categorical: dict = field(default_factory=dict)  # knob -> Counter
    fonts: Counter = field(default_factory=Counter)
    resampled: Counter = field(default_factory=Counter)

    def add_batch(self, batch) -> None:
        """Every row of a record batch of the columns the card counts (shards.SUMMARY_COLUMNS),
        column by column: the counts and ranges a row-by-row walk gives, each value counted
        in the order first seen, without a dict per row and per text."""
        subtasks = batch.column("subtask").to_pylist()
        kinds = batch.column("answer_type").to_pylist()
        self.rows += len(subtasks)
        self.subtasks.update(subtasks)
        self.answer_types.update(kinds)
        for subtask, answerable in zip(subtasks, batch.column("answerable").to_pylist()):
            self.unanswerable[subtask] += not answerable
        for subtask, kind, answer in zip(subtasks, kinds, batch.column("answer").to_pylist()):
            if kind == "yes_no":
                self.yes_no[subtask] += 1
                self.yes[subtask] += answer == "yes"
        difficulty = batch.column("difficulty")
        for k, knob in enumerate(difficulty.type):
            self._add_knob(knob.name, difficulty.field(k).to_pylist())
        scene = batch.column("scene")
        self.fonts.update(scene.field("texts").flatten().field("font").to_pylist())
        emoji = scene.field("objects").flatten().field("shape").to_pylist().count("emoji")
        if emoji:
            self.fonts[EMOJI_FONT_NAME] += emoji

    def _add_knob(self, name: str, values: list) -> None:
        for value in values:
            if value is None:  # a knob the row's context does not use
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                lo_hi = self.numeric.setdefault(name, [value, value])
                lo_hi[0], lo_hi[1] = min(lo_hi[0], value), max(lo_hi[1], value)
            else:
                self.categorical.setdefault(name, Counter())[str(value)] += 1

    def merge(self, other: Summary) -> Summary:
        self.rows += other.rows
        for name in ("subtasks", "answer_types", "fonts", "resampled", "unanswerable", "yes_no", "yes"):
            getattr(self, name).update(getattr(other, name))
        for name, (lo, hi) in other.numeric.items():
            mine = self.numeric.setdefault(name, [lo, hi])
            mine[0], mine[1] = min(mine[0], lo), max(mine[1], hi)
        for name, counts in other.categorical.items():
            self.categorical.setdefault(name, Counter()).update(counts)
        return self


_progress_queue = None


def _init_worker(queue, parent_pid: int) -> None:
    """A worker ends with its parent: killed by SIGTERM when the parent dies (prctl on
    Linux, a watchdog thread elsewhere), quietly (default SIGTERM, no SIGINT traceback:
    the parent handles Ctrl-C and terminates the pool)."""
    global _progress_queue
    _progress_queue = queue
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not die_with_parent(signal.SIGTERM):
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)


def _queue_tick(samples: int) -> None:
    """Progress from a worker, to the parent's bar."""
    if _progress_queue is not None:
        _progress_queue.put(samples)


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(0.5)
    os._exit(1)


def write_shard(task: ShardTask, tick: Callable[[int], None] | None = None) -> ShardTask:
    """Write one shard (see _put_shard). Its footer records the spec hash and the
    resampling counts (see gen_stress.shards)."""
    tick = tick or _queue_tick
    with no_huge_pages():  # a spawned or Ray worker too (see osutil)
        _put_shard(task, lambda temp: _write_rows(task, temp, tick))
    return task


def _put_shard(task: ShardTask, write: Callable[[Path], None]) -> None:
    """The shard file made by `write(path)` so that no reader ever sees part of it: into
    a local folder under a temporary name, renamed into place; to an object store as a
    local file uploaded in one request once complete (gen_stress.store)."""
    from gen_stress.shards import temp_name
    from gen_stress.store import is_url, upload_shard

    if is_url(task.directory):
        upload_shard(task.directory, task.filename, write)
        return
    path = Path(task.directory) / task.filename
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(temp_name(path.name))
    try:
        write(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_rows(task: ShardTask, path: Path, tick: Callable[[int], None]) -> None:
    """The shard's rows as parquet at `path`, row group by row group, then its footer."""
    schema = _shard_schema(task)
    resampled: Counter = Counter()
    groups = (rows_table(rows, schema)
              for rows, _ in _row_batches(task, task.start, task.stop, tick, resampled))
    _write_parquet(path, task, groups, resampled)


def _write_parquet(path: Path, task: ShardTask, groups: Iterator[pa.Table], resampled: Counter) -> None:
    """A shard's parquet file: one row group per table, then the footer (`resampled` is
    read once the groups are written: it fills as they are made)."""
    from gen_stress.shards import shard_metadata

    with pq.ParquetWriter(path, _shard_schema(task)) as writer:
        for table in groups:
            writer.write_table(table)
        writer.add_key_value_metadata(shard_metadata(task, resampled))


def rows_table(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """`pa.Table.from_pylist(rows, schema=schema)`, the same table, its image column built
    from the encoded images joined once: from_pylist grows the column's data buffer as it
    copies image after image, a tenth of a millisecond per shelf picture."""
    data = [row["image"]["bytes"] for row in rows]
    sizes = [len(d) for d in data]
    if sum(sizes) >= 2**31:  # past a binary column's 32-bit offsets: pyarrow's own way
        return pa.Table.from_pylist(rows, schema=schema)
    at = schema.get_field_index("image")
    image_type = schema.field("image").type
    rest = pa.schema([f for f in schema if f.name != "image"])
    table = pa.Table.from_pylist([{k: v for k, v in row.items() if k != "image"} for row in rows], schema=rest)
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum(sizes, out=offsets[1:])
    png = pa.Array.from_buffers(image_type["bytes"].type, len(data),
                                [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])
    paths = pa.array([row["image"]["path"] for row in rows], image_type["path"].type)
    images = pa.StructArray.from_arrays([png, paths], fields=list(image_type))
    return table.add_column(at, schema.field("image"), images).replace_schema_metadata(schema.metadata)


def _shard_schema(task: ShardTask) -> pa.Schema:
    family = get_family(task.part.family)
    return row_features(family, writing.part_knobs(family, task.part), shaped=writing.uses_script(task.part)).arrow_schema


def _row_batches(task: ShardTask, start: int, stop: int, tick: Callable[[int], None],
                 resampled: Counter) -> Iterator[tuple[list[dict], list[int]]]:
    """The rows of indices [start, stop) of a shard in the shard's row groups, each with
    its rows per index: a group closes after the index that brings it to ROW_GROUP rows,
    and after the last index (what a piece writes is grouped again the same way)."""
    family = get_family(task.part.family)
    with _settled_heap() as settle:
        batch: list[dict] = []
        counts: list[int] = []
        groups = 0
        for index in range(start, stop):
            rows = generate_index(family, task.part, task.size, index, resampled)
            batch.extend(rows)
            counts.append(len(rows))
            settle()  # the item's rows wait for their row group out of young collections
            tick(1)
            if _group_closes(len(batch), index == stop - 1):
                yield batch, counts
                batch, counts = [], []
                groups += 1
                if groups % FULL_GC_GROUPS == 0:
                    settle(full=True)


def _group_closes(rows: int, last: bool) -> bool:
    return rows >= ROW_GROUP or last


# Pieces ------------------------------------------------------------------------------
# A shard's rows depend only on its indices, so when a run has fewer shards than its
# workers can share evenly (a --n 500 run is one shard), shards are cut into pieces:
# each worker writes its indices' rows to a hidden Arrow file, and the parent joins a
# shard's pieces, in order, into the parquet file one worker would have written, byte
# for byte (the same row groups, the same footer).

PIECES_PER_WORKER = 4  # units of work per worker that a run's shards are cut into, at least ...
MIN_PIECE = 25  # ... while a piece keeps this many indices


@dataclass(frozen=True)
class Piece:
    """Indices [start, stop) of a shard, written by a worker to `path` for the parent to
    join (a hidden temporary name: a killed run's pieces are removed like its shards')."""

    task: ShardTask
    start: int
    stop: int
    path: str


def cut_into_pieces(tasks: list[ShardTask], workers: int) -> list[tuple[ShardTask, list[Piece]]]:
    """Each local shard with its pieces (none: written whole) when the shards are fewer
    than PIECES_PER_WORKER per worker."""
    from gen_stress.shards import temp_name
    from gen_stress.store import is_url

    units = PIECES_PER_WORKER * workers
    cut = max(1, math.ceil(units / len(tasks))) if workers > 1 and len(tasks) < units else 1
    plan = []
    for task in tasks:
        count = task.stop - task.start
        k = 1 if is_url(task.directory) else max(1, min(cut, count // MIN_PIECE))
        if k == 1:
            plan.append((task, []))
            continue
        bounds = [task.start + count * j // k for j in range(k + 1)]
        shard = Path(task.directory) / task.filename
        plan.append((task, [Piece(task, a, b, str(shard.with_name(temp_name(f"{shard.name}.piece{j:03d}"))))
                            for j, (a, b) in enumerate(zip(bounds, bounds[1:]))]))
    return plan


def write_piece(piece: Piece) -> tuple[list[int], list]:
    """A piece's rows as Arrow IPC at its path; (rows per index, resampling counts in the
    order they arose)."""
    tick = _queue_tick
    task = piece.task
    schema = _shard_schema(task)
    resampled: Counter = Counter()
    counts: list[int] = []
    Path(piece.path).parent.mkdir(parents=True, exist_ok=True)
    with no_huge_pages():
        try:
            with pa.OSFile(piece.path, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
                for rows, per_index in _row_batches(task, piece.start, piece.stop, tick, resampled):
                    writer.write_table(rows_table(rows, schema))
                    counts.extend(per_index)
        except BaseException:
            Path(piece.path).unlink(missing_ok=True)
            raise
    return counts, list(resampled.items())


def join_pieces(task: ShardTask, pieces: list[Piece], written: list[tuple[list[int], list]]) -> None:
    """The shard from its pieces (and what write_piece returned for each), the file
    _write_rows makes, put in place as write_shard puts it; the pieces removed."""
    counts = [count for per_index, _ in written for count in per_index]
    resampled: Counter = Counter()
    for _, pairs in written:  # (first arisen first, as one worker's counter)
        resampled.update(dict(pairs))

    def groups(table: pa.Table) -> Iterator[pa.Table]:
        start = rows = 0
        for k, count in enumerate(counts):
            rows += count
            if _group_closes(rows, k == len(counts) - 1):
                # One chunk, as the table one worker makes (chunks could move page breaks).
                yield table.slice(start, rows).combine_chunks()
                start, rows = start + rows, 0

    def write(path: Path) -> None:
        table = pa.concat_tables(pa.ipc.open_file(pa.memory_map(piece.path)).read_all() for piece in pieces)
        _write_parquet(path, task, groups(table), resampled)

    try:
        _put_shard(task, write)
    finally:
        for piece in pieces:
            Path(piece.path).unlink(missing_ok=True)


FULL_GC_GROUPS = 10  # row groups between full garbage collections (see _settled_heap)
YOUNG_GC_THRESHOLD = 20_000  # allocations between young collections while rows are made (Python's default: 700)


@contextlib.contextmanager
def _settled_heap():
    """Python's cyclic garbage collector, told what lives long. A worker holds a large,
    lasting heap (fonts, their tables, glyph and layout caches) and makes thousands of
    short-lived objects per item; every full collection walked the whole heap, about a
    sixth of the CPU of a dense page. Between row groups what is alive is frozen (left
    out of collections; still freed when no longer referenced), with a full collection
    every FULL_GC_GROUPS groups, so cyclic garbage never piles up with --n. Young
    collections run every YOUNG_GC_THRESHOLD allocations instead of 700: most of an item's
    objects are freed by reference counting before a collection would walk them (the
    collector's share of a dense page's CPU fell from about 3.5% to 1.5%). What is alive
    is also frozen after every item: its rows wait for their row group, and young
    collections had walked every list and dict of them to find nothing (an item leaves no
    cyclic garbage), a quarter of a millisecond per shelf item. gc.freeze is cheap (it
    splices lists). Bytes do not depend on it."""

    def settle(full: bool = False) -> None:
        if full:
            gc.unfreeze()
            gc.collect()
        gc.freeze()

    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *thresholds[1:])
    gc.freeze()
    try:
        yield settle
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def shard_tasks(spec: DatasetSpec, part: PartSpec, directory: Path, spec_hash: str = "") -> list[ShardTask]:
    n_shards = max(1, math.ceil(part.n / spec.rows_per_shard))
    per = math.ceil(part.n / n_shards)
    return [
        ShardTask(part, spec.size, k, n_shards, k * per, min(part.n, (k + 1) * per), str(directory), spec_hash)
        for k in range(n_shards)
    ]


def run_shards(tasks: list[ShardTask], workers: int, progress: bool) -> None:
    """Write every shard, `workers` at a time (shards cut into pieces when they are too
    few to share), with one progress bar over all samples."""
    if not tasks:
        return
    total = sum(t.stop - t.start for t in tasks)
    families = sorted({t.part.family for t in tasks})
    bar = tqdm(total=total, unit="sample", desc="generating " + ",".join(families), disable=not progress,
               dynamic_ncols=True)
    plan = cut_into_pieces(tasks, workers)
    try:
        if workers <= 1 or _units(plan) == 1:
            for task in tasks:
                write_shard(task, tick=bar.update)
            return
        _run_in_pool(plan, workers, bar)
    finally:
        bar.close()
        for _, pieces in plan:  # of shards not joined (an error, Ctrl-C)
            for piece in pieces:
                Path(piece.path).unlink(missing_ok=True)


def _units(plan: list[tuple[ShardTask, list[Piece]]]) -> int:
    """Jobs for workers: the pieces, and the shards written whole."""
    return sum(len(pieces) or 1 for _, pieces in plan)


def _run_in_pool(plan: list[tuple[ShardTask, list[Piece]]], workers: int, bar) -> None:
    """The plan's shards and pieces on a pool of workers; a shard's pieces joined here
    as soon as all of them are written."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    if method == "fork":  # once here, inherited by every worker
        warm_up()
        _warm_parts([task for task, _ in plan])
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    with ctx.Pool(min(workers, _units(plan)), initializer=_init_worker, initargs=(queue, os.getpid())) as pool:
        running = [(task, pieces, [pool.apply_async(write_piece, (p,)) for p in pieces] if pieces
                    else [pool.apply_async(write_shard, (task,))]) for task, pieces in plan]
        while running:
            _drain(queue, bar, timeout=0.2)
            waiting = []
            for task, pieces, results in running:
                for result in results:
                    if result.ready() and not result.successful():
                        result.get()  # re-raises the worker's error
                if not all(result.ready() for result in results):
                    waiting.append((task, pieces, results))
                elif pieces:
                    join_pieces(task, pieces, [result.get() for result in results])
            running = waiting
        _drain(queue, bar, timeout=0)


def _warm_parts(tasks: list[ShardTask]) -> None:
    """The first item of each part made here and dropped, before the workers fork: what
    every worker would otherwise work out alike on its first items (a context's data
    files read, patterns compiled, knob classes made, fonts opened, common glyphs drawn)
    is inherited instead. Caches never change bytes."""
    first: dict = {}  # one item per family and pinned knobs (a context): splits and seeds share the rest
    for task in tasks:
        first.setdefault((task.part.family, task.part.settings, task.size), (task.part, task.start))
    for (_, _, size), (part, index) in first.items():
        try:
            generate_index(get_family(part.family), part, size, index)
        except GenerationError:
            pass  # the worker that owns the item reports it


def _drain(queue, bar, timeout: float) -> None:
    import queue as queue_module

    try:
        bar.update(queue.get(timeout=timeout) if timeout else queue.get_nowait())
        while True:
            bar.update(queue.get_nowait())
    except queue_module.Empty:
        pass


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
