"""Build a release from its manifest, and verify a built release by rebuilding it.

    <out>/README.md                 the card: release, splits, hold-outs, manifest, checksums
    <out>/manifest.yaml             the manifest, byte for byte
    <out>/gen-stress.lock.json      manifest hash, library versions, sha256 of every file
    <out>/<family>/<split>-*.parquet, assets/, licenses/   as `gen-stress` writes them

The folder appears under its name only when everything, lock included, is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gen_stress import __version__
from gen_stress.dataset import write_dataset
from gen_stress.errors import UserError
from gen_stress.pipeline import DatasetSpec
from gen_stress.release.lock import (
    LOCK_NAME,
    MANIFEST_NAME,
    file_hashes,
    library_versions,
    lock_text,
    make_lock,
    read_lock,
    version_differences,
)
from gen_stress.release.manifest import Manifest, manifest_sha256, parse_manifest
from gen_stress.staging import scratch as scratch_folder
from gen_stress.staging import staged

# The libraries the card names first: the ones whose versions most often change the bytes.
KEY_LIBRARIES = ("pillow", "freetype", "numpy")


@dataclass(frozen=True)
class Release:
    out: Path
    manifest: Manifest
    rows: int
    lock: dict


def dataset_spec(manifest: Manifest) -> DatasetSpec:
    return DatasetSpec(
        parts=manifest.parts(), width=manifest.width, height=manifest.height,
        rows_per_shard=manifest.rows_per_shard, title=manifest.title,
        command=f"gen-stress build {MANIFEST_NAME} --out {manifest.release}",
        card_extra=card_sections(manifest, library_versions()),
    )


def build_release(manifest: Manifest, out: Path, *, overwrite: bool = False, workers: int = 1,
                  progress: bool = True) -> Release:
    out = Path(out)
    with staged(out, overwrite=overwrite) as staging:
        summaries = write_dataset(dataset_spec(manifest), staging, workers=workers, progress=progress)
        (staging / MANIFEST_NAME).write_text(manifest.text, encoding="utf-8")
        _append_checksums(staging / "README.md", file_hashes(staging, skip=("README.md", LOCK_NAME)))
        lock = make_lock(manifest, file_hashes(staging))
        (staging / LOCK_NAME).write_text(lock_text(lock), encoding="utf-8")
    return Release(out=out, manifest=manifest, rows=sum(s.rows for s in summaries.values()), lock=lock)


# The card's release sections -----------------------------------------------------------

def card_sections(manifest: Manifest, libraries: dict[str, str]) -> tuple[tuple[str, str], ...]:
    release = [
        f"Release **{manifest.name} {manifest.version}**, built by gen-stress {__version__} from the manifest "
        f"`{MANIFEST_NAME}` next to this card (sha256 `{manifest.sha256}`).",
        "",
        f"`gen-stress verify <this folder>` rebuilds it from `{MANIFEST_NAME}` and compares every file, byte for "
        f"byte, with the sha256 recorded in `{LOCK_NAME}`; the bytes depend on these library versions:",
        "",
        "| library | version |",
        "|---|---|",
    ]
    ordered = [*KEY_LIBRARIES, *(name for name in libraries if name not in KEY_LIBRARIES)]
    release += [f"| {name} | {libraries[name]} |" for name in ordered if name in libraries]
    if manifest.description:
        release = [manifest.description, ""] + release
    splits = ["| split | seed | held-out values |", "|---|---|---|"]
    for split in manifest.splits:
        held = "kept out: " + "; ".join(
            f"{f.family} `{knob}` " + ", ".join(f"`{v}`" for v in values)
            for f in manifest.families for knob, values in f.hold_out) if split.hold_out else "all values may appear"
        splits.append(f"| {split.name} | {split.seed} | {held} |")
    splits += ["", "Each split has its own seed, so its items come from their own random streams "
                   "(item ids carry the seed). Values held out of a split are checked on each item's final "
                   "knobs (derived ones such as the font included); an item that draws one is redrawn."]
    manifest_block = "```yaml\n" + manifest.text.rstrip("\n") + "\n```"
    return (("Release", "\n".join(release)), ("Splits", "\n".join(splits)), ("Manifest", manifest_block))


def _append_checksums(card: Path, hashes: dict[str, str]) -> None:
    lines = ["", "## Checksums", "",
             f"sha256 of every file next to this card (the card's own and `{LOCK_NAME}`'s are in that file):", "",
             "<details>", "<summary>" + f"{len(hashes)} files" + "</summary>", "",
             "| file | sha256 |", "|---|---|"]
    lines += [f"| `{name}` | `{digest}` |" for name, digest in hashes.items()]
    lines += ["", "</details>", ""]
    text = card.read_text(encoding="utf-8")
    card.write_text(text.rstrip("\n") + "\n" + "\n".join(lines), encoding="utf-8")


# Verify ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileCheck:
    path: str
    status: str  # "ok" or what is wrong
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Verification:
    release: str
    manifest_sha256: str
    checks: list[FileCheck] = field(default_factory=list)
    libraries: list[tuple[str, str, str]] = field(default_factory=list)  # (name, recorded, current)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def recorded_manifest(folder: Path, lock: dict) -> Manifest:
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        raise UserError(f"{folder} has no {MANIFEST_NAME}: cannot rebuild it")
    text = path.read_text(encoding="utf-8")
    if manifest_sha256(text) != lock["manifest"].get("sha256"):
        raise UserError(f"{MANIFEST_NAME} in {folder} is not the recorded manifest (its sha256 differs from "
                        f"{LOCK_NAME}'s)")
    return parse_manifest(text, source=MANIFEST_NAME)


def verify_release(folder: Path, *, workers: int = 1, progress: bool = True,
                   scratch: Path | None = None) -> Verification:
    """Rebuild `folder` from its recorded manifest and compare, file by file, the bytes on
    disk and the rebuilt bytes with the sha256 recorded in its lock file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    lock = read_lock(folder)
    manifest = recorded_manifest(folder, lock)
    report = Verification(release=manifest.release, manifest_sha256=manifest.sha256,
                          libraries=version_differences(lock["libraries"], library_versions()))
    recorded = lock["files"]
    on_disk = file_hashes(folder, hidden=True)
    # The rebuild goes next to the folder by default: the same disk, which has room for it.
    with scratch_folder(scratch or folder.resolve().parent) as tmp:
        rebuilt_release = build_release(manifest, tmp / manifest.release, workers=workers, progress=progress)
        rebuilt = rebuilt_release.lock["files"]
    for path in sorted(set(recorded) | set(on_disk) | set(rebuilt)):
        report.checks.append(_compare(path, recorded.get(path), on_disk.get(path), rebuilt.get(path)))
    return report


def _compare(path: str, recorded: str | None, on_disk: str | None, rebuilt: str | None) -> FileCheck:
    if recorded is None:
        where = "in the folder" if on_disk else "only in the rebuild"
        return FileCheck(path, "not recorded", f"{where}, but not in {LOCK_NAME}")
    if on_disk == recorded == rebuilt:
        return FileCheck(path, "ok")
    problems = []
    if on_disk is None:
        problems.append("missing from the folder")
    elif on_disk != recorded:
        problems.append("the folder's bytes differ from the recording")
    if rebuilt is None:
        problems.append("not produced by the rebuild")
    elif rebuilt != recorded:
        problems.append("the rebuilt bytes differ from the recording")
    status = "missing" if on_disk is None else "differs"
    return FileCheck(path, status, "; ".join(problems))
