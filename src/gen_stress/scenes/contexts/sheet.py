"""Laying out printed sheets (receipts, menus, pages): lines of text placed by their
baseline and alignment, rules and the paper itself, then the whole sheet turned by a
small skew. Every text item keeps its exact geometry through the turn (one Placement
per item), so recorded boxes stay exact."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import cache, lru_cache

from shapely.geometry import Polygon

from gen_stress.errors import Resample
from gen_stress.scenes.colors import RGB
from gen_stress.scenes.fonts import FontInfo, load_catalog
from gen_stress.scenes.geometry import Placement, polygon, rect_points
from gen_stress.scenes import languages
from gen_stress.scenes.languages import LANGUAGES, charset, format_amount, parse_amount, shaping_of
from gen_stress.scenes.frozen import made
from gen_stress.scenes.model import ShapeItem, TextItem, outline_item
from gen_stress.scenes.shaping import Shaping, glyph_failures
from gen_stress.scenes.text import TextLayout, layout_text, line_advance, line_at, measured_advance, moved


def font_named(name: str) -> FontInfo:
    return load_catalog().by_name(name)


# Pages in other languages ("": English, the contexts' own words) --------------------------

def page_shaping(language: str) -> Shaping | None:
    """How a page's lines are shaped: None for English and other Latin-script languages
    (Pillow's basic layout), raqm in the language's direction otherwise."""
    return shaping_of(language) if language not in ("", "en") else None


def right_to_left(language: str) -> bool:
    return language not in ("", "en") and LANGUAGES[language].direction == "rtl"


def _complete(fonts, language: str) -> tuple[FontInfo, ...]:
    """The fonts that draw every character the language's page can print."""
    chars = "".join(sorted(charset(language)))
    return tuple(f for f in fonts if not f.missing(chars))


@cache  # (the language's whole character set is checked against each font: 1 ms for Japanese)
def fonts_for(names: tuple[str, ...], language: str) -> tuple[str, ...]:
    """A context's own fonts (`names`) that draw all of the language, else the script's
    own (Noto) fonts."""
    script = LANGUAGES[language].script
    own = _complete(tuple(f for f in map(font_named, names) if script in f.scripts), language)
    if own:
        return tuple(f.name for f in own)
    pool = load_catalog().of_script(script)
    return tuple(f.name for f in _complete(pool, language) or pool)


@cache
def styled_fonts(language: str, font_class: str) -> tuple[FontInfo, ...]:
    """Fonts of a class that can set a heading in the language (Latin ones for Latin script)."""
    catalog = load_catalog()
    script = LANGUAGES[language].script
    pool = catalog.of_class(font_class) if script == "latin" else catalog.of_script(script, font_class)
    return _complete(pool, language) or pool


@cache
def shapeable_words(code: str, font_name: str) -> tuple[str, ...]:
    """The language's sentence words that HarfBuzz shapes with the font without a broken
    cluster or a missing glyph (Noto Serif Devanagari cannot shape some Marathi loanwords):
    a page of hundreds of words would otherwise be redrawn again and again."""
    words = languages.sentence_words(code)
    return shaped_cleanly(code, font_name, words) or words


@cache
def shaped_cleanly(code: str, font_name: str, words: tuple[str, ...]) -> tuple[str, ...]:
    """The words (of the language) that HarfBuzz shapes with the font without a broken
    cluster or a missing glyph; all of them where the language needs no shaping."""
    shaping = languages.shaping_of(code)
    if shaping is None:
        return words
    path = str(font_named(font_name).path)
    return tuple(w for w in words if not glyph_failures(path, 20.0, w, shaping))


def variant_words(code: str, font_name: str, words: list[str]) -> tuple[str, ...]:
    """The words a near-duplicate adds after a name (languages.yaml's `variants` of goods,
    or of dishes) that the font shapes cleanly; a scene drawn in a font that shapes none
    is drawn again."""
    shaped = shaped_cleanly(code, font_name, tuple(words))
    if not shaped:
        raise Resample("the font shapes no variant word of the language")
    return shaped


def text_width(text: str, font: FontInfo, text_px: int, shaping: Shaping | None = None) -> float:
    """Advance width of a line (what it takes on the line, ink or not); shaped by raqm
    when `shaping` is given (scripts beyond Latin). A basic-layout line's is read from
    its remembered metrics (`line_advance`), not remembered twice."""
    if shaping is not None:
        return _shaped_width(text, font, text_px, shaping)
    return line_advance(text, font, text_px)


@lru_cache(maxsize=16384)
def _shaped_width(text: str, font: FontInfo, text_px: int, shaping: Shaping) -> float:
    return font.pil_shaping(font.em_for_cap(text_px)).getlength(text, direction=shaping.direction,
                                                                 language=shaping.language)


def measured_width(text: str, font: FontInfo, text_px: int, shaping: Shaping | None = None) -> float:
    """`text_width`'s value for a line that is measured to size or place it: from
    advances alone for basic layout (no ink box worked out: prices, stamps and labels tried
    at sizes are new lines, often never drawn upright), shaped by raqm otherwise."""
    return measured_advance(text, font, text_px) if shaping is None else text_width(text, font, text_px, shaping)


@lru_cache(maxsize=1024)
def fitting_everywhere(texts: tuple[str, ...], font_names: tuple[str, ...], text_px: int, room: float,
                       prefix: str = "") -> tuple[str, ...]:
    """The texts whose line (`prefix` before it) fits `room` at a size in every one of the
    fonts, in their order (remembered: a page asks at its size, and measured them all)."""
    return tuple(t for t in texts
                 if max(measured_advance(prefix + t, font_named(f), text_px) for f in font_names) <= room)


@dataclass
class Sheet:
    """Items of one sheet, in sheet coordinates (canvas pixels before the skew)."""

    paper_id: int = 1
    items: list = field(default_factory=list)
    next_id: int = 2
    shaping: Shaping | None = None  # every line shaped so (scripts beyond Latin); None: basic layout
    mirror: bool = False  # a right-to-left page: a line set "left" starts at the right, and the other way

    def _take_id(self) -> int:
        item_id = self.next_id
        self.next_id += 1
        return item_id

    def text(self, text: str, font: FontInfo, text_px: int, x: float, baseline: float, *, rgb: RGB,
             role: str, align: str = "left", attributes=(), stroke_px: int = 0, stroke_rgb: RGB | None = None,
             z: int = 3, on: int | None = None) -> TextItem:
        """A line of text whose baseline starts (left), ends (right) or centres at x (on a
        mirrored sheet, "left" and "right" trade places)."""
        if self.mirror:
            align = {"left": "right", "right": "left"}.get(align, align)
        advance = text_width(text, font, text_px, self.shaping)
        start = x if align == "left" else x - advance if align == "right" else x - advance / 2
        if self.shaping is not None or stroke_px:  # raqm's layout or a stroked line, its pen at the start
            layout = layout_text(text, font, text_px=text_px, stroke_px=stroke_px, shaping=self.shaping)
            pivot = layout.placement.pivot
            layout = moved(layout, (start + pivot[0], baseline + pivot[1]))
        else:
            layout = line_at(text, font, text_px=text_px, start=start, baseline=baseline)
        item = made(TextItem, item_id=self._take_id(), role=role, layout=layout, rgb=rgb, z=z, stroke_rgb=stroke_rgb,
                    on_item=self.paper_id if on is None else on, attributes=tuple(attributes), char_detail=False)
        self.items.append(item)
        return item

    def turned_text(self, text: str, font: FontInfo, text_px: int, center: tuple[float, float], angle_deg: float,
                    *, rgb: RGB, role: str, attributes=(), z: int = 4, on: int | None = None) -> TextItem:
        layout = layout_text(text, font, text_px=text_px, angle_deg=angle_deg, center=center, shaping=self.shaping)
        item = TextItem(self._take_id(), role, layout, rgb=rgb, z=z, on_item=self.paper_id if on is None else on,
                        attributes=tuple(attributes), char_detail=False)
        self.items.append(item)
        return item

    def shape(self, polygon: Polygon, rgb: RGB, role: str, label: str, z: int = 2, item_id: int | None = None,
              attributes=()) -> ShapeItem:
        item = ShapeItem(item_id if item_id is not None else self._take_id(), role, label, "rectangle", rgb,
                         polygon, z=z, attributes=tuple(attributes))
        self.items.append(item)
        return item

    def outline(self, points, rgb: RGB, role: str, label: str, z: int = 2, item_id: int | None = None,
                attributes=()) -> ShapeItem:
        """`shape` of a plain outline given by its points (model.outline_item: its shapely
        polygon made only if asked)."""
        item = outline_item(item_id if item_id is not None else self._take_id(), role, label, "rectangle", rgb,
                            points, z, attributes)
        self.items.append(item)
        return item

    def rule(self, x0: float, x1: float, y: float, thickness: float, rgb: RGB, label: str = "rule") -> ShapeItem:
        return self.outline(rect_points((x0, y, x1, y + thickness)), rgb, "rule", label)

    def turned(self, angle_deg: float, pivot: tuple[float, float]) -> list:
        """Every item turned by angle_deg (counter-clockwise as seen) about pivot."""
        if not angle_deg:
            return list(self.items)
        turn = Placement(angle_deg, pivot, pivot)
        out = []
        for item in self.items:
            if isinstance(item, TextItem):
                place = item.layout.placement
                center = tuple(turn.apply([place.center])[0])
                layout = TextLayout(item.layout.text, item.layout.font, item.layout.text_px, item.layout.stroke_px,
                                    item.layout.ink_box_local,
                                    Placement(place.angle_deg + angle_deg, place.pivot, center), item.layout.shaping)
                # (dataclasses.replace(item, layout=layout), at half its cost: every line of a skewed page)
                out.append(made(TextItem, **{**vars(item), "layout": layout}) if type(item) is TextItem
                           else dataclasses.replace(item, layout=layout))
            else:
                out.append(dataclasses.replace(item, geometry=Polygon(turn.apply(item.exterior))))
        return out


def paper_outline(box: tuple[float, float, float, float], torn_bottom: bool, tooth_px: float) -> Polygon:
    """The paper: a rectangle, its bottom edge torn in a zigzag like a receipt's."""
    x0, y0, x1, y1 = box
    if not torn_bottom:
        return Polygon(rect_points(box))
    teeth = max(2, int((x1 - x0) / (2 * tooth_px)))
    step = (x1 - x0) / teeth
    bottom = []
    for k in range(teeth, -1, -1):
        bottom.append((x0 + k * step, y1))
        if k:
            bottom.append((x0 + (k - 0.5) * step, y1 - tooth_px))
    return polygon([(x0, y0), (x1, y0), *bottom])  # (shapely's Polygon of the list, made in one call)


def money(cents: int, currency: dict, symbol: bool = False) -> str:
    """An amount in a currency's number format ("1,234.50", "1.234,50 €"); a page in
    another language prints its locale's (`{"language": code}`, Babel's formats)."""
    if "language" in currency:
        return format_amount(currency["language"], cents, symbol, currency.get("digits", "latn"))
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    digits = f"{whole:,}".replace(",", currency["thousands"])
    text = f"{sign}{digits}{currency['decimal']}{frac:02d}"
    if not symbol:
        return text
    return f"{currency['symbol']}{text}" if currency["prefix"] and len(currency["symbol"]) == 1 else (
        f"{currency['symbol']} {text}" if currency["prefix"] else f"{text} {currency['symbol']}")


def parse_money(text: str, currency: dict) -> int:
    """Cents of a printed amount (the inverse of `money`): arithmetic is checked on what is printed."""
    if "language" in currency:
        return parse_amount(currency["language"], text, currency.get("digits", "latn"))
    body = text.replace(currency["symbol"], "").strip().replace(currency["thousands"], "")
    sign = -1 if body.startswith("-") else 1
    whole, _, frac = body.lstrip("-").partition(currency["decimal"])
    return sign * (int(whole) * 100 + int(frac))


def fits(text: str, font: FontInfo, text_px: int, width: float) -> bool:
    return text_width(text, font, text_px) <= width and not font.missing(text)


def cap_gap(text_px: int) -> float:
    """Baseline-to-baseline distance for lines of this cap height."""
    return math.ceil(text_px * 1.9)
