"""How to score a paragraph from its vectors (whole paragraph, clauses): nDCG on the dev set.

For each weight w, semantic search scores a paragraph as w times its whole-paragraph cosine
(window 0) plus (1 - w) times its best window or clause, passed as `SearchTuning.whole_weight`
to the real search; `evaluate` then scores semantic, hybrid and keyword search.

    .venv/bin/python bench/aggregation.py --index DIR
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from findings.config import Settings
from findings.evaluate import evaluate
from findings.library import Library
from findings.search import search

WEIGHTS = {
    "whole paragraph only": 1.0,
    "0.7 whole + 0.3 best": 0.7,
    "mean of whole and best": 0.5,
    "0.4 whole + 0.6 best": 0.4,
    "0.3 whole + 0.7 best": 0.3,
    "best of whole and clauses": 0.0,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    args = parser.parse_args()
    library = Library(Settings.load(args.index))
    print(f"{'aggregation':32} {'sem nDCG':>9} {'hyb nDCG':>9} {'kw nDCG':>9}")
    for name, weight in WEIGHTS.items():
        tuning = replace(library.settings.search, whole_weight=weight)

        def run(query, n, mode, filters, tuning=tuning):
            sources = replace(library.sources(semantic=mode != "keyword"), tuning=tuning)
            return search(sources, query, n, mode, filters)

        report = evaluate(library.store, run, modes=("semantic", "hybrid", "keyword"))
        by = {m.mode: m for m in report.modes}
        current = " (current)" if tuning == library.settings.search else ""
        print(f"{name + current:32} {by['semantic'].ndcg:9.3f} {by['hybrid'].ndcg:9.3f} {by['keyword'].ndcg:9.3f}")


if __name__ == "__main__":
    main()
