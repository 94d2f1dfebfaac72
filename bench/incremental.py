"""Adding and removing one report on a corpus-sized index, end to end, as a user runs it.

    .venv/bin/python bench/incremental.py --index DIR [--rounds 3] [--report ID]

DIR is an index of the whole corpus (`findings ingest ../shared/corpus/ilacs --index DIR`); it is
copied first and never changed.  In the copy, one report (the first, or --report ID) is removed
once, untimed; then each round times, as whole processes, `findings ingest FILE` of that
report's file and `findings remove ID`, which change the vector index in place (no rebuild).
Before each add, the vectors the database keeps for that report's paragraph texts (and no
other paragraph's) are deleted, so the report is embedded as a new one would be.
Then the same rounds inside one open `Library`, as the app runs them (model loaded, vector
index in memory, reader worker started): `Library.ingest` of the file and `Library.remove`,
each followed by a search, so the time includes the vector index catching up.
Prints each round and the medians, with the load average.  Quoted in docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FINDINGS = Path(sys.executable).parent / "findings"


def run(*args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run([str(FINDINGS), *args], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"findings {' '.join(args)} failed:\n{done.stderr}")
    return seconds


def forget_vectors(index: Path, hashes: list[str]) -> None:
    """Delete the stored vectors of these texts that no paragraph in the index has."""
    with sqlite3.connect(index / "findings.db") as db:
        db.executemany(
            "DELETE FROM embeddings WHERE text_hash = ?"
            " AND NOT EXISTS (SELECT 1 FROM paragraphs p WHERE p.text_hash = embeddings.text_hash)",
            [(h,) for h in hashes],
        )
    db.close()


def measure(index: Path, rounds: int = 3, report_id: str | None = None) -> dict:
    """Add and remove one report of a copy of `index`, `rounds` times; seconds of each."""
    from findings.config import Settings
    from findings.library import Library

    with tempfile.TemporaryDirectory(prefix="findings-incremental-") as work:
        copy = Path(work) / "index"
        shutil.copytree(index, copy)
        library = Library(Settings.load(copy), embed=False)
        reports = library.store.reports()
        report = next(r for r in reports if r.id == report_id) if report_id else reports[0]
        vectors = len(library.store.vector_ids(library.store.models()[0]))
        hashes = [row[0] for row in library.store.db.execute(
            "SELECT DISTINCT text_hash FROM paragraphs WHERE report_id = ?", (report.id,))]
        library.store.close()
        run("remove", report.id, "--index", str(copy))  # untimed: the report is now absent
        print(f"index: {len(reports)} reports, {vectors:,} vectors; report {report.id} ({report.source})",
              file=sys.stderr)
        adds, removes = [], []
        for round_ in range(1, rounds + 1):
            forget_vectors(copy, hashes)
            adds.append(run("ingest", report.source, "--index", str(copy)))
            removes.append(run("remove", report.id, "--index", str(copy)))
            print(f"round {round_}: add {adds[-1]:.2f} s, remove {removes[-1]:.2f} s", file=sys.stderr)
        # As in the app: one Library kept open (model loaded, vector index in memory, reader
        # worker started), as after the first search; each add and remove timed inside it.
        library = Library(Settings.load(copy))
        library.search("care leavers personal adviser", k=10)
        open_adds, open_removes = [], []
        for round_ in range(1, rounds + 1):
            forget_vectors(copy, hashes)
            start = time.perf_counter()
            summary = library.ingest([Path(report.source)])
            library.search("care leavers personal adviser", k=10)  # the index caught up
            open_adds.append(time.perf_counter() - start)
            if summary.failed:
                raise SystemExit(f"adding {report.source} failed: {summary.failed}")
            start = time.perf_counter()
            library.remove(report.id)
            library.search("care leavers personal adviser", k=10)
            open_removes.append(time.perf_counter() - start)
            print(f"round {round_} in an open library: add {open_adds[-1]:.2f} s, remove {open_removes[-1]:.2f} s",
                  file=sys.stderr)
        library.store.close()
    return {"add": adds, "remove": removes, "add_open": open_adds, "remove_open": open_removes,
            "report": report.id, "vectors": vectors,
            "load_average": ", ".join(f"{x:.2f}" for x in os.getloadavg())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--report", default=None, help="the report to add and remove (default: the first)")
    args = parser.parse_args()
    result = measure(args.index, args.rounds, args.report)
    print(f"median: add one report {statistics.median(result['add']):.2f} s, remove it "
          f"{statistics.median(result['remove']):.2f} s (whole processes); in an open library (as the app): "
          f"add {statistics.median(result['add_open']):.2f} s, remove {statistics.median(result['remove_open']):.2f} s"
          f" (load average {result['load_average']})")


if __name__ == "__main__":
    main()
