"""Files -> stored reports: read, split, extract metadata, embed new text, write one transaction.

`ingest_paths` walks files and folders, skips unchanged files by content hash, replaces changed
ones, and reports every file it could not use with one reason.  Nothing already stored is lost
when a file fails: each report is written in its own transaction, after all the slow work.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from findings.embedding.clauses import embed_texts
from findings.files import sha256_file
from findings.metadata import extract_metadata, not_a_report, unnamed_reports, unnamed_warning
from findings.models import Paragraph, Report, ReportMeta
from findings.readers import SUPPORTED_SUFFIXES, ReadError
from findings.sandbox import read_pages_limited
from findings.split import split_pages
from findings.store import Store, text_hash, with_report_id
from findings.vocabulary import report_type

if TYPE_CHECKING:
    from findings.embedding import Embedder

logger = logging.getLogger(__name__)

# Bump when the readers or splitter change what a file becomes: unchanged files are then read
# again on the next ingest (their vectors are cached by text, so only new text is embedded).
PARSER_VERSION = 5


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # stored, but needs the user

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)

    def line(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed"
        )


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files to ingest: the given files, and supported files anywhere under given folders."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
                and p.name.lower() != "readme.md"
            )
        else:
            found.append(path)
    return found


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder | None = None,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
    file_names: Mapping[str, str] | None = None,
) -> IngestSummary:
    """Ingest files and folders into the store. `embedder` None stores text only; `file_names`
    maps a path to the name the user knows the file by (an upload's own name).

    The next file is read (in the PDF sandbox's child process, then split) on a helper thread
    while this one is embedded, so parsing overlaps the model's work; files are still stored
    one at a time, in order."""
    files = find_files(paths)
    summary = IngestSummary()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="findings-read") as reader:

        def read(i: int) -> Future | None:
            if i >= len(files):
                return None
            return reader.submit(_read_if_changed, files[i], store.source_hash(_source(files[i])))

        ahead = read(0)
        for i, path in enumerate(progress(files) if progress else files):
            current, ahead = ahead, read(i + 1)
            try:
                name = (file_names or {}).get(str(path), path.name)
                status = _store_read(path, current.result(), store, embedder, name)
            except ReadError as exc:
                logger.warning("%s: %s", path, exc)
                summary.failed.append((str(path), str(exc)))
                continue
            getattr(summary, status).append(str(path))
            done = current.result()
            if done.meta and not done.meta.authority:  # unless the user named it before
                named = store.reports([store.source_hash(done.source)[0]])
                summary.warnings += [(str(path), unnamed_warning(r.id)) for r in unnamed_reports(named)]
    return summary


@dataclass
class _Read:
    """A file read and split (pages, drafts, metadata), or only its digest when unchanged."""

    source: str
    digest: str
    pages: list = field(default_factory=list)
    drafts: list = field(default_factory=list)
    meta: ReportMeta | None = None


def _source(path: Path) -> str:
    return str(path.resolve()) if path.exists() else str(path)


def _read_if_changed(path: Path, existing: tuple[str, str] | None) -> _Read:
    """The slow, store-free part of ingesting a file (`existing`: its stored (id, digest));
    safe on a helper thread."""
    if not path.exists():
        raise ReadError("no such file")
    if path.is_dir():
        raise ReadError("is a folder")
    read = _Read(_source(path), f"{sha256_file(path)}-p{PARSER_VERSION}")
    if existing and existing[1] == read.digest:
        return read
    read.pages = read_pages_limited(path)
    if reason := not_a_report(read.pages):
        raise ReadError(reason)
    read.drafts = split_pages(read.pages)
    if not read.drafts:
        raise ReadError("no paragraphs found in the text")
    read.meta = extract_metadata(read.pages, path.name)
    return read


def _store_read(
    path: Path, read: _Read, store: Store, embedder: Embedder | None = None, file_name: str = ""
) -> str:
    """Embed what `_read_if_changed` found and store it as one report."""
    if read.meta is None:
        return "unchanged"
    existing = store.source_hash(read.source)  # looked up again: an earlier file may share it
    report_id = existing[0] if existing else _new_report_id(read.meta, path, store)
    paragraphs = with_report_id(read.drafts, report_id)
    report = Report(report_id, read.source, read.digest, read.meta, pages=len(read.pages),
                    paragraph_count=len(paragraphs), file_name=file_name or path.name)
    vectors = list(embed_new(paragraphs, store, embedder)) if embedder is not None else []
    store.put_report(report, paragraphs, vectors)
    logger.info("%s: stored as %s with %d paragraphs", path.name, report_id, len(paragraphs))
    return "replaced" if existing else "added"


def embed_new(
    paragraphs: list[Paragraph], store: Store, embedder: Embedder
) -> Iterator[tuple[str, str, int, np.ndarray]]:
    """(text_hash, model, window, vector) for every paragraph text not already cached."""
    hashes = {text_hash(p.text): p.text for p in paragraphs}
    cached = store.cached_hashes(embedder.name, hashes)
    todo = {h: text for h, text in hashes.items() if h not in cached}
    for h, window, vector in embed_texts(todo, embedder):
        yield h, embedder.name, window, vector


def _new_report_id(meta: ReportMeta, path: Path, store: Store) -> str:
    """A readable, unique id such as "blackburn-with-darwen-2022-ilacs"."""
    parts = [meta.authority or path.stem, str(meta.year or ""), report_type(meta.report_type).slug]
    base = re.sub(r"[^a-z0-9]+", "-", " ".join(p for p in parts if p).lower()).strip("-")[:60] or "report"
    taken = store.report_ids()
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
