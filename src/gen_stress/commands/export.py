"""`gen-stress export FORMAT DIR --out OUT`: inputs for evaluation harnesses."""

from __future__ import annotations

from pathlib import Path

import click

FORMAT_NAMES = ("lmms-eval", "vlmevalkit", "jsonl")


@click.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice(FORMAT_NAMES))
@click.argument("folder", metavar="DIR", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--split", default="test", show_default=True, help="Split to export.")
@click.option("--family", "families", multiple=True, metavar="NAME", help="Only these families. Repeatable.")
@click.option("--repo", default=None, metavar="ORG/NAME",
              help="lmms-eval: load the dataset from this Hub repo instead of the local folder.")
@click.option("--revision", default=None, metavar="TAG", help="lmms-eval with --repo: the revision to pin, e.g. v1.0.0.")
@click.option("--name", default="gen_stress", show_default=True,
              help="lmms-eval task/group name prefix; VLMEvalKit dataset name prefix.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
def export(fmt, folder, out, split, families, repo, revision, name, overwrite):
    """Write a dataset folder as harness input: an lmms-eval task folder, VLMEvalKit TSVs,
    or image files with metadata.jsonl (imagefolder)."""
    from gen_stress.errors import UserError
    from gen_stress.export import ExportOptions, export as run_export

    if fmt != "lmms-eval" and (repo or revision):
        raise UserError("--repo and --revision apply to the lmms-eval format only")
    options = ExportOptions(split=split, families=tuple(families), repo=repo, revision=revision, name=name)
    result = run_export(fmt, folder, out, options, overwrite=overwrite)
    counts = ", ".join(f"{family} {rows}" for family, rows in result.rows.items())
    click.echo(f"exported {fmt} to {result.out}: {len(result.files)} files ({counts} rows)")
    for note in result.notes:
        click.echo(f"  {note}")


COMMANDS = [export]
