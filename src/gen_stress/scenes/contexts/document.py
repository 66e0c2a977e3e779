"""Document page: a dense printed page on a desk.

A running header over a rule, a title and author line, justified paragraphs with
section headings in one or two columns, superscript footnote markers at sentence ends
with their footnotes in small type at the foot, a ruled table (a row may carry a
dagger explained under it), a page number, and sometimes a stamp printed at an angle.
Lines are justified exactly with hair spaces, so each line stays one text item.

A page in another language (`Request.language`) prints its running text as sentences of
the language's words, its headings, caption, stamps and table from the language's page
words (data/contexts/languages.yaml), its numbers, dates and prices in the locale's
formats; it is shaped by raqm, laid out right to left (right-aligned, the first column at
the right) where the script is, and its lines break only where the language allows.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np

from gen_stress.errors import Resample
from gen_stress.rng import pick
from gen_stress.scenes.colors import ink_for_contrast
from gen_stress.scenes.contexts import Context, vocabulary
from gen_stress.scenes.contexts.edits import one_char_changed
from gen_stress.scenes import languages
from gen_stress.scenes.contexts.sheet import Sheet, cap_gap, font_named, fonts_for, page_shaping, right_to_left
from gen_stress.scenes.contexts.sheet import fitting_everywhere, shapeable_words, styled_fonts, variant_words
from gen_stress.scenes.contexts.sheet import text_width
from gen_stress.scenes.languages import LANGUAGES, page_words
from gen_stress.scenes.fonts import load_catalog
from gen_stress.scenes.geometry import rect_points, tallness
from gen_stress.scenes.model import Scene
from gen_stress.scenes.page import Count, Field, Listing, Page, Request, Target
from gen_stress.scenes.text import measured_advance, pen_advance

BODY_FONTS = ("DejaVu Serif", "Liberation Serif", "EB Garamond", "Roboto Slab", "DejaVu Sans", "Liberation Sans",
              "Open Sans")
HAIR = "\u200a"  # hair space: justifies a line to the pixel without splitting it
DAGGER = "†"
MARK_FONT = "DejaVu Sans"  # draws the dagger on pages whose script's fonts have none
MARGIN_PX = 6
INK = (24, 24, 28)


@dataclass(frozen=True)
class Paragraph:
    heading: str  # "" when the paragraph continues a section
    words: tuple[str, ...]
    marker: int = 0  # footnote number at its end, 0 none


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[str, ...]
    dagger: bool = False


@dataclass(frozen=True)
class DocumentContent:
    journal: str
    header_right: str
    running_header: bool
    title: str
    author: str
    paragraphs: tuple[Paragraph, ...]
    footnotes: tuple[str, ...]  # text of footnote k+1
    caption: str
    row_label: str
    years: tuple[str, ...]
    rows: tuple[Row, ...]
    page_number: str  # "" when not printed
    stamp: str
    columns: int
    swap_columns: bool
    body_font: str
    title_font: str
    body_px: int
    title_px: int
    fine_px: int
    target_px: int
    target_contrast: float
    stroke_px: int
    stamp_angle: int
    paper: tuple[int, int, int]
    surface: str
    surface_rgb: tuple[int, int, int]
    offset: tuple[float, float]
    box_pick: int
    near_dup: str  # label of the row asked about among near-duplicates
    footnote_target: int  # the footnote a fine-print question reads (1-based, 0 none)
    language: str = ""  # the language printed ("": English); see _sample_localized
    numbering: str = "latn"  # the digits it prints (another language's own, or Latin)


class DocumentContext(Context):
    name = "document"
    noun = "page"
    description = "dense document page: title, justified columns, footnote markers and footnotes, a ruled table"
    slots = {
        "fine_text": "a footnote's text, in small type",
        "rotated_text": "a stamp printed at an angle",
        "styled_text": "the title",
        "count_rows": "data rows of the table",
        "count_marks": "footnote markers in the text",
        "list_order": "table rows, top to bottom",
        "list_relative": "table rows, top to bottom",
        "two_columns": "section headings in the left and right column",
        "absent_field": "usual page fields (page number, running header, author, footnotes, table note)",
        "near_miss": "table values and the page number",
        "presupposition": "page number, author line, the last footnote's text or one past it",
        "named_box": "a footnote, the title, the table caption or a table row",
        "near_duplicate": "two table rows whose labels differ by one word",
        "marked_item": "the one table row marked with a dagger",
    }
    refuses = {"count_merged": "a document page lists no quantities to add up"}
    pair_slots = frozenset({"absent_field", "presupposition"})  # the asked field shown or left out
    localized_slots = ("fine_text", "rotated_text", "styled_text", "count_rows", "count_marks", "list_order",
                       "list_relative", "two_columns", "absent_field", "near_miss", "presupposition", "named_box",
                       "near_duplicate", "marked_item")

    def sample(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> DocumentContent:
        if request.language not in ("", "en"):
            return self._sample_localized(request, rng, size)
        vocab = vocabulary("document")
        scale = min(size) / 512
        slot, style = request.slot, request.style
        n_marks, columns, n_paragraphs = _page_plan(request, rng, size)
        # Section headings in their usual order (Introduction before Results).
        headings = sorted((str(h) for h in rng.choice(vocab["headings"], size=min(len(vocab["headings"]),
                                                                              (n_paragraphs + 1) // 2), replace=False)),
                          key=vocab["headings"].index)
        paragraphs = []
        first = max(n_marks, 4)
        marked = set(int(i) for i in rng.choice(first, size=n_marks, replace=False)) if n_marks else set()
        number = 0
        at = _headings_at(n_paragraphs, headings)
        for k in range(n_paragraphs):
            heading = at[k]
            sentences = [str(t) for t in rng.choice(_sentences(), size=int(rng.integers(2, 4)), replace=False)]
            marker = 0
            if k in marked:
                number += 1
                marker = number
            paragraphs.append(Paragraph(heading, tuple(" ".join(sentences).split()), marker))
        pool = vocab["footnotes"] + (vocab["short_footnotes"] if slot == "fine_text" else [])
        if slot == "fine_text":  # footnotes that fit the page's line at the asked size, in any body font
            room = 0.8 * min(size[0] - 2 * MARGIN_PX, (size[1] - 2 * MARGIN_PX) * 0.8)
            pool = list(fitting_everywhere(tuple(vocab["footnotes"] + vocab["short_footnotes"]), BODY_FONTS,
                                              style.text_px, room, "9 ")) or vocab["short_footnotes"]
        # Each footnote says something of its own (while the pool lasts).
        footnotes = tuple(str(t) for t in rng.choice(pool, size=n_marks, replace=n_marks > len(pool)))
        table = pick(rng, vocab["tables"])
        n_rows = _table_rows(request, rng)
        if n_rows > len(table["rows"]) - 1:
            raise Resample("more table rows asked for than labels")
        labels = [str(x) for x in rng.choice(table["rows"], size=n_rows, replace=False)]
        n_years = int(rng.integers(2, 5))
        start = int(rng.integers(0, len(vocab["years"]) - n_years + 1))
        years = tuple(vocab["years"][start:start + n_years])
        rows = [Row(label, tuple(_value(table, rng) for _ in years)) for label in labels]
        dagger_at = int(rng.integers(len(rows))) if slot == "marked_item" or rng.random() < 0.3 else -1
        rows = [dataclasses.replace(r, dagger=k == dagger_at) for k, r in enumerate(rows)]
        near_dup = ""
        if slot == "near_duplicate":
            k = int(rng.integers(len(rows)))
            # (the table's own words: "Late August", "Coastal Tourism"; never "Old Old Town")
            word = pick(rng, [w for w in table["variants"] if w not in rows[k].label.split()])
            twin = Row(f"{word} {rows[k].label}", tuple(_value(table, rng) for _ in years))
            rows.insert(k + 1, twin)
            near_dup = twin.label
        catalog = load_catalog()
        body_font = pick(rng, BODY_FONTS)
        title_font = body_font
        if slot == "styled_text":
            title_font = pick(rng, [f.name for f in catalog.of_class(style.font_class)] or [body_font])
        body_px = _body_px(request, rng, scale)
        title_px = style.text_px if slot == "styled_text" else max(9, int(round(rng.integers(11, 15) * scale)))
        # Titles that fit the line at their size (the page is 0.84 of its width inside the margins).
        room = 0.84 * min(size[0] - 2 * MARGIN_PX, (size[1] - 2 * MARGIN_PX) * 0.8) - 2 * content_stroke(style, slot)
        fitting = list(_titles_fitting(title_font, title_px, room))
        if not fitting:
            raise Resample(f"no title fits the page at {title_px} px")
        title = pick(rng, fitting)
        surface = pick(rng, vocab["surfaces"])
        month = pick(rng, vocab["months"])
        content = DocumentContent(
            journal=pick(rng, vocab["journals"]),
            header_right=f"{month} {int(rng.integers(int(years[-1]), 2027))}",  # dated after its data
            running_header=bool(rng.random() < 0.7), title=title,
            author=_author("", rng) if rng.random() < 0.7 else "",
            paragraphs=tuple(paragraphs), footnotes=footnotes, caption=table["caption"], row_label=table["label"],
            years=years, rows=tuple(rows), page_number=_page_number("latn", rng) if rng.random() < 0.7 else "",
            stamp=pick(rng, vocab["stamps"]) if slot == "rotated_text" else "", columns=columns, swap_columns=False,
            body_font=body_font, title_font=title_font, body_px=body_px,
            title_px=title_px, fine_px=style.text_px if slot == "fine_text" else max(4, body_px - 1),
            **_target_style(style, slot, body_px),
            paper=tuple(pick(rng, vocab["papers"])["rgb"]), surface=surface["name"],
            surface_rgb=tuple(surface["rgb"]), offset=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            box_pick=int(rng.integers(0, 1000)), near_dup=near_dup,
            footnote_target=int(rng.integers(1, n_marks + 1)) if n_marks else 0,
        )
        return _fitted(content, size, slot)

    def _sample_localized(self, request: Request, rng: np.random.Generator,
                          size: tuple[int, int]) -> DocumentContent:
        """A page in another language: sentences of its words (`languages.sentence_tokens`),
        the `document` page words of data/contexts/languages.yaml (headings, caption,
        stamps), a table of its goods' prices over the years, the locale's dates and
        digits, the script's fonts, sometimes a row marked with a dagger (drawn in a Latin font:
        the script's fonts have none) and the note under the table that says what it means; a
        near-duplicate row is a good with a word its receipts add to it (languages.yaml's
        `variants`: "Milch Bio")."""
        code, slot, style = request.language, request.slot, request.style
        lang, words = LANGUAGES[code], page_words(code)
        doc, vocab = words["document"], vocabulary("document")
        scale = min(size) / 512
        shaping = page_shaping(code)
        n_marks, columns, n_paragraphs = _page_plan(request, rng, size)
        heads = doc["headings"]
        headings = sorted((str(h) for h in rng.choice(heads, size=min(len(heads), (n_paragraphs + 1) // 2),
                                                          replace=False)), key=heads.index)
        system = languages.page_numbering(lang, rng)
        body_font = pick(rng, fonts_for(BODY_FONTS, code))
        pool = shapeable_words(code, body_font)
        marked = set(int(i) for i in rng.choice(max(n_marks, 4), size=n_marks, replace=False)) if n_marks else set()
        paragraphs, number = [], 0
        at = _headings_at(n_paragraphs, headings)
        for k in range(n_paragraphs):
            heading = at[k]
            tokens: list[str] = []
            for n in range(int(rng.integers(2, 4))):
                tokens += languages.sentence_tokens(code, rng, int(rng.integers(5, 11)), doc["stop"], first=n == 0,
                                                    pool=pool)
            marker = 0
            if k in marked:
                number += 1
                marker = number
            paragraphs.append(Paragraph(heading, tuple(tokens), marker))
        body = font_named(body_font)
        body_px = _body_px(request, rng, scale)
        fine_px = style.text_px if slot == "fine_text" else max(4, body_px - 1)
        room = 0.8 * min(size[0] - 2 * MARGIN_PX, (size[1] - 2 * MARGIN_PX) * 0.8)
        footnotes = []
        for _ in range(n_marks):  # short sentences that fit the page's line at their size
            for n_words in (5, 4, 3, 2, 2, 2):
                note = "".join(languages.sentence_tokens(code, rng, n_words, doc["stop"], pool=pool))
                if text_width(f"9 {note}", body, fine_px, shaping) <= room:
                    break
            footnotes.append(note)
        n_rows = _table_rows(request, rng)
        if n_rows > len(words["goods"]) - 1:
            raise Resample("more table rows asked for than goods")
        goods = [int(i) for i in rng.choice(len(words["goods"]), size=n_rows, replace=False)]
        n_years = int(rng.integers(2, 5))
        start = int(rng.integers(0, len(vocab["years"]) - n_years + 1))
        years = tuple(languages.in_digits(y, system) for y in vocab["years"][start:start + n_years])
        step = words["price_step"]
        rows = []
        for k in goods:  # each good's price over the years, in the local currency as its shops round it
            low, high = words["goods_cents"][k]
            values = []
            for _ in years:
                cents = float(rng.uniform(low, high)) * words["price_factor"] * 10 ** languages.currency_digits(code)
                values.append(languages.format_amount(code, max(step, int(cents / 100 / step) * step), False, system))
            rows.append(Row(words["goods"][k], tuple(values)))
        near_dup = ""
        if slot == "near_duplicate":  # the same good with one word more ("Milch" and "Milch Bio", languages.yaml)
            k = int(rng.integers(len(rows)))
            variants = variant_words(code, body_font, words["variants"])
            extra = pick(rng, variants)
            label = f"{rows[k].label}{languages.word_space(code)}{extra}"
            if label in {r.label for r in rows}:
                raise Resample("the near-duplicate row is already listed")
            twin = Row(label, tuple(reversed(rows[k].values)))
            if twin.values[0] == rows[k].values[0]:
                raise Resample("the near-duplicate row reads the same value")
            rows.insert(k + 1, twin)
            near_dup = label
        title_font = body_font
        if slot == "styled_text":
            title_font = pick(rng, [f.name for f in styled_fonts(code, style.font_class)] or [body_font])
        title_px = style.text_px if slot == "styled_text" else max(9, int(round(rng.integers(11, 15) * scale)))
        room = 0.84 * min(size[0] - 2 * MARGIN_PX, (size[1] - 2 * MARGIN_PX) * 0.8) - 2 * content_stroke(style, slot)
        titles = [languages.phrase(code, rng, n, shapeable_words(code, title_font)) for n in (4, 3, 3, 2, 2, 2)]
        fitting = [t for t in titles if not font_named(title_font).missing(t)
                   and text_width(t, font_named(title_font), title_px, shaping) <= room]
        if not fitting:
            raise Resample(f"no title fits the page at {title_px} px")
        day = datetime.date(int(rng.integers(int(vocab["years"][start + n_years - 1]), 2027)),
                            int(rng.integers(1, 13)), int(rng.integers(1, 29)))
        surface = pick(rng, vocab["surfaces"])
        content = DocumentContent(
            journal=languages.phrase(code, rng, int(rng.integers(2, 4)), pool),
            header_right=languages.format_day(lang, day, pick(rng, ("medium", "long")), system),
            running_header=bool(rng.random() < 0.7), title=fitting[0],
            author=_author(code, rng) if rng.random() < 0.7 else "",
            paragraphs=tuple(paragraphs), footnotes=tuple(footnotes),
            caption=languages.in_digits(doc["caption"], system), row_label=doc["row_label"],
            years=years, rows=tuple(rows),
            page_number=_page_number(system, rng) if rng.random() < 0.7 else "",
            stamp=pick(rng, doc["stamps"]) if slot == "rotated_text" else "", columns=columns, swap_columns=False,
            body_font=body_font, title_font=title_font, body_px=body_px, title_px=title_px, fine_px=fine_px,
            **_target_style(style, slot, body_px),
            paper=tuple(pick(rng, vocab["papers"])["rgb"]), surface=surface["name"],
            surface_rgb=tuple(surface["rgb"]), offset=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))),
            box_pick=int(rng.integers(0, 1000)), near_dup=near_dup,
            footnote_target=int(rng.integers(1, n_marks + 1)) if n_marks else 0, language=code, numbering=system,
        )
        # A row marked with a dagger, as in English (drawn last: the rest of the page is as
        # before daggers were printed), never the near-duplicate asked about.
        can = [k for k, r in enumerate(rows) if r.label != near_dup]
        if slot == "marked_item" or rng.random() < 0.3:
            dagger_at = can[int(rng.integers(len(can)))]
            content = dataclasses.replace(content, rows=tuple(dataclasses.replace(r, dagger=k == dagger_at)
                                                              for k, r in enumerate(rows)))
        return _fitted(content, size, slot, doc["stop"])

    def optional_fields(self, content: DocumentContent, request: Request) -> dict[str, bool]:
        """The page number, author line and footnotes (the last one, and one past it),
        and, asked whether shown, the running header, footnotes at all and the table's
        note. (The header's date is not among them: whether it fits beside the journal
        is known only once laid out.)"""
        n = len(content.footnotes)
        shown = {"a page number": bool(content.page_number), "an author line": bool(content.author)}
        if request.slot == "absent_field":
            shown.update({"a running header": content.running_header, "footnotes": n > 0,
                          "a note under the table": any(r.dagger for r in content.rows)})
        if n:
            shown[f"footnote {n}"] = True
        shown[f"footnote {n + 1}"] = False
        return shown

    def change(self, content: DocumentContent, request: Request, rng: np.random.Generator,
               focus: tuple[str, ...] = ()) -> DocumentContent:
        slot = request.slot
        rows = list(content.rows)
        labels = [r.label for r in rows]
        if slot == "fine_text":
            k = content.footnote_target - 1
            notes = list(content.footnotes)
            notes[k] = one_char_changed(notes[k], font_named(content.body_font), rng, content.language, content.fine_px)
            return dataclasses.replace(content, footnotes=tuple(notes))
        if slot == "rotated_text":
            return dataclasses.replace(content, stamp=one_char_changed(content.stamp, font_named(content.body_font), rng, content.language,
                                                                           content.target_px))
        if slot == "styled_text":
            return dataclasses.replace(content, title=one_char_changed(content.title, font_named(content.title_font), rng, content.language,
                                                                           content.title_px))
        if slot == "count_marks":  # one marker added or taken away (footnotes renumbered)
            paras = list(content.paragraphs)
            k = int(rng.integers(len(paras)))
            paras[k] = dataclasses.replace(paras[k], marker=0 if paras[k].marker else -1)
            return _renumbered(content, paras, rng)
        if slot == "two_columns":
            return dataclasses.replace(content, swap_columns=not content.swap_columns)
        if slot in ("absent_field", "presupposition") and focus:  # the asked field printed or left off
            return _toggled(content, focus[0], rng)
        if slot in ("count_rows", "list_order"):
            k = labels.index(focus[0]) if focus and focus[0] in labels else int(rng.integers(len(rows)))
            if len(rows) < 2:
                raise Resample("too few rows to remove one")
            rows.pop(k)
            return dataclasses.replace(content, rows=tuple(rows))
        if slot == "list_relative" and len(focus) == 2:
            i = labels.index(focus[0])
            moving = rows.pop(i)
            j = [r.label for r in rows].index(focus[1])
            rows.insert(j + 1 if i < labels.index(focus[1]) else j, moving)
            return dataclasses.replace(content, rows=tuple(rows))
        if slot == "marked_item":
            return dataclasses.replace(content, rows=tuple(dataclasses.replace(r, dagger=bool(focus) and
                                                                                r.label == focus[0]) for r in rows))
        if slot == "near_duplicate":
            k = labels.index(content.near_dup)
            first = rows[k].values[0]
            rows[k] = dataclasses.replace(rows[k], values=(one_char_changed(first, font_named(content.body_font), rng, content.language,
                                                                           content.body_px),)
                                          + rows[k].values[1:])
            return dataclasses.replace(content, rows=tuple(rows))
        raise Resample(f"document pages make no minimal pair for {slot}")

    # Layout ------------------------------------------------------------------------------

    def layout(self, content: DocumentContent, request: Request, size: tuple[int, int]) -> Page:
        width, height = size
        body, title_font = font_named(content.body_font), font_named(content.title_font)
        px = content.body_px
        lead = _leading(content, body)
        pitch = cap_gap(lead(px)) * 0.85
        x0, y0, x1, y1, pad = _frame(content, size)
        left, right = x0 + pad, x1 - pad
        sheet = Sheet(shaping=page_shaping(content.language), mirror=right_to_left(content.language))
        flow = _Flow(sheet, left, right)
        tw = flow.width
        sheet.outline(rect_points((x0, y0, x1, y1)), content.paper, "paper", "page", z=1, item_id=1)
        out: dict = {"rows": [], "markers": [], "notes": [], "headings": [[], []], "fields": {}}
        y = y0 + pad * 0.6
        if content.running_header:
            y += px
            out["fields"]["journal"] = sheet.text(content.journal, body, px - 1, flow.x(left), y, rgb=INK,
                                                  role="running_header").item_id
            if tw(content.journal + "    " + content.header_right, body, px - 1) <= right - left:
                out["fields"]["date"] = sheet.text(content.header_right, body, px - 1, flow.x(right), y, rgb=INK,
                                                   role="running_header", align="right").item_id
            y += px * 0.6
            sheet.rule(left, right, y, 1, INK)
        y += content.title_px * 1.8 + 2 * content.stroke_px
        if tw(content.title, title_font, content.title_px) + 2 * content.stroke_px > right - left:
            raise Resample("the title does not fit the page")
        rgb, stroke_rgb = INK, None
        if content.target_contrast:
            rgb = ink_for_contrast(content.paper, content.target_contrast)
        if content.stroke_px:
            stroke_rgb, rgb = rgb, content.paper
        out["title"] = sheet.text(content.title, title_font, content.title_px, (left + right) / 2, y, rgb=rgb,
                                  role="heading", align="center", stroke_px=content.stroke_px,
                                  stroke_rgb=stroke_rgb).item_id
        if content.author:
            y += cap_gap(lead(px)) * 1.1
            out["fields"]["author"] = sheet.text(content.author, body, px, (left + right) / 2, y, rgb=INK,
                                                 role="author", align="center").item_id
        y += px * 1.2
        # What goes below the text, bottom up: page number, footnotes, stamp, table.
        bottom = y1 - pad * 0.5
        if content.page_number:
            out["fields"]["page"] = sheet.text(content.page_number, body, px, (x0 + x1) / 2, bottom, rgb=INK,
                                               role="page_number", align="center").item_id
            bottom -= cap_gap(lead(px))
        for k in range(len(content.footnotes) - 1, -1, -1):
            note_px = content.fine_px
            number = languages.in_digits(str(k + 1), content.numbering)
            num = sheet.text(number, body, _raised_px(content, note_px, least=4), flow.x(left),
                             bottom - note_px * 0.45,
                             rgb=INK, role="footnote_number")
            text = sheet.text(content.footnotes[k], body, note_px, flow.x(left + tw(f"{number} ", body, note_px)),
                              bottom, rgb=INK, role="footnote")
            if flow.past_end(text.bbox, right):
                raise Resample("a footnote does not fit the line")
            out["notes"].insert(0, (num.item_id, text.item_id))
            bottom -= cap_gap(lead(note_px)) * 0.9
        if content.footnotes:
            sheet.rule(*flow.span(left, left + (right - left) / 3), bottom + 1, 1, INK)
            bottom -= px
        if content.stamp:
            room = _stamp_room(content, body)
            out["stamp"] = sheet.turned_text(content.stamp, body, content.target_px,
                                             ((left + right) / 2, bottom - room / 2), content.stamp_angle,
                                             rgb=(170, 30, 36), role="stamp").item_id
            bottom -= room
        bottom = self._table(flow, content, body, left, right, bottom, out)
        self._columns(flow, content, body, left, right, y, bottom - px, pitch, out)
        scene = Scene(width, height, content.surface, content.surface_rgb, tuple(sheet.items))
        return self._page(scene, content, out, request)

    @staticmethod
    def _table(flow: _Flow, content: DocumentContent, body, left, right, bottom, out) -> float:
        """The ruled table, laid out upwards from `bottom`; returns its top."""
        sheet, tw = flow.sheet, flow.width
        px = content.body_px
        gap = cap_gap(_leading(content, body)(px))
        row_h = gap * 0.95
        n = len(content.rows)
        note = any(r.dagger for r in content.rows)
        top = bottom - (n + 1) * row_h - gap * (2.2 if note else 1.2)
        if top < 0:
            raise Resample("the table does not fit")
        y = top + gap
        caption = content.caption if content.language else f"Table 1. {content.caption}"
        out["caption"] = sheet.text(caption, body, px, flow.x(left), y, rgb=INK, role="caption").item_id
        y += px * 0.8
        marks = font_named(MARK_FONT) if content.language else body
        if content.language:  # the dagger in its own font, a space's width after the label
            label_w = max(tw(r.label, body, px) + px * 0.5 + tw(DAGGER, marks, px) for r in content.rows) + 2 * px
        else:
            label_w = max(tw(r.label + " " + DAGGER, body, px) for r in content.rows) + 2 * px
        label_w = max(label_w, tw(content.row_label, body, px) + 2 * px)
        col_w = (right - left - label_w) / len(content.years)
        if col_w < max(tw(v, body, px) for r in content.rows for v in r.values) + px:
            raise Resample("the table columns are too narrow")
        edges = [left, left + label_w] + [left + label_w + (k + 1) * col_w for k in range(len(content.years))]
        table_top = y
        sheet.rule(left, right, y, 1.5, INK, "table rule")
        cells = [(content.row_label, content.years, False)] + [(r.label, r.values, r.dagger) for r in content.rows]
        for k, (label, values, dagger) in enumerate(cells):
            base = y + row_h * 0.5 + px * 0.5
            role = "column_header" if k == 0 else "row_label"
            lab = sheet.text(label, body, px, flow.x(left + px * 0.6), base, rgb=INK, role=role)
            mark = None
            if dagger:  # after the label as it reads (at its left on a right-to-left page)
                mark_px = max(4, px - 1)
                x = lab.bbox[2] + 2 if not sheet.mirror else lab.bbox[0] - 2 - tw(DAGGER, marks, mark_px) / 2
                mark = sheet.text(DAGGER, marks, mark_px, x, base - px * 0.3, rgb=INK, role="mark",
                                  align="left" if not sheet.mirror else "center").item_id
            ids = []
            for j, value in enumerate(values):
                ids.append(sheet.text(value, body, px, flow.x(edges[j + 2] - px * 0.6), base, rgb=INK,
                                      role="column_header" if k == 0 else "cell", align="right").item_id)
            if k:
                out["rows"].append((lab.item_id, tuple(ids), mark))
            y += row_h
            sheet.rule(left, right, y, 1.5 if k in (0, len(cells) - 1) else 0.6, INK, "table rule")
        for x in edges[1:-1]:  # the column rules
            a, b = flow.span(x, x + 1)
            sheet.outline(rect_points((a, table_top, b, y)), INK, "rule", "table rule")
        if note and not content.language:
            out["dagger_note"] = sheet.text(f"{DAGGER} Provisional figure.", body, max(4, px - 1), left,
                                            y + cap_gap(px) * 0.9, rgb=INK, role="table_note").item_id
        elif note:  # the dagger in its own font, then the page words' note, from the start of the line
            note_px, base = max(4, px - 1), y + cap_gap(px) * 0.9
            dagger_w = tw(DAGGER, marks, note_px)
            sheet.text(DAGGER, marks, note_px, flow.x(left + dagger_w / 2), base, rgb=INK, role="table_note",
                       align="center")
            out["dagger_note"] = sheet.text(page_words(content.language)["document"]["note"], body, note_px,
                                            flow.x(left + dagger_w + note_px * 0.5), base, rgb=INK,
                                            role="table_note").item_id
        return top

    @staticmethod
    def _columns(flow: _Flow, content: DocumentContent, body, left, right, top, bottom, pitch, out) -> None:
        """Headings and justified paragraphs flowed down one or two columns (on a
        right-to-left page, right-aligned and the first column at the right)."""
        sheet, tw = flow.sheet, flow.width
        px = content.body_px
        gutter = 2.5 * px if content.columns == 2 else 0
        col_w = (right - left - gutter) / content.columns
        col_x = [left + c * (col_w + gutter) for c in range(content.columns)]
        if content.swap_columns:
            col_x = col_x[::-1]
        column, y = 0, top
        space_w = tw(" ", body, px)
        wrapped = _wrapped(content, body, px, col_w, sheet.shaping)
        needs = _needs(content, wrapped, pitch)
        # Two columns are balanced: the first ends once it holds about half the text.
        first_end = min(bottom, top + sum(needs) / 2 + pitch) if content.columns == 2 else bottom
        for para, lines, need in zip(content.paragraphs, wrapped, needs):
            # The next column once this one is full (as _n_placed counts); the balanced
            # first column takes a paragraph longer than its share when it holds none yet.
            cut = False
            if y + need > (first_end if column == 0 and y > top else bottom):
                if column + 1 < content.columns:
                    column, y = column + 1, top
                if y + need > bottom:  # the last column is full, or the paragraph is taller than a
                    # whole one: its first lines fill the column, the rest goes overleaf (never over the table)
                    if para.marker:
                        raise Resample("a paragraph with a footnote marker does not fit")
                    room = int((bottom - y - (pitch * 1.6 if para.heading else 0) - pitch * 0.3) // pitch)
                    if room < 2:  # (no heading or single line left alone at a column's foot)
                        break
                    lines, cut = lines[:room], True
            x = col_x[column]
            if para.heading:
                y += pitch * 1.4
                item = sheet.text(para.heading, body, px + 1, flow.x(x), y, rgb=INK, role="section_heading")
                out["headings"][column].append((para.heading, item.item_id))
                y += pitch * 0.2
            for k, words in enumerate(lines):
                y += pitch
                last = k == len(lines) - 1 and not cut  # (a cut paragraph's last line here is justified)
                indent = 2 * space_w if k == 0 else 0
                if content.language:
                    text = words if last else _justified_line(words, body, px, col_w - indent, sheet.shaping,
                                                              content.language)
                else:
                    text = " ".join(words) if last else _justified(words, body, px, col_w - indent)
                item = sheet.text(text, body, px, flow.x(x + indent), y, rgb=INK, role="body")
                if last and para.marker:
                    number = languages.in_digits(str(para.marker), content.numbering)
                    end = item.bbox[0] - 1 if sheet.mirror else item.bbox[2] + 1  # after the line's last word
                    marker = sheet.text(number, body, _raised_px(content, px), end, y - px * 0.5, rgb=INK,
                                        role="footnote_marker")
                    if flow.past_end(marker.bbox, x + col_w + px):
                        raise Resample("no room for a footnote marker")
                    out["markers"].append(marker.item_id)
            y += pitch * 0.3
            if cut:
                break

    def _page(self, scene: Scene, content: DocumentContent, out: dict, request: Request) -> Page:
        text = {it.item_id: it.text for it in scene.items if hasattr(it, "layout")}
        entries = tuple(Target((lab,) + ((mark,) if mark else ()), r.label, r.label, r.label)
                        for r, (lab, _ids, mark) in zip(content.rows, out["rows"]))
        targets = {"styled_text": Target((out["title"],), "the title of the page", text[out["title"]])}
        if content.footnote_target and content.footnote_target <= len(out["notes"]):
            k = content.footnote_target
            targets["fine_text"] = Target((out["notes"][k - 1][1],), f"footnote {k} (its text, without the number)",
                                          text[out["notes"][k - 1][1]])
        if "stamp" in out:
            targets["rotated_text"] = Target((out["stamp"],), "the stamp printed at an angle on the page",
                                             text[out["stamp"]])
        if content.near_dup:
            k = [r.label for r in content.rows].index(content.near_dup)
            lab, ids, _m = out["rows"][k]
            targets["near_duplicate"] = Target((ids[0], lab), f"the value in the {content.years[0]} column of the "
                                               f"table row {content.near_dup}", text[ids[0]], content.near_dup)
        caption = f"the table caption ('{content.caption}')" if content.language else \
            "the table caption (the line starting 'Table 1.')"
        boxable = [("the title of the page", (out["title"],)), (caption, (out["caption"],))]
        boxable += [(f"footnote {k + 1} at the foot of the page (its number and its text)", ids)
                    for k, ids in enumerate(out["notes"])]
        boxable += [(f"the table row {r.label} (its label and all its values)", (lab,) + ids + ((m,) if m else ()))
                    for r, (lab, ids, m) in zip(content.rows, out["rows"])]
        ref, ids = boxable[content.box_pick % len(boxable)]
        targets["named_box"] = Target(ids, ref, text[ids[0]])
        columns = ()
        if content.columns == 2 and all(out["headings"]):
            columns = tuple(Listing("section heading", tuple(Target((i,), f"the heading '{h}'", h, f"'{h}'")
                                                             for h, i in col)) for col in out["headings"])
            if content.swap_columns != right_to_left(content.language):  # listed left to right, as drawn
                columns = columns[::-1]
        marks = tuple((f"a dagger ({DAGGER})", e) for r, e in zip(content.rows, entries) if r.dagger)
        counts = {
            "count_rows": Count("How many data rows does the table on this page have? Do not count the header "
                                "row.", len(content.rows), tuple(lab for lab, _i, _m in out["rows"])),
            "count_marks": Count("How many footnote markers (small raised numbers) appear in the body text of this "
                                 "page?", len(out["markers"]), tuple(out["markers"])),
        }
        fields = [Field("a page number", "page" in out["fields"], "the page number",
                        content.page_number if "page" in out["fields"] else "",
                        (out["fields"]["page"],) if "page" in out["fields"] else (), numeric=True),
                  Field("a running header", "journal" in out["fields"], "", "",
                        (out["fields"]["journal"],) if "journal" in out["fields"] else ()),
                  Field("an author line", "author" in out["fields"], "the author line",
                        content.author, (out["fields"]["author"],) if "author" in out["fields"] else ()),
                  Field("a date in the running header", "date" in out["fields"], "the date in the running header",
                        content.header_right if "date" in out["fields"] else "",
                        (out["fields"]["date"],) if "date" in out["fields"] else ()),
                  # (checked on their text: a number at the foot may be too small to own a pixel,
                  # while the line itself shows the footnote and, counted, its place)
                  Field("footnotes", bool(out["notes"]), "", "", tuple(note for _num, note in out["notes"])),
                  Field("a note under the table", "dagger_note" in out, "", "",
                        (out["dagger_note"],) if "dagger_note" in out else ()),
                  Field(f"footnote {len(out['notes']) + 1}", False, f"the text of footnote {len(out['notes']) + 1}")]
        if out["notes"]:  # the last footnote: the one a twin takes away
            n = len(out["notes"])
            fields.append(Field(f"footnote {n}", True, f"the text of footnote {n}", text[out["notes"][-1][1]],
                                out["notes"][-1][1:]))
        for r, (lab, ids, _m) in list(zip(content.rows, out["rows"]))[:3]:
            fields.append(Field(f"a value for {r.label} in {content.years[-1]}", True,
                                f"the value in the {content.years[-1]} column of the table row {r.label}",
                                text[ids[-1]], (ids[-1], lab), numeric=True, usual=False))
        stats = {"n_elements": len(text), "n_rows": len(content.rows), "n_columns": content.columns, "skew_deg": 0.0,
                 "body_px": content.body_px}
        return Page("document", "page", scene, targets, counts, (Listing("table row", entries),), columns,
                    tuple(fields), marks, stats)


@dataclass(frozen=True)
class _Flow:
    """Where a line goes on a page that may be mirrored: a right-to-left page places at
    `x(x)` what a left-to-right one places at x (the sheet swaps the alignment)."""

    sheet: Sheet
    left: float
    right: float

    def x(self, x: float) -> float:
        return self.left + self.right - x if self.sheet.mirror else x

    def span(self, a: float, b: float) -> tuple[float, float]:
        return (self.x(b), self.x(a)) if self.sheet.mirror else (a, b)

    def past_end(self, bbox, end: float) -> bool:
        """Whether a line's box runs past `end` (the left-to-right place of its far end)."""
        return bbox[0] < self.x(end) if self.sheet.mirror else bbox[2] > end

    def width(self, text: str, font, text_px: int) -> float:
        return text_width(text, font, text_px, self.sheet.shaping)


def _stamp_room(content: DocumentContent, body) -> float:
    """Height the stamp takes above the footnotes: its line turned by its angle (turned
    15 degrees, a long word needs a fraction of its length), with a margin above and below."""
    length = text_width(content.stamp, body, content.target_px, page_shaping(content.language))
    turn = math.radians(content.stamp_angle)
    tall = 1.5 * content.target_px  # the line's ink, accents and descenders included
    return length * abs(math.sin(turn)) + tall * abs(math.cos(turn)) + 2 * content.target_px


def _renumbered(content: DocumentContent, paras: list[Paragraph], rng, fresh: bool = False) -> DocumentContent:
    """The page with its paragraphs' markers numbered again in reading order, each keeping
    its footnote; a new marker (-1) gets the first footnote's text again, or (`fresh`) a
    footnote of its own."""
    number, notes, old = 0, [], content.footnotes
    for i, p in enumerate(paras):
        if p.marker:
            number += 1
            notes.append(old[p.marker - 1] if p.marker > 0 else old[0] if old and not fresh
                         else _new_note(content, rng))
            paras[i] = dataclasses.replace(p, marker=number)
    return dataclasses.replace(content, paragraphs=tuple(paras), footnotes=tuple(notes),
                               footnote_target=min(content.footnote_target, number))


def _toggled(content: DocumentContent, field: str, rng: np.random.Generator) -> DocumentContent:
    """The page with one optional field (see DocumentContext.optional_fields) printed or left off."""
    n = len(content.footnotes)
    paras = list(content.paragraphs)
    if field == "a page number":
        return dataclasses.replace(content, page_number="" if content.page_number else
                                   _page_number(content.numbering, rng))
    if field == "a running header":
        return dataclasses.replace(content, running_header=not content.running_header)
    if field == "an author line":
        return dataclasses.replace(content, author="" if content.author else _author(content.language, rng))
    if field == "a note under the table":  # the dagger taken off its row, or put on one
        rows = content.rows
        if any(r.dagger for r in rows):
            rows = tuple(dataclasses.replace(r, dagger=False) for r in rows)
        else:
            can = [k for k, r in enumerate(rows) if r.label != content.near_dup]
            at = can[int(rng.integers(len(can)))]
            rows = tuple(dataclasses.replace(r, dagger=k == at) for k, r in enumerate(rows))
        return dataclasses.replace(content, rows=rows)
    if field == "footnotes" and n:  # every marker and footnote taken away
        return dataclasses.replace(content, paragraphs=tuple(dataclasses.replace(p, marker=0) for p in paras),
                                   footnotes=(), footnote_target=0)
    if field == "footnotes" or field == f"footnote {n + 1}":  # one more marker, in a paragraph without one
        free = [i for i, p in enumerate(paras[:max(4, n + 1)]) if not p.marker]  # where sample puts them
        if not free:
            raise Resample("no paragraph left for another footnote marker")
        k = free[int(rng.integers(len(free)))]
        paras[k] = dataclasses.replace(paras[k], marker=-1)
        return _renumbered(content, paras, rng, fresh=True)
    if field == f"footnote {n}" and n:  # the last marker taken away, with its footnote
        last = max(i for i, p in enumerate(paras) if p.marker)
        paras[last] = dataclasses.replace(paras[last], marker=0)
        return _renumbered(content, paras, rng)
    raise Resample(f"a page cannot print or leave off {field}")


def _page_number(numbering: str, rng) -> str:
    return languages.in_digits(str(int(rng.integers(2, 240))), numbering)


def _author(language: str, rng) -> str:
    """One or two authors (another language: one name, with no list separator to choose)."""
    if language:
        return languages.person_name(LANGUAGES[language], rng)
    return ", ".join(str(a) for a in rng.choice(vocabulary("document")["authors"], size=int(rng.integers(1, 3)),
                                                replace=False))


def _new_note(content: DocumentContent, rng) -> str:
    """A footnote for a marker added by a twin: the English one, or a short sentence of
    the page's language."""
    if not content.language:
        return "See appendix."
    stop = page_words(content.language)["document"]["stop"]
    pool = shapeable_words(content.language, content.body_font)
    return "".join(languages.sentence_tokens(content.language, rng, 3, stop, pool=pool))


def _target_style(style, slot: str, body_px: int) -> dict:
    """The asked text's knobs as a page draws them (in any language)."""
    return {"target_px": style.text_px if style is not None else body_px,
            "target_contrast": style.contrast_ratio if slot == "styled_text" else 0.0,
            "stroke_px": style.stroke_px if slot == "styled_text" else 0,
            "stamp_angle": style.angle_deg if slot == "rotated_text" else 0}


def _page_plan(request: Request, rng: np.random.Generator, size: tuple[int, int]) -> tuple[int, int, int]:
    """(footnote markers, columns, paragraphs) of a page, in any language. Enough text to
    fill the page: what does not fit is left off its foot (the markers sit in the first
    paragraphs, which always fit). A page taller than wide holds more, a little more than
    in proportion, up to three times as much (else a phone-shaped page left a third of its
    height blank above its table)."""
    n_marks = int(rng.integers(0, 4))
    if request.slot == "count_marks":
        n_marks = request.count
    elif request.slot == "fine_text":
        n_marks = max(1, n_marks)
    columns = 2 if request.two_columns or n_marks >= 4 or rng.random() < 0.5 else 1
    n_paragraphs = max(n_marks + 1, int(rng.integers(9, 13)))
    return n_marks, columns, int(round(n_paragraphs * min(3.0, tallness(size) ** 1.25)))


def _headings_at(n_paragraphs: int, headings: list[str]) -> list[str]:
    """The heading each paragraph starts with ("" where it continues a section): a section
    every two paragraphs, or every few as spread the headings over all of them when there
    are more paragraphs (a tall page's): a left/right question needs headings in both
    columns, and the second column of a phone-shaped page had none."""
    every = max(2, math.ceil(n_paragraphs / len(headings))) if headings else 2
    return [headings[k // every] if k % every == 0 and k // every < len(headings) else "" for k in range(n_paragraphs)]


MARKER_SLOTS = ("fine_text", "count_marks")  # questions about the footnotes themselves
MIN_TABLE_ROWS = 3  # the fewest rows a table is drawn with (one whose rows are counted aside)
MIN_BODY_PX = 5  # the smallest body a page sets


def _table_rows(request: Request, rng: np.random.Generator) -> int:
    """How many rows the table has: the asked count, else three to six (four at least for
    a question with four options among them)."""
    if request.slot == "count_rows":
        return request.count
    return int(rng.integers(MIN_TABLE_ROWS + 1 if request.slot == "marked_item" else MIN_TABLE_ROWS, 7))


def _body_px(request: Request, rng: np.random.Generator, scale: float) -> int:
    """The body's size; footnotes asked about are never larger than it (up to what a page holds)."""
    body_px = max(MIN_BODY_PX, int(round(rng.integers(6, 8) * scale)))
    if request.slot == "fine_text":
        body_px = max(body_px, min(request.style.text_px, int(12 * scale)))
    return body_px


MIN_MARKER_PX = 5  # cap height of a footnote marker in the text
MIN_CJK_MARKER_EM = 6  # (at a 5 px em, the 5, 6, 7 and 8 of Noto Sans CJK own no pixel: pages of small
# pictures, whose body is set at 5 px, could not show a fifth footnote)


def _raised_px(content: DocumentContent, px: int, least: int = MIN_MARKER_PX) -> int:
    """The size of a raised footnote number next to text of size `px`: 0.7 of it, at least
    `least` (a marker in the text 5 px, a number at the foot 4 px, as before); in
    Chinese, Japanese and Korean, where `text_px` is the em and a digit stands 0.7 of it
    tall, the digits themselves are 0.7 as tall as the text's (set at an em of 6 px at
    least)."""
    if content.language and LANGUAGES[content.language].script in languages.CJK:
        return max(MIN_CJK_MARKER_EM, px)
    # (a superscript of four pixels may draw a "1" with no pixel of its own)
    return max(least, round(px * 0.7))


def _leading(content: DocumentContent, font):
    """The size lines of a given cap height are spaced for: the cap height itself in
    English; in other languages at least 0.8 em, as scripts whose reference letter is
    small in its em (Thai, Devanagari, Bengali) stack marks above and below it."""
    if not content.language:
        return lambda px: px
    return lambda px: max(px, 0.8 * font.em_for_cap(px))


def content_stroke(style, slot: str) -> int:
    return style.stroke_px if slot == "styled_text" and style is not None else 0


def _value(table: dict, rng) -> str:
    value = float(rng.uniform(table["low"], table["high"]))
    return f"{value:.{table['decimals']}f}"




def _frame(content: DocumentContent, size: tuple[int, int]) -> tuple[float, float, float, float, float]:
    """(x0, y0, x1, y1, padding) of the page in the image."""
    width, height = size
    page_h = height - 2 * MARGIN_PX
    page_w = min(width - 2 * MARGIN_PX, page_h * 0.8)
    x0 = MARGIN_PX + content.offset[0] * (width - 2 * MARGIN_PX - page_w)
    y0 = MARGIN_PX
    return x0, y0, x0 + page_w, y0 + page_h, 0.08 * page_w


def _n_placed(content: DocumentContent, size: tuple[int, int]) -> int:
    """How many paragraphs the layout puts on the page: its arithmetic (title, author and
    running header above; page number, footnotes, stamp and table below; the columns'
    flow, lines spaced by the script's leading and wrapped as the layout wraps them),
    without drawing."""
    x0, y0, x1, y1, pad = _frame(content, size)
    body = font_named(content.body_font)
    px = content.body_px
    lead = _leading(content, body)
    pitch = cap_gap(lead(px)) * 0.85
    left, right = x0 + pad, x1 - pad
    y = y0 + pad * 0.6
    if content.running_header:
        y += px
        y += px * 0.6
    y += content.title_px * 1.8 + 2 * content.stroke_px
    if content.author:
        y += cap_gap(lead(px)) * 1.1
    y += px * 1.2
    bottom = y1 - pad * 0.5
    if content.page_number:
        bottom -= cap_gap(lead(px))
    for _note in content.footnotes:
        bottom -= cap_gap(lead(content.fine_px)) * 0.9
    if content.footnotes:
        bottom -= px
    if content.stamp:
        bottom -= _stamp_room(content, body)
    note = any(r.dagger for r in content.rows)
    gap = cap_gap(lead(px))
    bottom = bottom - (len(content.rows) + 1) * (gap * 0.95) - gap * (2.2 if note else 1.2)
    bottom -= px
    gutter = 2.5 * px if content.columns == 2 else 0
    col_w = (right - left - gutter) / content.columns
    needs = _needs(content, _wrapped(content, body, px, col_w, page_shaping(content.language)), pitch)
    first_end = min(bottom, y + sum(needs) / 2 + pitch) if content.columns == 2 else bottom
    column, top = 0, y
    for k, need in enumerate(needs):
        if y + need > (first_end if column == 0 and y > top else bottom):
            column += 1
            y = top
            # (the layout cuts a paragraph taller than a whole column: not placed in full)
            if column >= content.columns or y + need > bottom:
                return k
        y += need
    return len(needs)


def _wrapped(content: DocumentContent, body, px: int, col_w: float, shaping) -> list:
    """Each paragraph's lines in a column `col_w` wide, indented by two spaces: by words
    in English, by the language's tokens (shaped) otherwise. What the layout flows and its
    arithmetic (_n_placed) counts."""
    space_w = text_width(" ", body, px, shaping)
    if content.language:
        return [_wrap_tokens(p.words, body, px, col_w, 2 * space_w, shaping) for p in content.paragraphs]
    # (positional: lru_cache keys keyword and positional calls apart)
    return [_wrap(p.words, body, px, col_w, 2 * space_w) for p in content.paragraphs]


def _needs(content: DocumentContent, wrapped: list, pitch: float) -> list[float]:
    """The height each paragraph takes: its heading, its lines and the gap after it."""
    return [(pitch * 1.6 if p.heading else 0) + pitch * (len(lines) + 0.3) for p, lines in zip(content.paragraphs, wrapped)]


def _fitted(content: DocumentContent, size: tuple[int, int], slot: str, stop: str = ".") -> DocumentContent:
    """The content made to hold its footnote markers on the page (a large stamp or large
    footnotes leave little room for text): unmarked paragraphs before the last marked
    one left out, then marked paragraphs cut to their first sentence, then two columns,
    then, when the question is about the footnotes, footnotes other than the one read,
    table rows down to three and body size; what the question rests on (the markers
    counted, the footnote read) stays."""
    while True:
        paragraphs = list(content.paragraphs)
        last = max((k for k, p in enumerate(paragraphs) if p.marker), default=-1)
        if last < 0 or last < _n_placed(content, size):  # (no marker: nothing to hold)
            return content
        spare = [k for k in range(last) if not paragraphs[k].marker]
        if spare:
            k = spare[-1]
            if paragraphs[k].heading and k + 1 < len(paragraphs) and not paragraphs[k + 1].heading:
                paragraphs[k + 1] = dataclasses.replace(paragraphs[k + 1], heading=paragraphs[k].heading)
            paragraphs.pop(k)
            content = dataclasses.replace(content, paragraphs=tuple(paragraphs))
        elif long := [k for k in range(last + 1)
                      if len(_first_sentence(paragraphs[k].words, stop)) < len(paragraphs[k].words)]:
            k = long[-1]
            paragraphs[k] = dataclasses.replace(paragraphs[k], words=_first_sentence(paragraphs[k].words, stop))
            content = dataclasses.replace(content, paragraphs=tuple(paragraphs))
        elif content.columns == 1:
            content = dataclasses.replace(content, columns=2)
        # A page whose footnotes are asked at a large size (worst in a tall script: Thai at 9 px
        # on a page 384 px high) gives up what the question does not ask about: a footnote
        # other than the one read, ...
        elif slot == "fine_text" and len(content.footnotes) > 1:
            drop = max(m for m in range(1, len(content.footnotes) + 1) if m != content.footnote_target)
            kept = [dataclasses.replace(p, marker=0) if p.marker == drop else p for p in paragraphs]
            content = dataclasses.replace(_renumbered(content, kept, None),
                                          footnote_target=content.footnote_target - (content.footnote_target > drop))
        # ... then table rows, down to three (its marked row, if any, stays), then the body's
        # size (footnotes above a page's body size are printed larger than it already).
        elif slot in MARKER_SLOTS and len(content.rows) > MIN_TABLE_ROWS:
            k = max(k for k, r in enumerate(content.rows) if not r.dagger)
            content = dataclasses.replace(content, rows=content.rows[:k] + content.rows[k + 1:])
        elif slot == "fine_text" and content.body_px > MIN_BODY_PX:
            content = dataclasses.replace(content, body_px=content.body_px - 1)
        else:
            raise Resample("a paragraph with a footnote marker does not fit")


def _first_sentence(words: tuple[str, ...], stop: str = ".") -> tuple[str, ...]:
    """The words (or a language's tokens) of a paragraph's first sentence: up to the first
    that ends with the language's full stop; in Thai, which writes none, up to the token
    before the next sentence's, the first after it to start with a space."""
    if stop:
        end = next((i for i, w in enumerate(words) if w.endswith(stop)), len(words) - 1)
    else:
        end = next((i - 1 for i, w in enumerate(words) if i and w.startswith(" ")), len(words) - 1)
    return words[:end + 1]


def _titles_fitting(font_name: str, title_px: int, room: float) -> tuple[str, ...]:
    """The English titles a font draws that fit `room` at a size."""
    return tuple(title for title, advance in _title_advances(font_name, title_px) if advance <= room)


@lru_cache(maxsize=1024)
def _title_advances(font_name: str, title_px: int) -> tuple[tuple[str, float], ...]:
    """(title, advance) of the English titles a font draws, at a size: remembered per font
    and size (every page measured all of them, and its room differs page to page)."""
    font = font_named(font_name)
    return tuple((t, measured_advance(t, font, title_px)) for t in vocabulary("document")["titles"]
                 if not font.missing(t))


@cache
def _sentences() -> np.ndarray:
    """The English sentences as the array `rng.choice` makes of the list on every call
    (the same draws, without converting the list for each paragraph)."""
    return np.array(vocabulary("document")["sentences"])


@lru_cache(maxsize=64)
def _word_widths(font, px) -> dict[str, float]:
    """`text_width` of words in a font and size, looked up in one dict (a page wraps and
    justifies hundreds of words; the vocabulary bounds it)."""
    return {}


def _word_width(word: str, font, px) -> float:
    widths = _word_widths(font, px)
    width = widths.get(word)
    if width is None:
        width = widths[word] = pen_advance(word, font, px)
    return width


@lru_cache(maxsize=256)  # a page's paragraphs are wrapped when sampled (to fit) and again when laid out
def _wrap(words: tuple[str, ...], font, px, width, indent: float) -> tuple[tuple[str, ...], ...]:
    """Words filled into lines, measured word by word (spaces do not kern)."""
    widths = _word_widths(font, px)
    space = text_width(" ", font, px)
    lines, line, used = [], [], 0.0
    room = width - indent
    for word in words:
        w = widths.get(word)
        if w is None:
            w = widths[word] = pen_advance(word, font, px)
        if line and used + space + w > room:
            lines.append(line)
            line, room, used = [], width, 0.0
        used += (space if line else 0.0) + w
        line.append(word)
    if line:
        lines.append(line)
    return tuple(tuple(ln) for ln in lines)


def _wrap_tokens(tokens, font, px, width, indent: float, shaping) -> list[str]:
    """Tokens of another language (languages.sentence_tokens) filled into lines, breaking
    only before a token (a leading space is swallowed by the break); each line is then
    measured whole (shaped, it may differ from the sum of its words) and gives tokens
    back until it fits."""
    lines, i, room = [], 0, width - indent
    while i < len(tokens):
        line, used = [], 0.0
        while i < len(tokens):
            token = tokens[i] if line else tokens[i].lstrip()
            w = text_width(token, font, px, shaping)
            if line and used + w > room:
                break
            line.append(token)
            used += w
            i += 1
        while len(line) > 1 and text_width("".join(line), font, px, shaping) > room:
            line.pop()
            i -= 1
        if len(line) == 1 and text_width(line[0], font, px, shaping) > room:
            raise Resample("a word is wider than the column")
        lines.append("".join(line))
        room = width
    return lines


def _justified_line(line: str, font, px, width, shaping, language: str) -> str:
    """A line of another language spread to `width` by hair spaces after its spaces only
    (no tatweel, no letter spacing); lines without spaces (Chinese, Japanese, Thai) and
    fonts without a hair space are left ragged."""
    gaps = line.count(" ")
    if not gaps or language in languages.SPACELESS or not font.draws(HAIR):
        return line
    hair = text_width(HAIR, font, px, shaping)
    n = max(0, int((width - text_width(line, font, px, shaping)) / hair)) if hair > 0 else 0
    words = line.split(" ")
    while True:
        out = words[0]
        for k, word in enumerate(words[1:]):
            out += " " + HAIR * (n // gaps + (1 if k < n % gaps else 0)) + word
        if n == 0 or text_width(out, font, px, shaping) <= width:
            return out
        n -= 1


def _justified(words, font, px, width) -> str:
    """The words spread to fill `width`: each gap a space plus hair spaces (to the pixel)."""
    if len(words) < 2 or not font.draws(HAIR):
        return " ".join(words)
    extra = width - sum(_word_width(w, font, px) for w in words) - (len(words) - 1) * text_width(" ", font, px)
    hair = text_width(HAIR, font, px)
    n = max(0, int(extra / hair)) if hair > 0 else 0
    gaps = len(words) - 1
    wide, more = divmod(n, gaps)  # the first `more` gaps take one hair space more
    return (" " + HAIR * (wide + 1)).join(words[:more + 1]) + "".join(
        " " + HAIR * wide + word for word in words[more + 1:])


CONTEXT = DocumentContext()
