"""Plain-dict forms of reports, paragraphs and hits, for JSON lines and the CLI."""

from __future__ import annotations

from datetime import date

from findings.citations import cite, date_range
from findings.models import Hit, Paragraph, Report


def report(report: Report) -> dict:
    meta = report.meta
    return {
        "id": report.id,
        "authority": meta.authority,
        "type": meta.report_type,
        "title": meta.title,
        "inspection_start": _iso(meta.inspection_start),
        "inspection_end": _iso(meta.inspection_end),
        "published": _iso(meta.published),
        "lead_inspector": meta.lead_inspector,
        "judgements": dict(meta.judgements),
        "source": report.source,
        "file": report.file,
        "url": meta.url,
        "paragraphs": report.paragraph_count,
    }


def report_line(report: Report) -> str:
    meta = report.meta
    when = date_range(meta.inspection_start, meta.inspection_end) or "dates unknown"
    grade = meta.judgements.get("overall_effectiveness")
    grade_text = f", overall {grade}" if grade else ""
    count = report.paragraph_count
    return f"{report.id}: {meta.authority or '?'}, {meta.report_type}, {when}{grade_text} ({count} paragraphs)"


def paragraph(paragraph: Paragraph) -> dict:
    return {
        "id": paragraph.id,
        "report_id": paragraph.report_id,
        "number": paragraph.number,
        "kind": paragraph.kind,
        "section": paragraph.section,
        "heading": paragraph.heading,
        "page": paragraph.page,
        "page_label": paragraph.page_label,
        "text": paragraph.text,
        "boilerplate": paragraph.boilerplate,
    }


def hit(hit: Hit) -> dict:
    meta = hit.report.meta
    cited = cite(hit.report, hit.paragraph)
    return {
        "id": hit.paragraph.id,
        "report_id": hit.report.id,
        "authority": meta.authority,
        "report_type": meta.report_type,
        "inspection_start": _iso(meta.inspection_start),
        "inspection_end": _iso(meta.inspection_end),
        "published": _iso(meta.published),
        "number": hit.paragraph.number,
        "section": hit.paragraph.section,
        "text": hit.paragraph.text,
        "highlights": list(hit.highlights),
        "score": round(float(hit.score), 6),
        "citation": cited.text,
        "page": cited.page.removeprefix("page ") or None,
        "source": cited.file,
        "url": cited.url,
        "section_judgement": hit.section_judgement,
        "section_grade": hit.section_grade,
        "similarity": round(hit.similarity, 4) if hit.similarity is not None else None,
        "tag": hit.paragraph.tag,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
