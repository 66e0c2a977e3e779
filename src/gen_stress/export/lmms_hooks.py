"""The functions an exported lmms-eval task calls (its utils.py imports them from here).

Scoring is gen-stress's own: process_results scores each reply with
`gen_stress.scoring.score_item`, and every aggregation hands all of a task's items and
scores to `gen_stress.scoring.summarize`, the function behind `gen-stress score`, and
reads its figure from the result. So the harness's numbers are the command's numbers.

Each metric value process_results returns carries the row's id, the fields scoring reads,
and the item score: lmms-eval's `--log_samples` file keeps them, and `gen-stress score`
reads that file back by id.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

# The row fields scoring reads (everything but the image; the scene graph only for
# caption items, whose gold objects it holds).
ITEM_FIELDS = ("id", "family", "subtask", "question", "answer", "answer_type", "choices", "aliases", "answerable",
               "difficulty", "group_id", "seed", "index")


def _overall(path: tuple[str, ...]) -> Callable[[Mapping], Any]:
    def read(summary: Mapping):
        value = summary["overall"]
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    return read


# metric name -> where summarize() keeps it
METRICS: dict[str, Callable[[Mapping], Any]] = {
    "accuracy": _overall(("accuracy", "value")),
    "paired_accuracy": _overall(("paired", "value")),
    "abstention_recall": _overall(("abstention", "abstention_recall")),
    "over_abstention": _overall(("abstention", "over_abstention")),
}
HIGHER_IS_BETTER = {"accuracy": True, "paired_accuracy": True, "abstention_recall": True, "over_abstention": False}


def doc_to_visual(doc: Mapping) -> list:
    return [doc["image"].convert("RGB")]


def doc_to_text(doc: Mapping, lmms_eval_specific_kwargs: Mapping | None = None) -> str:
    kwargs = lmms_eval_specific_kwargs or {}
    return f"{kwargs.get('pre_prompt', '')}{doc['question']}{kwargs.get('post_prompt', '')}"


def doc_to_target(doc: Mapping) -> str:
    return doc["answer"]


def item_of(doc: Mapping) -> dict:
    from gen_stress.scoring.chair import is_caption

    item = {key: doc[key] for key in ITEM_FIELDS if key in doc}
    if is_caption(item) and "scene" in doc:
        item["scene"] = doc["scene"]
    return item


def process_results_for(metrics: tuple[str, ...]) -> Callable[[Mapping, list], dict]:
    """A task's process_results: lmms-eval aggregates every key it returns, so it returns
    exactly the task's metrics, each with the same value."""
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown gen-stress metric(s) {', '.join(sorted(unknown))}")

    def process_results(doc: Mapping, results: list) -> dict:
        from gen_stress.scoring import score_item

        reply = results[0] if results else ""
        reply = reply if isinstance(reply, str) else str(reply)
        item = item_of(doc)
        value = {"id": doc["id"], "item": item, "score": score_item(item, reply)}
        return {name: value for name in metrics}

    return process_results


_last: tuple[tuple, dict] | None = None  # the last summary: every metric of a task reuses it


def summary_of(values: list[Mapping]) -> dict:
    global _last
    from gen_stress.scoring import summarize

    key = tuple((v["id"], v["score"].get("parse_status"), v["score"].get("correct")) for v in values)
    if _last is None or _last[0] != key:
        _last = (key, summarize([v["item"] for v in values], [v["score"] for v in values]))
    return _last[1]


def _aggregate(name: str) -> Callable[[list], float]:
    def aggregate(values: list) -> float:
        figure = METRICS[name](summary_of(values)) if values else None
        return float("nan") if figure is None else float(figure)

    aggregate.__name__ = f"aggregate_{name}"
    return aggregate


aggregate_accuracy = _aggregate("accuracy")
aggregate_paired_accuracy = _aggregate("paired_accuracy")
aggregate_abstention_recall = _aggregate("abstention_recall")
aggregate_over_abstention = _aggregate("over_abstention")
