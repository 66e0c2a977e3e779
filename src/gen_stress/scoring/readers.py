"""Prediction files: gen-stress jsonl, lmms-eval `--log_samples` jsonl, VLMEvalKit results.

- ``jsonl``: one JSON object per line, ``{"id": ..., "prediction": "<raw reply>"}`` and
  optionally ``"confidence"`` (0..1); or ``{"id": ..., "prediction": null, "abstain":
  "<reason>"}``: a declared abstention (a reader that does not attempt the item), left out
  of the scores and counted as coverage.
- ``lmms-eval``: the ``*_samples_<task>.jsonl`` file `--log_samples` writes: one object per
  document with ``doc_id``, ``filtered_resps`` (or ``resps``) and the task's metric values.
  The row is found by, in order: the ``doc``'s ``id`` (older lmms-eval keeps the doc), an
  ``id`` inside a metric value (gen-stress's process_results returns its score dict with
  the row's id), or ``doc_id`` as the position in the family's split, the family read
  from the task name (``gen_stress_ocr``) or the line's ``task`` field.
- ``vlmevalkit``: the result file VLMEvalKit writes (``<model>_<dataset>.xlsx``, or
  ``.tsv``/``.csv``): every column of the dataset TSV plus ``prediction``. The row is found
  by an ``id`` column when there is one, else by ``index``: a row id, or the position in
  the family's split (the family from ``category``).

A file that cannot be read as its format (invalid JSON on a line, a table without the
needed columns) is an error naming the line. A well-formed record without a usable id or
reply is a *malformed line*: counted and listed in the report, not scored.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from gen_stress.errors import UserError, clip

FORMATS = ("jsonl", "lmms-eval", "vlmevalkit")
TABLE_SUFFIXES = (".xlsx", ".tsv", ".csv")


@dataclass(frozen=True)
class Prediction:
    line: int  # line (jsonl) or data row (tables) in the file, from 1
    prediction: str
    id: str | None = None  # the row id, when the file names it
    position: int | None = None  # else the row's position in its family's split
    family: str | None = None  # the family of that position, when known
    confidence: float | None = None
    declined: str | None = None  # why the reader did not attempt the item (a declared abstention)

    def where(self) -> str:
        if self.id is not None:
            return self.id
        return f"{self.family or '?'}[{self.position}]"


@dataclass
class PredictionFile:
    path: str
    format: str
    predictions: list[Prediction] = field(default_factory=list)
    malformed: list[dict] = field(default_factory=list)  # {"line": n, "reason": "..."}
    # replies kept whose confidence was not a number from 0 to 1 (it is left out)
    bad_confidence: list[dict] = field(default_factory=list)  # {"line": n, "id": "...", "reason": "..."}


def detect_format(path: Path) -> str:
    """The format of a predictions file from its suffix and, for jsonl, its first record."""
    if path.suffix.lower() in TABLE_SUFFIXES:
        return "vlmevalkit"
    for number, line in _lines(path):
        record = _json(line, path, number)
        if isinstance(record, dict) and "doc_id" in record and ("filtered_resps" in record or "resps" in record):
            return "lmms-eval"
        return "jsonl"
    raise UserError(f"predictions file {path} is empty")


def read_predictions(path: Path, fmt: str = "auto") -> PredictionFile:
    path = Path(path)
    if path.is_dir():
        raise UserError(f"predictions file {path} is a folder; give the file of predictions inside it")
    if not path.is_file():
        raise UserError(f"predictions file {path} does not exist")
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise UserError(f"unknown predictions format {fmt!r}; choose from auto, {', '.join(FORMATS)}")
    reader = {"jsonl": _read_jsonl, "lmms-eval": _read_lmms_eval, "vlmevalkit": _read_vlmevalkit}[fmt]
    result = PredictionFile(str(path), fmt)
    reader(path, result)
    if not result.predictions and not result.malformed:
        raise UserError(f"predictions file {path} holds no predictions")
    if not result.predictions:
        first = result.malformed[0]
        more = f" (and {len(result.malformed) - 1} more)" if len(result.malformed) > 1 else ""
        raise UserError(f"predictions file {path}: none of its {len(result.malformed)} records is usable: "
                        f"line {first['line']}: {first['reason']}{more}")
    return result


# jsonl ------------------------------------------------------------------------------

def _lines(path: Path) -> Iterable[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8-sig") as handle:  # -sig: a byte-order mark is not part of line 1
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as err:
        raise UserError(f"predictions file {path} is not UTF-8 text ({err.reason} at byte {err.start})") from None


def _json(line: str, path: Path, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as err:
        # some of json's messages end in "at" ("Invalid control character at")
        raise UserError(f"{path} line {number}: not valid JSON ({err.msg.removesuffix(' at')} at column {err.colno})"
                        ) from None


def _reply_text(value: Any) -> str | None:
    """A reply given as text (numbers are taken as their text); None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return str(value)
    return None


def _confidence(value: Any) -> float | None:
    """A confidence from 0 to 1, or None when the value is not one (NaN, inf, a word)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        return None  # NaN fails the range test too
    return float(value)


def _read_jsonl(path: Path, result: PredictionFile) -> None:
    for number, line in _lines(path):
        record = _json(line, path, number)
        if not isinstance(record, dict):
            raise UserError(f"{path} line {number}: expected a JSON object with id and prediction, "
                            f"got {type(record).__name__}")
        row_id, reply = record.get("id"), _reply_text(record.get("prediction"))
        if not isinstance(row_id, str) or not row_id:
            result.malformed.append({"line": number, "reason": "no string `id`"})
            continue
        if reply is None and isinstance(record.get("abstain"), str) and record["abstain"]:
            result.predictions.append(Prediction(number, "", id=row_id, declined=clip(record["abstain"], 200)))
            continue
        if reply is None:
            result.malformed.append({"line": number, "reason": f"`prediction` of {row_id} is not text"})
            continue
        raw = record.get("confidence")
        confidence = _confidence(raw)
        if raw is not None and confidence is None:  # the reply still counts; the confidence does not
            result.bad_confidence.append({"line": number, "id": row_id,
                                          "reason": f"confidence {clip(repr(raw), 40)} is not a number from 0 to 1"})
        result.predictions.append(Prediction(number, reply, id=row_id, confidence=confidence))


# lmms-eval --------------------------------------------------------------------------

_TASK_IN_NAME = re.compile(r"_samples_(.+)$")


def _first_text(value: Any) -> str | None:
    """The first reply in lmms-eval's nested response lists (["..."] or [["..."]])."""
    while isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, str) else None


def _id_in_metrics(record: Mapping) -> str | None:
    doc = record.get("doc")
    if isinstance(doc, dict) and isinstance(doc.get("id"), str):
        return doc["id"]
    for key, value in record.items():
        skip = key in ("doc", "arguments", "resps", "filtered_resps", "target")
        if not skip and isinstance(value, dict) and isinstance(value.get("id"), str):
            return value["id"]
    return None


def _read_lmms_eval(path: Path, result: PredictionFile) -> None:
    name_task = _TASK_IN_NAME.search(path.stem)
    for number, line in _lines(path):
        record = _json(line, path, number)
        if not isinstance(record, dict):
            raise UserError(f"{path} line {number}: expected an lmms-eval sample object, got {type(record).__name__}")
        reply = _first_text(record.get("filtered_resps"))
        if reply is None:
            reply = _first_text(record.get("resps"))
        if reply is None:
            result.malformed.append({"line": number, "reason": "no text in filtered_resps or resps"})
            continue
        row_id = _id_in_metrics(record)
        if row_id is not None:
            result.predictions.append(Prediction(number, reply, id=row_id))
            continue
        doc_id = record.get("doc_id")
        if isinstance(doc_id, bool) or not isinstance(doc_id, int) or doc_id < 0:
            result.malformed.append({"line": number, "reason": f"doc_id {doc_id!r} is not a position"})
            continue
        task = record.get("task") if isinstance(record.get("task"), str) else (
            name_task.group(1) if name_task else None)
        result.predictions.append(Prediction(number, reply, position=doc_id, family=task))


# VLMEvalKit -------------------------------------------------------------------------

def _read_table(path: Path):
    import pandas as pd

    try:
        if path.suffix.lower() == ".xlsx":
            return pd.read_excel(path, dtype=object, keep_default_na=False)
        return pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",", dtype=object,
                           keep_default_na=False, encoding="utf-8-sig")
    except Exception as err:  # pandas and openpyxl raise many kinds for an unreadable file
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"cannot read {path} as a VLMEvalKit result table: {first}") from None


def _read_vlmevalkit(path: Path, result: PredictionFile) -> None:
    table = _read_table(path)
    columns = {str(c).lower(): c for c in table.columns}
    if "prediction" not in columns or ("index" not in columns and "id" not in columns):
        raise UserError(f"{path} line 1: a VLMEvalKit result needs `index` (or `id`) and `prediction` columns, "
                        f"found {', '.join(map(str, table.columns)) or 'none'}")
    for k, row in enumerate(table.to_dict("records")):
        number = k + 2  # the header is line 1
        reply = _reply_text(row[columns["prediction"]])
        if reply is None:
            result.malformed.append({"line": number, "reason": "`prediction` is not text"})
            continue
        family = str(row[columns["category"]]) if "category" in columns else None
        row_id = str(row[columns["id"]]).strip() if "id" in columns else ""
        if row_id:
            result.predictions.append(Prediction(number, reply, id=row_id, family=family))
            continue
        index = str(row[columns["index"]]).strip() if "index" in columns else ""
        if re.fullmatch(r"\d+", index):
            result.predictions.append(Prediction(number, reply, id=None, position=int(index), family=family))
        elif index:
            result.predictions.append(Prediction(number, reply, id=index, family=family))
        else:
            result.malformed.append({"line": number, "reason": "empty `index`"})


# Matching predictions to rows -------------------------------------------------------

@dataclass
class Matched:
    replies: dict[str, Prediction]  # row id -> its prediction
    unknown: list[dict]  # {"line", "id", "reason"}
    duplicates: list[dict]  # {"line", "id", "first_line"}


def match_predictions(file: PredictionFile, items: Sequence[Mapping], families: Sequence[str]) -> Matched:
    """Row ids for the predictions: ids as given, positions through the family's rows in
    split order. The first prediction of a row counts; later ones are duplicates."""
    ids = {item["id"] for item in items}
    by_family: dict[str, list[str]] = {}
    for item in items:
        by_family.setdefault(item["family"], []).append(item["id"])
    matched = Matched({}, [], [])
    for pred in file.predictions:
        row_id, reason = pred.id, ""
        if row_id is None:
            family = _family_named(pred.family, families) or (families[0] if len(families) == 1 else None)
            if family is None:
                reason = f"position {pred.position} names no family (task/category {pred.family!r})"
            elif pred.position >= len(by_family.get(family, [])):
                reason = f"position {pred.position} is past the {len(by_family.get(family, []))} rows of {family}"
            else:
                row_id = by_family[family][pred.position]
        elif row_id not in ids:
            reason = "id not in the dataset"
        if reason:
            matched.unknown.append({"line": pred.line, "id": pred.where(), "reason": reason})
        elif row_id in matched.replies:
            matched.duplicates.append({"line": pred.line, "id": row_id, "first_line": matched.replies[row_id].line})
        else:
            matched.replies[row_id] = pred
    return matched


def _family_named(text: str | None, families: Sequence[str]) -> str | None:
    """The family a task or category name refers to ("gen_stress_ocr" -> "ocr")."""
    if not text:
        return None
    if text in families:
        return text
    words = set(re.split(r"[^a-z0-9]+", text.lower()))
    hits = [f for f in families if f in words]
    return hits[0] if len(hits) == 1 else None
