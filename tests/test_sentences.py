"""Sentence splitting and query highlights, on real report text."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import nltk.data
import pytest

from findings import sentences
from findings.sentences import (
    best_sentences,
    best_spans,
    sentence_spans,
    split_sentences,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"

# Paragraph 9 of the Blackburn with Darwen 2022 ILACS report, as the splitter joins it.
P9_SENTENCES = [
    "The response to children who experience domestic abuse is inconsistent.",
    (
        "Over-optimism about parental capacity to change, along with a lack of understanding "
        "about the complexities of domestic abuse, leads to an over-reliance on written "
        "agreements to manage risks."
    ),
    "This leaves a small number of children exposed to ongoing repeated incidents of domestic abuse.",
]
P9 = " ".join(P9_SENTENCES)


def test_paragraph_9_is_in_the_seed_report() -> None:
    seed = " ".join(SEED.read_text(encoding="utf-8").split())
    assert "9. The response to children who experience domestic abuse is inconsistent." in seed
    assert "Over- optimism about parental capacity to change" in seed
    assert "repeated incidents of domestic abuse." in seed


def test_real_paragraph_splits_into_its_three_sentences() -> None:
    assert split_sentences(P9) == P9_SENTENCES


def test_hard_line_breaks_are_normalised_and_a_wrapped_hyphen_kept() -> None:
    wrapped = (
        "The response to children who experience domestic abuse is inconsistent. Over-\n"
        "optimism about parental capacity to change, along with a lack of understanding \n"
        "about the complexities of domestic abuse, leads to an over-reliance on written \n"
        "agreements to manage risks. This leaves a small number of children exposed to \n"
        "ongoing repeated incidents of domestic abuse.  \n"
    )
    assert split_sentences(wrapped) == P9_SENTENCES


def test_spans_point_into_the_original_text() -> None:
    wrapped = "  Leaders know\nthe service well.  Over-\noptimism persists.\n"
    spans = sentence_spans(wrapped)
    assert [wrapped[start:end] for start, end in spans] == [
        "Leaders know\nthe service well.",
        "Over-\noptimism persists.",
    ]
    assert split_sentences(wrapped) == ["Leaders know the service well.", "Over-optimism persists."]


def test_a_wrapped_number_range_keeps_its_space() -> None:
    wrapped = "Some 16-\nto 18-year-old children live in unregistered\r\nhomes."
    assert split_sentences(wrapped) == [
        "Some 16- to 18-year-old children live in unregistered homes."
    ]


def test_query_highlights_the_over_optimism_sentence() -> None:
    assert best_sentences(P9, "domestic abuse over-optimism", k=1) == (P9_SENTENCES[1],)
    assert best_sentences(P9, "parental capacity") == (P9_SENTENCES[1],)
    # Every sentence mentions domestic abuse, but only the second also says over-optimism: two
    # sentences are marked (the best, then the first of the equals), not all three.
    assert best_sentences(P9, "domestic abuse over-optimism") == tuple(P9_SENTENCES[:2])
    # A third is marked only when it matches as strongly as the best.
    assert best_sentences(P9, "domestic abuse") == tuple(P9_SENTENCES)


def test_best_spans_match_best_sentences() -> None:
    [(start, end)] = best_spans(P9, "parental capacity")
    assert P9[start:end] == P9_SENTENCES[1]


def test_adjacent_query_words_beat_scattered_ones() -> None:
    text = (
        "Care leavers have their own flats, and children are supported well. "
        "Children in care benefit from stable homes."
    )
    assert best_sentences(text, "children in care", k=1) == (
        "Children in care benefit from stable homes.",
    )


def test_stems_match_across_word_forms() -> None:
    text = "Leaders know the service well. Plans are reviewed regularly by managers."
    assert best_sentences(text, "review of plans") == ("Plans are reviewed regularly by managers.",)


def test_no_match_falls_back_to_the_first_sentence() -> None:
    assert best_sentences(P9, "adoption timeliness") == (P9_SENTENCES[0],)
    assert best_sentences(P9, "the of and") == (P9_SENTENCES[0],)


def test_semantic_scores_are_combined() -> None:
    # No query word appears; the caller's scores decide, and negative ones are never shown.
    chosen = best_sentences(P9, "optimistic parents", sentence_scores=[0.1, 0.6, -0.2])
    assert chosen == (P9_SENTENCES[1],)
    with pytest.raises(ValueError, match="3 sentences"):
        best_sentences(P9, "abuse", sentence_scores=[0.1, 0.2])


@pytest.mark.parametrize(
    "text",
    [
        "Some children wait too long for services, e.g. a child with complex needs waited a year.",
        "Leaders have acted on the findings, i.e. the front door was restructured in 2021.",
        "The lead member, Cllr. Julie Gunn, meets the director of children's services monthly.",
        "Care leavers value the No. 5 drop-in service run by the council.",
        "Social workers in St. Helens visit children regularly.",
        "The rate rose by 1.5 percentage points in a year.",
        "Some 16- to 18-year-old children live in unregistered homes.",
        "Inspectors saw cases where risk was not reassessed (para. 12).",
    ],
)
def test_abbreviations_and_numbers_do_not_split(text: str) -> None:
    assert split_sentences(text) == [text]


def test_abbreviation_in_the_middle_of_a_paragraph() -> None:
    text = (
        "Cllr Julie Gunn chairs the board. Partners attend, e.g. a named nurse and "
        "the police. They challenge each other well."
    )
    assert split_sentences(text) == [
        "Cllr Julie Gunn chairs the board.",
        "Partners attend, e.g. a named nurse and the police.",
        "They challenge each other well.",
    ]


def test_sentence_ending_in_hmi_still_splits() -> None:
    text = "Lead inspector: Helen Cawston HMI. Team inspectors: Tracey Metcalfe HMI."
    assert split_sentences(text) == [
        "Lead inspector: Helen Cawston HMI.",
        "Team inspectors: Tracey Metcalfe HMI.",
    ]


def test_paragraph_starting_in_lower_case() -> None:
    text = "and partners are engaged. The board meets monthly."
    assert split_sentences(text) == ["and partners are engaged.", "The board meets monthly."]


def test_empty_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []
    assert sentence_spans("") == []
    assert best_sentences("", "abuse") == ()
    assert best_spans("   ", "abuse") == []


def test_params_are_plain_json() -> None:
    raw = (resources.files("findings") / "data" / "punkt_params.json").read_bytes()
    assert not raw.startswith(b"\x80")  # a pickle's protocol marker
    params = json.loads(raw)
    assert {"abbrev_types", "collocations", "sent_starters", "ortho_context"} <= params.keys()
    assert {"e.g", "i.e", "cllr", "no", "st", "para"} <= set(params["abbrev_types"])
    assert params["abbrev_types"] == sorted(params["abbrev_types"])


def test_tokenizer_builds_without_nltk_data(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("nltk data must not be loaded")

    monkeypatch.setattr(nltk.data, "load", refuse)
    monkeypatch.setattr(nltk.data, "find", refuse)
    sentences._tokenizer.cache_clear()
    sentences._stemmer.cache_clear()
    sentences._stem.cache_clear()
    try:
        assert split_sentences(P9) == P9_SENTENCES
        assert best_sentences(P9, "parental capacity") == (P9_SENTENCES[1],)
    finally:
        sentences._tokenizer.cache_clear()


def test_paragraph_number_stays_with_its_first_sentence() -> None:
    numbered = "9. " + P9
    assert split_sentences(numbered) == ["9. " + P9_SENTENCES[0], *P9_SENTENCES[1:]]
    assert best_sentences(numbered, "adoption") == ("9. " + P9_SENTENCES[0],)


def test_nltk_preloaded_while_other_threads_need_it_imports_once() -> None:
    """`preload` imports nltk on its own thread while a search's keyword thread stems and its
    main thread splits sentences: in a fresh process each time, as the first answer does."""
    import subprocess
    import sys

    script = (
        "import threading\n"
        "from findings import sentences\n"
        "sentences.preload()\n"
        "out = {}\n"
        "t = threading.Thread(target=lambda: out.setdefault('stem', sentences.stem('optimistic')))\n"
        "t.start()\n"
        "parts = sentences.split_sentences('Plans are weak. Managers know this.')\n"
        "t.join()\n"
        "print(out['stem'], len(parts))\n"
    )
    for _ in range(4):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == ["optimist", "2"]


def test_nltk_is_imported_without_scipy_and_scikit_learn_which_other_code_can_still_import():
    """nltk's __init__ imports scipy and scikit-learn (1.3 s of a process's start) for modules
    findings never uses: they are left out of nltk's import, and nowhere else."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from findings.sentences import split_sentences, stem\n"
        "assert split_sentences('Social workers visit. Mr. Smith is the PA.') == "
        "['Social workers visit.', 'Mr. Smith is the PA.']\n"
        "assert stem('running') == 'run'\n"
        "print(sorted(m for m in ('scipy', 'sklearn', 'pandas') if m in sys.modules))\n"
        "import importlib.util\n"
        "if importlib.util.find_spec('scipy'):\n"
        "    import scipy.stats\n"
        "    print('scipy.stats imported')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "[]"
    assert lines[1:] in ([], ["scipy.stats imported"])
