"""The few Linux system calls the safety of output folders and workers rests on, through
ctypes, each with a plain fallback where the OS lacks it."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import os
import sys
from pathlib import Path

AT_FDCWD = -100
RENAME_NOREPLACE = 1  # renameat2(2): fail if the target exists
RENAME_EXCHANGE = 2  # renameat2(2): swap source and target atomically
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
PR_SET_THP_DISABLE, PR_GET_THP_DISABLE = 41, 42  # prctl(2): no transparent huge pages (Linux 3.15)


@functools.lru_cache(maxsize=1)
def libc():
    """The C library, or None off Linux (where these calls are not used)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None


def renameat2(source: Path, target: Path, flags: int) -> bool:
    """Linux renameat2(2); False where the OS, libc or file system lacks it (the caller
    then falls back), an OSError for any other failure."""
    function = getattr(libc(), "renameat2", None)
    if function is None:
        return False
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if function(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(target), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(target))


def die_with_parent(signum: int) -> bool:
    """Ask the kernel to send `signum` to this process when its parent dies (Linux);
    False where it cannot."""
    function = getattr(libc(), "prctl", None)
    return function is not None and function(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0


@contextlib.contextmanager
def no_huge_pages():
    """No transparent huge pages for this process (and the workers it forks) while
    gen-stress writes, the previous setting restored after. Arrow's allocator, mimalloc,
    asks for huge pages for its arenas, and where the kernel grants them on request (the
    common `madvise` mode) every first touch of a 2 MiB page is zeroed, or compacted
    for, in the kernel: 0.2 to 0.7 s of system time for a process's first row groups
    (1 to 1.3 ms per image of a 500-image run) and more again after each purge. The
    allocator's own switches are read once, when pyarrow loads, so this is the switch
    left. Bytes do not depend on it."""
    function = getattr(libc(), "prctl", None)
    before = function(PR_GET_THP_DISABLE, 0, 0, 0, 0) if function is not None else -1
    if before < 0:  # not Linux, or a kernel without the switch
        yield
        return
    function(PR_SET_THP_DISABLE, 1, 0, 0, 0)
    try:
        yield
    finally:
        function(PR_SET_THP_DISABLE, before, 0, 0, 0)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, OverflowError):  # not a process id this OS knows
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
