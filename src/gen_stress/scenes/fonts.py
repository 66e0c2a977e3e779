"""The font catalog, and which characters each font really draws.

A character counts as drawable only when the font's cmap maps it AND its glyph has an
outline (an empty glyph renders nothing, a missing one renders a tofu box). Text is laid
out only with a font that draws every character; asking for anything else is an error.
"""

from __future__ import annotations

import io
import logging
import struct
import tomllib
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import ImageFont

from gen_stress.errors import GlyphCoverageError, UserError

# fontTools warns about odd but harmless table values in some shipped fonts.
logging.getLogger("fontTools").setLevel(logging.ERROR)

FONT_CLASSES = ("sans", "serif", "mono", "condensed", "script", "display")


def font_dir() -> Path:
    """fonts/ inside the installed package, else at the top of the source tree."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "fonts", here.parents[3] / "fonts"):
        if (candidate / "catalog.toml").is_file():
            return candidate
    raise UserError("no font catalog found: fonts/catalog.toml is missing from the installation")


@dataclass(frozen=True, eq=False)
class FontInfo:
    name: str
    path: Path
    font_class: str
    license: str
    license_file: Path
    copyright: str
    source: str
    # Cap height as a fraction of the em when set; an icon font has no "H" to measure,
    # and its "text_px" is the icon's square (em) size (so is a CJK font's: the em box).
    fixed_cap_ratio: float | None = None
    scripts: tuple[str, ...] = ("latin",)  # writing systems whose letters the font draws
    size_char: str = "H"  # the letter whose ink height `text_px` measures (see README)

    @cached_property
    def _tt(self) -> TTFont:
        return TTFont(self.path, lazy=True)

    @cached_property
    def _cmap(self) -> dict[int, str]:
        return self._tt.getBestCmap() or {}

    @cached_property
    def _glyphs(self):
        return self._tt.getGlyphSet()

    @cached_property
    def _drawable(self) -> dict[str, bool]:
        return {}  # per-character verdicts, filled as characters are asked about

    def draws(self, char: str) -> bool:
        """True when the font maps the character to a glyph that has ink (or is a space)."""
        verdict = self._drawable.get(char)
        if verdict is None:
            name = self._cmap.get(ord(char))
            verdict = name is not None and (char.isspace() or self._has_outline(name))
            self._drawable[char] = verdict
        return verdict

    @cached_property
    def _ft_face(self):
        """The font in FreeType, read into memory (a face on a file shares its offset with
        forked workers)."""
        import freetype

        return freetype.Face(io.BytesIO(self.path.read_bytes()))

    def _has_outline(self, name: str) -> bool:
        """Whether a glyph draws anything. Read off the glyph's own data where that is
        conclusive (a TrueType contour count; a CFF outline's points), which is much
        cheaper than tracing it; traced with a bounds pen otherwise."""
        if "glyf" in self._tt:
            glyph = self._tt["glyf"].glyphs[name]
            data = getattr(glyph, "data", None)
            # The contour count heads a glyph's data (what fontTools' expand reads first),
            # read without decompiling the points. -1: a composite of other glyphs.
            return (struct.unpack(">h", data[:2])[0] if data else glyph.numberOfContours) != 0
        if "CFF " in self._tt:
            # FreeType's outline of the charstring, unscaled: points where it draws (the
            # same verdicts as scanning the decompiled charstring for drawing operators,
            # tracing subroutines and accents, on every glyph of the catalog's CFF fonts;
            # tests/test_fonts.py), 15 to 30 times cheaper than decompiling it in Python.
            import freetype

            face = self._ft_face
            face.load_glyph(self._tt.getGlyphID(name),
                            freetype.FT_LOAD_NO_SCALE | freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP)
            return face.glyph.outline.n_points > 0
        pen = BoundsPen(self._glyphs)
        self._glyphs[name].draw(pen)
        return pen.bounds is not None

    @cached_property
    def _drawn(self) -> set[str]:
        return set()  # characters known to be drawable: a subset test clears most texts at once

    def missing(self, text: str) -> list[str]:
        chars = set(text)
        if chars <= self._drawn:
            return []
        found = sorted(c for c in chars if not self.draws(c))
        if not found:
            self._drawn.update(chars)
        return found

    def _bounds(self, char: str):
        name = self._cmap.get(ord(char))
        if name is None:
            return None
        pen = BoundsPen(self._glyphs)
        self._glyphs[name].draw(pen)
        return pen.bounds

    @cached_property
    def has_kern_table(self) -> bool:
        return "kern" in self._tt

    @cached_property
    def _kern_pairs(self) -> frozenset[tuple[str, str]]:
        """Glyph pairs the 'kern' table adjusts (the only kerning Pillow's basic layout uses)."""
        if not self.has_kern_table:
            return frozenset()
        return frozenset(pair for table in self._tt["kern"].kernTables for pair in getattr(table, "kernTable", {}))

    def kerns(self, left: str, right: str) -> bool:
        """Whether the pair has a kerning entry (most pairs have none: no need to measure)."""
        names = self._cmap.get(ord(left)), self._cmap.get(ord(right))
        return names in self._kern_pairs

    @cached_property
    def cap_ratio(self) -> float:
        """Cap height (the height of `size_char`: "H" in Latin fonts) as a fraction of
        the em, measured on its outline."""
        if self.fixed_cap_ratio is not None:
            return self.fixed_cap_ratio
        bounds = self._bounds(self.size_char)
        if bounds is None:
            raise GlyphCoverageError(f"font {self.name!r} has no {self.size_char!r} to measure its cap height")
        units_per_em = self._tt["head"].unitsPerEm
        return (bounds[3] - max(bounds[1], 0)) / units_per_em

    def em_for_cap(self, text_px: float) -> float:
        """The em size (Pillow's font size) whose capital letters are text_px tall."""
        return text_px / self.cap_ratio

    def pil(self, em_px: float) -> ImageFont.FreeTypeFont:
        return _pil_font(str(self.path), round(em_px, 4))

    def pil_shaping(self, em_px: float) -> ImageFont.FreeTypeFont:
        """The font with Pillow's raqm layout (HarfBuzz shaping, bidi), for scripts
        beyond Latin (scenes/shaping.py checks what it draws)."""
        return raqm_font(str(self.path), em_px)

    def mean_advance(self, text_px: int) -> float:
        """Typical advance of a character when capitals are text_px tall (for fitting)."""
        return _mean_advance(self, text_px)


@lru_cache(maxsize=4096)
def _mean_advance(font: FontInfo, text_px: int) -> float:
    return font.pil(font.em_for_cap(text_px)).getlength("n0W") / 3


@lru_cache(maxsize=2048)
def _pil_font(path: str, em_px: float, layout: ImageFont.Layout = ImageFont.Layout.BASIC) -> ImageFont.FreeTypeFont:
    # BASIC layout for Latin: no dependency on the system's fribidi/raqm, so the same bytes
    # everywhere. Other scripts need raqm (Pillow's wheels bundle it with HarfBuzz).
    return ImageFont.truetype(path, size=em_px, layout_engine=layout)


def raqm_font(path: str, em_px: float) -> ImageFont.FreeTypeFont:
    """The Pillow font with raqm layout of a font file (FontInfo.pil_shaping's object)."""
    return _pil_font(path, round(em_px, 4), ImageFont.Layout.RAQM)


@dataclass(frozen=True)
class FontCatalog:
    fonts: tuple[FontInfo, ...]  # text fonts (Latin; many also Cyrillic and Greek)
    emoji: FontInfo | None = None  # the picture font of the object library
    icons: FontInfo | None = None  # the named icon font of app screens
    script_fonts: tuple[FontInfo, ...] = ()  # fonts of the other scripts, never drawn in Latin text

    def all(self) -> tuple[FontInfo, ...]:
        return self.fonts + self.script_fonts + tuple(f for f in (self.emoji, self.icons) if f is not None)

    @cached_property
    def _named(self) -> dict[str, FontInfo]:
        """Fonts by name, the first of a name first (a page looks fonts up by name for
        every line it measures)."""
        named: dict[str, FontInfo] = {}
        for font in self.fonts + self.script_fonts:
            named.setdefault(font.name, font)
        return named

    def by_name(self, name: str) -> FontInfo:
        font = self._named.get(name)
        if font is None:
            raise UserError(f"unknown font {name!r}; known fonts: {', '.join(self.names())}")
        return font

    def names(self) -> list[str]:
        return [font.name for font in self.fonts]

    def of_class(self, font_class: str) -> tuple[FontInfo, ...]:
        return tuple(font for font in self.fonts if font.font_class == font_class)

    def of_script(self, script: str, font_class: str | None = None) -> tuple[FontInfo, ...]:
        """Fonts (of a class, if given) whose letters cover the script."""
        return tuple(font for font in self.fonts + self.script_fonts if script in font.scripts
                     and (font_class is None or font.font_class == font_class))

    def drawing(self, text: str, font_class: str | None = None) -> tuple[FontInfo, ...]:
        """Fonts (of a class, if given) that draw every character of text."""
        pool = self.fonts if font_class is None else self.of_class(font_class)
        return tuple(font for font in pool if not font.missing(text))


WARM_CHARS = "".join(chr(c) for c in range(32, 127)) + "€£"


def warm_up() -> None:
    """Read every text font's tables and check the common characters once, so that forked
    workers inherit the answers instead of each working them out again."""
    for font in load_catalog().fonts:
        font.missing(WARM_CHARS)
        font.cap_ratio
        font.has_kern_table and font._kern_pairs


def require_drawable(font: FontInfo, text: str) -> None:
    missing = font.missing(text)
    if missing:
        raise GlyphCoverageError(
            f"font {font.name!r} does not draw {''.join(missing)!r} (needed for {text!r})"
        )


@lru_cache(maxsize=1)
def load_catalog() -> FontCatalog:
    root = font_dir()
    with open(root / "catalog.toml", "rb") as handle:
        catalog = tomllib.load(handle)

    def info(entry: dict, font_class: str, cap_ratio: float | None = None) -> FontInfo:
        return FontInfo(name=entry["name"], path=root / entry["file"], font_class=font_class,
                        license=entry["license"], license_file=root / entry["license_file"],
                        copyright=entry["copyright"], source=entry["source"],
                        fixed_cap_ratio=entry.get("cap_ratio", cap_ratio),
                        scripts=tuple(entry.get("scripts", ("latin",))), size_char=entry.get("size_char", "H"))

    for entry in catalog["font"] + catalog.get("script_font", []):
        if entry["class"] not in FONT_CLASSES:
            raise UserError(f"font {entry['name']!r} has unknown class {entry['class']!r}")
    emoji, icons = catalog.get("emoji"), catalog.get("icons")
    return FontCatalog(tuple(info(e, e["class"]) for e in catalog["font"]),
                       info(emoji, "emoji") if emoji else None,
                       info(icons, "icons", cap_ratio=1.0) if icons else None,
                       tuple(info(e, e["class"]) for e in catalog.get("script_font", [])))
