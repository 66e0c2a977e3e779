"""Difficulty knobs: declared once per family as a dataclass, recorded per sample as the
typed `difficulty` column, and pinned or swept from the command line.

    @dataclass(frozen=True)
    class OcrKnobs:
        text_px: int = knob(low=4, high=48, easy=24, primary_for=("tiny_text",),
                            doc="cap height of the text, in pixels of the stored image")
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from datasets import Value

from gen_stress.errors import UserError, clip

_MISSING = dataclasses.MISSING


@dataclass(frozen=True)
class KnobSpec:
    name: str
    kind: type  # int, float, str or bool
    easy: Any  # the value used when another knob is swept
    low: float | None = None  # inclusive range of numeric knobs
    high: float | None = None
    choices: tuple[Any, ...] | None = None  # allowed values of categorical knobs
    primary_for: tuple[str, ...] = ()  # subtasks this knob is the main axis of
    derived: bool = False  # computed by the generator from the others; cannot be pinned
    doc: str = ""
    period: float | None = None  # circular knobs (angles): difficulty grows with distance from 0

    def distance_from_zero(self, value: float) -> float:
        """How far a value is from 0, going round when the knob is circular (350 deg is 10)."""
        if self.period is None:
            return value
        turned = value % self.period
        return min(turned, self.period - turned)

    def check(self, value: Any) -> Any:
        """The value, validated; raises UserError naming the knob."""
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, self.kind) or (self.kind is int and isinstance(value, bool)):
            raise UserError(f"knob {self.name} takes {self.kind.__name__} values, got {clip(repr(value))}")
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            raise UserError(f"knob {self.name}={clip(repr(value))} is outside {self.low}..{self.high}")
        if self.choices is not None and value not in self.choices:
            raise UserError(f"knob {self.name}={clip(repr(value))} is not one of {_choice_list(self.choices)}")
        return value

    def parse(self, text: str) -> Any:
        """A value from its command-line spelling."""
        text = text.strip()
        try:
            if self.kind is bool:
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value: Any = text.lower() in ("true", "1", "yes")
            elif self.kind is int:
                value = int(text)
            elif self.kind is float:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
            else:
                value = text
        except ValueError:
            raise UserError(f"knob {self.name} takes {self.kind.__name__} values, got {clip(repr(text))}") from None
        return self.check(value)


def _choice_list(choices: tuple) -> str:
    """Choices as an error lists them; the empty string (an unset value) shown as ''."""
    return ", ".join("''" if choice == "" else str(choice) for choice in choices)


def knob(
    *,
    easy: Any,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[Any, ...] | None = None,
    primary_for: tuple[str, ...] = (),
    derived: bool = False,
    doc: str = "",
    period: float | None = None,
):
    """A dataclass field declaring a knob. Derived knobs get their easy value as default."""
    meta = {"knob": dict(easy=easy, low=low, high=high, choices=choices, primary_for=primary_for,
                         derived=derived, doc=doc, period=period)}
    if derived:
        return dataclasses.field(default=easy, metadata=meta)
    return dataclasses.field(metadata=meta)


@cache
def knob_specs(knobs_cls: type) -> dict[str, KnobSpec]:
    hints = typing.get_type_hints(knobs_cls)
    specs = {}
    for f in dataclasses.fields(knobs_cls):
        meta = f.metadata.get("knob")
        if meta is None:
            raise TypeError(f"{knobs_cls.__name__}.{f.name} is not declared with knob()")
        specs[f.name] = KnobSpec(name=f.name, kind=hints[f.name], **meta)
    return specs


_ARROW = {int: Value("int32"), float: Value("float64"), str: Value("string"), bool: Value("bool")}


@cache
def extend_knobs(knobs_cls: type, group: type, suffix: str) -> type:
    """A family's knobs plus an optional knob group (capture, writing), made once per pair."""
    if issubclass(knobs_cls, group):
        return knobs_cls
    return dataclasses.make_dataclass(f"{knobs_cls.__name__}{suffix}", [], bases=(group, knobs_cls), frozen=True)


def part_sets_any(part, names) -> bool:
    """Whether a part sets or sweeps any of the named knobs."""
    return any(s.knob in names for s in part.sweeps) or any(k in names for k, _ in part.settings)


def difficulty_features(knobs_cls: type) -> dict:
    return {name: _ARROW[spec.kind] for name, spec in knob_specs(knobs_cls).items()}


def easy_values(knobs_cls: type) -> dict[str, Any]:
    return {name: spec.easy for name, spec in knob_specs(knobs_cls).items()}


def make_knobs(knobs_cls: type, values: dict[str, Any]):
    """Validated knobs from a complete dict of values; unknown names are an error."""
    specs = knob_specs(knobs_cls)
    unknown = set(values) - set(specs)
    if unknown:
        raise UserError(f"unknown knob(s) {', '.join(sorted(unknown))}; known: {', '.join(specs)}")
    return knobs_cls(**{name: specs[name].check(value) for name, value in values.items()})


def knob_spec(knobs_cls: type, name: str, family: str) -> KnobSpec:
    specs = knob_specs(knobs_cls)
    if name not in specs:
        raise UserError(f"{name!r} is not a knob of family {family} (its knobs: {', '.join(specs)})")
    spec = specs[name]
    if spec.derived:
        raise UserError(f"knob {name} of family {family} is derived from the others and cannot be set")
    return spec


# Sweeps and settings from the command line ------------------------------------------

@dataclass(frozen=True)
class Sweep:
    knob: str
    values: tuple[Any, ...]

    def spelling(self) -> str:
        return f"{self.knob}={','.join(map(str, self.values))}"


def split_assignment(text: str, option: str) -> tuple[str, str]:
    name, sep, rhs = text.partition("=")
    if not sep or not name.strip() or not rhs.strip():
        raise UserError(f"{option} {text!r} is malformed: expected KNOB=VALUE")
    return name.strip(), rhs.strip()


def parse_sweep(text: str) -> tuple[str, str]:
    """Split 'knob=values' without knowing the family yet (checked by `resolve_sweep`)."""
    return split_assignment(text, "--sweep")


def resolve_sweep(name: str, rhs: str, knobs_cls: type, family: str) -> Sweep:
    """Values of `knob=start:stop:step` (stop included) or `knob=a,b,c`."""
    spec = knob_spec(knobs_cls, name, family)
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 3 or spec.kind not in (int, float):
            raise UserError(f"--sweep {name}={rhs} is malformed: ranges are start:stop:step of a numeric knob")
        start, stop, step = (spec.parse(p) if i < 2 else _number(p, spec, name, rhs) for i, p in enumerate(parts))
        if step <= 0 or stop < start:
            raise UserError(f"--sweep {name}={rhs} is malformed: needs start <= stop and step > 0")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        values = tuple(spec.check(spec.kind(round(start + k * step, 9))) for k in range(count))
    else:
        values = tuple(spec.parse(p) for p in rhs.split(","))
    if len(set(values)) != len(values):
        raise UserError(f"--sweep {name}={rhs} repeats a value")
    return Sweep(name, values)


def _number(text: str, spec: KnobSpec, name: str, rhs: str):
    try:
        value = spec.kind(text)
    except ValueError:
        raise UserError(f"--sweep {name}={rhs} is malformed: step {text!r} is not a number") from None
    return value
