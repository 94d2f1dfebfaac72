"""What happened next: for each recommendation of a report, what the same council's later
reports (monitoring visits, focused visits, the next inspection) said about the same matter.

A recommendation is a paragraph under a heading such as "What needs to improve?",
"Recommendations" or "Areas for improvement"; in a report with none, the numbered paragraphs
from 1 on that are instructions ("Ensure that ..."), where 2014-15 inspections print them
under themed sub-headings.  Its follow-ups are the paragraphs of the
council's later reports that the hybrid search finds for its text, at most `per_report` a
report, only those at least fairly close to it (`MIN_SIMILARITY`), oldest report first so the
story reads in order; each carries its strength / area-for-improvement tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from findings.errors import QueryError
from findings.library import Library
from findings.models import Hit, Paragraph, Report
from findings.search import Filters
from findings.tagging import Tag, tag_paragraph

RECOMMENDATION_HEADING = re.compile(
    r"^(what needs to improve|recommendations?|areas? for (further )?improvement|what the local authority"
    r" (needs to|should) improve|the local authority (should|needs to))",
    re.IGNORECASE,
)
MIN_SIMILARITY = 0.55  # below this, a later paragraph is rarely about the same matter (bench/followup.py)
PER_REPORT = 3


@dataclass(frozen=True)
class Recommendation:
    number: int  # its place among the report's recommendations, from 1
    paragraph: Paragraph
    report: Report


@dataclass(frozen=True)
class LaterFinding:
    hit: Hit
    tag: Tag


@dataclass(frozen=True)
class LaterReport:
    report: Report
    findings: tuple[LaterFinding, ...]


@dataclass(frozen=True)
class FollowUp:
    recommendation: Recommendation
    later: tuple[LaterReport, ...]  # oldest first; reports that said nothing on it left out


def is_recommendation(paragraph: Paragraph) -> bool:
    heading = paragraph.heading or paragraph.section
    return not paragraph.boilerplate and bool(RECOMMENDATION_HEADING.match(heading.strip()))


def recommendations(library: Library, report_id: str) -> list[Recommendation]:
    report = library.store.report(report_id)
    if report is None:
        raise QueryError(f"no report with id '{report_id}' (see `findings reports`)")
    paragraphs = library.store.paragraphs(report_id)
    found = [p for p in paragraphs if is_recommendation(p)] or opening_instructions(paragraphs)
    return [Recommendation(i, p, report) for i, p in enumerate(found, start=1)]


INSTRUCTION = re.compile(  # an imperative, perhaps after an adverb: "Ensure that ...", "Robustly challenge ..."
    r"^(?:\w+ly\s+)?(ensure|improve|undertake|reduce|develop|review|strengthen|increase|establish|make|provide|"
    r"put|take|raise|secure|complete|implement|embed|monitor|address|consider|introduce|agree|evaluate|"
    r"analyse|identify|prioritise|accelerate|conduct|prevent|publish|challenge|tackle|promote|clarify|audit|"
    r"engage|enable|use|offer|commission|extend|appoint|recruit|retain|respond|record|deliver|build|support|"
    r"revise|update|adopt|assure|check|act|work|continue|maintain|produce|share|set|track|target|focus|"
    r"further|progress|place|drive)\b",
    re.IGNORECASE,
)


def opening_instructions(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Recommendations printed under themed sub-headings ("Help and protection", "Adoption", ...)
    with their parent heading lost, as in 2014-15 inspections: the report's numbered paragraphs
    from 1 on, as long as they are instructions ("Ensure that ...", "Improve ..."); one worded
    otherwise between two instructions is kept, and the run ends at the last instruction."""
    numbered = sorted((p for p in paragraphs if p.number is not None and not p.boilerplate), key=lambda p: p.number)
    run: list[Paragraph] = []
    kept = 0  # the run up to its last instruction
    for paragraph in numbered:
        if paragraph.number != len(run) + 1:
            break
        if INSTRUCTION.match(paragraph.text.strip()):
            run.append(paragraph)
            kept = len(run)
        elif run and kept == len(run):  # one that is worded otherwise ("With partners, ensure ..."), if
            run.append(paragraph)  # an instruction follows it
        else:
            break
    return run[:kept]


def later_reports(library: Library, report: Report) -> list[Report]:
    """The same council's reports dated after this one, oldest first."""
    if not report.meta.authority or report.meta.when is None:
        return []
    later = [
        r for r in library.snapshot().reports.values()
        if r.meta.authority == report.meta.authority and r.meta.when and r.meta.when > report.meta.when
    ]
    return sorted(later, key=lambda r: (r.meta.when, r.id))


def follow_up(
    library: Library, report_id: str, item: int | None = None, per_report: int = PER_REPORT
) -> list[FollowUp]:
    """Each recommendation of the report (or only number `item`) with what later reports said."""
    recs = recommendations(library, report_id)
    report = library.store.report(report_id)
    if not recs:
        raise QueryError(f"{report_id} has no recommendations or 'What needs to improve' items to follow up")
    if item is not None:
        if not 1 <= item <= len(recs):
            raise QueryError(f"{report_id} has {len(recs)} recommendations; choose --item 1 to {len(recs)}")
        recs = [recs[item - 1]]
    later = later_reports(library, report)
    if not later:
        raise QueryError(f"no later report of {report.meta.authority or 'this council'} is indexed, "
                         "so there is nothing yet to follow this report up with")
    return [_follow(library, rec.paragraph, rec, later, per_report) for rec in recs]


def follow_up_paragraph(library: Library, paragraph_id: str, per_report: int = PER_REPORT) -> FollowUp:
    """What the council's later reports said about any paragraph (the app's "Follow up")."""
    from findings.search import find_paragraph

    _, paragraph, report = find_paragraph(library.store, paragraph_id)
    later = later_reports(library, report)
    if not later:
        raise QueryError(f"no later report of {report.meta.authority or 'this council'} is indexed, "
                         "so there is nothing yet to follow this paragraph up with")
    return _follow(library, paragraph, Recommendation(0, paragraph, report), later, per_report)


def _follow(library: Library, paragraph: Paragraph, rec: Recommendation, later: list[Report], per_report: int
            ) -> FollowUp:
    filters = Filters(report_ids=tuple(r.id for r in later))
    hits = library.search(paragraph.text, k=per_report * len(later) * 3, filters=filters)
    by_report: dict[str, list[LaterFinding]] = {}
    for hit in hits:
        if hit.similarity is not None and hit.similarity < MIN_SIMILARITY:
            continue
        mine = by_report.setdefault(hit.report.id, [])
        if len(mine) < per_report:
            mine.append(LaterFinding(hit, tag_paragraph(hit.paragraph.text)))
    steps = tuple(LaterReport(r, tuple(by_report[r.id])) for r in later if by_report.get(r.id))
    return FollowUp(rec, steps)
