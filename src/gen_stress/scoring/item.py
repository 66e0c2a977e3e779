"""One reply against one dataset row: parse it by the row's answer type, then score it."""

from __future__ import annotations

import math
from typing import Any, Mapping

from gen_stress.scoring import parse
from gen_stress.scoring.chair import is_caption, score_caption
from gen_stress.scoring.metrics import anls, cer, iou

ANSWER_TYPES = ("yes_no", "integer", "text", "choice", "bbox")
IOU_CORRECT = 0.5  # a box is right at IoU >= 0.5


def _golds(item: Mapping[str, Any]) -> list[str]:
    return [str(item["answer"]), *(str(a) for a in item.get("aliases") or ())]


def _parse(item: Mapping[str, Any], reply: str) -> parse.Parsed:
    kind = item["answer_type"]
    answerable = bool(item.get("answerable", True))
    # On an unanswerable item its own gold answer ("unanswerable", "illegible", ...) is an
    # abstention, and no gold spelling is an answer to look for.
    extra = () if answerable else _golds(item)
    if kind == "yes_no":
        return parse.parse_yes_no(reply, abstain_extra=extra)
    if kind == "integer":
        return parse.parse_integer(reply, abstain_extra=extra)
    if kind == "text":
        return parse.parse_text(reply, _golds(item) if answerable else (), abstain_extra=extra)
    if kind == "choice":
        choices = list(item.get("choices") or ())
        # Without the prompt (older callers), letters count as option letters.
        lettered = "question" not in item or parse.shows_letters(str(item["question"]), choices)
        return parse.parse_choice(reply, choices, lettered=lettered, abstain_extra=extra)
    if kind == "bbox":
        return parse.parse_bbox(reply, abstain_extra=extra)
    raise ValueError(f"unknown answer_type {kind!r} (expected one of {', '.join(ANSWER_TYPES)})")


def is_correct(item: Mapping[str, Any], reply: str) -> bool:
    """Whether the reply is right, without the edit-distance figures (for baselines)."""
    return _score(item, reply, None, distances=False)["correct"]


def score_item(item: Mapping[str, Any], reply: str, confidence: float | None = None) -> dict:
    """Score one raw model reply against one dataset row (needs at least answer,
    answer_type, choices, aliases, answerable). Returns a JSON-serialisable dict with
    parse_status ("exact" | "extracted" | "abstained" | "unparseable"), parsed (str or
    None), abstained, correct (abstaining is correct exactly on unanswerable items),
    confidence (as given, or None), plus per answer type: text -> anls, cer, exact;
    integer -> abs_error (None when unparseable), off_by_one; bbox -> iou, point_hit (a
    click point inside the gold box; None when the reply is a box); yes_no ->
    predicted_yes; choice -> choice_index.

    The per-type figures are computed against the gold answer even when the model
    abstained or could not be parsed (anls 0, cer 1, iou 0, off_by_one False): a reply
    that gives no answer scores like a wrong one. Summaries take them over answerable
    items only."""
    return _score(item, reply, confidence, distances=True)


def _score(item: Mapping[str, Any], reply: str, confidence: float | None, *, distances: bool) -> dict:
    reply = "" if reply is None else str(reply)
    if confidence is not None and not (isinstance(confidence, (int, float)) and 0.0 <= confidence <= 1.0):
        raise ValueError(f"confidence must be a number from 0 to 1, got {confidence!r}")
    kind = item["answer_type"]
    answerable = bool(item.get("answerable", True))
    parsed = _parse(item, reply)
    abstained = parsed.status == parse.ABSTAINED
    answered = parsed.status in (parse.EXACT, parse.EXTRACTED)
    out: dict[str, Any] = {
        "parse_status": parsed.status,
        "parsed": parsed.text,
        "abstained": abstained,
        "correct": False,
        "confidence": None if confidence is None else float(confidence),
    }
    gold = str(item["answer"])
    if kind == "yes_no":
        out["predicted_yes"] = answered and parsed.value == "yes"
        right = answered and parsed.value == parse.normalize_text(gold)
    elif kind == "integer":
        gold_value = _gold_int(gold)
        error = abs(parsed.value - gold_value) if answered and gold_value is not None else None
        out["abs_error"] = error
        out["off_by_one"] = error is not None and error <= 1
        right = error == 0
    elif is_caption(item):  # CHAIR: named objects against the scene, not one gold sentence
        out.update(score_caption(item, reply if answered else ""))
        right = out.pop("correct")
    elif kind == "text":
        text = parsed.text if answered else ""
        if distances:
            out["anls"] = max(anls(text, g) for g in _golds(item))
            out["cer"] = min(cer(text, g) for g in _golds(item))
        out["exact"] = answered and parse.normalize_text(text) in {parse.normalize_text(g) for g in _golds(item)}
        right = out["exact"]
    elif kind == "choice":
        out["choice_index"] = parsed.value if answered else None
        right = answered and parsed.value == parse.gold_choice_index(gold, list(item.get("choices") or ()))
    else:  # bbox: a box is right at IoU >= 0.5, a click point when it falls inside the gold box
        gold_box = parse.parse_bbox(gold).value
        point = answered and len(parsed.value) == 2
        out["iou"] = iou(parsed.value, gold_box) if answered and not point and gold_box is not None else 0.0
        out["point_hit"] = bool(point and gold_box is not None and parse.point_in_box(parsed.value, gold_box)) \
            if point else None
        right = out["point_hit"] if point else out["iou"] >= IOU_CORRECT
    out["correct"] = bool(right) if answerable else abstained
    return out


def _gold_int(text: str) -> int | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value == int(value) else None
