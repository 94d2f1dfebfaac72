"""National scale on one laptop: the corpus replicated to about 3,000 reports, served as a user would.

    .venv/bin/python bench/national.py --index CORPUS_INDEX [--reports 3000] [--keep DIR] [--queries 240]
        [--out docs/scale.md]

CORPUS_INDEX is an index of the whole corpus built by `findings ingest ../shared/corpus/ilacs`
(bench/bench.py --keep DIR leaves one).  Its reports are copied until there are `--reports`:
copy c of a report belongs to a council of its own ("Barnet 2"), its dates move back c weeks,
and every paragraph is stored as a paragraph of its own with vectors of its own: the council's
name is replaced in the text, a paragraph that does not name it differs by c trailing spaces
(invisible to keyword search and highlights, but its own text hash), and its vectors are the
original's moved by Gaussian noise (0.01 a dimension, then normalised; cosine to the original
about 0.98), so the vector index holds as many distinct vectors as real reports would give.

Then, each in a fresh process as in bench/bench.py: the vector index is built by the library
(`Library` catching up with the store, as after an ingest), and a serving process opens the
index, answers a first query (time from process start) and every query in each mode, warm.

Cold ingest is not run at this size (about an hour here): the table gives the time the corpus
run's pages per second predicts, marked as such.  Nothing is asserted; with --out the table
goes between `<!-- bench:national:start -->` and `<!-- bench:national:end -->` of the
file, and the whole row (with every latency) into findings-national-last.json in the temp folder
(what bench/growth.py reads).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench import folder_mb, load_average, query_set, run_phase  # noqa: E402

LAST = Path(tempfile.gettempdir()) / "findings-national-last.json"


def replicate(source: Path, target: Path, reports: int, seed: int = 0) -> dict:
    """Copy the reports of the index at `source` into a new index at `target` until it holds
    `reports`; returns counts and timings."""
    from findings.config import Settings
    from findings.library import Library
    from findings.store import Store, text_hash
    from findings.store_vectors import WINDOW_BITS

    rng = np.random.default_rng(seed)
    original = Store(source, create=False)
    model = original.models()[0]
    library = Library(Settings.load(target), embed=False)
    store = library.store
    originals = sorted(original.reports(), key=lambda r: r.id)
    copies = math.ceil(reports / len(originals))
    written = paragraphs = vectors = pages = 0
    begin = time.perf_counter()
    for copy in range(copies):
        for report in originals:
            if written == reports:
                break
            items = original.paragraphs(report.id)
            rowids = [original.rowid_of(p.id) for p in items]
            ids, matrix = original.paragraph_vectors(model, rowids)
            if copy:
                noisy = matrix + rng.normal(0, 0.01, matrix.shape).astype(np.float32)
                matrix = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
            by_rowid: dict[int, list[tuple[int, np.ndarray]]] = {}
            for vector_id, vector in zip(ids.tolist(), matrix, strict=True):
                by_rowid.setdefault(vector_id >> WINDOW_BITS, []).append((vector_id & ((1 << WINDOW_BITS) - 1), vector))
            new_report, new_items = _copy(report, items, copy)
            rows = [
                (text_hash(p.text), model, window, vector)
                for p, rowid in zip(new_items, rowids, strict=True)
                for window, vector in by_rowid.get(rowid, [])
            ]
            store.put_report(new_report, new_items, rows)
            written += 1
            pages += report.pages
            paragraphs += len(new_items)
            vectors += len(rows)
    stored = time.perf_counter() - begin
    store.close()
    return {"reports": written, "paragraphs": paragraphs, "vectors": vectors, "pages": pages, "copies": copies,
            "store_seconds": stored, "model": model}


def _copy(report, items, copy: int):
    if copy == 0:
        return report, items
    name = report.meta.authority or ""
    council = f"{name} {copy + 1}" if name else ""
    shift = dt.timedelta(weeks=copy)
    meta = dataclasses.replace(
        report.meta,
        authority=council or None,
        title=report.meta.title.replace(name, council) if name else report.meta.title,
        inspection_start=report.meta.inspection_start and report.meta.inspection_start - shift,
        inspection_end=report.meta.inspection_end and report.meta.inspection_end - shift,
        published=report.meta.published and report.meta.published - shift,
    )
    new_id = f"{report.id}-copy{copy + 1}"
    new_report = dataclasses.replace(report, id=new_id, source=f"{report.source}#copy{copy + 1}",
                                     content_hash=f"{report.content_hash}-{copy + 1}", meta=meta)
    pattern = re.compile(re.escape(name)) if name else None
    new_items = []
    for p in items:
        text = pattern.sub(council, p.text) if pattern and pattern.search(p.text) else p.text + " " * copy
        new_items.append(dataclasses.replace(p, report_id=new_id, text=text))
    return new_report, new_items


def table(rows: list[dict]) -> str:
    lines = [
        "| reports | paragraphs | vectors | index on disk, MB | vector index build, s | ingest, min (from pages/s) "
        "| serving RSS, MB | first answer, s | keyword read-ahead done, s (hybrid p95 meanwhile, ms) "
        "| hybrid p50 / p95, ms | semantic p50 / p95, ms "
        "| keyword p50 / p95, ms | hybrid+filters p50 / p95, ms | load average |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        lat = r["serve"]["latency_ms"]

        def pair(name: str, lat=lat) -> str:
            return f"{lat[name]['p50']:.1f} / {lat[name]['p95']:.1f}"

        during = r["serve"].get("hybrid_while_reading_ahead_ms")
        done = r["serve"].get("read_ahead_done_s")
        ahead = (f"{done:.1f}" if done is not None else "") + (f" ({during['p95']:.0f})" if during else "")
        lines.append(
            f"| {r['reports']:,} | {r['paragraphs']:,} | {r['vectors']:,} | {r['index_mb']:.0f} "
            f"| {r['build_seconds']:.0f} | {r['ingest_minutes']} | {r['serve']['peak_rss_mb']:.0f} "
            f"| {r['serve']['first_answer_s']:.2f} | {ahead} | {pair('hybrid')} | {pair('semantic')} "
            f"| {pair('keyword')} | {pair('hybrid+filters')} | {r['serve']['load_average']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index of the whole corpus (unless --built)")
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--keep", type=Path, help="build the national index here and keep it")
    parser.add_argument("--pages-per-second", type=float, default=None,
                        help="cold ingest rate to predict ingest time from (default: the last bench.py run)")
    parser.add_argument("--out", type=Path, help="write the table into this Markdown file")
    parser.add_argument("--built", type=Path,
                        help="serve this replica (a --keep folder of an earlier run) instead of making one;"
                             " the build figures are then those of --built-json")
    parser.add_argument("--built-json", type=Path, help="the JSON line that run printed (its counts and build)")
    args = parser.parse_args()
    if args.built:
        serve_built(args)
        return
    if args.index is None:
        parser.error("give --index (an index of the whole corpus) or --built")
    work = Path(tempfile.mkdtemp(prefix="findings-national-"))
    target = args.keep or work / "national"
    if target.exists():
        raise SystemExit(f"{target} exists; give a new folder to --keep")
    rate = args.pages_per_second
    last = Path(tempfile.gettempdir()) / "findings-bench-last.json"
    if rate is None and last.is_file():
        saved = json.loads(last.read_text())
        rate = saved["pages"] / saved["ours"]["ingest"]["seconds"]
    try:
        print(f"replicating {args.index} to {args.reports} reports; load average {load_average()}",
              file=sys.stderr, flush=True)
        made = replicate(args.index, target, args.reports)
        print(f"  stored: {made}", file=sys.stderr, flush=True)
        build = run_phase("ours-vectors", {"index": str(target), "files": []})
        serve = run_phase("ours-serve", {"index": str(target), "queries": query_set(args.queries)})
        pages = made["pages"]
        row = {
            **made, "index_mb": folder_mb(target), "build_seconds": build["seconds"],
            "ingest_minutes": f"{pages / rate / 60:.0f} (predicted)" if rate else "",
            "serve": serve,
        }
        text = table([row])
        print(text)
        print(json.dumps({k: v for k, v in row.items() if k != "serve"} | {"build": build}, default=str))
        LAST.write_text(json.dumps(row, indent=1, default=str))
        if args.out:
            from bench import machine, write_out

            write_out(args.out, text, "python bench/national.py " + " ".join(sys.argv[1:]), machine(), "national")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def serve_built(args: argparse.Namespace) -> None:
    """Serve a replica made by an earlier run; its counts and build time come from that run."""
    from bench import machine, write_out

    made = json.loads(args.built_json.read_text()) if args.built_json else {}
    if not made:
        raise SystemExit("--built needs --built-json: the JSON line the run that made it printed")
    print(f"serving {args.built}; load average {load_average()}", file=sys.stderr, flush=True)
    serve = run_phase("ours-serve", {"index": str(args.built), "queries": query_set(args.queries)})
    row = {**made, "index_mb": folder_mb(args.built), "serve": serve}
    text = table([row])
    print(text)
    LAST.write_text(json.dumps(row, indent=1, default=str))
    if args.out:
        command = "python bench/national.py " + " ".join(sys.argv[1:])
        write_out(args.out, text, command, machine(), "national")


if __name__ == "__main__":
    main()
