"""The functions an exported lmms-eval task calls (its utils.py imports them from here).

Scoring is gen-stress's own: process_results scores each reply with
`gen_stress.scoring.score_item`, and every aggregation computes its figure from all of a
task's item scores with the functions behind `gen-stress score`
(`gen_stress.scoring.metrics`). So the harness's numbers are the command's numbers.

What lmms-eval 0.7.3 does with process_results' output (evaluator.py,
evaluator_utils.py, utils.make_table), and what follows here:

- every key returned is a metric; its values over the task's documents go to the
  metric's aggregation function. So every document returns every metric of its task
  (the number of values is the task's sample count, which the group weights by).
- a value's `score` is read as the document's number for the metric (the CLT standard
  error, the baseline t-test): it is that item's 0/1 (or ANLS, IoU, error), and absent
  where the item does not count towards the metric (abstention recall on answerable
  items, POPE's precision on replies other than "yes").
- the values also carry the row's id, the fields the figures read and the item score:
  `--log_samples` keeps them, and `gen-stress score` finds each row by that id.
- the printed table leaves out metrics whose names start with `paired_` or end with
  `_stderr`, `_expected_accuracy`, `_consensus_accuracy`, `_internal_variance` or
  `_consistency_rate`; no name here does.
- a group's `aggregate_metric_list` entry applies to every metric whose name contains its
  name. The group averages `accuracy` only (weighted by size, which gives `gen-stress
  score`'s overall accuracy), so no other metric name contains "accuracy".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

# The row fields the figures read (the scene graph of caption items is scored in
# process_results and not carried further).
ITEM_FIELDS = ("id", "family", "subtask", "question", "answer", "answer_type", "choices", "aliases", "answerable",
               "difficulty", "group_id", "seed", "index")
CARRIED_FIELDS = ("id", "family", "subtask", "answer", "answer_type", "answerable", "group_id")
SUBTASK_PREFIX = "acc_"  # acc_<leaf>: accuracy on one subtask


@dataclass(frozen=True)
class Metric:
    """One lmms-eval metric: which rows it concerns, each row's number, the figure."""

    name: str
    higher_is_better: bool | None  # None: neither (a yes-ratio is best near the gold's)
    concerns: Callable[[Mapping], bool]  # the rows that make a task report it
    item_score: Callable[[Mapping, Mapping], float | None]  # (item, score) -> the row's number, None: not counted
    figure: Callable[[Mapping], Any]  # figures() -> the value
    doc: str


def _kind(item: Mapping) -> str:
    from gen_stress.scoring.metrics import metric_kind

    return metric_kind(item)


def _answerable(item: Mapping) -> bool:
    return bool(item.get("answerable", True))


def _of_kind(kind: str) -> Callable[[Mapping], bool]:
    return lambda item: _kind(item) == kind


def _answerable_of(kind: str) -> Callable[[Mapping], bool]:
    return lambda item: _kind(item) == kind and _answerable(item)


def _when(test: Callable[[Mapping], bool], value: Callable[[Mapping, Mapping], Any]):
    def item_score(item: Mapping, score: Mapping) -> float | None:
        number = value(item, score) if test(item) else None
        return None if number is None else float(number)

    return item_score


def _typed(kind: str, key: str) -> Callable[[Mapping], Any]:
    return lambda figures: (figures["answer_types"].get(kind) or {}).get(key)


def _gold_yes(item: Mapping) -> bool:
    from gen_stress.scoring.parse import normalize_text

    return normalize_text(str(item["answer"])) == "yes"


def _everything(item: Mapping) -> bool:
    return True


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", True, _everything, _when(_everything, lambda i, s: s["correct"]),
           lambda f: f["accuracy"]["value"], "share of items right: `gen-stress score`'s accuracy"),
    Metric("pairs_all_right", True, lambda i: bool(i.get("group_id")), lambda i, s: None,
           lambda f: (f["paired"] or {}).get("value"), "paired accuracy: share of minimal-pair groups all right"),
    Metric("abstention_recall", True, lambda i: not _answerable(i),
           _when(lambda i: not _answerable(i), lambda i, s: s["abstained"]),
           lambda f: f["abstention"]["abstention_recall"], "share of unanswerable items abstained on"),
    Metric("over_abstention", False, lambda i: not _answerable(i),
           _when(_answerable, lambda i, s: s["abstained"]),
           lambda f: f["abstention"]["over_abstention"], "share of answerable items abstained on"),
    Metric("pope_acc", True, _of_kind("yes_no"), _when(_answerable_of("yes_no"), lambda i, s: s["correct"]),
           _typed("yes_no", "accuracy"), "POPE accuracy: yes/no items only"),
    Metric("pope_precision", True, _of_kind("yes_no"),
           _when(_answerable_of("yes_no"), lambda i, s: _gold_yes(i) if s["predicted_yes"] else None),
           _typed("yes_no", "precision"), "POPE precision, yes the positive class"),
    Metric("pope_recall", True, _of_kind("yes_no"),
           _when(_answerable_of("yes_no"), lambda i, s: s["predicted_yes"] if _gold_yes(i) else None),
           _typed("yes_no", "recall"), "POPE recall"),
    Metric("pope_f1", True, _of_kind("yes_no"), lambda i, s: None, _typed("yes_no", "f1"), "POPE F1"),
    Metric("pope_yes_ratio", None, _of_kind("yes_no"),
           _when(_answerable_of("yes_no"), lambda i, s: s["predicted_yes"]),
           _typed("yes_no", "yes_ratio"), "share of yes/no replies that say yes"),
    Metric("count_mae", False, _of_kind("integer"), _when(_answerable_of("integer"), lambda i, s: s["abs_error"]),
           _typed("integer", "mae"), "mean absolute error of counts, over replies that gave a number"),
    Metric("text_anls", True, _of_kind("text"), _when(_answerable_of("text"), lambda i, s: s["anls"]),
           _typed("text", "anls"), "ANLS of text answers (0.5 threshold)"),
    Metric("box_iou", True, _of_kind("bbox"), _when(_answerable_of("bbox"), lambda i, s: s["iou"]),
           _typed("bbox", "mean_iou"), "mean IoU of boxes"),
    Metric("chair_i", False, _of_kind("caption"), _when(_of_kind("caption"), lambda i, s: s["chair_i"]),
           _typed("caption", "chair_i"), "CHAIR_i: hallucinated mentions over all mentions, per caption"),
    Metric("chair_s", False, _of_kind("caption"), _when(_of_kind("caption"), lambda i, s: s["chair_s"]),
           _typed("caption", "chair_s"), "CHAIR_s: captions naming an absent object"),
    Metric("caption_recall", True, _of_kind("caption"), _when(_of_kind("caption"), lambda i, s: s["object_recall"]),
           _typed("caption", "object_recall"), "share of the image's objects a caption names"),
)
_BY_NAME = {m.name: m for m in METRICS}


def leaf(subtask: str) -> str:
    return re.sub(r"\W", "_", subtask.split("/", 1)[-1])


def subtask_metric(name: str) -> Metric:
    """acc_<leaf>: accuracy on the items of one subtask."""
    part = name[len(SUBTASK_PREFIX):]

    def mine(item: Mapping) -> bool:
        return leaf(item.get("subtask") or "") == part

    return Metric(name, True, mine, _when(mine, lambda i, s: s["correct"]), lambda f: f["subtasks"].get(part),
                  f"accuracy on subtask {part}")


def metric_named(name: str) -> Metric:
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith(SUBTASK_PREFIX) and len(name) > len(SUBTASK_PREFIX):
        return subtask_metric(name)
    raise ValueError(f"unknown gen-stress metric {name!r}")


def task_metrics(items) -> list[Metric]:
    """The metrics that mean something for these rows: the fixed ones that concern any
    row, then one accuracy per subtask (when there are several)."""
    items = list(items)
    chosen = [m for m in METRICS if any(m.concerns(i) for i in items)]
    leaves = sorted({leaf(i.get("subtask") or "") for i in items})
    if len(leaves) > 1:
        chosen += [subtask_metric(SUBTASK_PREFIX + part) for part in leaves]
    return chosen


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


def carried(item: Mapping) -> dict:
    """What a metric value keeps of its row: enough for every figure, not the scene."""
    from gen_stress.scoring.chair import CAPTION_FORM, is_caption

    kept = {key: item.get(key) for key in CARRIED_FIELDS}
    if is_caption(item):
        kept["difficulty"] = {"question_form": CAPTION_FORM}
    return kept


def process_results_for(metrics: tuple[str, ...]) -> Callable[[Mapping, list], dict]:
    """A task's process_results: every metric of the task for every document."""
    chosen = [metric_named(name) for name in metrics]

    def process_results(doc: Mapping, results: list) -> dict:
        from gen_stress.scoring import score_item

        reply = results[0] if results else ""
        reply = reply if isinstance(reply, str) else str(reply)
        item = item_of(doc)
        score = score_item(item, reply)
        shared = {"id": doc["id"], "item": carried(item), "result": score}
        values = {}
        for metric in chosen:
            number = metric.item_score(item, score)
            values[metric.name] = shared if number is None else {**shared, "score": number}
        return values

    return process_results


def figures(items: list[Mapping], scores: list[Mapping]) -> dict:
    """The figures of one task's items: what `gen-stress score` reports for a family
    (metrics.figure_block) and the accuracy of each subtask, without the knob curves."""
    from gen_stress.scoring import metrics

    by_leaf: dict[str, list[bool]] = {}
    for item, score in zip(items, scores):
        by_leaf.setdefault(leaf(item.get("subtask") or ""), []).append(bool(score["correct"]))
    subtasks = {part: metrics.rate_ci(sum(right), len(right))["value"] for part, right in by_leaf.items()}
    return {**metrics.figure_block(items, scores), "subtasks": subtasks}


_last: tuple[tuple, dict] | None = None  # the last task's figures: every metric of a task reuses them


def figures_of(values: list[Mapping]) -> dict:
    global _last
    key = tuple((v["id"], v["result"].get("parse_status"), v["result"].get("correct")) for v in values)
    if _last is None or _last[0] != key:
        _last = (key, figures([v["item"] for v in values], [v["result"] for v in values]))
    return _last[1]


def aggregate_for(name: str) -> Callable[[list], float | None]:
    """The aggregation of one metric: its figure over all of the task's values; None
    (shown as N/A) where the figure is undefined (POPE precision with no "yes")."""
    metric = metric_named(name)

    def aggregate(values: list) -> float | None:
        figure = metric.figure(figures_of(values)) if values else None
        return None if figure is None else float(figure)

    aggregate.__name__ = f"aggregate_{name}"
    return aggregate
