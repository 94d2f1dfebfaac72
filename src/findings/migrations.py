"""The schema of the index database, as small named migrations applied in order.

Each migration's name says what it does (as in simonw/llm's `embeddings_migrations.py`).  The
names applied are recorded in the `migrations` table; `PRAGMA user_version` holds their count,
which is how databases made before migrations had names are read (their first
`user_version` migrations are taken as applied).  A database with a migration this version
does not know was made by a newer findings, and is refused rather than misread.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from findings.vector_codes import LargestComponent, PackVectors, recode_per_vector_blob, stored_bound_for

if TYPE_CHECKING:
    from findings.store import Store

logger = logging.getLogger(__name__)

_PARAGRAPH_COLUMNS = """
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
        text_hash TEXT NOT NULL"""

_PARAGRAPH_INDEXES_AND_TRIGGERS = """
    CREATE INDEX paragraphs_report ON paragraphs(report_id, position);
    CREATE INDEX paragraphs_hash ON paragraphs(text_hash);
    CREATE TRIGGER paragraphs_ai AFTER INSERT ON paragraphs BEGIN
        INSERT INTO paragraphs_fts(rowid, text, section) VALUES (new.rowid, new.text, new.section);
    END;
    CREATE TRIGGER paragraphs_ad AFTER DELETE ON paragraphs BEGIN
        INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text, section)
        VALUES ('delete', old.rowid, old.text, old.section);
    END;
"""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "m001_create_tables",
        f"""
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
        id TEXT NOT NULL UNIQUE,{_PARAGRAPH_COLUMNS}
    );
    CREATE VIRTUAL TABLE paragraphs_fts USING fts5(
        text, section, content='paragraphs', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2'
    );
    {_PARAGRAPH_INDEXES_AND_TRIGGERS}
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
    ),
    # Clause vectors are pooled from their paragraph's own pass now, so vectors cached by
    # earlier versions are dropped; `findings reindex` embeds them again.
    Migration(
        "m002_drop_vectors_of_separately_read_clauses",
        """
    DELETE FROM vectors;
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
    """,
    ),
    # A correction of metadata moves its own counter, so it never rebuilds the vector index.
    Migration(
        "m003_count_metadata_changes_apart",
        """
    INSERT OR IGNORE INTO meta(key, value) VALUES ('metadata_generation', '0');
    """,
    ),
    # A removed paragraph's rowid is never given to a new one (AUTOINCREMENT), so a vector id
    # in the FAISS index names one paragraph for ever and the index can change incrementally.
    Migration(
        "m004_never_reuse_paragraph_rowids",
        f"""
    CREATE TABLE paragraphs_new (
        rowid INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,{_PARAGRAPH_COLUMNS}
    );
    INSERT INTO paragraphs_new SELECT * FROM paragraphs;
    DROP TRIGGER paragraphs_ai;
    DROP TRIGGER paragraphs_ad;
    DROP TABLE paragraphs;
    ALTER TABLE paragraphs_new RENAME TO paragraphs;
    {_PARAGRAPH_INDEXES_AND_TRIGGERS}
    UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation';
    """,
    ),
    # What a reader needs to find a paragraph in the published report: the number printed on
    # its page, the heading it stands under as printed and its place there; the report's own
    # file name (an upload's original name) and, once a user sets it, its web address.
    Migration(
        "m005_add_citation_fields",
        """
    ALTER TABLE paragraphs ADD COLUMN page_label TEXT;
    ALTER TABLE paragraphs ADD COLUMN heading TEXT NOT NULL DEFAULT '';
    ALTER TABLE paragraphs ADD COLUMN ordinal INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE reports ADD COLUMN file_name TEXT;
    ALTER TABLE reports ADD COLUMN url TEXT;
    """,
    ),
    # An analyst's work: named collections of paragraphs (each item keeps its order, a note,
    # and a saved copy of its text and citation, so it outlives the report's removal), and
    # saved searches (the same parameters a shared URL carries).
    Migration(
        "m006_create_collections_and_saved_searches",
        """
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE collection_items (
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        paragraph_id TEXT NOT NULL,
        report_id TEXT NOT NULL,
        number INTEGER,
        text TEXT NOT NULL,
        saved TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        query TEXT,
        added_at TEXT NOT NULL,
        PRIMARY KEY (collection_id, paragraph_id)
    );
    CREATE INDEX collection_items_report ON collection_items(report_id);
    CREATE TABLE saved_searches (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        params TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    ),
    # Each paragraph's tag (strength, weakness, context) from findings.tagging, so search can
    # keep to strengths or areas for improvement; NULL until tagged (ingest, reindex).
    Migration(
        "m007_tag_paragraphs",
        """
    ALTER TABLE paragraphs ADD COLUMN tag TEXT;
    CREATE INDEX paragraphs_tag ON paragraphs(tag);
    """,
    ),
    # Vectors are kept once, in 8 bits (findings.vector_codes): one row per paragraph text and
    # model holds all its vectors, where a row per vector in float16 took three times the room
    # (its keys and their index as much again).  A text whose older rows are not whole is
    # dropped here and embedded again by `findings reindex`.
    Migration(
        "m008_pack_vectors_in_8_bits_per_text",
        """
    CREATE TABLE embeddings (
        text_hash TEXT NOT NULL,
        model TEXT NOT NULL,
        dim INTEGER NOT NULL,
        count INTEGER NOT NULL,
        vectors BLOB NOT NULL,
        PRIMARY KEY (text_hash, model)
    );
    INSERT INTO embeddings (text_hash, model, dim, count, vectors)
        SELECT text_hash, model, dim, count, packed FROM (
            SELECT text_hash, model, MAX(dim) AS dim, COUNT(*) AS count,
                   findings_pack_vectors(window, dim, vector) AS packed
            FROM vectors GROUP BY text_hash, model
        ) WHERE packed IS NOT NULL;
    DROP TABLE vectors;
    """,
    ),
    # A model's vectors are coded at one scale, kept here, instead of each at its own: the codes
    # are then what the HNSW index holds, so loading it copies them (findings.vector_codes).
    # The bound is a twentieth above the largest component stored; blobs that are not whole stay
    # as they are (readers leave them out; `findings reindex` embeds their texts again).
    Migration(
        "m009_code_vectors_at_one_scale_per_model",
        """
    CREATE TABLE vector_bounds (model TEXT PRIMARY KEY, bound REAL NOT NULL);
    INSERT INTO vector_bounds (model, bound)
        SELECT model, findings_code_bound(largest) FROM (
            SELECT model, findings_largest_component(vectors, count, dim) AS largest
            FROM embeddings GROUP BY model
        ) WHERE largest IS NOT NULL;
    UPDATE embeddings SET vectors = findings_recode_blob(
        vectors, count, dim, (SELECT b.bound FROM vector_bounds b WHERE b.model = embeddings.model));
    """,
    ),
)
# After migrations that freed more than this share of the file, it is compacted (VACUUM).
COMPACT_SHARE = 0.25


def migrate(store: Store) -> None:
    """Apply the migrations this database lacks, each in its own transaction."""
    db = store.db
    applied = _applied(db)
    unknown = [name for name in applied if name not in {m.name for m in MIGRATIONS}]
    if unknown or len(applied) > len(MIGRATIONS):
        from findings.store import StoreError

        raise StoreError(
            f"the index at {store.folder} was made by a newer version of findings "
            f"(it has migration {(unknown or applied)[-1]})"
        )
    db.create_aggregate("findings_pack_vectors", 3, PackVectors)
    db.create_aggregate("findings_largest_component", 3, LargestComponent)
    db.create_function("findings_code_bound", 1, stored_bound_for, deterministic=True)
    db.create_function("findings_recode_blob", 4, recode_per_vector_blob, deterministic=True)
    done = 0
    for number, migration in enumerate(MIGRATIONS):
        if migration.name in applied:
            continue
        with store.transaction():
            if migration.name in _applied(db):
                continue  # another connection migrated while this one waited for the lock
            for statement in _statements(migration.sql):
                db.execute(statement)
            _record(db, migration.name)
            db.execute(f"PRAGMA user_version = {number + 1}")
        logger.info("index schema migrated: %s", migration.name)
        done += 1
    if done:
        _compact(db)


def _compact(db: sqlite3.Connection) -> None:
    """Give the pages migrations freed back to the disk, when they are a fair share of it, and
    take the page size new databases have (`store.PAGE_SIZE`; it changes only outside WAL
    mode).  A database another process is using is left as it is (SQLite reuses the pages)."""
    from findings.store import PAGE_SIZE

    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    if free <= COMPACT_SHARE * db.execute("PRAGMA page_count").fetchone()[0]:
        return
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if db.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete":
            db.execute(f"PRAGMA page_size={PAGE_SIZE}")
        db.execute("VACUUM")
    except sqlite3.OperationalError as exc:
        logger.info("index database not compacted after migrating (%s)", exc)
    finally:
        db.execute("PRAGMA journal_mode=WAL")


def pending(store: Store) -> list[str]:
    """Names of the migrations this database lacks (none for one made by a newer version)."""
    applied = _applied(store.db)
    if len(applied) > len(MIGRATIONS) or not set(applied) <= {m.name for m in MIGRATIONS}:
        return []  # `migrate` refuses it
    return [m.name for m in MIGRATIONS if m.name not in applied]


def _applied(db: sqlite3.Connection) -> list[str]:
    """Names of the migrations applied, oldest first."""
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='migrations'"
    ).fetchone()
    if exists:
        return [row[0] for row in db.execute("SELECT name FROM migrations ORDER BY rowid")]
    # Before migrations had names, user_version counted them.
    count = db.execute("PRAGMA user_version").fetchone()[0]
    if count > len(MIGRATIONS):
        return [f"unknown migration {count}"]
    return [m.name for m in MIGRATIONS[:count]]


def _record(db: sqlite3.Connection, name: str) -> None:
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    if not db.execute("SELECT 1 FROM migrations").fetchone():
        # The first named migration on an older database: record what it already has.
        for earlier in MIGRATIONS:
            if earlier.name == name:
                break
            db.execute(
                "INSERT OR IGNORE INTO migrations (name, applied_at) VALUES (?, ?)",
                (earlier.name, _now()),
            )
    db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, _now()))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
