"""Shelf: store shelves and online-store product grids.

Shelves: three boards under an aisle sign, each holding a row of touching facings (the
same package repeated side by side), a price label on the rail under each product's
facings (yellow with SALE for products on offer), and rows that run on past both edges
of the picture, so the outermost facings are cut off. Grids: a store's page of product
cards, each with a picture (a drawn package, or an emoji for produce), the name, the
variant and size, the price, and for products on sale a struck-through old price and a
sale badge.

Packages are drawn from geometry (scenes/packages.py) at one scale per picture (pixels
per centimetre), so a 500 ml can stands taller than a 330 ml one; the brand, product
word, variant and size are printed on the package's label. Near-duplicates differ in one
detail: the size, the variant word or the cap colour. Every product appears in one place
only (one run of facings, or one card), so "the Fizzo Cola Zero 330 ml can" names one
thing. Cut-off facings at the edges are never asked about.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import NamedTuple

import numpy as np
from shapely.geometry import Polygon

from gen_stress.errors import Resample
from gen_stress.rng import pick
from gen_stress.scenes.colors import color_name, contrast_ratio, ink_for_contrast, max_contrast, mix
from gen_stress.scenes.contexts import Context, vocabulary
from gen_stress.scenes.contexts.edits import near_miss, one_char_changed
from gen_stress.scenes.contexts.sheet import (
    font_named,
    fonts_for,
    measured_width,
    money,
    page_shaping,
    parse_money,
    right_to_left,
    styled_fonts,
)
from gen_stress.scenes import languages
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.languages import LANGUAGES, page_words
from gen_stress.scenes.memo import cached_property
from gen_stress.scenes.geometry import rect_points
from gen_stress.scenes.model import Scene, ShapeItem, TextItem, outline_item
from gen_stress.scenes.frozen import made as made_item  # (`made` names a drawer's items)
from gen_stress.scenes.packages import Look, PackageItem, Print, package, package_paints, printed_lines
from gen_stress.scenes.page import Count, Field, Listing, Page, Request, Target
from gen_stress.scenes.shaping import Shaping, glyph_failures
from gen_stress.scenes.sprites import SpriteItem, scaled_size
from gen_stress.scenes.text import TextLayout, layout_text, measured_advance, moved

BRAND_FONTS = ("Lobster Two", "Leckerli One", "Kaushan Script", "Comfortaa", "Roboto Slab", "Yanone Kaffeesatz",
               "Open Sans", "DejaVu Sans", "Liberation Sans", "Roboto Condensed")
LABEL_FONTS = ("DejaVu Sans Condensed", "Roboto Condensed", "Liberation Sans", "Open Sans")
PRICE_FONTS = ("Liberation Sans", "DejaVu Sans", "Roboto Condensed", "DejaVu Sans Condensed")
SIGN_FONTS = ("Roboto Slab", "Open Sans", "Liberation Sans", "Comfortaa", "Lobster Two")
N_SHELVES = 3
MIN_DETAIL_PX = 5  # the cap height below which a variant word or size is not printed at all
# The least image side of shelves in scripts whose labels need more pixels, and why
# (smallest_side). In Chinese, Japanese or Korean a smaller picture sets a label's variant
# and size at a 5 or 6 px em, which blurs below the contrast a near-duplicate's detail must
# show (attribute and near-duplicate questions failed every attempt at 384 to 416 px); in
# Bengali at 384 px a small item's brand seldom prints (counting small items drew its
# shelves again 9 times an item on average, 46 at worst, of the 60 allowed).
SHELF_SIDE_BY_SCRIPT = {**{script: (448, "its labels' variant and size words are too small to read")
                           for script in languages.CJK},
                        "bengali": (416, "its small items' brand names are too small to read")}
LINE_GAP = 1.5  # baseline to baseline on a label, in cap heights
INK: tuple[int, int, int] = (24, 24, 28)
PAPER: tuple[int, int, int] = (255, 255, 255)
GREY: tuple[int, int, int] = (110, 112, 118)
DETAIL_GREY: tuple[int, int, int] = (84, 86, 92)  # a card's variant and size: small antialiased text measures lighter
SHELF_ONLY = ("count_merged", "count_marks")
DETAIL = (("detail", "yes"),)


@dataclass(frozen=True)
class Product:
    brand: str  # "" for produce
    name: str  # the product word: "Cola", "Ketchup", "Bananas"
    variant: str
    size: str
    package: str  # can, bottle, box, jar, bag; "" for produce
    body: tuple[int, int, int] = (0, 0, 0)
    label: tuple[int, int, int] = PAPER
    cap: tuple[int, int, int] | None = None
    emoji: str = ""
    price: int = 0  # cents
    old_price: int = 0  # cents, 0 when not on sale
    brand_font: str = "DejaVu Sans"
    aisle: str = ""
    language: str = ""  # the language its label prints ("": English)

    @cached_property
    def display(self) -> str:
        """How a person names it: brand, product, variant, size (and the cap when the
        line comes in several cap colours)."""
        words = [self.brand, self.name, self.variant, self.size]
        return " ".join(w for w in words if w)

    @property
    def noun(self) -> str:
        return self.package

    @property
    def ref(self) -> str:
        cap = f" with the {color_name(self.cap)} cap" if self.cap is not None else ""
        return f"the {self.display} {self.noun}{cap}" if self.noun else f"the {self.display}"

    @property
    def plural(self) -> str:
        noun = "boxes" if self.noun == "box" else f"{self.noun}s"
        return f"{self.display} {noun}"

    @property
    def line(self) -> tuple[str, str]:
        return (self.brand, self.name)

    @cached_property
    def looks(self) -> dict:
        """(pixels per centimetre, label font) -> its package's look, for this product
        object: sampling and layout ask for the same looks many times (_look)."""
        return {}


@dataclass(frozen=True)
class Block:
    """A run of touching facings of one product (a shelf), or one card (a grid)."""

    product: Product
    facings: int = 1
    sale: bool = False
    filler: bool = False  # cut off at an edge on purpose: never asked about


_PRODUCT_FIELDS = tuple(f.name for f in dataclasses.fields(Product))
_PRODUCT_DEFAULTS = {f.name: f.default for f in dataclasses.fields(Product) if f.default is not dataclasses.MISSING}


def _new_product(**fields) -> Product:
    """`Product(**fields)`, without fourteen frozen setattrs (sampling draws thousands)."""
    new = object.__new__(Product)
    vars(new).update(_PRODUCT_DEFAULTS, **fields)
    return new


def _replaced(p: Product, **changes) -> Product:
    """`dataclasses.replace(p, **changes)`: the same product, made without replace's
    field walk and frozen setattrs (what p has worked out, its display and looks, is not
    copied)."""
    state = vars(p)
    new = object.__new__(Product)
    vars(new).update({name: state[name] for name in _PRODUCT_FIELDS}, **changes)
    return new


def _with_facings(b: Block, facings: int) -> Block:
    return Block(b.product, facings, b.sale, b.filler)


def _with_sale(b: Block, sale: bool) -> Block:
    """The block marked on sale or not (itself when it already is)."""
    return b if b.sale == sale else Block(b.product, b.facings, sale, b.filler)


@dataclass(frozen=True)
class ShelfContent:
    mode: str  # "shelf" or "grid"
    rows: tuple[tuple[Block, ...], ...]
    lead: tuple[float, ...]  # shelf: how much of each row's first facing is cut off at the left (0..1)
    title: str  # aisle sign (shelf), store name (grid)
    subtitle: str
    currency: tuple[tuple[str, object], ...]
    title_font: str
    label_font: str
    price_font: str
    title_px: int
    title_contrast: float
    stroke_px: int
    price_px: int  # cap height of the shelf labels' prices, of the cards' prices
    target_px: int  # cap height of the asked tiny text
    sticker: str
    sticker_angle: int
    sticker_at: tuple[float, float]
    wall: tuple[int, int, int]
    board: tuple[int, int, int]
    rail: tuple[int, int, int]
    accent: tuple[int, int, int]
    card: tuple[int, int, int]
    columns: int  # grid columns
    focus: str = ""  # display name of the product the question is about
    word: str = ""  # the word on the focus product's label (label_word)
    old_asked: bool = False  # grid fine_text: the old struck-through price is asked
    zoom: float = 1.0
    # Shelves: pixels per centimetre, fixed when sampled (from the rows before the runs
    # past the right edge were dropped), so that what sampling chose prints as it judged.
    ppc: float = 0.0
    language: str = ""  # the language printed ("": English); see _sample_localized
    sale_word: str = "SALE"  # what a shelf's yellow sale label says
    asked: tuple = ()  # absent_field, presupposition: what is asked about, _Asked.key
    absent: Product | None = None  # presupposition: the product asked about when it is not there
    detail: str = ""  # variant: the detail asked about, size, variant or cap (see _fields)
    width: int = 0  # the picture's width in pixels (what a minimal pair's change keeps inside)

    @property
    def shaping(self) -> Shaping | None:
        return page_shaping(self.language)

    @property
    def money(self) -> dict:
        return dict(self.currency)

    def products(self) -> list[Product]:
        return [b.product for row in self.rows for b in row]


@cache
def _lines() -> dict[str, list[dict]]:
    return vocabulary("shelf")["aisles"]


def _size_cm(p: Product) -> tuple[float, float]:
    return _size_of(p.package, p.size)


@lru_cache(maxsize=256)
def _size_of(package_kind: str, size: str) -> tuple[float, float]:
    vocab = vocabulary("shelf")
    size = _SIZE_AS.get((package_kind, size), size)  # another language's size: the English one's package
    table = {**vocab["packages"][package_kind], **vocab.get("small_sizes", {}).get(package_kind, {})}
    return tuple(table.get(size, table["default"]))


class _Label(NamedTuple):
    """What a package's look (shape, paints, print) depends on: not its price or aisle."""

    brand: str
    name: str
    variant: str
    size: str
    package: str
    body: tuple[int, int, int]
    label: tuple[int, int, int]
    cap: tuple[int, int, int] | None
    brand_font: str
    language: str = ""


def _label_of(p: Product) -> _Label:
    return _Label(p.brand, p.name, p.variant, p.size, p.package, p.body, p.label, p.cap, p.brand_font, p.language)


def _product(line: dict, rng: np.random.Generator, aisle: str, *, variant: str | None = None, size: str | None = None,
             cap: int | None = None) -> Product:
    caps = line.get("caps")
    k_variant = line["variants"].index(variant) if variant else int(rng.integers(len(line["variants"])))
    return _new_product(
        brand=line["brand"], name=line["name"], variant=line["variants"][k_variant],
        size=size or pick(rng, line["sizes"]), package=line["package"], body=tuple(line["body"]),
        label=tuple(line["label"]),
        cap=tuple(caps[cap if cap is not None else k_variant % len(caps)]) if caps else None,
        price=int(rng.integers(line["price"][0], line["price"][1] + 1)) * line.get("step", 1),
        brand_font=line.get("font") or _brand_font(line["brand"]), aisle=aisle, language=line.get("language", ""))


def _first_of(line: dict, variant: str = "", size: str = "") -> _Label:
    """What a line's product prints (its first variant and size unless named), without a draw."""
    caps = line.get("caps")
    k_variant = line["variants"].index(variant) if variant else 0
    return _Label(line["brand"], line["name"], line["variants"][k_variant], size or line["sizes"][0],
                  line["package"], tuple(line["body"]), tuple(line["label"]),
                  tuple(caps[k_variant % len(caps)]) if caps else None,
                  line.get("font") or _brand_font(line["brand"]), line.get("language", ""))


def _brand_font(brand: str) -> str:
    """A brand keeps its font across items (it is its logo), chosen by its name."""
    return BRAND_FONTS[sum(map(ord, brand)) % len(BRAND_FONTS)]


def _produce(item: dict, rng: np.random.Generator) -> Product:
    return Product(brand="", name=item["name"], variant="", size=item["unit"], package="", emoji=item["emoji"],
                   price=int(rng.integers(item["price"][0], item["price"][1] + 1)), aisle="Produce")


def _on_sale(p: Product, rng: np.random.Generator) -> Product:
    step = max(10, page_words(p.language)["price_step"]) if p.language else 10  # the local price steps
    return _replaced(p, old_price=p.price + max(step, int(p.price * rng.uniform(0.15, 0.45)) // step * step))


# Shelves in other languages ---------------------------------------------------------------

_SIZE_AS: dict[tuple[str, str], str] = {}  # (package, a size as another language prints it) -> the English size


def _small_lines(c: ShelfContent) -> list[dict]:
    """The small items a shelf can hold: English ones, or those of the shelf's language."""
    if not c.language:
        return vocabulary("shelf")["small"]
    return _localized(c.language, c.money.get("digits", "latn"))[1]


def _aisle_lines(aisle: str) -> list[dict]:
    """The product lines of an aisle: English ones, or another language's ("de:latn:Drinks")."""
    if ":" not in aisle:
        return _lines().get(aisle, [])
    code, system, name = aisle.split(":", 2)
    return _localized(code, system)[0][aisle] if name else []


UNIT_LENGTHS = ("short", "narrow", "long")


def _unit_text(code: str, amount: float, unit: str, system: str, length: str) -> str | None:
    """A size as the language prints it on a label, CLDR's unit format of that length
    through Babel, in the page's digits; None when the language's fonts lack one of its
    characters (the Latin "mL" of the Greek and Bengali short forms, Hebrew gershayim)."""
    from babel.units import format_unit

    text = format_unit(amount, unit, length=length, locale=LANGUAGES[code].locale, numbering_system=system)
    text = text.replace("\xa0", " ").replace("\u202f", " ")  # a label's space
    if not set(text) <= languages.charset(code):  # (checked before the digits: they would drop a ZWNJ)
        return None
    return unicodedata.normalize("NFC", languages.in_digits(text, system))


def _unit_length(code: str) -> str:
    """The CLDR unit length a language's labels use: the shortest that prints every size
    of its lines (all alike on one shelf), else "" (each size in the shortest that prints it)."""
    vocab = vocabulary("shelf")
    specs = [s for lines in vocab["localized"].values() for s in lines] + vocab["localized_small"]
    return next((length for length in UNIT_LENGTHS if all(_unit_text(code, amount, unit, "latn", length)
                                                          for s in specs for amount, unit, _en in s["sizes"])), "")


@cache
def _localized(code: str, system: str) -> tuple[dict, list]:
    """(aisles, small lines) of shelves in the language, in the numbering system's digits:
    shelf.yaml's `localized` lines with the language's goods and flavour words, CLDR
    sizes, local prices, and a brand each (an invented pseudoword of the script, the same
    in every picture, in one of the script's fonts that shapes it)."""
    vocab, words, lang = vocabulary("shelf"), page_words(code), LANGUAGES[code]
    shaping = page_shaping(code)
    flavours = words["shelf"]["flavours"]
    step, digits = words["price_step"], languages.currency_digits(code)
    fonts = fonts_for(BRAND_FONTS, code)
    brands: set[str] = set()
    length = _unit_length(code)

    def local(k: int, spec: dict, aisle: str, brand_chars: int = 7) -> dict | None:
        sizes = []
        for amount, unit, english in spec["sizes"]:
            lengths = (length,) if length else UNIT_LENGTHS
            text = next(filter(None, (_unit_text(code, amount, unit, system, n) for n in lengths)), None)
            if text is None and unit == "volume-milliliter":  # "0.33 l", as cans say it in many places
                text = next(filter(None, (_unit_text(code, amount / 1000, "volume-liter", system, n)
                                          for n in lengths)), None)
            if text is not None:
                _SIZE_AS[(spec["package"], text)] = english
                sizes.append(text)
        if not sizes:
            return None
        for attempt in range(50):  # a brand of its own that its font shapes
            brand = languages.make_pseudoword(lang, np.random.default_rng([k, attempt, *map(ord, code)]),
                                              brand_chars)[0]
            font = fonts[sum(map(ord, brand)) % len(fonts)]
            if brand not in brands and brand.lower() not in words["goods"] and (
                    shaping is None or not glyph_failures(str(font_named(font).path), 20.0, brand, shaping)):
                break
        brands.add(brand)
        low, high = (max(1, round(c * words["price_factor"] * 10 ** digits / 100 / step)) for c in spec["price"])
        line = {"brand": brand, "name": words["goods"][spec["good"]], "package": spec["package"],
                "variants": [flavours[i] for i in spec["flavours"]], "sizes": sizes, "body": spec["body"],
                "label": spec["label"], "price": [low, max(low, high)], "step": step, "font": font,
                "language": code, "aisle": aisle}
        if "caps" in spec:
            line["caps"] = spec["caps"]
        return line

    aisles, k = {}, 0
    for name, specs in vocab["localized"].items():
        key = f"{code}:{system}:{name}"
        aisles[key] = []
        for spec in specs:
            k += 1
            line = local(k, spec, key)
            if line is not None:
                aisles[key].append(line)
    # (small packages' brands short, so that they print on a small label)
    short = 2 if lang.script in languages.CJK else 4
    small = [line for spec in vocab["localized_small"] if (line := local((k := k + 1), spec, "", short)) is not None]
    return aisles, small


class ShelfContext(Context):
    name = "shelf"
    noun = "store shelf"
    description = ("store shelves (touching facings, shelf-edge price labels, rows cut off at the edges) and "
                   "online product grids (cards with picture, name, size, price, struck-through old price, sale "
                   "badge); packages drawn parametrically, produce as emoji")
    slots = {
        "fine_text": "the price on a shelf-edge label, or a card's price or old struck-through price",
        "rotated_text": "a promotional sticker stuck on at an angle",
        "styled_text": "the aisle sign or the store's name in a display font",
        "count_merged": "touching facings of one product (how many cans of X)",
        "count_rows": "products on sale (sale labels or sale badges)",
        "count_marks": "the smallest items among bigger ones",
        "row_of": "which shelf (or grid row) a product is on: top, middle, bottom",
        "left_of": "the product directly left of another",
        "row_relative": "is a product on a shelf above or below another",
        "absent_field": "products: is there any X (popular and adversarial negatives)",
        "variant": "variants: a 500 ml can when only 330 ml is there, Zero or Classic, the cap colour",
        "presupposition": "the price of a product, unanswerable when the product is not there",
        "named_box": "one product (a single facing, or a card)",
        "near_duplicate_box": "one product among variants that differ in one detail",
        "label_word": "the product whose label shows a given word",
    }
    refuses: dict[str, str] = {}  # every subtask finds a slot here (see in_context.KINDS)
    # the asked product line or variant put on the picture or taken off (_line_flipped, _variant_flipped)
    pair_slots = frozenset({"absent_field", "presupposition", "variant"})
    localized_slots = tuple(slots)  # shelves in other languages serve every slot (see _sample_localized)

    def smallest_side(self, scripts: set[str]) -> tuple[int, str]:
        needs = [(SHELF_SIDE_BY_SCRIPT[s][0], s) for s in scripts if s in SHELF_SIDE_BY_SCRIPT]
        if needs:
            side, script = min(needs, key=lambda n: (-n[0], n[1]))
            return side, f" in the {script} script (smaller, {SHELF_SIDE_BY_SCRIPT[script][1]})"
        return super().smallest_side(scripts)

    # Sampling ------------------------------------------------------------------------

    def sample(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> ShelfContent:
        if request.language not in ("", "en"):
            return self._sample_localized(request, rng, size)
        vocab = vocabulary("shelf")
        slot, style = request.slot, request.style
        scale = min(size) / 512
        mode = "shelf" if slot in SHELF_ONLY or rng.random() < 0.55 else "grid"
        if mode == "grid" and slot == "count_rows" and request.count > 8:
            mode = "shelf"
        cur = pick(rng, vocab["currencies"])
        base_px = max(6, int(round(rng.integers(7, 10) * scale)))
        target_px = style.text_px if style is not None else base_px
        title_px = style.text_px if slot == "styled_text" else max(10, int(round(rng.integers(13, 20) * scale)))
        stroke_px = style.stroke_px if slot == "styled_text" else 0
        label_font = pick(rng, LABEL_FONTS)
        geometry = _Geometry(size, title_px, stroke_px, max(base_px, target_px if slot == "fine_text" else 0),
                             _zoom(rng, size))
        asked = _asked_product(request, rng, vocab, mode, geometry, label_font) if slot in BY_PRODUCT else None
        if mode == "shelf":
            rows, lead, focus, word, ppc = self._shelf_rows(request, rng, vocab, geometry, label_font, asked)
            title = self._aisle_of(rows)
            subtitle = ""
        else:
            rows, focus, word = self._grid_rows(request, rng, vocab, asked)
            ppc = 0.0
            lead = (0.0,) * len(rows)
            title = pick(rng, vocab["stores"])
            subtitle = self._aisle_of(rows)
        rows = _one_price_a_size(rows)
        title_font = pick(rng, SIGN_FONTS)
        if slot == "styled_text":
            title_font = pick(rng, [f.name for f in load_catalog().of_class(style.font_class) if not f.missing(title)]
                              or [title_font])
        accent = tuple(pick(rng, vocab["accents"]))
        return ShelfContent(
            mode=mode, rows=rows, lead=lead, title=title, subtitle=subtitle, currency=tuple(cur.items()),
            title_font=title_font, label_font=label_font, price_font=pick(rng, PRICE_FONTS),
            title_px=title_px, title_contrast=style.contrast_ratio if slot == "styled_text" else 0.0,
            stroke_px=stroke_px,
            price_px=base_px, target_px=target_px,
            sticker=pick(rng, vocab["stickers"]) if slot == "rotated_text" else "",
            sticker_angle=style.angle_deg if slot == "rotated_text" else 0,
            sticker_at=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            wall=tuple(pick(rng, vocab["walls"] if mode == "shelf" else vocab["pages"])),
            board=tuple(pick(rng, vocab["boards"])), rail=tuple(pick(rng, vocab["rails"])), accent=accent,
            card=tuple(pick(rng, vocab["cards"])), columns=max(len(r) for r in rows), focus=focus, word=word,
            old_asked=bool(slot == "fine_text" and mode == "grid" and rng.random() < 0.5), zoom=geometry.zoom, ppc=ppc,
            **_question_fields(request, rng, asked, mode, rows, ppc, label_font, size))

    def _sample_localized(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> ShelfContent:
        """Shelves or a product grid in another language: the same arrangements as in English
        (every slot), the products the language's lines (`_localized`: its goods and flavour
        words, CLDR sizes, invented brands of the script), prices in the locale's format (Babel;
        Latin digits or the locale's own, sizes too), the store's name (receipts' formats) on the
        sign or the page's bar, the language's word for a discount on sale labels and stickers,
        every line shaped in the script's fonts. Right-to-left grids mirror their cards' text."""
        code, slot, style = request.language, request.slot, request.style
        words, lang = page_words(code), LANGUAGES[code]
        system = languages.page_numbering(lang, rng)
        aisles, small = _localized(code, system)
        vocab = {**vocabulary("shelf"), "aisles": aisles, "small": small, "produce": []}
        scale = min(size) / 512
        mode = "shelf" if slot in SHELF_ONLY or rng.random() < 0.55 else "grid"
        if mode == "grid" and slot == "count_rows" and request.count > 8:
            mode = "shelf"
        base_px = max(6, int(round(rng.integers(7, 10) * scale)))
        target_px = style.text_px if style is not None else base_px
        title_px = style.text_px if slot == "styled_text" else max(10, int(round(rng.integers(13, 20) * scale)))
        stroke_px = style.stroke_px if slot == "styled_text" else 0
        label_font = pick(rng, fonts_for(LABEL_FONTS, code))
        geometry = _Geometry(size, title_px, stroke_px, max(base_px, target_px if slot == "fine_text" else 0),
                             _zoom(rng, size))
        asked = _asked_product(request, rng, vocab, mode, geometry, label_font) if slot in BY_PRODUCT else None
        if mode == "shelf":
            rows, lead, focus, word, ppc = self._shelf_rows(request, rng, vocab, geometry, label_font, asked)
        else:
            rows, focus, word = self._grid_rows(request, rng, vocab, asked)
            ppc, lead = 0.0, (0.0,) * len(rows)
        rows = _one_price_a_size(rows)
        brand = languages.make_pseudoword(lang, rng, 7)[0]
        title = pick(rng, [words["stores"][k] for k in words["shelf"]["stores"]]).format(brand=brand)  # no bakery
        title_font = pick(rng, fonts_for(SIGN_FONTS, code))
        if slot == "styled_text":
            title_font = pick(rng, [f.name for f in styled_fonts(code, style.font_class) if not f.missing(title)]
                              or [title_font])
        sale_word = words["labels"]["discount"]
        # (right to left, a minus sign before the percentage would show after it: the word with it instead)
        stickers = [sale_word] + [languages.in_digits(f"{sale_word} {p}%" if right_to_left(code) else f"-{p}%", system)
                                  for p in (20, 30, 50)]
        return ShelfContent(
            mode=mode, rows=rows, lead=lead, title=title, subtitle="",
            currency=(("language", code), ("digits", system)), title_font=title_font, label_font=label_font,
            price_font=pick(rng, fonts_for(PRICE_FONTS, code)), title_px=title_px,
            title_contrast=style.contrast_ratio if slot == "styled_text" else 0.0, stroke_px=stroke_px,
            price_px=base_px, target_px=target_px, sticker=pick(rng, stickers) if slot == "rotated_text" else "",
            sticker_angle=style.angle_deg if slot == "rotated_text" else 0,
            sticker_at=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            wall=tuple(pick(rng, vocab["walls"] if mode == "shelf" else vocab["pages"])),
            board=tuple(pick(rng, vocab["boards"])), rail=tuple(pick(rng, vocab["rails"])),
            accent=tuple(pick(rng, vocab["accents"])), card=tuple(pick(rng, vocab["cards"])),
            columns=max(len(r) for r in rows), focus=focus, word=word,
            old_asked=bool(slot == "fine_text" and mode == "grid" and rng.random() < 0.5), zoom=geometry.zoom,
            ppc=ppc, language=code, sale_word=sale_word,
            **_question_fields(request, rng, asked, mode, rows, ppc, label_font, size))

    @staticmethod
    def _aisle_of(rows) -> str:
        aisles = [b.product.aisle for row in rows for b in row if not b.filler]
        return max(sorted(set(aisles)), key=aisles.count)

    def _shelf_rows(self, request: Request, rng, vocab, geometry: _Geometry, label_font: str,
                    asked: _Asked | None = None):
        """Three rows of product runs from one aisle; the asked arrangement (a run of n
        facings, n sale labels, n small items, a near-duplicate) put in the middle of rows."""
        slot, n = request.slot, request.count
        aisle = asked.aisle if asked else pick(rng, sorted(vocab["aisles"]))
        lines = list(vocab["aisles"][aisle])
        order = [lines[int(i)] for i in rng.permutation(len(lines))]
        if asked:  # two lines of the aisle kept off the shelves (one of a short aisle's six), the asked
            # one among them unless it is shown
            order = _kept_off(order, asked, 2 if len(order) > 6 else 1, rng)
        used: set[str] = set()
        legible: dict = {}  # (id of a line, scale) -> its (variant, size) pairs printed in full
        kind = _kind_of(asked, vocab["aisles"]) if asked else ""

        def fresh(line, legible_at: float = 0.0, **kw) -> Product | None:
            if legible_at:  # a size and variant whose label prints in full at about this scale, if any
                key = (id(line), legible_at)
                full = legible.get(key)
                if full is None:
                    looks = {(v, z): _look_of(_first_of(line, v, z), legible_at, label_font)
                             for v in line["variants"] for z in line["sizes"]}
                    full = [vz for vz, look in looks.items() if len(look.prints) >= 4]
                    if not full and kind:  # (one no reader would take for the asked product: see _unsure)
                        full = [vz for vz, look in looks.items()
                                if not _unsure(slot, _first_of(line, *vz), kind, _roles(look))]
                    legible[key] = full
                if full:
                    kw["variant"], kw["size"] = full[int(rng.integers(len(full)))]
            for _ in range(6):
                p = _product(line, rng, aisle, **kw)
                # (a line in several cap colours: one cap of a variant and size)
                prefix = f"{p.brand} {p.name} {p.variant}"
                if p.display not in used and (p.cap is None or not any(u.startswith(prefix) for u in used)):
                    used.add(p.display)
                    return p
                kw = {}
            return None

        # Each shelf holds a few lines; a line's products stay on its shelf. Sales are counted
        # per product: more products in narrower runs leave room for more of them.
        per_row = [order[k::N_SHELVES] for k in range(N_SHELVES)]
        products = (2, 4) if slot == "count_rows" else (2, 3) if slot == "presupposition" else (1, 3)
        legible_at = 0.0
        choices: list = []  # the asked product's candidates on each row (see _single)
        for _draw in range(NEAR_DUPLICATE_DRAWS if slot == "near_duplicate_box" else ROW_DRAWS):
            used.clear()
            rows: list[list[Block]] = []
            for k in range(N_SHELVES):
                blocks = []
                for line in per_row[k]:
                    for _ in range(int(rng.integers(*products))):
                        p = fresh(line, legible_at)
                        if p is not None:
                            facings = int(rng.integers(1, 4))
                            if slot == "count_rows":  # wide enough for its price label
                                facings = 1 if _size_cm(p)[0] >= 10 else 2
                            blocks.append(Block(p, facings))
                rows.append(blocks)
            if asked:  # drawn again until the asked product, when shown, prints its full name, and no
                # product of its kind leaves a reader unsure whether it is the asked one (_unsure)
                ppc = geometry.ppc(rows)
                mine = [b.product for row in rows for b in row if asked.of(b.product.brand, b.product.name)]
                names_asked = not asked.present or (mine and _names_it(slot, mine, ppc, label_font))
                unsure = {b.product.display for row in rows for b in row
                          if _unsure(slot, b.product, kind, _printed_roles(b.product, ppc, label_font))}
                if names_asked and not unsure:
                    break
                if _draw == ROW_DRAWS - 1:
                    if not names_asked:
                        raise Resample("the asked product's label is too small to name it")
                    # The last draw's doubtful products left out (the scale stays or grows: labels keep their lines).
                    rows = [[b for b in row if b.product.display not in unsure] for row in rows]
                    if not all(rows):
                        raise Resample("no product of a shelf names itself beside the asked one")
                    break
                legible_at = ppc
                continue
            # Sizes and variants drawn again (no layout yet) until a product can be the asked one
            # (a variant question only needs one: the others choose among every row's).
            if slot not in FOCUS_SLOTS:
                break
            choices = self._candidates_by_row(rows, slot, aisle, used, geometry, label_font,
                                              every=slot != "variant")
            if any(choices):
                break
            legible_at = geometry.ppc(rows)  # the next draw prefers labels that print at this scale
        if slot == "variant" and not any(choices):  # (no label would name a detail to ask about)
            raise Resample("no product whose label names its variant and size")
        focus, word = "", ""
        if slot == "count_merged":
            ppc = geometry.ppc(rows)  # near the final scale: prefer products whose name prints at it
            # Its name prints; the other products of its line leave each shelf two products to fill it with.
            blocks = [b for row in rows for b in row
                      if {"brand", "name"} <= _printed_roles(b.product, ppc, label_font)
                      and all(sum(o.product.line != b.product.line for o in r) >= 2 for r in rows)]
            if not blocks:
                raise Resample("no product's name prints at this scale")
            target = pick(rng, blocks).product
            rows = [[b for b in row if b.product.line != target.line] for row in rows]
            step = _facing_step(target, ppc)
            # One run, or two (three) where a run of wide packages would not fit a shelf.
            parts = 1 if n <= 6 else 2
            while parts < N_SHELVES and math.ceil(n / parts) * step > geometry.size[0] * 0.75:
                parts += 1
            split = [n // parts + (1 if j < n % parts else 0) for j in range(parts)]
            for k, part in zip(rng.permutation(N_SHELVES), split):
                # Before a product of the row (so one can grow after it), where its run fits inside.
                spots = [at for at in range(1, len(rows[k]))
                         if sum(_facing_step(b.product, ppc) for b in rows[k][:at]) + part * step <= geometry.size[0]]
                if not spots:
                    raise Resample("the asked product reaches the edge")
                rows[k].insert(pick(rng, spots), Block(target, part))
            # A sibling of the counted product right next to it makes it hard.
            focus = target.display
        elif slot == "count_marks":
            # Small items whose brand prints at the shelves' scale (they stand lower than
            # what is there, so adding them leaves the scale as it is).
            ppc = geometry.ppc(rows)
            smalls = [s for s in vocab["small"] if any(
                pr.role == "brand" for pr in _look_of(_first_of(s), ppc, label_font).prints)]
            if not smalls:
                raise Resample("the counted product's label is too small to read")
            small = pick(rng, smalls)
            p = _replaced(_product(small, rng, aisle), aisle=aisle)
            rows = [[b for b in row if b.product.line != p.line] for row in rows]  # no bigger sibling
            if n:
                split = [n] if n <= 3 or rng.random() < 0.5 else [n // 2, n - n // 2]
                for k, part in zip(rng.permutation(N_SHELVES), split):
                    rows[k].insert(int(rng.integers(1, max(2, len(rows[k])))), Block(p, part))
            focus = p.display
            used.add(p.display)
        if slot in FOCUS_SLOTS and slot != "variant" and not asked:
            rows, focus, word = self._single(rows, slot, rng, choices)
        if asked and asked.present:  # kept wholly inside, its line's labels checked below
            mine = [(k, i) for k, row in enumerate(rows) for i, b in enumerate(row)
                    if asked.of(b.product.brand, b.product.name)]
            if not mine:
                raise Resample("the asked product did not fit the shelves")
            # (one with a product after it, which can grow to the edge while it stays inside)
            k, i = pick(rng, [(k, i) for k, i in mine if i < len(rows[k]) - 1] or mine)
            focus = rows[k][i].product.display
        # Fillers cut off at the left edge: products of the aisle not otherwise shown.
        lead = []
        shown = {b.product.line for row in rows for b in row}
        spare = [ln for ln in order if (ln["brand"], ln["name"]) not in shown]
        for k in range(N_SHELVES):
            if spare and rng.random() < 0.7:
                p = fresh(spare.pop())
                # (no taller than its shelf's packages when a product is asked about: a taller one
                # would shrink the shelves' scale, and their labels, below what was checked)
                if p is not None and not (asked and rows[k] and
                                          _size_cm(p)[1] > max(_size_cm(b.product)[1] for b in rows[k])):
                    rows[k].insert(0, Block(p, 1, filler=True))
                    lead.append(float(rng.uniform(0.25, 0.75)))
                    continue
            lead.append(0.0)
        ppc = geometry.ppc(rows)
        rows = _filled(rows, lead, focus, ppc, geometry.size, rng)
        inside = _inside_blocks(rows, lead, ppc, geometry.size[0])
        named = [b.product for row in rows for b in row if focus and b.product.line == _line_of(rows, focus)]
        if slot not in SHELF_ONLY and named and not _names_it(slot, named, ppc, label_font):
            raise Resample("the asked product's label is too small to name it")  # checked again on the layout
        counted = next((b.product for row in rows for b in row if b.product.display == focus), None)
        if slot in SHELF_ONLY and counted is not None:  # what is counted prints its name (checked again later)
            printed = _printed_roles(counted, ppc, label_font)
            if not {"brand", "name"} <= printed and not (slot == "count_marks" and "brand" in printed):
                raise Resample("the counted product's label is too small to read")
        if slot in SHELF_ONLY and sum(b.facings for k, row in enumerate(rows) for i, b in enumerate(row)
                                      if b.product.display == focus and (k, i) in inside) != n:
            raise Resample("part of what is counted fell off the shelf")
        if slot == "count_rows":
            rows = self._mark_sales(rows, n, rng, inside)
        else:
            rows = [[_with_sale(b, bool((k, i) in inside and rng.random() < 0.15))
                     for i, b in enumerate(row)] for k, row in enumerate(rows)]
        rows = [[Block(_on_sale(b.product, rng), b.facings, b.sale, b.filler) if b.sale else b for b in row]
                for row in rows]
        return tuple(tuple(r) for r in rows), tuple(lead), focus, word, ppc

    @staticmethod
    def _mark_sales(rows, n: int, rng, inside: set):
        flat = sorted(inside)
        if len(flat) < n:
            raise Resample("fewer products in the middle of the shelves than sales asked for")
        chosen = {flat[int(j)] for j in rng.choice(len(flat), size=n, replace=False)}
        return [[_with_sale(b, (k, i) in chosen) for i, b in enumerate(row)]
                for k, row in enumerate(rows)]

    def _single(self, rows, slot: str, rng, choices: list):
        """The asked product as one facing in the middle of a row; for near-duplicates,
        its variants (one detail changed) placed around it. It is chosen among those the
        layout's checks will pass (`choices`, each row's _candidates): every product of
        its line prints its full name at the shelves' scale, it can stand wholly inside
        the picture, a word of its label is its own (label_word), a variant of it is not
        on the shelf yet (near-duplicates)."""
        usable = [k for k in range(N_SHELVES) if choices[k]]
        if not usable and slot in UNASKED_FOCUS:  # (found on the layout, it cost a layout for nothing)
            raise Resample("no products named in full to ask about")
        if not usable:
            raise Resample("a shelf too short for the asked product")
        k = pick(rng, usable)
        i, twins, unique = choices[k][int(rng.integers(len(choices[k])))]
        row = list(rows[k])
        target = row[i].product
        word = ""
        if slot == "near_duplicate_box":
            twin = pick(rng, twins)
            # Remove any other product of the line, then put the twin's facings beside it.
            rows = [[b for b in r if b.product.line != target.line or b.product == target] for r in rows]
            row = list(rows[k])
            i = row.index(next(b for b in row if b.product == target))
            row.insert(i + (1 if rng.random() < 0.5 else 0), Block(twin, int(rng.integers(2, 4))))
            i = row.index(next(b for b in row if b.product == target))
        row[i] = _with_facings(row[i], 1)
        if slot == "label_word":
            word = pick(rng, unique)
        rows = list(rows)
        rows[k] = row
        return rows, target.display, word

    @staticmethod
    def _candidates_by_row(rows, slot: str, aisle: str, used: set, geometry: _Geometry, label_font: str,
                           every: bool = True) -> list[list]:
        """_candidates of every row (or of the rows up to the first with one, the rest
        left empty), what the rows share worked out once: their scale, which lines print
        their full name, the blocks inside the picture."""
        ppc = geometry.ppc(rows)
        named = None if slot == "near_duplicate_box" else _named_lines(rows, ppc, label_font, geometry.size[0])
        out: list[list] = []
        for k in range(N_SHELVES):
            out.append(ShelfContext._candidates(rows, k, slot, aisle, used, geometry, label_font, ppc, named)
                       if every or not any(out) else [])
        return out

    @staticmethod
    def _candidates(rows, k: int, slot: str, aisle: str, used: set, geometry: _Geometry, label_font: str,
                    ppc: float, named_inside) -> list:
        """(index, variants to put beside it, words of its own) of each product of row k
        that can be the asked one (see _single); the checks run again on the layout. `ppc`
        is the rows' scale, `named_inside` their _named_lines (None for near-duplicates,
        which check their own rows)."""
        row = rows[k]
        width = geometry.size[0]
        out = []
        if slot != "near_duplicate_box":
            named, inside = named_inside
            # Each product's right end with one facing of each product before it.
            ends = list(accumulate(_facing_step(b.product, ppc) for b in row))
        for i in range(1, len(row) - 1):
            target = row[i].product
            twins, unique = [], []
            if slot == "near_duplicate_box":
                line = next(ln for ln in _aisle_lines(aisle) if (ln["brand"], ln["name"]) == target.line)
                twins = [t for t in _variants_of(target, line) if t.display not in used or t.cap != target.cap]
                kept = [[b for b in r if b.product.line != target.line or b.product == target] for r in rows]
                if kept[k][-1].product == target:  # a product after it, to grow to the edge
                    continue
                tallest = [max(_size_cm(b.product)[1] for b in r) for r in kept]
                twins = [t for t in twins if _names_print((target, t), tallest, k, geometry, label_font)]
                if not twins:
                    continue
            else:
                if not named[target.line]:
                    continue
                # Spatial questions ask about products named in full: one directly left of
                # it (left_of), one on another shelf (row_relative).
                if slot == "left_of" and (not named[row[i - 1].product.line]
                                          or sum(named[b.product.line] for r in inside for b in r) < 4):
                    continue
                if slot == "row_relative" and not any(named[b.product.line]
                                                      for r in inside[:k] + inside[k + 1:] for b in r):
                    continue
            if slot == "label_word":
                others = {w.lower() for r in rows for b in r if b.product != target for w in _words_of(b.product)}
                unique = [w for w in _words_of(target) if w.lower() not in others and len(w) >= 3]
                if not unique:
                    continue
            # It fits inside with one facing of each product before it (what _filled can get to).
            if slot == "near_duplicate_box":
                scale = geometry.ppc_of(tallest)
                if sum(_facing_step(b.product, scale) for b in row[:i + 1]) > width:
                    continue
            elif ends[i] > width:
                continue
            out.append((i, twins, unique))
        return out

    def _grid_rows(self, request: Request, rng, vocab, asked: _Asked | None = None):
        slot, n = request.slot, request.count
        n_rows = 3 if slot in ("row_of",) or rng.random() < 0.6 else 2
        cols = int(rng.integers(3, 5))
        if slot == "count_rows" and n + 1 > n_rows * cols:
            n_rows, cols = 3, 4
        # Produce has no variants (near-duplicates, variant questions) and no product lines to be
        # absent (presupposition).
        no_produce = slot in ("near_duplicate_box", "variant", "presupposition")
        aisle = asked.aisle if asked else pick(rng, sorted(vocab["aisles"]) + ([] if no_produce or not vocab["produce"]
                                                                         else ["Produce"]))
        need = n_rows * cols
        pool = []
        used: set[str] = set()
        if aisle == "Produce":
            items = [vocab["produce"][int(i)] for i in rng.permutation(len(vocab["produce"]))]
            for item in _kept_off(items, asked, 0, rng, within=need) if asked else items:
                pool.append(_produce(item, rng))
        else:
            lines = [vocab["aisles"][aisle][int(i)] for i in rng.permutation(len(vocab["aisles"][aisle]))]
            # (at most two cards a line: among the lines of the smallest grid, three columns)
            for line in _kept_off(lines, asked, 0, rng, within=n_rows * 3 // 2) if asked else lines:
                for _ in range(2):
                    p = _product(line, rng, aisle)
                    if p.display not in used:
                        used.add(p.display)
                        pool.append(p)
        while asked and len(pool) < need and cols > 3:  # (an aisle without the asked line)
            cols -= 1
            need = n_rows * cols
        if len(pool) < need:
            raise Resample("too few products for the grid")
        chosen = pool[:need]
        focus, word = "", ""
        if slot == "near_duplicate_box":
            cands = [p for p in chosen if p.package]
            if not cands:
                raise Resample("produce has no near-duplicate variants")
            target = pick(rng, cands)
            line = next(ln for ln in _aisle_lines(aisle) if (ln["brand"], ln["name"]) == target.line)
            twins = _variants_of(target, line)
            others = [p for p in chosen if p.line != target.line]
            twins = [t for t in twins if t.display != target.display]  # a card names its product by its text
            near = [twins[int(j)] for j in rng.permutation(len(twins))][:2]
            chosen = ([target] + near + others)[:need]  # the target and its variants first, all on the page
            order = [chosen[int(j)] for j in rng.permutation(len(chosen))]
            chosen = order
            focus = target.display
        sales = set()
        if slot == "count_rows":
            sales = {int(j) for j in rng.choice(len(chosen), size=n, replace=False)}
        else:
            sales = {j for j in range(len(chosen)) if rng.random() < 0.3}
        if slot == "fine_text" and not sales:
            sales = {int(rng.integers(len(chosen)))}
        cards = [Block(_on_sale(p, rng) if j in sales else p, 1, j in sales) for j, p in enumerate(chosen)]
        rows = [tuple(cards[r * cols:(r + 1) * cols]) for r in range((len(cards) + cols - 1) // cols)]
        if asked and asked.present:  # the shown product asked about
            mine = [p for p in chosen if asked.of(p.brand, p.name)]
            if not mine:
                raise Resample("the asked product did not make the page")
            focus = pick(rng, mine).display
        elif slot != "near_duplicate_box" and slot not in ("count_rows", "variant", "rotated_text", "styled_text",
                                                           *BY_PRODUCT):
            flat = [b for row in rows for b in row]
            eligible = [b for b in flat if b.sale] if slot == "fine_text" else flat
            own = {}
            if slot == "label_word":  # a product with a word of its own on its card
                for b in eligible:
                    others = {w.lower() for o in flat if o.product != b.product for w in _words_of(o.product)}
                    own[b.product] = [w for w in _words_of(b.product) if w.lower() not in others and len(w) >= 3]
                eligible = [b for b in eligible if own[b.product]]
                if not eligible:
                    raise Resample("no word of the product's card is its own")
            target = pick(rng, eligible).product
            focus = target.display
            if slot == "label_word":
                word = pick(rng, own[target])
        return tuple(rows), focus, word

    def optional_fields(self, content: ShelfContent, request: Request) -> dict[str, bool] | None:
        """The one product line sampling picked first and drew shown or absent
        (`_asked_product`): "any X" (absent_field), or the product whose price is asked
        (presupposition: the shown one kept inside, or the absent one named)."""
        if not content.asked:
            return None
        asked = _Asked(*content.asked)
        if request.slot == "absent_field":
            return {f"any {_as_written(asked.name, content)}": bool(request.present)}
        if request.present:
            return {content.focus: True}
        return {content.absent.display: False}

    # The one change of a minimal pair --------------------------------------------------

    def change(self, content: ShelfContent, request: Request, rng: np.random.Generator,
               focus: tuple[str, ...] = ()) -> ShelfContent:
        slot = request.slot
        rows = [list(r) for r in content.rows]
        where = {b.product.display: (k, i) for k, r in enumerate(rows) for i, b in enumerate(r)}
        if slot == "fine_text":
            k, i = where[content.focus]
            b = rows[k][i]
            cents = b.product.old_price if content.old_asked else b.product.price
            printed = money(cents, content.money)
            changed = parse_money(near_miss(printed, rng), content.money)
            if changed == b.product.price or changed == b.product.old_price:
                raise Resample("the changed price is the other price")
            new = dataclasses.replace(b.product, **{"old_price" if content.old_asked else "price": changed})
            rows[k][i] = dataclasses.replace(b, product=new)
            return self._with_rows(content, rows, content.focus)
        if slot == "rotated_text":
            sticker = one_char_changed(content.sticker, font_named(content.label_font), rng, content.language,
                                       content.target_px)
            return dataclasses.replace(content, sticker=sticker)
        if slot == "styled_text":
            return dataclasses.replace(content, title=one_char_changed(content.title, font_named(content.title_font),
                                                                       rng, content.language, content.title_px))
        if slot in ("count_merged", "count_marks"):
            spots = [(k, i) for k, r in enumerate(rows) for i, b in enumerate(r) if b.product.display == content.focus]
            if spots and (slot == "count_merged" or rng.random() < 0.5):
                k, i = pick(rng, spots)
                b = rows[k][i]
                step = 1 if b.facings == 1 else -1  # one fewer never pushes it off the shelf
                rows[k][i] = dataclasses.replace(b, facings=b.facings + step)
            else:  # no small item yet: one added
                small = next(s for s in _small_lines(content) if _display_of(s, content.focus))
                p = dataclasses.replace(_product(small, rng, rows[0][0].product.aisle), aisle=rows[0][0].product.aisle)
                p = _matching(p, content.focus, small, rng)
                k = int(rng.integers(N_SHELVES))
                rows[k].insert(max(1, len(rows[k]) // 2), Block(p, 1))
            return self._with_rows(content, rows, content.focus)
        if slot == "count_rows":
            k, i = pick(rng, [(k, i) for k, r in enumerate(rows) for i, b in enumerate(r)
                              if not b.filler and 0 < i < len(r) - 1 or (content.mode == "grid" and not b.filler)])
            b = rows[k][i]
            p = b.product
            p = dataclasses.replace(p, old_price=0) if b.sale else _on_sale(p, rng)
            rows[k][i] = dataclasses.replace(b, product=p, sale=not b.sale)
            return self._with_rows(content, rows, content.focus)
        if slot in ("row_of", "row_relative") and focus:
            k = where[focus[0]][0]
            other = (k + 1 + int(rng.integers(len(rows) - 1))) % len(rows)
            if slot == "row_relative" and len(focus) > 1:
                other = where[focus[1]][0]
            rows[k], rows[other] = rows[other], rows[k]
            lead = list(content.lead)
            lead[k], lead[other] = lead[other], lead[k]
            return dataclasses.replace(self._with_rows(content, rows, content.focus), lead=tuple(lead))
        if slot == "left_of" and focus:
            (ka, ia), (kb, ib) = where[focus[0]], where[focus[1]]
            rows[ka][ia], rows[kb][ib] = rows[kb][ib], rows[ka][ia]
            return self._with_rows(content, rows, content.focus)
        if slot in ("absent_field", "presupposition"):
            return self._line_flipped(content, request, rng, rows)
        if slot == "variant" and focus:
            return self._variant_flipped(content, request, rng, rows, focus[0])
        raise Resample(f"shelves make no minimal pair for {slot}")

    def _line_flipped(self, content: ShelfContent, request: Request, rng, rows) -> ShelfContent:
        """The twin of "is there any X" or "what is the price of X": the asked product's
        line taken off (each of its blocks another line of the picture's aisle, not shown
        yet), or put on (in place of one product wholly inside the picture), all else where
        it was."""
        asked = _Asked(*content.asked)
        mine = [(k, i) for k, row in enumerate(rows) for i, b in enumerate(row)
                if asked.of(b.product.brand, b.product.name)]
        if mine:
            taken = next(rows[k][i].product for k, i in mine if rows[k][i].product.display == content.focus) \
                if request.slot == "presupposition" else None
            spare = _off_products(rows, asked, rng)
            for k, i in mine:
                rows[k][i] = _swapped(rows, k, i, spare, content, request.slot)
            return dataclasses.replace(self._with_rows(content, rows, ""), absent=taken)
        if request.slot == "presupposition":
            put = [content.absent]
        else:
            aisle, line = _line_asked(asked, content)
            put = [_produce(line, rng)] if aisle == "Produce" else \
                [_product(line, rng, aisle, variant=v, size=z) for v in line["variants"] for z in line["sizes"]]
        inside = _inside_blocks(rows, content.lead, content.ppc, content.width) \
            if content.mode == "shelf" else {(k, i) for k, row in enumerate(rows) for i in range(len(row))}
        spots = sorted((k, i) for k, i in inside if 0 < i < len(rows[k]) - 1 or content.mode == "grid")
        for k, i in [spots[int(j)] for j in rng.permutation(len(spots))]:
            fits = [p for p in put if _fits_in(rows, k, i, p, content, request.slot)]
            if fits:
                new = pick(rng, fits)
                rows[k][i] = Block(new, rows[k][i].facings, False, False)
                return dataclasses.replace(self._with_rows(content, rows, new.display if content.absent else ""),
                                           absent=None)
        raise Resample("no place on the shelves for the asked product")

    def _variant_flipped(self, content: ShelfContent, request: Request, rng, rows, phrase: str) -> ShelfContent:
        """The twin of a variant question: the asked size, variant or cap taken off its
        line's products (each given another, one its line does not show yet where there is
        one), or given to one product of the line that shows another."""
        kind = content.detail
        for k, row in enumerate(rows):
            for i, b in enumerate(row):
                p = b.product
                line = _line_of_product(p) if p.package and not b.filler else None
                if line is None:
                    continue
                if request.present and (kind != "cap" or p.cap is not None) and _variant_phrase(p, kind) == phrase:
                    shown = {_detail_of(kind, o.product) for r in rows for o in r if o.product.line == p.line}
                    mine = [(kk, ii) for kk, r in enumerate(rows) for ii, o in enumerate(r)
                            if o.product.line == p.line and _detail_of(kind, o.product) == _detail_of(kind, p)]
                    displays = {o.product.display for r in rows for o in r}
                    for kk, ii in mine:
                        others = [a for a in _variants_of(rows[kk][ii].product, line)
                                  if _detail_kind_of(a, rows[kk][ii].product) == kind
                                  and _fits_in(rows, kk, ii, a, content, request.slot)]
                        # (one its line does not show yet, where there is one; never a product shown
                        # already: each product in one place, at one price)
                        others = [a for a in others if _detail_of(kind, a) not in shown] or \
                            [a for a in others if a.display not in displays]
                        if not others:
                            raise Resample(f"no other {kind} of the line to show instead")
                        new = pick(rng, others)
                        displays.add(new.display)
                        rows[kk][ii] = Block(new, rows[kk][ii].facings, rows[kk][ii].sale, False)
                    return self._with_rows(content, rows, content.focus)
                if not request.present:
                    for alt in _variants_of(p, line):
                        if _detail_kind_of(alt, p) == kind and _variant_phrase(alt, kind) == phrase \
                                and _fits_in(rows, k, i, alt, content, request.slot):
                            rows[k][i] = Block(alt, b.facings, b.sale, False)
                            return self._with_rows(content, rows, content.focus)
        raise Resample("the asked variant has no twin on these shelves")

    @staticmethod
    def _with_rows(content: ShelfContent, rows, focus: str) -> ShelfContent:
        return dataclasses.replace(content, rows=tuple(tuple(r) for r in rows), focus=focus)

    # Layout --------------------------------------------------------------------------

    def layout(self, content: ShelfContent, request: Request, size: tuple[int, int]) -> Page:
        drawer = _Drawer(content, request, size)
        if content.mode == "shelf":
            drawer.shelves()
        else:
            drawer.grid()
        if content.sticker:
            drawer.sticker()
        scene = Scene(size[0], size[1], "store shelf" if content.mode == "shelf" else "web page",
                      content.wall, tuple(drawer.finished_items()))
        return _page(scene, content, request, drawer)


# Slots whose question picks its own subject among the products named in full (the one
# facing made for them is not what is asked): with no product to make it, the shelves are
# drawn again before any layout (the question would find none on it).
UNASKED_FOCUS = ("row_of", "left_of", "row_relative", "presupposition")
# Slots that need a product named in full (variant: to ask about its size or variant).
FOCUS_SLOTS = ("named_box", "near_duplicate_box", "label_word", "fine_text", "variant") + UNASKED_FOCUS
ROW_DRAWS = 8  # draws of the shelves' products (before any layout) to find one
# ... of a product and a twin both named in full: after three draws of one aisle at one
# scale, a draw found them 1 time in 20, a fresh page (another aisle, its own scale) 1 in 3
NEAR_DUPLICATE_DRAWS = 3
EXPLODED = ("variant", "near_duplicate_box", "absent_field")  # slots that read packages' print
BY_PRODUCT = ("absent_field", "presupposition")  # slots whose product is picked first (_asked_product)


def _look(p: Product, ppc: float, label_font: str) -> Look:
    look = p.looks.get((ppc, label_font))
    if look is None:
        look = p.looks[ppc, label_font] = _look_of(_label_of(p), ppc, label_font)
    return look


@lru_cache(maxsize=4096)
def _look_of(p: _Label, ppc: float, label_font: str) -> Look:
    """A package's look, remembered by what it depends on (products of one line and size
    at one scale share it, whatever their price)."""
    size_cm = _size_of(p.package, p.size)
    pack = package(p.package, *size_cm)
    x0, y0, x1, y1 = (v * ppc for v in pack.panel)
    return Look(p.package, *size_cm, ppc, _paints_of(p.body, p.label, p.cap), _prints(p, (x0, y0, x1, y1), label_font))


@lru_cache(maxsize=1024)
def _paints_of(body: tuple, label: tuple, cap: tuple | None) -> tuple:
    """A line's package paints, once per colours (a look is made per scale)."""
    return tuple(package_paints(body, label, cap).items())


@lru_cache(maxsize=1024)
def _label_inks(body: tuple, label: tuple) -> tuple[tuple, tuple]:
    """(the ink of a label's lines, its brand's), once per colours: the darker or
    lighter ink the label contrasts with more; the brand in the body's colour where
    that stands out from the label."""
    ink = INK if contrast_ratio(INK, label) >= contrast_ratio(PAPER, label) else PAPER
    return ink, body if contrast_ratio(body, label) >= 3.0 else ink


def _prints(p: _Label, panel, label_font: str) -> tuple[Print, ...]:
    """Brand, product word, variant and size stacked on the label panel, each as big as
    fits; lines too small to read are left off (the brand never: then nothing is printed)."""
    x0, y0, x1, y1 = panel
    w, h = (x1 - x0) * 0.82, y1 - y0  # a margin each side, so neighbours' labels do not run together
    ink, brand_rgb = _label_inks(p.body, p.label)
    # (another language's product word as it is written: Greek capitals drop their accents)
    name = p.name if p.language else p.name.upper()
    lines = [("brand", p.brand, p.brand_font, 0.26, brand_rgb), ("name", name, label_font, 0.16, ink),
             ("variant", p.variant, label_font, 0.15, ink), ("size", p.size, label_font, 0.15, ink)]
    shaping = page_shaping(p.language)
    sized = []
    for role, text, font, share, rgb in lines:
        for face in (font, label_font):  # a wide logo font falls back to the label's
            px, info = int(min(h * share, 40)), font_named(face)
            while px >= MIN_DETAIL_PX and measured_width(text, info, px, shaping) > w:
                px -= 1
            if px >= MIN_DETAIL_PX:
                break
        if shaping is not None and glyph_failures(str(info.path), 20.0, text, shaping):
            px = 0  # a line HarfBuzz cannot shape with the font is not printed (the brand: nothing is)
        sized.append((role, text, face, px, rgb))
    sized = sized[:1] + [t for t in sized[1:] if t[3] >= MIN_DETAIL_PX]
    while len(sized) > 1 and sum(t[3] * LINE_GAP for t in sized) > h * 0.96:
        sized.pop()
    if sized[0][3] < MIN_DETAIL_PX or sum(t[3] * LINE_GAP for t in sized) > h * 0.96:
        return ()
    y = y0 + max(0.0, (h - sum(t[3] * LINE_GAP for t in sized)) / 2)
    out = []
    for role, text, face, px, rgb in sized:
        y += px * LINE_GAP
        out.append(Print(role, text, face, px, rgb, ((x0 + x1) / 2, y - px * 0.78),
                         DETAIL if role in ("variant", "size") else (), shaping))
    return tuple(out)


@dataclass(frozen=True)
class _Geometry:
    """What decides the shelves' scale (pixels per centimetre): sample and layout share it."""

    size: tuple[int, int]
    title_px: int
    stroke_px: int
    price_px: int  # the largest price label's cap height
    zoom: float

    @property
    def scale(self) -> float:
        return min(self.size) / 512

    @property
    def title_h(self) -> float:
        return self.title_px * 2.2 + 2 * self.stroke_px + 6

    @property
    def top(self) -> float:
        return self.title_h + 10 * self.scale

    @property
    def rail_h(self) -> int:
        return max(round(13 * self.scale), int(self.price_px * 2.1) + 4)

    @property
    def board_h(self) -> int:
        return max(3, round(4 * self.scale))

    @property
    def gap(self) -> int:
        return max(6, round(8 * self.scale))

    @cached_property
    def _room(self) -> tuple[float, int]:
        """(the top of the first shelf, what each shelf takes beside its packages)."""
        return self.top, self.rail_h + self.board_h + self.gap

    def ppc(self, rows) -> float:
        return self.ppc_of([max(_size_cm(b.product)[1] for b in row) for row in rows])

    def ppc_of(self, tallest: list[float]) -> float:
        """`ppc` of rows whose tallest packages are this tall (cm), row by row."""
        top, per_row = self._room
        room = self.size[1] - top - len(tallest) * per_row - 2
        # On a grid of quarter pixels, so that printed packages recur across pictures (their stamps are cached).
        return math.floor(room / sum(tallest) * self.zoom * 4) / 4


class _NoRoomBeside(Resample):
    """A card's old price does not fit beside its price (large print on a narrow card):
    the card is drawn again with the old price under the price."""


def _zoom(rng, size: tuple[int, int]) -> float:
    """How much of a shelf's height its tallest package takes (the rest is headroom). A
    portrait picture's three shelves are tall: its packages are drawn smaller by the
    square root of its aspect (0.61 at 384x1024), so that a shelf holds products enough
    to count (a row held three, and nine sales could never be marked)."""
    width, height = size
    return float(rng.uniform(0.8, 0.97)) * min(1.0, math.sqrt(width / height))


FACING_GAP_PX = 1  # facings touch but for one pixel, so each keeps its own outline
# Facings of one product in a row, at most: a row of a square picture that this many of each
# of its products leave short of the edge is drawn again; one of a picture k times as wide as
# tall (long shelves of small packages) runs its products up to k times as long first.
MAX_FACINGS = 10


def _spans(row, lead: float, ppc: float) -> list[tuple[int, int]]:
    """(left, right) of each block of a row in whole pixels (facings start on whole pixels)."""
    x = -round(lead * _size_cm(row[0].product)[0] * ppc) if row else 0
    out = []
    for b in row:
        step = _facing_step(b.product, ppc)
        out.append((x, x + b.facings * step))
        x += b.facings * step
    return out


def _facing_step(p: Product, ppc: float) -> int:
    return math.ceil(_size_cm(p)[0] * ppc) + FACING_GAP_PX


def _inside_blocks(rows, lead, ppc: float, width: int) -> set[tuple[int, int]]:
    return {(k, i) for k, row in enumerate(rows) for i, (x0, x1) in enumerate(_spans(row, lead[k], ppc))
            if x0 >= 0 and x1 <= width and not row[i].filler}


def _filled(rows, lead, focus: str, ppc: float, size: tuple[int, int], rng) -> list[list[Block]]:
    """Rows with facings added to their plain products until each runs past the right
    edge of a picture of `size`, and blocks that start beyond it dropped; the asked
    product stays wholly inside (one more plain product after it when it would reach the
    edge)."""
    width, height = size
    rows = [list(r) for r in rows]
    wide_most = math.ceil(MAX_FACINGS * width / height)  # (a square picture's rows: MAX_FACINGS)
    for k, row in enumerate(rows):
        plain = [i for i, b in enumerate(row) if not b.filler and b.product.display != focus]
        most, steps, step = MAX_FACINGS, 40, 0
        while step < steps:
            step += 1
            if _spans(row, lead[k], ppc)[-1][1] > width:
                break
            grow = [i for i in plain if row[i].facings < most]
            if not grow and most < wide_most:  # (a wide picture's long shelves: longer runs)
                most, steps = wide_most, step + 40
                grow = [i for i in plain if row[i].facings < most]
            if not grow:
                raise Resample("a shelf row too short to reach the edge")
            i = pick(rng, grow)
            row[i] = _with_facings(row[i], row[i].facings + 1)
        for _ in range(40):  # the asked product pulled back inside, the row still reaching the edge
            spans = _spans(row, lead[k], ppc)
            at = max((i for i, b in enumerate(row) if b.product.display == focus), default=None)
            if at is None or spans[at][1] <= width and spans[-1][1] > width:
                break
            before = [i for i in plain if i < at and row[i].facings > 1]
            after = [i for i in plain if i > at and row[i].facings < MAX_FACINGS]
            earlier = [i for i in plain if i < at]
            if spans[at][1] > width and before:
                i = pick(rng, before)
                row[i] = _with_facings(row[i], row[i].facings - 1)
            elif spans[at][1] > width and earlier:  # swapped with a plain product before it
                i = earlier[-1]
                row[i], row[at] = row[at], row[i]
                plain = [j if j != i else at for j in plain]
            elif spans[at][1] <= width and after:
                i = pick(rng, after)
                row[i] = _with_facings(row[i], row[i].facings + 1)
            else:
                raise Resample("the asked product reaches the edge")
        spans = _spans(row, lead[k], ppc)
        row[:] = [b for b, (x0, _x1) in zip(row, spans) if x0 < width]
    return rows


def _names_it(slot: str, line: list[Product], ppc: float, label_font: str) -> bool:
    """Whether the labels of a line's products on the shelves name what is asked at this
    scale: the product's name for "is there any X" (absent_field: on one of them), else
    each product in full (brand, name, variant and size: what tells it from its siblings)."""
    looks = [_look_names(slot, _look(p, ppc, label_font)) for p in line]
    return any(looks) if slot == "absent_field" else all(looks)


def _roles(look: Look) -> set[str]:
    """What a package's label prints: brand, name, variant, size (those that fit)."""
    return {pr.role for pr in look.prints}


def _printed_roles(p: Product, ppc: float, label_font: str) -> set[str]:
    return _roles(_look(p, ppc, label_font))


def _look_names(slot: str, look: Look) -> bool:
    """`_names_it` of one package's look."""
    return "name" in _roles(look) if slot == "absent_field" else len(look.prints) >= 4


def _named_lines(rows, ppc: float, label_font: str, width: int) -> tuple[dict, list]:
    """(line -> whether all its products print their full name at this scale, the
    blocks of each row within the picture at their present runs but the last: runs grown
    to reach the edge may push it out). The same for every row of one draw: worked out
    once for the three (_candidates_by_row)."""
    lines: dict = {}
    for r in rows:
        for b in r:
            lines.setdefault(b.product.line, []).append(b.product)
    named = {line: all(len(_look(p, ppc, label_font).prints) >= 4 for p in ps) for line, ps in lines.items()}
    inside = [[b for b, (_x0, x1) in zip(r, _spans(r, 0.0, ppc)) if x1 <= width][:-1] for r in rows]
    return named, inside


def _names_print(pair: tuple[Product, Product], tallest: list[float], k: int, geometry: _Geometry,
                 label_font: str) -> bool:
    """Whether a product and its twin both print their full name (brand, product word,
    variant, size) with the twin's facings added to row k: at the scale of rows whose
    tallest packages are `tallest` but for the twin's on row k (the rows' `ppc`)."""
    ppc = geometry.ppc_of(tallest[:k] + [max(tallest[k], _size_cm(pair[1])[1])] + tallest[k + 1:])
    return all(len(_look(p, ppc, label_font).prints) >= 4 for p in pair)


def _line_of(rows, display: str) -> tuple[str, str] | None:
    return next((b.product.line for row in rows for b in row if b.product.display == display), None)


SIZE_UP_PRICE = 1.4  # a line's next size up costs this much more (its price, and its old price on sale)


def _variants_of(p: Product, line: dict) -> list[Product]:
    """Products of the same line that differ from p in exactly one detail (another size
    at its own price: a 200 g box beside the 50 g one had cost the same)."""
    out = []
    for size in line["sizes"]:
        if size != p.size:
            out.append(_resized(p, size, line))
    for variant in line["variants"]:
        if variant != p.variant:
            out.append(_replaced(p, variant=variant))
    for cap in line.get("caps", []):
        if p.cap is not None and tuple(cap) != p.cap:
            out.append(_replaced(p, cap=tuple(cap)))
    return out


def _resized(p: Product, size: str, line: dict) -> Product:
    """p in another size of its line, priced SIZE_UP_PRICE a size up (or down)."""
    return _repriced(_replaced(p, size=size), _size_price(p, size, line), line)


def _size_price(p: Product, size: str, line: dict) -> int:
    """What p's line charges for `size`, from p's price: SIZE_UP_PRICE a size up (or
    down), to the line's price step."""
    sizes, step = line["sizes"], line.get("step", 1)
    factor = SIZE_UP_PRICE ** (sizes.index(size) - sizes.index(p.size))
    return max(step, int(round(p.price * factor / step)) * step)


def _repriced(p: Product, price: int, line: dict) -> Product:
    """p at `price`; on sale, its old price keeps its discount, still above the price."""
    if price == p.price:
        return p
    step = line.get("step", 1)
    old = max(price + step, int(round(price * p.old_price / p.price / step)) * step) if p.old_price else 0
    return _replaced(p, price=price, old_price=old)


def _one_price_a_size(rows: tuple) -> tuple:
    """The rows with each product line priced as one store prices it: every product of a
    line at its first one's price (in row order), SIZE_UP_PRICE a size up or down, its
    flavours alike (a 1.5 l bottle had cost less than the 500 ml one beside it, each price
    drawn apart); one on sale keeps its discount. Produce and the small items keep theirs."""
    first: dict = {}
    out = []
    for row in rows:
        blocks = []
        for b in row:
            p = b.product
            line = _line_of_product(p) if p.package else None
            anchor = first.setdefault(p.line, p) if line is not None else p
            if anchor is p or p.size not in line["sizes"]:
                blocks.append(b)
                continue
            q = _repriced(p, _size_price(anchor, p.size, line), line)
            blocks.append(b if q is p else Block(q, b.facings, b.sale, b.filler))
        out.append(tuple(blocks))
    return tuple(out)


def _words_of(p: Product) -> list[str]:
    return [w for part in (p.brand, p.name, p.variant) for w in part.split()]


def _display_of(line: dict, display: str) -> bool:
    return display.startswith(f"{line['brand']} {line['name']} ")


def _matching(p: Product, display: str, line: dict, rng) -> Product:
    """The small line's product named `display`."""
    for variant in line["variants"]:
        for size in line["sizes"]:
            q = _replaced(p, variant=variant, size=size)
            if q.display == display:
                return q
    raise Resample("the small item is gone")


# Drawing -------------------------------------------------------------------------------

@dataclass
class _Drawn:
    """What was drawn for one product: its items and where."""

    product: Product
    block: Block
    row: int
    packages: list = dataclasses.field(default_factory=list)  # package (or emoji, or card) item ids
    texts: dict = dataclasses.field(default_factory=dict)  # per facing: role -> text item id
    facing_texts: list = dataclasses.field(default_factory=list)  # text ids of each facing
    price: int = 0  # id of the printed price
    old: int = 0  # id of the struck-through old price
    label: list = dataclasses.field(default_factory=list)  # ids of the shelf label or sale badge
    card: int = 0
    card_items: list = dataclasses.field(default_factory=list)
    inside: bool = True  # every facing inside the picture
    whole: bool = False  # a facing wholly inside the picture (a reader sees what its label prints)


class _Drawer:
    def __init__(self, content: ShelfContent, request: Request, size: tuple[int, int]):
        self.c, self.request, self.size = content, request, size
        self.items: list = []
        self.next_id = 1
        self.drawn: list[_Drawn] = []
        self.title_id = 0
        self.sticker_id = 0
        self.scale = min(size) / 512
        self.shaping = content.shaping  # None for English (and Latin-script languages): basic layout
        self.rtl = right_to_left(content.language)  # a right-to-left grid mirrors its cards' text

    def width(self, text: str, font, px: int) -> float:
        return measured_width(text, font, px, self.shaping)

    def take(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def rect(self, box, rgb, role: str, label: str, z: int, radius: float = 0.0) -> _Rect:
        points = _round_rect_points(box, radius) if radius else np.array(rect_points(box), dtype=float)
        item = _Rect(self.take(), role, label, tuple(rgb), points, z)
        self.items.append(item)
        return item

    def finished_items(self) -> list:
        """The items drawn, each rectangle a ShapeItem of its outline (model.outline_item),
        their boxes worked out in one call for all of a page's."""
        rects = [it for it in self.items if type(it) is _Rect]
        made = {}
        for n in sorted({len(it.points) for it in rects}):
            group = [it for it in rects if len(it.points) == n]
            points = np.stack([it.points for it in group])
            # Its bounds, shapely's: its points' extremes (an item's bbox, which the renderer asks first).
            boxes = np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1).tolist()
            for it, box in zip(group, boxes):
                made[it.item_id] = outline_item(it.item_id, it.role, it.label, "rectangle", it.rgb, it.points, it.z,
                                                bbox=tuple(box))
        return [made[it.item_id] if type(it) is _Rect else it for it in self.items]

    def text(self, text: str, font, px: int, center, rgb, role: str, on: int, z: int, *, stroke_px: int = 0,
             stroke_rgb=None, angle: float = 0.0, attributes=()) -> TextItem:
        layout = moved(_laid_out(text, font, px, stroke_px, angle, self.shaping), center)
        item = made_item(TextItem, item_id=self.take(), role=role, layout=layout, rgb=tuple(rgb), z=z,
                         stroke_rgb=stroke_rgb, on_item=on, attributes=tuple(attributes), char_detail=False)
        self.items.append(item)
        return item

    def text_left(self, text: str, font, px: int, x: float, y_mid: float, rgb, role: str, on: int, z: int,
                  attributes=()) -> TextItem:
        width = self.width(text, font, px)
        return self.text(text, font, px, (x + width / 2, y_mid), rgb, role, on, z, attributes=attributes)

    def text_right(self, text: str, font, px: int, x: float, y_mid: float, rgb, role: str, on: int, z: int,
                   attributes=()) -> TextItem:
        """A line that ends at x (a right-to-left card's text)."""
        return self.text_left(text, font, px, x - self.width(text, font, px), y_mid, rgb, role, on, z, attributes)

    def price(self, cents: int, font, px: int, x: float, y_mid: float, rgb, on: int, z: int,
              role: str = "price") -> tuple[TextItem, list[TextItem]]:
        """A price as printed ("£1.49", "1,49 €"), its amount a text item of its own (what
        is read) and the currency sign another: (the amount, every part left to right)."""
        full, amount = money(cents, self.c.money, symbol=True), money(cents, self.c.money)
        if self.c.language:
            return self.price_parts(cents, font, px, x, y_mid, rgb, on, z, role)
        at = full.index(amount)
        before, after = full[:at], full[at + len(amount):]
        parts = []
        if before.strip():
            parts.append(self.text_left(before.strip(), font, px, x, y_mid, rgb, "currency", on, z))
        value = self.text_left(amount, font, px, x + measured_advance(before, font, px), y_mid, rgb, role, on, z)
        parts.append(value)
        if after.strip():
            parts.append(self.text_left(after.strip(), font, px, x + measured_advance(before + amount + " ", font, px), y_mid,
                                        rgb, "currency", on, z))
        return value, parts

    def price_pieces(self, cents: int, font, px: int) -> list[tuple[str, str, float]]:
        """Another language's price as (text, role, gap after it) from left to right as
        seen: the locale's amount and currency sign (Babel), which a right-to-left price
        shows in the opposite order to its logical one."""
        full, amount = money(cents, self.c.money, symbol=True), money(cents, self.c.money)
        at = full.index(amount)
        before, after = full[:at], full[at + len(amount):]
        logical = [(before.strip(), "currency", before), (amount, "", ""), (after.strip(), "currency", after)]
        pieces = [p for p in (logical[::-1] if self.rtl else logical) if p[0]]
        space = self.width(" ", font, px)
        out = []
        for k, (text, kind, raw) in enumerate(pieces):
            gap = 0.0
            if k + 1 < len(pieces):  # a space between two parts where the locale prints one
                nxt = pieces[k + 1]
                gap = space if (raw or nxt[2]).strip() != (raw or nxt[2]) else 0.0
            out.append((text, kind, gap))
        return out

    def price_width(self, cents: int, font, px: int) -> float:
        return sum(self.width(text, font, px) + gap for text, _kind, gap in self.price_pieces(cents, font, px))

    def price_parts(self, cents: int, font, px: int, x: float, y_mid: float, rgb, on: int, z: int,
                    role: str = "price") -> tuple[TextItem, list[TextItem]]:
        """`price` for another language: its pieces from x rightwards as seen."""
        parts, value = [], None
        for text, kind, gap in self.price_pieces(cents, font, px):
            item = self.text_left(text, font, px, x, y_mid, rgb, kind or role, on, z)
            value = item if not kind else value
            parts.append(item)
            x += self.width(text, font, px) + gap
        return value, parts

    # The title: an aisle sign or a store's header bar ---------------------------------

    def title(self, box, background) -> None:
        c = self.c
        font = font_named(c.title_font)
        rgb = INK if contrast_ratio(INK, background) >= contrast_ratio(PAPER, background) else PAPER
        stroke_rgb = None
        if c.title_contrast:
            rgb = ink_for_contrast(background, c.title_contrast)
        if c.stroke_px:
            stroke_rgb, rgb = rgb, background
        if self.width(c.title, font, c.title_px) + 2 * c.stroke_px > box[2] - box[0] - 8:
            raise Resample("the title does not fit its sign")
        sign = self.rect(box, background, "sign", "aisle sign" if c.mode == "shelf" else "header", z=2,
                         radius=4 if c.mode == "shelf" else 0)
        self.title_id = self.text(c.title, font, c.title_px, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), rgb,
                                  "heading", sign.item_id, 3, stroke_px=c.stroke_px, stroke_rgb=stroke_rgb).item_id

    def sign_background(self) -> tuple[int, int, int]:
        """The title's ground: the accent, or white when the asked contrast needs it."""
        c = self.c
        if c.title_contrast and max_contrast(c.accent) < c.title_contrast:
            return PAPER if c.mode == "shelf" else c.wall
        return c.accent

    # Shelves -------------------------------------------------------------------------

    def shelves(self) -> None:
        c = self.c
        width, height = self.size
        s = self.scale
        g = _Geometry(self.size, c.title_px, c.stroke_px,
                      max(c.price_px, c.target_px if self.request.slot == "fine_text" else 0), c.zoom)
        w = min(width * 0.9, self.width(c.title, font_named(c.title_font), c.title_px) + 2 * c.stroke_px + 40 * s)
        self.title(((width - w) / 2, 5 * s, (width + w) / 2, 5 * s + g.title_h), self.sign_background())
        ppc = c.ppc or g.ppc(c.rows)
        if ppc < 2.0:
            raise Resample("the shelves are too crowded to draw")
        y = g.top
        for k, row in enumerate(c.rows):
            floor = round(y + max(_size_cm(b.product)[1] for b in row) * ppc / c.zoom + g.gap)
            self.rect((0, y, width, floor), mix(c.wall, (0, 0, 0), 0.08), "shelf_back", "shelf back", z=1)
            self.rect((0, floor, width, floor + g.board_h), c.board, "shelf", "shelf board", z=2)
            self.rect((0, floor + g.board_h, width, floor + g.board_h + g.rail_h), c.rail, "rail", "price rail", z=2)
            self.row(k, row, ppc, floor, floor + g.board_h, g.rail_h, g.price_px)
            y = floor + g.board_h + g.rail_h

    def row(self, k: int, row, ppc: float, floor: float, rail_top: float, rail_h: float,
            price_px: int) -> None:
        c = self.c
        width = self.size[0]
        label_end = -1e9
        for block, (x, _end) in zip(row, _spans(row, c.lead[k], ppc)):
            if x >= width:
                break
            fh = _size_cm(block.product)[1] * ppc
            step = _facing_step(block.product, ppc)
            drawn = _Drawn(block.product, block, k)
            start = x
            for f in range(block.facings):
                if x >= width:
                    drawn.inside = False
                    break
                ids = self.facing(block.product, (x, int(round(floor - fh))), ppc, first=f == 0)
                drawn.packages.append(ids[0])
                drawn.facing_texts.append(ids[1])
                if x < 0 or x + step - FACING_GAP_PX > width:
                    drawn.inside = False
                else:
                    drawn.whole = True
                x += step
            # Every product has its label; those of cut-off products only where they fit.
            label_end = self.shelf_label(drawn, max(start, 0) + 2, rail_top, rail_h, price_px, label_end,
                                         min(x, width), required=drawn.inside and not block.filler)
            self.drawn.append(drawn)

    def facing(self, p: Product, origin: tuple[int, int], ppc: float, first: bool = True) -> tuple[int, dict]:
        """One package with its top-left corner at `origin`, its label printed on it:
        (its id, role -> id of each printed line, 0 when drawn as one stamp). The print
        of a product's first facing is read by some questions: there it is text items."""
        look = _look(p, ppc, self.c.label_font)
        attributes = (("product", p.display), ("package", p.package))
        printed = not (first and self.request.slot in EXPLODED)
        item = made_item(PackageItem, item_id=self.take(), role="product", label=f"{p.display} {p.noun}", look=look,
                         origin=origin, z=3, attributes=attributes, printed=printed)
        self.items.append(item)
        if not printed:
            lines = printed_lines(look, origin, self.next_id, item.item_id, 4)
            self.next_id += len(lines)
            self.items += lines
            return item.item_id, {pr.role: it.item_id for pr, it in zip(look.prints, lines)}
        return item.item_id, {pr.role: 0 for pr in look.prints}

    def shelf_label(self, drawn: _Drawn, x: float, rail_top: float, rail_h: float, price_px: int,
                    label_end: float, block_end: float, required: bool) -> float:
        c = self.c
        vocab = vocabulary("shelf")
        p = drawn.product
        asked = self.request.slot == "fine_text" and p.display == c.focus
        px = c.target_px if asked else c.price_px
        font = font_named(c.price_font)
        price = money(p.price, c.money, symbol=True)
        sale_px = max(MIN_DETAIL_PX, px - 1)
        sale_w = self.width(f"{c.sale_word}  ", font, sale_px) if drawn.block.sale else 0
        price_w = self.price_width(p.price, font, px) if c.language else measured_advance(price, font, px)
        w = price_w + sale_w + 8
        h = min(rail_h - 2, px * 2.0 + 4)
        x = max(x, label_end + 3)
        if x > block_end - 6 or x + w > self.size[0] - 2:
            if required:
                raise Resample("no room on the rail for a price label")
            return label_end
        top = rail_top + (rail_h - h) / 2
        ground = tuple(vocab["sale_labels"][0]) if drawn.block.sale else tuple(vocab["labels"][0])
        label = self.rect((x, top, x + w, top + h), ground, "price_label", "shelf-edge price label", z=3)
        drawn.label.append(label.item_id)
        ink = tuple(vocab["sale_ink"][0]) if drawn.block.sale else INK
        # The sale word first as the label reads: at its left, or at its right when right to left.
        price_x, sale_x = (x + 4, x + 4 + price_w + self.width("  ", font, sale_px)) if self.rtl else \
            (x + 4 + sale_w, x + 4)
        if drawn.block.sale:
            sale = self.text_left(c.sale_word, font, sale_px, sale_x, top + h / 2, ink, "sale_mark", label.item_id, 4)
            drawn.label.append(sale.item_id)
        drawn.price = self.price(p.price, font, px, price_x, top + h / 2, ink, label.item_id, 4)[0].item_id
        return x + w

    # Grids ---------------------------------------------------------------------------

    def grid(self) -> None:
        c = self.c
        width, height = self.size
        s = self.scale
        bar_h = c.title_px * 2.2 + 2 * c.stroke_px + 6
        self.title((0, 0, width, bar_h), self.sign_background())
        sub_px = max(6, round(8 * s))
        if c.language:  # (another language's page words have no aisle names: no line under the bar)
            top = bar_h + 8 * s
        else:
            sub = self.text_left(f"{c.subtitle} · {sum(len(r) for r in c.rows)} products", font_named(c.label_font),
                                 sub_px, 10 * s, bar_h + sub_px * 1.6, GREY, "subtitle", 0, 2)
            top = sub.bbox[3] + 6 * s
        margin, gutter = 10 * s, 8 * s
        cols, n_rows = c.columns, len(c.rows)
        card_w = (width - 2 * margin - (cols - 1) * gutter) / cols
        card_h = (height - top - margin - (n_rows - 1) * gutter) / n_rows
        if card_h < 90 * s:
            raise Resample("cards too short")
        for k, row in enumerate(c.rows):
            for j, block in enumerate(row):
                x0 = margin + j * (card_w + gutter)
                y0 = top + k * (card_h + gutter)
                made, next_id = len(self.items), self.next_id
                try:
                    self.card(block, k, (x0, y0, x0 + card_w, y0 + card_h))
                except _NoRoomBeside:  # drawn again, the old price on a line of its own under the price
                    del self.items[made:]
                    self.next_id = next_id
                    self.card(block, k, (x0, y0, x0 + card_w, y0 + card_h), old_below=True)

    def card(self, block: Block, k: int, box, old_below: bool = False) -> None:
        c = self.c
        p = block.product
        x0, y0, x1, y1 = box
        s = self.scale
        drawn = _Drawn(p, block, k)
        edge = self.rect((x0 - 1, y0 - 1, x1 + 1, y1 + 1), mix(c.card, (0, 0, 0), 0.12), "card_edge", "card edge", 1,
                         radius=6 * s)
        card = self.rect(box, c.card, "card", "product card", 2, radius=6 * s)
        drawn.card = card.item_id
        start = len(self.items)
        pad = 7 * s
        name_px = max(6, round(min(10 * s, (x1 - x0) / 16)))
        price_px = max(name_px + 1, c.target_px if self.request.slot == "fine_text" and p.display == c.focus
                       and not c.old_asked else name_px + 2)
        old_px = c.target_px if self.request.slot == "fine_text" and p.display == c.focus and c.old_asked \
            else max(6, name_px - 1)
        text_h = name_px * 2 * 1.7 + max(price_px, old_px) * 1.8 + pad + (old_px * 1.7 if old_below else 0)
        pic = (x0 + pad, y0 + pad, x1 - pad, y1 - pad - text_h)
        if pic[3] - pic[1] < 30 * s:
            raise Resample("no room for the product picture")
        if p.emoji:
            side = int(min(pic[2] - pic[0], pic[3] - pic[1]) * 0.9)
            w, h = scaled_size(p.emoji, side)
            origin = (int((pic[0] + pic[2] - w) / 2), int((pic[1] + pic[3] - h) / 2))
            item = SpriteItem(self.take(), "product", p.name.lower(), p.emoji, origin, side, 3,
                              attributes=(("product", p.display),))
            self.items.append(item)
            drawn.packages.append(item.item_id)
            drawn.facing_texts.append({})
        else:
            w_cm, h_cm = _size_cm(p)
            ppc = math.floor(min((pic[2] - pic[0]) * 0.8 / w_cm, (pic[3] - pic[1]) / h_cm) * 4) / 4
            origin = (int(round((pic[0] + pic[2] - w_cm * ppc) / 2)), int(round(pic[3] - h_cm * ppc)))
            ids = self.facing(p, origin, ppc)
            drawn.packages.append(ids[0])
            drawn.facing_texts.append(ids[1])
        label_font, price_font = font_named(c.label_font), font_named(c.price_font)
        y = pic[3] + pad * 0.6 + name_px
        name = f"{p.brand} {p.name}".strip()
        # (another language's flavour and size side by side: the comma is a Latin one)
        line2 = (" " if c.language else ", ").join(t for t in (p.variant, p.size) if t)
        for text, rgb, role in ((name, INK, "name"), (line2, DETAIL_GREY, "variant_size")):
            px = name_px
            while measured_width(text, label_font, px, self.shaping) > x1 - x0 - 2 * pad and px > MIN_DETAIL_PX:
                px -= 1
            if measured_width(text, label_font, px, self.shaping) > x1 - x0 - 2 * pad:
                raise Resample("a card's text does not fit")
            place = self.text_right if self.rtl else self.text_left
            item = place(text, label_font, px, x1 - pad if self.rtl else x0 + pad, y - px / 2, rgb, f"card_{role}",
                         card.item_id, 4, attributes=DETAIL if role == "variant_size" else ())
            drawn.texts[role] = item.item_id
            y += name_px * 1.7
        y += max(price_px, old_px) * 0.4
        price_x = x1 - pad - self.price_width(p.price, price_font, price_px) if self.rtl else x0 + pad
        price_item, parts = self.price(p.price, price_font, price_px, price_x, y, c.accent if block.sale else INK,
                                       card.item_id, 4)
        drawn.price = price_item.item_id
        if block.sale:
            old = money(p.old_price, c.money, symbol=True)
            old_w = self.price_width(p.old_price, price_font, old_px) if c.language else \
                measured_advance(old, price_font, old_px)
            if old_below:  # (where the card reads from: its left, or its right when right to left)
                y += (max(price_px, old_px) + old_px) * 0.85
                ox = x1 - pad - old_w if self.rtl else x0 + pad
                if old_w > x1 - x0 - 2 * pad:
                    raise Resample("no room for the old price")
            elif c.language:  # the old price after the new as the card reads (at its left when right to left)
                ox = min(t.bbox[0] for t in parts) - 6 * s - old_w if self.rtl else parts[-1].bbox[2] + 6 * s
                if ox < x0 + pad or ox + old_w > x1 - pad:
                    raise _NoRoomBeside("no room for the old price")
            else:
                ox = parts[-1].bbox[2] + 6 * s
            if not c.language and not old_below and ox + old_w > x1 - pad:
                raise _NoRoomBeside("no room for the old price")
            # The strike is drawn under the old price in its colour: it reads as struck
            # through, and the price's own pixels stay its own.
            old_item, parts = self.price(p.old_price, price_font, old_px, ox, y, GREY, card.item_id, 4, "old_price")
            bx0, by0 = min(t.bbox[0] for t in parts), min(t.bbox[1] for t in parts)
            bx1, by1 = max(t.bbox[2] for t in parts), max(t.bbox[3] for t in parts)
            thick = max(1.0, old_px / 7)
            self.rect((bx0 - 1, (by0 + by1) / 2 - thick / 2, bx1 + 1, (by0 + by1) / 2 + thick / 2), GREY, "strike",
                      "strike-through", 3)
            drawn.old = old_item.item_id
            badge_text = languages.in_digits(f"-{round(100 * (p.old_price - p.price) / p.old_price)}%",
                                             c.money.get("digits", "latn"))
            bpx = max(6, name_px)
            font = font_named(c.price_font)
            bw = self.width(badge_text, font, bpx) + 8 * s
            bx = x1 - 4 * s - bw if self.rtl else x0 + 4 * s  # the corner where the card's text starts
            badge = self.rect((bx, y0 + 4 * s, bx + bw, y0 + 4 * s + bpx * 2.1), (214, 39, 40),
                              "sale_badge", "sale badge", 5, radius=3 * s)
            mark = self.text(badge_text, font, bpx, ((badge.bbox[0] + badge.bbox[2]) / 2,
                                                     (badge.bbox[1] + badge.bbox[3]) / 2), PAPER, "sale_mark",
                             badge.item_id, 6)
            drawn.label += [badge.item_id, mark.item_id]
        drawn.card_items = [it.item_id for it in self.items[start:]] + [edge.item_id]
        self.drawn.append(drawn)

    def sticker(self) -> None:
        """A round promotional sticker with its text at the asked angle, stuck on top."""
        c = self.c
        font = font_named(c.label_font)
        px = c.target_px
        r = (self.width(c.sticker, font, px) + px * 2.0) / 2 + 3
        width, height = self.size
        if 2 * r + 8 > min(width, height):
            raise Resample("the sticker does not fit the picture")
        cx = 4 + r + c.sticker_at[0] * (width - 8 - 2 * r)
        cy = 4 + r + c.sticker_at[1] * (height - 8 - 2 * r)
        disc = Polygon([(cx + r * np.cos(t), cy + r * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 48,
                                                                                         endpoint=False)])
        item = ShapeItem(self.take(), "sticker", "promotional sticker", "circle", (214, 39, 40), disc, z=8)
        self.items.append(item)
        self.sticker_id = self.text(c.sticker, font, px, (cx, cy), PAPER, "sticker_text", item.item_id, 9,
                                    angle=c.sticker_angle).item_id


@lru_cache(maxsize=8192)
def _laid_out(text: str, font, px: int, stroke_px: int, angle: float, shaping: Shaping | None) -> TextLayout:
    """A line laid out at the origin: prices, sizes and names recur on a page and across
    pages, and `moved` places it where `layout_text` would have (the same layout)."""
    return layout_text(text, font, text_px=px, stroke_px=stroke_px, angle_deg=angle, shaping=shaping)


_ARC = np.linspace(0, np.pi / 2, 5)
# (cos, sin) of each point of the four corner arcs, worked out once (the same floats).
_ARC_UNIT = tuple(tuple((float(np.cos(a + t)), float(np.sin(a + t))) for t in _ARC)
                  for a in (0.0, np.pi / 2, np.pi, 1.5 * np.pi))


_ARC_ARRAY = np.array(_ARC_UNIT, dtype=float)  # (corner, point, cos/sin)


def _round_rect_points(box, r: float) -> np.ndarray:
    """A rectangle with rounded corners (arcs of five points): cards, badges, signs; its
    outline (20, 2), each point `corner + r * (cos, sin)`."""
    x0, y0, x1, y1 = box
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    corners = np.array(((x1 - r, y1 - r), (x0 + r, y1 - r), (x0 + r, y0 + r), (x1 - r, y0 + r)), dtype=float)
    return (corners[:, None, :] + r * _ARC_ARRAY).reshape(-1, 2)


class _Rect(NamedTuple):
    """A rectangle drawn, its polygon made with the page's others (_Drawer.finished_items)."""

    item_id: int
    role: str
    label: str
    rgb: tuple[int, int, int]
    points: np.ndarray  # the outline, (n, 2)
    z: int

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """What its polygon's bounds will be."""
        x0, y0 = self.points.min(axis=0).tolist()
        x1, y1 = self.points.max(axis=0).tolist()
        return (x0, y0, x1, y1)


# The page --------------------------------------------------------------------------------

def _page(scene: Scene, c: ShelfContent, request: Request, d: _Drawer) -> Page:
    slot = request.slot
    shelf = c.mode == "shelf"
    noun = "store shelf" if shelf else "product page"
    text = {it.item_id: it.text for it in scene.items if isinstance(it, TextItem)}
    shown = [x for x in d.drawn if x.inside and not x.block.filler]
    by_name = {x.product.display: x for x in shown}
    all_names = {x.product.display for x in d.drawn}

    def whole(x: _Drawn) -> tuple[int, ...]:
        """Every item of one product as a box target: packages and their print (a shelf),
        the card and all on it (a grid)."""
        if not shelf:
            return tuple([x.card] + x.card_items)
        return tuple(x.packages) + tuple(i for t in x.facing_texts for i in t.values() if i)

    def entry(x: _Drawn) -> Target:
        name_ids = tuple(t["brand"] for t in x.facing_texts[:1] if t.get("brand"))
        return Target(tuple(x.packages[:1]) + name_ids, x.product.ref, x.product.display, x.product.display)

    # A product is named by brand, product, variant and size: only products whose label
    # prints all four (and whose line's other products print theirs) are asked about.
    unclear_lines = {x.product.line for x in d.drawn if not _legible(x)}
    shown = [x for x in shown if x.product.line not in unclear_lines]
    by_name = {x.product.display: x for x in shown}
    targets: dict[str, Target] = {}
    focus = by_name.get(c.focus)
    if focus is not None and focus.block.facings > 1:
        # A variant that differs only in its cap shares the asked product's name: the asked
        # one is the single facing (_single), never the variant's run of two or three.
        focus = next((x for x in shown if x.product.display == c.focus and x.block.facings == 1), focus)
    if slot in ("named_box", "near_duplicate_box", "label_word", "fine_text") and focus is None:
        raise Resample("the asked product is not wholly in the picture")
    if d.title_id:
        what = "the aisle sign above the shelves" if shelf else "the store's name in the bar at the top of the page"
        if shelf and c.language:  # (another language's sign names the store)
            what = "the store's sign above the shelves"
        targets["styled_text"] = Target((d.title_id,), what, text[d.title_id])
    if d.sticker_id:
        targets["rotated_text"] = Target((d.sticker_id,), "the round promotional sticker", text[d.sticker_id])
    if focus is not None and slot == "fine_text":
        bare = "without its currency sign"
        if shelf:
            targets["fine_text"] = Target((focus.price,), f"the price on the shelf-edge label under "
                                          f"{focus.product.ref}, {bare},", text[focus.price])
        elif c.old_asked:
            targets["fine_text"] = Target((focus.old,), f"the old, struck-through price of {focus.product.ref}, "
                                          f"{bare},", text[focus.old])
        else:
            targets["fine_text"] = Target((focus.price,), f"the current price of {focus.product.ref}, {bare},",
                                          text[focus.price])
    if focus is not None and slot in ("named_box", "near_duplicate_box", "label_word"):
        _require_details(focus, slot)
        ids = whole(focus)
        what = "the product card of " if not shelf else ""
        ref = f"{what}{focus.product.ref}"
        if slot == "label_word":
            where = "package label" if shelf else "card"
            ref = f"the product whose {where} shows the word \"{c.word}\""
            if c.word.lower() in f"{c.title} {c.subtitle}".lower().split() or not _legible(focus):
                raise Resample("the word is not printed on the product alone")
        if slot == "near_duplicate_box":
            twins = [x for x in shown if x.product.line == focus.product.line and x is not focus]
            if not twins:
                raise Resample("the near-duplicate is not in the picture")
            ids_detail = tuple(i for x in [focus, *twins] for i in _detail_ids(x))
            targets[slot] = Target(ids, ref, focus.product.display, focus.product.display, evidence=ids_detail)
        else:
            targets[slot] = Target(ids, ref, focus.product.display, focus.product.display)
    counts = {}
    if slot == "count_merged":
        facings = [x for x in d.drawn if x.product.display == c.focus]
        if not facings or not all(x.inside for x in facings):
            raise Resample("a counted facing is cut off")
        if any("brand" not in t or "name" not in t for x in facings for t in x.facing_texts):
            raise Resample("the counted product's label is too small to read")
        n = sum(len(x.packages) for x in facings)
        p = facings[0].product
        counts[slot] = Count(f"How many {p.plural} are on these shelves? Count every one you can see, including "
                             f"those standing side by side.", n, tuple(i for x in facings for i in x.packages))
    if slot == "count_marks":
        small = [x for x in d.drawn if x.product.display == c.focus]
        if not all(x.inside for x in small):
            raise Resample("a counted small item is cut off")
        if any("brand" not in t for x in small for t in x.facing_texts):
            raise Resample("the small items' brand is too small to read")
        n = sum(len(x.packages) for x in small)
        name = c.focus
        noun_p = next((x.product for x in small), None)
        what = noun_p.plural if noun_p else f"{name} items"
        counts[slot] = Count(f"How many of the small {what} are on these shelves? Count each one.", n,
                             tuple(i for x in small for i in x.packages))
    if slot == "count_rows":
        sales = [x for x in d.drawn if x.block.sale]
        if any(not x.inside or x.block.filler for x in sales):
            raise Resample("a product on sale is cut off")
        if shelf:
            sale = "SALE" if not c.language else f"sale (\"{c.sale_word}\")"
            question = (f"How many products on these shelves have a yellow {sale} price label? Count each product "
                        "once, however many of it stand on the shelf.")
        else:
            question = "How many products on this page are marked with a red sale badge?"
        counts[slot] = Count(question, len(sales), tuple(x.label[0] for x in sales))
    # Every product in its place, so neighbours stay neighbours; those not to be asked
    # about (cut off, labels too small) without a name.
    named = {id(x) for x in shown}
    rows = tuple(Listing("product", tuple(entry(x) if id(x) in named else Target(tuple(x.packages[:1]), "")
                                          for x in d.drawn if x.row == k)) for k in range(len(c.rows)))
    fields = _fields(slot, c, d, shown, all_names, scene, text)
    n_elements = len(text)
    stats = {"n_elements": n_elements, "n_rows": len(c.rows), "n_columns": max(len(r.entries) for r in rows),
             "skew_deg": 0.0, "body_px": c.price_px}
    return Page("shelf", noun, scene, targets, counts, fields=tuple(fields), stats=stats, rows=rows,
                row_noun="shelf" if shelf else "row")


def _legible(x: _Drawn) -> bool:
    """Its picture names it in full: a card's text does; a package must print all four lines."""
    if x.card:
        return True
    return all(r in t for t in x.facing_texts for r in ("brand", "name", "variant", "size"))


def _detail_ids(x: _Drawn) -> tuple[int, ...]:
    """Items that tell a product from its variants: its size and variant words, and its
    package (whose cap probe is checked)."""
    ids = [x.packages[0]]
    for t in x.facing_texts[:1]:
        ids += [t[r] for r in ("variant", "size") if t.get(r)]
    if "variant_size" in x.texts:
        ids.append(x.texts["variant_size"])
    return tuple(ids)


def _require_details(x: _Drawn, slot: str) -> None:
    if x.card:
        return
    t = x.facing_texts[0] if x.facing_texts else {}
    if slot == "near_duplicate_box" and not _legible(x):
        raise Resample("the label's variant or size is too small to print")
    if "brand" not in t or "name" not in t:
        raise Resample("the asked product's label is too small to print")


def _page_words(scene: Scene) -> str:
    """Everything printed on the picture, lower case: text items and packages' print."""
    texts = [it.text for it in scene.items if isinstance(it, TextItem)]
    texts += [pr.text for it in scene.items if isinstance(it, PackageItem) and it.printed for pr in it.look.prints]
    return " ".join(texts).lower()


def _fields(slot: str, c: ShelfContent, d: _Drawer, shown: list[_Drawn], all_names: set, scene: Scene,
            text: dict) -> list[Field]:
    fields: list[Field] = []
    products = [x.product for x in d.drawn]
    if slot in BY_PRODUCT and c.mode == "shelf":
        kind = _asked_kind(c)
        if any(x.whole and _unsure(slot, x.product, kind, set(x.facing_texts[0])) for x in d.drawn):
            raise Resample("a product wholly in view could be the asked one")
    if slot == "absent_field":  # the product picked first (_asked_product): shown, or absent by a strategy
        word = _Asked(*c.asked).name
        if word in {p.name.lower() for p in products}:
            # Shown where a label prints its name ("any X" needs no variant and size: a shelf of
            # small jars printing only brand and name shows X), or produce.
            for x in d.drawn:
                if x.inside and not x.block.filler and x.product.name.lower() == word:
                    t = x.facing_texts[0] if x.facing_texts else {}
                    name = t.get("name") or x.texts.get("name")
                    if name or x.product.emoji:
                        fields.append(Field(f"any {_as_written(word, c)}", True,
                                            ids=(x.packages[0],) + ((name,) if name else ())))
                        break
        # Absent: never a product drawn anywhere, its label printed or not (a shelf of small
        # unlabelled mint boxes still shows mints to anyone who knows the package), nor a word
        # printed on the picture (a word naming other lines too is never asked: _covered).
        elif not any(part in _page_words(scene) for part in word.split()):
            aisle_words = {ln["name"].lower() for a in {p.aisle for p in products} for ln in _aisle_lines(a)}
            if any(p.emoji for p in products):
                aisle_words |= {item["name"].lower() for item in vocabulary("shelf")["produce"]}
            strategy = "adversarial" if word in aisle_words else \
                "popular" if word in {w.lower() for w in _popular(c.language)} else ""
            if strategy:
                fields.append(Field(f"any {_as_written(word, c)}", False, negative=strategy))
    elif slot == "variant":
        lines = {}
        for p in products:
            lines.setdefault(p.line, []).append(p)
        said: set[str] = set()
        for x in shown:
            p = x.product
            if not p.package:
                continue
            line = _line_of_product(p)
            if line is None:
                continue
            siblings = lines[p.line]
            detail = _detail_ids(x)
            if x.card:
                if "variant_size" not in x.texts:
                    continue
            elif not ("variant" in x.facing_texts[0] and "size" in x.facing_texts[0]):
                continue
            # Shown and absent details are asked in the one wording the content picked: a cap
            # or variant asked only of absent products would be answered "no" by its wording.
            if c.detail in ("size", "variant") or (c.detail == "cap" and p.cap is not None and not x.card):
                phrase = _variant_phrase(p, c.detail)
                if phrase not in said:
                    said.add(phrase)
                    fields.append(Field(phrase, True, ids=detail))
            for alt in _variants_of(p, line):
                kind = _detail_kind_of(alt, p)
                if kind != c.detail or kind == "cap" and x.card:
                    continue
                if any(_same_in(kind, alt, s) for s in siblings):
                    continue
                if not x.card and len(_look(alt, c.ppc, c.label_font).prints) < 4:
                    continue  # (a variant whose label would not name it here is never asked shown either)
                phrase = _variant_phrase(alt, kind)
                if phrase not in said:  # (a cap colour two sizes of the line lack: one field)
                    said.add(phrase)
                    fields.append(Field(phrase, False, ids=detail, negative="adversarial"))
    elif slot == "presupposition":  # the product picked first (_asked_product): shown, or absent
        for x in shown:
            if x.price and x.product.display == c.focus:
                fields.append(Field(x.product.display, True, f"the price of {x.product.ref}",
                                    money(x.product.price, c.money, symbol=True), (x.price, x.packages[0])))
        if c.absent and not any(p.line == c.absent.line for p in products):
            fields.append(Field(c.absent.display, False, f"the price of {c.absent.ref}", negative="adversarial"))
    return fields


def _covered(word: str) -> set[str]:
    """Names of other lines' products that `word` names too, lower case (shelf.yaml's `covers`)."""
    covers = vocabulary("shelf").get("covers", {})
    return {n.lower() for name, names in covers.items() if name.lower() == word for n in names}


def _unsure(slot: str, p: Product, kind: str, printed: set[str]) -> bool:
    """Whether a reader could take product p, its label printing the roles `printed`,
    for the product asked about, a `kind` of package: one of that kind whose label names
    neither what it is ("Rice") nor, asked the price of one brand's product, its brand.
    Beside a bag printing only "Salto", "is there any rice?" (rice in bags) has no sure
    "no", nor "what is the price of the Risa rice?" a sure "unanswerable" when it prints
    nothing: the shelves of those questions show no such package, whatever the answer.
    Boxes and bags count alike (SEEN_AS); a jar is not taken for rice, nor a can for a
    bottle."""
    naming = {"name", "brand"} if slot == "presupposition" else {"name"}
    return bool(kind) and SEEN_AS.get(p.package, p.package) == SEEN_AS.get(kind, kind) and not (printed & naming)


SEEN_AS = {"bag": "box"}  # packages a reader may not tell apart unnamed (dry goods come in either)


def _kind_of(asked: _Asked, aisles: dict) -> str:
    """The package the asked product comes in (none for produce), among `aisles`' lines."""
    return next((ln["package"] for lines in aisles.values() for ln in lines if asked.of(ln["brand"], ln["name"])), "")


def _asked_kind(c: ShelfContent) -> str:
    """`_kind_of` the product a content asks about, in the picture's language."""
    return _line_asked(_Asked(*c.asked), c)[1].get("package", "")


@dataclass(frozen=True)
class _Asked:
    """The product asked about ("is there any X?", "what is the price of X?"), picked
    before the wanted answer decides whether the picture shows it: picked after, among
    what a picture shows and what it lacks, a product that labels seldom print legibly
    (small cans) would be asked mostly "no" or as unanswerable, and its name alone would
    give the answer away."""

    name: str  # a product line's name, lower case, as the question names it
    brand: str = ""  # presupposition: the line's brand (a name two brands share asks about one of them)
    aisle: str = ""  # the aisle (or "Produce") the picture is drawn from
    present: bool = False  # shown with its name legible, or absent from the picture

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.brand

    def of(self, brand: str, name: str) -> bool:
        """Whether a product or line of this brand and name is the one asked about."""
        return name.lower() == self.name and (not self.brand or brand == self.brand)


def _asked_product(request: Request, rng, vocab: dict, mode: str, geometry: _Geometry, label_font: str) -> _Asked:
    """Any product line the mode can name, uniformly; then its aisle with it on the
    shelves, its aisle without it (an adversarial negative), or, for a staple asked "is
    there any", another aisle (a popular negative, three times in four)."""
    by_line = request.slot == "presupposition"  # (a price is asked of one brand's product)
    aisles = {a: {(ln["name"].lower(), ln["brand"] if by_line else "") for ln in lines
                  if mode == "grid" or (ln["brand"], ln["name"]) in _nameable(request.slot, a, geometry, label_font)}
              for a, lines in sorted(vocab["aisles"].items())}
    # (produce is sold on product pages only, and has no product lines to be absent: presupposition)
    if mode == "grid" and vocab["produce"] and not by_line:
        aisles["Produce"] = {(item["name"].lower(), "") for item in vocab["produce"]}
    keys = sorted(set().union(*aisles.values()))
    if not by_line:  # (never "any cereal?": beside cornflakes its "no" would be wrong, and kept for "yes"
        # alone, its name would give the answer away)
        keys = [key for key in keys if not _covered(key[0])]
    if not keys:  # (labels too small at this scale and in this font to name any line)
        raise Resample("no product line the picture could name")
    name, brand = pick(rng, keys)
    home = [a for a, keys in aisles.items() if (name, brand) in keys]
    others = [a for a, keys in aisles.items() if (name, brand) not in keys]
    language = "" if request.language in ("", "en") else request.language
    if not by_line and not request.present and others and \
            name in {w.lower() for w in _popular(language)} and rng.random() < 0.75:
        return _Asked(name, aisle=pick(rng, others))
    return _Asked(name, brand, pick(rng, home), bool(request.present))


def _question_fields(request: Request, rng, asked: _Asked | None, mode: str, rows, ppc: float, label_font: str,
                     size: tuple[int, int]) -> dict:
    """What a content keeps of its question, English or not: the product asked about, the
    absent one a price question names, the detail a variant question asks about, and the
    picture's width (kept inside by a minimal pair's change)."""
    return {"asked": asked.key if asked else (),
            "absent": _absent_product(asked, ppc, label_font, rng) if request.slot == "presupposition" else None,
            "detail": _detail_kind(mode, rows, rng, request.present, ppc, label_font)
            if request.slot == "variant" else "",
            "width": size[0]}

def _absent_product(asked: _Asked, ppc: float, label_font: str, rng) -> Product | None:
    """The product a price question asks about when its line is kept off the picture, its
    variant and size drawn as a shown product's are: among those whose shelf label would
    name it in full at the shelves' scale `ppc` (any on a product page). (Named by a fixed
    variant and size, an absent product's name would recur; drawn among all, its size
    would tell that it is absent.)"""
    if asked.present:
        return None
    line = next(ln for ln in _aisle_lines(asked.aisle) if asked.of(ln["brand"], ln["name"]))
    full = [(v, z) for v in line["variants"] for z in line["sizes"]
            if ppc and len(_look_of(_first_of(line, v, z), ppc, label_font).prints) >= 4]
    variant, size = full[int(rng.integers(len(full)))] if full else (None, None)
    return _product(line, rng, asked.aisle, variant=variant, size=size)


def _nameable(slot: str, aisle: str, geometry: _Geometry, label_font: str) -> frozenset[tuple[str, str]]:
    """(brand, name) of the aisle's lines that a size and variant can name (`_names_it`)
    on its shelves where every row holds the aisle's tallest package (their smallest
    scale). A line whose labels seldom name it there (small jars beside tall bottles) is
    not asked about on shelves: asked, it would mostly be absent (drawn shown, its page
    would mostly be drawn again), and "any honey" on a shelf would be answered "no" by
    its words alone."""
    return _nameable_at(slot, aisle, geometry.ppc_of([_tallest_cm(aisle)] * N_SHELVES), label_font)


@lru_cache(maxsize=64)
def _tallest_cm(aisle: str) -> float:
    return max(_size_of(ln["package"], z)[1] for ln in _aisle_lines(aisle) for z in ln["sizes"])


@lru_cache(maxsize=4096)  # (an aisle's lines at each page's scale)
def _nameable_at(slot: str, aisle: str, ppc: float, label_font: str) -> frozenset[tuple[str, str]]:
    return frozenset((ln["brand"], ln["name"]) for ln in _aisle_lines(aisle)
                     if any(_look_names(slot, _look_of(_first_of(ln, v, z), ppc, label_font))
                            for v in ln["variants"] for z in ln["sizes"]))


def _kept_off(lines: list, asked: _Asked, n_off: int, rng, within: int = 0) -> list:
    """Lines in their drawn order with `n_off` of them kept off the picture: the asked
    product's among them when it is not to be shown, else it put at a random place (in
    the first `within` when given, the lines a grid's cards are drawn from)."""
    mine = [ln for ln in lines if asked.of(ln.get("brand", ""), ln["name"])]  # (produce has no brand)
    rest = [ln for ln in lines if not asked.of(ln.get("brand", ""), ln["name"])]
    if not asked.present:
        return rest[:len(lines) - n_off] if n_off else rest
    rest = rest[:len(rest) - n_off] if n_off else rest
    at = int(rng.integers(min(len(rest), within - 1) + 1 if within else len(rest) + 1))
    return rest[:at] + mine + rest[at:]


def _popular(language: str) -> list[str]:
    """The popular absent products asked about: staples the shelves draw (shelf.yaml's
    `popular`), or in another language the goods its shelves' lines are (a good no line
    is, such as eggs, would always be answered "no", by its name alone)."""
    if not language:
        return vocabulary("shelf")["popular"]
    goods = page_words(language)["goods"]
    return [goods[spec["good"]] for specs in vocabulary("shelf")["localized"].values() for spec in specs]


def _as_written(word: str, c: ShelfContent) -> str:
    """A lower-cased product word as a question names it: English in lower case, another
    language's as its page words write it (a German noun keeps its capital)."""
    if not c.language:
        return word
    return next((w for w in page_words(c.language)["goods"] if w.lower() == word), word)


def _same_in(kind: str, a: Product, b: Product) -> bool:
    """Whether b shows a's value of the detail (so a's variant is not absent)."""
    return _detail_of(kind, a) == _detail_of(kind, b)


def _detail_of(kind: str, p: Product):
    """A product's size, cap or variant word."""
    return p.size if kind == "size" else p.cap if kind == "cap" else p.variant


def _detail_kind(mode: str, rows, rng, present: bool, ppc: float, label_font: str) -> str:
    """The detail a variant question asks about, picked before the wanted answer (a cap
    where the shelves stand capped bottles: a card draws its package too small to ask
    about the cap). Rows where no product could be asked about it with that answer are
    drawn again here, before the layout that _fields would have found it on."""
    capped = mode == "shelf" and any(b.product.cap is not None for row in rows for b in row)
    kind = pick(rng, ("size", "variant", "cap") if capped else ("size", "variant"))
    if not _detail_askable(kind, present, mode, rows, ppc, label_font):
        raise Resample(f"no product's {kind} to ask about")
    return kind


def _detail_askable(kind: str, present: bool, mode: str, rows, ppc: float, label_font: str) -> bool:
    """Whether some product of the rows can be asked about its `kind` of detail with the
    wanted answer, as _fields asks on the layout: shown where its label (a shelf's) prints
    its variant and size; absent as a variant of it, none of its line's products sharing
    that detail, whose label would name it."""
    siblings: dict = {}
    for row in rows:
        for b in row:
            siblings.setdefault(b.product.line, []).append(b.product)
    for p in (b.product for row in rows for b in row if not b.filler and b.product.package):
        if mode == "shelf" and not {"variant", "size"} <= _printed_roles(p, ppc, label_font):
            continue
        if present:
            if kind != "cap" or (p.cap is not None and mode == "shelf"):
                return True
            continue
        line = _line_of_product(p)
        for alt in _variants_of(p, line) if line is not None else ():
            if _detail_kind_of(alt, p) != kind or (kind == "cap" and mode != "shelf"):
                continue
            if any(_same_in(kind, alt, s) for s in siblings[p.line]):
                continue
            if mode == "grid" or len(_look(alt, ppc, label_font).prints) >= 4:
                return True
    return False


# Minimal pairs of hallucination questions (ShelfContext._line_flipped, _variant_flipped) --

def _fits_in(rows, k: int, i: int, new: Product, c: ShelfContent, slot: str = "") -> bool:
    """Whether `new` can take block i of row k with all else in place: on shelves, no
    taller than its row's tallest package (the shelves' scale stays), its row still
    reaching the right edge, the block wholly inside the picture and its label naming
    what `slot` asks (nothing for a product put in place of a removed one); a card holds
    any product."""
    if c.mode != "shelf":
        return True
    row = list(rows[k])
    tallest = max(_size_cm(b.product)[1] for b in row)
    row[i] = Block(new, row[i].facings, row[i].sale, row[i].filler)
    if _size_cm(new)[1] > tallest:
        return False
    spans = _spans(row, c.lead[k], c.ppc)
    if spans[-1][1] <= c.width:
        return False
    if not slot:
        return True
    look = _look(new, c.ppc, c.label_font)
    # (a variant question's shown product prints its variant and size, as _fields reads it)
    named = {"variant", "size"} <= _roles(look) if slot == "variant" else _look_names(slot, look)
    return spans[i][0] >= 0 and spans[i][1] <= c.width and named


def _swapped(rows, k: int, i: int, spare: list[Product], c: ShelfContent, slot: str) -> Block:
    """Block i of row k with a product of `spare` in place of its own (that product then
    taken out of `spare`: each product stays in one place)."""
    fits = [p for p in spare if _fits_in(rows, k, i, p, c)]
    if not fits:
        raise Resample("no product to put in place of the asked one")
    # (on shelves, one no reader would take for the asked product: see _unsure)
    kind = _asked_kind(c) if c.mode == "shelf" else ""
    new = next((p for p in fits if not kind or not _unsure(slot, p, kind, _printed_roles(p, c.ppc, c.label_font))),
               fits[0])
    spare[:] = [p for p in spare if p.display != new.display]
    return Block(new, rows[k][i].facings, False, False)


def _off_products(rows, asked: _Asked, rng) -> list[Product]:
    """Products of the picture's aisle whose lines it does not show (not the asked one), in
    a random order."""
    aisle = next(b.product.aisle for row in rows for b in row if not b.filler)
    shown = {b.product.line for row in rows for b in row}
    if aisle == "Produce":
        out = [_produce(item, rng) for item in vocabulary("shelf")["produce"]
               if ("", item["name"]) not in shown and not asked.of("", item["name"])]
    else:
        out = [_product(ln, rng, aisle, variant=v, size=z) for ln in _aisle_lines(aisle)
               if (ln["brand"], ln["name"]) not in shown and not asked.of(ln["brand"], ln["name"])
               for v in ln["variants"] for z in ln["sizes"]]
    return [out[int(j)] for j in rng.permutation(len(out))]


def _line_asked(asked: _Asked, c: ShelfContent) -> tuple[str, dict]:
    """(aisle, line) of the product asked about, in the picture's language (an item of
    produce on an English product page)."""
    aisle = next(b.product.aisle for row in c.rows for b in row if not b.filler)
    if ":" in aisle:
        code, system, _name = aisle.split(":", 2)
        every = _localized(code, system)[0]
    else:
        every = {**_lines(), "Produce": [{**item, "brand": ""} for item in vocabulary("shelf")["produce"]]}
    for name, lines in sorted(every.items(), key=lambda a: a[0] != asked.aisle):  # its own aisle first
        for ln in lines:
            if asked.of(ln["brand"], ln["name"]):
                return name, ln
    raise Resample("the asked product has no line")


def _line_of_product(p: Product) -> dict | None:
    return next((ln for ln in _aisle_lines(p.aisle) if (ln["brand"], ln["name"]) == p.line), None)


def _detail_kind_of(alt: Product, p: Product) -> str:
    """Which detail a variant of p (_variants_of) changes."""
    return "size" if alt.size != p.size else "cap" if alt.cap != p.cap else "variant"


def _variant_phrase(p: Product, kind: str) -> str:
    if kind == "size":
        return f"a {p.size} {p.noun} of {p.brand} {p.name}"
    if kind == "cap":
        return f"a {p.brand} {p.name} {p.noun} with a {color_name(p.cap)} cap"
    return f"a {p.brand} {p.name} {p.variant} {p.noun}"


CONTEXT = ShelfContext()
