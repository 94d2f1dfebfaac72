"""An analyst's saved work: named collections of paragraphs, and saved searches.

Both live in the index's database (`store.saved`), so they survive a reload, a second tab, a
restart and a crash of the app, and the CLI sees what the app saved.  This module holds what
is more than SQL: the checks on names and notes (one sentence for each mistake), the copy of
a paragraph saved when it is collected (its export record, with the citation), and reading a
collection back with each item's paragraph as indexed now, or its saved copy when its report
has been removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from findings.errors import QueryError
from findings.export import REMOVED, ExportItem, record_for
from findings.models import Paragraph, Report
from findings.search import find_paragraph
from findings.store import Store
from findings.store_saved import CollectedItem, CollectionInfo, SavedSearch

DEFAULT_COLLECTION = "My selection"
MAX_NAME_CHARS = 80
MAX_NOTE_CHARS = 4000
_NAME_FORBIDDEN = re.compile(r"[<>{}\[\]`*|\\]")
_MARKUP = re.compile(r"<[^>]*>|\[[^\]]*\]\([^)]*\)")

__all__ = [
    "DEFAULT_COLLECTION", "CollectedItem", "CollectionEntry", "CollectionInfo", "SavedSearch",
    "check_name", "check_note", "collect", "entries", "export_items",
]


def check_name(name: str, what: str = "collection") -> str:
    """A collection or saved search name, tidied; QueryError with one sentence if unusable."""
    if not isinstance(name, str):
        raise QueryError(f"give the {what} a name")
    tidy = " ".join(unicodedata.normalize("NFC", name).split())
    if not tidy:
        raise QueryError(f"give the {what} a name; it cannot be empty")
    if len(tidy) > MAX_NAME_CHARS:
        raise QueryError(f"a {what} name can be at most {MAX_NAME_CHARS} characters; this one has {len(tidy)}")
    if any(unicodedata.category(ch).startswith("C") for ch in tidy) or _NAME_FORBIDDEN.search(tidy):
        raise QueryError(
            f"a {what} name is plain words: letters, numbers, spaces and simple punctuation, "
            "without < > { } [ ] ` * | or \\"
        )
    return tidy


def check_note(note: str | None) -> tuple[str, str | None]:
    """(the note to store, a sentence to show about it or None).  Notes are plain text: markup
    is kept as typed and shown as typed, never run."""
    note = (note or "").replace("\r\n", "\n").strip()
    note = "".join(ch for ch in note if ch in "\n\t" or not unicodedata.category(ch).startswith("C"))
    if len(note) > MAX_NOTE_CHARS:
        raise QueryError(f"a note can be at most {MAX_NOTE_CHARS} characters; this one has {len(note)}")
    told = "Notes are kept as plain text: the markup is shown as typed, never run." if _MARKUP.search(note) else None
    return note, told


def collect(
    store: Store, name: str, paragraph_id: str, note: str = "", query: str | None = None
) -> bool:
    """Add a paragraph to a collection (made if missing), with its citation saved; False if it
    was already there.  Raises QueryError for an unknown paragraph or a bad name or note."""
    name = check_name(name)
    note, _ = check_note(note)
    _, paragraph, report = find_paragraph(store, paragraph_id)
    saved = record_for(paragraph, report, query)
    return store.saved.add_item(
        name, paragraph.id, report.id, paragraph.number, paragraph.text, saved, note, query
    )


CHANGED = "no longer in the report as collected"


@dataclass(frozen=True)
class CollectionEntry:
    """A collected item with its paragraph and report as indexed now; both None once its
    report is removed, or when the report was read again without that paragraph."""

    item: CollectedItem
    paragraph: Paragraph | None
    report: Report | None
    status: str = ""  # REMOVED or CHANGED when the saved copy is what is shown

    @property
    def removed(self) -> bool:
        return self.paragraph is None or self.report is None

    @property
    def citation(self) -> str:
        if self.removed:
            return str(self.item.saved.get("citation") or self.item.paragraph_id)
        from findings.citations import citation

        return citation(self.report, self.paragraph)

    @property
    def text(self) -> str:
        return self.item.text if self.removed else self.paragraph.text


def entries(store: Store, name: str) -> list[CollectionEntry]:
    """A collection's items in order, each with its paragraph as indexed now."""
    found = []
    reports: dict[str, Report | None] = {}
    for item in store.saved.items(name):
        if item.report_id not in reports:
            reports[item.report_id] = store.report(item.report_id)
        report = reports[item.report_id]
        paragraph = store.paragraph(item.paragraph_id) if report is not None else None
        if report is None:
            found.append(CollectionEntry(item, None, None, REMOVED))
        elif paragraph is None or paragraph.text != item.text:
            found.append(CollectionEntry(item, None, None, CHANGED))
        else:
            found.append(CollectionEntry(item, paragraph, report))
    return found


def export_items(collection: Sequence[CollectionEntry]) -> list[ExportItem]:
    """Export items for a collection: live records, or the saved copy of a removed paragraph."""
    items = []
    for entry in collection:
        if entry.removed:
            items.append(ExportItem(entry.item.saved, entry.item.note, entry.status))
        else:
            items.append(ExportItem.of(entry.paragraph, entry.report, entry.item.query, entry.item.note))
    return items
