"""The Collections page: named collections of paragraphs kept in the index's database, each
paragraph with its order and a note; create, rename, delete (after a confirmation), switch,
and export grouped by council or section heading, in all four formats."""

from __future__ import annotations

import streamlit as st

from findings.errors import USER_ERRORS
from findings.library import Library
from findings.saved import check_name, check_note, entries
from findings.vocabulary import EXPORT_FORMATS
from findings.webapp import views as wa
from findings.webapp.pages.common import CURRENT_COLLECTION, current_collection, md, say, show_messages


def page(library: Library) -> str:
    """Draw the page; returns the collection shown (for the URL)."""
    st.title("Collections")
    name = current_collection(library)
    chooser(library, name)
    name = current_collection(library)
    collection = entries(library.store, name)
    st.subheader(f"{md(name)} · {len(collection)} paragraphs")
    if not collection:
        st.info(f"“{md(name)}” is empty: use “Add to “{md(name)}”” on a search result.")
    for i, entry in enumerate(collection):
        item_row(library, name, collection, i, entry)
    if collection:
        export_panel(name, collection)
    manage(library, name, len(collection))
    return name


def chooser(library: Library, name: str) -> None:
    names = [c.name for c in library.store.saved.collections()]
    row = st.columns([3, 2], vertical_alignment="bottom")
    # The current collection decides what the box shows (a new or renamed collection becomes
    # current); choosing in the box makes that one current, in its callback.  The box's key
    # names the collection it was drawn for.  A click that reaches the server while a box drawn
    # for the previous collection is still on screen (say, just after "Create", on a busy
    # server) sends that box's value again, and Streamlit may take it for a choice: a box drawn
    # for a collection that is no longer current is stale, and its callback does nothing.
    key = f"{CHOICE}:{name}"
    row[0].selectbox("Collection", names, index=names.index(name) if name in names else 0, key=key,
                     on_change=_choose, args=(key, name))
    with row[1].popover("New collection", icon=":material/add:"):
        # No max_chars on names, and Create is never disabled: the browser would drop a long paste
        # without a word, and a click on a button disabled until the typed name reaches the server
        # only enables it; check_name says what is wrong (empty, too long) in one sentence.
        new = st.text_input("Name of the new collection", key="new_collection")
        if st.button("Create", key="create_collection"):
            _create(library, new)
    show_messages("create_collection")


CHOICE = "collection_choice"


def _choose(key: str, drawn_for: str) -> None:
    if st.session_state.get(CURRENT_COLLECTION) == drawn_for:
        st.session_state[CURRENT_COLLECTION] = st.session_state[key]


def _create(library: Library, name: str) -> None:
    try:
        clean = check_name(name)
    except USER_ERRORS as exc:
        say("create_collection", "error", str(exc))
        st.rerun()
    if library.store.saved.create_collection(clean):
        st.session_state[CURRENT_COLLECTION] = clean
        say("create_collection", "success", f"Created “{clean}”: “Add” buttons now add to it.")
    else:
        st.session_state[CURRENT_COLLECTION] = clean
        say("create_collection", "info", f"There is already a collection called “{clean}”; it is shown.")
    st.rerun()


def item_row(library: Library, name: str, collection, i: int, entry) -> None:
    pid = entry.item.paragraph_id
    order = [e.item.paragraph_id for e in collection]
    with st.container(border=False):
        st.html(wa.card_html(wa.card_for_entry(entry), i + 1))
        note_col, up, down, remove = st.columns([10, 1, 1, 1], vertical_alignment="bottom")
        note_col.text_input("Note", value=entry.item.note, key=f"note:{name}:{pid}", max_chars=4000,
                            placeholder="A note for this paragraph (kept with it and exported)",
                            on_change=_save_note, args=(library, name, pid), label_visibility="collapsed")
        up.button("↑", key=f"up:{pid}", help="Move up", disabled=i == 0,
                  on_click=_move, args=(library, name, order, i, -1))
        down.button("↓", key=f"down:{pid}", help="Move down", disabled=i == len(order) - 1,
                    on_click=_move, args=(library, name, order, i, 1))
        remove.button("✕", key=f"remove:{pid}", help="Remove from this collection",
                      on_click=library.store.saved.remove_item, args=(name, pid))
        show_messages(f"note:{pid}")


def _save_note(library: Library, name: str, pid: str) -> None:
    try:
        note, told = check_note(st.session_state.get(f"note:{name}:{pid}", ""))
    except USER_ERRORS as exc:
        say(f"note:{pid}", "error", str(exc))
        return
    library.store.saved.set_note(name, pid, note)
    if told:
        say(f"note:{pid}", "info", told)


def _move(library: Library, name: str, order: list[str], i: int, step: int) -> None:
    order = list(order)
    j = i + step
    if 0 <= j < len(order):
        order[i], order[j] = order[j], order[i]
        library.store.saved.reorder(name, order)


def export_panel(name: str, collection) -> None:
    st.subheader("Export with citations")
    grouping = st.radio("Arrange", list(wa.GROUPINGS), format_func=wa.GROUPINGS.get, horizontal=True,
                        key="export_group")
    columns = st.columns(len(EXPORT_FORMATS))
    for column, (fmt, spec) in zip(columns, EXPORT_FORMATS.items(), strict=True):
        try:
            data = wa.export_file(collection, fmt, title=name, group_by=grouping)
        except (*USER_ERRORS, ValueError) as exc:
            column.error(f"{spec.label}: {md(exc)}")
            continue
        column.download_button(spec.label, data, file_name=wa.export_file_name(name, fmt), mime=spec.mime,
                               key=f"export:{fmt}", on_click="ignore", icon=":material/download:")
    removed = sum(1 for e in collection if e.removed)
    if removed:
        st.caption(f"{removed} of these paragraphs were removed from the index since they were collected; "
                   "they are exported from the text and citation saved then, and marked so.")


def manage(library: Library, name: str, size: int) -> None:
    with st.expander("Rename or delete this collection"):
        new = st.text_input("New name", value=name, key=f"rename:{name}")
        if st.button("Rename", key="rename_go", disabled=new.strip() == name):
            _rename(library, name, new)
        show_messages("rename_go")
        st.divider()
        confirm_key = f"confirm_delete:{name}"
        if not st.session_state.get(confirm_key):
            st.button(f"Delete “{md(name)}”…", key="delete_ask", on_click=st.session_state.__setitem__,
                      args=(confirm_key, True))
        else:
            st.warning(f"Delete “{md(name)}” and the {size} paragraphs collected in it, with their notes? "
                       "The reports stay in the index.")
            yes, no = st.columns(2)
            if yes.button(f"Yes, delete “{md(name)}”", key="delete_go", type="primary"):
                library.store.saved.delete_collection(name)
                st.session_state.pop(CURRENT_COLLECTION, None)
                st.session_state[confirm_key] = False
                say("deleted", "success", f"Deleted the collection “{name}”.")
                st.rerun()
            no.button("Cancel", key="delete_cancel", on_click=st.session_state.__setitem__, args=(confirm_key, False))
    show_messages("deleted")


def _rename(library: Library, name: str, new: str) -> None:
    try:
        clean = check_name(new)
        if library.store.saved.collection(clean) is not None and clean.lower() != name.lower():
            raise ValueError(f"there is already a collection called “{clean}”; choose another name")
    except (*USER_ERRORS, ValueError) as exc:
        say("rename_go", "error", str(exc))
        st.rerun()
    library.store.saved.rename_collection(name, clean)
    st.session_state[CURRENT_COLLECTION] = clean
    say("rename_go", "success", f"Renamed “{name}” to “{clean}”.")
    st.rerun()
