"""Menu: a restaurant menu card on a table.

A title in a display or script font, sections with headings, dish names with dotted
leaders to their prices, short descriptions, one or two columns, diet marks (V, VG,
GF) after dish names and a dagger for the chef's special, explained in a footnote with
an allergen note in small print.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from gen_stress.errors import Resample
from gen_stress.rng import pick
from gen_stress.scenes.colors import contrast_ratio, ink_for_contrast, max_contrast, mix
from gen_stress.scenes.contexts import Context, vocabulary
from gen_stress.scenes.contexts.edits import one_char_changed
from gen_stress.scenes import languages
from gen_stress.scenes.contexts.sheet import (
    Sheet,
    fitting_everywhere,
    cap_gap,
    font_named,
    fonts_for,
    money,
    page_shaping,
    right_to_left,
    styled_fonts,
    text_width,
    variant_words,
)
from gen_stress.scenes.languages import LANGUAGES, page_words
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.glyphs import comma_reads_apart
from gen_stress.scenes.geometry import rect_points, tallness
from gen_stress.scenes.model import Scene
from gen_stress.scenes.page import Count, Field, Listing, Page, Request, Target

TITLE_FONTS = ("Lobster Two", "Leckerli One", "Dancing Script", "Kaushan Script", "Cabin Sketch", "Comfortaa")
DISH_FONTS = ("Lobster Two", "Dancing Script", "Roboto Slab", "EB Garamond", "DejaVu Serif", "Yanone Kaffeesatz",
              "Open Sans")
BODY_FONTS = ("DejaVu Serif", "Liberation Serif", "EB Garamond", "Open Sans", "Liberation Sans")
MARK_FONTS = ("DejaVu Serif", "Liberation Serif", "DejaVu Sans")
DAGGER = "†"
VEGETARIAN = ("V", "VG")  # diets of the data that may carry the V mark
DIET_FIELDS = {"VG": "a vegan (VG) mark", "GF": "a gluten-free (GF) mark"}  # marks asked about as usual fields
MARGIN_PX = 8
LIST_SLOTS = ("list_order", "list_relative", "marked_item")
NO_LEADER = "a dish line leaves no room for its leader"
MIN_LIST = 4  # dishes kept in the longest section when dishes are left out to fit (a list question's options)
MAX_SPREAD = 1.6  # a card's spacing between dishes and sections grows up to this much to fill a tall card
TALL = 1.25  # height / width from which a card lists every section it can (and more dishes, up to twice)
WIDE = 1.25  # width / height from which most cards are set in two columns
CURRENCY = {"symbol": "", "prefix": True, "decimal": ".", "thousands": ","}
DRINKS = 3  # the drinks section of languages.yaml's menu sections (starters, mains, desserts, drinks)


def _styled_sizes(slot: str, style, dish_px: int) -> dict:
    """The type sizes and looks a question's style sets (the asked fine print, label or
    styled title), else the menu's own: one rule for English and other languages."""
    return dict(
        dish_px=dish_px, fine_px=style.text_px if slot == "fine_text" else max(6, dish_px - 3),
        target_px=style.text_px if style is not None else dish_px,
        target_contrast=style.contrast_ratio if slot == "styled_text" else 0.0,
        stroke_px=style.stroke_px if slot == "styled_text" else 0,
        label_angle=style.angle_deg if slot == "rotated_text" else 0)


@dataclass(frozen=True)
class Dish:
    name: str
    desc: str
    price: int
    diet: str  # "", "V", "VG" or "GF"
    special: bool = False


@dataclass(frozen=True)
class MenuContent:
    title: str
    tagline: str
    sections: tuple[tuple[str, tuple[Dish, ...]], ...]
    columns: int
    decimal: str
    descriptions: bool
    fine: tuple[str, ...]
    label: str  # a rotated label ("Chef's pick"), "" when none
    hours: str
    service: bool
    title_font: str
    dish_font: str
    body_font: str
    mark_font: str
    title_px: int
    dish_px: int
    fine_px: int
    target_px: int
    target_contrast: float
    stroke_px: int
    label_angle: int
    paper: tuple[int, int, int]
    ink: tuple[int, int, int]
    accent: tuple[int, int, int]
    surface: str
    surface_rgb: tuple[int, int, int]
    inset: tuple[float, float]  # margin of the card inside the image, 0..1 of the spare room
    box_pick: int
    near_dup: str  # name of the dish asked about among near-duplicates ("" none)
    above_px: float = 0.0  # a close-up of the foot: this much of the card lies above the frame
    language: str = ""  # the language printed ("": English); see _sample_localized
    numbering: str = "latn"  # the digits its prices are printed in (another language's own, or Latin)
    size: tuple[int, int] = (0, 0)  # the image it was fitted to (a twin with a line more is fitted again)
    gone: tuple = ()  # (section, place, Dish) of a dish taken off, whose price a question asks


class MenuContext(Context):
    name = "menu"
    noun = "menu"
    description = "restaurant menu: display-font title, sections, dotted price leaders, diet marks, footnote"
    slots = {
        "fine_text": "the last line of the footnote",
        "rotated_text": "a label printed at an angle",
        "styled_text": "the restaurant's name in a display or script font",
        "count_rows": "dishes marked vegetarian (V)",
        "count_marks": "dishes marked with a dagger",
        "list_order": "dishes of a section, top to bottom",
        "list_relative": "dishes of a section, top to bottom",
        "two_columns": "dishes in the left and right column",
        "absent_field": "usual menu fields (desserts, drinks, vegan marks, opening hours, service charge)",
        "near_miss": "dish prices",
        "presupposition": "opening hours, service charge, prices",
        "named_box": "a section heading or a dish",
        "near_duplicate": "two dishes whose names differ by one word",
        "marked_item": "the one dish marked with a dagger",
    }
    refuses = {"count_merged": "a menu lists no quantities to add up"}
    pair_slots = frozenset({"absent_field", "presupposition"})  # the asked field shown or left out
    localized_slots = ("fine_text", "rotated_text", "styled_text", "count_rows", "count_marks", "list_order",
                       "list_relative", "two_columns", "absent_field", "near_miss", "presupposition", "named_box",
                       "near_duplicate", "marked_item")

    def sample(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> MenuContent:
        if request.language not in ("", "en"):
            return self._sample_localized(request, rng, size)
        vocab = vocabulary("menu")
        scale = min(size) / 512
        slot, style = request.slot, request.style
        names = list(vocab["sections"])
        tall = tallness(size)  # a card taller than wide lists more, as printed ones do
        n_sections = int(rng.integers(2, 5 if tall < TALL else len(names) + 1))
        chosen = [names[0]] + sorted((str(x) for x in rng.choice(names[1:], size=n_sections - 1, replace=False)),
                                     key=names.index)
        want = int(rng.integers(round(6 * min(tall, 2.0)), round(12 * min(tall, 2.0))))
        if slot in ("count_rows", "count_marks"):
            want = max(want, request.count + 2)
        sections, meatless = [], set()
        per = [want // n_sections + (1 if k < want % n_sections else 0) for k in range(n_sections)]
        if slot in LIST_SLOTS:  # a list question (and its four options) needs one section of four dishes
            per[0] = max(per[0], 4)
        for name, k in zip(chosen, per):
            pool = vocab["sections"][name]
            weights = np.ones(len(pool))
            if slot == "count_rows":  # vegetarian dishes first: only they may carry the V
                weights += 4 * np.array([d.get("diet", "") in VEGETARIAN for d in pool])
            picked = [pool[int(i)] for i in rng.choice(len(pool), size=min(k, len(pool)), replace=False,
                                                       p=weights / weights.sum())]
            if slot == "count_rows":  # every vegetarian dish of the section first: n of them must be listed
                veg = [d for d in pool if d.get("diet", "") in VEGETARIAN]
                picked = (veg + [d for d in picked if d not in veg])[:max(k, min(len(veg), request.count))]
            sections.append((name, [_dish(d, rng) for d in picked]))
            meatless.update(d["name"] for d in picked if d.get("diet", "") in VEGETARIAN)
        dishes = [d for _s, ds in sections for d in ds]
        if slot == "count_rows":  # exactly n dishes marked V, all of them meatless
            sections = _marked_vegetarian(sections, meatless, request.count, rng)
        specials = _pick_specials(len(dishes), slot, request.count, rng)
        flat = [dataclasses.replace(d, special=i in specials) for i, d in enumerate([d for _s, ds in sections for d in ds])]
        sections = _regroup(sections, flat)
        near_dup = ""
        if slot == "near_duplicate":
            sections, near_dup = _near_duplicate(sections, _dish_variants().__getitem__, rng)
        papers = vocab["papers"]
        if slot == "styled_text":  # cards on which the asked contrast can be printed
            papers = [p for p in papers if max_contrast(tuple(p["rgb"])) >= style.contrast_ratio]
        paper = pick(rng, papers)
        fine = (pick(rng, vocab["fine_print"]),)
        if slot == "fine_text":  # a footnote that fits the narrowest card in any body font
            room = size[0] - 2 * MARGIN_PX - 0.08 * min(size) - 2 * max(10.0, 0.05 * size[0])
            fitting = fitting_everywhere(tuple(vocab["fine_print"] + vocab["short_fine_print"]), BODY_FONTS,
                                         style.text_px, room)
            fine = (pick(rng, list(fitting) or vocab["short_fine_print"]),)
        catalog = load_catalog()
        title = pick(rng, vocab["restaurants"])
        title_font = pick(rng, TITLE_FONTS)
        if slot == "styled_text":
            title_font = pick(rng, [f.name for f in catalog.of_class(style.font_class) if not f.missing(title)]
                              or [title_font])
        dish_px = max(7, int(round(rng.integers(9, 12) * scale)))
        if slot == "fine_text":  # the footnote stays smaller than the dishes and their descriptions
            dish_px = max(dish_px, min(style.text_px + 3, int(24 * scale)))  # up to what a card line holds
        two = request.two_columns or (slot != "list_relative" and rng.random() < _two_column_share(size))
        hours_shown = bool(rng.random() < 0.5)
        two = two and not (slot == "fine_text" and dish_px > 16 * scale)  # large print: one column
        content = MenuContent(
            title=title, tagline=pick(rng, vocab["taglines"]) if rng.random() < 0.6 else "",
            sections=tuple((s, tuple(ds)) for s, ds in sections), columns=2 if two else 1,
            decimal=pick(rng, (".", ",")), descriptions=bool(rng.random() < 0.7), fine=fine,
            label=pick(rng, vocab["labels"]) if slot == "rotated_text" else "",
            hours=pick(rng, vocab["hours"]) if hours_shown else "",
            service=bool(rng.random() < 0.5) and not any("service" in t for t in fine),  # said once on a card
            title_font=title_font, dish_font=pick(rng, DISH_FONTS), body_font=pick(rng, BODY_FONTS),
            mark_font=pick(rng, MARK_FONTS),
            title_px=style.text_px if slot == "styled_text" else max(14, int(round(rng.integers(18, 28) * scale))),
            **_styled_sizes(slot, style, dish_px),
            paper=tuple(paper["rgb"]), ink=tuple(paper["ink"]), accent=_accent(pick(rng, vocab["accents"]), paper),
            **_surface(vocab, rng), inset=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            box_pick=int(rng.integers(0, 1000)), near_dup=near_dup,
        )
        return self._fitted(content, size, slot)

    def _sample_localized(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> MenuContent:
        """A menu in another language (the `menu` page words of data/contexts/languages.yaml):
        its sections and dishes, the locale's prices (Babel; Latin digits or the locale's
        own), the script's fonts, shaped, diet marks and the chef's specials with their dagger (the marks in
        a Latin font, explained in the language); no descriptions, hours or service line, which the page
        words do not cover (only questions about what it prints: `localized_slots`)."""
        code, slot, style = request.language, request.slot, request.style
        words, lang = page_words(code), LANGUAGES[code]
        menu = words["menu"]
        vocab = vocabulary("menu")
        scale = min(size) / 512
        # A tall card lists most sections, every dish of them, in one column (the language's
        # short lists in two columns left half of a phone-shaped card blank), or all four
        # in the two columns a question asks for; one whose fine print is asked (large) is
        # set as a square one is (all its dishes would push its title out of the picture).
        tall = tallness(size) >= TALL
        every_dish = tall and slot != "fine_text"
        dish_px = max(7, int(round(rng.integers(9, 12) * scale)))
        if slot == "fine_text":
            dish_px = max(dish_px, min(style.text_px + 3, int(24 * scale)))
        two = request.two_columns or (not every_dish and rng.random() < _two_column_share(size)
                                      and not (slot == "fine_text" and dish_px > 16 * scale))
        # A square card in two columns lists three or four sections of three dishes or
        # more (the language's short lists, two of two dishes, left most of it blank);
        # what does not fit is left out (_fitted).
        full = two and not tall and size[0] / size[1] < WIDE
        n_sections = 4 if tall and request.two_columns else int(rng.integers(3 if tall or full else 2, 5))
        chosen = [0] + sorted(int(k) for k in rng.choice(np.arange(1, 4), size=n_sections - 1, replace=False))
        if slot == "count_rows":  # the sections with meatless dishes: starters, mains, desserts
            chosen = sorted(set(chosen) | {1, 2})
        step = 10 * words["price_step"]
        sections = []
        for k in chosen:
            name, dishes = menu["sections"][k]
            diets = words["menu_diets"][k]
            fewest = min(3, len(dishes)) if full else 2
            picked = [int(i) for i in rng.choice(len(dishes), replace=False, size=len(dishes) if every_dish
                                                 else int(rng.integers(fewest, len(dishes) + 1)))]
            if slot == "count_rows":  # every meatless dish of the section: n of them must be listed
                picked += [i for i, diet in enumerate(diets) if diet in VEGETARIAN and i not in picked]
            sections.append((name, tuple(_local_dish(code, k, i, rng) for i in sorted(picked))))
        if slot == "count_rows":  # exactly n dishes marked V, all of them meatless
            sections = [(s, tuple(ds)) for s, ds in _marked_vegetarian(sections, _meatless(code), request.count, rng)]
        papers = vocab["papers"]
        if slot == "styled_text":
            papers = [p for p in papers if max_contrast(tuple(p["rgb"])) >= style.contrast_ratio]
        paper = pick(rng, papers)
        body_fonts = fonts_for(BODY_FONTS, code)
        body_font = pick(rng, body_fonts)
        shaping = page_shaping(code)
        fine = (pick(rng, menu["fine"]),)
        if slot == "fine_text":
            room = size[0] - 2 * MARGIN_PX - 0.08 * min(size) - 2 * max(10.0, 0.05 * size[0])
            fitting = [t for t in menu["fine"] if max(text_width(t, font_named(f), style.text_px, shaping)
                                                       for f in body_fonts) <= room]
            fine = (pick(rng, fitting or [min(menu["fine"], key=len)]),)
        numbering = languages.page_numbering(lang, rng)  # Latin digits, or the locale's own half the time
        brand = languages.make_pseudoword(lang, rng, 7)[0]
        title = pick(rng, menu["restaurants"]).format(brand=brand[:1].upper() + brand[1:])
        title_font = pick(rng, fonts_for(TITLE_FONTS, code))
        if slot == "styled_text":
            title_font = pick(rng, [f.name for f in styled_fonts(code, style.font_class) if not f.missing(title)]
                              or [title_font])
        content = MenuContent(
            title=title, tagline="", sections=tuple(sections), columns=2 if two else 1, decimal="",
            descriptions=False, fine=fine, label=pick(rng, menu["labels"]) if slot == "rotated_text" else "",
            hours="", service=False, title_font=title_font, dish_font=pick(rng, fonts_for(DISH_FONTS, code)),
            body_font=body_font, mark_font=body_font,
            title_px=style.text_px if slot == "styled_text" else max(14, int(round(rng.integers(18, 28) * scale))),
            **_styled_sizes(slot, style, dish_px),
            paper=tuple(paper["rgb"]), ink=tuple(paper["ink"]), accent=_accent(pick(rng, vocab["accents"]), paper),
            **_surface(vocab, rng), inset=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            box_pick=int(rng.integers(0, 1000)), near_dup="", language=code, numbering=numbering,
        )
        if slot == "near_duplicate":  # a dish and the same dish with one word more: "Tomatensuppe scharf"
            variants = variant_words(code, content.dish_font, menu["variants"])
            drinks = menu["sections"][DRINKS][0]
            food = [k for k, (name, _dishes) in enumerate(sections) if name != drinks]
            if not food:
                raise Resample("no section of dishes to list a near-duplicate in")
            sections, near_dup = _near_duplicate(sections, lambda _name: variants, rng, code, step, among=food)
            content = dataclasses.replace(content, sections=tuple((s, tuple(ds)) for s, ds in sections),
                                          near_dup=near_dup)
        # The chef's specials, as in English (drawn last: the rest of the menu is as before
        # they were printed), their dagger in a Latin font (the script's fonts have none).
        flat = [d for _s, ds in content.sections for d in ds]
        can = [i for i, d in enumerate(flat) if d.name != content.near_dup]
        specials = {can[k] for k in _pick_specials(len(can), slot, request.count, rng)}
        flat = [dataclasses.replace(d, special=i in specials) for i, d in enumerate(flat)]
        content = dataclasses.replace(content, mark_font=pick(rng, MARK_FONTS), sections=tuple(
            (s, tuple(ds)) for s, ds in _regroup([(s, list(ds)) for s, ds in content.sections], flat)))
        return self._fitted(content, size, slot)

    def change(self, content: MenuContent, request: Request, rng: np.random.Generator,
               focus: tuple[str, ...] = ()) -> MenuContent:
        slot = request.slot
        flat = [d for _s, ds in content.sections for d in ds]
        if slot == "fine_text":
            return dataclasses.replace(content, fine=content.fine[:-1] + (
                one_char_changed(content.fine[-1], font_named(content.body_font), rng, content.language),))
        if slot == "rotated_text":
            return dataclasses.replace(content, label=one_char_changed(content.label, font_named(content.body_font), rng,
                                                                           content.language))
        if slot == "styled_text":
            return dataclasses.replace(content, title=one_char_changed(content.title, font_named(content.title_font), rng,
                                                                           content.language))
        if slot in ("count_rows", "count_marks", "marked_item", "near_duplicate"):
            if slot == "count_rows":  # a V taken off, or put on a meatless dish
                meatless = _meatless(content.language)
                can = [i for i, d in enumerate(flat) if d.diet == "V" or d.name in meatless]
                k = can[int(rng.integers(len(can)))]
                flat[k] = dataclasses.replace(flat[k], diet="" if flat[k].diet == "V" else "V")
            elif slot == "count_marks":
                k = int(rng.integers(len(flat)))
                flat[k] = dataclasses.replace(flat[k], special=not flat[k].special)
            elif slot == "marked_item":
                flat = [dataclasses.replace(d, special=bool(focus) and d.name == focus[0]) for d in flat]
            else:
                flat = [dataclasses.replace(d, price=d.price + 100) if d.name == content.near_dup else d for d in flat]
            return dataclasses.replace(content, sections=tuple((s, tuple(ds)) for s, ds in _regroup(
                [(s, list(ds)) for s, ds in content.sections], flat)))
        if slot == "two_columns":
            return dataclasses.replace(content, sections=_swap_halves(content.sections))
        if slot in ("list_order", "list_relative"):
            sections = [(s, list(ds)) for s, ds in content.sections]
            for s, ds in sections:
                names = [d.name for d in ds]
                if focus and focus[0] in names:
                    i = names.index(focus[0])
                    if slot == "list_order":
                        ds.pop(i)
                    else:
                        moving = ds.pop(i)
                        j = [d.name for d in ds].index(focus[1])
                        ds.insert(j + 1 if i < names.index(focus[1]) else j, moving)
            return dataclasses.replace(content, sections=tuple((s, tuple(ds)) for s, ds in sections))
        if slot in ("absent_field", "presupposition") and focus:  # the asked field printed or left off
            # (a section or a footer line more fitted as sampled menus are: fewer descriptions and dishes)
            return self._fitted(_toggled(content, focus[0], rng), content.size, slot)
        raise Resample(f"menus make no minimal pair for {slot}")

    def optional_fields(self, content: MenuContent, request: Request) -> dict[str, bool]:
        """Sections past the first, a diet mark the menu's dishes may carry, and, in English,
        opening hours and a service charge (unless the fine print speaks of service)."""
        printed = {name for name, _dishes in content.sections}
        shown = {}
        if request.slot == "absent_field":
            for english, name in _optional_sections(content.language).items():
                shown[f"a {english} section"] = name in printed
            diets = _data_diets(content.language)
            flat = [d for _s, ds in content.sections for d in ds]
            for mark, said in DIET_FIELDS.items():
                if any(diets.get(d.name) == mark for d in flat):
                    shown[said] = any(d.diet == mark for d in flat)
        if not content.language:
            shown["opening hours"] = bool(content.hours)
            if not any("service" in t for t in content.fine):
                shown["a service charge"] = content.service
        if request.slot == "presupposition":  # the price of a dish, or of one taken off the menu
            shown.update({f"a price for {d.name}": True for d in _priced(content)})
            if content.gone:
                shown[f"a price for {content.gone[2].name}"] = False
        return shown

    # Layout --------------------------------------------------------------------------

    @staticmethod
    def _card(content: MenuContent, size: tuple[int, int]) -> tuple[float, float, float, float, float]:
        """(x0, y0, x1, y1, padding) of the card in the image."""
        width, height = size
        spare = 0.08 * min(size)
        x0 = MARGIN_PX + content.inset[0] * spare
        y0 = MARGIN_PX + content.inset[1] * spare
        x1, y1 = width - MARGIN_PX - (1 - content.inset[0]) * spare, height - MARGIN_PX - (1 - content.inset[1]) * spare
        return x0, y0 - content.above_px, x1, y1, max(10.0, 0.05 * (x1 - x0))

    def _fit_problem(self, content: MenuContent, size: tuple[int, int]) -> str:
        """Why the content does not fit its card ("" when it does): the layout's own
        arithmetic, without drawing."""
        x0, y0, x1, y1, pad = self._card(content, size)
        body = font_named(content.body_font)
        inner = x1 - x0 - 2 * pad
        text_width = _widths(content)
        if text_width(content.title, font_named(content.title_font), content.title_px) + 2 * content.stroke_px > inner:
            return "the title does not fit the card"
        for text, p, role in self._footer_lines(content):
            if (_legend_width(content, p) if role == "legend" and content.language else text_width(text, body, p)) \
                    > inner:
                return "a footnote line is wider than the card"
        y = _list_top(content, y0, pad)
        foot_h = (sum(cap_gap(p) for _t, p, _r in self._footer_lines(content))
                  + self._foot_label(content, self._label_side(content, size)))
        bottom = y1 - pad - foot_h
        for sections in _split(content.sections, content.columns):
            if y + sum(_column_height(sections, content)) > bottom:
                return "the dishes do not fit the card"
        if self._crowded_dishes(content, size):
            return NO_LEADER
        return ""

    def _crowded_dishes(self, content: MenuContent, size: tuple[int, int]) -> list[Dish]:
        """The dishes whose line (name, marks and price, see _dish) leaves no room for its
        leader in a column."""
        x0, _y0, x1, _y1, pad = self._card(content, size)
        px, inner, text_width = content.dish_px, x1 - x0 - 2 * pad - self._label_side(content, size), _widths(content)
        gutter = 2 * pad if content.columns == 2 else 0
        col_w = (inner - gutter) / content.columns
        dish_font, marks = font_named(content.dish_font), font_named(content.mark_font)
        price_font = font_named(_price_font(content))
        mark_px = max(5, px - 3)
        crowded = []
        for _name, dishes in content.sections:
            for d in dishes:
                used = text_width(d.name, dish_font, px) + text_width(_price_text(d, content), price_font, px) + 4
                used += sum(3 + text_width(m, marks, mark_px) for m in (d.diet, DAGGER if d.special else "") if m)
                if col_w - used < 6:
                    crowded.append(d)
        return crowded

    def _fitted(self, content: MenuContent, size: tuple[int, int], slot: str) -> MenuContent:
        """The content made to fit its card: one column where a dish line is too long for
        two, descriptions left out, then dishes the question does not rest on, from the
        end of the longest section that has one."""
        content = dataclasses.replace(content, size=size)
        while problem := self._fit_problem(content, size):
            if problem == NO_LEADER and content.columns == 2 and slot != "two_columns":
                content = dataclasses.replace(content, columns=1)
                continue
            if problem == NO_LEADER and slot == "two_columns":  # (a narrow card: long names left out)
                sections = _without(content.sections, self._crowded_dishes(content, size), slot, content)
                if sections is None:
                    raise Resample(problem)
                content = dataclasses.replace(content, sections=sections)
                continue
            if problem != "the dishes do not fit the card":
                raise Resample(problem)
            if content.descriptions:
                content = dataclasses.replace(content, descriptions=False)
                continue
            if slot == "fine_text" and content.above_px < 2 * size[1]:  # large print: a close-up of the foot
                content = dataclasses.replace(content, above_px=content.above_px + 0.25 * size[1])
                continue
            sections = [(name, list(ds)) for name, ds in content.sections]
            if not _drop_one(sections, slot, content, content.columns):
                raise Resample(problem)
            content = dataclasses.replace(content, sections=tuple((name, tuple(ds)) for name, ds in sections))
        return content

    def layout(self, content: MenuContent, request: Request, size: tuple[int, int]) -> Page:
        width, height = size
        title_font, dish_font = font_named(content.title_font), font_named(content.dish_font)
        body, marks = font_named(content.body_font), font_named(content.mark_font)
        px = content.dish_px
        desc_px = max(6, px - 2)
        problem = self._fit_problem(content, size)
        if problem:
            raise Resample(problem)
        x0, y0, x1, y1, pad = self._card(content, size)
        text_width = _widths(content)
        sheet = Sheet(shaping=page_shaping(content.language), mirror=right_to_left(content.language))
        sheet.outline(rect_points((x0, y0, x1, y1)), content.paper, "paper", "menu card", z=1, item_id=1)
        soft = mix(content.accent, content.paper, 0.3)
        # A double border, as printed menus have.
        for inset, thick in ((4, 2), (8, 1)):
            for box in ((x0 + inset, y0 + inset, x1 - inset, y0 + inset + thick),
                        (x0 + inset, y1 - inset - thick, x1 - inset, y1 - inset),
                        (x0 + inset, y0 + inset, x0 + inset + thick, y1 - inset),
                        (x1 - inset - thick, y0 + inset, x1 - inset, y1 - inset)):
                sheet.outline(rect_points(box), soft, "border", "border", z=2)
        ink = content.ink
        faint = mix(ink, content.paper, 0.35)
        out: dict = {"dishes": {}, "headings": {}, "columns": [[], []], "fields": {}}
        y = y0 + pad
        title_rgb, stroke_rgb = content.accent, None
        if content.target_contrast:
            title_rgb = ink_for_contrast(content.paper, content.target_contrast)
        if content.stroke_px:
            stroke_rgb, title_rgb = title_rgb, content.paper
        if text_width(content.title, title_font, content.title_px) > x1 - x0 - 2 * pad:
            raise Resample("the title does not fit the card")
        y += content.title_px * 1.3
        out["title"] = sheet.text(content.title, title_font, content.title_px, (x0 + x1) / 2, y, rgb=title_rgb,
                                  role="heading", align="center", stroke_px=content.stroke_px,
                                  stroke_rgb=stroke_rgb).item_id
        y += content.title_px * 0.5 + 2 * content.stroke_px
        if content.tagline:
            y += cap_gap(desc_px)
            sheet.text(content.tagline, body, desc_px, (x0 + x1) / 2, y, rgb=faint, role="tagline", align="center")
        y += px
        sheet.rule(x0 + pad * 2, x1 - pad * 2, y, 1, soft)
        y += px
        foot_lines = self._footer_lines(content)
        side = self._label_side(content, size)  # a steep label's strip at the right of the dishes
        foot_h = sum(cap_gap(p) for _t, p, _r in foot_lines) + self._foot_label(content, side)
        bottom, top = y1 - pad - foot_h, y
        gutter = 2 * pad if content.columns == 2 else 0
        col_w = (x1 - x0 - 2 * pad - gutter - side) / content.columns
        split = _split(content.sections, content.columns)
        spread = _spread(split, content, bottom - y)
        price_font = font_named(_price_font(content))
        for c, sections in enumerate(split):
            place = content.columns - 1 - c if sheet.mirror else c  # right to left: the first column at the right
            cx0 = x0 + pad + place * (col_w + gutter)
            start, end = (cx0 + col_w, cx0) if sheet.mirror else (cx0, cx0 + col_w)
            cy = y
            for name, dishes in sections:
                cy += cap_gap(px + 2) * spread
                head = sheet.text(name.upper() if len(name) < 10 and not content.language else name, dish_font,
                                  px + 2, cx0 + col_w / 2, cy,
                                  rgb=content.accent, role="section_heading", align="center")
                out["headings"][name] = head.item_id
                cy += px * 0.6 * spread
                for dish in dishes:
                    cy += cap_gap(px) * spread
                    ids = self._dish(sheet, dish, dish_font, marks, px, start, end, cy, ink, faint, content,
                                     price_font)
                    out["dishes"][dish.name] = ids
                    out["columns"][place].append(dish.name)
                    if content.descriptions:
                        cy += cap_gap(desc_px) * 0.85
                        sheet.text(dish.desc, body, desc_px, cx0 + 4, cy, rgb=faint, role="description")
                cy += px * 0.5 * spread
            if cy > bottom:
                raise Resample("the dishes do not fit the card")
        y = bottom
        for text, p, role in foot_lines:
            y += cap_gap(p)
            rgb = faint if role != "footer" else ink
            if role == "legend" and content.language:  # marks in the mark font, what they mean in the language's
                _draw_legend(sheet, content, body, marks, p, (x0 + x1) / 2, y - p * 0.4, rgb)
                continue
            item = sheet.text(text, body, p, (x0 + x1) / 2, y - p * 0.4, rgb=rgb, role=role, align="center")
            out["fields"].setdefault(role, []).append(item.item_id)
            if role == "footer":
                out["fine"] = item.item_id
        if content.label:
            center = ((x1 - pad - (side - pad) / 2, (top + bottom) / 2) if side else
                      ((x0 + x1) / 2, y + self._foot_label(content, side) / 2))
            out["label"] = sheet.turned_text(content.label, body, content.target_px, center,
                                             content.label_angle, rgb=content.accent, role="label").item_id
            out["label_side"] = bool(side)
        scene = Scene(width, height, content.surface, content.surface_rgb, tuple(sheet.items))
        return self._page(scene, content, out)

    @staticmethod
    def _foot_label(content: MenuContent, side: float) -> float:
        """The height the label takes below the footer, its turned line and a margin (none
        when it stands in a strip of width `side` beside the dishes, see _label_side): a
        label nearly level takes a line's height, not its width, so a tall card keeps its
        dishes."""
        if not content.label or side:
            return 0.0
        return _label_extent(content)[1] + 2 * content.target_px + 4

    def _label_side(self, content: MenuContent, size: tuple[int, int]) -> float:
        """The width of a strip at the right of the dishes where a steep label stands on a
        wide card, its turned line and a padding (0: the label goes below the footer).
        Below the footer, a steep label took most of a wide card's little height, and the
        card kept a dish or two."""
        if not content.label:
            return 0.0
        x0, y0, x1, y1, pad = self._card(content, size)
        if (x1 - x0) / (y1 - y0) < WIDE:
            return 0.0
        across, down = _label_extent(content)
        bottom = y1 - pad - sum(cap_gap(p) for _t, p, _r in self._footer_lines(content))
        if across >= down or down > bottom - _list_top(content, y0, pad):
            return 0.0
        return across + pad

    @staticmethod
    def _footer_lines(content: MenuContent) -> list[tuple[str, int, str]]:
        legend = _legend(content)
        lines = []
        if legend:
            lines.append((" · ".join(f"{mark} {meaning}" for mark, meaning in legend), _small_print(content), "legend"))
        if content.service:
            lines.append(("Service charge 12.5%", _small_print(content), "service"))
        if content.hours:
            lines.append((f"Open {content.hours}", _small_print(content), "hours"))
        lines += [(t, content.fine_px, "footer") for t in content.fine]
        return lines

    @staticmethod
    def _dish(sheet: Sheet, dish: Dish, font, marks, px, left, right, base, ink, faint, content,
              price_font) -> dict:
        """A dish line from `left` (its name) to `right` (its price, in `price_font`); on a
        mirrored sheet `left` is the right edge and the line runs leftwards (`way` -1)."""
        text_width = _widths(content)
        way = -1 if sheet.mirror else 1
        name = sheet.text(dish.name, font, px, left, base, rgb=ink, role="dish")
        end = left + way * text_width(dish.name, font, px)
        ids = {"name": name.item_id}
        mark_px = max(5, px - 3)
        for key, mark in (("diet", dish.diet), ("special", DAGGER if dish.special else "")):
            if mark:
                item = sheet.text(mark, marks, mark_px, end + way * 3, base - px * 0.35, rgb=content.accent,
                                  role="mark")
                ids[key] = item.item_id
                end += way * (3 + text_width(mark, marks, mark_px))
        price_text = _price_text(dish, content)
        price = sheet.text(price_text, price_font, px, right, base, rgb=ink, role="price", align="right")
        ids["price"] = price.item_id
        start = right - way * (text_width(price_text, price_font, px) + 4)
        dot_w = max(1.0, text_width(". ", font, px))
        n_dots = int((way * (start - end) - 6) / dot_w)
        if way * (start - end) < 6:
            raise Resample(f"no room for the leader of {dish.name}")
        if n_dots >= 2:  # a short gap goes without a leader
            sheet.text(". " * n_dots, font, px, start, base, rgb=faint, role="leader", align="right")
        return ids

    def _page(self, scene: Scene, content: MenuContent, out: dict) -> Page:
        text = {it.item_id: it.text for it in scene.items if hasattr(it, "layout")}
        flat = [d for _s, ds in content.sections for d in ds]

        def entry(dish: Dish) -> Target:
            ids = out["dishes"][dish.name]
            return Target((ids["name"], ids["price"]), dish.name, dish.name, dish.name)

        listings = tuple(Listing("dish", tuple(entry(d) for d in ds)) for _s, ds in content.sections)
        columns = ()
        if content.columns == 2:
            by_name = {d.name: d for d in flat}
            columns = tuple(Listing("dish", tuple(entry(by_name[n]) for n in col)) for col in out["columns"])
        targets = {"styled_text": Target((out["title"],), "the restaurant's name at the top of the menu",
                                         text[out["title"]])}
        if "fine" in out:
            targets["fine_text"] = Target((out["fine"],), "the last line of small print at the bottom of the menu",
                                          text[out["fine"]])
        if "label" in out:
            where = "at the right of the dishes" if out["label_side"] else "near the bottom of the menu"
            targets["rotated_text"] = Target((out["label"],), f"the label printed at an angle {where}",
                                             text[out["label"]])
        if content.near_dup:
            ids = out["dishes"][content.near_dup]
            targets["near_duplicate"] = Target((ids["price"], ids["name"]), f"the price of {content.near_dup}",
                                               text[ids["price"]], content.near_dup)
        names = [s for s, _d in content.sections]
        k = content.box_pick % (len(names) + len(flat))
        if k < len(names):
            targets["named_box"] = Target((out["headings"][names[k]],), f"the heading of the {names[k]} section",
                                          names[k])
        else:
            dish = flat[k - len(names)]
            ids = out["dishes"][dish.name]
            targets["named_box"] = Target(tuple(ids[key] for key in ("name", "diet", "special") if key in ids),
                                          f"the name of the dish {dish.name} with any marks after it", dish.name)
        marks = tuple((f"a dagger ({DAGGER})", entry(d)) for d in flat if d.special)
        counts = {
            "count_rows": Count("How many dishes on this menu are marked V (vegetarian)? Do not count VG (vegan).",
                                sum(d.diet == "V" for d in flat),
                                tuple(out["dishes"][d.name]["diet"] for d in flat if d.diet == "V")),
            "count_marks": Count(f"How many dishes on this menu carry the small dagger mark ({DAGGER})?",
                                 sum(d.special for d in flat),
                                 tuple(out["dishes"][d.name]["special"] for d in flat if d.special)),
        }
        section_names = set(names)
        printed = {s: s for s in names}  # the English name of each printed section heading
        if content.language:  # the language's sections: starters, mains, desserts, drinks (languages.yaml)
            listed = [name for name, _dishes in page_words(content.language)["menu"]["sections"]]
            printed = {listed[2]: "Desserts", listed[3]: "Drinks"}
            section_names = {printed[s] for s in names if s in printed}
        heading = {english: out["headings"][s] for s, english in printed.items() if s in out["headings"]}
        fields = [Field(f"a {s} section", s in section_names, "", "", (heading[s],) if s in section_names
                        else ()) for s in ("Desserts", "Drinks", "Sides")]
        fields += [Field(said, any(d.diet == mark for d in flat)) for mark, said in DIET_FIELDS.items()]
        hours = out["fields"].get("hours", [])
        fields.append(Field("opening hours", bool(hours), "the opening hours",
                            content.hours if hours else "", tuple(hours)))
        service = out["fields"].get("service", [])
        fields.append(Field("a service charge", bool(service), "the service charge", "12.5%" if service else "",
                            tuple(service), numeric=True))
        if content.gone:
            name = content.gone[2].name
            fields.append(Field(f"a price for {name}", False, f"the price of {name}", usual=False))
        for dish in _priced(content):
            ids = out["dishes"][dish.name]
            fields.append(Field(f"a price for {dish.name}", True, f"the price of {dish.name}", text[ids["price"]],
                                (ids["price"], ids["name"]), numeric=True, usual=False))
        stats = {"n_elements": len(text), "n_rows": len(flat), "n_columns": content.columns, "skew_deg": 0.0,
                 "body_px": content.dish_px}
        return Page("menu", "menu", scene, targets, counts, listings, columns, tuple(fields), marks, stats)


def _price_text(dish: Dish, content: MenuContent) -> str:
    cur = ({"language": content.language, "digits": content.numbering} if content.language
           else {**CURRENCY, "decimal": content.decimal})
    return money(dish.price, cur)


def _legend(content: MenuContent) -> list[tuple[str, str]]:
    """(mark, what it means) for each mark the menu prints: its diets in order, then the
    dagger (another language's words for them, from its page words)."""
    words = page_words(content.language)["menu"] if content.language else None
    diets = words["diets"] if words else vocabulary("menu")["diets"]
    legend = [(k, diets[k]) for k in sorted({d.diet for _s, ds in content.sections for d in ds if d.diet})]
    if any(d.special for _s, ds in content.sections for d in ds):
        legend.append((DAGGER, words["special"] if words else "chef's special"))
    return legend


def _legend_pieces(content: MenuContent, p: int) -> list[tuple[str, bool, float, float]]:
    """Another language's legend as drawn, in reading order: (text, is a mark, width, gap
    after it). Its script's fonts draw no V or dagger, so each mark is a line of its own in
    the mark font, before what it means."""
    widths = _widths(content)
    body, marks = font_named(content.body_font), font_named(content.mark_font)
    pieces = []
    for mark, meaning in _legend(content):
        pieces.append((mark, True, widths(mark, marks, p), p * 0.4))
        pieces.append((meaning, False, widths(meaning, body, p), p * 1.5))
    return pieces


def _legend_width(content: MenuContent, p: int) -> float:
    pieces = _legend_pieces(content, p)
    return sum(w + gap for _t, _m, w, gap in pieces) - pieces[-1][3]


def _draw_legend(sheet: Sheet, content: MenuContent, body, marks, p: int, middle: float, base: float, rgb) -> None:
    """Another language's legend centred at `middle`, read from the right on a mirrored sheet."""
    way = -1 if sheet.mirror else 1
    x = middle - way * _legend_width(content, p) / 2
    for text, is_mark, width, gap in _legend_pieces(content, p):
        sheet.text(text, marks if is_mark else body, p, x + way * width / 2, base, rgb=rgb, role="legend",
                   align="center")
        x += way * (width + gap)


def _marked_vegetarian(sections, meatless: set[str], count: int, rng: np.random.Generator):
    """The sections with exactly `count` dishes marked V, each of them meatless (a V
    mark elsewhere taken off; VG kept)."""
    dishes = [d for _s, ds in sections for d in ds]
    can = [i for i, d in enumerate(dishes) if d.name in meatless]
    if count > len(can):
        raise Resample("more vegetarian dishes asked for than listed")
    veg = set(int(i) for i in rng.choice(can, size=count, replace=False))
    flat = [dataclasses.replace(d, diet="V" if i in veg else ("" if d.diet == "V" else d.diet))
            for i, d in enumerate(dishes)]
    return _regroup(sections, flat)


def _meatless(language: str) -> set[str]:
    """Names of the dishes that may carry the V mark: vegetarian or vegan in the data."""
    return {name for name, diet in _data_diets(language).items() if diet in VEGETARIAN}


@cache
def _data_diets(language: str) -> dict[str, str]:
    """Each dish's diet in the data (the English menu vocabulary, or the language's
    dishes by `menu_diets`): the mark it may carry (read once per language; not to be
    changed)."""
    if not language:
        return {d["name"]: d.get("diet", "") for pool in vocabulary("menu")["sections"].values() for d in pool}
    words = page_words(language)
    return {dish: diet for (_name, dishes), diets in zip(words["menu"]["sections"], words["menu_diets"])
            for dish, diet in zip(dishes, diets)}


def _priced(content: MenuContent) -> list[Dish]:
    """The dishes whose price questions ask about (every third), of sections that keep a
    dish when one is taken off; not the near-duplicate asked about."""
    flat = [d for _s, ds in content.sections for d in ds]
    roomy = {d.name for _s, ds in content.sections if len(ds) > 1 for d in ds}
    return [d for d in flat[:: max(1, len(flat) // 3)] if d.name in roomy and d.name != content.near_dup]


def _optional_sections(language: str) -> dict[str, str]:
    """The sections a hallucination question may ask about: English name -> printed name
    (another language's page words have desserts and drinks, third and fourth)."""
    if not language:
        return {"Desserts": "Desserts", "Drinks": "Drinks", "Sides": "Sides"}
    listed = [name for name, _dishes in page_words(language)["menu"]["sections"]]
    return {"Desserts": listed[2], "Drinks": listed[3]}


def _toggled(content: MenuContent, field: str, rng: np.random.Generator) -> MenuContent:
    """The menu with one optional field (see MenuContext.optional_fields) printed or left off."""
    if field == "opening hours":
        return dataclasses.replace(content, hours="" if content.hours else pick(rng, vocabulary("menu")["hours"]))
    if field == "a service charge":
        return dataclasses.replace(content, service=not content.service)
    if field.startswith("a price for "):  # the dish taken off its section, or put back
        if content.gone and field == f"a price for {content.gone[2].name}":
            section, at, dish = content.gone
            return dataclasses.replace(content, gone=(), sections=tuple(
                (s, ds[:at] + (dish,) + ds[at:]) if s == section else (s, ds) for s, ds in content.sections))
        for s, ds in content.sections:
            at = next((i for i, d in enumerate(ds) if f"a price for {d.name}" == field), None)
            if at is not None:
                return dataclasses.replace(content, gone=(s, at, ds[at]), sections=tuple(
                    (s2, ds2[:at] + ds2[at + 1:]) if s2 == s else (s2, ds2) for s2, ds2 in content.sections))
        raise Resample(f"the menu lists no dish for {field}")
    sections = [(name, list(ds)) for name, ds in content.sections]
    mark = next((m for m, said in DIET_FIELDS.items() if said == field), None)
    if mark is not None:  # every such mark taken off, or put on one dish that may carry it
        flat = [d for _s, ds in sections for d in ds]
        if any(d.diet == mark for d in flat):
            flat = [dataclasses.replace(d, diet="") if d.diet == mark else d for d in flat]
        else:
            diets = _data_diets(content.language)
            can = [i for i, d in enumerate(flat) if diets.get(d.name) == mark]
            k = can[int(rng.integers(len(can)))]
            flat[k] = dataclasses.replace(flat[k], diet=mark)
        return dataclasses.replace(content, sections=tuple((s, tuple(ds)) for s, ds in _regroup(sections, flat)))
    english = field.removeprefix("a ").removesuffix(" section")
    name = _optional_sections(content.language).get(english)
    if name is None:
        raise Resample(f"a menu cannot print or leave off {field}")
    order = [s for s, _ds in page_words(content.language)["menu"]["sections"]] if content.language \
        else list(vocabulary("menu")["sections"])
    if any(s == name for s, _ds in sections):
        sections = [(s, ds) for s, ds in sections if s != name]
        if len(sections) < 2:  # a menu of starters alone: its mains printed instead
            sections.append((order[1], _section_dishes(content, 1, rng)))
    else:
        sections.append((name, _section_dishes(content, order.index(name), rng)))
    sections.sort(key=lambda sd: order.index(sd[0]))
    return dataclasses.replace(content, sections=tuple((s, tuple(ds)) for s, ds in sections))


def _section_dishes(content: MenuContent, k: int, rng: np.random.Generator) -> list[Dish]:
    """Two or three dishes of the menu's k-th section, priced and marked as sampled."""
    n = int(rng.integers(2, 4))
    if not content.language:
        pool = list(vocabulary("menu")["sections"].values())[k]
        picked = [pool[int(i)] for i in sorted(rng.choice(len(pool), size=min(n, len(pool)), replace=False))]
        return [_dish(d, rng) for d in picked]
    _name, dishes = page_words(content.language)["menu"]["sections"][k]
    picked = sorted(int(i) for i in rng.choice(len(dishes), size=min(n, len(dishes)), replace=False))
    return [_local_dish(content.language, k, i, rng) for i in picked]


def _dish(d: dict, rng: np.random.Generator) -> Dish:
    """An English menu's dish of the vocabulary: priced in its range, in whole tens of cents;
    its diet marked seven times in ten (not every menu marks every diet)."""
    return Dish(d["name"], d["desc"], int(rng.integers(d["low"], d["high"] + 1)) // 10 * 10,
                d.get("diet", "") if rng.random() < 0.7 else "")


def _local_dish(language: str, k: int, i: int, rng: np.random.Generator) -> Dish:
    """Dish i of section k of another language's page words: priced in the section's range
    of US cents (`_local_price`), its diet marked as an English dish's is."""
    words = page_words(language)
    low, high = words["menu_cents"][k]
    price = _local_price(int(rng.integers(low, high + 1)), words, languages.currency_digits(language),
                         10 * words["price_step"])
    return Dish(words["menu"]["sections"][k][1][i], "", price, words["menu_diets"][k][i] if rng.random() < 0.7 else "")


def _local_price(cents: int, words: dict, digits: int, step: int) -> int:
    """A price in US cents as the language's menus print it: in its currency's minor units,
    rounded to its step."""
    return max(step, int(round(cents * words["price_factor"] * 10 ** digits / 100 / step)) * step)


def _pick_specials(n_dishes: int, slot: str, count: int, rng: np.random.Generator) -> set[int]:
    """Which dishes carry the dagger: `count` when they are counted, one when the marked
    dish is asked for, else one on 40% of menus."""
    if slot == "count_marks":
        if count > n_dishes:
            raise Resample("more specials asked for than dishes")
        return set(int(i) for i in rng.choice(n_dishes, size=count, replace=False))
    if slot == "marked_item" or rng.random() < 0.4:
        return {int(rng.integers(n_dishes))}
    return set()


def _keeps(dish: Dish, slot: str, content: MenuContent) -> bool:
    """Whether the question rests on this dish (it is never left out to fit): what is
    counted, the marked dish, a near-duplicate and the dish it copies."""
    if slot == "count_rows":
        return dish.diet == "V"
    if slot in ("count_marks", "marked_item"):
        return dish.special
    if content.near_dup:  # (in English the word comes first; other languages add it after)
        twin = content.near_dup
        return dish.name == twin or (twin.startswith(dish.name) if content.language else twin.endswith(f" {dish.name}"))
    return False


@cache
def _dish_variants() -> dict[str, list[str]]:
    """Each English dish's variant words (menu.yaml)."""
    return {d["name"]: d["variants"] for pool in vocabulary("menu")["sections"].values() for d in pool}


def _price_font(content: MenuContent) -> str:
    """The font prices are set in: the dish font, unless its comma reads as a full stop at
    the dish size and a price prints one; then the body font, as menus in a script face
    often set their prices."""
    if comma_reads_apart(font_named(content.dish_font), content.dish_px) or \
            not any("," in _price_text(d, content) for _s, ds in content.sections for d in ds):
        return content.dish_font
    return content.body_font


def _label_extent(content: MenuContent) -> tuple[float, float]:
    """(across, down): the width and height the label's line takes turned at its angle."""
    turn = math.radians(content.label_angle)
    width = _widths(content)(content.label, font_named(content.body_font), content.target_px) * 1.05
    line = 2 * content.target_px
    across = width * abs(math.cos(turn)) + line * abs(math.sin(turn))
    return across, width * abs(math.sin(turn)) + line * abs(math.cos(turn))


def _list_top(content: MenuContent, y0: float, pad: float) -> float:
    """Where the sections start: below the title, its tagline and the rule (as `layout` sets them)."""
    desc_px = max(6, content.dish_px - 2)
    return (y0 + pad + content.title_px * 1.8 + 2 * content.stroke_px + (cap_gap(desc_px) if content.tagline else 0)
            + 2 * content.dish_px)


def _two_column_share(size: tuple[int, int]) -> float:
    """How often a card is set in two columns: half of them, and most of those wider than
    tall (WIDE), whose single column ran its leaders across the whole card."""
    return 0.85 if size[0] / size[1] >= WIDE else 0.5


def _column_height(sections, content: MenuContent) -> tuple[float, float]:
    """(spacing, descriptions): the height a column's sections take as the layout sets
    them, its spacing (section gaps, headings, dish lines; what _spread stretches) apart
    from the gap from each dish to its description."""
    px, desc_px = content.dish_px, max(6, content.dish_px - 2)
    dishes = sum(len(ds) for _name, ds in sections)
    spacing = len(sections) * (cap_gap(px + 2) + px * 0.6 + px * 0.5) + dishes * cap_gap(px)
    return spacing, (dishes * cap_gap(desc_px) * 0.85 if content.descriptions else 0.0)


def _spread(columns, content: MenuContent, room: float) -> float:
    """How much the spacing of the sections grows (1 to MAX_SPREAD) so that the longest
    column fills the card down to its footer, as a printed menu is set, a dish line's
    height of air left above the footer."""
    air = cap_gap(content.dish_px)
    fills = [(room - air - fixed) / spacing for spacing, fixed in
             (_column_height(sections, content) for sections in columns if sections)]
    return min(MAX_SPREAD, max(1.0, min(fills)))


def _without(sections, dishes: list[Dish], slot: str, content: MenuContent):
    """The sections without these dishes, none of which the question rests on, each
    column keeping a section of a dish at least; None when that cannot be."""
    if any(_keeps(d, slot, content) for d in dishes):
        return None
    kept = tuple((name, tuple(d for d in ds if d not in dishes)) for name, ds in sections)
    kept = tuple((name, ds) for name, ds in kept if ds)
    return kept if len(kept) >= content.columns else None


def _drop_one(sections: list, slot: str, content: MenuContent, columns: int) -> bool:
    """One dish left out (in place): the last the question does not rest on, of the longest
    section that has one; a section left with none goes. A list question keeps a section
    of MIN_LIST dishes, two columns keep a section each. False when none can go."""
    longest = max(len(ds) for _n, ds in sections)
    order = sorted(range(len(sections)), key=lambda k: (-len(sections[k][1]), k))
    for k in order:
        dishes = sections[k][1]
        if slot in LIST_SLOTS and len(dishes) == longest and len(dishes) <= MIN_LIST:
            continue
        if len(dishes) == 1 and len(sections) <= columns:
            continue
        for i in range(len(dishes) - 1, -1, -1):
            if not _keeps(dishes[i], slot, content):
                dishes.pop(i)
                if not dishes:
                    sections.pop(k)
                return True
    return False


def _widths(content: MenuContent):
    """`text_width` of the menu's lines: shaped where the menu is (scripts beyond Latin)."""
    shaping = page_shaping(content.language)
    return lambda text, font, text_px: text_width(text, font, text_px, shaping)


def _small_print(content: MenuContent) -> int:
    """Cap height of the notes above the footnote (diet legend, service, hours): small
    print, never larger than the footnote."""
    return min(content.fine_px, max(6, min(content.dish_px - 3, 9)))


def _accent(rgb, paper: dict) -> tuple[int, int, int]:
    """The accent colour, lightened on a dark card (a chalkboard) so headings stand out."""
    rgb = tuple(rgb)
    if contrast_ratio(rgb, tuple(paper["rgb"])) < 3.0:
        rgb = mix(rgb, (255, 255, 255), 0.65)
    return rgb


def _surface(vocab, rng) -> dict:
    surface = pick(rng, vocab["surfaces"])
    return {"surface": surface["name"], "surface_rgb": tuple(surface["rgb"])}


def _regroup(sections, flat):
    """Sections refilled, in order, from a flat list of their dishes."""
    out, k = [], 0
    for name, dishes in sections:
        out.append((name, list(flat[k:k + len(dishes)])))
        k += len(dishes)
    return out


def _near_duplicate(sections, words_of: Callable[[str], list], rng, language: str = "", step: int = 100,
                    among: list[int] | None = None):
    """A dish listed next to a one-word variant of itself, at another price (in another
    language, the dish then the word, as the language joins words): one of
    `words_of(dish)` (an English dish's own: "Ribeye Steak Frites", never "Chicken Hummus
    Plate" under the vegan mark its twin keeps), in a section of `among` (default: any)."""
    s = int(rng.integers(len(sections))) if among is None else among[int(rng.integers(len(among)))]
    name, dishes = sections[s]
    k = int(rng.integers(len(dishes)))
    base = dishes[k]
    word = pick(rng, [w for w in words_of(base.name) if w not in base.name.split()])
    name_of = (f"{word} {base.name}" if not language else
                f"{base.name}{languages.word_space(language)}{word}")
    twin = dataclasses.replace(base, name=name_of, price=base.price + int(rng.integers(1, 6)) * step, special=False)
    if any(d.name == twin.name for _s, ds in sections for d in ds):
        raise Resample("the near-duplicate dish is already listed")
    dishes = list(dishes)
    dishes.insert(k + 1, twin)
    sections = list(sections)
    sections[s] = (name, dishes)
    return sections, twin.name


def _split(sections, columns: int):
    """Sections over the columns, as evenly as whole sections allow (two columns: each
    gets at least one section)."""
    if columns == 1:
        return [list(sections)]
    sizes = [len(ds) + 1 for _s, ds in sections]
    best = min(range(1, len(sections)), key=lambda k: abs(sum(sizes[:k]) - sum(sizes[k:])))
    return [list(sections[:best]), list(sections[best:])]


def _swap_halves(sections):
    """The sections of the right column moved to the left and back (columns swapped)."""
    sections = list(sections)
    best = len(_split(sections, 2)[0])
    swapped = sections[best:] + sections[:best]
    if len(_split(swapped, 2)[0]) != len(sections) - best:
        raise Resample("the columns do not swap cleanly")
    return tuple(swapped)


CONTEXT = MenuContext()
