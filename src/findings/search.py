"""Query -> keyword (FTS5 BM25) + semantic (FAISS) -> fusion -> filters -> highlights -> hits.

`search(library, query, k, mode, filters)` is the one entry point the CLI and the web app use.
Filters are applied inside both retrievers (SQL for keywords, an id selector for FAISS), so a
narrow filter never starves the result list.  Hybrid fusion is weighted reciprocal rank fusion;
its constants were tuned on the development query set (`findings eval`, see docs/search.md).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np

from findings.errors import QueryError
from findings.models import GRADES, JUDGEMENT_KEYS, REPORT_TYPES, Hit, Paragraph, Report
from findings.serialise import citation, section_judgement
from findings.store import WINDOW_BITS, paragraph_rowid

logger = logging.getLogger(__name__)

MODES = ("hybrid", "semantic", "keyword")
MAX_QUERY_CHARS = 1000
MAX_K = 200
MAX_FILTER_VALUES = 200
POOL = 100  # candidates taken from each retriever before fusion
# Weighted reciprocal rank fusion, weight / (RRF_K + rank), tuned on the development set with
# bench/tune_fusion.py: k=30 and semantic:keyword = 0.5:1 gave the best nDCG@10 (0.753).
RRF_K = 30
SEMANTIC_WEIGHT = 0.5
KEYWORD_WEIGHT = 1.0
WHOLE_WEIGHT = 0.3  # semantic score = 0.3 whole paragraph + 0.7 best clause (paragraph_scores)

_STOPWORDS = frozenset(
    "a an and are as at be been but by can do does for from had has have how i in into is it its"
    " me my not of on or our so than that the their them there these they this to too was we were"
    " what when where which who why will with you your".split()
)
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


def search(library, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> list[Hit]:
    """The k best paragraphs for a query, best first."""
    query = _check_query(query)
    k = _check_k(k)
    if mode not in MODES:
        raise QueryError(f"unknown mode '{mode}': use one of {', '.join(MODES)}")
    filters = filters or Filters()
    store = library.store
    reports = library.reports_by_id()
    allowed = allowed_reports(reports, filters)
    if not allowed:
        return []
    terms = keyword_terms(query)
    if mode == "keyword" and not terms:
        raise QueryError("the query has no words to match; type some words, not only punctuation")
    pool = max(POOL, k * 2)
    keyword = _keyword(store, terms, allowed, filters, pool) if mode != "semantic" and terms else []
    semantic = _semantic(library, query, allowed, filters, pool) if mode != "keyword" else []
    if mode == "hybrid":
        ranked = fuse(semantic, keyword)
    else:
        ranked = semantic or keyword
    return _hits(library, query, ranked[:k], reports)


def find_paragraph(store, paragraph_id: str) -> tuple[int, Paragraph, Report]:
    """(rowid, paragraph, report) for a paragraph id; QueryError naming an unknown id."""
    rowid = store.rowid_of(paragraph_id)
    if rowid is None:
        raise QueryError(f"no paragraph with id '{paragraph_id}' (see `findings paragraphs REPORT_ID`)")
    paragraph = store.paragraphs_by_rowid([rowid])[rowid]
    return rowid, paragraph, store.report(paragraph.report_id)


# --- checks -------------------------------------------------------------------------------


def _check_query(query: str) -> str:
    if not isinstance(query, str) or not query.strip():
        raise QueryError("type a few words to search for; the query is empty")
    query = " ".join(query.split())
    if len(query) > MAX_QUERY_CHARS:
        logger.warning("The query was cut to its first %d characters.", MAX_QUERY_CHARS)
        query = query[:MAX_QUERY_CHARS]
    if not any(ch.isalnum() for ch in query):
        raise QueryError("the query has no words to match; type some words, not only punctuation")
    return query


def _check_k(k: int) -> int:
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
    if filters.from_year and filters.to_year and filters.from_year > filters.to_year:
        raise QueryError(f"the year range {filters.from_year}-{filters.to_year} is back to front")
    from dataclasses import replace

    return replace(filters, authorities=tuple(names))


def allowed_reports(reports: dict[str, Report], filters: Filters) -> set[str]:
    """Ids of the reports that pass the report-level filters."""
    from findings.councils import council, same_region, statistical_neighbours

    def council_name(name: str) -> str:
        return council(name).name

    try:
        filters = check_filters(filters)
    except ValueError as exc:
        raise QueryError(str(exc)) from exc
    councils: set[str] | None = set(filters.authorities) if filters.authorities else None
    for name, expand in ((filters.region_of, same_region), (filters.neighbours_of, statistical_neighbours)):
        if name:
            group = set(expand(name)) | {council_name(name)}
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
        year = _year(report)
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


def _year(report: Report) -> int | None:
    when = report.meta.inspection_start or report.meta.inspection_end or report.meta.published
    return when.year if when else None


# --- retrievers -----------------------------------------------------------------------------


def keyword_terms(query: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(query)]
    content = [w for w in words if w not in _STOPWORDS]
    return list(dict.fromkeys(content or words))


_DERIVATIONAL = ("ist", "ism", "ic", "al", "ive", "ion", "ity", "ness", "ment", "ful", "ous")


def fts_query(terms: list[str]) -> str:
    """An FTS5 expression that matches any term, or a derivational relative of it.

    Quoting keeps FTS syntax characters (`"`, `*`, NEAR, `-`) literal.  The porter stemmer
    leaves "optimistic" as "optimist" but "optimism" as "optim", so each stem also gets a
    prefix query without its derivational suffix ("optim*")."""
    from findings.sentences import stem as _stem

    parts = []
    for term in terms:
        parts.append('"' + term.replace('"', '""') + '"')
        stem = _stem(term)
        for suffix in _DERIVATIONAL:
            root = stem[: -len(suffix)]
            if stem.endswith(suffix) and len(root) >= 4 and root.isalpha():
                parts.append(f"{root}*")
                break
    return " OR ".join(dict.fromkeys(parts))


def _paragraph_filter_sql(allowed: set[str], filters: Filters) -> tuple[str, list]:
    clauses, params = [], []
    marks = ",".join("?" * len(allowed))
    clauses.append(f"p.report_id IN ({marks})")
    params += sorted(allowed)
    if not filters.include_boilerplate:
        clauses.append("p.boilerplate = 0")
    if filters.sections:
        clauses.append("(" + " OR ".join("p.section LIKE ?" for _ in filters.sections) + ")")
        params += [f"%{s}%" for s in filters.sections]
    return " AND ".join(clauses), params


def _keyword(store, terms: list[str], allowed: set[str], filters: Filters, pool: int) -> list[tuple[int, float]]:
    where, params = _paragraph_filter_sql(allowed, filters)
    rows = store.db.execute(
        "SELECT f.rowid, -bm25(paragraphs_fts, 1.0, 0.3) FROM paragraphs_fts f"
        " JOIN paragraphs p ON p.rowid = f.rowid"
        f" WHERE paragraphs_fts MATCH ? AND {where}"
        " ORDER BY bm25(paragraphs_fts, 1.0, 0.3) LIMIT ?",
        [fts_query(terms), *params, pool],
    ).fetchall()
    return [(r[0], float(r[1])) for r in rows]


def _semantic(library, query: str, allowed: set[str], filters: Filters, pool: int) -> list[tuple[int, float]]:
    index = library.vectors()
    if len(index) == 0:
        return []
    vector = library.embedder.encode_query(query)
    restricted = len(allowed) < len(library.reports_by_id()) or filters.sections
    if restricted:
        where, params = _paragraph_filter_sql(allowed, filters)
        rowids = np.array(
            [r[0] for r in library.store.db.execute(f"SELECT p.rowid FROM paragraphs p WHERE {where}", params)],
            dtype=np.int64,
        )
    else:
        rowids = None
    ids, scores = _faiss_search(index, vector, pool * 3, rowids, filters.include_boilerplate, library)
    return paragraph_scores(index, vector, ids, scores)[:pool]


def paragraph_scores(index, vector: np.ndarray, ids: np.ndarray, scores: np.ndarray) -> list[tuple[int, float]]:
    """Score each paragraph among the retrieved vectors: a weighted mean of its whole-paragraph
    cosine (window 0) and its best window or clause.

    Measured with bench/aggregation.py (semantic / hybrid nDCG@10 on the development set):
    whole paragraph alone 0.693 / 0.754, best clause alone 0.561 / 0.737, equal weights
    0.720 / 0.755, whole weight 0.3: 0.679 / 0.748.  We use 0.3: equal weights lose the
    seeds' everyday-wording test ("social workers too optimistic that parents will change"
    must find "Over-optimism about parental capacity to change" in the top 3)."""
    best: dict[int, float] = {}
    for vector_id, score in zip(ids.tolist(), scores.tolist()):
        rowid = paragraph_rowid(vector_id)
        if score > best.get(rowid, -np.inf):
            best[rowid] = score
    if not best:
        return []
    rowids = np.fromiter(best, dtype=np.int64, count=len(best))
    whole = index.reconstruct_batch(rowids << WINDOW_BITS) @ vector
    fused = {
        rowid: WHOLE_WEIGHT * float(w) + (1 - WHOLE_WEIGHT) * best[rowid]
        for rowid, w in zip(rowids.tolist(), whole)
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def _faiss_search(index, vector, n, rowids, include_boilerplate, library):
    """FAISS search limited to the vectors of the given paragraphs (all when None)."""
    if rowids is None:
        if include_boilerplate:
            return index.search(vector, n)
        rowids = library.boilerplate_free_rowids()
    return index.search_masked(vector, n, _vector_mask(index, rowids))


def _vector_mask(index, rowids: np.ndarray) -> np.ndarray:
    """True for each vector (in the order of `index.ids`) that belongs to one of `rowids`.

    A lookup table indexed by rowid: one pass over the vectors, where `np.isin` sorted them
    on every query (about 10 ms at 20,000 vectors, 100 ms at 1,000,000)."""
    vector_rowids = index.ids >> WINDOW_BITS
    if rowids.size == 0 or vector_rowids.size == 0:
        return np.zeros(vector_rowids.shape[0], dtype=bool)
    table = np.zeros(int(max(vector_rowids.max(), rowids.max())) + 1, dtype=bool)
    table[rowids] = True
    return table[vector_rowids]


def fuse(semantic: list[tuple[int, float]], keyword: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion of two ranked lists of (rowid, score)."""
    fused: dict[int, float] = {}
    for weight, ranked in ((SEMANTIC_WEIGHT, semantic), (KEYWORD_WEIGHT, keyword)):
        for rank, (rowid, _) in enumerate(ranked, start=1):
            fused[rowid] = fused.get(rowid, 0.0) + weight / (RRF_K + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


# --- hits -----------------------------------------------------------------------------------


def make_hit(paragraph: Paragraph, report: Report, score: float, highlights) -> Hit:
    """A hit with its citation and the grade of the judgement its section reports on."""
    key = section_judgement(paragraph.section)
    return Hit(
        paragraph=paragraph,
        report=report,
        score=float(score),
        highlights=tuple(highlights),
        citation=citation(report, paragraph),
        section_grade=report.meta.judgements.get(key) if key else None,
    )


def _hits(library, query: str, ranked: list[tuple[int, float]], reports: dict[str, Report]) -> list[Hit]:
    from findings.sentences import best_sentences

    paragraphs = library.store.paragraphs_by_rowid([rowid for rowid, _ in ranked])
    hits = []
    for rowid, score in ranked:
        paragraph: Paragraph | None = paragraphs.get(rowid)
        report = reports.get(paragraph.report_id) if paragraph is not None else None
        if report is None:  # removed, or added by an ingest, since this search began
            continue
        highlights = best_sentences(paragraph.text, query, k=3)
        hits.append(make_hit(paragraph, report, score, highlights))
    return hits
