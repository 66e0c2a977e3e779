"""`gen-stress assemble`: merge slice folders (written with --shards) into one dataset folder."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("slices", nargs=-1, required=True, metavar="DIR...", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The dataset folder to write.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
def assemble(slices, out, overwrite):
    """Merge slices of one run (`--shards A:B` folders) into the folder the full run gives:
    every shard exactly once, then the card and contact sheets computed from the shards."""
    from gen_stress.dataset import assemble as assemble_slices

    result = assemble_slices(list(slices), out, overwrite=overwrite)
    total = sum(s.rows for s in result.summaries.values())
    click.echo(f"assembled {total} rows from {len(slices)} slices into {result.out} ({len(result.files)} files)")


COMMANDS = [assemble]
