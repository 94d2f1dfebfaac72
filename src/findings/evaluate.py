"""Search quality on the development query set: nDCG@10, Recall@20 and MRR per mode.

The dev set (`data/devset.json`) holds analyst queries with graded judgements of paragraphs:
2 = a direct finding a careful reader would cite, 1 = relevant or partial, 0 = judged not
relevant.  Paragraphs nobody judged count as gain 0.  Each judgement names its paragraph by id
and also by the report's source file, the paragraph number and the first 60 characters of its
text, so when the splitter or report ids change, `evaluate` re-matches it by (source, number)
or (source, text) and reports what it cannot find as missing (and never found).

The dev set also lists the reports it was judged over (`reports`, as "<folder>/<file name>").
Search is restricted to those reports, so an index holding more of the corpus than was judged
still gives comparable figures instead of unjudged paragraphs pushing judged ones out.

Each query has a class, its `style`: "report" (worded like the reports), "plain" (everyday
words) or "mixed" (everyday words with some of the trade's jargon).  Besides the means over
all queries, each mode reports its means over the queries of each class.

`evaluate(store, search)` runs every query in every mode through the `search` it is given and
returns an `EvalReport`; `render_table` prints the modes side by side.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from findings.vocabulary import MODES as MODE_NAMES

if TYPE_CHECKING:
    from findings.models import Hit
    from findings.search import Filters
    from findings.store import Store

    SearchFunction = Callable[[str, int, str, Filters], list[Hit]]

logger = logging.getLogger(__name__)

MODES = tuple(MODE_NAMES)
RECALL_AT = 20
TEXT_PREFIX = 60
# Query classes, in the order they are shown; a dev set may add others (shown after these).
STYLES = ("report", "plain", "mixed")


# --- the dev set ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """One graded paragraph.  `source` is the report file as "<folder>/<file name>"."""

    paragraph: str
    source: str
    number: int | None
    text: str
    grade: int


@dataclass(frozen=True)
class DevQuery:
    id: str
    query: str
    judgements: tuple[Judgement, ...]
    style: str = "report"  # one of STYLES: "report", "plain" or "mixed"

    @property
    def grades(self) -> dict[str, int]:
        return {j.paragraph: j.grade for j in self.judgements}


@dataclass(frozen=True)
class DevSet:
    queries: tuple[DevQuery, ...]
    reports: tuple[str, ...] = ()  # sources ("<folder>/<file name>") judged over; () = all


def default_devset_path() -> Path:
    return Path(str(resources.files("findings") / "data" / "devset.json"))


def load_devset(path: str | Path | None = None) -> DevSet:
    """The queries and judgements of a dev set file (the packaged one by default)."""
    path = Path(path) if path else default_devset_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DevsetError(f"cannot read the dev set {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise DevsetError(f"the dev set {path} is not valid JSON: {exc}") from exc
    queries = []
    for item in data.get("queries", []):
        judgements = tuple(
            Judgement(
                paragraph=j["paragraph"], source=j.get("source", ""), number=j.get("number"),
                text=j.get("text", ""), grade=int(j["grade"]),
            )
            for j in item.get("judgements", [])
        )
        bad = [j.grade for j in judgements if j.grade not in (0, 1, 2)]
        if bad:
            raise DevsetError(f"query {item.get('id')!r} in {path} has grades outside 0-2: {bad}")
        queries.append(
            DevQuery(id=item["id"], query=item["query"], judgements=judgements,
                     style=item.get("style", "report"))
        )
    return DevSet(queries=tuple(queries), reports=tuple(data.get("reports", ())))


class DevsetError(ValueError):
    """The dev set file is missing or malformed."""


def source_key(source: str) -> str:
    """A report source as "<folder>/<file name>", the part that is stable across machines."""
    parts = Path(source).parts
    return "/".join(parts[-2:])


# --- metrics --------------------------------------------------------------------------------


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain: sum of gain / log2(rank + 1), ranks from 1."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k of a ranked list of paragraph ids; unjudged ids have gain 0.

    The ideal ranking is every judged paragraph sorted by grade, so a relevant paragraph that
    the search never returns still lowers the score.  0.0 when nothing is judged relevant.
    """
    ideal = dcg(sorted((g for g in grades.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(pid, 0) for pid in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = RECALL_AT) -> float:
    """Share of the paragraphs graded >= 1 that appear in the top k."""
    relevant = {pid for pid, g in grades.items() if g >= 1}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    """1 / rank of the first paragraph graded >= 1; 0.0 when there is none."""
    for rank, pid in enumerate(ranked, start=1):
        if grades.get(pid, 0) >= 1:
            return 1.0 / rank
    return 0.0


# --- re-matching judgements to the index ----------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """Where each dev-set paragraph id sits in this index now (or that it is missing)."""

    current: dict[str, str]  # dev-set paragraph id -> paragraph id in the index
    rematched: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def resolve(store: Store, judgements: Iterable[Judgement]) -> Resolution:
    """Map judged paragraph ids onto the index: by id, else by (source, number), else text."""
    judgements = list({j.paragraph: j for j in judgements}.values())
    current, rematched, missing = {}, [], []
    sources = store.report_sources()
    by_source = {source_key(s): rid for rid, s in sources.items()}
    for j in judgements:
        paragraph = store.paragraph(j.paragraph)
        same_report = paragraph and (not j.source or source_key(sources[paragraph.report_id]) == j.source)
        # An unnumbered paragraph's key ("s19") can name another paragraph once the splitter
        # changes: the id counts only when the text still starts as judged.
        if same_report and paragraph.text.startswith(opening(j.text)):
            current[j.paragraph] = paragraph.id
            continue
        found = _rematch(store, by_source.get(j.source), j)
        if found:
            current[j.paragraph] = found
            rematched.append(j.paragraph)
        else:
            missing.append(j.paragraph)
    if rematched:
        logger.info("re-matched %d judged paragraphs by source and number", len(rematched))
    return Resolution(current, tuple(rematched), tuple(missing))


def opening(text: str) -> str:
    """The judged opening of a paragraph as the current readers give it: a bullet mark that
    an earlier reader kept in the text ("\uf06e ...") is not part of it."""
    from findings.readers import clean_text

    return clean_text(text[:TEXT_PREFIX]).lstrip().removeprefix("- ").strip()


def _rematch(store: Store, report_id: str | None, j: Judgement) -> str | None:
    if report_id is None:
        return None
    prefix = opening(j.text)
    found = store.paragraphs_numbered(report_id, j.number) if j.number is not None else []
    if len(found) > 1:  # the same number twice: prefer the one whose text still starts alike
        found = [p for p in found if p.text.startswith(prefix)] or found[:1]
    if not found and prefix:
        found = store.paragraphs_starting(report_id, prefix)
    return found[0].id if found else None


# --- running it -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryScore:
    query_id: str
    query: str
    mode: str
    ndcg: float
    recall: float
    mrr: float
    relevant: int  # paragraphs graded >= 1 (found in the index or not)
    style: str = "report"


@dataclass(frozen=True)
class ClassScore:
    """A mode's means over the queries of one class (`DevQuery.style`)."""

    style: str
    ndcg: float
    recall: float
    mrr: float
    queries: int


@dataclass(frozen=True)
class ModeScore:
    mode: str
    ndcg: float
    recall: float
    mrr: float
    queries: int
    classes: tuple[ClassScore, ...] = ()  # the same means for each query class

    def of_class(self, style: str) -> ClassScore:
        return next(c for c in self.classes if c.style == style)


@dataclass(frozen=True)
class EvalReport:
    k: int
    devset: str
    modes: tuple[ModeScore, ...]
    rows: tuple[QueryScore, ...] = ()
    missing: tuple[str, ...] = ()  # judged paragraph ids not found in the index
    rematched: tuple[str, ...] = field(default=())
    missing_reports: tuple[str, ...] = ()  # judged-over reports not in the index

    def mode(self, name: str) -> ModeScore:
        return next(m for m in self.modes if m.mode == name)


def evaluate(
    store: Store,
    search: SearchFunction,
    devset_path: str | Path | None = None,
    modes: Sequence[str] = MODES,
    k: int = 10,
) -> EvalReport:
    """Run every dev-set query in every mode through `search(query, n, mode, filters)` (such
    as `Library.search`) and score the rankings against the judgements."""
    from findings.search import Filters

    devset = load_devset(devset_path)
    queries = devset.queries
    if not queries:
        raise DevsetError("the dev set has no queries")
    report_ids, missing_reports = judged_reports(store, devset.reports)
    if devset.reports and not report_ids:
        raise DevsetError(
            f"the index holds none of the {len(devset.reports)} reports the dev set was judged over;"
            " ingest them first (see the dev set's \"reports\" list)"
        )
    filters = Filters(report_ids=tuple(sorted(report_ids)))
    resolution = resolve(store, (j for q in queries for j in q.judgements))
    depth = max(k, RECALL_AT)
    rows = []
    for q in queries:
        grades = {
            resolution.current[pid]: grade for pid, grade in q.grades.items() if pid in resolution.current
        }
        # Missing relevant paragraphs still count in the ideal ranking and in recall.
        grades.update({f"missing:{pid}": g for pid, g in q.grades.items() if pid not in resolution.current})
        for mode in modes:
            ranked = [hit.paragraph.id for hit in search(q.query, depth, mode, filters)]
            rows.append(
                QueryScore(
                    query_id=q.id, query=q.query, mode=mode,
                    ndcg=ndcg_at_k(ranked, grades, k), recall=recall_at_k(ranked, grades, RECALL_AT),
                    mrr=reciprocal_rank(ranked, grades),
                    relevant=sum(1 for g in grades.values() if g >= 1), style=q.style,
                )
            )
    present = {q.style for q in queries}
    styles = [s for s in STYLES if s in present] + sorted(present - set(STYLES))
    summaries = []
    for mode in modes:
        mine = [r for r in rows if r.mode == mode]
        summaries.append(
            ModeScore(
                mode=mode, queries=len(mine),
                ndcg=_mean(r.ndcg for r in mine), recall=_mean(r.recall for r in mine),
                mrr=_mean(r.mrr for r in mine),
                classes=tuple(_class_score(style, [r for r in mine if r.style == style]) for style in styles),
            )
        )
    return EvalReport(
        k=k, devset=str(devset_path or default_devset_path()), modes=tuple(summaries),
        rows=tuple(rows), missing=resolution.missing, rematched=resolution.rematched,
        missing_reports=missing_reports,
    )


def judged_reports(store: Store, sources: Sequence[str]) -> tuple[set[str], tuple[str, ...]]:
    """Ids of the index's reports among `sources`, and the sources it lacks."""
    if not sources:
        return set(), ()
    by_source = {source_key(s): rid for rid, s in store.report_sources().items()}
    found = {by_source[s] for s in sources if s in by_source}
    return found, tuple(s for s in sources if s not in by_source)


def _class_score(style: str, rows: Sequence[QueryScore]) -> ClassScore:
    return ClassScore(
        style=style, queries=len(rows), ndcg=_mean(r.ndcg for r in rows),
        recall=_mean(r.recall for r in rows), mrr=_mean(r.mrr for r in rows),
    )


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


# --- views ----------------------------------------------------------------------------------


def render_table(report: EvalReport, per_query: bool = False) -> str:
    """The modes side by side, over all queries and then for each query class; with
    `per_query`, one line per query as well."""
    modes = [m.mode for m in report.modes]
    metrics = (f"nDCG@{report.k}", f"Recall@{RECALL_AT}", "MRR")
    width = max(len(m) for m in metrics) + 4
    lines = [f"{'':<{width}}" + "".join(f"{m:>10}" for m in modes)]
    lines += _metric_lines(metrics, report.modes, width)
    for c in report.modes[0].classes if report.modes else ():
        lines.append(f"{c.style} ({c.queries} queries)")
        lines += _metric_lines(metrics, [m.of_class(c.style) for m in report.modes], width, indent=2)
    queries = report.modes[0].queries if report.modes else 0
    lines.append(f"{queries} queries from {report.devset}")
    if report.rematched:
        lines.append(f"{len(report.rematched)} judged paragraphs re-matched by report and number")
    if report.missing:
        lines.append(f"{len(report.missing)} judged paragraphs not in this index (counted as not found)")
    if report.missing_reports:
        lines.append(f"{len(report.missing_reports)} judged reports not in this index")
    if per_query:
        lines.append("")
        lines.append(f"{'query':<52}" + "".join(f"{m[:3] + ' nDCG':>10}" for m in modes) + f"{'relevant':>10}")
        by_query: dict[str, dict[str, QueryScore]] = {}
        for row in report.rows:
            by_query.setdefault(row.query_id, {})[row.mode] = row
        for scores in by_query.values():
            first = next(iter(scores.values()))
            text = first.query if len(first.query) <= 50 else first.query[:47] + "..."
            lines.append(
                f"{text:<52}" + "".join(f"{scores[m].ndcg:>10.3f}" for m in modes) + f"{first.relevant:>10}"
            )
    return "\n".join(lines)


def _metric_lines(
    metrics: Sequence[str], scores: Sequence[ModeScore | ClassScore], width: int, indent: int = 0
) -> list[str]:
    return [
        " " * indent + f"{label:<{width - indent}}" + "".join(f"{getattr(s, attr):>10.3f}" for s in scores)
        for label, attr in zip(metrics, ("ndcg", "recall", "mrr"), strict=True)
    ]
