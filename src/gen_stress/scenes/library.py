"""The object library and the scene templates, loaded from data files.

`data/objects.yaml` lists the object classes: what a person calls each one, how it is
drawn (an emoji sprite or a parametric vector object, possibly one per state), and every
word that names something the picture shows. `data/templates/*.yaml` lists everyday
contexts with their typical objects and a weight per object. From them come the two
facts hallucination questions rest on:

- `concepts(class)`: every word for what a picture shows (name, synonyms, depicted
  things, with simple singular/plural forms). An object is absent from a scene only when
  none of its words is a word of anything present.
- `cooccurrence(a, b)`: how strongly two classes go together across the templates, which
  picks adversarial absent objects (a plate and a spoon suggest a fork).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Iterable

import numpy as np
import yaml

from gen_stress.scenes.colors import BACKGROUNDS, RGB
from gen_stress.scenes.memo import cached_property

_CLASS_KEYS = {"name", "emoji", "parametric", "states", "category", "synonyms", "depicts", "color", "plural", "article",
               "size"}
_TEMPLATE_KEYS = {"name", "phrase", "background", "surface", "objects", "states"}
COLOR_WORDS = ("red", "orange", "yellow", "green", "blue", "purple")
# Real-world size classes, smallest first: tiny (a bee, a coin), small (an apple, a cup, a
# book), medium (a cat, a guitar, a bucket), large (a person, a cow, a bed), huge (a bus,
# a house, an elephant). A class's own `size` wins over its category's default.
SIZE_CLASSES = ("tiny", "small", "medium", "large", "huge")

# Words read with a consonant sound despite a vowel letter ("a unicorn", "a one-way
# sign"), and words whose h is silent ("an hourglass").
_A_BEFORE = ("uni", "use", "usu", "uten", "uku", "ure", "eu", "ewe", "one", "once")
_AN_BEFORE = ("hour", "honest", "honor", "honour", "heir")
_VOWEL_LETTER_NAMES = "aefhilmnorsx"  # letters whose name starts with a vowel sound ("an x-ray")


def indefinite_article(phrase: str) -> str:
    """'a' or 'an' for a noun phrase, by the sound of its first word."""
    word = phrase.strip().lower().split()[0]
    head = word.split("-")[0]
    if len(head) == 1 and len(word) > 1:  # a letter said by its name: "a t-shirt", "an x-ray"
        return "an" if head in _VOWEL_LETTER_NAMES else "a"
    if word.startswith(_A_BEFORE):
        return "a"
    if word.startswith(_AN_BEFORE):
        return "an"
    return "an" if word[:1] in "aeiou" else "a"


def word_forms(word: str) -> set[str]:
    """The word with simple singular and plural endings added or removed. Generous on
    purpose: an extra form only makes "absent" stricter."""
    w = word.strip().lower()
    forms = {w, w + "s", w + "es"}
    if w.endswith("ies"):
        forms.add(w[:-3] + "y")
    if w.endswith("es"):
        forms.add(w[:-2])
    if w.endswith("s"):
        forms.add(w[:-1])
    if w.endswith("y"):
        forms.add(w[:-1] + "ies")
    return forms


@dataclass(frozen=True)
class Drawing:
    """How a class (or one state of it) is drawn: an emoji code point, or a parametric
    kind with its part values."""

    emoji: str = ""  # hex code point, e.g. "1F34C"
    parametric: tuple[tuple[str, object], ...] = ()  # (("kind", "fork"), ("prongs", 4))

    @property
    def kind(self) -> str:
        return "emoji" if self.emoji else str(dict(self.parametric)["kind"])

    @property
    def params(self) -> dict:
        return {k: v for k, v in self.parametric if k != "kind"}


@dataclass(frozen=True)
class ObjectClass:
    name: str
    category: str
    drawings: tuple[tuple[str, Drawing], ...]  # (state, drawing); state "" when stateless
    synonyms: tuple[str, ...] = ()
    depicts: tuple[str, ...] = ()
    color: str = ""  # prototypical colour, when it has one
    plural: bool = False
    article: str = ""  # "any" for mass nouns
    size: str = "medium"  # a SIZE_CLASSES name

    @property
    def size_rank(self) -> int:
        return SIZE_CLASSES.index(self.size)

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(s for s, _ in self.drawings if s)

    def drawing(self, state: str = "") -> Drawing:
        for name, drawing in self.drawings:
            if name == state or not state:
                return drawing
        raise KeyError(f"{self.name} has no state {state!r}")

    @cached_property
    def concepts(self) -> frozenset[str]:
        """Every word for what the picture shows."""
        words: set[str] = set()
        for word in (self.name, *self.synonyms, *self.depicts):
            words |= word_forms(word)
        return frozenset(words)

    @cached_property
    def names(self) -> frozenset[str]:
        """Words that name the class itself (for caption scoring)."""
        return frozenset(w for word in (self.name, *self.synonyms) for w in word_forms(word))

    # Grammar for questions -----------------------------------------------------------

    @property
    def be(self) -> str:
        return "are" if self.plural else "is"

    def indefinite(self) -> str:
        """'a banana', 'an apple', 'any bread', 'any grapes'."""
        if self.plural or self.article == "any":
            return f"any {self.name}"
        return f"{indefinite_article(self.name)} {self.name}"

    def described(self, state: str = "") -> str:
        """The class with an article for a caption, its state before it: 'an open
        umbrella', 'a running person', 'some grapes'."""
        phrase = f"{state} {self.name}" if state else self.name
        if self.plural or self.article == "any":
            return f"some {phrase}"
        return f"{indefinite_article(phrase)} {phrase}"

    def exists_question(self, where: str = "in the image") -> str:
        return f"{'Are' if self.plural else 'Is'} there {self.indefinite()} {where}?"


@dataclass(frozen=True)
class Surface:
    label: str
    rgb: RGB
    synonyms: tuple[str, ...] = ()

    @cached_property
    def concepts(self) -> frozenset[str]:
        return frozenset(w for word in (self.label, *self.synonyms) for w in word_forms(word))


@dataclass(frozen=True)
class Template:
    name: str
    phrase: str  # "on a dining table"; not said in captions while the surface drawn is a plain rectangle
    background: str  # a BACKGROUNDS name
    surface: Surface
    weights: tuple[tuple[str, float], ...]  # class name -> how typical it is here (0..1)
    states: tuple[tuple[str, str], ...] = ()  # stateful class -> the state this context suggests

    def weight(self, name: str) -> float:
        return dict(self.weights).get(name, 0.0)


@dataclass(frozen=True, eq=False)
class Library:
    classes: tuple[ObjectClass, ...]
    templates: tuple[Template, ...]
    _index: dict = field(default_factory=dict, repr=False)

    def get(self, name: str) -> ObjectClass:
        if not self._index:
            self._index.update({c.name: c for c in self.classes})
        return self._index[name]

    def template(self, name: str) -> Template:
        for t in self.templates:
            if t.name == name:
                return t
        raise KeyError(name)

    @cached_property
    def emoji_classes(self) -> tuple[ObjectClass, ...]:
        return tuple(c for c in self.classes if not c.states and c.drawing().emoji)

    @cached_property
    def colored(self) -> tuple[ObjectClass, ...]:
        """Classes with a prototypical colour, drawn as emoji (they can be recoloured)."""
        return tuple(c for c in self.emoji_classes if c.color)

    @cached_property
    def stateful(self) -> tuple[ObjectClass, ...]:
        return tuple(c for c in self.classes if c.states)

    # Statistics over the templates -------------------------------------------------

    @cached_property
    def frequency(self) -> dict[str, float]:
        """Mean weight of each class over all templates: how common it is overall."""
        total: dict[str, float] = {c.name: 0.0 for c in self.classes}
        for t in self.templates:
            for name, w in t.weights:
                total[name] += w
        return {name: v / len(self.templates) for name, v in total.items()}

    @cached_property
    def _cooc(self) -> dict[tuple[str, str], float]:
        table: dict[tuple[str, str], float] = {}
        for t in self.templates:
            for a, wa in t.weights:
                for b, wb in t.weights:
                    if a != b:
                        table[(a, b)] = table.get((a, b), 0.0) + wa * wb / len(self.templates)
        return table

    def cooccurrence(self, a: str, b: str) -> float:
        """How much a and b go together: the product of their weights, summed over the
        templates and divided by their number (0: never together; at most 1)."""
        return self._cooc.get((a, b), 0.0)

    def cooccurrence_with(self, name: str, present: Iterable[str]) -> float:
        """Mean co-occurrence of a class with the classes present."""
        others = [p for p in present if p != name]
        return sum(self.cooccurrence(name, p) for p in others) / len(others) if others else 0.0

    @cached_property
    def state_popularity(self) -> dict[str, dict[str, int]]:
        """For each stateful class, how many templates suggest each of its states."""
        counts: dict[str, dict[str, int]] = {c.name: {s: 0 for s in c.states} for c in self.stateful}
        for t in self.templates:
            for name, state in t.states:
                counts[name][state] += 1
        return counts

    @cached_property
    def color_popularity(self) -> dict[str, int]:
        """How many coloured classes have each colour as their prototypical one."""
        counts = {c: 0 for c in COLOR_WORDS}
        for c in self.colored:
            counts[c.color] += 1
        return counts

    # Absence ---------------------------------------------------------------------------

    def absent_candidates(self, present_words: frozenset[str]) -> list[ObjectClass]:
        """Classes none of whose words names anything present."""
        return [c for c in self.classes if not (c.concepts & present_words)]


# Plausible sizes within a scene --------------------------------------------------------

SIZE_STEP = 1.35  # each size class is drawn this many times larger than the one below
SIZE_MIN_PX = 24.0  # the smallest class is not squeezed below this to keep its steps (a 10 px bee is a dot)
SIZE_JITTER = 0.6  # objects vary downwards by up to this share of a step: classes never overlap
# The squeezed step never goes below this: at object_px 32 with all five classes present,
# the classes stay a pixel or more apart (the smallest then is about 17 px).
SIZE_STEP_MIN = 1.15


def class_sizes(ranks: list[int], largest_px: float, rng: np.random.Generator) -> list[int]:
    """The longer side in pixels of each object of a scene from its size class rank
    (SIZE_CLASSES index): the biggest class present is drawn at most `largest_px`, each
    class below one step smaller, so a bee stays smaller than a book and a chick than a
    cow. The step shrinks when the smallest class would fall under SIZE_MIN_PX (never
    below a plain order). Objects of a class vary within its step, so the order of two
    objects of different classes always holds."""
    top, span = max(ranks), max(ranks) - min(ranks)
    step = SIZE_STEP
    if span and largest_px / SIZE_STEP ** (span + SIZE_JITTER) < SIZE_MIN_PX:
        step = max(SIZE_STEP_MIN, (largest_px / SIZE_MIN_PX) ** (1 / (span + SIZE_JITTER)))
    # Rounded half up: sizes a pixel or more apart stay apart.
    return [math.floor(largest_px * step ** (rank - top - SIZE_JITTER * float(rng.uniform())) + 0.5)
            for rank in ranks]


def concepts_of(classes: Iterable[ObjectClass], surface: Surface | None = None) -> frozenset[str]:
    words: set[str] = set(surface.concepts) if surface else set()
    for c in classes:
        words |= c.concepts
    return frozenset(words)


# Loading ------------------------------------------------------------------------------

def _strings(value, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(value)


def _drawing(spec: dict, what: str) -> Drawing:
    if set(spec) - {"emoji", "parametric"} or len(spec) != 1:
        raise ValueError(f"{what}: a drawing is {{emoji: HEX}} or {{parametric: {{kind: ...}}}}")
    if "emoji" in spec:
        code = spec["emoji"]
        if not isinstance(code, str) or not all(ch in "0123456789ABCDEF" for ch in code):
            raise ValueError(f"{what}: emoji must be a quoted upper-case hex code point, got {code!r}")
        return Drawing(emoji=code)
    params = spec["parametric"]
    if not isinstance(params, dict) or "kind" not in params:
        raise ValueError(f"{what}: parametric drawings need a kind")
    return Drawing(parametric=tuple(sorted(params.items())))


def _object_class(entry: dict, category_sizes: dict[str, str]) -> ObjectClass:
    name = entry.get("name")
    unknown = set(entry) - _CLASS_KEYS
    if not isinstance(name, str) or unknown:
        raise ValueError(f"object class {name!r}: unknown keys {sorted(unknown)} or no name")
    if "states" in entry:
        drawings = tuple((state, _drawing(spec, f"{name}/{state}")) for state, spec in entry["states"].items())
    else:
        drawings = (("", _drawing({k: entry[k] for k in ("emoji", "parametric") if k in entry}, name)),)
    color = entry.get("color", "")
    if color and color not in COLOR_WORDS:
        raise ValueError(f"{name}: color {color!r} is not one of {COLOR_WORDS}")
    size = entry.get("size", category_sizes.get(entry["category"]))
    if size not in SIZE_CLASSES:
        raise ValueError(f"{name}: size {size!r} is not one of {SIZE_CLASSES} (give it a size or its category one)")
    return ObjectClass(
        name=name, category=entry["category"], drawings=drawings, size=size,
        synonyms=_strings(entry.get("synonyms"), f"{name}.synonyms"),
        depicts=_strings(entry.get("depicts"), f"{name}.depicts"),
        color=color, plural=bool(entry.get("plural", False)), article=entry.get("article", ""),
    )


def _template(entry: dict, classes: dict[str, ObjectClass], source: str) -> Template:
    unknown = set(entry) - _TEMPLATE_KEYS
    if unknown:
        raise ValueError(f"template {source}: unknown keys {sorted(unknown)}")
    if entry["background"] not in BACKGROUNDS:
        raise ValueError(f"template {source}: unknown background {entry['background']!r}")
    weights = []
    for name, w in entry["objects"].items():
        if name not in classes:
            raise ValueError(f"template {source}: unknown object class {name!r}")
        if not 0 < float(w) <= 1:
            raise ValueError(f"template {source}: weight of {name} must be in (0, 1]")
        weights.append((name, float(w)))
    states = []
    for name, state in (entry.get("states") or {}).items():
        if name not in entry["objects"] or state not in classes[name].states:
            raise ValueError(f"template {source}: state {name}: {state} is not a state of an object of the template")
        states.append((name, state))
    s = entry["surface"]
    surface = Surface(s["label"], tuple(s["color"]), _strings(s.get("synonyms"), f"{source}.surface"))
    return Template(entry["name"], entry["phrase"], entry["background"], surface, tuple(weights), tuple(states))


def data_text(*parts: str) -> str:
    """A text file of the package's data (`data_text("words", "de.txt")`)."""
    return resources.files("gen_stress").joinpath("data", *parts).read_text(encoding="utf-8")


def data_yaml(*parts: str):
    """A YAML file of the package's data (`data_yaml("contexts", "menu.yaml")`), read by
    libyaml's safe loader where PyYAML has it: the same data in about a tenth of the
    time of the pure-Python parser (the object library took 0.35 s of every run's start)."""
    return yaml.load(data_text(*parts), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


@lru_cache(maxsize=1)
def load_library() -> Library:
    data = resources.files("gen_stress") / "data"
    raw = data_yaml("objects.yaml")
    category_sizes = raw.get("category_sizes") or {}
    classes = tuple(_object_class(entry, category_sizes) for entry in raw["classes"])
    by_name = {c.name: c for c in classes}
    if len(by_name) != len(classes):
        raise ValueError("object class names must be unique")
    templates = []
    for path in sorted((data / "templates").iterdir(), key=lambda p: p.name):
        if path.name.endswith(".yaml"):
            templates.append(_template(data_yaml("templates", path.name), by_name, path.name))
    return Library(classes, tuple(templates))


def template_names() -> tuple[str, ...]:
    return tuple(t.name for t in load_library().templates)
