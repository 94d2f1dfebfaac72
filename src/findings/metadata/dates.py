"""Dates as inspection reports write them: single dates, date ranges, and publication dates.

Handles "24 January to 4 February 2022", "6 to 17 December 2021", "18 June – 27 June 2012",
"16 September 2014 – 8 October 2014", "8-12 July 2013", "Friday 18 March 2022", "09 may 2025",
with the text on one line or split over several.  Everything returns `datetime.date` or None.
"""

from __future__ import annotations

import re
from datetime import date

MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"\b(\d{1,2})(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"
_SEP = r"\s*(?:to|until|and|–|—|‑|-)\s*"

DATE_RE = re.compile(rf"{_WEEKDAY}{_DAY}\s+({_MONTH})\s*,?\s*(\d{{4}})", re.IGNORECASE)
RANGE_RE = re.compile(
    rf"{_DAY}(?:\s+({_MONTH}))?(?:\s+(\d{{4}}))?{_SEP}{_DAY}\s+({_MONTH})\s*,?\s*(\d{{4}})",
    re.IGNORECASE,
)
_LABELLED_RANGE = re.compile(
    r"(?:inspection\s+dates?|dates?\s+of\s+(?:the\s+)?inspection|visit\s+dates?|date\s+of\s+visit)"
    r"\s*:?\s*",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    rf"(?:report\s+)?(?:published|publication\s+date)\s*:?\s*(?:on\s+)?{_WEEKDAY}", re.IGNORECASE
)


def _make(day: str, month: str, year: str | int) -> date | None:
    try:
        return date(int(year), MONTHS[month.lower().rstrip(".")], int(day))
    except (KeyError, ValueError):
        return None


_NUMERIC = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_MONTH_NAMES = list(MONTHS)[:12]


def flatten(text: str) -> str:
    """One line: markdown emphasis and heading marks dropped, whitespace runs as one space."""
    text = re.sub(r"(?m)^\s*#+\s*", "", text)
    text = text.replace("*", "")
    return re.sub(r"\s+", " ", text).strip()


def _spell_numeric(text: str) -> str:
    """'12/09/2016' -> '12 September 2016', so one set of patterns reads both forms."""

    def spell(match: re.Match[str]) -> str:
        day, month, year = (int(g) for g in match.groups())
        if not 1 <= month <= 12:
            return match.group(0)
        return f"{day} {_MONTH_NAMES[month - 1]} {year}"

    return _NUMERIC.sub(spell, text)


def parse_date(text: str) -> date | None:
    """The first full date in `text` ("Friday 18 March 2022", "09 may 2025"), or None."""
    match = DATE_RE.search(text)
    return _make(match.group(1), match.group(2), match.group(3)) if match else None


def parse_range(text: str) -> tuple[date | None, date | None]:
    """The first date range in `text`, or a single date as (d, d), or (None, None)."""
    flat = _spell_numeric(flatten(text))
    match = RANGE_RE.search(flat)
    single = DATE_RE.search(flat)
    if match and (single is None or match.start() <= single.start()):
        day1, month1, year1, day2, month2, year2 = match.groups()
        end = _make(day2, month2, year2)
        if end is None:
            return None, None
        month1 = month1 or month2
        start_year = int(year1) if year1 else end.year
        start = _make(day1, month1, start_year)
        if start is not None and start > end and not year1:
            start = _make(day1, month1, start_year - 1)
        return start, end
    if single:
        day = _make(single.group(1), single.group(2), single.group(3))
        return day, day
    return None, None


def inspection_dates(text: str) -> tuple[date | None, date | None]:
    """Dates after an 'Inspection dates:' label; else the first range in the text's head."""
    flat = _spell_numeric(flatten(text))
    for label in _LABELLED_RANGE.finditer(flat):
        start, end = parse_range(flat[label.end() : label.end() + 80])
        if end is not None:
            return start, end
    match = RANGE_RE.search(flat[:1500])
    if match:
        return parse_range(match.group(0))
    return None, None


def published_date(text: str) -> date | None:
    """The date after 'Report published:' / 'Published' / 'Publication date:', or None."""
    flat = _spell_numeric(flatten(text))
    for label in _PUBLISHED.finditer(flat):
        match = DATE_RE.match(flat, label.end())
        if match:
            return _make(match.group(1), match.group(2), match.group(3))
    return None


def date_in_file_name(name: str) -> date | None:
    """A date in a file name, as in "children's services inspection - 09 may 2025.pdf"."""
    return parse_date(re.sub(r"[_.]+", " ", name))
