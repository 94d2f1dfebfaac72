"""Agreement of extracted report metadata with the corpus's third-party scrape.

Reads every PDF under <corpus>/ilacs/<urn>_<name>/, extracts metadata, and compares it with
<corpus>/ilacs_history.csv field by field where the CSV has a value.  Prints the share of
agreement per field and writes every disagreement to a TSV file.

Files that are not reports (`findings.metadata.not_a_report`: a web page saved as PDF, an empty
template) are refused as ingest refuses them, listed, and left out of the tallies.  Two more
lines measure the council read from the report's text alone (the file name carries none, and the
folder is not shown to the extractor): `council_named`, the share of reports that name one, and
`council_is_folder`, the share whose council is the folder's (`<urn>_<council>`, the truth here).

    .venv/bin/python bench/metadata_agreement.py                # ../shared/corpus
    .venv/bin/python bench/metadata_agreement.py /path/to/corpus --out /tmp/disagree.tsv
    .venv/bin/python bench/metadata_agreement.py --reader pymupdf   # raw PyMuPDF text

`--sample N` also prints the grades extracted for N reports the CSV has no grades for.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from findings.councils import all_councils, canonical_authority
from findings.metadata import extract_metadata, not_a_report
from findings.metadata.grades import normalise_grade
from findings.models import Page, ReportMeta

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = PROJECT.parent / "shared" / "corpus"
GRADE_FIELDS = ("overall_effectiveness", "impact_of_leaders", "help_and_protection", "in_care",
                "care_leavers")  # fmt: skip
NO_JUDGEMENT = ("not_reported_post_reform", "inspection_pre_dates_judgement")
NO_VALUE = ("", "data_unreadable")
FRAMEWORKS = {"standard": "ilacs_standard", "short": "ilacs_short",
              "inspection duration longer than standard framework": "ilacs_standard"}  # fmt: skip


@dataclass
class Tally:
    compared: int = 0
    agreed: int = 0
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.agreed / self.compared if self.compared else 0.0

    def add(self, name: str, expected: str, got: str) -> None:
        self.compared += 1
        if expected == got:
            self.agreed += 1
        else:
            self.rows.append((name, expected, got))


def pymupdf_pages(path: Path) -> list[Page]:
    import pymupdf

    with pymupdf.open(path) as document:
        return [Page(i + 1, page.get_text()) for i, page in enumerate(document)]


def pick_reader(choice: str) -> Callable[[Path], list[Page]]:
    if choice == "pymupdf":
        return pymupdf_pages
    try:
        from findings.readers import read_pages
    except ImportError:
        if choice == "findings":
            raise
        print("findings.readers not available: using raw PyMuPDF text", file=sys.stderr)
        return pymupdf_pages
    return read_pages


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def _csv_date(text: str) -> str:
    for fmt in ("%d/%m/%Y", "%d/%m/%y"):
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def compare(row: dict[str, str], meta: ReportMeta, name: str, tallies: dict[str, Tally]) -> None:
    """Add one report's fields to the tallies; CSV blanks and 'data_unreadable' are skipped."""
    urn_names = {c.urn: c.name for c in all_councils()}
    tallies["authority"].add(name, urn_names.get(row["urn"], row["local_authority"]),
                             meta.authority or "")  # fmt: skip
    framework = row["inspection_framework"].strip()
    expected_type = FRAMEWORKS.get(framework, "not ILACS" if not framework else framework)
    got_type = meta.report_type if meta.report_type.startswith("ilacs") else "not ILACS"
    tallies["type"].add(name, expected_type, got_type)
    for key, column, value in (
        ("start", "inspection_start_date", meta.inspection_start),
        ("end", "inspection_end_date", meta.inspection_end),
        ("published", "publication_date", meta.published),
    ):
        if expected := _csv_date(row[column]):
            tallies[key].add(name, expected, _iso(value))
    if row["inspector_name"].strip():
        tallies["inspector"].add(name, " ".join(row["inspector_name"].split()),
                                 meta.lead_inspector or "")  # fmt: skip
    for key in GRADE_FIELDS:
        value = row[f"{key}_grade"].strip()
        if value in NO_VALUE:
            continue
        expected = "(none)" if value in NO_JUDGEMENT else (normalise_grade(value) or value)
        tallies[key].add(name, expected, meta.judgements.get(key, "(none)"))


@dataclass
class Measurement:
    """Per-field tallies (the CSV's fields, then `council_named` and `council_is_folder`), the
    reports the CSV has no grades for, and the files refused as no report, with the reason."""

    tallies: dict[str, Tally]
    ungraded: list[tuple[str, ReportMeta]]
    refused: list[tuple[str, str]]


def folder_council(folder: str) -> str:
    """The council a corpus folder (`<urn>_<council>`) is for: its name, else its URN."""
    urn, _, written = folder.partition("_")
    return canonical_authority(written) or {c.urn: c.name for c in all_councils()}.get(urn, "")


def measure(corpus: Path, read: Callable[[Path], list[Page]]) -> Measurement:
    """Per-field tallies over the corpus, the reports the CSV has no grades for, and refusals."""
    with open(corpus / "ilacs_history.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = ("authority", "type", "start", "end", "published", "inspector", *GRADE_FIELDS,
              "council_named", "council_is_folder")  # fmt: skip
    result = Measurement({key: Tally() for key in fields}, [], [])
    for row in rows:
        name = f"{row['urn']}_{row['local_authority']}/{row['pdf_filename']}"
        path = corpus / "ilacs" / name
        if not path.exists():
            print(f"missing: {name}", file=sys.stderr)
            continue
        pages = read(path)
        if reason := not_a_report(pages):
            result.refused.append((name, reason))
            continue
        meta = extract_metadata(pages, str(path))
        compare(row, meta, name, result.tallies)
        from_text = extract_metadata(pages, path.name).authority or ""
        result.tallies["council_named"].add(name, "(a council)", from_text and "(a council)")
        result.tallies["council_is_folder"].add(name, folder_council(path.parent.name), from_text)
        if row["help_and_protection_grade"] in NO_VALUE:
            result.ungraded.append((name, meta))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument(
        "--out", type=Path, default=PROJECT / "bench" / "metadata_disagreements.tsv"
    )
    parser.add_argument("--reader", choices=("auto", "findings", "pymupdf"), default="auto")
    parser.add_argument("--sample", type=int, default=0, help="show grades of N ungraded rows")
    args = parser.parse_args(argv)
    measured = measure(args.corpus, pick_reader(args.reader))
    tallies, ungraded = measured.tallies, measured.ungraded
    for name, reason in measured.refused:
        print(f"refused, not a report: {name}: {reason}")
    print(f"{'field':<22}{'compared':>9}{'agree':>7}{'share':>8}")
    for key, tally in tallies.items():
        print(f"{key:<22}{tally.compared:>9}{tally.agreed:>7}{tally.share:>8.1%}")
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(("file", "field", "csv", "extracted"))
        for key, tally in tallies.items():
            writer.writerows((name, key, expected, got) for name, expected, got in tally.rows)
    count = sum(len(t.rows) for t in tallies.values())
    print(f"{count} disagreements written to {args.out}")
    for name, meta in random.Random(0).sample(ungraded, min(args.sample, len(ungraded))):
        print(f"{name}\n  {meta.report_type} {meta.inspection_start}..{meta.inspection_end} "
              f"{meta.lead_inspector} {meta.judgements}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
