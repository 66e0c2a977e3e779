"""Receipt: a thermal-printer till receipt on a table.

A narrow paper strip with a torn bottom edge, a store header, date and time in one of
several formats, item lines (quantities as "2 x Coffee" or a second "2 @ 3.50" line),
subtotal, optional discount, tax, optional tip, total, payment, and fine print. Print
is faded and uneven from line to line; the strip may lie slightly askew. Amounts are
computed from the items, and the printed strings are added up again before any
question is asked.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gen_stress.errors import Resample
from gen_stress.rng import pick
from gen_stress.scenes.colors import ink_for_contrast
from gen_stress.scenes.contexts import Context, vocabulary
from gen_stress.scenes.contexts.edits import one_char_changed
from gen_stress.scenes.contexts.sheet import Sheet, cap_gap, font_named, money, paper_outline, parse_money, text_width
from gen_stress.scenes.contexts.sheet import fonts_for, page_shaping as _shaping, right_to_left as _rtl, styled_fonts
from gen_stress.scenes.contexts.sheet import measured_width, variant_words
from gen_stress.scenes.contexts.sheet import text_width as sheet_text_width
from gen_stress.scenes import languages
from gen_stress.scenes.languages import LANGUAGES, page_words
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.geometry import tallness
from gen_stress.scenes.model import Scene
from gen_stress.scenes.page import Count, Field, Listing, Page, Request, Target
from gen_stress.scenes.text import measured_advance

BODY_FONTS = ("DejaVu Sans Mono", "Liberation Mono", "Inconsolata", "DejaVu Sans Condensed", "Roboto Condensed")
MARGIN_PX = 6  # the strip stays this far inside the image
MAX_SKEW_DEG = 2.0


def _print_scale(size: tuple[int, int]) -> float:
    """The body print's scale: the picture's shorter side over 512, and on a picture taller
    than wide (a phone held upright, as receipts are photographed) the square root of how
    much taller, up to twice: the strip is photographed closer, its print larger."""
    return min(size) / 512 * min(2.0, tallness(size)) ** 0.5


def _n_lines(slot: str, count: int | None, rng) -> int:
    """How many item lines: the asked number of rows; at least as many lines as flags
    asked for; four for a question with four options among them."""
    if slot == "count_rows":
        return count
    low = {"count_marks": max(3, count or 0), "marked_item": 4}.get(slot, 3)
    return int(rng.integers(low, 9))


# Slots whose answer rests on the item lines as sampled: never trimmed to fit.
FIXED_LINES = ("count_rows", "count_merged", "count_marks", "marked_item", "near_duplicate", "list_order",
               "list_relative")


def _styled_sizes(slot: str, style, body_px: int, fine_px: int, target_px: int) -> dict:
    """The type sizes and looks a question's style sets (the asked header, fine print or
    stamp), else the receipt's own: one rule for English and other languages."""
    styled = style is not None
    return dict(
        header_px=target_px if slot == "styled_text" else body_px + max(2, body_px // 3),
        fine_px=target_px if slot == "fine_text" else fine_px, target_px=target_px,
        target_ink=style.contrast_ratio if slot == "styled_text" and styled else 0.0,
        stroke_px=style.stroke_px if slot == "styled_text" and styled else 0,
        stamp_angle=style.angle_deg if slot == "rotated_text" and styled else 0)


@dataclass(frozen=True)
class Good:
    name: str
    qty: int
    unit: int  # cents
    marked: bool = False


@dataclass(frozen=True)
class ReceiptContent:
    store: str
    tagline: str
    address: tuple[str, ...]
    date: str
    clock: str
    goods: tuple[Good, ...]
    qty_style: str  # "prefix" ("2 x Coffee") or "second_line" ("  2 @ 3.50")
    tax_label: str
    tax_pct: int
    currency: tuple[tuple[str, object], ...]
    card: str  # "" when paid in cash
    card_digits: str
    tip: int | None
    discount: int | None
    table: str
    cashier: str
    points: int | None
    signature: bool
    thanks: str
    fine: tuple[str, ...]
    stamp: str
    body_font: str
    header_font: str
    body_px: int
    header_px: int
    fine_px: int
    target_px: int
    target_ink: float  # contrast of the styled target, 0: ordinary ink
    stroke_px: int
    stamp_angle: int
    ink: tuple[int, ...]  # grey level of each printed line, by line number (cycled)
    paper_rgb: tuple[int, int, int]
    surface: str
    surface_rgb: tuple[int, int, int]
    skew_deg: float
    offset: tuple[float, float]  # where the strip sits in the free room, 0..1 each way
    box_pick: int  # which element a region question names
    near_dup: int  # index of the good whose near-duplicate is listed (-1: none)
    closeup: bool = False  # print too large for the whole strip: its foot fills the frame, the top cut off
    language: str = ""  # the language printed ("": English); see _sample_localized
    tender_step: int = 500  # cash is handed over in multiples of this (cents)
    tax_included: bool = False  # prices include the tax (VAT), its share printed after the total

    @property
    def money(self) -> dict:
        return dict(self.currency)


def _cents(good: Good) -> int:
    return good.qty * good.unit


def _totals(content: ReceiptContent) -> dict[str, int]:
    subtotal = sum(_cents(g) for g in content.goods)
    base = subtotal - (content.discount or 0)
    tax = _tax(base, content)
    total = base + (0 if content.tax_included else tax) + (content.tip or 0)
    return {"subtotal": subtotal, "tax": tax, "total": total}


def _tax(base: int, content: ReceiptContent) -> int:
    """The tax on `base` cents, half-up to the cent: added to it (a US sales tax), or the
    share of it that is tax where prices include it (VAT: base * pct / (100 + pct))."""
    if content.tax_included:
        whole = 100 + content.tax_pct
        return (2 * base * content.tax_pct + whole) // (2 * whole)
    return (base * content.tax_pct + 50) // 100


SERVED_KINDS = frozenset({"cafe", "diner"})  # store kinds (receipt.yaml) that serve at tables


def _served(content: ReceiptContent) -> bool:
    return any(s["name"] == content.store and s["kind"] in SERVED_KINDS for s in vocabulary("receipt")["stores"])


def _tip(subtotal: int, rng: np.random.Generator) -> int:
    return int(subtotal * pick(rng, (10, 15, 18, 20)) // 100)


def _discount(subtotal: int, step: int, rng: np.random.Generator) -> int:
    """Up to a tenth of the bill, in the currency's step."""
    return max(step, int(rng.integers(1, 1 + max(1, subtotal // 10))) // step * step)


def _table(rng: np.random.Generator) -> str:
    return str(int(rng.integers(1, 40)))


def _points(subtotal: int) -> int:
    return subtotal // 100 + 1


def _toggled(content: ReceiptContent, field: str, rng: np.random.Generator) -> ReceiptContent:
    """The receipt with one optional field (see ReceiptContext.optional_fields) printed
    or left off; amounts follow, as sampled."""
    subtotal = sum(_cents(g) for g in content.goods)
    if field == "a discount line":
        if content.discount is not None:
            return dataclasses.replace(content, discount=None)
        discount = _discount(subtotal, page_words(content.language)["price_step"] if content.language else 1, rng)
        if discount >= subtotal:
            raise Resample("no discount smaller than the bill")
        return dataclasses.replace(content, discount=discount)
    if field == "change given back in cash":  # paid in cash instead of by card, or the other way
        if not content.card:
            card = page_words(content.language)["labels"]["card"] if content.language \
                else pick(rng, vocabulary("receipt")["cards"])
            return dataclasses.replace(content, card=card)
        return dataclasses.replace(content, card="", signature=False)
    if field == "a tip line":
        return dataclasses.replace(content, tip=None if content.tip is not None else _tip(subtotal, rng))
    if field == "a table number":
        return dataclasses.replace(content, table="" if content.table else _table(rng))
    if field == "the name of the server":
        return dataclasses.replace(content, cashier="" if content.cashier else
                                   pick(rng, vocabulary("receipt")["cashiers"]))
    if field == "loyalty points earned":
        return dataclasses.replace(content, points=None if content.points is not None else _points(subtotal))
    if field == "a signature line":
        return dataclasses.replace(content, signature=not content.signature)
    raise Resample(f"a receipt cannot print or leave off {field}")


class ReceiptContext(Context):
    name = "receipt"
    noun = "receipt"
    description = "thermal till receipt: store header, dated item lines with quantities, totals, payment, fine print"
    slots = {
        "fine_text": "the last line of fine print",
        "rotated_text": "a rubber stamp at an angle",
        "styled_text": "the store name in a display font, faded print",
        "count_merged": "units bought, 2 x Coffee counting twice",
        "count_rows": "item lines",
        "count_marks": "items flagged with an asterisk",
        "list_order": "item lines, top to bottom",
        "list_relative": "item lines, top to bottom",
        "absent_field": "usual receipt fields (tip, discount, table, cashier, points, signature, change)",
        "near_miss": "amounts: total, subtotal, tax",
        "presupposition": "values of usual fields",
        "named_box": "the total, subtotal or an item line",
        "near_duplicate": "two goods that differ by one word (Cola / Cola Zero)",
        "marked_item": "the one item flagged with an asterisk",
    }
    refuses = {"two_columns": "a receipt lists its items in one column"}
    pair_slots = frozenset({"absent_field", "presupposition"})  # the asked field shown or left out
    localized_slots = ("fine_text", "rotated_text", "styled_text", "count_rows", "count_merged", "count_marks",
                       "list_order", "list_relative", "absent_field", "near_miss", "presupposition", "named_box",
                       "near_duplicate", "marked_item")

    # Sampling ------------------------------------------------------------------------

    def sample(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> ReceiptContent:
        if request.language not in ("", "en"):
            return self._sample_localized(request, rng, size)
        vocab = vocabulary("receipt")
        scale = _print_scale(size)
        store = pick(rng, vocab["stores"])
        goods_pool = vocab["goods"][store["kind"]]
        slot = request.slot
        n_lines = _n_lines(slot, request.count, rng)
        goods = self._goods(goods_pool, n_lines, rng, vocab, slot, request.count)
        near_dup = -1
        if slot == "near_duplicate":
            own = {g["name"]: g["variants"] for g in goods_pool}
            goods, near_dup = self._near_duplicate(goods, own.__getitem__, rng)
        currency = pick(rng, vocab["currencies"])
        till = vocab["tills"][currency["symbol"]]  # the currency's country's tax, dates and clock
        card = pick(rng, vocab["cards"]) if rng.random() < 0.7 else ""
        body_font = pick(rng, BODY_FONTS)
        body_px = max(6, int(round(rng.integers(7, 10) * scale)))
        style = request.style
        if slot == "fine_text":  # fine print is never larger than the body: a larger print, fewer lines
            body_px = max(body_px, style.text_px)
        header_font = body_font
        if slot == "styled_text":
            header_font = pick(rng, [f.name for f in load_catalog().of_class(style.font_class) if not f.missing(store["name"])]
                               or [body_font])
        day, month, year = int(rng.integers(1, 29)), int(rng.integers(1, 13)), int(rng.integers(2019, 2027))
        hour, minute, second = int(rng.integers(7, 23)), int(rng.integers(0, 60)), int(rng.integers(0, 60))
        date = pick(rng, till["dates"]).format(d=day, m=month, y=year, mon=vocab["months"][month - 1])
        clock = pick(rng, till["times"]).format(H=hour, M=minute, S=second, h=(hour - 1) % 12 + 1,
                                                          ap="PM" if hour >= 12 else "AM")
        subtotal = sum(_cents(g) for g in goods)
        fine_px = max(5, body_px - 2)
        target_px = style.text_px if style is not None else body_px
        room = size[0] - 2 * MARGIN_PX - 2 * max(8.0, 1.6 * body_px)  # the widest a printed line can be
        fine_print = vocab["fine_print"] + (vocab["included_fine_print"] if till["included"] else [])
        fine = tuple(str(t) for t in rng.choice(fine_print, size=int(rng.integers(1, 3)), replace=False))
        fine = tuple(t for t in fine if measured_advance(t, font_named(body_font), fine_px) <= room) or fine[-1:]
        if slot == "fine_text":
            fine = fine[:-1] + (pick(rng, [t for t in fine_print + vocab["short_fine_print"]
                                           if t not in fine[:-1]
                                           and measured_advance(t, font_named(body_font), target_px) <= room]
                                     or vocab["short_fine_print"]),)
        optional = rng.random(7) < 0.5
        served = store["kind"] in SERVED_KINDS  # a tip, a table and a server belong where food is served
        content = ReceiptContent(
            store=store["name"], tagline=pick(rng, vocab["taglines"]) if rng.random() < 0.5 else "",
            address=(f"{int(rng.integers(1, 400))} {pick(rng, vocab['streets'])}", pick(rng, vocab["cities"])),
            date=date, clock=clock, goods=goods, qty_style=pick(rng, ("prefix", "second_line")),
            tax_label=pick(rng, till["labels"]), tax_pct=int(pick(rng, till["rates"])), tax_included=till["included"],
            currency=tuple(currency.items()), card=card, card_digits=f"{int(rng.integers(0, 10000)):04d}",
            tip=_tip(subtotal, rng) if optional[0] and served else None,
            discount=_discount(subtotal, 1, rng) if optional[1] else None,
            table=_table(rng) if optional[2] and served else "",
            cashier=pick(rng, vocab["cashiers"]) if optional[3] and served else "",
            points=_points(subtotal) if optional[4] else None,
            signature=bool(optional[5] and card),
            thanks=pick(rng, vocab["thanks"]), fine=fine,
            stamp=pick(rng, vocab["stamps"]) if slot == "rotated_text" else "",
            body_font=body_font, header_font=header_font, body_px=body_px,
            **_styled_sizes(slot, style, body_px, fine_px, target_px),
            ink=tuple(int(v) for v in rng.integers(20, 95, size=8)),
            paper_rgb=tuple(pick(rng, vocab["papers"])["rgb"]),
            **self._surface(vocab, rng),
            skew_deg=round(float(rng.uniform(-MAX_SKEW_DEG, MAX_SKEW_DEG)), 2) if rng.random() < 0.6 else 0.0,
            offset=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            box_pick=int(rng.integers(0, 1000)), near_dup=near_dup,
        )
        return self._fitted(content, size, slot)

    def _sample_localized(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> ReceiptContent:
        """A grocery receipt in another language (data/contexts/languages.yaml): its words,
        the locale's amounts and dates (Babel; Latin digits or the locale's own), the
        script's fonts, shaped.
        Only questions about what it prints are asked of it (`localized_slots`); no table,
        server, points, signature or flagged items, which the page words do not cover."""
        code = request.language
        words, lang = page_words(code), LANGUAGES[code]
        vocab = vocabulary("receipt")
        scale = _print_scale(size)
        slot, style = request.slot, request.style
        brand = languages.make_pseudoword(lang, rng, 7)[0]
        store = pick(rng, words["stores"]).format(brand=brand[:1].upper() + brand[1:])
        n_lines = _n_lines(slot, request.count, rng)
        digits = languages.currency_digits(code)
        factor, step = words["price_factor"], words["price_step"]

        def local(cents: int) -> int:  # US cents to the local currency's minor units, rounded to its step
            return max(step, int(round(cents * factor * 10 ** digits / 100 / step)) * step)

        pool = [{"name": name, "low": local(low), "high": local(high)}
                for name, (low, high) in zip(words["goods"], words["goods_cents"])]
        flags = slot in ("count_marks", "marked_item")  # asterisks only where the question is about them
        goods = tuple(dataclasses.replace(g, unit=max(step, g.unit // step * step), marked=flags and g.marked)
                      for g in self._goods(pool, n_lines, rng, vocab, slot, request.count))
        fonts = _body_fonts(code)
        body_font = pick(rng, fonts)
        near_dup = -1
        if slot == "near_duplicate":  # a good and the same good with one word more: "Milch Bio" (languages.yaml)
            variants = variant_words(code, body_font, words["variants"])
            joiner = languages.word_space(code)
            goods, near_dup = self._near_duplicate(goods, lambda _name: variants, rng, joiner)
            variant = goods[near_dup].name
            base = next(goods[k] for k in (near_dup - 1, near_dup + 1)
                        if 0 <= k < len(goods) and variant.startswith(goods[k].name + joiner))
            unit = max(step, goods[near_dup].unit // step * step)  # priced as its shops round
            if unit == base.unit:
                unit += step
            goods = goods[:near_dup] + (dataclasses.replace(goods[near_dup], unit=unit),) + goods[near_dup + 1:]
        body_px = max(6, int(round(rng.integers(7, 10) * scale)))
        if slot == "fine_text":
            body_px = max(body_px, style.text_px)
        header_font = body_font
        if slot == "styled_text":
            header_font = pick(rng, [f.name for f in styled_fonts(code, style.font_class) if not f.missing(store)]
                               or [body_font])
        system = languages.page_numbering(lang, rng)  # Latin digits, or the locale's own half the time
        day = datetime.date(int(rng.integers(2019, 2027)), int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        date = languages.format_day(lang, day, pick(rng, ("short", "medium")), system)
        clock = languages.in_digits(f"{int(rng.integers(7, 23)):02d}:{int(rng.integers(0, 60)):02d}", system)
        fine_px = max(5, body_px - 2)
        target_px = style.text_px if style is not None else body_px
        shaping = _shaping(code)
        room = size[0] - 2 * MARGIN_PX - 2 * max(8.0, 1.6 * body_px)

        def fitting(texts, px):
            return [t for t in texts if sheet_text_width(t, font_named(body_font), px, shaping) <= room]

        lines = [languages.in_digits(t, system) for t in words["fine"]]  # "14 days" in the page's digits
        fine = tuple(str(t) for t in rng.choice(lines, size=int(rng.integers(1, 3)), replace=False))
        fine = tuple(fitting(fine, fine_px)) or fine[-1:]
        if slot == "fine_text":
            fine = fine[:-1] + (pick(rng, [t for t in fitting(lines, target_px) if t not in fine[:-1]]
                                     or [min(lines, key=len)]),)
        subtotal = sum(_cents(g) for g in goods)
        content = ReceiptContent(
            store=store, tagline="", address=(), date=date, clock=clock, goods=goods, qty_style="prefix",
            tax_label=words["tax"]["label"], tax_pct=int(pick(rng, words["tax"]["rates"])),
            currency=(("language", code), ("digits", system)),
            card=words["labels"]["card"] if rng.random() < 0.7 else "",
            card_digits=languages.in_digits(f"{int(rng.integers(0, 10000)):04d}", system), tip=None,
            discount=_discount(subtotal, step, rng) if rng.random() < 0.5 else None,
            table="", cashier="", points=None, signature=False,
            thanks=pick(rng, words["thanks"]), fine=fine,
            stamp=pick(rng, words["stamps"]) if slot == "rotated_text" else "",
            body_font=body_font, header_font=header_font, body_px=body_px,
            **_styled_sizes(slot, style, body_px, fine_px, target_px),
            ink=tuple(int(v) for v in rng.integers(20, 95, size=8)),
            paper_rgb=tuple(pick(rng, vocab["papers"])["rgb"]),
            **self._surface(vocab, rng),
            skew_deg=round(float(rng.uniform(-MAX_SKEW_DEG, MAX_SKEW_DEG)), 2) if rng.random() < 0.6 else 0.0,
            offset=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            box_pick=int(rng.integers(0, 1000)), near_dup=near_dup, language=code,
            tender_step=local(500), tax_included=True,
        )
        if content.discount is not None and content.discount >= subtotal:
            content = dataclasses.replace(content, discount=None)
        return self._fitted(content, size, slot)

    def _fitted(self, content: ReceiptContent, size: tuple[int, int], slot: str) -> ReceiptContent:
        """The content made to fit the image (large print, a big stamp): optional lines
        left out first, then item lines from the end where the question does not rest
        on them. What is left out is simply not on the receipt (fields are read off the
        page)."""
        optional = ({"tagline": ""}, {"points": None}, {"table": "", "cashier": ""}, {"signature": False},
                    {"address": content.address[:1]}, {"fine": content.fine[-1:]})
        steps = iter(optional)
        while not self.fits(content, size):
            step = next(steps, None)
            if step is not None:
                content = dataclasses.replace(content, **step)
                continue
            if slot == "fine_text" and not content.closeup:  # a close-up of the fine print, as a phone takes it
                content = dataclasses.replace(content, closeup=True)
                continue
            if slot in FIXED_LINES or len(content.goods) <= 2:
                raise Resample("receipt does not fit the image")
            old = sum(_cents(g) for g in content.goods)
            goods = content.goods[:-1]
            new = sum(_cents(g) for g in goods)
            content = dataclasses.replace(  # the tip and discount follow the smaller bill
                content, goods=goods, tip=None if content.tip is None else content.tip * new // old,
                discount=None if content.discount is None else max(1, min(content.discount, new // 10)))
        return content

    @staticmethod
    def _surface(vocab, rng) -> dict:
        surface = pick(rng, vocab["surfaces"])
        return {"surface": surface["name"], "surface_rgb": tuple(surface["rgb"])}

    @staticmethod
    def _goods(pool, n_lines: int, rng, vocab, slot: str, count: int | None) -> tuple[Good, ...]:
        if n_lines > len(pool):
            raise Resample("more item lines asked for than the store sells")
        chosen = [pool[int(i)] for i in rng.choice(len(pool), size=n_lines, replace=False)]
        qty = [int(q) for q in rng.choice([1, 1, 1, 2, 2, 3, 4], size=n_lines)]
        if slot == "count_merged":  # spread the asked number of units over the lines
            n = max(1, min(n_lines, count))
            qty = [1] * n
            for _ in range(count - n):
                qty[int(rng.integers(n))] += 1
            chosen = chosen[:n]
        marked = [bool(rng.random() < 0.25) for _ in chosen]
        if slot == "count_marks":
            flagged = set(int(i) for i in rng.choice(len(chosen), size=min(count, len(chosen)), replace=False))
            if count > len(chosen):
                raise Resample("more flagged items asked for than lines")
            marked = [i in flagged for i in range(len(chosen))]
        if slot == "marked_item":  # exactly one line flagged
            flagged_at = int(rng.integers(len(chosen)))
            marked = [i == flagged_at for i in range(len(chosen))]
        return tuple(Good(g["name"], q, int(rng.integers(g["low"], g["high"] + 1)), m)
                     for g, q, m in zip(chosen, qty, marked))

    @staticmethod
    def _near_duplicate(goods, words_of: Callable[[str], list], rng, joiner: str = " ") -> tuple[tuple[Good, ...], int]:
        """A good listed next to a variant of itself ("Cola", "Cola Zero"), one each,
        at different prices; the variant is the one asked about, named by one of
        `words_of(good)` (an English good's own: "Latte Oat", never "Avocado Zero")."""
        base = int(rng.integers(len(goods)))
        word = pick(rng, words_of(goods[base].name))
        original = dataclasses.replace(goods[base], qty=1, marked=False)
        delta = int(rng.integers(10, 120)) * (1 if rng.random() < 0.5 else -1)
        variant = Good(f"{original.name}{joiner}{word}", 1, max(49, original.unit + delta))
        if variant.unit == original.unit:
            variant = dataclasses.replace(variant, unit=variant.unit + 30)
        listed = list(goods)
        listed[base] = original
        at = base + 1 if rng.random() < 0.5 else base
        listed.insert(at, variant)
        return tuple(listed), at

    def optional_fields(self, content: ReceiptContent, request: Request) -> dict[str, bool]:
        """Fields a receipt of its kind may print or not: a tip, a table and a server where
        food is served, a signature line under a card payment (no value to ask), change
        when paid in cash; another language's page prints only a discount and change."""
        shown = {"a discount line": content.discount is not None, "change given back in cash": not content.card}
        if content.language:
            return shown
        if _served(content):
            shown.update({"a tip line": content.tip is not None, "a table number": bool(content.table),
                          "the name of the server": bool(content.cashier)})
        shown["loyalty points earned"] = content.points is not None
        if content.card and request.slot == "absent_field":
            shown["a signature line"] = content.signature
        return shown

    # The one change of a minimal pair --------------------------------------------------

    def change(self, content: ReceiptContent, request: Request, rng: np.random.Generator,
               focus: tuple[str, ...] = ()) -> ReceiptContent:
        slot = request.slot
        goods = list(content.goods)
        if slot == "fine_text":
            return dataclasses.replace(content, fine=content.fine[:-1] + (
                one_char_changed(content.fine[-1], font_named(content.body_font), rng, content.language,
                                 content.fine_px),))
        if slot == "rotated_text":
            return dataclasses.replace(content, stamp=one_char_changed(content.stamp, font_named(content.body_font), rng,
                                                                           content.language, content.target_px))
        if slot == "styled_text":
            return dataclasses.replace(content, store=one_char_changed(content.store, font_named(content.header_font), rng,
                                                                           content.language, content.header_px))
        if slot == "near_duplicate":  # one price changed
            g = goods[content.near_dup]
            goods[content.near_dup] = dataclasses.replace(g, unit=g.unit + int(rng.integers(1, 10)) * 10)
            return dataclasses.replace(content, goods=tuple(goods))
        if slot == "count_merged":  # one more or one fewer unit of one line
            k = int(rng.integers(len(goods)))
            step = 1 if goods[k].qty == 1 or rng.random() < 0.5 else -1
            goods[k] = dataclasses.replace(goods[k], qty=goods[k].qty + step)
            return dataclasses.replace(content, goods=tuple(goods))
        if slot == "count_marks":  # one flag added or taken off
            k = int(rng.integers(len(goods)))
            goods[k] = dataclasses.replace(goods[k], marked=not goods[k].marked)
            return dataclasses.replace(content, goods=tuple(goods))
        if slot == "marked_item":  # the flag moved to the asked-about neighbour
            marked = next(i for i, g in enumerate(goods) if g.marked)
            to = next(i for i, g in enumerate(goods) if g.name == focus[0]) if focus else (marked + 1) % len(goods)
            goods = [dataclasses.replace(g, marked=i == to) for i, g in enumerate(goods)]
            return dataclasses.replace(content, goods=tuple(goods))
        if slot == "list_relative" and len(focus) == 2:  # one line moved to the other side of another
            names = [g.name for g in goods]
            moving = goods.pop(names.index(focus[0]))
            j = [g.name for g in goods].index(focus[1])
            goods.insert(j + 1 if names.index(focus[0]) < names.index(focus[1]) else j, moving)
            return dataclasses.replace(content, goods=tuple(goods))
        if slot in ("absent_field", "presupposition") and focus:  # the asked field printed or left off
            return _toggled(content, focus[0], rng)
        if slot in ("count_rows", "list_order"):  # one line removed
            k = next((i for i, g in enumerate(goods) if focus and g.name == focus[0]), int(rng.integers(len(goods))))
            if len(goods) < 2:
                raise Resample("too few lines to remove one")
            return dataclasses.replace(content, goods=tuple(g for i, g in enumerate(goods) if i != k))
        raise Resample(f"receipts make no minimal pair for {slot}")

    # Layout --------------------------------------------------------------------------

    def layout(self, content: ReceiptContent, request: Request, size: tuple[int, int]) -> Page:
        width, height = size
        body = font_named(content.body_font)
        header = font_named(content.header_font)
        px = content.body_px
        lines = self._lines(content)
        paper_w, paper_h, heights, pad, mark_w = self._measure(content, lines, size)
        room_w, room_h, swing = _room(content, paper_w, paper_h, size)
        if (room_w < 0 or room_h < 0) and not content.closeup:
            raise Resample(f"receipt {paper_w:.0f}x{paper_h:.0f} px does not fit the image")
        x0 = MARGIN_PX + swing * paper_h / 2 + content.offset[0] * room_w
        y0 = MARGIN_PX + swing * paper_w / 2 + content.offset[1] * room_h
        if room_h < 0:  # a close-up: the foot of the strip in view, its top beyond the frame
            y0 = height - MARGIN_PX - swing * paper_w / 2 - paper_h
        if room_w < 0:  # ... and wider than the frame: centred, its sides cut
            x0 = (width - paper_w) / 2
        box = (x0, y0, x0 + paper_w, y0 + paper_h)

        sheet = Sheet(shaping=_shaping(content.language), mirror=_rtl(content.language))
        sheet.shape(paper_outline(box, True, max(3.0, px * 0.5)), content.paper_rgb, "paper", "receipt paper", z=1,
                    item_id=1)
        left, right = x0 + pad, x0 + paper_w - pad - mark_w
        if sheet.mirror:  # right to left: names start at the right edge, amounts end at the left
            left, right = x0 + paper_w - pad, x0 + pad + mark_w
        y = y0 + pad
        out = _Collected()
        for line_no, ((kind, d), h) in enumerate(zip(lines, heights)):
            ink = (content.ink[line_no % len(content.ink)],) * 3
            self._draw(sheet, kind, d, h, y, left, right, x0 + paper_w / 2, ink, body, header, content, out)
            y += h
        items = sheet.turned(content.skew_deg, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2))
        scene = Scene(width, height, content.surface, content.surface_rgb, tuple(items))
        _check_sums(scene, out, content)
        return self._page(scene, out, content, request)

    @staticmethod
    def _lines(content: ReceiptContent) -> list:
        """(kind, data) of every printed line, in print order."""
        cur = content.money
        totals = _totals(content)
        label = _labels(content.language)
        lines = []

        def add(kind, **data):
            lines.append((kind, data))

        add("header", text=content.store)
        if content.tagline:
            add("center", text=content.tagline, role="tagline")
        for line in content.address:
            add("center", text=line, role="address")
        add("pair", left=content.date, right=content.clock, role="date")
        if content.table or content.cashier:
            add("pair", left=f"TABLE {content.table}" if content.table else "",
                right=f"SERVER: {content.cashier}" if content.cashier else "", role="table_cashier")
        add("rule")
        for k, good in enumerate(content.goods):
            # Another language: the multiplication sign (of no script: a Latin x would start a
            # Latin run that Devanagari or Thai words after it are shaped in).
            times = "×" if content.language else "x"
            qty = languages.in_digits(str(good.qty), cur.get("digits", "latn"))  # the page's digits
            name = f"{qty} {times} {good.name}" if content.qty_style == "prefix" and good.qty > 1 else good.name
            add("item", k=k, left=name, right=money(_cents(good), cur), marked=good.marked)
            if content.qty_style == "second_line" and good.qty > 1:
                add("plain", text=f"  {good.qty} @ {money(good.unit, cur)}", role="qty_line", k=k)
        add("rule")
        add("amount", label=label["subtotal"], value=money(totals["subtotal"], cur), field="subtotal")
        if content.discount is not None:
            add("amount", label=label["discount"], value=money(-content.discount, cur), field="discount")
        pct = languages.in_digits(str(content.tax_pct), cur.get("digits", "latn"))
        tax_line = dict(label=f"{content.tax_label} {pct}%", value=money(totals["tax"], cur), field="tax")
        if not content.tax_included:
            add("amount", **tax_line)
        if content.tip is not None:
            add("amount", label="TIP", value=money(content.tip, cur), field="tip")
        add("amount", label=label["total"], value=money(totals["total"], cur, symbol=True), field="total", big=True)
        if content.tax_included:  # the VAT the total includes, under it, as European and Asian tills print it
            add("amount", **tax_line)
        if content.card:
            add("amount", label=f"{content.card} ****{content.card_digits}", value=money(totals["total"], cur),
                field="card")
        else:
            step = content.tender_step
            tendered = -(-totals["total"] // step) * step + (step if totals["total"] % step == 0 else 0)
            add("amount", label=label["cash"], value=money(tendered, cur), field="cash")
            add("amount", label=label["change"], value=money(tendered - totals["total"], cur), field="change")
        if content.points is not None:
            add("pair", left="POINTS EARNED", right=str(content.points), role="points")
        if content.signature:
            add("plain", text="SIGNATURE: ____________", role="signature")
        if any(g.marked for g in content.goods):
            if not content.language:  # (the page words of other languages have no legend)
                add("plain", text="* SALE ITEM", role="mark_legend")
        add("gap")
        add("center", text=content.thanks, role="thanks")
        for k, text in enumerate(content.fine):
            add("fine", text=text, last=k == len(content.fine) - 1)
        if content.stamp:
            add("stamp", text=content.stamp)

        return lines

    def _measure(self, content: ReceiptContent, lines: list, size: tuple[int, int]):
        """(paper width, paper height, line heights, padding, mark width) of the strip."""
        body = font_named(content.body_font)
        header = font_named(content.header_font)
        px = content.body_px
        shaping = _shaping(content.language)

        def text_width(text, font, text_px):  # shaped where the page is (scripts beyond Latin)
            return sheet_text_width(text, font, text_px, shaping)

        def stamp_width(text):  # (the stamp is drawn turned, by Pillow: its advance alone, no glyph box)
            return measured_width(text, body, content.target_px, shaping)

        # The paper's width: the widest line, at least a till roll's 32 characters.
        gap = text_width("  ", body, px)
        mark_w = text_width(" *", body, px)
        need = text_width("M" * 30 if not content.language else "0" * 32, body, px) * 0.9
        for kind, d in lines:
            if kind in ("item", "pair"):
                need = max(need, text_width(d["left"], body, px) + gap + text_width(d["right"], body, px) + mark_w)
            elif kind == "amount":
                lpx = px + 2 if d.get("big") else px
                need = max(need, text_width(d["label"], body, lpx) + gap + text_width(d["value"], body, lpx) + mark_w)
            elif kind in ("center", "plain"):
                need = max(need, text_width(d["text"], body, px))
            elif kind == "header":
                need = max(need, text_width(d["text"], header, content.header_px) + 2 * content.stroke_px)
            elif kind == "fine":
                need = max(need, text_width(d["text"], body, content.fine_px))
            elif kind == "stamp":
                need = max(need, stamp_width(d["text"]) * 1.05 + 4)
        pad = max(8.0, 1.6 * px)
        paper_w = need + 2 * pad
        heights = [self._height(kind, d, content) for kind, d in lines]
        paper_h = sum(heights) + 2 * pad + 6
        return paper_w, paper_h, heights, pad, mark_w

    def fits(self, content: ReceiptContent, size: tuple[int, int]) -> bool:
        """Whether the strip fits the image (the layout's own measure, without drawing)."""
        paper_w, paper_h, *_rest = self._measure(content, self._lines(content), size)
        room_w, room_h, _swing = _room(content, paper_w, paper_h, size)
        return (room_w >= 0 and room_h >= 0) or content.closeup

    @staticmethod
    def _height(kind: str, d: dict, content: ReceiptContent) -> float:
        px = content.body_px
        if kind == "header":
            return cap_gap(content.header_px) + 2 * content.stroke_px
        if kind == "amount" and d.get("big"):
            return cap_gap(px + 2)
        if kind == "fine":
            return cap_gap(content.fine_px)
        if kind == "rule":
            return cap_gap(px) * 0.8
        if kind == "gap":
            return px
        if kind == "stamp":
            w = measured_width(d["text"], font_named(content.body_font), content.target_px, _shaping(content.language))
            return w * 1.05 + 2 * content.target_px + 6  # room for any turn of the stamp
        return cap_gap(px)

    def _draw(self, sheet: Sheet, kind, d, h, y, left, right, middle, ink, body, header, content, out) -> None:
        px = content.body_px
        base = y + h * 0.5 + px * 0.5  # baseline: the cap height centred in the line
        if kind == "header":
            rgb = ink
            stroke_rgb = None
            if content.target_ink:
                rgb = ink_for_contrast(content.paper_rgb, content.target_ink)
            if content.stroke_px:
                stroke_rgb, rgb = rgb, content.paper_rgb
            base = y + h * 0.5 + content.header_px * 0.5
            out.header = sheet.text(d["text"], header, content.header_px, middle, base, rgb=rgb, role="heading",
                                    align="center", stroke_px=content.stroke_px, stroke_rgb=stroke_rgb).item_id
        elif kind in ("center", "plain"):
            align, x = ("center", middle) if kind == "center" else ("left", left)
            item = sheet.text(d["text"], body, px, x, base, rgb=ink, role=d["role"], align=align)
            out.roles.setdefault(d["role"], []).append(item.item_id)
        elif kind == "pair":
            for text, align, x in ((d["left"], "left", left), (d["right"], "right", right)):
                if text:
                    item = sheet.text(text, body, px, x, base, rgb=ink, role=d["role"], align=align)
                    out.roles.setdefault(d["role"], []).append(item.item_id)
        elif kind == "rule":
            dash = "-" * max(4, int(abs(right - left) / max(1.0, text_width("-", body, px, sheet.shaping))))
            sheet.text(dash, body, px, left, y + h * 0.6, rgb=ink, role="rule")
        elif kind == "item":
            name = sheet.text(d["left"], body, px, left, base, rgb=ink, role="line_item",
                              attributes=(("row", str(d["k"])),))
            amount = sheet.text(d["right"], body, px, right, base, rgb=ink, role="price", align="right",
                                attributes=(("row", str(d["k"])),))
            mark = None
            if d["marked"]:
                space = text_width(" ", body, px, sheet.shaping)  # after the amount: left of it when mirrored
                mark = sheet.text("*", body, px, right - space if sheet.mirror else right + space, base, rgb=ink,
                                  role="mark",
                                  attributes=(("row", str(d["k"])),)).item_id
            out.goods.append((name.item_id, amount.item_id, mark))
        elif kind == "amount":
            lpx = px + 2 if d.get("big") else px
            base = y + h * 0.5 + lpx * 0.5
            label = sheet.text(d["label"], body, lpx, left, base, rgb=ink, role="total_label")
            value = sheet.text(d["value"], body, lpx, right, base, rgb=ink, align="right",
                               role="total" if d["field"] == "total" else "amount")
            out.fields[d["field"]] = (label.item_id, value.item_id)
        elif kind == "fine":
            base = y + h * 0.5 + content.fine_px * 0.5
            item = sheet.text(d["text"], body, content.fine_px, middle, base, rgb=ink, role="footer", align="center")
            if d["last"]:
                out.fine = item.item_id
        elif kind == "stamp":
            red = (178, 34, 40) if len(d["text"]) % 2 else (38, 64, 150)
            out.stamp = sheet.turned_text(d["text"], body, content.target_px, (middle, y + h / 2),
                                          content.stamp_angle, rgb=red, role="stamp").item_id

    def _page(self, scene: Scene, out: _Collected, content: ReceiptContent, request: Request) -> Page:
        text = {it.item_id: it.text for it in scene.items if hasattr(it, "layout")}
        goods = content.goods
        entries = tuple(Target((name, amount), f"{g.name}", text[name], g.name)
                        for g, (name, amount, _m) in zip(goods, out.goods))
        targets = {}
        if out.fine:
            targets["fine_text"] = Target((out.fine,), "the last line of small print at the bottom of the receipt",
                                          text[out.fine])
        if out.stamp:
            targets["rotated_text"] = Target((out.stamp,), "the rubber stamp on the receipt", text[out.stamp])
        targets["styled_text"] = Target((out.header,), "the store name printed at the top of the receipt",
                                        text[out.header])
        if content.near_dup >= 0:
            name, amount, _m = out.goods[content.near_dup]
            g = goods[content.near_dup]
            targets["near_duplicate"] = Target((amount, name), f"the price of {g.name}", text[amount], g.name)
        label = _labels(content.language)
        boxable = [("total", f"the {label['total']} line (the word {label['total']} and its amount)"),
                   ("subtotal", f"the {label['subtotal']} line (the word {label['subtotal']} and its amount)")]
        pick_k = content.box_pick % (len(boxable) + len(goods))
        if pick_k < len(boxable):
            key, ref = boxable[pick_k]
            targets["named_box"] = Target(out.fields[key], ref, text[out.fields[key][1]])
        else:
            k = pick_k - len(boxable)
            name, amount, mark = out.goods[k]
            ids = (name, amount) + ((mark,) if mark else ())
            targets["named_box"] = Target(ids, f"the item line for {goods[k].name} (its name and its amount)",
                                          text[name], goods[k].name)
        marks = tuple(("an asterisk (*)", entries[k]) for k, g in enumerate(goods) if g.marked)
        counts = {
            "count_merged": Count("How many units were bought in total on this receipt? Count each unit: a line "
                                  "for 2 of something counts as two.", sum(g.qty for g in goods),
                                  tuple(i for n, a, _ in out.goods for i in (n, a))),
            "count_rows": Count("How many item lines are listed on this receipt? Count the lines of goods bought, "
                                "not the subtotal, tax, total or payment lines.", len(goods),
                                tuple(n for n, _a, _m in out.goods)),
            "count_marks": Count("How many item lines on this receipt are flagged with an asterisk (*) after their "
                                 "amount?", sum(g.marked for g in goods), tuple(m for *_x, m in out.goods if m)),
        }
        fields = self._fields(content, out, text)
        stats = {"n_elements": sum(1 for it in scene.items if hasattr(it, "layout")), "n_rows": len(goods),
                 "n_columns": 1, "skew_deg": content.skew_deg, "body_px": content.body_px}
        return Page("receipt", "receipt", scene, targets, counts, (Listing("item", entries),), (), fields,
                    marks, stats)

    @staticmethod
    def _fields(content: ReceiptContent, out: _Collected, text: dict) -> tuple[Field, ...]:
        def value_field(key, name, ref, numeric=True):
            ids = out.fields.get(key)
            if ids is None:
                return Field(name, False, ref)
            return Field(name, True, ref, text[ids[1]], ids, numeric)

        fields = [
            value_field("total", "a total", "the total amount"),
            value_field("subtotal", "a subtotal", "the subtotal"),
            value_field("tax", "a tax line", "the tax amount"),
            value_field("tip", "a tip line", "the tip amount"),
            value_field("discount", "a discount line", "the discount amount"),
            value_field("change", "change given back in cash", "the amount of change given back"),
        ]
        table = [i for i in out.roles.get("table_cashier", []) if text[i].startswith("TABLE ")]
        fields.append(Field("a table number", bool(table), "the table number",
                            text[table[0]].removeprefix("TABLE ") if table else "", tuple(table)))
        server = [i for i in out.roles.get("table_cashier", []) if text[i].startswith("SERVER: ")]
        fields.append(Field("the name of the server", bool(server), "the server's name",
                            text[server[0]].removeprefix("SERVER: ") if server else "", tuple(server)))
        points = out.roles.get("points", [])
        fields.append(Field("loyalty points earned", bool(points), "the number of loyalty points earned",
                            text[points[1]] if points else "", tuple(points)))
        fields.append(Field("a signature line", bool(out.roles.get("signature")), "", "",
                            tuple(out.roles.get("signature", []))))
        return tuple(fields)


ENGLISH_LABELS = {"subtotal": "SUBTOTAL", "discount": "DISCOUNT", "total": "TOTAL", "cash": "CASH", "change": "CHANGE"}
# The slots a receipt in another language serves (the ocr family's): the rest ask about
# fields and marks its page words do not cover.
LOCALIZED_SLOTS = ("fine_text", "rotated_text", "styled_text")


def _labels(language: str) -> dict[str, str]:
    return page_words(language)["labels"] if language not in ("", "en") else ENGLISH_LABELS


def _body_fonts(language: str) -> tuple[str, ...]:
    """Fonts a receipt in the language is printed in: the till fonts that draw all of it
    (Latin, Cyrillic, Greek), else the script's own (Noto)."""
    return fonts_for(BODY_FONTS, language)


def _room(content: ReceiptContent, paper_w: float, paper_h: float, size: tuple[int, int]):
    """Free room around the strip in the image, and the sine of its skew: turned, the
    strip needs a little more room, its corners swing out."""
    swing = abs(math.sin(math.radians(content.skew_deg)))
    room_w = size[0] - 2 * MARGIN_PX - paper_w - swing * paper_h
    room_h = size[1] - 2 * MARGIN_PX - paper_h - swing * paper_w
    return room_w, room_h, swing


@dataclass
class _Collected:
    """Ids of what the layout drew, by what it is."""

    header: int = 0
    fine: int = 0
    stamp: int = 0
    goods: list = dataclasses.field(default_factory=list)  # (name id, amount id, mark id or None)
    fields: dict = dataclasses.field(default_factory=dict)  # subtotal/tax/... -> (label id, value id)
    roles: dict = dataclasses.field(default_factory=dict)


def _check_sums(scene: Scene, out: _Collected, content: ReceiptContent) -> None:
    """Add up the printed amounts again: item lines to the subtotal, the subtotal, discount,
    tax and tip to the total. A receipt that does not add up is a bug, not a resample."""
    cur = content.money
    text = {it.item_id: it.text for it in scene.items if hasattr(it, "layout")}

    def printed(key) -> int:
        return parse_money(text[out.fields[key][1]], cur) if key in out.fields else 0

    lines = sum(parse_money(text[a], cur) for _n, a, _m in out.goods)
    for good, (_n, a, _m) in zip(content.goods, out.goods):
        if parse_money(text[a], cur) != good.qty * good.unit:
            raise AssertionError(f"receipt line {text[a]} is not {good.qty} x {good.unit}")
    base = printed("subtotal") + printed("discount")  # the discount is printed negative
    added = 0 if content.tax_included else printed("tax")
    if lines != printed("subtotal") or base + added + printed("tip") != printed("total") \
            or printed("tax") != _tax(base, content):
        raise AssertionError(f"receipt amounts do not add up: {sorted(text.values())}")


CONTEXT = ReceiptContext()
