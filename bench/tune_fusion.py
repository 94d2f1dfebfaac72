"""Tune hybrid fusion on the development query set; prints a table, changes nothing.

    .venv/bin/python bench/tune_fusion.py --index /tmp/devindex [--devset FILE]

Grid: weighted reciprocal rank fusion with rrf_k in (10, 30, 60, 100) and the ratio
semantic_weight / keyword_weight in (0.5, 0.75, 1, 1.5, 2), each passed as a `SearchTuning`;
then a convex combination of min-max normalised scores, alpha * semantic + (1 - alpha) *
keyword, alpha 0.3..0.8.  Each query's two candidate lists are computed once (the retrievers
do not depend on the fusion), so the grid costs only fusion and scoring.  Semantic-only and
keyword-only figures are printed first as the bar to beat.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from findings.config import SearchTuning, Settings
from findings.evaluate import evaluate
from findings.library import Library
from findings.models import Paragraph
from findings.search import (
    Filters,
    check_query,
    fuse,
    keyword_candidates,
    keyword_terms,
    paragraph_scope,
    paragraph_scores,
    query_vector,
    scope_rowids,
    semantic_candidates,
)

RRF_KS = (10, 30, 60, 100)
RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0)
ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)

Ranking = list[tuple[int, float]]
Fusion = Callable[[Ranking, Ranking, SearchTuning], Ranking]


@dataclass(frozen=True)
class Ranked:
    """What `evaluate` reads of a hit."""

    paragraph: Paragraph


class Candidates:
    """Each query's semantic and keyword candidates, computed once for the whole grid."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.sources = library.sources()
        self._cache: dict[tuple[str, Filters, int], tuple[Ranking, Ranking]] = {}

    def lists(self, query: str, filters: Filters, pool: int) -> tuple[Ranking, Ranking]:
        key = (query, filters, pool)
        if key not in self._cache:
            sources, query = self.sources, check_query(query)
            expansion = self.library.expansion(query)  # the glossary, as shipped
            scope = paragraph_scope(sources.snapshot, filters)
            vector = query_vector(sources.embedder, query, expansion)
            found = semantic_candidates(sources.index, vector, scope_rowids(sources, scope), pool * 3)
            semantic = paragraph_scores(sources.index, vector, found, sources.tuning.whole_weight)[:pool]
            keyword = keyword_candidates(sources.store, keyword_terms(query), scope, pool, expansion.phrases)
            self._cache[key] = (semantic, keyword)
        return self._cache[key]

    def search(self, tuning: SearchTuning, fusion: Fusion = fuse):
        """A `search(query, n, mode, filters)` for `evaluate` that fuses with these settings."""

        def run(query: str, n: int, mode: str, filters: Filters) -> list[Ranked]:
            semantic, keyword = self.lists(query, filters, max(tuning.pool, n * 2))
            ranked = {"semantic": semantic, "keyword": keyword}.get(mode) or fusion(semantic, keyword, tuning)
            paragraphs = self.sources.store.paragraphs_by_rowid([rowid for rowid, _ in ranked[:n]])
            return [Ranked(paragraphs[rowid]) for rowid, _ in ranked[:n] if rowid in paragraphs]

        return run


def minmax(ranked: Ranking) -> dict[int, float]:
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    low, high = min(scores), max(scores)
    span = high - low
    return {rowid: (s - low) / span if span else 1.0 for rowid, s in ranked}


def convex_fuse(alpha: float) -> Fusion:
    def fusion(semantic: Ranking, keyword: Ranking, tuning: SearchTuning) -> Ranking:
        sem, kw = minmax(semantic), minmax(keyword)
        fused = {r: alpha * sem.get(r, 0.0) + (1 - alpha) * kw.get(r, 0.0) for r in sem.keys() | kw.keys()}
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    return fusion


def row(label: str, figures) -> str:
    """A mode's nDCG@10, Recall@20 and MRR, then its nDCG@10 for each query class."""
    per_class = "".join(f"{c.ndcg:>9.3f}" for c in figures.classes)
    return f"{label:<34}{figures.ndcg:>9.3f}{figures.recall:>11.3f}{figures.mrr:>8.3f}{per_class}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", default="/tmp/devindex")
    parser.add_argument("--devset", default=None)
    args = parser.parse_args()
    library = Library(Settings.load(args.index))
    candidates = Candidates(library)
    current = library.settings.search
    started = time.perf_counter()

    baseline = evaluate(library.store, candidates.search(current), args.devset, modes=("semantic", "keyword"))
    classes = "".join(f"{c.style:>9}" for c in baseline.mode("semantic").classes)
    print(f"{'setting':<34}{'nDCG@10':>9}{'Recall@20':>11}{'MRR':>8}{classes}")
    for mode in ("semantic", "keyword"):
        print(row(f"{mode} only", baseline.mode(mode)))

    results = []
    for rrf_k in RRF_KS:
        for ratio in RATIOS:
            tuning = replace(current, rrf_k=rrf_k, semantic_weight=ratio, keyword_weight=1.0)
            figures = evaluate(library.store, candidates.search(tuning), args.devset, modes=("hybrid",))
            label = f"RRF k={rrf_k} sem/kw={ratio:g}" + (" (current)" if tuning == current else "")
            results.append((label, figures.mode("hybrid")))
            print(row(label, figures.mode("hybrid")))

    for alpha in ALPHAS:
        search = candidates.search(current, convex_fuse(alpha))
        figures = evaluate(library.store, search, args.devset, modes=("hybrid",)).mode("hybrid")
        label = f"min-max convex alpha={alpha:g}"
        results.append((label, figures))
        print(row(label, figures))

    best_label, best = max(results, key=lambda item: (item[1].ndcg, item[1].recall))
    print()
    print(row(f"best: {best_label}", best))
    beats = all(best.ndcg > baseline.mode(m).ndcg for m in ("semantic", "keyword"))
    print(f"hybrid beats both single modes on nDCG@10: {'yes' if beats else 'NO'}")
    for c in best.classes:
        parts = {m: baseline.mode(m).of_class(c.style).ndcg for m in ("semantic", "keyword")}
        verdict = "yes" if c.ndcg >= max(parts.values()) else "NO"
        print(f"  {c.style}: hybrid {c.ndcg:.3f}, semantic {parts['semantic']:.3f}, keyword {parts['keyword']:.3f}: "
              f"at least the better part: {verdict}")
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
