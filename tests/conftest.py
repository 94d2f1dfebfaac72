"""Shared fixtures: the real default model (loaded once per session) and the fake embedder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fakes import FakeEmbedder


@pytest.fixture(scope="session")
def embedder():
    """The packaged all-MiniLM-L6-v2, loaded once; use only in tests marked `model`."""
    from findings.embedding import load_embedder

    return load_embedder()


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    """A deterministic hashing embedder with the Embedder interface (dim 64)."""
    return FakeEmbedder()


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus; skipped when absent, except in CI where it must be present."""
    if not (CORPUS / "ilacs").is_dir():
        if os.environ.get("FINDINGS_REQUIRE_CORPUS"):
            pytest.fail(f"FINDINGS_REQUIRE_CORPUS is set but {CORPUS} is missing")
        pytest.skip(f"the development corpus is not at {CORPUS} (it lives beside the project)")
    return CORPUS


SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, embedder) -> Path:
    """An index of the five seeds built once with the real model; copy it before changing it."""
    from findings.config import Settings
    from findings.library import Library

    folder = tmp_path_factory.mktemp("seed-index")
    summary = Library(Settings.load(folder), embedder=embedder).ingest([SEEDS])
    assert not summary.failed, summary.failed
    return folder


@pytest.fixture(scope="session")
def seed_library(seed_index, embedder):
    """A read-only Library over the seed index (do not ingest into it)."""
    from findings.config import Settings
    from findings.library import Library

    return Library(Settings.load(seed_index), embedder=embedder)


@pytest.fixture
def test_readers(monkeypatch):
    """A reader worker that can import tests/fault_readers.py; stopped afterwards."""
    from findings import sandbox

    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parent))
    if sandbox._the_worker is not None:
        sandbox._the_worker.stop()
    yield
    if sandbox._the_worker is not None:
        sandbox._the_worker.stop()
