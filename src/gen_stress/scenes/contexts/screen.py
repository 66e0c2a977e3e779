"""Screen: an app or web screenshot, on a phone or in a desktop window.

Kinds of screen: a settings page (rows with toggles and a brightness slider), an inbox
(unread rows with dots, truncated subjects, a badge), a file manager (file icons,
truncated names, selection checkboxes, a Delete button per row), a shopping cart
(products with near-duplicate variants, prices, a star rating, totals), a playlist (songs
with hearts), a dashboard (figure tiles, a bar chart), a login form (fields with
placeholders, a Remember me checkbox, links, sign-in buttons) and a checkout form (a
shipping and a payment section, each ending in its own "Next": enabled in the accent, or
greyed out while a field is empty). Every screen has a status or title bar, an
app bar, a floating action button where the kind has one (Compose, Upload, Shuffle), and
a row of buttons whose labels are near-duplicates ("Save",
"Save as", "Save draft") in primary, outlined and text-only styles; a dialog over the
dimmed page holds the buttons when a question is about their order. Icons are glyphs of
Material Design Icons, named as the icon set names them. Themes (light, dark), accent
colours, density and the device scale factor vary the look: the layout is in points, the
same at any factor, and a divider is one device pixel (see SCALE_FACTORS).

Near-duplicate details (a filled vs an outlined heart, a ticked vs an empty checkbox, a
filled vs an outlined star, a toggle's knob) are recorded as page Details and checked
on the render: a screen whose detail does not show is resampled.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from shapely.geometry import Polygon

from gen_stress.errors import Resample
from gen_stress.rng import pick
from gen_stress.scenes.colors import RGB, contrast_ratio, ink_for_contrast, max_contrast, mix
from gen_stress.scenes import languages
from gen_stress.scenes.contexts import Context, screen_local, vocabulary
from gen_stress.scenes.contexts.edits import one_char_changed
from gen_stress.scenes.contexts.sheet import (Sheet, font_named, money, page_shaping, parse_money,
                                              right_to_left, styled_fonts, text_width)
from gen_stress.scenes.fonts import FontInfo, load_catalog
from gen_stress.scenes.geometry import tallness
from gen_stress.scenes.model import Scene, ShapeItem, TextItem, outlined, replaced
from gen_stress.scenes.page import Count, Detail, Field, Listing, Page, Request, Target
from gen_stress.scenes.text import TextLayout, layout_text, moved

UI_FONTS = ("DejaVu Sans", "Liberation Sans", "Open Sans", "Roboto Condensed")
# Device scale factor: device pixels per logical point. The layout is in points, whatever
# the factor (one point is `u` output pixels); the device draws a hairline as one device
# pixel, and the screenshot is fitted to the fixed output size, so a hairline covers u / s
# of an output pixel (see _Layout.hairline_rule and the README).
SCALE_FACTORS = (1, 2, 3)
DOLLAR = {"symbol": "$", "prefix": True, "decimal": ".", "thousands": ","}
ELLIPSIS = "\u2026"
# Kinds of screen each slot can be asked on.
KINDS_FOR = {
    "fine_text": ("inbox", "files", "login"),
    "rotated_text": ("files", "inbox", "settings"),
    "styled_text": ("settings", "inbox", "files", "cart", "playlist", "login", "dashboard", "checkout"),
    "count_merged": ("inbox",),
    "count_rows": ("settings",),
    "count_marks": ("cart",),
    "list_order": ("settings", "inbox", "files", "cart", "playlist"),
    "list_relative": ("inbox", "files", "settings", "playlist"),
    "two_columns": ("settings", "inbox", "files", "cart", "playlist", "dashboard"),
    "edge_ordinal": ("inbox", "files", "settings", "playlist"),
    "absent_field": ("settings", "inbox", "files", "cart", "login", "dashboard", "checkout"),
    "near_miss": ("settings", "inbox", "cart", "dashboard", "checkout"),
    "presupposition": ("settings", "inbox", "cart", "login", "dashboard", "checkout"),
    "named_box": ("settings", "inbox", "files", "cart", "playlist", "login", "dashboard", "checkout"),
    "near_duplicate": ("cart",),
    "marked_item": ("files", "playlist"),
}
LIST_NOUN = {"settings": "setting", "inbox": "message", "files": "file", "cart": "product", "playlist": "song",
             "dashboard": "figure"}
REGION_NAME = {"search": "the search field", "tabs": "the tab bar", "banner": "the banner",
               "list": {"settings": "the list of settings", "inbox": "the message list", "files": "the file list",
                        "cart": "the list of products", "playlist": "the list of songs",
                        "dashboard": "the figures"}}
# Optional usual features each kind may show: key -> how a question names it.
FEATURES = {
    "login": {"forgot": "a \"Forgot password?\" link", "signup": "a \"Sign up\" link",
              "remember": "a \"Remember me\" checkbox", "google": "a \"Continue with Google\" button"},
    "inbox": {"search": "a search field", "compose": "a Compose button", "badge": "an unread count badge"},
    "settings": {"search": "a search field", "logout": "a Log out item", "back": "a back arrow",
                 "slider": "a brightness slider"},
    "cart": {"promo": "a promo code field", "delivery": "a delivery fee", "discount": "a discount line",
             "wishlist": "a wishlist (heart) button"},
    "files": {"search": "a search field", "upload": "an Upload button", "storage": "a storage usage bar"},
    "playlist": {"search": "a search field", "shuffle": "a Shuffle button"},
    "dashboard": {"search": "a search field", "chart": "a bar chart", "refunds": "a Refunds figure"},
    "checkout": {"promo": "a promo code field", "save": "a \"Save this card\" checkbox",
                 "delivery": "a delivery fee", "secure": "a note that payments are secure"},
}
# The sections of a checkout form, each ending in its own "Next" button: (title, fields), a
# field being (label, placeholder, content key).
CHECKOUT_SECTIONS = (("Shipping address", (("Full name", "First and last name", "name"),
                                           ("Street address", "Street and number", "street"),
                                           ("City", "City or town", "city"))),
                     ("Payment", (("Card number", "1234 5678 9012 3456", "card"),
                                  ("Expiry date", "MM/YY", "expiry"))))


@dataclass(frozen=True)
class Row:
    title: str
    sub: str = ""
    icon: str = ""
    on: bool = False  # toggle on, checkbox ticked, heart filled, message unread
    price: int = 0  # cents (cart)
    meta: str = ""  # a time, a size


@dataclass(frozen=True)
class ScreenContent:
    kind: str
    device: str  # "phone" or "desktop"
    theme: str
    accent: RGB
    backdrop: RGB
    scale: int  # device scale factor 1, 2, 3
    compact: bool
    font: str
    app: str
    title_font: str
    title_px: int
    title_contrast: float  # 0: the theme's ink
    title_stroke: int
    rows: tuple[Row, ...]
    order: tuple[str, ...]  # regions between the app bar and the buttons, top to bottom
    tabs: tuple[str, ...]
    banner: str
    features: frozenset
    buttons: tuple[str, ...]  # the button row, left to right
    styles: tuple[str, ...]  # "primary", "outlined", "text" per button
    dialog: tuple[str, ...]  # (title, body) when the buttons sit in a dialog over the dimmed page
    rail: tuple[str, ...]  # vertical tab labels (desktop)
    rail_angle: int
    rail_pick: int
    helper: str  # helper text under a field (login)
    tiny_px: int
    tiny_what: str  # which element the fine-text slot reads: "sub", "title", "helper"
    tiny_row: int
    stars: tuple[int, int, bool]  # (out of, filled, a half star after them)
    badge: int
    slider: int
    email: str
    email_filled: bool  # the login form shows an email address already typed in
    storage_pct: int
    delivery: int
    discount: int
    box_pick: int
    near_dup: int  # the row of the cart's near-duplicate variant (-1: none)
    row_buttons: bool  # a "Delete" button in every row of a file list
    bars: tuple[float, ...]  # a dashboard chart's bar heights, 0..1
    offset: float  # where the phone sits across the backdrop, 0..1
    steps: tuple[bool, ...] = ()  # checkout: is each section's "Next" enabled (its fields complete)
    address: tuple[str, ...] = ()  # checkout: name, street, city, card number, expiry
    order_cents: int = 0  # checkout: the order before delivery
    language: str = ""  # the language shown ("": English); see screen_local
    numbering: str = "latn"  # the digits of its numbers (another language's own, or Latin)


def _cart_total(content: ScreenContent) -> dict[str, int]:
    subtotal = sum(r.price for r in content.rows)
    delivery = content.delivery if "delivery" in content.features else 0
    discount = content.discount if "discount" in content.features else 0
    return {"subtotal": subtotal, "delivery": delivery, "discount": discount,
            "total": subtotal + delivery - discount}


class ScreenContext(Context):
    name = "screen"
    noun = "screen"
    description = ("app and web screenshots (settings, inbox, files, cart, playlist, dashboard, login, checkout) "
                   "with buttons (enabled and greyed out), toggles, checkboxes, fields, tabs, badges, sliders, star "
                   "ratings, icons and dialogs")
    slots = {
        "fine_text": "a truncated subject or file name, or a field's helper text",
        "rotated_text": "a vertical tab label (at 90 or 270 degrees)",
        "styled_text": "the app title in the app bar",
        "count_merged": "unread messages (bold, with a dot)",
        "count_rows": "toggles switched on",
        "count_marks": "filled stars of a rating (half stars stated not to count)",
        "list_order": "rows of the main list, top to bottom",
        "list_relative": "regions of the screen (search field, tabs, list, banner), top to bottom",
        "two_columns": "buttons of a dialog, left to right",
        "edge_ordinal": "tabs of a tab bar, counted from its left or right end (asked in turn with two_columns)",
        "absent_field": "usual elements of such a screen (a Forgot password? link, a search field, Log out)",
        "near_miss": "numbers shown (totals, badge counts, slider values) and states (a toggle on or off, a "
                     "checkout's \"Next\" enabled or greyed out)",
        "presupposition": "values of usual elements (the delivery fee, the email address entered)",
        "named_box": "a button among near-duplicates (Save, Save as, Save draft; the enabled \"Next\" of a checkout "
                     "beside a greyed-out one)",
        "near_duplicate": "the price of a product listed next to its variant (Wireless Mouse / Wireless Mouse Pro)",
        "marked_item": "the one row with a ticked checkbox or a filled heart",
    }

    turns = {"two_columns": ("two_columns", "edge_ordinal")}
    pair_slots = frozenset({"absent_field", "near_miss", "presupposition"})
    angles = {"rotated_text": (90, 270)}  # vertical tabs read bottom-to-top or top-to-bottom, nothing between
    localized_slots = tuple(slots)  # in other languages too (screen_local: its kinds and words)

    # Sampling ------------------------------------------------------------------------

    def sample(self, request: Request, rng: np.random.Generator, size: tuple[int, int]) -> ScreenContent:
        slot = request.slot
        style = request.style
        code = request.language if request.language not in ("", "en") else ""
        vocab = _vocab(code)
        kinds = KINDS_FOR[slot]
        if code:  # the kinds whose labels the language has; a typed (Latin) email only in Latin script
            latin = languages.LANGUAGES[code].script == "latin"
            kinds = tuple(k for k in kinds if k in screen_local.LOCAL_KINDS
                          and (latin or k != "login" or slot != "presupposition"))
        # Latin digits, or the locale's own half the time where it has them
        numbering = languages.page_numbering(languages.LANGUAGES[code], rng) if code else "latn"
        kind = pick(rng, kinds)
        device = "desktop" if slot == "rotated_text" else pick(rng, ("phone", "desktop"))
        if tallness(size) >= PHONE_SHAPED and slot != "rotated_text":
            device = "phone"  # a picture shaped like a phone held upright is a phone's screenshot
        if slot == "count_merged" and request.count > 8:
            device = "desktop"  # a phone shows fewer rows
        theme = pick(rng, ("light", "dark"))
        font = pick(rng, screen_local.ui_fonts(code) if code else UI_FONTS)
        # An app named for another kind of screen ("Mailbox" showing a cart) is not drawn.
        app = pick(rng, [a for a in vocab["apps"] if vocab["app_kinds"].get(a, kind) == kind])
        title_font, title_px, title_contrast, title_stroke = font, 0, 0.0, 0
        if slot == "styled_text" and style is not None:
            pool = [f.name for f in (styled_fonts(code, style.font_class) if code else
                                     load_catalog().of_class(style.font_class)) if not f.missing(app)]
            title_font = pick(rng, pool or [font])
            title_px, title_contrast, title_stroke = style.text_px, style.contrast_ratio, style.stroke_px
        # A phone held upright in a picture taller than wide shows a longer list, as real ones do.
        more = tallness(size) if device == "phone" else 1.0
        rows, features = self._rows(kind, slot, request.count, rng, vocab, code, numbering, more)
        long_list = slot == "count_merged" and request.count > 8
        order = ["list"]
        if kind not in ("login", "checkout"):
            # The usual order (search, tabs, list; a banner on top or under the list); any
            # order when the question is about it.
            shown = [r for r, p in (("search", 0.6), ("tabs", 0.5))
                     if slot == "list_relative" or (slot == "edge_ordinal" and r == "tabs") or rng.random() < p]
            order = [*shown, "list"]
            if slot == "list_relative" or rng.random() < 0.3:
                order.insert(0 if rng.random() < 0.5 else len(order), "banner")
            if slot == "list_relative":  # any order, the tab bar staying right above its list
                units = [str(r) for r in rng.permutation([r for r in order if r not in ("tabs", "list")] + ["list"])]
                order = [r for u in units for r in (("tabs", "list") if u == "list" else (u,))]
            if long_list:  # a dozen messages fill a desktop screen: the list alone, in compact rows
                order = ["list"]
            elif len(rows) > ROOMY_ROWS[kind] * more and slot not in ("list_relative", "edge_ordinal"):
                order = [r for r in order if r not in ("banner", "tabs")]  # a long list leaves no room for them
            if ("search" in order) != ("search" in features) and "search" in FEATURES[kind]:
                features = features ^ {"search"}
        chosen_set = list(pick(rng, vocab["login_buttons"] if kind == "login" else vocab["button_sets"]))
        buttons = [str(b) for b in rng.permutation(chosen_set)]
        dialog: tuple[str, ...] = ()
        if slot == "two_columns":
            box = pick(rng, vocab["dialogs"])
            dialog = (box["title"], box["body"])
            buttons = [str(b) for b in rng.permutation([screen_local.words(code)["cancel"], box["confirm"],
                                                        box["alt"]])]
        styles = [str(s) for s in rng.permutation(["primary", "outlined", "text"][:len(buttons)])]
        rail: tuple[str, ...] = ()
        rail_angle = 90
        if slot == "rotated_text":
            rail = tuple(str(t) for t in rng.choice(vocab["vertical_tabs"], size=int(rng.integers(3, 5)), replace=False))
            rail_angle = style.angle_deg if style is not None else 90
        tiny_what = {"inbox": "sub", "files": "title", "login": "helper"}.get(kind, "") if slot == "fine_text" else ""
        steps, address = (), ()
        if kind == "checkout":
            # Exactly one section complete when a question names "the enabled Next" among two.
            first = bool(rng.random() < 0.5)
            steps = (first, not first) if slot == "named_box" else (first, bool(rng.random() < 0.5))
            address = (pick(rng, vocab["senders"][:16]), pick(rng, vocab["streets"]), pick(rng, vocab["cities"]),
                       " ".join(f"{int(v):04d}" for v in rng.integers(0, 10000, size=4)),
                       f"{int(rng.integers(1, 13)):02d}/{int(rng.integers(27, 32))}")
        n_stars, filled, half = 5, int(rng.integers(0, 6)), False
        if slot == "count_marks":
            filled = request.count
            n_stars = 10 if filled >= 5 and (filled == 6 or rng.random() < 0.5) else 5
            half = bool(filled < n_stars and rng.random() < 0.5)
            if right_to_left(code):  # a half star's glyph fills its left half: never mirrored, so not drawn
                half = False
        body_px = self._body_px(size, 1.0)
        content = ScreenContent(
            kind=kind, device=device, theme=theme, accent=tuple(pick(rng, vocab["accents"])),
            backdrop=tuple(pick(rng, vocab["backdrops"])), scale=int(pick(rng, SCALE_FACTORS)),
            compact=bool(rng.random() < 0.4) or long_list or len(rows) > COMPACT_ROWS * more, font=font, app=app, title_font=title_font, title_px=title_px,
            title_contrast=title_contrast, title_stroke=title_stroke, rows=rows, order=tuple(order),
            tabs=tuple(str(t) for t in rng.choice(vocab.get("tabs", ["All", "Recent", "Shared", "Starred", "Work",
                                                                   "Personal"]),
                                                   size=int(rng.integers(4, 6)) if slot == "edge_ordinal" else 3,
                                                   replace=False)),
            banner=pick(rng, vocab.get("banners", ("Back up your data", "New features are here", "Storage almost full",
                                                   "Try Premium"))),
            features=frozenset(features), buttons=tuple(buttons), styles=tuple(styles), dialog=dialog,
            rail=rail, rail_angle=rail_angle, rail_pick=int(rng.integers(0, 100)),
            helper=pick(rng, vocab["helper_texts"]),
            tiny_px=style.text_px if slot == "fine_text" and style is not None else max(5, body_px - 2),
            tiny_what=tiny_what, tiny_row=int(rng.integers(0, 100)), stars=(n_stars, filled, half),
            badge=int(rng.integers(1, 100)), slider=int(rng.integers(5, 20)) * 5,
            email=pick(rng, vocab["emails"]), email_filled=bool(rng.random() < 0.5),
            storage_pct=int(rng.integers(20, 96)), delivery=int(rng.integers(3, 13)) * 100 - 1,
            discount=int(rng.integers(1, 10)) * 100, box_pick=int(rng.integers(0, 1000)),
            near_dup=next((i for i, r in enumerate(rows) if r.meta == "variant"), -1),
            row_buttons=bool(slot == "named_box" and kind == "files" and rng.random() < 0.7),
            bars=tuple(round(float(v), 3) for v in rng.uniform(0.2, 1.0, size=7)),
            offset=float(rng.uniform(0, 1)), steps=steps, address=address,
            order_cents=int(rng.integers(12, 400)) * 100 - 1 if kind == "checkout" else 0)
        if code:
            content = _localized(content, code, numbering)
        if dialog and device == "phone" and not _dialog_holds_its_buttons(content, size):
            content = dataclasses.replace(content, device="desktop")  # (labels of some languages run long)
        if rail:
            content = _rail_fitted(content, size, style.text_px if style is not None else None)
        return content

    @staticmethod
    def _body_px(size: tuple[int, int], scale: float) -> int:
        return max(5, int(round(7 * min(size) / 512 * scale)))

    def _rows(self, kind: str, slot: str, count: int | None, rng, vocab, code: str = "",
              numbering: str = "latn", more: float = 1.0) -> tuple[tuple[Row, ...], set]:
        """The main list of the screen, and which optional features it shows (`more` times
        the rows of a list no question counts: a tall phone's)."""
        optional = list(FEATURES[kind])
        features = {f for f in optional if rng.random() < 0.5}
        if kind == "settings":
            n = _longer(int(rng.integers(4, 8)), more, len(vocab["toggles"]))
            on_count = None
            if slot == "count_rows":
                n = count + int(rng.integers(1, 4))
                on_count = count
            picked = rng.choice(len(vocab["toggles"]), size=n, replace=False)
            ons = rng.random(n) < 0.5
            if on_count is not None:
                ons = np.isin(np.arange(n), rng.choice(n, size=on_count, replace=False))
            rows = tuple(Row(vocab["toggles"][int(i)]["label"], icon=vocab["toggles"][int(i)]["icon"], on=bool(o))
                         for i, o in zip(picked, ons))
            if slot == "near_miss":
                features |= {"slider"}
            return rows, features
        if kind == "inbox":
            n = _longer(int(rng.integers(4, 7)), more, min(len(vocab["senders"]), len(vocab["subjects"])))
            unread = None
            if slot == "count_merged":
                # Read messages among the unread (one at least, but for the most a wide
                # screen holds: where every row had a dot, counting rows gave the answer),
                # and as many rows as an inbox usually shows (two unread of two rows had
                # left most of the screen blank).
                unread = count
                n = min(MAX_INBOX_ROWS, max(count + int(rng.integers(1, 3)), n))  # what a desktop screen holds
            senders = rng.choice(vocab["senders"], size=n, replace=False)
            subjects = rng.choice(vocab["subjects"], size=n, replace=False)
            flags = rng.random(n) < 0.4
            if unread is not None:
                flags = np.isin(np.arange(n), rng.choice(n, size=unread, replace=False))
            times = [f"{int(h)}:{int(m):02d}" for h, m in zip(rng.integers(7, 13, size=n), rng.integers(0, 60, size=n))]
            if slot == "near_miss":
                features |= {"badge"}
            if slot == "count_merged":  # a badge's number would be another answer to "how many unread"
                features -= {"badge"}
            return tuple(Row(str(s), str(t), on=bool(f), meta=tm) for s, t, f, tm in
                         zip(senders, subjects, flags, times)), features
        if kind == "files":
            n = _longer(int(rng.integers(4, 7)), more, len(vocab["files"]))
            picked = rng.choice(len(vocab["files"]), size=n, replace=False)
            ticked = int(rng.integers(n)) if slot == "marked_item" else -1
            sizes = [f"{float(v):.1f} MB" for v in rng.uniform(0.1, 40, size=n)]
            if code:  # no Latin unit in another script: the day each file changed (Babel's date)
                sizes = [_file_day(code, int(v)) for v in rng.integers(0, 365, size=n)]
            return tuple(Row(vocab["files"][int(i)]["name"], icon=vocab["files"][int(i)]["icon"], on=k == ticked,
                             meta=sizes[k]) for k, i in enumerate(picked)), features
        if kind == "playlist":
            artist_pool = vocab["senders"][:16]
            n = _longer(int(rng.integers(4, 7)), more, min(len(vocab["songs"]), len(artist_pool)))
            songs = rng.choice(vocab["songs"], size=n, replace=False)
            artists = rng.choice(artist_pool, size=n, replace=False)
            loved = int(rng.integers(n)) if slot == "marked_item" else -1
            flags = [k == loved for k in range(n)] if loved >= 0 else list(rng.random(n) < 0.3)
            lengths = [f"{int(m)}:{int(s):02d}" for m, s in zip(rng.integers(2, 6, size=n), rng.integers(0, 60, size=n))]
            return tuple(Row(str(t), str(a), on=bool(f), meta=ln) for t, a, f, ln in
                         zip(songs, artists, flags, lengths)), features
        if kind == "cart":
            n = int(rng.integers(2, 5))
            picked = rng.choice(len(vocab["products"]), size=n, replace=False)
            qty = screen_local.words(code)["cart"]["qty"]
            rows = [Row(vocab["products"][int(i)]["name"], qty,
                        price=_price(int(rng.integers(vocab["products"][int(i)]["low"], vocab["products"][int(i)]["high"])),
                                     code)) for i in picked]
            if slot == "near_duplicate":  # the variant next to its base product, at another price
                k = int(rng.integers(n))
                product = vocab["products"][int(picked[k])]
                delta = int(rng.integers(2, 30)) * 100 * (1 if rng.random() < 0.5 else -1)
                if not code:
                    variant = Row(f"{product['name']} {product['variant']}", qty, price=max(199, rows[k].price + delta),
                                  meta="variant")
                    if variant.price == rows[k].price:
                        variant = dataclasses.replace(variant, price=variant.price + 300)
                else:  # the product and a word its shops add ("Milch Bio"), priced in its currency
                    step = screen_local.local_minor(code, 100)
                    price = max(step, rows[k].price + int(np.sign(delta)) * screen_local.local_minor(code, abs(delta)))
                    variant = Row(languages.joined(code, product["name"], product["variant"]), qty,
                                  price=price if price != rows[k].price else price + 3 * step, meta="variant")
                rows.insert(k + int(rng.integers(2)), variant)
            return tuple(rows), features
        if kind == "dashboard":  # figure tiles: label, value, change since last week
            refunds = screen_local.words(code)["refunds"]
            labels = [t["label"] for t in vocab["tiles"] if t["label"] != refunds]
            picked = [labels[int(i)] for i in rng.choice(len(labels), size=int(rng.integers(2, 5)), replace=False)]
            if "refunds" in features:
                picked.insert(int(rng.integers(len(picked) + 1)), refunds)
            return tuple(_tile(label, vocab, rng, code, numbering) for label in picked), features
        return (), features  # login, checkout

    # The one change of a minimal pair --------------------------------------------------

    def change(self, content: ScreenContent, request: Request, rng: np.random.Generator,
               focus: tuple[str, ...] = ()) -> ScreenContent:
        slot = request.slot
        rows = list(content.rows)
        font = font_named(content.font)
        if slot == "fine_text":
            if content.tiny_what == "helper":
                return dataclasses.replace(content, helper=one_char_changed(content.helper, font, rng, content.language))
            k = content.tiny_row % len(rows)
            field = "sub" if content.tiny_what == "sub" else "title"
            text = getattr(rows[k], field)
            head = one_char_changed(text[:8], font, rng, content.language)  # the start, visible when cut off
            rows[k] = dataclasses.replace(rows[k], **{field: head + text[8:]})
            return dataclasses.replace(content, rows=tuple(rows))
        if slot == "rotated_text":
            k = content.rail_pick % len(content.rail)
            rail = list(content.rail)
            rail[k] = one_char_changed(rail[k], font, rng, content.language)
            return dataclasses.replace(content, rail=tuple(rail))
        if slot == "styled_text":
            return dataclasses.replace(content, app=one_char_changed(content.app, font_named(content.title_font), rng,
                                                                     content.language))
        if slot in ("count_merged", "count_rows"):  # one message read or unread, one toggle flipped
            k = int(rng.integers(len(rows)))
            rows[k] = dataclasses.replace(rows[k], on=not rows[k].on)
            return dataclasses.replace(content, rows=tuple(rows))
        if slot == "count_marks":
            out_of, filled, half = content.stars
            step = 1 if filled == 0 or (filled < out_of - int(half) and rng.random() < 0.5) else -1
            return dataclasses.replace(content, stars=(out_of, filled + step, half))
        if slot == "list_order":  # the neighbour asked about removed
            k = next((i for i, r in enumerate(rows) if focus and r.title == focus[0]), int(rng.integers(len(rows))))
            return dataclasses.replace(content, rows=tuple(r for i, r in enumerate(rows) if i != k))
        if slot == "list_relative" and len(focus) == 2:  # one region moved to the other side of the other
            keys = {self._region_ref(content, key): key for key in content.order}
            if focus[0] not in keys or focus[1] not in keys:
                raise Resample("an asked region is not movable")
            # The tab bar and its list move together.
            units = [u for u in ([("tabs", "list")] + [(r,) for r in content.order if r not in ("tabs", "list")])]
            unit_of = {r: u for u in units for r in u}
            a, b = unit_of[keys[focus[0]]], unit_of[keys[focus[1]]]
            if a == b:
                raise Resample("the asked regions move together")
            flat = [unit_of[r] for r in content.order]
            order = list(dict.fromkeys(flat))  # units, top to bottom
            was_above = order.index(a) < order.index(b)
            order.remove(a)
            order.insert(order.index(b) + (1 if was_above else 0), a)
            return dataclasses.replace(content, order=tuple(r for u in order for r in u if r in content.order))
        if slot == "edge_ordinal" and len(focus) == 2:  # the asked tab swapped with the one between it and the edge
            tabs = list(content.tabs)
            i, j = tabs.index(focus[0]), tabs.index(focus[1])
            tabs[i], tabs[j] = tabs[j], tabs[i]
            return dataclasses.replace(content, tabs=tuple(tabs))
        if slot == "two_columns":  # the buttons in the mirrored order
            return dataclasses.replace(content, buttons=content.buttons[::-1], styles=content.styles[::-1])
        if slot in ("absent_field", "presupposition") and focus:  # the asked element shown or taken away
            return self._toggled(content, focus[0], rng)
        if slot == "near_miss" and focus:  # the asked state flipped: a toggle, a checkout's "Next"
            return self._flipped(content, focus[0])
        raise Resample(f"screens make no minimal pair for {slot}")

    def optional_fields(self, content: ScreenContent, request: Request) -> dict[str, bool]:
        """The screen kind's optional elements (a value question: those showing a value),
        and on a login form the email typed in (Latin-script pages only, see _localized)."""
        keys = FEATURES[content.kind] if request.slot == "absent_field" else VALUED[content.kind]
        if content.device != "phone":  # the unread badge sits on a phone's tab bar
            keys = [k for k in keys if not (content.kind == "inbox" and k == "badge")]
        shown = {FEATURES[content.kind][k]: k in content.features for k in keys}
        if request.slot == "presupposition" and content.kind == "login" \
                and languages.LANGUAGES[content.language or "en"].script == "latin":
            shown["an email address filled in"] = content.email_filled
        return shown

    @staticmethod
    def _toggled(content: ScreenContent, field: str, rng: np.random.Generator) -> ScreenContent:
        if field == "an email address filled in":
            return dataclasses.replace(content, email_filled=not content.email_filled)
        key = next((k for k, name in FEATURES[content.kind].items() if name == field), None)
        if key is None:
            raise Resample(f"{field} cannot be shown or taken away")
        order, rows = content.order, content.rows
        if key == "search":  # the search field is a region of the screen too
            order = tuple(r for r in order if r != "search") if "search" in order else ("search", *order)
        if key == "refunds":  # a figure tile of its own
            code = content.language
            refunds = screen_local.words(code)["refunds"]
            if key in content.features:
                rows = tuple(r for r in rows if r.title != refunds)
            else:
                at = int(rng.integers(len(rows) + 1))
                tile = _tile(refunds, _vocab(code), rng, code, content.numbering)
                rows = (*rows[:at], tile, *rows[at:])
        return dataclasses.replace(content, features=content.features ^ {key}, order=order, rows=rows)

    @staticmethod
    def _flipped(content: ScreenContent, field: str) -> ScreenContent:
        rows = list(content.rows)
        for k, row in enumerate(rows):
            if field == _toggle(row.title, content.language, "a"):
                rows[k] = dataclasses.replace(row, on=not row.on)
                return dataclasses.replace(content, rows=tuple(rows))
        for k, (title, _fields) in enumerate(_sections(content.language)):
            if content.steps and field == _next_field(title, content.language)[0]:
                steps = list(content.steps)
                steps[k] = not steps[k]  # its last field filled in or cleared with it
                return dataclasses.replace(content, steps=tuple(steps))
        raise Resample(f"{field} has no state to flip")

    @staticmethod
    def _region_ref(content: ScreenContent, key: str) -> str:
        name = REGION_NAME[key]
        if key == "list":
            return name[content.kind]
        if key == "banner":
            return f"the banner saying \"{content.banner}\""
        return name

    # Layout --------------------------------------------------------------------------

    def layout(self, content: ScreenContent, request: Request, size: tuple[int, int]) -> Page:
        return _Layout(content, request, size).page()


@dataclass
class _Palette:
    bg: RGB
    surface: RGB
    text: RGB
    muted: RGB
    line: RGB
    idle: RGB
    accent: RGB
    on_accent: RGB


def _unit(size: tuple[int, int], compact: bool) -> float:
    """Output pixels per logical point of a screen drawn at `size`."""
    return min(size) / 512 * (0.88 if compact else 1.0)


def _ui_px(u: float) -> int:
    """The text size of a screen's labels at `u` output pixels per point."""
    return max(5, int(round(7 * u)))


def _screen_frame(device: str, offset: float, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """The screen's box in the picture: a phone upright at `offset` across the
    backdrop, or a desktop window filling it."""
    W, H = size
    m = max(6.0, 12 * min(W, H) / 512)
    if device != "phone":
        return (m, m, W - m, H - m)
    h = H - 2 * m
    w = min(W - 2 * m, round(h * 0.56))
    x0 = m + offset * (W - 2 * m - w)
    return (x0, m, x0 + w, m + h)


def _button_widths(labels, font: FontInfo, px: int, u: float, shaping) -> list[float]:
    """Each button's width: its label with its padding."""
    return [text_width(b, font, px, shaping) + 24 * u for b in labels]


def _row_width(widths: list[float], u: float) -> float:
    """The width of a row of buttons of these widths, the gaps between them included."""
    return sum(widths) + BUTTON_GAP_PT * u * (len(widths) - 1)


BUTTON_GAP_PT = 8


def _dialog_width(frame, u: float, row_w: float) -> float:
    """A dialog's width: 300 points, or as wide as its button row needs (another
    language's labels run longer), within the screen."""
    return min(frame[2] - frame[0] - 24 * u, max(300 * u, row_w + 20 * u + 1))


def _bars(c: ScreenContent, u: float) -> tuple[float, float]:
    """(the status bar's or window title bar's height, the app bar's) of a screen."""
    bar = 16 * u if c.device == "phone" else 20 * u
    return bar, 34 * u if not c.title_px else max(34 * u, c.title_px * 2.4 + 2 * c.title_stroke)


# Vertical tabs (points): the rail's margin above the first, a tab's padding, the gap after it.
RAIL_TOP_PT, TAB_PAD_PT, TAB_GAP_PT = 6, 12, 4


def _rail_layouts(labels, font: FontInfo, px: int, angle_deg: int, shaping) -> list[TextLayout]:
    return [layout_text(t, font, text_px=px, angle_deg=angle_deg, shaping=shaping) for t in labels]


def _rail_fitted(c: ScreenContent, size: tuple[int, int], text_px: int | None) -> ScreenContent:
    """The vertical tabs that fit down the window (as `rail` stacks them under the title
    and app bars): the last left out, down to two, while they run past its foot (long
    Greek labels at 22 px ran past it on 9 draws in 10)."""
    u = _unit(size, c.compact)
    _x0, y0, _x1, y1 = _screen_frame(c.device, c.offset, size)
    layouts = _rail_layouts(c.rail, font_named(c.font), text_px or _ui_px(u), c.rail_angle,
                            page_shaping(c.language))
    heights = [lay.bbox[3] - lay.bbox[1] + TAB_PAD_PT * u + TAB_GAP_PT * u for lay in layouts]
    bar, app_h = _bars(c, u)
    top = y0 + bar + app_h + RAIL_TOP_PT * u
    kept = len(heights)
    while kept > 2 and top + sum(heights[:kept]) > y1:
        kept -= 1
    return c if kept == len(c.rail) else dataclasses.replace(c, rail=c.rail[:kept])


def _dialog_holds_its_buttons(c: ScreenContent, size: tuple[int, int]) -> bool:
    """Whether a dialog's buttons fit in one row on the content's screen (as the layout
    draws them: the dialog's width less its padding)."""
    u = _unit(size, c.compact)
    row_w = _row_width(_button_widths(c.buttons, font_named(c.font), _ui_px(u), u, page_shaping(c.language)), u)
    return _dialog_width(_screen_frame(c.device, c.offset, size), u, row_w) - 20 * u >= row_w


class _Layout:
    """One screen laid out: chrome, regions, buttons; collects what questions refer to."""

    def __init__(self, content: ScreenContent, request: Request, size: tuple[int, int]):
        self.c = content
        self.request = request
        self.size = size
        theme = vocabulary("screen")["themes"][content.theme]
        accent = tuple(content.accent)
        on_accent = (255, 255, 255) if contrast_ratio(accent, (255, 255, 255)) >= 3 else (20, 20, 20)
        self.pal = _Palette(*(tuple(theme[k]) for k in ("bg", "surface", "text", "muted", "line", "idle")),
                            accent, on_accent)
        self.u = _unit(size, content.compact)  # output px per logical point
        self.device_px = self.u / content.scale  # output px per device pixel
        self.px = _ui_px(self.u)
        self.font = font_named(content.font)
        self.icons = load_catalog().icons
        self.lang = content.language
        self.words = screen_local.words(self.lang)  # the labels drawn (English: screen_local.ENGLISH)
        self.rtl = right_to_left(self.lang)  # laid out as in English, then mirrored (see page)
        self.currency = {"language": self.lang, "digits": content.numbering} if self.lang else DOLLAR
        self.sheet = Sheet(shaping=page_shaping(self.lang))
        self.details: list[Detail] = []
        self.targets: dict[str, Target] = {}
        self.fields: list[Field] = []
        self.regions: list[tuple[float, str, tuple[int, ...]]] = []  # (top y, ref, ids)
        self.entries: list[Target] = []
        self.counts: dict[str, Count] = {}
        self.marks: list = []
        self.button_targets: list[tuple[str, Target]] = []
        self.row_buttons: list[Target] = []  # one per row, all with the same label
        self.strip: Listing | None = None  # the tab bar, left to right

    # Drawing helpers ------------------------------------------------------------------

    def rect(self, box, rgb: RGB, role: str, label: str, radius: float = 0.0, z: int = 2, attributes=()) -> ShapeItem:
        return self.sheet.outline(rounded_rect(box, radius), rgb, role, label, z=z, attributes=attributes)

    def ring(self, box, rgb: RGB, width: float, radius: float, role: str, label: str, z: int = 3) -> ShapeItem:
        """An outline (an outlined button, a text field): a rounded rectangle with a hole."""
        x0, y0, x1, y1 = box
        inner = (x0 + width, y0 + width, x1 - width, y1 - width)
        points = rounded_rect(box, radius)
        return outlined(self.sheet.shape(Polygon(points, [rounded_rect(inner, max(0.0, radius - width))]),
                                          rgb, role, label, z=z), points)

    def circle(self, cx: float, cy: float, r: float, rgb: RGB, role: str, label: str, z: int = 3) -> ShapeItem:
        return self.sheet.outline(rounded_rect((cx - r, cy - r, cx + r, cy + r), r), rgb, role, label, z=z)

    def text(self, text: str, x: float, mid_y: float, rgb: RGB, role: str, *, px: int | None = None,
             font: FontInfo | None = None, align: str = "left", on: int = 1, z: int = 5, **kw) -> TextItem:
        px = px or self.px
        return self.sheet.text(text, font or self.font, px, x, mid_y + px / 2, rgb=rgb, role=role, align=align,
                               on=on, z=z, **kw)

    def icon(self, name: str, cx: float, cy: float, size: float, rgb: RGB, role: str = "icon", on: int = 1,
             z: int = 5) -> TextItem:
        layout = moved(_icon_layout(name, max(6, int(round(size)))), (cx, cy))
        item = TextItem(self.sheet._take_id(), role, layout, rgb=rgb, z=z, on_item=on,
                        attributes=(("icon", name),), char_detail=False)
        self.sheet.items.append(item)
        return item

    @property
    def hairline(self) -> float:
        """A field's or button's outline: one point."""
        return max(1.0, self.u)

    def hairline_rule(self, x0: float, x1: float, y: float, under: RGB, role: str = "divider") -> ShapeItem:
        """A divider one device pixel thick. Fitted to the output it covers u / s of an output
        pixel: drawn one output pixel thick (or u / s when that is more) at that share of
        its colour over what lies under it, as area-averaging the screenshot would give."""
        rows = max(1, round(self.device_px))
        rgb = mix(under, self.pal.line, min(1.0, self.device_px))
        top = round(y)  # whole pixel rows (Pillow fills a polygon's bottom edge row too: hence the 0.2)
        return self.rect((x0, top, x1, top + rows - 0.2), rgb, role, "divider")

    def width(self, text: str, px: int | None = None, font: FontInfo | None = None) -> float:
        return text_width(text, font or self.font, px or self.px, self.sheet.shaping)

    def digits(self, text: str) -> str:
        """A number's text in the screen's digits (Latin in English)."""
        return languages.in_digits(text, self.c.numbering) if self.lang else text

    def share(self, percent: int) -> str:
        """A percentage as the screen's locale prints it ("45%" in English)."""
        return languages.format_share(self.lang, percent, self.c.numbering) if self.lang else f"{percent}%"

    def fit(self, text: str, room: float, px: int | None = None) -> str:
        """The text as shown in `room` pixels: cut with an ellipsis when it does not fit
        (between grapheme clusters: never before a vowel sign or after a virama)."""
        if self.width(text, px) <= room:
            return text
        cut = len(text)
        while cut > 1 and (not screen_local.cluster_end(text, cut)
                           or self.width(text[:cut].rstrip() + ELLIPSIS, px) > room):
            cut -= 1
        return text[:cut].rstrip() + ELLIPSIS

    # The screen -----------------------------------------------------------------------

    def page(self) -> Page:
        c = self.c
        frame = _screen_frame(c.device, c.offset, self.size)
        self.sheet.paper_id = 1
        self.sheet.outline(rounded_rect(frame, 0), self.pal.bg, "screen", f"{c.theme} {c.device} screen", z=1,
                           item_id=1)
        y = self.chrome(frame)
        x0, x1 = frame[0], frame[2]
        if c.rail:
            x0 = self.rail(frame, y)
        pad = 10 * self.u
        bottom = frame[3] - (self.nav(frame) if c.device == "phone" and c.kind not in ("login", "checkout") else 0)
        inner = (x0 + pad, x1 - pad)
        docked = "search" in c.order and c.order.index("search") > c.order.index("list")
        if c.kind == "login":
            y = self.login(inner, y + pad)
        elif c.kind == "checkout":
            y = self.checkout(inner, y + pad)
        else:
            for region in c.order:
                if region == "search" and docked:
                    continue
                top = y
                y, ids = getattr(self, f"region_{region}")(inner, y + pad * 0.6)
                self.regions.append((top, self.ref(region), ids))
        if docked:  # a search field after the list is a search bar docked at the bottom, as real apps do
            top = bottom - pad * 0.6 - 26 * self.u
            _y, ids = self.region_search(inner, top)
            self.regions.append((top, self.ref("search"), ids))
            bottom = top
        if c.kind == "cart":
            y = self.cart_summary(inner, y + pad * 0.6)
        bottom = self.fab(inner, bottom - pad)
        if c.dialog:
            self.dim()
            self.dialog(frame)
        elif c.kind != "checkout":  # a checkout's buttons are its sections' own
            y = self.button_row(inner, y + pad)
        if y > bottom - pad * 0.3:
            raise Resample(f"the {c.kind} screen needs {y:.0f} px, has {bottom:.0f}")
        for item in self.sheet.items:  # nothing runs off the screen
            x0, y0, x1, y1 = item.bbox
            if x0 < frame[0] - 0.5 or y0 < frame[1] - 0.5 or x1 > frame[2] + 0.5 or y1 > frame[3] + 0.5:
                raise Resample(f"{item.role} runs off the screen")
        if self.rtl:  # a right-to-left screen: everything mirrored about the screen's middle
            self.sheet.items = screen_local.mirrored(self.sheet.items, frame[0] + frame[2])
        return self.collect()

    def ref(self, region: str) -> str:
        return ScreenContext._region_ref(self.c, region)

    def chrome(self, frame) -> float:
        """Status bar (phone) or window title bar (desktop), then the app bar; returns its bottom."""
        c, pal, u = self.c, self.pal, self.u
        x0, y0, x1, _ = frame
        small = max(5, self.px - 1)
        bar, app_h = _bars(c, u)
        if c.device == "phone":
            self.text(self.digits("9:41"), x0 + 10 * u, y0 + bar / 2, pal.text, "status", px=small)
            for k, name in enumerate(("battery", "wifi", "signal")):
                self.icon(name, x1 - (12 + 14 * k) * u, y0 + bar / 2, 11 * u, pal.text, "status")
        else:
            title = self.rect((x0, y0, x1, y0 + bar), pal.surface, "title_bar", "window title bar")
            for k, rgb in enumerate(((237, 106, 94), (245, 191, 79), (98, 197, 84))):
                self.circle(x0 + (10 + 13 * k) * u, y0 + bar / 2, 4 * u, rgb, "window_button", "window button", z=4)
            kind_name = c.kind.capitalize()
            if self.lang:  # the screen's title (a login form's: its "Sign in" button)
                kind_name = self.words["titles"].get(c.kind) or self.words["login_buttons"][0]
            self.text(f"{c.app} - {kind_name}", (x0 + x1) / 2, y0 + bar / 2, pal.muted, "window_title",
                      px=small, align="center", on=title.item_id)
        y = y0 + bar
        bar_rgb = pal.accent if c.theme == "light" and c.kind != "login" else pal.surface
        if c.title_contrast and max_contrast(bar_rgb) < c.title_contrast:
            bar_rgb = pal.surface
            if max_contrast(bar_rgb) < c.title_contrast:
                raise Resample(f"contrast {c.title_contrast} cannot be reached on the app bar")
        ink = pal.on_accent if bar_rgb == pal.accent else pal.text
        appbar = self.rect((x0, y, x1, y + app_h), bar_rgb, "app_bar", "app bar")
        lead = "arrow-left" if "back" in c.features or c.kind == "checkout" else "menu"
        if c.kind in ("settings", "checkout") or lead == "menu":
            if self.rtl and lead == "arrow-left":  # back points right on a mirrored screen
                lead = "arrow-right"
            self.icon(lead, x0 + 16 * u, y + app_h / 2, 16 * u, ink, "app_bar_icon", on=appbar.item_id)
        title_font = font_named(c.title_font)
        px = c.title_px or self.px + 3
        rgb, stroke_rgb = ink, None
        if c.title_contrast:
            rgb = ink_for_contrast(bar_rgb, c.title_contrast)
        if c.title_stroke:
            stroke_rgb, rgb = rgb, bar_rgb
        title_text = c.app if c.kind in ("login",) or c.title_px else self.words["titles"][c.kind]
        if c.title_px:  # the styled slot: the app's name is the title
            title_text = c.app
        if self.width(title_text, px, title_font) > (x1 - x0) - 80 * u:
            raise Resample("the app title does not fit its bar")
        title = self.text(title_text, x0 + 34 * u, y + app_h / 2, rgb, "app_title", px=px, font=title_font,
                          on=appbar.item_id, stroke_px=c.title_stroke, stroke_rgb=stroke_rgb)
        self.targets["styled_text"] = Target((title.item_id,), "the title in the app bar at the top of the screen",
                                             title.text)
        action = {"inbox": "magnify", "files": "dots-vertical", "playlist": "dots-vertical",
                  "settings": "account-circle"}.get(c.kind)
        if c.kind == "cart":  # the wishlist heart is one of the usual elements asked about
            action = "heart-outline" if "wishlist" in c.features else None
            ids = ()
            if action:
                ids = (self.icon(action, x1 - 16 * u, y + app_h / 2, 16 * u, ink, "wishlist", on=appbar.item_id)
                       .item_id,)
            self.fields.append(Field(FEATURES["cart"]["wishlist"], bool(action), ids=ids))
        elif action:
            self.icon(action, x1 - 16 * u, y + app_h / 2, 16 * u, ink, "app_bar_icon", on=appbar.item_id)
        return y + app_h

    def nav(self, frame) -> float:
        """A bottom navigation bar (phone): icons with labels, an unread badge on Inbox."""
        c, pal, u = self.c, self.pal, self.u
        x0, _, x1, y1 = frame
        h = 40 * u
        bar = self.rect((x0, y1 - h, x1, y1), pal.surface, "nav_bar", "bottom navigation bar")
        items = tuple(zip(("home", "inbox", "magnify", "account"), self.words["nav"]))
        step = (x1 - x0) / len(items)
        small = max(5, self.px - 2)
        ids = [bar.item_id]
        for k, (name, label) in enumerate(items):
            cx = x0 + step * (k + 0.5)
            rgb = pal.accent if k == 0 else pal.muted
            ids.append(self.icon(name, cx, y1 - h * 0.62, 14 * u, rgb, "nav_icon", on=bar.item_id).item_id)
            ids.append(self.text(label, cx, y1 - h * 0.22, rgb, "nav_label", px=small, align="center",
                                 on=bar.item_id).item_id)
            if name == "inbox" and "badge" in c.features and c.kind == "inbox":
                self.badge(cx + 8 * u, y1 - h * 0.62 - 6 * u)
        return h

    def badge(self, cx: float, cy: float) -> None:
        c, u = self.c, self.u
        label = self.digits(str(c.badge))
        px = max(5, self.px - 2)
        r = max(px * 0.95, (self.width(label, px) + 5 * u) / 2)
        dot = self.rect((cx - r, cy - px * 0.95, cx + r, cy + px * 0.95), (214, 48, 49), "badge", "unread badge",
                        radius=px * 0.95, z=6)
        number = self.text(label, cx, cy, (255, 255, 255), "badge_count", px=px, align="center", on=dot.item_id, z=7)
        self.fields.append(Field(FEATURES["inbox"]["badge"], True, "the number on the unread count badge",
                                 number.text, (number.item_id,), numeric=True))

    def rail(self, frame, top: float) -> float:
        """Vertical tabs down the left edge; returns the right edge of the rail."""
        c, pal, u = self.c, self.pal, self.u
        px = self.request.style.text_px if self.request.style is not None else self.px
        layouts = _rail_layouts(c.rail, self.font, px, c.rail_angle, self.sheet.shaping)
        width = max(lay.bbox[2] - lay.bbox[0] for lay in layouts) + TAB_PAD_PT * u
        x0 = frame[0]
        rail = self.rect((x0, top, x0 + width, frame[3]), pal.surface, "tab_rail", "vertical tab rail")
        y = top + RAIL_TOP_PT * u
        pick_k = c.rail_pick % len(c.rail)
        for k, (label, lay) in enumerate(zip(c.rail, layouts)):
            h = lay.bbox[3] - lay.bbox[1] + TAB_PAD_PT * u
            active = k == 0
            on = rail.item_id
            if active:
                on = self.rect((x0 + 2 * u, y, x0 + width - 2 * u, y + h), mix(pal.surface, pal.accent, 0.25),
                               "tab", "active tab", radius=4 * u, z=3).item_id
            item = self.sheet.turned_text(label, self.font, px, (x0 + width / 2, y + h / 2), c.rail_angle,
                                          rgb=pal.text, role="vertical_tab", on=on, z=5)
            if k == pick_k:
                side = "right" if self.rtl else "left"  # the rail of a mirrored window is at its right
                self.targets["rotated_text"] = Target((item.item_id,), f"the {_ordinal(k)} vertical tab label "
                                                      f"from the top, on the {side} edge of the window", item.text)
            y += h + TAB_GAP_PT * u
        if y > frame[3]:
            raise Resample("the vertical tabs do not fit")
        return x0 + width

    # Regions --------------------------------------------------------------------------

    def region_search(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        pal, u = self.pal, self.u
        h = 26 * u
        field = self.rect((inner[0], y, inner[1], y + h), pal.surface, "search_field", "search field", radius=h / 2)
        icon = self.icon("magnify", inner[0] + 14 * u, y + h / 2, 13 * u, pal.muted, on=field.item_id)
        hint = self.text(self.words["search"][self.c.kind] if self.lang else f"Search {LIST_NOUN[self.c.kind]}s",
                         inner[0] + 26 * u, y + h / 2, pal.muted, "placeholder",
                         on=field.item_id)
        return y + h, (field.item_id, icon.item_id, hint.item_id)

    def region_tabs(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        pal, u = self.pal, self.u
        h = 24 * u
        step = (inner[1] - inner[0]) / len(self.c.tabs)
        ids, entries = [], []
        for k, label in enumerate(self.c.tabs):
            cx = inner[0] + step * (k + 0.5)
            rgb = pal.accent if k == 0 else pal.muted
            if self.width(label) > step - 6 * u:
                raise Resample("the tab labels do not fit the tab bar")
            text = self.text(label, cx, y + h / 2, rgb, "tab", align="center")
            ids.append(text.item_id)
            entries.append(Target((text.item_id,), f"the \"{label}\" tab", label, label))
            if k == 0:
                ids.append(self.rect((cx - step * 0.4, y + h - 2.5 * u, cx + step * 0.4, y + h), pal.accent,
                                     "tab_indicator", "selected tab underline").item_id)
        line = self.hairline_rule(inner[0], inner[1], y + h, pal.bg)
        self.strip = Listing("tab", tuple(entries))
        return y + h + u, (*ids, line.item_id)

    def region_banner(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        pal, u = self.pal, self.u
        h = 26 * u
        card = self.rect((inner[0], y, inner[1], y + h), mix(pal.bg, pal.accent, 0.18), "banner", "banner",
                         radius=6 * u)
        info = self.icon("bell", inner[0] + 14 * u, y + h / 2, 13 * u, pal.accent, on=card.item_id)
        text = self.text(self.c.banner, inner[0] + 28 * u, y + h / 2, pal.text, "banner_text", on=card.item_id)
        return y + h, (card.item_id, info.item_id, text.item_id)

    def region_list(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        return getattr(self, f"rows_{self.c.kind}")(inner, y)

    def _row_h(self, two_lines: bool) -> float:
        return self.px * ((5.6 if two_lines else 4.2) - (0.8 if self.c.compact else 0.0))

    def rows_settings(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        c, pal, u = self.c, self.pal, self.u
        h = self._row_h(False)
        ids, knobs = [], []
        for k, row in enumerate(c.rows):
            mid = y + h / 2
            icon = self.icon(row.icon, inner[0] + 8 * u, mid, 14 * u, pal.muted)
            label = self.text(row.title, inner[0] + 24 * u, mid, pal.text, "setting",
                              attributes=(("row", str(k)), ("state", "on" if row.on else "off")))
            track_w, track_h = 2.1 * h * 0.42, h * 0.42
            tx1 = inner[1] - 2 * u
            track = self.rect((tx1 - track_w, mid - track_h / 2, tx1, mid + track_h / 2),
                              pal.accent if row.on else pal.idle, "toggle", f"toggle {'on' if row.on else 'off'}",
                              radius=track_h / 2, z=3, attributes=(("state", "on" if row.on else "off"),))
            kr = track_h / 2 - max(1.5, 2 * u)
            kx = tx1 - track_h / 2 if row.on else tx1 - track_w + track_h / 2
            knob = self.circle(kx, mid, kr, (255, 255, 255), "toggle_knob", "toggle knob", z=4)
            self.details.append(Detail(knob.item_id, f"knob of {_toggle(row.title, self.lang, 'the')}", min_fill=0.6,
                                       min_px=int(kr * kr * 2)))
            knobs.append((row, track.item_id, knob.item_id, kx > tx1 - track_w / 2))
            self.entries.append(Target((label.item_id,), row.title, row.title, row.title))
            ids += [icon.item_id, label.item_id, track.item_id, knob.item_id]
            state, other = ("switched on", "switched off") if row.on else ("switched off", "switched on")
            self.fields.append(Field(_toggle(row.title, self.lang, "a"), True, _toggle(row.title, self.lang, "the"), state,
                                     (label.item_id,), usual=False, near=other))
            if k < len(c.rows) - 1:
                self.hairline_rule(inner[0] + 24 * u, inner[1], y + h - 1, pal.bg)
            y += h
        for row, _t, _k, right in knobs:  # the knob stands where the state says
            if right != row.on:
                raise AssertionError(f"toggle {row.title} drawn in the wrong state")
        self.counts["count_rows"] = Count(
            f"How many toggle switches on this screen are switched on (knob to the {'left' if self.rtl else 'right'}, "
            "coloured track)?",
            sum(r.on for r in c.rows), tuple(i for _r, t, kn, _ in knobs for i in (t, kn)))
        if "slider" in c.features:
            y, slider_ids = self.slider(inner, y)
            ids += slider_ids
        else:
            self.fields.append(Field(FEATURES["settings"]["slider"], False, "the brightness level set on the slider"))
        if "logout" in c.features:
            out = self.text(self.words["log_out"], inner[0] + 24 * u, y + h / 2, (214, 48, 49), "logout")
            icon = self.icon("logout", inner[0] + 8 * u, y + h / 2, 14 * u, (214, 48, 49))
            ids += [out.item_id, icon.item_id]
            self.fields.append(Field(FEATURES["settings"]["logout"], True, ids=(out.item_id,)))
            y += h
        else:
            self.fields.append(Field(FEATURES["settings"]["logout"], False))
        self.fields.append(Field(FEATURES["settings"]["back"], "back" in c.features))
        return y, tuple(ids)

    def slider(self, inner, y: float) -> tuple[float, list[int]]:
        c, pal, u = self.c, self.pal, self.u
        h = self._row_h(True)
        label = self.text(self.words["brightness"], inner[0] + 24 * u, y + h * 0.3, pal.text, "setting")
        icon = self.icon("brightness-6", inner[0] + 8 * u, y + h * 0.3, 14 * u, pal.muted)
        value = self.text(self.share(c.slider), inner[1] - 2 * u, y + h * 0.3, pal.muted, "slider_value", align="right")
        x0, x1 = inner[0] + 24 * u, inner[1] - 8 * u
        track = self.rect((x0, y + h * 0.72 - 1.5 * u, x1, y + h * 0.72 + 1.5 * u), pal.idle, "slider", "slider track")
        at = x0 + (x1 - x0) * c.slider / 100
        fill = self.rect((x0, y + h * 0.72 - 1.5 * u, at, y + h * 0.72 + 1.5 * u), pal.accent, "slider_fill",
                         "slider fill", z=3)
        thumb = self.circle(at, y + h * 0.72, 5 * u, pal.accent, "slider_thumb", "slider thumb", z=4)
        self.fields.append(Field(FEATURES["settings"]["slider"], True, "the brightness level set on the slider",
                                 value.text, (value.item_id,), numeric=True))
        return y + h, [label.item_id, icon.item_id, value.item_id, track.item_id, fill.item_id, thumb.item_id]

    def rows_inbox(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        c, pal, u = self.c, self.pal, self.u
        h = self._row_h(True)
        ids, unread = [], []
        tiny_k = c.tiny_row % len(c.rows)
        for k, row in enumerate(c.rows):
            dot_x = inner[0] + 4 * u
            x = inner[0] + 12 * u
            avatar = self.circle(x + 9 * u, y + h / 2, 9 * u, mix(pal.accent, pal.bg, 0.35 + 0.1 * (k % 3)),
                                 "avatar", "avatar")
            initial = self.text(screen_local.initial(row.title), x + 9 * u, y + h / 2, pal.on_accent, "avatar_initial", align="center",
                                on=avatar.item_id, px=max(5, self.px - 1))
            tx = x + 24 * u
            time = self.text(row.meta, inner[1], y + h * 0.3, pal.accent if row.on else pal.muted, "time",
                             align="right", px=max(5, self.px - 1))
            room = inner[1] - tx - self.width(row.meta) - 8 * u
            # Unread senders are heavier where the type is large enough for a 1 px stroke.
            sender = self.text(self.fit(row.title, room), tx, y + h * 0.3, pal.text, "sender",
                               stroke_px=1 if row.on and self.px >= 9 else 0,
                               attributes=(("row", str(k)), ("unread", "yes" if row.on else "no")))
            sub_px = c.tiny_px if c.tiny_what == "sub" and k == tiny_k else self.px
            grow = max(0, sub_px - self.px)  # a larger asked subject makes its row taller, its top where it was
            subject = self.text(self.fit(row.sub, inner[1] - tx, sub_px), tx, y + h * 0.72 + grow / 2, pal.muted,
                                "subject", px=sub_px)
            if k == tiny_k and c.tiny_what == "sub":
                self.targets["fine_text"] = Target(
                    (subject.item_id,), f"the subject line of the message from {row.title}, as shown on the screen "
                    "(if it is cut off, give only the visible part, with the ellipsis)", subject.text)
            row_ids = [avatar.item_id, initial.item_id, sender.item_id, subject.item_id, time.item_id]
            if row.on:
                dot = self.circle(dot_x, y + h * 0.3, 2.6 * u, pal.accent, "unread_dot", "unread dot")
                self.details.append(Detail(dot.item_id, f"unread dot of {row.title}", min_fill=0.5, min_px=8))
                row_ids.append(dot.item_id)
                unread.append((sender.item_id, dot.item_id))
            self.entries.append(Target((sender.item_id,), f"the message from {sender.text}", sender.text, sender.text))
            ids += row_ids
            if k < len(c.rows) - 1:
                self.hairline_rule(tx, inner[1], y + h + grow - 1, pal.bg)
            y += h + grow
        self.counts["count_merged"] = Count(
            "How many messages in this inbox are unread? Unread messages are marked with a dot on their "
            f"{'right' if self.rtl else 'left'}.",
            len(unread), tuple(i for pair in unread for i in pair))
        if "badge" not in c.features or c.device != "phone":
            self.fields.append(Field(FEATURES["inbox"]["badge"], False, "the number on the unread count badge"))
        return y, tuple(ids)

    def rows_files(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        c, pal, u = self.c, self.pal, self.u
        h = self._row_h(True)
        ids = []
        tiny_k = c.tiny_row % len(c.rows)
        colours = {"file-pdf-box": (214, 48, 49), "file-excel": (46, 125, 50), "file-word": (26, 115, 232),
                   "folder": (230, 160, 0), "image": (0, 137, 123), "file-document": pal.muted}
        for k, row in enumerate(c.rows):
            name_px = c.tiny_px if c.tiny_what == "title" and k == tiny_k else self.px
            grow = max(0, name_px - self.px)  # a larger asked name makes its row taller, its top where it was
            mid = y + (h + grow) / 2
            icon = self.icon(row.icon, inner[0] + 10 * u, mid, 18 * u, colours.get(row.icon, pal.muted))
            tx = inner[0] + 26 * u
            box_size = 14 * u
            delete_w = self.width(self.words["delete"]) if c.row_buttons else 0.0
            room = inner[1] - tx - box_size - 10 * u - (delete_w + 12 * u if c.row_buttons else 0.0)
            name = self.text(self.fit(row.title, room, name_px), tx, y + h * 0.34 + grow / 2, pal.text, "file_name",
                             px=name_px, attributes=(("row", str(k)),))
            size = self.text(row.meta, tx, y + h * 0.74 + grow, pal.muted, "file_size", px=max(5, self.px - 1))
            check = self.icon("checkbox-marked" if row.on else "checkbox-blank-outline", inner[1] - box_size / 2, mid,
                              box_size * 1.25, pal.accent if row.on else pal.muted, "checkbox")
            self.details.append(Detail(check.item_id, "ticked checkbox" if row.on else "empty checkbox",
                                       **({"min_fill": 0.65} if row.on else {"max_fill": 0.6})))
            if k == tiny_k and c.tiny_what == "title":
                self.targets["fine_text"] = Target(
                    (name.item_id,), f"the name of the {_ordinal(k)} file in the list, as shown on the screen (if it "
                    "is cut off, give only the visible part, with the ellipsis)", name.text)
            if c.row_buttons:  # a "Delete" text button in every row: near-duplicates told apart by their row
                label = self.words["delete"]
                delete = self.text(label, inner[1] - box_size - 10 * u, mid, (214, 48, 49), "button_label",
                                   align="right", attributes=(("row", str(k)),))
                self.row_buttons.append(Target((delete.item_id,), f"the \"{label}\" button in the row of {name.text}",
                                               label, name.text))
                ids.append(delete.item_id)
            entry = Target((name.item_id, check.item_id), name.text, name.text, name.text)
            self.entries.append(entry)
            if row.on:
                self.marks.append(("a ticked checkbox", entry))
            ids += [icon.item_id, name.item_id, size.item_id, check.item_id]
            y += h + grow
        if "storage" in c.features:
            used = c.storage_pct
            label = self.text(self.words["storage"].format(pct=self.share(used)), inner[0], y + 8 * u, pal.muted, "storage",
                              px=max(5, self.px - 1))
            bar = self.rect((inner[0], y + 16 * u, inner[1], y + 20 * u), pal.idle, "storage_bar", "storage bar")
            fill = self.rect((inner[0], y + 16 * u, inner[0] + (inner[1] - inner[0]) * used / 100, y + 20 * u),
                             pal.accent, "storage_fill", "storage used", z=3)
            ids += [label.item_id, bar.item_id, fill.item_id]
            self.fields.append(Field(FEATURES["files"]["storage"], True, "the share of storage used",
                                     self.share(used), (label.item_id,), numeric=True))
            y += 22 * u
        else:
            self.fields.append(Field(FEATURES["files"]["storage"], False, "the share of storage used"))
        return y, tuple(ids)

    def rows_playlist(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        c, pal, u = self.c, self.pal, self.u
        h = self._row_h(True)
        ids = []
        for k, row in enumerate(c.rows):
            mid = y + h / 2
            art = self.rect((inner[0], mid - 10 * u, inner[0] + 20 * u, mid + 10 * u),
                            mix(pal.accent, pal.surface, 0.2 + 0.15 * (k % 4)), "cover", "album cover", radius=3 * u)
            note = self.icon("music-note", inner[0] + 10 * u, mid, 12 * u, pal.on_accent, on=art.item_id)
            tx = inner[0] + 28 * u
            title = self.text(row.title, tx, y + h * 0.32, pal.text, "song", attributes=(("row", str(k)),))
            artist = self.text(f"{row.sub} - {row.meta}", tx, y + h * 0.72, pal.muted, "artist",
                               px=max(5, self.px - 1))
            heart = self.icon("heart" if row.on else "heart-outline", inner[1] - 8 * u, mid, 15 * u,
                              (214, 48, 49) if row.on else pal.muted, "heart")
            self.details.append(Detail(heart.item_id, "filled heart" if row.on else "outlined heart",
                                       **({"min_fill": 0.5} if row.on else {"max_fill": 0.42})))
            entry = Target((title.item_id, heart.item_id), row.title, row.title, row.title)
            self.entries.append(entry)
            if row.on:
                self.marks.append(("a filled heart", entry))
            ids += [art.item_id, note.item_id, title.item_id, artist.item_id, heart.item_id]
            y += h
        return y, tuple(ids)

    def rows_dashboard(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        """Figure tiles two to a row (label, value, change), then a bar chart when shown."""
        c, pal, u = self.c, self.pal, self.u
        gap = 8 * u
        w = (inner[1] - inner[0] - gap) / 2
        h = self.px * 7.2
        ids = []
        for k, row in enumerate(c.rows):
            x0 = inner[0] + (k % 2) * (w + gap)
            y0 = y + (k // 2) * (h + gap)
            card = self.rect((x0, y0, x0 + w, y0 + h), pal.surface, "tile", f"{row.title} tile", radius=6 * u)
            icon = self.icon(row.icon, x0 + 14 * u, y0 + h * 0.25, 13 * u, pal.accent, on=card.item_id)
            label = self.text(row.title, x0 + 26 * u, y0 + h * 0.25, pal.muted, "tile_label", on=card.item_id)
            value = self.text(row.sub, x0 + 10 * u, y0 + h * 0.58, pal.text, "tile_value", px=self.px + 4,
                              on=card.item_id)
            delta = self.text(row.meta, x0 + 10 * u, y0 + h * 0.84, (46, 125, 50) if row.on else (214, 48, 49),
                              "tile_change", px=max(5, self.px - 1), on=card.item_id)
            if value.bbox[2] > x0 + w - 4 * u or label.bbox[2] > x0 + w - 4 * u:
                raise Resample("a figure does not fit its tile")
            ref = _named(row.title, self.lang, "the", "figure")
            self.entries.append(Target((label.item_id, value.item_id), row.title, row.title, row.title))
            if row.title == self.words["refunds"]:
                self.fields.append(Field(FEATURES["dashboard"]["refunds"], True, "the Refunds figure", value.text,
                                         (value.item_id,), numeric=True))
            else:
                self.fields.append(Field(_named(row.title, self.lang, "a", "figure"), True, ref, value.text, (value.item_id,),
                                         numeric=True, usual=False))
            ids += [card.item_id, icon.item_id, label.item_id, value.item_id, delta.item_id]
        if "refunds" not in c.features:
            self.fields.append(Field(FEATURES["dashboard"]["refunds"], False, "the Refunds figure"))
        y += ((len(c.rows) + 1) // 2) * (h + gap)
        if "chart" in c.features:
            ch = 70 * u
            axis = self.rect((inner[0], y + ch, inner[1], y + ch + max(1.0, u)), pal.line, "chart_axis", "chart axis")
            bars = [axis.item_id]
            step = (inner[1] - inner[0]) / 7
            for k, day in enumerate(self.words["days"]):
                bh = ch * c.bars[k]
                cx = inner[0] + step * (k + 0.5)
                bars.append(self.rect((cx - step * 0.28, y + ch - bh, cx + step * 0.28, y + ch), pal.accent, "bar",
                                      "chart bar", radius=2 * u).item_id)
                bars.append(self.text(day, cx, y + ch + 8 * u, pal.muted, "chart_label", px=max(5, self.px - 1),
                                      align="center").item_id)
            self.fields.append(Field(FEATURES["dashboard"]["chart"], True, ids=tuple(bars[:2])))
            ids += bars
            y += ch + 14 * u
        else:
            self.fields.append(Field(FEATURES["dashboard"]["chart"], False))
        return y, tuple(ids)

    def rows_cart(self, inner, y: float) -> tuple[float, tuple[int, ...]]:
        c, pal, u = self.c, self.pal, self.u
        h = self._row_h(True) * 1.15
        ids = []
        for k, row in enumerate(c.rows):
            mid = y + h / 2
            thumb = self.rect((inner[0], mid - 13 * u, inner[0] + 26 * u, mid + 13 * u), pal.surface, "thumbnail",
                              "product picture", radius=4 * u)
            tag = self.icon("tag", inner[0] + 13 * u, mid, 14 * u, pal.muted, on=thumb.item_id)
            tx = inner[0] + 34 * u
            name = self.text(row.title, tx, y + h * 0.32, pal.text, "product", attributes=(("row", str(k)),))
            qty = self.text(row.sub, tx, y + h * 0.7, pal.muted, "quantity", px=max(5, self.px - 1))
            if self.lang:  # the locale's amount (its currency sign only on the totals below)
                amount = self.text(money(row.price, self.currency), inner[1], y + h * 0.32, pal.text, "price",
                                   align="right")
                sign = amount
            else:
                amount = self.text(money(row.price, DOLLAR), inner[1], y + h * 0.32, pal.text, "price", align="right")
                sign = self.text("$", amount.bbox[0] - 1.5 * u, y + h * 0.32, pal.text, "currency", align="right")
            if name.bbox[2] > sign.bbox[0] - 6 * u:
                raise Resample("a product name runs into its price")
            entry = Target((name.item_id, amount.item_id), row.title, row.title, row.title)
            self.entries.append(entry)
            if k == c.near_dup:
                self.targets["near_duplicate"] = Target((amount.item_id, name.item_id), f"the price of {row.title}",
                                                        amount.text, row.title)
            ids += [thumb.item_id, tag.item_id, name.item_id, qty.item_id, *dict.fromkeys((amount.item_id, sign.item_id))]
            y += h
        return y, tuple(ids)

    def cart_summary(self, inner, y: float) -> float:
        c, pal, u = self.c, self.pal, self.u
        totals = _cart_total(c)
        h = self.px * 2.6
        y = self.stars(inner, y)
        if "promo" in c.features:
            fh = 24 * u
            field = self.ring((inner[0], y, inner[1], y + fh), pal.line, max(1.0, u), 5 * u, "text_field", "promo field")
            self.text(self.words["cart"]["promo"], inner[0] + 8 * u, y + fh / 2, pal.muted, "placeholder")
            y += fh + 4 * u
            self.fields.append(Field(FEATURES["cart"]["promo"], True, ids=(field.item_id,)))
        else:
            self.fields.append(Field(FEATURES["cart"]["promo"], False))
        said = self.words["cart"]
        lines = [("subtotal", said["subtotal"], totals["subtotal"])]
        if "delivery" in c.features:
            lines.append(("delivery", said["delivery"], totals["delivery"]))
        if "discount" in c.features:
            lines.append(("discount", said["discount"], -totals["discount"]))
        lines.append(("total", said["total"], totals["total"]))
        printed = {}
        for key, label, cents in lines:
            bold = 1 if key == "total" else 0  # the total a size larger
            self.text(label, inner[0], y + h / 2, pal.text if key == "total" else pal.muted, "summary_label",
                      px=self.px + bold)
            shown = ("-" if cents < 0 else "") + money(abs(cents), self.currency, symbol=True)
            value = self.text(shown, inner[1], y + h / 2, pal.text, "amount", align="right",
                              px=self.px + bold)
            printed[key] = value
            y += h
        names = {"subtotal": ("a subtotal", "the subtotal"), "delivery": (FEATURES["cart"]["delivery"], "the delivery fee"),
                 "discount": (FEATURES["cart"]["discount"], "the discount"), "total": ("a total", "the order total")}
        for key, (name, ref) in names.items():
            if key in printed:
                self.fields.append(Field(name, True, ref, printed[key].text,
                                         (printed[key].item_id,), numeric=True, usual=key not in ("subtotal", "total")))
            else:
                self.fields.append(Field(name, False, ref))
        shown = sum(self.cents(v.text) for k, v in printed.items() if k != "total")
        if self.cents(printed["total"].text) != shown:
            raise AssertionError(f"printed cart total {printed['total'].text} is not the sum of its lines")
        if shown != totals["total"]:
            raise AssertionError(f"cart total {totals['total']} is not the sum of its printed lines {shown}")
        return y

    def cents(self, text: str) -> int:
        """The amount of a printed price (minor units), read back from its text."""
        if not self.lang:
            return int(round(float(text.replace("$", "").replace(",", "")) * 100))
        sign = -1 if text.startswith("-") else 1
        return sign * parse_money(text.removeprefix("-"), self.currency)

    def stars(self, inner, y: float) -> float:
        """A star rating ("Rate your order"): filled stars, an optional half star, outlines."""
        c, pal, u = self.c, self.pal, self.u
        out_of, filled, half = c.stars
        h = 22 * u
        label = self.text(self.words["cart"]["rate"], inner[0], y + h / 2, pal.text, "rating_label")
        size = min(16 * u, (inner[1] - label.bbox[2] - 8 * u) / out_of)
        if size < 7:
            raise Resample("no room for the stars")
        gold = (245, 166, 35)
        ids = []
        for k in range(out_of):
            cx = inner[1] - (out_of - k - 0.5) * size
            kind = "star" if k < filled else "star-outline"
            star = self.icon(kind, cx, y + h / 2, size * 0.95, gold if k < filled else pal.muted, "star", z=5)
            under_half = half and k == filled  # its left half hidden under the half star, by design
            if not under_half:
                ids.append(star.item_id)
            self.details.append(Detail(star.item_id, "filled star" if k < filled else "outlined star",
                                       min_px=4 if under_half else 12,
                                       **({"min_fill": 0.4} if k < filled else {"max_fill": 0.42})))
            if half and k == filled:
                over = self.icon("star-half", cx, y + h / 2, size * 0.95, gold, "star_half", z=6)
                ids.append(over.item_id)
                self.details.append(Detail(over.item_id, "half star", min_fill=0.3))
        self.counts["count_marks"] = Count(
            f"How many stars of the rating \"{label.text.rstrip(':：')}\" are completely filled? Count only full stars: "
            f"a half-filled star does not count.", filled, tuple(ids))
        return y + h + 4 * u

    def login(self, inner, y: float) -> float:
        c, pal, u = self.c, self.pal, self.u
        ids = []
        logo = self.icon("lock", (inner[0] + inner[1]) / 2, y + 16 * u, 26 * u, pal.accent)
        y += 36 * u
        welcome = self.text(self.words["sign_in"].format(app=c.app), (inner[0] + inner[1]) / 2, y, pal.text, "heading",
                            px=self.px + 2, align="center")
        ids += [logo.item_id, welcome.item_id]
        y += 14 * u
        fh = 26 * u
        said = self.words["login"]
        for label, hint, value in ((said["email"], said["email_hint"], c.email if c.email_filled else ""),
                                   (said["password"], said["password_hint"], "")):
            self.text(label, inner[0], y + 5 * u, pal.muted, "field_label", px=max(5, self.px - 1))
            y += 10 * u
            self.ring((inner[0], y, inner[1], y + fh), pal.line, max(1.0, u), 5 * u, "text_field",
                      f"{label.lower()} field")
            shown = value or hint
            text = self.text(shown, inner[0] + 8 * u, y + fh / 2, pal.text if value else pal.muted,
                             "field_value" if value else "placeholder")
            if label == said["email"]:
                self.fields.append(Field("an email address filled in", bool(value), "the email address entered",
                                         value, (text.item_id,) if value else (), usual=False))
            y += fh + 3 * u
            if label == said["password"]:
                helper = self.text(c.helper, inner[0], y + c.tiny_px / 2 + 2 * u, pal.muted, "helper", px=c.tiny_px)
                self.targets["fine_text"] = Target((helper.item_id,), "the small helper text under the password field",
                                                   helper.text)
                y += c.tiny_px + 8 * u
        if "remember" in c.features:
            box = self.icon("checkbox-blank-outline", inner[0] + 7 * u, y + 8 * u, 14 * u, pal.muted, "checkbox")
            label = self.text(said["remember"], inner[0] + 18 * u, y + 8 * u, pal.text, "checkbox_label")
            self.fields.append(Field(FEATURES["login"]["remember"], True, ids=(box.item_id, label.item_id)))
        else:
            self.fields.append(Field(FEATURES["login"]["remember"], False))
        if "forgot" in c.features:
            link = self.text(said["forgot"], inner[1], y + 8 * u, pal.accent, "link", align="right")
            self.fields.append(Field(FEATURES["login"]["forgot"], True, ids=(link.item_id,)))
        else:
            self.fields.append(Field(FEATURES["login"]["forgot"], False))
        y += 20 * u
        for key, label in (("google", said["google"]), ("signup", said["signup"])):
            if key in c.features:
                item = self.text(label, (inner[0] + inner[1]) / 2, y + 8 * u, pal.accent, "link", align="center")
                self.fields.append(Field(FEATURES["login"][key], True, ids=(item.item_id,)))
                y += 18 * u
            else:
                self.fields.append(Field(FEATURES["login"][key], False))
        return y

    def checkout(self, inner, y: float) -> float:
        """A checkout form in two sections (shipping address, payment), each ending in its
        own "Next" button: enabled (in the accent) when the section is complete, greyed out
        when a field is still empty (its placeholder showing), as real forms do. The two
        are near-duplicates told apart by their state."""
        c, pal, u = self.c, self.pal, self.u
        values = dict(zip(("name", "street", "city", "card", "expiry"), c.address))
        hair = self.hairline
        fh, bh = 24 * u, 26 * u
        small = max(5, self.px - 1)
        nexts = []
        said = self.words["checkout"]
        for k, (title, fields) in enumerate(_sections(self.lang)):
            enabled = c.steps[k]
            dot = self.circle(inner[0] + 8 * u, y + 9 * u, 8 * u, pal.accent, "step", f"step {k + 1}")
            self.text(str(k + 1), inner[0] + 8 * u, y + 9 * u, pal.on_accent, "step_number", align="center",
                      on=dot.item_id, px=small, z=6)
            self.text(title, inner[0] + 22 * u, y + 9 * u, pal.text, "section_title", px=self.px + 1)
            y += 22 * u
            for j, (label, hint, key) in enumerate(fields):
                empty = not enabled and j == len(fields) - 1  # the field left to fill: why Next is greyed out
                self.text(label, inner[0], y + 4 * u, pal.muted, "field_label", px=small)
                y += 9 * u
                self.ring((inner[0], y, inner[1], y + fh), pal.line, hair, 5 * u, "text_field",
                          f"{label.lower()} field")
                self.text(hint if empty else values[key], inner[0] + 8 * u, y + fh / 2,
                          pal.muted if empty else pal.text, "placeholder" if empty else "field_value")
                if key == "card":
                    self.icon("credit-card", inner[1] - 14 * u, y + fh / 2, 14 * u, pal.muted)
                y += fh + 5 * u
            if k == 1:
                if "save" in c.features:
                    box = self.icon("checkbox-marked", inner[0] + 7 * u, y + 7 * u, 14 * u, pal.accent, "checkbox")
                    text = self.text(said["save_card"], inner[0] + 18 * u, y + 7 * u, pal.text,
                                     "checkbox_label")
                    self.fields.append(Field(FEATURES["checkout"]["save"], True, ids=(box.item_id, text.item_id)))
                    y += 18 * u
                else:
                    self.fields.append(Field(FEATURES["checkout"]["save"], False))
            w = self.width(said["next"]) + 40 * u
            box = (inner[1] - w, y, inner[1], y + bh)
            state = "enabled" if enabled else "disabled"
            # Disabled as Material draws it: the container at 12% and the label at 38% of the ink.
            fill = pal.accent if enabled else mix(pal.bg, pal.text, 0.12)
            ink = pal.on_accent if enabled else mix(pal.bg, pal.text, 0.38)
            shape = self.rect(box, fill, "button", f"{state} Next button", radius=bh / 2, z=3,
                              attributes=(("state", state),))
            text = self.text(said["next"], box[0] + w / 2, y + bh / 2, ink, "button_label", align="center",
                             on=shape.item_id, z=6, attributes=(("state", state),))
            self.details.append(Detail(shape.item_id, f"{state} (greyed out)" if not enabled else "enabled (coloured)",
                                       min_fill=0.6, **({"min_chroma": 60.0} if enabled else {"max_chroma": 12.0})))
            nexts.append((title, enabled, shape, text))
            name, ref = _next_field(title, self.lang)
            self.fields.append(Field(name, True, ref, state,
                                     (text.item_id, shape.item_id), usual=False,
                                     near="disabled" if enabled else "enabled"))
            y += bh + 6 * u
            self.hairline_rule(inner[0], inner[1], y, pal.bg)
            y += 8 * u
        live = [n for n in nexts if n[1]]
        if len(live) == 1 and len(nexts) == 2:  # the one enabled "Next", told apart from the greyed one
            title, _on, shape, text = live[0]
            other = next(n for n in nexts if not n[1])
            self.targets["named_box"] = Target((text.item_id, shape.item_id),
                                               f"the \"{said['next']}\" button that is enabled (not greyed out)",
                                               said["next"], said["next"], evidence=(other[3].item_id, other[2].item_id))
        h = self.px * 2.4
        if "promo" in c.features:
            field = self.ring((inner[0], y, inner[1], y + fh), pal.line, hair, 5 * u, "text_field", "promo field")
            self.text(self.words["cart"]["promo"], inner[0] + 8 * u, y + fh / 2, pal.muted, "placeholder")
            self.fields.append(Field(FEATURES["checkout"]["promo"], True, ids=(field.item_id,)))
            y += fh + 4 * u
        else:
            self.fields.append(Field(FEATURES["checkout"]["promo"], False))
        delivery = c.delivery if "delivery" in c.features else 0
        lines = [("delivery", delivery)] if "delivery" in c.features else []
        lines.append(("total", c.order_cents + delivery))
        for key, cents in lines:
            label = self.words["cart"][key]
            bold = 1 if key == "total" else 0
            self.text(label, inner[0], y + h / 2, pal.text if bold else pal.muted, "summary_label", px=self.px + bold)
            value = self.text(money(cents, self.currency, symbol=True), inner[1], y + h / 2, pal.text, "amount",
                              align="right", px=self.px + bold)
            if key == "delivery":
                self.fields.append(Field(FEATURES["checkout"]["delivery"], True, "the delivery fee", value.text,
                                         (value.item_id,), numeric=True))
            else:
                self.fields.append(Field("an order total", True, "the order total", value.text, (value.item_id,),
                                         numeric=True, usual=False))
            y += h
        if "delivery" not in c.features:
            self.fields.append(Field(FEATURES["checkout"]["delivery"], False, "the delivery fee"))
        if "secure" in c.features:
            icon = self.icon("lock", inner[0] + 6 * u, y + 8 * u, 11 * u, pal.muted)
            note = self.text(said["secure"], inner[0] + 15 * u, y + 8 * u, pal.muted, "note",
                             px=small)
            self.fields.append(Field(FEATURES["checkout"]["secure"], True, ids=(note.item_id, icon.item_id)))
            y += 16 * u
        else:
            self.fields.append(Field(FEATURES["checkout"]["secure"], False))
        return y

    # Buttons and dialogs --------------------------------------------------------------

    def button_widths(self) -> list[float]:
        return _button_widths(self.c.buttons, self.font, self.px, self.u, self.sheet.shaping)

    def buttons(self, x0: float, x1: float, y: float, on: int, z: int) -> tuple[float, list[Target]]:
        """The button row, left to right, right-aligned in [x0, x1]."""
        pal, u = self.pal, self.u
        h = 26 * u
        gap = BUTTON_GAP_PT * u
        widths = self.button_widths()
        total = _row_width(widths, u)
        if total > x1 - x0:
            raise Resample("the buttons do not fit in a row")
        x = x1 - total
        out = []
        for label, style, w in zip(self.c.buttons, self.c.styles, widths):
            box = (x, y, x + w, y + h)
            if style == "primary":
                shape = self.rect(box, pal.accent, "button", f"primary button {label}", radius=h / 2, z=z,
                                  attributes=(("style", style),))
                ink, under = pal.on_accent, shape.item_id
                ids = (shape.item_id,)
            elif style == "outlined":
                shape = self.ring(box, pal.accent, max(1.0, 1.2 * u), h / 2, "button", f"outlined button {label}", z=z)
                ink, under = pal.accent, on
                ids = (shape.item_id,)
            else:
                ink, under, ids = pal.accent, on, ()
            text = self.text(label, x + w / 2, y + h / 2, ink, "button_label", align="center", on=under, z=z + 2,
                             attributes=(("style", style),))
            out.append(Target((text.item_id, *ids), f"the \"{label}\" button", label, label))
            x += w + gap
        return y + h, out

    def fab(self, inner, bottom: float) -> float:
        """The screen's floating action button (Compose, Upload, Shuffle) at the bottom
        right, when it has one; returns the top of what is left free above it."""
        c, pal, u = self.c, self.pal, self.u
        fab = self.words["fab"]
        found = [(key, label, icon) for key, label, icon in (("compose", fab["compose"], "pencil"),
                                                              ("upload", fab["upload"], "cloud-upload"),
                                                              ("shuffle", fab["shuffle"], "shuffle"))
                 if key in FEATURES.get(c.kind, {})]
        if not found:
            return bottom
        key, label, icon = found[0]
        if key not in c.features:
            self.fields.append(Field(FEATURES[c.kind][key], False))
            return bottom
        h = 30 * u
        w = self.width(label) + 40 * u
        box = (inner[1] - w, bottom - h, inner[1], bottom)
        button = self.rect(box, pal.accent, "fab", f"{label} button", radius=h / 2, z=8)
        mark = self.icon(icon, box[0] + 15 * u, bottom - h / 2, 14 * u, pal.on_accent, on=button.item_id, z=9)
        text = self.text(label, box[0] + 26 * u, bottom - h / 2, pal.on_accent, "fab_label", on=button.item_id, z=9)
        self.fields.append(Field(FEATURES[c.kind][key], True, ids=(text.item_id, button.item_id, mark.item_id)))
        return box[1]

    def button_row(self, inner, y: float) -> float:
        y, targets = self.buttons(inner[0], inner[1], y, 1, 4)
        self.button_targets = [(t.name, t) for t in targets]
        return y

    def dim(self) -> None:
        """Everything drawn so far darkened, as under a modal dialog's scrim."""
        def darker(rgb):
            return mix(rgb, (0, 0, 0), 0.55) if rgb is not None else None

        def dimmed(item):
            return replaced(item, rgb=darker(item.rgb), **(
                {"stroke_rgb": darker(item.stroke_rgb)} if isinstance(item, TextItem) else {}))

        self.sheet.items = [dimmed(it) for it in self.sheet.items]

    def dialog(self, frame) -> None:
        c, pal, u = self.c, self.pal, self.u
        x0, y0, x1, y1 = frame
        w = _dialog_width(frame, u, _row_width(self.button_widths(), u))
        h = 100 * u
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        card = self.rect(box, pal.bg if c.theme == "light" else pal.surface, "dialog", "dialog", radius=10 * u, z=20)
        title, body = c.dialog
        self.text(title, box[0] + 14 * u, box[1] + 18 * u, pal.text, "dialog_title", px=self.px + 2,
                  on=card.item_id, z=22)
        self.text(body, box[0] + 14 * u, box[1] + 40 * u, pal.muted, "dialog_body", on=card.item_id, z=22)
        _y, targets = self.buttons(box[0] + 10 * u, box[2] - 10 * u, box[3] - 36 * u, card.item_id, 21)
        self.button_targets = [(t.name, t) for t in targets]

    # The page -------------------------------------------------------------------------

    def collect(self) -> Page:
        c = self.c
        scene = Scene(self.size[0], self.size[1], f"{c.theme} {c.device} {c.kind} screen", tuple(c.backdrop),
                      tuple(self.sheet.items))
        targets = dict(self.targets)
        if "named_box" in targets:  # made by the screen itself (the enabled "Next" of a checkout)
            pass
        elif self.row_buttons:
            targets["named_box"] = self.row_buttons[c.box_pick % len(self.row_buttons)]
        elif self.button_targets:
            _name, target = self.button_targets[c.box_pick % len(self.button_targets)]
            targets["named_box"] = target
        listings = ()
        if len({e.name for e in self.entries}) < len(self.entries):
            raise Resample("two rows show the same name")
        if len(self.entries) >= 3:
            listings = (Listing(LIST_NOUN.get(c.kind, "row"), tuple(self.entries)),)
        if self.request.slot == "list_relative":
            ordered = sorted(self.regions)
            listings = (Listing("region", tuple(Target(ids, ref, "", ref) for _y, ref, ids in ordered), "placed"),)
        columns = ()
        if c.dialog:  # the buttons left of Cancel and the rest, as seen (a mirrored row reads the other way)
            entries = [t for _n, t in self.button_targets][::-1 if self.rtl else 1]
            cancel = [t.name for t in entries].index(self.words["cancel"])
            split = cancel if cancel > 0 else 1
            columns = (Listing("button", tuple(entries[:split])), Listing("button", tuple(entries[split:])))
        fields = list(self.fields)
        if c.kind in ("inbox", "settings", "files", "playlist", "dashboard"):
            fields.append(Field(FEATURES[c.kind]["search"], "search" in c.order))
        marks = tuple(self.marks) if len(self.marks) == 1 else ()
        text_items = [it for it in scene.items if isinstance(it, TextItem)]
        stats = {"n_elements": len(text_items), "n_rows": len(c.rows), "n_columns": 1, "skew_deg": 0.0,
                 "body_px": self.px, "scale_factor": c.scale, "hairline_px": round(self.device_px, 3)}
        strip = self.strip
        if strip is not None and self.rtl:  # tabs listed left to right as seen: the first one is at the right
            strip = dataclasses.replace(strip, entries=strip.entries[::-1])
        return Page("screen", "screen", scene, targets, self.counts, listings, columns, tuple(fields), marks,
                    stats, tuple(self.details), click=c.box_pick % 2 == 1, strip=strip,
                    strip_ref=f"the tab bar above {self.ref('list')}" if self.strip else "")


# Unit quarter arcs of the four corners (bottom-right, bottom-left, top-left, top-right), 7 points each.
_CORNER_ARCS = tuple(np.column_stack([np.cos(a), np.sin(a)])
                     for a in (np.linspace(0, np.pi / 2, 7) + k * np.pi / 2 for k in range(4)))
_STACKED_ARCS = np.stack(_CORNER_ARCS)  # (corner, point, xy)


def rounded_rect(box, radius: float) -> np.ndarray:
    """Outline points of a rectangle with rounded corners (a circle when the radius is
    half of a square's side): quarter arcs of 7 points, without shapely's buffering."""
    x0, y0, x1, y1 = box
    r = max(0.0, min(radius, (x1 - x0) / 2, (y1 - y0) / 2))
    if r == 0:
        return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=float)
    centres = np.array(((x1 - r, y1 - r), (x0 + r, y1 - r), (x0 + r, y0 + r), (x1 - r, y0 + r)))
    # Each arc times r plus its corner's centre, the four at once (the same products and sums).
    return (_STACKED_ARCS * r + centres[:, None, :]).reshape(-1, 2)


@lru_cache(maxsize=1024)
def _icon_layout(name: str, size_px: int) -> TextLayout:
    """An icon's glyph laid out at a size (moved into place per use: icons repeat a lot)."""
    glyph = chr(int(str(vocabulary("screen")["icons"][name]), 16))
    return layout_text(glyph, load_catalog().icons, text_px=size_px)


def _ordinal(k: int) -> str:
    return ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
            "eighteenth", "nineteenth", "twentieth")[k]  # (a tall phone's list: up to 20 rows)


PHONE_SHAPED = 1.25  # pictures this much taller than wide show a phone (a desktop window's vertical tabs aside)


def _longer(n: int, more: float, most: int) -> int:
    """`more` times n rows (a tall phone's list), at most `most` (the names there are)."""
    return n if more == 1 else min(most, int(round(n * more)))


# Rows of a kind's list beyond which a banner and a tab bar leave too little room (but
# where the question is about them), and beyond which rows are compact.
ROOMY_ROWS = {"settings": 7, "inbox": 7, "files": 7, "playlist": 7, "cart": 3, "dashboard": 9, "login": 99,
              "checkout": 99}
COMPACT_ROWS = 9
MAX_INBOX_ROWS = 12

# The usual features of each kind whose value a question can presuppose (a login form's
# typed email address is one too).
VALUED = {"settings": ("slider",), "inbox": ("badge",), "cart": ("delivery", "discount"),
          "dashboard": ("refunds",), "checkout": ("delivery",), "login": (), "files": ("storage",),
          "playlist": ()}


def _vocab(code: str) -> dict:
    """The screens' vocabulary, with another language's labels over the English ones."""
    return {**vocabulary("screen"), **screen_local.vocabulary(code)} if code else vocabulary("screen")


def _tile(label: str, vocab: dict, rng: np.random.Generator, code: str, numbering: str) -> Row:
    """A dashboard's figure tile: its label, value and change since last week."""
    icons = {t["label"]: t["icon"] for t in vocab["tiles"]}
    money_tiles = vocab.get("money_tiles", ("Revenue", "Refunds"))
    value = int(rng.integers(12, 99999))
    shown = f"${value:,}" if label in money_tiles else f"{value:,}"
    delta = int(rng.integers(-30, 60))
    change = f"{delta:+d}%"
    if code:  # the locale's amounts (whole units of its currency), numbers and percentages
        shown = screen_local.tile_value(code, value, label in money_tiles, numbering)
        change = ("+" if delta >= 0 else "-") + languages.format_share(code, abs(delta), numbering)
    return Row(label, shown, icon=icons[label], on=delta >= 0, meta=change)


def _sections(language: str) -> tuple:
    """A checkout's sections in the language: (title, ((label, placeholder, key), ...))."""
    if not language:
        return CHECKOUT_SECTIONS
    said = screen_local.words(language)["checkout"]
    return ((said["shipping"], ((said["full_name"], said["name_hint"], "name"),
                                (said["street"], said["street_hint"], "street"),
                                (said["city"], said["city_hint"], "city"))),
            (said["payment"], ((said["card"], CHECKOUT_SECTIONS[1][1][0][1], "card"),
                               (said["expiry"], said["expiry_hint"], "expiry"))))


def _next_field(title: str, language: str) -> tuple[str, str]:
    """How a question names a checkout section's "Next" button: (as a field, as a ref)."""
    if not language:
        return f"a \"Next\" button in the {title} section", f"the \"Next\" button of the {title} section"
    label = screen_local.words(language)["checkout"]["next"]
    return (f"a \"{label}\" button in the \"{title}\" section",
            f"the \"{label}\" button of the \"{title}\" section")


def _named(title: str, language: str, article: str, noun: str) -> str:
    """How a question names an element by its label ("a Wi-Fi toggle", "the Orders
    figure"; another language's label is quoted)."""
    return f"{article} {title} {noun}" if not language else f"{article} \"{title}\" {noun}"


def _toggle(title: str, language: str, article: str) -> str:
    return _named(title, language, article, "toggle")


def _price(value: int, code: str) -> int:
    """A cart price: $x.99 in English, else the language's receipts' step (minor units)."""
    if not code:
        return value // 100 * 100 + 99
    step = languages.page_words(code)["price_step"]
    return max(step, value // step * step)


def _file_day(code: str, days: int) -> str:
    """The day a file changed, as the language's locale prints it (Babel's medium date)."""
    day = datetime.date(2025, 1, 1) + datetime.timedelta(days=days)
    return languages.format_day(languages.LANGUAGES[code], day, "medium", "latn")


def _localized(content: ScreenContent, code: str, numbering: str) -> ScreenContent:
    """A screen's content in another language: numbers in its digits (Latin or the
    locale's own, half the time where it has them), fees in its currency, no typed Latin
    email beyond Latin script."""
    lang = languages.LANGUAGES[code]

    def digits(text: str) -> str:
        return languages.in_digits(text, numbering)

    rows = tuple(dataclasses.replace(r, meta=digits(r.meta)) if r.meta and r.meta != "variant"
                 and content.kind != "dashboard" else r for r in content.rows)
    rows = tuple(dataclasses.replace(r, sub=digits(r.sub)) if content.kind == "cart" else r for r in rows)
    address = content.address
    if address and lang.direction == "rtl":  # a card number's groups kept in reading order: hyphens join
        address = (*address[:3], address[3].replace(" ", "-"), *address[4:])  # them (spaces would reverse them)
    # Fees on the scale of a grocery cart (its goods are the language's receipt goods): a
    # third of the English fee, a discount of at most a third of the goods.
    step = screen_local.local_minor(code, 1)
    goods = sum(r.price for r in content.rows)
    discount = min(screen_local.local_minor(code, content.discount // 3), max(step, goods // 3 // step * step))
    return dataclasses.replace(
        content, rows=rows, helper=digits(content.helper),
        delivery=screen_local.local_minor(code, (content.delivery + 1) // 3), discount=discount,
        order_cents=screen_local.local_minor(code, content.order_cents) if content.order_cents else 0, address=address,
        email_filled=content.email_filled and lang.script == "latin", language=code, numbering=numbering)


CONTEXT = ScreenContext()
