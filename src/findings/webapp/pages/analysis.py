"""The app's views of `findings.analysis`: a finding's follow-up timeline, a theme over time,
and councils compared side by side."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from findings.analysis.compare import MAX_COUNCILS, compare
from findings.analysis.followup import follow_up_paragraph
from findings.analysis.trends import GROUPINGS, trend
from findings.errors import USER_ERRORS
from findings.library import Library
from findings.models import Hit
from findings.vocabulary import EXPORT_FORMATS, TAG_LABELS
from findings.webapp import views as wa
from findings.webapp.pages.common import md

GROUP_LABELS = {"year": "Year", "type": "Report type", "grade": "Overall grade"}


def tag_html(label: str, reasons: tuple[str, ...]) -> str:
    import html

    why = f' title="{html.escape("because: " + ", ".join(reasons))}"' if reasons else ""
    return f'<span class="tag tag-{label}"{why}>{html.escape(TAG_LABELS.get(label, label))}</span>'


def follow_up_panel(library: Library, hit: Hit) -> None:
    """What the council's later reports said about this paragraph, oldest first."""
    with st.container(border=True):
        try:
            found = follow_up_paragraph(library, hit.paragraph.id)
        except USER_ERRORS as exc:
            st.info(md(str(exc)))
            return
        if not found.later:
            st.caption("The council's later reports say nothing close to this.")
        for step in found.later:
            st.markdown(f"**{md(step.report.meta.when.strftime('%B %Y'))}** · "
                        f"{md(wa.report_type_label(step.report.meta.report_type))}")
            for finding in step.findings:
                st.html(tag_html(finding.tag.label, finding.tag.reasons)
                        + wa.card_html(wa.card_from_hit(finding.hit, hit.paragraph.text)))


def trend_panel(library: Library) -> None:
    st.subheader("A theme over time")
    row = st.columns([3, 2], vertical_alignment="bottom")
    theme = row[0].text_input("Theme (found by meaning, as a search is)", key="theme",
                              placeholder="e.g. over-optimism about parents' capacity to change")
    by = row[1].radio("By", GROUPINGS, format_func=GROUP_LABELS.get, horizontal=True, key="trend_by")
    if not theme.strip():
        return
    try:
        found = trend(library, theme, by)
    except USER_ERRORS as exc:
        st.info(md(str(exc)))
        return
    frame = pd.DataFrame([
        {GROUP_LABELS[by]: r.group, "reports": r.reports, "with a strong match": r.matching,
         "share": r.share, "as a strength": r.strengths, "as an area for improvement": r.weaknesses}
        for r in found.rows
    ])
    if not frame["with a strong match"].sum():
        st.info("No report has a strong match for this theme; try other words.")
        return
    long = frame.melt(id_vars=[GROUP_LABELS[by]], value_vars=["as a strength", "as an area for improvement"],
                      var_name="spoken of", value_name="reports with it")
    chart = alt.Chart(long).mark_bar().encode(
        x=alt.X(f"{GROUP_LABELS[by]}:N", sort=None), xOffset="spoken of:N",
        y=alt.Y("reports with it:Q"), color=alt.Color("spoken of:N", title=None),
        tooltip=[f"{GROUP_LABELS[by]}:N", "spoken of:N", "reports with it:Q"],
    )
    st.altair_chart(chart, width="stretch")
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={"share": st.column_config.NumberColumn(format="percent")})
    st.download_button("Numbers as CSV", found.csv(), file_name="theme-over-time.csv", mime="text/csv",
                       on_click="ignore", icon=":material/download:", key="trend_csv")


def compare_page(library: Library) -> None:
    st.title("Compare councils")
    indexed = wa.indexed_councils(library.snapshot().reports.values())
    how = st.radio("Councils", ["chosen", "neighbours"], horizontal=True, key="compare_how",
                   format_func={"chosen": "Choose two to four", "neighbours": "A council and its neighbours"}.get)
    chosen: list[str] = []
    neighbours_of = None
    if how == "chosen":
        chosen = st.multiselect("Councils", indexed, key="compare_councils", max_selections=MAX_COUNCILS,
                                placeholder="Choose two to four councils")
    else:
        neighbours_of = st.selectbox("Council", indexed, index=None, key="compare_home",
                                     placeholder="Choose your council")
    theme = st.text_input("Theme", key="compare_theme", placeholder="e.g. private fostering")
    if not theme.strip() or (how == "chosen" and len(chosen) < 2) or (how == "neighbours" and not neighbours_of):
        st.info("Choose the councils and a theme to see their findings side by side.")
        return
    try:
        found = compare(library, chosen, theme, neighbours_of)
    except USER_ERRORS as exc:
        st.warning(md(str(exc)))
        return
    for column, council in zip(st.columns(len(found.columns)), found.columns, strict=True):
        column.subheader(council.council)
        column.caption(f"{council.reports} reports indexed")
        if not council.findings:
            column.caption("No finding on this theme.")
        for finding in council.findings:
            column.html(tag_html(finding.tag.label, finding.tag.reasons)
                        + wa.card_html(wa.card_from_hit(finding.hit, theme)))
    st.subheader("Export with citations")
    items = found.export_items()
    for column, (fmt, spec) in zip(st.columns(len(EXPORT_FORMATS)), EXPORT_FORMATS.items(), strict=True):
        from findings import export

        data = export.render(items, fmt, title=f"Compared: {theme}", group_by="council")
        column.download_button(spec.label, data, file_name=f"compare.{spec.suffix}", mime=spec.mime,
                               key=f"compare:{fmt}", on_click="ignore", icon=":material/download:")
