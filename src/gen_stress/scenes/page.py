"""A page: the typed elements a real-world context lays out, and what questions can
refer to. A context builder fills it; question kinds (gen_stress.questions) read it and
never the pixels.

Every element is one or more text items of the page's scene (a receipt line is its
name and its amount); `Target` names an element the way a person would ("the total",
"footnote 3"), `Count` is something countable with its exact value, `Listing` an
ordered column of elements (or a row: `Page.rows`), `Field` a field such pages usually
show, present or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gen_stress.scenes.model import Scene, TextItem


@dataclass(frozen=True)
class TextStyle:
    """How the element a question reads is printed (the ocr knobs)."""

    text_px: int
    angle_deg: int = 0
    font_class: str = ""  # "" : the context's own font
    stroke_px: int = 0
    contrast_ratio: float = 0.0  # 0: the context's own ink


@dataclass(frozen=True)
class Request:
    """What a question needs the page to hold: a slot (see Context.slots), the style of
    the element it reads, a count to reach, two columns, ..."""

    slot: str
    style: TextStyle | None = None
    count: int | None = None
    two_columns: bool = False
    language: str = ""  # the language the page prints ("": English, the contexts' own words)
    # A balanced question's wanted presence (yes/no, answerable/unanswerable; None: not
    # balanced): the asked usual field is shown or taken away to match it (see
    # Context.optional_fields).
    present: bool | None = None


@dataclass(frozen=True)
class Target:
    ids: tuple[int, ...]  # text items of the element, the one read first
    ref: str  # how a person names it: "the total", "footnote 3", "the price of Cola Zero"
    text: str = ""  # the exact string read for it (the first item's text)
    name: str = ""  # a short name for options ("Cola Zero")
    evidence: tuple[int, ...] = ()  # more items the answer rests on (a near-duplicate's detail), checked too


@dataclass(frozen=True)
class Count:
    question: str  # "How many items were bought, counting 2 x Coffee as two?"
    value: int
    ids: tuple[int, ...] = ()  # the elements counted


@dataclass(frozen=True)
class Listing:
    noun: str  # "item", "dish", "table row"
    entries: tuple[Target, ...]  # top to bottom
    verb: str = "listed"  # "placed": regions of a screen rather than lines of a list


@dataclass(frozen=True)
class Detail:
    """The distinguishing detail of a near-duplicate, checked on the pixels: the share of
    its owned box that an item fills (a filled heart fills much, an outlined one little)."""

    item_id: int
    what: str  # "filled heart", "outlined star"
    min_fill: float = 0.0
    max_fill: float = 1.0
    min_px: int = 12  # and at least this many pixels of it show
    # The chroma (max - min channel) of its mean colour on the render: a greyed-out
    # disabled button stays under max_chroma, an enabled one in the accent over min_chroma.
    min_chroma: float = 0.0
    max_chroma: float = 255.0


@dataclass(frozen=True)
class Field:
    """A field such a page usually shows (a tip line, a table number)."""

    name: str  # "a tip line"
    present: bool
    ref: str = ""  # "the tip amount": what a value question asks for
    value: str = ""  # its printed value, when present
    ids: tuple[int, ...] = ()
    numeric: bool = False  # the value is an amount a near-miss can change
    usual: bool = True  # asked about as a field such pages usually show (not every price of a menu)
    negative: str = ""  # absent: how it was chosen (popular, adversarial), recorded as neg_strategy
    near: str = ""  # a state's near miss ("switched off" for "switched on"): asked instead of a changed digit


@dataclass(frozen=True)
class Page:
    context: str
    noun: str  # "receipt", "menu", "page": how questions call the whole thing
    scene: Scene
    targets: Mapping[str, Target] = field(default_factory=dict)  # slot -> the element made for it
    counts: Mapping[str, Count] = field(default_factory=dict)  # slot -> count
    listings: tuple[Listing, ...] = ()
    columns: tuple[Listing, ...] = ()  # left to right, when the page has two
    fields: tuple[Field, ...] = ()
    marks: tuple[tuple[str, Target], ...] = ()  # (mark name, the one element it marks)
    stats: Mapping[str, float] = field(default_factory=dict)  # layout statistics for `difficulty`
    details: tuple[Detail, ...] = ()  # near-duplicate details every question checks on the render
    click: bool = False  # a box question asks where to click instead (the gold answer stays the box)
    rows: tuple[Listing, ...] = ()  # top to bottom, each left to right (shelves, rows of a grid)
    row_noun: str = "row"  # what a row is called: "shelf", "row"
    strip: Listing | None = None  # a row of tabs, left to right, asked by place from an edge
    strip_ref: str = ""  # how a person names it: "the tab bar above the message list"

    def text_item(self, item_id: int) -> TextItem:
        return self.scene.item(item_id)
