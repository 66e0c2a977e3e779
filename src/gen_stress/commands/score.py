"""`gen-stress score`: a model's replies against a dataset, and where the model breaks."""

from __future__ import annotations

from pathlib import Path

import click

from gen_stress.errors import UserError


@click.command("score")
@click.argument("dataset")
@click.option("--predictions", "-p", "predictions", required=True, multiple=True, type=click.Path(path_type=Path),
              help="The model's replies: jsonl ({id, prediction, confidence?}), lmms-eval --log_samples jsonl, "
                   "or a VLMEvalKit result .xlsx/.tsv. Repeatable, and a quoted glob pattern is expanded: the "
                   "files are merged (a row's first prediction counts).")
@click.option("--format", "fmt", type=click.Choice(["auto", "jsonl", "lmms-eval", "vlmevalkit"]), default="auto",
              show_default=True, help="Format of --predictions; auto detects it from the file.")
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("report"), show_default=True,
              help="Report folder: report.md, report.json, scores.jsonl, plots/, report.html, report_files/.")
@click.option("--split", default="test", show_default=True, help="Split of the dataset to score.")
@click.option("--revision", default=None, help="Hub revision (tag, branch or commit) of a repo-id DATASET.")
@click.option("--family", "families", multiple=True, metavar="NAME",
              help="Score only these families (default: every family config of the dataset). Repeatable.")
@click.option("--level", type=float, default=None,
              help="Accuracy at which breaking points are read (0..1). Default: halfway between chance and "
                   "the best level reached along each knob.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
def score(dataset, predictions, fmt, out, split, revision, families, level, overwrite):
    """Score a model's replies on DATASET (a dataset folder or a Hub repo id) and write a
    report (report.md, and report.html with a failure gallery): accuracy with intervals
    per family and subtask, answer-type metrics, paired accuracy, abstention, blind
    baselines and, for every knob that varies, the accuracy curve and its breaking point."""
    from gen_stress.scoring.load import load_items
    from gen_stress.scoring.report import write_report
    from gen_stress.scoring.report_html import write_html
    from gen_stress.staging import check_out
    from gen_stress.scoring.run import score_predictions

    if level is not None and not 0.0 < level < 1.0:
        raise UserError(f"--level must be between 0 and 1, got {level}")
    from gen_stress.scoring.run import prediction_paths

    inputs = prediction_paths(predictions) + ([Path(dataset)] if Path(dataset).exists() else [])
    check_out(out, overwrite, inputs)  # before the work: a refusal must come first
    scored = score_predictions(dataset, predictions, fmt=fmt, split=split, revision=revision,
                               families=families, level=level)

    def images(ids: list[str]) -> list[dict]:  # only the gallery's images are read
        chosen = scored.report["inputs"]["families"]
        return load_items(dataset, split=split, revision=revision, families=chosen, columns=("id", "image"),
                          ids=set(ids))[0]
    files = write_report(out, scored.report, scored.rows, overwrite=overwrite,
                         page=lambda folder: write_html(folder, scored.report, scored.items, scored.rows, images))
    for line in scored.report["headline"]:
        click.echo(line)
    problems = scored.report["problems"]
    words = {"missing": "items without a prediction (scored as wrong)", "unknown": "predictions with unknown ids",
             "malformed": "malformed lines", "duplicates": "duplicate predictions",
             "bad_confidence": "confidences left out (not a number from 0 to 1)"}
    counts = [f"{problems[k]['count']} {w}" for k, w in words.items() if problems[k]["count"]]
    if counts:
        click.echo(f"{', '.join(counts)}: listed in the report")
    click.echo(f"wrote {out / 'report.md'} ({len(files)} files)")


COMMANDS = [score]
