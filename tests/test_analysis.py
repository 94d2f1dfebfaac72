"""An analyst's next questions: what later reports said about a recommendation, a theme over
the years, councils side by side; each bad request gets one sentence."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder

from findings.analysis.compare import compare, spread
from findings.analysis.followup import follow_up, follow_up_paragraph, recommendations
from findings.analysis.trends import trend
from findings.cli import main
from findings.config import SearchTuning, Settings
from findings.errors import QueryError
from findings.library import Library

FIRST = """Inspection of Blackpool local authority children's services

Inspection dates: 5 March to 16 March 2018

Overall effectiveness: Inadequate

What needs to improve?

- The quality of return home interviews for children who go missing from home or care.
- Management oversight and supervision of social workers.

The experiences and progress of children who need help and protection

1. Return home interviews are not offered to all children who go missing, and the information
from them is not used to reduce risk.

2. Leaders know their services well and have a clear plan for improvement.
"""

LATER = """Monitoring visit to Blackpool children's services

Inspection dates: 9 June to 10 June 2020

1. Return home interviews are now offered to all children who go missing from home or care,
and the information from them is used well to reduce risk.

2. Foster carers receive good training and support from their supervising social workers.
"""

NEIGHBOUR = """Inspection of Blackburn with Darwen local authority children's services

Inspection dates: 24 January to 4 February 2022

1. Return home interviews for children who go missing are inconsistent, and too many
children are not offered one.

2. Care leavers speak highly of their personal advisers.
"""


@pytest.fixture
def library(tmp_path) -> Library:
    for name, text in (("blackpool-2018.txt", FIRST), ("blackpool-2020.txt", LATER), ("bwd-2022.txt", NEIGHBOUR)):
        (tmp_path / name).write_text(text)
    tuning = SearchTuning(strong_similarity=0.5, weak_similarity=0.1)  # the fake's cosines are lower
    settings = replace(Settings.load(tmp_path / "index", "fake"), search=tuning)
    library = Library(settings, embedder=FakeEmbedder())
    assert not library.ingest([tmp_path]).failed
    return library


def report_id(library: Library, year: int) -> str:
    return next(r.id for r in library.store.reports() if r.meta.year == year)


def test_each_recommendation_is_followed_into_the_councils_later_reports(library):
    first = report_id(library, 2018)
    recs = recommendations(library, first)
    assert [r.paragraph.text[:30] for r in recs] == ["The quality of return home int", "Management oversight and super"]
    (found,) = follow_up(library, first, item=1)
    assert [step.report.meta.year for step in found.later] == [2020]  # same council, later only
    finding = found.later[0].findings[0]
    assert finding.hit.paragraph.text.startswith("Return home interviews are now offered")
    assert finding.tag.label in ("strength", "weakness", "context")
    assert all(step.report.meta.authority == "Blackpool" for f in follow_up(library, first) for step in f.later)


def test_follow_up_says_so_when_nothing_can_follow(library):
    later = report_id(library, 2020)
    with pytest.raises(QueryError, match="no later report of Blackpool is indexed"):
        follow_up_paragraph(library, f"{later}:p1")
    with pytest.raises(QueryError, match="has no recommendations"):
        follow_up(library, later)
    with pytest.raises(QueryError, match="choose --item 1 to 2"):
        follow_up(library, report_id(library, 2018), item=5)


def test_a_theme_over_time_counts_reports_with_a_strong_match(library):
    found = trend(library, "return home interviews for children who go missing", by="year")
    assert [(r.group, r.reports) for r in found.rows] == [("2018", 1), ("2020", 1), ("2022", 1)]
    assert all(r.matching == 1 for r in found.rows)
    assert sum(r.strengths + r.weaknesses for r in found.rows) >= 1
    assert found.csv().splitlines()[0] == "year,reports,matching,share,as strength,as area for improvement"
    nothing = trend(library, "unaccompanied asylum seeking children", by="type")
    assert sum(r.matching for r in nothing.rows) == 0
    from findings.search import Filters

    with pytest.raises(QueryError, match="no indexed report passes these filters"):
        trend(library, "fostering", filters=Filters(from_year=2030))


def test_councils_side_by_side_and_what_cannot_be_compared(library):
    found = compare(library, ["Blackpool", "Blackburn with Darwen"], "return home interviews")
    assert [c.council for c in found.columns] == ["Blackpool", "Blackburn with Darwen"]
    blackpool = found.columns[0].findings
    years = [f.hit.report.meta.year for f in blackpool]
    assert years == sorted(years, reverse=True)  # newest first
    assert all(f.hit.report.meta.authority == "Blackpool" for f in blackpool)
    assert {i.record["authority"] for i in found.export_items()} == {"Blackpool", "Blackburn with Darwen"}
    with pytest.raises(QueryError, match="named twice"):
        compare(library, ["Blackpool", "blackpool"], "fostering")
    with pytest.raises(QueryError, match="choose two to four different councils"):
        compare(library, ["Blackpool"], "fostering")
    with pytest.raises(QueryError, match="none of Leeds's statistical neighbours has reports in this index"):
        compare(library, [], "fostering", neighbours_of="Leeds")
    with pytest.raises(QueryError, match="Leeds has no reports in this index"):
        compare(library, ["Blackpool", "Leeds"], "fostering")


def test_recommendations_under_themed_sub_headings_are_found():
    """As Sandwell 2015 prints them: numbered 1-18 under "Help and protection", "Adoption", ...,
    the heading above them lost; the findings that follow are numbered on."""
    from findings.analysis.followup import opening_instructions
    from findings.models import Paragraph

    texts = [
        ("Help and protection", "Improve the management oversight of social work practice."),
        ("Help and protection", "With partners, ensure that strategy meetings are held promptly."),
        ("Adoption", "Reduce the delay that children experience in achieving permanence."),
        ("Care leavers", "Robustly challenge partners to provide health histories."),
        ("The local authority's strengths", "The Children in Care Board is well established."),
        ("The local authority's strengths", "Early help services are well targeted and coordinated."),
        ("Help and protection", "Ensure this is not taken for a recommendation: it follows the findings."),
    ]
    paragraphs = [Paragraph("sandwell-2015-sif", f"p{n}", n, "numbered", section, 3, n, text)
                  for n, (section, text) in enumerate(texts, start=1)]
    assert [p.number for p in opening_instructions(paragraphs)] == [1, 2, 3, 4]
    assert opening_instructions(paragraphs[4:5]) == []  # a report that opens with a finding has none


def test_each_report_has_its_best_finding_in_the_column_before_a_report_has_two():
    from types import SimpleNamespace

    ranked = [SimpleNamespace(name=n, report=SimpleNamespace(id=n[0])) for n in ("A1", "A2", "A3", "B1", "A4", "C1")]
    assert [h.name for h in spread(ranked, 3)] == ["A1", "B1", "C1"]  # the newest report, C, is not crowded out
    assert [h.name for h in spread(ranked, 4)] == ["A1", "A2", "B1", "C1"]  # then by rank, in rank order
    assert [h.name for h in spread(ranked, 9)] == [h.name for h in ranked]


def test_cli_follow_up_trend_and_compare(library, monkeypatch):
    monkeypatch.setattr("findings.embedding.load_embedder", lambda *a, **k: FakeEmbedder())
    index = ["--index", str(library.settings.index_dir)]
    runner = CliRunner()
    followed = runner.invoke(main, ["follow-up", report_id(library, 2018), "--item", "1", *index])
    assert followed.exit_code == 0, followed.output
    assert "June 2020" in followed.output and "Return home interviews are now offered" not in followed.output.split(
        "\n")[0]
    nothing = runner.invoke(main, ["follow-up", report_id(library, 2020), *index])
    assert nothing.exit_code == 1 and "Error:" in nothing.output
    trended = runner.invoke(main, ["trend", "return home interviews", "--csv", *index])
    assert trended.exit_code == 0 and trended.output.startswith("year,reports,matching")
    both = runner.invoke(main, ["compare", "Blackpool", "Blackburn with Darwen", "--theme", "return home interviews",
                                *index])
    assert both.exit_code == 0, both.output
    lines = both.output.splitlines()
    cited = [i for i, line in enumerate(lines) if line.startswith("   [")]
    assert cited and all(lines[i + 1].startswith("      > ") for i in cited)  # each finding quoted, not only cited
    same = runner.invoke(main, ["compare", "Blackpool", "Blackpool", "--theme", "fostering", *index])
    assert same.exit_code == 1 and "named twice" in same.output
