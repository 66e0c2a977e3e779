"""Families in real-world contexts: which question kind each subtask asks of a page,
the family knobs that kind uses, and the knob `context` shared by every family.

    context builder -> Page (typed elements) -> question kind -> Draft -> render -> verify

A family needs no code of its own for a context: its subtasks map to slots (what the
question needs the page to hold) and kinds (questions/kinds.py). A context offers slots
(scenes/contexts/*); a subtask whose slot a context does not offer is refused before
any work starts. The `context` knob and the page's layout statistics join the family's
`difficulty` only in datasets that set or sweep `context`, so default runs keep their
bytes; knobs a kind does not use are null in a context's rows. With the writing knobs
(`script`, `language`), a context that can prints its page in that language
(`Request.language`) and serves the slots its page words cover (`localized_slots`).
A question about a usual field picks the field before the balance slot's wanted answer
decides its presence (`Context.optional_fields`, `_field_first`), so that no field's name
gives its answer away.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from gen_stress import writing
from gen_stress.errors import UserError
from gen_stress.generators.base import Draft, Family, Resample, SamplePlan
from gen_stress.knobs import knob, knob_specs
from gen_stress.questions import kinds
from gen_stress.rng import pick
from gen_stress.scenes import checks
from gen_stress.scenes.contexts import ABSTRACT, context_names, contexts
from gen_stress.scenes.fonts import FONT_CLASSES
from gen_stress.scenes.model import Scene, TextItem, replaced
from gen_stress.scenes.page import Detail, Request, TextStyle
from gen_stress.scenes.parametric import PaintProbe
from gen_stress.scenes.render import Rendered
from gen_stress.scenes.shaping import shaping_verdict

CONTEXT_KNOB = "context"


@dataclass(frozen=True, kw_only=True)
class ContextKnobs:
    context: str = knob(choices=context_names(), easy=ABSTRACT,
                        doc="what the picture is: abstract scenes, or a receipt, menu, document page, app "
                            "screen, store shelf or product grid")
    n_elements: int = knob(easy=None, derived=True, doc="text elements on the page (null in abstract scenes)")
    n_rows: int = knob(easy=None, derived=True, doc="entries of the page's main list or table")
    n_columns: int = knob(easy=None, derived=True, doc="columns of the page's layout")
    skew_deg: float = knob(easy=None, derived=True, doc="how far the page is turned, counter-clockwise")
    body_px: int = knob(easy=None, derived=True, doc="cap height of the page's body text, in pixels")
    scale_factor: int = knob(easy=None, derived=True,
                             doc="a screen's device scale factor (1, 2, 3): device pixels per logical point")
    hairline_px: float = knob(easy=None, derived=True,
                              doc="a screen's one-device-pixel divider, in output pixels (points per output "
                                  "pixel over the scale factor)")


STAT_NAMES = tuple(f.name for f in dataclasses.fields(ContextKnobs) if f.name != CONTEXT_KNOB)


@cache
def with_context(knobs_cls: type) -> type:
    """The family's knobs plus `context` and the layout statistics."""
    return dataclasses.make_dataclass(f"{knobs_cls.__name__}InContext", [], bases=(ContextKnobs, knobs_cls),
                                      frozen=True)


def uses_context(part) -> bool:
    return any(s.knob == CONTEXT_KNOB for s in part.sweeps) or any(k == CONTEXT_KNOB for k, _ in part.settings)


def part_knobs(family: Family, part) -> type:
    """The knobs class of a part's rows: the family's, plus `context` when the part uses it."""
    return with_context(family.Knobs) if uses_context(part) else family.Knobs


def context_of(plan: SamplePlan) -> str:
    return plan.pinned.get(CONTEXT_KNOB, ABSTRACT)


# Which kind each subtask asks ----------------------------------------------------------

@dataclass(frozen=True)
class Kind:
    slot: str
    ask: Callable
    balanced: bool = False  # yes/no or present/absent: alternate the wanted answer by the plan's slot
    by_field: bool = False  # asks about a usual field: picked first, then shown or taken away as wanted


# A subtask asks the first of its kinds whose slot the context offers (a shelf asks which
# shelf a product is on where a receipt asks which line is listed below another).
KINDS: dict[str, dict[str, tuple[Kind, ...]]] = {
    "ocr": {"tiny_text": (Kind("fine_text", kinds.read_text),),
            "rotated_text": (Kind("rotated_text", kinds.read_text),),
            "stylized_font": (Kind("styled_text", kinds.read_text),)},
    "counting": {"duplicates_merged": (Kind("count_merged", kinds.count),),
                 "crowded": (Kind("count_rows", kinds.count),),
                 "small_items": (Kind("count_marks", kinds.count),)},
    "spatial": {"above_below": (Kind("list_order", kinds.next_in_list), Kind("row_of", kinds.which_row)),
                "relative_position": (Kind("list_relative", kinds.above_or_below),
                                      Kind("row_relative", kinds.row_above_below)),
                "left_right": (Kind("two_columns", kinds.left_or_right), Kind("left_of", kinds.left_neighbour),
                               Kind("edge_ordinal", kinds.ordinal_from_edge))},
    "hallucination": {"object": (Kind("absent_field", kinds.exists, balanced=True, by_field=True),),
                      "attribute": (Kind("near_miss", kinds.near_miss_value, balanced=True),
                                    Kind("variant", kinds.exists, balanced=True)),
                      "action": (Kind("presupposition", kinds.presupposed_value, balanced=True, by_field=True),)},
    "grounding": {"region": (Kind("named_box", kinds.box),),
                  "similar_classes": (Kind("near_duplicate", kinds.read_value),
                                      Kind("near_duplicate_box", kinds.box)),
                  "part_cue": (Kind("marked_item", kinds.marked), Kind("label_word", kinds.box))},
}


def kind_for(family: str, subtask: str, context: str, turn: int = 0) -> Kind | None:
    """The kind a subtask asks in a context: the first whose slot it offers (None: none),
    or, where the context asks that slot's question in turn with others (`Context.turns`),
    the one whose turn it is (`turn`: the plan's balancing counter)."""
    place = contexts()[context]
    options = KINDS[family][subtask]
    first = next((k for k in options if k.slot in place.slots), None)
    if first is None or first.slot not in place.turns:
        return first
    slots = place.turns[first.slot]
    wanted = slots[turn % len(slots)]
    return next(k for k in options if k.slot == wanted)


# Family knobs a kind reads (the rest are null in a context's rows), with their values
# when the plan draws them and their easy values.
OCR_STYLE = ("text_px", "angle_deg", "font_class", "stroke_px", "contrast_ratio")
USED_KNOBS = {"ocr": OCR_STYLE, "counting": ("n",)}
COUNT_RANGES = {"count_merged": (1, 12), "count_rows": (2, 9), "count_marks": (0, 6)}
EASY = {"text_px": 14, "angle_deg": 0, "font_class": "sans", "stroke_px": 0, "contrast_ratio": 12.0}
EASY_COUNT = {"count_merged": 6, "count_rows": 5, "count_marks": 3}


# Cap heights of the asked text a context draws, by ocr subtask, at 512 px and above (in
# proportion below). A larger text_px, set or swept, is tried on pages before any work
# (pipeline.check_text_reach): a page holds only so large a line.
DRAWN_TEXT_PX = {"tiny_text": (4, 16), "rotated_text": (10, 22), "stylized_font": (10, 24)}
DRAWN_STROKE_PX = 2  # the widest outline of hollow letters a context draws (30% of styled items: 1 or 2)


def drawn_text_px(subtask: str, size: tuple[int, int]) -> tuple[int, int]:
    """(least, largest) cap height the context draws for an ocr subtask at this size."""
    scale = min(1.0, min(size) / 512)
    low, high = DRAWN_TEXT_PX[subtask]
    return max(4, round(low * scale)), max(4, round(high * scale))


def _drawn(family: str, subtask: str, slot: str, rng: np.random.Generator, size: tuple[int, int],
           classes: tuple[str, ...] = FONT_CLASSES) -> dict[str, Any]:
    if family == "counting":
        low, high = COUNT_RANGES[slot]
        return {"n": int(rng.integers(low, high + 1))}
    if family != "ocr":
        return {}
    low, high = drawn_text_px(subtask, size)
    values = {"angle_deg": 0, "font_class": "sans", "stroke_px": 0, "contrast_ratio": 12.0,
              "text_px": int(rng.integers(low, high + 1))}
    if subtask == "rotated_text":
        values["angle_deg"] = int(rng.integers(0, 360))
    elif subtask == "stylized_font":
        values.update(font_class=pick(rng, classes),
                      stroke_px=int(rng.integers(1, DRAWN_STROKE_PX + 1)) if rng.random() < 0.3 else 0,
                      contrast_ratio=round(float(np.exp(rng.uniform(np.log(1.3), np.log(15.0)))), 2))
    return values


TRIAL_ANGLES_DEG = tuple(range(0, 360, 45))  # rotated text tried at each eighth of a turn


def trial_styles(family: Family, plan: SamplePlan) -> list[dict[str, Any]]:
    """The ends of the style knobs an item draws once and keeps for all its attempts, one
    dict each: every font class it can be set in and the thinnest and widest outline
    (stylized_font), every eighth of a turn (rotated_text); pinned knobs, and easy ones
    under a sweep, as they are. A text size must fit at each of them: an item that drew
    one it never fits would stop the run (pipeline.check_text_reach)."""
    if family.name != "ocr" or plan.easy:
        return [{}]
    pinned = plan.pinned
    ends: dict[str, tuple] = {}
    if plan.subtask == "rotated_text":
        allowed = contexts()[context_of(plan)].angles.get(kind_for(family.name, plan.subtask, context_of(plan),
                                                                   plan.slot).slot)
        ends["angle_deg"] = tuple(dict.fromkeys(_nearest_angle(a, allowed) if allowed else a
                                                for a in TRIAL_ANGLES_DEG))
    elif plan.subtask == "stylized_font":
        ends["font_class"] = writing.font_classes(pinned)
        ends["stroke_px"] = (0, DRAWN_STROKE_PX)
    ends = {name: values for name, values in ends.items() if name not in pinned}
    return [dict(zip(ends, values)) for values in itertools.product(*ends.values())]


def turns_of(family: Family, plan: SamplePlan) -> int:
    """How many kinds the subtask asks in turn in the plan's context (an item keeps its turn)."""
    place = contexts()[context_of(plan)]
    first = kind_for(family.name, plan.subtask, context_of(plan))
    return len(place.turns.get(first.slot, (first.slot,))) if first is not None else 1


def knob_values(family: Family, plan: SamplePlan, rng: np.random.Generator) -> dict[str, Any]:
    """Values of the family knobs the subtask's kind uses: pinned, easy (under a sweep) or drawn."""
    kind = kind_for(family.name, plan.subtask, context_of(plan), plan.slot)
    used = USED_KNOBS.get(family.name, ())
    if plan.easy:
        values = {k: EASY[k] for k in used if k in EASY}
        if family.name == "counting":
            values["n"] = EASY_COUNT[kind.slot]
    else:
        values = _drawn(family.name, plan.subtask, kind.slot, rng, plan.size, writing.font_classes(plan.pinned))
    allowed = contexts()[context_of(plan)].angles.get(kind.slot)
    if allowed and "angle_deg" in values:  # no extra draw: the drawn angle snapped to the nearest allowed
        values["angle_deg"] = _nearest_angle(values["angle_deg"], allowed)
    return {**values, **{k: v for k, v in plan.pinned.items() if k in used}}


def _nearest_angle(angle_deg: float, allowed: tuple[int, ...]) -> int:
    return min(allowed, key=lambda a: (min(abs(angle_deg - a) % 360, 360 - abs(angle_deg - a) % 360), a))


# Compose, verify, finalize -------------------------------------------------------------

@dataclass(frozen=True)
class ContextDraft(Draft):
    depends: tuple[int, ...] = ()  # text items the answer depends on
    box_ids: tuple[int, ...] = ()  # a box answer: filled in from these items' pixels
    order: tuple | None = None  # a relation the answer states (see kinds.Asked)
    details: tuple[Detail, ...] = ()  # near-duplicate details to see on the render


def compose(family: Family, plan: SamplePlan, values: dict[str, Any], rng: np.random.Generator,
            size: tuple[int, int]) -> list[Draft]:
    kind = kind_for(family.name, plan.subtask, context_of(plan), plan.slot)
    context = contexts()[context_of(plan)]
    style = None
    if family.name == "ocr":
        style = TextStyle(values["text_px"], values["angle_deg"], values["font_class"], values["stroke_px"],
                          values["contrast_ratio"])
    options = {"present": plan.slot % 2 == 0} if kind.balanced else {}
    request = Request(kind.slot, style, values.get("n"), two_columns=kind.slot == "two_columns",
                      language=writing.page_language(plan.pinned), present=options.get("present"))
    content = context.sample(request, rng, size)
    content, chosen = _field_first(context, content, request, kind, rng)
    page = context.layout(content, request, size)
    asked = kind.ask(page, kind.slot, rng, chosen, **options)
    if chosen is not None and kinds.field_named(page, chosen["field"]).present != request.present:
        raise Resample(f"{chosen['field']} did not come out {'shown' if request.present else 'left out'}")
    first = _draft(family, plan, values, page, asked)
    if not (plan.options.get("pairs") and (family.pairs or kind.slot in context.pair_slots)):
        return [first]
    twin_page = context.layout(context.change(content, request, rng, asked.focus), request, size)
    twin = kind.ask(twin_page, kind.slot, rng, asked.asked, **options)
    if twin.question.answer == asked.question.answer:
        raise Resample("the twin's answer did not flip")
    return [dataclasses.replace(first, group=True),
            dataclasses.replace(_draft(family, plan, values, twin_page, twin), variant="b", group=True)]


def _field_first(context, content, request: Request, kind: Kind, rng) -> tuple[Any, dict | None]:
    """For a question about a usual field: the field picked among those the content may
    show or not, whatever the wanted answer, then shown or taken away to give it. Picked
    after its presence instead, a field pages rarely show (a tip line) would be asked
    mostly as "no", and its name alone would give the answer away."""
    if not kind.by_field:
        return content, None
    shown = context.optional_fields(content, request)
    if shown is None:
        return content, None
    if not shown:
        raise Resample(f"no usual field this {context.noun} may show or not")
    name = pick(rng, list(shown))
    if shown[name] != request.present:
        content = context.change(content, request, rng, (name,))
    return content, {"field": name}


def _draft(family: Family, plan: SamplePlan, values: dict, page, asked: kinds.Asked) -> ContextDraft:
    cls = with_context(family.Knobs)
    if writing.KNOB_NAMES & set(plan.pinned):  # the writing knobs, recorded resolved
        cls = writing.with_script(cls)
        values = {**values, **writing.page_knobs(plan.pinned)}
    specs = knob_specs(cls)
    record = {name: None for name in specs}
    record.update(values)
    # What the kind chose (derived knobs; a negative's strategy, which a context draws).
    record.update({k: v for k, v in asked.asked.items() if k in specs and isinstance(v, str)
                   and (specs[k].derived or k not in values)})
    if family.name == "ocr":
        target = page.scene.item(asked.depends[0])
        record.update(font=target.layout.font.name, n_chars=len(target.text))
    if "target" in specs and "field" in asked.asked:
        record["target"] = asked.asked["field"]
    record.update({k: page.stats.get(k) for k in STAT_NAMES}, context=page.context)
    scene = _marked(page.scene, set(asked.depends), set(asked.box_ids))
    return ContextDraft(plan.subtask, cls(**record), scene, asked.question, depends=asked.depends,
                        box_ids=asked.box_ids, order=asked.order, details=page.details)


def _marked(scene: Scene, depends: set[int], box_ids: set[int] = frozenset()) -> Scene:
    """The scene with the items the answer depends on marked (recorded in the scene column),
    with their per-character boxes (other text of a dense page records none, for speed).
    A box answer's items are marked `answer_box` too: the answer covers those, while a
    near-duplicate told apart from them is asked (checked) but not boxed."""
    def mark(it):
        extra = (("asked", "yes"),) + ((("answer_box", "yes"),) if it.item_id in box_ids else ())
        return replaced(it, attributes=it.attributes + extra,
                        **({"char_detail": True} if isinstance(it, TextItem) else {}))

    items = tuple(mark(it) if it.item_id in depends or it.item_id in box_ids else it for it in scene.items)
    return dataclasses.replace(scene, items=items)


MIN_OBJECT_VISIBLE = 0.98  # an object the answer depends on shows this much of itself (its print counts)
DETAIL_CONTRAST = 3.0  # text marked as a near-duplicate's distinguishing detail stands out this much


def verify(draft: ContextDraft, rendered: Rendered) -> list[str]:
    """Every text the answer depends on is inside the image and its box, uncovered,
    every character drew ink, and it stands out from the paper (a distinguishing detail
    clearly); every object it depends on is in view (what is printed on it counts as
    its own) and shows its probed parts (a cap's colour)."""
    # Shaped text (scripts beyond Latin): every line's glyphs are HarfBuzz's.
    failures: list[str] = [f for item in draft.scene.items if isinstance(item, TextItem)
                           for f in shaping_verdict(item.layout)]
    if failures:
        return failures
    on_top: dict[int, int] = {}
    for item in draft.scene.items:
        if isinstance(item, TextItem) and item.on_item:
            on_top[item.on_item] = on_top.get(item.on_item, 0) + rendered.visible_px(item.item_id)
    for item_id in draft.depends:
        item = draft.scene.item(item_id)
        if isinstance(item, TextItem):
            failures += checks.text_in_frame(item, rendered)
            failures += checks.text_unoccluded(item, rendered)
            floor = DETAIL_CONTRAST if ("detail", "yes") in item.attributes else 1.15
            failures += checks.text_contrast(item, rendered, floor=floor)
        elif item.role == "product":
            failures += _object_in_view(item, rendered, on_top.get(item_id, 0))
    for item_id in draft.box_ids:
        if checks.owned_box(rendered, item_id) is None:
            failures.append(f"element {item_id} owns no pixels")
    for detail in draft.details:
        failures += checks.detail_visible(detail, rendered)
    return failures


def _object_in_view(item, rendered: Rendered, printed_px: int) -> list[str]:
    area = rendered.area_px[item.item_id]
    shown = rendered.visible_px(item.item_id) + printed_px
    if not area or shown / area < MIN_OBJECT_VISIBLE:
        return [f"object {item.item_id} is only {shown / max(area, 1):.0%} in view"]
    failures = []
    for probe in getattr(item, "probes", ()):
        if isinstance(probe, PaintProbe):
            failures += checks.paint_at(rendered, probe.point, item.paint(probe.paint), probe.present,
                                        f"{item.label} {probe.what}")
    return failures


def finalize(draft: Draft, rendered: Rendered) -> Draft:
    """A box answer measured on the id buffer: the union of the element's owned pixels. A
    text answer with a number whose comma its line draws as a full stop (5 px prices on a
    German screen) also accepts the number with a full stop: the pixels read both ways."""
    if not isinstance(draft, ContextDraft):
        return draft
    if not draft.box_ids:
        return _with_stop_alias(draft)
    box = kinds.union_box([checks.owned_box(rendered, i) for i in draft.box_ids])
    return dataclasses.replace(draft, question=dataclasses.replace(draft.question, answer=str(box)))


def _with_stop_alias(draft: ContextDraft) -> ContextDraft:
    question = draft.question
    numbers = checks.COMMA_NUMBER.findall(question.answer)  # "20,52" of "20,52", or of "CHF 20,52" on the label
    if not numbers:
        return draft
    lines = [draft.scene.item(i) for i in draft.depends]
    if not any(isinstance(line, TextItem) and any(n in line.text for n in numbers) and checks.comma_reads_as_stop(line)
               for line in lines):
        return draft
    stop = checks.COMMA_NUMBER.sub(lambda number: number.group().replace(",", "."), question.answer)
    if stop in question.aliases:
        return draft
    return dataclasses.replace(draft, question=dataclasses.replace(question, aliases=(*question.aliases, stop)))


# Refusing what cannot be made, before any work starts ------------------------------------

def context_pairs(family: Family, part) -> bool:
    """Does a family that makes no minimal pairs of its own make them in the part's
    contexts? Yes when every context is a real one whose `change` flips the answer of
    every slot the part's subtasks ask there (`Context.pair_slots`: a screen toggles the
    asked element or flips the asked state for hallucination)."""
    leaves = part.subtasks or family.subtasks
    return bool(leaves) and pair_subtasks(family, part) == tuple(leaves)


def pair_subtasks(family: Family, part) -> tuple[str, ...]:
    """The part's subtasks (all the family's, when it names none) whose questions every
    one of its contexts makes minimal pairs of (none outside real contexts, or for a
    family that makes pairs of its own)."""
    wanted = {v for k, v in part.settings if k == CONTEXT_KNOB} | \
        {v for s in part.sweeps if s.knob == CONTEXT_KNOB for v in s.values}
    if family.pairs or not wanted or ABSTRACT in wanted:
        return ()

    def pairs_in(name: str, leaf: str) -> bool:
        place = contexts()[name]
        first = kind_for(family.name, leaf, name)
        if first is None:
            return False
        return all(slot in place.pair_slots for slot in place.turns.get(first.slot, (first.slot,)))

    return tuple(leaf for leaf in part.subtasks or family.subtasks if all(pairs_in(n, leaf) for n in wanted))


def served_subtasks(family: Family, names, localized: bool = False) -> tuple[str, ...]:
    """The family's subtasks that every one of the named contexts can serve (`localized`:
    with its page in another language, see Context.localized_slots)."""
    real = [contexts()[n] for n in names if n != ABSTRACT]
    return tuple(leaf for leaf in family.subtasks
                 if leaf in KINDS.get(family.name, {}) and all(kind_for(family.name, leaf, c.name) for c in real)
                 and (not localized or all(kind_for(family.name, leaf, c.name).slot in c.localized_slots
                                           for c in real)))


def check_size(part, size: tuple[int, int]) -> None:
    """Real-world contexts need room: a smaller image is refused with one line."""
    wanted = [v for k, v in part.settings if k == CONTEXT_KNOB] + \
        [v for s in part.sweeps if s.knob == CONTEXT_KNOB for v in s.values]
    real = [v for v in wanted if v != ABSTRACT]
    scripts = writing.part_scripts(part)
    for name in real:
        need, why = contexts()[name].smallest_side(scripts)
        if min(size) < need:
            raise UserError(f"context {name} needs images of at least {need}x{need} pixels{why}, "
                            f"got --size {size[0]}x{size[1]}")


def check_part(family: Family, part) -> None:
    """One clear error for a context that cannot serve a subtask or a knob set for it."""
    wanted = {v for s in part.sweeps if s.knob == CONTEXT_KNOB for v in s.values}
    wanted |= {v for k, v in part.settings if k == CONTEXT_KNOB}
    real = sorted(wanted - {ABSTRACT})
    if not real:
        return
    if part.hold_out:
        raise UserError(f"{family.name}: held-out knob values are not supported with context={real[0]}")
    from gen_stress.capture import KNOB_NAMES as CAPTURE_KNOBS
    from gen_stress.pipeline import plan_for

    grid = 1
    for s in part.sweeps:
        grid *= len(s.values)
    leaves = sorted({plan_for(family, part, i).subtask for i in range(grid * len(family.subtasks))})
    used = USED_KNOBS.get(family.name, ())
    for name in real:
        context = contexts()[name]
        for leaf in leaves:
            options = KINDS.get(family.name, {}).get(leaf)
            if options is None:
                raise UserError(f"{family.name}/{leaf} asks no questions in context {name}")
            if kind_for(family.name, leaf, name) is None:
                slot = options[0].slot
                why = context.refuses.get(slot, f"it has no {slot.replace('_', ' ')}")
                raise UserError(f"context {name} cannot serve {family.name}/{leaf}: {why}; "
                                f"leave that subtask out with --subtask")
        for leaf in leaves:
            allowed = context.angles.get(kind_for(family.name, leaf, name).slot)
            set_angles = [v for k, v in part.settings if k == "angle_deg"] + \
                [v for s in part.sweeps if s.knob == "angle_deg" for v in s.values]
            wrong = [a for a in set_angles if allowed and a not in allowed]
            if wrong:
                raise UserError(f"{family.name}/{leaf} in context {name} draws its text at "
                                f"{' or '.join(map(str, allowed))} degrees only, not angle_deg={wrong[0]}")
        for knob_name in [s.knob for s in part.sweeps] + [k for k, _ in part.settings]:
            if knob_name != CONTEXT_KNOB and knob_name not in used and knob_name not in CAPTURE_KNOBS \
                    and knob_name not in writing.KNOB_NAMES:
                raise UserError(f"knob {knob_name} of {family.name} does not apply in context {name} "
                                f"(there it uses: {', '.join(used) or 'none'})")
        if family.name == "counting":
            for s in part.sweeps:
                if s.knob == "n":
                    for leaf in leaves:
                        low, high = COUNT_RANGES[kind_for("counting", leaf, name).slot]
                        if min(s.values) < low or max(s.values) > high:
                            raise UserError(f"counting/{leaf} in context {name} counts {low} to {high}, "
                                            f"not {min(s.values)}..{max(s.values)}")
            for k, v in part.settings:
                if k == "n":
                    for leaf in leaves:
                        low, high = COUNT_RANGES[kind_for("counting", leaf, name).slot]
                        if not low <= v <= high:
                            raise UserError(f"counting/{leaf} in context {name} counts {low} to {high}, not {v}")
