#!/usr/bin/env python
"""Re-create fonts/emoji/NotoColorEmoji-subset.ttf and its licence text.

The object library (src/gen_stress/data/objects.yaml) names the emoji it draws. This
script takes Noto Color Emoji from a pinned Debian package (fonts-noto-color-emoji),
checks the font file's SHA-256, and keeps only those glyphs with fontTools' subsetter
(the colour bitmaps in CBDT/CBLC survive subsetting). The result is byte-identical for
the same package, object list and fontTools version.

    python scripts/build_emoji_font.py                 # downloads the package with apt-get
    python scripts/build_emoji_font.py --deb FILE.deb  # or uses a .deb you already have

Needs: fontTools (a dependency of gen-stress), dpkg-deb, and apt-get for the download
(run `apt-get update` first if it fails).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from fontTools import subset

PACKAGE = "fonts-noto-color-emoji"
VERSION = "2.042-0+deb12u1"
FONT_IN_PACKAGE = "usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
FONT_SHA256 = "e5899ed38b8ed83e08bd3ac5de09791e9d19d288333a796de1d35ad17396f1ec"

ROOT = Path(__file__).resolve().parents[1]
OBJECTS = ROOT / "src" / "gen_stress" / "data" / "objects.yaml"
OUT_FONT = ROOT / "fonts" / "emoji" / "NotoColorEmoji-subset.ttf"
OUT_LICENSE = ROOT / "fonts" / "licenses" / "noto-color-emoji.txt"


def code_points(objects_file: Path) -> list[int]:
    """Every emoji code point the object library draws."""
    classes = yaml.safe_load(objects_file.read_text(encoding="utf-8"))["classes"]
    points = set()
    for entry in classes:
        drawings = list(entry.get("states", {}).values()) or [entry]
        points.update(int(d["emoji"], 16) for d in drawings if "emoji" in d)
    return sorted(points)


def fetch_deb(work: Path) -> Path:
    subprocess.run(["apt-get", "download", "-q", f"{PACKAGE}={VERSION}"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    return next(work.glob(f"{PACKAGE}_*.deb"))


def subset_font(source: Path, points: list[int], out: Path) -> None:
    options = subset.Options()
    options.layout_features = []  # single code points only: no ligatures (ZWJ sequences) needed
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.recalc_timestamp = False  # the same bytes on every run
    font = subset.load_font(str(source), options)
    missing = [p for p in points if p not in font.getBestCmap()]
    if missing:
        raise SystemExit(f"build_emoji_font: the font has no glyph for {', '.join(f'U+{p:04X}' for p in missing)}")
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(out), options)


def licence_text(root: Path, points: list[int]) -> str:
    copyright_file = root / "usr" / "share" / "doc" / PACKAGE / "copyright"
    rule = "=" * 72
    return "\n".join([
        "Licence and copyright information for fonts/emoji/NotoColorEmoji-subset.ttf",
        "",
        f"A subset of NotoColorEmoji.ttf from the Debian package {PACKAGE} {VERSION}",
        f"(/{FONT_IN_PACKAGE}), keeping the {len(points)} glyphs that gen-stress draws, made by",
        "scripts/build_emoji_font.py with fontTools' subsetter. Noto Color Emoji is licensed",
        "under the SIL Open Font License, Version 1.1 (full text in the copyright file below);",
        "the subset is a Modified Version under that licence and keeps its name records.",
        "",
        rule,
        f"Debian package {PACKAGE} {VERSION}: /usr/share/doc/{PACKAGE}/copyright",
        rule,
        "",
        copyright_file.read_text(encoding="utf-8").rstrip(),
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help=f"a downloaded {PACKAGE}_{VERSION}_all.deb")
    args = parser.parse_args()
    points = code_points(OBJECTS)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        deb = args.deb.resolve() if args.deb else fetch_deb(work)
        root = work / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        source = root / FONT_IN_PACKAGE
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != FONT_SHA256:
            sys.exit(f"build_emoji_font: checksum mismatch for {FONT_IN_PACKAGE}: got {digest}, want {FONT_SHA256}")
        subset_font(source, points, OUT_FONT)
        OUT_LICENSE.write_text(licence_text(root, points), encoding="utf-8")
    print(f"build_emoji_font: {len(points)} glyphs, {OUT_FONT.stat().st_size} bytes -> {OUT_FONT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
