"""How the index database keeps vectors: 8-bit codes, one row per paragraph text and model.

A unit vector v is kept as round(127 * v / max|v|) in int8 with its scale max|v| as float32:
388 bytes for MiniLM's 384 dimensions, where float16 took 768 and float32 1,536.  Decoded
vectors are made unit length again; their cosine with the original is at least 0.99989 over the
corpus's 259,171 vectors (mean 0.99997).  All of a paragraph's vectors (its windows, then its
clauses) share one blob: `count` rows of `dim` int8 codes, then `count` float32 scales.
Decoding needs only the codes (a vector is its codes over their norm), so readers take them
alone (`codes_sql`); the scales stay, 1% of a blob, because changing the format would mean
migrating every index.

`PackVectors` is the SQL aggregate the migration uses to turn the older one-row-per-vector
table (float16 or float32 blobs) into this one.
"""

from __future__ import annotations

import numpy as np

_LEVELS = 127.0
_SCALE = np.dtype("<f4")


def blob_size(count: int, dim: int) -> int:
    return count * (dim + _SCALE.itemsize)


def blob_size_sql(count: str, dim: str) -> str:
    """`blob_size` as an SQL expression of two columns (what a whole blob's length is)."""
    return f"{count} * ({dim} + {_SCALE.itemsize})"


def codes_sql(blob: str, count: str, dim: str) -> str:
    """SQL for a blob's codes without its scales (what `decode` takes)."""
    return f"substr({blob}, 1, {count} * {dim})"


def pack(vectors: np.ndarray) -> bytes:
    """(count, dim) float vectors -> one blob."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be (count, dim), not shape {vectors.shape}")
    scales = np.abs(vectors).max(axis=1) if vectors.size else np.zeros(vectors.shape[0], dtype=np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    codes = np.clip(np.rint(vectors / safe * _LEVELS), -_LEVELS, _LEVELS).astype(np.int8)
    return codes.tobytes() + scales.astype(_SCALE).tobytes()


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
    return unpack_many([blob], [count], dim)


def unpack_many(blobs: list[bytes], counts: list[int], dim: int) -> np.ndarray:
    """Blobs the caller has passed through `check` -> their vectors, one (sum(counts), dim)
    float32 matrix, decoded in one pass (a blob at a time costs five times as much over a
    corpus)."""
    return decode(b"".join(b[: c * dim] for b, c in zip(blobs, counts, strict=True)), dim)


def decode(codes: bytes, dim: int) -> np.ndarray:
    """The codes of whole vectors, without their scales (SQL's `substr(blob, 1, count * dim)`)
    -> float32 unit vectors.  A vector's scale sets only its length, which decoding makes 1
    again, so its codes alone give it: the codes over their norm."""
    rows = np.frombuffer(codes, dtype=np.int8).reshape(-1, dim).astype(np.float32)
    norms = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    rows *= (1.0 / np.maximum(norms, 1e-12)).astype(np.float32)[:, None]
    return rows


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


class PackVectors:
    """SQL aggregate findings_pack_vectors(window, dim, vector) over one text's older rows:
    the packed blob, or NULL when its windows are not 0..n-1 or a vector is not whole (that
    text is then embedded again by `findings reindex`)."""

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
        return pack(_unit(np.stack(decoded)))
