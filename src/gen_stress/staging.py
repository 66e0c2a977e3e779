"""Output folders written atomically: everything goes under a hidden temporary name next
to the target and is renamed into place only when complete, so an interrupted run never
leaves a folder that looks done (and an existing folder is only replaced on request)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gen_stress.errors import UserError


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an --out that is a file or a non-empty folder (unless
    --overwrite)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserError(f"--out {out} is not empty; pass --overwrite to replace it")


@contextmanager
def staged(out: Path, *, overwrite: bool) -> Iterator[Path]:
    """A fresh temporary folder to write `out` into; renamed to `out` when the block ends
    normally, deleted when it raises."""
    out = Path(out)
    check_out(out, overwrite)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
    except OSError as err:
        raise UserError(f"cannot write to --out {out}: {err.strerror or err}") from None
    try:
        yield tmp
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
