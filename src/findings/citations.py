"""Citations: how a paragraph is named so that a reader can find it in the published report.

One function, `citation`, serves search, similar, the app and every export, so they never
disagree.
"""

from __future__ import annotations

from datetime import date

from findings.models import Paragraph, Report
from findings.vocabulary import report_type


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
        report_type(meta.report_type).citation,
        when,
        paragraph_label(paragraph),
    ]
    return ", ".join(p for p in parts if p)


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
