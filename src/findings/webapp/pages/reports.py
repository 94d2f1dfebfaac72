"""The Reports page: what is indexed (with grades), each council's judgement history, a theme
over the years, adding reports by upload and removing one (after a confirmation); each
outcome is shown beside the control that caused it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from findings.errors import USER_ERRORS
from findings.library import Library
from findings.serialise import report_line
from findings.webapp import reports as rp
from findings.webapp import views as wa
from findings.webapp.pages.analysis import trend_panel
from findings.webapp.pages.common import md, say, show_messages


def page(library: Library) -> None:
    st.title("Reports")
    reports = list(library.snapshot().reports.values())
    st.caption(f"{len(reports)} reports indexed in {md(library.settings.index_dir)}.")
    if reports:
        st.dataframe(pd.DataFrame(rp.collection_rows(reports)), hide_index=True, width="stretch")
    history_chart(reports)
    trend_panel(library)
    upload_form(library)
    remove_form(library, reports)


def history_chart(reports) -> None:
    st.subheader("Judgement history")
    councils = wa.indexed_councils(reports)
    if not councils:
        return
    council = st.selectbox("Council", councils, key="history_council")
    rows = rp.judgement_history(reports, council)
    if not rows:
        st.caption(f"No dated judgements for {md(council)}.")
        return
    st.altair_chart(rp.history_chart(rows), width="stretch")


def upload_form(library: Library) -> None:
    st.subheader("Add reports")
    st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(
        f"PDF, text, Markdown or Word (.docx); up to {rp.UPLOAD_LIMIT_MB} MB each",
        type=list(rp.UPLOAD_TYPES), accept_multiple_files=True, key=f"upload:{st.session_state.upload_round}",
    )
    if st.button("Add to index", disabled=not files, key="upload_go"):
        bar = st.progress(0.0, text="Saving")
        try:
            uploads = [(f.name, f.getvalue()) for f in files]
            outcome = rp.ingest_uploads(library, uploads, library.settings.index_dir,
                                        progress=wa.progress_wrapper(lambda f, t: bar.progress(f, text=t)))
        except USER_ERRORS as exc:
            say("upload_go", "error", str(exc))
        else:
            for kind, text in rp.outcome_messages(outcome):
                say(f"upload_go:{kind}:{text}", kind, text)
        st.session_state.upload_round += 1
        st.rerun()
    for key in [k for k in st.session_state.get("messages", {}) if k.startswith("upload_go")]:
        show_messages(key)


def remove_form(library: Library, reports) -> None:
    st.subheader("Remove a report")
    show_messages("remove_go")
    if not reports:
        return
    ids = {r.id: report_line(r) for r in reports}
    st.session_state.setdefault("remove_choice", None)
    if st.session_state["remove_choice"] not in ids:
        st.session_state["remove_choice"] = None
    chosen = st.selectbox("Report", list(ids), format_func=ids.get, key="remove_choice",
                          placeholder="Choose the report to remove")
    if chosen is None:
        return
    st.warning(f"Remove {md(ids[chosen])}? Its paragraphs leave search; paragraphs you collected from it stay "
               "in their collections, shown as removed from the index.")
    st.button(f"Yes, remove {md(chosen)}", key="remove_go", type="primary", on_click=_remove, args=(library, chosen))


def _remove(library: Library, report_id: str) -> None:
    try:
        library.remove(report_id)
    except USER_ERRORS as exc:
        say("remove_go", "error", str(exc))
    else:
        say("remove_go", "success", f"Removed {report_id}.")
    st.session_state["remove_choice"] = None
