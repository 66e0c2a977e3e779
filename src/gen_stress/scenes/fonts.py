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
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import ImageFont

from gen_stress.errors import GlyphCoverageError, UserError
from gen_stress.scenes.memo import cached_property

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
    # `cap_ratio` as fontTools measures it, read from the catalog where FreeType cannot
    # tell it (CFF outlines, curved extremes: their outlines decompiled in Python otherwise).
    measured_cap_ratio: float | None = None

    @cached_property
    def _tt(self) -> TTFont:
        return TTFont(self.path, lazy=True)

    @cached_property
    def _glyphs(self):
        return self._tt.getGlyphSet()

    @cached_property
    def _drawable(self) -> dict[str, bool]:
        return {}  # per-character verdicts, filled as characters are asked about

    def draws(self, char: str) -> bool:
        """True when the font maps the character to a glyph that has ink (or is a space).
        Read through FreeType (its Unicode cmap; the glyph's contour count or outline
        points, see `_gid_has_outline`): the same verdicts as fontTools' best cmap and
        glyph data (tests/test_fonts.py, every catalog font), without decompiling the
        cmap and glyph tables in Python (a quarter of a second for the Latin fonts)."""
        verdict = self._drawable.get(char)
        if verdict is None:
            gid = self._gid(char)
            verdict = gid != 0 and (char.isspace() or self._gid_has_outline(gid))
            self._drawable[char] = verdict
        return verdict

    @cached_property
    def _tables(self) -> dict[str, tuple[int, int]]:
        """Each table of the font file: its tag -> (offset, length), from the table directory."""
        with open(self.path, "rb") as handle:
            head = handle.read(12)
            count = struct.unpack(">H", head[4:6])[0]
            records = handle.read(16 * count)
        return {records[16 * i:16 * i + 4].decode("latin-1"): struct.unpack(">LL", records[16 * i + 8:16 * i + 16])
                for i in range(count)}

    def _gid_has_outline(self, gid: int) -> bool:
        """`_has_outline` of a glyph by its id, through FreeType: a TrueType glyph's
        contour count (a composite, -1, counts as drawn, as its header says), a CFF
        outline's points; other outlines traced by fontTools."""
        import freetype
        from freetype import raw

        # FreeType's own calls on freetype-py's face (its wrappers make an object per slot,
        # outline and field read; a language's character set asks every font about
        # hundreds of characters when a run starts).
        face = self._ft_face._FT_Face
        unscaled = freetype.FT_LOAD_NO_SCALE | freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP
        if "glyf" in self._tables:
            ft_checked(raw.FT_Load_Glyph(face, gid, unscaled | freetype.FT_LOAD_NO_RECURSE))
            slot = face.contents.glyph.contents
            return slot.format == freetype.FT_GLYPH_FORMAT_COMPOSITE or slot.outline.n_contours != 0
        if "CFF " in self._tables:
            ft_checked(raw.FT_Load_Glyph(face, gid, unscaled))
            return face.contents.glyph.contents.outline.n_points > 0
        return self._has_outline(self._tt.getGlyphName(gid))

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
        gid = self._gid(char)  # (FreeType's cmap: no cmap decompiled in Python)
        if not gid:
            return None
        name = self._tt.getGlyphName(gid)
        pen = BoundsPen(self._glyphs)
        self._glyphs[name].draw(pen)
        return pen.bounds

    @cached_property
    def has_kern_table(self) -> bool:
        return "kern" in self._tables

    @cached_property
    def _kern_ids(self) -> frozenset[tuple[int, int]]:
        """Glyph-id pairs the 'kern' table adjusts (the only kerning Pillow's basic layout
        uses), read off the table as fontTools reads it
        (every format-0 subtable; a lone subtable's pairs counted from nPairs, as Open
        Sans' overflow their length), without decompiling it into glyph names."""
        if not self.has_kern_table:
            return frozenset()
        offset, length = self._tables["kern"]
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            data = handle.read(length)
        version, count = struct.unpack(">HH", data[:4])
        apple = len(data) >= 8 and version == 1
        if apple:
            count = struct.unpack(">L", data[4:8])[0]
        data = data[8:] if apple else data[4:]
        pairs: set[tuple[int, int]] = set()
        for _ in range(count):
            if apple:
                size, _coverage, subtable_format = struct.unpack(">LBB", data[:6])
                header = 8
            else:
                _version, size, subtable_format, _coverage = struct.unpack(">HHBB", data[:6])
                header = 6
                if count == 1 and subtable_format == 0:
                    size = struct.unpack(">H", data[6:8])[0] * 6 + 14
            if subtable_format == 0:
                n_pairs = struct.unpack(">H", data[header:header + 2])[0]
                entries = struct.unpack(f">{3 * n_pairs}H", data[header + 8:header + 8 + 6 * n_pairs])
                pairs.update(zip(entries[0::3], entries[1::3]))
            data = data[size:]
        return frozenset(pairs)

    def kerns(self, left: str, right: str) -> bool:
        """Whether the pair has a kerning entry (most pairs have none: no need to measure)."""
        ids = self._gid(left), self._gid(right)
        return 0 not in ids and ids in self._kern_ids

    @cached_property
    def _gids(self) -> dict[str, int]:
        return {}  # per character, filled as characters are asked about

    def _gid(self, char: str) -> int:
        """The glyph FreeType's Unicode cmap maps the character to (0: none)."""
        gid = self._gids.get(char)
        if gid is None:
            gid = self._gids[char] = _char_index(self._ft_face._FT_Face, ord(char))
        return gid

    @cached_property
    def cap_ratio(self) -> float:
        """Cap height (the height of `size_char`: "H" in Latin fonts) as a fraction of
        the em, measured on its outline."""
        if self.fixed_cap_ratio is not None:
            return self.fixed_cap_ratio
        if self.measured_cap_ratio is not None:
            return self.measured_cap_ratio
        fast = self._cap_ratio_from_points()
        if fast is not None:
            return fast
        bounds = self._bounds(self.size_char)
        if bounds is None:
            raise GlyphCoverageError(f"font {self.name!r} has no {self.size_char!r} to measure its cap height")
        units_per_em = self._tt["head"].unitsPerEm
        return (bounds[3] - max(bounds[1], 0)) / units_per_em

    def _cap_ratio_from_points(self) -> float | None:
        """`cap_ratio` of a simple TrueType glyph whose highest and lowest points lie on
        its outline (an H): then the curves, inside the points' hull, reach no further,
        and the bounds are those points, exactly what fontTools' BoundsPen finds (the
        same ratio for every catalog font, tests/test_fonts.py). None otherwise (curved
        extremes, composites, CFF outlines: measured by fontTools)."""
        import freetype

        if "glyf" not in self._tables:  # CFF coordinates may be fractions, which FreeType rounds
            return None
        face = self._ft_face
        gid = self._gid(self.size_char)
        if not gid:
            return None
        face.load_glyph(gid, freetype.FT_LOAD_NO_SCALE | freetype.FT_LOAD_NO_HINTING | freetype.FT_LOAD_NO_BITMAP
                        | freetype.FT_LOAD_NO_RECURSE)
        if face.glyph.format == freetype.FT_GLYPH_FORMAT_COMPOSITE:
            return None
        outline = face.glyph.outline
        ys = [y for _x, y in outline.points]
        if not ys:
            return None
        on_curve = [y for y, tag in zip(ys, outline.tags) if tag & 1]
        top, bottom = max(ys), min(ys)
        if not on_curve or max(on_curve) != top or min(on_curve) != bottom:
            return None
        return (top - max(bottom, 0)) / face.units_per_EM

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


OPEN_FACES = 256  # FreeType faces open at once, each 90 to 220 KB (see _Font)
_OPEN: OrderedDict = OrderedDict()  # _Font -> None, least recently used first


class _Font(ImageFont.FreeTypeFont):
    """A Pillow font whose FreeType face (`.font`) is closed when OPEN_FACES others were
    used since, and opened again, by Pillow's own constructor from the same file, size,
    index, encoding and layout, when it is next used. A run meets thousands of (font,
    size) pairs, and the caches of what a font drew (glyphs, advances, line boxes) key on
    the font object; with every face kept open a worker grew by about 200 KB per pair
    (10,000 rows of the default run: 535 MiB, 20,000: 571 MiB). Closed faces leave the
    font object and everything cached about it; the pixels are the same."""

    _face = None

    @property
    def font(self):
        face = self._face
        if face is None:
            face = self._face = ImageFont.FreeTypeFont(self.path, self.size, self.index, self.encoding,
                                                       self.layout_engine).font
        _used(self)
        return face

    @font.setter
    def font(self, face) -> None:  # Pillow's constructor opens the face
        self._face = face
        _used(self)


def _used(font: _Font) -> None:
    """The font's face counts as just used; the least recently used face past the bound closes."""
    _OPEN[font] = None
    _OPEN.move_to_end(font)
    while len(_OPEN) > OPEN_FACES:
        _OPEN.popitem(last=False)[0]._face = None


@lru_cache(maxsize=2048)
def _pil_font(path: str, em_px: float, layout: ImageFont.Layout = ImageFont.Layout.BASIC) -> ImageFont.FreeTypeFont:
    # BASIC layout for Latin: no dependency on the system's fribidi/raqm, so the same bytes
    # everywhere. Other scripts need raqm (Pillow's wheels bundle it with HarfBuzz).
    return _Font(path, size=em_px, layout_engine=layout)


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
                        scripts=tuple(entry.get("scripts", ("latin",))), size_char=entry.get("size_char", "H"),
                        measured_cap_ratio=entry.get("measured_cap_ratio"))

    for entry in catalog["font"] + catalog.get("script_font", []):
        if entry["class"] not in FONT_CLASSES:
            raise UserError(f"font {entry['name']!r} has unknown class {entry['class']!r}")
    emoji, icons = catalog.get("emoji"), catalog.get("icons")
    return FontCatalog(tuple(info(e, e["class"]) for e in catalog["font"]),
                       info(emoji, "emoji") if emoji else None,
                       info(icons, "icons", cap_ratio=1.0) if icons else None,
                       tuple(info(e, e["class"]) for e in catalog.get("script_font", [])))


def ft_checked(error: int) -> None:
    """A raw FreeType call's error code raised as freetype-py's own wrappers raise it."""
    if error:
        import freetype

        raise freetype.FT_Exception(error)


def _char_index(face, code: int) -> int:
    """FreeType's FT_Get_Char_Index on a raw face (what freetype-py's get_char_index calls)."""
    from freetype import raw

    return raw.FT_Get_Char_Index(face, code)
