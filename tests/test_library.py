"""The Library keeps SQLite and FAISS in step, and says clearly when the model changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from findings.config import Settings
from findings.errors import IngestLocked
from findings.library import Library
from findings.store import StoreError

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


class OtherFake(FakeEmbedder):
    name = "another-model"


def test_vectors_follow_ingest_and_remove(tmp_path):
    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"])
    stored = {p.id for p in library.store.paragraphs("blackburn-with-darwen-2022-ilacs")}
    assert {h.paragraph.id for h in library.search("domestic abuse", k=200)} <= stored
    library.ingest([SEEDS / "blackpool-2012-child-protection-inspection.md"])
    assert any(h.report.id == "blackpool-2012-child-protection"
               for h in library.search("protection of children in Blackpool", k=5, mode="semantic"))
    library.remove("blackpool-2012-child-protection")
    assert all(h.report.id != "blackpool-2012-child-protection"
               for h in library.search("protection of children in Blackpool", k=50, mode="semantic"))


def test_another_model_gets_a_clear_message_and_reindex_fixes_it(tmp_path):
    Library(Settings.load(tmp_path), embedder=FakeEmbedder()).ingest([SEEDS])
    other = Library(Settings.load(tmp_path), embedder=OtherFake())
    with pytest.raises(StoreError, match=r"no vectors for model 'another-model'.*findings reindex"):
        other.search("care leavers", mode="semantic")
    assert other.search("care leavers", mode="keyword")  # keywords need no model
    assert other.reindex() > 0
    assert other.search("care leavers", mode="semantic")
    # Back to the first model: its vectors are still stored, so the index is rebuilt, not re-embedded.
    first = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    assert first.search("care leavers", mode="semantic")


def test_missing_faiss_file_is_rebuilt_from_stored_vectors(tmp_path):
    Library(Settings.load(tmp_path), embedder=FakeEmbedder()).ingest([SEEDS])
    before = [h.paragraph.id for h in Library(Settings.load(tmp_path), embedder=FakeEmbedder())
              .search("neglect", mode="semantic")]
    (tmp_path / "vectors.faiss").unlink()

    class NoEmbedding(FakeEmbedder):
        def encode(self, texts, **kwargs):  # the query is encoded with encode_query
            raise AssertionError("re-embedded stored paragraphs")

        def encode_spans(self, texts, spans, **kwargs):
            raise AssertionError("re-embedded stored paragraphs")

    after = [h.paragraph.id for h in Library(Settings.load(tmp_path), embedder=NoEmbedding())
             .search("neglect", mode="semantic")]
    assert after == before


def test_a_second_ingest_at_once_is_refused(tmp_path):
    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    with library._ingest_lock():
        with pytest.raises(IngestLocked, match="another ingest is running"):
            Library(Settings.load(tmp_path), embedder=FakeEmbedder()).ingest([SEEDS])
