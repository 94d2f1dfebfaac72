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
of several words ("children who go missing") is scored by FTS5 itself: it matches few
paragraphs, and its positions are what FTS5 is for.  What is kept, per phrase, is its share of
the score in each paragraph it matches.  A term's first use reads its postings (as long as
FTS5's ranking took), so the store reads ahead the commonest terms' postings, their
derivational prefixes and the common phrases it is given (the glossary's), on a thread of its
own, once a generation (`warm`): while `Library` loads the vector index, else after the first
keyword query.  The most recently used stay, up to `cache_entries` paragraph entries (12 bytes
each: 20 million, 240 MB, hold the common terms of 3,000 reports).
"""

from __future__ import annotations

import bisect
import logging
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

K1, B = 1.2, 0.75  # FTS5's bm25 constants (fts5_aux.c)
_TOKENIZE = re.compile(r"tokenize\s*=\s*'([^']*)'", re.IGNORECASE)


@dataclass(frozen=True)
class Shares:
    """One FTS5 phrase (a term, a prefix or words in a row) in one store generation: the
    paragraphs it matches (rowids) and its share of their BM25 scores."""

    rowids: np.ndarray  # int32 (int64 beyond 2**31 - 1)
    scores: np.ndarray  # float64


_DERIVATIONAL = ("ist", "ism", "ic", "al", "ive", "ion", "ity", "ness", "ment", "ful", "ous")


def derivational_prefix(stem: str) -> str:
    """The FTS5 prefix that finds a porter stem's derivational relatives, or "": the stemmer
    leaves "optimistic" as "optimist" but "optimism" as "optim", so "optimist" also searches
    for "optim*" (`search.fts_parts`)."""
    for suffix in _DERIVATIONAL:
        root = stem[: -len(suffix)]
        if stem.endswith(suffix) and len(root) >= 4 and root.isalpha():
            return f"{root}*"
    return ""


def _unquoted(part: str) -> tuple[str, bool]:
    """An FTS5 phrase as `search.fts_parts` writes it ('"words"' or 'prefix*') -> its text, and
    whether it is a prefix."""
    prefix = part.endswith("*") and not part.startswith('"')
    text = part[:-1] if prefix else part
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1].replace('""', '"')
    return text, prefix


def _compact(rowids: np.ndarray) -> np.ndarray:
    """Rowids in 4 bytes each where they fit: a cached entry then takes 12 bytes, not 16."""
    return rowids.astype(np.int32) if rowids.size == 0 or int(rowids.max()) < 2**31 else rowids


_NONE = Shares(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


@dataclass(frozen=True)
class _Corpus:
    """What every score of one store generation shares."""

    generation: int
    lengths: np.ndarray  # tokens of each paragraph (text and section), indexed by rowid
    rows: int
    average_length: float


class KeywordRanker:
    """BM25 over an FTS5 table's postings, kept per store generation.  Safe to share between
    threads: each call reads through the connection it is given."""

    def __init__(self, table: str, weights: Sequence[float], cache_entries: int = 20_000_000) -> None:
        self.table = table
        self.weights = tuple(float(w) for w in weights)
        self.cache_entries = cache_entries
        self._lock = threading.Lock()
        self._corpus: _Corpus | None = None
        self._shares: OrderedDict[str, Shares] = OrderedDict()  # phrase -> its shares, oldest use first
        self._held = 0  # paragraph entries in `_shares`
        self._tokens: dict[str, tuple[str, ...]] = {}
        self._columns: dict[str, float] = {}  # FTS5 column name -> weight
        self._warmed = -2  # the generation whose common terms were read ahead
        self._documents: tuple[_Corpus | None, dict[str, int]] = (None, {})  # term -> its paragraphs

    def rank(
        self, db: sqlite3.Connection, generation: int, parts: Sequence[str], limit: int,
        allowed: np.ndarray,
    ) -> list[tuple[int, float]]:
        """(rowid, BM25 score, higher is better) of the `limit` best paragraphs among `allowed`
        (sorted rowids) that match any of `parts`: FTS5 phrases as `search.fts_parts` writes
        them, a quoted term or phrase or a `prefix*`.  Call inside one read transaction, with
        the store's `generation` read in it."""
        if limit <= 0:
            return []
        corpus = self._corpus_for(db, generation)
        scores = np.zeros(corpus.lengths.size, dtype=np.float64)
        matched = np.zeros(corpus.lengths.size, dtype=bool)
        for part in dict.fromkeys(parts):
            shares = self._part(db, corpus, part)
            scores[shares.rowids] += shares.scores
            matched[shares.rowids] = True
        keep = np.zeros(corpus.lengths.size, dtype=bool)
        inside = allowed[allowed < corpus.lengths.size]
        keep[inside] = matched[inside]
        candidates = np.flatnonzero(keep)
        if candidates.size > limit:
            candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
        chosen = candidates[np.lexsort((candidates, -scores[candidates]))]
        return list(zip(chosen.tolist(), scores[chosen].tolist(), strict=True))

    def _part(self, db: sqlite3.Connection, corpus: _Corpus, part: str) -> Shares:
        text, prefix = _unquoted(part)
        tokens = self._tokenised(db, text)
        if not tokens:
            return _NONE
        if len(tokens) > 1:
            key = '"' + " ".join(tokens) + '"'
            return self._cached(key, corpus, lambda: self._phrase(db, part))
        key = tokens[0] + ("*" if prefix else "")
        return self._cached(key, corpus, lambda: self._term(db, corpus, tokens[0], prefix))

    def paragraphs_matching(self, db: sqlite3.Connection, generation: int, phrase: str) -> int | None:
        """How many paragraphs match an FTS5 phrase (a quoted term or words in a row), when
        that is known without asking FTS5 (which takes up to 25 ms for a common phrase at 3,000
        reports): a term's, once `warm` has read the vocabulary; a phrase's, while its shares
        are kept.  None when it is not known."""
        tokens = self._tokenised(db, _unquoted(phrase)[0])
        with self._lock:
            corpus = self._corpus
            if corpus is None or corpus.generation != generation:
                return None
            if not tokens:
                return 0
            if len(tokens) == 1:
                documents = self._documents
                return documents[1].get(tokens[0], 0) if documents[0] is corpus else None
            found = self._shares.get('"' + " ".join(tokens) + '"')
            return None if found is None else int(found.rowids.size)

    def forget(self) -> None:
        """Drop what is kept (and stop a `warm` between two terms)."""
        with self._lock:
            self._corpus = None
            self._shares.clear()
            self._held = 0
            self._warmed = -2
            self._documents = (None, {})

    def wants_warming(self, generation: int) -> bool:
        """True once per generation: the first caller should run `warm` (on a thread of its own)."""
        with self._lock:
            if self._warmed == generation:
                return False
            self._warmed = generation
            return True

    def warm(
        self, db: sqlite3.Connection, generation: int, phrases: Sequence[str] = (), least: int = 5000
    ) -> int:
        """Read ahead what costs most to read on first use, most first, while the cache has room:
        the terms, and the prefixes of their derivational relatives (`derivational_prefix`), with
        at least `least` instances in under half the paragraphs, and those of `phrases` (FTS5
        phrases, such as the glossary's) whose rarest word has at least a quarter as many (FTS5
        reads a phrase about four times slower an instance).  A term of 5,000 instances takes
        about 2 ms to read; the commonest, 20-90 ms, and a common phrase 50-230 ms, at 3,000
        reports (bench/national.py).  Call inside one read transaction, with the store's
        `generation` read in it; returns the number read."""
        corpus = self._corpus_for(db, generation)
        vocabulary = {
            term: (instances, docs)
            for term, instances, docs in db.execute(f"SELECT term, cnt, doc FROM {self._vocabulary(db, 'row')}")
        }
        with self._lock:
            if self._corpus is corpus:
                self._documents = (corpus, {term: docs for term, (_, docs) in vocabulary.items()})
        terms = sorted(vocabulary)
        costs: dict[str, tuple[int, int]] = {}  # part -> (instances to read, paragraph entries at most)
        prefixes: set[str] = set()
        for term, (instances, docs) in vocabulary.items():
            if instances >= least and docs < corpus.rows / 2:
                costs[term] = (instances, docs)
            prefix = derivational_prefix(term) if instances >= least // 4 else ""
            if prefix and prefix not in prefixes:  # the prefix's cost once, over all its terms
                prefixes.add(prefix)
                root = prefix[:-1]
                first = bisect.bisect_left(terms, root)
                last = bisect.bisect_left(terms, root[:-1] + chr(ord(root[-1]) + 1))
                read, held = (sum(v) for v in zip(*(vocabulary[t] for t in terms[first:last]), strict=True))
                if read >= least and held < corpus.rows / 2:
                    costs[prefix] = (read, held)
        for phrase in phrases:
            tokens = self._tokenised(db, _unquoted(phrase)[0])
            if len(tokens) > 1 and all(t in vocabulary for t in tokens):
                instances, docs = min(vocabulary[t] for t in tokens)
                if 4 * instances >= least:
                    costs[phrase] = (4 * instances, docs)
        read = 0
        for part, (_, entries) in sorted(costs.items(), key=lambda item: -item[1][0]):
            with self._lock:
                if self._corpus is not corpus:
                    break
                if self._held + entries > self.cache_entries * 3 // 4:
                    continue
            if part in vocabulary:
                self._cached(part, corpus, lambda part=part: self._term(db, corpus, part, prefix=False))
            else:
                self._part(db, corpus, part)
            read += 1
        return read

    def _corpus_for(self, db: sqlite3.Connection, generation: int) -> _Corpus:
        with self._lock:
            if self._corpus is not None and self._corpus.generation == generation:
                return self._corpus
        rows = db.execute(f"SELECT id, sz FROM {self.table}_docsize").fetchall()
        lengths = np.zeros(max((r[0] for r in rows), default=0) + 1, dtype=np.float64)
        if rows:
            rowids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            lengths[rowids] = _record_totals([r[1] for r in rows])
        average = float(lengths.sum()) / len(rows) if rows else 1.0
        corpus = _Corpus(generation, lengths, len(rows), average or 1.0)
        with self._lock:
            if self._corpus is None or self._corpus.generation != generation:
                self._shares.clear()
                self._held = 0
                self._corpus = corpus
            return self._corpus

    def _cached(self, key: str, corpus: _Corpus, read: Callable[[], Shares]) -> Shares:
        """The shares kept under `key`, or `read()` and kept (the least recently used dropped)."""
        with self._lock:
            found = self._shares.get(key)
            if found is not None and self._corpus is corpus:
                self._shares.move_to_end(key)
                return found
        shares = read()
        with self._lock:
            if self._corpus is corpus:
                self._shares[key] = shares
                self._held += shares.rowids.size
                while self._held > self.cache_entries and len(self._shares) > 1:
                    _, dropped = self._shares.popitem(last=False)
                    self._held -= dropped.rowids.size
        return shares

    def _term(self, db: sqlite3.Connection, corpus: _Corpus, token: str, prefix: bool) -> Shares:
        """A term's (or prefix's) shares, from its instances in the FTS5 index.

        One row of text: SQLite joins the instances without holding the GIL and numpy parses
        them (a row per instance took 2-3 times as long, holding the GIL throughout)."""
        vocabulary = self._vocabulary(db)
        column = " ".join(f"WHEN '{name}' THEN {i}" for i, name in enumerate(self._columns))
        select = (f"SELECT group_concat(doc, ' '), group_concat(CASE col {column} ELSE 0 END, ' ')"
                  f" FROM {vocabulary}")
        if prefix:
            after = token[:-1] + chr(ord(token[-1]) + 1)
            row = db.execute(f"{select} WHERE term >= ? AND term < ?", [token, after]).fetchone()
        else:
            row = db.execute(f"{select} WHERE term = ?", [token]).fetchone()
        docs, columns = (np.fromstring(text, dtype=np.int64, sep=" ") if text else np.zeros(0, np.int64)
                         for text in row)
        if docs.size == 0 or docs.size != columns.size:
            return _NONE
        weights = np.asarray(list(self._columns.values()) or [1.0], dtype=np.float64)
        rowids, where = np.unique(docs, return_inverse=True)
        frequency = np.bincount(where, weights=weights[np.minimum(columns, weights.size - 1)])
        inside = rowids < corpus.lengths.size
        rowids, frequency = rowids[inside], frequency[inside]
        idf = float(np.log((corpus.rows - rowids.size + 0.5) / (rowids.size + 0.5)))
        idf = idf if idf > 0 else 1e-6
        length = corpus.lengths[rowids]
        scores = idf * frequency * (K1 + 1) / (frequency + K1 * (1 - B + B * length / corpus.average_length))
        return Shares(_compact(rowids), scores)

    def _phrase(self, db: sqlite3.Connection, part: str) -> Shares:
        """Words in a row, scored by FTS5 alone (the same bm25, one phrase's share)."""
        rows = db.execute(
            f"SELECT rowid, -bm25({self.table}, {', '.join(map(str, self.weights))}) FROM {self.table}"
            f" WHERE {self.table} MATCH ?", [part],
        ).fetchall()
        if not rows:
            return _NONE
        return Shares(_compact(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))),
                      np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)))

    def _vocabulary(self, db: sqlite3.Connection, kind: str = "instance") -> str:
        """A temp fts5vocab table of `kind` over this connection's FTS5 table (made on first use)."""
        name = f"{self.table}_vocabulary_{kind}"
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{name} USING fts5vocab(main, {self.table}, {kind})")
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


def _record_totals(records: list[bytes]) -> np.ndarray:
    """The sum of the column sizes in each FTS5 `_docsize` record: SQLite varints (big-endian,
    7 bits a byte, the high bit set on every byte but a number's last), decoded for all
    records at once."""
    sizes = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
    data = np.frombuffer(b"".join(records), dtype=np.uint8).astype(np.int64)
    if data.size == 0:
        return np.zeros(len(records), dtype=np.float64)
    owner = np.repeat(np.arange(len(records)), sizes)
    ends = np.flatnonzero(data < 0x80)  # the last byte of each number
    last = ends[np.minimum(np.searchsorted(ends, np.arange(data.size)), max(ends.size - 1, 0))]
    value = (data & 0x7F) << (7 * np.maximum(last - np.arange(data.size), 0))
    return np.bincount(owner, weights=value, minlength=len(records)).astype(np.float64)
