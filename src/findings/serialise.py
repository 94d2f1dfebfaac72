"""Citations and plain-dict forms of reports, paragraphs and hits (for JSON, CSV and views)."""

from __future__ import annotations

from datetime import date

from findings.models import Hit, Paragraph, Report

# The words a citation uses for each report type (lower case, as in running text).
_CITATION_TYPES = {
    "ilacs_standard": "inspection of local authority children's services",
    "ilacs_short": "inspection of local authority children's services (short)",
    "focused_visit": "focused visit",
    "monitoring_visit": "monitoring visit",
    "sif": "inspection of services for children in need of help and protection, children looked "
    "after and care leavers",
    "child_protection_2012": "inspection of local authority arrangements for the protection of children",
    "jtai": "joint targeted area inspection",
    "peer_review": "peer review",
    "press_release": "press release",
    "other": "report",
}


def date_range(start: date | None, end: date | None) -> str:
    """"24 January-4 February 2022", "18-27 June 2012", or one date."""
    if start and end and start != end:
        if start.year != end.year:
            return f"{_day(start)} {start.year}-{_day(end)} {end.year}"
        if start.month != end.month:
            return f"{_day(start)}-{_day(end)} {end.year}"
        return f"{start.day}-{_day(end)} {end.year}"
    one = start or end
    return f"{_day(one)} {one.year}" if one else ""


def _day(value: date) -> str:
    return f"{value.day} {value:%B}"


def paragraph_label(paragraph: Paragraph) -> str:
    if paragraph.number is not None:
        return f"paragraph {paragraph.number}"
    where = f" in '{paragraph.section}'" if paragraph.section else ""
    if paragraph.kind == "item":
        return f"list item {paragraph.key.lstrip('i')}{where}"
    return f"unnumbered paragraph {paragraph.key.lstrip('s')}{where}"


def citation(report: Report, paragraph: Paragraph) -> str:
    """e.g. "Blackburn with Darwen, inspection of local authority children's services,
    24 January-4 February 2022, paragraph 9"."""
    meta = report.meta
    when = date_range(meta.inspection_start, meta.inspection_end)
    if not when and meta.published:
        when = f"published {date_range(meta.published, None)}"
    parts = [
        meta.authority or report.id,
        _CITATION_TYPES.get(meta.report_type, "report"),
        when,
        paragraph_label(paragraph),
    ]
    return ", ".join(p for p in parts if p)


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
        "paragraphs": report.paragraph_count,
    }


def report_line(report: Report) -> str:
    meta = report.meta
    when = date_range(meta.inspection_start, meta.inspection_end) or "dates unknown"
    grade = meta.judgements.get("overall_effectiveness")
    grade_text = f", overall {grade}" if grade else ""
    return f"{report.id}: {meta.authority or '?'}, {meta.report_type}, {when}{grade_text} ({report.paragraph_count} paragraphs)"


def paragraph(paragraph: Paragraph) -> dict:
    return {
        "id": paragraph.id,
        "report_id": paragraph.report_id,
        "number": paragraph.number,
        "kind": paragraph.kind,
        "section": paragraph.section,
        "page": paragraph.page,
        "text": paragraph.text,
        "boilerplate": paragraph.boilerplate,
    }


def hit(hit: Hit) -> dict:
    meta = hit.report.meta
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
        "citation": hit.citation or citation(hit.report, hit.paragraph),
        "source": hit.report.source,
        "section_grade": hit.section_grade,
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def section_judgement(section: str) -> str | None:
    """The judgement key a section heading reports on, e.g. care leavers -> "care_leavers"."""
    s = section.lower()
    if "safeguarding children board" in s or "lscb" in s:
        return "lscb"
    if "adoption" in s:
        return "adoption"
    if "care leavers" in s or "leaving care" in s:
        return "in_care" if ("in care" in s or "looked after" in s) else "care_leavers"
    if "in care" in s or "looked after" in s:
        return "in_care"
    if "help and protection" in s or "protection of children" in s:
        return "help_and_protection"
    if "leaders" in s or "leadership" in s:
        return "impact_of_leaders"
    if "overall effectiveness" in s:
        return "overall_effectiveness"
    return None
