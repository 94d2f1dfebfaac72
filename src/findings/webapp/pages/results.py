"""Result cards and what each one offers: similar findings in other councils, the paragraph in
its report, the cited page of the original file, and adding it to the current collection."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from findings.citations import cite
from findings.errors import USER_ERRORS
from findings.library import Library
from findings.models import Hit
from findings.pages import render_page, source_file
from findings.results import Result
from findings.saved import collect
from findings.webapp import views as wa
from findings.webapp.pages.analysis import follow_up_panel
from findings.webapp.pages.common import current_collection, md, run_similar, say, show_messages


def cards(library: Library, shown: list[Result], query: str, first_rank: int = 1) -> None:
    collection = current_collection(library)
    collected = {item.paragraph_id for item in library.store.saved.items(collection)}
    for rank, result in enumerate(shown, start=first_rank):
        card(library, result.hit, query, rank, collection, collected, wa.card_from_result(result, query))
        if result.folded:
            with st.expander(f"{len(result.folded)} more from this report"):
                for hit in result.folded:
                    card(library, hit, query, None, collection, collected)


def card(library: Library, hit: Hit, query: str, rank: int | None, collection: str, collected: set[str],
         shown: wa.Card | None = None) -> None:
    pid = hit.paragraph.id
    st.html(wa.card_html(shown or wa.card_from_hit(hit, query), rank))
    similar_col, context_col, page_col, follow_col, add_col = st.columns([3, 2, 2, 2, 3])
    show_similar = similar_col.toggle("Similar in other councils", key=f"sim:{pid}")
    show_context = context_col.toggle("Show in report", key=f"ctx:{pid}")
    show_page = page_col.toggle("Show page", key=f"page:{pid}")
    show_follow = follow_col.toggle("Follow up", key=f"follow:{pid}", help="What the council's later reports said")
    add_button(add_col, library, pid, query, collection, collected, key=f"add:{pid}")
    show_messages(f"add:{pid}")
    if show_similar:
        similar_panel(library, hit, query, collection, collected)
    if show_context:
        context_panel(library, pid, query)
    if show_page:
        page_panel(library, hit)
    if show_follow:
        follow_up_panel(library, hit)


def add_button(container, library: Library, pid: str, query: str | None, collection: str,
               collected: set[str], key: str) -> None:
    if pid in collected:
        container.button(f"In “{md(collection)}” ✓", key=key, disabled=True)
    else:
        container.button(f"Add to “{md(collection)}”", key=key, on_click=_add,
                         args=(library, collection, pid, query, key))


def _add(library: Library, collection: str, pid: str, query: str | None, key: str) -> None:
    try:
        collect(library.store, collection, pid, query=query)
    except USER_ERRORS as exc:
        say(key, "error", str(exc))


def similar_panel(library: Library, hit: Hit, query: str, collection: str, collected: set[str]) -> None:
    pid = hit.paragraph.id
    with st.container(border=True):
        scope = st.radio("Look in", list(wa.SIMILAR_SCOPES), format_func=wa.SIMILAR_SCOPES.get,
                         horizontal=True, key=f"simscope:{pid}")
        try:
            groups = run_similar(library.settings, library.store.version(), pid, scope)
        except (*USER_ERRORS, ValueError) as exc:
            st.error(md(exc))
            return
        if not groups:
            st.caption("No similar findings in other councils.")
        for group in groups:
            st.html(wa.heading_html(group.authority))
            for other in group.hits:
                st.html(wa.card_html(wa.card_from_hit(other, hit.paragraph.text)))
                add_button(st, library, other.paragraph.id, query, collection, collected,
                           key=f"add:{pid}>{other.paragraph.id}")


def context_panel(library: Library, pid: str, query: str | None) -> None:
    context = wa.paragraph_context(library.store, pid)
    with st.container(border=True):
        if context is None:
            st.warning("This paragraph is no longer in the index.")
            return
        st.html(wa.facts_html(wa.report_facts(context.report)))
        st.html(wa.context_html(context.paragraphs, pid, query))


@st.cache_data(max_entries=32, show_spinner="Drawing the page…")
def _page_image(path: str, content_hash: str, page: int | None, text: str) -> bytes:
    from findings.models import Paragraph

    return render_page(Path(path), Paragraph("", "", None, "prose", "", page, 0, text))


def page_panel(library: Library, hit: Hit) -> None:
    """The cited page of the original PDF with the paragraph marked, and the file itself."""
    report, paragraph = hit.report, hit.paragraph
    found = source_file(report)
    citation = cite(report, paragraph)
    with st.container(border=True):
        if found.problem:
            st.warning(md(found.problem))
        if found.usable and found.is_pdf:
            image = _page_image(str(found.path), report.content_hash, paragraph.page, paragraph.text)
            st.image(image, caption=f"{md(citation.page or 'The page')} of {md(report.file)}, the paragraph shaded",
                     width="stretch")
        elif found.usable:
            st.caption(f"{md(report.file)} is a {md(found.path.suffix.lstrip('.'))} file: it has no pages to draw.")
        if found.path is not None and found.path.is_file():
            st.download_button(f"Download {md(report.file)}", data=found.path.read_bytes(), file_name=report.file,
                               key=f"original:{paragraph.id}", on_click="ignore", icon=":material/download:")
