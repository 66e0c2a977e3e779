"""Dataset folders in an object store (`--out s3://bucket/prefix`, `gs://...`, any
fsspec URL), for runs whose shards are written where every machine can reach them.

An object store has no rename and no lock, so its safety rests on other rules:

- a shard is uploaded only once its local file is complete, in one request (S3 and GCS
  show an object only when its upload is complete, also when large files go up in
  parts), so the store never holds a partial shard;
- the plan file goes first and the card (README.md) last, after the plan file is
  removed: a prefix without a card is visibly unfinished, and one with a plan file is
  what `--resume` continues;
- a non-empty prefix is refused without --overwrite (or --resume), and --overwrite
  removes the old card before anything else.

The backends are optional extras: `gen-stress[s3]` (s3fs), `gen-stress[gcs]` (gcsfs).
The Hub (`hf://`) is reached with `gen-stress push`, never written shard by shard.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from gen_stress.errors import UserError

URL = re.compile(r"^(?P<protocol>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$")
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}  # protocol -> gen-stress extra
CARD = "README.md"

Opener = Callable[[str], BinaryIO]  # opens a file of a dataset folder by its relative name, for reading


def folder_opener(folder: Path) -> Opener:
    return lambda name: open(Path(folder) / name, "rb")


def is_url(text) -> bool:
    """True for `PROTOCOL://...` other than file://, which names a local folder."""
    match = URL.match(str(text))
    return bool(match) and match["protocol"].lower() != "file"


def local_path(text) -> Path:
    """A local folder named plainly or as file://PATH."""
    match = URL.match(str(text))
    return Path(match["rest"]) if match else Path(text)


@dataclass(frozen=True)
class Store:
    """A dataset folder at `url` (PROTOCOL://BUCKET/PREFIX, no trailing slash); names are
    paths relative to it, as in a local folder."""

    url: str

    @cached_property
    def _split(self):
        import fsspec

        return fsspec.core.url_to_fs(self.url)

    @property
    def fs(self):
        return self._split[0]

    @property
    def root(self) -> str:
        return self._split[1].rstrip("/")

    def path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def open(self, name: str) -> BinaryIO:
        return self.fs.open(self.path(name), "rb")

    def exists(self, name: str) -> bool:
        return self.fs.exists(self.path(name))

    def names(self) -> list[str]:
        """Every object under the prefix, relative to it, sorted."""
        self.fs.invalidate_cache()
        try:
            found = self.fs.find(self.root)
        except FileNotFoundError:
            return []
        strip = len(self.root) + 1
        return sorted(p[strip:] for p in found if p.startswith(self.root + "/"))

    def put(self, local: Path, name: str) -> None:
        """Upload a complete local file in one request (see the module docstring)."""
        self.fs.put_file(str(local), self.path(name))

    def put_text(self, name: str, text: str) -> None:
        self.fs.pipe_file(self.path(name), text.encode("utf-8"))

    def get(self, name: str, local: Path) -> None:
        self.fs.get_file(self.path(name), str(local))

    def remove(self, names: Iterable[str]) -> None:
        paths = [self.path(n) for n in names]
        if paths:
            self.fs.rm(paths)

    def clear(self) -> None:
        """Remove everything under the prefix, the card first (so that a cut clear leaves
        a prefix that is visibly unfinished)."""
        names = self.names()
        if CARD in names:
            self.remove([CARD])
        self.remove([n for n in names if n != CARD])


def open_store(text: str, what: str = "--out") -> Store:
    """The store named by a URL, checked before any work: a known protocol whose backend
    is installed, a bucket and a prefix, and a bucket that answers."""
    match = URL.match(text)
    protocol = match["protocol"].lower()
    if protocol in ("hf", "huggingface"):
        raise UserError(f"{what} {text}: write the dataset to a folder, then `gen-stress push` it to the Hub "
                        "(resumable, a few large commits, then the tag)")
    import fsspec

    try:
        fsspec.get_filesystem_class(protocol)
    except ValueError:
        raise UserError(f"{what} {text}: unknown protocol {protocol}:// (fsspec knows no such file system)") from None
    except ImportError as err:
        extra = EXTRAS.get(protocol)
        hint = f"pip install 'gen-stress[{extra}]'" if extra else str(err).splitlines()[0]
        raise UserError(f"{what} {text} needs the {protocol}:// file system, which is not installed: {hint}") from None
    bucket, _, prefix = match["rest"].strip("/").partition("/")
    if not bucket or not prefix.strip("/"):
        raise UserError(f"{what} {text} needs a bucket and a prefix: {protocol}://BUCKET/NAME")
    store = Store(f"{protocol}://{bucket}/{prefix.strip('/')}")
    try:
        reachable = store.fs.exists(bucket)
    except Exception as err:  # a backend's own errors: credentials, endpoint, network
        raise UserError(f"{what} {text}: cannot reach {protocol}://{bucket}: "
                        f"{type(err).__name__}: {first_line(err)}") from None
    if not reachable:
        raise UserError(f"{what} {text}: the bucket {protocol}://{bucket} does not exist or is not visible "
                        "with these credentials")
    return store


def first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0]


def upload_shard(directory: str, name: str, write) -> None:
    """Write a shard with `write(local_path)` into a local temporary file, then upload it
    under `name` in one request; the local file goes in every case."""
    handle, temp = tempfile.mkstemp(prefix=f"gen-stress-shard-{os.getpid()}-", suffix=".parquet")
    os.close(handle)
    try:
        write(Path(temp))
        Store(directory).put(Path(temp), name)
    finally:
        Path(temp).unlink(missing_ok=True)
