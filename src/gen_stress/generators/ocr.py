"""OCR family: read the text on one sign among others.

Subtasks: tiny_text (cap height `text_px` from 4 to 48), rotated_text (`angle_deg`
0..359), stylized_font (`font_class`, hollow outlined letters `stroke_px`, low
`contrast_ratio`). The question picks the target sign by its colour, its shape or its
position, always uniquely; some items hide text under a patch and are unanswerable: a
whole word (a partly covered word is read whole anyway), or a run of a code, pseudoword or
price that nobody can guess (see content.hidden_span). Codes and pseudowords hold no
character that the font at its size draws like another (O/0, I/l/1, B/8, rn/m, ...; see
scenes.glyphs): each has one right reading.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
from shapely.geometry import Polygon

from gen_stress import writing
from gen_stress.errors import UserError
from gen_stress.generators.base import Draft, Family, Question, Resample, SamplePlan
from gen_stress.knobs import knob
from gen_stress.rng import pick
from gen_stress.scenes import checks, languages
from gen_stress.scenes.colors import (
    BACKGROUNDS,
    PALETTE,
    color_name,
    contrast_ratio,
    ink_for_contrast,
    max_contrast,
)
from gen_stress.scenes.content import CONTENT_KINDS, GLYPH_CHECKED, make_text
from gen_stress.scenes.fonts import FONT_CLASSES, FontInfo, load_catalog
from gen_stress.scenes.geometry import polygon, rect_points
from gen_stress.scenes.glyphs import MIN_TELL_PX, ambiguous_strings, look_alike, look_alikes
from gen_stress.scenes.model import Scene, ShapeItem, TextItem
from gen_stress.scenes.shaping import shaping_verdict
from gen_stress.scenes.shapes import (
    SHAPE_NAMES,
    SIGN_SHAPES,
    shape_polygon,
    sign_outline,
)
from gen_stress.scenes.text import TextLayout, layout_text, measure_text, moved

REFERENTS = ("color", "shape", "position")
DIRECTIONS = {"left": "leftmost", "right": "rightmost", "top": "topmost", "bottom": "bottommost"}
UNANSWERABLE = "unanswerable"
UNANSWERABLE_ALIASES = ("cannot be read", "unreadable", "illegible")
UNANSWERABLE_EVERY = 10  # one item in ten of each subtask (non-sweep runs) is covered
PLAIN_CLASSES = ("sans", "serif", "mono")
# Characters OCR (and people) confuse: a twin changes one character to one of these.
LOOKALIKES = {
    "8": "3B", "3": "8", "B": "8", "0": "OD", "O": "0Q", "D": "0", "Q": "O", "1": "I7", "I": "1L",
    "L": "I", "7": "1", "5": "S", "S": "5", "2": "Z", "Z": "2", "6": "G", "G": "6", "E": "F", "F": "E",
    "e": "c", "c": "e", "o": "a", "a": "o", "n": "h", "h": "n", "i": "l", "l": "i", "u": "v", "v": "u",
}
MARGIN_PX = 4  # signs and shapes stay this far inside the image
DISTRACTOR_PX = (8, 10, 12, 14, 16, 20, 24, 28, 32)
GAP_PX = 6  # and this far from each other


@dataclass(frozen=True)
class OcrKnobs:
    text_px: int = knob(low=4, high=48, easy=24, primary_for=("tiny_text",),
                        doc="cap height of the target text, in pixels of the stored image")
    angle_deg: int = knob(low=0, high=359, easy=0, primary_for=("rotated_text",), period=360,
                          doc="rotation of the target text, counter-clockwise as seen; 0 is upright")
    font_class: str = knob(choices=FONT_CLASSES, easy="sans", primary_for=("stylized_font",),
                           doc="class of the target's font")
    stroke_px: int = knob(low=0, high=4, easy=0, primary_for=("stylized_font",),
                          doc="hollow letters: outline width in pixels (0: solid letters)")
    contrast_ratio: float = knob(low=1.3, high=15.0, easy=12.0, primary_for=("stylized_font",),
                                 doc="WCAG contrast between the letters and their sign")
    content: str = knob(choices=languages.LANGUAGE_KINDS, easy="word",
                        doc="what the text is: dictionary word, pseudoword, code, price, misspelled word, "
                            "number or date (the language's locale formats, from Babel)")
    referent: str = knob(choices=REFERENTS, easy="color",
                         doc="how the question picks out the target sign")
    n_signs: int = knob(low=2, high=8, easy=3, doc="signs in the image, the target's included")
    clutter: int = knob(low=0, high=24, easy=3, doc="distractor shapes in the image")
    covered: bool = knob(easy=False, doc="the target text, or a part nobody can guess, is under an opaque patch "
                                         "(unanswerable)")
    font: str = knob(easy="", derived=True, doc="the target's font")
    n_chars: int = knob(easy=0, derived=True, doc="characters in the target text")


@dataclass(frozen=True)
class _Sign:
    """A sign board and its text, laid out around the origin, before placement."""

    shape: str
    rgb: tuple[int, int, int]
    layout: TextLayout
    pad: tuple[float, float]

    @cached_property
    def outline_points(self) -> np.ndarray:
        x0, y0, x1, y1 = self.layout.ink_box_local
        px, py = self.pad
        return self.layout.local_to_canvas(sign_outline(self.shape, (x0 - px, y0 - py, x1 + px, y1 + py)))

    @cached_property
    def extent(self) -> tuple[float, float, float, float]:
        """Bounds of the board relative to the text's centre."""
        (x0, y0), (x1, y1) = self.outline_points.min(axis=0), self.outline_points.max(axis=0)
        cx, cy = self.layout.placement.center
        return (x0 - cx, y0 - cy, x1 - cx, y1 - cy)

    @cached_property
    def inner_radius(self) -> float:
        """The radius of a disk around the text's centre that the board holds whatever its
        shape and turn: half the shorter side of the padded text box, which every outline
        contains (the oval's 48-gon and the rounded corners stay outside that disk)."""
        x0, y0, x1, y1 = self.layout.ink_box_local
        px, py = self.pad
        return min(x1 - x0 + 2 * px, y1 - y0 + 2 * py) / 2

    @cached_property
    def inner_boxes(self) -> tuple[tuple[float, float, float, float], ...]:
        """For an upright board, boxes around the text's centre that it holds: the padded
        text box (the oval passes through its corners; the others enclose it), or for a
        rounded rectangle that box less its rounded corners, as a cross of two boxes.
        () for a turned board."""
        if self.layout.placement.angle_deg % 360:
            return ()
        x0, y0, x1, y1 = self.layout.ink_box_local
        (px, py), (cx, cy) = self.pad, self.layout.placement.pivot
        x0, y0, x1, y1 = x0 - px - cx, y0 - py - cy, x1 + px - cx, y1 + py - cy
        if self.shape != "rectangular":
            return ((x0, y0, x1, y1),)
        r = min(x1 - x0, y1 - y0) * 0.18  # sign_outline's corner radius
        return ((x0 + r, y0, x1 - r, y1), (x0, y0 + r, x1, y1 - r))

    def outline_at(self, layout: TextLayout) -> Polygon:
        """The board around the text moved to `layout`'s place."""
        shift = np.subtract(layout.placement.center, self.layout.placement.center)
        return polygon(self.outline_points + shift)


class OcrFamily(Family):
    name = "ocr"
    subtasks = ("tiny_text", "rotated_text", "stylized_font")
    Knobs = OcrKnobs
    description = "Read the text on one sign: tiny, rotated or stylised lettering among other signs."
    pairs = "one character of the target text changed (to a look-alike where there is one)"
    min_side = {"tiny_text": 192, "rotated_text": 192, "stylized_font": 192}  # measured, see README

    def check_plan(self, plan: SamplePlan) -> None:
        """A font class whose every font is held out, or text too big for the image in
        every font it may be set in: one-line errors before any worker starts."""
        super().check_plan(plan)
        fixed = self.fixed_values(plan)
        script = _script(plan)
        classes = [fixed["font_class"]] if "font_class" in fixed else list(
            _classes(script, FONT_CLASSES if plan.subtask == "stylized_font" else PLAIN_CLASSES))
        for font_class in classes:
            if script != writing.LATIN and not load_catalog().of_script(script, font_class):
                raise UserError(f"ocr/{plan.subtask}: the {script} script has no {font_class} font (it has: "
                                f"{', '.join(_classes(script, FONT_CLASSES))})")
            if not _fonts(plan, font_class):
                raise UserError(f"ocr/{plan.subtask}: every {font_class} font is held out; keep one of "
                                f"{', '.join(f.name for f in _pool(script, font_class))}")
        text_px, stroke_px = fixed.get("text_px"), fixed.get("stroke_px", 0)
        if text_px is not None:
            narrowest = min(_advance(f, text_px, script) for c in classes for f in _fonts(plan, c))
            width, height = plan.size
            room = 0.8 * min(width, height) - 2 * self._pad(text_px, stroke_px)[0] - 2 * MARGIN_PX
            if room / (narrowest * 1.1 + stroke_px) < 3:
                raise UserError(f"ocr/{plan.subtask}: text {text_px} px tall does not fit three characters on a "
                                f"{width}x{height} image")

    def draw_knobs(self, plan: SamplePlan, rng: np.random.Generator) -> dict:
        values = {
            "content": pick(rng, _content_kinds(_language(plan))),
            "referent": pick(rng, REFERENTS),
            "n_signs": int(rng.integers(2, 5)),
            "clutter": int(rng.integers(0, 9)),
            "covered": plan.slot % UNANSWERABLE_EVERY == UNANSWERABLE_EVERY - 1,
            "stroke_px": 0,
            "angle_deg": 0,
            "font_class": pick(rng, _classes(_script(plan), PLAIN_CLASSES)),
            "contrast_ratio": round(float(rng.uniform(7.0, 15.0)), 1),
        }
        # Text sizes shrink with images smaller than 512 px, so every drawn size fits.
        scale = min(1.0, min(plan.size) / 512)

        def text_px(low: int, high: int) -> int:
            return int(rng.integers(max(4, round(low * scale)), max(4, round(high * scale)) + 1))

        if plan.subtask == "tiny_text":
            values["text_px"] = text_px(4, 48)
        elif plan.subtask == "rotated_text":
            values["text_px"] = text_px(12, 32)
            values["angle_deg"] = int(rng.integers(0, 360))
        else:
            values["text_px"] = text_px(16, 40)
            values["font_class"] = pick(rng, _classes(_script(plan), FONT_CLASSES))
            values["stroke_px"] = int(rng.integers(1, 4)) if rng.random() < 0.5 else 0
            values["contrast_ratio"] = round(float(np.exp(rng.uniform(np.log(1.3), np.log(15.0)))), 2)
        return values

    # Scene -------------------------------------------------------------------------

    def compose(self, plan: SamplePlan, knobs: OcrKnobs, rng: np.random.Generator, size) -> list[Draft]:
        width, height = size
        background = pick(rng, list(BACKGROUNDS))
        bg_rgb = BACKGROUNDS[background]

        sign_colors = _sign_colors(bg_rgb, knobs.contrast_ratio)
        if not sign_colors:
            raise Resample("no sign colour reaches the contrast on this background")
        target_color = pick(rng, sign_colors)
        target_shape = pick(rng, SIGN_SHAPES)
        fonts = _fonts(plan, knobs.font_class)
        if not fonts:
            raise Resample(f"every {knobs.font_class} font is held out")
        font = pick(rng, fonts)
        layout, prior = self._target_text(knobs, font, rng, size)
        script = getattr(knobs, writing.SCRIPT_KNOB, writing.LATIN)
        target = _Sign(target_shape, PALETTE[target_color], layout, self._pad(knobs.text_px, knobs.stroke_px))

        direction = pick(rng, list(DIRECTIONS)) if knobs.referent == "position" else None
        placed = [self._place(target, rng, size, [], direction, leader=True)]
        for _ in range(knobs.n_signs - 1):
            sign = self._distractor_sign(knobs, target_color, target_shape, _fonts(plan), rng, size, script)
            placed.append(self._place(sign, rng, size, placed, direction, leader=False))

        items: list = []
        for k, (sign, sign_layout, outline, _box) in enumerate(placed):
            board_id, text_id = 2 * k + 1, 2 * k + 2
            role = "target" if k == 0 else "distractor"
            attrs = (("referent", f"{DIRECTIONS[direction]} sign"),) if k == 0 and direction else ()
            items.append(ShapeItem(board_id, f"{role}_sign", f"{color_name(sign.rgb)} {sign.shape} sign",
                                   sign.shape, sign.rgb, outline, z=1, attributes=attrs))
            # The target gets the asked contrast; distractors read easily.
            contrast = knobs.contrast_ratio if k == 0 else min(10.0, max_contrast(sign.rgb) - 0.5)
            ink = ink_for_contrast(sign.rgb, contrast)
            hollow = k == 0 and knobs.stroke_px > 0
            items.append(TextItem(text_id, role, sign_layout, rgb=sign.rgb if hollow else ink, z=2,
                                  stroke_rgb=ink if hollow else None, on_item=board_id,
                                  prior_text=prior if k == 0 else ""))
        next_id = 2 * len(placed) + 1

        target_text: TextItem = items[1]
        if knobs.covered:
            patch, hidden = self._patch(target_text, knobs.content, writing.language_of(knobs), target.rgb, rng)
            target_text = dataclasses.replace(target_text, attributes=(("covered_chars", ",".join(map(str, hidden))),))
            items[1] = target_text
            items.append(ShapeItem(next_id, "occluder", "patch", "patch", patch[1], patch[0], z=3))
            next_id += 1

        board_boxes = [p[3] for p in placed]
        for _ in range(knobs.clutter):
            items.append(self._clutter_shape(next_id, rng, size, board_boxes, exclude={target_color}))
            next_id += 1

        scene = Scene(width, height, background, bg_rgb, tuple(items))
        final = dataclasses.replace(knobs, font=font.name, n_chars=len(layout.text),
                                    **({"language": writing.language_of(knobs)} if hasattr(knobs, "language") else {}))
        question = self._question(knobs, target_color, target_shape, direction, target_text)
        if not (plan.options.get("pairs") and not knobs.covered):
            return [Draft(plan.subtask, final, scene, question)]
        twin_text = (self._date_changed(target_text, knobs, rng) if knobs.content == "date"
                     else self._one_char_changed(target_text, knobs.content, rng) if writing.language_of(knobs) == "en"
                     else self._one_char_changed_in_script(target_text, knobs, rng))
        twin = Scene(width, height, background, bg_rgb, tuple(twin_text if it is target_text else it for it in items))
        return [Draft(plan.subtask, final, scene, question, group=True),
                Draft(plan.subtask, final, twin, self._question(knobs, target_color, target_shape, direction,
                                                                 twin_text), variant="b", group=True)]

    @staticmethod
    def _one_char_changed(text: TextItem, content: str, rng) -> TextItem:
        """The same text item with one character replaced, preferring a look-alike
        (8/3/B, 0/O, 1/I, ...), laid out at the same place in the same font. Never one the
        font draws like the old one at this size: the twin would look the same."""
        layout = text.layout
        avoid = _ambiguous(content, layout)
        positions = [i for i, c in enumerate(layout.text) if c.isalnum()]
        for _ in range(20):
            i = positions[int(rng.integers(len(positions)))]
            old = layout.text[i]
            same_kind = ("0123456789" if old.isdigit() else "abcdefghijklmnopqrstuvwxyz" if old.islower()
                         else "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

            def usable(c: str) -> bool:
                """Told apart from the old character, and leaves no look-alike in the
                string (filtered before the pick: look-alike candidates such as 8/3/B are
                often ambiguous themselves in script fonts, and picking among them blindly
                could fail every attempt)."""
                changed = layout.text[:i] + c + layout.text[i + 1:]
                return (c != old and layout.font.draws(c) and changed != text.prior_text
                        and not any(s in changed for s in avoid)
                        # Compared as solid glyphs: a reader sees an outlined letter's contour,
                        # while a 1 px outline has too little ink for the bitmap measure (at
                        # that stroke it called every pair of capitals alike).
                        and not look_alike(layout.font, old, c, layout.text_px, 0))

            options = [c for c in LOOKALIKES.get(old, "") if usable(c)] or [c for c in same_kind if usable(c)]
            if not options:
                continue
            changed = layout.text[:i] + pick(rng, options) + layout.text[i + 1:]
            twin = layout_text(changed, layout.font, text_px=layout.text_px,
                               angle_deg=layout.placement.angle_deg, center=layout.placement.center,
                               stroke_px=layout.stroke_px)
            return dataclasses.replace(text, layout=twin, attributes=text.attributes + (("changed_char", str(i)),))
        raise Resample("no one-character change for the twin")

    @staticmethod
    def _one_char_changed_in_script(text: TextItem, knobs, rng) -> TextItem:
        """The twin in another language or script: one letter changed to another letter
        of the language (a digit to another digit of its numbering system), the case
        kept, laid out and shaped the same way. Cyrillic, Greek and Latin letters are
        never changed to one the font draws alike at this size (from 8 px up: below,
        scenes.glyphs calls every pair of one height alike); in other scripts the change
        is checked by shaping (a broken cluster is refused at verify)."""
        import unicodedata

        layout, language = text.layout, writing.language_of(knobs)
        # Consonants for consonants, vowel letters for vowel letters (in the Indic scripts
        # independent vowels for independent vowels): a consonant swapped for a vowel sign
        # or a Thai leading vowel makes a string no one writes.
        classes = languages.letter_classes(language)
        plain = knobs.script not in languages.CASED  # cased scripts: base letters, no accented ones
        kinds = [tuple(c for c in kind if len(c) == 1 and (plain or len(unicodedata.normalize("NFD", c)) == 1))
                 for kind in (classes.consonants, classes.vowels, classes.initial_vowels)]
        positions = [i for i, c in enumerate(layout.text)
                     if unicodedata.category(c) in ("Lu", "Ll", "Lo", "Nd") and not unicodedata.combining(c)]
        for _ in range(20):
            if not positions:
                break
            i = positions[int(rng.integers(len(positions)))]
            old = layout.text[i]
            if unicodedata.category(old) == "Nd":
                zero = ord(old) - unicodedata.digit(old)
                pool = [chr(zero + k) for k in range(10)]
            else:  # a letter of the same kind, the case kept
                kind = next((k for k in kinds if old.lower() in k),
                            kinds[0] if knobs.script in languages.CJK else ())  # any syllable or character
                pool = [c.upper() if old.isupper() else c for c in kind]
                pool = [c for c in pool if len(c) == 1]  # some capitals are two characters
            compare = knobs.script in languages.CASED and layout.text_px >= MIN_TELL_PX
            options = [c for c in dict.fromkeys(pool) if c != old and layout.font.draws(c)
                       and not (compare and look_alike(layout.font, old, c, layout.text_px, 0))]
            if not options:
                continue
            changed = unicodedata.normalize("NFC", layout.text[:i] + pick(rng, options) + layout.text[i + 1:])
            if changed == text.prior_text or changed == layout.text or layout.font.missing(changed):
                continue
            twin = layout_text(changed, layout.font, text_px=layout.text_px, angle_deg=layout.placement.angle_deg,
                               center=layout.placement.center, stroke_px=layout.stroke_px, shaping=layout.shaping)
            return dataclasses.replace(text, layout=twin, attributes=text.attributes + (("changed_char", str(i)),))
        raise Resample("no one-character change for the twin")

    @staticmethod
    def _date_changed(text: TextItem, knobs, rng) -> TextItem:
        """The twin of a date: another real date in the same format, one character apart
        (21.06.2023 -> 21.08.2023, never 21.86.2023), told apart from the old character
        where the script has look-alikes, laid out and shaped the same way."""
        layout, language = text.layout, writing.language_of(knobs)
        compare = getattr(knobs, writing.SCRIPT_KNOB, writing.LATIN) in languages.CASED and \
            layout.text_px >= MIN_TELL_PX
        options = []
        for changed in languages.date_twins(language, layout.text):
            i = next(k for k, (a, b) in enumerate(zip(changed, layout.text)) if a != b)
            if changed != text.prior_text and not layout.font.missing(changed) and \
                    not (compare and look_alike(layout.font, layout.text[i], changed[i], layout.text_px, 0)):
                options.append((changed, i))
        if not options:
            raise Resample("no real date one character away for the twin")
        changed, i = options[int(rng.integers(len(options)))]
        twin = layout_text(changed, layout.font, text_px=layout.text_px, angle_deg=layout.placement.angle_deg,
                           center=layout.placement.center, stroke_px=layout.stroke_px, shaping=layout.shaping)
        return dataclasses.replace(text, layout=twin, attributes=text.attributes + (("changed_char", str(i)),))

    @staticmethod
    def _pad(text_px: int, stroke_px: int) -> tuple[float, float]:
        return (max(4.0, 0.6 * text_px) + stroke_px, max(3.0, 0.5 * text_px) + stroke_px)

    def _target_text(self, knobs: OcrKnobs, font: FontInfo, rng, size) -> tuple[TextLayout, str]:
        width, height = size
        # Another language or script, or a number or date: scenes/languages' texts.
        if writing.language_of(knobs) != "en" or knobs.content not in CONTENT_KINDS:
            return self._target_text_in_script(knobs, font, rng, size)
        room = 0.8 * min(width, height) - 2 * self._pad(knobs.text_px, knobs.stroke_px)[0] - 2 * MARGIN_PX
        advance = font.mean_advance(knobs.text_px)
        max_chars = int(room / (advance * 1.1 + knobs.stroke_px))
        if max_chars < 3:
            raise Resample(f"text {knobs.text_px} px tall does not fit a {width}x{height} image")
        # Codes and pseudowords leave out characters this font at this size draws like another
        # (decided as asked: a pseudoword measures the pairs of the letters it holds).
        avoid = look_alikes(font, knobs.text_px, knobs.stroke_px) if knobs.content in GLYPH_CHECKED \
            else frozenset()
        for _ in range(8):
            text, prior = make_text(knobs.content, rng, max_chars, avoid)
            if not font.missing(text):
                return layout_text(text, font, text_px=knobs.text_px, angle_deg=knobs.angle_deg,
                                   stroke_px=knobs.stroke_px), prior
        raise Resample(f"font {font.name} does not draw the {knobs.content} texts drawn for it")

    def _target_text_in_script(self, knobs, font: FontInfo, rng, size) -> tuple[TextLayout, str]:
        """The target text in the knobs' script and language, shaped beyond Latin. Latin
        codes and pseudowords avoid look-alikes as in English; Cyrillic and Greek codes
        leave out the letters this font at this size draws like a digit (О/0, З/3, Ι/1,
        ...); other scripts' letters are not compared (scenes.glyphs measures single
        glyphs, not joined or stacked forms)."""
        width, height = size
        script, language = getattr(knobs, writing.SCRIPT_KNOB, writing.LATIN), writing.language_of(knobs)
        shaping = writing.shaping_for(knobs)
        vertical = getattr(knobs, writing.DIRECTION_KNOB, "horizontal") == "vertical"
        room = (0.8 * min(width, height) - 2 * self._pad(knobs.text_px, knobs.stroke_px)[0] - 2 * MARGIN_PX)
        max_chars = int(room / (_advance(font, knobs.text_px, script, vertical) * 1.1 + knobs.stroke_px))
        if max_chars < 3:
            raise Resample(f"text {knobs.text_px} px tall does not fit a {width}x{height} image")
        if script == writing.LATIN:
            avoid = (look_alikes(font, knobs.text_px, knobs.stroke_px) if knobs.content in GLYPH_CHECKED
                     else frozenset())
        elif knobs.content == "code" and script in languages.CASED:
            avoid = _digit_lookalikes(font, knobs.text_px, knobs.stroke_px, language)
        else:
            avoid = frozenset()
        for _ in range(8):
            text, prior = languages.make_text(language, knobs.content, rng, max_chars, avoid)
            if not font.missing(text):
                if len(text) > max_chars:  # likely too long (a date): measured before it is drawn
                    x0, y0, x1, y1 = measure_text(text, font, text_px=knobs.text_px, stroke_px=knobs.stroke_px,
                                                  shaping=shaping)
                    if max(x1 - x0, y1 - y0) > room:
                        continue
                layout = layout_text(text, font, text_px=knobs.text_px, angle_deg=knobs.angle_deg,
                                     stroke_px=knobs.stroke_px, shaping=shaping)
                x0, y0, x1, y1 = layout.ink_box_local
                if max(x1 - x0, y1 - y0) > room:  # the measure of a word is a guess: the layout is not
                    continue
                return layout, prior
        raise Resample(f"font {font.name} does not draw (or fit) the {knobs.content} texts drawn for it")

    def _distractor_sign(self, knobs: OcrKnobs, target_color: str, target_shape: str, fonts, rng, size,
                         script: str = writing.LATIN) -> _Sign:
        colors = [c for c in _sign_colors(None, 6.0) if c != target_color]
        shapes = [s for s in SIGN_SHAPES if knobs.referent != "shape" or s != target_shape]
        if knobs.referent != "color" and rng.random() < 0.5:
            colors.append(target_color)  # same colour is fine when colour does not pick the target
        font = pick(rng, fonts)
        # Distractor sizes come from a short list (they are not a knob): fewer font sizes
        # to load and measure per process.
        sizes = [px for px in DISTRACTOR_PX if knobs.text_px // 2 <= px <= 2 * knobs.text_px] or [DISTRACTOR_PX[0]]
        text_px = pick(rng, sizes)
        angle = int(rng.integers(0, 360)) if knobs.angle_deg and rng.random() < 0.5 else 0
        kind = knobs.content if rng.random() < 0.5 else pick(rng, _content_kinds(writing.language_of(knobs)))
        room = 0.45 * min(size)
        if writing.language_of(knobs) != "en":
            return self._distractor_in_script(knobs, font, text_px, angle, kind, room, shapes, colors, rng)
        advance = font.mean_advance(text_px)
        for _ in range(8):
            # English content kinds are scenes/content's, draw for draw; numbers and dates Babel's.
            text, _prior = languages.make_text("en", kind, rng, max(3, int(room / (advance * 1.1))))
            if not font.missing(text):
                layout = layout_text(text, font, text_px=text_px, angle_deg=angle)
                return _Sign(pick(rng, shapes), PALETTE[pick(rng, colors)], layout, self._pad(text_px, 0))
        raise Resample(f"font {font.name} does not draw the distractor texts drawn for it")

    def _distractor_in_script(self, knobs, font: FontInfo, text_px: int, angle: int, kind: str, room: float,
                              shapes, colors, rng) -> _Sign:
        """A distractor sign with text in the target's language, shaped."""
        language, shaping = writing.language_of(knobs), writing.shaping_for(knobs)
        vertical = getattr(knobs, writing.DIRECTION_KNOB, "horizontal") == "vertical"
        script = getattr(knobs, writing.SCRIPT_KNOB, writing.LATIN)
        max_chars = max(3, int(room / (_advance(font, text_px, script, vertical) * 1.1)))
        for _ in range(8):
            text, _prior = languages.make_text(language, kind, rng, max_chars)
            if not font.missing(text):
                layout = layout_text(text, font, text_px=text_px, angle_deg=angle, shaping=shaping)
                return _Sign(pick(rng, shapes), PALETTE[pick(rng, colors)], layout, self._pad(text_px, 0))
        raise Resample(f"font {font.name} does not draw the distractor texts drawn for it")

    def _place(self, sign: _Sign, rng, size, placed: list, direction, leader: bool):
        """Find a centre for the sign: inside the image, clear of the others, and, when the
        target is picked by position, keeping the target clearly extreme."""
        width, height = size
        ox0, oy0, ox1, oy1 = sign.extent
        lo_x, hi_x = MARGIN_PX - ox0, width - MARGIN_PX - ox1
        lo_y, hi_y = MARGIN_PX - oy0, height - MARGIN_PX - oy1
        if lo_x > hi_x or lo_y > hi_y:
            raise Resample("sign does not fit in the image")
        if leader and direction:  # start the target in the first 40% along its direction
            if direction == "left":
                hi_x = lo_x + 0.4 * (hi_x - lo_x)
            elif direction == "right":
                lo_x = hi_x - 0.4 * (hi_x - lo_x)
            elif direction == "top":
                hi_y = lo_y + 0.4 * (hi_y - lo_y)
            else:
                lo_y = hi_y - 0.4 * (hi_y - lo_y)
        for _ in range(40):
            layout = moved(sign.layout, (float(rng.uniform(lo_x, hi_x)), float(rng.uniform(lo_y, hi_y))))
            cx, cy = layout.placement.center
            box = (cx + ox0, cy + oy0, cx + ox1, cy + oy1)
            if placed and direction and not leader and not _clearly_beyond(placed[0], box, direction, size):
                continue
            # Boxes far apart settle it; close boxes are decided on the exact outlines.
            near = [p for p in placed if _boxes_near(box, p[3], GAP_PX)]
            # Boards whose inner shapes come closer than the gap are closer still: refused
            # without building the outline (the verdict the outlines give, for less).
            if any(_surely_near(sign, cx, cy, p) for p in near):
                continue
            outline = sign.outline_at(layout)
            if any(outline.distance(p[2]) < GAP_PX for p in near):
                continue
            return sign, layout, outline, box
        raise Resample("no room for another sign")

    def _patch(self, text: TextItem, content: str, language: str, sign_rgb, rng):
        """An opaque patch over characters nobody can recover (see content.hidden_span),
        judged against the language's own words."""
        layout = text.layout
        hidden = languages.hidden_span(language, layout.text, content, rng)
        boxes = [layout.char_boxes_local[i] for i in hidden]
        x0, y0, x1, y1 = layout.ink_box_local
        if layout.shaping is not None and layout.shaping.direction == "ttb":  # a vertical line: across it
            rect = (x0 - 3, min(b[1] for b in boxes) - 2, x1 + 3, max(b[3] for b in boxes) + 2)
        else:
            rect = (min(b[0] for b in boxes) - 2, y0 - 3, max(b[2] for b in boxes) + 2, y1 + 3)
        polygon = Polygon(layout.local_to_canvas(rect_points(rect)))
        colors = [c for c in PALETTE if contrast_ratio(PALETTE[c], sign_rgb) >= 1.6]
        return (polygon, PALETTE[pick(rng, colors)]), hidden

    def _clutter_shape(self, item_id: int, rng, size, boards: list, exclude) -> ShapeItem:
        """A plain shape off every sign (by the signs' boxes grown by the gap)."""
        width, height = size
        colors = [c for c in PALETTE if c not in exclude]
        for _ in range(30):
            name = pick(rng, SHAPE_NAMES)
            size_px = float(rng.uniform(10, 48))
            center = (float(rng.uniform(size_px / 2 + 1, width - size_px / 2 - 1)),
                      float(rng.uniform(size_px / 2 + 1, height - size_px / 2 - 1)))
            angle = float(rng.uniform(0, 360))
            half = size_px / 2 * 1.42  # any turn of the unit square stays within this
            box = (center[0] - half, center[1] - half, center[0] + half, center[1] + half)
            if any(_boxes_near(box, b, GAP_PX) for b in boards):
                continue
            color = pick(rng, colors)
            return ShapeItem(item_id, "distractor", f"{color} {name}", name, PALETTE[color],
                             shape_polygon(name, center, size_px, angle), z=0,
                             angle_deg=round(angle, 2), size_px=round(size_px, 2))
        raise Resample("no room for clutter")

    # Question ----------------------------------------------------------------------

    @staticmethod
    def _question(knobs: OcrKnobs, color: str, shape: str, direction, target: TextItem) -> Question:
        if knobs.referent == "color":
            which = f"the {color} sign"
        elif knobs.referent == "shape":
            which = f"the {shape} sign"
        else:
            which = f"the {DIRECTIONS[direction]} sign (as seen in the image)"
        prompt = (f"What does the text on {which} say? Answer with the text exactly as printed, keeping "
                  f"its spelling, letter case and punctuation. If the text cannot be read, answer "
                  f"\"{UNANSWERABLE}\".")
        if knobs.covered:
            return Question(prompt, UNANSWERABLE, "text", aliases=UNANSWERABLE_ALIASES, answerable=False)
        return Question(prompt, target.text, "text")

    def shown_values(self, draft: Draft, knob: str) -> set:
        if knob == "font":  # the distractor signs' fonts are shown too
            return {it.layout.font.name for it in draft.scene.items if isinstance(it, TextItem)}
        return super().shown_values(draft, knob)

    # Checks on the pixels ----------------------------------------------------------

    def verify(self, draft: Draft, rendered) -> list[str]:
        texts = [it for it in draft.scene.items if isinstance(it, TextItem)]
        target = next(it for it in texts if it.role == "target")
        # Shaped text (scripts beyond Latin): every sign's glyphs are HarfBuzz's.
        failures = [f for it in texts for f in shaping_verdict(it.layout)]
        if failures:
            return failures
        failures = checks.text_in_frame(target, rendered)
        if draft.knobs.covered:
            hidden = [int(i) for i in dict(target.attributes)["covered_chars"].split(",")]
            failures += checks.chars_hidden(target, rendered, hidden)
        else:
            failures += checks.text_unoccluded(target, rendered)
            failures += checks.text_contrast(target, rendered)
        return failures


def _ambiguous(content: str, layout: TextLayout) -> frozenset[str]:
    """The look-alike strings a code or pseudoword in this layout's font and size must not hold."""
    if content not in GLYPH_CHECKED:
        return frozenset()
    return ambiguous_strings(layout.font, layout.text_px, layout.stroke_px)


def _fonts(plan: SamplePlan, font_class: str | None = None) -> tuple[FontInfo, ...]:
    """Catalog fonts of the plan's script (of a class), without the fonts this part holds out."""
    banned = plan.hold_out.get("font", frozenset())
    language = plan.pinned.get(writing.LANGUAGE_KNOB, "")
    return _allowed(_script(plan), font_class, language, frozenset(banned))


@lru_cache(maxsize=256)
def _allowed(script: str, font_class: str | None, language: str, banned: frozenset) -> tuple[FontInfo, ...]:
    # Remembered: three signs per scene ask (the pool and a part's held-out fonts are fixed).
    return tuple(font for font in _pool(script, font_class, language) if font.name not in banned)


@lru_cache(maxsize=256)
def _pool(script: str, font_class: str | None, language: str = "") -> tuple[FontInfo, ...]:
    # Remembered: three signs per attempt ask for it (the catalog and its fonts are fixed).
    catalog = load_catalog()
    if script != writing.LATIN:
        fonts = catalog.of_script(script, font_class)
        # Those that draw every character the language can emit (its currency sign too:
        # most Latin fonts that draw Cyrillic lack the rouble sign, and each of their
        # prices would be drawn again and again), when any does.
        return _complete(fonts, language or languages.default_language(script).code) or fonts
    fonts = catalog.fonts if font_class is None else catalog.of_class(font_class)
    # Another Latin-script language: the fonts drawing all of it (Breip lacks the euro
    # sign and French œ). English keeps every font, so default runs keep their bytes.
    if language in ("", "en"):
        return fonts
    return _complete(fonts, language) or fonts


@lru_cache(maxsize=256)
def _complete(fonts: tuple[FontInfo, ...], language: str) -> tuple[FontInfo, ...]:
    chars = "".join(sorted(languages.charset(language)))
    return tuple(f for f in fonts if not f.missing(chars))


def _script(plan: SamplePlan) -> str:
    return plan.pinned.get(writing.SCRIPT_KNOB, writing.LATIN)


def _language(plan: SamplePlan) -> str:
    """The plan's language code, resolved (the script's first language when unset)."""
    return plan.pinned.get(writing.LANGUAGE_KNOB, "") or languages.default_language(_script(plan)).code


def _content_kinds(language: str) -> tuple[str, ...]:
    """Content kinds a random pick draws from: English keeps today's five (its runs keep
    their bytes); other languages add locale numbers and dates."""
    return CONTENT_KINDS if language == "en" else languages.LANGUAGE_KINDS


@lru_cache(maxsize=4096)
def _sign_colors(background, contrast: float) -> tuple[str, ...]:
    """Palette colours (in palette order) that reach the contrast with their own ink and
    stand out from the background (None: any background), remembered: every scene asks,
    and a scene's contrast is one of a few hundred values."""
    return tuple(c for c in PALETTE if max_contrast(PALETTE[c]) >= contrast
                 and (background is None or contrast_ratio(PALETTE[c], background) >= 1.3))


@lru_cache(maxsize=64)
def _classes(script: str, classes: tuple[str, ...]) -> tuple[str, ...]:
    """The font classes among `classes` that the script has fonts of (all for Latin),
    remembered (every sample draws a class: the catalog is fixed)."""
    if script == writing.LATIN:
        return classes
    have = {f.font_class for f in load_catalog().of_script(script)}
    return tuple(c for c in classes if c in have)


# Letters of Cyrillic and Greek codes that may read as a digit, and those digits (the
# pairs glyphs.look_alike compares; every letter against every digit costs 20 times more).
DIGIT_LIKE = {"О": "0", "З": "3", "Э": "3", "Б": "6", "Ч": "4", "В": "8", "Т": "7", "Ο": "0", "Θ": "0",
              "Ι": "1", "Β": "8", "Ζ": "2", "Τ": "7", "Δ": "4"}


@lru_cache(maxsize=1024)
def _digit_lookalikes(font: FontInfo, text_px: int, stroke_px: int, language: str) -> frozenset[str]:
    """Code letters of a Cyrillic or Greek language that the font draws like a digit at
    this size (a code holding one has no single reading). Only the letters are left out:
    that removes the doubt and keeps every digit."""
    letters = [c for c in languages._code_letters(language) if c in DIGIT_LIKE and not font.missing(c)]
    return frozenset(c for c in letters if not font.missing(DIGIT_LIKE[c])
                     and look_alike(font, c, DIGIT_LIKE[c], text_px, stroke_px))


def _advance(font: FontInfo, text_px: int, script: str, vertical: bool = False) -> float:
    """Typical advance of a character along the line (for fitting text): Latin as
    before; another script measured on its letters, shaped (a character of a vertical
    CJK line takes about an em)."""
    if script == writing.LATIN:
        return font.mean_advance(text_px)
    return _script_advance(font, text_px, script, vertical)


@lru_cache(maxsize=1024)
def _script_advance(font: FontInfo, text_px: int, script: str, vertical: bool) -> float:
    em = font.em_for_cap(text_px)
    if vertical:
        return em
    sample = _advance_sample(font, script)
    return font.pil_shaping(em).getlength(sample) / len(sample)


@lru_cache(maxsize=256)
def _advance_sample(font: FontInfo, script: str) -> str:
    """The letters `_script_advance` measures, picked once per font (not per size)."""
    language = languages.default_language(script).code
    return "".join(c for c in languages.letters(language) if not font.missing(c))[:24] or "0"


def _boxes_near(a, b, gap: float) -> bool:
    """True when boxes a and b overlap or come closer than `gap`."""
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _surely_near(sign: _Sign, cx: float, cy: float, placed) -> bool:
    """True when the board of `sign` centred at (cx, cy) surely comes closer than the gap
    to the placed sign: shapes each board holds do (boxes when both are upright, else
    disks), with a hair of margin for rounding, so a borderline pair is left to the
    outlines."""
    other, (ox, oy) = placed[0], placed[1].placement.center
    if sign.inner_boxes and other.inner_boxes:
        for a0, a1, a2, a3 in sign.inner_boxes:
            for b0, b1, b2, b3 in other.inner_boxes:
                dx = max(ox + b0 - (cx + a2), cx + a0 - (ox + b2), 0.0)
                dy = max(oy + b1 - (cy + a3), cy + a1 - (oy + b3), 0.0)
                if math.hypot(dx, dy) < GAP_PX - 1e-6:
                    return True
        return False
    return math.hypot(cx - ox, cy - oy) - sign.inner_radius - other.inner_radius < GAP_PX - 1e-6


def _clearly_beyond(lead, box, direction: str, size) -> bool:
    """True when the placed sign `lead` is clearly further in `direction` than a sign with
    bounds `box`: both its edge and its centre lead by a margin, so "the leftmost sign" has
    one answer."""
    margin = max(12.0, 0.04 * max(size))
    lx0, ly0, lx1, ly1 = lead[3]
    ox0, oy0, ox1, oy1 = box
    lcx, lcy = (lx0 + lx1) / 2, (ly0 + ly1) / 2
    ocx, ocy = (ox0 + ox1) / 2, (oy0 + oy1) / 2
    if direction == "left":
        return ox0 - lx0 >= margin and ocx - lcx >= margin
    if direction == "right":
        return lx1 - ox1 >= margin and lcx - ocx >= margin
    if direction == "top":
        return oy0 - ly0 >= margin and ocy - lcy >= margin
    return ly1 - oy1 >= margin and lcy - ocy >= margin


FAMILY = OcrFamily()
