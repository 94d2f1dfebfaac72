"""Similar findings in other councils: grouping, exclusions, filters, a brute-force oracle, CLI.

Unit tests use the fake embedder on the seeds (plus synthetic reports for more councils);
`model` tests use the real model on the seeds; the `corpus` test indexes the seeds and 16
corpus reports that discuss domestic abuse, and prints the top matches for p9.
"""

from __future__ import annotations

import glob
import hashlib
import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder, fake_seed_library

from findings.citations import citation, section_judgement
from findings.cli import main
from findings.config import Settings
from findings.errors import QueryError
from findings.ingest import embed_new
from findings.library import Library
from findings.models import Paragraph, Report, ReportMeta
from findings.store_vectors import WINDOW_BITS

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
P9 = "blackburn-with-darwen-2022-ilacs:p9"
HOME = "Blackburn with Darwen"


def add_report(library: Library, authority: str, texts: list[str], year: int = 2023) -> str:
    """Store a synthetic ILACS report for `authority` with one numbered paragraph per text."""
    report_id = f"{authority.lower().replace(' ', '-')}-{year}-synthetic"
    paragraphs = [
        Paragraph(report_id, f"p{n}", n, "numbered", "Help and protection", 1, n, text)
        for n, text in enumerate(texts, start=1)
    ]
    meta = ReportMeta(
        authority=authority, report_type="ilacs_standard", title=f"Inspection of {authority}",
        inspection_start=date(year, 3, 1), inspection_end=date(year, 3, 12),
        judgements={"help_and_protection": "good"},
    )
    digest = hashlib.sha256("".join(texts).encode()).hexdigest()
    report = Report(report_id, f"/synthetic/{report_id}.txt", digest, meta, 1, len(texts))
    vectors = list(embed_new(paragraphs, library.store, library.embedder))
    library.store.put_report(report, paragraphs, vectors)
    return report_id


@pytest.fixture(scope="module")
def seeds_library(tmp_path_factory) -> Library:
    return fake_seed_library(tmp_path_factory.mktemp("similar-seeds"))


@pytest.fixture
def library(tmp_path) -> Library:
    """A fresh fake-embedded seed index the test may change."""
    library = Library(Settings(index_dir=tmp_path / "index", model="fake"), embedder=FakeEmbedder())
    assert not library.ingest([SEEDS]).failed
    return library


def all_hits(groups):
    return [hit for group in groups for hit in group.hits]


def test_p9_finds_only_other_councils_grouped_and_ordered(seeds_library):
    groups = seeds_library.similar(P9, k=5, per_council=4)
    assert [g.authority for g in groups] == ["Blackpool"]
    for group in groups:
        assert 1 <= len(group.hits) <= 4
        assert {h.report.meta.authority for h in group.hits} == {group.authority}
        scores = [h.score for h in group.hits]
        assert scores == sorted(scores, reverse=True)
    for hit in all_hits(groups):
        assert hit.paragraph.id != P9 and not hit.paragraph.boilerplate
        assert hit.citation == citation(hit.report, hit.paragraph)
        key = section_judgement(hit.paragraph.section)
        assert hit.section_grade == (hit.report.meta.judgements.get(key) if key else None)
        assert hit.highlights and all(s in " ".join(hit.paragraph.text.split()) for s in hit.highlights)


def test_matches_brute_force_cosine_oracle(seeds_library):
    """Each group's hits and scores equal a brute-force max-over-windows cosine ranking."""
    store, name = seeds_library.store, seeds_library.embedder.name
    source_rowid = store.rowid_of(P9)
    ids, matrix = store.paragraph_vectors(name)
    rowids = ids >> WINDOW_BITS
    query = matrix[(rowids == source_rowid) & ((ids & ((1 << WINDOW_BITS) - 1)) == 0)][0]
    cosines = matrix @ query
    best: dict[int, float] = {}
    for rowid, score in zip(rowids.tolist(), cosines.tolist(), strict=True):
        best[rowid] = max(best.get(rowid, -1.0), score)
    paragraphs = store.paragraphs_by_rowid(list(best))
    reports = {r.id: r for r in store.reports()}
    expected: dict[str, list[tuple[str, float]]] = {}
    for rowid, score in sorted(best.items(), key=lambda item: (-item[1], item[0])):
        paragraph = paragraphs[rowid]
        authority = reports[paragraph.report_id].meta.authority
        if rowid == source_rowid or paragraph.boilerplate or authority == HOME:
            continue
        expected.setdefault(authority, []).append((paragraph.id, score))
    groups = seeds_library.similar(P9, k=10, per_council=5)
    got = {g.authority: [(h.paragraph.id, h.score) for h in g.hits] for g in groups}
    assert list(got) == list(expected)
    for authority, hits in got.items():
        want = expected[authority][:5]
        assert [h[0] for h in hits] == [w[0] for w in want]
        # The index holds float16 codes, the oracle the stored float16 vectors renormalised.
        np.testing.assert_allclose([h[1] for h in hits], [w[1] for w in want], atol=1e-3)


def test_same_council_only_when_asked_and_never_the_source(seeds_library):
    groups = seeds_library.similar(P9, k=10, per_council=50, include_same_council=True)
    authorities = {g.authority for g in groups}
    assert authorities == {HOME, "Blackpool"}
    assert P9 not in {h.paragraph.id for h in all_hits(groups)}


def test_pasted_text_searches_every_council_but_has_no_neighbours(seeds_library):
    text = "Over-optimism about parental capacity to change leaves children exposed to domestic abuse."
    groups = seeds_library.similar(text, k=10)
    assert {g.authority for g in groups} == {HOME, "Blackpool"}
    best = [g.best for g in groups]
    assert best == sorted(best, reverse=True)
    for flag in ("neighbours", "region"):
        with pytest.raises(QueryError, match="pasted text has no council"):
            seeds_library.similar(text, **{flag: True})


def test_neighbours_and_region_of_the_source_council(library):
    # Blackpool is in Blackburn with Darwen's region but not among its statistical neighbours.
    assert [g.authority for g in library.similar(P9, region=True)] == ["Blackpool"]
    assert library.similar(P9, neighbours=True) == []
    add_report(library, "Oldham", ["Domestic abuse responses are inconsistent and over-optimistic."])
    assert [g.authority for g in library.similar(P9, neighbours=True)] == ["Oldham"]
    assert "Oldham" in [g.authority for g in library.similar(P9, region=True)]


def test_year_type_and_similarity_filters(seeds_library):
    assert seeds_library.similar(P9, to_year=2011) == []
    assert [g.authority for g in seeds_library.similar(P9, from_year=2012, to_year=2012)] == ["Blackpool"]
    sif = seeds_library.similar(P9, include_same_council=True, report_types=("sif",), per_council=20)
    assert {h.report.meta.report_type for h in all_hits(sif)} == {"sif"}
    floor = 0.5
    assert all(h.score >= floor for h in all_hits(seeds_library.similar(P9, min_similarity=floor)))
    assert seeds_library.similar(P9, min_similarity=0.999) == []


def test_k_groups_by_best_match_and_a_prolific_council_does_not_crowd_out_others(library):
    source = library.store.paragraphs_by_rowid([library.store.rowid_of(P9)])
    p9_text = next(iter(source.values())).text
    # 150 near-copies of p9 in one council fill the first FAISS pool on their own.
    add_report(library, "Bolton", [f"{p9_text} Case {n}." for n in range(150)])
    add_report(library, "Oldham", ["Written agreements are over-relied on where domestic abuse recurs."])
    add_report(library, "Cornwall", ["Children in care enjoy a wide range of leisure activities."])
    groups = library.similar(P9, k=3, per_council=2)
    assert len(groups) == 3
    assert groups[0].authority == "Bolton" and len(groups[0].hits) == 2
    best = [g.best for g in groups]
    assert best == sorted(best, reverse=True)
    assert "Oldham" in {g.authority for g in library.similar(P9, k=10)}
    assert len(library.similar(P9, k=1)) == 1


def test_unknown_id_and_bad_arguments_are_one_sentence(seeds_library):
    with pytest.raises(QueryError, match="no paragraph with id 'nowhere-2020-ilacs:p1'"):
        seeds_library.similar("nowhere-2020-ilacs:p1")
    with pytest.raises(QueryError):
        seeds_library.similar("   ")
    with pytest.raises(QueryError):
        seeds_library.similar(P9, per_council=0)
    with pytest.raises(QueryError):
        seeds_library.similar(P9, min_similarity=2.0)


def test_paragraph_without_stored_vector_is_embedded(library):
    """With its stored vectors damaged (say, a bad disk page), the paragraph's text is embedded."""
    before = [(h.paragraph.id, h.score) for h in all_hits(library.similar(P9))]
    library.store.db.execute(
        "UPDATE embeddings SET vectors = substr(vectors, 1, 10) WHERE text_hash ="
        " (SELECT text_hash FROM paragraphs WHERE id = ?)",
        (P9,),
    )
    assert library.store.paragraph_vector(library.store.rowid_of(P9), FakeEmbedder.name) is None
    after = [(h.paragraph.id, h.score) for h in all_hits(library.similar(P9))]
    assert [a[0] for a in after] == [b[0] for b in before]
    # the stored vector was kept in 8 bits, the fresh one is float32
    np.testing.assert_allclose([a[1] for a in after], [b[1] for b in before], atol=2e-3)


def test_cli_similar_json_has_hit_fields_group_and_rank(library, monkeypatch):
    monkeypatch.setattr("findings.embedding.load_embedder", lambda *a, **k: FakeEmbedder())
    add_report(library, "Oldham", ["Domestic abuse responses are inconsistent and over-optimistic."])
    runner = CliRunner()
    index = str(library.settings.index_dir)
    result = runner.invoke(
        main,
        ["similar", P9, "--index", index, "--json", "-k", "5"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {r["group"] for r in rows} == {"Oldham", "Blackpool"}
    assert all(r["group"] == r["authority"] for r in rows)
    ranks = [r["group_rank"] for r in rows]
    assert ranks == sorted(ranks) and set(ranks) == {1, 2}
    assert {"id", "citation", "highlights", "score", "section_grade", "source"} <= set(rows[0])
    text = runner.invoke(main, ["similar", P9, "--index", index])
    assert text.exit_code == 0 and "1. " in text.output
    bad = runner.invoke(main, ["similar", "some text", "--region", "--index", index])
    assert bad.exit_code == 1 and "pasted text has no council" in bad.output


# --- real model ---------------------------------------------------------------------------


@pytest.mark.model
def test_real_model_p9_returns_blackpool_grouped(seed_library):
    groups = seed_library.similar(P9, k=10, per_council=3)
    assert [g.authority for g in groups] == ["Blackpool"]
    hits = groups[0].hits
    assert len(hits) == 3 and all(h.report.meta.authority == "Blackpool" for h in hits)
    assert hits[0].score > 0.4
    assert any("domestic" in h.paragraph.text.lower() for h in hits)


# --- corpus ---------------------------------------------------------------------------------

# Sixteen ILACS reports that discuss domestic abuse, chosen for short reports, a spread of
# regions and five of Blackburn with Darwen's statistical neighbours; plus a later Blackburn
# report, which must never appear.  About 2,000 paragraphs, embedded in ~2.5 minutes of CPU.
CORPUS_PICKS = (
    ("barking and dagenham", "01 april 2019"), ("blackburn with darwen", "23 april 2025"),
    ("blackpool", "28 july 2026"), ("bolton", "27 october 2023"), ("bradford", "31 january 2023"),
    ("derby", "11 may 2022"), ("hackney", "20 december 2019"), ("kirklees", "28 august 2024"),
    ("medway", "27 august 2019"), ("oldham", "12 july 2024"), ("peterborough", "06 august 2018"),
    ("redbridge", "23 july 2024"), ("rochdale", "17 march 2023"), ("stockport", "15 july 2025"),
    ("warrington", "30 july 2024"), ("west berkshire", "28 october 2025"),
)


@pytest.fixture(scope="session")
def corpus_library(corpus, tmp_path_factory, embedder) -> Library:
    paths = []
    for council, published in CORPUS_PICKS:
        pattern = str(corpus / "ilacs" / f"*_{council}" / f"children's services inspection - {published}.pdf")
        found = glob.glob(pattern)
        assert len(found) == 1, pattern
        paths.append(found[0])
    folder = tmp_path_factory.mktemp("similar-corpus")
    library = Library(Settings.load(folder), embedder=embedder)
    summary = library.ingest([SEEDS, *paths])
    assert not summary.failed, summary.failed
    return library


@pytest.mark.model
@pytest.mark.corpus
def test_corpus_top_matches_for_p9_are_domestic_abuse_in_other_councils(corpus_library):
    groups = corpus_library.similar(P9, k=10, per_council=3)
    assert len(groups) == 10
    assert HOME not in {g.authority for g in groups}
    top = [g.hits[0] for g in groups[:5]]
    print("\nTop five similar findings for", P9)
    for hit in top:
        print(f"- {hit.report.meta.authority} | {hit.citation} | {hit.score:.3f} | {hit.highlights[0]}")
    about = [h for h in top if "domestic abuse" in h.paragraph.text.lower()]
    assert len(about) >= 4, [h.citation for h in top]
    neighbours = corpus_library.similar(P9, k=10, neighbours=True)
    from findings.councils import statistical_neighbours

    assert neighbours and {g.authority for g in neighbours} <= set(statistical_neighbours(HOME))
