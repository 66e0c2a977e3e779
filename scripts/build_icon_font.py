#!/usr/bin/env python
"""Re-create fonts/icons/MaterialDesignIcons-subset.ttf and its licence text.

The screen context (src/gen_stress/data/contexts/screen.yaml, `icons:`) names the icons
it draws. This script takes Material Design Icons from a pinned Debian package
(fonts-materialdesignicons-webfont), checks the font file's SHA-256, and keeps only those
glyphs with fontTools' subsetter. The result is byte-identical for the same package,
icon list and fontTools version.

    python scripts/build_icon_font.py                 # downloads the package with apt-get
    python scripts/build_icon_font.py --deb FILE.deb  # or uses a .deb you already have

Needs: fontTools (a dependency of gen-stress), dpkg-deb, and apt-get for the download.
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

PACKAGE = "fonts-materialdesignicons-webfont"
VERSION = "1.6.50-3"
FONT_IN_PACKAGE = "usr/share/fonts/truetype/materialdesignicons-webfont/materialdesignicons-webfont.ttf"
FONT_SHA256 = "fa357e31fe02cb093a16cb022c619ba4cc663e5b1d4520f90e4005f2d8f9678e"

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "src" / "gen_stress" / "data" / "contexts" / "screen.yaml"
OUT_FONT = ROOT / "fonts" / "icons" / "MaterialDesignIcons-subset.ttf"
OUT_LICENSE = ROOT / "fonts" / "licenses" / "materialdesignicons.txt"


def code_points(vocabulary: Path) -> list[int]:
    """Every icon code point the screen context draws."""
    icons = yaml.safe_load(vocabulary.read_text(encoding="utf-8"))["icons"]
    return sorted(int(str(point), 16) for point in icons.values())


def fetch_deb(work: Path) -> Path:
    subprocess.run(["apt-get", "download", "-q", f"{PACKAGE}={VERSION}"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    return next(work.glob(f"{PACKAGE}_*.deb"))


def subset_font(source: Path, points: list[int], out: Path) -> None:
    options = subset.Options()
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.recalc_timestamp = False  # the same bytes on every run
    font = subset.load_font(str(source), options)
    missing = [p for p in points if p not in font.getBestCmap()]
    if missing:
        raise SystemExit(f"build_icon_font: the font has no glyph for {', '.join(f'U+{p:04X}' for p in missing)}")
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(out), options)


def licence_text(root: Path, points: list[int]) -> str:
    copyright_file = root / "usr" / "share" / "doc" / PACKAGE / "copyright"
    rule = "=" * 72
    return "\n".join([
        "Licence and copyright information for fonts/icons/MaterialDesignIcons-subset.ttf",
        "",
        f"A subset of materialdesignicons-webfont.ttf from the Debian package {PACKAGE} {VERSION}",
        f"(/{FONT_IN_PACKAGE}), keeping the {len(points)} icons that gen-stress draws, made by",
        "scripts/build_icon_font.py with fontTools' subsetter. The font is licensed under the",
        "SIL Open Font License, Version 1.1, and the icons in it under CC BY 4.0 (Austin Andrews",
        "and Google; full terms in the copyright file below). The subset is a Modified Version",
        "under the OFL and keeps its name records.",
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
    points = code_points(ICONS)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        deb = args.deb.resolve() if args.deb else fetch_deb(work)
        root = work / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        source = root / FONT_IN_PACKAGE
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != FONT_SHA256:
            sys.exit(f"build_icon_font: checksum mismatch for {FONT_IN_PACKAGE}: got {digest}, want {FONT_SHA256}")
        subset_font(source, points, OUT_FONT)
        OUT_LICENSE.write_text(licence_text(root, points), encoding="utf-8")
    print(f"build_icon_font: {len(points)} glyphs, {OUT_FONT.stat().st_size} bytes -> {OUT_FONT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
