#!/usr/bin/env bash
# Re-create the font files in fonts/ and their licence texts in fonts/licenses/
# from Debian packages.
#
# Each font is taken byte-for-byte from a pinned Debian package version and
# checked against its SHA-256, so the result is identical to what is committed.
# fonts/catalog.toml is hand-maintained and is not touched by this script. The Noto
# subsets of the other scripts (fonts/scripts/) are made by scripts/build_script_fonts.py.
#
# Needs: apt-get (with current package lists: run `apt-get update` first if a
# download fails), dpkg-deb, sha256sum, python3 (standard library only).
#
# Usage: scripts/fetch_fonts.sh
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
FONTS_DIR="$REPO_ROOT/fonts"
LICENSE_DIR="$FONTS_DIR/licenses"

# package | version | path inside the package | licence file (licenses/<x>.txt) | sha256
FONTS=(
  "fonts-dejavu-core|2.37-6|usr/share/fonts/truetype/dejavu/DejaVuSans.ttf|dejavu|abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322"
  "fonts-liberation2|2.1.5-1|usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf|liberation|8d91388f1d3604b3b8ae0e3ee2d140e50cd6122f9214514f4aca772540a4076d"
  "fonts-open-sans|1.11-2|usr/share/fonts/truetype/open-sans/OpenSans-Regular.ttf|open-sans|e64e508b2aa2880f907e470c4550980ec4c0694d103a43f36150ac3f93189bee"
  "fonts-dejavu-core|2.37-6|usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf|dejavu|13e61509f5c81d7c3132810f4f903e3523df89c802bf6e0674621e8f659cdfe1"
  "fonts-liberation2|2.1.5-1|usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf|liberation|29d12439831b7f59194efec85872f24f54eff05738933f9a860220d2abff88ba"
  "fonts-ebgaramond|0.016+git20210310.42d4f9f2-1|usr/share/fonts/opentype/ebgaramond/EBGaramond12-Regular.otf|ebgaramond|4ee3bdb3a6618e74ac13a7b2c0a5079fa949be94a25736008ddb9f8b2e492963"
  "fonts-roboto-slab|1.100263+20170512-2|usr/share/fonts/opentype/roboto/slab/RobotoSlab-Regular.otf|roboto-slab|1ab154c4863f88a2481f4945591f9b630962daeb95a28a3efb3d84b8733e6f45"
  "fonts-dejavu-core|2.37-6|usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf|dejavu|0f5db4f1749979d961019838b160bec74abdf7f9eca69553fe1aa856bbff49a4"
  "fonts-liberation2|2.1.5-1|usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf|liberation|6b3809450cf6253b36d157198dc15004a5fbade9abad5543c377feb7bb29139c"
  "fonts-inconsolata|001.010-6|usr/share/fonts/truetype/inconsolata/Inconsolata.otf|inconsolata|1561e616c414a1b82d6e6dfbd18e5726fd65028913ade191e5fa38b6ec375a1a"
  "fonts-dejavu-extra|2.37-6|usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf|dejavu|2d8aa290adcf1ebcbb35f63e57cf32941b012eaab4b65096b904112cf3bac972"
  "fonts-roboto-unhinted|2:0~20170802-3|usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Regular.ttf|roboto|936069d5e46da383bff37b629a73e0bfb8b8ac7bc54cfb927fb700f6a890e9aa"
  "fonts-yanone-kaffeesatz|2.0+git20211102+ds-1|usr/share/fonts/opentype/yanone-kaffeesatz/YanoneKaffeesatz-Regular.otf|yanone-kaffeesatz|23616269c15f7fffb436fb8c29f2a95ba7446562113c02efac7c5488bddb95d6"
  "fonts-dancingscript|1.2-2|usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf|dancingscript|38178945aaefdea573f4998d8b984985aaebb95964da337b23e77e682d7d3d17"
  "fonts-kaushanscript|1.02-2.1|usr/share/fonts/opentype/kaushanscript/KaushanScript-Regular.otf|kaushanscript|c007ebe4c813374ed02da003394b73b39fa709ff5891c5613733c96be595ba28"
  "fonts-breip|1:0.5.1-3|usr/share/fonts/truetype/breip/Breip.ttf|breip|cded2aeeeb7d35baa8aa5b57df35a25836910498271d3d2eec502f6aa7033eb7"
  "fonts-lobstertwo|2.0-2.1|usr/share/fonts/opentype/lobstertwo/LobsterTwo-Regular.otf|lobstertwo|a2bed04bf1eed1caa82ae250d733bb597ffb599fd66d9882159f061144967a74"
  "fonts-leckerli-one|20120409-1|usr/share/fonts/truetype/leckerli-one/LeckerliOne-Regular.ttf|leckerli-one|3f38ed99a07ab426eaa64c7d5773850a5dc8e6719b03125efce2cfbc82b083d7"
  "fonts-cabinsketch|1.02-3|usr/share/fonts/truetype/cabinsketch/CabinSketch-Regular.ttf|cabinsketch|e87bf418e498424284c289c6ba57eaba29f2fc072ee780326823650a67a48f4f"
  "fonts-comfortaa|3.001-3|usr/share/fonts/truetype/comfortaa/Comfortaa-Regular.ttf|comfortaa|7aeecaf4c799f24f22e871a6f546ca89116cf11288c7a8ff42f11401dd5445c6"
)

APACHE_TEXT=/usr/share/common-licenses/Apache-2.0

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch_fonts.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/debs" "$WORK/root"
# Let apt's unprivileged download user write here (avoids a warning as root).
chmod 755 "$WORK"
chown _apt "$WORK/debs" 2>/dev/null || true

# Print the licence notice (OpenType name ID 13) embedded in a font file.
# Standard library only, so no extra Python package is needed.
name_id13() {
  python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
num_tables = struct.unpack(">H", data[4:6])[0]
name_off = None
for i in range(num_tables):
    tag, _csum, off, _len = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
    if tag == b"name":
        name_off = off
if name_off is None:
    sys.exit(0)
_fmt, count, str_off = struct.unpack(">HHH", data[name_off:name_off + 6])
best = None
for i in range(count):
    pid, eid, lid, nid, length, off = struct.unpack(
        ">HHHHHH", data[name_off + 6 + 12 * i:name_off + 18 + 12 * i])
    if nid != 13:
        continue
    raw = data[name_off + str_off + off:name_off + str_off + off + length]
    if pid == 3 and eid in (0, 1, 10) and lid == 0x409:
        best = raw.decode("utf-16-be")
        break
    if pid == 1 and eid == 0 and best is None:
        best = raw.decode("mac_roman")
if best:
    text = best.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    sys.stdout.write(text + "\n")
PY
}

# 1. Download and unpack each package once (pinned versions).
declare -A PKG_VERSION=()
for entry in "${FONTS[@]}"; do
  IFS='|' read -r pkg ver _path _lic _sha <<<"$entry"
  PKG_VERSION[$pkg]="$ver"
done
for pkg in $(printf '%s\n' "${!PKG_VERSION[@]}" | sort); do
  ver="${PKG_VERSION[$pkg]}"
  echo "fetch_fonts: downloading $pkg=$ver" >&2
  if ! (cd "$WORK/debs" && apt-get download -q "$pkg=$ver" >/dev/null 2>"$WORK/apt.err"); then
    cat "$WORK/apt.err" >&2
    echo "fetch_fonts: could not download $pkg=$ver (run 'apt-get update'; if Debian no longer has this version, update the pins and checksums in this script)" >&2
    exit 1
  fi
  deb="$(ls "$WORK/debs/${pkg}_"*.deb)"
  mkdir -p "$WORK/root/$pkg"
  dpkg-deb -x "$deb" "$WORK/root/$pkg"
done

# 2. Copy the font files and check that they are the expected bytes.
mkdir -p "$FONTS_DIR" "$LICENSE_DIR"
for entry in "${FONTS[@]}"; do
  IFS='|' read -r pkg ver path _lic sha <<<"$entry"
  src="$WORK/root/$pkg/$path"
  dest="$FONTS_DIR/$(basename "$path")"
  got="$(sha256sum "$src" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then
    echo "fetch_fonts: checksum mismatch for $path from $pkg=$ver: got $got, want $sha" >&2
    exit 1
  fi
  cp "$src" "$dest"
  chmod 644 "$dest"
  echo "fetch_fonts: $(basename "$path")  <-  $pkg $ver" >&2
done

# 3. Write one licence file per font family / package group.
LICS=()
for entry in "${FONTS[@]}"; do
  IFS='|' read -r _pkg _ver _path lic _sha <<<"$entry"
  case " ${LICS[*]-} " in *" $lic "*) ;; *) LICS+=("$lic") ;; esac
done

rule() { printf '%s\n' "========================================================================"; }

for lic in "${LICS[@]}"; do
  out="$LICENSE_DIR/$lic.txt"
  pkgs=(); files=()
  for entry in "${FONTS[@]}"; do
    IFS='|' read -r pkg ver path l _sha <<<"$entry"
    [ "$l" = "$lic" ] || continue
    files+=("$pkg|$path")
    case " ${pkgs[*]-} " in *" $pkg "*) ;; *) pkgs+=("$pkg") ;; esac
  done
  {
    echo "Licence and copyright information for the following font files in fonts/:"
    for f in "${files[@]}"; do
      IFS='|' read -r pkg path <<<"$f"
      echo "  $(basename "$path")  (Debian package $pkg ${PKG_VERSION[$pkg]}, /$path)"
    done
    echo
    echo "The font files are unmodified copies of the files shipped by Debian."
    echo "Below: the Debian copyright file of each package, any licence file the"
    echo "package ships, and the licence notice embedded in each font file."
    declare -A seen_copyright=()
    for pkg in "${pkgs[@]}"; do
      doc="$WORK/root/$pkg/usr/share/doc/$pkg"
      echo
      rule
      echo "Debian package $pkg ${PKG_VERSION[$pkg]}: /usr/share/doc/$pkg/copyright"
      rule
      echo
      key="$(sha256sum <"$doc/copyright" | cut -d' ' -f1)"
      if [ -n "${seen_copyright[$key]-}" ]; then
        echo "(identical to the copyright file of ${seen_copyright[$key]}, above)"
      else
        seen_copyright[$key]="$pkg"
        cat "$doc/copyright"
      fi
      for extra in OFL.txt OFL.txt.gz LICENSE LICENSE.txt LICENSE.gz LICENSE.txt.gz; do
        [ -f "$doc/$extra" ] || continue
        echo
        rule
        echo "Debian package $pkg ${PKG_VERSION[$pkg]}: /usr/share/doc/$pkg/${extra%.gz} (shipped by the package)"
        rule
        echo
        case "$extra" in *.gz) gzip -dc "$doc/$extra" ;; *) cat "$doc/$extra" ;; esac
      done
      if grep -q '^License: *Apache-2.0' "$doc/copyright"; then
        if [ ! -f "$APACHE_TEXT" ]; then
          echo "fetch_fonts: $APACHE_TEXT is missing (Debian base-files)" >&2
          exit 1
        fi
        echo
        rule
        echo "Apache License 2.0, full text (the copyright file above refers to"
        echo "/usr/share/common-licenses/Apache-2.0; copied from there)"
        rule
        echo
        cat "$APACHE_TEXT"
      fi
    done
    declare -A seen_notice=()
    for f in "${files[@]}"; do
      IFS='|' read -r pkg path <<<"$f"
      notice="$(name_id13 "$WORK/root/$pkg/$path")"
      [ -n "$notice" ] || continue
      echo
      rule
      echo "Licence notice embedded in $(basename "$path") (OpenType name table, ID 13)"
      rule
      echo
      key="$(printf '%s' "$notice" | sha256sum | cut -d' ' -f1)"
      if [ -n "${seen_notice[$key]-}" ]; then
        echo "(identical to the notice embedded in ${seen_notice[$key]}, above)"
      else
        seen_notice[$key]="$(basename "$path")"
        printf '%s\n' "$notice"
      fi
    done
    unset seen_notice seen_copyright
  } >"$out"
  chmod 644 "$out"
  echo "fetch_fonts: licenses/$lic.txt" >&2
done

echo "fetch_fonts: done: ${#FONTS[@]} fonts, ${#LICS[@]} licence files in $FONTS_DIR" >&2
