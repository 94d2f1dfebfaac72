"""The findings web app: a thin view over findings.library, .webapp and .collection.

`streamlit run app.py` serves the index in $FINDINGS_INDEX (default ./index), first building it
from seeds/ when it is empty.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from findings.config import Settings
from findings.councils import all_councils
from findings.errors import USER_ERRORS
from findings.library import Library
from findings.serialise import report_line
from findings.vocabulary import EXPORT_FORMATS, MODES
from findings.webapp import collection
from findings.webapp import views as wa

SEEDS = Path(__file__).resolve().parent / "seeds"
PAGES = ("Search", "Selection", "Collection")
KEPT = ("query", "mode", "f_councils", "f_years", "f_types", "f_judgement", "f_grade", "f_scope",
        "f_scope_council", "f_boilerplate", "theme", "history_council")

st.set_page_config(page_title="findings", page_icon="🔎", layout="wide")


@st.cache_resource(show_spinner="Loading the embedding model…")
def get_embedder(model: str):
    from findings.embedding import load_embedder

    embedder = load_embedder(model)
    embedder.encode_query("warm up")
    return embedder


@st.cache_resource(show_spinner="Opening the index…")
def get_library(index_dir: str, model: str) -> Library:
    return Library(Settings(Path(index_dir), model), embedder=get_embedder(model))


@st.cache_data(max_entries=64, show_spinner="Searching…")
def run_search(settings: Settings, generation: int, query: str, k: int, mode: str, filters):
    return get_library(str(settings.index_dir), settings.model).search(query, k, mode, filters)


@st.cache_data(max_entries=64, show_spinner="Finding similar paragraphs…")
def run_similar(settings: Settings, generation: int, paragraph_id: str, scope: str):
    library = get_library(str(settings.index_dir), settings.model)
    return wa.similar_groups(library, paragraph_id, scope)


def ensure_index(library: Library) -> None:
    """Build the index from seeds/ when empty (first run); embed paragraphs lacking vectors."""
    if missing := library.missing_vectors():
        with st.spinner(f"Embedding {missing} paragraphs for {library.embedder.name} (once) …"):
            library.reindex()
    if library.store.report_ids():
        return
    st.info(f"First run: building the index in {library.settings.index_dir} from {SEEDS.name}/ …")
    bar = st.progress(0.0, text="Starting")
    try:
        summary = library.ingest([SEEDS], progress=wa.progress_wrapper(lambda f, t: bar.progress(f, text=t)))
    except USER_ERRORS as exc:
        st.warning(f"{exc}. Reload the page in a minute.")
        st.stop()
    st.success(f"Index built: {summary.line()}.")


def add_button(container, paragraph_id: str, query: str | None, key: str) -> None:
    basket = st.session_state.basket
    if paragraph_id in wa.basket_ids(basket):
        container.button("In selection ✓", key=key, disabled=True)
    else:
        container.button("Add to selection", key=key, on_click=wa.basket_add, args=(basket, paragraph_id, query))


def sidebar_filters(reports) -> wa.FilterForm:
    sb = st.sidebar
    sb.header("Filters")
    councils = sb.multiselect("Councils", wa.indexed_councils(reports), key="f_councils")
    bounds = wa.year_bounds(reports)
    years = None
    if bounds and bounds[0] < bounds[1]:
        st.session_state.f_years = wa.fit_range(st.session_state.get("f_years"), bounds)
        years = sb.slider("Years", bounds[0], bounds[1], key="f_years")
    types = sorted({r.meta.report_type for r in reports})
    chosen_types = sb.multiselect("Report type", types, format_func=wa.report_type_label, key="f_types")
    judgement = sb.selectbox("Judgement", [None, *wa.JUDGEMENT_OPTIONS], key="f_judgement",
                             format_func=lambda k: "Any judgement" if k is None else wa.judgement_label(k))
    grade = sb.selectbox("Grade", wa.GRADE_OPTIONS, key="f_grade", disabled=judgement is None)
    scope = sb.radio("Compare with", list(wa.SCOPES), format_func=wa.SCOPES.get, key="f_scope")
    scope_council = None
    if scope != "all":
        names = [c.name for c in all_councils() if c.current]
        scope_council = sb.selectbox("Council", names, key="f_scope_council")
    boilerplate = sb.checkbox("Include boilerplate paragraphs", key="f_boilerplate")
    return wa.FilterForm(councils, years, bounds, chosen_types, judgement, grade, scope, scope_council,
                         boilerplate)


def search_page(library: Library) -> None:
    reports = library.store.reports()
    form = sidebar_filters(reports)
    st.title("Search inspection findings")
    st.caption(f"{len(reports)} reports indexed. Every result carries a citation you can check.")
    st.text_input("Search", key="query", placeholder="e.g. domestic abuse over-optimism")
    examples = st.container(horizontal=True, gap="small")
    for example in wa.EXAMPLE_QUERIES:
        examples.button(example, key=f"example:{example}", on_click=st.session_state.update, kwargs={"query": example},
                        icon=":material/search:", type="tertiary")
    mode = st.radio("Mode", list(MODES), format_func=MODES.get, horizontal=True, key="mode")
    query = st.session_state.get("query", "").strip()
    if not query:
        st.info("Type a few words, or click an example above.")
        return
    try:
        hits = run_search(library.settings, library.store.version(), query, 10, mode, wa.build_filters(form))
    except USER_ERRORS as exc:
        st.error(str(exc))
        return
    if not hits:
        st.warning("Nothing matches; try fewer filters or other words.")
    for rank, hit in enumerate(hits, start=1):
        result_card(library, hit, query, rank)


def result_card(library: Library, hit, query: str, rank: int) -> None:
    pid = hit.paragraph.id
    st.html(wa.card_html(wa.card_from_hit(hit, query), rank))
    left, middle, right = st.columns(3)
    show_similar = left.toggle("Similar in other councils", key=f"sim:{pid}")
    show_context = middle.toggle("Show in report", key=f"ctx:{pid}")
    add_button(right, pid, query, key=f"add:{pid}")
    if show_similar:
        similar_panel(library, hit, query)
    if show_context:
        context_panel(library, pid, query)


def similar_panel(library: Library, hit, query: str) -> None:
    pid = hit.paragraph.id
    with st.container(border=True):
        scope = st.radio("Look in", list(wa.SIMILAR_SCOPES), format_func=wa.SIMILAR_SCOPES.get,
                         horizontal=True, key=f"simscope:{pid}")
        try:
            groups = run_similar(library.settings, library.store.version(), pid, scope)
        except (*USER_ERRORS, ValueError) as exc:
            st.error(str(exc))
            return
        if not groups:
            st.caption("No similar findings in other councils.")
        for group in groups:
            st.html(wa.heading_html(group.authority))
            for other in group.hits:
                st.html(wa.card_html(wa.card_from_hit(other, hit.paragraph.text)))
                add_button(st, other.paragraph.id, query, key=f"add:{pid}>{other.paragraph.id}")


def context_panel(library: Library, pid: str, query: str | None) -> None:
    context = wa.paragraph_context(library.store, pid)
    with st.container(border=True):
        if context is None:
            st.warning("This paragraph is no longer in the index.")
            return
        st.html(wa.facts_html(wa.report_facts(context.report)))
        st.html(wa.context_html(context.paragraphs, pid, query))


def selection_page(library: Library) -> None:
    st.title("Selection")
    basket = st.session_state.basket
    if not basket:
        st.info("Nothing selected yet: use “Add to selection” on a search result.")
        return
    for i, item in enumerate(basket):
        pid = item.paragraph_id
        found = wa.lookup(library.store, pid)
        text, up, down, remove = st.columns([12, 1, 1, 1], vertical_alignment="center")
        if found is None:
            text.warning(f"{pid} has been removed from the index.")
        else:
            text.html(wa.card_html(wa.card_for(found[0], found[1], item.query), i + 1))
        up.button("↑", key=f"up:{pid}", on_click=wa.basket_move, args=(basket, pid, -1), disabled=i == 0)
        down.button("↓", key=f"down:{pid}", on_click=wa.basket_move, args=(basket, pid, 1),
                    disabled=i == len(basket) - 1)
        remove.button("✕", key=f"remove:{pid}", on_click=wa.basket_remove, args=(basket, pid), help="Remove")
    st.subheader("Export with citations")
    for column, (fmt, spec) in zip(st.columns(len(EXPORT_FORMATS)), EXPORT_FORMATS.items(), strict=True):
        label, mime = spec.label, spec.mime
        try:
            data = wa.export_file(library.store, basket, fmt)
        except (*USER_ERRORS, ValueError) as exc:
            column.error(f"{label}: {exc}")
            continue
        column.download_button(label, data, file_name=wa.export_file_name(fmt), mime=mime,
                               key=f"export:{fmt}", on_click="ignore", icon=":material/download:")


def collection_page(library: Library) -> None:
    st.title("Collection")
    reports = library.store.reports()
    st.dataframe(pd.DataFrame(collection.collection_rows(reports)), hide_index=True, width="stretch")
    history_chart(reports)
    theme_chart(library)
    upload_form(library)
    remove_form(library, reports)


def history_chart(reports) -> None:
    st.subheader("Judgement history")
    councils = wa.indexed_councils(reports)
    if not councils:
        return
    council = st.selectbox("Council", councils, key="history_council")
    rows = collection.judgement_history(reports, council)
    if not rows:
        st.caption(f"No dated judgements for {council}.")
        return
    st.altair_chart(collection.history_chart(rows), width="stretch")


def theme_chart(library: Library) -> None:
    st.subheader("A theme over time")
    theme = st.text_input("Theme (reports with a paragraph containing every word)", key="theme",
                          placeholder="e.g. domestic abuse")
    if not theme.strip():
        return
    counts = collection.theme_counts(library.store, theme)
    if not counts:
        st.caption("No dated reports yet.")
        return
    frame = pd.DataFrame(counts).astype({"year": str}).set_index("year")
    st.bar_chart(frame, stack=False, y_label="reports", x_label="year")


def upload_form(library: Library) -> None:
    st.subheader("Add reports")
    st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        f"PDF, text, Markdown or Word (.docx); up to {collection.UPLOAD_LIMIT_MB} MB each",
        type=list(collection.UPLOAD_TYPES), accept_multiple_files=True, key=f"upload:{st.session_state.upload_round}",
    )
    if not st.button("Add to index", disabled=not files, key="upload_go"):
        return
    bar = st.progress(0.0, text="Saving")
    try:
        uploads = [(f.name, f.getvalue()) for f in files]
        outcome = collection.ingest_uploads(library, uploads, library.settings.index_dir,
                                    progress=wa.progress_wrapper(lambda f, t: bar.progress(f, text=t)))
    except USER_ERRORS as exc:
        st.error(str(exc))
        return
    st.session_state.flash = collection.outcome_messages(outcome)
    st.session_state.upload_round += 1
    st.rerun()


def remove_form(library: Library, reports) -> None:
    st.subheader("Remove a report")
    if not reports:
        return
    ids = {r.id: report_line(r) for r in reports}
    chosen = st.selectbox("Report", list(ids), format_func=ids.get, key="remove_choice")
    if st.button("Remove this report", key="remove_go"):
        try:
            library.remove(chosen)
        except USER_ERRORS as exc:
            st.error(str(exc))
            return
        st.session_state.flash = [("success", f"Removed {chosen}.")]
        st.rerun()


def main() -> None:
    for key in KEPT:  # keep widget values while their page is not shown
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    st.session_state.setdefault("basket", [])
    st.html(wa.CARD_CSS)
    settings = Settings.load()
    try:
        library = get_library(str(settings.index_dir.resolve()), settings.model)
    except USER_ERRORS as exc:  # a damaged index, a missing model: one sentence, no traceback
        st.error(str(exc))
        st.stop()
    ensure_index(library)
    page = st.sidebar.radio("Page", PAGES, key="page")
    st.sidebar.caption(f"{len(st.session_state.basket)} paragraphs selected")
    for kind, text in st.session_state.pop("flash", []):  # messages from before a rerun
        getattr(st, kind)(text)
    {"Search": search_page, "Selection": selection_page, "Collection": collection_page}[page](library)


main()
