"""Embedding: the model behind one small interface, its runtimes, windows and clause vectors.

`Embedder` is the interface everything else types against (the real `ModelEmbedder` and the
tests' fake both satisfy it); `load_embedder` is the one factory.  Modules:
`model` (loading offline, batching, caching), `backends` (ONNX int8, ONNX fp32, torch),
`onnx` (the one-off local export), `windows` (long paragraphs), `clauses` (what is embedded
for a paragraph).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from findings.embedding.backends import EmbedError
from findings.embedding.model import DEFAULT_MODEL, ModelEmbedder, ModelNotFound, load_embedder

__all__ = [
    "DEFAULT_MODEL", "EmbedError", "Embedder", "ModelEmbedder", "ModelNotFound", "load_embedder",
]


@runtime_checkable
class Embedder(Protocol):
    """A sentence-embedding model: unit float32 vectors of `dim` dimensions.

    `name` identifies the model (and backend) in the index: vectors of two names never mix.
    """

    name: str
    dim: int
    max_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def windows(self, text: str) -> list[str]: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> list[np.ndarray]: ...

    def encode_query(self, text: str) -> np.ndarray: ...
