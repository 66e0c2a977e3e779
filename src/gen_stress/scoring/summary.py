"""Every figure of a report, from rows and their item scores.

Generic over families: figures per family and subtask come from the answer types; the
knob analysis reads whatever the `difficulty` struct holds. Numeric knobs that vary get a
breaking-point curve; categorical (and boolean) knobs get a table per value.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from gen_stress import __version__
from gen_stress.scoring import breaking, metrics
from gen_stress.scoring.item import is_correct
from gen_stress.scoring.parse import TEXT_NORMALIZATIONS

MIN_SCOPE = 10  # a knob's primary subtasks must hold this many items to be its curve's scope


def _family_order(names) -> list[str]:
    from gen_stress.rng import FAMILY_IDS

    known = [f for f in FAMILY_IDS if f in names]
    return known + sorted(n for n in names if n not in FAMILY_IDS)


def _leaf(subtask: str) -> str:
    return subtask.split("/", 1)[-1]


def family_knob_specs(family: str) -> dict:
    """The family's declared knobs, when it is installed (for the primary subtasks and the
    knob descriptions); scoring works without them."""
    from gen_stress.errors import UserError
    from gen_stress.generators import get_family
    from gen_stress.knobs import knob_specs

    try:
        return knob_specs(get_family(family).Knobs)
    except UserError:
        return {}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def knob_kinds(items: Sequence[Mapping]) -> dict[str, str]:
    """Knob name -> "numeric" or "categorical", in the order of the difficulty struct."""
    kinds: dict[str, str] = {}
    for item in items:
        for name, value in (item.get("difficulty") or {}).items():
            if value is None:
                continue
            kind = "numeric" if _is_number(value) else "categorical"
            kinds[name] = kind if kinds.get(name, kind) == kind else "categorical"
    return kinds


def _value(item: Mapping, knob: str):
    return (item.get("difficulty") or {}).get(knob)


def _chance(items: Sequence[Mapping]) -> tuple[float, str]:
    base = metrics.baselines(items, is_correct)
    return base["best"], base["best_name"]


def numeric_knob(family: str, knob: str, items, scores, spec, level: float | None) -> dict | None:
    """The curve of one numeric knob. Its items are those of the subtasks it is the main
    axis of (when they vary it), else the family's; None when it does not vary."""
    scope, scope_name = list(zip(items, scores)), "all subtasks"
    primary = set(spec.primary_for) if spec is not None else set()
    if primary:
        mine = [(i, s) for i, s in scope if _leaf(i["subtask"]) in primary]
        if len(mine) >= MIN_SCOPE and len({_value(i, knob) for i, _ in mine}) > 1:
            scope, scope_name = mine, ", ".join(sorted(primary))
    scope = [(i, s) for i, s in scope if _value(i, knob) is not None]
    if len({_value(i, knob) for i, _ in scope}) < 2:
        return None
    scope_items = [i for i, _ in scope]
    chance, chance_name = _chance(scope_items)
    # A circular knob (an angle) is read as its distance from 0: 350 deg is as hard as 10 deg.
    circular = spec is not None and spec.period is not None
    axis = (lambda v: spec.distance_from_zero(float(v))) if circular else float
    name = f"{knob} (distance from 0, period {spec.period:g})" if circular else knob
    values = [axis(_value(i, knob)) for i in scope_items]
    curve = breaking.breaking_point(values, [bool(s["correct"]) for _, s in scope], chance, [family, knob],
                                    level=level)
    return {"knob": knob, "axis": name, "doc": spec.doc if spec is not None else "", "primary": bool(primary) and
            scope_name != "all subtasks", "scope": scope_name, "chance_from": chance_name, **curve,
            "statement": statement(family, name, curve)}


def categorical_knob(family: str, knob: str, items, scores, spec) -> dict | None:
    """Accuracy (and POPE's figures on yes/no items) at each value of a categorical knob."""
    groups: dict[str, tuple[list, list]] = {}
    for item, score in zip(items, scores):
        value = _value(item, knob)
        if value is None:
            continue
        pair = groups.setdefault(str(value), ([], []))
        pair[0].append(item)
        pair[1].append(score)
    if len(groups) < 2:
        return None
    rows = []
    for value in sorted(groups, key=lambda v: (-len(groups[v][0]), v)):
        its, scs = groups[value]
        row = {"value": value, "n": len(its),
               "accuracy": metrics.rate_ci(sum(bool(s["correct"]) for s in scs), len(scs))}
        yes_no = [(i, s) for i, s in zip(its, scs) if i["answer_type"] == "yes_no"]
        if yes_no:
            row["yes_no"] = metrics.yes_no_metrics(*zip(*yes_no))
        rows.append(row)
    return {"knob": knob, "doc": spec.doc if spec is not None else "", "values": rows}


def statement(family: str, knob: str, curve: Mapping) -> str:
    """One line saying where the model breaks along the knob, or that it does not."""
    cross, fit = curve["crossing"], curve.get("fit") or {}
    lo, hi = curve["range"]
    status = cross["status"]
    if status == "too_few_values":
        return f"{family}: {knob} takes too few values ({curve['distinct_values']}) for a curve."
    level = cross["level"]
    halfway = (f"halfway from chance {curve['chance']:.2f} to its best {cross['best']:.2f}"
               if level is not None and abs(level - (curve["chance"] + cross["best"]) / 2) < 1e-9 else "the set level")
    poor = fit.get("p_value") is not None and fit["p_value"] < breaking.POOR_FIT_P
    caveat = (f" The curve fits poorly (p = {fit['p_value']:.2g}): accuracy is not monotone in {knob}; "
              "read the points.") if poor else ""
    if status == "at_chance":
        return f"{family}: accuracy stays near chance ({curve['chance']:.2f}) over {knob} {lo:g}-{hi:g}.{caveat}"
    if status == "above_throughout":
        return (f"{family}: no breaking point in {knob} {lo:g}-{hi:g}; accuracy stays above {level:.2f} "
                f"({halfway}).{caveat}")
    if status == "below_throughout":
        return f"{family}: accuracy stays below {level:.2f} over {knob} {lo:g}-{hi:g}.{caveat}"
    if status == "thin":
        return (f"{family}: no supported breaking point in {knob} {lo:g}-{hi:g}; the fitted curve drops below "
                f"{level:.2f} only past {cross['value']:.3g}, where {cross['items_beyond']} items were tested.{caveat}")
    value = cross["value"]
    interval = (f" (95% CI {cross['low']:.3g}-{cross['high']:.3g})" if cross.get("low") is not None else "")
    doubt = ""
    if cross.get("share_crossing") is not None and cross["share_crossing"] < 0.8:
        doubt = f"; uncertain: {cross['share_crossing']:.0%} of bootstrap refits cross"
    if fit.get("direction") == "decreasing":
        return (f"{family}: holds up to {knob} ≈ {value:.3g}{interval}; beyond it accuracy falls below "
                f"{level:.2f} ({halfway}){doubt}.{caveat}")
    return (f"{family}: holds down to {knob} ≈ {value:.3g}{interval}; below it accuracy falls under "
            f"{level:.2f} ({halfway}){doubt}.{caveat}")


def knob_analysis(family: str, items, scores, level: float | None) -> dict:
    specs = family_knob_specs(family)
    numeric, categorical = [], []
    for knob, kind in knob_kinds(items).items():
        spec = specs.get(knob)
        if kind == "numeric":
            curve = numeric_knob(family, knob, items, scores, spec, level)
            if curve is not None:
                numeric.append(curve)
        else:
            table = categorical_knob(family, knob, items, scores, spec)
            if table is not None:
                categorical.append(table)
    numeric.sort(key=lambda c: not c["primary"])  # main axes first, otherwise the struct's order
    return {"numeric": numeric, "categorical": categorical}


def _headline(family: str, block: Mapping) -> list[str]:
    acc = block["accuracy"]
    base = block["baselines"]
    lines = [f"{family}: accuracy {acc['value']:.2f} (95% CI {acc['low']:.2f}-{acc['high']:.2f}) on {block['n']} "
             f"items; best blind baseline {base['best']:.2f} ({base['best_name'].replace('_', ' ')})."]
    # The main axes of the family's subtasks make the headline; other knobs only when the
    # family declares none (their curves are in the family's section either way).
    curves = [c for c in block["knobs"]["numeric"] if c["crossing"]["status"] != "too_few_values"]
    primary = [c for c in curves if c["primary"]]
    lines += [c["statement"] for c in primary or [c for c in curves if c["crossing"]["status"] == "crosses"
                                                  and (c["crossing"].get("share_crossing") or 0) >= 0.9]]
    if block["paired"]:
        lines.append(f"{family}: paired accuracy {block['paired']['value']:.2f} over {block['paired']['n']} "
                     "minimal-pair groups (all members right).")
    abst = block["abstention"]
    if abst["unanswerable"]["n"]:
        lines.append(f"{family}: abstains on {abst['abstention_recall']:.0%} of {abst['unanswerable']['n']} "
                     f"unanswerable items, and on {abst['over_abstention'] or 0:.0%} of answerable ones.")
    return lines


def summarize(items: Sequence[Mapping[str, Any]], scores: Sequence[Mapping[str, Any]], *,
              level: float | None = None) -> dict:
    """Every figure of the report (what report.json holds, minus file paths) for rows and
    their item scores, in the same order. `level`: the accuracy a breaking point is read
    at; None (default) means halfway between chance and the best level reached."""
    if len(items) != len(scores):
        raise ValueError(f"{len(items)} items but {len(scores)} scores")
    if level is not None and not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    items = [{**item, "family": item.get("family") or "unknown", "subtask": item.get("subtask") or "unknown"}
             for item in items]
    families: dict[str, Any] = {}
    for family in _family_order({i["family"] for i in items}):
        pairs = [(i, s) for i, s in zip(items, scores) if i["family"] == family]
        its, scs = [p[0] for p in pairs], [p[1] for p in pairs]
        block = metrics.summary_block(its, scs, is_correct)
        block["subtasks"] = {}
        for subtask in sorted({i["subtask"] for i in its}):
            sub = [(i, s) for i, s in pairs if i["subtask"] == subtask]
            block["subtasks"][subtask] = metrics.summary_block([p[0] for p in sub], [p[1] for p in sub], is_correct)
        block["knobs"] = knob_analysis(family, its, scs, level)
        block["headline"] = _headline(family, block)
        families[family] = block
    overall = metrics.summary_block(items, scores, is_correct)
    return {
        "gen_stress_version": __version__,
        "n_items": len(items),
        "overall": overall,
        "headline": [line for block in families.values() for line in block["headline"]],
        "families": families,
        "settings": {
            "confidence": metrics.CONFIDENCE,
            "interval": "Wilson score interval (proportions)",
            "breaking_point_resamples": breaking.FIT_BOOTSTRAP,
            "level": "halfway between chance and the best level reached" if level is None else level,
            "chance": "the best of the blind baselines on the curve's items",
            "anls_threshold": metrics.ANLS_THRESHOLD,
            "text_normalization": [name for name, _doc, _step in TEXT_NORMALIZATIONS],
            "iou_correct": 0.5,
        },
    }
