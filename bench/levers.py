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
from dataclasses import replace

from findings.config import Settings
from findings.evaluate import evaluate, load_devset
from findings.library import Library
from findings.search import search


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

    levers = {
        "before the glossary": variant(False),
        "glossary as shipped": variant(True),
        "glossary with report terms too": variant(True, terms_too=True),
        "shipped, whole paragraph only": variant(True, whole_weight=1.0),
        "shipped, mean of whole and clause": variant(True, whole_weight=0.5),
        "shipped, best clause only": variant(True, whole_weight=0.0),
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
