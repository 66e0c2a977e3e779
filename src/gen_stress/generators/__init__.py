"""The family registry. Every module in this package that defines `FAMILY` (a Family
instance) is a family; nothing else needs editing to add one."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from gen_stress.errors import UserError
from gen_stress.generators.base import Draft, Family, Question, Resample, SamplePlan
from gen_stress.rng import FAMILY_IDS


@cache
def registry() -> dict[str, Family]:
    found: dict[str, Family] = {}
    for module in pkgutil.iter_modules(__path__):
        family = getattr(importlib.import_module(f"{__name__}.{module.name}"), "FAMILY", None)
        if family is not None:
            if family.name not in FAMILY_IDS:
                raise RuntimeError(f"family {family.name!r} needs a stable id in gen_stress.rng.FAMILY_IDS")
            found[family.name] = family
    # `all` lists families in the order of the taxonomy
    return {name: found[name] for name in FAMILY_IDS if name in found}


def get_family(name: str) -> Family:
    families = registry()
    if name not in families:
        raise UserError(f"unknown family {name!r}; choose from {', '.join(families)} or all")
    return families[name]


def family_names(spec: str) -> tuple[str, ...]:
    """Names selected by a --family value: one family, or `all`."""
    if spec == "all":
        return tuple(registry())
    get_family(spec)
    return (spec,)


__all__ = ["Draft", "Family", "Question", "Resample", "SamplePlan", "family_names", "get_family", "registry"]
