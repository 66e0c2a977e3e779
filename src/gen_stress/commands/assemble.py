"""`gen-stress assemble`: merge slice folders (written with --shards) into one dataset folder."""

from __future__ import annotations

import click


@click.command()
@click.argument("slices", nargs=-1, required=True, metavar="DIR|URL...")
@click.option("--out", required=True, metavar="DIR|URL",
              help="The dataset folder to write, or an object-store prefix (s3://BUCKET/NAME).")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
def assemble(slices, out, overwrite):
    """Merge slices of one run (`--shards A:B` folders or object-store prefixes) into the
    folder the full run gives: every shard exactly once, then the card and contact sheets
    computed from the shards."""
    from gen_stress.dataset import assemble as assemble_slices

    result = assemble_slices(list(slices), out, overwrite=overwrite)
    total = sum(s.rows for s in result.summaries.values())
    click.echo(f"assembled {total} rows from {len(slices)} slices into {result.out} ({len(result.files)} files)")


COMMANDS = [assemble]
