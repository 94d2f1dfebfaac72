"""The findings web app: a thin view over findings.library and findings.webapp.

`streamlit run app.py` serves the index in $FINDINGS_INDEX (default ./index), first building it
from seeds/ when it is empty.  The pages are drawn by `findings.webapp.pages`; what the page
shows (the search, the app page, the collection) lives in the URL.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from findings.config import Settings
from findings.errors import USER_ERRORS, IngestLocked
from findings.library import Library
from findings.webapp import state as url_state
from findings.webapp import views as wa
from findings.webapp.pages import analysis, collections, reports, search
from findings.webapp.pages.common import CURRENT_COLLECTION, current_collection, get_library, md

SEEDS = Path(__file__).resolve().parent / "seeds"
VIEWS = {"search": "Search", "collections": "Collections", "compare": "Compare", "reports": "Reports"}
KEPT = ("query", "mode", "f_councils", "f_years", "f_types", "f_judgement", "f_grade", "f_scope",
        "f_scope_council", "f_boilerplate", "f_tag", "results_page", "glossary_off", "glossary_on", "theme",
        "history_council")
# Focus the search box once, on a tab's first load, so it is the first thing the keyboard reaches.
FOCUS_SEARCH = """<script>
const box = window.parent.document.querySelector('input[aria-label="What are you looking for?"]');
if (box) { box.focus(); }
</script>"""

st.set_page_config(page_title="findings", page_icon="🔎", layout="wide")


def ensure_index(library: Library) -> None:
    """Build the index from seeds/ when empty (first run); embed paragraphs lacking vectors."""
    if missing := library.missing_vectors():
        with st.spinner(f"Embedding {missing} paragraphs for {md(library.embedder.name)} (once) …"):
            library.reindex()
    if library.store.untagged(limit=1):
        with st.spinner("Tagging strengths and areas for improvement in the reports (once) …"):
            library.tag_untagged()
    if library.store.report_ids():
        return
    st.info(f"First run: building the index in {md(library.settings.index_dir)} from {SEEDS.name}/ …")
    bar = st.progress(0.0, text="Starting")
    try:
        summary = library.ingest([SEEDS], progress=wa.progress_wrapper(lambda f, t: bar.progress(f, text=t)))
    except IngestLocked as exc:
        st.warning(f"{md(exc)}. Reload the page in a minute.")
        st.stop()
    st.success(f"Index built: {summary.line()}.")


def choose_view(library: Library) -> str:
    """The page to show: the sidebar's choice, first taken from the URL (`view`, `collection`)."""
    if "view" not in st.session_state:
        wanted = url_state.first(st.query_params, url_state.VIEW_PARAM) or "search"
        st.session_state["view"] = wanted if wanted in VIEWS else "search"
        named = url_state.first(st.query_params, url_state.COLLECTION_PARAM)
        if named and library.store.saved.collection(named) is not None:
            st.session_state[CURRENT_COLLECTION] = library.store.saved.collection(named).name
    view = st.sidebar.radio("Page", list(VIEWS), format_func=VIEWS.get, key="view")
    collection = current_collection(library)
    size = library.store.saved.collection(collection).size
    st.sidebar.caption(f"Adding to “{md(collection)}” ({size} paragraphs); change it on the Collections page.")
    return view


def main() -> None:
    for key in KEPT:  # keep widget values while their page is not shown
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    st.html(wa.CARD_CSS)
    settings = Settings.load()
    try:
        library = get_library(str(settings.index_dir.resolve()), settings.model)
    except USER_ERRORS as exc:  # a damaged index, a missing model: one sentence, no traceback
        st.error(md(exc))
        st.stop()
    try:
        show(library)
    except USER_ERRORS as exc:  # a full disk, an ingest running elsewhere: one sentence, no traceback
        st.error(md(exc))


def show(library: Library) -> None:
    ensure_index(library)
    library.warm()  # the vector index loads while the page is drawn and the first question typed
    view = choose_view(library)
    request, collection = None, None
    if view == "collections":
        collection = collections.page(library)
    elif view == "reports":
        reports.page(library)
    elif view == "compare":
        analysis.compare_page(library)
    else:
        request = search.page(library, SEEDS)
    if request is None:  # another page: keep the search the widgets hold in the URL
        bounds = wa.year_bounds(library.snapshot().reports.values())
        search.load_from_url(library, bounds)  # a tab opened (or reloaded) on this page keeps its link's search
        request = url_state.request_from_state(st.session_state, bounds)
    params = url_state.params_for(request, view, collection)
    if params != {key: st.query_params.get_all(key) for key in st.query_params}:
        st.query_params.from_dict(params)
    if not st.session_state.get("focused") and view == "search":
        st.session_state["focused"] = True
        st.iframe(FOCUS_SEARCH, height=1)


main()
