"""Test doubles: `FakeEmbedder` stands in for `findings.embedding.Embedder` in unit tests.

It hashes crudely stemmed word unigrams and bigrams into 64 signed buckets and L2-normalises,
so it is instant, deterministic across processes, and texts that share words score higher.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

from findings.embedding.windows import SplitSentences, make_windows

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)|(?<=[.?!][\"')\]\u2019\u201d])\s+(?=\S)")


def regex_split_sentences(text: str) -> list[str]:
    """A plain sentence splitter for tests: after ". ", "? " and "! " (or a closing quote)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ness", "ment", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """Lower-case and strip one common suffix, keeping a stem of at least three letters."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _bucket(feature: str, dim: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if (value >> 32) & 1 else -1.0)


class FakeEmbedder:
    """Same interface as `Embedder`: name, dim, max_tokens, encode, encode_spans, encode_query,
    windows.

    Tokens are words, so `max_tokens` counts words; set it low to exercise windowing.
    """

    name = "fake-hash-64"

    def __init__(
        self,
        dim: int = 64,
        max_tokens: int = 256,
        split_sentences: SplitSentences | None = None,
    ) -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self._split_sentences = split_sentences
        self.calls: list[int] = []  # batch sizes seen by encode, for tests of caching

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(t)) or len(t.split()) for t in texts]

    def windows(self, text: str) -> list[str]:
        return make_windows(text, self.count_tokens, self.max_tokens, self._split_sentences)

    def _vector(self, text: str) -> np.ndarray:
        words = [stem(w) for w in _WORD.findall(text)]
        features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)]
        weights = [1.0] * len(words) + [0.5] * (len(features) - len(words))
        vector = np.zeros(self.dim, dtype=np.float64)
        for feature, weight in zip(features or ["<empty>"], weights or [1.0], strict=True):
            index, sign = _bucket(feature, self.dim)
            vector[index] += sign * weight
        norm = np.linalg.norm(vector)
        if norm == 0:  # every feature cancelled out: fall back to a fixed direction
            vector[_bucket("<empty>", self.dim)[0]] = 1.0
            norm = 1.0
        return (vector / norm).astype(np.float32)

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 64,
        show_progress: bool = False,
        *,
        length_sorted: bool = True,
    ) -> np.ndarray:
        texts = list(texts)
        self.calls.append(len(texts))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def encode_spans(self, texts, spans, batch_size: int = 16) -> list[np.ndarray]:
        """Row 0 each text's vector, then one per (start, end) span: here the span's own words."""
        texts = list(texts)
        self.calls.append(len(texts))
        return [np.stack([self._vector(t)] + [self._vector(t[a:b]) for a, b in s])
                for t, s in zip(texts, spans, strict=True)]

    def encode_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def fake_seed_library(folder):
    """A Library over the five seeds in `folder`, embedded with the FakeEmbedder."""
    from pathlib import Path

    from findings.config import Settings
    from findings.library import Library

    seeds = Path(__file__).resolve().parents[1] / "seeds"
    library = Library(Settings(index_dir=folder, model="fake"), embedder=FakeEmbedder())
    assert not library.ingest([seeds]).failed
    return library
