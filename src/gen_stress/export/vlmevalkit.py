"""VLMEvalKit custom datasets: TSV files for its LMUData folder.

VLMEvalKit builds a dataset it does not know from `<LMUData>/<name>.tsv`: with option
columns `A` and `B` it is a multiple-choice dataset that VLMEvalKit scores itself; without
them an open-ended ("VQA") one, whose replies `gen-stress score` scores. A name containing
"OpenEnded" tells VLMEvalKit's models to prompt for a free answer rather than a letter. So
each family gets up to two files:

    <name>_<family>_OpenEnded.tsv   every item that is not a multiple choice
    <name>_<family>_MCQ.tsv         the choice items, options in A, B, ..., answer a letter

Columns: index (the row's position in the family's split), id, image (the PNG, base64),
question, answer, category (the family), l2-category (the subtask), answer_type,
answerable, and the options. The result file VLMEvalKit writes keeps every column plus
`prediction`, so `gen-stress score DIR --predictions <result>.xlsx` finds each row by id.
"""

from __future__ import annotations

import base64
import csv
import string
from pathlib import Path

from gen_stress import __version__

BASE_COLUMNS = ["index", "id", "image", "question", "answer", "category", "l2-category", "answer_type", "answerable"]
LETTERS = string.ascii_uppercase


def is_multiple_choice(row: dict) -> bool:
    """A choice item whose gold answer is one of its options (an unanswerable one whose
    gold answer is an abstention is open-ended: no letter is right)."""
    return row["answer_type"] == "choice" and 2 <= len(row["choices"]) <= len(LETTERS) and row["answer"] in row["choices"]


def dataset_names(name: str, family: str, split: str) -> tuple[str, str]:
    stem = f"{_camel(name)}_{family}" + ("" if split == "test" else f"_{split}")
    return f"{stem}_OpenEnded", f"{stem}_MCQ"


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_"))


def _base(row: dict, position: int) -> list:
    return [position, row["id"], base64.b64encode(row["image"]["bytes"]).decode("ascii"), row["question"],
            row["answer"], row["family"], row["subtask"], row["answer_type"], str(bool(row["answerable"]))]


def write(source, families: tuple[str, ...], out: Path, options, result) -> None:
    written = []
    for family in families:
        open_name, mcq_name = dataset_names(options.name, family, options.split)
        letters = max((len(r["choices"]) for r in source.rows(family, options.split, ["answer_type", "choices", "answer"])
                       if is_multiple_choice(r)), default=0)
        files = {"open": None, "mcq": None}
        writers = {}
        counts = {"open": 0, "mcq": 0}
        try:
            for position, row in enumerate(source.rows(family, options.split)):
                kind = "mcq" if letters and is_multiple_choice(row) else "open"
                if files[kind] is None:
                    path = out / f"{open_name if kind == 'open' else mcq_name}.tsv"
                    files[kind] = open(path, "w", encoding="utf-8", newline="")
                    writers[kind] = csv.writer(files[kind], delimiter="\t", lineterminator="\n")
                    header = BASE_COLUMNS + (list(LETTERS[:letters]) if kind == "mcq" else [])
                    writers[kind].writerow(header)
                cells = _base(row, position)
                if kind == "mcq":
                    cells[4] = LETTERS[row["choices"].index(row["answer"])]
                    cells += list(row["choices"]) + [""] * (letters - len(row["choices"]))
                writers[kind].writerow(cells)
                counts[kind] += 1
        finally:
            for handle in files.values():
                if handle is not None:
                    handle.close()
        result.rows[family] = counts["open"] + counts["mcq"]
        written += [(n, counts[k]) for k, n in (("open", open_name), ("mcq", mcq_name)) if counts[k]]
    lines = [f"# VLMEvalKit datasets from {source.path.name} ({options.split} split)", "",
             f"Exported by gen-stress {__version__}. Copy the TSV files into VLMEvalKit's data folder "
             "(`$LMUData`, default `~/LMUData`) and run them by name:", "", "| dataset | items |", "|---|---|"]
    lines += [f"| `{name}` | {count} |" for name, count in written]
    lines += ["", "```bash", "cp *.tsv ~/LMUData/",
              f"python run.py --data {' '.join(n for n, _ in written)} --model <model> --mode infer", "```", "",
              "VLMEvalKit scores the `_MCQ` datasets itself. Score every result, open-ended ones included, "
              "with gen-stress (each row is found by its `id`):", "", "```bash",
              f"gen-stress score {source.path.name} --predictions outputs/<model>/<model>_<dataset>.xlsx", "```", ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")
    result.notes.append(f"copy the TSV files into $LMUData and run: python run.py --data {written[0][0]} ...")
