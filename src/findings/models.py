"""The data that crosses stage boundaries: pages, paragraphs, reports, hits.

Data flows one way: files -> Page -> Paragraph (+ ReportMeta) -> Report in the store
-> Hit from search.  Everything here is a frozen dataclass; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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
    url: str | None = None  # where the report is published, once a user sets it

    @property
    def when(self) -> date | None:
        """The report's date: the inspection's start, else its end, else publication."""
        return self.inspection_start or self.inspection_end or self.published

    @property
    def year(self) -> int | None:
        """The year of `when`: what the year filters, charts and report ids use."""
        return self.when.year if self.when else None


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
    tag: str | None = None  # "strength", "weakness" (area for improvement) or "context"; None if untagged

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
    file_name: str = ""  # the file as the user had it (an upload's own name), never a path

    @property
    def file(self) -> str:
        """The report's file name: `file_name`, else the last part of `source`."""
        return self.file_name or self.source.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Hit:
    """One search result: a paragraph, the report it sits in, and why it matched."""

    paragraph: Paragraph
    report: Report
    score: float
    highlights: tuple[str, ...] = ()
    citation: str = ""
    section_judgement: str | None = None  # the judgement key the paragraph's section reports on
    section_grade: str | None = None  # that judgement's grade in this report
    similarity: float | None = None  # closeness to the query on one scale (None in keyword mode)
    matched: str = ""  # the words highlights were chosen by: the query and its glossary phrases
