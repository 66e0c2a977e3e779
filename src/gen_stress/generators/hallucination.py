"""Hallucination family: everyday scenes from the object library, and questions whose
plausible answer (the language prior) is wrong.

Subtasks:
- object: "Is there a fork in the image?" Half the items ask about a present object, half
  about an absent one chosen by `neg_strategy`: random (any class not present), popular
  (among the most frequent classes overall) or adversarial (the absent class that
  co-occurs most with what is present: a plate and a spoon, but no fork). One item pair
  in five instead presupposes the object ("What colour is the fork?"): answerable when it
  is there, unanswerable when it is not.
- attribute: "Is the banana yellow?" about an object whose colour may have been changed
  (a blue banana); `neg_strategy` picks the wrong colour asked about (adversarial: the
  prototypical one).
- action: "Is the person running?" about an object shown in one of its states (person
  standing / walking / running / kneeling, umbrella open / closed, door open / closed,
  glass empty / full, ...); adversarial asks about the state the context suggests.

Yes and no alternate with the balance slot, so each strategy is exactly half yes. Every
scene also gets a caption item (answer_type text) whose scene lists every object and
everything each picture depicts, for CHAIR-style scoring. "Absent" means that no word
for anything in the scene (names, synonyms, depicted things of composite pictures) names
the asked object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from shapely.geometry import box as shapely_box

from gen_stress.generators.base import Draft, Family, Question, Resample, SamplePlan
from gen_stress.knobs import knob
from gen_stress.rng import pick
from gen_stress.scenes import checks
from gen_stress.scenes.colors import BACKGROUNDS
from gen_stress.scenes.library import (
    COLOR_WORDS,
    Library,
    ObjectClass,
    Template,
    class_sizes,
    concepts_of,
    load_library,
    template_names,
)
from gen_stress.scenes.model import Scene, ShapeItem
from gen_stress.scenes.parametric import PaintProbe, VectorItem, design, place
from gen_stress.scenes.sprites import (
    HUE_TARGETS,
    SpriteItem,
    hue_distance,
    hue_share,
    scaled_size,
    sprite_main_hue,
)

SUBTASKS = ("object", "attribute", "action")
STRATEGIES = ("random", "popular", "adversarial")
PRESUPPOSE_EVERY = 5  # one block of six object items in five asks a presupposition question
POPULAR_TOP = 3  # popular negatives come from the most frequent absent classes
SURFACE_MARGIN_PX = 10  # the table (or ground) stays this far inside the image
PLACE_MARGIN_PX = 8  # objects stay this far inside the table
GAP_PX = 8  # and this far from each other
RECOLOR_MIN_DEG = 75.0  # a recoloured object's hue is this far from its natural one
WRONG_COLOR_MIN_DEG = 60.0  # a colour asked about wrongly is this far from the colour shown
CAPTION_PROMPT = ("Describe this image in one or two sentences. Name every object you can see, "
                  "and nothing that is not there.")


@dataclass(frozen=True)
class HallucinationKnobs:
    neg_strategy: str = knob(choices=STRATEGIES, easy="random", primary_for=SUBTASKS,
                             doc="how the absent object (object) or the wrong value asked about (attribute, "
                                 "action) is chosen: random, popular (most frequent overall), adversarial "
                                 "(what the scene suggests: co-occurring object, prototypical colour, likely state)")
    template: str = knob(choices=template_names(), easy="dining table",
                         doc="the everyday context the objects come from")
    n_objects: int = knob(low=2, high=8, easy=4, doc="objects in the scene")
    object_px: int = knob(low=32, high=128, easy=88,
                          doc="longer side in pixels of the scene's biggest objects; smaller real-world size "
                              "classes are drawn a step (x1.35) smaller each, so a bee stays smaller than a book")
    strays: int = knob(low=0, high=2, easy=0, doc="objects of the scene taken from outside its template")
    question_form: str = knob(easy="exists", derived=True,
                              doc="exists, presupposed (what colour is the X), caption, exists_on (worked example)")
    target: str = knob(easy="", derived=True, doc="the object class the question is about")
    attribute: str = knob(easy="", derived=True, doc="color or state for attribute and action items")
    asked_value: str = knob(easy="", derived=True, doc="the colour or state the question asks about")
    true_value: str = knob(easy="", derived=True, doc="the colour or state shown")
    cooccurrence: float = knob(easy=0.0, derived=True,
                               doc="mean co-occurrence of the asked class with the other objects present")


def _weighted(rng: np.random.Generator, items: list, weights: list[float]):
    p = np.asarray(weights, dtype=float)
    return items[int(rng.choice(len(items), p=p / p.sum()))]


@dataclass(frozen=True)
class Placed:
    """An object of the scene: its class, the state or colour shown, its item."""

    cls: ObjectClass
    state: str = ""
    shown_color: str = ""  # the colour shown when it matters (the class's own, or a new one)
    item: object = None


@dataclass(frozen=True)
class Wanted:
    cls: ObjectClass
    state: str = ""
    recolor: str = ""  # a colour word: draw the object in this colour instead of its own


class HallucinationFamily(Family):
    name = "hallucination"
    subtasks = SUBTASKS
    Knobs = HallucinationKnobs
    description = ("Everyday scenes from an object library; is an object, colour or state there that the "
                   "context suggests? With absent-object negatives (random, popular, adversarial), presupposition "
                   "questions and a caption item per scene.")
    min_side = {"object": 384, "attribute": 448, "action": 384}  # measured, see README

    # Knobs -----------------------------------------------------------------------------

    def draw_knobs(self, plan: SamplePlan, rng: np.random.Generator) -> dict:
        lib = load_library()
        if plan.subtask == "action":
            templates = [t.name for t in lib.templates if t.states]
        elif plan.subtask == "attribute":
            templates = [t.name for t in lib.templates if any(lib.get(n).color for n, _ in t.weights)]
        else:
            templates = [t.name for t in lib.templates]
        return {
            "neg_strategy": STRATEGIES[(plan.slot // 2) % len(STRATEGIES)],
            "template": pick(rng, templates),
            "n_objects": int(rng.integers(2, 7)),
            "object_px": int(rng.integers(56, 113)),
            "strays": int(rng.choice(3, p=[0.6, 0.3, 0.1])),
        }

    def easy_knobs(self, subtask: str) -> dict:
        values = super().easy_knobs(subtask)
        values["template"] = {"object": "dining table", "attribute": "fruit stand", "action": "street"}[subtask]
        return values

    # Scenes ----------------------------------------------------------------------------

    def compose(self, plan: SamplePlan, knobs: HallucinationKnobs, rng: np.random.Generator, size) -> list[Draft]:
        lib = load_library()
        template = lib.template(knobs.template)
        yes = plan.slot % 2 == 0
        banned = held_out_words(lib, plan)
        if plan.subtask == "object":
            presupposed = (plan.slot // 6) % PRESUPPOSE_EVERY == PRESUPPOSE_EVERY - 1
            wanted, ask = self._object_item(lib, template, knobs, yes, presupposed, banned, rng)
        elif plan.subtask == "attribute":
            wanted, ask = self._attribute_item(lib, template, knobs, yes, banned, rng)
        else:
            wanted, ask = self._action_item(lib, template, knobs, yes, banned, rng)
        scene, placed = build_scene(template, wanted, knobs.object_px, rng, size)
        question, values = ask(placed)
        present = [p.cls.name for p in placed]
        values["cooccurrence"] = round(lib.cooccurrence_with(values["target"], present), 4)
        final = dataclasses.replace(knobs, **values)
        caption = dataclasses.replace(knobs, question_form="caption")
        return [Draft(plan.subtask, final, scene, question),
                Draft(plan.subtask, caption, scene, caption_question(placed), variant="caption")]

    def _present(self, lib: Library, template: Template, knobs: HallucinationKnobs, rng,
                 first: list[Wanted], banned: frozenset[str]) -> list[Wanted]:
        """The objects of a scene: `first`, then objects of the template drawn by their
        weights, then strays from the whole library; no two share a word, and none shows
        a held-out class."""
        chosen = list(first)
        words = set(concepts_of([w.cls for w in chosen], template.surface)) | banned
        names, weights = [n for n, _ in template.weights], [w for _, w in template.weights]
        n_template = max(0, knobs.n_objects - knobs.strays - len(chosen))
        while n_template and names:
            name = _weighted(rng, names, weights)
            k = names.index(name)
            del names[k], weights[k]
            cls = lib.get(name)
            if cls.concepts & words:
                continue
            chosen.append(Wanted(cls, pick(rng, cls.states) if cls.states else ""))
            words |= cls.concepts
            n_template -= 1
        pool = [c for c in lib.emoji_classes if template.weight(c.name) == 0 and not c.concepts & banned]
        while len(chosen) < knobs.n_objects:
            cls = pick(rng, pool)
            if not cls.concepts & words:
                chosen.append(Wanted(cls))
                words |= cls.concepts
        order = rng.permutation(len(chosen))
        return [chosen[int(i)] for i in order]

    # object: is there an X? ------------------------------------------------------------

    def _object_item(self, lib: Library, template: Template, knobs, yes: bool, presupposed: bool,
                     banned: frozenset[str], rng):
        first = []
        if presupposed and yes:  # "What colour is the X?" needs an X with a colour
            colored = _allowed([lib.get(n) for n, _ in template.weights if lib.get(n).color], banned) \
                or _allowed(lib.colored, banned)
            first = [Wanted(pick(rng, colored))]
        wanted = self._present(lib, template, knobs, rng, first, banned)
        present = [w.cls for w in wanted]
        if yes:
            target = first[0].cls if first else pick(rng, present)
        else:
            target = absent_object(lib, knobs.neg_strategy, present, template, rng, banned)

        def ask(placed: list[Placed]):
            form = "presupposed" if presupposed else "exists"
            values = {"question_form": form, "target": target.name}
            if not presupposed:
                return Question(f"{target.exists_question()} Answer yes or no.", "yes" if yes else "no",
                                "yes_no"), values
            none = f"there {target.be} no {target.name}"
            prompt = (f"What colour {target.be} the {target.name}? Answer with one colour word. If there "
                      f"{target.be} no {target.name} in the image, answer \"{none}\".")
            if yes:
                return Question(prompt, target.color, "text"), {**values, "attribute": "color",
                                                                  "true_value": target.color}
            aliases = (f"no {target.name}", "not in the image", "not there", "none", "unanswerable")
            return Question(prompt, none, "text", aliases=aliases, answerable=False), values

        return wanted, ask

    # attribute: is the banana yellow? --------------------------------------------------

    def _attribute_item(self, lib: Library, template: Template, knobs, yes: bool, banned: frozenset[str], rng):
        colored = _allowed([lib.get(n) for n, _ in template.weights if lib.get(n).color], banned) \
            or _allowed(lib.colored, banned)
        target = pick(rng, colored)
        natural_hue = sprite_main_hue(target.drawing().emoji)
        recolors = [c for c in COLOR_WORDS if hue_distance(HUE_TARGETS[c], natural_hue) >= RECOLOR_MIN_DEG]
        strategy = knobs.neg_strategy
        recolored = strategy == "adversarial" or rng.random() < 0.5
        shown = pick(rng, recolors) if recolored else target.color
        shown_hue = HUE_TARGETS[shown] if recolored else natural_hue
        if yes:
            asked = shown
        elif strategy == "adversarial":
            asked = target.color
        else:
            wrong = [c for c in COLOR_WORDS if c != shown and hue_distance(HUE_TARGETS[c], shown_hue) >= WRONG_COLOR_MIN_DEG]
            if strategy == "popular":
                asked = max(wrong, key=lambda c: (lib.color_popularity[c], -COLOR_WORDS.index(c)))
            else:
                asked = pick(rng, wrong)
        wanted = self._present(lib, template, knobs, rng, [Wanted(target, recolor=shown if recolored else "")],
                               banned)

        return wanted, _value_question(target, "color", asked, shown, yes)

    # action: is the person running? ----------------------------------------------------

    def _action_item(self, lib: Library, template: Template, knobs, yes: bool, banned: frozenset[str], rng):
        likely_states = {name: state for name, state in template.states if not lib.get(name).concepts & banned}
        if likely_states:
            target = lib.get(pick(rng, sorted(likely_states)))
            likely = likely_states[target.name]
        else:  # a pinned template without states: the state most contexts suggest
            target = pick(rng, _allowed(lib.stateful, banned))
            popularity = lib.state_popularity[target.name]
            likely = max(target.states, key=lambda s: (popularity[s], -target.states.index(s)))
        strategy = knobs.neg_strategy
        shown = pick(rng, [s for s in target.states if s != likely]) if strategy == "adversarial" \
            else pick(rng, target.states)
        others = [s for s in target.states if s != shown]
        if yes:
            asked = shown
        elif strategy == "adversarial":
            asked = likely
        elif strategy == "popular":
            popularity = lib.state_popularity[target.name]
            asked = max(others, key=lambda s: (popularity[s], -target.states.index(s)))
        else:
            asked = pick(rng, others)
        wanted = self._present(lib, template, knobs, rng, [Wanted(target, state=shown)], banned)

        return wanted, _value_question(target, "state", asked, shown, yes)

    def shown_values(self, draft: Draft, knob: str) -> set:
        if knob != "target":
            return super().shown_values(draft, knob)
        # Every class the scene shows, counting what composite pictures depict, and the one asked about.
        lib = load_library()
        present = [lib.get(it.label) for it in draft.scene.items if it.role == "object"]
        words = concepts_of(present)
        return {draft.knobs.target} | {c.name for c in lib.classes if c.names & words}

    # Checks on the pixels ----------------------------------------------------------

    def verify(self, draft: Draft, rendered) -> list[str]:
        failures: list[str] = []
        for item in draft.scene.items:
            if item.role != "object":
                continue
            if not rendered.within_canvas(item.item_id):
                failures.append(f"object {item.label!r} is clipped by the image edge")
            failures += checks.object_visible(item.item_id, rendered, 0.99, what=item.label)
            if isinstance(item, VectorItem):
                failures += probe_failures(item, rendered)
            elif isinstance(item, SpriteItem) and item.recolor:
                failures += color_failures(item, rendered)
        return failures


# Choosing the absent object -------------------------------------------------------------

def _value_question(target: ObjectClass, attribute: str, asked: str, shown: str, yes: bool):
    """The question of an attribute or action item ("Is the banana yellow?"), asked once the
    scene is placed, with the knob values it records."""

    def ask(placed: list[Placed]):
        q = f"{target.be.capitalize()} the {target.name} {asked}? Answer yes or no."
        return Question(q, "yes" if yes else "no", "yes_no"), {
            "question_form": "exists", "target": target.name, "attribute": attribute,
            "asked_value": asked, "true_value": shown}

    return ask


def held_out_words(lib: Library, plan: SamplePlan) -> frozenset[str]:
    """Words naming the classes this part holds out (knob `target`): no object showing
    one of them is drawn, and none is asked about."""
    return frozenset().union(*(lib.get(name).names for name in plan.hold_out.get("target", ())))


def _allowed(classes, banned: frozenset[str]) -> list[ObjectClass]:
    return [c for c in classes if not c.concepts & banned]


def absent_object(lib: Library, strategy: str, present: list[ObjectClass], template: Template,
                  rng: np.random.Generator, banned: frozenset[str] = frozenset()) -> ObjectClass:
    """An object class none of whose words names anything present, chosen by strategy."""
    candidates = _allowed(lib.absent_candidates(concepts_of(present, template.surface)), banned)
    if not candidates:
        raise Resample("no class is absent from this scene")
    if strategy == "random":
        return pick(rng, candidates)
    if strategy == "popular":
        ranked = sorted(candidates, key=lambda c: (-lib.frequency[c.name], c.name))
        return pick(rng, ranked[:POPULAR_TOP])
    names = [c.name for c in present]
    return max(candidates, key=lambda c: (lib.cooccurrence_with(c.name, names), lib.frequency[c.name], c.name))


# Building and placing the scene -------------------------------------------------------------

def surface_item(template: Template, size) -> ShapeItem:
    width, height = size
    m = SURFACE_MARGIN_PX
    table = shapely_box(m + 14, m + 14, width - m - 14, height - m - 14).buffer(14, quad_segs=6)
    return ShapeItem(1, "surface", template.surface.label, "rounded rectangle", template.surface.rgb, table, z=0,
                     attributes=(("synonyms", ", ".join(template.surface.synonyms)),))


def _extent(w: Wanted, size_px: int) -> tuple[float, float]:
    drawing = w.cls.drawing(w.state)
    if drawing.emoji:
        return scaled_size(drawing.emoji, size_px)
    ew, eh = design(drawing.kind, tuple(sorted(drawing.params.items()))).extent
    unit = size_px / max(ew, eh)
    return ew * unit, eh * unit


def object_attributes(cls: ObjectClass, state: str, shown_color: str) -> tuple:
    attrs = [("class", cls.name), ("category", cls.category)]
    if cls.synonyms:
        attrs.append(("synonyms", ", ".join(cls.synonyms)))
    if cls.depicts:
        attrs.append(("depicts", ", ".join(cls.depicts)))
    if state:
        attrs.append(("state", state))
    if cls.color:
        attrs.append(("prototypical_color", cls.color))
    if shown_color:
        attrs.append(("shown_color", shown_color))
    return tuple(attrs)


def make_object(w: Wanted, item_id: int, center: tuple[float, float], size_px: int) -> Placed:
    """The item for a wanted object, its box centred at `center`."""
    drawing = w.cls.drawing(w.state)
    shown = w.recolor or w.cls.color
    attrs = object_attributes(w.cls, w.state, shown)
    if drawing.emoji:
        bw, bh = scaled_size(drawing.emoji, size_px)
        origin = (int(round(center[0] - bw / 2)), int(round(center[1] - bh / 2)))
        recolor = (w.cls.color, w.recolor) if w.recolor else None
        item = SpriteItem(item_id, "object", w.cls.name, drawing.emoji, origin, size_px, z=1, recolor=recolor,
                          color=shown, attributes=attrs)
    else:
        d = design(drawing.kind, tuple(sorted(drawing.params.items())))
        unit = size_px / max(d.extent)
        item = place(d, item_id=item_id, role="object", label=w.cls.name, unit_px=unit, center=center,
                     attributes=attrs)
    return Placed(w.cls, w.state, shown, item)


def build_scene(template: Template, wanted: list[Wanted], object_px: int, rng, size) -> tuple[Scene, list[Placed]]:
    """The surface and the objects placed on it without touching (boxes GAP_PX apart)."""
    width, height = size
    surface = surface_item(template, size)
    sx0, sy0, sx1, sy1 = surface.bbox
    lo_x, lo_y = sx0 + PLACE_MARGIN_PX, sy0 + PLACE_MARGIN_PX
    hi_x, hi_y = sx1 - PLACE_MARGIN_PX, sy1 - PLACE_MARGIN_PX
    boxes: list[tuple[float, float, float, float]] = []
    placed: dict[int, Placed] = {}
    sizes = class_sizes([w.cls.size_rank for w in wanted], object_px, rng)
    for k in sorted(range(len(wanted)), key=lambda k: -sizes[k]):  # the big ones first, while there is room
        w, size_px = wanted[k], sizes[k]
        ew, eh = _extent(w, size_px)
        if ew > hi_x - lo_x or eh > hi_y - lo_y:
            raise Resample("an object does not fit the image")
        for _ in range(60):
            cx = float(rng.uniform(lo_x + ew / 2, hi_x - ew / 2))
            cy = float(rng.uniform(lo_y + eh / 2, hi_y - eh / 2))
            b = (cx - ew / 2 - 1, cy - eh / 2 - 1, cx + ew / 2 + 1, cy + eh / 2 + 1)
            if not any(b[0] < o[2] + GAP_PX and o[0] < b[2] + GAP_PX and b[1] < o[3] + GAP_PX and o[1] < b[3] + GAP_PX
                       for o in boxes):
                boxes.append(b)
                placed[k] = make_object(w, k + 2, (cx, cy), size_px)
                break
        else:
            raise Resample("no room for another object")
    placed = [placed[k] for k in range(len(wanted))]
    items = (surface, *(p.item for p in placed))
    return Scene(width, height, template.background, BACKGROUNDS[template.background], items), placed


def caption_question(placed: list[Placed]) -> Question:
    """'An open umbrella, a running person and some grapes.' The setting (a kitchen counter,
    a park) stays out: the plain surface drawn does not show which it is."""
    names = [p.cls.described(p.state) for p in placed]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return Question(CAPTION_PROMPT, f"{listed[0].upper()}{listed[1:]}.", "text")


# Checks -----------------------------------------------------------------------------------

def probe_failures(item: VectorItem, rendered) -> list[str]:
    failures = []
    for probe in item.probes:
        what = f"{item.label} {probe.what}"
        if isinstance(probe, PaintProbe):
            failures += checks.paint_at(rendered, probe.point, item.paint(probe.paint), probe.present, what)
        else:
            failures += checks.paint_runs(rendered, probe.start, probe.end, item.paint(probe.paint), probe.runs, what)
    return failures


def color_failures(item: SpriteItem, rendered, min_share: float = 0.35, max_left: float = 0.05) -> list[str]:
    """A recoloured object shows its new colour and (almost) none of its natural one."""
    pixels = checks.owned_pixels(rendered, item.item_id)
    shown = hue_share(pixels, HUE_TARGETS[item.recolor[1]], 30.0)
    left = hue_share(pixels, sprite_main_hue(item.codepoint), 20.0)
    if shown < min_share or left > max_left:
        return [f"recoloured {item.label} shows {shown:.0%} {item.recolor[1]} and {left:.0%} of its own colour"]
    return []


# The worked example ---------------------------------------------------------------------

EXAMPLES = {
    "fork-on-plate": "A white plate, one spoon and a napkin on a dining table; \"Is there a fork on the plate?\" "
                     "Gold answer: no (neg_strategy adversarial: the fork is the absent object that co-occurs most "
                     "with what is there).",
}


def example_drafts(name: str, size: tuple[int, int] = (512, 512)) -> list[Draft]:
    """The named worked example, the same every time (no random draws)."""
    if name not in EXAMPLES:
        raise KeyError(name)
    lib = load_library()
    template = lib.template("dining table")
    width, height = size
    unit = min(width, height) / 512
    plate = Wanted(lib.get("plate"))
    spoon = Wanted(lib.get("spoon"))
    napkin = Wanted(lib.get("napkin"))
    placed = [make_object(plate, 2, (0.45 * width, 0.5 * height), int(round(230 * unit))),
              make_object(spoon, 3, (0.8 * width, 0.5 * height), int(round(120 * unit))),
              make_object(napkin, 4, (0.16 * width, 0.72 * height), int(round(100 * unit)))]
    scene = Scene(width, height, template.background, BACKGROUNDS[template.background],
                  (surface_item(template, size), *(p.item for p in placed)))
    present = [p.cls for p in placed]
    adversarial = absent_object(lib, "adversarial", present, template, np.random.default_rng(0))
    if adversarial.name != "fork":  # the data decide it; the example must stay what it says
        raise RuntimeError(f"the adversarial absent object of the worked example is {adversarial.name}, not fork")
    knobs = HallucinationKnobs(neg_strategy="adversarial", template=template.name, n_objects=3, object_px=int(round(150 * unit)),
                               strays=0, question_form="exists_on", target="fork",
                               cooccurrence=round(lib.cooccurrence_with("fork", [c.name for c in present]), 4))
    question = Question("Is there a fork on the plate? Answer yes or no.", "no", "yes_no")
    return [Draft("object", knobs, scene, question)]


FAMILY = HallucinationFamily()
