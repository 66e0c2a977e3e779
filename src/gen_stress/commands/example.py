"""`gen-stress example NAME --out DIR`: write a named worked example, the same bytes every
time, as an image, its row as JSON (without the image bytes), and a one-row parquet file
with the full sample contract.

    gen-stress example --list
    gen-stress example fork-on-plate --out worked-example
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from gen_stress.errors import UserError


@click.command("example")
@click.argument("name", required=False)
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Folder to write NAME.png, NAME.json and NAME.parquet into. Default: the current folder.")
@click.option("--list", "list_names", is_flag=True, help="List the named examples and what they show.")
@click.option("--overwrite", is_flag=True, help="Replace NAME.png, NAME.json and NAME.parquet if they exist.")
def example(name, out, list_names, overwrite):
    """Write a named worked example (e.g. fork-on-plate)."""
    from gen_stress.generators.hallucination import EXAMPLES

    if list_names or not name:
        for key, text in EXAMPLES.items():
            click.echo(f"{key}: {text}")
        if not name:
            return
    if name not in EXAMPLES:
        raise UserError(f"unknown example {name!r}; known: {', '.join(EXAMPLES)}")
    paths = write_example(name, out or Path("."), overwrite=overwrite)
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


def write_example(name: str, out: Path, *, overwrite: bool = False) -> list[Path]:
    """The three files into `out`; existing ones only replaced with `overwrite`, each
    written under a hidden name first and renamed, so none is ever half-written."""
    import io
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    from gen_stress.contract import row_features
    from gen_stress.generators.hallucination import FAMILY
    from gen_stress.staging import disk_full

    paths = [out / f"{name}.png", out / f"{name}.json", out / f"{name}.parquet"]
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} exists and is not a directory")
    existing = [p.name for p in paths if os.path.lexists(p)]
    if existing and not overwrite:
        raise UserError(f"--out {out} already holds {', '.join(existing)}; pass --overwrite to replace them")
    row, _rendered = example_row(name)
    plain = {k: v for k, v in row.items() if k != "image"}
    table = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([row], schema=row_features(FAMILY).arrow_schema), table)
    contents = [row["image"]["bytes"], (json.dumps({**plain, "image": f"{name}.png"}, indent=2) + "\n").encode(),
                table.getvalue()]
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for path, data in zip(paths, contents):
            hidden = path.with_name(f".{path.name}.partial-{os.getpid()}")
            written.append(hidden)
            hidden.write_bytes(data)
        for path, hidden in zip(paths, written):
            os.replace(hidden, path)
    except OSError as err:
        for hidden in written:
            hidden.unlink(missing_ok=True)
        reason = "no space left on the device" if disk_full(err) else err.strerror or str(err)
        raise UserError(f"cannot write to --out {out}: {reason}") from None
    return paths


COMMANDS = [example]
