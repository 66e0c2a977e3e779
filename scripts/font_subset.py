"""Shared steps of the scripts that subset a font from a pinned Debian package
(build_emoji_font.py, build_icon_font.py): download, unpack and check the package, keep
only the glyphs gen-stress draws with fontTools' subsetter (the same bytes on every run),
and write the licence text with the package's copyright file."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset


@dataclass(frozen=True)
class Pinned:
    script: str  # the calling script's name, for messages
    package: str
    version: str
    font_in_package: str
    sha256: str
    out_font: Path
    out_license: Path
    root: Path  # the source tree


def fetch_deb(pinned: Pinned, work: Path) -> Path:
    subprocess.run(["apt-get", "download", "-q", f"{pinned.package}={pinned.version}"], cwd=work, check=True,
                   stdout=subprocess.DEVNULL)
    return next(work.glob(f"{pinned.package}_*.deb"))


def subset_font(pinned: Pinned, source: Path, points: list[int]) -> None:
    options = subset.Options()
    options.layout_features = []  # single code points only: no ligatures (ZWJ sequences) needed
    options.drop_tables += ["GSUB", "GPOS", "GDEF"]
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.recalc_timestamp = False  # the same bytes on every run
    font = subset.load_font(str(source), options)
    missing = [p for p in points if p not in font.getBestCmap()]
    if missing:
        raise SystemExit(f"{pinned.script}: the font has no glyph for {', '.join(f'U+{p:04X}' for p in missing)}")
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(font)
    pinned.out_font.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(pinned.out_font), options)


def licence_text(pinned: Pinned, unpacked: Path, preamble: list[str]) -> str:
    copyright_file = unpacked / "usr" / "share" / "doc" / pinned.package / "copyright"
    rule = "=" * 72
    return "\n".join([
        *preamble,
        "",
        rule,
        f"Debian package {pinned.package} {pinned.version}: /usr/share/doc/{pinned.package}/copyright",
        rule,
        "",
        copyright_file.read_text(encoding="utf-8").rstrip(),
        "",
    ])


def build(pinned: Pinned, points: list[int], preamble: list[str], doc: str) -> None:
    """The command line of a subsetting script: `--deb FILE` or a download with apt-get."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--deb", type=Path, help=f"a downloaded {pinned.package}_{pinned.version}_all.deb")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        deb = args.deb.resolve() if args.deb else fetch_deb(pinned, work)
        unpacked = work / "root"
        subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
        source = unpacked / pinned.font_in_package
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        if digest != pinned.sha256:
            sys.exit(f"{pinned.script}: checksum mismatch for {pinned.font_in_package}: got {digest}, "
                     f"want {pinned.sha256}")
        subset_font(pinned, source, points)
        pinned.out_license.write_text(licence_text(pinned, unpacked, preamble), encoding="utf-8")
    print(f"{pinned.script}: {len(points)} glyphs, {pinned.out_font.stat().st_size} bytes -> "
          f"{pinned.out_font.relative_to(pinned.root)}")


# Fonts that shape (scripts/build_script_fonts.py) ---------------------------------------

def unpack_deb(package: str, version: str, work: Path, deb: Path | None = None) -> Path:
    """The package's files unpacked under work/<package> (downloaded with apt-get unless
    `deb` is given)."""
    if deb is None:
        pinned = Pinned(script="", package=package, version=version, font_in_package="", sha256="",
                        out_font=Path(), out_license=Path(), root=Path())
        deb = fetch_deb(pinned, work)
    unpacked = work / package
    subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
    return unpacked


def check_sha256(path: Path, want: str, script: str) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != want:
        sys.exit(f"{script}: checksum mismatch for {path.name}: got {digest}, want {want}")


def shaping_options(hinting: bool = True) -> subset.Options:
    """Subsetter options that keep what HarfBuzz needs to shape: every layout feature of
    every script (the glyph closure follows GSUB, so conjuncts, joining forms, ligatures
    and vertical forms of the kept characters stay), vertical metrics and the name
    records (copyright, licence); the hinting unless `hinting` is False."""
    options = subset.Options()
    options.hinting = hinting
    options.layout_features = ["*"]
    options.layout_scripts = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.recalc_timestamp = False  # the same bytes on every run
    options.drop_tables += ["DSIG"]
    return options


def subset_shaping(source: Path, points: set[int], font_number: int = 0, hinting: bool = True):
    """The font (a face of a collection) cut to the code points it maps of `points`."""
    options = shaping_options(hinting)
    options.font_number = font_number
    font = subset.load_font(str(source), options)
    kept = sorted(p for p in points if p in font.getBestCmap())
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=kept)
    subsetter.subset(font)
    return font, set(kept)
