"""Cited paragraphs out to CSV, Markdown, Word and JSON, and safely onto disk.

Every format carries the same record per paragraph (`record_for`): the council, report title
and type, inspection and publication dates, where the paragraph stands (its number, or its
heading and place under it), its page, the report's file name and web address (never a local
path), the query that found it, the analyst's note, and one citation string
(`findings.citations.cite`), identical in all four formats.  A collected paragraph whose report
has since been removed is exported from the copy saved when it was collected, marked so.
Exports can be grouped by council or by section heading.  Text is cleaned of characters XML
cannot hold in every format (so the Word file opens and citations match); CSV cells that a
spreadsheet would run as a formula get a leading quote.  `write` writes to exactly the path
given, atomically, and never over an existing file unless forced.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from findings.citations import cite, date_range
from findings.errors import QueryError
from findings.files import TargetExists, atomic_write
from findings.models import Hit, Paragraph, Report
from findings.search import find_paragraph
from findings.store import Store
from findings.vocabulary import EXPORT_FORMATS, TAG_LABELS, report_type

logger = logging.getLogger(__name__)

FORMATS = tuple(EXPORT_FORMATS)
GROUPINGS = ("council", "section")
FIELDS = (
    "id", "authority", "report_id", "report_title", "report_type", "report_type_name",
    "inspection_start", "inspection_end", "published", "paragraph", "section", "heading", "page",
    "pdf_page", "source", "url", "tag", "citation", "query", "note", "status", "group", "text",
)
REMOVED = "removed from the index"
# Not allowed in XML 1.0: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])", re.MULTILINE)

Record = Mapping[str, "str | int | None"]


@dataclass(frozen=True)
class ExportItem:
    """One paragraph to export: its record (live, or the copy saved when it was collected),
    the analyst's note and, for a paragraph whose report is gone, its status."""

    record: Record
    note: str = ""
    status: str = ""

    @classmethod
    def of(cls, paragraph: Paragraph, report: Report, query: str | None = None, note: str = "") -> ExportItem:
        return cls(record_for(paragraph, report, query), note)

    @property
    def query(self) -> str | None:
        return self.record.get("query")  # type: ignore[return-value]


def items_from_hits(hits: Sequence[Hit], query: str | None) -> list[ExportItem]:
    return [ExportItem.of(hit.paragraph, hit.report, query) for hit in hits]


def items_from_ids(store: Store, ids: Sequence[str], query: str | None = None) -> list[ExportItem]:
    """The paragraphs with these ids, in the order given (repeats dropped)."""
    items: list[ExportItem] = []
    for paragraph_id in dict.fromkeys(ids):
        _, paragraph, report = find_paragraph(store, paragraph_id)
        items.append(ExportItem.of(paragraph, report, query))
    return items


def clean(text: str | None) -> str:
    """`text` without the characters XML 1.0 cannot hold ("" for None)."""
    return _XML_ILLEGAL.sub("", text) if text else ""


def record_for(paragraph: Paragraph, report: Report, query: str | None = None) -> dict[str, str | int | None]:
    """The fields every format carries for one paragraph, cleaned of XML-illegal characters.
    This is also the copy a collection saves of a paragraph."""
    meta = report.meta
    citation = cite(report, paragraph)
    values: dict[str, str | int | None] = {
        "id": paragraph.id,
        "authority": meta.authority,
        "report_id": report.id,
        "report_title": meta.title,
        "report_type": meta.report_type,
        "report_type_name": report_type(meta.report_type).label,
        "inspection_start": meta.inspection_start.isoformat() if meta.inspection_start else None,
        "inspection_end": meta.inspection_end.isoformat() if meta.inspection_end else None,
        "published": meta.published.isoformat() if meta.published else None,
        "paragraph": citation.place,
        "section": paragraph.section,
        "heading": paragraph.heading or paragraph.section,
        "page": citation.page.removeprefix("page ") or None,
        "pdf_page": paragraph.page,
        "source": citation.file,
        "url": citation.url,
        "tag": TAG_LABELS.get(paragraph.tag or ""),
        "citation": citation.text,
        "query": query,
        "text": paragraph.text,
    }
    return {key: clean(value) if isinstance(value, str) else value for key, value in values.items()}


def record(item: ExportItem, group: str = "") -> dict[str, str | int | None]:
    """An item's full record in FIELDS order: note, status and group filled in."""
    extra = {"note": clean(item.note) or None, "status": item.status or None, "group": group or None}
    merged = {**item.record, **extra}
    return {field: merged.get(field) for field in FIELDS}


def group_of(item: ExportItem, group_by: str | None) -> str:
    """The group an item falls in: its council, or its section heading."""
    if group_by is None:
        return ""
    if group_by == "council":
        return str(item.record.get("authority") or item.record.get("report_id") or "")
    return str(item.record.get("heading") or item.record.get("section") or "No heading")


def grouped(items: Sequence[ExportItem], group_by: str | None) -> list[tuple[str, list[ExportItem]]]:
    """Items in groups, each group where its first item stood, items in their order."""
    if group_by is not None and group_by not in GROUPINGS:
        raise QueryError(f"unknown grouping '{group_by}': use one of {', '.join(GROUPINGS)}")
    groups: dict[str, list[ExportItem]] = {}
    for item in items:
        groups.setdefault(group_of(item, group_by), []).append(item)
    return list(groups.items())


def render(
    items: Sequence[ExportItem], fmt: str, title: str = "Findings", group_by: str | None = None
) -> bytes:
    """The export file's bytes in one of FORMATS, grouped by council or section if asked."""
    renderers: dict[str, Callable[[list[tuple[str, list[ExportItem]]], str], bytes]] = {
        "csv": _csv, "md": _markdown, "docx": _docx, "json": _json,
    }
    if fmt not in renderers:
        raise QueryError(f"unknown export format '{fmt}': use one of {', '.join(FORMATS)}")
    return renderers[fmt](grouped(items, group_by), clean(title) or "Findings")


def write(
    items: Sequence[ExportItem], fmt: str, out: str, force: bool = False, *, title: str = "Findings",
    group_by: str | None = None,
) -> None:
    """Render and write to `out` ("-" is stdout, for text formats), atomically.

    Refuses a folder, a symbolic link at the target, a missing folder, and an existing file
    unless `force`; in no case is anything written anywhere but `out`.
    """
    if out == "-":
        if fmt not in EXPORT_FORMATS or not EXPORT_FORMATS[fmt].text:
            raise QueryError(f"a {fmt} file cannot go to standard output; give --out FILE")
        data = render(items, fmt, title, group_by)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = _target(out, force)
    data = render(items, fmt, title, group_by)
    _atomic_write(target, data, force)
    logger.info("wrote %d paragraphs to %s", len(items), target)


def _target(out: str, force: bool) -> Path:
    given = Path(out).expanduser()
    if not given.name or given.name in (".", ".."):
        raise QueryError(f"{out} is a folder; give a file name to export to")
    if given.is_symlink():
        raise QueryError(f"{out} is a symbolic link; give the path of a plain file to export to")
    folder = given.parent.resolve()
    if not folder.is_dir():
        raise QueryError(f"the folder {given.parent} does not exist")
    target = folder / given.name
    if target.is_dir():
        raise QueryError(f"{out} is a folder; give a file name to export to")
    if target.exists() and not force:
        raise QueryError(f"{out} exists; use --force to overwrite")
    if target.exists() and not target.is_file():
        raise QueryError(f"{out} is not a regular file; give another path to export to")
    return target


def _atomic_write(target: Path, data: bytes, force: bool) -> None:
    """Onto the target atomically; without `force`, never over something that appeared there
    since `_target` looked (the temp file is linked, not renamed, into place)."""
    try:
        atomic_write(target, data, overwrite=force)
    except TargetExists as exc:
        raise QueryError(f"{target} exists; use --force to overwrite") from exc


# --- formats --------------------------------------------------------------------------------


def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula, made inert with a leading quote."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


Groups = list[tuple[str, list[ExportItem]]]


def _csv(groups: Groups, title: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for group, items in groups:
        for item in items:
            row = record(item, group)
            writer.writerow([neutralise(str(row[f])) if row[f] is not None else "" for f in FIELDS])
    return buffer.getvalue().encode("utf-8-sig")


def _json(groups: Groups, title: str) -> bytes:
    rows = [record(item, group) for group, items in groups for item in items]
    return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _queries(groups: Groups) -> list[str]:
    return list(dict.fromkeys(clean(item.query) for _, items in groups for item in items if item.query))


def _details(row: Mapping) -> str:
    """One line of what the citation does not spell out: title, type, dates, section, file."""
    source = f"{row['source']} ({row['url']})" if row["url"] else row["source"]
    parts = [
        f"Report: {row['report_title']}" if row["report_title"] else "",
        f"Type: {row['report_type_name']}",
        f"Inspected: {row['inspected']}" if row["inspected"] else "",
        f"Published: {row['published_text']}" if row["published_text"] else "",
        f"Section: {row['section']}" if row["section"] else "",
        f"Page: {row['page']}" if row["page"] else "",
        f"Tag: {row['tag']}" if row.get("tag") else "",
        f"Source: {source}" if source else "",
        f"Query: {row['query']}" if row["query"] else "",
    ]
    return " · ".join(p for p in parts if p)


def _view(item: ExportItem) -> dict:
    row = record(item)
    row["inspected"] = date_range(_date(row["inspection_start"]), _date(row["inspection_end"]))
    row["published_text"] = date_range(_date(row["published"]), None)
    return row


def _date(value):  # -> date | None
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def md_escape(text: str) -> str:
    """Report text as literal Markdown: no HTML, links, emphasis, headings or lists."""
    return _MD_LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))


def _markdown(groups: Groups, title: str) -> bytes:
    lines = [f"# {md_escape(title)}", ""]
    for query in _queries(groups):
        lines += [f"Query: {md_escape(query)}", ""]
    for group, items in groups:
        if group:
            lines += [f"## {md_escape(group)}", ""]
        for item in items:
            row = _view(item)
            lines_of_text = (row["text"] or "").splitlines()
            quoted = [f"> {md_escape(line)}" if line.strip() else ">" for line in lines_of_text]
            lines += [*(quoted or [">"]), "", f"— {md_escape(row['citation'] or '')}", ""]
            if row["status"]:
                status = f"{row['status'].capitalize()}: the text and citation saved when it was collected."
                lines += [f"*{md_escape(status)}*", ""]
            if row["note"]:
                lines += [f"Note: {md_escape(row['note'])}", ""]
            lines += [md_escape(_details(row)), "", "---", ""]
    return "\n".join(lines).encode("utf-8")


def _docx(groups: Groups, title: str) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for query in _queries(groups):
        document.add_paragraph(f"Query: {query}")
    for group, items in groups:
        if group:
            document.add_heading(group, level=2)
        for item in items:
            row = _view(item)
            document.add_paragraph(row["text"] or "", style="Quote")
            document.add_paragraph().add_run(row["citation"] or "").bold = True
            if row["status"]:
                document.add_paragraph().add_run(
                    f"{row['status'].capitalize()}: the text and citation saved when it was collected."
                ).italic = True
            if row["note"]:
                document.add_paragraph(f"Note: {row['note']}")
            small = document.add_paragraph().add_run(_details(row))
            small.font.size = Pt(8)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
