"""The Library keeps SQLite and FAISS in step, and says clearly when the model changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from findings.config import Settings
from findings.errors import IngestLocked
from findings.library import Library, VectorSync
from findings.store import StoreError

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


class OtherFake(FakeEmbedder):
    name = "another-model"


def test_vectors_follow_ingest_and_remove(tmp_path):
    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"])
    stored = {p.id for p in library.store.paragraphs("blackburn-with-darwen-2022-ilacs")}
    found = {h.paragraph.id for h in library.search("domestic abuse", k=200)}
    assert "blackburn-with-darwen-2022-ilacs:p9" in found and found <= stored
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


def _saved_files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("vectors.faiss", "manifest.json", "vectors-state.json")}


def test_adding_and_removing_a_report_changes_the_vector_index_without_a_rebuild(tmp_path):
    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"])
    first = set(library.vectors().ids.tolist())
    library.ingest([SEEDS / "blackpool-2012-child-protection-inspection.md"])
    assert not library.last_sync.rebuilt and library.last_sync.added > 0
    both = set(library.vectors().ids.tolist())
    assert first < both and len(both) == len(first) + library.last_sync.added
    library.remove("blackpool-2012-child-protection")
    assert library.last_sync == VectorSync(removed=library.last_sync.removed) and library.last_sync.removed > 0
    assert set(library.vectors().ids.tolist()) == first
    # What was saved is what a fresh reader uses, with no rebuild.
    fresh = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    assert set(fresh.vectors().ids.tolist()) == first


def test_an_hnsw_index_masks_removed_paragraphs_until_they_pass_a_quarter(tmp_path, monkeypatch):
    monkeypatch.setattr("findings.vectors.HNSW_THRESHOLD", 10)
    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS])
    assert library.vectors().index_type == "hnsw"
    press = "blackburn-with-darwen-2022-press-release"
    removed_ids = {p.id for p in library.store.paragraphs(press)}
    library.remove(press)
    assert library.last_sync.masked > 0 and not library.last_sync.rebuilt
    hits = library.search("Blackburn with Darwen council children's services", k=200, mode="semantic")
    assert hits and not removed_ids & {h.paragraph.id for h in hits}
    library.remove("blackburn-with-darwen-peer-review")
    library.remove("blackburn-with-darwen-2017-sif")  # now over a quarter of the vectors
    assert library.last_sync.rebuilt
    assert len(library.vectors()) == len(library.store.vector_ids(FakeEmbedder.name))


def test_a_metadata_correction_leaves_the_vector_index_alone(tmp_path):
    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"])
    saved, generation = _saved_files(tmp_path), library.store.generation
    library.correct("blackburn-with-darwen-2022-ilacs", "authority", "Blackpool")
    assert library.store.generation == generation
    hits = library.search("domestic abuse", mode="semantic")
    assert hits[0].report.meta.authority == "Blackpool"  # the snapshot follows the correction
    assert _saved_files(tmp_path) == saved


def test_a_reader_catches_up_with_another_process_in_memory_and_writes_nothing(tmp_path):
    writer = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    writer.ingest([SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"])
    before = len(Library(Settings.load(tmp_path), embedder=FakeEmbedder()).vectors())
    # The writer adds a report, but its vector index save is lost (as if killed): only the
    # database knows about the new report.
    saved = _saved_files(tmp_path)
    writer.ingest([SEEDS / "blackpool-2012-child-protection-inspection.md"])
    for name, data in saved.items():
        (tmp_path / name).write_bytes(data)
    fresh = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    hits = fresh.search("protection of children in Blackpool", k=5, mode="semantic")
    assert any(h.report.id == "blackpool-2012-child-protection" for h in hits)
    assert len(fresh.vectors()) > before
    assert _saved_files(tmp_path) == saved  # the reader caught up in memory only


def test_an_index_of_an_earlier_version_is_read_then_reindex_halves_its_vectors(tmp_path):
    """Indexes built before December 2026 stored float32 vectors: they still answer, and
    `findings reindex` rewrites them as float16 and gives the space back."""
    import numpy as np

    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS])
    db = library.store.db
    assert {r[0] for r in db.execute("SELECT length(vector) = dim * 2 FROM vectors")} == {1}
    halved_answer = [h.paragraph.id for h in library.search("domestic abuse over-optimism", k=10)]
    rows = db.execute("SELECT rowid, vector FROM vectors").fetchall()
    db.executemany("UPDATE vectors SET vector = ? WHERE rowid = ?",
                   [(np.frombuffer(v, dtype=np.float16).astype(np.float32).tobytes(), r) for r, v in rows])
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = (tmp_path / "findings.db").stat().st_size
    float32_bytes = sum(len(v) for _, v in rows) * 2
    older = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    assert [h.paragraph.id for h in older.search("domestic abuse over-optimism", k=10)] == halved_answer
    older.reindex()
    assert {r[0] for r in older.store.db.execute("SELECT length(vector) = dim * 2 FROM vectors")} == {1}
    assert (tmp_path / "findings.db").stat().st_size <= size - 0.4 * float32_bytes
    again = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    assert [h.paragraph.id for h in again.search("domestic abuse over-optimism", k=10)] == halved_answer
