"""The FAISS vector index on disk: build, add, remove, search, save and load with checks.

Vectors are L2-normalised, so inner product is cosine similarity.  Vectors come as float unit
vectors or as the database's int8 codes (`findings.vector_codes`: one scale per model).  Up to
`HNSW_THRESHOLD` vectors the index is exact search over float16 codes (`IndexScalarQuantizer`,
QT_fp16: half the size of float32, recall@10 0.998 against float32 on the corpus's vectors);
beyond it, HNSW (`IndexHNSWSQ`, M=16) over the int8 codes themselves (QT_8bit_direct_signed;
float vectors are coded at a bound chosen from the vectors it is built from).  Scores are the
query's cosine with the decoded codes.  Both sit in an id map so results carry the caller's
int64 ids (`IndexIDMap2` for the flat index, which removes by id; `IndexIDMap` for HNSW, whose
vectors are found by id through the sorted ids instead of a hash map that took 0.4 s to build
for 2,000,000 vectors).

An HNSW index is saved without its codes (FAISS's IO_FLAG_SKIP_STORAGE): its files hold the
graph and the ids (39 MB for the corpus's 259,171 vectors, where graph and codes took 172 MB),
and `load` copies the codes from the database (on two threads, while it checks and reads the
graph), so each vector is kept once on disk.  On those vectors
(`bench/hnsw.py --end-to-end`), search's top 10 (which re-scores the index's candidates with
the stored vectors) shared with exact search: M=16
0.976 semantic / 0.963 hybrid, M=24 0.979 / 0.970, M=32 0.979 / 0.972, with graphs of 37, 54
and 71 MB; dev-set nDCG@10 moved by less than 0.006 either way between them.  M=16 keeps the
whole index within 4x the plain pipeline's size.

An index folder holds `vectors.faiss` and `manifest.json` (format version, model, dimensions,
count, index type, sha256 of the faiss file, build time, and for HNSW the bound float vectors
are coded at).  `VectorIndex.load` refuses a folder whose files are missing, damaged or made for
another model, with one sentence that names the rebuild command; it never answers from the
wrong index.  Files are written atomically (temp file in the same folder, fsync, rename), the
manifest last.  No pickle anywhere.

faiss is imported inside functions so that importing this module stays instant.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from findings.files import atomic_write, sha256_file
from findings.vector_codes import choose_bound, decode, encode

if TYPE_CHECKING:
    import faiss

logger = logging.getLogger(__name__)

FORMAT_VERSION = 4  # 4: HNSW over int8 codes at one scale; 3: HNSW saved without its codes;
# 2: float16 flat, 8-bit HNSW; 1: float32
# Format 3 files hold the same flat index, or the same HNSW graph without codes, so they are
# read too (the codes come from the database either way); they are written as 4.
READS_FORMATS = (3, 4)
INDEX_FILE = "vectors.faiss"
IDS_FILE = "vector-ids.i64"  # HNSW only: the ids, in the graph's order, as little-endian int64
MANIFEST_FILE = "manifest.json"
HNSW_THRESHOLD = 200_000
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 40
# recall@10 at 50k 384-d vectors shaped like MiniLM embeddings: 0.92 at efSearch 128, 0.97 at
# 256 (about 1.3 ms a query on 2 cores); efConstruction above 40 doubled build time for +0.01.
HNSW_EF_SEARCH = 256
REBUILD = "findings reindex"
_NORM_TOLERANCE = 1e-3


class VectorIndexError(Exception):
    """The vector index cannot be used; the message is one sentence for the user."""


class IndexDamaged(VectorIndexError):
    """A file of the index is missing, truncated or corrupted."""


class IndexMissing(IndexDamaged):
    """There is no index in the folder at all (never built, or deleted)."""


class IndexMismatch(VectorIndexError):
    """The index is intact but was built for another model, dimension or format version."""


class SearchResult(NamedTuple):
    """Ids and cosine scores, best first; unpacks as `ids, scores`.

    For one query both are 1-D with at most k entries; for a batch of n queries both are
    (n, k), padded with id -1 and score -inf where the index holds fewer than k vectors.
    """

    ids: np.ndarray
    scores: np.ndarray


@dataclass(frozen=True)
class Manifest:
    """What `manifest.json` records about the index next to it."""

    format_version: int
    model: str
    dim: int
    count: int
    index_type: str
    sha256: str
    built_at: str
    faiss_version: str = ""
    hnsw_m: int | None = None
    ef_search: int | None = None
    code_bound: float | None = None  # HNSW: the bound float vectors are coded at
    ids_sha256: str | None = None  # HNSW: of `IDS_FILE`

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        fields = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in fields})


def _faiss():  # -> the faiss module, imported lazily
    import faiss

    return faiss


def _check_ids(ids: np.ndarray, n: int) -> np.ndarray:
    ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
    if ids.shape[0] != n:
        raise ValueError(f"{ids.shape[0]} ids were given for {n} vectors")
    if np.unique(ids).shape[0] != n:
        raise ValueError("ids must be unique")
    if n and ids.min() < 0:
        raise ValueError("ids must be non-negative")
    return ids


def _is_codes(vectors: np.ndarray) -> bool:
    return isinstance(vectors, np.ndarray) and vectors.dtype == np.int8


def _check_codes(codes: np.ndarray, dim: int | None = None) -> np.ndarray:
    codes = np.ascontiguousarray(codes, dtype=np.int8)
    if codes.ndim != 2 or (dim is not None and codes.shape[1] != dim):
        want = f"(n, {dim})" if dim is not None else "(n, dim)"
        raise ValueError(f"codes must have shape {want}, not {codes.shape}")
    return codes


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def _check_vectors(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or (dim is not None and vectors.shape[1] != dim):
        want = f"(n, {dim})" if dim is not None else "(n, dim)"
        raise ValueError(f"vectors must have shape {want}, not {vectors.shape}")
    if not np.isfinite(vectors).all():
        raise ValueError("vectors must be finite")
    norms = np.linalg.norm(vectors, axis=1)
    if vectors.shape[0] and np.abs(norms - 1.0).max() > _NORM_TOLERANCE:
        raise ValueError("vectors must be L2-normalised (inner product stands for cosine)")
    return vectors


class VectorIndex:
    """Int64 ids -> unit vectors, searched by cosine similarity."""

    def __init__(
        self, index: faiss.Index, model: str, dim: int, index_type: str, code_bound: float | None = None
    ) -> None:
        self._index = index
        self.model = model
        self.dim = dim
        self.index_type = index_type
        self.code_bound = code_bound  # HNSW: the bound float vectors are coded at

    @classmethod
    def build(
        cls,
        ids: np.ndarray,
        vectors: np.ndarray,
        model: str,
        *,
        hnsw_threshold: int | None = None,
        ef_search: int = HNSW_EF_SEARCH,
    ) -> VectorIndex:
        """An exact index for up to `hnsw_threshold` vectors (default `HNSW_THRESHOLD`), an HNSW
        index beyond.  `vectors` are unit vectors, or int8 codes at one scale (the database's)."""
        faiss = _faiss()
        hnsw_threshold = HNSW_THRESHOLD if hnsw_threshold is None else hnsw_threshold
        codes = _check_codes(vectors) if _is_codes(vectors) else None
        vectors = codes if codes is not None else _check_vectors(vectors)
        ids = _check_ids(ids, vectors.shape[0])
        dim = vectors.shape[1]
        if vectors.shape[0] > hnsw_threshold:
            inner = faiss.IndexHNSWSQ(
                dim, faiss.ScalarQuantizer.QT_8bit_direct_signed, HNSW_M, faiss.METRIC_INNER_PRODUCT
            )
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = ef_search
            index = cls(faiss.IndexIDMap(inner), model, dim, "hnsw", _bound_of(vectors))
        else:
            inner = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
            index = cls(faiss.IndexIDMap2(inner), model, dim, "flat")
        index._add(ids, vectors)
        logger.info("Built %s index of %d vectors, dim %d", index.index_type, len(ids), dim)
        return index

    def _add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add checked vectors; a chunk at a time, so FAISS's float copy of the codes stays small
        (2,000,000 codes would be 3 GB of floats at once)."""
        for start in range(0, len(ids), _ADD_CHUNK):
            chunk = slice(start, start + _ADD_CHUNK)
            self._index.add_with_ids(self._input(vectors[chunk]), ids[chunk])

    def _input(self, vectors: np.ndarray) -> np.ndarray:
        """What FAISS is given for checked `vectors`: unit vectors for a flat index; for HNSW
        the int8 codes as floats (float vectors coded at `code_bound` first)."""
        if self.index_type != "hnsw":
            return decode(vectors, self.dim) if _is_codes(vectors) else vectors
        assert self.code_bound is not None
        return (vectors if _is_codes(vectors) else encode(vectors, self.code_bound)).astype(np.float32)

    def copy(self) -> VectorIndex:
        """An independent copy (to change while other threads search this one)."""
        return VectorIndex(
            _faiss().clone_index(self._index), self.model, self.dim, self.index_type, self.code_bound
        )

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __repr__(self) -> str:
        return (
            f"VectorIndex(model={self.model!r}, dim={self.dim}, count={len(self)}, "
            f"index_type={self.index_type!r})"
        )

    @property
    def ids(self) -> np.ndarray:
        """The ids held, in insertion order (cached until the next add or remove; read-only)."""
        cached = getattr(self, "_ids", None)
        if cached is None or cached.shape[0] != len(self):
            cached = _faiss().vector_to_array(self._index.id_map).astype(np.int64)
            cached.flags.writeable = False
            self._ids = cached
            self._id_order = None if cached.size < 2 or (np.diff(cached) > 0).all() else np.argsort(cached)
        return cached

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """The positions (in the order of `ids`) of these ids; ValueError if one is not held."""
        held = self.ids
        order = self._id_order
        at = np.searchsorted(held, ids, sorter=order).clip(0, max(held.size - 1, 0))
        positions = at if order is None else order[at]
        missing = ids if held.size == 0 else ids[held[positions] != ids]
        if missing.size:
            raise ValueError(f"ids not in the index: {missing[:5].tolist()}")
        return positions

    def search_masked(self, query: np.ndarray, k: int, mask: np.ndarray) -> SearchResult:
        """The k nearest ids and scores for one query (dim,) among the vectors whose position
        (in the order of `ids`) is True in `mask`.

        The mask goes to FAISS as a bitmap over the inner index's positions, which costs one bit
        a vector to build instead of the hash set an id selector needs."""
        faiss = _faiss()
        mask = np.asarray(mask, dtype=bool).reshape(-1)
        if mask.shape[0] != len(self):
            raise ValueError(f"the mask has {mask.shape[0]} entries for {len(self)} vectors")
        selected = int(mask.sum())
        k = max(0, min(int(k), selected))
        if k == 0:
            return SearchResult(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        asked = self._query_input(query)
        bits = np.packbits(mask, bitorder="little")
        selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))  # n is in bytes
        if self.index_type == "hnsw":
            params = faiss.SearchParametersHNSW(sel=selector, efSearch=self.ef_search or HNSW_EF_SEARCH)
        else:
            params = faiss.SearchParameters(sel=selector)
        scores, positions = self._index.index.search(asked, k, params=params)
        keep = positions[0] >= 0
        positions, scores = positions[0][keep], scores[0][keep]
        if self.index_type == "hnsw":
            scores, order = _cosines(query[0], self._index.index.reconstruct_batch(positions))
            positions = positions[order]
        return SearchResult(self.ids[positions], scores)

    def _query_input(self, queries: np.ndarray) -> np.ndarray:
        """What FAISS searches with: for HNSW each query coded in 8 bits at its own scale.  Its
        distances to int8 codes are then exact integer inner products (FAISS compares bytes
        with bytes for some dimensions, which would truncate a float query), and ranking is
        the same at any scale of the query; `_cosines` then scores the candidates in float."""
        if self.index_type != "hnsw":
            return queries
        largest = np.maximum(np.abs(queries).max(axis=1, keepdims=True), 1e-12)
        return np.rint(queries * (127.0 / largest)).astype(np.float32)

    def reconstruct_batch(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of these ids, unit length (every id must be in the index; a
        vector the database lacked when the index loaded is zero)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        if ids.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.index_type != "hnsw":
            return self._index.reconstruct_batch(ids)
        return _unit_rows(self._index.index.reconstruct_batch(self._positions(ids)))

    @property
    def ef_search(self) -> int | None:
        if self.index_type != "hnsw":
            return None
        return int(_faiss().downcast_index(self._index.index).hnsw.efSearch)

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        if self.index_type != "hnsw":
            raise ValueError("efSearch applies to an HNSW index only")
        _faiss().downcast_index(self._index.index).hnsw.efSearch = int(value)

    def search(self, query: np.ndarray, k: int = 10) -> SearchResult:
        """The k nearest ids and scores for one query (dim,) or a batch (n, dim)."""
        query = np.ascontiguousarray(query, dtype=np.float32)
        single = query.ndim == 1
        batch = query.reshape(1, -1) if single else query
        if batch.ndim != 2 or batch.shape[1] != self.dim:
            raise ValueError(f"query must have {self.dim} dimensions, not shape {query.shape}")
        k = max(0, min(int(k), len(self)))
        if k == 0:
            empty = np.zeros((batch.shape[0], 0))
            ids, scores = empty.astype(np.int64), empty.astype(np.float32)
        else:
            if self.index_type == "hnsw":
                scores, ids = self._search_hnsw(batch, k)
            else:
                scores, ids = self._index.search(batch, k)
            scores[ids < 0] = -np.inf
        if single:
            keep = ids[0] >= 0
            return SearchResult(ids[0][keep], scores[0][keep])
        return SearchResult(ids, scores)

    def _search_hnsw(self, batch: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of each query's k nearest, as cosines with the decoded codes."""
        inner = self._index.index
        scores, positions = inner.search(self._query_input(batch), k)
        ids = np.full(positions.shape, -1, dtype=np.int64)
        for row in range(positions.shape[0]):
            found = positions[row][positions[row] >= 0]
            cosines, order = _cosines(batch[row], inner.reconstruct_batch(found))
            ids[row][: order.size], scores[row][: order.size] = self.ids[found[order]], cosines
        return scores, ids

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add new vectors (unit vectors or int8 codes); an id already present is an error
        (remove it first)."""
        vectors = _check_codes(vectors, self.dim) if _is_codes(vectors) else _check_vectors(vectors, self.dim)
        ids = _check_ids(ids, vectors.shape[0])
        present = np.isin(ids, self.ids)
        if present.any():
            raise ValueError(f"ids already in the index: {ids[present][:5].tolist()}")
        self._add(ids, vectors)

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids from a flat index; returns how many were there.  HNSW needs a rebuild."""
        if self.index_type != "flat":
            raise VectorIndexError(
                f"Vectors cannot be removed from an HNSW index; rebuild it with `{REBUILD}`."
            )
        ids = np.ascontiguousarray(ids, dtype=np.int64).reshape(-1)
        return int(self._index.remove_ids(_faiss().IDSelectorBatch(ids)))

    def save(self, folder: str | os.PathLike[str]) -> Manifest:
        """Write `vectors.faiss` (and for HNSW `vector-ids.npy`) then `manifest.json` into
        `folder`, each atomically.  An HNSW index is written without its codes; FAISS's id
        map does not pass that flag on to the index it wraps, so the ids go in their own file."""
        faiss = _faiss()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        hnsw = self.index_type == "hnsw"
        digest: dict[str, str] = {}

        def write_index(tmp: Path) -> None:
            if hnsw:
                faiss.write_index(faiss.downcast_index(self._index.index), str(tmp), faiss.IO_FLAG_SKIP_STORAGE)
            else:
                faiss.write_index(self._index, str(tmp))
            digest[INDEX_FILE] = sha256_file(tmp)

        def write_ids(tmp: Path) -> None:
            tmp.write_bytes(np.ascontiguousarray(self.ids, dtype="<i8").tobytes())
            digest[IDS_FILE] = sha256_file(tmp)

        if hnsw:
            atomic_write(folder / IDS_FILE, write_ids)
        atomic_write(folder / INDEX_FILE, write_index)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=self.model,
            dim=self.dim,
            count=len(self),
            index_type=self.index_type,
            sha256=digest[INDEX_FILE],
            ids_sha256=digest.get(IDS_FILE),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            faiss_version=getattr(faiss, "__version__", ""),
            hnsw_m=HNSW_M if self.index_type == "hnsw" else None,
            ef_search=self.ef_search,
            code_bound=self.code_bound,
        )
        data = json.dumps(manifest.__dict__, indent=2, sort_keys=True) + "\n"
        atomic_write(folder / MANIFEST_FILE, data.encode("utf-8"))
        if not hnsw:
            (folder / IDS_FILE).unlink(missing_ok=True)
        logger.info("Saved %s index of %d vectors to %s", self.index_type, len(self), folder)
        return manifest

    @classmethod
    def load(
        cls,
        folder: str | os.PathLike[str],
        expected_model: str,
        expected_dim: int,
        stored: StoredVectors | None = None,
    ) -> VectorIndex:
        """The index in `folder`, after checking it is whole and built for this model.  An
        HNSW index's codes come from `stored`: given vector ids, it returns the ids it has
        vectors for and their int8 codes (or unit vectors, coded at the manifest's bound)."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        if manifest.format_version not in READS_FORMATS:
            raise IndexMismatch(
                f"The vector index in {folder} has format version {manifest.format_version} but "
                f"this version of findings reads {FORMAT_VERSION}; rebuild it with `{REBUILD}`."
            )
        if manifest.model != expected_model or manifest.dim != expected_dim:
            raise IndexMismatch(
                f"The vector index in {folder} was built with model {manifest.model!r} "
                f"({manifest.dim} dimensions) but the current model is {expected_model!r} "
                f"({expected_dim} dimensions); rebuild it with `{REBUILD}`."
            )
        path = folder / INDEX_FILE
        if not path.is_file():
            raise IndexDamaged(
                f"The vector index file {path} is missing; rebuild it with `{REBUILD}`."
            )
        faiss = _faiss()
        hnsw = manifest.index_type == "hnsw"
        bound = manifest.code_bound if manifest.format_version >= 4 else None  # 3: known from the codes
        if hnsw and (stored is None or not (bound is None or isinstance(bound, float | int) and 0 < bound <= 1)):
            raise IndexDamaged(
                f"The vector index manifest {folder / MANIFEST_FILE} lacks what its codes are made "
                f"from; rebuild it with `{REBUILD}`."
            )
        ids = _read_ids(folder, manifest) if hnsw else None
        # An HNSW index's codes are made from the database while its file is checked and read.
        with _CodesMaking(manifest.dim, ids, bound, stored) if hnsw else nullcontext() as codes:
            if sha256_file(path) != manifest.sha256:
                raise IndexDamaged(
                    f"The vector index file {path} is damaged (its checksum does not match the "
                    f"manifest); rebuild it with `{REBUILD}`."
                )
            try:
                index = faiss.read_index(str(path), faiss.IO_FLAG_SKIP_STORAGE if hnsw else 0)
            except RuntimeError as exc:
                raise IndexDamaged(
                    f"The vector index file {path} cannot be read; rebuild it with `{REBUILD}`."
                ) from exc
            # read_index already returns the concrete class; do not downcast it, because the
            # wrapper read_index returned owns the C++ object and would free it when dropped.
            if (
                not isinstance(index, faiss.IndexHNSW if hnsw else faiss.IndexIDMap2)
                or index.d != manifest.dim
                or index.ntotal != manifest.count
            ):
                raise IndexDamaged(
                    f"The vector index file {path} does not match its manifest; rebuild it with "
                    f"`{REBUILD}`."
                )
            if codes is not None:
                assert ids is not None
                storage = codes.result()
                bound = codes.bound()
                storage.this.disown()  # the HNSW index owns its storage from here
                index.storage = storage
                index.own_fields = True
                index = _with_ids(index, ids)
        loaded = cls(index, manifest.model, manifest.dim, manifest.index_type, float(bound) if hnsw else None)
        if hnsw and manifest.ef_search:
            loaded.ef_search = manifest.ef_search
        return loaded


StoredVectors = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
_ATTACH_CHUNK = 20_000  # vectors copied at a time while the codes are read (7.7 MB of codes)
_ATTACH_THREADS = 2
_ADD_CHUNK = 100_000  # vectors given to FAISS at a time (150 MB of floats at 384 dimensions)


def _read_ids(folder: Path, manifest: Manifest) -> np.ndarray:
    path = folder / IDS_FILE
    damaged = IndexDamaged(f"The vector id file {path} is missing or damaged; rebuild it with `{REBUILD}`.")
    if not path.is_file() or sha256_file(path) != manifest.ids_sha256:
        raise damaged
    data = path.read_bytes()
    if len(data) != 8 * manifest.count:
        raise damaged
    return np.frombuffer(data, dtype="<i8").astype(np.int64)


class _CodesMaking:
    """The int8 codes of the vectors of `ids`, in that order, read from `stored` into the storage
    of an HNSW index read without them, on threads of their own from the moment this is
    entered: `result()` waits for them.  Leaving early (an error) stops the reading and waits.

    A vector the store no longer has (a removed paragraph's, masked out of every search until
    the next rebuild) gets a zero vector's codes.  The codes are written straight into the
    storage's own buffer (FAISS keeps each code plus 128), a chunk at a time by two threads, so
    they are neither copied again nor grown."""

    def __init__(self, dim: int, ids: np.ndarray | None, bound: float | None, stored: StoredVectors | None):
        assert ids is not None and stored is not None
        faiss = _faiss()
        self._ids, self._stored, self._dim, self._bound = ids, stored, dim, bound
        self._storage = faiss.IndexScalarQuantizer(
            dim, faiss.ScalarQuantizer.QT_8bit_direct_signed, faiss.METRIC_INNER_PRODUCT
        )
        self._stop = threading.Event()
        self._sized = threading.Event()
        self._codes: np.ndarray | None = None
        self._pool = ThreadPoolExecutor(max_workers=_ATTACH_THREADS, thread_name_prefix="findings-codes")
        self._chunks: list[Future[None]] = []

    def __enter__(self) -> _CodesMaking:
        total = int(self._ids.shape[0])
        self._chunks = [self._pool.submit(self._size, total)]
        self._chunks += [self._pool.submit(self._copy, start) for start in range(0, total, _ATTACH_CHUNK)]
        return self

    def _size(self, total: int) -> None:
        """Size the storage's buffer (zeroing 800 MB takes a while: not on the caller's thread)."""
        try:
            self._storage.codes.resize(total * self._storage.code_size)
            codes = _faiss().rev_swig_ptr(self._storage.codes.data(), total * self._storage.code_size)
            self._codes = codes.reshape(total, self._storage.code_size)
        finally:
            self._sized.set()

    def _copy(self, start: int) -> None:
        if self._stop.is_set():
            return
        chunk = self._ids[start : start + _ATTACH_CHUNK]
        found_ids, found = self._stored(chunk)
        if not _is_codes(found):
            if self._bound is None:
                raise IndexDamaged(f"The vector index has no bound to code vectors at; rebuild it with `{REBUILD}`.")
            found = encode(_check_vectors(found, self._dim), self._bound)
        if not np.array_equal(found_ids, chunk):  # usually every vector is there, in this order
            codes = np.zeros((chunk.shape[0], self._dim), dtype=np.int8)
            if found_ids.size:
                order = np.argsort(found_ids)
                at = np.searchsorted(found_ids, chunk, sorter=order).clip(0, found_ids.size - 1)
                hit = found_ids[order[at]] == chunk
                codes[hit] = found[order[at[hit]]]
            found = codes
        self._sized.wait()
        if self._codes is None:  # sizing failed: `result` raises its error
            return
        # FAISS's QT_8bit_direct_signed keeps code + 128: the int8's bits with the top one flipped.
        np.bitwise_xor(found.view(np.uint8), 0x80, out=self._codes[start : start + chunk.shape[0]])

    def bound(self) -> float:
        """The bound the codes are at: the one given, else what a sample of them shows (after
        `result`)."""
        if self._bound is not None:
            return float(self._bound)
        if self._codes is None or not self._ids.size:
            return 1.0
        sample = self._codes[:: max(1, self._codes.shape[0] // 1_000)]
        return _bound_of(np.bitwise_xor(sample, 0x80).view(np.int8))

    def result(self) -> faiss.IndexScalarQuantizer:
        for chunk in self._chunks:
            chunk.result()  # raises here what a thread raised
        self._storage.ntotal = int(self._ids.shape[0])
        return self._storage

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _cosines(query: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cosines of a query with the int8 codes an HNSW search found (as floats), best first,
    and the order that puts them so."""
    norms = np.maximum(np.linalg.norm(found, axis=1), 1e-12)
    cosines = ((found @ query) / norms).astype(np.float32)
    order = np.argsort(-cosines, kind="stable")
    return cosines[order], order


def _bound_of(vectors: np.ndarray) -> float:
    """The bound of an HNSW index's codes: from its float vectors (`choose_bound`), or that of
    int8 codes at one scale (their typical norm is 127 over it)."""
    if not _is_codes(vectors):
        return choose_bound(vectors)
    if not vectors.size:
        return 1.0
    sample = vectors[:: max(1, vectors.shape[0] // 10_000)]
    norms = np.linalg.norm(sample.astype(np.float32), axis=1)
    typical = float(np.median(norms[norms > 0])) if (norms > 0).any() else 0.0
    return float(min(1.0, 127.0 / typical)) if typical > 0 else 1.0


def _with_ids(inner: faiss.Index, ids: np.ndarray) -> faiss.IndexIDMap:
    """`inner` (holding len(ids) vectors) in an id map with these ids.  FAISS wraps only an
    empty index, so its count is hidden while it is wrapped."""
    faiss = _faiss()
    count = inner.ntotal
    inner.ntotal = 0
    index = faiss.IndexIDMap(inner)
    inner.ntotal = index.ntotal = count
    inner.this.disown()  # the id map owns it from here
    index.own_fields = True
    faiss.copy_array_to_vector(np.ascontiguousarray(ids, dtype=np.int64), index.id_map)
    return index


def read_manifest(folder: str | os.PathLike[str]) -> Manifest:
    """The manifest of the index in `folder`; raises `IndexMissing` or `IndexDamaged`."""
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        if (folder / INDEX_FILE).exists():
            raise IndexDamaged(
                f"The vector index manifest {path} is missing; rebuild it with `{REBUILD}`."
            )
        raise IndexMissing(f"There is no vector index in {folder}; build it with `{REBUILD}`.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest.from_json(data)
        if not isinstance(manifest.format_version, int):
            raise TypeError("format_version")
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise IndexDamaged(
            f"The vector index manifest {path} is damaged; rebuild it with `{REBUILD}`."
        ) from exc
    return manifest
