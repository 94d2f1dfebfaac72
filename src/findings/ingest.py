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
PARSER_VERSION = 2


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
    """Ingest files and folders into the store. `embedder` None stores text only."""
    files = find_files(paths)
    summary = IngestSummary()
    for path in progress(files) if progress else files:
        source = str(path.resolve()) if path.exists() else str(path)
        try:
            status = ingest_file(path, source, store, embedder)
        except ReadError as exc:
            logger.warning("%s: %s", path, exc)
            summary.failed.append((str(path), str(exc)))
            continue
        getattr(summary, status).append(str(path))
    return summary


def ingest_file(path: Path, source: str, store: Store, embedder=None) -> str:
    """Ingest one file; returns "added", "replaced" or "unchanged"; raises ReadError."""
    if not path.exists():
        raise ReadError("no such file")
    if path.is_dir():
        raise ReadError("is a folder")
    digest = f"{_file_hash(path)}-p{PARSER_VERSION}"
    existing = store.source_hash(source)
    if existing and existing[1] == digest:
        return "unchanged"
    pages = read_pages_limited(path)
    drafts = split_pages(pages)
    if not drafts:
        raise ReadError("no paragraphs found in the text")
    meta = extract_metadata(pages, path.name)
    report_id = existing[0] if existing else _new_report_id(meta, path, store)
    paragraphs = with_report_id(drafts, report_id)
    report = Report(report_id, source, digest, meta, pages=len(pages), paragraph_count=len(paragraphs))
    vectors = list(embed_new(paragraphs, store, embedder)) if embedder is not None else []
    store.put_report(report, paragraphs, vectors)
    logger.info("%s: stored as %s with %d paragraphs", path.name, report_id, len(paragraphs))
    return "replaced" if existing else "added"


def embed_new(paragraphs: list[Paragraph], store: Store, embedder):
    """(text_hash, model, window, vector) for every paragraph text not already cached."""
    hashes = {text_hash(p.text): p.text for p in paragraphs}
    cached = store.cached_hashes(embedder.name, hashes)
    todo = [(h, t) for h, t in hashes.items() if h not in cached]
    if not todo:
        return
    windows = [(h, i, w) for h, t in todo for i, w in enumerate(embedding_texts(t, embedder))]
    matrix = embedder.encode([w for _, _, w in windows])
    for (h, i, _), vector in zip(windows, matrix):
        yield h, embedder.name, i, vector


def embedding_texts(text: str, embedder) -> list[str]:
    """What is embedded for one paragraph; search keeps each paragraph's best-matching vector.

    The whole paragraph (in overlapping windows when longer than the model's window), and,
    for a paragraph of several sentences or clauses, each clause: inspectors often state a
    finding in one clause of a long sentence ("Over-optimism about parental capacity to
    change, along with ..."), and a whole-paragraph vector blurs it.  On the seeds this takes
    "social workers too optimistic that parents will change" from outside the top 10 to first.
    """
    from findings.sentences import split_sentences

    texts = list(embedder.windows(text))
    pieces = [clause for sentence in split_sentences(text) for clause in clauses(sentence)]
    if len(pieces) > 1:
        texts += pieces
    return texts


_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[–—-]\s+")


def clauses(sentence: str, min_words: int = 4) -> list[str]:
    """A sentence cut at commas, semicolons, colons and dashes into clauses of min_words or
    more; a short piece stays with the clause before it."""
    pieces: list[str] = []
    for piece in _CLAUSE_BREAK.split(sentence.strip()):
        if pieces and len(piece.split()) < min_words:
            pieces[-1] = f"{pieces[-1]}, {piece}"
        elif piece:
            pieces.append(piece)
    if len(pieces) > 1 and len(pieces[0].split()) < min_words:
        pieces[1] = f"{pieces[0]}, {pieces[1]}"
        pieces.pop(0)
    return pieces


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
