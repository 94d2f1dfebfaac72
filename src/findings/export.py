"""Cited paragraphs out to CSV, Markdown, Word and JSON, and safely onto disk.

Every format carries the same record per paragraph (`record`): the council, report title and
type, inspection and publication dates, the paragraph's label, section, source file, the query
that found it and one citation string, identical in all four formats.  Text is cleaned of
characters XML cannot hold in every format (so the Word file opens and citations match);
CSV cells that a spreadsheet would run as a formula get a leading quote.  `write` writes to
exactly the path given, atomically, and never over an existing file unless forced.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from findings.citations import citation, date_range, paragraph_label
from findings.errors import QueryError
from findings.files import TargetExists, atomic_write
from findings.models import Hit, Paragraph, Report
from findings.search import find_paragraph
from findings.store import Store
from findings.vocabulary import EXPORT_FORMATS, report_type

logger = logging.getLogger(__name__)

FORMATS = tuple(EXPORT_FORMATS)
FIELDS = (
    "id", "authority", "report_id", "report_title", "report_type", "report_type_name",
    "inspection_start", "inspection_end", "published", "paragraph", "section", "page", "source",
    "citation", "query", "text",
)
# Not allowed in XML 1.0: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>]|\d+[.)])", re.MULTILINE)


@dataclass(frozen=True)
class ExportItem:
    """One paragraph to export, the report it sits in, and the query that found it."""

    paragraph: Paragraph
    report: Report
    query: str | None = None


def items_from_hits(hits: Sequence[Hit], query: str | None) -> list[ExportItem]:
    return [ExportItem(hit.paragraph, hit.report, query) for hit in hits]


def items_from_ids(store: Store, ids: Sequence[str], query: str | None = None) -> list[ExportItem]:
    """The paragraphs with these ids, in the order given (repeats dropped)."""
    items: list[ExportItem] = []
    for paragraph_id in dict.fromkeys(ids):
        _, paragraph, report = find_paragraph(store, paragraph_id)
        items.append(ExportItem(paragraph, report, query))
    return items


def clean(text: str | None) -> str:
    """`text` without the characters XML 1.0 cannot hold ("" for None)."""
    return _XML_ILLEGAL.sub("", text) if text else ""


def record(item: ExportItem) -> dict[str, str | int | None]:
    """The fields every format carries for one paragraph, cleaned of XML-illegal characters."""
    meta, paragraph = item.report.meta, item.paragraph
    values: dict[str, str | int | None] = {
        "id": paragraph.id,
        "authority": meta.authority,
        "report_id": item.report.id,
        "report_title": meta.title,
        "report_type": meta.report_type,
        "report_type_name": report_type(meta.report_type).label,
        "inspection_start": meta.inspection_start.isoformat() if meta.inspection_start else None,
        "inspection_end": meta.inspection_end.isoformat() if meta.inspection_end else None,
        "published": meta.published.isoformat() if meta.published else None,
        "paragraph": paragraph_label(paragraph),
        "section": paragraph.section,
        "page": paragraph.page,
        "source": item.report.source,
        "citation": citation(item.report, paragraph),
        "query": item.query,
        "text": paragraph.text,
    }
    return {key: clean(value) if isinstance(value, str) else value for key, value in values.items()}


def render(items: Sequence[ExportItem], fmt: str, title: str = "Findings") -> bytes:
    """The export file's bytes in one of FORMATS."""
    renderers = {"csv": _csv, "md": _markdown, "docx": _docx, "json": _json}
    if fmt not in renderers:
        raise QueryError(f"unknown export format '{fmt}': use one of {', '.join(FORMATS)}")
    return renderers[fmt](items, clean(title) or "Findings")


def write(
    items: Sequence[ExportItem], fmt: str, out: str, force: bool = False, *, title: str = "Findings"
) -> None:
    """Render and write to `out` ("-" is stdout, for text formats), atomically.

    Refuses a folder, a symbolic link at the target, a missing folder, and an existing file
    unless `force`; in no case is anything written anywhere but `out`.
    """
    if out == "-":
        if fmt not in EXPORT_FORMATS or not EXPORT_FORMATS[fmt].text:
            raise QueryError(f"a {fmt} file cannot go to standard output; give --out FILE")
        data = render(items, fmt, title)
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = _target(out, force)
    data = render(items, fmt, title)
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


def _csv(items: Sequence[ExportItem], title: str) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    for item in items:
        row = record(item)
        writer.writerow([neutralise(str(row[f])) if row[f] is not None else "" for f in FIELDS])
    return buffer.getvalue().encode("utf-8-sig")


def _json(items: Sequence[ExportItem], title: str) -> bytes:
    rows = [record(item) for item in items]
    return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _queries(items: Sequence[ExportItem]) -> list[str]:
    return list(dict.fromkeys(clean(item.query) for item in items if item.query))


def _details(row: dict) -> str:
    """One line of what the citation does not spell out: title, type, dates, section, file."""
    parts = [
        f"Report: {row['report_title']}" if row["report_title"] else "",
        f"Type: {row['report_type_name']}",
        f"Inspected: {row['inspected']}" if row["inspected"] else "",
        f"Published: {row['published_text']}" if row["published_text"] else "",
        f"Section: {row['section']}" if row["section"] else "",
        f"Source: {row['source']}",
        f"Query: {row['query']}" if row["query"] else "",
    ]
    return " · ".join(p for p in parts if p)


def _view(item: ExportItem) -> dict:
    row = record(item)
    meta = item.report.meta
    row["inspected"] = date_range(meta.inspection_start, meta.inspection_end)
    row["published_text"] = date_range(meta.published, None)
    return row


def md_escape(text: str) -> str:
    """Report text as literal Markdown: no HTML, links, emphasis, headings or lists."""
    return _MD_LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))


def _markdown(items: Sequence[ExportItem], title: str) -> bytes:
    lines = [f"# {md_escape(title)}", ""]
    for query in _queries(items):
        lines += [f"Query: {md_escape(query)}", ""]
    for item in items:
        row = _view(item)
        lines_of_text = row["text"].splitlines()
        quoted = [f"> {md_escape(line)}" if line.strip() else ">" for line in lines_of_text]
        lines += [*(quoted or [">"]), "", f"— {md_escape(row['citation'])}", ""]
        lines += [md_escape(_details(row)), "", "---", ""]
    return "\n".join(lines).encode("utf-8")


def _docx(items: Sequence[ExportItem], title: str) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()
    document.core_properties.title = title
    document.add_heading(title, level=1)
    for query in _queries(items):
        document.add_paragraph(f"Query: {query}")
    for item in items:
        row = _view(item)
        document.add_paragraph(row["text"], style="Quote")
        document.add_paragraph().add_run(row["citation"]).bold = True
        small = document.add_paragraph().add_run(_details(row))
        small.font.size = Pt(8)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
