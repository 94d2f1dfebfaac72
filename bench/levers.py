"""Search-quality levers on the development set, per query class: one table, changes nothing.

    .venv/bin/python bench/levers.py --index DIR [--devset FILE]

DIR is an index of the dev set's reports.  Each lever is a variant of the shipped search
(the glossary on or off; the clause weighting; pseudo-relevance feedback), run through
`findings.evaluate.evaluate`; the table gives nDCG@10 per mode and per query class (the
`style` of each dev-set query: report wording, everyday, mixed).  docs/search.md quotes it.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, replace

from findings.config import Settings
from findings.evaluate import evaluate, load_devset
from findings.library import Library
from findings.models import Paragraph
from findings.search import search


@dataclass(frozen=True)
class Ranked:
    """What `evaluate` reads of a hit."""

    paragraph: Paragraph


def by_class(report, styles: dict[str, str]) -> dict[tuple[str, str], float]:
    """Mean nDCG@10 per (mode, class), and per (mode, 'all')."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in report.rows:
        sums[(row.mode, styles[row.query_id])].append(row.ndcg)
        sums[(row.mode, "all")].append(row.ndcg)
    return {key: sum(v) / len(v) for key, v in sums.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--devset", default=None)
    args = parser.parse_args()
    library = Library(Settings.load(args.index))
    devset = load_devset(args.devset)
    styles = {q.id: q.style for q in devset.queries}
    classes = ["all", *sorted(set(styles.values()))]
    counts = {c: sum(1 for s in styles.values() if s == c) for c in classes[1:]}

    def variant(expand: bool, terms_too: bool = False, **tuning):
        settings = replace(library.settings.search, **tuning)

        def run(query, n, mode, filters):
            sources = replace(library.sources(semantic=mode != "keyword"), tuning=settings)
            expansion = None
            if expand:
                glossary = library.glossary()
                offered = [t.term for t in glossary.expand(query).offered] if terms_too else []
                expansion = glossary.expand(query, enabled=offered)
            return search(sources, query, n, mode, filters, expansion)

        return run

    def prf(beta: float, depth: int = 3):
        """Vector pseudo-relevance feedback (Rocchio): the query vector moved towards the whole-
        paragraph vectors of the first `depth` results of the shipped search, then the semantic
        retriever run again with it (and fused with the keyword one as shipped)."""
        import numpy as np

        from findings import search as s

        def run(query, n, mode, filters):
            sources = library.sources(semantic=mode != "keyword")
            expansion = library.expansion(query)
            if mode == "keyword":
                return search(sources, query, n, mode, filters, expansion)
            first = search(sources, query, depth, "hybrid", filters, expansion)
            rowids = np.array([library.store.rowid_of(h.paragraph.id) for h in first], dtype=np.int64)
            moved = s.query_vector(sources.embedder, query, expansion)
            if rowids.size:
                moved = moved + beta * sources.index.reconstruct_batch(rowids << s.WINDOW_BITS).mean(axis=0)
                moved = (moved / np.linalg.norm(moved)).astype(np.float32)
            scope = s.paragraph_scope(sources.snapshot, filters)
            pool = max(sources.tuning.pool, n * 2)
            found = s.semantic_candidates(sources.index, moved, s.scope_rowids(sources, scope), pool * 3)
            ranked = s.paragraph_scores(sources.index, moved, found, sources.tuning.whole_weight)[:pool]
            if mode == "hybrid":
                terms = s.keyword_terms(query)
                keyword = s.keyword_candidates(sources.store, terms, scope, pool, expansion.phrases)
                ranked = s.fuse(ranked, keyword, sources.tuning)
            paragraphs = library.store.paragraphs_by_rowid([r for r, _ in ranked[:n]])
            return [Ranked(paragraphs[r]) for r, _ in ranked[:n] if r in paragraphs]

        return run

    levers = {
        "before the glossary": variant(False),
        "glossary as shipped": variant(True),
        "glossary with report terms too": variant(True, terms_too=True),
        "shipped, whole paragraph only": variant(True, whole_weight=1.0),
        "shipped, mean of whole and clause": variant(True, whole_weight=0.5),
        "shipped, best clause only": variant(True, whole_weight=0.0),
        "shipped + vector PRF, beta 0.3": prf(0.3),
        "shipped + vector PRF, beta 0.7": prf(0.7),
    }
    names = [c + (f" ({counts[c]})" if c in counts else "") for c in classes]
    header = f"{'lever':38}{'mode':>10}" + "".join(f"{name:>14}" for name in names)
    print(header)
    for name, run in levers.items():
        figures = by_class(evaluate(library.store, run, args.devset), styles)
        for mode in ("hybrid", "semantic", "keyword"):
            cells = "".join(f"{figures.get((mode, c), float('nan')):>14.3f}" for c in classes)
            print(f"{name:38}{mode:>10}{cells}")


if __name__ == "__main__":
    main()
