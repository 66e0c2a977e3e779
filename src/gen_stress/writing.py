"""Writing systems: the knobs `script`, `language` and `text_direction`.

They join a family's `difficulty` (and the `clusters` of shaped text join the scene's
texts) only in datasets that set or sweep one of them, so default runs keep their bytes.
Latin text keeps Pillow's basic layout; every other script is shaped by raqm and checked
glyph by glyph against HarfBuzz (scenes/shaping.py). The ocr family draws every script
in abstract scenes; receipts, menus, document pages, screens and shelves print their whole
page in the language (right to left where the script is), and there every family asks what
the page prints (Context.localized_slots), minimal pairs included. What is not supported yet is
refused with one line before any work starts: scripts beyond Latin (or a language other
than English) in another family than ocr in abstract scenes (their questions and labels
are English) or in a subtask whose elements the page does not print in the language, in
a context that prints English only (none today), and vertical text in a
context. Under capture, shaped text is judged per grapheme cluster (its character boxes
are its clusters' boxes) and its cluster boxes are mapped through the camera.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gen_stress.errors import UserError
from gen_stress.knobs import extend_knobs, knob, part_sets_any
from gen_stress.scenes.languages import LANGUAGES, SCRIPT_TAGS, SCRIPTS, default_language
from gen_stress.scenes.shaping import Shaping

SCRIPT_KNOB, LANGUAGE_KNOB, DIRECTION_KNOB = "script", "language", "text_direction"
KNOB_NAMES = frozenset({SCRIPT_KNOB, LANGUAGE_KNOB, DIRECTION_KNOB})
LATIN = "latin"
DIRECTIONS = ("horizontal", "vertical")
VERTICAL_SCRIPTS = ("chinese", "japanese")  # written top to bottom in real life (Korean rarely)
FAMILIES = ("ocr",)  # families that draw text beyond Latin so far
CONTEXTS = ("receipt", "menu", "document", "screen", "shelf")  # real-world contexts whose pages print other languages


def _knob(**spec):
    """A writing knob: every one has a default (its easy value), so a family's own knobs
    can be made without them."""
    return dataclasses.field(default=spec["easy"], metadata=knob(**spec).metadata)


@dataclass(frozen=True, kw_only=True)
class ScriptKnobs:
    script: str = _knob(choices=SCRIPTS, easy=LATIN,
                        doc="writing system of the text; beyond latin, text is shaped by HarfBuzz (raqm) and "
                            "checked glyph by glyph")
    language: str = _knob(choices=("",) + tuple(LANGUAGES), easy="",
                          doc="language of the words, numbers and dates (ISO 639-1); must be written in `script`; "
                              "empty: the script's first language (recorded resolved)")
    text_direction: str = _knob(choices=DIRECTIONS, easy="horizontal",
                                doc="horizontal, or vertical (top to bottom; chinese and japanese only)")


def with_script(knobs_cls: type) -> type:
    """A family's knobs (with context or capture knobs, or not) plus the writing knobs."""
    return extend_knobs(knobs_cls, ScriptKnobs, "Written")


def uses_script(part) -> bool:
    return part_sets_any(part, KNOB_NAMES)


def part_knobs(family, part) -> type:
    """The knobs class of a part's rows: the family's, plus `context`, capture and
    writing knobs when the part uses them."""
    from gen_stress import capture

    base = capture.part_knobs(family, part)
    return with_script(base) if uses_script(part) else base


def _values(part, name: str) -> set:
    return {v for s in part.sweeps if s.knob == name for v in s.values} | {v for k, v in part.settings if k == name}


def part_scripts(part) -> set[str]:
    """The scripts a part's text is written in: those set or swept, and those of its
    languages (Latin when neither is set)."""
    scripts = _values(part, SCRIPT_KNOB) | {LANGUAGES[c].script for c in _values(part, LANGUAGE_KNOB) - {""}}
    return scripts or {LATIN}


def check_part(family, part) -> None:
    """One clear error for a writing knob value that cannot be served, before any worker."""
    if not uses_script(part):
        return
    scripts = _values(part, SCRIPT_KNOB) or {LATIN}
    languages = _values(part, LANGUAGE_KNOB) - {""}
    directions = _values(part, DIRECTION_KNOB)
    for code in sorted(languages):
        for script in sorted(scripts):
            if LANGUAGES[code].script != script:
                known = ", ".join(c for c, lang in LANGUAGES.items() if lang.script == script)
                raise UserError(f"language {code} ({LANGUAGES[code].name}) is not written in the {script} script "
                                f"(its languages: {known}); set script={LANGUAGES[code].script}")
    if "vertical" in directions:
        wrong = sorted(scripts - set(VERTICAL_SCRIPTS))
        if wrong:
            raise UserError(f"text_direction=vertical is for {' and '.join(VERTICAL_SCRIPTS)} text, not {wrong[0]}")
    foreign = sorted(languages - {"en"})
    beyond = sorted(scripts - {LATIN})
    contexts = sorted(_values(part, "context") - {"abstract"})
    # Other families draw English only in abstract scenes: a language label there would not
    # be the truth. On receipts, menus, documents and screens they ask what the page's words cover (below).
    abstract = not contexts or "abstract" in (_values(part, "context") or {"abstract"})
    if family.name not in FAMILIES and abstract and (foreign or beyond):
        what = f"language={foreign[0]}" if foreign else f"script={beyond[0]}"
        raise UserError(f"{what} is not supported by family {family.name} in abstract scenes yet (only by "
                        f"{', '.join(FAMILIES)}; its questions and the labels they name are English; on "
                        f"{', '.join(CONTEXTS)} pages it asks what they print)")
    if not contexts or not (beyond or foreign or "vertical" in directions):
        return
    # A real-world context prints the language's page words (scenes/contexts, languages.yaml).
    what = f"script={beyond[0]}" if beyond else (f"language={foreign[0]}" if foreign else "text_direction=vertical")
    wrong = [c for c in contexts if c not in CONTEXTS]
    if wrong:
        raise UserError(f"{what} is not supported in context {wrong[0]} yet (only in abstract scenes and "
                        f"{', '.join(CONTEXTS)})")
    if "vertical" in directions:
        raise UserError(f"text_direction=vertical is not supported in context {contexts[0]} (its lines are "
                        "horizontal; vertical text is drawn in abstract scenes)")
    _check_localized_slots(family, part, contexts, what)
    classes = _values(part, "font_class")
    for script in beyond:
        missing = sorted(classes - set(font_classes({SCRIPT_KNOB: script})))
        if missing:
            raise UserError(f"the {script} script has no {missing[0]} font (it has: "
                            f"{', '.join(font_classes({SCRIPT_KNOB: script}))})")


def _check_localized_slots(family, part, contexts, what: str) -> None:
    """Every subtask of the part asks, in each context, about an element the page prints
    in the language (Context.localized_slots)."""
    from gen_stress.questions.in_context import KINDS, kind_for
    from gen_stress.scenes.contexts import contexts as all_contexts

    for name in contexts:
        place = all_contexts()[name]
        for leaf in part.subtasks or family.subtasks:
            kind = kind_for(family.name, leaf, name) if leaf in KINDS.get(family.name, {}) else None
            if kind is not None and kind.slot not in place.localized_slots:
                raise UserError(f"{family.name}/{leaf} in context {name} is not supported with {what} yet (its "
                                f"question about {place.slots[kind.slot]} is not made for pages in other languages "
                                f"yet); leave it out with --subtask")


def prints_other_language(settings, sweeps) -> bool:
    """Whether a part's pages print a language other than English (pinned or swept)."""
    values = {(k, v) for k, v in settings} | {(s.knob, v) for s in sweeps for v in s.values}
    return any((k == SCRIPT_KNOB and v != LATIN) or (k == LANGUAGE_KNOB and v not in ("", "en")) for k, v in values)


def page_language(pinned) -> str:
    """The language a real-world context prints for a plan's pinned knobs ("": the
    writing knobs are not used, English as always)."""
    if not KNOB_NAMES & set(pinned):
        return ""
    return pinned.get(LANGUAGE_KNOB, "") or default_language(pinned.get(SCRIPT_KNOB, LATIN)).code


def page_knobs(pinned) -> dict:
    """The writing knobs of a context's row, resolved."""
    return {SCRIPT_KNOB: pinned.get(SCRIPT_KNOB, LATIN), LANGUAGE_KNOB: page_language(pinned),
            DIRECTION_KNOB: pinned.get(DIRECTION_KNOB, "horizontal")}


def font_classes(pinned) -> tuple[str, ...]:
    """The font classes text in the plan's script can be set in (all for Latin)."""
    from gen_stress.scenes.fonts import FONT_CLASSES, load_catalog

    script = pinned.get(SCRIPT_KNOB, LATIN)
    if script == LATIN:
        return FONT_CLASSES
    have = {f.font_class for f in load_catalog().of_script(script)}
    return tuple(c for c in FONT_CLASSES if c in have)


def language_of(knobs) -> str:
    """The language code of a sample's text (the script's first language when unset)."""
    code = getattr(knobs, LANGUAGE_KNOB, "")
    return code or default_language(getattr(knobs, SCRIPT_KNOB, LATIN)).code


def shaping_for(knobs) -> Shaping | None:
    """How the sample's text is shaped: None for Latin (basic layout, today's bytes)."""
    script = getattr(knobs, SCRIPT_KNOB, LATIN)
    if script == LATIN:
        return None
    lang = LANGUAGES[language_of(knobs)]
    if getattr(knobs, DIRECTION_KNOB, "horizontal") == "vertical":
        direction = "ttb"
    else:
        direction = lang.direction
    return Shaping(direction, SCRIPT_TAGS[script], lang.code)
