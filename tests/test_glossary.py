"""The glossary: queries in everyday words and acronyms also searched in report wording; a
user's own entries, with one sentence for each line that cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder

from findings.cli import main
from findings.config import Settings
from findings.errors import QueryError
from findings.glossary import MAX_PHRASES, USER_FILE, Glossary, add_user_entry, remove_user_entry
from findings.library import Library

REPORT = """Inspection of Blackpool local authority children's services

Inspection dates: 1 March to 5 March 2021

1. Children who go missing from home or care receive a return home interview, and the local
authority designated officer manages allegations against staff well.

2. Leaders know their services well and have a clear plan for improvement.

3. Independent reviewing officers challenge drift in children's plans.
"""


def test_the_shipped_glossary_is_big_enough_and_cites_where_each_entry_came_from():
    data = json.loads((Path(__file__).resolve().parents[1] / "src/findings/data/glossary.json").read_text())
    kinds = [e["kind"] for e in data["entries"]]
    assert kinds.count("acronym") + kinds.count("term") >= 150
    assert kinds.count("everyday") >= 100
    assert all(e["source"] for e in data["entries"])
    for needed in ("LADO", "MASH", "PLO", "SGO", "UASC", "IRO", "PEP", "CAMHS", "NEET", "EHCP", "CSE", "CCE",
                   "PA", "DCS", "LSCB", "JTAI", "CIN", "CP", "CLA"):
        assert needed in {e["term"] for e in data["entries"]}, needed


def test_everyday_words_and_acronyms_are_expanded_and_report_terms_only_offered():
    glossary = Glossary.load()
    kids = glossary.expand("kids who run away from care")
    assert [t.phrase for t in kids.terms] == ["kids", "run away"]
    assert "missing from home or care" in kids.phrases and "children" in kids.phrases
    assert kids.rewritten.startswith("children who missing from home or care")
    lado = glossary.expand("lado allegations")
    assert [t.term for t in lado.terms] == ["LADO"]  # three letters: any case
    assert glossary.expand("pa support").terms == ()  # "pa" is no acronym in lower case
    assert [t.term for t in glossary.expand("PA support").terms] == ["PA"]
    long_form = glossary.expand("local authority designated officer")
    assert long_form.phrases == ["LADO"] and long_form.rewritten == "local authority designated officer"
    care_leavers = glossary.expand("care leavers personal adviser")
    assert care_leavers.terms == () and {t.term for t in care_leavers.offered} == {"care leavers", "personal adviser"}
    switched = glossary.expand("kids who run away", disabled=["kids"], enabled=[])
    assert [t.term for t in switched.terms] == ["run away"] and [t.term for t in switched.offered] == ["kids"]


def test_a_users_glossary_file_loads_what_it_can_and_names_each_bad_line(tmp_path):
    (tmp_path / USER_FILE).write_text(
        "# my words\n"
        "nans => grandparents | connected persons\n"
        "no arrow here\n"
        "nans => kinship carers\n"
        "<b>kids</b> => children\n"
        "big => " + " | ".join(f"meaning {i}" for i in range(20)) + "\n"
        "alpha => beta\n"
        "beta => alpha\n",
        encoding="utf-8",
    )
    glossary = Glossary.load(tmp_path)
    problems = glossary.problems
    assert any("line 3: it has no '=>'" in p for p in problems)
    assert any("line 4: 'nans' is already defined on line 2" in p for p in problems)
    assert any("line 5: glossary entries are plain words" in p for p in problems)
    assert any("line 6: it would make queries enormous" in p for p in problems)
    assert any("'alpha' and 'beta' mean each other" in p for p in problems)
    assert all("\n" not in p and p.endswith(".") for p in problems)
    nans = glossary.expand("nans looking after children")
    assert nans.terms[0].means == ("grandparents", "connected persons")  # the first definition stays
    assert [t.term for t in glossary.expand("alpha").terms] == ["alpha"]  # no loop: one step only
    assert glossary.expand("kids").terms[0].kind == "everyday"  # the shipped entry still works


def test_a_query_that_would_grow_enormous_is_cut_with_a_note():
    glossary = Glossary.load()
    words = " ".join(["kids run away foster parents gangs drugs mums dads relatives nowhere to live"] * 3)
    expansion = glossary.expand(words)
    assert sum(len(t.means) for t in expansion.terms) <= MAX_PHRASES
    assert expansion.notes and expansion.notes[0].endswith(".")


def test_adding_and_removing_entries_and_the_cli(tmp_path):
    line = add_user_entry(tmp_path, "  nans ", ["grandparents", "kinship carers"])
    assert line == "nans => grandparents | kinship carers"
    assert add_user_entry(tmp_path, "nans", ["connected persons"]) == "nans => connected persons"  # replaced
    assert Glossary.load(tmp_path).expand("nans").terms[0].means == ("connected persons",)
    with pytest.raises(QueryError, match="plain words"):
        add_user_entry(tmp_path, "<i>x</i>", ["y"])
    assert remove_user_entry(tmp_path, "Nans") and not remove_user_entry(tmp_path, "nans")
    runner = CliRunner()
    index = ["--index", str(tmp_path)]
    added = runner.invoke(main, ["glossary", *index, "add", "nans", "grandparents"])
    assert added.exit_code == 0 and "nans => grandparents" in added.output
    listed = runner.invoke(main, ["glossary", *index, "--json"])
    rows = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert {"term": "nans", "means": ["grandparents"], "kind": "yours", "source": "your glossary.txt"} in rows
    assert any(r["term"] == "LADO" for r in rows)


def test_search_finds_report_wording_for_everyday_words(tmp_path):
    source = tmp_path / "blackpool.txt"
    source.write_text(REPORT)
    library = Library(Settings.load(tmp_path / "index"), embedder=FakeEmbedder())
    library.ingest([source])
    plain = library.search("kids who run away", k=3, mode="keyword", expand=False)
    expanded = library.search("kids who run away", k=3, mode="keyword")
    assert not any("missing from home or care" in h.paragraph.text for h in plain)
    assert "missing from home or care" in expanded[0].paragraph.text
    assert library.search("LADO", k=1, mode="keyword")[0].paragraph.number == 1
    switched_off = library.search("kids who run away", k=3, mode="keyword", unexpanded=["run away", "kids"])
    assert [h.paragraph.id for h in switched_off] == [h.paragraph.id for h in plain]
