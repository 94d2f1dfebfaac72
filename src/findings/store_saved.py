"""The SQL of an analyst's saved work, beside `store.py`: collections and saved searches.

A collection is a named, ordered list of paragraphs, each with a note and a saved copy of what
it was when collected (its text and its export record with the citation), so an item outlives
the report's removal.  Items point at paragraphs by id ("<report>:<key>"); when a report is
ingested again, `relink_collected` points items whose paragraph id has gone at the paragraph
of the same number, else of the same opening text.  A saved search is a name and the same
parameters a shared URL carries.  Names are compared without regard to case.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from findings.store import Store

TEXT_PREFIX = 60  # opening characters that identify a paragraph when its number does not


@dataclass(frozen=True)
class CollectionInfo:
    """One collection: its name, how many paragraphs it holds, and when it last changed."""

    name: str
    size: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class CollectedItem:
    """A paragraph in a collection, with its note and the copy saved when it was collected."""

    paragraph_id: str
    report_id: str
    position: int
    number: int | None
    text: str
    saved: dict[str, Any]
    note: str
    query: str | None
    added_at: str


@dataclass(frozen=True)
class SavedSearch:
    name: str
    params: dict[str, list[str]]
    created_at: str


class SavedWork:
    """Collections and saved searches in the index database (`store.saved`)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _db(self) -> sqlite3.Connection:
        return self._store.db

    # --- collections ----------------------------------------------------------------------------

    def collections(self) -> list[CollectionInfo]:
        rows = self._db.execute(
            "SELECT c.name, c.created_at, c.updated_at, COUNT(i.paragraph_id) AS size"
            " FROM collections c LEFT JOIN collection_items i ON i.collection_id = c.id"
            " GROUP BY c.id ORDER BY c.name COLLATE NOCASE"
        ).fetchall()
        return [CollectionInfo(r["name"], r["size"], r["created_at"], r["updated_at"]) for r in rows]

    def collection(self, name: str) -> CollectionInfo | None:
        return next((c for c in self.collections() if c.name.lower() == name.lower()), None)

    def create_collection(self, name: str) -> bool:
        """Create an empty collection; False if one of that name exists."""
        with self._store.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO collections (name, created_at, updated_at) VALUES (?, ?, ?)",
                (name, _now(), _now()),
            )
            return cursor.rowcount > 0

    def rename_collection(self, old: str, new: str) -> None:
        with self._store.transaction() as db:
            db.execute("UPDATE collections SET name = ?, updated_at = ? WHERE name = ?", (new, _now(), old))

    def delete_collection(self, name: str) -> bool:
        with self._store.transaction() as db:
            return db.execute("DELETE FROM collections WHERE name = ?", (name,)).rowcount > 0

    def items(self, name: str) -> list[CollectedItem]:
        rows = self._db.execute(
            "SELECT i.* FROM collection_items i JOIN collections c ON c.id = i.collection_id"
            " WHERE c.name = ? ORDER BY i.position",
            (name,),
        ).fetchall()
        return [
            CollectedItem(
                paragraph_id=r["paragraph_id"], report_id=r["report_id"], position=r["position"],
                number=r["number"], text=r["text"], saved=json.loads(r["saved"]), note=r["note"],
                query=r["query"], added_at=r["added_at"],
            )
            for r in rows
        ]

    def add_item(
        self, name: str, paragraph_id: str, report_id: str, number: int | None, text: str,
        saved: dict[str, Any], note: str = "", query: str | None = None,
    ) -> bool:
        """Append a paragraph to a collection (made if missing); False if it is already there."""
        with self._store.transaction() as db:
            collection_id = self._ensure(db, name)
            end = db.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM collection_items WHERE collection_id = ?",
                (collection_id,),
            ).fetchone()[0]
            cursor = db.execute(
                "INSERT OR IGNORE INTO collection_items (collection_id, position, paragraph_id,"
                " report_id, number, text, saved, note, query, added_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (collection_id, end, paragraph_id, report_id, number, text, json.dumps(saved), note,
                 query, _now()),
            )
            if cursor.rowcount:
                self._touch(db, collection_id)
            return cursor.rowcount > 0

    def remove_item(self, name: str, paragraph_id: str) -> bool:
        with self._store.transaction() as db:
            collection_id = self._id(db, name)
            removed = db.execute(
                "DELETE FROM collection_items WHERE collection_id = ? AND paragraph_id = ?",
                (collection_id, paragraph_id),
            ).rowcount
            if removed:
                self._touch(db, collection_id)
            return removed > 0

    def set_note(self, name: str, paragraph_id: str, note: str) -> bool:
        with self._store.transaction() as db:
            collection_id = self._id(db, name)
            changed = db.execute(
                "UPDATE collection_items SET note = ? WHERE collection_id = ? AND paragraph_id = ?",
                (note, collection_id, paragraph_id),
            ).rowcount
            if changed:
                self._touch(db, collection_id)
            return changed > 0

    def reorder(self, name: str, paragraph_ids: list[str]) -> None:
        """Put the items in this order (ids not named keep their order, after these)."""
        with self._store.transaction() as db:
            collection_id = self._id(db, name)
            current = [
                r[0] for r in db.execute(
                    "SELECT paragraph_id FROM collection_items WHERE collection_id = ? ORDER BY position",
                    (collection_id,),
                )
            ]
            wanted = [p for p in paragraph_ids if p in current]
            order = wanted + [p for p in current if p not in wanted]
            db.executemany(
                "UPDATE collection_items SET position = ? WHERE collection_id = ? AND paragraph_id = ?",
                [(i, collection_id, pid) for i, pid in enumerate(order)],
            )
            self._touch(db, collection_id)

    def _ensure(self, db: sqlite3.Connection, name: str) -> int:
        db.execute(
            "INSERT OR IGNORE INTO collections (name, created_at, updated_at) VALUES (?, ?, ?)",
            (name, _now(), _now()),
        )
        return self._id(db, name)

    @staticmethod
    def _id(db: sqlite3.Connection, name: str) -> int:
        row = db.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            from findings.store import StoreError

            raise StoreError(f"there is no collection named '{name}'")
        return row[0]

    @staticmethod
    def _touch(db: sqlite3.Connection, collection_id: int) -> None:
        db.execute("UPDATE collections SET updated_at = ? WHERE id = ?", (_now(), collection_id))

    # --- saved searches -------------------------------------------------------------------------

    def saved_searches(self) -> list[SavedSearch]:
        rows = self._db.execute("SELECT * FROM saved_searches ORDER BY name COLLATE NOCASE").fetchall()
        return [SavedSearch(r["name"], json.loads(r["params"]), r["created_at"]) for r in rows]

    def saved_search(self, name: str) -> SavedSearch | None:
        row = self._db.execute("SELECT * FROM saved_searches WHERE name = ?", (name,)).fetchone()
        return SavedSearch(row["name"], json.loads(row["params"]), row["created_at"]) if row else None

    def save_search(self, name: str, params: dict[str, list[str]]) -> None:
        """Store (or replace) a search under a name."""
        with self._store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO saved_searches (name, params, created_at) VALUES (?, ?, ?)",
                (name, json.dumps(params, sort_keys=True), _now()),
            )

    def delete_search(self, name: str) -> bool:
        with self._store.transaction() as db:
            return db.execute("DELETE FROM saved_searches WHERE name = ?", (name,)).rowcount > 0


def relink_collected(db: sqlite3.Connection, report_id: str) -> int:
    """Inside the transaction that re-wrote a report: point each of its collected items whose
    paragraph id is gone, or now names other text, at the paragraph of the same number, else
    of the same opening text; returns how many moved.  Items with no match keep their saved
    copy (shown as no longer in the report)."""
    stale = db.execute(
        "SELECT i.collection_id, i.paragraph_id, i.number, i.text FROM collection_items i"
        " LEFT JOIN paragraphs p ON p.id = i.paragraph_id"
        " WHERE i.report_id = ? AND (p.id IS NULL OR p.text != i.text)",
        (report_id,),
    ).fetchall()
    moved = 0
    for row in stale:
        match = _match(db, report_id, row["number"], row["text"])
        if match is None or match["id"] == row["paragraph_id"] and match["text"] == row["text"]:
            continue
        changed = db.execute(
            "UPDATE OR IGNORE collection_items SET paragraph_id = ?, text = ?"
            " WHERE collection_id = ? AND paragraph_id = ?",
            (match["id"], match["text"], row["collection_id"], row["paragraph_id"]),
        ).rowcount
        moved += changed
    return moved


def _match(db: sqlite3.Connection, report_id: str, number: int | None, text: str) -> sqlite3.Row | None:
    """The report's paragraph that is the collected one: the same text, else the same number
    (preferring the same opening), else the same opening text."""
    same = db.execute(
        "SELECT id, text FROM paragraphs WHERE report_id = ? AND text = ? ORDER BY position", (report_id, text)
    ).fetchone()
    if same is not None:
        return same
    prefix = text[:TEXT_PREFIX]
    if number is not None:
        rows = db.execute(
            "SELECT id, text FROM paragraphs WHERE report_id = ? AND number = ? ORDER BY position",
            (report_id, number),
        ).fetchall()
        alike = [r for r in rows if r["text"].startswith(prefix)]
        if alike or rows:
            return (alike or rows)[0]
    if not prefix:
        return None
    return db.execute(
        "SELECT id, text FROM paragraphs WHERE report_id = ? AND substr(text, 1, ?) = ? ORDER BY position",
        (report_id, len(prefix), prefix),
    ).fetchone()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
