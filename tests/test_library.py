"""The Library keeps SQLite and FAISS in step, and says clearly when the model changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from findings.config import Settings
from findings.errors import IngestLocked
from findings.library import Library, VectorSync
from findings.store import Store, StoreError

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


def test_warming_loads_the_vector_index_once_on_its_own_thread_and_a_search_uses_it(tmp_path, monkeypatch):
    import threading

    from findings.vectors import VectorIndex

    Library(Settings.load(tmp_path), embedder=FakeEmbedder()).ingest([SEEDS])
    loads, real_load = [], VectorIndex.load

    def load(*args, **kwargs):
        loads.append(threading.current_thread().name)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(VectorIndex, "load", load)
    reader = Library(Settings.load(tmp_path), embedder=FakeEmbedder(), create=False)
    reader.warm()
    reader.warm()  # loading already: nothing more starts
    hits = reader.search("protection of children in Blackpool", k=5, mode="semantic")
    assert any(h.report.id == "blackpool-2012-child-protection" for h in hits)
    reader.warm()  # loaded: nothing starts
    assert loads == ["findings-vectors"]


def test_a_warm_up_that_fails_leaves_the_error_to_the_search(tmp_path):
    Library(Settings.load(tmp_path), embedder=FakeEmbedder()).ingest([SEEDS])
    other = Library(Settings.load(tmp_path), embedder=OtherFake())
    other.warm()  # no vectors for this model: nothing raised here
    with pytest.raises(StoreError, match=r"no vectors for model 'another-model'.*findings reindex"):
        other.search("care leavers", mode="semantic")


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


def test_an_index_of_an_earlier_version_has_its_vectors_packed_when_opened_to_write(tmp_path):
    """Indexes built before December 2026 stored one float16 or float32 row per vector: opening
    one to write packs them in 8 bits, a row per text, and gives the space back; the answers
    stay the same.  A text whose older rows are not whole is embedded again by reindex."""
    import numpy as np

    from findings.vector_codes import unpack

    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS])
    answer = [h.paragraph.id for h in library.search("domestic abuse over-optimism", k=10)]
    db = library.store.db
    packed = db.execute("SELECT text_hash, model, dim, count, vectors FROM embeddings").fetchall()
    db.executescript("""
        CREATE TABLE vectors (text_hash TEXT NOT NULL, model TEXT NOT NULL, window INTEGER NOT NULL,
            dim INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (text_hash, model, window));
        DROP TABLE embeddings;
        DROP TABLE vector_bounds;
        DELETE FROM migrations WHERE name IN ('m008_pack_vectors_in_8_bits_per_text',
                                              'm009_code_vectors_at_one_scale_per_model');
        PRAGMA user_version = 7;
    """)
    older_rows = [
        (h, m, w, d, vector.astype(np.float32 if w % 2 else np.float16).tobytes())
        for h, m, d, n, blob in packed for w, vector in enumerate(unpack(blob, n, d))
    ]
    db.executemany("INSERT INTO vectors VALUES (?, ?, ?, ?, ?)", older_rows)
    broken = next(h for h, _, _, n, _ in packed if n > 1)  # loses its vector number 1
    db.execute("DELETE FROM vectors WHERE text_hash = ? AND window = 1", (broken,))
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    library.store.close()
    size = (tmp_path / "findings.db").stat().st_size
    older_bytes = sum(len(r[4]) for r in older_rows)
    with pytest.raises(StoreError, match="findings reindex"):  # a reader never changes an index
        Store(tmp_path, create=False)

    older = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    rows = older.store.db.execute("SELECT text_hash, count FROM embeddings").fetchall()
    assert {r[0]: r[1] for r in rows} == {h: n for h, _, _, n, _ in packed if h != broken}
    assert (tmp_path / "findings.db").stat().st_size <= size - 0.5 * older_bytes
    assert older.missing_vectors() >= 1
    older.reindex()
    assert older.missing_vectors() == 0
    # Coded twice (per vector by m008, then at one scale by m009), near-ties may swap.
    got = [h.paragraph.id for h in older.search("domestic abuse over-optimism", k=10)]
    assert got[:5] == answer[:5] and len(set(got) & set(answer)) >= 9


def test_an_index_with_a_scale_per_vector_is_recoded_at_one_scale_per_model_when_opened_to_write(tmp_path):
    """Indexes built before 6 December 2026 kept each vector's codes at its own scale: opening
    one to write codes every vector at one bound for its model (a twentieth above its largest
    component), which the next vectors stored are coded at too; the answers stay the same and
    a damaged blob is left for reindex."""
    import numpy as np

    from findings.vector_codes import decode, pack_per_vector, stored_bound_for, unpack

    library = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    library.ingest([SEEDS])
    query = "domestic abuse over-optimism"
    answer = [(h.paragraph.id, round(h.score, 4)) for h in library.search(query, k=10)]
    db = library.store.db
    rows = db.execute("SELECT text_hash, model, count, dim, vectors FROM embeddings").fetchall()
    vectors = {h: unpack(blob, n, d) for h, _, n, d, blob in rows}
    damaged = rows[0][0]
    with db:
        db.executemany(
            "UPDATE embeddings SET vectors = ? WHERE text_hash = ?",
            [(pack_per_vector(v) if h != damaged else b"broken", h) for h, v in vectors.items()],
        )
        db.execute("DROP TABLE vector_bounds")
        db.execute("DELETE FROM migrations WHERE name = 'm009_code_vectors_at_one_scale_per_model'")
        db.execute("PRAGMA user_version = 8")
    library.store.close()

    older = Library(Settings.load(tmp_path), embedder=FakeEmbedder())
    model = older.embedder.name
    (bound,) = older.store.db.execute("SELECT bound FROM vector_bounds WHERE model = ?", (model,)).fetchone()
    assert bound == stored_bound_for(max(float(np.abs(v).max()) for h, v in vectors.items() if h != damaged))
    recoded = {h: (n, d, blob) for h, _, n, d, blob in older.store.db.execute(
        "SELECT text_hash, model, count, dim, vectors FROM embeddings")}
    assert recoded[damaged][2] == b"broken"
    for text_hash, (count, dim, blob) in recoded.items():
        if text_hash != damaged:
            assert len(blob) == count * dim
            assert (decode(blob, dim) * vectors[text_hash]).sum(axis=1).min() > 0.999
    assert older.missing_vectors() == 0  # the damaged row is still there: reindex replaces it
    older.reindex()
    got = [(h.paragraph.id, round(h.score, 4)) for h in older.search(query, k=10)]
    assert [i for i, _ in got[:5]] == [i for i, _ in answer[:5]]
    assert len({i for i, _ in got} & {i for i, _ in answer}) >= 9
