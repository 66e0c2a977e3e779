"""The sample contract: the columns every row carries, with their types."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from datasets import Features, Image, List, Value

from gen_stress import __version__
from gen_stress.generators.base import Draft, Family
from gen_stress.knobs import difficulty_features
from gen_stress.scenes.model import scene_features, scene_record
from gen_stress.scenes.render import Rendered

COLUMNS = (
    "id", "family", "subtask", "image", "question", "answer", "answer_type", "choices", "aliases",
    "answerable", "difficulty", "scene", "group_id", "seed", "index", "generator_version",
)


def row_features(family: Family, knobs_cls: type | None = None, shaped: bool = False) -> Features:
    """The columns of a family's rows; `knobs_cls` (default: the family's knobs) types
    `difficulty` (a part that uses the `context` knob adds it and the layout statistics);
    `shaped` adds the grapheme clusters of shaped text to the scene (writing knobs)."""
    return Features(
        {
            "id": Value("string"),
            "family": Value("string"),
            "subtask": Value("string"),
            "image": Image(),
            "question": Value("string"),
            "answer": Value("string"),
            "answer_type": Value("string"),
            "choices": List(Value("string")),
            "aliases": List(Value("string")),
            "answerable": Value("bool"),
            "difficulty": difficulty_features(knobs_cls or family.Knobs),
            "scene": scene_features(shaped),
            "group_id": Value("string"),
            "seed": Value("int64"),
            "index": Value("int64"),
            "generator_version": Value("string"),
        }
    )


def sample_id(family: str, seed: int, index: int, variant: str = "") -> str:
    base = f"{family}-s{seed}-{index:07d}"
    return f"{base}-{variant}" if variant else base


def make_row(family: Family, draft: Draft, rendered: Rendered, *, seed: int, index: int) -> dict:
    row_id = sample_id(family.name, seed, index, draft.variant)
    q = draft.question
    return {
        "id": row_id,
        "family": family.name,
        "subtask": f"{family.name}/{draft.subtask}",
        "image": {"bytes": rendered.png, "path": f"{row_id}.png"},
        "question": q.question,
        "answer": q.answer,
        "answer_type": q.answer_type,
        "choices": list(q.choices),
        "aliases": list(q.aliases),
        "answerable": q.answerable,
        "difficulty": {name: getattr(draft.knobs, name) for name in _knob_names(type(draft.knobs))},
        "scene": scene_record(draft.scene, rendered),
        "group_id": sample_id(family.name, seed, index) if draft.group else "",
        "seed": seed,
        "index": index,
        "generator_version": __version__,
    }


@lru_cache(maxsize=256)
def _knob_names(knobs_cls: type) -> tuple[str, ...]:
    """A knobs class's field names, looked up once per class (not per row)."""
    return tuple(f.name for f in dataclasses.fields(knobs_cls))
