"""Keyword ranking from postings in memory (findings.keyword_rank) against its oracle, FTS5's
own `ORDER BY bm25(...)`, on the seeds' real paragraphs."""

from __future__ import annotations

import shutil

import pytest

from findings.search import fts_parts, keyword_terms
from findings.store import Store

pytestmark = pytest.mark.model

QUERIES = [
    ("domestic abuse over-optimism", ()),
    ("care leavers personal adviser", ()),
    ("optimistic social workers", ()),  # prefix parts: optim*, soci*
    ("children", ()),  # a word in most paragraphs: its idf is floored
    ("pre-proceedings delay neglect", ("public law outline",)),  # a glossary phrase
    ('"NEAR" Ofsted inspection licence', ()),  # FTS syntax kept literal; boilerplate words
    ("zxqv unheardof", ()),  # matches nothing
]


def _oracle(store: Store, parts: list[str], limit: int, allowed) -> list[tuple[int, float]]:
    return store._keyword_search_alone(" OR ".join(parts), limit, allowed)


def _agree(ours: list[tuple[int, float]], oracle: list[tuple[int, float]]) -> None:
    """The same paragraphs with the same scores, in the same order except among equal scores."""
    assert len(ours) == len(oracle)
    assert [s for _, s in ours] == pytest.approx([s for _, s in oracle], rel=1e-9, abs=1e-12)
    if oracle:
        last = oracle[-1][1]
        assert {r for r, s in ours if s > last + 1e-9} == {r for r, s in oracle if s > last + 1e-9}
        scores = dict(oracle)
        assert all(scores.get(r, last) == pytest.approx(s, abs=1e-9) for r, s in ours)


@pytest.mark.parametrize(("query", "phrases"), QUERIES)
def test_scores_and_order_are_fts5s_bm25(seed_library, query, phrases):
    store, snapshot = seed_library.store, seed_library.snapshot()
    parts = fts_parts(keyword_terms(query), phrases)
    for allowed in (snapshot.scope_rowids(False), snapshot.scope_rowids(True)):
        ours = store.keyword_search(parts, 60, allowed=allowed)
        _agree(ours, _oracle(store, parts, 60, allowed))


def test_the_2022_paragraph_on_over_optimism_leads(seed_library):
    store, snapshot = seed_library.store, seed_library.snapshot()
    parts = fts_parts(keyword_terms("over-optimism parental capacity"))
    best, _ = store.keyword_search(parts, 5, allowed=snapshot.scope_rowids(False))[0]
    assert store.paragraphs_by_rowid([best])[best].id == "blackburn-with-darwen-2022-ilacs:p9"


def test_a_removed_report_leaves_the_ranking_at_once(seed_index, tmp_path):
    """The postings are kept per store generation: after a change the next query reads anew."""
    folder = tmp_path / "index"
    shutil.copytree(seed_index, folder)
    store = Store(folder, create=False)
    snapshot = store.snapshot()
    parts = fts_parts(keyword_terms("care leavers personal adviser"))
    before = store.keyword_search(parts, 30, allowed=snapshot.scope_rowids(False))
    owners = {r: p.report_id for r, p in store.paragraphs_by_rowid([r for r, _ in before]).items()}
    assert "blackburn-with-darwen-2022-ilacs" in owners.values()
    assert store.remove_report("blackburn-with-darwen-2022-ilacs")
    after = store.keyword_search(parts, 30, allowed=snapshot.scope_rowids(False))
    removed = {r for r, owner in owners.items() if owner == "blackburn-with-darwen-2022-ilacs"}
    assert not removed & {r for r, _ in after}
    _agree(after, _oracle(store, parts, 30, snapshot.scope_rowids(False)))
    store.close()


def test_a_filtered_ranking_is_the_one_the_join_gives(seed_library):
    """Filters (a report, a section) narrow `allowed`; the paragraphs and their order are those
    of FTS5 joined with the paragraphs table under the same filters."""
    import numpy as np

    from findings.store import ParagraphScope

    store = seed_library.store
    parts = fts_parts(keyword_terms("care leavers personal adviser pathway plans"))
    for scope in (
        ParagraphScope(report_ids=frozenset({"blackburn-with-darwen-2022-ilacs"})),
        ParagraphScope(sections=("care leavers",)),
    ):
        allowed = np.sort(np.fromiter(store.scoped_rowids(scope), dtype=np.int64))
        ours = store.keyword_search(parts, 15, scope, allowed=allowed)
        joined = store.keyword_search(" OR ".join(parts), 15, scope)
        assert ours and len(ours) == len(joined)
        _agree(ours, joined)


def test_read_ahead_holds_terms_prefixes_and_phrases_a_query_needs(seed_library):
    """After `warm` (here with a threshold for five reports, not 3,000), a query of common
    words, a derivational prefix and glossary phrases reads no postings of its own, ranks as
    FTS5 does, and the paragraph counts of its parts are FTS5's without asking it."""
    from findings.keyword_rank import KeywordRanker
    from findings.store import BM25_WEIGHTS

    store, snapshot = seed_library.store, seed_library.snapshot()
    ranker = KeywordRanker("paragraphs_fts", [float(w) for w in BM25_WEIGHTS.split(",")])
    phrases = ("care leavers", "personal adviser", "social worker")
    parts = fts_parts(keyword_terms("social workers planning services"), phrases)
    assert "soci*" in parts and '"care leavers"' in parts
    with store.reading() as db:
        generation = store.generation
        assert ranker.paragraphs_matching(db, generation, '"care"') is None  # nothing read yet
        assert ranker.warm(db, generation, [f'"{p}"' for p in phrases], least=60) > 3
        held = ranker._held
        ours = ranker.rank(db, generation, parts, 40, snapshot.scope_rowids(False))
        assert ranker._held == held, "the query read postings that were read ahead"
        for part in ('"care"', '"services"', '"care leavers"', '"personal adviser"'):
            known = ranker.paragraphs_matching(db, generation, part)
            asked = db.execute("SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH ?", [part]).fetchone()
            assert known == asked[0] > 0, part
    _agree(ours, _oracle(store, parts, 40, snapshot.scope_rowids(False)))


def test_the_library_reads_ahead_its_glossarys_phrases_while_vectors_load(seed_index, embedder, tmp_path):
    from findings.config import Settings
    from findings.library import Library

    folder = tmp_path / "index"
    shutil.copytree(seed_index, folder)
    library = Library(Settings.load(folder), embedder=embedder)
    assert library.store.keyword_read_ahead == ()
    library.vectors()
    assert '"care leavers"' in library.store.keyword_read_ahead
    assert '"independent reviewing officer"' in library.store.keyword_read_ahead
    assert not library.store.read_ahead_keywords(), "it started once, as the vectors loaded"
    library.store.close()
