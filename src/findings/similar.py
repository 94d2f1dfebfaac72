"""Findings like this one in other councils: one paragraph (or pasted text) -> groups of hits.

`similar(sources, source)` takes a paragraph id ("blackburn-with-darwen-2022-ilacs:p9") or any
text, and reads only the `SearchSources` it is given.  A stored paragraph is represented by its
stored whole-paragraph vector (window 0), so nothing is re-embedded; text is embedded like a
query.  The FAISS search is search's own (`semantic_candidates`), limited by the same report
filters, and the paragraphs found are grouped by council: each
group holds that council's best few paragraphs, and groups are ordered by their best match.
The source council is left out unless asked for, and so is the source paragraph itself.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from findings.errors import QueryError
from findings.models import Hit, Paragraph, Report
from findings.search import (
    Filters,
    SearchSources,
    check_k,
    find_paragraph,
    make_hit,
    paragraph_scope,
    semantic_candidates,
)
from findings.store_vectors import paragraph_rowid

logger = logging.getLogger(__name__)

MAX_SOURCE_CHARS = 20_000  # pasted text beyond this is cut (the model reads ~256 words anyway)
_PARAGRAPH_ID = re.compile(r"^\S+:[a-z]\d+$")


@dataclass(frozen=True)
class SimilarGroup:
    """One council's paragraphs that resemble the source, best first."""

    authority: str
    hits: tuple[Hit, ...]

    @property
    def best(self) -> float:
        return self.hits[0].score if self.hits else float("-inf")


@dataclass(frozen=True)
class Source:
    """What similar paragraphs are sought for: text, its vector and, if stored, where it is."""

    text: str
    vector: np.ndarray
    rowid: int | None = None
    paragraph: Paragraph | None = None
    report: Report | None = None

    @property
    def authority(self) -> str | None:
        return self.report.meta.authority if self.report else None


def similar(
    sources: SearchSources,
    source: str,
    *,
    k: int = 10,
    per_council: int = 3,
    neighbours: bool = False,
    region: bool = False,
    include_same_council: bool = False,
    from_year: int | None = None,
    to_year: int | None = None,
    report_types: tuple[str, ...] = (),
    min_similarity: float = 0.0,
) -> list[SimilarGroup]:
    """Up to `k` councils with paragraphs like `source`, each with its best `per_council`."""
    k = check_k(k)
    if int(per_council) < 1:
        raise QueryError("ask for at least 1 paragraph per council")
    if not -1.0 <= float(min_similarity) <= 1.0:
        raise QueryError(
            f"the minimum similarity is a cosine between -1 and 1, not {min_similarity}"
        )
    found = resolve_source(sources, source)
    home = found.authority
    if (neighbours or region) and not home:
        which = "statistical neighbours" if neighbours else "region"
        raise QueryError(
            f"pasted text has no council, so there is no {which} to search; "
            "give a paragraph id such as 'blackburn-with-darwen-2022-ilacs:p9' instead"
        )
    filters = Filters(
        from_year=from_year,
        to_year=to_year,
        report_types=tuple(report_types),
        neighbours_of=home if neighbours else None,
        region_of=home if region else None,
        exclude_authorities=(home,) if home and not include_same_council else (),
    )
    ranked = _ranked_groups(sources, found, filters, k, int(per_council), float(min_similarity))
    rowids = [rowid for _, members in ranked for rowid, _, _ in members]
    paragraphs = sources.store.paragraphs_by_rowid(rowids)
    scores = _sentence_scores(sources, found, paragraphs)
    return [_group(found, name, members, paragraphs, scores) for name, members in ranked]


def resolve_source(sources: SearchSources, source: str) -> Source:
    """A stored paragraph (by id) with its stored vector, or pasted text embedded now."""
    if not isinstance(source, str) or not source.strip():
        raise QueryError("give a paragraph id or some text to find similar findings for")
    source = source.strip()
    if _PARAGRAPH_ID.match(source):
        rowid, paragraph, report = find_paragraph(sources.store, source)
        vector = sources.store.paragraph_vector(rowid, sources.embedder.name)
        if vector is None:
            logger.info("%s has no stored vector for this model; embedding its text", source)
            vector = sources.embedder.encode_query(paragraph.text)
        return Source(paragraph.text, vector, rowid, paragraph, report)
    text = " ".join(source.split())
    if not any(ch.isalnum() for ch in text):
        raise QueryError("the text has no words to match; paste a finding, not only punctuation")
    if len(text) > MAX_SOURCE_CHARS:
        logger.info("pasted text cut to its first %d characters", MAX_SOURCE_CHARS)
        text = text[:MAX_SOURCE_CHARS]
    return Source(text, sources.embedder.encode_query(text))


def _ranked_groups(
    sources: SearchSources, found: Source, filters: Filters, k: int, per_council: int, min_similarity: float
) -> list[tuple[str, list[tuple[int, float, Report]]]]:
    """[(council, [(rowid, cosine, report), ...]), ...] best group first, at most k groups.

    The FAISS pool is widened until k councils have a match or the allowed vectors run out,
    so one prolific council cannot crowd the others out of a fixed-size pool.
    """
    reports = sources.snapshot.reports
    scope = paragraph_scope(sources.snapshot, filters)
    index = sources.index
    if scope is None or index is None or len(index) == 0:
        return []
    report_of = {
        rowid: reports[report_id]
        for rowid, report_id in sources.store.scoped_rowids(scope).items()
        if rowid != found.rowid and report_id in reports
    }
    if not report_of:
        return []
    rowids = np.fromiter(report_of, dtype=np.int64, count=len(report_of))
    n = max(sources.tuning.pool, k * per_council * 10)
    while True:
        ids, scores = semantic_candidates(index, found.vector, rowids, n)
        groups = _group_rowids(ids, scores, report_of, min_similarity)
        exhausted = len(ids) < n or (len(scores) and float(scores[-1]) < min_similarity)
        if len(groups) >= k or exhausted:
            break
        n *= 4
    ordered = sorted(groups.items(), key=lambda item: (-item[1][0][1], item[0]))[:k]
    return [(name, members[:per_council]) for name, members in ordered]


def _group_rowids(
    ids: np.ndarray, scores: np.ndarray, report_of: dict[int, Report], min_similarity: float
) -> dict[str, list[tuple[int, float, Report]]]:
    """Best score per paragraph, then paragraphs grouped by council (each group best first)."""
    best: dict[int, float] = {}
    for vector_id, score in zip(ids.tolist(), scores.tolist(), strict=True):
        rowid = paragraph_rowid(vector_id)
        if rowid in report_of and score >= min_similarity and score > best.get(rowid, -np.inf):
            best[rowid] = score
    groups: dict[str, list[tuple[int, float, Report]]] = {}
    for rowid, score in sorted(best.items(), key=lambda item: (-item[1], item[0])):
        report = report_of[rowid]
        groups.setdefault(report.meta.authority or report.id, []).append((rowid, score, report))
    return groups


def _sentence_scores(
    sources: SearchSources, found: Source, paragraphs: dict[int, Paragraph]
) -> dict[int, list[float]]:
    """Cosine of the source with each sentence of each hit, embedded in one batch, so that
    highlights pick the sentences that carry the likeness, not those sharing common words."""
    from findings.sentences import split_sentences

    sentences = {rowid: split_sentences(p.text) for rowid, p in paragraphs.items()}
    flat = [sentence for rowid in sentences for sentence in sentences[rowid]]
    if not flat:
        return {}
    cosines = (sources.embedder.encode(flat) @ found.vector).tolist()
    scores, start = {}, 0
    for rowid, own in sentences.items():
        scores[rowid] = cosines[start : start + len(own)]
        start += len(own)
    return scores


def _group(
    found: Source,
    name: str,
    members: list[tuple[int, float, Report]],
    paragraphs: dict[int, Paragraph],
    sentence_scores: dict[int, list[float]],
) -> SimilarGroup:
    from findings.sentences import best_sentences

    hits = []
    for rowid, score, report in members:
        paragraph = paragraphs.get(rowid)
        if paragraph is None:  # removed since the index was read
            continue
        highlights = best_sentences(paragraph.text, found.text, 2, sentence_scores.get(rowid))
        hits.append(make_hit(paragraph, report, score, highlights, similarity=score))
    return SimilarGroup(authority=name, hits=tuple(hits))
