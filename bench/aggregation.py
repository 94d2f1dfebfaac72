"""How to score a paragraph from its vectors (whole paragraph, clauses): nDCG on the dev set.

Replaces `search._semantic` with a numpy version that aggregates each paragraph's stored
vectors in several ways, then runs `evaluate` for semantic and hybrid search.  Window 0 is the
whole paragraph (its first window when long); later windows are its clauses.

    .venv/bin/python bench/aggregation.py --index DIR
"""

from __future__ import annotations

import argparse

import numpy as np

from findings import search as search_module
from findings.config import Settings
from findings.evaluate import evaluate
from findings.library import Library
from findings.store import WINDOW_BITS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", required=True)
    args = parser.parse_args()
    library = Library(Settings.load(args.index))
    ids, matrix = library.store.paragraph_vectors(library.embedder.name)
    rowids, windows = ids >> WINDOW_BITS, ids & ((1 << WINDOW_BITS) - 1)
    unique, owner = np.unique(rowids, return_inverse=True)
    plain = set(library.boilerplate_free_rowids().tolist())
    report_of = dict(library.store.db.execute("SELECT rowid, report_id FROM paragraphs").fetchall())

    def scorer(aggregate):
        def semantic(lib, query, allowed, filters, pool):
            q = lib.embedder.encode_query(query)
            sims = matrix @ q
            whole = np.full(len(unique), -1.0)
            whole[owner[windows == 0]] = sims[windows == 0]
            best = np.full(len(unique), -1.0)
            np.maximum.at(best, owner, sims)
            scores = aggregate(whole, best)
            order = np.argsort(-scores)
            out = []
            for i in order:
                rowid = int(unique[i])
                if rowid in plain and report_of.get(rowid) in allowed:
                    out.append((rowid, float(scores[i])))
                    if len(out) == pool:
                        break
            return out
        return semantic

    variants = {
        "whole paragraph only": lambda whole, best: whole,
        "best of whole and clauses": lambda whole, best: best,
        "mean of whole and best": lambda whole, best: 0.5 * whole + 0.5 * best,
        "0.7 whole + 0.3 best": lambda whole, best: 0.7 * whole + 0.3 * best,
        "0.3 whole + 0.7 best": lambda whole, best: 0.3 * whole + 0.7 * best,
        "0.4 whole + 0.6 best": lambda whole, best: 0.4 * whole + 0.6 * best,
    }
    print(f"{'aggregation':32} {'sem nDCG':>9} {'hyb nDCG':>9} {'kw nDCG':>9}")
    for name, aggregate in variants.items():
        search_module._semantic = scorer(aggregate)
        report = evaluate(library, modes=("semantic", "hybrid", "keyword"))
        by = {m.mode: m for m in report.modes}
        print(f"{name:32} {by['semantic'].ndcg:9.3f} {by['hybrid'].ndcg:9.3f} {by['keyword'].ndcg:9.3f}")


if __name__ == "__main__":
    main()
