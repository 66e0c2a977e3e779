"""Parsing replies: each rule with real-looking model replies, strict then lenient, and
the unparseable and abstaining ones."""

from __future__ import annotations

import json

import pytest

from gen_stress.scoring import score_item

YES_NO = [
    ("yes", "yes", "exact"),
    ("Yes.", "yes", "exact"),
    ("**No**", "no", "exact"),
    ("Yes, there is a fork on the plate.", "yes", "extracted"),
    ("No, there is no fork.", "no", "extracted"),
    ("There is no fork on the plate, so no.", "no", "extracted"),  # "there is no" answers, it does not abstain
    ("Looking closely: yes. No doubt about it.", "yes", "extracted"),  # the first yes/no word wins
    ("I can't tell whether there is a fork.", None, "abstained"),
    ("I don't know, maybe yes.", None, "abstained"),  # the abstention comes first
    ("It's not clearly visible.", None, "abstained"),
    ("I can not tell from this picture.", None, "abstained"),
    ("I cant tell, sorry.", None, "abstained"),
    ("I \u2019m unsure. I don\u2019t know.", None, "abstained"),  # curly quotes
    ("There\u2019s no fork.", "no", "extracted"),
    ("Maybe.", None, "unparseable"),
    ("The plate holds a spoon and a napkin.", None, "unparseable"),  # never read as "no"
    ("Nobody knows", None, "unparseable"),  # "no" inside a word does not count
    ("", None, "unparseable"),
]


@pytest.mark.parametrize("reply,parsed,status", YES_NO)
def test_yes_no_first_word_wins_and_nothing_becomes_no(reply, parsed, status):
    item = {"answer": "no", "answer_type": "yes_no", "choices": [], "aliases": [], "answerable": True}
    score = score_item(item, reply)
    assert (score["parsed"], score["parse_status"]) == (parsed, status)
    assert score["correct"] == (parsed == "no")
    assert score["predicted_yes"] == (parsed == "yes")
    assert score["abstained"] == (status == "abstained")


INTEGER = [
    ("7", 7, "exact"),
    ("seven", 7, "exact"),
    ("Seven.", 7, "exact"),
    ("I count 7 apples.", 7, "extracted"),
    ("There are seven apples in the image.", 7, "extracted"),
    ("Seven (7) apples.", 7, "extracted"),  # the same number twice is one number
    ("There are twenty-one stars.", 21, "extracted"),
    ("one hundred", 100, "extracted"),
    ("There are no apples.", 0, "extracted"),
    ("None.", 0, "exact"),
    ("I count 7 apples and 2 pears.", None, "unparseable"),  # two different numbers
    ("Either 6 or 8.", None, "unparseable"),
    ("About 7.5", None, "unparseable"),
    ("Several.", None, "unparseable"),
    ("I cannot count them reliably.", None, "abstained"),
    ("I'm not sure, maybe 7?", None, "abstained"),
]


@pytest.mark.parametrize("reply,parsed,status", INTEGER)
def test_integer_digits_or_words_and_two_numbers_are_unparseable(reply, parsed, status):
    item = {"answer": "7", "answer_type": "integer", "choices": [], "aliases": [], "answerable": True}
    score = score_item(item, reply)
    assert score["parse_status"] == status
    assert score["parsed"] == (None if parsed is None else str(parsed))
    assert score["correct"] == (parsed == 7)
    assert score["abs_error"] == (None if parsed is None else abs(parsed - 7))
    assert score["off_by_one"] == (parsed is not None and abs(parsed - 7) <= 1)


TEXT = [
    ("FL-2B3", "exact", True, 1.0),
    ("fl-2b3", "exact", True, 1.0),  # case is normalised
    ("  FL-2B3 \n", "exact", True, 1.0),  # so is whitespace
    ('The text says "FL-2B3".', "extracted", True, 1.0),
    ("The sign reads FL-2B3.", "extracted", True, 1.0),
    ("FL-2B3.", "extracted", True, 1.0),
    ("Answer: FL-2B3", "extracted", True, 1.0),
    ("FL-2B8", "exact", False, 1 - 1 / 6),  # one character off: ANLS 0.83, not exact
    ("The sign says FL-2B8", "extracted", False, 1 - 1 / 6),
    ("The sign is blue and has a code on it, FL-2B3 maybe", "extracted", False, 0.0),  # no containment credit
    ("I can't read the text, it is covered.", "abstained", False, 0.0),
    ("There is no green sign in the image.", "abstained", False, 0.0),
    ("unanswerable", "abstained", False, 0.0),
    ("", "unparseable", False, 0.0),
]


@pytest.mark.parametrize("reply,status,exact,anls", TEXT)
def test_text_normalised_exact_anls_and_no_substring_credit(reply, status, exact, anls):
    item = {"answer": "FL-2B3", "answer_type": "text", "choices": [], "aliases": [], "answerable": True}
    score = score_item(item, reply)
    assert score["parse_status"] == status
    assert score["exact"] is exact and score["correct"] is exact
    assert score["anls"] == pytest.approx(anls)
    if status == "abstained":
        assert score["cer"] == 1.0  # no answer: every gold character is missing


def test_text_aliases_count_and_cer_is_edit_rate():
    item = {"answer": "colour", "answer_type": "text", "choices": [], "aliases": ["color"], "answerable": True}
    assert score_item(item, "Color")["correct"]
    score = score_item(item, "colr")
    assert not score["correct"]
    assert score["cer"] == pytest.approx(1 / 5)  # one edit from "color"
    assert score["anls"] == pytest.approx(1 - 1 / 5)


CHOICES = ["red circle", "blue square", "dark red circle", "green star"]
CHOICE = [
    ("C", 2, "exact"),
    ("(C)", 2, "exact"),
    ("c", 2, "exact"),
    ("dark red circle", 2, "exact"),
    ("The answer is (C).", 2, "extracted"),
    ("Answer: C", 2, "extracted"),
    ("C. dark red circle", 2, "extracted"),
    ("It is the dark red circle.", 2, "extracted"),  # "red circle" inside "dark red circle" does not count
    ("The answer is a red circle.", 0, "extracted"),  # the article "a" is not option A
    ("(A) or (C)", None, "unparseable"),
    ("Either the green star or the blue square.", None, "unparseable"),
    ("None of these shapes.", None, "unparseable"),
    ("I cannot tell from the image.", None, "abstained"),
]


@pytest.mark.parametrize("reply,index,status", CHOICE)
def test_choice_letter_or_option_text(reply, index, status):
    item = {"answer": "dark red circle", "answer_type": "choice", "choices": CHOICES, "aliases": [],
            "answerable": True}
    score = score_item(item, reply)
    assert (score["choice_index"], score["parse_status"]) == (index, status)
    assert score["correct"] == (index == 2)


@pytest.mark.parametrize("reply,index,status", [
    ("C", 2, "exact"),
    ("The bird above tag C has a crest.", 2, "extracted"),
    ("A bird with a crest stands on tag B.", 1, "extracted"),  # "A bird": an article, not tag A
    ("Tags A and C look alike.", None, "unparseable"),
    ("It is a bird.", None, "unparseable"),  # "a" is not option A
])
def test_choice_between_lettered_tags(reply, index, status):
    item = {"answer": "C", "answer_type": "choice", "choices": ["A", "B", "C", "D"], "aliases": [],
            "answerable": True}
    score = score_item(item, reply)
    assert (score["choice_index"], score["parse_status"]) == (index, status)


def test_choice_gold_given_as_a_letter():
    item = {"answer": "B", "answer_type": "choice", "choices": CHOICES, "aliases": [], "answerable": True}
    assert score_item(item, "blue square")["correct"]
    assert score_item(item, "The answer is (B)")["correct"]
    assert not score_item(item, "A")["correct"]


BOX = [
    ("[12, 40, 88, 120]", 1.0, "exact"),
    ("(12,40,88,120)", 1.0, "exact"),
    ("The fork is at [12, 40, 88, 120].", 1.0, "extracted"),
    ("x0=12, y0=40, x1=88, y1=120", 1.0, "extracted"),
    ("[12, 40, 50, 120]", (50 - 12) / (88 - 12), "exact"),  # half as wide, inside the gold box
    ("[200, 200, 260, 250]", 0.0, "exact"),
    ("[88, 40, 12, 120]", 0.0, "unparseable"),  # x1 < x0 is not the stated convention
    ("It spans from 12 to 88.", 0.0, "unparseable"),
    ("The fork is not visible in the image.", 0.0, "abstained"),
]


@pytest.mark.parametrize("reply,iou,status", BOX)
def test_bbox_four_numbers_and_iou(reply, iou, status):
    item = {"answer": "[12, 40, 88, 120]", "answer_type": "bbox", "choices": [], "aliases": [], "answerable": True}
    score = score_item(item, reply)
    assert score["parse_status"] == status
    assert score["iou"] == pytest.approx(iou)
    assert score["correct"] == (iou >= 0.5)


@pytest.mark.parametrize("reply,status", [
    ("unanswerable", "abstained"),
    ("Illegible.", "abstained"),  # the item's own alias
    ("I can't read the text, it is covered.", "abstained"),
    ("The text cannot be read.", "abstained"),
    ("EXIT", "exact"),  # a guess at covered text is wrong
])
def test_abstaining_is_right_exactly_on_unanswerable_items(reply, status):
    covered = {"answer": "unanswerable", "answer_type": "text", "choices": [], "aliases": ["illegible"],
               "answerable": False}
    readable = {**covered, "answer": "EXIT", "aliases": [], "answerable": True}
    score = score_item(covered, reply)
    assert score["parse_status"] == status
    assert score["correct"] is (status == "abstained")
    assert score_item(readable, reply)["correct"] is (reply == "EXIT")


def test_scores_are_json_and_confidence_is_checked():
    item = {"answer": "yes", "answer_type": "yes_no", "choices": [], "aliases": [], "answerable": True}
    score = score_item(item, "Yes, there is.", confidence=0.8)
    assert json.loads(json.dumps(score)) == score
    assert score["confidence"] == 0.8
    with pytest.raises(ValueError):
        score_item(item, "yes", confidence=1.5)
    with pytest.raises(ValueError):
        score_item({**item, "answer_type": "essay"}, "yes")


GRID_CELLS = ["A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3"]
GRID_QUESTION = ("The image is divided into a 3x3 grid by the lines drawn on it. Columns are A, B, C from left to "
                 "right and rows are 1, 2, 3 from top to bottom. In which cell is the banana? Answer with the cell "
                 "name only, like B2.")


@pytest.mark.parametrize("reply,index,status", [
    ("B2", 4, "exact"),
    ("It is in cell B2.", 4, "extracted"),
    ("A", None, "unparseable"),  # a column, not option A (= A1): the prompt shows no letters
    ("The answer is C.", None, "unparseable"),
    ("(D)", None, "unparseable"),
])
def test_choice_letters_only_where_the_prompt_shows_them(reply, index, status):
    item = {"answer": "B2", "answer_type": "choice", "choices": GRID_CELLS, "aliases": [], "answerable": True,
            "question": GRID_QUESTION}
    score = score_item(item, reply)
    assert (score["choice_index"], score["parse_status"]) == (index, status)
    lettered = {**item, "question": "Where is it? Options: " + "; ".join(
        f"{chr(65 + k)}. {c}" for k, c in enumerate(GRID_CELLS)) + "."}
    assert score_item(lettered, "E")["choice_index"] == 4, "a lettered prompt: E is the fifth option"
    assert score_item(lettered, "The answer is (E).")["correct"]


def test_tag_letters_are_answers_without_lettered_options():
    item = {"answer": "C", "answer_type": "choice", "choices": ["A", "B", "C"], "aliases": [], "answerable": True,
            "question": "Which bird has a crest? Each bird has a letter on a tag below it. Answer with that letter."}
    assert score_item(item, "C")["correct"] and score_item(item, "The answer is C.")["correct"]
    assert score_item(item, "Tag B.")["choice_index"] == 1
