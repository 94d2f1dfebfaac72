"""Readers: one small module per input format, each turning a file into pages of clean text.

`read_pages(path)` picks the reader by file suffix.  Every reader returns NFKC-normalised text
with no NUL, control or replacement characters; a file that cannot be read raises `ReadError`
with one sentence that says why.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from findings.models import Page

SUPPORTED_SUFFIXES = (".pdf", ".txt", ".md", ".markdown", ".docx")
MAX_FILE_BYTES = 100 * 1024 * 1024


class ReadError(Exception):
    """A file that cannot be turned into text; the message is one sentence for the user."""


# Control characters other than tab and newline, the replacement characters, and the
# "noncharacter" U+FFFE that PDF text layers use as a soft hyphen marker.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff\u200b\ufeff]")
BULLET_MARKS = (
    "\uf0b7\uf0a7\uf0d8\uf076\uf0fc\uf06e\uf02d\uf0be"  # Symbol and Wingdings bullets in PDF text layers
    "•●◼■▪◾□○◦►▶➢✓\u2022\u25aa\u25cf\u25a0\u25fc"
)
_BULLETS = re.compile(rf"^[ \t]*[{BULLET_MARKS}]\s*", re.M)


def clean_text(text: str) -> str:
    """NFKC-normalise (ligatures such as "ﬁ" expand), drop junk characters, unify bullets."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00ad", "")
    text = _JUNK.sub("", text)
    return _BULLETS.sub("- ", text)


def check_file(path: str | Path) -> str:
    """The file's lower-case suffix, after the checks that need no parsing (type, size);
    raises ReadError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadError(f"unsupported file type '{suffix or path.name}' (use PDF, text, Markdown or Word .docx)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"cannot open the file ({exc.strerror or exc})") from exc
    if size == 0:
        raise ReadError("the file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise ReadError(f"the file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 1_000_000} MB limit")
    return suffix


def read_pages(path: str | Path) -> list[Page]:
    """Read a report into pages of text; raises ReadError for anything unreadable."""
    path = Path(path)
    suffix = check_file(path)
    if suffix == ".pdf":
        from findings.readers.pdf import read_pdf

        pages = read_pdf(path)
    elif suffix == ".docx":
        from findings.readers.docx import read_docx

        pages = read_docx(path)
    else:
        from findings.readers.text import read_text

        pages = read_text(path)
    if not any(p.text.strip() for p in pages):
        raise ReadError("no text found in the file (empty, or a scanned document without a text layer)")
    return pages
