"""Real-world contexts choose what passes their checks when they sample: scenes are
seldom redrawn.

A real run per context (every family, the subtasks the context serves, drawn knobs)
counts the redraws (`Resample` and failed pixel checks) the pipeline records, and each
family stays under a generous bound per delivered item. The checks themselves are not
loosened: a check that fires rarely still fires (see the context tests).
"""

from __future__ import annotations

from collections import Counter

import pytest

from gen_stress.generators import get_family
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.questions.in_context import served_subtasks

FAMILIES = ("ocr", "counting", "spatial", "hallucination", "grounding")
CONTEXTS = ("shelf", "menu", "screen", "document", "receipt")
SIZE = (512, 512)
N = 40  # items per family and context
# Redraws per delivered item, per family. Measured at n=200 (one seed): at most 0.27
# (shelf spatial and grounding), most families under 0.1; before sampling chose what
# passes, up to 2.2 (shelf grounding).
BOUND = 0.6


def redraws(context: str, family: str, n: int = N) -> tuple[int, Counter]:
    fam = get_family(family)
    part = PartSpec(family=family, n=n, settings=(("context", context),),
                    subtasks=served_subtasks(fam, (context,)))
    part.validate(SIZE)
    reasons: Counter = Counter()
    delivered = sum(1 for i in range(n) if generate_index(fam, part, SIZE, i, reasons))
    return delivered, reasons


@pytest.mark.slow
@pytest.mark.parametrize("context", CONTEXTS)
def test_scenes_are_seldom_redrawn(context):
    for family in FAMILIES:
        delivered, reasons = redraws(context, family)
        assert delivered == N
        per_item = sum(reasons.values()) / delivered
        assert per_item < BOUND, (context, family, per_item, reasons.most_common(3))
