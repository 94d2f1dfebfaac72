"""The data that crosses stage boundaries: pages, paragraphs, reports, hits.

Data flows one way: files -> Page -> Paragraph (+ ReportMeta) -> Report in the store
-> Hit from search.  Everything here is a frozen dataclass; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Grades, normalised. "requires improvement" covers "requires improvement to be good".
GRADES: tuple[str, ...] = (
    "outstanding",
    "good",
    "requires improvement",
    "adequate",
    "inadequate",
)

# Judgement keys line up with ../shared/corpus/ilacs_history.csv; extra ones have their own keys.
JUDGEMENT_KEYS: tuple[str, ...] = (
    "overall_effectiveness",
    "impact_of_leaders",
    "help_and_protection",
    "in_care",
    "care_leavers",
    "adoption",
    "lscb",
)

JUDGEMENT_LABELS: dict[str, str] = {
    "overall_effectiveness": "Overall effectiveness",
    "impact_of_leaders": "Impact of leaders",
    "help_and_protection": "Help and protection",
    "in_care": "Children in care",
    "care_leavers": "Care leavers",
    "adoption": "Adoption performance",
    "lscb": "Local Safeguarding Children Board",
}

# Report types: key -> the words used in a citation.
REPORT_TYPES: dict[str, str] = {
    "ilacs_standard": "inspection of local authority children's services (ILACS standard)",
    "ilacs_short": "inspection of local authority children's services (ILACS short)",
    "focused_visit": "focused visit",
    "monitoring_visit": "monitoring visit",
    "sif": "single inspection framework inspection",
    "child_protection_2012": "inspection of arrangements for the protection of children",
    "jtai": "joint targeted area inspection",
    "peer_review": "peer review",
    "press_release": "press release",
    "other": "other document",
}

PARAGRAPH_KINDS: tuple[str, ...] = ("numbered", "item", "prose")


@dataclass(frozen=True)
class Page:
    """One page of a source document, as text; `number` is 1-based (the PDF page index).

    `label` is the page number printed on the page, as printed ("21"), or None when the page
    prints none (cover pages; text, Markdown and Word files).
    """

    number: int
    text: str
    label: str | None = None


@dataclass(frozen=True)
class ReportMeta:
    """What a report says about itself. Any field may be corrected by the user later."""

    authority: str | None = None
    report_type: str = "other"
    title: str = ""
    inspection_start: date | None = None
    inspection_end: date | None = None
    published: date | None = None
    lead_inspector: str | None = None
    judgements: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Paragraph:
    """A citable unit of a report.

    `key` is local to the report: "p9" for Ofsted's paragraph 9, "i3" for the third list
    item, "s2" for the second unnumbered prose paragraph.  `id` is "<report_id>:<key>".

    `page` is the 1-based page index of the page holding the paragraph's first words, and
    `page_label` the number printed on that page (None when it prints none): cite `page_label`
    when set, else `page`.  `heading` is the nearest heading above the paragraph as printed
    (no grade words alone, table headers, front matter or footnote marks; "" before the first
    heading), and `ordinal` the paragraph's 1-based place under that heading among paragraphs
    of the same kind and the same boilerplate flag: "page 2, 'What needs to improve?', item 4".
    """

    report_id: str
    key: str
    number: int | None
    kind: str
    section: str
    page: int | None
    position: int
    text: str
    boilerplate: bool = False
    number_inferred: bool = False
    page_label: str | None = None
    heading: str = ""
    ordinal: int = 0

    @property
    def id(self) -> str:
        return f"{self.report_id}:{self.key}"


@dataclass(frozen=True)
class Report:
    """A stored report: its metadata (with user corrections applied) and where it came from."""

    id: str
    source: str
    content_hash: str
    meta: ReportMeta
    pages: int = 0
    paragraph_count: int = 0


@dataclass(frozen=True)
class Hit:
    """One search result: a paragraph, the report it sits in, and why it matched."""

    paragraph: Paragraph
    report: Report
    score: float
    highlights: tuple[str, ...] = ()
    citation: str = ""
    section_grade: str | None = None
