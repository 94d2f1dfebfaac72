"""A file -> its pages, paragraphs and metadata: the parsing half of an ingest.

`parse_file` reads a file, refuses what is no report, splits the pages into paragraphs and reads
the metadata.  It runs in the sandbox's child process (`findings.sandbox.parse_limited`), so the
file's time and memory budget covers splitting as well as reading; what it returns crosses the
process boundary as JSON (`to_json` / `from_json`), never pickle.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

from findings.models import Page, Paragraph, ReportMeta
from findings.readers import ReadError


@dataclass(frozen=True)
class Parsed:
    pages: list[Page]
    drafts: list[Paragraph]  # paragraphs whose report id is not known yet
    meta: ReportMeta


def parse_file(path: Path, name: str = "") -> dict:
    """`path` read, screened, split and described, as JSON-ready data; raises ReadError.
    `name` is the file's name as stored (a fallback for the council and the date)."""
    from findings.metadata import extract_metadata, not_a_report
    from findings.readers import read_pages
    from findings.split import split_pages

    pages = read_pages(path)
    if reason := not_a_report(pages):
        raise ReadError(reason)
    drafts = with_tags(split_pages(pages))
    if not drafts:
        raise ReadError("no paragraphs found in the text")
    return to_json(Parsed(pages, drafts, extract_metadata(pages, name or path.name)))


def with_tags(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """The paragraphs with their strength / area-for-improvement / context tag."""
    from findings.tagging import tag_paragraph

    return [replace(p, tag=tag_paragraph(p.text, reasons=False).label) for p in paragraphs]


def to_json(parsed: Parsed) -> dict:
    meta = asdict(parsed.meta)
    for key in ("inspection_start", "inspection_end", "published"):
        meta[key] = meta[key].isoformat() if meta[key] else None
    return {
        "pages": [[p.number, p.text, p.label] for p in parsed.pages],
        "drafts": [asdict(d) for d in parsed.drafts],
        "meta": meta,
    }


def from_json(data: dict) -> Parsed:
    meta = dict(data["meta"])
    for key in ("inspection_start", "inspection_end", "published"):
        meta[key] = date.fromisoformat(meta[key]) if meta[key] else None
    return Parsed(
        pages=[Page(*row) for row in data["pages"]],
        drafts=[Paragraph(**row) for row in data["drafts"]],
        meta=ReportMeta(**meta),
    )
