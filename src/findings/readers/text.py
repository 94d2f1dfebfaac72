"""Plain text and Markdown: one page per form feed or Markdown rule ("---"), else one page."""

from __future__ import annotations

import re
from pathlib import Path

from findings.models import Page
from findings.readers import ReadError, clean_text

_PAGE_BREAK = re.compile(r"\f|^\s*---+\s*$", re.M)


def read_text(path: Path) -> list[Page]:
    raw = path.read_bytes()
    head = raw[:4096]
    if head.count(b"\x00") > len(head) // 10 and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("the file looks binary, not text")
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise ReadError("the text encoding is not UTF-8, UTF-16 or Windows-1252")
    text = clean_text(text)
    if path.suffix.lower() in (".md", ".markdown"):
        text = _markdown_to_text(text)
    parts = _PAGE_BREAK.split(text) if path.suffix.lower() in (".md", ".markdown") else text.split("\f")
    return [Page(i + 1, part) for i, part in enumerate(parts)]


_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|<b>|</b>|<i>|</i>|<strong>|</strong>)")


def _markdown_to_text(text: str) -> str:
    """Keep headings as "## " lines (the splitter reads them), drop links and emphasis marks."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_EMPHASIS.sub("", text)
    return re.sub(r"^#{1,6}[ \t]+", "## ", text, flags=re.M)
