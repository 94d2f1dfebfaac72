"""The runtimes behind the embedding model, each behind the same small `Backend` interface.

`load_backend(path, name, kind, threads)` is the one factory: `onnx-int8` (the default: the
model exported once to ONNX, its weights quantized to int8 per channel, run by ONNX Runtime),
`onnx` (the fp32 export: the same vectors as torch to within 1e-5) or `torch`
(sentence-transformers itself, also the fallback for a folder the exporter cannot handle).
A backend reads one batch at a time; batching, caching and windows are `ModelEmbedder`'s.

torch and sentence-transformers are imported inside functions, so importing this module stays
instant; either ONNX backend keeps a search process from importing torch at all.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Sequence
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

BACKENDS = ("onnx-int8", "onnx", "torch")
DEFAULT_BACKEND = "onnx-int8"
BACKEND_ENV = "FINDINGS_BACKEND"


class EmbedError(Exception):
    """The embedding model cannot be used; the message is one sentence for the user."""


class Backend(Protocol):
    """One model runtime: token counts and one padded batch at a time."""

    dim: int
    max_seq_length: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def special_tokens(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def token_states(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]: ...


def choose_backend(backend: str | None) -> str:
    """The backend asked for, else `$FINDINGS_BACKEND`, else the default; checked."""
    chosen = (backend or os.environ.get(BACKEND_ENV) or DEFAULT_BACKEND).strip().lower()
    if chosen not in BACKENDS:
        raise EmbedError(f"Unknown embedding backend {chosen!r}; use one of {', '.join(BACKENDS)}.")
    return chosen


def load_backend(path: str, name: str, kind: str, threads: int) -> tuple[str, Backend]:
    """(the backend actually used, the loaded model) for the model folder at `path`."""
    if kind.startswith("onnx"):
        go_offline()
        from findings.embedding.onnx import OnnxModel, OnnxUnsupported

        try:
            return kind, OnnxModel(path, threads, quantized=kind == "onnx-int8")
        except OnnxUnsupported as exc:
            logger.info("Using torch for %s: the ONNX backend cannot run it (%s)", name, exc)
    return "torch", TorchModel(path, name, threads)


def go_offline() -> None:
    """Switch the Hugging Face libraries offline; must run before they are imported."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if "huggingface_hub" in sys.modules:
        # Imported earlier by someone else: the flag was read at import time, so set it too.
        # Models are resolved to local folders first, so this is belt and braces.
        from huggingface_hub import constants

        constants.HF_HUB_OFFLINE = True


class TorchModel:
    """sentence-transformers on the CPU, with the same interface as `OnnxModel`."""

    def __init__(self, path: str, name: str, threads: int) -> None:
        self._model = _load_sentence_transformer(path, name, threads)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        limit = self._model.max_seq_length or getattr(self._model.tokenizer, "model_max_length", 0)
        self.max_seq_length = int(limit or 512)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encoded = self._model.tokenizer(
            list(texts), add_special_tokens=False, truncation=False, verbose=False
        )
        return [len(ids) for ids in encoded["input_ids"]]

    def special_tokens(self) -> int:
        return len(self._model.tokenizer("", add_special_tokens=True)["input_ids"])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(
            list(texts),
            batch_size=len(texts),
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )

    def token_states(
        self, texts: Sequence[str]
    ) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """(unit text vectors, token states, token offsets in the stripped text) for a batch."""
        import torch

        encoded = self._model.tokenizer(
            [t.strip() for t in texts], padding=True, truncation=True,
            max_length=min(self.max_seq_length, 512), return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = encoded.pop("offset_mapping").numpy()
        with torch.inference_mode():
            features = self._model(dict(encoded))
        vectors = features["sentence_embedding"].float().numpy()
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        lengths = encoded["attention_mask"].sum(dim=1).tolist()
        hidden = features["token_embeddings"].float().numpy()
        states = [hidden[row, :n] for row, n in enumerate(lengths)]
        return vectors.astype(np.float32), states, [offsets[row, :n] for row, n in enumerate(lengths)]


def _load_sentence_transformer(path: str, name: str, threads: int):  # -> SentenceTransformer
    go_offline()
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work has started: harmless
        pass
    from sentence_transformers import SentenceTransformer

    logger.info("Loading model %s from %s with %d torch threads", name, path, threads)
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # the per-tensor "Loading weights" bar is noise here
    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    except Exception as exc:  # any failure here means "not a usable model folder"
        detail = re.split(r"(?<=[.:;])\s", str(exc).strip(), maxsplit=1)[0].rstrip(".:;")
        raise EmbedError(
            f"The model at {path} could not be loaded "
            f"({exc.__class__.__name__}: {detail or 'no detail'})."
        ) from exc
    finally:
        if bars:
            hf_logging.enable_progress_bar()
