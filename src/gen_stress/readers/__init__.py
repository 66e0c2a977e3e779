"""Reference readers: real OCR engines that answer a dataset's text questions like a model
would, so the whole loop (generate, predict, score, breaking point) runs without a GPU.

    read_dataset(dataset, "rapidocr", out)   -> predictions jsonl for `gen-stress score`

Each item whose question this reader can attempt (it asks for the text on a sign named
by colour, shape or position; see `rule`) gets the reader's reply; every other item gets
a declared abstention with its reason (`{"id", "prediction": null, "abstain": ...}`),
which scoring leaves out and reports as coverage. (Not to be confused with
`gen_stress.scoring.readers`, which reads prediction files.)
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from gen_stress.errors import UserError
from gen_stress.readers.engines import ENGINES, make_engine
from gen_stress.readers.rule import answer, referent

NOT_TEXT = "the question does not ask for text"
NO_REFERENT = "the question names no sign by colour, shape or position"


@dataclass(frozen=True)
class ReadSummary:
    reader: str  # engine and version
    n: int
    attempted: int
    declined: dict  # reason -> count


def decline_reason(item: Mapping) -> str | None:
    """Why this reader does not attempt the item, or None when it does."""
    if item.get("answer_type") != "text":
        return NOT_TEXT
    if referent(item.get("question") or "") is None:
        return NO_REFERENT
    return None


def check_out_file(out: Path, overwrite: bool) -> None:
    """Refuse, before any work, an --out that is a folder, exists (without --overwrite) or
    cannot be written."""
    out = Path(out)
    if out.is_dir():
        raise UserError(f"--out {out} is a directory; give a file name such as preds.jsonl")
    if out.exists() and not overwrite:
        raise UserError(f"--out {out} exists; pass --overwrite to replace it")
    if not out.parent.is_dir():
        raise UserError(f"cannot write --out {out}: folder {out.parent} does not exist")
    if not os.access(out.parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UserError(f"cannot write --out {out}: permission denied")


def _rgb(image: Mapping):
    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(image["bytes"])) as img:
        return np.asarray(img.convert("RGB"))


def item_language(item: Mapping) -> str:
    """The language of the item's text: its `language` knob, else its `script` knob's
    default language, else English (datasets made before scripts existed)."""
    from gen_stress.scenes.languages import LANGUAGES, SCRIPTS, default_language

    difficulty = item.get("difficulty") or {}
    language, script = difficulty.get("language"), difficulty.get("script")
    if language in LANGUAGES:
        return language
    return default_language(script).code if script in SCRIPTS else "en"


def predictions(engine, items: Iterable[Mapping]) -> Iterable[dict]:
    """One prediction record per item, in order. Items in a language the engine has no
    model for are declined with that reason."""
    for item in items:
        reason = decline_reason(item)
        language = item_language(item)
        if reason is None and not engine.supports(language):
            reason = engine.unsupported(language)
        if reason is not None:
            yield {"id": item["id"], "prediction": None, "abstain": reason, "reader": engine.version}
            continue
        reply = answer(engine, _rgb(item["image"]), referent(item["question"]), language)
        yield {"id": item["id"], "prediction": reply, "reader": engine.version}


def read_dataset(dataset: str, reader: str, out: Path, *, split: str = "test", revision: str | None = None,
                 families: Sequence[str] = (), overwrite: bool = False, progress: bool = False) -> ReadSummary:
    """Answer every item of the dataset the reader can attempt and write the predictions
    to `out` (jsonl, written under a temporary name and renamed when complete)."""
    from gen_stress.scoring.load import load_items
    from gen_stress.staging import check_inputs

    if reader not in ENGINES:
        raise UserError(f"unknown reader {reader!r}; choose from {', '.join(ENGINES)}")
    out = Path(out)
    check_out_file(out, overwrite)
    if Path(dataset).exists():  # a local folder: never write into (or over) the dataset read
        check_inputs(out, [Path(dataset)])
    heads, _ = load_items(dataset, split=split, revision=revision, families=families,
                          columns=("id", "answer_type", "question", "difficulty"))
    wanted = {h["id"] for h in heads if decline_reason(h) is None}
    if not wanted:
        raise UserError(f"dataset {dataset} has no item asking for the text on a sign (split {split}); "
                        "the reference readers answer OCR items")
    engine = make_engine(reader)
    images = {r["id"]: r["image"] for r in load_items(dataset, split=split, revision=revision, families=families,
                                                     columns=("id", "image"), ids=wanted)[0]}
    items = [{**h, "image": images.get(h["id"])} for h in heads]
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    declined: dict[str, int] = {}
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            records = predictions(engine, items)
            if progress:
                from tqdm import tqdm

                records = tqdm(records, total=len(items), desc=f"reading with {reader}", unit="item")
            for record in records:
                if record["prediction"] is None:
                    declined[record["abstain"]] = declined.get(record["abstain"], 0) + 1
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        tmp.replace(out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write --out {out}: {err.strerror or err}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ReadSummary(engine.version, len(items), len(items) - sum(declined.values()), declined)
