"""A result list a user can trust: duplicates collapsed, two results a report, strength labels,
newest first when asked (findings.results), on hand-made hits."""

from __future__ import annotations

from datetime import date

import pytest

from findings.config import SearchTuning
from findings.models import Hit, Paragraph, Report, ReportMeta
from findings.results import arrange, enough_results, none_strong, strength

TEXT = ("Children who go missing from home or care receive timely return home interviews, and the "
        "information from them is used well to reduce risk.")


def hit(report: str, key: str, text: str, similarity: float | None = 0.5, year: int = 2022) -> Hit:
    meta = ReportMeta(authority=report.split("-")[0].title(), inspection_start=date(year, 3, 1))
    return Hit(Paragraph(report, key, None, "prose", "", 1, 0, text), Report(report, report, "h", meta), 1.0,
               similarity=similarity)


def test_near_identical_paragraphs_of_other_reports_collapse_into_the_first():
    north = hit("north-2022", "p3", TEXT)
    west = hit("west-2022", "p3", TEXT.replace("timely", "prompt"))  # one word differs
    other = hit("leeds-2022", "p9", "Leaders have a clear plan for improving services for care leavers.")
    arranged = arrange([north, west, other], SearchTuning())
    assert [r.hit for r in arranged] == [north, other]
    assert arranged[0].duplicates == (west,)


def test_a_report_shows_two_results_and_folds_the_rest_under_its_second():
    hits = [hit("a-2022", f"p{i}", f"Finding number {i} about something quite different {i * 7}.") for i in range(4)]
    hits.insert(2, hit("b-2022", "p1", "A finding of another council about adoption."))
    arranged = arrange(hits, SearchTuning())
    assert [r.hit.paragraph.key for r in arranged] == ["p0", "p1", "p1"]
    assert [r.hit.report.id for r in arranged] == ["a-2022", "a-2022", "b-2022"]
    assert [h.paragraph.key for h in arranged[1].folded] == ["p2", "p3"]


def test_strength_follows_the_calibrated_thresholds_and_says_when_nothing_is_strong():
    tuning = SearchTuning(strong_similarity=0.6, weak_similarity=0.4)
    assert [strength(hit("a-1", "p1", "x", s), tuning) for s in (0.7, 0.6, 0.5, 0.39, None)] == [
        "strong", "strong", "fair", "weak", None]
    fair = arrange([hit("a-1", "p1", "one thing", 0.5), hit("b-1", "p1", "another thing", 0.45)], tuning)
    assert none_strong(fair)
    assert not none_strong(arrange([hit("a-1", "p1", "x y z", 0.9)], tuning))
    assert not none_strong(arrange([hit("a-1", "p1", "x y z", None)], tuning))  # keyword mode: no labels


def test_newest_first_keeps_the_folding():
    hits = [hit("old-2014", "p1", "An old finding.", year=2014), hit("new-2023", "p1", "A new finding.", year=2023)]
    assert [r.hit.report.id for r in arrange(hits, SearchTuning(), sort="newest")] == ["new-2023", "old-2014"]
    with pytest.raises(ValueError, match="unknown order"):
        arrange(hits, SearchTuning(), sort="alphabetical")


def ranked_hits(reports: int, per_report: int) -> list[Hit]:
    """Hits of `reports` reports, `per_report` each, the reports taking turns in the ranking."""
    return [hit(f"r{r}-2022", f"p{i}", f"Finding {i} of report {r}, its own words {r * 31 + i * 7}.")
            for i in range(per_report) for r in range(reports)]


def test_more_hits_are_asked_for_until_the_page_and_one_more_result_are_there():
    every = ranked_hits(reports=12, per_report=8)  # report r's 3rd hit and later are folded
    asked: list[int] = []

    def search(k):
        asked.append(k)
        return sorted(every, key=lambda h: h.paragraph.key)[:k]  # each report's first hits first

    hits, results = enough_results(search, 20, 10, SearchTuning(), reports=12, max_k=200)
    assert len(results) > 10 and asked == [20]
    asked.clear()
    crowded = [h for h in every if h.report.id in ("r0-2022", "r1-2022")] + every  # two reports lead
    hits, results = enough_results(lambda k: (asked.append(k), crowded[:k])[1], 10, 10, SearchTuning(),
                                   reports=12, max_k=200)
    # 10 hits: four results (two reports); 20: six; 40: enough
    assert asked == [10, 20, 40] and len(results) > 10


def test_a_small_index_or_hits_that_bring_nothing_new_stop_the_asking():
    few = ranked_hits(reports=5, per_report=8)  # at most 10 results, never an 11th
    asked: list[int] = []
    enough_results(lambda k: (asked.append(k), few[:k])[1], 20, 10, SearchTuning(), reports=5, max_k=200)
    assert asked == [20]
    asked.clear()
    one = ranked_hits(reports=1, per_report=300)  # a large index, but every hit from one report
    hits, results = enough_results(lambda k: (asked.append(k), one[:k])[1], 20, 10, SearchTuning(),
                                   reports=300, max_k=200)
    assert asked == [20, 40] and len(results) == 2
