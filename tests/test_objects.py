"""The object library: emoji sprites from the shipped subset font, what each picture
depicts, scene templates and co-occurrence, recolouring, and parametric objects whose
variants differ only in one part, checked on rendered pixels."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from gen_stress.scenes import checks
from gen_stress.scenes.library import COLOR_WORDS, concepts_of, load_library, word_forms
from gen_stress.scenes.model import Scene
from gen_stress.scenes.parametric import (
    BIRD_FEATURES,
    PART_VARIANTS,
    PaintProbe,
    RunProbe,
    design,
    place,
)
from gen_stress.scenes.render import render
from gen_stress.scenes.sprites import (
    HUE_TARGETS,
    SpriteItem,
    base_bitmap,
    emoji_font_path,
    hue_distance,
    hue_share,
    recolored_bitmap,
    sprite_main_hue,
)

ROOT = Path(__file__).resolve().parents[1]
LIB = load_library()


def test_library_size_and_templates():
    assert len(LIB.classes) >= 150
    assert len({c.category for c in LIB.classes}) >= 10
    assert len(LIB.templates) >= 10
    for t in LIB.templates:
        assert len(t.weights) >= 10, t.name
        assert all(0 < w <= 1 for _, w in t.weights)


def test_emoji_font_is_small_licensed_and_in_sync_with_the_library():
    path = emoji_font_path()
    assert path.stat().st_size < 3 * 1024 * 1024
    licence = (ROOT / "fonts" / "licenses" / "noto-color-emoji.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    cmap = TTFont(path).getBestCmap()
    spec = importlib.util.spec_from_file_location("build_emoji_font", ROOT / "scripts" / "build_emoji_font.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    wanted = script.code_points(ROOT / "src" / "gen_stress" / "data" / "objects.yaml")
    assert sorted(cmap) == wanted, "rebuild the font with scripts/build_emoji_font.py"


def test_every_emoji_draws_a_picture():
    codes = {d.emoji for c in LIB.classes for _, d in c.drawings if d.emoji}
    for code in codes:
        bitmap = base_bitmap(code)
        alpha = np.asarray(bitmap.getchannel("A"))
        assert (alpha >= 128).mean() > 0.15, f"U+{code} is (nearly) empty"
        assert max(bitmap.size) >= 90


def test_composite_pictures_list_what_they_depict():
    setting = LIB.get("plate with fork and knife")
    assert {"fork", "knife", "plate"} <= setting.concepts
    assert "fork" in LIB.get("spaghetti").concepts  # the picture has a fork in the pasta
    assert "candle" in LIB.get("birthday cake").concepts
    assert "chopsticks" in LIB.get("bowl of noodles").concepts
    assert "bird" in LIB.get("penguin").concepts
    assert {"door", "window"} <= LIB.get("house").concepts


def test_absent_candidates_share_no_word_with_the_scene():
    rng = np.random.default_rng(7)
    for _ in range(200):
        present = [LIB.classes[int(i)] for i in rng.choice(len(LIB.classes), size=5, replace=False)]
        template = LIB.templates[int(rng.integers(len(LIB.templates)))]
        words = concepts_of(present, template.surface)
        for cand in LIB.absent_candidates(words):
            assert not cand.concepts & words
            assert all(cand.name not in p.concepts for p in present)
    # a plate with fork and knife present: no fork, knife, cutlery or plate is "absent"
    words = concepts_of([LIB.get("plate with fork and knife")])
    names = {c.name for c in LIB.absent_candidates(words)}
    assert not names & {"fork", "knife", "plate", "fork and knife", "spaghetti"}


def test_word_forms_cover_plurals():
    assert {"cherry", "cherries"} <= word_forms("cherries")
    assert {"glass", "glasses"} <= word_forms("glass")


def test_cooccurrence_is_symmetric_and_prefers_context():
    assert LIB.cooccurrence("fork", "plate") == pytest.approx(LIB.cooccurrence("plate", "fork"))
    assert LIB.cooccurrence("fork", "plate") > LIB.cooccurrence("fork", "hammer") == 0.0
    # The worked example: with a plate, a spoon and a napkin, the fork is the most suggested absent object.
    present = [LIB.get(n) for n in ("plate", "spoon", "napkin")]
    words = concepts_of(present, LIB.template("dining table").surface)
    best = max(LIB.absent_candidates(words), key=lambda c: LIB.cooccurrence_with(c.name, [p.name for p in present]))
    assert best.name == "fork"


def test_declared_colours_match_the_pictures():
    assert len(LIB.colored) >= 15
    for cls in LIB.colored:
        main = sprite_main_hue(cls.drawing().emoji)
        assert hue_distance(main, HUE_TARGETS[cls.color]) <= 55, (cls.name, main)


@pytest.mark.parametrize("name,target", [("banana", "blue"), ("strawberry", "green"), ("eggplant", "yellow")])
def test_recolouring_turns_the_main_colour(name, target):
    cls = LIB.get(name)
    code = cls.drawing().emoji
    rgba = np.asarray(recolored_bitmap(code, cls.color, target))
    pixels = rgba[rgba[..., 3] >= 128][:, :3]
    assert hue_share(pixels, HUE_TARGETS[target]) >= 0.5
    assert hue_share(pixels, sprite_main_hue(code), 20.0) <= 0.05
    original = np.asarray(base_bitmap(code))
    assert (rgba[..., 3] == original[..., 3]).all(), "the outline does not change"


def test_sprite_box_is_the_box_of_its_owned_pixels():
    items = [SpriteItem(k + 1, "object", c.name, c.drawing().emoji, (10 + 115 * (k % 5), 10 + 115 * (k // 5)),
                        40 + 7 * k, z=1) for k, c in enumerate(LIB.emoji_classes[:10])]
    rendered = render(Scene(600, 240, "beige", (236, 226, 205), tuple(items)))
    for item in items:
        assert checks.box_matches_pixels(item.item_id, item.bbox, rendered) == []
        assert max(item.bbox[2] - item.bbox[0], item.bbox[3] - item.bbox[1]) <= item.size_px


def _render_design(kind, params, unit):
    item = place(design(kind, params), item_id=1, role="object", label=kind, unit_px=unit, center=(120, 120))
    return item, render(Scene(240, 240, "beige", (236, 226, 205), (item,)))


def _probe_failures(item, rendered):
    failures = []
    for probe in item.probes:
        if isinstance(probe, PaintProbe):
            failures += checks.paint_at(rendered, probe.point, item.paint(probe.paint), probe.present, probe.what)
        else:
            failures += checks.paint_runs(rendered, probe.start, probe.end, item.paint(probe.paint), probe.runs,
                                          probe.what)
    return failures


def test_parametric_kinds_have_variants_that_differ_only_in_one_part():
    kinds = dict(PART_VARIANTS)
    assert len(kinds) + 1 >= 6  # fork, key, shirt, clock, mug, and the bird's marks
    for kind, (param, values) in kinds.items():
        assert len(values) >= 3
        shapes = [design(kind, ((param, v),)) for v in values]
        decisive = shapes[0].decisive
        for other in shapes[1:]:
            same = [p for p in shapes[0].parts if decisive not in p.name and p.name not in ("tick",)]
            rest = [p for p in other.parts if decisive not in p.name and p.name not in ("tick",)]
            assert [p.name for p in same] == [p.name for p in rest]
            assert all(a.geometry.equals(b.geometry) for a, b in zip(same, rest)), kind
    plain = design("bird")
    for feature in BIRD_FEATURES:
        marked = design("bird", ((feature, True),))
        extra = {p.name for p in marked.parts} - {p.name for p in plain.parts}
        assert len(extra) == 1, feature


@pytest.mark.parametrize("unit", [2, 3, 5, 8])
def test_parts_are_drawn_as_stated(unit):
    """Every variant at every part size: its probes (prong, tooth and button counts, the
    hour hand's direction, the handle's side) hold on the pixels."""
    for kind, (param, values) in PART_VARIANTS.items():
        if unit < {"shirt": 3}.get(kind, 2):
            continue
        for value in values:
            item, rendered = _render_design(kind, ((param, value),), unit)
            assert item.probes
            assert _probe_failures(item, rendered) == [], (kind, value, unit)
    for feature in BIRD_FEATURES:
        for has in (False, True):
            item, rendered = _render_design("bird", ((feature, has),), unit)
            assert _probe_failures(item, rendered) == [], (feature, has, unit)


def test_probes_catch_a_wrong_drawing():
    item, rendered = _render_design("fork", (("prongs", 3),), 4)
    run = next(p for p in item.probes if isinstance(p, RunProbe))
    assert checks.paint_runs(rendered, run.start, run.end, item.paint("metal"), 4, "prongs")
    item, rendered = _render_design("mug", (("handle", "left"),), 4)
    right = next(p for p in item.probes if p.what == "handle right")
    assert checks.paint_at(rendered, right.point, item.paint("body"), True, "handle")


def test_colour_words_are_known():
    assert set(HUE_TARGETS) == set(COLOR_WORDS)
