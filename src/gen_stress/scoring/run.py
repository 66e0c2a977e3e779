"""Score a predictions file against a dataset: read both, match, score, summarise."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from gen_stress.errors import UserError
from gen_stress.scoring.item import score_item
from gen_stress.scoring.load import load_items
from gen_stress.scoring.readers import match_predictions, read_predictions
from gen_stress.scoring.summary import summarize


@dataclass(frozen=True)
class Scored:
    report: dict  # summarize()'s figures plus "inputs" and "problems"
    rows: list[dict]  # one per scored item: id, family, subtask, answer, prediction and its score
    items: list[dict] = field(default_factory=list)  # the dataset rows scored (without images), as rows


def score_predictions(dataset: str, predictions: Path, *, fmt: str = "auto", split: str = "test",
                      revision: str | None = None, families: Sequence[str] = (),
                      level: float | None = None) -> Scored:
    pred_file = read_predictions(Path(predictions), fmt)
    items, chosen = load_items(dataset, split=split, revision=revision, families=families)
    matched = match_predictions(pred_file, items, chosen)
    if not matched.replies:
        first = matched.unknown[0]["id"] if matched.unknown else "none"
        raise UserError(f"none of the {len(pred_file.predictions)} predictions in {predictions} matches a row of "
                        f"{dataset} split {split} (first: {first}); is it the right dataset?")
    declined = {row_id: pred.declined for row_id, pred in matched.replies.items() if pred.declined}
    coverage = _coverage(items, declined)
    items = [item for item in items if item["id"] not in declined]
    if not items:
        raise UserError(f"every prediction in {predictions} declines its item (abstain); nothing to score")
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
    report["inputs"] = {
        "dataset": dataset, "revision": revision, "split": split, "families": list(chosen),
        "predictions": Path(predictions).name, "format": pred_file.format,
        "predictions_read": len(pred_file.predictions), "matched": len(matched.replies),
    }
    if declined:
        report["coverage"] = coverage
    report["problems"] = {
        "missing": {"count": len(missing), "list": missing},
        "unknown": {"count": len(matched.unknown), "list": matched.unknown},
        "malformed": {"count": len(pred_file.malformed), "list": pred_file.malformed},
        "duplicates": {"count": len(matched.duplicates), "list": matched.duplicates},
        "bad_confidence": {"count": len(pred_file.bad_confidence), "list": pred_file.bad_confidence},
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
