"""The lock file of a release: what was built, with what, and the sha256 of every file.

It holds nothing that changes from one build to the next (no time, no path), so the
same manifest built twice with the same libraries gives the same lock, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from gen_stress import __version__
from gen_stress.errors import UserError

LOCK_NAME = "gen-stress.lock.json"
MANIFEST_NAME = "manifest.yaml"
LOCK_FORMAT = 1
# Distributions whose versions can change the bytes: rendering and PNG encoding (Pillow,
# with its FreeType and zlib), sampling (numpy), geometry (shapely, GEOS), font coverage
# (fontTools), parquet and schema metadata (pyarrow, datasets), photographs (OpenCV).
PACKAGES = ("numpy", "pillow", "pyarrow", "datasets", "shapely", "fonttools")


def library_versions() -> dict[str, str]:
    """Versions of everything that takes part in making the bytes, by a stable name."""
    import cv2
    import shapely
    from PIL import features

    found = {"python": platform.python_version(), "gen-stress": __version__}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["freetype"] = features.version("freetype2") or "not available"
    found["zlib"] = features.version("zlib") or "not available"
    found["geos"] = shapely.geos_version_string
    # by the library, not the distribution: opencv-python and -headless ship the same cv2
    found["opencv"] = cv2.__version__
    return dict(sorted(found.items()))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


GIT_FILES = (".git", ".gitattributes")  # a clone of the Hub repo has them; they are not data


def file_hashes(folder: Path, skip: tuple[str, ...] = (LOCK_NAME,), hidden: bool = False) -> dict[str, str]:
    """sha256 of every file under `folder` by its POSIX path relative to it, sorted.
    Hidden files are not part of a release (push leaves them out) and are skipped, unless
    `hidden`: verify lists them, so that nothing in the folder goes unchecked (git's own
    files aside)."""
    folder = Path(folder)
    found = {}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if not path.is_file() or relative.as_posix() in skip or relative.parts[0] in GIT_FILES:
            continue
        if hidden or not any(p.startswith(".") for p in relative.parts):
            found[relative.as_posix()] = sha256_file(path)
    return dict(sorted(found.items()))


def make_lock(manifest, files: dict[str, str]) -> dict:
    return {
        "lock_format": LOCK_FORMAT,
        "release": {"name": manifest.name, "version": manifest.version},
        "manifest": {"file": MANIFEST_NAME, "sha256": manifest.sha256},
        "libraries": library_versions(),
        "files": dict(sorted(files.items())),
    }


def lock_text(lock: dict) -> str:
    return json.dumps(lock, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def read_lock(folder: Path) -> dict:
    path = Path(folder) / LOCK_NAME
    if not path.is_file():
        raise UserError(f"{folder} has no {LOCK_NAME}: it was not made by `gen-stress build`")
    try:
        lock = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise UserError(f"{path} is not valid JSON: {err}") from None
    if not isinstance(lock, dict) or lock.get("lock_format") != LOCK_FORMAT:
        raise UserError(f"{path} is not a gen-stress lock file of format {LOCK_FORMAT}")
    for key in ("release", "manifest", "libraries", "files"):
        if not isinstance(lock.get(key), dict):
            raise UserError(f"{path} lacks its {key!r} section")
    return lock


def version_differences(recorded: dict[str, str], current: dict[str, str]) -> list[tuple[str, str, str]]:
    """(library, recorded, current) for every library whose version is not the recorded one."""
    names = sorted(set(recorded) | set(current))
    return [(n, recorded.get(n, "not recorded"), current.get(n, "not installed"))
            for n in names if recorded.get(n) != current.get(n)]
