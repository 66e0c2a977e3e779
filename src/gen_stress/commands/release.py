"""`gen-stress build`, `gen-stress verify` and `gen-stress push`: versioned releases."""

from __future__ import annotations

from pathlib import Path

import click

from gen_stress.errors import UserError


def _workers(workers: int | None) -> int:
    from gen_stress.pipeline import default_workers

    if workers is not None and workers < 1:
        raise UserError(f"--workers must be at least 1, got {workers}")
    return workers or default_workers()


@click.command()
@click.argument("manifest_path", metavar="MANIFEST", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder. Default: <name>-<version> from the manifest.")
@click.option("--workers", type=int, default=None, help="Parallel processes. Default: all cores.")
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
@click.option("--dry-run", is_flag=True, help="Check the manifest and print what it builds, without building.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def build(manifest_path, out, workers, overwrite, dry_run, progress):
    """Build the dataset version a release manifest names (manifests/*.yaml), with a lock file."""
    from gen_stress.release import build_release, load_manifest
    from gen_stress.release.build import dataset_spec
    from gen_stress.staging import check_inputs, check_out

    manifest = load_manifest(manifest_path)
    parts = manifest.parts()
    dataset_spec(manifest).validate()
    out = out if out is not None else Path(manifest.release)
    if dry_run:
        check_inputs(out, [manifest_path])
        click.echo(f"{manifest.release} (manifest sha256 {manifest.sha256})")
        for part in parts:
            extra = f", hold out {dict(part.hold_out)}" if part.hold_out else ""
            click.echo(f"  {part.family}/{part.split}: {part.n} items, seed {part.seed}{extra}")
        click.echo(f"  {sum(p.n for p in parts)} items in all, {manifest.width}x{manifest.height} images")
        return
    check_out(out, overwrite, [manifest_path])
    release = build_release(manifest, out, overwrite=overwrite, workers=_workers(workers), progress=progress)
    click.echo(f"built {manifest.release}: {release.rows} rows, {len(release.lock['files']) + 1} files in {release.out}")


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None, help="Parallel processes. Default: all cores.")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
def verify(folder, workers, progress):
    """Rebuild a release folder from its recorded manifest and compare every file's bytes."""
    from gen_stress.release import verify_release

    report = verify_release(folder, workers=_workers(workers), progress=progress)
    click.echo(f"verifying {report.release} in {folder} (manifest sha256 {report.manifest_sha256})")
    for check in report.checks:
        click.echo(f"  {check.status:<12} {check.path}" + (f"  ({check.detail})" if check.detail else ""))
    if report.libraries:
        click.echo("library versions that differ from the recording:")
        for name, recorded, current in report.libraries:
            click.echo(f"  {name}: recorded {recorded}, here {current}")
    else:
        click.echo("library versions: as recorded")
    good = sum(c.ok for c in report.checks)
    if report.ok:
        click.echo(f"OK: all {good} files match the recording")
        return
    click.echo(f"MISMATCH: {len(report.checks) - good} of {len(report.checks)} files differ from the recording")
    click.get_current_context().exit(1)


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--repo", "repo_id", required=True, metavar="ORG/NAME", help="Dataset repository on the Hub.")
@click.option("--tag", default=None, metavar="vX.Y.Z", help="Tag the pushed commit, e.g. v1.0.0.")
@click.option("--private", is_flag=True, help="Create the repository as private.")
@click.option("--revision", "branch", default=None, metavar="BRANCH", help="Branch to push to. Default: main.")
@click.option("--force-tag", is_flag=True, help="Move the tag if it already exists.")
def push(folder, repo_id, tag, private, branch, force_tag):
    """Push a dataset folder to the Hugging Face Hub in one commit, then tag it.

    The token comes from HF_TOKEN or the stored login (`hf auth login`); it is never
    printed or written."""
    from gen_stress.hub import HubError, push_folder

    try:
        result = push_folder(folder, repo_id, tag=tag, private=private, branch=branch, force_tag=force_tag)
    except HubError as err:
        raise click.ClickException(f"push to {repo_id} failed: {err}") from None
    what = f"{result.commits} commit(s)" if result.commits else "no new commit (the branch already held these files)"
    click.echo(f"pushed {result.files} files to {result.repo_url} ({result.branch}): {what}, "
               f"{result.deleted} stale file(s) removed, at {result.commit[:12]}")
    if result.tag:
        click.echo(f"tagged {result.tag}: datasets.load_dataset({repo_id!r}, CONFIG, revision={result.tag!r})")


COMMANDS = [build, verify, push]
