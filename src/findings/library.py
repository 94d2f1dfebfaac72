"""An index folder as one object: the store, the embedding model and the FAISS index in step.

`Library` is what the CLI and the web app hold.  It owns the invariant that the FAISS index is
derived from the vectors stored in SQLite: whenever the store's generation moves on, or the
FAISS files are missing, damaged or built for another model, the index is rebuilt from the
stored vectors without re-embedding anything.  Ingests take an exclusive lock on the folder, so
two ingests never interleave.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from findings.config import Settings
from findings.errors import IngestLocked
from findings.ingest import IngestSummary, embed_new, ingest_paths
from findings.store import Store, StoreError

logger = logging.getLogger(__name__)

STATE_FILE = "vectors-state.json"
LOCK_FILE = "ingest.lock"


class Library:
    def __init__(self, settings: Settings, embed: bool = True, embedder=None) -> None:
        self.settings = settings
        self.store = Store(settings.index_dir)
        self.embed = embed
        self._embedder = embedder
        self._vectors = None
        self._vectors_generation = -1
        self._lock = threading.RLock()

    # --- model and vectors ------------------------------------------------------------------

    @property
    def embedder(self):
        if self._embedder is None:
            from findings.embed import Embedder

            self._embedder = Embedder(self.settings.model)
        return self._embedder

    def vectors(self):
        """The FAISS index for the current model, rebuilt from stored vectors when stale."""
        from findings.vectors import IndexMissing, VectorIndex, VectorIndexError, read_manifest

        with self._lock:
            # Read under the lock: a thread holding an older generation must not write it back.
            generation = self.store.generation
            if self._vectors is not None and self._vectors_generation == generation:
                return self._vectors
            folder = self.settings.index_dir
            embedder = self.embedder
            try:
                index = VectorIndex.load(folder, embedder.name, embedder.dim)
                state = _read_state(folder)
                # The files must be the very ones built for this generation: an older, intact
                # pair (restored from a backup, say) would map ids to the wrong paragraphs.
                if state.get("generation") != generation or state.get("sha256") != read_manifest(folder).sha256:
                    raise VectorIndexError("stale")
            except VectorIndexError as exc:
                if str(exc) != "stale" and not isinstance(exc, IndexMissing):
                    logger.warning("%s Rebuilding it from the vectors stored in the database.", exc)
                missing = self.store.unembedded_count(embedder.name)
                if missing:
                    others = [m for m in self.store.models() if m != embedder.name]
                    built = f" (the index was built with {', '.join(others)})" if others else ""
                    raise StoreError(
                        f"{missing} paragraphs in {folder} have no vectors for model "
                        f"{embedder.name!r}{built}; run "
                        f"`findings reindex --index {folder}` to embed them"
                    ) from exc
                logger.info("rebuilding the vector index from stored vectors (%s)", exc)
                index = self._rebuild(generation)
            self._vectors, self._vectors_generation = index, generation
            return index

    def _rebuild(self, generation: int):
        from findings.vectors import VectorIndex

        ids, matrix = self.store.paragraph_vectors(self.embedder.name)
        if matrix.size == 0:
            import numpy as np

            matrix = np.zeros((0, self.embedder.dim), dtype=np.float32)
        index = VectorIndex.build(ids, matrix, model=self.embedder.name)
        manifest = index.save(self.settings.index_dir)
        _write_state(
            self.settings.index_dir,
            {"generation": generation, "model": self.embedder.name, "sha256": manifest.sha256},
        )
        return index

    def reports_by_id(self):
        """Every stored report by id (cached per store generation: search needs them all)."""
        generation = self.store.generation
        cached = getattr(self, "_reports", None)
        if cached is None or cached[0] != generation:
            cached = (generation, {r.id: r for r in self.store.reports()})
            self._reports = cached
        return cached[1]

    def boilerplate_free_rowids(self):
        """Rowids of all paragraphs that are not boilerplate (cached per store generation)."""
        import numpy as np

        generation = self.store.generation
        cached = getattr(self, "_plain_rowids", None)
        if cached is None or cached[0] != generation:
            rows = self.store.db.execute("SELECT rowid FROM paragraphs WHERE boilerplate = 0")
            cached = (generation, np.array([r[0] for r in rows], dtype=np.int64))
            self._plain_rowids = cached
        return cached[1]

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters=None):
        """The k best paragraphs for a query; see `findings.search.search`."""
        from findings.search import search

        return search(self, query, k, mode, filters)

    # --- changes ----------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path], progress=None) -> IngestSummary:
        with self._ingest_lock():
            summary = ingest_paths(paths, self.store, self.embedder if self.embed else None, progress)
            if self.embed and (summary.changed or self.store.unembedded_count(self.embedder.name) == 0):
                self.vectors()
            return summary

    def missing_vectors(self) -> int:
        """Paragraphs with no vector for the current model: an index from an earlier version
        or made with another model; `reindex` embeds them."""
        return self.store.unembedded_count(self.embedder.name) if self.embed else 0

    def reindex(self) -> int:
        """Embed every paragraph that has no vector for the current model; rebuild FAISS."""
        from findings.models import Paragraph

        with self._ingest_lock():
            count = 0
            for report in self.store.reports():
                paragraphs: list[Paragraph] = self.store.paragraphs(report.id)
                rows = list(embed_new(paragraphs, self.store, self.embedder))
                if rows:
                    self.store.put_vectors(rows)
                    count += len({r[0] for r in rows})
            self._vectors = None
            self._rebuild(self.store.generation)
            return count

    def remove(self, report_id: str) -> None:
        with self._ingest_lock():
            if not self.store.remove_report(report_id):
                raise StoreError(f"no report with id '{report_id}' (see `findings reports`)")
            if self.embed:
                self.vectors()

    @contextmanager
    def _ingest_lock(self):
        path = self.settings.index_dir / LOCK_FILE
        with open(path, "w") as handle:
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


def correct_report(settings: Settings, report_id: str, field: str, value: str) -> None:
    Store(settings.index_dir, create=False).correct(report_id, field, value)


def _read_state(folder: Path) -> dict:
    try:
        return json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _write_state(folder: Path, state: dict) -> None:
    tmp = folder / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state))
    tmp.replace(folder / STATE_FILE)
