"""Compare councils: two to four councils' findings on one theme, side by side, newest first,
with the grades of their reports and the strength / area-for-improvement tag of each finding.

The councils are named, or are a council and its statistical neighbours (the first three
indexed ones).  Each council's findings are the hybrid search's best paragraphs for the theme
within that council's reports (strong or fair matches only), the best of each report first so
that a later report is not crowded out by an earlier one, shown newest report first.  The result
exports like a collection, grouped by council.
"""

from __future__ import annotations

from dataclasses import dataclass

from findings.councils import canonical_authority, statistical_neighbours
from findings.errors import QueryError
from findings.export import ExportItem
from findings.library import Library
from findings.models import Hit
from findings.search import Filters
from findings.tagging import Tag, tag_paragraph

MAX_COUNCILS = 4
PER_COUNCIL = 5


@dataclass(frozen=True)
class Finding:
    hit: Hit
    tag: Tag


@dataclass(frozen=True)
class CouncilColumn:
    council: str
    findings: tuple[Finding, ...]  # newest report first
    reports: int  # the council's indexed reports


@dataclass(frozen=True)
class Comparison:
    theme: str
    columns: tuple[CouncilColumn, ...]

    def export_items(self) -> list[ExportItem]:
        return [ExportItem.of(f.hit.paragraph, f.hit.report, self.theme) for c in self.columns for f in c.findings]


def councils_to_compare(library: Library, councils: list[str], neighbours_of: str | None = None) -> list[str]:
    """The councils named (canonical, each once), or a council and its first three indexed
    statistical neighbours; QueryError with one sentence if they cannot be compared."""
    indexed = {r.meta.authority for r in library.snapshot().reports.values() if r.meta.authority}
    names: list[str] = []
    if neighbours_of:
        home = canonical_authority(neighbours_of)
        if home is None:
            raise QueryError(f"'{neighbours_of}' is not an English council")
        names = [home] + [n for n in statistical_neighbours(home) if n in indexed][: MAX_COUNCILS - 1]
        if len(names) == 1 and not councils:
            raise QueryError(f"none of {home}'s statistical neighbours has reports in this index: "
                             "name the councils to compare instead")
    for given in councils:
        name = canonical_authority(given)
        if name is None:
            raise QueryError(f"'{given}' is not an English council")
        if name in names:
            raise QueryError(f"{name} is named twice: compare two to four different councils")
        names.append(name)
    if len(names) < 2:
        raise QueryError("choose two to four different councils to compare (or a council's neighbours)")
    if len(names) > MAX_COUNCILS:
        raise QueryError(f"compare at most {MAX_COUNCILS} councils at once; {len(names)} were chosen")
    missing = [n for n in names if n not in indexed]
    if missing:
        raise QueryError(f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no reports in this index")
    return names


def compare(library: Library, councils: list[str], theme: str, neighbours_of: str | None = None,
            per_council: int = PER_COUNCIL) -> Comparison:
    names = councils_to_compare(library, councils, neighbours_of)
    weak = library.settings.search.weak_similarity
    columns = []
    for name in names:
        hits = library.search(theme, k=per_council * 3, filters=Filters(authorities=(name,)))
        close = spread([h for h in hits if h.similarity is None or h.similarity >= weak], per_council)
        close.sort(key=lambda h: (h.report.meta.when.toordinal() if h.report.meta.when else 0), reverse=True)
        reports = sum(1 for r in library.snapshot().reports.values() if r.meta.authority == name)
        columns.append(CouncilColumn(name, tuple(Finding(h, tag_paragraph(h.paragraph.text)) for h in close), reports))
    return Comparison(theme, tuple(columns))


def spread(hits: list[Hit], n: int) -> list[Hit]:
    """At most n of the ranked hits: each report's best hit first (in rank order), then the next
    best of any report.  Five hits of one old inspection must not hide what the newest one says."""
    seen: set[str] = set()
    firsts, rest = [], []
    for hit in hits:
        (rest if hit.report.id in seen else firsts).append(hit)
        seen.add(hit.report.id)
    chosen = {id(h) for h in (firsts + rest)[:n]}
    return [h for h in hits if id(h) in chosen]
