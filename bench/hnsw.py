"""HNSW's M against recall and graph size, on an index's own vectors; prints lines, changes nothing.

    python bench/hnsw.py INDEX_DIR [--queries 400] [--m 16 24 32] [--ef 128 256] [--end-to-end]

Queries are whole-paragraph vectors with a little noise (so a query is never exactly a
stored vector); recall@10 is against exact search over the decoded vectors.  The HNSW indexes
hold the database's int8 codes, as findings's do (queries coded in 8 bits at their own scale,
as `VectorIndex` does).  The graph size is the FAISS file as findings saves it (without the
codes, which the database keeps).
With --end-to-end, also the share of `Library.search`'s top 10 (semantic and hybrid, 240
bench queries) that an HNSW index of each M shares with exact search over the same vectors:
search re-scores the index's candidates with the stored vectors, so this is what users see.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def main() -> None:
    import faiss

    from findings.store import Store
    from findings.store_vectors import WINDOW_BITS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--m", type=int, nargs="+", default=[16, 24, 32])
    parser.add_argument("--ef", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--end-to-end", action="store_true")
    args = parser.parse_args()
    store = Store(args.index, create=False)
    from findings.vector_codes import decode

    ids, codes = store.paragraph_codes(store.models()[0])
    vectors = decode(codes, codes.shape[1])
    rng = np.random.default_rng(0)
    whole = np.where((ids & ((1 << WINDOW_BITS) - 1)) == 0)[0]
    queries = vectors[rng.choice(whole, args.queries, replace=False)]
    queries = queries + rng.normal(0, 0.02, queries.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, 10)
    print(f"{vectors.shape[0]} vectors, {args.queries} queries, load {os.getloadavg()[0]:.2f}")
    for m in args.m:
        start = time.perf_counter()
        index = faiss.IndexHNSWSQ(
            vectors.shape[1], faiss.ScalarQuantizer.QT_8bit_direct_signed, m, faiss.METRIC_INNER_PRODUCT
        )
        index.hnsw.efConstruction = 40
        index.add(codes.astype(np.float32))
        built = time.perf_counter() - start
        with tempfile.NamedTemporaryFile(suffix=".faiss") as file:
            faiss.write_index(index, file.name, faiss.IO_FLAG_SKIP_STORAGE)
            size = os.path.getsize(file.name)
        for ef in args.ef:
            index.hnsw.efSearch = ef
            start = time.perf_counter()
            coded = np.rint(queries * (127 / np.abs(queries).max(axis=1, keepdims=True))).astype(np.float32)
            _, got = index.search(coded, 10)
            per_query = (time.perf_counter() - start) / args.queries * 1000
            recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got, truth, strict=True)])
            print(f"M={m} efSearch={ef}: recall@10 {recall:.3f}, {per_query:.2f} ms a query,"
                  f" graph {size / 1e6:.1f} MB, built in {built:.0f} s")
    if args.end_to_end:
        end_to_end(args.index, ids, codes, args.m)


def end_to_end(folder: str, ids: np.ndarray, vectors: np.ndarray, ms: list[int]) -> None:
    """`vectors`: the database's int8 codes."""
    import findings.vectors as index_module
    from bench import query_set
    from findings.config import Settings
    from findings.library import Library

    library = Library(Settings.load(folder), create=False)
    queries = query_set(240)

    def top10(index) -> dict[str, list[set[str]]]:
        library._vectors, library._vectors_generation = index, library.store.generation
        return {mode: [{h.paragraph.id for h in library.search(q, k=10, mode=mode)} for q in queries]
                for mode in ("semantic", "hybrid")}

    exact = top10(index_module.VectorIndex.build(ids, vectors, library.embedder.name, hnsw_threshold=10**12))
    for m in ms:
        index_module.HNSW_M = m
        got = top10(index_module.VectorIndex.build(ids, vectors, library.embedder.name, hnsw_threshold=0))
        shared = {mode: np.mean([len(a & b) / max(len(a), 1) for a, b in zip(exact[mode], got[mode], strict=True)])
                  for mode in exact}
        print(f"M={m}: top 10 shared with exact search: semantic {shared['semantic']:.3f},"
              f" hybrid {shared['hybrid']:.3f}")


if __name__ == "__main__":
    main()
