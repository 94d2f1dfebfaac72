"""Pool and judge new dev-set queries: the record of how the plain and mixed queries were judged.

    .venv/bin/python bench/pool_queries.py new q49 plain "kids who keep going missing"
    .venv/bin/python bench/pool_queries.py pool --index /tmp/devindex q49 q50
    .venv/bin/python bench/pool_queries.py like --index /tmp/devindex q49 "missing from home" "went missing"
    .venv/bin/python bench/pool_queries.py grade --index /tmp/devindex grades.txt

`new` appends a query with no judgements to the dev set.  `pool` prints, for each query, the
union of the top 20 of each mode (hybrid, semantic, keyword) restricted to the dev set's
reports, leaving out the paragraphs already judged for it; each paragraph is printed whole with
its report's overall grade, in report and paragraph order (not by rank, so the judge does not
see which mode found it).  `like` prints the paragraphs outside the pool, and not yet judged,
whose text holds any of the given phrases (SQL LIKE; "a&b" for both a and b), taking one report
at a time so that a limit does not favour the first reports: this is how relevant paragraphs the
pool missed were found.  `grade` reads
lines "<query id> <paragraph id> <grade>" and adds each judgement, with the paragraph's source,
number and first 60 characters taken from the index, to the dev set; a grade for a paragraph
already judged for that query replaces it.  The dev set is rewritten in its own layout (one
judgement a line), so a diff shows only what changed.
"""

from __future__ import annotations

import argparse
import json
from itertools import zip_longest
from pathlib import Path

DEPTH = 20


def main() -> None:
    from findings.evaluate import STYLES, default_devset_path

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=None, help="dev set JSON (default: the packaged one)")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="append a query with no judgements")
    new.add_argument("id")
    new.add_argument("style", choices=STYLES)
    new.add_argument("query")
    pool = commands.add_parser("pool", help="print the unjudged pooled paragraphs of queries")
    pool.add_argument("--index", type=Path, required=True)
    pool.add_argument("ids", nargs="+")
    like = commands.add_parser("like", help="print paragraphs outside the pool holding a phrase")
    like.add_argument("--index", type=Path, required=True)
    like.add_argument("--limit", type=int, default=15)
    like.add_argument("id")
    like.add_argument("phrases", nargs="+")
    grade = commands.add_parser("grade", help="add judgements from a file of 'query paragraph grade' lines")
    grade.add_argument("--index", type=Path, required=True)
    grade.add_argument("grades", type=Path)
    args = parser.parse_args()

    path = args.devset or default_devset_path()
    data = json.loads(path.read_text(encoding="utf-8"))
    if args.command == "new":
        if any(q["id"] == args.id for q in data["queries"]):
            parser.error(f"the dev set already has a query {args.id}")
        data["queries"].append({"id": args.id, "query": args.query, "style": args.style, "judgements": []})
        write_devset(path, data)
        return

    from findings.config import Settings
    from findings.library import Library

    library = Library(Settings.load(args.index))
    queries = {q["id"]: q for q in data["queries"]}
    if args.command == "pool":
        for qid in args.ids:
            print_pool(library, data, queries[qid])
    elif args.command == "like":
        print_like(library, data, queries[args.id], args.phrases, args.limit)
    else:
        add_grades(library, data, args.grades)
        write_devset(path, data)


def judged_report_ids(library, data) -> set[str]:
    """Ids of the index's reports among those the dev set was judged over."""
    from findings.evaluate import judged_reports

    return judged_reports(library.store, data["reports"])[0]


def report_filters(library, data):
    from findings.search import Filters

    return Filters(report_ids=tuple(sorted(judged_report_ids(library, data))))


def pooled(library, data, query: str) -> list[str]:
    """Paragraph ids in the top DEPTH of any mode, in order of their best rank."""
    filters = report_filters(library, data)
    best: dict[str, int] = {}
    for mode in ("hybrid", "semantic", "keyword"):
        for rank, hit in enumerate(library.search(query, k=DEPTH, mode=mode, filters=filters), start=1):
            best[hit.paragraph.id] = min(rank, best.get(hit.paragraph.id, rank))
    return sorted(best, key=best.get)


def print_pool(library, data, q) -> None:
    ids = pooled(library, data, q["query"])
    judged = {j["paragraph"] for j in q["judgements"]}
    todo = [pid for pid in ids if pid not in judged]
    print(f"=== {q['id']} [{q['style']}] {q['query']!r}: {len(ids)} pooled, {len(todo)} to judge")
    print_paragraphs(library, todo)


def print_like(library, data, q, phrases, limit) -> None:
    store = library.store
    report_ids = judged_report_ids(library, data)
    pool = set(pooled(library, data, q["query"])) | {j["paragraph"] for j in q["judgements"]}
    # "a&b" asks for a paragraph holding both a and b.
    terms = [phrase.split("&") for phrase in phrases]
    where = " OR ".join("(" + " AND ".join("text LIKE ?" for _ in t) + ")" for t in terms)
    marks = ",".join("?" for _ in report_ids)
    rows = store.db.execute(
        f"SELECT report_id, key FROM paragraphs WHERE ({where}) AND report_id IN ({marks})"
        " AND NOT boilerplate ORDER BY report_id, position",
        [f"%{word}%" for t in terms for word in t] + sorted(report_ids),
    ).fetchall()
    by_report: dict[str, list[str]] = {}
    for rid, key in rows:
        if f"{rid}:{key}" not in pool:
            by_report.setdefault(rid, []).append(f"{rid}:{key}")
    # Take one paragraph from each report in turn, so a limit does not favour the first reports.
    found = [pid for turn in zip_longest(*by_report.values()) for pid in turn if pid]
    print(f"=== {q['id']} {q['query']!r}: {len(found)} outside the pool hold {phrases}; showing {limit}")
    print_paragraphs(library, found[:limit])


def print_paragraphs(library, ids) -> None:
    store = library.store
    reports = {r.id: r for r in store.reports()}
    paragraphs = [store.paragraph(pid) for pid in ids]
    for p in sorted(paragraphs, key=lambda p: (p.report_id, p.position)):
        grade = reports[p.report_id].meta.judgements.get("overall_effectiveness", "?")
        print(f"\n[{p.id}] ({grade}; {p.heading or p.section})\n{p.text}")
    print()


def add_grades(library, data, grades_file: Path) -> None:
    from findings.evaluate import source_key

    store = library.store
    sources = store.report_sources()
    queries = {q["id"]: q for q in data["queries"]}
    for line in grades_file.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        qid, pid, grade = line.split()
        paragraph = store.paragraph(pid)
        if paragraph is None:
            raise SystemExit(f"{grades_file}: no paragraph {pid} in the index")
        if int(grade) not in (0, 1, 2):
            raise SystemExit(f"{grades_file}: grade {grade} of {pid} is not 0, 1 or 2")
        judgement = {
            "paragraph": pid, "source": source_key(sources[paragraph.report_id]),
            "number": paragraph.number, "text": paragraph.text[:60], "grade": int(grade),
        }
        judgements = queries[qid]["judgements"]
        judgements[:] = [j for j in judgements if j["paragraph"] != pid] + [judgement]


def write_devset(path: Path, data: dict) -> None:
    """The dev set in its layout: the header indented by one, then a query and its
    judgements a line each."""
    head = json.dumps({k: v for k, v in data.items() if k != "queries"}, indent=1, ensure_ascii=False)
    queries = []
    for q in data["queries"]:
        opening = json.dumps({k: v for k, v in q.items() if k != "judgements"}, ensure_ascii=False)[:-1]
        lines = ",\n".join("   " + json.dumps(j, ensure_ascii=False) for j in q["judgements"])
        judgements = f"[\n{lines}\n  ]" if lines else "[]"
        queries.append(f"  {opening}, \"judgements\": {judgements}}}")
    text = head[:-2] + ',\n "queries": [\n' + ",\n".join(queries) + "\n ]\n}\n"
    json.loads(text)  # never write a file the loader cannot read
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
