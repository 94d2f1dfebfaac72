"""The Search page: the search box, filters that apply only once chosen, the active filters
above the results, result cards with their actions, paging, and saved searches.  The search
lives in the URL, so a link reproduces it."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from findings.councils import all_councils
from findings.errors import USER_ERRORS
from findings.library import Library
from findings.results import SORTS, enough_results, none_strong
from findings.saved import check_name
from findings.search import MAX_K
from findings.search_request import PAGE_SIZE, SCOPES, SearchRequest
from findings.vocabulary import MODES, TAG_FILTER_LABELS
from findings.webapp import state as url_state
from findings.webapp import views as wa
from findings.webapp.pages import results
from findings.webapp.pages.common import md, run_search, say, show_messages

URL_READ = "url_read"
URL_PROBLEMS = "url_problems"


def load_from_url(library: Library, bounds) -> None:
    """On a tab's first run: the widgets take the search the URL describes."""
    if st.session_state.get(URL_READ):
        return
    st.session_state[URL_READ] = True
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    indexed = wa.indexed_councils(library.snapshot().reports.values())
    request = SearchRequest.from_params(params, councils=indexed)
    st.session_state.update(url_state.state_from_request(request, bounds))
    st.session_state[URL_PROBLEMS] = list(request.problems)


def apply_request(request: SearchRequest, bounds) -> None:
    """Callback: show this search in the widgets (a saved search, a removed filter, a page)."""
    st.session_state.update(url_state.state_from_request(request, bounds))


def sidebar_filters(library: Library, bounds) -> None:
    reports = list(library.snapshot().reports.values())
    sb = st.sidebar
    sb.header("Filters")
    st.session_state.setdefault("f_councils", [])
    councils = wa.indexed_councils(reports)
    st.session_state["f_councils"] = [c for c in st.session_state["f_councils"] if c in councils]
    sb.multiselect("Councils", councils, key="f_councils", placeholder="Any council")
    if bounds and bounds[0] < bounds[1]:
        st.session_state["f_years"] = wa.fit_range(st.session_state.get("f_years"), bounds)
        sb.slider("Years", bounds[0], bounds[1], key="f_years")
    types = sorted({r.meta.report_type for r in reports})
    st.session_state["f_types"] = [t for t in st.session_state.get("f_types", []) if t in types]
    sb.multiselect("Report type", types, format_func=wa.report_type_label, key="f_types", placeholder="Any type")
    st.session_state.setdefault("f_judgement", None)
    st.session_state.setdefault("f_grade", None)
    judgement = sb.selectbox(
        "Judgement", [None, *wa.JUDGEMENT_OPTIONS], key="f_judgement", placeholder="Any judgement",
        format_func=lambda k: "Any judgement" if k is None else wa.judgement_label(k),
    )
    sb.selectbox(
        "Grade", wa.GRADE_OPTIONS, key="f_grade", disabled=judgement is None,
        placeholder="Choose a judgement first" if judgement is None else "Choose a grade",
        help="A grade filters only together with a judgement.",
    )
    st.session_state.setdefault("f_scope", "all")
    scope = sb.radio("Compare with", list(SCOPES), format_func=SCOPES.get, key="f_scope")
    if scope != "all":
        st.session_state.setdefault("f_scope_council", None)
        names = [c.name for c in all_councils() if c.current]
        sb.selectbox("Council", names, key="f_scope_council", placeholder="Choose a council")
    st.session_state.setdefault("f_tag", "")
    sb.radio("Findings", ["", *TAG_FILTER_LABELS], key="f_tag", format_func=lambda t: TAG_FILTER_LABELS.get(t, "All"),
             help="Strengths and areas for improvement as findings.tagging reads each paragraph")
    sb.checkbox("Include boilerplate paragraphs", key="f_boilerplate")
    saved_searches(library, bounds)


def saved_searches(library: Library, bounds) -> None:
    found = library.store.saved.saved_searches()
    if not found:
        return
    sb = st.sidebar
    sb.subheader("Saved searches")
    indexed = wa.indexed_councils(library.snapshot().reports.values())
    for saved in found:
        request = SearchRequest.from_params(saved.params, councils=indexed)
        sb.button(md(saved.name), key=f"saved:{saved.name}", on_click=_run_saved, args=(request, bounds),
                  icon=":material/bookmark:", type="tertiary", help=md(request.query))


def _run_saved(request: SearchRequest, bounds) -> None:
    apply_request(request, bounds)
    st.session_state[URL_PROBLEMS] = [p.replace("in the link", "in the saved search") for p in request.problems]


def page(library: Library, seeds: Path) -> SearchRequest:
    """Draw the page; returns the search it shows (for the URL)."""
    snapshot = library.snapshot()
    bounds = wa.year_bounds(snapshot.reports.values())
    load_from_url(library, bounds)
    sidebar_filters(library, bounds)
    st.title("Search inspection findings")
    notice = wa.sample_reports_notice(list(snapshot.reports.values()), seeds)
    st.caption(notice or f"{len(snapshot.reports)} reports indexed. Every result carries a citation you can check.")
    for problem in st.session_state.pop(URL_PROBLEMS, []):
        st.warning(md(problem))
    st.text_input("What are you looking for?", key="query", placeholder="e.g. domestic abuse over-optimism",
                  on_change=_first_page)
    examples = st.container(horizontal=True, gap="small")
    for example in wa.EXAMPLE_QUERIES:
        examples.button(example, key=f"example:{example}", on_click=_example, args=(example,),
                        icon=":material/search:", type="tertiary")
    st.session_state.setdefault("mode", "hybrid")
    st.radio("Mode", list(MODES), format_func=MODES.get, horizontal=True, key="mode", on_change=_first_page)
    request = url_state.request_from_state(st.session_state, bounds)
    active_filters(request, bounds)
    if not request.query:
        st.info("Type a few words, or click an example above.")
        return request
    expansion_switches(library, request)
    try:
        hits, arranged = results_for(library, request)
    except USER_ERRORS as exc:
        st.error(md(exc))
        return request
    if not hits:
        st.warning("Nothing matches; try fewer filters or other words.")
        return request
    last = (len(arranged) + PAGE_SIZE - 1) // PAGE_SIZE
    if request.page > last:  # a page beyond the results (a link made when there were more)
        request = url_state.with_page(request, last)
        st.session_state[url_state.KEYS["page"]] = last
    start = (request.page - 1) * PAGE_SIZE
    shown = arranged[start : start + PAGE_SIZE]
    st.session_state.setdefault("sort", "relevance")
    st.radio("Order", list(SORTS), format_func=SORTS.get, horizontal=True, key="sort", on_change=_first_page,
             label_visibility="collapsed")
    if none_strong(arranged[:PAGE_SIZE]):
        st.info("No result is a strong match for these words: the nearest findings are below. "
                "Try other words, or fewer filters.")
    results.cards(library, shown, request.query, first_rank=start + 1)
    pager(request, len(arranged), bounds)
    save_search_form(library, request)
    return request


def results_for(library: Library, request: SearchRequest):
    """(hits, results) for the page asked, and one result more when there is a next page."""

    def search(k: int):
        return run_search(library.settings, library.store.version(), request.query, k, request.mode,
                          request.filters(), request.unexpanded, request.expanded)

    return enough_results(search, request.k, request.page * PAGE_SIZE, library.settings.search,
                          len(library.snapshot().reports), MAX_K, sort=request.sort)


def _example(text: str) -> None:
    st.session_state["query"] = text
    _first_page()


def _first_page() -> None:
    st.session_state[url_state.KEYS["page"]] = 1


def expansion_switches(library: Library, request: SearchRequest) -> None:
    """What the glossary also searched for, each switchable: expansions on, report terms off."""
    glossary = library.glossary()
    for problem in glossary.problems:
        st.warning(problem)
    expansion = glossary.expand(request.query, request.unexpanded, request.expanded)
    known = [*expansion.terms, *expansion.offered]
    if not known:
        return
    labels = {t.term: t.label for t in known}
    st.pills(
        "Also searched for (click to switch a phrase off or on)", list(labels), format_func=labels.get,
        selection_mode="multi", default=[t.term for t in expansion.terms], key=f"expansions:{request.query}",
        on_change=_switch_expansions, args=(request.query, [t.term for t in expansion.terms], list(labels)),
    )
    for note in expansion.notes:
        st.caption(note)


def _switch_expansions(query: str, was_on: list[str], known: list[str]) -> None:
    chosen = set(st.session_state.get(f"expansions:{query}") or [])
    off = set(st.session_state.get("glossary_off") or []) - set(known)
    on = set(st.session_state.get("glossary_on") or []) - set(known)
    st.session_state["glossary_off"] = sorted(off | {t for t in known if t not in chosen and t in was_on})
    st.session_state["glossary_on"] = sorted(on | {t for t in known if t in chosen and t not in was_on})
    _first_page()


def active_filters(request: SearchRequest, bounds) -> None:
    """The filters in force, each removable with one click."""
    active = request.active()
    if not active:
        return
    row = st.container(horizontal=True, gap="small")
    row.caption("Filters in force:")
    for item in active:
        row.button(f"{md(item.label)}  ✕", key=f"unfilter:{item.key}", on_click=apply_request,
                   args=(request.without(item.key), bounds), help="Remove this filter")


def pager(request: SearchRequest, shown: int, bounds) -> None:
    """Previous and next pages of the `shown` results (`results_for` made one more than this
    page holds when there is a next page)."""
    last = (shown + PAGE_SIZE - 1) // PAGE_SIZE
    row = st.container(horizontal=True, gap="small", vertical_alignment="center")
    row.button("← Previous", key="page_prev", disabled=request.page <= 1, on_click=apply_request,
               args=(url_state.with_page(request, request.page - 1), bounds))
    row.caption(f"Page {request.page}" + ("" if request.page < last else f" of {last}"))
    row.button("Next →", key="page_next", disabled=request.page >= last, on_click=apply_request,
               args=(url_state.with_page(request, request.page + 1), bounds))


def save_search_form(library: Library, request: SearchRequest) -> None:
    pending = "save_search_go" in st.session_state.get("messages", {})
    with st.expander("Save this search", expanded=pending):
        name = st.text_input("Name", key="save_search_name", placeholder="e.g. Fostering near us")
        if st.button("Save", key="save_search_go"):  # never disabled: see collections.chooser
            try:
                clean = check_name(name, "saved search")
                library.store.saved.save_search(clean, request.to_params())
                say("save_search_go", "success", f"Saved as “{clean}”: it is listed in the sidebar.")
            except USER_ERRORS as exc:
                say("save_search_go", "error", str(exc))
            st.rerun()
        show_messages("save_search_go")
