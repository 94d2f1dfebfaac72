"""What a report says about itself: council, kind of report, title, dates, lead inspector, grades.

`extract_metadata(pages, source_name)` reads the first pages of a report (and, for the lead
inspector of older reports, the "inspection team" section at the end) and returns a ReportMeta.
Layouts covered, all seen in Ofsted's 2012-2026 reports:

- ILACS (2018-): "Inspection of X local authority children's services" (2018-2020: "X Council /
  Inspection of children's social care services") with a judgement/grade table.  Until 2023
  "children in care and care leavers" is one judgement (`in_care`); from 2023 care leavers have
  their own (`care_leavers`); from April 2026 there is no overall effectiveness grade.  Standard
  and short inspections read the same; a short one lasts one week on site, a standard one two,
  so the type is decided by the length of the inspection.
- SIF (2013-2018): "Inspection of services for children in need of help and protection, ..."
  with numbered judgements 1, 2, 2.1, 2.2, 3, the overall judgement in a sentence, and the
  LSCB review.  A stand-alone LSCB review is typed `sif` too.
- Child protection inspections (2012-13): "The overall effectiveness of the arrangements to
  protect children in X is inadequate"; "capacity to improve" goes under `capacity_to_improve`.
- Looked after children inspections (2012-13) and safeguarding and looked after children
  inspections (2009-12) have no REPORT_TYPES key of their own: they are `other`, with the
  report's own title, `overall_effectiveness` and `capacity_to_improve`.
- Monitoring and focused visits and joint targeted area inspections: letters, not graded
  reports.  The letter opens with Ofsted's address (an Ofsted office in Manchester, Nottingham
  or London: never the council) and the council's; the council is read from the title ("Focused
  visit to X children's services", "Monitoring visit to X Children's Trust", "Joint targeted
  area inspection of the multi-agency response to ... in X") or from "This letter summarises the
  findings of the ... visit to X", and the dates from "on 14 and 15 March 2023", "Between 25 and
  29 March 2019" or "This inspection took place from 6 to 10 March 2023".
- LGA peer reviews and council press releases.

`not_a_report(pages)` (in `screening`) says why a file is no report at all (a web page saved as
PDF, an empty template, no report text); `unnamed_reports` lists stored reports with no council.

Text may come from any reader: headings may carry "## " or markdown emphasis, and a label and
its value may be on one line or several, so matching is done on whitespace-flattened text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import PurePath

from findings.councils import canonical_authority, find_authority_in_text
from findings.metadata.dates import (
    date_in_file_name,
    flatten,
    inspection_dates,
    published_date,
)
from findings.metadata.grades import judgements_for
from findings.metadata.screening import not_a_report
from findings.models import Page, Report, ReportMeta

__all__ = ["extract_metadata", "not_a_report", "unnamed_reports", "unnamed_warning"]

logger = logging.getLogger(__name__)

HEAD_CHARS = 4000  # the cover and summary: where type, title, dates and grades are
SHORT_INSPECTION_MAX_DAYS = 7

_TYPE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("jtai", r"\bJoint targeted area inspection\b"),
        ("monitoring_visit", r"\bMonitoring visit (?:to|of)\b"),
        ("focused_visit", r"\bFocused visit (?:to|of)\b"),
        ("sif", r"\b(?:Re-?\s?inspection|Inspection) of services for children in need of help"),
        (
            "child_protection_2012",
            r"\bInspection of local authority arrangements for the protection",
        ),
        ("other", r"\bInspection of (?:safeguarding and )?looked after children(?:.s)? services\b"),
        ("sif", r"\bReview of the effectiveness of the Local Safeguarding Children Board\b"),
        (
            "ilacs",
            (
                r"\bInspection of (?:[\w ,&'’.-]{1,90}?\s)?(?:local authority )?children.s"
                r" (?:social care )?services\b"
            ),
        ),
        ("ilacs", r"\bInspection of [\w ,&'’.-]{1,90}?\bChildren(?:.s)?(?: and Families)? Trust\b"),
        ("ilacs", r"\bThe impact of leaders on (?:social work )?practice with children"),
        ("peer_review", r"\b(?:peer review|peer challenge|care practice diagnostic)\b"),
        ("press_release", r"\b(?:press release|news release)\b"),
        ("press_release", r"\bPublished:?\s+(?:Mon|Tues|Wednes|Thurs|Fri)day\b"),
    )
)

# Where the report names itself: the title and, for ILACS, the council inside it.
_ILACS_TITLE = re.compile(
    r"\b(Inspection of (?:the )?(?P<council>[\w ,&'’.-]{2,90}?)\s+(?:local authority )?"
    r"children.s services)\b",
    re.IGNORECASE,
)
_TITLE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        (
            r"\b((?:Re-?\s?inspection|Inspection) of services for children in need of help and "
            r"protection, children looked after and care leavers(?: and Review of the effectiveness"
            r" of the Local Safeguarding Children Board)?)"
        ),
        r"\b(Review of the effectiveness of the Local Safeguarding Children Board)",
        r"\b(Inspection of (?:local authority )?arrangements for the protection of children)",
        r"\b(Inspection of (?:safeguarding and )?looked after children(?:.s)? services)",
        r"\b(Inspection of (?:local authority )?children.s social care services)",
        r"\b(Inspection of [\w ,&'’.-]{1,90}?\bChildren(?:.s)?(?: and Families)? Trust)\b",
        (
            r"\b((?:Joint targeted area inspection|Monitoring visit|Focused visit) (?:to|of|in)\b"
            r".{3,200}?)(?=\s+(?-i:Dear|This|Between|From|On|During|Headline|Key|Areas)\b"
            r"|\s+(?:Inspection dates?|Dates? of|Visit dates?|Lead inspector)\b|\s\d|$)"
        ),
    )
)
# Where a letter names the council: in its title (the phrase that ends the title) ...
_LETTER_TITLE_COUNCIL = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bvisit (?:to|of) (?:the )?(?P<council>.{2,100}?)(?:\s+(?:local authority )?"
        r"children.s services)?$",
        r"\bJoint targeted area inspection (?:of|in) (?:the )?(?:.{3,150}? in )?(?P<council>.{2,60})$",
    )
)
# ... or in its first sentence.
_LETTER_SENTENCE_COUNCIL = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bThis letter summarises the findings of the (?:focused|monitoring) visit to (?:the )?"
        r"(?P<council>.{2,100}?)\s+(?:(?:local authority )?children.s services\b|on \d)",
        r"\bjoint inspection of the multi-agency response to .{3,150}? in (?P<council>[^.]{2,60})\.",
    )
)
# Ofsted's own offices, on every letter's first page: from the building to the postcode.
_OFSTED_ADDRESS = re.compile(
    r"\b(?:Piccadilly Gate|Agora|Aviation House|Clive House|Royal Exchange Buildings|Rivergate)"
    r"\b.{0,80}?\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"
)
_NAME_STOP = re.compile(
    r"\s*(?:,|\(|\bHMI\b|\bHer Majesty|\bHis Majesty|\bSenior HMI\b|\bOfsted\b|\bInspector\b"
    r"|\bDeputy\b|\bTeam\b|\bAge group\b|\bJudgement\b|\bNational Director\b|\bDirector\b"
    r"|\bChief Inspector\b|\d|\s[A-Z][a-z]+(?:\s[a-z]+)*:).*$",
    re.DOTALL,
)
_INSPECTOR = re.compile(
    r"(?<!deputy )(?:lead|reporting) inspector(?: on site)?\s*:?\s*", re.IGNORECASE
)


def extract_metadata(pages: list[Page], source_name: str = "") -> ReportMeta:
    """Metadata from a report's pages; `source_name` (a file name or path) is a fallback."""
    raw_head = "\n".join(page.text for page in pages[:3])[: HEAD_CHARS * 2]
    head = flatten(raw_head)[:HEAD_CHARS]
    full = flatten("\n".join(page.text for page in pages))
    kind = report_type(head)
    title = report_title(raw_head, head, kind)
    start, end = (
        inspection_dates(head) if kind not in ("press_release", "peer_review") else (None, None)
    )
    if kind == "ilacs":
        short = start and end and (end - start).days <= SHORT_INSPECTION_MAX_DAYS
        kind = "ilacs_short" if short else "ilacs_standard"
    published = published_date(head) or date_in_file_name(PurePath(source_name).name)
    meta = ReportMeta(
        authority=report_authority(head, title, source_name),
        report_type=kind,
        title=title,
        inspection_start=start,
        inspection_end=end,
        published=published,
        lead_inspector=lead_inspector(full),
        judgements=judgements_for(kind, head, full),
    )
    logger.debug("metadata for %s: %s", source_name or "<text>", meta)
    return meta


def report_type(head: str) -> str:
    """A REPORT_TYPES key, except that ILACS comes back as 'ilacs' (standard/short undecided).

    The pattern matching earliest wins: the title comes before any mention of other inspections.
    """
    found = [(m.start(), kind) for kind, pattern in _TYPE_PATTERNS if (m := pattern.search(head))]
    return min(found)[1] if found else "other"


def report_title(raw_head: str, head: str, kind: str) -> str:
    """The report's own title, joined if it wraps (the earliest capitalised title phrase);
    the first line for documents without one (press releases, peer reviews)."""
    candidates = [
        m
        for pattern in (_ILACS_TITLE, *_TITLE_PATTERNS)
        for m in pattern.finditer(head)
        if m.group(1)[0].isupper()
    ]
    if candidates:
        best = min(candidates, key=lambda m: (m.start(), -len(m.group(1))))
        return re.sub(r"(?<=[a-z])\d$", "", best.group(1).strip())
    for line in raw_head.splitlines():
        line = flatten(line)
        if len(line) > 3 and not line.isdigit():
            return line[:200]
    return ""


def report_authority(head: str, title: str, source_name: str = "") -> str | None:
    """The council, from the title, else a letter's first sentence, else the cover, else the
    document's head (Ofsted's own address left out), else the file's folder or name."""
    for match in (
        _ILACS_TITLE.search(title),
        *(pattern.search(title) for pattern in _LETTER_TITLE_COUNCIL),
        *(pattern.search(head) for pattern in _LETTER_SENTENCE_COUNCIL),
    ):
        if match and (named := _council_in(match.group("council"))):
            return named
    if title and (named := find_authority_in_text(title)):
        return named
    head = _OFSTED_ADDRESS.sub(" ", head)
    title_at = head.find(title) if title else -1
    cover = head[: title_at + len(title) + 300] if title_at >= 0 else head[:600]
    for text in (cover, head):
        found = find_authority_in_text(_drop_others(text))
        if found:
            return found
    path = PurePath(source_name)
    for part in reversed(path.parts[:-1]):
        found = canonical_authority(re.sub(r"^\d+_", "", part))
        if found:
            return found
    return find_authority_in_text(path.name, require_capital=False)


def _council_in(words: str) -> str | None:
    """The council named by a phrase from a title ("Kingston", "Birmingham Children's Trust")."""
    return canonical_authority(words) or find_authority_in_text(words)


def _drop_others(text: str) -> str:
    """Cut phrases that name councils other than the subject ('Peer Review Team ... Council')."""
    return re.split(r"\bThe Peer Review Team\b|\bPeer team\b", text, maxsplit=1)[0]


def lead_inspector(text: str) -> str | None:
    """The lead (or reporting) inspector's name, without 'HMI' or 'Her Majesty's Inspector'."""
    flat = flatten(text)
    for match in _INSPECTOR.finditer(flat):
        name = _NAME_STOP.sub("", flat[match.end() : match.end() + 80]).strip()
        words = name.split()
        if 2 <= len(words) <= 5 and all(w[0].isupper() for w in words if w.isalpha()):
            return name
    match = re.search(r"\b((?:[A-Z][\w'’-]+\s){1,3}[A-Z][\w'’-]+)\s+HMI\b", flat[:HEAD_CHARS])
    if match:
        return match.group(1)
    # Visit letters are signed: "Yours sincerely Kathryn Grindrod Her Majesty's Inspector".
    match = re.search(r"Yours sincerely,?\s+((?:[A-Z][\w'’-]+\s){0,3}[A-Z][\w'’-]+)", flat)
    return _NAME_STOP.sub("", match.group(1)).strip() or None if match else None


def unnamed_reports(reports: Iterable[Report]) -> list[Report]:
    """The reports with no council, neither read from the report nor given by the user."""
    return [report for report in reports if not report.meta.authority]


def unnamed_warning(report_id: str) -> str:
    """The sentence that tells the user a report has no council, and how to name it."""
    return (
        "no council could be read from this report; name it with "
        f"`findings correct {report_id} authority NAME`"
    )
