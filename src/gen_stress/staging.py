"""Output folders written safely.

Everything goes under a hidden name next to the target, `.NAME.partial-PID`, and is
moved into place only when complete, so an interrupted run never leaves a folder that
looks done. The move never replaces a folder that appeared after the run started, and
replaces an existing one only with --overwrite, in one atomic exchange where the OS has
it (Linux renameat2). Leftovers of killed runs are found by the next run with the same
--out: stale partial folders are removed, an --out lost halfway through a non-atomic
swap is restored. A run holds a lock on its partial folder, so a second run with the
same --out is refused while the first one is alive.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from gen_stress.errors import UserError
from gen_stress.osutil import RENAME_EXCHANGE, RENAME_NOREPLACE, pid_alive, renameat2

try:
    import fcntl
except ImportError:  # not POSIX: a process id that is alive is the only sign of an owner
    fcntl = None

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<kind>partial|old)-(?P<pid>\d+)$")
VERIFY_PREFIX = ".gen-stress-verify-"


def say(message: str) -> None:
    """A note for the user on stderr (what was cleaned up or restored)."""
    print(f"gen-stress: {message}", file=sys.stderr, flush=True)


# Inputs and outputs ---------------------------------------------------------------------

def _overlap(out: Path, source: Path) -> str:
    """How `out` sits relative to an input path ("" when apart), both resolved."""
    if out == source:
        return "is"
    if out in source.parents:
        return "contains"
    if source in out.parents:
        return "is inside"
    return ""


def check_inputs(out: Path, inputs: Sequence[Path]) -> None:
    """Refuse an --out that is, holds or lies inside the current folder or an input: the
    output replaces --out as a whole, so it would destroy them."""
    target = Path(out).resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        what = "the current folder" if target == cwd else "a folder holding the current folder"
        raise UserError(f"--out {out} is {what}; give a new folder to write")
    for source in inputs:
        relation = _overlap(target, Path(source).resolve())
        if relation:
            raise UserError(f"--out {out} {relation} the input {source}; a command never writes over its inputs")


def check_out(out: Path, overwrite: bool, inputs: Sequence[Path] = ()) -> None:
    """Before any work: refuse an --out that overlaps an input, that another live run is
    writing, that is a file, or that is a non-empty folder without --overwrite. Clears
    up after killed runs with this --out first (and says what it did)."""
    out = Path(out)
    check_inputs(out, inputs)
    recover(out)
    if out.is_symlink():  # replacing it would replace the link, not the folder it names
        raise UserError(f"--out {out} is a symbolic link; give the folder it points to")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise UserError(f"--out {out} is not empty; pass --overwrite to replace it")


# Leftovers of killed runs ---------------------------------------------------------------

def lock_folder(folder: Path) -> int | None:
    """Hold an exclusive lock on `folder` while this process (and the workers it forks)
    lives; the kernel drops it when they die, even by SIGKILL. A file descriptor, or None
    where the OS has no flock."""
    if fcntl is None:
        return None
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def unlock_folder(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


def owner_gone(folder: Path, pid: int) -> bool:
    """True when the run that made `folder` is dead: its process id is not alive and no
    process (a worker it forked) still holds the folder's lock."""
    mine = pid == os.getpid()  # a dead run had our process id, or a live block of ours
    if not mine and pid_alive(pid):
        return False
    if fcntl is None:
        return not mine
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return not folder.exists()
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _size_text(folder: Path) -> str:
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return f"{total / 1e6:.1f} MB" if total >= 1e5 else f"{total / 1e3:.1f} kB"


def recover(out: Path) -> None:
    """Deal with what killed runs left next to `out`: restore `out` from a swap cut in
    half, remove partial folders whose run is gone (saying so), and refuse when a live run
    is writing `out`."""
    out = Path(out)
    parent = out.parent if out.name else out.resolve().parent
    name = out.name or out.resolve().name
    if not parent.is_dir():
        return
    leftovers = []
    for entry in parent.iterdir():
        match = LEFTOVER.match(entry.name)
        if match and match["name"] == name and entry.is_dir() and not entry.is_symlink():
            leftovers.append((match["kind"] != "old", int(match["pid"]), entry))
    for _not_old, pid, entry in sorted(leftovers):  # an old copy first: it may be --out itself
        if not owner_gone(entry, pid):
            raise UserError(f"another gen-stress run (pid {pid}) is writing --out {out}; "
                            "wait for it to end or choose another --out")
        if entry.name.endswith(f".old-{pid}") and not out.exists():
            entry.rename(out)
            say(f"restored {out} from {entry.name}, left by a run (pid {pid}) killed while replacing it")
            continue
        size = _size_text(entry)
        shutil.rmtree(entry, ignore_errors=True)
        say(f"removed {entry.name} ({size}), left by a run (pid {pid}) that is gone")


def remove_stale_scratch(parent: Path, prefix: str) -> None:
    """Remove `PREFIX<pid>-*` scratch folders in `parent` whose run is gone."""
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        match = re.match(re.escape(prefix) + r"(\d+)(-|$)", entry.name)
        if match and entry.is_dir() and owner_gone(entry, int(match[1])):
            size = _size_text(entry)
            shutil.rmtree(entry, ignore_errors=True)
            say(f"removed {entry.name} ({size}), left by a run (pid {match[1]}) that is gone")


def _fresh_locked(folder: Path, failure: str) -> int | None:
    """Create `folder` empty and lock it (a leftover with our process id, of a dead run
    that had it before, goes first)."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        return lock_folder(folder)
    except OSError as err:
        raise UserError(f"{failure}: {err.strerror or err}") from None


@contextmanager
def scratch(parent: Path, prefix: str = VERIFY_PREFIX) -> Iterator[Path]:
    """A locked, hidden scratch folder `PREFIX<pid>` in `parent`, removed on exit (also on
    SIGTERM, which the CLI turns into an exception); stale ones of dead runs go first."""
    parent = Path(parent)
    remove_stale_scratch(parent, prefix)
    folder = parent / f"{prefix}{os.getpid()}"
    fd = _fresh_locked(folder, f"cannot write a scratch folder in {parent}")
    try:
        yield folder
    finally:
        unlock_folder(fd)
        shutil.rmtree(folder, ignore_errors=True)


# Moving into place ----------------------------------------------------------------------

def _rename_new(source: Path, out: Path) -> None:
    """Rename `source` to `out`, which must not exist (a folder that appeared there in the
    meantime is never replaced)."""
    try:
        if not renameat2(source, out, RENAME_NOREPLACE):
            if os.path.lexists(out):
                raise FileExistsError(errno.EEXIST, "exists", str(out))
            os.rename(source, out)  # onto a non-empty folder, rename itself fails
    except (FileExistsError, IsADirectoryError, NotADirectoryError) as err:
        raise _appeared(out) from err
    except OSError as err:
        if err.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise _appeared(out) from err
        raise


def _appeared(out: Path) -> UserError:
    return UserError(f"--out {out} appeared while this run was writing; it was left untouched and this run's "
                     "output discarded")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return stat.st_dev, stat.st_ino


def swap_into_place(new: Path, out: Path) -> None:
    """Replace the folder `out` with `new`. One atomic exchange where the OS can; else two
    renames through `.NAME.old-PID`, which `recover` restores if a kill falls between
    them. The old folder is deleted last."""
    if renameat2(new, out, RENAME_EXCHANGE):
        shutil.rmtree(new)  # `new` now names the old folder
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    os.rename(out, old)
    try:
        os.rename(new, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old)


def _move_into_place(tmp: Path, out: Path, start: tuple[int, int] | None, overwrite: bool) -> None:
    now = _identity(out)
    if start is None or now is None:
        _rename_new(tmp, out)
    elif now != start:
        raise UserError(f"--out {out} was replaced while this run was writing; it was left untouched and this "
                        "run's output discarded")
    elif overwrite:
        swap_into_place(tmp, out)
    else:  # an empty folder at the start: take its place only if it is still empty
        try:
            os.rmdir(out)
        except OSError:
            raise UserError(f"--out {out} received files while this run was writing; it was left untouched "
                            "and this run's output discarded") from None
        _rename_new(tmp, out)


def disk_full(err: BaseException) -> bool:
    """An OSError for a full disk or quota (pyarrow's may carry the code only in its text)."""
    if not isinstance(err, OSError):
        return False
    return err.errno in DISK_FULL or bool(re.search(r"errno (28|122)\b|No space left on device", str(err)))


@contextmanager
def staged(out: Path, *, overwrite: bool, inputs: Sequence[Path] = ()) -> Iterator[Path]:
    """A fresh hidden folder to write `out` into; moved to `out` when the block ends
    normally, deleted when it raises (a full disk becomes one line naming `out`)."""
    out = Path(out)
    check_out(out, overwrite, inputs)
    start = _identity(out)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    fd = _fresh_locked(tmp, f"cannot write to --out {out}")
    try:
        yield tmp
        _move_into_place(tmp, out, start, overwrite)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if disk_full(err):
            state = "the old folder is unchanged" if start is not None else "nothing was written"
            raise UserError(f"no space left on the device of --out {out} ({state})") from None
        raise
    finally:
        unlock_folder(fd)
