"""The SQLite store: reports, paragraphs, the FTS5 keyword index, cached vectors, corrections.

One database file (`findings.db`) under the index folder, and the only module that writes SQL.
The schema is changed only by the small named migrations in `findings.migrations`.  Each report
is written in one transaction (report row, paragraphs, their vectors), so an interrupted ingest
never leaves half a report.  Two counters say what changed: `generation` moves with every
change to paragraphs or vectors (the FAISS index follows it), `metadata_generation` with every
correction of a report's metadata (which needs no new vectors).  Paragraph rowids are never
reused, so a vector id names one paragraph for ever.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from findings.files import disk_is_full
from findings.keyword_rank import KeywordRanker
from findings.migrations import MIGRATIONS, migrate, pending
from findings.models import Paragraph, Report, ReportMeta
from findings.store_saved import SavedWork, relink_collected
from findings.store_vectors import StoredVectors, chunks

logger = logging.getLogger(__name__)

DB_NAME = "findings.db"
# A paragraph's packed vectors take 0.4-10 KB; on SQLite's default 4 KB pages a third of the
# vectors' pages went unused (26.8 of 124.6 MB on the corpus), on 16 KB pages a tenth.
PAGE_SIZE = 16384
CORRECTABLE_FIELDS = (
    "authority",
    "report_type",
    "title",
    "inspection_start",
    "inspection_end",
    "published",
    "lead_inspector",
    "url",
)
# BM25 weights of the FTS5 columns (text, section): a word in the heading counts for less.
BM25_WEIGHTS = "1.0, 0.3"
KEYWORD_READ_AHEAD_THREAD = "findings-keyword-warm"  # the name of `read_ahead_keywords`'s thread


def text_hash(text: str) -> str:
    """The cache key of a paragraph's text: vectors are stored once per (text, model)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _rowids(listed: str | None) -> np.ndarray:
    """SQL's group_concat of rowids, in order -> a sorted int64 array."""
    rowids = np.array(listed.split(","), dtype=np.int64) if listed else np.zeros(0, dtype=np.int64)
    return rowids if rowids.size < 2 or (np.diff(rowids) > 0).all() else np.unique(rowids)


class StoreError(Exception):
    """A problem with the index folder that the user can fix; one sentence."""


REQUIRED_TABLES = (
    "meta", "reports", "paragraphs", "paragraphs_fts", "embeddings", "corrections", "collections",
    "collection_items", "saved_searches", "vector_bounds",
)


def _denied(folder: Path, verb: str) -> str:
    return (f"the index folder {folder} cannot be {verb} (permission denied); ask for access or give --index "
            "another folder")


class DiskFull(StoreError):
    """The disk holding the index filled up: whatever was being written was rolled back."""

    def __init__(self, folder: str | Path) -> None:
        super().__init__(
            f"the disk holding {folder} is full: free space and run the command again; nothing already indexed "
            "was lost"
        )


def no_report(report_id: str) -> str:
    return f"no report with id '{report_id}' (see `findings reports`)"


@dataclass(frozen=True)
class Version:
    """Where the store stands: `content` (paragraphs and vectors) and `metadata` counters."""

    content: int
    metadata: int


@dataclass(frozen=True)
class ParagraphScope:
    """Which paragraphs a query may return: those of `report_ids` (None: every report), without
    boilerplate unless asked, and under a section containing one of `sections` if any."""

    report_ids: frozenset[str] | None = None
    include_boilerplate: bool = False
    sections: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # only paragraphs with one of these tags (none: any)

    @property
    def everything(self) -> bool:
        return self.report_ids is None and not self.sections and not self.tags


@dataclass(frozen=True)
class Snapshot:
    """The reports and paragraph rowids as of one store version (what a search reads)."""

    version: Version
    reports: Mapping[str, Report]
    rowids: np.ndarray  # every paragraph, ascending
    plain_rowids: np.ndarray  # paragraphs that are not boilerplate, ascending

    def scope_rowids(self, include_boilerplate: bool) -> np.ndarray:
        return self.rowids if include_boilerplate else self.plain_rowids


class _Connection(sqlite3.Connection):
    """A plain sqlite3 connection that can be weakly referenced (for `Store.close`)."""


class Store(StoredVectors):
    """The database under an index folder.  Safe to share between threads: each thread gets
    its own connection (`db`), so one thread's transaction never sees or swallows another's
    statements; WAL lets readers go on while an ingest writes.

    `create` makes the folder and database when missing, `upgrade` applies the migrations an
    index from an earlier version lacks; a command that only reads passes neither, so it never
    creates or changes an index: a missing, outdated or damaged one is one sentence.  What is
    read is checked: a report, paragraph or vector row that is damaged is left out with a
    warning naming its report (`damaged`), and the rest stays searchable."""

    def __init__(self, folder: str | Path, create: bool = True, upgrade: bool | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        upgrade = create if upgrade is None else upgrade
        self.damaged: dict[str, str] = {}  # report id -> what is damaged (warned once each)
        self._warned: set[str] = set()
        self._term_counts: tuple[int, dict[str, int]] = (-2, {})  # (generation, term -> paragraphs)
        self._ranker = KeywordRanker("paragraphs_fts", [float(w) for w in BM25_WEIGHTS.split(",")])
        # FTS5 phrases read ahead with the common terms (the glossary's, set by `Library`).
        self.keyword_read_ahead: tuple[str, ...] = ()
        self._check_folder(create)
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        try:
            if not self.path.exists():
                self.db.execute(f"PRAGMA page_size={PAGE_SIZE}")  # only before the first table
            self.db.execute("PRAGMA journal_mode=WAL")
            if not upgrade and (missing := pending(self)):
                raise StoreError(
                    f"the index at {self.folder} was made by an earlier version of findings (it lacks "
                    f"{missing[0]}); run `findings reindex --index {self.folder}` once to bring it up to date"
                )
            migrate(self)
            self._check_schema()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise self._open_error(exc) from exc
        except StoreError:
            self.close()
            raise
        self.saved = SavedWork(self)  # collections and saved searches

    def _check_folder(self, create: bool) -> None:
        try:
            if self.folder.exists() and not self.folder.is_dir():
                raise StoreError(f"the index folder {self.folder} is a file, not a folder; give --index a folder")
            if not self.path.exists():
                if not create:
                    raise StoreError(f"no index at {self.folder}: run `findings ingest PATH` first")
                self.folder.mkdir(parents=True, exist_ok=True)
        except PermissionError as exc:
            raise StoreError(_denied(self.folder, "read" if self.folder.exists() else "made")) from exc
        except OSError as exc:
            if disk_is_full(exc, self.folder):
                raise DiskFull(self.folder) from exc
            raise StoreError(f"the index folder {self.folder} cannot be made ({exc.strerror or exc})") from exc

    def _open_error(self, exc: sqlite3.DatabaseError) -> StoreError:
        """One sentence for a database that would not open: a full disk, no permission, or damage."""
        if disk_is_full(exc, self.folder):
            return DiskFull(self.folder)
        try:
            os.listdir(self.folder)
            with open(self.path, "rb"):
                pass
        except PermissionError:
            return StoreError(_denied(self.folder, "read"))
        except OSError:
            pass
        if not os.access(self.folder, os.W_OK) or not os.access(self.path, os.W_OK):
            return StoreError(_denied(self.folder, "written"))
        return StoreError(f"the index database {self.path} cannot be opened ({exc})")

    def _check_schema(self) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in REQUIRED_TABLES:
            if table not in tables:
                raise StoreError(
                    f"the index database {self.path} is damaged (its table {table} is missing); move the "
                    f"folder aside and ingest the reports again"
                )

    def _warn(self, key: str, message: str) -> None:
        """Log a damaged row once per store (each search reads it again)."""
        if key not in self._warned:
            self._warned.add(key)
            logger.warning("%s", message)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use; closed when the thread ends)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30,
                factory=_Connection,
            )
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._connections.add(connection)
        return connection

    def close(self) -> None:
        self._ranker.forget()
        for connection in list(self._connections):
            connection.close()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (a failed COMMIT too); a full
        disk is `DiskFull`, one sentence."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except sqlite3.Error as exc:
            if disk_is_full(exc, self.folder):
                raise DiskFull(self.folder) from exc
            raise

    def _rollback(self) -> None:
        """Roll back what is open; SQLite may have done so itself (a full disk), and a failed
        rollback must not hide the error that caused it."""
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error as exc:
                logger.info("rollback failed after an error (%s)", exc)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """BEGIN ... COMMIT around reads that must see one state of the database; takes no
        write lock, so it never waits for an ingest and never writes."""
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            if self.db.in_transaction:
                self.db.execute("COMMIT")

    # --- versions ---------------------------------------------------------------------------

    def _counter(self, key: str) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return self._checked_counter(key, row["value"] if row else None)

    def _checked_counter(self, key: str, value: object) -> int:
        """A change counter, or -1 (with a warning, once) when it is missing or damaged: then
        every reader checks the vector index against the store each time, and the next change
        writes a new counter."""
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self._warn(f"meta:{key}", f"the index database {self.path} has lost its change counter '{key}'; "
                       "searches check the vector index against it each time until the next ingest repairs it")
            return -1

    @property
    def generation(self) -> int:
        """Moves on with every change to paragraphs or vectors (-1: unknown, see `_counter`)."""
        return self._counter("generation")

    @property
    def metadata_generation(self) -> int:
        """Moves on with every correction of a report's metadata."""
        return self._counter("metadata_generation")

    def version(self) -> Version:
        rows = {
            row["key"]: row["value"]
            for row in self.db.execute(
                "SELECT key, value FROM meta WHERE key IN ('generation', 'metadata_generation')"
            )
        }
        return Version(
            self._checked_counter("generation", rows.get("generation")),
            self._checked_counter("metadata_generation", rows.get("metadata_generation")),
        )

    def _bump(self, key: str = "generation") -> None:
        """Move a counter on (inside a write transaction); a lost or damaged one is written
        afresh with a value no saved vector index can hold (milliseconds since 1970)."""
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        try:
            value = int(row["value"]) + 1 if row else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            value = int(time.time() * 1000)
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    @property
    def schema_version(self) -> int:
        return len(MIGRATIONS)

    # --- reports ----------------------------------------------------------------------------

    def source_hash(self, source: str) -> tuple[str, str] | None:
        """(report id, content hash) of the report stored from this source, if any."""
        row = self.db.execute(
            "SELECT id, content_hash FROM reports WHERE source=?", (source,)
        ).fetchone()
        return (row["id"], row["content_hash"]) if row else None

    def report_with_content(self, sha256: str) -> tuple[str, str] | None:
        """(report id, source) of a report stored from a file with these bytes, if any."""
        row = self.db.execute(
            "SELECT id, source FROM reports WHERE substr(content_hash, 1, 64) = ? ORDER BY id LIMIT 1", (sha256,)
        ).fetchone()
        return (row["id"], row["source"]) if row else None

    def report_ids(self) -> set[str]:
        return {row["id"] for row in self.db.execute("SELECT id FROM reports")}

    def report_sources(self) -> dict[str, str]:
        """Report id -> source (the file it was read from)."""
        return {row["id"]: row["source"] for row in self.db.execute("SELECT id, source FROM reports")}

    def put_report(
        self,
        report: Report,
        paragraphs: Sequence[Paragraph],
        vectors: Iterable[tuple[str, str, int, np.ndarray]] = (),
    ) -> None:
        """Write a report with its paragraphs and new vectors, replacing any report from the
        same source, all in one transaction; the user's corrections are kept."""
        with self.transaction() as db:
            old = db.execute("SELECT id FROM reports WHERE source=?", (report.source,)).fetchone()
            corrections = []
            if old:
                corrections = db.execute(
                    "SELECT field, value FROM corrections WHERE report_id=?", (old["id"],)
                ).fetchall()
                db.execute("DELETE FROM reports WHERE id=?", (old["id"],))
            meta = report.meta
            db.execute(
                "INSERT INTO reports (id, source, content_hash, authority, report_type, title,"
                " inspection_start, inspection_end, published, lead_inspector, judgements, pages,"
                " ingested_at, file_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    report.id, report.source, report.content_hash, meta.authority,
                    meta.report_type, meta.title, _iso(meta.inspection_start),
                    _iso(meta.inspection_end), _iso(meta.published), meta.lead_inspector,
                    json.dumps(meta.judgements, sort_keys=True), report.pages,
                    datetime.now(UTC).isoformat(timespec="seconds"), report.file_name or None,
                ),
            )
            db.executemany(
                "INSERT INTO corrections (report_id, field, value) VALUES (?,?,?)",
                [(report.id, row["field"], row["value"]) for row in corrections],
            )
            db.executemany(
                "INSERT INTO paragraphs (id, report_id, key, number, kind, section, page, position,"
                " text, boilerplate, number_inferred, text_hash, page_label, heading, ordinal, tag)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        p.id, report.id, p.key, p.number, p.kind, p.section, p.page, p.position,
                        p.text, int(p.boilerplate), int(p.number_inferred), text_hash(p.text),
                        p.page_label, p.heading, p.ordinal, p.tag,
                    )
                    for p in paragraphs
                ],
            )
            self._insert_vectors(db, vectors)
            relink_collected(db, report.id)
            self._bump()

    def remove_report(self, report_id: str) -> bool:
        with self.transaction() as db:
            removed = db.execute("DELETE FROM reports WHERE id=?", (report_id,)).rowcount > 0
            if removed:
                self._bump()
        return removed

    def correct(self, report_id: str, field: str, value: str) -> None:
        """Record a user's correction of a metadata field or judgement (`judgement.KEY`)."""
        if field not in CORRECTABLE_FIELDS and not field.startswith("judgement."):
            fields = ", ".join(CORRECTABLE_FIELDS)
            raise StoreError(f"'{field}' cannot be corrected; use one of {fields} or judgement.KEY")
        with self.transaction() as db:
            if not db.execute("SELECT 1 FROM reports WHERE id=?", (report_id,)).fetchone():
                raise StoreError(no_report(report_id))
            db.execute(
                "INSERT OR REPLACE INTO corrections (report_id, field, value) VALUES (?,?,?)",
                (report_id, field, value),
            )
            self._bump("metadata_generation")

    def reports(self, ids: Iterable[str] | None = None) -> list[Report]:
        """Reports with the user's corrections applied, by council, date and id."""
        rows = self.db.execute(
            "SELECT r.*, (SELECT COUNT(*) FROM paragraphs p WHERE p.report_id = r.id)"
            " AS paragraph_count FROM reports r ORDER BY authority, inspection_start, id"
        ).fetchall()
        corrections: dict[str, dict[str, str]] = {}
        for row in self.db.execute("SELECT report_id, field, value FROM corrections"):
            corrections.setdefault(row["report_id"], {})[row["field"]] = row["value"]
        wanted = set(ids) if ids is not None else None
        found = []
        for row in rows:
            if wanted is not None and row["id"] not in wanted:
                continue
            try:
                found.append(_report(row, corrections.get(row["id"], {})))
            except DamagedRow as exc:
                self._damaged(str(row["id"]), str(exc))
        return found

    def _damaged(self, report_id: str, what: str, left_out: str = "it is left out") -> None:
        self.damaged.setdefault(report_id, what)
        repair = (f"run `findings reindex --index {self.folder}`" if "vector" in what else
                  f"remove it with `findings remove {report_id}` and ingest its file again")
        self._warn(f"report:{report_id}:{what}",
                   f"report {report_id} is damaged in the index ({what}): {left_out}; {repair}")

    def report(self, report_id: str) -> Report | None:
        found = self.reports([report_id])
        return found[0] if found else None

    def snapshot(self) -> Snapshot:
        """The reports and the paragraph rowids, read in one transaction."""
        with self.reading():
            version = self.version()
            reports = {r.id: r for r in self.reports()}
            # Not the paragraphs of a damaged report.  SQLite lists the rowids itself, in one
            # step during which other threads run (row by row, 356,000 paragraphs took 0.9 s).
            damaged = [row[0] for row in self.db.execute("SELECT id FROM reports") if row[0] not in reports]
            marks = ",".join("?" * len(damaged))
            every, plain = self.db.execute(
                "SELECT group_concat(rowid), group_concat(CASE WHEN boilerplate = 0 THEN rowid END) FROM"
                f" (SELECT rowid, boilerplate FROM paragraphs WHERE report_id NOT IN ({marks}) ORDER BY rowid)",
                damaged,
            ).fetchone()
        return Snapshot(version, reports, _rowids(every), _rowids(plain))

    # --- paragraphs -------------------------------------------------------------------------

    _PARAGRAPH_COLUMNS = (
        "rowid, report_id, key, number, kind, section, page, position, text, boilerplate,"
        " number_inferred, page_label, heading, ordinal, tag"
    )

    def paragraphs(self, report_id: str) -> list[Paragraph]:
        rows = self.db.execute(
            f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE report_id=? ORDER BY position",
            (report_id,),
        ).fetchall()
        return self._paragraphs(rows)

    def _paragraphs(self, rows: Iterable[sqlite3.Row]) -> list[Paragraph]:
        """The paragraphs of these rows, leaving out (with a warning) any that is damaged."""
        found = []
        for row in rows:
            try:
                found.append(_paragraph(row))
            except DamagedRow as exc:
                self._damaged(str(row["report_id"]), str(exc), "that paragraph is left out")
        return found

    def paragraphs_by_rowid(self, rowids: Sequence[int]) -> dict[int, Paragraph]:
        found: dict[int, Paragraph] = {}
        for chunk in chunks([int(r) for r in rowids], 500):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE rowid IN ({marks})", chunk
            ).fetchall()
            for row in rows:
                found.update((row["rowid"], p) for p in self._paragraphs([row]))
        return found

    def rowid_of(self, paragraph_id: str) -> int | None:
        row = self.db.execute("SELECT rowid FROM paragraphs WHERE id=?", (paragraph_id,)).fetchone()
        return row["rowid"] if row else None

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        row = self.db.execute(
            f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE id=?", (paragraph_id,)
        ).fetchone()
        found = self._paragraphs([row] if row else [])
        return found[0] if found else None

    def paragraphs_numbered(self, report_id: str, number: int) -> list[Paragraph]:
        """A report's paragraphs with this printed number (usually one), in reading order."""
        rows = self.db.execute(
            f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE report_id=? AND number=?"
            " ORDER BY position", (report_id, number),
        ).fetchall()
        return self._paragraphs(rows)

    def paragraphs_starting(self, report_id: str, prefix: str) -> list[Paragraph]:
        """A report's paragraphs whose text starts with `prefix`, in reading order."""
        rows = self.db.execute(
            f"SELECT {self._PARAGRAPH_COLUMNS} FROM paragraphs WHERE report_id=?"
            " AND substr(text, 1, ?) = ? ORDER BY position", (report_id, len(prefix), prefix),
        ).fetchall()
        return self._paragraphs(rows)

    def paragraph_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]

    def untagged(self, limit: int = 5000) -> list[tuple[int, str]]:
        """(rowid, text) of paragraphs not yet tagged (read before tagging existed)."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT rowid, text FROM paragraphs WHERE tag IS NULL LIMIT ?", (limit,)
        )]

    def put_tags(self, tags: Iterable[tuple[int, str]]) -> None:
        """Record paragraphs' tags (rowid, tag); a metadata-like change: vectors untouched."""
        with self.transaction() as db:
            db.executemany("UPDATE paragraphs SET tag = ? WHERE rowid = ?", [(t, r) for r, t in tags])
            self._bump("metadata_generation")

    def _scope_sql(self, scope: ParagraphScope) -> tuple[str, list]:
        clauses, params = ["1"], []
        if scope.report_ids is not None:
            clauses.append(f"p.report_id IN ({','.join('?' * len(scope.report_ids))})")
            params += sorted(scope.report_ids)
        if not scope.include_boilerplate:
            clauses.append("p.boilerplate = 0")
        if scope.sections:
            clauses.append("(" + " OR ".join("p.section LIKE ?" for _ in scope.sections) + ")")
            params += [f"%{s}%" for s in scope.sections]
        if scope.tags:
            clauses.append(f"p.tag IN ({','.join('?' * len(scope.tags))})")
            params += list(scope.tags)
        return " AND ".join(clauses), params

    def scoped_rowids(self, scope: ParagraphScope) -> dict[int, str]:
        """Rowid -> report id of every paragraph in the scope."""
        where, params = self._scope_sql(scope)
        rows = self.db.execute(f"SELECT p.rowid, p.report_id FROM paragraphs p WHERE {where}", params)
        return {row[0]: row[1] for row in rows}

    def keyword_search(
        self, match: str | Sequence[str], limit: int, scope: ParagraphScope | None = None,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """(rowid, BM25 score, higher is better) for an FTS5 MATCH expression, best first; a
        list of FTS5 phrases (`search.fts_parts`) means any of them.

        With `allowed` (the sorted rowids of the paragraphs in `scope`, such as
        `Snapshot.scope_rowids` or `scoped_rowids`), the ranking is done alone and rows outside
        it are dropped afterwards: joining the paragraphs table to test each match took about
        40% of the time of a query with a common word (bench/bench.py).  Given phrases, that
        ranking is `findings.keyword_rank`'s (the same BM25 from postings kept in memory)."""
        scope = scope or ParagraphScope(include_boilerplate=True)
        parts = None if isinstance(match, str) else list(match)
        match = match if isinstance(match, str) else " OR ".join(match)
        if allowed is not None:
            if parts is not None:
                with nullcontext(self.db) if self.db.in_transaction else self.reading() as db:
                    generation = self.generation
                    if generation >= 0:  # -1: the change counter is damaged, so nothing is cached
                        ranked = self._ranker.rank(db, generation, parts, limit, allowed)
                        self.read_ahead_keywords(generation)
                        return ranked
            return self._keyword_search_alone(match, limit, allowed)
        where, params = self._scope_sql(scope)
        rows = self.db.execute(
            f"SELECT f.rowid, -bm25(paragraphs_fts, {BM25_WEIGHTS}) AS score FROM paragraphs_fts f"
            " JOIN paragraphs p ON p.rowid = f.rowid"
            f" WHERE paragraphs_fts MATCH ? AND {where}"
            f" ORDER BY bm25(paragraphs_fts, {BM25_WEIGHTS}) LIMIT ?",
            [match, *params, limit],
        ).fetchall()
        return [(row[0], float(row[1])) for row in rows]

    def read_ahead_keywords(self, generation: int | None = None) -> bool:
        """Start reading ahead the postings of the commonest terms and of `keyword_read_ahead`
        on a thread of its own (`_warm_keywords`), once a generation: the first keyword query
        does, and `Library` does while the vector index loads.  True if it started."""
        generation = self.generation if generation is None else generation
        if generation < 0 or not self._ranker.wants_warming(generation):
            return False
        threading.Thread(target=self._warm_keywords, name=KEYWORD_READ_AHEAD_THREAD, daemon=True).start()
        return True

    def _warm_keywords(self) -> None:
        """Read ahead the commonest terms' and `keyword_read_ahead`'s postings
        (`KeywordRanker.warm`) on this thread, at the lowest priority where the system has one
        (Linux gives each thread its own), so that queries keep the processor; through a
        read-only connection of its own that `close` never touches (closing a connection while
        another thread uses it crashes SQLite); `close` stops it between two terms."""
        if sys.platform.startswith("linux"):
            with suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error as exc:
            logger.info("reading ahead keyword postings did not start: %s", exc)
            return
        try:
            db.execute("BEGIN")
            generation = self._checked_counter(
                "generation", (db.execute("SELECT value FROM meta WHERE key='generation'").fetchone() or [None])[0]
            )
            if generation >= 0:
                started = time.perf_counter()
                terms = self._ranker.warm(db, generation, self.keyword_read_ahead)
                logger.info("read ahead %d postings in %.1f s", terms, time.perf_counter() - started)
        except sqlite3.Error as exc:
            logger.info("reading ahead keyword postings stopped: %s", exc)
        finally:
            db.close()

    def _keyword_search_alone(self, match: str, limit: int, allowed: np.ndarray) -> list[tuple[int, float]]:
        fetch = limit + limit // 4 + 8
        while True:
            rows = self.db.execute(
                f"SELECT rowid, -bm25(paragraphs_fts, {BM25_WEIGHTS}) FROM paragraphs_fts"
                f" WHERE paragraphs_fts MATCH ? ORDER BY bm25(paragraphs_fts, {BM25_WEIGHTS}) LIMIT ?",
                [match, fetch],
            ).fetchall()
            if rows and allowed.size:
                rowids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
                at = np.minimum(np.searchsorted(allowed, rowids), allowed.size - 1)
                keep = (allowed[at] == rowids).tolist()
            else:
                keep = [False] * len(rows)
            found = [(row[0], float(row[1])) for row, kept in zip(rows, keep, strict=True) if kept]
            if len(found) >= limit or len(rows) < fetch:
                return found[:limit]
            fetch *= 2

    def common_terms(self, terms: Iterable[str], share: float = 0.5) -> set[str]:
        """The terms (words, or FTS5 phrases in double quotes) found in at least `share` of the
        paragraphs.

        FTS5's BM25 gives a term in half the paragraphs or more no weight (its idf,
        log((N - n + 0.5) / (n + 0.5)), is floored at 1e-6), so matching it ranks nothing and
        only costs time: "children" is in 81% of the corpus's paragraphs.  Counts are kept
        until the paragraphs change; those the keyword ranking knows are not asked of FTS5."""
        generation = self.generation
        if self._term_counts[0] != generation:
            total = self.db.execute("SELECT count(*) FROM paragraphs").fetchone()[0]
            self._term_counts = (generation, {"": total})
        counts = self._term_counts[1]
        common = set()
        for term in terms:
            if term not in counts:
                quoted = term if term.startswith('"') else '"' + term.replace('"', '""') + '"'
                known = self._ranker.paragraphs_matching(self.db, generation, quoted) if generation >= 0 else None
                counts[term] = known if known is not None else self.db.execute(
                    "SELECT count(*) FROM paragraphs_fts WHERE paragraphs_fts MATCH ?", [quoted]
                ).fetchone()[0]
            if counts[""] and counts[term] >= share * counts[""]:
                common.add(term)
        return common


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class DamagedRow(ValueError):
    """A row whose values are not what findings wrote (edited by hand, or a damaged page)."""


def _checked(row: sqlite3.Row, column: str, kind: type, optional: bool = False, what: str = "its"):
    value = row[column]
    if (value is None and optional) or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise DamagedRow(f"{what} {column} is not readable")


def _report(row: sqlite3.Row, corrections: dict[str, str]) -> Report:
    """The report of a row, or DamagedRow naming the value that cannot be read."""
    for column in ("id", "source", "content_hash", "report_type", "title"):
        _checked(row, column, str)
    for column in ("authority", "lead_inspector", "url", "file_name", "inspection_start", "inspection_end",
                   "published"):
        _checked(row, column, str, optional=True)
    _checked(row, "pages", int)
    try:
        judgements = json.loads(row["judgements"])
    except (TypeError, ValueError):
        judgements = None
    if not isinstance(judgements, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in judgements.items()
    ):
        raise DamagedRow("its judgements are not readable")
    fields = {field: row[field] for field in CORRECTABLE_FIELDS}
    for field, value in corrections.items():
        if not isinstance(value, str):
            continue  # a damaged correction: the value as read from the file stands
        if field.startswith("judgement."):
            judgements[field.removeprefix("judgement.")] = value
        else:
            fields[field] = value
    meta = ReportMeta(
        authority=fields["authority"],
        report_type=fields["report_type"],
        title=fields["title"],
        inspection_start=_date(fields["inspection_start"]),
        inspection_end=_date(fields["inspection_end"]),
        published=_date(fields["published"]),
        lead_inspector=fields["lead_inspector"],
        judgements=judgements,
        url=fields["url"] or None,
    )
    return Report(
        id=row["id"], source=row["source"], content_hash=row["content_hash"], meta=meta,
        pages=row["pages"], paragraph_count=row["paragraph_count"], file_name=row["file_name"] or "",
    )


_PARAGRAPH_TYPES: tuple[tuple[str, type, bool], ...] = (
    ("key", str, False), ("number", int, True), ("kind", str, False), ("section", str, False),
    ("page", int, True), ("position", int, False), ("text", str, False), ("boilerplate", int, False),
    ("number_inferred", int, False), ("page_label", str, True), ("heading", str, False), ("ordinal", int, False),
)


def _paragraph(row: sqlite3.Row) -> Paragraph:
    """The paragraph of a row, or DamagedRow naming the paragraph and the value."""
    key = row["key"] if isinstance(row["key"], str) else f"at rowid {row['rowid']}"
    for column, kind, optional in _PARAGRAPH_TYPES:
        _checked(row, column, kind, optional, what=f"paragraph {key}: its")
    return Paragraph(
        report_id=row["report_id"], key=row["key"], number=row["number"], kind=row["kind"],
        section=row["section"], page=row["page"], position=row["position"], text=row["text"],
        boilerplate=bool(row["boilerplate"]), number_inferred=bool(row["number_inferred"]),
        page_label=row["page_label"], heading=row["heading"], ordinal=row["ordinal"], tag=row["tag"],
    )


def with_report_id(paragraphs: Sequence[Paragraph], report_id: str) -> list[Paragraph]:
    return [replace(p, report_id=report_id) for p in paragraphs]
