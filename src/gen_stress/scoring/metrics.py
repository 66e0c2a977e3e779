"""Item metrics (edit distance, ANLS, CER, IoU) and the aggregate figures of a group of
scored items: accuracy with a Wilson score interval, answer-type metrics, paired accuracy,
abstention and calibration, and blind baselines."""

from __future__ import annotations

import math
import zlib
from collections import Counter
from statistics import NormalDist
from typing import Mapping, Sequence

import numpy as np

from gen_stress.scoring.parse import normalization_counts, normalize_text

ANLS_THRESHOLD = 0.5  # normalised edit distances at or above this score 0 (ST-VQA's ANLS)
CONFIDENCE = 0.95  # interval coverage
ECE_BINS = 10
SEED = 0  # base seed of the breaking-point bootstrap: reports are reproducible to the byte


# Item metrics ------------------------------------------------------------------------

def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions) by the two-row dynamic
    programme: answers are short, so this is cheaper than a dependency."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def anls(prediction: str, gold: str) -> float:
    """Average normalised Levenshtein similarity of one pair: 1 - NL when NL < 0.5, else 0,
    on case and whitespace normalised strings."""
    p, g = normalize_text(prediction), normalize_text(gold)
    if not p and not g:
        return 1.0
    nl = levenshtein(p, g) / max(len(p), len(g))
    return 1.0 - nl if nl < ANLS_THRESHOLD else 0.0


def cer(prediction: str, gold: str) -> float:
    """Character error rate: edits to turn the prediction into the gold, over the gold's
    length (normalised strings). Not capped: a long wrong reply can exceed 1."""
    p, g = normalize_text(prediction), normalize_text(gold)
    return levenshtein(p, g) / max(1, len(g))


def iou(a, b) -> float:
    """Intersection over union of two [x0, y0, x1, y1] boxes."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else float(a == b)


# Intervals ---------------------------------------------------------------------------

def key_rng(*key: str) -> np.random.Generator:
    """A generator seeded by a stable hash of the group's name: each bootstrap is the same
    whatever else is in the report and in whatever order it is computed."""
    return np.random.default_rng([SEED, zlib.crc32("\x1f".join(key).encode())])


def rate_ci(hits: int, n: int) -> dict:
    """A proportion with its Wilson score interval. Unlike a percentile bootstrap, it does
    not collapse to a point at 0% or 100%: 10 right out of 10 is 0.72-1.00, not 1-1."""
    if n == 0:
        return {"value": None, "low": None, "high": None, "n": 0}
    z = NormalDist().inv_cdf(1 - (1 - CONFIDENCE) / 2)
    p = hits / n
    scale = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / scale
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / scale
    # the interval holds p; min/max keep that true to the last bit at 0 and 1
    return {"value": p, "low": max(0.0, min(p, centre - half)), "high": min(1.0, max(p, centre + half)), "n": n}


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


# Answer-type metrics -----------------------------------------------------------------

def yes_no_metrics(items: Sequence[Mapping], scores: Sequence[Mapping]) -> dict:
    """POPE's figures over answerable yes/no items, "yes" as the positive class. An
    unparseable or abstaining reply is not a "yes" (and not a "no" either: it is wrong)."""
    pairs = [(i, s) for i, s in zip(items, scores) if i.get("answerable", True)]
    gold_yes = [normalize_text(str(i["answer"])) == "yes" for i, _ in pairs]
    pred_yes = [bool(s["predicted_yes"]) for _, s in pairs]
    pred_no = [s["parse_status"] in ("exact", "extracted") and not s["predicted_yes"] for _, s in pairs]
    tp = sum(g and p for g, p in zip(gold_yes, pred_yes))
    fp = sum(p and not g for g, p in zip(gold_yes, pred_yes))
    fn = sum(g and not p for g, p in zip(gold_yes, pred_yes))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else (0.0 if precision is not None
                                                                                     and recall is not None else None)
    return {
        "n": len(pairs),
        "accuracy": _ratio(sum(bool(s["correct"]) for _, s in pairs), len(pairs)),
        "precision": precision, "recall": recall, "f1": f1,
        "yes_ratio": _ratio(sum(pred_yes), len(pairs)),
        "no_ratio": _ratio(sum(pred_no), len(pairs)),
        "gold_yes_ratio": _ratio(sum(gold_yes), len(pairs)),
    }


def integer_metrics(items, scores) -> dict:
    pairs = [s for i, s in zip(items, scores) if i.get("answerable", True)]
    errors = [s["abs_error"] for s in pairs if s["abs_error"] is not None]
    return {
        "n": len(pairs),
        "exact": _ratio(sum(bool(s["correct"]) for s in pairs), len(pairs)),
        "off_by_one": _ratio(sum(bool(s["off_by_one"]) for s in pairs), len(pairs)),
        "mae": _mean(errors),  # over the replies that gave a number
        "n_numeric": len(errors),
    }


def text_metrics(items, scores) -> dict:
    pairs = [s for i, s in zip(items, scores) if i.get("answerable", True)]
    return {
        "n": len(pairs),
        "exact": _ratio(sum(bool(s["exact"]) for s in pairs), len(pairs)),
        "anls": _mean([s["anls"] for s in pairs]),
        "cer": _mean([s["cer"] for s in pairs]),
        # replies and gold answers each step of the text normalisation changed
        "normalized": normalization_counts([s.get("parsed") or "" for s in pairs]
                                           + [str(i["answer"]) for i in items if i.get("answerable", True)]),
    }


def choice_metrics(items, scores) -> dict:
    pairs = [(i, s) for i, s in zip(items, scores) if i.get("answerable", True)]
    picked = Counter(s["choice_index"] for _, s in pairs if s["choice_index"] is not None)
    return {
        "n": len(pairs),
        "accuracy": _ratio(sum(bool(s["correct"]) for _, s in pairs), len(pairs)),
        # a model that always picks one position shows here
        "position_share": {chr(65 + k): picked[k] / len(pairs) for k in sorted(picked)} if pairs else {},
    }


def bbox_metrics(items, scores) -> dict:
    pairs = [s for i, s in zip(items, scores) if i.get("answerable", True)]
    return {
        "n": len(pairs),
        "mean_iou": _mean([s["iou"] for s in pairs]),
        "acc_at_0.5": _ratio(sum(s["iou"] >= 0.5 for s in pairs), len(pairs)),
        # Click points (ScreenSpot-style): replies that gave a point, and how many hit the box.
        "points": sum(s.get("point_hit") is not None for s in pairs),
        "point_hits": sum(bool(s.get("point_hit")) for s in pairs),
    }


def caption_metrics(items, scores) -> dict:
    """CHAIR over caption items: hallucinated mentions (CHAIR_i), captions with one
    (CHAIR_s), and the share of the image's objects named."""
    return {
        "n": len(scores),
        "chair_i": _mean([s["chair_i"] for s in scores]),
        "chair_s": _ratio(sum(bool(s["chair_s"]) for s in scores), len(scores)),
        "object_recall": _mean([s["object_recall"] for s in scores]),
        "accuracy": _ratio(sum(bool(s["correct"]) for s in scores), len(scores)),
    }


TYPE_METRICS = {"yes_no": yes_no_metrics, "integer": integer_metrics, "text": text_metrics,
                "choice": choice_metrics, "bbox": bbox_metrics, "caption": caption_metrics}


def metric_kind(item: Mapping) -> str:
    """The answer type, with caption items apart from other text."""
    from gen_stress.scoring.chair import is_caption

    return "caption" if is_caption(item) else item["answer_type"]


def answer_type_metrics(items: Sequence[Mapping], scores: Sequence[Mapping]) -> dict:
    by_type: dict[str, tuple[list, list]] = {}
    for item, score in zip(items, scores):
        pair = by_type.setdefault(metric_kind(item), ([], []))
        pair[0].append(item)
        pair[1].append(score)
    return {kind: TYPE_METRICS[kind](*by_type[kind]) for kind in TYPE_METRICS if kind in by_type}


# Pairs, abstention, calibration ------------------------------------------------------

def paired_accuracy(items, scores) -> dict | None:
    """Share of minimal-pair groups (rows sharing a group_id) whose members are all right."""
    groups: dict[str, list[bool]] = {}
    for item, score in zip(items, scores):
        gid = item.get("group_id") or ""
        if gid:
            groups.setdefault(gid, []).append(bool(score["correct"]))
    groups = {g: v for g, v in groups.items() if len(v) > 1}
    if not groups:
        return None
    return rate_ci(sum(all(v) for v in groups.values()), len(groups))


def calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = ECE_BINS) -> float:
    """Expected calibration error over equal-width confidence bins."""
    conf = np.asarray(confidences, dtype=float)
    right = np.asarray(correct, dtype=float)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() / len(conf) * abs(right[mask].mean() - conf[mask].mean())
    return float(total)


def abstention_metrics(items, scores) -> dict:
    """Correct / wrong / abstained on answerable items; abstention recall on unanswerable
    ones; over-abstention; and, where replies came with confidences, calibration."""
    answerable = [s for i, s in zip(items, scores) if i.get("answerable", True)]
    unanswerable = [s for i, s in zip(items, scores) if not i.get("answerable", True)]
    right = sum(bool(s["correct"]) for s in answerable)
    held_back = sum(bool(s["abstained"]) for s in answerable)
    with_conf = [s for s in scores if s.get("confidence") is not None]
    return {
        "answerable": {"n": len(answerable), "correct": right, "wrong": len(answerable) - right - held_back,
                       "abstained": held_back},
        "unanswerable": {"n": len(unanswerable), "abstained": sum(bool(s["abstained"]) for s in unanswerable)},
        "accuracy_answerable": rate_ci(right, len(answerable)),
        "abstention_recall": _ratio(sum(bool(s["abstained"]) for s in unanswerable), len(unanswerable)),
        "over_abstention": _ratio(held_back, len(answerable)),
        "n_confidence": len(with_conf),
        "mean_confidence": _mean([s["confidence"] for s in with_conf]),
        "ece": calibration_error([s["confidence"] for s in with_conf], [bool(s["correct"]) for s in with_conf])
        if with_conf else None,
    }


# Blind baselines ---------------------------------------------------------------------

def majority_answers(items: Sequence[Mapping]) -> dict[str, str]:
    """The most common gold answer of each answer type (ties: the first in sorted order)."""
    counts: dict[str, Counter] = {}
    for item in items:
        counts.setdefault(item["answer_type"], Counter())[str(item["answer"])] += 1
    return {kind: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for kind, c in counts.items()}


def uniform_chance(items: Sequence[Mapping]) -> list[float]:
    """Each item's chance of being right under a uniform random guess over its answer
    space: yes/no 1/2, choice 1/len(choices), integer 1/(size of the observed range of
    gold counts), text 1/(distinct gold answers of text items here), box 0 (a random box
    almost never reaches IoU 0.5). A random guesser never abstains: unanswerable items
    score its chance of naming their gold answer."""
    ints = [int(float(i["answer"])) for i in items if i["answer_type"] == "integer" and _is_int(i["answer"])]
    span = (max(ints) - min(ints) + 1) if ints else 1
    texts = {normalize_text(str(i["answer"])) for i in items if i["answer_type"] == "text"}
    chance = []
    for item in items:
        kind = item["answer_type"]
        if kind == "yes_no":
            chance.append(0.5 if item.get("answerable", True) else 0.0)
        elif kind == "choice":
            chance.append(1 / max(1, len(item.get("choices") or ())))
        elif kind == "integer":
            chance.append(1 / span)
        elif kind == "text":
            chance.append(1 / max(1, len(texts)))
        else:
            chance.append(0.0)
    return chance


def _is_int(text) -> bool:
    try:
        return float(text) == int(float(text))
    except (TypeError, ValueError):
        return False


def baselines(items: Sequence[Mapping], correct_fn) -> dict:
    """Accuracy of three blind strategies on these very items, scored by the same parser:
    always "yes", the majority gold answer of each answer type, and (its expected value)
    a uniform random guess. `best` is the highest of the three: what "chance" is here."""
    if not items:
        return {"always_yes": None, "majority": None, "uniform_random": None, "best": None, "best_name": None}
    majority = majority_answers(items)
    always_yes = float(np.mean([correct_fn(i, "yes") for i in items]))
    major = float(np.mean([correct_fn(i, majority[i["answer_type"]]) for i in items]))
    uniform = float(np.mean(uniform_chance(items)))
    figures = {"always_yes": always_yes, "majority": major, "uniform_random": uniform}
    best_name = max(figures, key=lambda k: figures[k])
    return {**figures, "majority_answers": majority, "best": figures[best_name], "best_name": best_name}


def parse_status_counts(scores: Sequence[Mapping]) -> dict:
    counts = Counter(s["parse_status"] for s in scores)
    return {k: counts.get(k, 0) for k in ("exact", "extracted", "abstained", "unparseable")}


def figure_block(items: Sequence[Mapping], scores: Sequence[Mapping]) -> dict:
    """The figures of one group of items that come from their scores alone (what the
    lmms-eval export reports too)."""
    return {
        "n": len(items),
        "accuracy": rate_ci(sum(bool(s["correct"]) for s in scores), len(scores)),
        "parse_status": parse_status_counts(scores),
        "missing_predictions": sum(bool(s.get("missing")) for s in scores),
        "answer_types": answer_type_metrics(items, scores),
        "paired": paired_accuracy(items, scores),
        "abstention": abstention_metrics(items, scores),
    }


def summary_block(items: Sequence[Mapping], scores: Sequence[Mapping], correct_fn) -> dict:
    """Every figure of one group of items (a family, a subtask, everything): those of
    figure_block and the blind baselines, which re-score the items."""
    return {**figure_block(items, scores), "baselines": baselines(items, correct_fn)}
