"""CHAIR reads words in their object sense: colours, flavours, modifiers and the liquid in a
glass are not objects, and the synonyms a person uses for a drawing match it."""

from __future__ import annotations

import pytest

from gen_stress.scenes.library import indefinite_article, load_library
from gen_stress.scoring import score_item
from gen_stress.scoring.chair import mentions

# Hand-written captions, as a person or a model writes them, with the object mentions a
# careful annotator finds in each.
CAPTIONS = [
    ("A full glass of orange juice.", ["glass"]),
    ("A glass of orange juice next to an orange.", ["glass", "orange"]),
    ("A slice of peach pie and a ripe peach.", ["pie", "peach"]),
    ("A red rose lies beside a book.", ["rose", "book"]),
    ("Rose-coloured glasses on a notebook.", ["glasses", "notebook"]),
    ("A lemon tart on a plate.", ["tart", "plate"]),
    ("A lemon, a knife and a spoon on the counter.", ["lemon", "knife", "spoon"]),
    ("A cherry red car parked by a tree.", ["car", "tree"]),
    ("A bowl of cherries.", ["bowl", "cherries"]),
    ("Chocolate cake with a fork.", ["cake", "fork"]),
    ("A bar of chocolate and a cup of hot chocolate.", ["chocolate", "cup"]),
    ("A glass of water and a bottle of water.", ["glass", "bottle"]),
    ("Waves of water roll onto the sand.", ["waves"]),
    ("An empty tumbler and a red mug.", ["tumbler", "mug"]),
    ("A cup of coffee on a saucer.", ["cup"]),
    ("A cup of tea and a teapot.", ["cup", "teapot"]),
    ("The ball is orange and white.", ["ball"]),
    ("A bright orange frisbee.", ["frisbee"]),
    ("An apple tree and an apple.", ["tree", "apple"]),
    ("Apple juice in a glass.", ["juice", "glass"]),
    ("An orange tabby cat is sleeping.", ["cat"]),
    ("A coffee table with a laptop on it.", ["laptop"]),
    ("A chocolate brown dog and a lemon yellow taxi.", ["dog", "taxi"]),
    ("A peach-coloured napkin and a fork.", ["napkin", "fork"]),
    ("Two peaches and a lime.", ["peaches"]),
    ("A cherry tomato and a cherry blossom.", ["tomato", "cherry blossom"]),
    ("An orange sits on a plate next to some cherries.", ["orange", "plate", "cherries"]),
    ("A wine glass with red wine.", ["wine glass", "wine"]),
    ("A glass of milk and a cookie.", ["glass", "cookie"]),
    ("The walls are peach; a person holds an open umbrella.", ["walls", "person", "umbrella"]),
    ("A man running past a stop sign.", ["man", "stop sign"]),
    ("A honey jar, a bee and a mug of honey.", ["honey jar", "bee", "mug", "honey"]),
]


@pytest.mark.parametrize("caption,expected", CAPTIONS)
def test_mentions_in_their_object_sense(caption, expected):
    assert mentions(caption) == expected


def test_every_library_name_is_a_mention_of_itself():
    """Every class name and synonym, said plainly, is found as that phrase; a drink named
    with its container ("a cup of coffee") is found as the container."""
    containers = {"cup of coffee": "cup", "cup of tea": "cup", "glass of milk": "glass", "glass of wine": "glass"}
    for cls in load_library().classes:
        for name in (cls.name, *cls.synonyms):
            assert mentions(f"I see {indefinite_article(name)} {name} on the left.") == [containers.get(name, name)]


def caption_row(*objects: str) -> dict:
    return {"answer": "", "answer_type": "text", "answerable": True, "difficulty": {"question_form": "caption"},
            "scene": {"objects": [{"role": "object", "label": name, "attributes": []} for name in objects]}}


@pytest.mark.parametrize("objects,caption", [
    (("glass",), "A full glass of orange juice."),
    (("glass",), "A plastic cup of juice."),
    (("glass",), "An empty tumbler."),
    (("tumbler",), "A glass of whiskey with ice."),
    (("soda cup",), "A glass with a straw."),
    (("cup of coffee",), "A mug of coffee."),
    (("teacup",), "A cup of green tea."),
    (("mug",), "A red coffee cup."),
    (("beer mug",), "A glass of beer."),
    (("glass of milk",), "A tall glass of milk."),
    (("tangerine", "rose"), "An orange and a rose."),
    (("basketball",), "An orange ball with black lines."),
    (("plate", "spoon"), "A peach-coloured plate and a spoon."),
])
def test_what_a_person_calls_the_drawing_is_no_hallucination(objects, caption):
    score = score_item(caption_row(*objects), caption)
    assert score["hallucinated"] == [] and score["object_recall"] == 1.0 and score["correct"]


@pytest.mark.parametrize("objects,caption,invented", [
    (("glass",), "A glass of orange juice and an orange.", ["orange"]),
    (("plate",), "A plate with a peach.", ["peach"]),
    (("mug",), "A mug and a lemon.", ["lemon"]),
    (("fork",), "A fork next to some cherries.", ["cherries"]),
    (("knife",), "A knife and a rose.", ["rose"]),
])
def test_the_object_sense_still_counts(objects, caption, invented):
    assert score_item(caption_row(*objects), caption)["hallucinated"] == invented


def test_gold_captions_of_every_template_score_right():
    """Gold captions (objects with their states and articles) name every object and
    invent none, in scenes of all templates."""
    from conftest import composed_drafts
    from gen_stress.generators import get_family
    from gen_stress.pipeline import PartSpec

    for template in load_library().templates:
        part = PartSpec("hallucination", n=5, settings=(("template", template.name),))
        for _plan, drafts in composed_drafts(get_family("hallucination"), part):
            caption = next(d for d in drafts if d.variant == "caption")
            objects = [it.label for it in caption.scene.items if it.role == "object"]
            score = score_item(caption_row(*objects), caption.question.answer)
            assert score["hallucinated"] == [] and score["object_recall"] == 1.0, (caption.question.answer, score)
