"""Names and values as they may be shown or stored: never raw control characters, never raw bytes.

A file name is whatever bytes the file system holds.  `path_text` is the text a path is stored
and shown as: the path itself when it is valid UTF-8, else the same with each undecodable byte
written `\\xff` (`text_path` goes back).  `printable` is a name or value as it may be echoed to a
terminal or a log line: control characters, newlines and other invisible characters escaped
(`\\x1b`, `\\n`, `\\u202e`), so no name can move the cursor, colour the screen or forge a line of
output.  (Markdown is escaped for the web app by `findings.export.md_escape`.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_SURROGATE_BYTE = re.compile(r"[\udc80-\udcff]")
_BYTE_ESCAPE = re.compile(r"\\x([89a-f][0-9a-f])")


def printable(value: object) -> str:
    """`value` as text for a terminal or a log: printable characters as they are, the rest
    escaped (a byte that was not UTF-8 shows as `\\xff`)."""
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in str(value))


def _escape(ch: str) -> str:
    if _SURROGATE_BYTE.fullmatch(ch):  # a byte a file name held that is not UTF-8
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return ch.encode("unicode_escape").decode("ascii")


def path_text(path: str | os.PathLike[str]) -> str:
    """The path as text that can be stored (SQLite takes only valid UTF-8): itself, or with
    each byte that is not UTF-8 written as `\\xff`."""
    text = os.fspath(path)
    if not _SURROGATE_BYTE.search(text):
        return text
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def text_path(text: str) -> Path:
    """The path `path_text` made `text` from (a name that really holds `\\xff` is tried first)."""
    path = Path(text)
    if path.exists() or "\\x" not in text:
        return path
    raw = _BYTE_ESCAPE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), text)
    return Path(raw) if os.path.lexists(raw) else path
