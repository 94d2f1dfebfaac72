"""Query -> keyword (FTS5 BM25) + semantic (FAISS) -> fusion -> filters -> highlights -> hits.

`search(sources, query, k, mode, filters)` is the one entry point; it reads only what it is
given (`SearchSources`: a store, a snapshot of the reports, and for semantic search a vector
index and an embedder), so it can be tested with small fakes and tuned by passing another
`SearchTuning`.  Filters are applied inside both retrievers (SQL for keywords, a mask for
FAISS), so a narrow filter never starves the result list.  The two retrievers are public
(`keyword_candidates`, `semantic_candidates`) for `similar` and the tuning benches.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from findings.citations import citation
from findings.config import SearchTuning
from findings.errors import QueryError
from findings.keyword_rank import derivational_prefix
from findings.models import Hit, Paragraph, Report
from findings.store import ParagraphScope, Snapshot, Store
from findings.store_vectors import WINDOW_BITS, paragraph_rowid
from findings.vocabulary import GRADES, JUDGEMENT_KEYS, MODES, REPORT_TYPES, STOPWORDS

if TYPE_CHECKING:
    from findings.embedding import Embedder
    from findings.glossary import Expansion
    from findings.vectors import SearchResult, VectorIndex

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
MAX_K = 200
MAX_FILTER_VALUES = 200
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Filters:
    """What to search within. Empty means everything (boilerplate excluded unless asked for)."""

    authorities: tuple[str, ...] = ()
    from_year: int | None = None
    to_year: int | None = None
    report_types: tuple[str, ...] = ()
    judgements: tuple[tuple[str, str], ...] = ()  # (key, grade): e.g. ("care_leavers", "inadequate")
    sections: tuple[str, ...] = ()  # words a section heading contains, e.g. "care leavers"
    region_of: str | None = None  # this council and the others in its region
    neighbours_of: str | None = None  # this council and its ten statistical neighbours
    include_boilerplate: bool = False
    report_ids: tuple[str, ...] = ()
    exclude_authorities: tuple[str, ...] = field(default=())
    tags: tuple[str, ...] = ()  # only paragraphs tagged so: ("weakness",) for areas for improvement


@dataclass(frozen=True)
class SearchSources:
    """What a search reads.  `index` and `embedder` may be None for keyword search."""

    store: Store
    snapshot: Snapshot
    index: VectorIndex | None = None
    embedder: Embedder | None = None
    tuning: SearchTuning = field(default_factory=SearchTuning)


def search(
    sources: SearchSources,
    query: str,
    k: int = 10,
    mode: str = "hybrid",
    filters: Filters | None = None,
    expansion: Expansion | None = None,
) -> list[Hit]:
    """The k best paragraphs for a query, best first.  An `expansion` (`Glossary.expand`) adds
    the report wording of the query's phrases to both retrievers."""
    query = check_query(query)
    k = check_k(k)
    if mode not in MODES:
        raise QueryError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
    filters = filters or Filters()
    scope = paragraph_scope(sources.snapshot, filters)
    if scope is None:
        return []
    terms = keyword_terms(query)
    if mode == "keyword" and not terms:
        raise QueryError("the query has no words to match; type some words, not only punctuation")
    tuning = sources.tuning
    pool = max(tuning.pool, k * 2)
    phrases = expansion.phrases if expansion else []
    if mode != "keyword" and (sources.index is None or sources.embedder is None):
        raise ValueError("semantic and hybrid search need a vector index and an embedder")
    keyword: Future | None = None
    allowed = scope_rowids(sources, scope)
    if mode != "semantic" and terms:
        # In hybrid mode the keyword ranking runs on a second core while the query is embedded
        # and the vectors searched (both release the GIL).
        keyword = _keyword_worker().submit(
            keyword_candidates, sources.store, terms, scope, pool, phrases, allowed
        )
    semantic, vector = [], None
    if mode != "keyword":
        vector = query_vector(sources.embedder, query, expansion)
        found = semantic_candidates(sources.index, vector, allowed, pool * 3)
        semantic = paragraph_scores(sources.index, vector, found, tuning.whole_weight)[:pool]
    keyword = keyword.result() if keyword is not None else []
    ranked = (fuse(semantic, keyword, tuning) if mode == "hybrid" else semantic or keyword)[:k]
    similarity = {}
    if vector is not None and ranked:
        similarity = similarities(sources.store, sources.embedder.name, vector, [r for r, _ in ranked], tuning)
    matched = " ".join([query, *phrases])  # what highlights are chosen by
    return _hits(sources, matched, ranked, similarity)


@functools.cache
def _keyword_worker() -> ThreadPoolExecutor:
    """Threads for the keyword retriever (each keeps its own SQLite connection)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="findings-keyword")


def similarities(
    store: Store, model: str, vector: np.ndarray, rowids: Sequence[int], tuning: SearchTuning
) -> dict[int, float]:
    """How close each paragraph is to the query, on one scale for every query and mode: the
    semantic score (whole paragraph and best clause, as `paragraph_scores`), from the stored
    vectors.  What the match-strength labels are calibrated on."""
    ids, matrix = store.paragraph_vectors(model, list(rowids))
    if ids.size == 0:
        return {}
    cosines = matrix @ vector
    owners = ids >> WINDOW_BITS
    result = {}
    for rowid in set(owners.tolist()):
        mine = owners == rowid
        whole = cosines[mine & ((ids & ((1 << WINDOW_BITS) - 1)) == 0)]
        best = float(cosines[mine].max())
        result[rowid] = tuning.whole_weight * float(whole[0] if whole.size else best) + (1 - tuning.whole_weight) * best
    return result


def find_paragraph(store: Store, paragraph_id: str) -> tuple[int, Paragraph, Report]:
    """(rowid, paragraph, report) for a paragraph id; QueryError naming an unknown id."""
    rowid = store.rowid_of(paragraph_id)
    paragraph = store.paragraph(paragraph_id)
    report = store.report(paragraph.report_id) if paragraph else None
    if rowid is None or paragraph is None or report is None:
        raise QueryError(f"no paragraph with id '{paragraph_id}' (see `findings paragraphs REPORT_ID`)")
    return rowid, paragraph, report


# --- checks -------------------------------------------------------------------------------


def check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QueryError("type a few words to search for; the query is empty")
    query = " ".join(query.split())
    if len(query) > MAX_QUERY_CHARS:
        logger.warning("The query was cut to its first %d characters.", MAX_QUERY_CHARS)
        query = query[:MAX_QUERY_CHARS]
    if not any(ch.isalnum() for ch in query):
        raise QueryError("the query has no words to match; type some words, not only punctuation")
    return query


def check_k(k: int) -> int:
    try:
        k = int(k)
    except (TypeError, ValueError) as exc:
        raise QueryError(f"the number of results must be a whole number, not {k!r}") from exc
    if k < 1:
        raise QueryError("ask for at least 1 result")
    if k > MAX_K:
        logger.warning("At most %d results are returned; asked for %d.", MAX_K, k)
    return min(k, MAX_K)


def check_filters(filters: Filters) -> Filters:
    """Validate user-entered filters; canonical council names; one clear sentence if wrong."""
    from findings.councils import canonical_authority, council

    values = [*filters.authorities, *filters.report_types, *filters.sections, *filters.judgements]
    if len(values) > MAX_FILTER_VALUES:
        raise QueryError(f"too many filter values ({len(values)}); the limit is {MAX_FILTER_VALUES}")
    names = []
    for name in filters.authorities:
        canonical = canonical_authority(name)
        if canonical is None:
            council(name)  # raises ValueError with a suggestion
        names.append(canonical)
    for kind in filters.report_types:
        if kind not in REPORT_TYPES:
            raise QueryError(f"unknown report type '{kind}': use one of {', '.join(REPORT_TYPES)}")
    for key, grade in filters.judgements:
        if key not in JUDGEMENT_KEYS:
            raise QueryError(f"unknown judgement '{key}': use one of {', '.join(JUDGEMENT_KEYS)}")
        if grade not in GRADES:
            raise QueryError(f"unknown grade '{grade}': use one of {', '.join(GRADES)}")
    for name in (filters.region_of, filters.neighbours_of):
        if name:
            council(name)
    from findings.tagging import TAGS

    for tag in filters.tags:
        if tag not in TAGS:
            raise QueryError(f"unknown tag '{tag}': use one of {', '.join(TAGS)}")
    if filters.from_year and filters.to_year and filters.from_year > filters.to_year:
        raise QueryError(f"the year range {filters.from_year}-{filters.to_year} is back to front")
    return replace(filters, authorities=tuple(names))


def allowed_reports(reports: dict[str, Report], filters: Filters) -> set[str]:
    """Ids of the reports that pass the report-level filters."""
    from findings.councils import council, same_region, statistical_neighbours

    try:
        filters = check_filters(filters)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    councils: set[str] | None = set(filters.authorities) if filters.authorities else None
    for name, expand in ((filters.region_of, same_region), (filters.neighbours_of, statistical_neighbours)):
        if name:
            group = set(expand(name)) | {council(name).name}
            councils = group if councils is None else councils & group
    excluded = set(filters.exclude_authorities)
    allowed = set()
    for report in reports.values():
        meta = report.meta
        if councils is not None and meta.authority not in councils:
            continue
        if meta.authority in excluded:
            continue
        if filters.report_ids and report.id not in filters.report_ids:
            continue
        year = meta.year
        if filters.from_year and (year is None or year < filters.from_year):
            continue
        if filters.to_year and (year is None or year > filters.to_year):
            continue
        if filters.report_types and meta.report_type not in filters.report_types:
            continue
        if any(meta.judgements.get(key) != grade for key, grade in filters.judgements):
            continue
        allowed.add(report.id)
    return allowed


def paragraph_scope(snapshot: Snapshot, filters: Filters) -> ParagraphScope | None:
    """The paragraphs the filters leave, or None when they leave no report at all."""
    allowed = allowed_reports(dict(snapshot.reports), filters)
    if not allowed:
        return None
    everything = len(allowed) == len(snapshot.reports)
    return ParagraphScope(
        report_ids=None if everything else frozenset(allowed),
        include_boilerplate=filters.include_boilerplate,
        sections=tuple(filters.sections),
        tags=tuple(filters.tags),
    )


def scope_rowids(sources: SearchSources, scope: ParagraphScope) -> np.ndarray:
    """Rowids of the paragraphs in a scope, ascending (from the snapshot when no filter
    narrows it)."""
    if scope.everything:
        return sources.snapshot.scope_rowids(scope.include_boilerplate)
    return np.sort(np.fromiter(sources.store.scoped_rowids(scope), dtype=np.int64))


# --- retrievers -----------------------------------------------------------------------------


def keyword_terms(query: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(query)]
    content = [w for w in words if w not in STOPWORDS]
    return list(dict.fromkeys(content or words))


def fts_query(terms: list[str], phrases: Sequence[str] = ()) -> str:
    """An FTS5 expression that matches any term, or a derivational relative of it, or any of
    the glossary's `phrases` (each as a phrase): `fts_parts` joined by OR."""
    return " OR ".join(fts_parts(terms, phrases))


def fts_parts(terms: list[str], phrases: Sequence[str] = ()) -> list[str]:
    """The FTS5 phrases of `fts_query`, each once.

    Quoting keeps FTS syntax characters (`"`, `*`, NEAR, `-`) literal.  The porter stemmer
    leaves "optimistic" as "optimist" but "optimism" as "optim", so each stem also gets a
    prefix query without its derivational suffix ("optim*")."""
    from findings.sentences import stem as _stem

    parts = [fts_phrase(p) for p in phrases if fts_phrase(p)]
    for term in terms:
        parts.append('"' + term.replace('"', '""') + '"')
        prefix = derivational_prefix(_stem(term))
        if prefix:
            parts.append(prefix)
    return list(dict.fromkeys(parts))


def fts_phrase(text: str) -> str:
    """A glossary phrase as an FTS5 phrase of its words ("" when it has none)."""
    words = [w.lower() for w in _WORD.findall(text)]
    return '"' + " ".join(words).replace('"', '""') + '"' if words else ""


def keyword_candidates(
    store: Store, terms: list[str], scope: ParagraphScope, pool: int, phrases: Sequence[str] = (),
    allowed: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """The `pool` best paragraphs by BM25 for any of the terms or phrases, as (rowid, score).

    Terms in half the paragraphs or more are left out when the query has rarer ones: BM25
    gives them no weight, so they change no ranking, only the time (`Store.common_terms`).
    `allowed`: the scope's rowids, sorted (see `Store.keyword_search`)."""
    if not terms and not phrases:
        return []
    common = store.common_terms([*terms, *(fts_phrase(p) for p in phrases)])
    rare_terms = [t for t in terms if t not in common]
    rare_phrases = [p for p in phrases if fts_phrase(p) not in common]
    if rare_terms or rare_phrases:
        terms, phrases = rare_terms, rare_phrases
    return store.keyword_search(fts_parts(terms, phrases), pool, scope, allowed)


def query_vector(embedder: Embedder, query: str, expansion: Expansion | None = None) -> np.ndarray:
    """The query's vector; with a glossary expansion, the mean of the query as typed and the
    query in report wording ("kids who run away" beside "children who go missing")."""
    vector = embedder.encode_query(query)
    rewritten = expansion.rewritten if expansion else query
    if rewritten.strip().lower() == query.strip().lower():
        return vector
    both = vector + embedder.encode_query(rewritten)
    return (both / max(float(np.linalg.norm(both)), 1e-12)).astype(np.float32)


def semantic_candidates(index: VectorIndex, vector: np.ndarray, rowids: np.ndarray, n: int) -> SearchResult:
    """The `n` nearest vectors (windows and clauses) among those of the paragraphs `rowids`.

    The vectors of removed paragraphs that an HNSW index still holds are never among them."""
    return index.search_masked(vector, n, vector_mask(index, rowids))


def vector_mask(index: VectorIndex, rowids: np.ndarray) -> np.ndarray:
    """True for each vector (in the order of `index.ids`) that belongs to one of `rowids`.

    A lookup table indexed by rowid: one pass over the vectors, where `np.isin` sorted them
    on every query (about 10 ms at 20,000 vectors, 100 ms at 1,000,000)."""
    vector_rowids = index.ids >> WINDOW_BITS
    if rowids.size == 0 or vector_rowids.size == 0:
        return np.zeros(vector_rowids.shape[0], dtype=bool)
    table = np.zeros(int(max(vector_rowids.max(), rowids.max())) + 1, dtype=bool)
    table[rowids] = True
    return table[vector_rowids]


def paragraph_scores(
    index: VectorIndex, vector: np.ndarray, found: SearchResult, whole_weight: float
) -> list[tuple[int, float]]:
    """Score each paragraph among the retrieved vectors: `whole_weight` times its whole-paragraph
    cosine (window 0) plus the rest times its best window or clause, best first.

    Measured with bench/aggregation.py (semantic / hybrid nDCG@10 on the development set):
    whole paragraph alone 0.693 / 0.754, best clause alone 0.561 / 0.737, equal weights
    0.720 / 0.755, whole weight 0.3: 0.679 / 0.748."""
    best: dict[int, float] = {}
    for vid, score in zip(found.ids.tolist(), found.scores.tolist(), strict=True):
        rowid = paragraph_rowid(vid)
        if score > best.get(rowid, -np.inf):
            best[rowid] = score
    if not best:
        return []
    rowids = np.fromiter(best, dtype=np.int64, count=len(best))
    whole = index.reconstruct_batch(rowids << WINDOW_BITS) @ vector
    fused = {
        rowid: whole_weight * float(w) + (1 - whole_weight) * best[rowid]
        for rowid, w in zip(rowids.tolist(), whole, strict=True)
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def fuse(
    semantic: list[tuple[int, float]], keyword: list[tuple[int, float]], tuning: SearchTuning
) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of a semantic and a keyword ranking of (rowid, score)."""
    return fuse_lists([(tuning.semantic_weight, semantic), (tuning.keyword_weight, keyword)], tuning.rrf_k)


def fuse_lists(lists: Sequence[tuple[float, list[tuple[int, float]]]], rrf_k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: each paragraph scores sum(weight / (rrf_k + rank))."""
    fused: dict[int, float] = {}
    for weight, ranked in lists:
        for rank, (rowid, _) in enumerate(ranked, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + weight / (rrf_k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


# --- hits -----------------------------------------------------------------------------------


def make_hit(
    paragraph: Paragraph, report: Report, score: float, highlights, similarity: float | None = None,
    matched: str = "",
) -> Hit:
    """A hit with its citation and the judgement its section reports on."""
    from findings.citations import section_judgement

    key = section_judgement(paragraph.section)
    grade = report.meta.judgements.get(key) if key else None
    return Hit(
        paragraph=paragraph,
        report=report,
        score=float(score),
        highlights=tuple(highlights),
        citation=citation(report, paragraph),
        section_judgement=key if grade else None,
        section_grade=grade,
        similarity=similarity,
        matched=matched,
    )


def _hits(
    sources: SearchSources, matched: str, ranked: list[tuple[int, float]], similarity: dict[int, float]
) -> list[Hit]:
    from findings.sentences import best_sentences

    paragraphs = sources.store.paragraphs_by_rowid([rowid for rowid, _ in ranked])
    hits = []
    for rowid, score in ranked:
        paragraph: Paragraph | None = paragraphs.get(rowid)
        report = sources.snapshot.reports.get(paragraph.report_id) if paragraph is not None else None
        if report is None:  # removed, or added by an ingest, since this search began
            continue
        highlights = best_sentences(paragraph.text, matched)
        hits.append(make_hit(paragraph, report, score, highlights, similarity.get(rowid), matched))
    return hits
