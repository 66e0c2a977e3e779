"""`gen-stress example NAME --out DIR`: write a named worked example, the same bytes every
time, as an image, its row as JSON (without the image bytes), and a one-row parquet file
with the full sample contract.

    gen-stress example --list
    gen-stress example fork-on-plate --out worked-example
"""

from __future__ import annotations

from pathlib import Path

import click

from gen_stress.errors import UserError


@click.command("example")
@click.argument("name", required=False)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Folder to write NAME.png, NAME.json and NAME.parquet into. Default: the current folder.")
@click.option("--list", "list_names", is_flag=True, help="List the named examples and what they show.")
def example(name, out, list_names):
    """Write a named worked example (e.g. fork-on-plate)."""
    from gen_stress.generators.hallucination import EXAMPLES

    if list_names or not name:
        for key, text in EXAMPLES.items():
            click.echo(f"{key}: {text}")
        if not name:
            return
    if name not in EXAMPLES:
        raise UserError(f"unknown example {name!r}; known: {', '.join(EXAMPLES)}")
    paths = write_example(name, out or Path("."))
    click.echo(f"wrote {', '.join(str(p) for p in paths)}")


def example_row(name: str) -> tuple[dict, object]:
    """The example's row (sample contract) and its render."""
    from gen_stress.contract import make_row
    from gen_stress.generators.hallucination import FAMILY, example_drafts
    from gen_stress.scenes.render import render

    (draft,) = example_drafts(name)
    rendered = render(draft.scene)
    failures = FAMILY.verify(draft, rendered)
    if failures:
        raise RuntimeError(f"worked example {name} fails its own checks: {failures[0]}")
    row = make_row(FAMILY, draft, rendered, seed=0, index=0)
    row["id"] = f"{FAMILY.name}-example-{name}"
    row["image"]["path"] = f"{name}.png"
    return row, rendered


def write_example(name: str, out: Path) -> list[Path]:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from gen_stress.contract import row_features
    from gen_stress.generators.hallucination import FAMILY

    row, _rendered = example_row(name)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot write to --out {out}: {err.strerror or err}") from None
    png, record, table = out / f"{name}.png", out / f"{name}.json", out / f"{name}.parquet"
    png.write_bytes(row["image"]["bytes"])
    plain = {k: v for k, v in row.items() if k != "image"}
    record.write_text(json.dumps({**plain, "image": f"{name}.png"}, indent=2) + "\n", encoding="utf-8")
    schema = row_features(FAMILY).arrow_schema
    pq.write_table(pa.Table.from_pylist([row], schema=schema), table)
    return [png, record, table]


COMMANDS = [example]
