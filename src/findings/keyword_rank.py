"""Keyword ranking from term postings held in memory: FTS5's own BM25, summed with numpy.

FTS5 computes `bm25()` row by row: for every paragraph a query matches it reads the row's
size and the position lists of each matched term, about 1 microsecond a match.  A query with a
common word ("care", "social") matches 40% of the corpus's paragraphs, so ranking took 17 ms of
a hybrid query's 26 (bench/bench.py).  Here each term's postings (the paragraphs it occurs in and
its column-weighted frequency there) are read once from the FTS5 index itself, through an
`fts5vocab` table, so the tokens are FTS5's own (porter stems, the same prefix matches), and
are kept until the paragraphs change.  A query is then a few array operations over its terms'
postings, in the manner of bm25s's eager scoring.

The scores are FTS5's bm25 (k1 = 1.2, b = 0.75, its idf floored at 1e-6, the column weights of
`store.BM25_WEIGHTS`, each phrase of the OR expression scored on its own and the scores
summed), so the ranking is the one `ORDER BY bm25(...)` gives; tests compare the two.  A phrase
of several words ("parental capacity to change") is scored by FTS5 itself: it matches few
paragraphs, and its positions are what FTS5 is for.  A term's first use reads its postings
(as long as FTS5's ranking took); the `cache_entries` most recently used postings stay.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)
_TOKENIZE = re.compile(r"tokenize\s*=\s*'([^']*)'", re.IGNORECASE)


@dataclass(frozen=True)
class Postings:
    """Where one FTS5 phrase (a term or a prefix) occurs: paragraph rowids, ascending, and its
    frequency in each, weighted by column."""

    rowids: np.ndarray  # int64
    frequency: np.ndarray  # float64


@dataclass
class _Corpus:
    """What every score of one store generation shares."""

    generation: int
    lengths: np.ndarray  # tokens of each paragraph (text and section), indexed by rowid
    rows: int
    average_length: float


class KeywordRanker:
    """BM25 over an FTS5 table's postings, cached per store generation.  Safe to share between
    threads: each call reads through the caller's connection."""

    def __init__(self, table: str, weights: Sequence[float], cache_entries: int = 8_000_000) -> None:
        self.table = table
        self.weights = tuple(float(w) for w in weights)
        self.cache_entries = cache_entries
        self._lock = threading.Lock()
        self._corpus: _Corpus | None = None
        self._postings: OrderedDict[str, Postings] = OrderedDict()
        self._held = 0  # postings entries in the cache
        self._tokens: dict[str, tuple[str, ...]] = {}
        self._columns: dict[str, float] = {}  # FTS5 column name -> weight

    def rank(
        self, db: sqlite3.Connection, generation: int, parts: Sequence[str], limit: int,
        allowed: np.ndarray,
    ) -> list[tuple[int, float]]:
        """(rowid, BM25 score, higher is better) of the `limit` best paragraphs among `allowed`
        (sorted rowids) that match any of `parts`: FTS5 phrases as `fts_query` writes them, a
        quoted term or phrase or a `prefix*`.  Call inside one read transaction, with the
        store's `generation` read in it."""
        if limit <= 0:
            return []
        corpus = self._corpus_for(db, generation)
        scores = np.zeros(corpus.lengths.size, dtype=np.float64)
        matched = np.zeros(corpus.lengths.size, dtype=bool)
        for part in dict.fromkeys(parts):
            found = self._phrase_scores(db, corpus, part)
            if found is None:
                continue
            rowids, part_scores = found
            scores[rowids] += part_scores
            matched[rowids] = True
        keep = np.zeros(corpus.lengths.size, dtype=bool)
        inside = allowed[allowed < corpus.lengths.size]
        keep[inside] = matched[inside]
        candidates = np.flatnonzero(keep)
        if candidates.size > limit:
            best = np.argpartition(-scores[candidates], limit - 1)[:limit]
            candidates = candidates[best]
        order = np.lexsort((candidates, -scores[candidates]))
        chosen = candidates[order]
        return list(zip(chosen.tolist(), scores[chosen].tolist(), strict=True))

    def _phrase_scores(
        self, db: sqlite3.Connection, corpus: _Corpus, part: str
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """The rowids a phrase matches and its BM25 share of their scores."""
        prefix = part.endswith("*") and not part.startswith('"')
        text = part[:-1] if prefix else part
        if text.startswith('"') and text.endswith('"') and len(text) >= 2:
            text = text[1:-1].replace('""', '"')
        tokens = self._tokenised(db, text)
        if not tokens:
            return None
        if len(tokens) > 1:
            # A phrase of several words: FTS5 scores it (its positions decide what matches).
            rows = db.execute(
                f"SELECT rowid, -bm25({self.table}, {', '.join(map(str, self.weights))}) FROM {self.table}"
                f" WHERE {self.table} MATCH ?", [part],
            ).fetchall()
            if not rows:
                return None
            return (np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)),
                    np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)))
        postings = self._postings_for(db, corpus, tokens[0], prefix)
        if postings.rowids.size == 0:
            return None
        hits = postings.rowids.size
        idf = np.log((corpus.rows - hits + 0.5) / (hits + 0.5))
        idf = idf if idf > 0 else 1e-6
        frequency = postings.frequency
        length = corpus.lengths[postings.rowids]
        share = idf * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length / corpus.average_length))
        return postings.rowids, share

    def _corpus_for(self, db: sqlite3.Connection, generation: int) -> _Corpus:
        with self._lock:
            if self._corpus is not None and self._corpus.generation == generation:
                return self._corpus
        rows = db.execute(f"SELECT id, sz FROM {self.table}_docsize").fetchall()
        top = max((r[0] for r in rows), default=0)
        lengths = np.zeros(top + 1, dtype=np.float64)
        for rowid, size in rows:
            lengths[rowid] = sum(_varints(size))
        average = float(lengths.sum()) / len(rows) if rows else 1.0
        corpus = _Corpus(generation, lengths, len(rows), average or 1.0)
        with self._lock:
            if self._corpus is None or self._corpus.generation != generation:
                self._postings.clear()
                self._held = 0
                self._corpus = corpus
            return self._corpus

    def _postings_for(self, db: sqlite3.Connection, corpus: _Corpus, token: str, prefix: bool) -> Postings:
        key = f"{token}*" if prefix else token
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        vocabulary = self._vocabulary(db)
        if prefix:
            after = token[:-1] + chr(ord(token[-1]) + 1)
            rows = db.execute(
                f"SELECT doc, col FROM {vocabulary} WHERE term >= ? AND term < ?", [token, after]
            ).fetchall()
        else:
            rows = db.execute(f"SELECT doc, col FROM {vocabulary} WHERE term = ?", [token]).fetchall()
        postings = self._gather(rows, corpus)
        with self._lock:
            if self._corpus is corpus:
                self._postings[key] = postings
                self._held += postings.rowids.size
                while self._held > self.cache_entries and len(self._postings) > 1:
                    _, dropped = self._postings.popitem(last=False)
                    self._held -= dropped.rowids.size
        return postings

    def _gather(self, rows: list, corpus: _Corpus) -> Postings:
        """Per-instance rows (paragraph, column name) to per-paragraph weighted frequencies."""
        if not rows:
            return Postings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        columns = self._columns
        docs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        weights = np.fromiter((columns.get(r[1], 1.0) for r in rows), dtype=np.float64, count=len(rows))
        rowids, where = np.unique(docs, return_inverse=True)
        frequency = np.bincount(where, weights=weights, minlength=rowids.size)
        inside = rowids < corpus.lengths.size
        return Postings(rowids[inside], frequency[inside])

    def _vocabulary(self, db: sqlite3.Connection) -> str:
        """The temp fts5vocab table over this connection's FTS5 table (made on first use)."""
        name = f"{self.table}_instances"
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name} USING fts5vocab(main, {self.table}, instance)")
        if not self._columns:
            names = [r[1] for r in db.execute(f"PRAGMA table_info({self.table})")]
            self._columns = {
                n: (self.weights[i] if i < len(self.weights) else 1.0) for i, n in enumerate(names)
            }
        return f"temp.{name}"

    def _tokenised(self, db: sqlite3.Connection, text: str) -> tuple[str, ...]:
        """The tokens FTS5 makes of `text`, by its own tokenizer (a temp table with the same
        `tokenize` option as the FTS5 table)."""
        found = self._tokens.get(text)
        if found is not None:
            return found
        name = f"{self.table}_tokens"
        exists = db.execute("SELECT 1 FROM temp.sqlite_master WHERE name = ?", [name]).fetchone()
        if not exists:
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [self.table]).fetchone()[0]
            option = _TOKENIZE.search(sql)
            tokenize = f", tokenize='{option.group(1)}'" if option else ""
            db.execute(f"CREATE VIRTUAL TABLE temp.{name} USING fts5(t{tokenize})")
            db.execute(f"CREATE VIRTUAL TABLE temp.{name}_v USING fts5vocab(temp, {name}, instance)")
        db.execute(f"DELETE FROM temp.{name}")
        db.execute(f"INSERT INTO temp.{name}(rowid, t) VALUES (1, ?)", [text])
        tokens = tuple(r[0] for r in db.execute(f"SELECT term FROM temp.{name}_v ORDER BY offset"))
        db.execute(f"DELETE FROM temp.{name}")
        if len(self._tokens) > 100_000:
            self._tokens.clear()
        self._tokens[text] = tokens
        return tokens


def _varints(blob: bytes) -> list[int]:
    """The column sizes in an FTS5 `_docsize` record: SQLite varints, one a column."""
    values, value, shift = [], 0, 0
    for byte in blob:
        if shift < 56:
            value = (value << 7) | (byte & 0x7F)
            if byte & 0x80:
                shift += 7
                continue
        else:
            value = (value << 8) | byte
        values.append(value)
        value, shift = 0, 0
    return values
