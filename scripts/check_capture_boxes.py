#!/usr/bin/env python
"""Boxes after capture against the warped id buffer, on a few hundred items per family.

Generates captured items (photo and assistive, in the abstract context and the
real-world ones) and checks every recorded geometry of every row against the id
buffer the camera warped with nearest sampling:

- each object's and text's owned pixels are counted as its `visible_px`, and lie in its
  box; a text's lie in its quad and in its character boxes, a shape's in its outline;
- its `visible_fraction` is the clean one times the share of its page pixels whose
  centres the recorded `page_to_image` matrix puts inside the image (an independent
  count of what the frame cut off);
- a box answer is the bounds of the asked item's pixels on the warped buffer.

    python scripts/check_capture_boxes.py --n 40             # 40 per family, mode and context
    python scripts/check_capture_boxes.py --family ocr --n 5 --context receipt
    python scripts/check_capture_boxes.py --family ocr --script arabic --script japanese --n 20
    python scripts/check_capture_boxes.py --family all --context receipt --context menu --script hebrew --n 10

With `--script` (ocr in abstract scenes; every family on receipts and menus, the subtasks
their pages serve in the language), shaped text is checked through its grapheme clusters
too: its owned pixels lie in its cluster boxes, which cover the whole string.

Prints one line per family, mode and context, and the problems found (exit 1 if any).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon, box

from gen_stress import capture
from gen_stress.errors import GenerationError
from gen_stress.generators import family_names, get_family
from gen_stress.pipeline import PartSpec, generate_index
from gen_stress.questions.in_context import served_subtasks
from gen_stress.scenes import camera
from gen_stress.scenes.languages import SCRIPTS

MODES = ("photo", "assistive")
CONTEXTS = ("abstract", "receipt", "menu", "document", "screen", "shelf")
INK_IN_CHARS = 0.98  # share of a text's owned pixels inside its character boxes
IN_OUTLINE = 0.99  # share of a shape's owned pixels inside its outline


@dataclass
class Tally:
    items: int = 0
    rows: int = 0
    boxes: int = 0  # object and text records checked
    chars: int = 0  # character boxes among them
    clusters: int = 0  # grapheme-cluster boxes of shaped text among them
    answers: int = 0  # box answers checked
    cut: int = 0  # records the frame cut (visible fraction below the clean one)
    problems: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("items", "rows", "boxes", "chars", "clusters", "answers", "cut"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems


def _owned(ids: np.ndarray, item_id: int) -> np.ndarray:
    """Centres of the pixels an id owns, (n, 2) as x, y."""
    ys, xs = np.nonzero(ids == item_id)
    return np.c_[xs + 0.5, ys + 0.5]


def _share_inside(points: np.ndarray, shape) -> float:
    return float(shapely.contains_xy(shape, points[:, 0], points[:, 1]).mean()) if len(points) else 1.0


def _in_frame_share(shot, item_id: int, size: tuple[int, int]) -> tuple[float, int]:
    """(share of the item's clean pixels whose centres land in the image, their count)."""
    page = _owned(shot.clean.ids, item_id)
    if not len(page):
        return 0.0, 0
    matrix = shot.matrix if shot.matrix is not None else np.eye(3)
    mapped = camera.apply_h(matrix, page)
    inside = (mapped[:, 0] >= 0) & (mapped[:, 0] < size[0]) & (mapped[:, 1] >= 0) & (mapped[:, 1] < size[1])
    return float(inside.mean()), len(page)


def record_problems(row: dict, shot, tally: Tally) -> None:
    """Every recorded box, quad, outline and character box of one row, and its visible
    pixels and fraction, against the photo's own id buffer."""
    ids, name = shot.ids, row["id"]
    scene = row["scene"]
    size = ids.shape[::-1]
    if (scene["width"], scene["height"]) != size:
        tally.problems.append(f"{name}: scene is {scene['width']}x{scene['height']}, the photo {size}")
    recorded = json.loads(row["difficulty"]["page_to_image"])
    if shot.matrix is not None and not np.allclose(recorded, shot.matrix / shot.matrix[2, 2], atol=1e-5, rtol=1e-5):
        tally.problems.append(f"{name}: page_to_image is not the camera's matrix")
    for rec in scene["objects"] + scene["texts"]:
        tally.boxes += 1
        where = f"{name} item {rec['id']} ({rec['role']})"
        owned = _owned(ids, rec["id"])
        if len(owned) != rec["visible_px"]:
            tally.problems.append(f"{where}: visible_px {rec['visible_px']}, the buffer holds {len(owned)}")
        share, clean_px = _in_frame_share(shot, rec["id"], size)
        expected = shot.clean.visible_fraction(rec["id"]) * share
        # Filling the frame's outline on the page and testing mapped centres differ only
        # along that outline.
        slack_fraction = 0.005 + 3.0 / max(1.0, np.sqrt(clean_px))
        if abs(rec["visible_fraction"] - expected) > slack_fraction:
            tally.problems.append(f"{where}: visible_fraction {rec['visible_fraction']}, measured {expected:.4f}")
        tally.cut += share < 1.0
        if not len(owned):
            continue
        # One page pixel spans `scale` image pixels here; a page pixel an item owns can
        # reach one pixel past its polygon's bounds (Pillow fills right and bottom edges).
        slack = 1.0 + 1.5 * shot.scale_at(shot.clean.rasters[rec["id"]].box)
        x0, y0, x1, y1 = rec["bbox"]
        outside = ~((owned[:, 0] >= x0 - slack) & (owned[:, 0] <= x1 + slack)
                    & (owned[:, 1] >= y0 - slack) & (owned[:, 1] <= y1 + slack))
        if outside.any():
            tally.problems.append(f"{where}: {int(outside.sum())} owned pixels outside its box {rec['bbox']}")
        if "quad" in rec:
            if (inside := _share_inside(owned, Polygon(rec["quad"]).buffer(slack))) < 1.0:
                tally.problems.append(f"{where}: {1 - inside:.1%} of its pixels outside its quad")
            chars = [box(*b) for b in rec["char_boxes"]]
            tally.chars += len(chars)
            if chars and (covered := _share_inside(owned, shapely.union_all(chars).buffer(slack))) < INK_IN_CHARS:
                tally.problems.append(f"{where}: {covered:.1%} of its ink in its character boxes")
            if rec.get("clusters"):
                _cluster_problems(rec, owned, slack, where, tally)
        elif len(rec["polygon"]) >= 3 and rec["visible_fraction"] > 0.5:
            if (inside := _share_inside(owned, Polygon(rec["polygon"]).buffer(slack))) < IN_OUTLINE:
                tally.problems.append(f"{where}: {inside:.1%} of its pixels inside its outline")
    if row["answer_type"] == "bbox" and row["answerable"]:
        tally.answers += 1
        # The items the box covers (a context marks them `answer_box`; a near-duplicate it is
        # told apart from is marked asked only), else the abstract scene's target.
        records = scene["texts"] + scene["objects"]
        asked = [t["id"] for t in records if {"name": "answer_box", "value": "yes"} in t["attributes"]] or \
                [o["id"] for o in scene["objects"] if o["role"] == "target"]
        pts = np.concatenate([_owned(ids, i) for i in asked])
        expected_box = [int(pts[:, 0].min()), int(pts[:, 1].min()), int(pts[:, 0].max()) + 1, int(pts[:, 1].max()) + 1]
        if row["answer"] != str(expected_box):
            tally.problems.append(f"{name}: box answer {row['answer']}, the buffer says {expected_box}")


def _cluster_problems(rec: dict, owned: np.ndarray, slack: float, where: str, tally: Tally) -> None:
    """Shaped text: its clusters cover the string once, and hold its ink after capture."""
    clusters = rec["clusters"]
    tally.clusters += len(clusters)
    covered = sorted(i for c in clusters for i in range(c["start"], c["end"]))
    if covered != list(range(len(rec["text"]))):
        tally.problems.append(f"{where}: clusters cover offsets {covered}, not the {len(rec['text'])} characters")
    shapes = [box(*c["bbox"]) for c in clusters if c["bbox"][2] > c["bbox"][0] and c["bbox"][3] > c["bbox"][1]]
    if shapes and (inside := _share_inside(owned, shapely.union_all(shapes).buffer(slack))) < INK_IN_CHARS:
        tally.problems.append(f"{where}: {inside:.1%} of its ink in its cluster boxes")


class ShotSpy:
    """Keeps the photographs of the last capture call (the kept rows' ones)."""

    def __init__(self):
        self.last = None
        self._real = capture.Camera.shoot

    def __enter__(self):
        spy = self

        def shoot(camera_self, drafts, renders):
            out = spy._real(camera_self, drafts, renders)
            spy.last = out[1]
            return out

        capture.Camera.shoot = shoot
        return self

    def __exit__(self, *exc):
        capture.Camera.shoot = self._real


LOCALIZED = ("receipt", "menu")  # contexts whose pages print other scripts (gen_stress.writing.CONTEXTS)


def part_for(family: str, mode: str, context: str, n: int, seed: int, script: str = "") -> PartSpec | None:
    """The part of one cell, or None when the context serves none of the family's subtasks."""
    settings = (("capture", mode),) + ((("context", context),) if context != "abstract" else ())
    settings += (("script", script),) if script else ()
    subtasks = ()
    if context != "abstract":
        subtasks = served_subtasks(get_family(family), [context], localized=bool(script))
        if not subtasks:
            return None
    return PartSpec(family, n, seed=seed, settings=settings, subtasks=subtasks)


def check_cell(args: tuple) -> tuple[tuple, Tally]:
    family, mode, context, start, stop, seed, size, *rest = args
    script = rest[0] if rest else ""  # a script beyond Latin (ocr), or none
    tally = Tally()
    part = part_for(family, mode, context, stop, seed, script)
    fam = get_family(family)
    with ShotSpy() as spy:
        for index in range(start, stop):
            try:
                rows = generate_index(fam, part, size, index)
            except GenerationError as why:  # reported, not checked
                tally.problems.append(f"not generated: {str(why)[:160]}")
                continue
            tally.items += 1
            for row, shot in zip(rows, spy.last):
                tally.rows += 1
                record_problems(row, shot, tally)
    return (family + (f"/{script}" if script else ""), mode, context), tally


def cells(families, modes, contexts, n: int, seed: int, size, scripts=("",), chunk: int = 10) -> list[tuple]:
    jobs = []
    for family in families:
        for script in scripts:
            for mode in modes:
                for context in contexts:
                    part = part_for(family, mode, context, n, seed, script)
                    if part is None:
                        continue
                    part.validate(size)
                    jobs += [(family, mode, context, a, min(n, a + chunk), seed, size, script)
                             for a in range(0, n, chunk)]
    return jobs


def scripts_apply(families: tuple[str, ...], contexts: list[str]) -> bool:
    """Whether `--script` makes sense for these families and contexts: shaped text in
    the abstract context is the ocr family's; receipts and menus print it in every family."""
    other_pages = set(contexts) - {"abstract", *LOCALIZED}
    return not other_pages and ("abstract" not in contexts or tuple(families) == ("ocr",))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="all")
    parser.add_argument("--mode", action="append", choices=MODES)
    parser.add_argument("--context", action="append", choices=CONTEXTS)
    parser.add_argument("--n", type=int, default=40, help="items per family, mode and context")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--script", action="append", choices=SCRIPTS,
                        help="shaped text of this script (ocr family, abstract scenes); repeatable")
    args = parser.parse_args()
    size = (args.size, args.size)
    scripts = tuple(args.script or ("",))
    contexts = args.context or (["abstract"] if args.script else CONTEXTS)
    families = family_names(args.family)
    if args.script and not scripts_apply(families, contexts):
        parser.error(f"--script is for --family ocr in the abstract context, or --context {' or '.join(LOCALIZED)}")
    jobs = cells(families, args.mode or MODES, contexts, args.n, args.seed, size, scripts)
    if args.workers > 1:
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            results = list(pool.imap_unordered(check_cell, jobs))
    else:
        results = [check_cell(job) for job in jobs]
    tallies: dict[tuple, Tally] = {}
    for key, tally in results:
        tallies.setdefault(key, Tally()).add(tally)
    print(f"{'family':<16}{'mode':<10}{'context':<10}{'items':>6}{'rows':>6}{'boxes':>7}{'chars':>7}"
          f"{'clusters':>9}{'box answers':>12}{'cut':>6}{'problems':>9}")
    totals: dict[str, Tally] = {}
    for (family, mode, context), t in tallies.items():
        totals.setdefault(family, Tally()).add(t)
        print(f"{family:<16}{mode:<10}{context:<10}{t.items:>6}{t.rows:>6}{t.boxes:>7}{t.chars:>7}{t.clusters:>9}"
              f"{t.answers:>12}{t.cut:>6}{len(t.problems):>9}")
    print("per family:")
    for family, t in totals.items():
        print(f"{family:<36}{t.items:>6}{t.rows:>6}{t.boxes:>7}{t.chars:>7}{t.clusters:>9}{t.answers:>12}{t.cut:>6}"
              f"{len(t.problems):>9}")
    problems = [p for t in tallies.values() for p in t.problems]
    for line, count in Counter(problems).most_common(30):
        print(f"  {line}" + (f" ({count}x)" if count > 1 else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
