"""Per-sample random streams: every sample is a pure function of (seed, family, index)."""

from __future__ import annotations

import numpy as np

# Stable numeric ids for the families: part of the seed stream, so never renumber them.
FAMILY_IDS: dict[str, int] = {
    "hallucination": 1,
    "counting": 2,
    "ocr": 3,
    "spatial": 4,
    "grounding": 5,
}

MAX_SEED = 2**63 - 1  # the largest seed: the `seed` column is int64


def sample_rng(seed: int, family: str, index: int) -> np.random.Generator:
    """The random stream of one sample; independent of worker count and order."""
    return np.random.default_rng([index, FAMILY_IDS[family], seed])


def pick(rng: np.random.Generator, seq):
    """One element of a sequence, uniformly, from the sample's stream."""
    return seq[int(rng.integers(len(seq)))]
