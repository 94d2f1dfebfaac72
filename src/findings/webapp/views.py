"""What the Streamlit view (`app.py`) needs that is not a widget: the logic behind the pages.

Safe HTML for result cards (report text is escaped *before* highlight tags are added, so markup
inside a report never renders or runs), a paragraph in its report, the cards of a collection,
exports of a collection, and the messages of the search page.  Nothing here imports
streamlit, so all of it is tested without a browser.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from findings.citations import cite, date_range, paragraph_label, section_judgement
from findings.models import Hit, Paragraph, Report
from findings.results import Result
from findings.saved import CollectionEntry
from findings.sentences import best_spans
from findings.vocabulary import (
    EXPORT_FORMATS,
    GRADES,
    JUDGEMENT_KEYS,
    TAG_LABELS,
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
JUDGEMENT_OPTIONS: tuple[str, ...] = JUDGEMENT_KEYS
GRADE_OPTIONS: tuple[str, ...] = GRADES
GROUPINGS: dict[str | None, str] = {None: "In order", "council": "By council", "section": "By section heading"}


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


def sample_reports_notice(reports: Sequence[Report], seeds: Path) -> str | None:
    """A sentence telling a new user that what is indexed is only the sample reports."""
    if not reports:
        return None
    seeds = seeds.resolve()
    if all(Path(r.source).parent == seeds for r in reports):
        return (
            f"You are searching the {len(reports)} sample reports that come with findings "
            "(two councils, 2012-2022). Add your own on the Reports page, or from a terminal with "
            "`findings ingest FOLDER`."
        )
    return None


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
    spans = best_spans(paragraph.text, query) if query and query.strip() else []
    return highlight_html(paragraph.text, spans)


@dataclass(frozen=True)
class Card:
    """What one result card shows; every field is plain text until `card_html` escapes it."""

    paragraph_id: str
    council: str
    report_type: str
    dates: str
    where: str
    grade: str | None  # "Help and protection: inadequate": the judgement named with its grade
    citation: str
    body_html: str  # already escaped, with <mark> highlights
    status: str = ""  # "removed from the index" for a collected paragraph whose report is gone
    note: str = ""
    strength: str | None = None  # "strong", "fair" or "weak" match
    tag: str | None = None  # "strength", "weakness" or "context" (findings.tagging)
    also: tuple[str, ...] = ()  # near-identical paragraphs of other reports, as citations


def card_from_hit(hit: Hit, query: str) -> Card:
    return card_for(hit.paragraph, hit.report, hit.matched or query)


def card_from_result(result: Result, query: str) -> Card:
    """A search result's card: the hit's, with its match strength and the near-identical
    paragraphs of other reports it stands for."""
    card = card_from_hit(result.hit, query)
    also = tuple(cite(d.report, d.paragraph).text for d in result.duplicates)
    return Card(**{**card.__dict__, "strength": result.strength, "also": also})


def grade_chip(paragraph: Paragraph, report: Report) -> str | None:
    """The grade of the judgement the paragraph's section reports on, naming that judgement."""
    key = section_judgement(paragraph.section)
    grade = report.meta.judgements.get(key) if key else None
    return f"{judgement_label(key)}: {grade}" if key and grade else None


def card_for(paragraph: Paragraph, report: Report, query: str | None = None) -> Card:
    meta = report.meta
    citation = cite(report, paragraph)
    where = " · ".join(p for p in (citation.place, citation.page) if p)
    section = paragraph.heading or paragraph.section
    if section and paragraph.number is not None and section not in where:
        where = f"{where} · {section}"
    return Card(
        paragraph_id=paragraph.id,
        council=meta.authority or report.id,
        report_type=report_type_label(meta.report_type),
        dates=citation.dates or "dates unknown",
        where=where,
        grade=grade_chip(paragraph, report),
        citation=citation.text,
        body_html=paragraph_html(paragraph, query),
        tag=paragraph.tag,
    )


def card_for_entry(entry: CollectionEntry, rank: int | None = None) -> Card:
    """The card of a collected paragraph: as indexed now, or as saved if its report is gone."""
    if not entry.removed:
        card = card_for(entry.paragraph, entry.report, entry.item.query)
        return Card(**{**card.__dict__, "note": entry.item.note})
    saved = entry.item.saved
    return Card(
        paragraph_id=entry.item.paragraph_id,
        council=str(saved.get("authority") or entry.item.report_id),
        report_type=str(saved.get("report_type_name") or ""),
        dates="",
        where=str(saved.get("paragraph") or ""),
        grade=None,
        citation=str(saved.get("citation") or ""),
        body_html=_escape(entry.item.text),
        status=entry.status,
        note=entry.item.note,
    )


def card_html(card: Card, rank: int | None = None) -> str:
    e = html.escape
    number = f"{rank}. " if rank is not None else ""
    grade = ""
    if card.grade:
        grade_word = card.grade.rpartition(": ")[2]
        grade = f'<span class="grade grade-{_slug(grade_word)}">{e(card.grade)}</span>'
    head = " · ".join(e(p) for p in (card.report_type, card.dates) if p)
    if card.strength:
        grade += f' <span class="strength strength-{card.strength}">{e(card.strength)} match</span>'
    if card.tag in TAG_LABELS and card.tag != "context":
        grade += f' <span class="tag tag-{card.tag}">{e(TAG_LABELS[card.tag])}</span>'
    also = ""
    if card.also:
        items = "".join(f"<li>{e(c)}</li>" for c in card.also)
        also = f'<div class="card-also">The same words also stand in:<ul>{items}</ul></div>'
    status = ""
    if card.status:
        saved = f"{card.status.capitalize()}: the text and citation saved when it was collected."
        status = f'<div class="card-status">{e(saved)}</div>'
    note = f'<div class="card-note">Note: {_escape(card.note)}</div>' if card.note else ""
    return (
        '<div class="card">'
        f'<div class="card-head"><b>{number}{e(card.council)}</b> · {head} {grade}</div>'
        f'<div class="card-where">{e(card.where)}</div>'
        f"{status}"
        f'<div class="card-text">{card.body_html}</div>'
        f'<div class="card-cite">{e(card.citation)}</div>'
        f"{also}{note}"
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
.card-status {color:#8a4b00;font-size:0.85rem;margin-bottom:0.3rem;}
.strength {white-space:nowrap;font-size:0.75rem;border-radius:4px;padding:1px 6px;margin-left:4px;
  border:1px solid #ccc;}
.strength-strong {border-color:#2e7d32;color:#2e7d32;} .strength-fair {color:#555;} .strength-weak {color:#999;}
.card-also {font-size:0.8rem;color:#555;margin-top:0.3rem;} .card-also ul {margin:0.1rem 0 0 1rem;}
.tag {white-space:nowrap;font-size:0.75rem;border-radius:4px;padding:1px 6px;margin-right:4px;}
.tag-strength {background:#e3f4e5;color:#1f5e2a;} .tag-weakness {background:#fde8d7;color:#7a3b00;}
.tag-context {background:#eef0f3;color:#444;}
.card-note {margin-top:0.4rem;padding:0.3rem 0.5rem;background:#f3f6fb;border-radius:4px;font-size:0.9rem;}
/* Narrow windows: the sidebar gives way, and small buttons keep their labels. */
@media (max-width: 900px) {
  section[data-testid="stSidebar"] {min-width: 240px !important; max-width: 240px !important;}
}
div[data-testid="stButton"] button {min-width: 2.6rem; white-space: nowrap;}
</style>"""


# --- paragraphs and context --------------------------------------------------------------------


def lookup(store: Any, paragraph_id: str) -> tuple[Paragraph, Report] | None:
    """The stored paragraph and its report, or None if it has since been removed."""
    paragraph = store.paragraph(paragraph_id)
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
    facts.append(("File", report.file))
    if meta.url:
        facts.append(("Published at", meta.url))
    return facts


def facts_html(facts: Sequence[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in facts
    )
    return f'<table class="facts">{rows}</table>'


# --- collections ------------------------------------------------------------------------------


def export_file(entries: Sequence[CollectionEntry], fmt: str, title: str, group_by: str | None = None) -> bytes:
    """A collection as an export file, with its notes, grouped if asked."""
    from findings import export
    from findings.saved import export_items

    return export.render(export_items(entries), fmt, title=title, group_by=group_by)


def export_file_name(collection: str, fmt: str) -> str:
    """A download name from the collection's name: letters, digits and hyphens only."""
    stem = re.sub(r"[^a-z0-9]+", "-", collection.lower()).strip("-") or "findings"
    return f"{stem[:60]}.{EXPORT_FORMATS[fmt].suffix}"


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


def similar_groups(library: Any, paragraph_id: str, scope: str) -> list[Any]:  # -> list[SimilarGroup]
    """Findings like this paragraph in other councils, grouped by council."""
    return library.similar(
        paragraph_id,
        k=10,
        per_council=3,
        neighbours=scope == "neighbours",
        region=scope == "region",
    )
