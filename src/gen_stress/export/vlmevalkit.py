"""VLMEvalKit custom datasets: TSV files for its LMUData folder.

VLMEvalKit builds a dataset it does not know from `<LMUData>/<name>.tsv`: with option
columns `A` and `B` it is a multiple-choice dataset (CustomMCQDataset) that VLMEvalKit
scores itself; without them an open-ended one (CustomVQADataset, whose evaluate raises
NotImplementedError: run it with `--mode infer` and score the result with `gen-stress
score`). A name containing "OpenEnded" tells VLMEvalKit's models to prompt for a free
answer rather than a letter. So each family gets up to two files:

    <name>_<family>_OpenEnded.tsv   every item that is not a multiple choice
    <name>_<family>_MCQ.tsv         the choice items, options in A, B, ..., answer a letter

VLMEvalKit's MCQ prompt is "Question: <question>\nOptions:\nA. <A>\nB. <B>\n...", and its
exact matching (can_infer) reads a lone capital letter in the reply as that option, or
else an option's text inside the reply. Its option columns must be named A, B, C, so
choices that look like option letters themselves (grounding's tags "A", "B"; grid cells
"A1" ... "C3") cannot be told apart from the labels ("A. B1": is "B" the option or the
column?). Items with such choices go to the open-ended file, where the question asks for
the tag or cell in its own words and gen-stress reads the reply. The MCQ question is the
row's question without its own lettered option list (VLMEvalKit appends its options).

Columns: index (the row's position in the family's split), id, image (the PNG, base64),
question, answer, category (the family), l2-category (the subtask), answer_type,
answerable, and the options. The result file VLMEvalKit writes keeps every column plus
`prediction`, so `gen-stress score DIR --predictions <result>.xlsx` finds each row by id.
"""

from __future__ import annotations

import base64
import csv
import re
import string
from pathlib import Path

from gen_stress import __version__

BASE_COLUMNS = ["index", "id", "image", "question", "answer", "category", "l2-category", "answer_type", "answerable"]
LETTERS = string.ascii_uppercase


LABEL_LIKE = re.compile(r"[A-Z]\d*")  # a choice a reader (or can_infer) takes for an option label


def is_multiple_choice(row: dict) -> bool:
    """A choice item whose gold answer is one of its options (an unanswerable one whose
    gold answer is an abstention is open-ended: no letter is right), and none of whose
    options looks like an option label ("A", "B2")."""
    choices = row["choices"]
    return (row["answer_type"] == "choice" and 2 <= len(choices) <= len(LETTERS) and row["answer"] in choices
            and not any(LABEL_LIKE.fullmatch(c) for c in choices))


def question_without_options(question: str, choices: list[str]) -> str:
    """The question up to its own lettered option list ("... Options: A. red star; B. blue
    circle. Answer with the letter or the text of one option."): VLMEvalKit lists the
    options and asks for one itself. A question that lists none is kept whole."""
    listing = "".join(rf"{LETTERS[k]}\.\s*{re.escape(c)}.*?" for k, c in enumerate(choices))
    found = re.search(rf"\s*(?:Options?:\s*)?(?<!\w){listing}$", question, re.S)
    return question[:found.start()].rstrip() if found else question


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
                    cells[3] = question_without_options(row["question"], row["choices"])
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
    (out / "README.md").write_text(readme(source, families, written, options), encoding="utf-8")
    result.notes.append(f"copy the TSV files into $LMUData and run: python run.py --data {written[0][0]} ...")


def readme(source, families: tuple[str, ...], written: list[tuple[str, int]], options) -> str:
    """How to run the files and score the results: commands a test runs as written (with
    <model> and <timestamp> filled in)."""
    def results(names) -> str:
        return " ".join(f"-p outputs/<model>/T<timestamp>/<model>_{n}.xlsx" for n in names)

    flags = " ".join(f"--family {f}" for f in families)
    dataset = source.path.resolve()
    first = [n for n, _ in written if n.startswith(f"{_camel(options.name)}_{families[0]}_")]
    lines = [f"# VLMEvalKit datasets from {source.path.name} ({options.split} split)", "",
             f"Exported by gen-stress {__version__}. Copy the TSV files into VLMEvalKit's data folder "
             "(`$LMUData`, default `~/LMUData`) and run them by name:", "", "| dataset | items |", "|---|---|"]
    lines += [f"| `{name}` | {count} |" for name, count in written]
    lines += ["", "```bash", "cp *.tsv ~/LMUData/",
              f"python run.py --data {' '.join(n for n, _ in written)} --model <model> --mode infer",
              f"gen-stress score {dataset} {flags} --split {options.split} {results(n for n, _ in written)} "
              "--out report/",
              "```", "",
              "VLMEvalKit writes each result to `outputs/<model>/T<timestamp>/<model>_<dataset>.xlsx` (the TSV's "
              "columns plus `prediction`; `T<timestamp>` is the run, like `T20261202-143000`). `--mode infer` is "
              "the path that works for every file: VLMEvalKit cannot evaluate a custom open-ended dataset (its "
              "`CustomVQADataset.evaluate` raises `NotImplementedError`), while it does score the `_MCQ` files "
              "itself (`--mode all`, exact matching). The `gen-stress score` command scores the open-ended and "
              "MCQ results of every family at once, each row found by its `id`; one family's files alone:", "",
              "```bash", f"gen-stress score {dataset} --family {families[0]} --split {options.split} {results(first)} "
              "--out report-one/", "```", "",
              "Choice items whose options look like option letters (tags \"A\", grid cells \"B2\") are in the "
              "open-ended files: VLMEvalKit's option labels A, B, C would be confused with them.", "",
              "VLMEvalKit's API models send each image re-encoded as JPEG at quality 75 (Pillow's default), "
              "which blurs tiny and low-contrast text: OCR results through an API model are lower than on the "
              "PNG images themselves.", ""]
    return "\n".join(lines)
