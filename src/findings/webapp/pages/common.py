"""What every page shares: the cached library and searches, the current collection, and
messages shown next to the control that caused them."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from findings.config import Settings
from findings.library import Library
from findings.saved import DEFAULT_COLLECTION
from findings.search import Filters
from findings.webapp import views as wa

CURRENT_COLLECTION = "current_collection"


@st.cache_resource(show_spinner="Loading the embedding model…")
def get_embedder(model: str):  # -> Embedder
    from findings.embedding import load_embedder

    embedder = load_embedder(model)
    embedder.encode_query("warm up")
    return embedder


@st.cache_resource(show_spinner="Opening the index…")
def get_library(index_dir: str, model: str) -> Library:
    return Library(Settings(Path(index_dir), model), embedder=get_embedder(model))


@st.cache_data(max_entries=64, show_spinner="Searching…")
def run_search(settings: Settings, version, query: str, k: int, mode: str, filters: Filters,
               unexpanded: tuple[str, ...] = (), expanded: tuple[str, ...] = ()):
    library = get_library(str(settings.index_dir), settings.model)
    return library.search(query, k, mode, filters, unexpanded=unexpanded, expanded=expanded)


@st.cache_data(max_entries=64, show_spinner="Finding similar paragraphs…")
def run_similar(settings: Settings, version, paragraph_id: str, scope: str):
    library = get_library(str(settings.index_dir), settings.model)
    return wa.similar_groups(library, paragraph_id, scope)


def current_collection(library: Library) -> str:
    """The collection "Add" buttons add to: the one chosen in this tab, else the default."""
    name = st.session_state.get(CURRENT_COLLECTION)
    if name and library.store.saved.collection(name) is not None:
        return library.store.saved.collection(name).name
    existing = library.store.saved.collections()
    if not existing:
        library.store.saved.create_collection(DEFAULT_COLLECTION)
        existing = library.store.saved.collections()
    default = next((c.name for c in existing if c.name == DEFAULT_COLLECTION), existing[0].name)
    st.session_state[CURRENT_COLLECTION] = default
    return default


def md(value: object) -> str:
    """A name or value as literal text inside Streamlit Markdown (messages, captions, widget
    labels): no emphasis, links, HTML, headings, lists or formulas ($), whatever it holds."""
    from findings.export import md_escape

    return md_escape(str(value)).replace("$", "\\$")


def say(key: str, kind: str, text: str) -> None:
    """Keep a message for the control `key`, to be shown beside it after the rerun."""
    st.session_state.setdefault("messages", {})[key] = (kind, text)


def show_messages(key: str, container=None) -> None:
    """Show (once) the messages kept for the control `key`, where the caller draws them."""
    kept = st.session_state.get("messages", {}).pop(key, None)
    if kept:
        kind, text = kept
        getattr(container or st, kind)(md(text))  # names in it are text, never Markdown
