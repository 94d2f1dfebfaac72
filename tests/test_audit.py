"""The audited sample: 300 paragraphs drawn from the corpus and read against their PDFs.

bench/audit_sample.py drew them (seed 2026) and printed each with the headings printed above it
in the PDF, its neighbours and any page break inside it; a person judged each one: is its
heading right (the nearest heading printed above it, whole, and `section` that heading without
its grade), is it boilerplate leaking, has a footnote merged into it, is it cut wrongly?
tests/fixtures/audit_sample.json keeps the sample with the heading and section each paragraph
should carry (and the audit's figures, before and after).  A change to the readers or the
splitter that garbles a heading, loses a paragraph or marks a finding as boilerplate shows here.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from findings.models import Paragraph
from findings.readers import read_pages
from findings.split import split_pages

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "audit_sample.json"


def key(text: str) -> str:
    return re.sub(r"\W", "", text.lower())


def find(paragraphs: list[Paragraph], row: dict) -> Paragraph | None:
    """The fixture's paragraph: by its key when its opening words still match, else by them."""
    opening = key(row["opening"])
    same_key = [p for p in paragraphs if p.key == row["key"] and key(p.text).startswith(opening)]
    starting = [p for p in paragraphs if key(p.text).startswith(opening)]
    return (same_key or starting or [None])[0]


@pytest.mark.corpus
@pytest.mark.slow
def test_audited_paragraphs_keep_their_heading_and_section_and_stay_findings(corpus):
    rows = json.loads(FIXTURE.read_text())["paragraphs"]
    by_report: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_report[row["report"]].append(row)
    problems = []
    for report, report_rows in sorted(by_report.items()):
        paragraphs = split_pages(read_pages(corpus / "ilacs" / report))
        for row in report_rows:
            found = find(paragraphs, row)
            where = f"#{row['index']} {report} {row['key']} '{row['opening']}'"
            if found is None:
                problems.append(f"{where}: no paragraph opens with these words")
                continue
            if found.boilerplate:
                problems.append(f"{where}: marked boilerplate")
            if (found.heading, found.section) != (row["heading"], row["section"]):
                problems.append(f"{where}: heading {found.heading!r}, section {found.section!r}; "
                                f"expected {row['heading']!r}, {row['section']!r}")
            if found.page != row["page"]:
                problems.append(f"{where}: cited to page {found.page}, expected {row['page']}")
    assert not problems, "\n".join(problems)
