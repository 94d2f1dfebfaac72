"""A result list a user can trust: near-identical paragraphs collapsed, at most two results
from one report (the rest folded under them as "n more from this report"), a match-strength
label on each, and newest first when asked.

`arrange(hits, tuning)` works on the hits of one search, best first, and keeps their order
otherwise.  Strength comes from `Hit.similarity` with thresholds calibrated on the development
set's judgements (`bench/strength.py`): at or above `strong_similarity` four in five hits were
judged relevant, below `weak_similarity` fewer than two in five, and in between about three in
five.  Keyword mode has no similarity, so no label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from findings.config import SearchTuning
from findings.models import Hit

STRENGTHS = ("strong", "fair", "weak")
SORTS = {"relevance": "Best match first", "newest": "Newest report first"}
PER_REPORT = 2
DUPLICATE_OVERLAP = 0.8  # shared word triples, of the shorter paragraph's, that make two paragraphs one
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Result:
    """One entry of the list: a hit, its strength, the near-identical paragraphs of other
    reports it stands for, and the further hits of its report folded under it."""

    hit: Hit
    strength: str | None = None
    duplicates: tuple[Hit, ...] = ()
    folded: tuple[Hit, ...] = field(default=())


def strength(hit: Hit, tuning: SearchTuning) -> str | None:
    if hit.similarity is None:
        return None
    if hit.similarity >= tuning.strong_similarity:
        return "strong"
    return "fair" if hit.similarity >= tuning.weak_similarity else "weak"


def arrange(
    hits: Sequence[Hit], tuning: SearchTuning, per_report: int = PER_REPORT, sort: str = "relevance"
) -> list[Result]:
    """The hits as results: duplicates collapsed into the first of them, a report's third and
    later hits folded under its second, sorted by relevance (as given) or newest first."""
    if sort not in SORTS:
        raise ValueError(f"unknown order '{sort}': use one of {', '.join(SORTS)}")
    kept: list[Hit] = []
    duplicates: dict[str, list[Hit]] = {}
    shingles: dict[str, set[tuple[str, ...]]] = {}
    for hit in hits:
        mine = _shingles(hit.paragraph.text)
        original = next((k for k in kept if _same(shingles[k.paragraph.id], mine)), None)
        if original is not None and original.report.id != hit.report.id:
            duplicates[original.paragraph.id].append(hit)
            continue
        kept.append(hit)
        duplicates[hit.paragraph.id] = []
        shingles[hit.paragraph.id] = mine
    shown: list[Hit] = []
    folded: dict[str, list[Hit]] = {}
    per: dict[str, list[Hit]] = {}
    for hit in kept:
        seen = per.setdefault(hit.report.id, [])
        if len(seen) < per_report:
            seen.append(hit)
            shown.append(hit)
            folded[hit.paragraph.id] = []
        else:
            folded[seen[-1].paragraph.id].append(hit)
    results = [
        Result(hit, strength(hit, tuning), tuple(duplicates[hit.paragraph.id]), tuple(folded[hit.paragraph.id]))
        for hit in shown
    ]
    if sort == "newest":
        results.sort(key=lambda r: r.hit.report.meta.when.toordinal() if r.hit.report.meta.when else 0, reverse=True)
    return results


def none_strong(results: Sequence[Result]) -> bool:
    """True when the list has labels and none of them is strong: worth telling the user."""
    labelled = [r.strength for r in results if r.strength is not None]
    return bool(labelled) and "strong" not in labelled


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(len(words) - 2, 1))}


def _same(a: set, b: set) -> bool:
    if not a or not b:
        return False
    return len(a & b) >= DUPLICATE_OVERLAP * min(len(a), len(b))


def enough_results(
    search: Callable[[int], Sequence[Hit]], k: int, wanted: int, tuning: SearchTuning, reports: int,
    max_k: int, sort: str = "relevance",
) -> tuple[Sequence[Hit], list[Result]]:
    """(hits, results) with more than `wanted` results when the index has them, so that a page
    of results and whether a next one exists are known.  Folding leaves fewer results than hits,
    so `search(k)` is asked again with twice the hits until there are enough, the hits run out,
    `max_k` is reached, or twice the hits brought no new result (a few reports hold them all).
    An index of `reports` reports holds at most PER_REPORT results a report: when that cannot
    exceed `wanted`, one search is enough."""
    before = -1
    while True:
        hits = search(k)
        results = arrange(hits, tuning, sort=sort)
        enough = len(results) > wanted or PER_REPORT * reports <= wanted
        if enough or len(hits) < k or k >= max_k or len(results) == before:
            return hits, results
        k, before = min(k * 2, max_k), len(results)
