"""Question kinds: each is one function from a page (and the sample's stream) to an
Asked: the question, the text items its answer depends on, and what it asked, so that
a minimal-pair twin is asked the very same question (`again`).

Answers come from the page's record alone. Box answers are filled in from the id
buffer after rendering (see in_context.finalize), never from the layout's estimate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gen_stress.generators.base import Question, Resample
from gen_stress.rng import pick
from gen_stress.scenes.contexts.edits import near_miss
from gen_stress.scenes.page import Page, Target

UNANSWERABLE = "unanswerable"
UNANSWERABLE_ALIASES = ("not shown", "not on the page", "none", "cannot be answered")
BOX_PLACEHOLDER = "[0, 0, 0, 0]"
BOX_PROMPT = ("Give the bounding box of {ref} in pixel coordinates of this {w}x{h} image, as [x0, y0, x1, y1]: "
              "(x0, y0) is the top-left corner of the box and (x1, y1) its bottom-right corner, with the origin "
              "at the top-left corner of the image, x growing to the right and y growing downwards. Answer with "
              "the four integers in square brackets.")
CLICK_PROMPT = ("Where would you click to press {ref}? Give the click point in pixel coordinates of this {w}x{h} "
                "image, as (x, y), with the origin at the top-left corner of the image, x growing to the right and "
                "y growing downwards. Answer with the two integers in parentheses.")
N_CHOICES = 4


@dataclass(frozen=True)
class Asked:
    question: Question
    depends: tuple[int, ...]  # text items the answer depends on (checked on the render)
    asked: dict = field(default_factory=dict)  # what was asked, to ask a twin the same
    focus: tuple[str, ...] = ()  # names the twin's one change is about
    box_ids: tuple[int, ...] = ()  # a box answer: the union of these items' pixels
    # A relation the answer states: (axis, first, second), the items `first` wholly before
    # the items `second` along x (axis 0, left to right) or y (1, top to bottom). A photo
    # must keep it (capture.check_order).
    order: tuple | None = None

    def __post_init__(self):
        # Each item once, in order: a kind may name one twice (a near-duplicate's box rests
        # on the asked product and on its print), and verify would check it twice.
        object.__setattr__(self, "depends", tuple(dict.fromkeys(self.depends)))


def read_text(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """ocr: the exact text of the element made for the slot."""
    target = _target(page, slot)
    prompt = (f"What does {target.ref} say? Answer with the text exactly as printed, keeping its spelling, "
              f"letter case and punctuation.")
    return Asked(Question(prompt, target.text, "text"), target.ids[:1])


def read_value(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """The printed value of a named element among near-duplicates ("the price of Cola Zero")."""
    target = _target(page, slot)
    prompt = (f"What is {target.ref} on this {page.noun}? Answer with the amount exactly as printed, without a "
              f"currency sign.")
    return Asked(Question(prompt, target.text, "text"), target.ids)


def count(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    counted = page.counts[slot]
    return Asked(Question(f"{counted.question} Answer with a single number.", str(counted.value), "integer"),
                 counted.ids)


def next_in_list(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Which entry is listed directly above or below a named one (choices from the list)."""
    listing = _listing(page)
    names = [e.name for e in listing.entries]
    if again is None:
        word = pick(rng, ("below", "above"))
        step = 1 if word == "below" else -1
        # Room for the neighbour and the one after it (the twin's answer once the neighbour goes).
        starts = [i for i in range(len(names)) if 0 <= i + 2 * step < len(names)]
        if not starts:
            raise Resample("list too short for a neighbour question")
        i = pick(rng, starts)
        near = [names[i + step], names[i + 2 * step]]
        others = [n for n in names if n not in near and n != names[i]]
        extra = [str(x) for x in rng.permutation(others)[:N_CHOICES - 2]]
        choices = tuple(str(x) for x in rng.permutation(near + extra))
        again = {"word": word, "subject": names[i], "choices": choices}
    word, subject, choices = again["word"], again["subject"], again["choices"]
    if subject not in names:
        raise Resample("the asked entry is gone")
    k = names.index(subject) + (1 if word == "below" else -1)
    if not 0 <= k < len(names) or names[k] not in choices:
        raise Resample("no neighbour among the choices")
    prompt = (f"Which {listing.noun} is listed directly {word} {subject} on this {page.noun}? "
              f"Options: {_options(choices)}. Answer with the letter or the text of one option.")
    entry = listing.entries[k]
    named = listing.entries[names.index(subject)].ids
    order = (1, named, entry.ids) if word == "below" else (1, entry.ids, named)
    return Asked(Question(prompt, entry.name, "choice", choices=choices), named + entry.ids, again, (entry.name,),
                 order=order)


def above_or_below(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Is one entry listed above or below another (not next to each other)?"""
    listing = _listing(page)
    names = [e.name for e in listing.entries]
    if again is None:
        pairs = [(i, j) for i in range(len(names)) for j in range(len(names)) if abs(i - j) >= 2]
        if not pairs:
            raise Resample("list too short for an above/below question")
        i, j = pairs[int(rng.integers(len(pairs)))]
        again = {"subject": names[i], "reference": names[j]}
    subject, reference = again["subject"], again["reference"]
    if subject not in names or reference not in names:
        raise Resample("an asked entry is gone")
    i, j = names.index(subject), names.index(reference)
    answer = "above" if i < j else "below"
    prompt = (f"On this {page.noun}, is {subject} {listing.verb} above or below {reference}? "
              f"Options: {_options(('above', 'below'))}. Answer with the letter or the text of one option.")
    first, second = listing.entries[min(i, j)].ids, listing.entries[max(i, j)].ids
    ids = listing.entries[i].ids + listing.entries[j].ids
    return Asked(Question(prompt, answer, "choice", choices=("above", "below")), ids, again, (subject, reference),
                 order=(1, first, second))


def left_or_right(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """In a two-column layout: is one entry left or right of another?"""
    if len(page.columns) != 2:
        raise Resample("the page has no two columns")
    if again is None:
        side = int(rng.integers(2))
        subject = pick(rng, page.columns[side].entries).name
        reference = pick(rng, page.columns[1 - side].entries).name
        again = {"subject": subject, "reference": reference}
    where = {e.name: (c, e) for c, col in enumerate(page.columns) for e in col.entries}
    (cs, es), (cr, er) = where[again["subject"]], where[again["reference"]]
    answer = "left" if cs < cr else "right"
    prompt = (f"On this {page.noun}, is {again['subject']} to the left or to the right of {again['reference']}, "
              f"as seen in the image? Options: {_options(('left', 'right'))}. Answer with the letter or the text "
              f"of one option.")
    order = (0, es.ids, er.ids) if answer == "left" else (0, er.ids, es.ids)
    return Asked(Question(prompt, answer, "choice", choices=("left", "right")), es.ids + er.ids, again, order=order)


def exists(page: Page, slot: str, rng, again: dict | None = None, present: bool = True) -> Asked:
    """Does the page show a field such pages usually have? (yes/no, balanced by `present`;
    a twin is asked about the same field, whatever its presence now)"""
    if again is not None:
        chosen = field_named(page, again["field"])
        prompt = f"Does this {page.noun} show {chosen.name}? Answer yes or no."
        if chosen.negative and "neg_strategy" not in again:  # (a field picked first: how its absence was made)
            again = {**again, "neg_strategy": chosen.negative}
        return Asked(Question(prompt, "yes" if chosen.present else "no", "yes_no"), chosen.ids, again,
                     (chosen.name,))
    pool = [f for f in page.fields if f.present == present and f.usual]
    if not pool:
        raise Resample("no usual field with the wanted presence")
    strategies = sorted({f.negative for f in pool if f.negative})
    if strategies:  # each way of choosing a negative equally often, however many each offers
        strategy = pick(rng, strategies)
        pool = [f for f in pool if f.negative == strategy]
    chosen = pick(rng, pool)
    prompt = f"Does this {page.noun} show {chosen.name}? Answer yes or no."
    asked = {"field": chosen.name, **({"neg_strategy": chosen.negative} if chosen.negative else {})}
    return Asked(Question(prompt, "yes" if present else "no", "yes_no"), chosen.ids, asked, (chosen.name,))


def near_miss_value(page: Page, slot: str, rng, again: dict | None = None, present: bool = True) -> Asked:
    """Is an amount the printed one, or a near miss with one digit changed? (A state, such
    as a toggle's, against its opposite; a twin is asked the same of the same field.)"""
    if again is not None:
        chosen = field_named(page, again["field"])
        if not chosen.present:
            raise Resample("the asked field is gone")
        asked = again["asked_value"]
        prompt = f"Is {chosen.ref} on this {page.noun} {asked}? Answer yes or no."
        return Asked(Question(prompt, "yes" if chosen.value == asked else "no", "yes_no"), chosen.ids,
                     {**again, "true_value": chosen.value}, (chosen.name,))
    pool = [f for f in page.fields if f.present and (f.near or f.numeric and any(c.isdigit() for c in f.value))]
    if not pool:
        raise Resample("no printed amount to ask about")
    chosen = pick(rng, pool)
    asked = chosen.value if present else chosen.near or near_miss(chosen.value, rng)
    prompt = f"Is {chosen.ref} on this {page.noun} {asked}? Answer yes or no."
    return Asked(Question(prompt, "yes" if present else "no", "yes_no"), chosen.ids,
                 {"field": chosen.name, "asked_value": asked, "true_value": chosen.value}, (chosen.name,))


def presupposed_value(page: Page, slot: str, rng, again: dict | None = None, present: bool = True) -> Asked:
    """What is the value of a usual field? Unanswerable when the page does not show it (a
    twin is asked about the same field, whatever its presence now)."""
    if again is not None:
        chosen = field_named(page, again["field"])
        present = chosen.present
    else:
        pool = [f for f in page.fields if f.present == present and f.ref and not f.near]  # a value, not a state
        if not pool:
            raise Resample("no usual field with a value and the wanted presence")
        chosen = pick(rng, pool)
    verb = "are" if chosen.ref.endswith(" hours") else "is"  # "What are the opening hours"
    prompt = (f"What {verb} {chosen.ref} on this {page.noun}? Answer with the value exactly as printed. If the "
              f"{page.noun} does not show it, answer \"{UNANSWERABLE}\".")
    if present:
        return Asked(Question(prompt, chosen.value, "text"), chosen.ids, {"field": chosen.name}, (chosen.name,))
    return Asked(Question(prompt, UNANSWERABLE, "text", aliases=UNANSWERABLE_ALIASES, answerable=False), (),
                 {"field": chosen.name}, (chosen.name,))


def box(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """The box of a named element, measured on the render (filled in after it). On pages
    that say so (screens) it is asked as a click point; the scorer takes a point inside the
    box as a hit."""
    target = _target(page, slot)
    prompt = (CLICK_PROMPT if page.click else BOX_PROMPT).format(ref=target.ref, w=page.scene.width,
                                                                 h=page.scene.height)
    return Asked(Question(prompt, BOX_PLACEHOLDER, "bbox"), target.ids + target.evidence, box_ids=target.ids)


def marked(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Which entry carries the page's one mark (a star, a dagger, an asterisk)?"""
    if len(page.marks) != 1:
        raise Resample("not exactly one marked entry")
    mark, target = page.marks[0]
    listing = _listing(page)
    names = [e.name for e in listing.entries]
    if again is None:
        others = [n for n in names if n != target.name]
        if len(others) < N_CHOICES - 1:
            raise Resample("too few entries for the options")
        chosen = [str(x) for x in rng.permutation(others)[:N_CHOICES - 1]]
        again = {"mark": mark, "choices": tuple(str(x) for x in rng.permutation([target.name, *chosen]))}
    if target.name not in again["choices"]:
        raise Resample("the marked entry is not among the options")
    prompt = (f"Which {listing.noun} on this {page.noun} is marked with {again['mark']}? "
              f"Options: {_options(again['choices'])}. Answer with the letter or the text of one option.")
    focus = tuple(c for c in again["choices"] if c != target.name)
    return Asked(Question(prompt, target.name, "choice", choices=again["choices"]), target.ids, again,
                 (focus[0],) if focus else ())


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth")


def ordinal_from_edge(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Which tab of a tab bar is the k-th from its left or right end (choices: its tabs)."""
    strip = page.strip
    if strip is None or len(strip.entries) < 4:
        raise Resample("no tab bar of four or more tabs")
    names = [e.name for e in strip.entries]
    n = len(names)
    if again is None:  # the side and the place first, so that each answer place is as likely
        side = pick(rng, ("left", "right"))
        k = int(rng.integers(1, n - 1))  # second to one before the far end: never the first
        at = k if side == "left" else n - 1 - k
        neighbour = at - 1 if side == "left" else at + 1  # the twin swaps these two
        others = [x for i, x in enumerate(names) if i not in (at, neighbour)]
        extra = [str(x) for x in rng.permutation(others)[:N_CHOICES - 2]]
        choices = tuple(str(x) for x in rng.permutation([names[at], names[neighbour], *extra]))
        again = {"side": side, "k": k, "choices": choices}
    side, k, choices = again["side"], again["k"], again["choices"]
    at = k if side == "left" else n - 1 - k
    if not 0 <= at < n or names[at] not in choices:
        raise Resample("the tab at that place is not among the options")
    entry = strip.entries[at]
    prompt = (f"In {page.strip_ref}, which tab is the {ORDINALS[k]} from the {side}, as seen in the image? "
              f"Options: {_options(choices)}. Answer with the letter or the text of one option.")
    step = -1 if side == "left" else 1
    outer = strip.entries[at + step]  # the tab between it and the edge, checked to stay on that side
    order = (0, outer.ids, entry.ids) if side == "left" else (0, entry.ids, outer.ids)
    return Asked(Question(prompt, entry.name, "choice", choices=choices),
                 tuple(i for e in strip.entries for i in e.ids), again, (entry.name, outer.name), order=order)


ROW_WORDS = {2: ("top", "bottom"), 3: ("top", "middle", "bottom")}


def which_row(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Which row (shelf) an entry is on: top, middle or bottom."""
    words = ROW_WORDS.get(len(page.rows))
    if words is None:
        raise Resample("no two or three rows to name")
    where = _row_index(page)
    if again is None:  # the row first, so that each answer is as likely
        rows = sorted({k for k, _e in where.values()})
        if not rows:
            raise Resample("no entry to ask about")
        k = pick(rng, rows)
        again = {"subject": pick(rng, sorted(n for n, (r, _e) in where.items() if r == k))}
    subject = again["subject"]
    if subject not in where:
        raise Resample("the asked entry is gone")
    k, entry = where[subject]
    prompt = (f"On which {page.row_noun} is {entry.ref}, as seen in the image? "
              f"Options: {_options(words)}. Answer with the letter or the text of one option.")
    return Asked(Question(prompt, words[k], "choice", choices=words), entry.ids, again, (subject,))


def left_neighbour(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Which entry stands directly left of a named one in its row (choices from the page)."""
    names = sorted(_row_index(page))
    if again is None:
        pairs = [(row.entries[i - 1], row.entries[i]) for row in page.rows for i in range(1, len(row.entries))
                 if row.entries[i - 1].name in names and row.entries[i].name in names]
        if not pairs or len(names) < N_CHOICES:
            raise Resample("no entry with a neighbour on its left")
        left, subject = pairs[int(rng.integers(len(pairs)))]
        others = [n for n in names if n not in (left.name, subject.name)]
        extra = [str(x) for x in rng.permutation(others)[:N_CHOICES - 1]]
        again = {"subject": subject.name, "choices": tuple(str(x) for x in rng.permutation([left.name, *extra]))}
    subject, choices = again["subject"], again["choices"]
    answer = None
    for row in page.rows:
        found = [e.name for e in row.entries]
        if subject in found and found.index(subject) > 0:
            answer = row.entries[found.index(subject) - 1]
        if subject in found:
            entry = row.entries[found.index(subject)]
    if answer is None or not answer.name or answer.name not in choices:
        raise Resample("the left neighbour is not among the options")
    noun = page.rows[0].noun
    prompt = (f"Which {noun} stands directly to the left of {entry.ref} on the same {page.row_noun}, as seen in "
              f"the image? Options: {_options(choices)}. Answer with the letter or the text of one option.")
    focus = (answer.name, next(c for c in choices if c != answer.name))
    return Asked(Question(prompt, answer.name, "choice", choices=choices), entry.ids + answer.ids, again, focus)


def row_above_below(page: Page, slot: str, rng, again: dict | None = None) -> Asked:
    """Is one entry on a row (shelf) above or below another's?"""
    where = _row_index(page)
    if again is None:
        pairs = [(a, b) for a in sorted(where) for b in sorted(where) if where[a][0] != where[b][0]]
        if not pairs:
            raise Resample("no two entries on different rows")
        a, b = pairs[int(rng.integers(len(pairs)))]
        again = {"subject": a, "reference": b}
    subject, reference = again["subject"], again["reference"]
    if subject not in where or reference not in where or where[subject][0] == where[reference][0]:
        raise Resample("the asked entries are gone or share a row")
    (ks, es), (kr, er) = where[subject], where[reference]
    answer = "above" if ks < kr else "below"
    prompt = (f"On this {page.noun}, is {es.ref} on a {page.row_noun} above or below the {page.row_noun} of "
              f"{er.ref}? Options: {_options(('above', 'below'))}. Answer with the letter or the text of one option.")
    return Asked(Question(prompt, answer, "choice", choices=("above", "below")), es.ids + er.ids, again,
                 (subject, reference))


def _row_index(page: Page) -> dict:
    """Entry name -> (row index, entry), for names that appear once on the page (an
    entry without a name holds a place in its row and is never asked about)."""
    seen: dict = {}
    for k, row in enumerate(page.rows):
        for e in row.entries:
            if e.name:
                seen.setdefault(e.name, []).append((k, e))
    return {name: found[0] for name, found in seen.items() if len(found) == 1}


def field_named(page: Page, name: str):
    """The page's one usual field of that name (a page listing it twice is drawn again)."""
    found = [f for f in page.fields if f.name == name]
    if len(found) != 1:
        raise Resample(f"the page lists {name!r} {len(found)} times")
    return found[0]


def _target(page: Page, slot: str) -> Target:
    if slot not in page.targets:
        raise Resample(f"the page has no element for {slot}")
    return page.targets[slot]


def _listing(page: Page):
    listings = [lst for lst in page.listings if len(lst.entries) >= 3]
    if not listings:
        raise Resample("no list of three or more entries")
    return max(listings, key=lambda lst: len(lst.entries))


def _options(choices) -> str:
    return "; ".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(choices))


def union_box(boxes) -> list[int]:
    arr = np.asarray(boxes)
    return [int(arr[:, 0].min()), int(arr[:, 1].min()), int(arr[:, 2].max()), int(arr[:, 3].max())]
