"""How the index database keeps vectors: 8-bit codes at one scale per model.

A model's unit vector v is kept as round(127 * v / bound) in int8, where `bound` is the largest
component magnitude that model's codes hold: chosen once per model and database from the
first vectors stored (`choose_bound`, a quarter above their largest component) and kept in
the `vector_bounds` table.  A paragraph's vectors (its windows, then its clauses) share one
blob of `count` rows of `dim` codes: 384 bytes a vector for MiniLM, where float32 took 1,536.
Decoding needs no scale: a vector is its codes over their norm.

Because every vector of a model shares one scale, the stored codes are themselves what the
HNSW index compares queries with (FAISS's QT_8bit_direct_signed keeps the code plus 128), so
loading the index copies them where codes with a scale per vector had to be decoded and
encoded again (`findings.vectors`).  MiniLM's components stay under 0.33 on the corpus (0.28 at
the 99.99th percentile of each vector's largest), and a fresh ingest chooses a bound of
0.32-0.33.  At a bound of 0.30 a score's error is 0.0007 (standard deviation; 0.0011 at 0.5,
0.0005 for FAISS's 8-bit codes with a trained range per dimension), the top 10 of a brute-force
search shares 0.99 with exact float search, and a decoded vector's cosine with its original is
above 0.9998.  Dev-set nDCG@10, hybrid / semantic / keyword: 0.731 / 0.670 / 0.646, where a
scale per vector gave 0.732 / 0.670 / 0.646.

Older databases kept a float32 scale per vector after the codes (`pack_per_vector`, what
migration m008 wrote); migration m009 re-codes them at one scale per model (`LargestComponent`,
`recode_per_vector_blob`).  `PackVectors` is the aggregate m008 uses to turn the still older
one-row-per-vector table (float16 or float32 blobs) into blobs.
"""

from __future__ import annotations

import numpy as np

_LEVELS = 127.0
_SCALE = np.dtype("<f4")  # the per-vector scales of blobs written before migration m009
BOUND_MARGIN = 1.25  # the bound is this much above the first vectors' largest component,
STORED_BOUND_MARGIN = 1.05  # or this much above the largest of all a model's stored vectors


def blob_size(count: int, dim: int) -> int:
    return count * dim


def blob_size_sql(count: str, dim: str) -> str:
    """`blob_size` as an SQL expression of two columns (what a whole blob's length is)."""
    return f"{count} * {dim}"


def choose_bound(vectors: np.ndarray) -> float:
    """The bound for a model's codes, from its first vectors (`bound_for` their largest
    component)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    return bound_for(float(np.abs(vectors).max()) if vectors.size else 0.0)


def bound_for(largest: object, margin: float = BOUND_MARGIN) -> float:
    """`margin` times the largest component seen, rounded up to 0.01, at most 1 (no component
    of a unit vector is larger); 1 when none was seen."""
    if not isinstance(largest, float | int) or not np.isfinite(largest) or largest <= 0:
        return 1.0
    return float(min(1.0, np.ceil(margin * largest * 100) / 100))


def stored_bound_for(largest: object) -> float:
    """The bound for a model whose vectors are all stored already (migration m009)."""
    return bound_for(largest, STORED_BOUND_MARGIN)


def encode(vectors: np.ndarray, bound: float) -> np.ndarray:
    """(count, dim) unit vectors -> int8 codes at `bound` (larger components are clipped)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be (count, dim), not shape {vectors.shape}")
    if not 0 < bound <= 1:
        raise ValueError(f"a code bound must be in (0, 1], not {bound}")
    return np.clip(np.rint(vectors * (_LEVELS / bound)), -_LEVELS, _LEVELS).astype(np.int8)


def pack(vectors: np.ndarray, bound: float) -> bytes:
    """(count, dim) unit vectors -> one blob of codes at `bound`."""
    return encode(vectors, bound).tobytes()


def check(blob: object, count: object, dim: object) -> None:
    """ValueError (one clause for a warning) unless `blob` holds `count` packed `dim`-vectors."""
    check_size(len(blob) if isinstance(blob, bytes) else 0, count, dim)


def check_size(size: object, count: object, dim: object) -> None:
    """`check` for a blob of `size` bytes (what SQL's length() gives without reading it out)."""
    if not (isinstance(count, int) and isinstance(dim, int) and count >= 0 and dim > 0):
        raise ValueError(f"a stored vector row says {count} vectors of {dim} dimensions")
    if size != blob_size(count, dim):
        size = size if isinstance(size, int) else 0
        raise ValueError(f"a stored vector blob is {size} bytes, not {blob_size(count, dim)}")


def unpack(blob: bytes, count: int, dim: int) -> np.ndarray:
    """One blob -> (count, dim) float32 unit vectors; ValueError if it is not that size."""
    check(blob, count, dim)
    return decode(blob, dim)


def decode(codes: bytes | np.ndarray, dim: int) -> np.ndarray:
    """Codes (a blob's bytes, or an int8 array) -> float32 unit vectors: each vector's codes
    over their norm (its scale sets only its length, which decoding makes 1 again)."""
    if isinstance(codes, np.ndarray):
        rows = codes.reshape(-1, dim).astype(np.float32)
    else:
        rows = np.frombuffer(codes, dtype=np.int8).reshape(-1, dim).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    rows *= (1.0 / np.maximum(norms, 1e-12)).astype(np.float32)[:, None]
    return rows


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def pack_per_vector(vectors: np.ndarray) -> bytes:
    """The blob format before migration m009: each vector's codes at its own scale (its largest
    component), then those scales as float32.  Only migration m008 writes it."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scales = np.abs(vectors).max(axis=1) if vectors.size else np.zeros(vectors.shape[0], dtype=np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    codes = np.clip(np.rint(vectors / safe * _LEVELS), -_LEVELS, _LEVELS).astype(np.int8)
    return codes.tobytes() + scales.astype(_SCALE).tobytes()


def _per_vector_whole(blob: object, count: object, dim: object) -> bool:
    return (
        isinstance(blob, bytes) and isinstance(count, int) and isinstance(dim, int)
        and count > 0 and dim > 0 and len(blob) == count * (dim + _SCALE.itemsize)
    )


def recode_per_vector_blob(blob: object, count: object, dim: object, bound: object) -> object:
    """A blob of `pack_per_vector` -> the same vectors' codes at `bound`; any other value
    (a damaged blob, left for `findings reindex` to replace) is returned as it is."""
    if not _per_vector_whole(blob, count, dim) or not isinstance(bound, float):
        return blob
    assert isinstance(blob, bytes) and isinstance(count, int) and isinstance(dim, int)
    return pack(decode(blob[: count * dim], dim), bound)


class LargestComponent:
    """SQL aggregate findings_largest_component(vectors, count, dim) over blobs of
    `pack_per_vector`: the largest component of any of their vectors (their scales' maximum),
    or NULL when none is whole."""

    def __init__(self) -> None:
        self.largest: float | None = None

    def step(self, blob: object, count: object, dim: object) -> None:
        if _per_vector_whole(blob, count, dim):
            assert isinstance(blob, bytes) and isinstance(count, int) and isinstance(dim, int)
            scales = np.frombuffer(blob[count * dim :], dtype=_SCALE)
            if np.isfinite(scales).all():
                self.largest = max(self.largest or 0.0, float(scales.max()))

    def finalize(self) -> float | None:
        return self.largest


class PackVectors:
    """SQL aggregate findings_pack_vectors(window, dim, vector) over one text's older rows:
    the packed blob (`pack_per_vector`), or NULL when its windows are not 0..n-1 or a vector is
    not whole (that text is then embedded again by `findings reindex`)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, bytes]] = []

    def step(self, window: int, dim: int, vector: bytes) -> None:
        self.rows.append((window, dim, vector))

    def finalize(self) -> bytes | None:
        self.rows.sort(key=lambda row: row[0])
        if [row[0] for row in self.rows] != list(range(len(self.rows))):
            return None
        decoded = []
        for _, dim, vector in self.rows:
            if not isinstance(vector, bytes) or not isinstance(dim, int) or dim <= 0:
                return None
            if len(vector) == 2 * dim:
                decoded.append(np.frombuffer(vector, dtype=np.float16).astype(np.float32))
            elif len(vector) == 4 * dim:
                decoded.append(np.frombuffer(vector, dtype=np.float32))
            else:
                return None
        if not decoded or len({v.shape[0] for v in decoded}) != 1:
            return None
        return pack_per_vector(_unit(np.stack(decoded)))
