"""Files -> stored reports: read, split, extract metadata, embed new text, write one transaction.

`ingest_paths` walks files and folders (symbolic links inside them skipped unless followed),
skips unchanged files by content hash, names a file already indexed from another path as a
duplicate, replaces changed ones, and reports every file it could not use with one reason.  Each
file is read, split and described in the sandbox's child process and then embedded, all under one
budget scaled to its size (`findings.budget`).  Nothing already stored is lost when a file fails:
each report is written in its own transaction, after all the slow work.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from findings.budget import Budget, FileLimits
from findings.display import path_text, printable
from findings.embedding.clauses import embed_texts
from findings.files import sha256_file
from findings.metadata import unnamed_reports, unnamed_warning
from findings.models import Paragraph, Report, ReportMeta
from findings.readers import SUPPORTED_SUFFIXES, ReadError
from findings.sandbox import parse_limited
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
    skipped: list[tuple[str, str]] = field(default_factory=list)  # not read: a symbolic link
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # a file already indexed elsewhere

    @property
    def changed(self) -> bool:
        return bool(self.added or self.replaced)

    def line(self) -> str:
        line = (
            f"{len(self.added)} added, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {len(self.failed)} failed"
        )
        if self.skipped:
            line += f", {len(self.skipped)} skipped"
        if self.duplicates:
            line += f", {len(self.duplicates)} duplicate{'s' if len(self.duplicates) > 1 else ''}"
        return line


LINK_SKIPPED = "a symbolic link; pass --follow-links to ingest what it points to"


@dataclass
class FoundFiles:
    """What `walk` found: the files to read, and what it passed over with the reason why."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def find_files(paths: Iterable[str | Path], follow_links: bool = False) -> list[Path]:
    """Files to ingest: the given files, and supported files anywhere under given folders."""
    return walk(paths, follow_links).files


def walk(paths: Iterable[str | Path], follow_links: bool = False) -> FoundFiles:
    """The given files, and the supported files under the given folders, each once.  Inside a
    folder a symbolic link (to a file or a folder) is passed over with a reason, unless
    `follow_links`: then what it points to is walked too, each folder once (no loops)."""
    found = FoundFiles()
    seen: set[str] = set()  # real paths: a file reached by two routes is read once
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            _walk_folder(path, follow_links, found, seen)
        elif os.path.realpath(path) not in seen:
            seen.add(os.path.realpath(path))
            found.files.append(path)
    return found


def _walk_folder(top: Path, follow_links: bool, found: FoundFiles, seen: set[str]) -> None:
    def unreadable(error: OSError) -> None:
        found.failed.append((error.filename or str(top), f"the folder cannot be read ({error.strerror or error})"))

    files: list[Path] = []
    walked: set[str] = set()
    for folder, dirs, names in os.walk(top, onerror=unreadable, followlinks=follow_links):
        real = os.path.realpath(folder)
        if real in walked:  # a link back to a folder already walked
            dirs[:] = []
            continue
        walked.add(real)
        kept = []
        for name in sorted(dirs):
            if not follow_links and os.path.islink(os.path.join(folder, name)):
                found.skipped.append((os.path.join(folder, name), LINK_SKIPPED))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in names:
            path = Path(folder, name)
            if not _wanted(path):
                continue
            if path.is_symlink() and not follow_links:
                found.skipped.append((str(path), LINK_SKIPPED))
            elif path.is_file() and os.path.realpath(path) not in seen:
                seen.add(os.path.realpath(path))
                files.append(path)
    found.files += sorted(files)
    found.skipped.sort()


def _wanted(path: Path) -> bool:
    return (path.suffix.lower() in SUPPORTED_SUFFIXES and not path.name.startswith(".")
            and path.name.lower() != "readme.md")


def ingest_paths(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder | None = None,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
    file_names: Mapping[str, str] | None = None,
    follow_links: bool = False,
    limits: FileLimits | None = None,
) -> IngestSummary:
    """Ingest files and folders into the store. `embedder` None stores text only; `file_names`
    maps a path to the name the user knows the file by (an upload's own name); symbolic links
    inside folders are skipped unless `follow_links`.  A file with the same bytes as a report
    indexed from another path is a duplicate, not a second report.  Each file's reading,
    splitting and embedding together must fit its budget (`limits`, scaled to its size).

    The next file is parsed (read and split in the sandbox's child process) on a helper thread
    while this one is embedded, so parsing overlaps the model's work; files are still stored
    one at a time, in order."""
    limits = limits or FileLimits()
    found = walk(paths, follow_links)
    files = found.files
    summary = IngestSummary(failed=list(found.failed), skipped=list(found.skipped))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="findings-read") as reader:

        def read(i: int) -> Future | None:
            if i >= len(files):
                return None
            return reader.submit(_read_if_changed, files[i], store.source_hash(_source(files[i])), store, limits)

        ahead = read(0)
        for i, path in enumerate(progress(files) if progress else files):
            current, ahead = ahead, read(i + 1)
            try:
                name = (file_names or {}).get(str(path)) or path_text(path.name)
                status = _store_read(path, current.result(), store, embedder, name)
            except ReadError as exc:
                logger.info("%s: %s", printable(path), exc)  # the caller tells the user, once
                summary.failed.append((str(path), str(exc)))
                continue
            except Duplicate as exc:
                logger.info("%s: %s", printable(path), exc)
                summary.duplicates.append((str(path), str(exc)))
                continue
            getattr(summary, status).append(str(path))
            done = current.result()
            if done.meta and not done.meta.authority:  # unless the user named it before
                named = store.reports([store.source_hash(done.source)[0]])
                summary.warnings += [(str(path), unnamed_warning(r.id)) for r in unnamed_reports(named)]
    return summary


class Duplicate(Exception):
    """The file has the same bytes as a report indexed from another path; says which."""

    def __init__(self, report_id: str, source: str) -> None:
        super().__init__(f"the same file as {report_id}, already indexed from {source}")
        self.report_id = report_id


@dataclass
class _Read:
    """A file read and split (pages, drafts, metadata), or only its digest when unchanged."""

    source: str
    digest: str
    pages: list = field(default_factory=list)
    drafts: list = field(default_factory=list)
    meta: ReportMeta | None = None
    budget: Budget | None = None  # what is left of the file's budget, for embedding


def _source(path: Path) -> str:
    """The text a file is known by in the store: its full path (`path_text`: storable even when
    its name is not UTF-8)."""
    return path_text(path.resolve() if path.exists() else path)


def _read_if_changed(
    path: Path, existing: tuple[str, str] | None, store: Store, limits: FileLimits | None = None
) -> _Read:
    """The slow part of ingesting a file (`existing`: its stored (id, digest)): read, screen,
    split and describe it in the sandbox's child, under the file's budget; safe on a helper
    thread (the store gives each thread its own connection, and is only read here)."""
    if not path.exists():
        raise ReadError("no such file")
    if path.is_dir():
        raise ReadError("is a folder")
    try:
        read = _Read(_source(path), f"{sha256_file(path)}-p{PARSER_VERSION}")
        size = path.stat().st_size
    except OSError as exc:
        raise ReadError(f"the file cannot be read ({exc.strerror or exc})") from exc
    if existing and existing[1] == read.digest:
        return read
    _check_not_duplicate(read, existing, store)  # before the slow work: a copy is never parsed
    read.budget = (limits or FileLimits()).budget(size)
    parsed = parse_limited(path, read.budget, path_text(path.name))
    read.pages, read.drafts, read.meta = parsed.pages, parsed.drafts, parsed.meta
    return read


def _check_not_duplicate(read: _Read, existing: tuple[str, str] | None, store: Store) -> None:
    """Raise `Duplicate` when a file new to the index has the bytes of a report stored from
    another path.  (A file already stored from this path that changed is replaced as before.)"""
    if existing:
        return
    same = store.report_with_content(read.digest.split("-", 1)[0])
    if same and same[1] != read.source:
        raise Duplicate(*same)


def _store_read(
    path: Path, read: _Read, store: Store, embedder: Embedder | None = None, file_name: str = ""
) -> str:
    """Embed what `_read_if_changed` found and store it as one report."""
    if read.meta is None:
        return "unchanged"
    existing = store.source_hash(read.source)  # looked up again: an earlier file may share it
    _check_not_duplicate(read, existing, store)  # ... or have the same bytes
    report_id = existing[0] if existing else _new_report_id(read.meta, path, store)
    paragraphs = with_report_id(read.drafts, report_id)
    report = Report(report_id, read.source, read.digest, read.meta, pages=len(read.pages),
                    paragraph_count=len(paragraphs), file_name=file_name or path_text(path.name))
    vectors = list(embed_new(paragraphs, store, embedder, read.budget)) if embedder is not None else []
    store.put_report(report, paragraphs, vectors)
    logger.info("%s: stored as %s with %d paragraphs", printable(path.name), report_id, len(paragraphs))
    return "replaced" if existing else "added"


EMBED_BATCH = 128  # paragraph texts embedded between two checks of the file's budget


def embed_new(
    paragraphs: list[Paragraph], store: Store, embedder: Embedder, budget: Budget | None = None
) -> Iterator[tuple[str, str, int, np.ndarray]]:
    """(text_hash, model, window, vector) for every paragraph text not already cached, embedded
    `EMBED_BATCH` texts at a time; with a `budget`, its time and memory are checked after each
    batch (ReadError when spent)."""
    hashes = {text_hash(p.text): p.text for p in paragraphs}
    cached = store.cached_hashes(embedder.name, hashes)
    todo = [(h, text) for h, text in hashes.items() if h not in cached]
    held = 0
    for start in range(0, len(todo), EMBED_BATCH):
        began = time.monotonic()
        rows = [(h, embedder.name, window, vector)
                for h, window, vector in embed_texts(dict(todo[start : start + EMBED_BATCH]), embedder)]
        if budget is not None:
            held += sum(row[3].nbytes for row in rows)
            budget.charge(time.monotonic() - began)
            budget.check(held)
        yield from rows


def _new_report_id(meta: ReportMeta, path: Path, store: Store) -> str:
    """A readable, unique id such as "blackburn-with-darwen-2022-ilacs"."""
    parts = [meta.authority or path.stem, str(meta.year or ""), report_type(meta.report_type).slug]
    base = re.sub(r"[^a-z0-9]+", "-", " ".join(p for p in parts if p).lower()).strip("-")[:60] or "report"
    taken = store.report_ids()
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
