"""The few Linux system calls the safety of output folders and workers rests on, through
ctypes, each with a plain fallback where the OS lacks it."""

from __future__ import annotations

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
