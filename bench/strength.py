"""Calibrate the match-strength labels on the development set's judgements.

    .venv/bin/python bench/strength.py --index DIR [--devset FILE] [--depth 20]

For every dev-set query, the shipped hybrid search's top `depth` hits, each with its
similarity (`Hit.similarity`) and its judged grade (unjudged = 0).  Prints, per band of
similarity, how many hits fall in it and the share judged relevant (grade >= 1) and direct
(grade 2), then the thresholds: "strong" where at least STRONG_PRECISION of hits at or above it
are relevant, "weak" below the point where fewer than WEAK_PRECISION are.
"""

from __future__ import annotations

import argparse

import numpy as np

from findings.config import Settings
from findings.evaluate import load_devset, resolve
from findings.library import Library
from findings.search import Filters

STRONG_PRECISION = 0.8
WEAK_PRECISION = 0.4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--devset", default=None)
    parser.add_argument("--depth", type=int, default=20)
    args = parser.parse_args()
    library = Library(Settings.load(args.index))
    devset = load_devset(args.devset)
    resolution = resolve(library.store, (j for q in devset.queries for j in q.judgements))
    from findings.evaluate import judged_reports

    report_ids, _ = judged_reports(library.store, devset.reports)
    filters = Filters(report_ids=tuple(sorted(report_ids))) if report_ids else None
    rows = []
    for query in devset.queries:
        grades = {resolution.current[p]: g for p, g in query.grades.items() if p in resolution.current}
        for hit in library.search(query.query, k=args.depth, filters=filters):
            rows.append((hit.similarity, grades.get(hit.paragraph.id, 0)))
    sims = np.array([s for s, _ in rows])
    grades = np.array([g for _, g in rows])
    print(f"{len(rows)} hits of {len(devset.queries)} queries")
    print(f"{'similarity':>14}{'hits':>7}{'relevant':>10}{'direct':>8}")
    edges = np.arange(0.20, 0.85, 0.05)
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        band = (sims >= low) & (sims < high)
        if band.any():
            relevant, direct = (grades[band] >= 1).mean(), (grades[band] == 2).mean()
            print(f"{low:>6.2f}-{high:<6.2f}{band.sum():>7}{relevant:>10.2f}{direct:>8.2f}")
    steps = np.arange(0.30, 0.90, 0.01)
    strong = next((t for t in steps if (grades[sims >= t] >= 1).mean() >= STRONG_PRECISION), None)
    weak = next((t for t in steps[::-1] if (grades[sims < t] >= 1).mean() < WEAK_PRECISION), None)
    print(f"strong: similarity >= {strong:.2f} (at least {STRONG_PRECISION:.0%} of such hits relevant)")
    print(f"weak: similarity < {weak:.2f} (fewer than {WEAK_PRECISION:.0%} of such hits relevant)")
    for name, t in (("strong", strong), ("weak", weak)):
        above = sims >= t
        print(f"  {name}: {above.sum()} hits at or above, {(grades[above] >= 1).mean():.2f} relevant; "
              f"{(~above).sum()} below, {(grades[~above] >= 1).mean():.2f} relevant")


if __name__ == "__main__":
    main()
