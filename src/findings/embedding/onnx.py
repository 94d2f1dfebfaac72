"""The embedding model run by ONNX Runtime: export once, offline, then load without torch.

A sentence-transformers folder of the usual shape (a BERT-like transformer, mean pooling,
optionally Normalize, and a `tokenizer.json`) is exported to ONNX from its own local weights the
first time it is used, and kept in a cache folder (`$FINDINGS_ONNX_CACHE`, else
`$XDG_CACHE_HOME/findings/onnx`, else `~/.cache/findings/onnx`), one subfolder per model
fingerprint (file names, sizes and modification times, and the export format version).  Nothing
is ever downloaded: the export reads the same files torch would.  Only the export needs torch
and the `onnx` package; afterwards a process needs onnxruntime and tokenizers alone, which is
what makes a search process start in about a second instead of importing torch.

Two variants:

* `fp32`: the exported graph with ONNX Runtime's transformer fusions (attention, layer norm,
  GELU).  Its vectors equal torch's to within 1e-5 (cosine 1.00000 on 500 corpus texts), so it
  shares the torch model's name, vector cache and indexes.
* `int8`: the same graph with per-channel dynamic int8 weights (`quantize_dynamic`).  About 3x
  faster than torch on AVX-512 VNNI, but vectors move (cosine to torch 0.992 on average, 0.98
  at worst) and, because activations are quantized per batch, a text's vector depends slightly on
  the batch it was encoded in.  It gets its own model name (`<name>+int8`), so its vectors never
  mix with fp32 ones.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from findings.files import atomic_write

logger = logging.getLogger(__name__)

EXPORT_VERSION = 1
CACHE_ENV = "FINDINGS_ONNX_CACHE"
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxUnsupported(Exception):
    """This model folder cannot be run by the ONNX backend (the caller falls back to torch)."""


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "findings" / "onnx"


def check_supported(folder: Path) -> dict:
    """The folder's pooling and length settings; raises OnnxUnsupported for other shapes."""
    try:
        modules = json.loads((folder / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_path = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((folder / pooling_path / "config.json").read_text())
        config = json.loads((folder / "config.json").read_text())
        st_config = json.loads((folder / "sentence_bert_config.json").read_text())
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise OnnxUnsupported(f"not a standard sentence-transformers folder ({exc})") from exc
    mean_only = pooling.get("pooling_mode_mean_tokens") and not any(
        pooling.get(k)
        for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    )
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"} or not mean_only:
        raise OnnxUnsupported(f"modules {kinds} with pooling {pooling} are not mean pooling")
    if not (folder / "tokenizer.json").is_file():
        raise OnnxUnsupported("no tokenizer.json")
    if config.get("model_type") not in {"bert", "roberta", "xlm-roberta", "mpnet", "distilbert"}:
        raise OnnxUnsupported(f"model type {config.get('model_type')!r}")
    return {
        "dim": int(pooling.get("word_embedding_dimension") or config["hidden_size"]),
        "max_seq_length": int(st_config.get("max_seq_length") or 512),
        "type_vocab": int(config.get("type_vocab_size") or 0),
        "heads": int(config.get("num_attention_heads") or 0),
        "hidden": int(config.get("hidden_size") or 0),
    }


def fingerprint(folder: Path) -> str:
    """Cheap identity of a model folder: names, sizes and mtimes of its files."""
    digest = hashlib.sha256(f"export-v{EXPORT_VERSION}".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


def model_file(folder: Path, quantized: bool, info: dict) -> Path:
    """The cached ONNX file for `folder`, exported (and quantized) first when missing."""
    target = cache_root() / fingerprint(folder)
    raw = target / "model-raw.onnx"
    fused = target / "model.onnx"
    int8 = target / "model-int8.onnx"
    wanted = int8 if quantized else fused
    if wanted.is_file():
        return wanted
    target.mkdir(parents=True, exist_ok=True)
    if not raw.is_file():
        _export(folder, raw, info)
    if quantized:
        atomic_write(int8, lambda tmp: _quantize(raw, tmp))
    else:
        atomic_write(fused, lambda tmp: _fuse(raw, tmp, info))
    return wanted


def _export(folder: Path, path: Path, info: dict) -> None:
    """Export the transformer of a local folder to ONNX (needs torch, transformers and onnx)."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise OnnxUnsupported(f"exporting needs torch, transformers and onnx ({exc})") from exc
    logger.info("Exporting %s to ONNX in %s (once per model)", folder, path.parent)
    model = AutoModel.from_pretrained(str(folder), local_files_only=True).eval()

    class Wrapped(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
            if info["type_vocab"]:
                kwargs["token_type_ids"] = token_type_ids
            return self.inner(**kwargs).last_hidden_state

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}

    def write(tmp: Path) -> None:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapped(model), (ids, mask, torch.zeros_like(ids)), str(tmp),
                input_names=list(_INPUTS), output_names=["last_hidden_state"],
                dynamic_axes=axes, opset_version=OPSET, dynamo=False,
            )

    atomic_write(path, write)


def _fuse(raw: Path, out: Path, info: dict) -> None:
    """ONNX Runtime's offline transformer fusions; the unfused graph when they do not apply."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(
            str(raw), model_type="bert", num_heads=info["heads"], hidden_size=info["hidden"]
        )
        optimized.save_model_to_file(str(out))
    except Exception as exc:  # noqa: BLE001 - fusions are an optimisation only
        logger.warning("ONNX fusions failed (%s); using the unfused graph", exc)
        import shutil

        shutil.copyfile(raw, out)


def _quantize(raw: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # ONNX Runtime's quantizer logs a "consider pre-processing" advice on the root logger;
    # it is meant for image models and would be the first thing a new user reads.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(str(raw), str(out), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


class _TokenizerAdapter:
    """`tokenizer(text)["input_ids"]`, as the transformers tokenizer answers it (with specials)."""

    def __init__(self, tokenizer) -> None:
        self._tokenizer = tokenizer

    def __call__(self, text, add_special_tokens: bool = True, **_: object) -> dict:
        if isinstance(text, str):
            return {"input_ids": self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids}
        encoded = self._tokenizer.encode_batch(list(text), add_special_tokens=add_special_tokens)
        return {"input_ids": [e.ids for e in encoded]}


class OnnxModel:
    """Tokenize, run the exported transformer, mean-pool and normalise: float32 unit rows."""

    def __init__(self, folder: str | os.PathLike[str], threads: int, quantized: bool = False) -> None:
        folder = Path(folder)
        info = check_supported(folder)
        self.dim: int = info["dim"]
        self.max_seq_length: int = info["max_seq_length"]
        self.path = model_file(folder, quantized, info)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise OnnxUnsupported(f"onnxruntime or tokenizers is missing ({exc})") from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
        counter.no_truncation()
        counter.no_padding()
        self._counter = counter
        self.tokenizer = _TokenizerAdapter(counter)
        batcher = Tokenizer.from_file(str(folder / "tokenizer.json"))
        batcher.enable_truncation(self.max_seq_length)
        batcher.enable_padding(pad_id=batcher.token_to_id("[PAD]") or 0)
        self._batcher = batcher

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=False)]

    def special_tokens(self) -> int:
        return len(self._counter.encode("", add_special_tokens=True).ids)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One batch: padded to its longest text, so pass texts of similar length together."""
        return self._pool(*self._run(texts)[:2])

    def token_states(self, texts: Sequence[str]) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        """One batch of stripped texts: (unit text vectors, each text's token states (n, dim),
        each text's token character offsets (n, 2) in the stripped text; (0, 0) for specials)."""
        hidden, mask, encoded = self._run(texts)
        lengths = mask.sum(axis=1)
        states = [hidden[row, :n] for row, n in enumerate(lengths)]
        offsets = [
            np.array(e.offsets[:n], dtype=np.int64).reshape(-1, 2)
            for e, n in zip(encoded, lengths, strict=True)
        ]
        return self._pool(hidden, mask), states, offsets

    def _run(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, list]:
        encoded = self._batcher.encode_batch([t.strip() for t in texts])
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._input_names})[0]
        return hidden, mask, encoded

    @staticmethod
    def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean over each text's tokens, normalised: sentence-transformers' mean pooling."""
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
