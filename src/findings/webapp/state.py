"""The search page's widget values <-> a `SearchRequest` <-> the page's URL.

Widgets keep their values in `st.session_state` under the keys below; the URL carries the same
search as `SearchRequest.to_params()`.  On a fresh page the URL fills the widgets; after every
run the widgets write the URL, so a search can be bookmarked, shared and reproduced.  A year
range left at its full extent is no filter.  Nothing here imports streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from findings.search_request import SearchRequest

KEYS = {
    "query": "query",
    "mode": "mode",
    "councils": "f_councils",
    "years": "f_years",
    "report_types": "f_types",
    "judgement": "f_judgement",
    "grade": "f_grade",
    "scope": "f_scope",
    "scope_council": "f_scope_council",
    "include_boilerplate": "f_boilerplate",
    "page": "results_page",
    "sort": "sort",
    "tag": "f_tag",
    "unexpanded": "glossary_off",
    "expanded": "glossary_on",
}
VIEW_PARAM = "view"  # which page of the app: search (default), collections, reports
COLLECTION_PARAM = "collection"


def request_from_state(state: Mapping[str, Any], year_bounds: tuple[int, int] | None) -> SearchRequest:
    """The search the widgets describe now."""
    from_year = to_year = None
    years = state.get(KEYS["years"])
    if years and year_bounds and len(years) == 2:
        from_year = int(years[0]) if years[0] > year_bounds[0] else None
        to_year = int(years[1]) if years[1] < year_bounds[1] else None
    judgement = state.get(KEYS["judgement"]) or None
    scope = state.get(KEYS["scope"]) or "all"
    return SearchRequest(
        query=" ".join(str(state.get(KEYS["query"]) or "").split()),
        mode=state.get(KEYS["mode"]) or "hybrid",
        councils=tuple(state.get(KEYS["councils"]) or ()),
        from_year=from_year,
        to_year=to_year,
        report_types=tuple(state.get(KEYS["report_types"]) or ()),
        judgement=judgement,
        grade=(state.get(KEYS["grade"]) or None) if judgement else None,
        scope=scope,
        scope_council=(state.get(KEYS["scope_council"]) or None) if scope != "all" else None,
        include_boilerplate=bool(state.get(KEYS["include_boilerplate"])),
        page=int(state.get(KEYS["page"]) or 1),
        sort=state.get(KEYS["sort"]) or "relevance",
        tag=state.get(KEYS["tag"]) or None,
        unexpanded=tuple(state.get(KEYS["unexpanded"]) or ()),
        expanded=tuple(state.get(KEYS["expanded"]) or ()),
    )


def state_from_request(request: SearchRequest, year_bounds: tuple[int, int] | None) -> dict[str, Any]:
    """Widget values that show this search (the years clipped to what is indexed)."""
    values: dict[str, Any] = {
        KEYS["query"]: request.query,
        KEYS["mode"]: request.mode,
        KEYS["councils"]: list(request.councils),
        KEYS["report_types"]: list(request.report_types),
        KEYS["judgement"]: request.judgement,
        KEYS["grade"]: request.grade,
        KEYS["scope"]: request.scope,
        KEYS["scope_council"]: request.scope_council,
        KEYS["include_boilerplate"]: request.include_boilerplate,
        KEYS["page"]: request.page,
        KEYS["sort"]: request.sort,
        KEYS["tag"]: request.tag or "",  # "" is the radio's "All"
        KEYS["unexpanded"]: list(request.unexpanded),
        KEYS["expanded"]: list(request.expanded),
    }
    if year_bounds:
        low = max(year_bounds[0], min(request.from_year or year_bounds[0], year_bounds[1]))
        high = min(year_bounds[1], max(request.to_year or year_bounds[1], low))
        values[KEYS["years"]] = (low, high)
    return values


def params_for(request: SearchRequest, view: str = "search", collection: str | None = None) -> dict[str, list[str]]:
    """The URL parameters of the page: the search, which page of the app, which collection."""
    params = request.to_params()
    if view != "search":
        params[VIEW_PARAM] = [view]
    if collection:
        params[COLLECTION_PARAM] = [collection]
    return params


def first(params: Mapping[str, Sequence[str] | str], key: str) -> str | None:
    value = params.get(key)
    if isinstance(value, str):
        return value or None
    return value[0] if value else None


def with_page(request: SearchRequest, page: int) -> SearchRequest:
    return replace(request, page=max(1, page))
