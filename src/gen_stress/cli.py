"""The `gen-stress` command line. It parses arguments and calls the pipeline; nothing else.

    gen-stress --family ocr --n 5000 --out stress-ocr     (generation is the default command)
    gen-stress generate --family ocr --n 5000             (the same, spelled out)
"""

from __future__ import annotations

import dataclasses
import shlex
import signal
import sys
import threading

import click

from gen_stress import __version__
from gen_stress.errors import GenerationError, Terminated, UserError


class DefaultGroup(click.Group):
    """A group whose default command is `generate`: options without a command go to it."""

    default_command = "generate"

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter):
        super().format_help(ctx, formatter)
        command = self.commands[self.default_command]
        with formatter.section(f"Options of the default command ({self.default_command})"):
            formatter.write_dl([p.get_help_record(ctx) for p in command.get_params(ctx) if p.get_help_record(ctx)])


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gen-stress")
def cli():
    """Render synthetic stress-test datasets for vision-language models, with exact
    ground truth, as Hugging Face dataset folders.

    Without a command, the options below generate a dataset, for example:

        gen-stress --family ocr --n 5000 --out stress-ocr
    """


def _parse_size(text: str) -> tuple[int, int]:
    try:
        parts = [int(p) for p in text.lower().split("x")]
    except ValueError:
        raise UserError(f"--size {text!r} is malformed: expected N or WxH, e.g. 512 or 640x480") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(64 <= p <= 4096 for p in parts):
        raise UserError(f"--size {text!r} must be N or WxH with each side from 64 to 4096")
    return parts[0], parts[1]


def _command_line(families: str, n: int, seed: int, size: tuple[int, int], split: str, sweeps, settings,
                  subtasks, pairs: bool, rows_per_shard: int) -> str:
    """The command that rebuilds the dataset's bytes (where it is written does not matter)."""
    words = ["gen-stress", "--family", families, "--n", str(n), "--seed", str(seed),
             "--size", f"{size[0]}x{size[1]}", "--split", split]
    for leaf in subtasks:
        words += ["--subtask", leaf]
    for s in sweeps:
        words += ["--sweep", s]
    for s in settings:
        words += ["--set", s]
    if pairs:
        words.append("--pairs")
    if rows_per_shard != 500:
        words += ["--rows-per-shard", str(rows_per_shard)]
    return shlex.join(words)


@cli.command()
@click.option("--family", "family", required=True, metavar="NAME",
              help="Family to generate (ocr, ...) or 'all' for every family, one config each.")
@click.option("--n", "n", type=int, default=1000, show_default=True,
              help="Items per family (indices 0..n-1).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Dataset seed; item i of a family depends only on (seed, family, i).")
@click.option("--out", "out", default=None, metavar="DIR|URL",
              help="Output folder (Hub layout), or an object-store prefix such as s3://BUCKET/NAME "
                   "(see Big runs in the README). Default: stress-<family>.")
@click.option("--size", "size_text", default="512", show_default=True,
              help="Image size in pixels: N for NxN, or WxH.")
@click.option("--workers", type=int, default=None,
              help="Parallel processes. Default: all cores. Does not change the output bytes.")
@click.option("--split", default="test", show_default=True, help="Split name of the generated rows.")
@click.option("--sweep", "sweeps", multiple=True, metavar="KNOB=SPEC",
              help="Sweep one knob, other knobs at easy values: KNOB=start:stop:step (stop included) "
                   "or KNOB=a,b,c. Items are spread evenly over the values. Repeat for a grid.")
@click.option("--set", "settings", multiple=True, metavar="KNOB=VALUE",
              help="Pin a knob to one value for every item. Repeatable.")
@click.option("--subtask", "subtasks", multiple=True, metavar="LEAF",
              help="Only these subtasks (e.g. tiny_text). Repeatable.")
@click.option("--pairs", is_flag=True,
              help="Add a minimal-pair twin to each item (one fact changed, the answer flipped), "
                   "linked by group_id: two rows per index.")
@click.option("--rows-per-shard", type=int, default=500, show_default=True,
              help="Rows per parquet shard (changes file boundaries, not rows).")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--shards", "shards_text", default=None, metavar="START:STOP",
              help="Write only shards START..STOP-1 of the full run (same names and bytes), for "
                   "`gen-stress assemble` to merge.")
@click.option("--resume", is_flag=True,
              help="Continue a killed run of this command and --out: keep its finished shards.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: --workers processes; ray: one task per shard on a Ray cluster "
                   "(needs the `ray` extra and --out on a file system every node sees, or in an object store).")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="Ray cluster to join (host:port or ray://...). Default: RAY_ADDRESS, a running "
                   "local cluster, or a new local one.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def generate(family, n, seed, out, size_text, workers, split, sweeps, settings, subtasks, pairs, rows_per_shard,
             overwrite, shards_text, resume, engine, ray_address, progress):
    """Generate a dataset folder: <family>/<split>-*.parquet shards, README.md card, contact sheets."""
    from gen_stress.capture import with_capture
    from gen_stress.dataset import Engine, build_dataset
    from gen_stress.generators import family_names, get_family
    from gen_stress.knobs import knob_spec, parse_sweep, resolve_sweep, split_assignment
    from gen_stress.pipeline import DatasetSpec, PartSpec, default_workers
    from gen_stress.questions.in_context import context_pairs, served_subtasks, with_context
    from gen_stress.writing import prints_other_language, with_script

    names = family_names(family)
    size = _parse_size(size_text)
    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    if rows_per_shard < 1:
        raise UserError(f"--rows-per-shard must be at least 1, got {rows_per_shard}")
    if ray_address is not None and engine != "ray":
        raise UserError("--ray-address needs --engine ray")
    subtasks = tuple(s.split("/", 1)[1] if "/" in s else s for s in subtasks)
    parts = []
    for name in names:
        fam = get_family(name)
        # every family takes `context`, the capture knobs and the writing knobs
        knobs_cls = with_script(with_capture(with_context(fam.Knobs)))
        swept = tuple(resolve_sweep(*parse_sweep(s), knobs_cls, name) for s in sweeps)
        pinned = []
        for text in settings:
            knob, value = split_assignment(text, "--set")
            pinned.append((knob, knob_spec(knobs_cls, knob, name).parse(value)))
        leaves = tuple(s for s in subtasks if s in fam.subtasks) if len(names) > 1 else subtasks
        wanted = [v for k, v in pinned if k == "context"] + [v for s in swept if s.knob == "context" for v in s.values]
        if len(names) > 1 and not leaves and wanted:  # with `all`, each family asks what the contexts serve
            localized = prints_other_language(pinned, swept)
            served = served_subtasks(fam, wanted, localized)
            if localized and not served:  # nothing of it is asked of pages in another language
                continue
            leaves = () if served == fam.subtasks else served
        # With `all`, --pairs applies to the families that make pairs.
        part = PartSpec(family=name, n=n, seed=seed, split=split, sweeps=swept, settings=tuple(pinned),
                        subtasks=leaves)
        with_pairs = pairs and (bool(fam.pairs) or len(names) == 1 or context_pairs(fam, part))
        parts.append(dataclasses.replace(part, options=(("pairs", True),)) if with_pairs else part)
    out = out if out is not None else f"stress-{family}"
    command = _command_line(family, n, seed, size, split, sweeps, settings, subtasks, pairs, rows_per_shard)
    spec = DatasetSpec(parts=tuple(parts), width=size[0], height=size[1], rows_per_shard=rows_per_shard,
                       command=command)
    spec.validate()
    from gen_stress.shards import parse_slice

    shards = parse_slice(shards_text) if shards_text is not None else None
    result = build_dataset(spec, out, overwrite=overwrite, progress=progress, shards=shards, resume=resume,
                           engine=Engine(engine, workers or default_workers(), ray_address))
    total = sum(s.rows for s in result.summaries.values())
    what = f"shards {shards[0]}:{shards[1]}, " if shards else ""
    click.echo(f"wrote {total} rows to {result.out} ({what}{len(result.files)} files)")


def _add_subcommands() -> None:
    from gen_stress.commands import discover

    for command in discover():
        cli.add_command(command)


_add_subcommands()


def _terminate(signum, frame):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the clean-up short
    raise Terminated()


def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes become one line on stderr and exit code 2. SIGTERM
    unwinds like an exception, so partial output is removed before the process ends."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main_thread else None
    try:
        code = cli.main(args=argv, prog_name="gen-stress", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("gen-stress: aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        click.echo(f"gen-stress: error: {err.format_message()}", err=True)
        sys.exit(2 if isinstance(err, click.UsageError) else err.exit_code)
    except UserError as err:
        click.echo(f"gen-stress: error: {err}", err=True)
        sys.exit(2)
    except GenerationError as err:
        click.echo(f"gen-stress: generation failed: {err}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("gen-stress: interrupted", err=True)
        sys.exit(130)
    except Terminated as stop:
        click.echo(f"gen-stress: terminated; {stop.outcome}", err=True)
        sys.exit(128 + signal.SIGTERM)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
