"""Real-world contexts: scene builders that lay out a typed Page (see scenes/page.py).

Every module in this package that defines `CONTEXT` (a Context) is a context; nothing
else needs editing to add one. A context samples its content from the request and the
sample's stream (`sample`), can change one fact of it for a minimal-pair twin
(`change`), and lays the content out deterministically (`layout`): a sampled content
can be laid out again, and a twin differs from its original by the one change only.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

import numpy as np

from gen_stress.scenes.library import data_yaml
from gen_stress.scenes.page import Page, Request

ABSTRACT = "abstract"  # the families' own scenes; not a module here
MIN_SIDE_PX = 384  # the least image side of every context (see Context.smallest_side)


class Context:
    name: str
    noun: str  # how questions call the whole picture: "receipt"
    description: str = ""
    # What questions can ask of it: slot -> one line saying what the slot is here.
    slots: dict[str, str] = {}
    # Slots it cannot offer, with the reason (shown when a user asks for one).
    refuses: dict[str, str] = {}
    # Slots whose text it draws at these angles only (a vertical tab label is at 90 or 270
    # degrees): a drawn `angle_deg` is snapped to the nearest, a set one must be among them.
    angles: dict[str, tuple[int, ...]] = {}
    # A slot whose subtask asks these slots' questions in turn, item by item (a screen's
    # left/right subtask asks about a dialog's buttons, then which tab is second from the right).
    turns: dict[str, tuple[str, ...]] = {}
    # Slots of families without minimal pairs of their own whose answer `change` flips
    # too (a screen's usual elements and states, for hallucination): --pairs works there.
    pair_slots: frozenset = frozenset()
    # Slots it serves when its page prints another language (`Request.language`): those
    # whose elements the language's page words cover (scenes/languages.page_words).
    localized_slots: tuple[str, ...] = ()

    def smallest_side(self, scripts: set[str]) -> tuple[int, str]:
        """(the least image side its pages need when written in these scripts, what the
        error adds to say why: "" or " in the korean script (...)"): a receipt, menu or
        page needs this much room to be legible as one."""
        return MIN_SIDE_PX, ""

    def sample(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> Any:
        """The content of one page (plain frozen data): every random draw happens here."""
        raise NotImplementedError

    def change(self, content: Any, request: Request, rng: np.random.Generator, focus: tuple[str, ...] = ()) -> Any:
        """The content with the one fact changed that flips the slot's answer; `focus`
        names the entries the question asked about."""
        raise NotImplementedError

    def optional_fields(self, content: Any, request: Request) -> dict[str, bool] | None:
        """The usual fields this content may show or not, for a question about one
        (`Request.slot` absent_field or presupposition): name -> shown. `change` with the
        name as focus shows it or takes it away. The question picks its field from these
        before the wanted answer decides the field's presence, so no field's name tells
        its answer (empty: this content has none, and is drawn again). A content may also
        have made its one field shown or not as asked already (a shelf's product, picked
        while sampling). None (the default): a question picks among the fields the page
        shows or lacks."""
        return None

    def layout(self, content: Any, request: Request, size: tuple[int, int]) -> Page:
        """The page of a content: deterministic, no random draws."""
        raise NotImplementedError


@cache
def contexts() -> dict[str, Context]:
    found = {}
    for module in pkgutil.iter_modules(__path__):
        context = getattr(importlib.import_module(f"{__name__}.{module.name}"), "CONTEXT", None)
        if context is not None:
            found[context.name] = context
    return dict(sorted(found.items()))


def context_names() -> tuple[str, ...]:
    """Every value of the `context` knob, the default first."""
    return (ABSTRACT, *contexts())


@cache
def vocabulary(name: str) -> dict:
    """A context's data file (src/gen_stress/data/contexts/<name>.yaml)."""
    return data_yaml("contexts", f"{name}.yaml")
