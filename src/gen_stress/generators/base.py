"""What a family is: a small plug-in on the one data path of the pipeline.

    sample knobs -> compose a scene and its question(s) -> render -> verify -> encode -> write

A family declares its knobs (a dataclass, see gen_stress.knobs), draws their values for a
subtask, composes scenes whose answers it computes from the scene alone, and checks the
render of those scenes. It never writes files or parses arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

import numpy as np

from gen_stress.errors import Resample, UserError  # noqa: F401 (Resample: families import it from here)
from gen_stress.scenes.model import Scene
from gen_stress.scenes.render import Rendered

ANSWER_TYPES = ("yes_no", "integer", "text", "choice", "bbox")


@dataclass(frozen=True)
class Question:
    question: str
    answer: str
    answer_type: str
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    answerable: bool = True

    def __post_init__(self):
        if self.answer_type not in ANSWER_TYPES:
            raise ValueError(f"unknown answer type {self.answer_type!r}")


@dataclass(frozen=True)
class Draft:
    """One row before rendering: everything but the pixels."""

    subtask: str  # the leaf, e.g. "tiny_text"
    knobs: Any  # the family's knobs dataclass, final (derived knobs filled in)
    scene: Scene
    question: Question
    variant: str = ""  # id suffix for extra rows of one index (minimal-pair twins)
    group: bool = False  # True: rows of this index form a minimal-pair group


@dataclass(frozen=True)
class SamplePlan:
    """What the pipeline asks of one index: a pure function of the index."""

    index: int
    subtask: str
    pinned: Mapping[str, Any] = field(default_factory=dict)  # swept or --set knob values
    easy: bool = False  # True under a sweep: unpinned knobs take their easy values
    slot: int = 0  # a counter for balancing answers (yes/no, positions) within the stratum
    options: Mapping[str, Any] = field(default_factory=dict)  # family options such as pairs
    size: tuple[int, int] = (512, 512)  # the image size, so drawn knob values can fit it
    hold_out: Mapping[str, frozenset] = field(default_factory=dict)  # knob -> values never to show


class Family:
    """Base class of the family plug-ins. Subclasses set the class attributes and
    implement draw_knobs, compose and verify."""

    name: str
    subtasks: tuple[str, ...]
    Knobs: type
    description: str = ""
    pairs: str = ""  # what a minimal-pair twin changes, when the family makes them (--pairs)

    # The smallest image side (px) each subtask's scenes fit, with drawn knobs: measured by
    # generating items at decreasing sizes (README, "Generating"). Unlisted: 64.
    min_side: Mapping[str, int] = {}

    def check_plan(self, plan: SamplePlan) -> None:
        """Raise UserError when no scene of the plan's subtask can be made at its image
        size with its pinned knob values (set or swept). PartSpec.validate calls this for
        every subtask and sweep cell before any worker starts, so compose never has to
        refuse a setting (it only resamples). Overrides call this first."""
        need = self.min_side.get(plan.subtask, 64)
        if min(plan.size) < need:
            width, height = plan.size
            raise UserError(f"{self.name}/{plan.subtask} needs images of at least {need}x{need} px; "
                            f"{width}x{height} is too small (--size {need} or more)")

    def fixed_values(self, plan: SamplePlan) -> dict[str, Any]:
        """The knob values every item of the plan has: pinned ones and, under a sweep,
        the easy values of the rest. Knobs missing here are drawn per item."""
        easy = self.easy_knobs(plan.subtask) if plan.easy else {}
        return {**easy, **plan.pinned}

    def draw_knobs(self, subtask: str, rng: np.random.Generator) -> dict[str, Any]:
        """Random values of every non-derived knob for this subtask."""
        raise NotImplementedError

    def easy_knobs(self, subtask: str) -> dict[str, Any]:
        """Values under a sweep: each knob's easy value (override to vary nuisances)."""
        from gen_stress.knobs import knob_specs

        return {n: s.easy for n, s in knob_specs(self.Knobs).items() if not s.derived}

    def compose(self, plan: SamplePlan, knobs: Any, rng: np.random.Generator, size: tuple[int, int]) -> list[Draft]:
        """Scene(s) and question(s) for the plan; raise Resample to try again."""
        raise NotImplementedError

    def verify(self, draft: Draft, rendered: Rendered) -> list[str]:
        """Reasons the render does not support the draft's label (empty: it does)."""
        raise NotImplementedError

    # A family whose answers are relations in the image frame (left of, which quadrant)
    # re-derives them on a photograph (capture): from the items' boxes on the photo's id
    # buffer, the draft with the answer the photo shows, or Resample when it shows none
    # clearly. None: the answer does not depend on the frame.
    judge_photo = None

    def shown_values(self, draft: Draft, knob: str) -> set:
        """Every value of a knob's kind that the draft shows or asks about: a hold-out
        must keep all of them out, not only the knob's own value (a held-out font must
        not turn up on a distractor sign either). Families widen this where it matters."""
        return {getattr(draft.knobs, knob)}
