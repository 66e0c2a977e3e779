"""The report folder: report.json (every figure), report.md (tables and headline lines),
one accuracy-versus-knob PNG per family, and scores.jsonl (every item's score).

    report/
      report.md
      report.json
      scores.jsonl
      plots/<family>-knobs.png
      report.html, report_files/   (when asked: see report_html)
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from gen_stress.scoring.parse import ABSTAIN_PHRASES, TEXT_NORMALIZATIONS
from gen_stress.staging import staged

LIST_IN_MARKDOWN = 20  # problem lists show this many entries in report.md (all in report.json)
PLOT_COLUMNS = 3
TABLE_ROWS = 15  # values of a categorical knob shown in report.md, most common first


# Formatting ---------------------------------------------------------------------------

def fmt_value(value, digits: int = 2) -> str:
    if value is None or isinstance(value, float) and math.isnan(value):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_pct(value) -> str:
    return "–" if value is None else f"{value:.0%}"


def fmt_ci(rate: Mapping | None) -> str:
    if not rate or rate.get("value") is None:
        return "–"
    return f"{rate['value']:.2f} [{rate['low']:.2f}, {rate['high']:.2f}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return lines + [""]


def _status_cells(block: Mapping) -> list[str]:
    ps = block["parse_status"]
    return [str(ps["exact"]), str(ps["extracted"]), str(ps["abstained"]), str(ps["unparseable"])]


# Sections -----------------------------------------------------------------------------

def _answer_type_tables(block: Mapping) -> list[str]:
    lines: list[str] = []
    types = block["answer_types"]
    if "yes_no" in types:
        m = types["yes_no"]
        lines += ["Yes/no (\"yes\" is the positive class; POPE's figures):", ""]
        lines += _table(["n", "accuracy", "precision", "recall", "F1", "predicted yes-ratio", "gold yes-ratio"],
                        [[m["n"], fmt_value(m["accuracy"]), fmt_value(m["precision"]), fmt_value(m["recall"]), fmt_value(m["f1"]),
                          fmt_value(m["yes_ratio"]), fmt_value(m["gold_yes_ratio"])]])
    if "integer" in types:
        m = types["integer"]
        lines += ["Counts:", ""]
        lines += _table(["n", "exact", "off by at most one", "mean absolute error", "replies with a number"],
                        [[m["n"], fmt_value(m["exact"]), fmt_value(m["off_by_one"]), fmt_value(m["mae"]), m["n_numeric"]]])
    if "text" in types:
        m = types["text"]
        lines += ["Text (case and whitespace normalised):", ""]
        lines += _table(["n", "exact", "ANLS", "CER"], [[m["n"], fmt_value(m["exact"]), fmt_value(m["anls"]), fmt_value(m["cer"])]])
        changed = normalization_note(m.get("normalized"))
        lines += [changed, ""] if changed else []
    if "caption" in types:
        m = types["caption"]
        lines += ["Captions (CHAIR: objects named that are not in the image):", ""]
        lines += _table(["n", "CHAIR_i", "CHAIR_s", "object recall", "accuracy"],
                        [[m["n"], fmt_value(m["chair_i"]), fmt_value(m["chair_s"]), fmt_value(m["object_recall"]), fmt_value(m["accuracy"])]])
    if "choice" in types:
        m = types["choice"]
        shares = ", ".join(f"{k} {v:.0%}" for k, v in m["position_share"].items()) or "–"
        lines += ["Multiple choice:", ""]
        lines += _table(["n", "accuracy", "positions picked"], [[m["n"], fmt_value(m["accuracy"]), shares]])
    if "bbox" in types:
        m = types["bbox"]
        lines += ["Boxes ([x0, y0, x1, y1] in pixels of the image):", ""]
        lines += _table(["n", "mean IoU", "accuracy at IoU 0.5"], [[m["n"], fmt_value(m["mean_iou"]), fmt_value(m["acc_at_0.5"])]])
        if m.get("points"):
            lines += ["", f"Click points given instead of boxes: {m['points']}, inside the gold box: "
                          f"{m['point_hits']} (scored right, ScreenSpot-style).", ""]
    return lines


def normalization_note(counts: Mapping | None) -> str:
    """Which normalisation steps changed a reply or gold answer, and how many ("" if none
    but case and whitespace did)."""
    shown = {k: v for k, v in (counts or {}).items() if v and k not in ("casefold", "whitespace")}
    if not shown:
        return ""
    names = {name: doc for name, doc, _step in TEXT_NORMALIZATIONS}
    return "Normalisation applied beyond case and whitespace (texts changed): " + "; ".join(
        f"{names.get(k, k)}: {v}" for k, v in shown.items()) + "."


def normalization_description() -> str:
    return "; ".join(doc for _name, doc, _step in TEXT_NORMALIZATIONS)


def _abstention_lines(block: Mapping) -> list[str]:
    a = block["abstention"]
    rows = [[a["answerable"]["n"], a["answerable"]["correct"], a["answerable"]["wrong"], a["answerable"]["abstained"],
             fmt_ci(a["accuracy_answerable"]), a["unanswerable"]["n"], fmt_pct(a["abstention_recall"]),
             fmt_pct(a["over_abstention"]), fmt_value(a["ece"]) + (f" (n={a['n_confidence']})" if a["n_confidence"] else "")]]
    return _table(["answerable", "correct", "wrong", "abstained", "accuracy on answerable", "unanswerable",
                   "abstention recall", "over-abstention", "ECE"], rows)


def _curve_rows(curves: Sequence[Mapping]) -> list[list[str]]:
    rows = []
    for c in curves:
        cross = c["crossing"]
        where = "–"
        if cross["status"] == "crosses":
            where = f"{cross['value']:.3g}"
            if cross.get("low") is not None:
                where += f" [{cross['low']:.3g}, {cross['high']:.3g}]"
        rows.append([f"`{c.get('axis', c['knob'])}`", c["scope"], f"{c['range'][0]:g}–{c['range'][1]:g}", c["n"], fmt_value(c["chance"]),
                     fmt_value(cross.get("best")), fmt_value(cross.get("level")), where, cross["status"].replace("_", " ")])
    return rows


def _categorical_lines(table: Mapping) -> list[str]:
    yes_no = any("yes_no" in row for row in table["values"])
    header = ["value", "n", "accuracy [95% CI]"] + (["precision", "recall", "F1", "yes-ratio"] if yes_no else [])
    rows = []
    for row in table["values"][:TABLE_ROWS]:
        cells = [f"`{row['value']}`" if row["value"] else "(empty)", row["n"], fmt_ci(row["accuracy"])]
        if yes_no:
            m = row.get("yes_no") or {}
            cells += [fmt_value(m.get("precision")), fmt_value(m.get("recall")), fmt_value(m.get("f1")), fmt_value(m.get("yes_ratio"))]
        rows.append(cells)
    title = f"`{table['knob']}`" + (f": {table['doc']}" if table.get("doc") else "")
    more = len(table["values"]) - TABLE_ROWS
    note = [f"… and {more} rarer values (all in report.json).", ""] if more > 0 else []
    return [f"#### {title}", ""] + _table(header, rows) + note


def _family_section(family: str, block: Mapping, plot: str | None) -> list[str]:
    lines = [f"## {family}", ""]
    lines += [f"- {line}" for line in block["headline"]] + [""]
    base = block["baselines"]
    lines += ["### Subtasks", ""]
    rows = [[f"**{family} (all)**", block["n"], fmt_ci(block["accuracy"]), *_status_cells(block),
             fmt_ci(block["paired"]) if block["paired"] else "–"]]
    for name, sub in block["subtasks"].items():
        rows.append([f"`{name}`", sub["n"], fmt_ci(sub["accuracy"]), *_status_cells(sub),
                     fmt_ci(sub["paired"]) if sub["paired"] else "–"])
    lines += _table(["subtask", "n", "accuracy [95% CI]", "exact", "extracted", "abstained", "unparseable",
                     "paired accuracy"], rows)
    lines += ["Blind baselines on the same items:", ""]
    rows = [[f"`{name}`" if name != family else f"**{family} (all)**", fmt_value(b["always_yes"]), fmt_value(b["majority"]),
             fmt_value(b["uniform_random"])] for name, b in [(family, base)] +
            [(n, s["baselines"]) for n, s in block["subtasks"].items()]]
    lines += _table(["", "always yes", "majority answer", "uniform random (expected)"], rows)
    lines += ["### Answer types", ""] + _answer_type_tables(block)
    lines += ["### Abstention", ""] + _abstention_lines(block)
    curves = block["knobs"]["numeric"]
    if curves:
        lines += ["### Breaking points", ""]
        if plot:
            lines += [f"![accuracy versus each knob of {family}]({plot})", ""]
        lines += _table(["knob", "items from", "range", "n", "chance", "best", "level", "breaking point [95% CI]",
                         "status"], _curve_rows(curves))
        lines += [f"- {c['statement']}" for c in curves] + [""]
    tables = block["knobs"]["categorical"]
    if tables:
        lines += ["### By categorical knob", ""]
        for table in tables:
            lines += _categorical_lines(table)
    return lines


def _problem_lines(problems: Mapping) -> list[str]:
    lines = ["## Predictions that did not count", ""]
    lines += _table(["kind", "count", "what happens"], [
        ["dataset items with no prediction", problems["missing"]["count"], "scored as an empty reply (unparseable, wrong)"],
        ["predictions whose id is not in the dataset", problems["unknown"]["count"], "ignored"],
        ["malformed lines", problems["malformed"]["count"], "ignored"],
        ["second predictions for an item", problems["duplicates"]["count"], "ignored (the first one counts)"],
        ["confidences that are not a number from 0 to 1", problems["bad_confidence"]["count"],
         "reply scored, confidence left out of calibration"],
    ])
    for key, title, show in (
        ("missing", "Items with no prediction", lambda e: f"`{e}`"),
        ("unknown", "Unknown ids", lambda e: f"line {e['line']}: `{e['id']}` ({e['reason']})"),
        ("malformed", "Malformed lines", lambda e: f"line {e['line']}: {e['reason']}"),
        ("duplicates", "Duplicates", lambda e: f"line {e['line']}: `{e['id']}` (first on line {e['first_line']})"),
        ("bad_confidence", "Confidences left out", lambda e: f"line {e['line']}: `{e['id']}` ({e['reason']})"),
    ):
        entries = problems[key]["list"]
        if entries:
            more = len(entries) - LIST_IN_MARKDOWN
            lines += [f"{title}:", ""] + [f"- {show(e)}" for e in entries[:LIST_IN_MARKDOWN]]
            lines += ([f"- … and {more} more (all in report.json)"] if more > 0 else []) + [""]
    return lines


def markdown(report: Mapping, plots: Mapping[str, str]) -> str:
    inputs = report["inputs"]
    lines = ["# gen-stress score report", ""]
    source = inputs["dataset"] + (f" @ {inputs['revision']}" if inputs.get("revision") else "")
    lines += [f"Dataset `{source}` (split `{inputs['split']}`, families {', '.join(inputs['families'])}); "
              f"predictions `{inputs['predictions']}` ({inputs['format']} format): {report['n_items']} items, "
              f"{inputs['matched']} with a prediction. Scored by gen-stress {report['gen_stress_version']}.", ""]
    lines += ["## Headline", ""] + [f"- {line}" for line in report["headline"]] + [""]
    coverage = report.get("coverage")
    if coverage:
        reasons = "; ".join(f"{reason} ({count})" for reason, count in coverage["reasons"].items())
        lines += [f"Coverage: the predictions attempt {coverage['attempted']} of {coverage['n']} items "
                  f"({fmt_pct(coverage['share_attempted'])}); {coverage['declined']} declared abstentions, not scored: "
                  f"{reasons}.", ""]
    lines += ["## Families", ""]
    rows = []
    for family, block in report["families"].items():
        a = block["abstention"]
        rows.append([family, block["n"], fmt_ci(block["accuracy"]), fmt_ci(block["paired"]) if block["paired"] else "–",
                     fmt_pct(a["abstention_recall"]), fmt_pct(a["over_abstention"]), fmt_value(block["baselines"]["best"]),
                     block["baselines"]["best_name"].replace("_", " ")])
    o = report["overall"]
    rows.append(["**all**", o["n"], fmt_ci(o["accuracy"]), fmt_ci(o["paired"]) if o["paired"] else "–",
                 fmt_pct(o["abstention"]["abstention_recall"]), fmt_pct(o["abstention"]["over_abstention"]),
                 fmt_value(o["baselines"]["best"]), o["baselines"]["best_name"].replace("_", " ")])
    lines += _table(["family", "n", "accuracy [95% CI]", "paired accuracy", "abstention recall", "over-abstention",
                     "best blind baseline", "which"], rows)
    for family, block in report["families"].items():
        lines += _family_section(family, block, plots.get(family))
    lines += _problem_lines(report["problems"])
    settings = report["settings"]
    lines += ["## How this was scored", "",
              "- Replies are parsed strictly first, then leniently, and every reply's parse status is counted: "
              "exact (the whole reply is the answer), extracted (found inside a longer reply), abstained, "
              "unparseable (never read as an answer: an unparseable yes/no reply is not a \"no\").",
              "- Yes/no: the first \"yes\" or \"no\" word. Counts: digits or number words (zero to one hundred); "
              "two different numbers are unparseable. Text: exact match, ANLS "
              f"(threshold {settings['anls_threshold']}) and character error rate, never substring containment, "
              f"both sides normalised first ({normalization_description()}; order is kept, so right-to-left "
              "text compares in logical order). "
              "Choice: the option letter or the option text. Boxes: four numbers [x0, y0, x1, y1] in pixels, "
              f"right at IoU >= {settings['iou_correct']}; a click point (x, y) in pixels instead of a box is right "
              "when it falls inside the gold box (ScreenSpot-style GUI grounding).",
              "- Abstention phrases: " + ", ".join(f"\"{p}\"" for p in ABSTAIN_PHRASES) +
              ", and an unanswerable item's own gold answer, in any spelling of their negations (\"can't\", "
              "\"can not\"); whichever comes first of an answer and such a phrase wins, and \"there is no\" "
              "answers yes/no and count questions. Abstaining is right exactly on unanswerable items.",
              f"- Intervals: {settings['confidence']:.0%}; {settings['interval']}, which stays an interval at 0% "
              f"and 100%; breaking points: percentile bootstrap of {settings['breaking_point_resamples']} refits "
              "of resampled items.",
              f"- Breaking point: where the fitted curve chance + (top - chance) * sigmoid(slope * (x - mid)) "
              f"crosses the level ({settings['level']}); chance is {settings['chance']}.",
              "- Blind baselines: always \"yes\"; the majority gold answer of each answer type; the expected "
              "accuracy of a uniform random guess (yes/no 1/2, choice 1/options, count 1/observed range, text "
              "1/distinct answers, box 0).", ""]
    return "\n".join(lines)


# Plots --------------------------------------------------------------------------------

def plot_family(family: str, curves: Sequence[Mapping], path: Path) -> None:
    """One figure per family: a panel per numeric knob with the observed accuracy at each
    value (95% intervals), the fitted curve, chance, the level and the breaking point."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(PLOT_COLUMNS, len(curves))
    rows = math.ceil(len(curves) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.6 * rows), squeeze=False)
    for ax, curve in zip(axes.flat, curves):
        pts = curve["points"]
        xs = [p["x"] for p in pts]
        ys = [p["value"] for p in pts]
        err = [[p["value"] - p["low"] for p in pts], [p["high"] - p["value"] for p in pts]]
        ax.errorbar(xs, ys, yerr=err, fmt="o", color="#1f77b4", ecolor="#9ecae1", capsize=3, ms=4,
                    label="accuracy (95% CI)")
        if curve.get("fit"):
            cx, cy = zip(*curve["fit"]["curve"])
            ax.plot(cx, cy, color="#d62728", lw=1.6, label="fitted curve")
        ax.axhline(curve["chance"], color="grey", ls="--", lw=1, label=f"chance {curve['chance']:.2f}")
        cross = curve["crossing"]
        if cross.get("level") is not None and cross["status"] != "too_few_values":
            ax.axhline(cross["level"], color="#ff7f0e", ls=":", lw=1, label=f"level {cross['level']:.2f}")
        if cross["status"] == "crosses":
            if cross.get("low") is not None:
                ax.axvspan(cross["low"], cross["high"], color="#ff7f0e", alpha=0.15)
            ax.axvline(cross["value"], color="#ff7f0e", lw=1.4, label=f"breaks at {cross['value']:.3g}")
        ax.set_ylim(-0.03, 1.03)
        scope = f" ({curve['scope']})" if curve["scope"] != "all subtasks" else ""
        ax.set_xlabel(curve.get("axis", curve["knob"]) + scope)
        ax.set_ylabel("accuracy")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(curves):]:
        ax.axis("off")
    fig.suptitle(f"{family}: accuracy versus each knob", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


# Writing ------------------------------------------------------------------------------

def write_report(out: Path, report: dict, scored: Sequence[Mapping], *, overwrite: bool,
                 page: Callable[[Path], list[str]] | None = None) -> list[str]:
    """Write the report folder under a temporary name, then move it into place; returns
    the files written, relative to `out`. `page(folder)` writes more files (report.html)."""
    with staged(Path(out), overwrite=overwrite) as tmp:
        (tmp / "plots").mkdir()
        plots = {}
        for family, block in report["families"].items():
            if block["knobs"]["numeric"]:
                name = f"plots/{family}-knobs.png"
                plot_family(family, block["knobs"]["numeric"], tmp / name)
                plots[family] = name
        files = ["report.md", "report.json", "scores.jsonl", *plots.values(), *(page(tmp) if page else ())]
        report = {**report, "files": files}
        (tmp / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "report.md").write_text(markdown(report, plots), encoding="utf-8")
        with (tmp / "scores.jsonl").open("w", encoding="utf-8") as handle:
            for row in scored:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return files
