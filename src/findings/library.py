"""An index folder as one object: the store, the embedding model and the FAISS index in step.

`Library` is what the CLI and the web app hold.  It owns the invariant that the FAISS index
holds exactly the vectors stored in SQLite for the current paragraphs.  Writers (ingest,
remove, reindex) bring the index up to date incrementally, from what the store holds, and save
it with the store generation it matches; a reader loads the saved index and, if the store has
moved on since (another process wrote), catches up in memory without writing anything.
Paragraph rowids are never reused, so catching up is a difference of vector ids: the ids the
store holds and the index lacks are added, and ids the index holds for removed paragraphs are
dropped (a flat index) or masked out of every search (HNSW, which cannot remove; it is rebuilt
when they pass a quarter of it).  Ingests take an exclusive lock on the folder, so two writers
never interleave.
"""

from __future__ import annotations

import fcntl
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from findings.config import Settings
from findings.errors import IngestLocked
from findings.files import atomic_write, disk_is_full, remove_stale_temps
from findings.ingest import IngestSummary, embed_new, ingest_paths
from findings.sentences import preload
from findings.store import DiskFull, Snapshot, Store, StoreError, no_report
from findings.store_vectors import WINDOW_BITS
from findings.vectors import IDS_FILE, INDEX_FILE, MANIFEST_FILE

if TYPE_CHECKING:
    from findings.embedding import Embedder
    from findings.glossary import Expansion, Glossary
    from findings.models import Hit
    from findings.search import Filters, SearchSources
    from findings.similar import SimilarGroup
    from findings.vectors import VectorIndex

logger = logging.getLogger(__name__)

STATE_FILE = "vectors-state.json"
LOCK_FILE = "ingest.lock"
STATE_FORMAT = 2  # 2: vector ids are stable (paragraph rowids never reused)
MAX_STALE_SHARE = 0.25  # an HNSW index is rebuilt when this share of it is removed vectors


@dataclass(frozen=True)
class VectorSync:
    """How far the vector index was from the store, and what was done about it."""

    added: int = 0
    removed: int = 0
    masked: int = 0  # removed paragraphs' vectors still in an HNSW index (never returned)
    rebuilt: bool = False


class Library:
    def __init__(
        self, settings: Settings, embed: bool = True, embedder: Embedder | None = None, create: bool = True,
        upgrade: bool | None = None,
    ) -> None:
        """`create`: make the index when missing; `upgrade`: bring an older index up to date
        (by default as `create`).  A command that only reads passes `create=False`, so it never
        creates or changes an index."""
        self.settings = settings
        self.store = Store(settings.index_dir, create=create, upgrade=upgrade)
        self.embed = embed
        self._embedder = embedder
        self._vectors: VectorIndex | None = None
        self._vectors_generation = -1
        self._snapshot: Snapshot | None = None
        self._lock = threading.RLock()
        self._warming: threading.Thread | None = None
        self.last_sync: VectorSync | None = None  # what the last change did to the vector index

    # --- model, snapshot and vectors ----------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from findings.embedding import load_embedder

            self._embedder = load_embedder(self.settings.model)
        return self._embedder

    def snapshot(self) -> Snapshot:
        """The reports and paragraph rowids as of now (cached until the store changes)."""
        version = self.store.version()
        cached = self._snapshot
        if cached is None or cached.version != version or version.content < 0:  # < 0: counter lost
            cached = self._snapshot = self.store.snapshot()
        return cached

    def vectors(self) -> VectorIndex:
        """The FAISS index for the current model, caught up with the store (in memory only)."""
        with self._lock:
            generation = self.store.generation
            if self._vectors is None or self._vectors_generation != generation or generation < 0:
                if self._vectors is None:
                    preload()  # highlights and keyword terms need nltk: import it meanwhile
                    self.glossary()  # its phrases are read ahead too
                    self.store.read_ahead_keywords()  # on a thread of its own, while this loads
                self._vectors, _ = self._caught_up(generation)
                self._vectors_generation = generation
            return self._vectors

    def warm(self) -> None:
        """Start loading the vector index on a thread of its own, unless it is loaded or
        loading: the web app calls this as it opens, so that a first search, typed meanwhile,
        finds it ready (3,000 reports take seconds to load).  An error is logged here and met
        again, and reported, by the next `vectors()`.  (Started by a search itself, alongside
        the snapshot, it made the first answer slower: both threads want the GIL.)"""
        if not self._lock.acquire(blocking=False):  # loading or writing already: nothing to start
            return
        try:
            if self._vectors is not None or (self._warming is not None and self._warming.is_alive()):
                return
            started = threading.Event()

            def load() -> None:
                with self._lock:
                    started.set()
                    try:
                        self.vectors()
                    except Exception as exc:  # noqa: BLE001  (the caller's own vectors() raises it)
                        logger.info("loading the vector index ahead stopped: %s", exc)

            self._warming = threading.Thread(target=load, name="findings-vectors", daemon=True)
        finally:
            self._lock.release()
        self._warming.start()
        started.wait()  # the thread holds the lock: a search waits for its load, not doing a second

    def _caught_up(self, generation: int) -> tuple[VectorIndex, VectorSync]:
        """The in-memory index (else the saved one, else a new one) brought level with the
        store, and what that took."""
        from findings.vectors import IndexMissing, VectorIndexError

        index, saved_generation = self._vectors, self._vectors_generation
        if index is None:
            # Paragraphs without vectors are counted while the saved index loads (0.2 s at
            # 3,000 reports), and before anything is built or returned.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="findings-embedded") as pool:
                missing = pool.submit(self.store.unembedded_count, self.embedder.name)
                try:
                    index, saved_generation = self._load_saved()
                except IndexMissing as exc:
                    self._check_embedded(missing.result())
                    logger.info("building the vector index from stored vectors (%s)", exc)
                    return self._rebuilt(), VectorSync(rebuilt=True)
                except VectorIndexError as exc:
                    self._check_embedded(missing.result())
                    logger.warning("%s Rebuilding it from the vectors stored in the database.", exc)
                    return self._rebuilt(), VectorSync(rebuilt=True)
                self._check_embedded(missing.result())
        else:
            self._check_embedded()
        if saved_generation == generation >= 0:
            return index, VectorSync()
        if index is self._vectors:  # other threads may be searching it: change a copy
            index = index.copy()
        return self._sync(index)

    def _load_saved(self) -> tuple[VectorIndex, int]:
        from findings.vectors import REBUILD, IndexDamaged, VectorIndex, read_manifest

        folder = self.settings.index_dir
        index = VectorIndex.load(folder, self.embedder.name, self.embedder.dim, self._stored_vectors)
        state = _read_state(folder)
        # The files must be the ones the state describes: an older pair restored from a backup
        # would otherwise be taken for the generation the state names.
        if state.get("format") != STATE_FORMAT or state.get("sha256") != read_manifest(folder).sha256:
            raise IndexDamaged(
                f"The vector index in {folder} was saved by an earlier version of findings or does "
                f"not match its state file; rebuild it with `{REBUILD}`."
            )
        return index, int(state.get("generation", -1))

    def _stored_vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The stored codes of the paragraphs these vector ids belong to (their ids, codes):
        those of every paragraph from the first to the last, when they are mostly one run
        of rowids (as an index's ids, read a stretch at a time, are)."""
        rowids = np.unique(np.asarray(ids, dtype=np.int64) >> WINDOW_BITS)
        if rowids.size and rowids[-1] - rowids[0] < 2 * rowids.size:
            return self.store.codes_between(self.embedder.name, int(rowids[0]), int(rowids[-1]), self.embedder.dim)
        return self.store.paragraph_codes(self.embedder.name, rowids.tolist(), dim=self.embedder.dim)

    def _sync(self, index: VectorIndex) -> tuple[VectorIndex, VectorSync]:
        """Add the stored vectors of paragraphs the index lacks; drop (or mask) those of
        paragraphs since removed.  A rowid is never reused and a paragraph's text never
        changes under it, so the difference of paragraph rowids is the whole difference."""
        held_ids = index.ids
        held = np.unique(held_ids >> WINDOW_BITS)
        stored = np.sort(self.store.snapshot().rowids)
        gone = np.setdiff1d(held, stored, assume_unique=True)
        new = np.setdiff1d(stored, held, assume_unique=True)
        extra = held_ids[np.isin(held_ids >> WINDOW_BITS, gone)] if gone.size else held_ids[:0]
        masked = 0
        if extra.size:
            if index.index_type == "flat":
                index.remove(extra)
            else:
                masked = int(extra.size)
                if masked > MAX_STALE_SHARE * max(len(index), 1):
                    return self._rebuilt(), VectorSync(rebuilt=True)
        added = 0
        if new.size:
            ids, matrix = self.store.paragraph_codes(self.embedder.name, new.tolist(), dim=index.dim)
            if ids.size:
                index.add(ids, matrix)
                added = int(ids.size)
        removed = 0 if masked else int(extra.size)
        return index, VectorSync(added=added, removed=removed, masked=masked)

    def _rebuilt(self) -> VectorIndex:
        from findings.vectors import VectorIndex

        ids, matrix = self.store.paragraph_codes(self.embedder.name, dim=self.embedder.dim)
        if matrix.size == 0:
            matrix = np.zeros((0, self.embedder.dim), dtype=np.int8)
        return VectorIndex.build(ids, matrix, model=self.embedder.name)

    def _check_embedded(self, missing: int | None = None) -> None:
        """StoreError unless every paragraph has vectors for the model (`missing`: how many
        lack them, when counted already)."""
        missing = self.store.unembedded_count(self.embedder.name) if missing is None else missing
        if missing:
            others = [m for m in self.store.models() if m != self.embedder.name]
            built = f" (the index was built with {', '.join(others)})" if others else ""
            folder = self.settings.index_dir
            raise StoreError(
                f"{missing} paragraphs in {folder} have no vectors for model "
                f"{self.embedder.name!r}{built}; run `findings reindex --index {folder}` to embed them"
            )

    def _save_vectors(self, *, rebuild: bool = False) -> VectorSync:
        """Writers only: bring the index level with the store and save it with its state."""
        with self._lock:
            generation = self.store.generation
            if rebuild:
                index, sync = self._rebuilt(), VectorSync(rebuilt=True)
            else:
                index, sync = self._caught_up(generation)
            manifest = index.save(self.settings.index_dir)
            _write_state(
                self.settings.index_dir,
                {
                    "format": STATE_FORMAT, "generation": generation,
                    "model": self.embedder.name, "sha256": manifest.sha256,
                },
            )
            self._vectors, self._vectors_generation = index, generation
            self.last_sync = sync
            logger.info("vector index saved: %s", sync)
            return sync

    # --- reading --------------------------------------------------------------------------------

    def sources(self, semantic: bool = True) -> SearchSources:
        """What search and similar read: the store, a snapshot and (for meaning) the vectors."""
        from findings.search import SearchSources

        return SearchSources(
            store=self.store,
            snapshot=self.snapshot(),
            index=self.vectors() if semantic else None,
            embedder=self.embedder if semantic else None,
            tuning=self.settings.search,
        )

    def search(
        self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None,
        expand: bool = True, unexpanded: Iterable[str] = (), expanded: Iterable[str] = (),
    ) -> list[Hit]:
        """The k best paragraphs for a query, expanded by the glossary (switching entries off
        or on by name, see `Glossary.expand`); see `findings.search.search`."""
        from findings.search import check_query, search

        expansion = self.expansion(check_query(query), unexpanded, expanded) if expand else None
        return search(self.sources(semantic=mode != "keyword"), query, k, mode, filters, expansion)

    def glossary(self) -> Glossary:
        """The shipped glossary with this index's `glossary.txt` (reloaded when that changes)."""
        from findings.glossary import USER_FILE, Glossary

        path = self.settings.index_dir / USER_FILE
        stamp = path.stat().st_mtime_ns if path.exists() else None
        cached = getattr(self, "_glossary", None)
        if cached is None or cached[0] != stamp:
            from findings.search import fts_phrase

            cached = self._glossary = (stamp, Glossary.load(self.settings.index_dir))
            # Its phrases are read ahead with the common terms: a common one ("young people")
            # takes up to 0.2 s to read on first use at 3,000 reports.
            self.store.keyword_read_ahead = tuple(
                p for p in dict.fromkeys(map(fts_phrase, cached[1].expanded_phrases())) if p
            )
        return cached[1]

    def expansion(self, query: str, unexpanded: Iterable[str] = (), expanded: Iterable[str] = ()) -> Expansion:
        """What the glossary adds to a query (see `findings.glossary`)."""
        return self.glossary().expand(query, unexpanded, expanded)

    def similar(self, source: str, **options) -> list[SimilarGroup]:
        """Findings like a paragraph or a text in other councils; see `findings.similar`."""
        from findings.similar import similar

        return similar(self.sources(), source, **options)

    # --- changes --------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path],
        progress: Callable[[Iterable[Path]], Iterator[Path]] | None = None,
        file_names: Mapping[str, str] | None = None,
        follow_links: bool = False,
    ) -> IngestSummary:
        """Add or replace reports from files and folders; `file_names` maps a path to the name
        the user knows the file by (an upload's own name); symbolic links inside folders are
        skipped unless `follow_links`."""
        with self._writing():
            if self.embed:
                preload()  # clause vectors need the sentence splitter: import nltk meanwhile
            embedder = self.embedder if self.embed else None
            summary = ingest_paths(paths, self.store, embedder, progress, file_names, follow_links,
                                   self.settings.limits)
            if self.embed and self.missing_vectors() == 0:
                self._save_vectors()
            return summary

    def missing_vectors(self) -> int:
        """Paragraphs with no vector for the current model: an index from an earlier version
        or made with another model; `reindex` embeds them."""
        return self.store.unembedded_count(self.embedder.name) if self.embed else 0

    def tag_untagged(self) -> int:
        """Tag the paragraphs read before tagging existed (strength, area for improvement,
        context); returns how many."""
        with self._writing():
            return self._tag_untagged()

    def _tag_untagged(self) -> int:
        from findings.tagging import tag_paragraph

        count = 0
        while batch := self.store.untagged():
            self.store.put_tags((rowid, tag_paragraph(text, reasons=False).label) for rowid, text in batch)
            count += len(batch)
        return count

    def reindex(self) -> int:
        """Embed every paragraph that has no vector for the current model; rebuild FAISS;
        tag paragraphs read before tagging existed.  (Opening the store to write has already
        brought an older index's schema and vectors up to date.)"""
        with self._writing():
            self._tag_untagged()
            count = 0
            for report in self.store.reports():
                rows = list(embed_new(self.store.paragraphs(report.id), self.store, self.embedder))
                if rows:
                    self.store.put_vectors(rows)
                    count += len({r[0] for r in rows})
            self._vectors = None
            self._save_vectors(rebuild=True)
            return count

    def remove(self, report_id: str) -> None:
        """Remove one report; StoreError when there is none with this id."""
        if self.remove_reports([report_id]) != [report_id]:
            raise StoreError(no_report(report_id))

    def remove_reports(self, report_ids: Iterable[str]) -> list[str]:
        """Remove the reports with these ids that exist, saving the vector index once; returns
        those removed (the rest are unknown)."""
        with self._writing():
            removed = [report_id for report_id in report_ids if self.store.remove_report(report_id)]
            if removed and self.embed and self.missing_vectors() == 0:
                self._save_vectors()
            return removed

    def correct(self, report_id: str, field: str, value: str) -> None:
        """A user's correction of a report's metadata (kept when the file is ingested again)."""
        self.store.correct(report_id, field, value)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """What every change runs inside: the folder's ingest lock (two writers never
        interleave), temp files of a writer killed mid-save cleared, and a full disk told as one
        sentence (`DiskFull`)."""
        folder = self.settings.index_dir
        try:
            with self._ingest_lock():
                if removed := remove_stale_temps(folder, (INDEX_FILE, IDS_FILE, MANIFEST_FILE, STATE_FILE)):
                    logger.info("removed %d temp files left by an interrupted save", removed)
                yield
        except (OSError, sqlite3.Error) as exc:
            if disk_is_full(exc, folder):
                raise DiskFull(folder) from exc
            if isinstance(exc, PermissionError):
                raise StoreError(
                    f"the index folder {folder} cannot be written (permission denied); ask for access or give "
                    "--index another folder"
                ) from exc
            raise

    @contextmanager
    def _ingest_lock(self) -> Iterator[None]:
        path = self.settings.index_dir / LOCK_FILE
        with open(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IngestLocked(
                    f"another ingest is running on {self.settings.index_dir}; try again when it ends"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _read_state(folder: Path) -> dict:
    """The state saved with the vector index; {} when missing or damaged (the index is then
    rebuilt from the stored vectors)."""
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(state, dict) or not isinstance(state.get("generation"), int):
        return {}
    return state


def _write_state(folder: Path, state: dict) -> None:
    atomic_write(folder / STATE_FILE, json.dumps(state).encode("utf-8"))
