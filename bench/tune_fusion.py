"""Tune hybrid fusion on the development query set; prints a table, changes nothing.

    .venv/bin/python bench/tune_fusion.py --index /tmp/devindex [--devset FILE]

Grid: weighted reciprocal rank fusion with RRF_K in (10, 30, 60, 100) and the ratio
SEMANTIC_WEIGHT / KEYWORD_WEIGHT in (0.5, 0.75, 1, 1.5, 2); then a convex combination of
min-max normalised scores, alpha * semantic + (1 - alpha) * keyword, alpha 0.3..0.8, swapped
in by monkeypatching `search.fuse`.  Each query's two candidate lists are computed once and
cached (the retrievers do not depend on the fusion), so the grid costs only fusion and
scoring.  Semantic-only and keyword-only figures are printed first as the bar to beat.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time

from findings import search as search_module
from findings.config import Settings
from findings.evaluate import evaluate
from findings.library import Library

RRF_KS = (10, 30, 60, 100)
RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0)
ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def cache_retrievers() -> None:
    """Memoise the keyword and semantic retrievers for the run (same filters throughout)."""
    keyword, semantic = search_module._keyword, search_module._semantic

    @functools.cache
    def cached_keyword(terms, pool):
        return keyword(_state["store"], list(terms), _state["allowed"], _state["filters"], pool)

    @functools.cache
    def cached_semantic(query, pool):
        return semantic(_state["library"], query, _state["allowed"], _state["filters"], pool)

    def keyword_hook(store, terms, allowed, filters, pool):
        _state.update(store=store, allowed=allowed, filters=filters)
        return cached_keyword(tuple(terms), pool)

    def semantic_hook(library, query, allowed, filters, pool):
        _state.update(library=library, allowed=allowed, filters=filters)
        return cached_semantic(query, pool)

    search_module._keyword = keyword_hook
    search_module._semantic = semantic_hook


_state: dict = {}


def minmax(ranked: list[tuple[int, float]]) -> dict[int, float]:
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    low, high = min(scores), max(scores)
    span = high - low
    return {rowid: (s - low) / span if span else 1.0 for rowid, s in ranked}


def convex_fuse(alpha: float):
    def fuse(semantic, keyword):
        sem, kw = minmax(semantic), minmax(keyword)
        fused = {r: alpha * sem.get(r, 0.0) + (1 - alpha) * kw.get(r, 0.0) for r in sem.keys() | kw.keys()}
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    return fuse


def row(label: str, figures) -> str:
    return f"{label:<34}{figures.ndcg:>9.3f}{figures.recall:>11.3f}{figures.mrr:>8.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="/tmp/devindex")
    parser.add_argument("--devset", default=None)
    args = parser.parse_args()
    library = Library(Settings.load(args.index))
    cache_retrievers()
    original = (search_module.RRF_K, search_module.SEMANTIC_WEIGHT, search_module.KEYWORD_WEIGHT)
    original_fuse = search_module.fuse
    started = time.perf_counter()

    print(f"{'setting':<34}{'nDCG@10':>9}{'Recall@20':>11}{'MRR':>8}")
    baseline = evaluate(library, args.devset, modes=("semantic", "keyword"))
    for mode in ("semantic", "keyword"):
        print(row(f"{mode} only", baseline.mode(mode)))

    results = []
    for rrf_k in RRF_KS:
        for ratio in RATIOS:
            search_module.RRF_K, search_module.SEMANTIC_WEIGHT, search_module.KEYWORD_WEIGHT = rrf_k, ratio, 1.0
            figures = evaluate(library, args.devset, modes=("hybrid",)).mode("hybrid")
            label = f"RRF k={rrf_k} sem/kw={ratio:g}"
            if (rrf_k, ratio, 1.0) == original:
                label += " (current)"
            results.append((label, figures))
            print(row(label, figures))
    search_module.RRF_K, search_module.SEMANTIC_WEIGHT, search_module.KEYWORD_WEIGHT = original

    for alpha in ALPHAS:
        search_module.fuse = convex_fuse(alpha)
        figures = evaluate(library, args.devset, modes=("hybrid",)).mode("hybrid")
        label = f"min-max convex alpha={alpha:g}"
        results.append((label, figures))
        print(row(label, figures))
    search_module.fuse = original_fuse

    best_label, best = max(results, key=lambda item: (item[1].ndcg, item[1].recall))
    print()
    print(row(f"best: {best_label}", best))
    beats = all(best.ndcg > baseline.mode(m).ndcg for m in ("semantic", "keyword"))
    print(f"hybrid beats both single modes on nDCG@10: {'yes' if beats else 'NO'}")
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
