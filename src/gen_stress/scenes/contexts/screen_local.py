"""Screens in other languages: the words a screen shows, and the right-to-left mirror.

English screens keep the vocabulary of screen.yaml and the labels below (`ENGLISH`), so
their bytes do not change. A screen in another language takes its labels from
data/contexts/screen_languages.yaml (translated by hand) and the rest of its lists from
the language's own data: senders and artists are invented names of the script's letters
(`languages.person_name`), subjects, file and song names are runs of the language's
words, cart products are the goods of its receipts (languages.yaml) priced in its
currency, and app names are pseudowords. A right-to-left screen (Arabic, Persian,
Hebrew) is laid out as in English and then mirrored about the screen's middle: the
navigation at the right, toggles and checkboxes at the left, text right-aligned, the
button row at the left edge, the first tab at the right; icons keep their glyphs,
but the back arrow points right.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from functools import cache

import numpy as np
from shapely import affinity

from gen_stress.scenes import languages
from gen_stress.scenes.contexts.sheet import font_named, fonts_for, shapeable_words, shaped_cleanly
from gen_stress.scenes.languages import LANGUAGES, screen_words
from gen_stress.scenes.model import TextItem
from gen_stress.scenes.text import moved

# Kinds of screen drawn in other languages (every kind: screen_languages.yaml holds their labels).
LOCAL_KINDS = ("settings", "inbox", "files", "cart", "playlist", "login", "dashboard", "checkout")
# What each localized toggle switches -> its icon (the English rows' icons).
TOGGLE_ICONS = {"airplane": "airplane", "notifications": "bell", "dark": "brightness-6", "location": "signal",
                "update": "download", "sound": "volume-high", "battery": "battery", "lock": "lock",
                "digests": "email-outline", "calendar": "calendar", "previews": "eye-off", "data": "chart-bar"}
TILE_ICONS = {"revenue": "chart-bar", "orders": "cart", "visitors": "account", "refunds": "tag", "shipments": "truck",
              "messages": "email"}
MONEY_TILES = ("revenue", "refunds")
FILE_ICONS = ("file-pdf-box", "file-excel", "file-word", "image", "folder", "file-document")
# The labels an English screen draws (screen.py's own words, as they always were).
ENGLISH = {
    "titles": {"settings": "Settings", "inbox": "Inbox", "files": "My Files", "cart": "Your Cart",
               "playlist": "Liked Songs", "dashboard": "Dashboard", "checkout": "Checkout"},
    "sign_in": "Sign in to {app}",
    "nav": ["Home", "Inbox", "Search", "Profile"],
    "brightness": "Brightness",
    "log_out": "Log out",
    "storage": "{pct} of storage used",
    "fab": {"compose": "Compose", "upload": "Upload", "shuffle": "Shuffle"},
    "cart": {"qty": "Qty 1", "promo": "Promo code", "subtotal": "Subtotal", "delivery": "Delivery",
             "discount": "Discount", "total": "Total", "rate": "Rate your last order:"},
    "login": {"email": "Email", "email_hint": "name@example.com", "password": "Password",
              "password_hint": "Enter your password", "remember": "Remember me", "forgot": "Forgot password?",
              "google": "Continue with Google", "signup": "No account? Sign up"},
    "cancel": "Cancel",
    "delete": "Delete",
    "refunds": "Refunds",
    "checkout": {"save_card": "Save this card for next time", "secure": "Payments are secure and encrypted",
                 "next": "Next"},
    "days": ("M", "T", "W", "T", "F", "S", "S"),
}
UI_FONTS_LOCAL = ("DejaVu Sans", "Liberation Sans", "Open Sans", "Roboto Condensed")


def words(language: str) -> dict:
    """The labels a screen draws in the language ("" or "en": English)."""
    if language in ("", "en"):
        return ENGLISH
    found = screen_words(language)
    titles = {**found["titles"], "checkout": found["checkout"]["title"]}
    return {**found, "titles": titles, "delete": found["button_sets"][1][0], "refunds": found["tiles"]["refunds"],
            "days": languages.weekday_letters(language)}


@cache
def ui_fonts(language: str) -> tuple[str, ...]:
    """Sans fonts that draw every label of the language (Latin UI fonts where they cover
    it, else the script's Noto Sans)."""
    chars = "".join(sorted(languages.screen_charset(language)))
    names = [n for n in fonts_for(UI_FONTS_LOCAL, language) if not font_named(n).missing(chars)]
    sans = [n for n in names if font_named(n).font_class == "sans"]
    return tuple(sans or names)


def _short_words(code: str, font: str, longest: int) -> tuple[str, ...]:
    pool = shapeable_words(code, font)
    return tuple(w for w in pool if len(w) <= longest) or pool


@cache
def vocabulary(code: str) -> dict:
    """The lists a screen samples from, in the language: as screen.yaml's keys, made once
    per language from a fixed stream (the sample's own stream picks among them)."""
    rng = np.random.default_rng([7, *map(ord, code)])
    lang = LANGUAGES[code]
    found = screen_words(code)
    font = ui_fonts(code)[0]
    spaceless = code in languages.SPACELESS
    short = _short_words(code, font, 3 if spaceless else 8)

    def phrases(n: int, low: int, high: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            text = languages.phrase(code, rng, int(rng.integers(low, high + 1)), short)
            if text not in out:
                out.append(text)
        return out

    def names(n: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            name = languages.person_name(lang, rng)
            if name not in out and not any(c in name for c in "-\u200c"):
                out.append(name)
        return out

    page = languages.page_words(code)
    step = page["price_step"]
    products = []
    # A product's variant is a word its shops print after a name ("Milch Bio", languages.yaml)
    own = shaped_cleanly(code, font, tuple(page["variants"])) or tuple(page["variants"])
    variants = [own[int(k)] for k in rng.integers(len(own), size=len(page["goods"]))]
    for good, (low, high), variant in zip(page["goods"], page["goods_cents"], variants):
        products.append({"name": good, "variant": variant, "low": local_minor(code, low),
                         "high": max(local_minor(code, high), local_minor(code, low) + step)})
    apps = []
    while len(apps) < 12:
        brand = languages.make_pseudoword(lang, rng, 7)[0]
        brand = brand[:1].upper() + brand[1:] if lang.script in languages.CASED else brand
        if brand not in apps:
            apps.append(brand)
    return {
        "apps": apps, "app_kinds": {},
        "toggles": [{"label": label, "icon": TOGGLE_ICONS[key]} for key, label in found["toggles"].items()],
        "senders": names(20),
        "subjects": phrases(20, 2, 4),
        "files": [{"name": name, "icon": FILE_ICONS[k % len(FILE_ICONS)]} for k, name in enumerate(phrases(15, 1, 3))],
        "songs": phrases(14, 1, 3),
        "products": products,
        "button_sets": found["button_sets"],
        "login_buttons": [found["login_buttons"]],
        "dialogs": found["dialogs"],
        "helper_texts": found["helpers"],
        "vertical_tabs": found["vertical_tabs"],
        "tabs": found["tabs"],
        # real street and city names of the language's country (a street's number drawn here;
        # Japanese chōme run from 1 to 9)
        "streets": [t.format(n=int(n)) for t in found["streets"]
                    for n in rng.integers(1, 10 if code == "ja" else 120, size=2)],
        "cities": found["cities"],
        "tiles": [{"label": found["tiles"][key], "icon": icon} for key, icon in TILE_ICONS.items()],
        "money_tiles": tuple(found["tiles"][key] for key in MONEY_TILES),
        "banners": found["banners"],
    }


def tile_value(code: str, units: int, money: bool, numbering: str) -> str:
    """A dashboard figure in the locale's format: an amount in whole units of its currency
    (the US figure converted), or a count."""
    if money:
        whole = max(1, local_minor(code, units * 100) // 10 ** languages.currency_digits(code))
        return languages.format_whole_amount(code, whole, numbering)
    return languages.format_number(LANGUAGES[code], units, numbering)


def local_minor(code: str, usd_cents: int) -> int:
    """A price in US cents as the language's currency prints it: minor units (whole yen),
    converted by its receipts' factor and rounded to their step."""
    page = languages.page_words(code)
    step = page["price_step"]
    scaled = usd_cents * page["price_factor"] * 10 ** languages.currency_digits(code) / 100
    return max(step, int(round(scaled / step)) * step)


THAI_LEADING = "\u0e40\u0e41\u0e42\u0e43\u0e44"  # vowels written before their consonant
VIRAMAS = "\u094d\u09cd"  # Devanagari and Bengali: the consonant after one joins the cluster


def cluster_end(text: str, cut: int) -> bool:
    """Whether text[:cut] ends between two grapheme clusters (a cut label keeps whole
    letters: not before a combining mark or joiner, not after a virama)."""
    if cut >= len(text):
        return True
    return (unicodedata.category(text[cut]) not in ("Mn", "Mc", "Me") and text[cut] not in "\u200c\u200d"
            and text[cut - 1] not in VIRAMAS)


def initial(name: str) -> str:
    """An avatar's initial: the name's first letter with its marks (a conjunct whole; in
    Thai the first consonant, not a vowel written before it)."""
    start = 1 if name[:1] and name[0] in THAI_LEADING and len(name) > 1 else 0
    out = name[start:start + 1]
    for char in name[start + 1:]:
        if unicodedata.category(char) not in ("Mn", "Mc", "Me") and out[-1] not in VIRAMAS:
            break
        out += char
    return out


def mirrored(items: list, axis_x2: float) -> list:
    """Every item mirrored about the vertical line x = axis_x2 / 2: shapes flipped, text
    and icons moved to the mirrored place (their glyphs unchanged, read as they are)."""
    out = []
    for item in items:
        if isinstance(item, TextItem):
            x0, _y0, x1, _y1 = item.layout.bbox
            dx = axis_x2 - (x0 + x1)
            center = item.layout.placement.center
            out.append(dataclasses.replace(item, layout=moved(item.layout, (center[0] + dx, center[1]))))
        else:
            out.append(dataclasses.replace(item, geometry=affinity.scale(item.geometry, xfact=-1, yfact=1,
                                                                         origin=(axis_x2 / 2, 0))))
    return out
