"""The stored vectors, beside `store.py`: one `embeddings` row per (paragraph text, model)
holds its `count` vectors (the whole paragraph's, its windows', then its clauses') as 8-bit
codes at the model's one scale (`vector_bounds`; see `findings.vector_codes`).  This is the
only copy on disk: the FAISS file keeps the HNSW graph, and its codes are copied from these
rows when it loads.  A vector's id in FAISS is its
paragraph's rowid shifted left by `WINDOW_BITS`, plus its number (`paragraph_rowid` undoes it).

`Store` has these methods through `StoredVectors`, which reads through the store's connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from findings.vector_codes import blob_size_sql, check_size, choose_bound, decode
from findings.vector_codes import pack as pack_vectors
from findings.vector_codes import unpack as unpack_vectors

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

WINDOW_BITS = 10  # up to 1,024 embedding windows per paragraph


def paragraph_rowid(vector_id: int) -> int:
    return int(vector_id) >> WINDOW_BITS


def chunks(items: list, size: int) -> Iterator[list]:
    """`items` in lists of `size` (SQLite takes a bounded number of parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class StoredVectors:
    """The vector rows of a `Store` (its `db`, `transaction`, `_bump` and `_damaged`)."""

    if TYPE_CHECKING:  # what `Store` gives
        db: sqlite3.Connection

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _bump(self, key: str = "generation") -> None: ...

        def _damaged(self, report_id: str, what: str, left_out: str = "it is left out") -> None: ...

    _WHOLE = f"e.dim > 0 AND e.count > 0 AND length(e.vectors) = {blob_size_sql('e.count', 'e.dim')}"

    def cached_hashes(self, model: str, hashes: Iterable[str]) -> set[str]:
        """The hashes among `hashes` whose vectors are stored whole (a damaged one is embedded
        again, and replaced, by the next ingest or reindex)."""
        found: set[str] = set()
        for chunk in chunks(sorted(set(hashes)), 500):
            marks = ",".join("?" * len(chunk))
            found.update(
                row[0]
                for row in self.db.execute(
                    f"SELECT e.text_hash FROM embeddings e WHERE e.model=? AND e.text_hash IN ({marks})"
                    f" AND {self._WHOLE}",
                    [model, *chunk],
                )
            )
        return found

    def vector_ids(self, model: str) -> np.ndarray:
        """The ids (`vector_id`) of every stored vector of every paragraph, sorted."""
        rows = self.db.execute(
            "SELECT p.rowid, e.count FROM paragraphs p JOIN embeddings e"
            f" ON e.text_hash = p.text_hash AND e.model = ? WHERE {self._WHOLE}",
            (model,),
        ).fetchall()
        ids = [(r[0] << WINDOW_BITS) | w for r in rows for w in range(min(r[1], 1 << WINDOW_BITS))]
        return np.sort(np.asarray(ids, dtype=np.int64))

    def paragraph_vectors(
        self, model: str, rowids: Sequence[int] | None = None, dim: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vector ids, unit vectors): `paragraph_codes`, decoded."""
        ids, codes = self.paragraph_codes(model, rowids, dim)
        return ids, decode(codes, codes.shape[1]) if codes.shape[1] else codes.astype(np.float32)

    def paragraph_codes(
        self, model: str, rowids: Sequence[int] | None = None, dim: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(vector ids, int8 codes): one row per window and clause of the stored paragraphs (all,
        or those of `rowids`), in order of id.  `paragraph_rowid(id)` gives back the paragraph's
        rowid.  Vectors that are not `dim` (else the first row's dim) long, or whose blob is
        damaged, are left out, with a warning naming their report."""
        sql = (
            "SELECT p.rowid, e.count, e.dim, length(e.vectors), e.vectors, p.report_id"
            " FROM paragraphs p JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ?"
        )
        if rowids is None:
            rows = self.db.execute(sql + " ORDER BY p.rowid", (model,)).fetchall()
        else:
            wanted = sorted({int(r) for r in rowids})
            rows = []
            if wanted and wanted[-1] - wanted[0] < 2 * len(wanted):
                # Mostly one run of rowids (an index loading its codes): one range scan, then
                # the few rows in it that were not asked for are dropped.
                where = " WHERE p.rowid BETWEEN ? AND ? ORDER BY p.rowid"
                found = self.db.execute(sql + where, [model, wanted[0], wanted[-1]]).fetchall()
                asked = set(wanted)
                rows = [row for row in found if row[0] in asked]
            else:
                for chunk in chunks(wanted, 500):
                    marks = ",".join("?" * len(chunk))
                    where = f" WHERE p.rowid IN ({marks}) ORDER BY p.rowid"
                    rows += self.db.execute(sql + where, [model, *chunk]).fetchall()
        if dim is None and rows:
            dim = rows[0][2] if isinstance(rows[0][2], int) else None
        whole = []
        for row in rows:
            try:
                if row[2] != dim:
                    raise ValueError(f"a stored vector has {row[2]} dimensions, not {dim}")
                check_size(row[3] if isinstance(row[4], bytes) else None, row[1], row[2])
            except ValueError as exc:
                self._damaged(str(row[5]), str(exc), "that paragraph is left out of meaning search")
            else:
                whole.append(row)
        if not whole or dim is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dim or 0), dtype=np.int8)
        counts = [row[1] for row in whole]
        codes = np.frombuffer(b"".join(row[4] for row in whole), dtype=np.int8).reshape(-1, dim)
        windows = np.concatenate([np.arange(c, dtype=np.int64) for c in counts])
        ids = (np.repeat(np.array([row[0] for row in whole], dtype=np.int64), counts) << WINDOW_BITS) | windows
        keep = windows < (1 << WINDOW_BITS)
        if keep.all():
            return ids, codes
        return ids[keep], codes[keep]

    def codes_between(self, model: str, first: int, last: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """`paragraph_codes` of the paragraphs whose rowids are `first` to `last`: what an index
        loading its codes reads, a stretch at a time.  SQLite joins and concatenates the rows
        itself, in one step during which Python's other threads run (row by row, Python's
        own work made loading 2,000,000 vectors take 5 s; this way 1.2 s on two threads).
        Rows that are not whole are read again one by one, to be left out with a warning."""
        whole = f"(e.dim = ? AND {self._WHOLE})"
        blob, pairs, damaged = self.db.execute(
            "SELECT CAST(group_concat(CASE WHEN whole THEN vectors END, '') AS BLOB),"
            " group_concat(CASE WHEN whole THEN rowid || ',' || count END, ','), sum(NOT whole)"
            f" FROM (SELECT p.rowid AS rowid, e.count AS count, e.vectors AS vectors, {whole} AS whole"
            " FROM paragraphs p JOIN embeddings e ON e.text_hash = p.text_hash AND e.model = ?"
            " WHERE p.rowid BETWEEN ? AND ? ORDER BY p.rowid)",
            (dim, model, first, last),
        ).fetchone()
        if damaged:
            return self.paragraph_codes(model, range(first, last + 1), dim)
        if not pairs:
            return np.zeros(0, dtype=np.int64), np.zeros((0, dim), dtype=np.int8)
        rowids, counts = np.array(pairs.split(","), dtype=np.int64).reshape(-1, 2).T
        codes = np.frombuffer(blob, dtype=np.int8).reshape(-1, dim)
        starts = np.repeat(np.cumsum(counts) - counts, counts)
        windows = np.arange(codes.shape[0], dtype=np.int64) - starts
        ids = (np.repeat(rowids, counts) << WINDOW_BITS) | windows
        keep = windows < (1 << WINDOW_BITS)
        if not keep.all():
            ids, codes = ids[keep], codes[keep]
        # group_concat steps through the subquery's rows in its order; that is checked, not assumed.
        if ids.size > 1 and (np.diff(ids) <= 0).any():
            order = np.argsort(ids, kind="stable")
            ids, codes = ids[order], codes[order]
        return ids, codes

    def paragraph_vector(self, rowid: int, model: str, window: int = 0) -> np.ndarray | None:
        """One stored vector of a paragraph (window 0: the whole paragraph), if any and whole."""
        row = self.db.execute(
            "SELECT e.count, e.dim, e.vectors FROM paragraphs p JOIN embeddings e"
            f" ON e.text_hash = p.text_hash AND e.model = ? WHERE p.rowid = ? AND {self._WHOLE}",
            (model, rowid),
        ).fetchone()
        if row is None or not 0 <= window < row[0]:
            return None
        return unpack_vectors(row[2], row[0], row[1])[window]

    def put_vectors(self, rows: Iterable[tuple[str, str, int, np.ndarray]]) -> None:
        with self.transaction() as db:
            self._insert_vectors(db, rows)
            self._bump()

    @staticmethod
    def _insert_vectors(db: sqlite3.Connection, rows: Iterable[tuple[str, str, int, np.ndarray]]) -> None:
        """Store (text_hash, model, vector number, vector) rows; a text's vectors come together,
        numbered from 0, and replace any it had.  They are coded at their model's bound, which
        the model's first vectors set."""
        texts: dict[tuple[str, str], dict[int, np.ndarray]] = {}
        for text_hash, model, window, vector in rows:
            texts.setdefault((text_hash, model), {})[int(window)] = vector
        matrices: dict[tuple[str, str], np.ndarray] = {}
        for (text_hash, model), vectors in texts.items():
            if sorted(vectors) != list(range(len(vectors))):
                raise ValueError(f"the vectors of text {text_hash} are not numbered 0 to {len(vectors) - 1}")
            matrices[text_hash, model] = np.stack([np.asarray(vectors[w], dtype=np.float32) for w in sorted(vectors)])
        bounds = {}
        for model in {model for _, model in matrices}:
            found = db.execute("SELECT bound FROM vector_bounds WHERE model = ?", (model,)).fetchone()
            if found is None or not isinstance(found[0], float) or not 0 < found[0] <= 1:
                chosen = choose_bound(np.concatenate([m for (_, mm), m in matrices.items() if mm == model]))
                db.execute("INSERT OR REPLACE INTO vector_bounds (model, bound) VALUES (?, ?)", (model, chosen))
                found = (chosen,)
            bounds[model] = found[0]
        db.executemany(
            "INSERT OR REPLACE INTO embeddings (text_hash, model, dim, count, vectors) VALUES (?,?,?,?,?)",
            [
                (text_hash, model, int(matrix.shape[1]), matrix.shape[0], pack_vectors(matrix, bounds[model]))
                for (text_hash, model), matrix in matrices.items()
            ],
        )

    def unembedded_count(self, model: str) -> int:
        return self.db.execute(
            "SELECT COUNT(*) FROM paragraphs p WHERE NOT EXISTS"
            " (SELECT 1 FROM embeddings e WHERE e.text_hash = p.text_hash AND e.model = ?)",
            (model,),
        ).fetchone()[0]

    def models(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT DISTINCT model FROM embeddings")]
