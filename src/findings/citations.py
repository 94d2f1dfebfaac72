"""Citations: how a paragraph is named so that a reader can find it in the published report.

One function, `citation`, serves search, similar, the app and every export, so they never
disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
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


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def paragraph_label(paragraph: Paragraph) -> str:
    """Where the paragraph stands, as a reader would look for it: "paragraph 9", or under its
    heading as printed: "'Executive summary', 3rd paragraph", "'What needs to improve?', item 4".

    Never an internal counter: a paragraph read by a version of findings that did not record
    its place under its heading is named by its heading alone."""
    heading = paragraph.heading or paragraph.section
    quoted = f"'{heading}'" if heading else ""
    if paragraph.number is not None:
        repeated = "-" in paragraph.key  # the number occurs twice (an annex restarts numbering)
        return ", ".join(p for p in (quoted if repeated else "", f"paragraph {paragraph.number}") if p)
    if paragraph.ordinal < 1:
        return quoted or "unnumbered paragraph"
    place = f"item {paragraph.ordinal}" if paragraph.kind == "item" else f"{ordinal(paragraph.ordinal)} paragraph"
    return ", ".join(p for p in (quoted, place) if p)


def page_label(report: Report, paragraph: Paragraph) -> str:
    """"page 7"; "page 21 (PDF page 23)" where the printed number is not the PDF's page;
    "" for a report without pages (a text file read whole)."""
    if paragraph.page is None:
        return ""
    printed = paragraph.page_label
    if printed:
        same = printed == str(paragraph.page)
        return f"page {printed}" if same else f"page {printed} (PDF page {paragraph.page})"
    return f"page {paragraph.page}" if report.pages > 1 else ""


def report_dates(report: Report) -> str:
    """The inspection dates, else "published <date>", else ""."""
    meta = report.meta
    when = date_range(meta.inspection_start, meta.inspection_end)
    if not when and meta.published:
        when = f"published {date_range(meta.published, None)}"
    return when


def report_name(report: Report) -> str:
    """The council and the report's own title (the council once, if the title names it)."""
    meta = report.meta
    council = meta.authority or ""
    title = " ".join(meta.title.split()) or report_type(meta.report_type).citation
    if council and council.lower() not in title.lower():
        return f"{council}, {title}"
    return title or council or report.id


@dataclass(frozen=True)
class Citation:
    """Everything a reader needs to find a paragraph in the published report."""

    report: str  # council and title
    dates: str
    place: str  # "paragraph 9", "'Executive summary', 3rd paragraph"
    page: str  # "page 7", "page 21 (PDF page 23)", or ""
    file: str  # the report's file name, never a path
    url: str | None
    numbered: bool

    @property
    def text(self) -> str:
        """e.g. "Inspection of Blackburn with Darwen local authority children's services,
        24 January-4 February 2022, paragraph 9"; the page before an unnumbered paragraph's
        heading, after a numbered paragraph's number."""
        where = [self.place, self.page] if self.numbered else [self.page, self.place]
        return ", ".join(p for p in (self.report, self.dates, *where) if p)

    @property
    def source(self) -> str:
        """The file name, and the web address where it is known."""
        return f"{self.file} ({self.url})" if self.url else self.file


def cite(report: Report, paragraph: Paragraph) -> Citation:
    """The one citation of a paragraph, used by search, similar, the app and every export."""
    return Citation(
        report=report_name(report),
        dates=report_dates(report),
        place=paragraph_label(paragraph),
        page=page_label(report, paragraph),
        file=report.file,
        url=report.meta.url,
        numbered=paragraph.number is not None,
    )


def citation(report: Report, paragraph: Paragraph) -> str:
    """The citation as one line of text (`cite(...).text`)."""
    return cite(report, paragraph).text


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
