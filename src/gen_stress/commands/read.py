"""`gen-stress read`: answer a dataset's text questions with a reference OCR reader."""

from __future__ import annotations

from pathlib import Path

import click

from gen_stress.readers.engines import ENGINES


@click.command("read")
@click.argument("dataset")
@click.option("--reader", required=True, type=click.Choice(ENGINES),
              help="OCR engine: rapidocr (pip install 'gen-stress[readers]') or tesseract (apt-get install "
                   "tesseract-ocr).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Predictions file to write (jsonl, for gen-stress score).")
@click.option("--split", default="test", show_default=True, help="Split of the dataset to read.")
@click.option("--revision", default=None, help="Hub revision (tag, branch or commit) of a repo-id DATASET.")
@click.option("--family", "families", multiple=True, metavar="NAME",
              help="Read only these families (default: every family config). Repeatable.")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def read(dataset, reader, out, split, revision, families, overwrite, progress):
    """Answer every item of DATASET whose question asks for the text on a sign, with a real
    OCR engine: a whole-image pass, then a rule that picks the sign the question names
    (by colour, shape or position). Other items get a declared abstention, which
    `gen-stress score` reports as coverage instead of scoring."""
    from gen_stress.readers import read_dataset

    summary = read_dataset(dataset, reader, out, split=split, revision=revision, families=families,
                           overwrite=overwrite, progress=progress)
    declined = "; ".join(f"{reason} ({count})" for reason, count in summary.declined.items())
    click.echo(f"{summary.reader}: answered {summary.attempted} of {summary.n} items"
               + (f", declined {summary.n - summary.attempted}: {declined}" if declined else ""))
    click.echo(f"wrote {out}")


COMMANDS = [read]
