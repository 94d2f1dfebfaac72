"""Query latency with and without glossary expansion, in one process on one index.

    .venv/bin/python bench/expansion_latency.py --index DIR [--queries 240]

Every query of bench/bench.py's query set runs in each mode, without and with the filters
bench/bench.py uses, once with the glossary's expansions and once without, alternating which
goes first; prints medians and p95 in ms (warm), the ratio with/without, and the load average.
Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

from bench import MODES, _filters_for, percentiles, query_set  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=240)
    args = parser.parse_args()
    from findings.config import Settings
    from findings.library import Library

    library = Library(Settings.load(args.index))
    filters = _filters_for(library.store)
    queries = query_set(args.queries)
    for mode in MODES:  # warm every path
        for expand in (True, False):
            library.search(queries[1], k=10, mode=mode, filters=filters, expand=expand)
            library.search(queries[1], k=10, mode=mode, expand=expand)
    times: dict[str, list[float]] = {}
    expanded = 0
    for i, query in enumerate(queries):
        expanded += bool(library.expansion(query).terms)
        for mode in MODES:
            for label, chosen in (("", None), ("+filters", filters)):
                order = (True, False) if i % 2 else (False, True)
                for expand in order:
                    begin = time.perf_counter()
                    library.search(query, k=10, mode=mode, filters=chosen, expand=expand)
                    name = f"{mode}{label} {'expanded' if expand else 'as typed'}"
                    times.setdefault(name, []).append((time.perf_counter() - begin) * 1000)
    print(f"index {args.index}: {len(library.snapshot().reports)} reports; {len(queries)} queries, "
          f"{expanded} of them expanded by the glossary; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| configuration | as typed p50 / p95 ms | expanded p50 / p95 ms | ratio of p95 |")
    print("|---|---:|---:|---:|")
    for mode in MODES:
        for label in ("", "+filters"):
            plain = percentiles(times[f"{mode}{label} as typed"])
            wide = percentiles(times[f"{mode}{label} expanded"])
            print(f"| {mode}{label} | {plain['p50']:.1f} / {plain['p95']:.1f} | {wide['p50']:.1f} / "
                  f"{wide['p95']:.1f} | {wide['p95'] / plain['p95']:.2f} |")


if __name__ == "__main__":
    main()
