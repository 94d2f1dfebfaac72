"""Search on the real seeds with the real model: the findings a user expects, filters, bad queries."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from findings.cli import main
from findings.config import SearchTuning
from findings.errors import QueryError
from findings.search import Filters, fts_query, fuse, keyword_terms

pytestmark = pytest.mark.model

P9 = "blackburn-with-darwen-2022-ilacs:p9"


def ids(hits):
    return [h.paragraph.id for h in hits]


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_domestic_abuse_over_optimism_puts_2022_para_9_first(seed_library, mode):
    hits = seed_library.search("domestic abuse over-optimism", k=5, mode=mode)
    assert ids(hits)[0] == P9
    assert hits[0].citation == (
        "Inspection of Blackburn with Darwen local authority children’s services, "
        "24 January-4 February 2022, paragraph 9"
    )
    assert any("Over-optimism about parental capacity to change" in s for s in hits[0].highlights)
    assert hits[0].section_grade == "requires improvement"


@pytest.mark.parametrize("mode", ["hybrid", "semantic", "keyword"])
def test_care_leavers_personal_adviser_top_3_within_2022_paras_34_to_39(seed_library, mode):
    hits = seed_library.search("care leavers personal adviser", k=3, mode=mode)
    ilacs = [h for h in hits if h.report.id == "blackburn-with-darwen-2022-ilacs"]
    assert ilacs and all(34 <= h.paragraph.number <= 39 for h in ilacs)
    assert ids(hits)[0].startswith("blackburn-with-darwen-2022-ilacs:p3")


@pytest.mark.parametrize("mode", ["hybrid", "semantic"])
def test_everyday_wording_finds_over_optimism(seed_library, mode):
    hits = seed_library.search("social workers too optimistic that parents will change", k=3, mode=mode)
    assert P9 in ids(hits)


def test_filters_narrow_by_council_year_type_and_judgement(seed_library):
    query = "quality of assessments"
    everything = seed_library.search(query, k=50)
    assert {h.report.meta.authority for h in everything} == {"Blackburn with Darwen", "Blackpool"}
    blackpool = seed_library.search(query, k=50, filters=Filters(authorities=("Blackpool Borough Council",)))
    assert blackpool and {h.report.meta.authority for h in blackpool} == {"Blackpool"}
    recent = seed_library.search(query, k=50, filters=Filters(from_year=2020))
    assert recent and {h.report.id for h in recent} <= {
        "blackburn-with-darwen-2022-ilacs", "blackburn-with-darwen-2022-press-release"}
    sif = seed_library.search(query, k=50, filters=Filters(report_types=("sif",)))
    assert {h.report.id for h in sif} == {"blackburn-with-darwen-2017-sif"}
    inadequate = seed_library.search(
        query, k=50, filters=Filters(judgements=(("overall_effectiveness", "inadequate"),)))
    assert {h.report.id for h in inadequate} == {"blackpool-2012-child-protection"}
    section = seed_library.search(query, k=50, filters=Filters(sections=("care leavers",)))
    assert section and all("care leavers" in h.paragraph.section.lower() for h in section)


def test_region_and_neighbours_filters(seed_library):
    north_west = seed_library.search("neglect", k=20, filters=Filters(region_of="Blackburn with Darwen"))
    assert {h.report.meta.authority for h in north_west} == {"Blackburn with Darwen", "Blackpool"}
    neighbours = seed_library.search("neglect", k=20, filters=Filters(neighbours_of="Blackpool"))
    # Blackburn with Darwen is not among Blackpool's ten statistical neighbours.
    assert neighbours and {h.report.meta.authority for h in neighbours} == {"Blackpool"}


def test_boilerplate_is_excluded_unless_asked_for(seed_library):
    plain = seed_library.search("Open Government Licence reuse", k=10)
    assert not any(h.paragraph.boilerplate for h in plain)
    asked = seed_library.search("Open Government Licence reuse", k=10,
                                filters=Filters(include_boilerplate=True))
    assert asked[0].paragraph.boilerplate


@pytest.mark.parametrize(
    ("query", "k", "message"),
    [
        ("", 10, "the query is empty"),
        ("   \n\t", 10, "the query is empty"),
        ("?!...,;", 10, "only punctuation"),
        ("neglect", 0, "at least 1 result"),
    ],
)
def test_queries_a_user_can_get_wrong_give_one_sentence(seed_library, query, k, message):
    with pytest.raises(QueryError, match=message):
        seed_library.search(query, k=k)


@pytest.mark.parametrize(
    "query, words",
    [('"unclosed', ()), ("neglect*", ("neglect",)), ("NEAR(abuse neglect)", ("abuse", "neglect")),
     ("-neglect", ("neglect",)), ("a AND OR NOT", ()), ("négligence des enfants", ()), ("儿童保护", ()),
     ("x" * 10_000, ()), ("domestic abuse " * 700, ("domestic", "abuse"))],
)
def test_odd_queries_are_searched_as_plain_words(seed_library, query, words):
    """FTS syntax in a query is taken literally: "neglect*" finds the word neglect."""
    for mode in ("hybrid", "keyword", "semantic"):
        hits = seed_library.search(query, k=5, mode=mode)
        assert len({h.paragraph.id for h in hits}) == len(hits) <= 5
        if mode == "semantic":
            assert len(hits) == 5  # a query with any letter has nearest paragraphs
        if words and mode == "keyword":
            assert hits and all(any(w in h.paragraph.text.lower() for w in words) for h in hits)


def test_k_of_a_million_is_capped(seed_library):
    assert len(seed_library.search("children", k=1_000_000)) == 200


def test_unknown_authority_is_named_with_a_suggestion(seed_library):
    with pytest.raises(QueryError, match="Unknown council 'Blackpol'. Did you mean 'Blackpool'"):
        seed_library.search("neglect", filters=Filters(authorities=("Blackpol",)))


def test_cli_search_json_fields(seed_index):
    result = CliRunner().invoke(main, ["search", "domestic abuse over-optimism", "-k", "2", "--json",
                                       "--index", str(seed_index)])
    assert result.exit_code == 0, result.output
    first = json.loads(result.output.splitlines()[0])
    assert {"id", "report_id", "authority", "report_type", "inspection_start", "inspection_end", "published",
            "number", "section", "text", "highlights", "score", "citation", "source"} <= set(first)
    assert first["id"] == P9 and first["number"] == 9 and first["inspection_start"] == "2022-01-24"


def test_cli_bad_filter_is_one_line(seed_index):
    result = CliRunner().invoke(main, ["search", "neglect", "--judgement", "care_leavers", "--index", str(seed_index)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: --judgement takes KEY=GRADE")


def test_fts_query_quotes_syntax_and_adds_derivational_prefix():
    assert fts_query(keyword_terms('optimistic "NEAR"')) == '"optimistic" OR optim* OR "near"'


def test_fuse_is_reciprocal_rank_fusion_worked_by_hand():
    # k=30, semantic weight 0.5, keyword weight 1: row 1 = 0.5/31 + 1/32, row 3 = 1/31,
    # row 2 = 0.5/32; so 1 (0.0474) > 3 (0.0323) > 2 (0.0156).
    fused = fuse([(1, 0.9), (2, 0.5)], [(3, 9.0), (1, 8.0)], SearchTuning(rrf_k=30, semantic_weight=0.5))
    assert [rowid for rowid, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(0.5 / 31 + 1 / 32)
    assert fused[2][1] == pytest.approx(0.5 / 32)


def test_fusion_follows_the_tuning_it_is_given():
    # Semantic weight 3: row 2 = 3/32 now beats row 3 = 1/31.
    fused = fuse([(1, 0.9), (2, 0.5)], [(3, 9.0), (1, 8.0)], SearchTuning(semantic_weight=3.0))
    assert [rowid for rowid, _ in fused] == [1, 2, 3]
    assert fused[1][1] == pytest.approx(3 / 32)


def test_ranking_without_the_join_leaves_out_boilerplate_as_the_join_does(seed_library):
    """Unfiltered keyword search ranks in FTS5 alone and drops boilerplate afterwards; the
    paragraphs and their order are those the join with the paragraphs table gives."""
    from findings.store import ParagraphScope

    store, snapshot = seed_library.store, seed_library.snapshot()
    match = fts_query(keyword_terms("Ofsted inspection children local authority licence"))
    boilerplate = set(snapshot.rowids.tolist()) - set(snapshot.plain_rowids.tolist())
    everything = [r for r, _ in store.keyword_search(match, 400, ParagraphScope(include_boilerplate=True))]
    assert boilerplate & set(everything[:20])  # boilerplate ranks high for this query
    expected = [r for r in everything if r not in boilerplate][:40]
    joined = store.keyword_search(match, 40, ParagraphScope())
    alone = store.keyword_search(match, 40, ParagraphScope(), allowed=snapshot.scope_rowids(False))
    assert [r for r, _ in joined] == expected == [r for r, _ in alone]


def test_words_in_half_the_paragraphs_are_not_matched_when_rarer_ones_are_there(seed_library):
    """BM25 gives such words no weight: leaving them out changes no ranking, only the time."""
    from findings.search import keyword_candidates, paragraph_scope

    store, snapshot = seed_library.store, seed_library.snapshot()
    scope = paragraph_scope(snapshot, Filters())
    assert store.common_terms(["children", "leavers"]) == {"children"}  # in 50% or more
    both = keyword_candidates(store, ["children", "leavers"], scope, 30)
    rare = store.keyword_search(fts_query(["leavers"]), 30, scope)
    assert [r for r, _ in both] == [r for r, _ in rare]
    full = store.keyword_search(fts_query(["children", "leavers"]), len(rare), scope)
    assert {r for r, _ in full} == {r for r, _ in rare}  # the same paragraphs lead with it
    only_common = keyword_candidates(store, ["children"], scope, 30)
    assert len(only_common) == 30  # a query of common words alone still matches them
