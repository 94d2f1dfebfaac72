"""Query latency and recall@10 of the vector index at 1,000,000 vectors (HNSW beyond 200k).

    .venv/bin/python bench/scale.py [--index INDEX_DIR] [--n 1000000] [--queries 200]

The vectors are synthetic but shaped like real ones: each is a real stored paragraph or clause
vector (from INDEX_DIR's database, else the seeds embedded on the spot) moved part of the way
towards another real vector (a random share in [0, 0.5)), plus Gaussian noise of 0.03 per
dimension, then normalised.  So they sit in the same cone and clusters as MiniLM embeddings
(mean cosine to their source about 0.85), where pure random unit vectors would be nearly
orthogonal to each other and unrealistically hard for HNSW.  Queries are real queries (the dev
set's, in a few framings) encoded by the model.  Recall@10 is against exact inner-product search
over the same vectors.  Nothing is asserted; a table is printed.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def real_vectors(index: Path | None) -> np.ndarray:
    if index is not None:
        from findings.store import Store

        ids, matrix = Store(index, create=False).paragraph_vectors(
            next(iter(Store(index, create=False).models()))
        )
        del ids
        return np.array(matrix, dtype=np.float32)
    from findings.embedding import load_embedder
    from findings.ingest import embedding_parts
    from findings.readers import read_pages
    from findings.split import split_pages

    embedder = load_embedder()
    texts = [
        t
        for path in sorted((ROOT / "seeds").glob("*.*"))
        if path.suffix in {".txt", ".md"}
        for p in split_pages(read_pages(path))
        for t in embedding_parts(p.text, embedder).texts
    ]
    return embedder.encode(texts)


def synthetic(base: np.ndarray, n: int, seed: int = 0, chunk: int = 100_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        a = base[rng.integers(0, len(base), m)]
        b = base[rng.integers(0, len(base), m)]
        share = rng.uniform(0, 0.5, (m, 1)).astype(np.float32)
        x = a + share * (b - a) + rng.normal(0, 0.03, a.shape).astype(np.float32)
        out[start : start + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, mask: np.ndarray | None = None):
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(vectors), 200_000):
        scores = queries @ vectors[start : start + 200_000].T
        if mask is not None:
            scores[:, ~mask[start : start + 200_000]] = -np.inf
        ids = np.broadcast_to(np.arange(start, start + scores.shape[1]), scores.shape)
        both_s = np.concatenate([best_scores, scores], axis=1)
        both_i = np.concatenate([best_ids, ids], axis=1)
        top = np.argpartition(-both_s, k, axis=1)[:, :k]
        best_scores = np.take_along_axis(both_s, top, 1)
        best_ids = np.take_along_axis(both_i, top, 1)
    return best_ids


def stats(ms: list[float]) -> str:
    s = sorted(ms)
    p50, p95, p99 = (s[min(len(s) - 1, round(q * (len(s) - 1)))] for q in (0.5, 0.95, 0.99))
    return f"{p50:.2f} | {p95:.2f} | {p99:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, help="an index folder whose stored vectors seed the data")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    from bench import query_set
    from findings.embedding import load_embedder
    from findings.vectors import VectorIndex

    t = time.perf_counter()
    base = real_vectors(args.index)
    vectors = synthetic(base, args.n)
    queries = load_embedder().encode(query_set(args.queries))
    made = time.perf_counter() - t
    t = time.perf_counter()
    ids = np.arange(args.n, dtype=np.int64) << 10  # shaped like rowid << 10 | window
    index = VectorIndex.build(ids, vectors, "synthetic")
    built = time.perf_counter() - t
    rng = np.random.default_rng(1)
    rows = []
    for label, mask in (
        ("no filter", None),
        ("mask 90% (boilerplate excluded)", rng.random(args.n) < 0.9),
        ("mask 10% (a filter)", rng.random(args.n) < 0.1),
    ):
        truth = exact_top(vectors, queries, 10, mask)
        latencies, recalls = [], []
        for q, want in zip(queries, truth, strict=True):
            begin = time.perf_counter()
            found, _ = index.search(q, 10) if mask is None else index.search_masked(q, 10, mask)
            latencies.append((time.perf_counter() - begin) * 1000)
            recalls.append(len(set((found >> 10).tolist()) & set(want.tolist())) / 10)
        rows.append(f"| {label} | {stats(latencies)} | {np.mean(recalls):.3f} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.n:,} vectors of {vectors.shape[1]} dims from {len(base):,} real ones; "
          f"index type {index.index_type} (efSearch {index.ef_search}); data {made:.0f} s, "
          f"build {built:.0f} s; peak RSS {rss:.0f} MB; load average "
          + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print()
    print("| queries (k=10) | p50 ms | p95 ms | p99 ms | recall@10 vs exact |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
