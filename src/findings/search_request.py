"""A search as a user asks it, and the same search as URL parameters.

`SearchRequest` holds what the search page's widgets hold (the words, the mode, each filter as
chosen, the results page).  It turns into `Filters` only for what the user has finished
choosing: a grade with no judgement, or "statistical neighbours of" with no council yet, is no
filter.  `to_params` / `from_params` carry it in a URL (`st.query_params`) or a saved search,
so a link reproduces the search; a tampered or out-of-date link gives one sentence for each
value left out, never an error page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from findings.search import MAX_K, Filters
from findings.vocabulary import (
    GRADES,
    JUDGEMENT_KEYS,
    MODES,
    REPORT_TYPES,
    TAG_FILTER_LABELS,
    judgement_label,
    report_type,
)

PAGE_SIZE = 10
MAX_PAGE = MAX_K // (PAGE_SIZE * 2)
YEARS = (2000, 2100)  # a year outside these in a link is a mistake
SCOPES: dict[str, str] = {
    "all": "All councils",
    "region": "Same region as",
    "neighbours": "Statistical neighbours of",
}
MAX_QUERY_PARAM = 1000
MAX_GLOSSARY_SWITCHES = 20


@dataclass(frozen=True)
class ActiveFilter:
    """One filter in force, as shown above the results: `key` names what `without` drops."""

    key: str
    label: str


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    mode: str = "hybrid"
    councils: tuple[str, ...] = ()
    from_year: int | None = None
    to_year: int | None = None
    report_types: tuple[str, ...] = ()
    judgement: str | None = None
    grade: str | None = None
    scope: str = "all"
    scope_council: str | None = None
    include_boilerplate: bool = False
    page: int = 1
    sort: str = "relevance"  # or "newest" (findings.results.SORTS)
    tag: str | None = None  # only strengths ("strength") or areas for improvement ("weakness")
    unexpanded: tuple[str, ...] = ()  # glossary entries switched off for this search
    expanded: tuple[str, ...] = ()  # glossary entries switched on (report terms, offered only)
    problems: tuple[str, ...] = field(default=(), compare=False)  # what a link got wrong

    # --- what it searches -----------------------------------------------------------------------

    def filters(self) -> Filters:
        """The filters the user has finished choosing (see the module docstring)."""
        judgements = ((self.judgement, self.grade),) if self.judgement and self.grade else ()
        council = self.scope_council if self.scope != "all" else None
        return Filters(
            authorities=self.councils,
            from_year=self.from_year,
            to_year=self.to_year,
            report_types=self.report_types,
            judgements=judgements,
            region_of=council if self.scope == "region" else None,
            neighbours_of=council if self.scope == "neighbours" else None,
            include_boilerplate=self.include_boilerplate,
            tags=(self.tag,) if self.tag else (),
        )

    @property
    def k(self) -> int:
        """How many hits the current page needs: twice its results, since a report's third and
        later hits and near-identical paragraphs are folded into others (findings.results)."""
        return min(self.page * PAGE_SIZE * 2, MAX_K)

    def active(self) -> list[ActiveFilter]:
        """The filters in force, each with a label a user reads and a key to remove it."""
        shown = [ActiveFilter(f"council:{c}", f"Council: {c}") for c in self.councils]
        if self.from_year and self.to_year:
            shown.append(ActiveFilter("years", f"Years: {self.from_year}-{self.to_year}"))
        elif self.from_year:
            shown.append(ActiveFilter("years", f"From {self.from_year}"))
        elif self.to_year:
            shown.append(ActiveFilter("years", f"Up to {self.to_year}"))
        shown += [ActiveFilter(f"type:{t}", f"Type: {report_type(t).label}") for t in self.report_types]
        if self.judgement and self.grade:
            shown.append(ActiveFilter("judgement", f"{judgement_label(self.judgement)}: {self.grade}"))
        if self.scope != "all" and self.scope_council:
            shown.append(ActiveFilter("scope", f"{SCOPES[self.scope]} {self.scope_council}"))
        if self.include_boilerplate:
            shown.append(ActiveFilter("boilerplate", "Including boilerplate"))
        if self.tag:
            shown.append(ActiveFilter("tag", TAG_FILTER_LABELS[self.tag]))
        return shown

    def without(self, key: str) -> SearchRequest:
        """This request with one active filter removed (and back on the first page)."""
        kind, _, value = key.partition(":")
        changes: dict = {"page": 1}
        if kind == "council":
            changes["councils"] = tuple(c for c in self.councils if c != value)
        elif kind == "years":
            changes.update(from_year=None, to_year=None)
        elif kind == "type":
            changes["report_types"] = tuple(t for t in self.report_types if t != value)
        elif kind == "judgement":
            changes.update(judgement=None, grade=None)
        elif kind == "scope":
            changes.update(scope="all", scope_council=None)
        elif kind == "boilerplate":
            changes["include_boilerplate"] = False
        elif kind == "tag":
            changes["tag"] = None
        return replace(self, **changes)

    # --- as URL parameters ----------------------------------------------------------------------

    def to_params(self) -> dict[str, list[str]]:
        """The request as URL parameters (only what differs from a blank search)."""
        params: dict[str, list[str]] = {}
        if self.query:
            params["q"] = [self.query]
        if self.mode != "hybrid":
            params["mode"] = [self.mode]
        if self.councils:
            params["council"] = list(self.councils)
        if self.from_year:
            params["from"] = [str(self.from_year)]
        if self.to_year:
            params["to"] = [str(self.to_year)]
        if self.report_types:
            params["type"] = list(self.report_types)
        if self.judgement:
            params["judgement"] = [self.judgement]
        if self.grade:
            params["grade"] = [self.grade]
        if self.scope != "all":
            params["scope"] = [self.scope]
        if self.scope_council:
            params["near"] = [self.scope_council]
        if self.include_boilerplate:
            params["boilerplate"] = ["1"]
        if self.page > 1:
            params["page"] = [str(self.page)]
        if self.sort != "relevance":
            params["sort"] = [self.sort]
        if self.tag:
            params["tag"] = [self.tag]
        if self.unexpanded:
            params["noexpand"] = list(self.unexpanded)
        if self.expanded:
            params["expand"] = list(self.expanded)
        return params

    @classmethod
    def from_params(
        cls, params: Mapping[str, Sequence[str] | str], councils: Iterable[str] | None = None
    ) -> SearchRequest:
        """The request a URL or a saved search describes.  Each value that cannot be used is
        left out with one sentence in `problems`; `councils`, when given, are the councils
        indexed now (a council with no reports left is named in a sentence, not searched)."""
        reader = _Reader(params)
        request = cls(
            query=reader.one("q")[:MAX_QUERY_PARAM],
            mode=reader.choice("mode", MODES, "search mode") or "hybrid",
            councils=reader.councils("council", councils),
            from_year=reader.year("from"),
            to_year=reader.year("to"),
            report_types=tuple(reader.choices("type", REPORT_TYPES, "report type")),
            judgement=reader.choice("judgement", JUDGEMENT_KEYS, "judgement"),
            grade=reader.choice("grade", GRADES, "grade"),
            scope=reader.choice("scope", SCOPES, "comparison") or "all",
            scope_council=next(iter(reader.councils("near", None)), None),
            include_boilerplate=reader.one("boilerplate") in ("1", "true", "yes"),
            page=reader.page(),
            sort=reader.choice("sort", ("relevance", "newest"), "order") or "relevance",
            tag=reader.choice("tag", ("strength", "weakness"), "kind of finding"),
            unexpanded=tuple(dict.fromkeys(reader.all("noexpand")[:MAX_GLOSSARY_SWITCHES])),
            expanded=tuple(dict.fromkeys(reader.all("expand")[:MAX_GLOSSARY_SWITCHES])),
        )
        if request.from_year and request.to_year and request.from_year > request.to_year:
            reader.problems.append(
                f"The years {request.from_year}-{request.to_year} in the link are back to front; they were swapped."
            )
            request = replace(request, from_year=request.to_year, to_year=request.from_year)
        return replace(request, problems=tuple(reader.problems))


class _Reader:
    """Reads URL parameters one by one, noting a sentence for each value it leaves out."""

    def __init__(self, params: Mapping[str, Sequence[str] | str]) -> None:
        self.params = params
        self.problems: list[str] = []

    def all(self, key: str) -> list[str]:
        value = self.params.get(key, [])
        values = [value] if isinstance(value, str) else list(value)
        return [" ".join(str(v).split()) for v in values if str(v).strip()][:200]

    def one(self, key: str) -> str:
        values = self.all(key)
        return values[0] if values else ""

    def choice(self, key: str, allowed: Iterable[str], what: str) -> str | None:
        value = self.one(key)
        if not value:
            return None
        allowed = tuple(allowed)
        if value in allowed:
            return value
        self.problems.append(f"The {what} '{_short(value)}' in the link is not one findings knows; it was left out.")
        return None

    def choices(self, key: str, allowed: Iterable[str], what: str) -> list[str]:
        allowed = tuple(allowed)
        kept = []
        for value in self.all(key):
            if value in allowed:
                kept.append(value)
            else:
                self.problems.append(
                    f"The {what} '{_short(value)}' in the link is not one findings knows; it was left out."
                )
        return list(dict.fromkeys(kept))

    def councils(self, key: str, indexed: Iterable[str] | None) -> tuple[str, ...]:
        from findings.councils import canonical_authority

        known = set(indexed) if indexed is not None else None
        kept = []
        for value in self.all(key):
            name = canonical_authority(value)
            if name is None:
                self.problems.append(f"'{_short(value)}' in the link is not an English council; it was left out.")
            elif known is not None and name not in known:
                self.problems.append(f"{name} has no reports in this index now; it was left out of the search.")
            else:
                kept.append(name)
        return tuple(dict.fromkeys(kept))

    def year(self, key: str) -> int | None:
        value = self.one(key)
        if not value:
            return None
        if value.isdigit() and YEARS[0] <= int(value) <= YEARS[1]:
            return int(value)
        self.problems.append(
            f"The year '{_short(value)}' in the link is not a year findings can search; it was left out."
        )
        return None

    def page(self) -> int:
        value = self.one("page")
        if not value:
            return 1
        if not value.isdigit() or int(value) < 1:
            self.problems.append(
                f"The page '{_short(value)}' in the link is not a page number; showing the first page."
            )
            return 1
        if int(value) > MAX_PAGE:
            self.problems.append(f"Results stop at page {MAX_PAGE}; showing that page.")
            return MAX_PAGE
        return int(value)


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"
