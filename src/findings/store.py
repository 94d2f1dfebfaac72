"""The SQLite store: reports, paragraphs, the FTS5 keyword index, cached vectors, corrections.

One database file (`findings.db`) under the index folder.  The schema is versioned with
`PRAGMA user_version` and changed only by the small numbered migrations below.  Each report is
written in one transaction (report row, paragraphs, their vectors), so an interrupted ingest
never leaves half a report.  `generation` goes up with every change, so the FAISS index can tell
whether it is stale.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np

from findings.models import Paragraph, Report, ReportMeta

logger = logging.getLogger(__name__)

DB_NAME = "findings.db"
CORRECTABLE_FIELDS = (
    "authority",
    "report_type",
    "title",
    "inspection_start",
    "inspection_end",
    "published",
    "lead_inspector",
)

MIGRATIONS: list[str] = [
    # 1: the first schema.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL UNIQUE,
        content_hash TEXT NOT NULL,
        authority TEXT,
        report_type TEXT NOT NULL,
        title TEXT NOT NULL,
        inspection_start TEXT,
        inspection_end TEXT,
        published TEXT,
        lead_inspector TEXT,
        judgements TEXT NOT NULL,
        pages INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    CREATE TABLE paragraphs (
        rowid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        number INTEGER,
        kind TEXT NOT NULL,
        section TEXT NOT NULL,
        page INTEGER,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        boilerplate INTEGER NOT NULL,
        number_inferred INTEGER NOT NULL,
        text_hash TEXT NOT NULL
    );
    CREATE INDEX paragraphs_report ON paragraphs(report_id, position);
    CREATE INDEX paragraphs_hash ON paragraphs(text_hash);
    CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
        text, section, content='paragraphs', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN
        INSERT INTO paragraphs_fts(rowid, text, section) VALUES (new.rowid, new.text, new.section);
    END;
    CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
        INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, section)
        VALUES ('delete', old.rowid, old.text, old.section);
    END;
    CREATE TABLE vectors (
        text_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        window INTEGER NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (text_hash, model, window)
    );
    CREATE TABLE corrections (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (report_id, field)
    );
    INSERT INTO meta(key, value) VALUES ('generation', '0');
    """,
    # 2: clause vectors are pooled from their paragraph's own pass now (ingest.embedding_parts),
    # so vectors cached by earlier versions are dropped; `findings reindex` embeds them again.
    """
    DELETE FROM vectors;
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
    """,
]


WINDOW_BITS = 10  # up to 1,024 embedding windows per paragraph


def paragraph_rowid(vector_id: int) -> int:
    return int(vector_id) >> WINDOW_BITS


def text_hash(text: str) -> str:
    """The cache key of a paragraph's text: vectors are stored once per (text, model)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class StoreError(Exception):
    """A problem with the index folder that the user can fix; one sentence."""


class _Connection(sqlite3.Connection):
    """A plain sqlite3 connection that can be weakly referenced (for `Store.close`)."""


class Store:
    """The database under an index folder.  Safe to share between threads: each thread gets
    its own connection (`db`), so one thread's transaction never sees or swallows another's
    statements; WAL lets readers go on while an ingest writes."""

    def __init__(self, folder: str | Path, create: bool = True) -> None:
        self.folder = Path(folder)
        self.path = self.folder / DB_NAME
        if not self.path.exists() and not create:
            raise StoreError(f"no index at {self.folder}: run `findings ingest PATH` first")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the index database {self.path} cannot be opened ({exc})") from exc

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use; closed when the thread ends)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30, factory=_Connection
            )
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
            self._connections.add(connection)
        return connection

    def close(self) -> None:
        for connection in list(self._connections):
            connection.close()
        self._local = threading.local()

    # --- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the index at {self.folder} was made by a newer version of findings (schema {version})"
            )
        for number in range(version, len(MIGRATIONS)):
            with self.transaction():
                if self.db.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue  # another connection migrated while this one waited for the lock
                for statement in _statements(MIGRATIONS[number]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
            logger.info("index schema migrated to version %d", number + 1)

    @contextmanager
    def transaction(self):
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    @property
    def generation(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0])

    def _bump(self) -> None:
        self.db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    # --- reports ----------------------------------------------------------------------------

    def source_hash(self, source: str) -> tuple[str, str] | None:
        """(report id, content hash) of the report stored from this source, if any."""
        row = self.db.execute("SELECT id, content_hash FROM reports WHERE source=?", (source,)).fetchone()
        return (row[0], row[1]) if row else None

    def report_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM reports")}

    def put_report(
        self,
        report: Report,
        paragraphs: Sequence[Paragraph],
        vectors: Iterable[tuple[str, str, int, np.ndarray]] = (),
    ) -> None:
        """Write a report with its paragraphs and new vectors, replacing any report from the
        same source, all in one transaction."""
        with self.transaction() as db:
            old = db.execute("SELECT id FROM reports WHERE source=?", (report.source,)).fetchone()
            corrections = []
            if old:
                corrections = db.execute(
                    "SELECT field, value FROM corrections WHERE report_id=?", (old[0],)
                ).fetchall()
                db.execute("DELETE FROM reports WHERE id=?", (old[0],))
            meta = report.meta
            db.execute(
                "INSERT INTO reports VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    report.id, report.source, report.content_hash, meta.authority, meta.report_type,
                    meta.title, _iso(meta.inspection_start), _iso(meta.inspection_end),
                    _iso(meta.published), meta.lead_inspector, json.dumps(meta.judgements, sort_keys=True),
                    report.pages, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                ),
            )
            db.executemany(
                "INSERT INTO corrections VALUES (?,?,?)", [(report.id, f, v) for f, v in corrections]
            )
            db.executemany(
                "INSERT INTO paragraphs(id, report_id, key, number, kind, section, page, position, text,"
                " boilerplate, number_inferred, text_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        p.id, report.id, p.key, p.number, p.kind, p.section, p.page, p.position, p.text,
                        int(p.boilerplate), int(p.number_inferred), text_hash(p.text),
                    )
                    for p in paragraphs
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?,?,?,?,?)",
                [
                    (h, model, w, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                    for h, model, w, v in vectors
                ],
            )
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
                raise StoreError(f"no report with id '{report_id}' (see `findings reports`)")
            db.execute("INSERT OR REPLACE INTO corrections VALUES (?,?,?)", (report_id, field, value))
            self._bump()

    def reports(self, ids: Iterable[str] | None = None) -> list[Report]:
        sql = (
            "SELECT r.*, (SELECT COUNT(*) FROM paragraphs p WHERE p.report_id = r.id) FROM reports r"
        )
        rows = self.db.execute(sql + " ORDER BY authority, inspection_start, id").fetchall()
        corrections: dict[str, dict[str, str]] = {}
        for report_id, field, value in self.db.execute("SELECT * FROM corrections"):
            corrections.setdefault(report_id, {})[field] = value
        wanted = set(ids) if ids is not None else None
        return [
            _report(row, corrections.get(row[0], {}))
            for row in rows
            if wanted is None or row[0] in wanted
        ]

    def report(self, report_id: str) -> Report | None:
        found = self.reports([report_id])
        return found[0] if found else None

    # --- paragraphs -------------------------------------------------------------------------

    _PARA_COLS = (
        "rowid, report_id, key, number, kind, section, page, position, text, boilerplate, number_inferred"
    )

    def paragraphs(self, report_id: str) -> list[Paragraph]:
        rows = self.db.execute(
            f"SELECT {self._PARA_COLS} FROM paragraphs WHERE report_id=? ORDER BY position", (report_id,)
        ).fetchall()
        return [_paragraph(row) for row in rows]

    def paragraphs_by_rowid(self, rowids: Sequence[int]) -> dict[int, Paragraph]:
        found: dict[int, Paragraph] = {}
        for chunk in _chunks(list(rowids), 500):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT {self._PARA_COLS} FROM paragraphs WHERE rowid IN ({marks})", chunk
            ):
                found[row[0]] = _paragraph(row)
        return found

    def rowid_of(self, paragraph_id: str) -> int | None:
        row = self.db.execute("SELECT rowid FROM paragraphs WHERE id=?", (paragraph_id,)).fetchone()
        return row[0] if row else None

    def paragraph_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]

    def keyword_search(self, match: str, limit: int) -> list[tuple[int, float]]:
        """(rowid, bm25 score, higher is better) for an FTS5 MATCH expression."""
        rows = self.db.execute(
            "SELECT rowid, -bm25(paragraphs_fts, 1.0, 0.3) AS score FROM paragraphs_fts"
            " WHERE paragraphs_fts MATCH ? ORDER BY bm25(paragraphs_fts, 1.0, 0.3) LIMIT ?",
            (match, limit),
        ).fetchall()
        return [(r[0], float(r[1])) for r in rows]

    # --- vectors ----------------------------------------------------------------------------

    def cached_hashes(self, model: str, hashes: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(sorted(set(hashes)), 500):
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT DISTINCT text_hash FROM vectors WHERE model=? AND text_hash IN ({marks})",
                    [model, *chunk],
                )
            )
        return found

    def paragraph_vectors(self, model: str) -> tuple[np.ndarray, np.ndarray]:
        """(vector ids, vectors): one row per window of every stored paragraph.

        A vector id is `rowid << WINDOW_BITS | window`; `paragraph_rowid(id)` undoes it.
        """
        rows = self.db.execute(
            "SELECT p.rowid, v.window, v.dim, v.vector FROM paragraphs p JOIN vectors v"
            " ON v.text_hash = p.text_hash AND v.model = ? AND v.window < ?"
            " ORDER BY p.rowid, v.window",
            (model, 1 << WINDOW_BITS),
        ).fetchall()
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
        ids = np.fromiter(((r[0] << WINDOW_BITS) | r[1] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[3] for r in rows), dtype=np.float32).reshape(len(rows), rows[0][2])
        return ids, matrix

    def put_vectors(self, rows: Iterable[tuple[str, str, int, np.ndarray]]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?,?,?,?,?)",
                [(h, m, w, int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes()) for h, m, w, v in rows],
            )

    def unembedded_count(self, model: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM paragraphs p WHERE NOT EXISTS"
            " (SELECT 1 FROM vectors v WHERE v.text_hash = p.text_hash AND v.model = ?)",
            (model,),
        ).fetchone()[0]

    def models(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT model FROM vectors")]


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], []
    for line in script.strip().splitlines():
        buffer.append(line)
        joined = "\n".join(buffer).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            statements.append(joined)
            buffer = []
    return statements


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _report(row: tuple, corrections: dict[str, str]) -> Report:
    judgements = json.loads(row[10])
    fields = dict(
        authority=row[3], report_type=row[4], title=row[5], inspection_start=row[6],
        inspection_end=row[7], published=row[8], lead_inspector=row[9],
    )
    for field, value in corrections.items():
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
    )
    return Report(
        id=row[0], source=row[1], content_hash=row[2], meta=meta, pages=row[11],
        paragraph_count=row[13],
    )


def _paragraph(row: tuple) -> Paragraph:
    return Paragraph(
        report_id=row[1], key=row[2], number=row[3], kind=row[4], section=row[5], page=row[6],
        position=row[7], text=row[8], boilerplate=bool(row[9]), number_inferred=bool(row[10]),
    )


def with_report_id(paragraphs: Sequence[Paragraph], report_id: str) -> list[Paragraph]:
    return [replace(p, report_id=report_id) for p in paragraphs]
