"""How vectors are packed in the database: 8-bit codes a reader gets back nearly unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from findings.vector_codes import PackVectors, blob_size, decode, pack, unpack, unpack_many


def unit_rows(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_packed_vectors_come_back_with_cosine_above_0_9998_in_a_quarter_of_float32s_room():
    rows = unit_rows(50)
    blob = pack(rows)
    assert len(blob) == blob_size(50, 384) == 50 * 388
    back = unpack(blob, 50, 384)
    assert back.dtype == np.float32 and back.shape == (50, 384)
    assert (back * rows).sum(axis=1).min() > 0.9998
    np.testing.assert_allclose(np.linalg.norm(back, axis=1), 1, atol=1e-5)


def test_many_blobs_decode_as_one_matrix_in_order():
    a, b = unit_rows(3, 16, seed=1), unit_rows(2, 16, seed=2)
    np.testing.assert_allclose(unpack_many([pack(a), pack(b)], [3, 2], 16), np.vstack([a, b]), atol=0.01)


def test_codes_without_their_scales_decode_to_the_same_unit_vectors():
    rows = unit_rows(40, seed=3) * np.linspace(0.5, 2, 40, dtype=np.float32)[:, None]  # any lengths
    blob = pack(rows)
    codes = blob[: 40 * 384]  # what the index reads out of the database: substr(vectors, 1, count * dim)
    back = decode(codes, 384)
    np.testing.assert_allclose(back, unpack(blob, 40, 384), atol=1e-6)
    assert ((back * rows).sum(axis=1) / np.linalg.norm(rows, axis=1)).min() > 0.9998
    np.testing.assert_allclose(decode(bytes(384), 384), np.zeros((1, 384)))  # a zero vector stays zero


@pytest.mark.parametrize(("blob", "count", "dim", "message"), [
    (b"x" * 10, 1, 16, "blob is 10 bytes, not 20"),
    (None, 1, 16, "blob is 0 bytes, not 20"),
    (b"x" * 20, 1, 0, "1 vectors of 0 dimensions"),
])
def test_a_damaged_blob_is_one_clause(blob, count, dim, message):
    with pytest.raises(ValueError, match=message):
        unpack(blob, count, dim)


def test_older_rows_are_packed_per_text_only_when_whole():
    rows = unit_rows(3, 8)
    aggregate = PackVectors()
    for window in (2, 0, 1):  # any order
        dtype = np.float32 if window == 1 else np.float16
        aggregate.step(window, 8, rows[window].astype(dtype).tobytes())
    np.testing.assert_allclose(unpack(aggregate.finalize(), 3, 8), rows, atol=0.01)
    gap = PackVectors()
    gap.step(0, 8, rows[0].astype(np.float16).tobytes())
    gap.step(2, 8, rows[2].astype(np.float16).tobytes())
    assert gap.finalize() is None
    short = PackVectors()
    short.step(0, 8, b"abc")
    assert short.finalize() is None
