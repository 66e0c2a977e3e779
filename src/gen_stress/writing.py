"""Writing systems: the knobs `script`, `language` and `text_direction`.

They join a family's `difficulty` (and the `clusters` of shaped text join the scene's
texts) only in datasets that set or sweep one of them, so default runs keep their bytes.
Latin text keeps Pillow's basic layout; every other script is shaped by raqm and checked
glyph by glyph against HarfBuzz (scenes/shaping.py). What is not supported yet is refused
with one line before any work starts: scripts beyond Latin (or a language other than
English) in another family than ocr, and scripts beyond Latin in a context other than
abstract. Under capture, shaped text is judged per grapheme cluster (its character boxes
are its clusters' boxes) and its cluster boxes are mapped through the camera.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from gen_stress.errors import UserError
from gen_stress.knobs import extend_knobs, knob, part_sets_any
from gen_stress.scenes.languages import LANGUAGES, SCRIPTS, default_language
from gen_stress.scenes.shaping import Shaping

SCRIPT_KNOB, LANGUAGE_KNOB, DIRECTION_KNOB = "script", "language", "text_direction"
KNOB_NAMES = frozenset({SCRIPT_KNOB, LANGUAGE_KNOB, DIRECTION_KNOB})
LATIN = "latin"
DIRECTIONS = ("horizontal", "vertical")
VERTICAL_SCRIPTS = ("chinese", "japanese")  # written top to bottom in real life (Korean rarely)
FAMILIES = ("ocr",)  # families that draw text beyond Latin so far
# ISO 15924 tags HarfBuzz shapes each script with.
SCRIPT_TAGS = {"latin": "Latn", "cyrillic": "Cyrl", "greek": "Grek", "arabic": "Arab", "hebrew": "Hebr",
               "devanagari": "Deva", "bengali": "Beng", "thai": "Thai", "chinese": "Hani", "japanese": "Hani",
               "korean": "Hang"}


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
    # Other families draw English only: a language label there would not be the truth.
    foreign = sorted(languages - {"en"})
    if foreign and family.name not in FAMILIES:
        raise UserError(f"language={foreign[0]} is not supported by family {family.name} yet (only by "
                        f"{', '.join(FAMILIES)})")
    beyond = sorted(scripts - {LATIN})
    if not beyond:
        return
    if family.name not in FAMILIES:
        raise UserError(f"script={beyond[0]} is not supported by family {family.name} yet (only by "
                        f"{', '.join(FAMILIES)})")
    contexts = _values(part, "context") - {"abstract"}
    if contexts:
        raise UserError(f"script={beyond[0]} is not supported in context {sorted(contexts)[0]} yet "
                        "(only in abstract scenes)")


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
