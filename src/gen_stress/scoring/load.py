"""The rows to score, from a dataset folder or a Hub repo (the same `datasets` call)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Collection, Sequence

from gen_stress.errors import UserError

# Everything scoring reads; the images stay unread.
ROW_COLUMNS = ("id", "family", "subtask", "question", "answer", "answer_type", "choices", "aliases", "answerable",
               "difficulty", "group_id", "index", "scene")  # the scene: gold objects of caption items; the
# question: whether it letters its options
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def _one_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def load_items(dataset: str, *, split: str = "test", revision: str | None = None,
               families: Sequence[str] = (), columns: Sequence[str] = ROW_COLUMNS,
               ids: Collection[str] | None = None) -> tuple[list[dict], list[str]]:
    """Rows (without images) of every family config of the dataset, or of `families`, in
    split order; and the family names. A local folder is read offline; anything else must
    look like a Hub repo id. `columns` other than the default (with "image": its PNG bytes,
    undecoded) and `ids` (only those rows) serve the HTML report's gallery."""
    import datasets

    local = Path(dataset)
    if local.exists():
        if not local.is_dir():
            raise UserError(f"dataset {dataset} is a file; give the dataset folder or a Hub repo id")
        if revision:
            raise UserError("--revision applies to Hub repo ids, not to a local folder")
    elif not REPO_ID.match(dataset):
        raise UserError(f"dataset {dataset!r} is neither an existing folder nor a Hub repo id (org/name)")
    progress = datasets.utils.logging.is_progress_bar_enabled()
    datasets.utils.logging.disable_progress_bar()
    cache = None
    try:
        try:
            configs = datasets.get_dataset_config_names(dataset, revision=revision)
        except Exception as err:  # datasets raises many kinds for a missing or unreadable dataset
            raise UserError(f"cannot open dataset {dataset}: {_one_line(err)}") from None
        chosen = list(families) or [c for c in configs if c != "default"]
        for name in chosen:
            if name not in configs:
                raise UserError(f"dataset {dataset} has no family {name!r}; it has {', '.join(configs)}")
        cache = _private_cache(local, chosen) if local.exists() else None
        rows: list[dict] = []
        for name in chosen:
            try:
                table = datasets.load_dataset(dataset, name, split=split, revision=revision, columns=list(columns),
                                              cache_dir=cache.name if cache else None)
            except Exception as err:
                raise UserError(f"cannot load {name}/{split} of {dataset}: {_one_line(err)}") from None
            if "image" in columns:
                table = table.cast_column("image", datasets.Image(decode=False))
            if ids is not None:
                table = table.select([k for k, row_id in enumerate(table["id"]) if row_id in ids])
            rows.extend(table.to_list())
    finally:
        if cache is not None:
            cache.cleanup()
        if progress:
            datasets.utils.logging.enable_progress_bar()
    if not rows and ids is None:
        raise UserError(f"dataset {dataset} has no rows in split {split!r}")
    return rows, chosen


def _private_cache(folder: Path, chosen: Sequence[str]) -> tempfile.TemporaryDirectory | None:
    """None (the shared `datasets` cache, which harnesses read too) when the card's
    fingerprints match the files; else a throw-away cache, so the report scores the
    files as they are, and a note that harnesses may see other rows."""
    from gen_stress.export.source import DatasetFolder
    from gen_stress.fingerprint import stale_configs
    from gen_stress.staging import say

    try:
        configs = [c for c in DatasetFolder.open(folder).card["configs"] if c.get("config_name") in chosen]
    except UserError:
        configs = []
    stale = stale_configs(folder, configs) if configs else list(chosen)
    if not stale:
        return None
    say(f"note: the card of {folder} has no fingerprint matching the files of {', '.join(stale)} (an older "
        "gen-stress, or files changed since): scored from the files, but `datasets.load_dataset` and harnesses "
        "may read other rows from their cache; regenerate the folder (README: Safety)")
    return tempfile.TemporaryDirectory(prefix="gen-stress-score-")
