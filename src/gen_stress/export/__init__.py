"""Harness inputs made from a dataset folder: `gen-stress export FORMAT DIR --out OUT`.

    lmms-eval    a task folder for `lmms-eval --include_path OUT` (one task per family and
                 a group), scored by gen-stress's own scoring
    vlmevalkit   VLMEvalKit custom-dataset TSVs (base64 images), choice items as options A..
    jsonl        image files plus metadata.jsonl per family and split (the imagefolder layout)

Every export keeps each row's `id`, so `gen-stress score` matches what a harness writes
back to the rows it came from. The output appears under its name only when complete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from gen_stress.errors import UserError

FORMATS = ("lmms-eval", "vlmevalkit", "jsonl")


@dataclass(frozen=True)
class ExportOptions:
    split: str = "test"
    families: tuple[str, ...] = ()  # empty: every family of the folder
    repo: str | None = None  # lmms-eval: load from this Hub repo instead of the folder
    revision: str | None = None  # ... at this revision (a tag such as v1.0.0)
    name: str = "gen_stress"  # lmms-eval task and group name prefix; VLMEvalKit file prefix


@dataclass
class ExportResult:
    out: Path
    files: list[str] = field(default_factory=list)  # what was written, relative to out
    rows: dict[str, int] = field(default_factory=dict)  # family -> rows exported
    notes: list[str] = field(default_factory=list)  # how to use the export


def export(fmt: str, folder: Path, out: Path, options: ExportOptions, *, overwrite: bool = False) -> ExportResult:
    from gen_stress.export.source import DatasetFolder
    from gen_stress.staging import staged

    writers: dict[str, Callable] = _writers()
    if fmt not in writers:
        raise UserError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    source = DatasetFolder.open(Path(folder))
    families = source.select(options.families, options.split)
    source.check(families, options.split)
    with staged(Path(out), overwrite=overwrite, inputs=[Path(folder)]) as tmp:
        result = ExportResult(out=Path(out))
        writers[fmt](source, families, tmp, options, result)
        result.files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    return result


def _writers() -> dict[str, Callable]:
    from gen_stress.export import jsonl, lmms_eval, vlmevalkit

    return {"lmms-eval": lmms_eval.write, "vlmevalkit": vlmevalkit.write, "jsonl": jsonl.write}


__all__ = ["FORMATS", "ExportOptions", "ExportResult", "export"]
