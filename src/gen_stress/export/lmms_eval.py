"""An lmms-eval task folder: `lmms-eval --include_path OUT --tasks <name>`.

    OUT/<name>_<family>.yaml   one task per family (dataset_path: the folder, or the Hub
                               repo with its revision)
    OUT/<name>.yaml            the group of all of them
    OUT/utils.py               the hooks, imported from gen_stress.export.lmms_hooks
    OUT/README.md              how to run and score it

The YAML uses lmms-eval's `!function utils.<hook>` tags; strings are written as JSON
(valid YAML) so no value needs escaping rules of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

from gen_stress import __version__
from gen_stress.export.lmms_hooks import SUBTASK_PREFIX, Metric, task_metrics
from gen_stress.hub import REF_NAME, REPO_ID
from gen_stress.errors import UserError
from gen_stress.fingerprint import stale_configs

HOOKS = ("doc_to_visual", "doc_to_text", "doc_to_target", "process_results_for", "aggregate_for")
GROUP_METRICS = ("accuracy",)  # the only figure a size-weighted mean of the tasks' gives exactly
LONG_ANSWER = 100  # characters: answers longer than this (captions) get a larger token budget


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def family_metrics(source, family: str, split: str) -> tuple[list[Metric], int]:
    """The metrics that mean something for these rows, and a generation budget."""
    rows = list(source.rows(family, split, ["subtask", "answer", "answer_type", "answerable", "group_id",
                                             "difficulty"]))
    longest = max((len(row["answer"]) for row in rows), default=0)
    return task_metrics(rows), 512 if longest > LONG_ANSWER else 128


def _hib(metric: Metric) -> str:
    return "null" if metric.higher_is_better is None else "true" if metric.higher_is_better else "false"


def task_yaml(task: str, family: str, split: str, dataset_path: str, revision: str | None, metrics: list[Metric],
              max_new_tokens: int, source_name: str) -> str:
    lines = [f"# gen-stress {__version__}: family {family} of {source_name}, split {split}",
             f"task: {_q(task)}",
             f"dataset_path: {_q(dataset_path)}",
             f"dataset_name: {_q(family)}"]
    if revision:
        lines += ["dataset_kwargs:", f"  revision: {_q(revision)}"]
    lines += [f"test_split: {_q(split)}",
              "output_type: generate_until",
              "doc_to_visual: !function utils.doc_to_visual",
              "doc_to_text: !function utils.doc_to_text",
              "doc_to_target: !function utils.doc_to_target",
              f"process_results: !function utils.process_results_{family}",
              "generation_kwargs:",
              f"  max_new_tokens: {max_new_tokens}",
              "  temperature: 0",
              "  do_sample: false",
              "metric_list:"]
    for metric in metrics:
        lines += [f"  - metric: {metric.name}",
                  f"    aggregation: !function utils.aggregate_{metric.name}",
                  f"    higher_is_better: {_hib(metric)}"]
    lines += ["lmms_eval_specific_kwargs:", "  default:", '    pre_prompt: ""', '    post_prompt: ""',
              "metadata:", f"  version: {_q(__version__)}", f"  gen_stress_version: {_q(__version__)}", ""]
    return "\n".join(lines)


def group_yaml(name: str, tasks: list[str]) -> str:
    lines = [f"# gen-stress {__version__}: every family", f"group: {_q(name)}", "task:"]
    lines += [f"  - {_q(t)}" for t in tasks]
    lines += ["aggregate_metric_list:"]
    for metric in GROUP_METRICS:
        lines += [f"  - metric: {metric}", "    aggregation: mean", "    weight_by_size: true"]
    lines += ["metadata:", f"  version: {_q(__version__)}", ""]
    return "\n".join(lines)


UTILS = '''"""Hooks of the gen-stress tasks in this folder. gen-stress scores the replies, so it must
be installed where lmms-eval runs: pip install gen-stress=={version}"""

from gen_stress.export.lmms_hooks import (  # noqa: F401
{names}
)

# Each task returns exactly its own metrics (lmms-eval aggregates every key returned).
{tasks}

{aggregations}
'''


def write(source, families: tuple[str, ...], out: Path, options, result) -> None:
    if options.repo is not None:
        if not REPO_ID.match(options.repo):
            raise UserError(f"--repo {options.repo!r} must be ORG/NAME")
        if not options.revision or not REF_NAME.match(options.revision):
            raise UserError("--repo needs --revision: the tag (or branch) to pin, e.g. v1.0.0")
        dataset_path, revision = options.repo, options.revision
    else:
        if options.revision:
            raise UserError("--revision applies to --repo; a local folder has no revisions")
        dataset_path, revision = str(source.path.resolve()), None
        stale = stale_configs(source.path, [c for c in source.card["configs"] if c.get("config_name") in families])
        if stale:  # lmms-eval loads through the datasets cache, which the fingerprint keys
            raise UserError(f"{source.path}: the card has no fingerprint matching the files of {', '.join(stale)} "
                            "(an older gen-stress, or files changed since), so lmms-eval could read another "
                            "folder's cached rows; regenerate the folder")
    if not options.name.isidentifier():
        raise UserError(f"--name {options.name!r} must be letters, digits and underscores")
    tasks, metrics_of = [], {}
    for family in families:
        task = f"{options.name}_{family}"
        metrics, budget = family_metrics(source, family, options.split)
        (out / f"{task}.yaml").write_text(
            task_yaml(task, family, options.split, dataset_path, revision, metrics, budget, source.path.name),
            encoding="utf-8")
        tasks.append(task)
        metrics_of[family] = metrics
        result.rows[family] = source.count(family, options.split)
    (out / f"{options.name}.yaml").write_text(group_yaml(options.name, tasks), encoding="utf-8")
    per_task = "\n".join(f"process_results_{f} = process_results_for({tuple(m.name for m in ms)!r})"
                         for f, ms in metrics_of.items())
    names = sorted({m.name for ms in metrics_of.values() for m in ms})
    aggregations = "\n".join(f"aggregate_{name} = aggregate_for({name!r})" for name in names)
    (out / "utils.py").write_text(UTILS.format(version=__version__, names="\n".join(f"    {h}," for h in HOOKS),
                                               tasks=per_task, aggregations=aggregations), encoding="utf-8")
    (out / "README.md").write_text(readme(source, families, tasks, metrics_of, dataset_path, revision, options,
                                          result), encoding="utf-8")
    result.notes.append(f"lmms-eval --include_path {result.out} --tasks {options.name} ...")


def readme(source, families, tasks, metrics_of, dataset_path, revision, options, result) -> str:
    """How to run the tasks and score their samples: commands a test runs as written
    (with <model> and <model_args> filled in)."""
    where = f"the Hub repo `{dataset_path}` at `{revision}`" if revision else f"the folder `{dataset_path}`"
    dataset = f"{dataset_path} --revision {revision}" if revision else dataset_path
    family_flags = " ".join(f"--family {f}" for f in families)
    lines = [f"# lmms-eval tasks for {source.path.name} ({options.split} split)", "",
             f"Exported by gen-stress {__version__}; the tasks load {where}. Run them on the machine that holds "
             f"the model, with gen-stress installed there (`pip install gen-stress=={__version__}`): it scores "
             "the replies, so lmms-eval's numbers are `gen-stress score`'s. lmms-eval writes one samples file per "
             f"task under `results/<model>/`; the second command scores them all at once (one run per `results/` "
             "folder: a second run's files would be read as duplicates).", "", "```bash",
             f"lmms-eval --model <model> --model_args <model_args> --include_path {Path(result.out).resolve()} "
             f"--tasks {options.name} --log_samples --output_path results/",
             f"gen-stress score {dataset} {family_flags} --split {options.split} "
             f"--predictions 'results/*/*_samples_{options.name}_*.jsonl' --out report/",
             "```", "",
             f"The group `{options.name}` reports `accuracy` over every item (the size-weighted mean of the tasks, "
             "which is `gen-stress score`'s overall accuracy); each task reports the figures below that its rows "
             "have, and `acc_<subtask>` per subtask.", "",
             "| task | family | rows | metrics |", "|---|---|---|---|"]
    lines += [f"| `{t}` | {f} | {result.rows[f]} | {', '.join(m.name for m in metrics_of[f])} |"
              for t, f in zip(tasks, families)]
    fixed = {m.name: m for ms in metrics_of.values() for m in ms if not m.name.startswith(SUBTASK_PREFIX)}
    lines += ["", "| metric | what it is |", "|---|---|"]
    lines += [f"| `{m.name}` | {m.doc} |" for m in fixed.values()]
    return "\n".join(lines) + "\n"
