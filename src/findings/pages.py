"""See the source: the original file of a report, and its cited page drawn with the paragraph marked.

The index keeps what this needs: an upload's file under `<index>/uploads`, and for a file
ingested from disk its path and content hash.  `source_file` finds the file and says, in one
sentence, when it has moved or changed since it was indexed; `render_page` draws the cited
PDF page as a PNG with PyMuPDF (no external viewer), the paragraph's lines shaded.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from findings.display import text_path
from findings.files import sha256_file
from findings.models import Paragraph, Report

logger = logging.getLogger(__name__)

DPI = 110
MARK_RGB = (1.0, 0.85, 0.2)  # the shading over the paragraph
_OPENING_WORDS = 8
_CLOSING_WORDS = 6


@dataclass(frozen=True)
class SourceFile:
    """Where a report's original file is, and whether it is still the file that was indexed."""

    path: Path | None
    problem: str | None = None  # one sentence when the file is missing or changed

    @property
    def usable(self) -> bool:
        return self.path is not None and self.problem is None

    @property
    def is_pdf(self) -> bool:
        return self.path is not None and self.path.suffix.lower() == ".pdf"


def source_file(report: Report) -> SourceFile:
    """The report's original file, if it is where it was and unchanged."""
    path = text_path(report.source)  # the file, even when its name is not UTF-8
    if not path.is_file():
        return SourceFile(None, f"The file {report.file} is no longer at {path.parent}; it has moved or been deleted.")
    digest = report.content_hash.split("-", 1)[0]
    try:
        current = sha256_file(path)
    except OSError as exc:
        return SourceFile(None, f"The file {report.file} cannot be read ({exc.strerror or exc}).")
    if current != digest:
        return SourceFile(
            path, f"The file {report.file} has changed since it was indexed; ingest it again to see it as it is."
        )
    return SourceFile(path)


def render_page(path: Path, paragraph: Paragraph, dpi: int = DPI) -> bytes:
    """The PNG of the paragraph's page, with the lines from its opening words to its closing
    words (or the page's end, when it runs on) shaded.  The file is never changed."""
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    with pymupdf.open(str(path)) as document:
        number = max(1, min(paragraph.page or 1, document.page_count))
        page = document[number - 1]
        area = paragraph_area(page, paragraph.text)
        if area is not None:
            shade = page.add_rect_annot(area)
            shade.set_colors(stroke=MARK_RGB, fill=MARK_RGB)
            shade.set_opacity(0.35)
            shade.update()
        return page.get_pixmap(dpi=dpi).tobytes("png")


def paragraph_area(page, text: str):  # -> pymupdf.Rect | None
    """The rectangle from the paragraph's first line to its last on this page, or None when
    its opening words cannot be found there."""
    import pymupdf

    words = _words(text)
    start = _find(page, words[:_OPENING_WORDS])
    if start is None:
        return None
    closing = words[-_CLOSING_WORDS:] if len(words) > _OPENING_WORDS else words
    end = _find(page, closing, below=start.y0, last=True)
    if end is None:  # runs on to the next page: shade to the lowest text on this page
        bottom = max((b[3] for b in page.get_text("blocks") if b[1] >= start.y0), default=start.y1)
        end = pymupdf.Rect(start.x0, start.y0, start.x1, bottom)
    left = min(start.x0, end.x0, *(b[0] for b in page.get_text("blocks") if start.y0 <= b[1] <= end.y1))
    right = max(start.x1, end.x1, *(b[2] for b in page.get_text("blocks") if start.y0 <= b[1] <= end.y1))
    return pymupdf.Rect(left - 2, start.y0 - 2, right + 2, end.y1 + 2)


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)
    return re.findall(r"[^\s]+", text)


def _find(page, words: list[str], below: float = -1.0, last: bool = False):  # -> pymupdf.Rect | None
    """Where a run of words stands on the page, at or below `below`: its top line, or with
    `last` its bottom line (shorter runs are tried when the whole is not found)."""
    for size in range(len(words), 1, -1):
        run = words[-size:] if last else words[:size]  # the words nearest the end sought
        hits = [r for r in page.search_for(" ".join(run)) if r.y0 >= below - 1]
        if hits:
            return max(hits, key=lambda r: r.y1) if last else min(hits, key=lambda r: r.y0)
    return None
