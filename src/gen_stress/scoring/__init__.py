"""Scoring model replies against gen-stress rows, and the breaking-point report.

The public API, shared by `gen-stress score` and the harness exports (so a harness's
numbers equal the command's):

    score_item(item, reply) -> dict      one raw reply against one dataset row
    summarize(items, scores) -> dict     every figure of the report for those rows

See `parse` for how replies are read, `metrics` for the figures, `breaking` for the
curve fits.
"""

from __future__ import annotations

from gen_stress.scoring.item import score_item
from gen_stress.scoring.parse import ABSTAIN_PHRASES, PARSE_STATUSES
from gen_stress.scoring.summary import summarize

__all__ = ["ABSTAIN_PHRASES", "PARSE_STATUSES", "score_item", "summarize"]
