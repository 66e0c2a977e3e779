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

import sys
from pathlib import Path

import yaml

# font_subset.py sits next to this script (found also when a test loads the script by path)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from font_subset import Pinned, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "src" / "gen_stress" / "data" / "contexts" / "screen.yaml"
PINNED = Pinned(
    script="build_icon_font", package="fonts-materialdesignicons-webfont", version="1.6.50-3",
    font_in_package="usr/share/fonts/truetype/materialdesignicons-webfont/materialdesignicons-webfont.ttf",
    sha256="fa357e31fe02cb093a16cb022c619ba4cc663e5b1d4520f90e4005f2d8f9678e",
    out_font=ROOT / "fonts" / "icons" / "MaterialDesignIcons-subset.ttf",
    out_license=ROOT / "fonts" / "licenses" / "materialdesignicons.txt", root=ROOT)


def code_points(vocabulary: Path) -> list[int]:
    """Every icon code point the screen context draws."""
    icons = yaml.safe_load(vocabulary.read_text(encoding="utf-8"))["icons"]
    return sorted(int(str(point), 16) for point in icons.values())


def main() -> None:
    points = code_points(ICONS)
    preamble = [
        "Licence and copyright information for fonts/icons/MaterialDesignIcons-subset.ttf",
        "",
        f"A subset of materialdesignicons-webfont.ttf from the Debian package {PINNED.package} {PINNED.version}",
        f"(/{PINNED.font_in_package}), keeping the {len(points)} icons that gen-stress draws, made by",
        "scripts/build_icon_font.py with fontTools' subsetter. The font is licensed under the",
        "SIL Open Font License, Version 1.1, and the icons in it under CC BY 4.0 (Austin Andrews",
        "and Google; full terms in the copyright file below). The subset is a Modified Version",
        "under the OFL and keeps its name records.",
    ]
    build(PINNED, points, preamble, __doc__)


if __name__ == "__main__":
    main()
