"""Files -> stored reports: read, split, extract metadata, embed new text, write one transaction.

`ingest_paths` walks files and folders, skips unchanged files by content hash, replaces changed
ones, and reports every file it could not use with one reason.  Nothing already stored is lost
when a file fails: each report is written in its own transaction, after all the slow work.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from findings.metadata import extract_metadata
from findings.models import Paragraph, Report, ReportMeta
from findings.readers import SUPPORTED_SUFFIXES, ReadError
from findings.sandbox import read_pages_limited
from findings.split import split_pages
from findings.store import Store, text_hash, with_report_id

logger = logging.getLogger(__name__)

# Bump when the readers or splitter change what a file becomes: unchanged files are then read
# again on the next ingest (their vectors are cached by text, so only new text is embedded).
PARSER_VERSION = 3


@dataclass
class IngestSummary:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

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
    embedder=None,
    progress: Callable[[Iterable[Path]], Iterable[Path]] | None = None,
) -> IngestSummary:
    """Ingest files and folders into the store. `embedder` None stores text only.

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
                status = _store_read(path, current.result(), store, embedder)
            except ReadError as exc:
                logger.warning("%s: %s", path, exc)
                summary.failed.append((str(path), str(exc)))
                continue
            getattr(summary, status).append(str(path))
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
    read = _Read(_source(path), f"{_file_hash(path)}-p{PARSER_VERSION}")
    if existing and existing[1] == read.digest:
        return read
    read.pages = read_pages_limited(path)
    read.drafts = split_pages(read.pages)
    if not read.drafts:
        raise ReadError("no paragraphs found in the text")
    read.meta = extract_metadata(read.pages, path.name)
    return read


def _store_read(path: Path, read: _Read, store: Store, embedder=None) -> str:
    """Embed what `_read_if_changed` found and store it as one report."""
    if read.meta is None:
        return "unchanged"
    existing = store.source_hash(read.source)  # looked up again: an earlier file may share it
    report_id = existing[0] if existing else _new_report_id(read.meta, path, store)
    paragraphs = with_report_id(read.drafts, report_id)
    report = Report(report_id, read.source, read.digest, read.meta, pages=len(read.pages),
                    paragraph_count=len(paragraphs))
    vectors = list(embed_new(paragraphs, store, embedder)) if embedder is not None else []
    store.put_report(report, paragraphs, vectors)
    logger.info("%s: stored as %s with %d paragraphs", path.name, report_id, len(paragraphs))
    return "replaced" if existing else "added"


# Clauses of at most this many word pieces are read on their own (see embedding_parts).  The
# dev set scored semantic nDCG@10 0.691-0.694 at 8, 0.668-0.675 at 12 and 0.680 at 16, hybrid
# 0.743-0.749 throughout (docs/performance.md).  8 is also the length of the headline
# clause "Over-optimism about parental capacity to change", so longer headline clauses are pooled.
READ_ALONE_TOKENS = 8


def embed_new(paragraphs: list[Paragraph], store: Store, embedder):
    """(text_hash, model, window, vector) for every paragraph text not already cached."""
    hashes = {text_hash(p.text): p.text for p in paragraphs}
    cached = store.cached_hashes(embedder.name, hashes)
    todo = [(h, embedding_parts(t, embedder)) for h, t in hashes.items() if h not in cached]
    if not todo:
        return
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    firsts: list[int] = []
    for _, parts in todo:
        firsts.append(len(texts))
        texts.extend(parts.texts)
        spans.extend([] for _ in parts.texts)
        for t, a, b in parts.clauses:
            if a is not None:
                spans[firsts[-1] + t].append((a, b))
    matrices = embedder.encode_spans(texts, spans)
    for (h, parts), first in zip(todo, firsts, strict=True):
        rows = matrices[first : first + len(parts.texts)]
        vectors = [rows[w][0] for w in range(parts.windows)]
        taken = [1] * len(rows)
        for t, a, _ in parts.clauses:
            if a is None:
                vectors.append(rows[t][0])
            else:
                vectors.append(rows[t][taken[t]])
                taken[t] += 1
        for i, vector in enumerate(vectors):
            yield h, embedder.name, i, vector


@dataclass
class EmbeddingParts:
    """What the model reads for one paragraph, and where its clauses are.

    `texts[:windows]` are the paragraph's windows; any later text is a clause read on its own.
    `clauses` lists (text, start, end) in reading order: a span of `texts[text]`, or
    (text, None, None) for the whole of that text.
    """

    texts: list[str]
    windows: int
    clauses: list[tuple[int, int | None, int | None]]


def embedding_parts(text: str, embedder) -> EmbeddingParts:
    """What is embedded for one paragraph: its windows, and a vector for each clause.

    The whole paragraph (in overlapping windows when longer than the model's window) is read
    by the model.  A paragraph of several clauses also gets a vector per clause: inspectors
    often state a finding in one clause of a long sentence ("Over-optimism about parental
    capacity to change, along with ..."), and a whole-paragraph vector blurs it; search keeps
    each paragraph's best-matching clause.  A clause's vector is pooled from its own tokens in
    the paragraph's pass (`Embedder.encode_spans`, "late chunking"), which costs no model time;
    a clause of at most READ_ALONE_TOKENS word pieces is read on its own instead, because
    pooled from so few tokens its vector is mostly its context (the clause above scores 0.69
    against "social workers too optimistic that parents will change" read alone, 0.51
    pooled).  Vectors are numbered windows first, then clauses in reading order.
    """
    from findings.sentences import split_sentences

    windows = list(embedder.windows(text))
    parts = EmbeddingParts(list(windows), len(windows), [])
    pieces = [sentence[a:b] for sentence in split_sentences(text) for a, b in clause_spans(sentence)]
    if len(pieces) < 2:
        return parts
    window, cursor = 0, 0
    for piece, tokens in zip(pieces, embedder.count_tokens(pieces), strict=True):
        if tokens <= READ_ALONE_TOKENS:
            parts.clauses.append((len(parts.texts), None, None))
            parts.texts.append(piece)
            continue
        for w in range(window, len(windows)):
            at = windows[w].find(piece, cursor if w == window else 0)
            if at >= 0:
                window, cursor = w, at + len(piece)
                parts.clauses.append((w, at, cursor))
                break
        else:  # not verbatim in a window (a long sentence re-spaced by windowing): read alone
            parts.clauses.append((len(parts.texts), None, None))
            parts.texts.append(piece)
    return parts


_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[–—-]\s+")


def clause_spans(sentence: str, min_words: int = 4) -> list[tuple[int, int]]:
    """A sentence cut at commas, semicolons, colons and dashes into clauses of min_words or
    more, as (start, end) offsets; a short piece stays with the clause before it (the first
    with the one after it)."""
    spans: list[tuple[int, int]] = []
    start = len(sentence) - len(sentence.lstrip())
    stop = len(sentence.rstrip())
    for brk in [*_CLAUSE_BREAK.finditer(sentence, start, stop), None]:
        end = brk.start() if brk else stop
        if end > start:
            if spans and len(sentence[start:end].split()) < min_words:
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        start = brk.end() if brk else stop
    if len(spans) > 1 and len(sentence[slice(*spans[0])].split()) < min_words:
        spans[0:2] = [(spans[0][0], spans[1][1])]
    return spans


def clauses(sentence: str, min_words: int = 4) -> list[str]:
    """The clauses of `clause_spans` as text."""
    return [sentence[a:b] for a, b in clause_spans(sentence, min_words)]


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_TYPE_SLUG = {
    "ilacs_standard": "ilacs",
    "ilacs_short": "ilacs-short",
    "focused_visit": "focused-visit",
    "monitoring_visit": "monitoring-visit",
    "sif": "sif",
    "child_protection_2012": "child-protection",
    "jtai": "jtai",
    "peer_review": "peer-review",
    "press_release": "press-release",
}


def _new_report_id(meta: ReportMeta, path: Path, store: Store) -> str:
    """A readable, unique id such as "blackburn-with-darwen-2022-ilacs"."""
    when = meta.inspection_start or meta.published
    parts = [
        meta.authority or path.stem,
        str(when.year) if when else "",
        _TYPE_SLUG.get(meta.report_type, ""),
    ]
    base = re.sub(r"[^a-z0-9]+", "-", " ".join(p for p in parts if p).lower()).strip("-")[:60] or "report"
    taken = store.report_ids()
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate
