"""Build src/findings/data/glossary.json from the hand-checked list, citing the corpus.

    .venv/bin/python bench/build_glossary.py --index DIR [--seed bench/data/glossary_seed.tsv]

DIR is an index of the corpus (`findings ingest ../shared/corpus/ilacs --index DIR`).  Each entry
of the seed list (kind, term, meanings) gets a `source` saying where it came from: for an
acronym, how many corpus reports define it ("Full name (ACRONYM)") and one of them; for a term or
an everyday phrase, how many reports use its report wording, and one of them.  Entries whose
report wording no corpus report uses are listed at the end, to check by hand (they are kept:
the list was written by hand, and a small corpus does not use every term of the field).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "findings" / "data" / "glossary.json"


def read_seed(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if not row or row[0].startswith("#"):
                continue
            kind, term, means = row[0], row[1], row[2]
            rows.append({"kind": kind, "term": term, "means": [m.strip() for m in means.split("|") if m.strip()]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--seed", default=str(ROOT / "bench" / "data" / "glossary_seed.tsv"))
    args = parser.parse_args()
    from findings.store import ParagraphScope, Store

    store = Store(args.index, create=False)
    reports = {r.id: r for r in store.reports()}
    everything = ParagraphScope(include_boilerplate=True)

    def reports_using(phrase: str) -> Counter:
        match = '"' + phrase.replace('"', '""') + '"'
        hits = store.keyword_search(match, 100_000, everything)
        found = store.paragraphs_by_rowid([rowid for rowid, _ in hits])
        return Counter(p.report_id for p in found.values())

    def reports_defining(acronym: str) -> Counter:
        pattern = re.compile(rf"\(\s*{re.escape(acronym)}s?\s*\)")
        hits = store.keyword_search('"' + acronym.replace('"', '""') + '"', 100_000, everything)
        found = store.paragraphs_by_rowid([rowid for rowid, _ in hits])
        return Counter(p.report_id for p in found.values() if pattern.search(p.text))

    entries, unused = [], []
    for row in read_seed(Path(args.seed)):
        if row["kind"] == "acronym":
            defining = reports_defining(row["term"])
            using, what = (defining, "defined in") if defining else (reports_using(row["term"]), "used in")
            if not using:
                for meaning in row["means"]:
                    using.update(reports_using(meaning))
                what = "its long form used in"
        else:
            using = Counter()
            for meaning in row["means"]:
                using.update(reports_using(meaning))
            what = "report wording used in"
        if using:
            example = reports[max(using, key=using.get)]
            row["source"] = f"{what} {len(using)} corpus reports, e.g. {example.file} ({example.meta.authority})"
        else:
            row["source"] = "added by hand: a term of the field not used in the development corpus"
            unused.append(row)
        entries.append(row)
    data = {
        "format": 1,
        "description": "Acronyms, terms and everyday words of children's services, and the report wording for "
                       "them; built by bench/build_glossary.py from bench/data/glossary_seed.tsv.",
        "entries": entries,
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    kinds = Counter(e["kind"] for e in entries)
    print(f"wrote {len(entries)} entries to {OUT.relative_to(ROOT)}: {dict(kinds)}")
    print(f"{len(unused)} whose report wording no corpus report uses (check by hand):")
    for row in unused:
        print(f"  {row['kind']}: {row['term']} => {' | '.join(row['means'])}")


if __name__ == "__main__":
    main()
