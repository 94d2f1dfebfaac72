"""Windows: a paragraph longer than the model's limit becomes overlapping runs of whole sentences.

`make_windows` is model-agnostic: it takes a token counter and a limit, so the real embedder
(`findings.embedding.model`) and the test fake cut paragraphs the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

SplitSentences = Callable[[str], Sequence[str]]
CountTokens = Callable[[Sequence[str]], list[int]]


def _default_splitter() -> SplitSentences:
    from findings.sentences import split_sentences

    return split_sentences


def _split_long(piece: str, count: CountTokens, limit: int) -> list[str]:
    """Break one over-long sentence into runs of whole words, each within `limit` tokens."""
    words: list[str] = []
    for word in piece.split():
        # A "word" with more tokens than the limit (a pasted URL) is cut into character runs;
        # a WordPiece token covers at least one character, so `limit` characters always fit.
        words.extend(word[i : i + limit] for i in range(0, len(word), limit))
    lengths = count(words)
    runs: list[str] = []
    current: list[str] = []
    total = 0
    for word, n in zip(words, lengths, strict=True):
        if current and total + n > limit:
            runs.append(" ".join(current))
            current, total = [], 0
        current.append(word)
        total += n
    if current:
        runs.append(" ".join(current))
    return runs


def make_windows(
    text: str,
    count: CountTokens,
    limit: int,
    split_sentences: SplitSentences | None = None,
) -> list[str]:
    """Cut `text` into windows of whole sentences of at most `limit` tokens each.

    `count` gives the token count of each string (without special tokens).  Consecutive
    windows share one sentence where that fits, and every sentence is in at least one window;
    a text within the limit is one window, returned unchanged.
    """
    if limit < 1:
        raise ValueError(f"the token limit must be positive, not {limit}")
    if not text.strip() or count([text])[0] <= limit:
        return [text]
    split = split_sentences or _default_splitter()
    sentences = [s.strip() for s in split(text) if s and s.strip()]
    lengths = count(sentences)
    pieces: list[str] = []
    for sentence, n in zip(sentences, lengths, strict=True):
        pieces.extend([sentence] if n <= limit else _split_long(sentence, count, limit))
    sizes = count(pieces)

    windows: list[str] = []
    start = 0
    while start < len(pieces):
        end, total = start, 0
        while end < len(pieces) and (end == start or total + sizes[end] <= limit):
            total += sizes[end]
            end += 1
        # The sum of the parts is exact for WordPiece; check the joined text for other tokenizers.
        while end - start > 1 and count([" ".join(pieces[start:end])])[0] > limit:
            end -= 1
        windows.append(" ".join(pieces[start:end]))
        if end >= len(pieces):
            break
        overlap = end - 1
        start = overlap if overlap > start and sizes[overlap] + sizes[end] <= limit else end
    return windows
