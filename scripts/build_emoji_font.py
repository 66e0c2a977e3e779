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

import sys
from pathlib import Path

import yaml

# font_subset.py sits next to this script (found also when a test loads the script by path)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from font_subset import Pinned, build  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OBJECTS = ROOT / "src" / "gen_stress" / "data" / "objects.yaml"
PINNED = Pinned(
    script="build_emoji_font", package="fonts-noto-color-emoji", version="2.042-0+deb12u1",
    font_in_package="usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    sha256="e5899ed38b8ed83e08bd3ac5de09791e9d19d288333a796de1d35ad17396f1ec",
    out_font=ROOT / "fonts" / "emoji" / "NotoColorEmoji-subset.ttf",
    out_license=ROOT / "fonts" / "licenses" / "noto-color-emoji.txt", root=ROOT)


def code_points(objects_file: Path) -> list[int]:
    """Every emoji code point the object library draws."""
    classes = yaml.safe_load(objects_file.read_text(encoding="utf-8"))["classes"]
    points = set()
    for entry in classes:
        drawings = list(entry.get("states", {}).values()) or [entry]
        points.update(int(d["emoji"], 16) for d in drawings if "emoji" in d)
    return sorted(points)


def main() -> None:
    points = code_points(OBJECTS)
    preamble = [
        "Licence and copyright information for fonts/emoji/NotoColorEmoji-subset.ttf",
        "",
        f"A subset of NotoColorEmoji.ttf from the Debian package {PINNED.package} {PINNED.version}",
        f"(/{PINNED.font_in_package}), keeping the {len(points)} glyphs that gen-stress draws, made by",
        "scripts/build_emoji_font.py with fontTools' subsetter. Noto Color Emoji is licensed",
        "under the SIL Open Font License, Version 1.1 (full text in the copyright file below);",
        "the subset is a Modified Version under that licence and keeps its name records.",
    ]
    build(PINNED, points, preamble, __doc__)


if __name__ == "__main__":
    main()
