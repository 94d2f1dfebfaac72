"""How vectors are packed in the database: 8-bit codes at one scale per model, which a reader
gets back nearly unchanged and the HNSW index holds as they are."""

from __future__ import annotations

import numpy as np
import pytest

from findings.vector_codes import (
    LargestComponent,
    PackVectors,
    blob_size,
    bound_for,
    choose_bound,
    decode,
    encode,
    pack,
    pack_per_vector,
    recode_per_vector_blob,
    unpack,
)


def unit_rows(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_packed_vectors_come_back_with_cosine_above_0_9998_in_a_quarter_of_float32s_room():
    rows = unit_rows(50)
    bound = choose_bound(rows)
    blob = pack(rows, bound)
    assert len(blob) == blob_size(50, 384) == 50 * 384
    back = unpack(blob, 50, 384)
    assert back.dtype == np.float32 and back.shape == (50, 384)
    assert (back * rows).sum(axis=1).min() > 0.9998
    np.testing.assert_allclose(np.linalg.norm(back, axis=1), 1, atol=1e-5)


def test_the_bound_is_a_quarter_above_the_first_vectors_largest_component_and_at_most_1():
    rows = unit_rows(20, dim=16)
    largest = float(np.abs(rows).max())
    assert largest * 1.25 <= choose_bound(rows) < largest * 1.25 + 0.01
    assert bound_for(0.9) == 1.0 and bound_for(0.0) == 1.0 and bound_for(None) == 1.0
    assert choose_bound(np.zeros((2, 8), dtype=np.float32)) == 1.0


def test_every_vector_is_coded_at_the_one_scale_so_codes_compare_as_the_vectors_do():
    rows = unit_rows(30, dim=64, seed=4)
    codes = encode(rows, 0.5)
    assert codes.dtype == np.int8 and np.abs(codes).max() <= 127
    # The inner products of a query with the codes, scaled back, are the cosines.
    query = unit_rows(1, dim=64, seed=5)[0]
    np.testing.assert_allclose(codes.astype(np.float32) @ query * 0.5 / 127, rows @ query, atol=0.01)
    # A component beyond the bound is clipped to it.
    spike = np.zeros((1, 64), dtype=np.float32)
    spike[0, 3] = 1.0
    assert encode(spike, 0.5)[0, 3] == 127
    with pytest.raises(ValueError, match="bound"):
        encode(rows, 0.0)


def test_codes_decode_from_bytes_or_arrays_to_unit_vectors_and_a_zero_vector_stays_zero():
    rows = unit_rows(40, seed=3)
    codes = encode(rows, choose_bound(rows))
    np.testing.assert_allclose(decode(codes, 384), decode(codes.tobytes(), 384))
    assert (decode(codes, 384) * rows).sum(axis=1).min() > 0.9998
    np.testing.assert_allclose(decode(bytes(384), 384), np.zeros((1, 384)))


@pytest.mark.parametrize(("blob", "count", "dim", "message"), [
    (b"x" * 10, 1, 16, "blob is 10 bytes, not 16"),
    (None, 1, 16, "blob is 0 bytes, not 16"),
    (b"x" * 16, 1, 0, "1 vectors of 0 dimensions"),
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
    packed = aggregate.finalize()
    assert len(packed) == 3 * (8 + 4)  # the format before m009: a scale after each vector's codes
    np.testing.assert_allclose(decode(packed[: 3 * 8], 8), rows, atol=0.01)
    gap = PackVectors()
    gap.step(0, 8, rows[0].astype(np.float16).tobytes())
    gap.step(2, 8, rows[2].astype(np.float16).tobytes())
    assert gap.finalize() is None
    short = PackVectors()
    short.step(0, 8, b"abc")
    assert short.finalize() is None


def test_blobs_with_a_scale_per_vector_are_recoded_at_one_bound_and_damaged_ones_left_alone():
    a, b = unit_rows(4, 32, seed=6), unit_rows(2, 32, seed=7)
    largest = LargestComponent()
    for rows in (a, b):
        largest.step(pack_per_vector(rows), len(rows), 32)
    largest.step(b"broken", 1, 32)  # not whole: not counted
    assert largest.finalize() == pytest.approx(max(np.abs(a).max(), np.abs(b).max()))
    bound = bound_for(largest.finalize())
    recoded = recode_per_vector_blob(pack_per_vector(a), 4, 32, bound)
    assert recoded == pack(decode(pack_per_vector(a)[: 4 * 32], 32), bound)
    assert (unpack(recoded, 4, 32) * a).sum(axis=1).min() > 0.999
    assert recode_per_vector_blob(b"broken", 1, 32, bound) == b"broken"
    assert recode_per_vector_blob(recoded, 4, 32, bound) == recoded  # already at one scale
    assert LargestComponent().finalize() is None
