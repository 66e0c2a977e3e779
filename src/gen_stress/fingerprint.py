"""The content fingerprint a dataset card carries, so that the `datasets` cache never
serves one folder's rows for another's.

`datasets` caches a local folder under its base name, the config name and a hash of the
card's `configs:` entries, whose `data_files` are glob patterns: two folders named alike,
or one folder regenerated in place, share one cache entry, and the first rows cached are
served for all of them. Each config therefore records the sha256 of its files' bytes in
its `description` (a builder-config field that `datasets` hashes into that key): other
bytes, another cache entry; the same bytes, the same rows.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from gen_stress.store import Opener, folder_opener

FIELD = "description"  # the `configs:` field that carries the fingerprint
DIGEST = re.compile(r"\bsha256 ([0-9a-f]{64})\b")
CHUNK = 1 << 20


def files_sha256(folder: Path, files: Iterable[str], open_file: Opener | None = None) -> str:
    """One sha256 over the files' relative paths and bytes, in sorted order (the files of
    `folder`, or the ones `open_file` opens by name)."""
    total = hashlib.sha256()
    open_file = open_file or folder_opener(folder)
    for name in sorted(files):
        digest = hashlib.sha256()
        with open_file(name) as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        total.update(f"{name}\0{digest.hexdigest()}\n".encode())
    return total.hexdigest()


def describe(config: str, digest: str) -> str:
    return f"gen-stress {config}: files sha256 {digest}"


def config_files(folder: Path, config: dict, names: Iterable[str] | None = None) -> list[str]:
    """The files (relative posix paths) that a `configs:` entry's data_files select, in
    `folder` or, when given, among `names` (the files of a folder in an object store)."""
    entries = config.get("data_files") or []
    patterns = [entry["path"] for entry in entries if isinstance(entry, dict) and "path" in entry]
    patterns = [p for item in patterns for p in (item if isinstance(item, list) else [item])]
    if names is not None:
        return sorted({name for name in names if any(fnmatch.fnmatchcase(name, p) for p in patterns)})
    found = {path.relative_to(folder).as_posix() for pattern in patterns for path in Path(folder).glob(pattern)
             if path.is_file()}
    return sorted(found)


def stale_configs(folder: Path, configs: list[dict]) -> list[str]:
    """The configs whose recorded fingerprint is missing or differs from their files:
    `datasets` may serve cached rows of another folder for them."""
    stale = []
    for config in configs:
        recorded = DIGEST.search(str(config.get(FIELD) or ""))
        files = config_files(folder, config)
        if recorded is None or recorded[1] != files_sha256(folder, files):
            stale.append(str(config.get("config_name")))
    return stale
