"""How cost grows with the collection: 36, 365 and 3,000 reports, as a table and a plot.

    .venv/bin/python bench/growth.py --run DEVSET.json --run CORPUS.json --national NATIONAL.json \
        [--out docs/scale.md] [--plot docs/scale-growth.svg]

Each --run is the results file a `bench/bench.py` run leaves (its `findings-bench-last.json`,
copied before the next run), --national the one `bench/national.py` leaves
(`findings-national-last.json`).  Nothing is measured here: the figures are those runs'.  With
--out the table goes between `<!-- bench:growth:start -->` and `<!-- bench:growth:end -->`; the plot (log-log,
each figure against paragraphs) needs matplotlib (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench import write_out  # noqa: E402

COLUMNS = [
    ("reports", "reports", "{:,}"),
    ("paragraphs", "paragraphs", "{:,}"),
    ("vectors", "vectors", "{:,}"),
    ("index_mb", "index on disk, MB", "{:.0f}"),
    ("ingest_min", "cold ingest, min", "{}"),
    ("rss_mb", "serving RSS, MB", "{:.0f}"),
    ("first_s", "first answer, s", "{:.2f}"),
    ("hybrid", "hybrid p50 / p95, ms", "{}"),
    ("semantic", "semantic p50 / p95, ms", "{}"),
    ("keyword", "keyword p50 / p95, ms", "{}"),
    ("filtered", "hybrid+filters p50 / p95, ms", "{}"),
    ("load", "load average", "{}"),
]


def _pair(latency: dict, name: str) -> str:
    return f"{latency[name]['p50']:.1f} / {latency[name]['p95']:.1f}"


def _row(counts: dict, index_mb: float, ingest_min: str, serve: dict) -> dict:
    latency = serve["latency_ms"]
    return {
        **counts, "index_mb": index_mb, "ingest_min": ingest_min, "rss_mb": serve["peak_rss_mb"],
        "first_s": serve["first_answer_s"], "hybrid": _pair(latency, "hybrid"),
        "semantic": _pair(latency, "semantic"), "keyword": _pair(latency, "keyword"),
        "filtered": _pair(latency, "hybrid+filters"), "load": serve["load_average"], "latency": latency,
    }


def from_bench(path: Path) -> dict:
    """A row from a bench/bench.py results file."""
    data = json.loads(path.read_text())
    ours = data["ours"]
    counts = {"reports": data["reports"], "paragraphs": ours["ingest"]["paragraphs"],
              "vectors": ours["ingest"]["vectors"]}
    return _row(counts, ours["index_mb"], f"{ours['ingest']['seconds'] / 60:.1f}", ours["serve"])


def from_national(path: Path) -> dict:
    """A row from a bench/national.py results file."""
    data = json.loads(path.read_text())
    counts = {key: data[key] for key in ("reports", "paragraphs", "vectors")}
    return _row(counts, data["index_mb"], str(data["ingest_minutes"]), data["serve"])


def table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
             "| " + " | ".join("---:" if key != "load" else "---" for key, _, _ in COLUMNS) + " |"]
    for row in rows:
        lines.append("| " + " | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise SystemExit("the plot needs matplotlib: pip install -e '.[bench]'") from exc
    paragraphs = [r["paragraphs"] for r in rows]
    figure, (size, time) = plt.subplots(1, 2, figsize=(10, 4))
    size.loglog(paragraphs, [r["index_mb"] for r in rows], "o-", label="index on disk, MB")
    size.loglog(paragraphs, [r["rss_mb"] for r in rows], "s-", label="serving RSS, MB")
    size.set_xlabel("paragraphs")
    size.legend()
    for mode in ("hybrid", "semantic", "keyword"):
        time.loglog(paragraphs, [r["latency"][mode]["p95"] for r in rows], "o-", label=f"{mode} p95, ms")
    time.loglog(paragraphs, [r["first_s"] * 1000 for r in rows], "s--", label="first answer, ms")
    time.set_xlabel("paragraphs")
    time.legend()
    figure.suptitle("findings: cost against collection size (36, 365, 3,000 reports)")
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", default=[], help="a bench/bench.py results file")
    parser.add_argument("--national", type=Path, help="a bench/national.py results file")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()
    rows = [from_bench(p) for p in args.run] + ([from_national(args.national)] if args.national else [])
    rows.sort(key=lambda r: r["paragraphs"])
    text = table(rows)
    print(text)
    if args.out:
        from bench import machine

        write_out(args.out, text, "python bench/growth.py " + " ".join(sys.argv[1:]), machine(), "growth")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
