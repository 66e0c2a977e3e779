"""Score a predictions file against a dataset: read both, match, score, summarise."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from gen_stress.errors import UserError
from gen_stress.scoring.item import score_item
from gen_stress.scoring.load import load_items
from gen_stress.scoring.readers import Matched, PredictionFile, match_predictions, read_predictions
from gen_stress.scoring.summary import summarize


@dataclass(frozen=True)
class Scored:
    report: dict  # summarize()'s figures plus "inputs" and "problems"
    rows: list[dict]  # one per scored item: id, family, subtask, answer, prediction and its score
    items: list[dict] = field(default_factory=list)  # the dataset rows scored (without images), as rows


GLOB_CHARS = "*?["


def prediction_paths(predictions: Sequence[Path | str]) -> list[Path]:
    """The files named by --predictions: each a file, or a quoted glob pattern such as
    'results/*/*_samples_gen_stress_*.jsonl' (its matches in sorted order). A file named
    twice is read once."""
    paths: list[Path] = []
    for given in predictions:
        text = str(given)
        if not Path(text).exists() and any(c in text for c in GLOB_CHARS):
            base = Path(text).anchor or "."
            pattern = str(Path(text).relative_to(base)) if Path(text).is_absolute() else text
            found = sorted(p for p in Path(base).glob(pattern) if p.is_file())
            if not found:
                raise UserError(f"--predictions pattern {text} matches no file")
            paths += found
        else:
            paths.append(Path(text))
    seen: set[Path] = set()
    return [p for p in paths if not (p.resolve() in seen or seen.add(p.resolve()))]


def match_files(files: Sequence[PredictionFile], items, families) -> Matched:
    """Predictions of several files for one set of rows: earlier files first, so a row's
    first prediction (in the order the files were given) counts and later ones are
    duplicates, as within one file. With several files, lines are named file:line."""
    merged = Matched({}, [], [])
    origin: dict[str, str] = {}
    several = len(files) > 1

    def where(name: str, line) -> object:
        return f"{name}:{line}" if several else line

    for file in files:
        name = Path(file.path).name
        matched = match_predictions(file, items, families)
        merged.unknown += [{**u, "line": where(name, u["line"])} for u in matched.unknown]
        merged.duplicates += [{**d, "line": where(name, d["line"]), "first_line": where(name, d["first_line"])}
                              for d in matched.duplicates]
        for row_id, pred in matched.replies.items():
            if row_id in merged.replies:
                merged.duplicates.append({"line": where(name, pred.line), "id": row_id,
                                          "first_line": where(origin[row_id], merged.replies[row_id].line)})
            else:
                merged.replies[row_id] = pred
                origin[row_id] = name
    return merged


def score_predictions(dataset: str, predictions: Path | Sequence[Path], *, fmt: str = "auto", split: str = "test",
                      revision: str | None = None, families: Sequence[str] = (),
                      level: float | None = None) -> Scored:
    paths = prediction_paths([predictions] if isinstance(predictions, (str, Path)) else predictions)
    pred_files = [read_predictions(path, fmt) for path in paths]
    items, chosen = load_items(dataset, split=split, revision=revision, families=families)
    matched = match_files(pred_files, items, chosen)
    names = ", ".join(path.name for path in paths)
    n_read = sum(len(f.predictions) for f in pred_files)
    if not matched.replies:
        first = matched.unknown[0]["id"] if matched.unknown else "none"
        raise UserError(f"none of the {n_read} predictions in {names} matches a row of "
                        f"{dataset} split {split} (first: {first}); is it the right dataset?")
    declined = {row_id: pred.declined for row_id, pred in matched.replies.items() if pred.declined}
    coverage = _coverage(items, declined)
    items = [item for item in items if item["id"] not in declined]
    if not items:
        raise UserError(f"every prediction in {names} declines its item (abstain); nothing to score")
    scores, rows, missing = [], [], []
    for item in items:
        pred = matched.replies.get(item["id"])
        if pred is None:
            missing.append(item["id"])
            score = {**score_item(item, ""), "missing": True}
        else:
            score = score_item(item, pred.prediction, pred.confidence)
        scores.append(score)
        rows.append({"id": item["id"], "family": item["family"], "subtask": item["subtask"],
                     "answer_type": item["answer_type"], "answer": item["answer"],
                     "prediction": None if pred is None else pred.prediction, **score})
    report = summarize(items, scores, level=level)
    def located(entries: str) -> list[dict]:  # with several files, lines are named file:line
        return [{**e, "line": f"{Path(f.path).name}:{e['line']}" if len(pred_files) > 1 else e["line"]}
                for f in pred_files for e in getattr(f, entries)]

    malformed, bad_confidence = located("malformed"), located("bad_confidence")
    report["inputs"] = {
        "dataset": dataset, "revision": revision, "split": split, "families": list(chosen),
        "predictions": names, "format": ", ".join(dict.fromkeys(f.format for f in pred_files)),
        "files": [{"name": path.name, "format": f.format, "predictions": len(f.predictions)}
                  for path, f in zip(paths, pred_files)],
        "predictions_read": n_read, "matched": len(matched.replies),
    }
    if declined:
        report["coverage"] = coverage
    report["problems"] = {
        "missing": {"count": len(missing), "list": missing},
        "unknown": {"count": len(matched.unknown), "list": matched.unknown},
        "malformed": {"count": len(malformed), "list": malformed},
        "duplicates": {"count": len(matched.duplicates), "list": matched.duplicates},
        "bad_confidence": {"count": len(bad_confidence), "list": bad_confidence},
    }
    return Scored(report, rows, items)


def _coverage(items: Sequence[dict], declined: dict[str, str]) -> dict:
    """Items attempted and declared abstentions (with their reasons), overall and per family."""
    def block(its: list[dict]) -> dict:
        reasons: dict[str, int] = {}
        for item in its:
            if item["id"] in declined:
                reasons[declined[item["id"]]] = reasons.get(declined[item["id"]], 0) + 1
        n_declined = sum(reasons.values())
        return {"n": len(its), "attempted": len(its) - n_declined, "declined": n_declined,
                "share_attempted": (len(its) - n_declined) / len(its) if its else None,
                "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))}

    families = dict.fromkeys(item["family"] for item in items)
    return {**block(list(items)), "families": {f: block([i for i in items if i["family"] == f]) for f in families}}
