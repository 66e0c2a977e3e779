"""The dataset card (README.md with the Hub's `configs:` YAML) and the contact sheets."""

from __future__ import annotations

import io
import shutil
import textwrap
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from PIL import Image, ImageDraw

from gen_stress import __version__
from gen_stress.contract import COLUMNS
from gen_stress.fingerprint import FIELD, config_files, describe, files_sha256
from gen_stress.generators import get_family
from gen_stress.knobs import knob_specs
from gen_stress.scenes.fonts import load_catalog
from gen_stress.store import Opener, folder_opener

VALUES_SHOWN = 12  # categorical values listed per knob; the rest are counted
NO_VALUE = "(none)"  # how the card shows an empty value (a caption item asks about no target)
SHEET_COLUMNS = 4
SHEET_ROWS = 3
THUMB_PX = 256


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "1M<n<10M"


def card_metadata(spec, summaries, out: Path, shards: ShardSource | None = None) -> dict:
    """The card's YAML; each config carries the fingerprint of its files in `out`, or in
    `shards` (see gen_stress.fingerprint), so the `datasets` cache of this folder is its own."""
    families = list(dict.fromkeys(p.family for p in spec.parts))
    configs = []
    for family in families:
        splits = [p.split for p in spec.parts if p.family == family]
        config = {"config_name": family, "data_files": [{"split": s, "path": f"{family}/{s}-*"} for s in splits]}
        names = config_files(out, config, shards.names if shards else None)
        config[FIELD] = describe(family, files_sha256(out, names, shards.open if shards else None))
        configs.append(config)
    total = sum(s.rows for s in summaries.values())
    return {
        "pretty_name": spec.title or "gen-stress " + ", ".join(families),
        "license": "cc-by-4.0",
        "language": ["en"],
        "task_categories": ["visual-question-answering"],
        "tags": ["synthetic", "stress-test", "vision-language", "gen-stress", *families],
        "size_categories": [_size_category(total)],
        "configs": configs,
    }


def _knob_rows(family: str, summaries) -> list[str]:
    from gen_stress.capture import CaptureKnobs, with_capture
    from gen_stress.questions.in_context import STAT_NAMES, with_context

    from gen_stress.writing import ScriptKnobs, with_script

    # `context`, the capture knobs and the writing knobs are every family's
    specs = knob_specs(with_script(with_capture(with_context(get_family(family).Knobs))))
    optional = (set(STAT_NAMES) | set(CaptureKnobs.__dataclass_fields__)  # shown only when the rows have them
                | set(ScriptKnobs.__dataclass_fields__))
    merged_numeric, merged_categorical = {}, {}
    for (fam, _split), s in summaries.items():
        if fam != family:
            continue
        for name, (lo, hi) in s.numeric.items():
            cur = merged_numeric.setdefault(name, [lo, hi])
            cur[0], cur[1] = min(cur[0], lo), max(cur[1], hi)
        for name, counts in s.categorical.items():
            merged_categorical.setdefault(name, {}).update(
                {k: merged_categorical.get(name, {}).get(k, 0) + v for k, v in counts.items()})
    lines = ["| knob | what it is | values in this dataset | easy value |", "|---|---|---|---|"]
    for name, spec in specs.items():
        if name in merged_numeric:
            lo, hi = merged_numeric[name]
            seen = f"{lo} to {hi}" if lo != hi else f"{lo}"
        else:
            seen = _value_counts(merged_categorical.get(name, {}))
        if not seen and name in optional:  # layout statistics or capture knobs: none here
            continue
        if name == "page_to_image":
            seen = "one matrix per item"
        seen = seen or ("abstract (every item)" if name == "context" else seen)
        easy = "derived" if spec.derived else f"`{spec.easy}`"
        lines.append(f"| `{name}` | {spec.doc} | {seen} | {easy} |")
    return lines


def _value_counts(counts: dict[str, int]) -> str:
    """The most frequent values with their counts; how many more there are, when cut."""
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    shown = ", ".join(f"{k or NO_VALUE} ({v})" for k, v in ranked[:VALUES_SHOWN])
    left = len(ranked) - VALUES_SHOWN
    return shown + (f", and {left} more value{'s' if left > 1 else ''}" if left > 0 else "")


def _font_section(summaries, out: Path) -> list[str]:
    used = set()
    for s in summaries.values():
        used.update(s.fonts)
    catalog = load_catalog()
    lines = ["The images show text and pictures drawn with these fonts (licence texts in `licenses/fonts/`):", ""]
    target = out / "licenses" / "fonts"
    target.mkdir(parents=True, exist_ok=True)
    for font in catalog.all():
        if font.name not in used:
            continue
        shutil.copyfile(font.license_file, target / font.license_file.name)
        lines.append(f"- {font.name} ({font.license}): {font.copyright}")
    return lines


def _words_section(summaries, out: Path) -> list[str]:
    """The word lists of the languages in the rows (the `language` knob), with their
    licences copied to `licenses/words/`; nothing when no row has a language."""
    from gen_stress.scenes.languages import LANGUAGES

    used = set()
    for s in summaries.values():
        used.update(k for k in s.categorical.get("language", {}) if k in LANGUAGES)
    if not used:
        return []
    target = out / "licenses" / "words"
    target.mkdir(parents=True, exist_ok=True)
    lines = ["## Words", "", "Words come from these openly licensed lists (licence texts in `licenses/words/`); "
             "prices, numbers and dates are formatted by Babel from Unicode CLDR's locale data.", ""]
    for lang in (LANGUAGES[code] for code in sorted(used)):
        source = resources.files("gen_stress").joinpath("data", *lang.words_licence_file.split("/"))
        (target / source.name).write_bytes(source.read_bytes())
        lines.append(f"- {lang.name} (`{lang.code}`, {lang.script}): {lang.words_source}; "
                     f"licence {lang.words_licence} (`licenses/words/{source.name}`)")
    return lines + [""]


@dataclass(frozen=True)
class ShardSource:
    """Shard files that are not in the card's folder (a dataset in an object store)."""

    names: tuple[str, ...]  # every shard, relative to the dataset folder
    open: Opener


def write_card(out: Path, spec, summaries: dict, shard_files: list[str], shards: ShardSource | None = None) -> None:
    """README.md, contact sheets and font licences into `out`, from the shards in `out`
    or, when given, in `shards`."""
    meta = card_metadata(spec, summaries, out, shards)
    open_shard = shards.open if shards else folder_opener(out)
    body = [f"# {meta['pretty_name']}", "",
            "Synthetic stress-test items for vision-language models, generated by "
            f"[gen-stress](https://pypi.org/project/gen-stress/) {__version__}. Every answer is computed "
            "from a symbolic scene and checked on the rendered pixels before the item is kept.", ""]
    body += ["## Load", "", "```python", "import datasets", ""]
    for part in spec.parts:
        body.append(f'ds = datasets.load_dataset("<this folder or repo>", "{part.family}", split="{part.split}")')
    body += ["```", "", "Each config's `description` holds the sha256 of its files: `datasets` hashes it into its cache "
             "key, so another folder of the same name, or this one regenerated, never gets these rows from the "
             "cache.", "", "## Rebuild", "", "The same command with the same version gives byte-identical files:", "",
             "```", f"pip install gen-stress=={__version__}", spec.command or "(built from Python)", "```", ""]
    body += ["## Contents", "", "| config | split | rows | subtask | items | unanswerable | yes share of yes/no |",
             "|---|---|---|---|---|---|---|"]
    for (family, split), s in summaries.items():
        for subtask, count in sorted(s.subtasks.items()):
            yes_no = s.yes_no[subtask]  # a share only where the subtask asks yes/no questions
            yes_share = f"{s.yes[subtask] / yes_no:.1%} of {yes_no}" if yes_no else "-"
            body.append(f"| {family} | {split} | {s.rows} | `{subtask}` | {count} | {s.unanswerable[subtask]} "
                        f"| {yes_share} |")
    for family in dict.fromkeys(p.family for p in spec.parts):
        sheets = _contact_sheets(out, family, shard_files, open_shard)
        body += ["", f"### {family}", "", get_family(family).description, ""]
        for group, sheet in sheets:
            label = f"{family} samples" + (f", {group.replace('`', '')}" if group else "")
            body += ([f"{group[0].upper()}{group[1:]}:", ""] if group else []) + [f"![{label}]({sheet})", ""]
        body += _knob_rows(family, summaries)
        resampled = sum((s.resampled for (f, _), s in summaries.items() if f == family), start=type(s.resampled)())
        if resampled:
            body += ["", "Scenes redrawn because a check on the pixels (or a placement constraint) failed:", ""]
            body += [f"- {reason}: {count}" for reason, count in resampled.most_common(8)]
    body += ["", "## Columns", "", "Every row carries: " + ", ".join(f"`{c}`" for c in COLUMNS) + ". "
             "`difficulty` holds the family's knob values and `scene` the scene graph (objects and texts with "
             "boxes `[x0, y0, x1, y1]` in pixels of the stored image, origin top-left, and the visible fraction "
             "measured on the render). Spatial words are in the viewer's frame.", ""]
    from gen_stress.writing import uses_script

    if any(uses_script(part) for part in spec.parts):
        body += ["## Scripts", "", "Text answers are stored in logical order (the order the text is typed, right-to-left "
                 "answers too), Unicode-normalised to NFC. Text beyond Latin is shaped by HarfBuzz (Pillow's raqm "
                 "layout), and every drawn string was checked against HarfBuzz's own shaping of it: no missing "
                 "glyph, no dotted circle, and the drawn glyphs are HarfBuzz's glyphs at HarfBuzz's positions. "
                 "Shaped texts record their grapheme clusters in `scene.texts[].clusters` (visual order; `start`, "
                 "`end`: the string offsets each covers; `bbox`); `char_boxes` holds each character's cluster box.",
                 ""]
    for heading, text in spec.card_extra:
        body += [f"## {heading}", "", text, ""]
    body += _words_section(summaries, out)
    body += ["## Fonts", ""] + _font_section(summaries, out) + [""]
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    (out / "README.md").write_text(f"---\n{front}---\n\n" + "\n".join(body), encoding="utf-8")


# Contact sheet ------------------------------------------------------------------------

def _sample_rows(shard: pq.ParquetFile, limit: int, where: dict) -> list[dict]:
    """Up to `limit` rows from the start of a shard (with the given knob values, if
    any: a context, a capture mode), taking subtasks in turn."""
    columns = ["id", "subtask", "image", "question", "answer"] + (["difficulty"] if where else [])
    rows = shard.read_row_group(0, columns=columns).to_pylist()
    if where:
        rows = [r for r in rows if all(r["difficulty"].get(k) == v for k, v in where.items())]
    by_subtask: dict[str, list[dict]] = {}
    for row in rows:
        by_subtask.setdefault(row["subtask"], []).append(row)
    picked = []
    while len(picked) < limit and any(by_subtask.values()):
        for queue in by_subtask.values():
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def _clipped(lines: list[str], limit: int) -> list[str]:
    """At most `limit` lines, the last one marked when text was cut."""
    if len(lines) <= limit:
        return lines
    return lines[:limit - 1] + [lines[limit - 1][:36] + " ..."]


def _contact_sheets(out: Path, family: str, shard_files: list[str], open_shard: Opener) -> list[tuple[str, str]]:
    """(label, sheet path): one sheet, or one per context and capture mode when the rows
    have several."""
    first = next((f for f in shard_files if f.startswith(f"{family}/")), None)
    if first is None:
        return []
    with open_shard(first) as handle:
        shard = pq.ParquetFile(handle)
        difficulty = shard.schema_arrow.field("difficulty").type
        keys = [k for k in ("context", "capture", "script") if difficulty.get_field_index(k) >= 0]
        if not keys:
            sheet = _contact_sheet(out, family, shard)
            return [("", sheet)] if sheet else []
        seen = shard.read_row_group(0, columns=["difficulty"]).column("difficulty").combine_chunks()
        groups = dict.fromkeys(zip(*(seen.field(k).to_pylist() for k in keys)))
        return [(", ".join(f"{k} `{v}`" for k, v in zip(keys, values)), sheet) for values in groups
                if (sheet := _contact_sheet(out, family, shard, dict(zip(keys, values))))]


def _label_font(line: str, label_font) -> tuple:
    """The sheet's label font, or for an answer in another script a font of that script
    with raqm shaping (Pillow's basic layout would draw Arabic unjoined, or tofu)."""
    catalog = load_catalog()
    if all(ord(c) < 0x0590 for c in line):  # Latin, Greek and Cyrillic need no shaping
        return label_font, {}
    for font in catalog.script_fonts:
        if not font.missing(line):
            return font.pil_shaping(12), {"direction": "rtl" if _right_to_left(line) else "ltr"}
    return label_font, {}


def _right_to_left(line: str) -> bool:
    import unicodedata

    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in line)


def _contact_sheet(out: Path, family: str, shard: pq.ParquetFile, where: dict | None = None) -> str | None:
    rows = _sample_rows(shard, SHEET_COLUMNS * SHEET_ROWS, where or {})
    if not rows:
        return None
    label_font = load_catalog().by_name("DejaVu Sans").pil(12)
    line_h, text_lines = 15, 8
    cell_w, cell_h = THUMB_PX + 12, THUMB_PX + 12 + line_h * text_lines
    n_rows = (len(rows) + SHEET_COLUMNS - 1) // SHEET_COLUMNS
    sheet = Image.new("RGB", (cell_w * min(len(rows), SHEET_COLUMNS), cell_h * n_rows), "white")
    draw = ImageDraw.Draw(sheet)
    for k, row in enumerate(rows):
        x, y = (k % SHEET_COLUMNS) * cell_w + 6, (k // SHEET_COLUMNS) * cell_h + 6
        image = Image.open(io.BytesIO(row["image"]["bytes"])).convert("RGB")
        image.thumbnail((THUMB_PX, THUMB_PX))
        sheet.paste(image, (x, y))
        answer = _clipped(textwrap.wrap(f"A: {row['answer']}", 40), 2)
        question = _clipped(textwrap.wrap(row["question"], 40), text_lines - 1 - len(answer))
        lines = [row["subtask"], *question, *answer]
        for j, line in enumerate(lines):
            fill = (200, 30, 30) if j >= len(lines) - len(answer) else (90, 90, 90) if j == 0 else (20, 20, 20)
            lead = "A: " if line.startswith("A: ") else ""  # drawn apart: script fonts lack Latin letters
            font, shaped = _label_font(line[len(lead):], label_font)
            top = y + THUMB_PX + 4 + j * line_h
            if not shaped:
                draw.text((x, top), line, fill=fill, font=font)
                continue
            baseline = top + round(label_font.getbbox("H", anchor="ls")[1] * -1) + 1  # both on one baseline
            draw.text((x, baseline), lead, fill=fill, font=label_font, anchor="ls")
            draw.text((x + label_font.getlength(lead), baseline), line[len(lead):], fill=fill, font=font,
                      anchor="ls", **shaped)
    relative = f"assets/{'-'.join([family, *map(str, (where or {}).values()), 'samples'])}.png"
    (out / "assets").mkdir(exist_ok=True)
    sheet.save(out / relative, format="PNG")
    return relative
