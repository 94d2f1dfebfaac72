"""A disk that fills up: one sentence, nothing indexed is lost, and searches go on meanwhile.

Each test mounts a small tmpfs (root can; elsewhere the tests skip and say why) so the disk is
really full: SQLite and the vector files meet ENOSPC exactly as on a full disk.  A filler file
takes the space, leaving a little (the disk fills mid-ingest) or none (nothing can be written,
not even SQLite's shared-memory file).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from findings.config import Settings
from findings.library import Library
from findings.store import DB_NAME, DiskFull, Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CLI = "import sys; from findings.cli import main; sys.argv[0] = 'findings'; main()"
N_VARIANTS = 12


def full_message(index: Path) -> str:
    return (f"the disk holding {index} is full: free space and run the command again; nothing already indexed "
            "was lost")


def mount_tmpfs(disk: Path, size: str) -> None:
    disk.mkdir()
    if not shutil.which("mount"):
        pytest.skip("no mount command: a full disk cannot be made here")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()}); a full disk is tested only "
                    "where the tests may mount one (as root in CI)")


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MB tmpfs at tmp_path/disk, unmounted afterwards."""
    mount_tmpfs(tmp_path / "disk", "16m")
    yield tmp_path / "disk"
    subprocess.run(["umount", "-l", str(tmp_path / "disk")], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all the free space of `disk` but `leave` bytes."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))
    return filler


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("variants")
    seeds = sorted(SEEDS.iterdir())
    for i in range(N_VARIANTS):
        text = seeds[i % len(seeds)].read_text(encoding="utf-8")
        (folder / f"v{i:02d}.txt").write_text(f"{text}\n\nVariant {i} carries the word zqmark{i:02d}x.\n")
    return folder


def findings(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=300)


def intact(index: Path) -> None:
    with sqlite3.connect(index / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)")
    db.close()


def files(index: Path) -> dict[str, bytes]:
    return {name: (index / name).read_bytes() for name in ("vectors.faiss", "manifest.json", "vectors-state.json")}


def test_a_disk_that_fills_mid_ingest_is_one_sentence_loses_nothing_and_searches_go_on(small_disk, variants):
    index = small_disk / "index"
    library = Library(Settings.load(index), embedder=FakeEmbedder())
    first = sorted(SEEDS.iterdir())[:2]
    assert len(library.ingest(first).added) == 2
    before = [h.paragraph.id for h in library.search("care leavers personal adviser", k=5)]
    saved = files(index)
    filler = fill(small_disk, leave=200_000)
    with pytest.raises(DiskFull) as caught:
        library.ingest([variants])
    assert str(caught.value) == full_message(index)
    intact(index)
    # While the disk stays full: a new reader's hybrid search works, sees what was stored, writes nothing.
    reader = Library(Settings.load(index), embedder=FakeEmbedder(), create=False)
    assert [h.paragraph.id for h in reader.search("care leavers personal adviser", k=5)][:1] == before[:1]
    stored = {Path(r.source).name for r in reader.store.reports()}
    assert {p.name for p in first} <= stored
    for name in stored - {p.name for p in first}:  # a variant stored before the disk filled is whole
        i = int(name[1:3])
        (hit,) = reader.search(f"zqmark{i:02d}x", k=1, mode="hybrid")
        assert hit.report.source.endswith(name)
    assert files(index) == saved
    # The writer that met the full disk is still usable once there is space again.
    filler.unlink()
    summary = library.ingest([variants])
    assert len(summary.added) + len(summary.unchanged) == N_VARIANTS and not summary.failed
    intact(index)
    fresh = Library(Settings.load(index), embedder=FakeEmbedder(), create=False)
    stored_ids, _ = fresh.store.paragraph_vectors(FakeEmbedder.name)
    assert sorted(fresh.vectors().ids.tolist()) == sorted(stored_ids.tolist())
    for i in range(N_VARIANTS):
        (hit,) = fresh.search(f"zqmark{i:02d}x", k=1, mode="keyword")
        assert hit.report.source.endswith(f"v{i:02d}.txt")


def test_the_cli_says_the_disk_is_full_in_one_line_mid_ingest(small_disk, variants):
    index = small_disk / "index"
    assert findings("ingest", "--no-embed", "--index", str(index), str(SEEDS)).returncode == 0
    filler = fill(small_disk, leave=150_000)
    result = findings("ingest", "--no-embed", "--index", str(index), str(variants))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"Error: {full_message(index)}"]
    intact(index)
    assert len(Store(index, create=False).reports()) >= 5
    filler.unlink()
    again = findings("ingest", "--no-embed", "--index", str(index), str(variants))
    assert again.returncode == 0, again.stderr
    assert len(Store(index, create=False).reports()) == 5 + N_VARIANTS


def test_on_a_completely_full_disk_every_command_says_so(small_disk):
    index = small_disk / "index"
    assert findings("ingest", "--no-embed", "--index", str(index), str(SEEDS)).returncode == 0
    filler = fill(small_disk, leave=0)
    for command in (["reports"], ["search", "care leavers", "--mode", "keyword"], ["collections"],
                    ["ingest", "--no-embed", str(SEEDS / "blackpool-2012-child-protection-inspection.md")],
                    ["correct", "blackpool-2012-child-protection", "title", "T"], ["collect", "Work", "x:p1"],
                    ["remove", "blackpool-2012-child-protection"]):
        result = findings(*command, "--index", str(index))
        assert result.returncode == 1, (command, result.stderr)
        assert result.stderr.splitlines() == [f"Error: {full_message(index)}"], command
    filler.unlink()
    intact(index)
    result = findings("reports", "--index", str(index))
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 5


# --- the web app ----------------------------------------------------------------------------------


def test_an_upload_onto_a_full_disk_is_one_sentence_and_leaves_no_file(small_disk):
    from findings.webapp import reports as uploads

    index = small_disk / "index"
    library = Library(Settings.load(index), embedder=FakeEmbedder())
    assert library.ingest(sorted(SEEDS.iterdir())[:1]).added
    filler = fill(small_disk, leave=20_000)
    data = (SEEDS / "blackpool-2012-child-protection-inspection.md").read_bytes() * 20  # 60 KB
    with pytest.raises(DiskFull) as caught:
        uploads.ingest_uploads(library, [("report.md", data)], index)
    assert str(caught.value) == full_message(index)
    assert not (index / "uploads").exists() or list((index / "uploads").iterdir()) == []
    filler.unlink()
    intact(index)


@pytest.mark.model
def test_the_app_on_a_full_disk_shows_the_sentence(tmp_path_factory, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from test_app import APP, seeded_index_folder

    from findings.webapp.pages.common import md

    seeded, _ = seeded_index_folder(tmp_path_factory)
    disk = tmp_path / "disk"
    mount_tmpfs(disk, "64m")
    try:
        index = disk / "index"
        shutil.copytree(seeded, index)
        for name in ("findings.db-wal", "findings.db-shm"):
            (index / name).unlink(missing_ok=True)
        monkeypatch.setenv("FINDINGS_INDEX", str(index))
        fill(disk, leave=0)
        at = AppTest.from_file(str(APP), default_timeout=300).run()
        assert not at.exception, [e.value for e in at.exception]
        assert [e.value for e in at.error] == [md(full_message(index))]
        (disk / "filler").unlink()
        at = AppTest.from_file(str(APP), default_timeout=300).run()
        assert not at.exception and not at.error
        intact(index)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
