#!/usr/bin/env python
"""Re-create the fonts of the scripts beyond Latin (fonts/scripts/*.ttf, *.otf) and their
licence texts.

Each font is a Noto face from a pinned Debian package (fonts-noto-core, fonts-noto-cjk),
checked by SHA-256 and cut with fontTools' subsetter to the characters gen-stress can
draw in its script: the union of `charset(language)` and `screen_charset(language)`
(gen_stress.scenes.languages, the screens' labels) over the script's languages, plus
U+25CC (so that HarfBuzz's dotted circle for a broken cluster is a glyph the shaping
check can name). Every layout feature is kept (joining
forms, conjuncts, mark positioning, vertical forms; the glyph closure follows GSUB), so
HarfBuzz shapes the subset exactly as the full font. The Noto faces of Arabic, Hebrew,
Devanagari, Bengali and Thai lack Latin digits or punctuation that prices, dates and
codes use: those characters come from Noto Sans (or Noto Serif), merged in with
fontTools' merger (same design, same 1000-unit em). The TrueType faces (all but CJK) are
cut without their hinting programs: FreeType then hints them with its autohinter, which
draws a line of Devanagari or Bengali in half the time Noto's per-glyph bytecode takes
(Pillow draws every glyph of a line anew, and generation draws many lines); the CJK faces
(CFF) keep their stem hints, cheap to apply, without which FreeType would not hint them.
The result is byte-identical for the same packages, languages and fontTools version.

    python scripts/build_script_fonts.py                       # downloads with apt-get
    python scripts/build_script_fonts.py --deb A.deb --deb B.deb

Needs: fontTools, dpkg-deb, apt-get for the download (run `apt-get update` first if it
fails), and gen-stress importable (for the character sets).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger, Options as MergeOptions

# font_subset.py sits next to this script (found also when a test loads the script by path)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from font_subset import Pinned, check_sha256, licence_text, shaping_options, subset_shaping, unpack_deb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "fonts" / "scripts"
PACKAGES = {"fonts-noto-core": "20201225-1", "fonts-noto-cjk": "1:20220127+repack1-1"}
CORE = "usr/share/fonts/truetype/noto/"
CJK = "usr/share/fonts/opentype/noto/"
SHA256 = {
    "NotoSans-Regular.ttf": "89c3c497f618fdaa0b2d1e98fef93582f28c71debd2c4a8cdf41f190ced2909d",
    "NotoSerif-Regular.ttf": "9d7583b7dc9e812afd32a14280c5cac3160012efe50c8d08938f4fea266ff67f",
    "NotoSansArabic-Regular.ttf": "504d7407d86875acf7d04dfaa0fd7524d0b8797723bc4aa18022f29db25b0b6e",
    "NotoNaskhArabic-Regular.ttf": "8c67eaa2f0086872628fc3f7f760386f83c8be5c5e9a1ba3a38891237b2ac7cb",
    "NotoSansHebrew-Regular.ttf": "436900d5ad77d33e4234247f3076eaecd25b92b9bea0519514f684140e3566a7",
    "NotoSerifHebrew-Regular.ttf": "789b7e7e3ff4d95a5e105872a385db12c50c08b60ad5b773d25a3bec86621abf",
    "NotoSansDevanagari-Regular.ttf": "79a470365ccb210fa3c7d8d8ff2e005ef9d983cfd067f735a0caf7e15070ca9f",
    "NotoSerifDevanagari-Regular.ttf": "662c3cd6e17dd0561f53fe28ce6c32d7d64e650119f4bb0428fc50206bbc46fe",
    "NotoSansBengali-Regular.ttf": "9bb35b3547829ecc42041b6017e87fd4c5f1da1edcd00f59171777050f346018",
    "NotoSerifBengali-Regular.ttf": "32b4aeb731e3819d7a31216c885208a96e402ceeebb30fc39723b99220708fef",
    "NotoSansThai-Regular.ttf": "dfbd5ed0f1e68c3cbc51aa08f646d1ab0e68e7c4ceab70a69e465225ff701f93",
    "NotoSerifThai-Regular.ttf": "8e1bcaa4fef346b247092cf4327c4744eda2fa72afed96e2145dc30a3b04fdd1",
    "NotoSansCJK-Regular.ttc": "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a",
}
DOTTED_CIRCLE = 0x25CC
# Characters HarfBuzz's shapers put in the glyph string though the text does not hold
# them: the Thai shaper splits SARA AM (U+0E33) into NIKHAHIT (U+0E4D) and SARA AA.
SHAPER_EXTRA = {"thai": {0x0E4D}}


@dataclass(frozen=True)
class ScriptFont:
    out: str  # file name under fonts/scripts/
    script: str
    package: str
    path: str  # inside the package
    font_number: int = 0  # face of a collection (.ttc)
    fill: str = ""  # Noto Sans or Noto Serif file for the characters the face lacks

    @property
    def hinted(self) -> bool:
        """CFF faces (.otf) keep their hints; TrueType faces drop them (see above)."""
        return self.out.endswith(".otf")


FONTS = (
    ScriptFont("NotoSansArabic-subset.ttf", "arabic", "fonts-noto-core", CORE + "NotoSansArabic-Regular.ttf",
               fill="NotoSans-Regular.ttf"),
    ScriptFont("NotoNaskhArabic-subset.ttf", "arabic", "fonts-noto-core", CORE + "NotoNaskhArabic-Regular.ttf",
               fill="NotoSerif-Regular.ttf"),
    ScriptFont("NotoSansHebrew-subset.ttf", "hebrew", "fonts-noto-core", CORE + "NotoSansHebrew-Regular.ttf",
               fill="NotoSans-Regular.ttf"),
    ScriptFont("NotoSerifHebrew-subset.ttf", "hebrew", "fonts-noto-core", CORE + "NotoSerifHebrew-Regular.ttf",
               fill="NotoSerif-Regular.ttf"),
    ScriptFont("NotoSansDevanagari-subset.ttf", "devanagari", "fonts-noto-core",
               CORE + "NotoSansDevanagari-Regular.ttf", fill="NotoSans-Regular.ttf"),
    ScriptFont("NotoSerifDevanagari-subset.ttf", "devanagari", "fonts-noto-core",
               CORE + "NotoSerifDevanagari-Regular.ttf", fill="NotoSerif-Regular.ttf"),
    ScriptFont("NotoSansBengali-subset.ttf", "bengali", "fonts-noto-core", CORE + "NotoSansBengali-Regular.ttf",
               fill="NotoSans-Regular.ttf"),
    ScriptFont("NotoSerifBengali-subset.ttf", "bengali", "fonts-noto-core", CORE + "NotoSerifBengali-Regular.ttf",
               fill="NotoSerif-Regular.ttf"),
    ScriptFont("NotoSansThai-subset.ttf", "thai", "fonts-noto-core", CORE + "NotoSansThai-Regular.ttf",
               fill="NotoSans-Regular.ttf"),
    ScriptFont("NotoSerifThai-subset.ttf", "thai", "fonts-noto-core", CORE + "NotoSerifThai-Regular.ttf",
               fill="NotoSerif-Regular.ttf"),
    # One sans face per CJK language (the SC, JP and KR faces draw shared ideographs the
    # way each locale writes them); serif faces would double the wheel's CJK share.
    ScriptFont("NotoSansCJKsc-subset.otf", "chinese", "fonts-noto-cjk", CJK + "NotoSansCJK-Regular.ttc", 2),
    ScriptFont("NotoSansCJKjp-subset.otf", "japanese", "fonts-noto-cjk", CJK + "NotoSansCJK-Regular.ttc", 0),
    ScriptFont("NotoSansCJKkr-subset.otf", "korean", "fonts-noto-cjk", CJK + "NotoSansCJK-Regular.ttc", 1),
)


def script_points(script: str) -> set[int]:
    """Every code point gen-stress can draw in the script, their canonical decompositions
    (HarfBuzz decomposes a character the font lacks), what the script's shaper inserts,
    the dotted circle, and the hair space that justifies a document's lines (beyond CJK,
    whose Noto faces have none: their lines are left ragged)."""
    import unicodedata

    from gen_stress.scenes.languages import CJK, JUSTIFY_SPACE, LANGUAGES, charset, screen_charset

    points = {DOTTED_CIRCLE} | SHAPER_EXTRA.get(script, set())
    if script not in CJK:
        points.add(ord(JUSTIFY_SPACE))
    for code, lang in LANGUAGES.items():
        if lang.script == script:
            for char in charset(code) | screen_charset(code):
                points |= {ord(c) for c in char + unicodedata.normalize("NFD", char)}
    return points


def build_font(spec: ScriptFont, unpacked: dict[str, Path], work: Path) -> int:
    """Write one subset font; its size in bytes."""
    source = unpacked[spec.package] / spec.path
    check_sha256(source, SHA256[source.name], "build_script_fonts")
    points = script_points(spec.script)
    font, kept = subset_shaping(source, points, spec.font_number, spec.hinted)
    rest = points - kept
    target = OUT / spec.out
    OUT.mkdir(parents=True, exist_ok=True)
    fill = None
    if rest and spec.fill:
        fill_source = unpacked["fonts-noto-core"] / CORE / spec.fill
        check_sha256(fill_source, SHA256[spec.fill], "build_script_fonts")
        fill, fill_kept = subset_shaping(fill_source, rest, hinting=spec.hinted)
        rest -= fill_kept
    if rest:  # before anything is written: a face that cannot draw the script never lands in fonts/
        sys.exit(f"build_script_fonts: {spec.out} cannot draw "
                 f"{', '.join(f'U+{p:04X}' for p in sorted(rest))} ({spec.script})")
    # Written beside the target, then renamed over it: a killed build leaves no half font.
    partial = target.with_name(target.name + ".part")
    if fill is not None:
        main_file, fill_file = work / f"main-{spec.out}", work / f"fill-{spec.out}"
        subset.save_font(font, str(main_file), shaping_options(spec.hinted))
        subset.save_font(fill, str(fill_file), shaping_options(spec.hinted))
        merged = Merger(MergeOptions(drop_tables=["DSIG", "vhea", "vmtx"])).merge([str(main_file), str(fill_file)])
        merged["head"].created = font["head"].created  # the face's own dates: the same bytes on every run
        merged["head"].modified = font["head"].modified
        merged.recalcTimestamp = False
        merged.save(str(partial))
    else:
        subset.save_font(font, str(partial), shaping_options(spec.hinted))
    os.replace(partial, target)
    return target.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, action="append", default=[],
                        help="a downloaded .deb of " + " or ".join(f"{p} {v}" for p, v in PACKAGES.items()))
    args = parser.parse_args()
    debs = {d.name.split("_")[0]: d.resolve() for d in args.deb}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        unpacked = {pkg: unpack_deb(pkg, version, work, debs.get(pkg)) for pkg, version in PACKAGES.items()}
        for spec in FONTS:
            size = build_font(spec, unpacked, work)
            print(f"build_script_fonts: {spec.out} ({spec.script}): {size} bytes")
        for pkg, version in PACKAGES.items():
            name = "noto-cjk" if pkg == "fonts-noto-cjk" else "noto"
            files = [f.out for f in FONTS if f.package == pkg]
            pinned = Pinned(script="build_script_fonts", package=pkg, version=version, font_in_package="",
                            sha256="", out_font=Path(), out_license=ROOT / "fonts" / "licenses" / f"{name}.txt",
                            root=ROOT)
            preamble = [
                f"Licence and copyright information for fonts/scripts/{', fonts/scripts/'.join(files)}",
                "",
                f"Subsets of Noto fonts from the Debian package {pkg} {version}, keeping the characters",
                "gen-stress draws in each script and every layout feature, made by scripts/build_script_fonts.py",
                "with fontTools' subsetter"
                + (" (the Latin digits and punctuation the script faces lack merged in from Noto Sans or"
                   " Noto Serif of the same package), without their TrueType hinting programs."
                   if pkg == "fonts-noto-core" else "."),
                "Noto fonts are licensed under the SIL Open Font License, Version 1.1 (full text in the",
                "copyright file below); each subset is a Modified Version under that licence and keeps",
                "its name records.",
            ]
            pinned.out_license.write_text(licence_text(pinned, unpacked[pkg], preamble),
                                          encoding="utf-8")
            print(f"build_script_fonts: licenses/{name}.txt")


if __name__ == "__main__":
    main()
