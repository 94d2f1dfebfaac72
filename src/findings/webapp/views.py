"""What the Streamlit view (`app.py`) needs that is not a widget: the logic behind the pages.

Building `Filters` from widget values, the selection basket, and safe HTML for result cards
(report text is escaped *before* highlight tags are added, so markup inside a report never
renders or runs).  Nothing here imports streamlit, so all of it is tested without a browser.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from findings.citations import citation, date_range, paragraph_label, section_judgement
from findings.models import Hit, Paragraph, Report
from findings.search import Filters
from findings.sentences import best_spans
from findings.vocabulary import (
    EXPORT_FORMATS,
    GRADES,
    JUDGEMENT_KEYS,
    judgement_label,
    judgement_order,
    report_type,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

EXAMPLE_QUERIES: tuple[str, ...] = (
    "domestic abuse over-optimism",
    "care leavers personal adviser",
    "management oversight of social work practice",
    "children missing from home or care",
    "drift and delay in child protection plans",
)
SCOPES: dict[str, str] = {
    "all": "All councils",
    "region": "Same region as",
    "neighbours": "Statistical neighbours of",
}
# --- filters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterForm:
    """The sidebar's widget values, as the user left them."""

    councils: Sequence[str] = ()
    years: tuple[int, int] | None = None
    year_bounds: tuple[int, int] | None = None
    report_types: Sequence[str] = ()
    judgement: str | None = None
    grade: str | None = None
    scope: str = "all"
    scope_council: str | None = None
    include_boilerplate: bool = False


def build_filters(form: FilterForm) -> Filters:
    """Filters for `Library.search`; a year range left at its full extent is no filter."""
    from_year = to_year = None
    if form.years and form.year_bounds:
        if form.years[0] > form.year_bounds[0]:
            from_year = form.years[0]
        if form.years[1] < form.year_bounds[1]:
            to_year = form.years[1]
    judgements: tuple[tuple[str, str], ...] = ()
    if form.judgement and form.grade:
        judgements = ((form.judgement, form.grade),)
    scoped = form.scope_council if form.scope != "all" else None
    return Filters(
        authorities=tuple(form.councils),
        from_year=from_year,
        to_year=to_year,
        report_types=tuple(form.report_types),
        judgements=judgements,
        region_of=scoped if form.scope == "region" else None,
        neighbours_of=scoped if form.scope == "neighbours" else None,
        include_boilerplate=form.include_boilerplate,
    )


def fit_range(value: Sequence[int] | None, bounds: tuple[int, int]) -> tuple[int, int]:
    """A slider's stored (low, high) kept inside bounds that may have moved since (else bounds)."""
    if not value or len(value) != 2 or value[0] < bounds[0] or value[1] > bounds[1]:
        return bounds
    return (int(value[0]), int(value[1]))


def year_bounds(reports: Iterable[Report]) -> tuple[int, int] | None:
    years = [r.meta.year for r in reports if r.meta.year is not None]
    return (min(years), max(years)) if years else None


def indexed_councils(reports: Iterable[Report]) -> list[str]:
    return sorted({r.meta.authority for r in reports if r.meta.authority})


def report_type_label(key: str) -> str:
    return report_type(key).label


JUDGEMENT_OPTIONS: tuple[str, ...] = JUDGEMENT_KEYS
GRADE_OPTIONS: tuple[str, ...] = GRADES


# --- safe HTML for result cards ------------------------------------------------------------------


def merge_spans(spans: Iterable[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Spans clipped to [0, length], sorted, with overlaps and touching spans merged."""
    clipped = sorted((max(0, s), min(length, e)) for s, e in spans if min(length, e) > max(0, s))
    merged: list[tuple[int, int]] = []
    for start, end in clipped:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_html(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """`text` as HTML with each span in <mark>: every piece is escaped before any tag is added."""
    out: list[str] = []
    position = 0
    for start, end in merge_spans(spans, len(text)):
        out.append(_escape(text[position:start]))
        out.append(f"<mark>{_escape(text[start:end])}</mark>")
        position = end
    out.append(_escape(text[position:]))
    return "".join(out)


def _escape(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def paragraph_html(paragraph: Paragraph, query: str | None) -> str:
    spans = best_spans(paragraph.text, query, k=3) if query and query.strip() else []
    return highlight_html(paragraph.text, spans)


@dataclass(frozen=True)
class Card:
    """What one result card shows; every field is plain text until `card_html` escapes it."""

    paragraph_id: str
    council: str
    report_type: str
    dates: str
    where: str
    grade: str | None
    citation: str
    body_html: str  # already escaped, with <mark> highlights


def card_from_hit(hit: Hit, query: str) -> Card:
    return card_for(hit.paragraph, hit.report, query, hit.citation, hit.section_grade)


def card_for(
    paragraph: Paragraph,
    report: Report,
    query: str | None = None,
    cite: str | None = None,
    grade: str | None = None,
) -> Card:
    meta = report.meta
    if grade is None:
        key = section_judgement(paragraph.section)
        grade = meta.judgements.get(key) if key else None
    dates = date_range(meta.inspection_start, meta.inspection_end)
    if not dates and meta.published:
        dates = f"published {date_range(meta.published, None)}"
    where = paragraph_label(paragraph)
    if paragraph.section and paragraph.number is not None:
        where = f"{where} · {paragraph.section}"
    return Card(
        paragraph_id=paragraph.id,
        council=meta.authority or report.id,
        report_type=report_type_label(meta.report_type),
        dates=dates or "dates unknown",
        where=where,
        grade=grade,
        citation=cite or citation(report, paragraph),
        body_html=paragraph_html(paragraph, query),
    )


def card_html(card: Card, rank: int | None = None) -> str:
    e = html.escape
    number = f"{rank}. " if rank is not None else ""
    grade = (
        f'<span class="grade grade-{_slug(card.grade)}">{e(card.grade)}</span>' if card.grade else ""
    )
    return (
        '<div class="card">'
        f'<div class="card-head"><b>{number}{e(card.council)}</b> · {e(card.report_type)} · '
        f"{e(card.dates)} {grade}</div>"
        f'<div class="card-where">{e(card.where)}</div>'
        f'<div class="card-text">{card.body_html}</div>'
        f'<div class="card-cite">{e(card.citation)}</div>'
        "</div>"
    )


def heading_html(text: str) -> str:
    return f"<h4>{html.escape(text)}</h4>"


def context_html(paragraphs: Sequence[Paragraph], target_id: str, query: str | None) -> str:
    """A paragraph among its neighbours; the target is outlined and highlighted."""
    parts = []
    for p in paragraphs:
        label = html.escape(paragraph_label(p))
        body = paragraph_html(p, query) if p.id == target_id else _escape(p.text)
        cls = "ctx ctx-target" if p.id == target_id else "ctx"
        parts.append(f'<div class="{cls}"><span class="ctx-label">{label}</span> {body}</div>')
    return "".join(parts)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


CARD_CSS = """<style>
.card {border:1px solid #d9d9e3;border-radius:8px;padding:0.7rem 0.9rem;margin:0.2rem 0 0.3rem 0;}
.card-head {font-size:1.0rem;}
.card-where {color:#555;font-size:0.85rem;margin:0.15rem 0 0.35rem 0;}
.card-text {line-height:1.5;}
.card-text mark, .ctx mark {background:#fff0a8;padding:0 1px;}
.card-cite {color:#444;font-size:0.8rem;margin-top:0.4rem;font-style:italic;}
.grade {white-space:nowrap;font-size:0.75rem;border-radius:4px;padding:1px 6px;margin-left:4px;background:#eee;}
.grade-outstanding {background:#cde8ff;} .grade-good {background:#d6f5d6;}
.grade-requires-improvement, .grade-adequate {background:#fff0c2;}
.grade-inadequate {background:#ffd6d6;}
.ctx {padding:0.3rem 0.5rem;margin:0.2rem 0;color:#444;font-size:0.9rem;}
.ctx-target {border-left:4px solid #f5b400;background:#fffbea;color:#111;}
.ctx-label {font-size:0.75rem;color:#777;}
table.facts {font-size:0.85rem;border-collapse:collapse;margin-bottom:0.4rem;}
table.facts th {text-align:left;color:#555;padding:1px 12px 1px 0;font-weight:normal;}
</style>"""


# --- paragraphs and context --------------------------------------------------------------------


def lookup(store: Any, paragraph_id: str) -> tuple[Paragraph, Report] | None:
    """The stored paragraph and its report, or None if it has since been removed."""
    rowid = store.rowid_of(paragraph_id)
    if rowid is None:
        return None
    paragraph = store.paragraphs_by_rowid([rowid]).get(rowid)
    report = store.report(paragraph.report_id) if paragraph else None
    return (paragraph, report) if paragraph and report else None


@dataclass(frozen=True)
class Context:
    report: Report
    paragraphs: tuple[Paragraph, ...]
    target_id: str


def paragraph_context(store: Any, paragraph_id: str, around: int = 2) -> Context | None:
    found = lookup(store, paragraph_id)
    if found is None:
        return None
    _, report = found
    paragraphs = store.paragraphs(report.id)
    index = next(i for i, p in enumerate(paragraphs) if p.id == paragraph_id)
    window = paragraphs[max(0, index - around) : index + around + 1]
    return Context(report, tuple(window), paragraph_id)


def report_facts(report: Report) -> list[tuple[str, str]]:
    """(label, value) lines describing a report, for the "Show in report" panel."""
    meta = report.meta
    facts = [
        ("Council", meta.authority or "unknown"),
        ("Type", report_type_label(meta.report_type)),
        ("Inspection", date_range(meta.inspection_start, meta.inspection_end) or "unknown"),
        ("Published", date_range(meta.published, None) or "unknown"),
    ]
    if meta.lead_inspector:
        facts.append(("Lead inspector", meta.lead_inspector))
    facts += [
        (judgement_label(k), g)
        for k, g in sorted(meta.judgements.items(), key=lambda item: judgement_order(item[0]))
    ]
    facts.append(("Source", Path(report.source).name))
    return facts


def facts_html(facts: Sequence[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in facts
    )
    return f'<table class="facts">{rows}</table>'


# --- the selection basket ----------------------------------------------------------------------


@dataclass(frozen=True)
class Selected:
    """One paragraph in the selection, with the query that found it (for exports)."""

    paragraph_id: str
    query: str | None = None


def basket_add(basket: list[Selected], paragraph_id: str, query: str | None = None) -> bool:
    """Append unless already there; True when added."""
    if any(item.paragraph_id == paragraph_id for item in basket):
        return False
    basket.append(Selected(paragraph_id, query or None))
    return True


def basket_remove(basket: list[Selected], paragraph_id: str) -> None:
    basket[:] = [item for item in basket if item.paragraph_id != paragraph_id]


def basket_move(basket: list[Selected], paragraph_id: str, step: int) -> None:
    """Move an item up (step -1) or down (+1); the ends stay put."""
    index = next((i for i, item in enumerate(basket) if item.paragraph_id == paragraph_id), None)
    if index is None:
        return
    target = index + step
    if 0 <= target < len(basket):
        basket[index], basket[target] = basket[target], basket[index]


def basket_ids(basket: Iterable[Selected]) -> set[str]:
    return {item.paragraph_id for item in basket}


def export_items(store: Any, basket: Sequence[Selected]) -> list[Any]:
    """`findings.export.ExportItem`s for the basket, in its order; removed paragraphs skipped."""
    from findings import export

    items = []
    for selected in basket:
        found = lookup(store, selected.paragraph_id)
        if found:
            items.append(export.ExportItem(found[0], found[1], query=selected.query))
    return items


def export_file(store: Any, basket: Sequence[Selected], fmt: str) -> bytes:
    from findings import export

    return export.render(export_items(store, basket), fmt, title="Findings")


def export_file_name(fmt: str) -> str:
    return f"findings-selection.{EXPORT_FORMATS[fmt].suffix}"


# --- progress ----------------------------------------------------------------------------------


def progress_wrapper(
    report: Callable[[float, str], None],
) -> Callable[[Iterable[T]], Iterator[T]]:
    """A `progress=` callable for `Library.ingest` that calls report(fraction, text) per file."""

    def wrap(items: Iterable[T]) -> Iterator[T]:
        items = list(items)
        total = max(len(items), 1)
        for done, item in enumerate(items):
            report(done / total, f"Indexing {Path(str(item)).name} ({done + 1} of {len(items)})")
            yield item
        report(1.0, f"Indexed {len(items)} files")

    return wrap


# --- similar findings --------------------------------------------------------------------------


SIMILAR_SCOPES: dict[str, str] = {
    "all": "All other councils",
    "neighbours": "Statistical neighbours",
    "region": "Same region",
}


def similar_groups(library: Any, paragraph_id: str, scope: str) -> list[Any]:
    """Findings like this paragraph in other councils, grouped by council."""
    return library.similar(
        paragraph_id,
        k=10,
        per_council=3,
        neighbours=scope == "neighbours",
        region=scope == "region",
    )
