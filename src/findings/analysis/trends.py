"""Themes over time, by meaning: for a query, the share of reports (per year, report type or
overall grade) with at least one strong match, and how many of those speak of it as a
strength and how many as an area for improvement.

A report matches when one of its paragraphs is a strong match for the query: its similarity
(the semantic score of `findings.search.similarities`) at or above the calibrated
`strong_similarity`.  Every paragraph with a vector at or above that cosine is found through
the vector index (a paragraph's similarity is never above its best vector's cosine), so no
report is missed because it fell outside a top-k.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from findings.errors import QueryError
from findings.library import Library
from findings.models import Report
from findings.search import (
    Filters,
    check_query,
    paragraph_scope,
    query_vector,
    scope_rowids,
    semantic_candidates,
    similarities,
)
from findings.tagging import tag_paragraph
from findings.vocabulary import report_type

GROUPINGS = ("year", "type", "grade")
MAX_VECTORS = 50_000  # vectors examined at most; a theme that common matches nearly everything


@dataclass(frozen=True)
class TrendRow:
    group: str
    reports: int  # indexed reports in the group (within the filters)
    matching: int  # with at least one strong match
    strengths: int  # of those, with a strong match tagged a strength
    weaknesses: int  # with a strong match tagged an area for improvement

    @property
    def share(self) -> float:
        return self.matching / self.reports if self.reports else 0.0


@dataclass(frozen=True)
class Trend:
    query: str
    by: str
    rows: tuple[TrendRow, ...]
    matching_reports: tuple[str, ...]

    def csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([self.by, "reports", "matching", "share", "as strength", "as area for improvement"])
        for row in self.rows:
            writer.writerow([row.group, row.reports, row.matching, f"{row.share:.3f}", row.strengths, row.weaknesses])
        return buffer.getvalue()


def trend(library: Library, query: str, by: str = "year", filters: Filters | None = None) -> Trend:
    """How often the theme is a strong match, grouped `by` year, report type or overall grade."""
    if by not in GROUPINGS:
        raise QueryError(f"group by one of {', '.join(GROUPINGS)}, not '{by}'")
    query = check_query(query)
    sources = library.sources()
    scope = paragraph_scope(sources.snapshot, filters or Filters())
    if scope is None:
        raise QueryError("no indexed report passes these filters; widen them to see a trend")
    allowed = scope.report_ids
    reports = {rid: r for rid, r in sources.snapshot.reports.items() if allowed is None or rid in allowed}
    tuning = sources.tuning
    expansion = library.expansion(query)
    vector = query_vector(sources.embedder, query, expansion)
    found = semantic_candidates(sources.index, vector, scope_rowids(sources, scope), MAX_VECTORS)
    close = found.ids[found.scores >= tuning.strong_similarity]
    rowids = sorted({int(i) >> 10 for i in close.tolist()})
    scores = similarities(sources.store, sources.embedder.name, vector, rowids, tuning)
    strong = [r for r, s in scores.items() if s >= tuning.strong_similarity]
    paragraphs = sources.store.paragraphs_by_rowid(strong)
    kinds: dict[str, set[str]] = {}
    for paragraph in paragraphs.values():
        if paragraph.report_id in reports:
            kinds.setdefault(paragraph.report_id, set()).add(tag_paragraph(paragraph.text).label)
    key = _grouping(by)
    groups: dict[str, list[str]] = {}
    for report in reports.values():
        group = key(report)
        if group is not None:
            groups.setdefault(group, []).append(report.id)
    rows = tuple(
        TrendRow(
            group=name,
            reports=len(ids),
            matching=sum(1 for i in ids if i in kinds),
            strengths=sum(1 for i in ids if "strength" in kinds.get(i, ())),
            weaknesses=sum(1 for i in ids if "weakness" in kinds.get(i, ())),
        )
        for name, ids in sorted(groups.items(), key=lambda item: _order(by, item[0]))
    )
    if not rows:
        raise QueryError("the reports these filters leave have no dates, types or grades to group by")
    return Trend(query, by, rows, tuple(sorted(kinds)))


def _grouping(by: str) -> Callable[[Report], str | None]:
    if by == "year":
        return lambda r: str(r.meta.year) if r.meta.year else None
    if by == "type":
        return lambda r: report_type(r.meta.report_type).label
    return lambda r: r.meta.judgements.get("overall_effectiveness") or "no overall grade"


_GRADE_ORDER = ("outstanding", "good", "requires improvement", "adequate", "inadequate", "no overall grade")


def _order(by: str, group: str) -> tuple:
    if by == "grade":
        return (_GRADE_ORDER.index(group) if group in _GRADE_ORDER else len(_GRADE_ORDER), group)
    return (group,)

