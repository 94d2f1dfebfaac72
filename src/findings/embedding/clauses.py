"""What is embedded for a paragraph: its windows and a vector for each of its clauses.

Inspectors often state a finding in one clause of a long sentence, and a whole-paragraph
vector blurs it, so each paragraph also gets a vector per clause and search keeps its best
clause (`findings.search`).  `embed_texts` embeds many paragraphs in one batched pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from findings.embedding import Embedder

# Clauses of at most this many word pieces are read on their own (see embedding_parts).  The
# dev set scored semantic nDCG@10 0.691-0.694 at 8, 0.668-0.675 at 12 and 0.680 at 16, hybrid
# 0.743-0.749 throughout (docs/performance.md).  8 is also the length of the headline
# clause "Over-optimism about parental capacity to change", so longer headline clauses are pooled.
READ_ALONE_TOKENS = 8



def embed_texts(
    texts: Mapping[str, str], embedder: Embedder, read_alone: int = READ_ALONE_TOKENS
) -> Iterator[tuple[str, int, np.ndarray]]:
    """(key, vector number, vector) for each text of `texts` (key -> paragraph text): its
    windows first, then its clauses (see `embedding_parts`), all in one model pass."""
    todo = [(key, embedding_parts(text, embedder, read_alone)) for key, text in texts.items()]
    if not todo:
        return
    texts_read: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    firsts: list[int] = []
    for _, parts in todo:
        firsts.append(len(texts_read))
        texts_read.extend(parts.texts)
        spans.extend([] for _ in parts.texts)
        for t, a, b in parts.clauses:
            if a is not None:
                spans[firsts[-1] + t].append((a, b))
    matrices = embedder.encode_spans(texts_read, spans)
    for (key, parts), first in zip(todo, firsts, strict=True):
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
            yield key, i, vector


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


def embedding_parts(text: str, embedder: Embedder, read_alone: int = READ_ALONE_TOKENS) -> EmbeddingParts:
    """What is embedded for one paragraph: its windows, and a vector for each clause.

    The whole paragraph (in overlapping windows when longer than the model's window) is read
    by the model.  A paragraph of several clauses also gets a vector per clause: inspectors
    often state a finding in one clause of a long sentence ("Over-optimism about parental
    capacity to change, along with ..."), and a whole-paragraph vector blurs it; search keeps
    each paragraph's best-matching clause.  A clause's vector is pooled from its own tokens in
    the paragraph's pass (`Embedder.encode_spans`, "late chunking"), which costs no model time;
    a clause of at most `read_alone` word pieces is read on its own instead, because
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
        if tokens <= read_alone:
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
