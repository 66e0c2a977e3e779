"""Release manifests: a YAML file that names a dataset version and everything that
rebuilds its bytes.

    name: vlm-stress
    version: 1.0.0
    image_size: 512            # N or WxH
    splits:
      test:  {seed: 1000}
      train: {seed: 2000, hold_out: true}   # held-out values never appear in train
    families:
      ocr:
        n: {test: 3000, train: 10000}       # or one number for every split
        hold_out: {font: [Lobster Two]}     # knob values seen only outside train
        set: {clutter: 4}                   # knobs pinned for every item
        sweeps: {text_px: "4:48:4"}         # start:stop:step, or a list of values
        subtasks: [tiny_text]
        pairs: true

Every key is checked: an unknown or misspelled key is an error, never ignored. Splits
have their own seeds, so their items come from disjoint random streams (and their ids,
which carry the seed, differ too).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gen_stress.errors import UserError, clip
from gen_stress.knobs import Sweep, knob_spec, knob_specs, resolve_sweep
from gen_stress.rng import MAX_SEED

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
VERSION = re.compile(r"^\d+\.\d+\.\d+([.-]?[A-Za-z0-9]+)*$")
SPLIT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
TOP_KEYS = {"name", "version", "title", "description", "image_size", "rows_per_shard", "seed", "splits", "families"}
SPLIT_KEYS = {"seed", "hold_out"}
FAMILY_KEYS = {"n", "subtasks", "set", "sweeps", "pairs", "hold_out"}
MAX_DEPTH = 8  # the deepest a manifest nests is 4 (families.ocr.hold_out.font: [...])
MAX_MESSAGE = 400  # characters of an error message, whatever it echoes


class ManifestError(UserError):
    """A manifest that cannot be built: the message names the file and the key."""


@dataclass(frozen=True)
class SplitEntry:
    name: str
    seed: int
    hold_out: bool = False  # True: the families' held-out values never appear in this split


@dataclass(frozen=True)
class FamilyEntry:
    family: str
    n: tuple[tuple[str, int], ...]  # (split, items); splits without items are left out
    subtasks: tuple[str, ...] = ()
    settings: tuple[tuple[str, Any], ...] = ()
    sweeps: tuple[Sweep, ...] = ()
    pairs: bool = False
    hold_out: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass(frozen=True)
class Manifest:
    name: str
    version: str
    title: str
    description: str
    width: int
    height: int
    rows_per_shard: int
    splits: tuple[SplitEntry, ...]
    families: tuple[FamilyEntry, ...]
    text: str  # the file's exact text: it is what the hash covers and what the card shows
    sha256: str

    @property
    def release(self) -> str:
        return f"{self.name}-{self.version}"

    def split(self, name: str) -> SplitEntry:
        return next(s for s in self.splits if s.name == name)

    def parts(self):
        """One PartSpec per family and split, families in manifest order."""
        from gen_stress.pipeline import PartSpec

        parts = []
        for entry in self.families:
            for split_name, n in entry.n:
                split = self.split(split_name)
                parts.append(PartSpec(
                    family=entry.family, n=n, seed=split.seed, split=split_name, sweeps=entry.sweeps,
                    settings=entry.settings, subtasks=entry.subtasks,
                    options=(("pairs", True),) if entry.pairs else (),
                    hold_out=entry.hold_out if split.hold_out else (),
                ))
        return tuple(parts)


def manifest_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest file (YAML, loaded safely)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ManifestError(f"cannot read manifest {path}: {err}") from None
    return parse_manifest(text, source=path.name)


def parse_manifest(text: str, source: str = "manifest") -> Manifest:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader, stricter)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ManifestError(f"{source}: not valid YAML{where}: {clip(err.problem or err)}") from None
    except (yaml.YAMLError, ValueError) as err:  # ValueError: an integer past Python's digit limit
        raise ManifestError(f"{source}: not valid YAML: {clip(err)}") from None
    return _Reader(source).manifest(data, text)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses what a manifest never needs and an attacker can abuse:
    aliases (a few lines of `&a [*b, *b, ...]` expand to billions of nodes), nesting
    past MAX_DEPTH (the composer recurses), and duplicate keys (silently last-wins)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"aliases (*{clip(event.anchor, 40)}) are not allowed "
                                              "in a manifest; write the value out", event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen: set = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class names it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {clip(repr(key), 40)}",
                                                        key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


class _Reader:
    """Turns the loaded YAML into a Manifest, naming the offending key on any error."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str):
        # Every echoed value is clipped where it is echoed; this bounds the rest (key paths).
        raise ManifestError(clip(f"{self.source}: {where}: {message}", MAX_MESSAGE))

    def mapping(self, value, where: str, allowed: set[str] | None = None) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping, got {_kind(value)}")
        if allowed is not None:
            unknown = sorted(clip(k, 40) for k in value if k not in allowed)
            if unknown:
                self.fail(where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        return value

    def integer(self, value, where: str, low: int, high: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(where, f"expected a whole number, got {_kind(value)}")
        if value < low:
            self.fail(where, f"must be at least {low}, got {clip(value)}")
        if high is not None and value > high:
            self.fail(where, f"must be at most {high}, got {clip(value)}")
        return value

    def string(self, value, where: str, pattern: re.Pattern | None = None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, f"expected a non-empty string, got {_kind(value)}")
        if pattern is not None and not pattern.match(value):
            self.fail(where, f"{clip(repr(value))} is malformed")
        return value

    def manifest(self, data, text: str) -> Manifest:
        data = self.mapping(data, "top level", TOP_KEYS)
        for key in ("name", "version", "families"):
            if key not in data:
                self.fail("top level", f"missing key {key!r}")
        name = self.string(data["name"], "name", NAME)
        version = self.string(str(data["version"]) if isinstance(data["version"], (int, float)) else data["version"],
                              "version", VERSION)
        width, height = self.image_size(data.get("image_size", 512))
        rows = self.integer(data.get("rows_per_shard", 500), "rows_per_shard", 1)
        splits = self.splits(data)
        families = self.families(data["families"], splits)
        if any(s.hold_out for s in splits) and not any(f.hold_out for f in families):
            self.fail("splits", "a split keeps held-out values out, but no family lists any (families.<name>.hold_out)")
        if any(f.hold_out for f in families) and not any(s.hold_out for s in splits):
            self.fail("splits", "families list held-out values, but no split keeps them out "
                                "(add hold_out: true to the training split)")
        return Manifest(
            name=name, version=version,
            title=str(data.get("title") or f"{name} {version}"),
            description=str(data.get("description") or "").strip(),
            width=width, height=height, rows_per_shard=rows, splits=splits, families=families,
            text=text, sha256=manifest_sha256(text),
        )

    def image_size(self, value) -> tuple[int, int]:
        if isinstance(value, int) and not isinstance(value, bool):
            sides = [value, value]
        elif isinstance(value, str) and re.fullmatch(r"\d+x\d+", value.strip().lower()):
            sides = [int(p) for p in value.strip().lower().split("x")]
        else:
            self.fail("image_size", f"expected N or 'WxH', got {clip(repr(value))}")
        if not all(64 <= s <= 4096 for s in sides):
            self.fail("image_size", f"each side must be from 64 to 4096, got {clip(repr(value))}")
        return sides[0], sides[1]

    def splits(self, data: dict) -> tuple[SplitEntry, ...]:
        if "splits" not in data:
            seed = self.integer(data.get("seed", 0), "seed", 0, MAX_SEED)
            return (SplitEntry("test", seed),)
        if "seed" in data:
            self.fail("seed", "with `splits`, give each split its own seed (splits.<name>.seed)")
        raw = self.mapping(data["splits"], "splits")
        if not raw:
            self.fail("splits", "names no split")
        entries = []
        for name, body in raw.items():
            where = f"splits.{name}"
            self.string(name, where, SPLIT)
            body = self.mapping(body, where, SPLIT_KEYS)
            if "seed" not in body:
                self.fail(where, "missing key 'seed'")
            hold_out = body.get("hold_out", False)
            if not isinstance(hold_out, bool):
                self.fail(f"{where}.hold_out", f"expected true or false, got {_kind(hold_out)}")
            entries.append(SplitEntry(name, self.integer(body["seed"], f"{where}.seed", 0, MAX_SEED), hold_out))
        seeds = [s.seed for s in entries]
        for seed in {s for s in seeds if seeds.count(s) > 1}:
            names = ", ".join(s.name for s in entries if s.seed == seed)
            self.fail("splits", f"splits {names} share seed {seed}: they would hold the same items")
        return tuple(entries)

    def families(self, value, splits: tuple[SplitEntry, ...]) -> tuple[FamilyEntry, ...]:
        from gen_stress.generators import registry

        known = registry()
        raw = self.mapping(value, "families")
        if not raw:
            self.fail("families", "names no family")
        entries = []
        for family, body in raw.items():
            where = f"families.{family}"
            if family not in known:
                self.fail(where, f"unknown family; choose from {', '.join(known)}")
            body = self.mapping(body if body is not None else {}, where, FAMILY_KEYS)
            entries.append(self.family(family, body, splits, where))
        return tuple(entries)

    def family(self, name: str, body: dict, splits: tuple[SplitEntry, ...], where: str) -> FamilyEntry:
        from gen_stress.capture import with_capture
        from gen_stress.generators import get_family
        from gen_stress.questions.in_context import served_subtasks, with_context

        fam = get_family(name)
        from gen_stress.writing import with_script

        # as on the command line: `context`, capture and writing knobs
        knobs_cls = with_script(with_capture(with_context(fam.Knobs)))
        split_names = [s.name for s in splits]
        if "n" not in body:
            self.fail(where, "missing key 'n'")
        if isinstance(body["n"], dict):
            n_map = self.mapping(body["n"], f"{where}.n", set(split_names))
            n = tuple((s, self.integer(n_map[s], f"{where}.n.{s}", 1)) for s in split_names if s in n_map)
            if not n:
                self.fail(f"{where}.n", "names no split")
        else:
            count = self.integer(body["n"], f"{where}.n", 1)
            n = tuple((s, count) for s in split_names)
        subtasks = tuple(self.string_list(body.get("subtasks", []), f"{where}.subtasks"))
        for leaf in subtasks:
            if leaf not in fam.subtasks:
                self.fail(f"{where}.subtasks", f"unknown subtask {leaf!r}; choose from {', '.join(fam.subtasks)}")
        settings = []
        for knob, value in self.mapping(body.get("set", {}), f"{where}.set").items():
            settings.append((knob, self.knob_value(fam, knob, value, f"{where}.set.{knob}", knobs_cls)))
        sweeps = []
        for knob, spec in self.mapping(body.get("sweeps", {}), f"{where}.sweeps").items():
            if isinstance(spec, list):
                spec = ",".join(str(v) for v in spec)
            if not isinstance(spec, str):
                self.fail(f"{where}.sweeps.{knob}", "expected 'start:stop:step' or a list of values")
            sweeps.append(self.guard(f"{where}.sweeps.{knob}", resolve_sweep, str(knob), spec, knobs_cls, name))
        contexts = [v for k, v in settings if k == "context"] + [v for w in sweeps if w.knob == "context"
                                                                  for v in w.values]
        if contexts and not subtasks:  # a family in a context asks what the context serves
            from gen_stress.writing import prints_other_language

            localized = prints_other_language(settings, sweeps)  # in another language: what its page prints
            served = served_subtasks(fam, contexts, localized)
            if not served:
                self.fail(f"{where}.set.context", f"no subtask of {name} is served by context {contexts[0]}"
                          + (" in another language" if localized else ""))
            subtasks = () if served == fam.subtasks else served
        pairs = body.get("pairs", False)
        if not isinstance(pairs, bool):
            self.fail(f"{where}.pairs", f"expected true or false, got {_kind(pairs)}")
        if pairs and not fam.pairs:
            self.fail(f"{where}.pairs", f"family {name} does not make minimal pairs")
        hold_out = []
        specs = knob_specs(fam.Knobs)
        for knob, values in self.mapping(body.get("hold_out", {}), f"{where}.hold_out").items():
            if knob not in specs:
                self.fail(f"{where}.hold_out", f"{knob!r} is not a knob of {name} (its knobs: {', '.join(specs)})")
            values = values if isinstance(values, list) else [values]
            if not values:
                self.fail(f"{where}.hold_out.{knob}", "lists no value")
            checked = tuple(self.guard(f"{where}.hold_out.{knob}", specs[knob].check, v) for v in values)
            hold_out.append((knob, checked))
        return FamilyEntry(name, n, subtasks, tuple(settings), tuple(sweeps), pairs, tuple(hold_out))

    def knob_value(self, fam, knob: str, value, where: str, knobs_cls: type | None = None):
        spec = self.guard(where, knob_spec, knobs_cls or fam.Knobs, str(knob), fam.name)
        return self.guard(where, spec.check, value)

    def string_list(self, value, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "expected a list of names")
        return value

    def guard(self, where: str, helper, *args):
        """Call a knob helper; its UserError gets the manifest's key path in front."""
        try:
            return helper(*args)
        except ManifestError:
            raise
        except UserError as err:
            self.fail(where, str(err))


def _kind(value) -> str:
    return f"{type(value).__name__} {clip(repr(value))}" if value is not None else "nothing"
