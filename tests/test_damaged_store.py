"""A wrong or damaged index folder: one sentence instead of a traceback, and what is whole stays
searchable.  `--index` naming a file, a folder without permission, a database with a damaged
value, a lost change counter, a dropped table, a short vector; and a command that only reads
never creates an index.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder

from findings.cli import main
from findings.config import Settings
from findings.library import Library
from findings.store import DB_NAME, Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
BLACKPOOL = "blackpool-2012-child-protection"
CLI = "import sys; from findings.cli import main; sys.argv[0] = 'findings'; main()"
READERS = (
    ["reports"], ["paragraphs", BLACKPOOL], ["collections"], ["search", "care leavers", "--mode", "keyword"],
    ["similar", "care leavers"], ["export", "--query", "care", "--mode", "keyword", "--format", "md", "--out", "-"],
    ["eval"],
)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def one_sentence(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in output, output
    return lines[0]


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("damaged") / "index"
    library = Library(Settings.load(folder), embedder=FakeEmbedder())
    assert not library.ingest([SEEDS]).failed
    library.store.close()
    return folder


@pytest.fixture
def copy(fake_index, tmp_path) -> Path:
    folder = tmp_path / "index"
    shutil.copytree(fake_index, folder)
    return folder


def damage(folder: Path, sql: str) -> None:
    with sqlite3.connect(folder / DB_NAME) as db:
        db.execute(sql)
    db.close()


# --- the wrong folder --------------------------------------------------------------------------------


def test_index_naming_a_file_is_one_sentence(tmp_path):
    afile = tmp_path / "notes.txt"
    afile.write_text("my notes")
    for command in (*READERS, ["ingest", "--no-embed", str(SEEDS)], ["reindex"], ["remove", BLACKPOOL]):
        result = run(*command, "--index", str(afile))
        assert result.exit_code == 1, (command, result.output)
        assert one_sentence(result.output) == (
            f"Error: the index folder {afile} is a file, not a folder; give --index a folder"
        ), command
    assert afile.read_text() == "my notes"


@pytest.mark.parametrize("command", READERS + (["reindex"], ["remove", BLACKPOOL], ["correct", BLACKPOOL,
                                                                                     "title", "T"]))
def test_a_command_on_a_missing_index_never_creates_one(tmp_path, command):
    folder = tmp_path / "no" / "such" / "dir"
    result = run(*command, "--index", str(folder))
    assert result.exit_code == 1
    assert one_sentence(result.output) == f"Error: no index at {folder}: run `findings ingest PATH` first"
    assert not (tmp_path / "no").exists()


def _without_root_powers(args: list[str]) -> list[str]:
    """`args` run as root without the power to ignore file permissions (as any user runs)."""
    if os.geteuid() != 0:
        return args
    if not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv is missing: permissions cannot be tested")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner", *args]


def test_an_index_folder_without_permission_is_one_sentence(fake_index):
    base = Path(tempfile.mkdtemp(prefix="findings-perm-"))  # outside pytest's root-only folders
    try:
        os.chmod(base, 0o755)
        unreadable, readonly = base / "unreadable", base / "readonly"
        shutil.copytree(fake_index, unreadable)
        shutil.copytree(fake_index, readonly)
        unreadable.chmod(0o000)
        for path in readonly.iterdir():
            path.chmod(0o444)
        readonly.chmod(0o555)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

        def findings(*args):
            command = _without_root_powers([sys.executable, "-c", CLI, *args])
            return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

        result = findings("reports", "--index", str(unreadable))
        assert result.returncode == 1
        assert one_sentence(result.stderr) == (
            f"Error: the index folder {unreadable} cannot be read (permission denied); ask for access or give "
            "--index another folder"
        )
        result = findings("ingest", "--no-embed", "--index", str(readonly), str(SEEDS))
        assert result.returncode == 1
        assert one_sentence(result.stderr) == (
            f"Error: the index folder {readonly} cannot be written (permission denied); ask for access or give "
            "--index another folder"
        )
    finally:
        for path in (base / "unreadable", base / "readonly"):
            if path.exists():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


# --- damaged rows ---------------------------------------------------------------------------------------


def test_a_damaged_judgements_value_leaves_out_that_report_and_names_it(copy, caplog):
    damage(copy, f"UPDATE reports SET judgements = '{{not json' WHERE id = '{BLACKPOOL}'")
    result = CliRunner().invoke(main, ["reports", "--index", str(copy)])
    assert result.exit_code == 0, result.output
    listed = [line.split(":")[0] for line in result.stdout.splitlines()]
    assert len(listed) == 4 and BLACKPOOL not in listed
    library = Library(Settings.load(copy), embedder=FakeEmbedder(), create=False)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="findings.store"):
        hits = library.search("care leavers personal adviser", k=20, mode="hybrid")
    assert hits and all(h.report.id != BLACKPOOL for h in hits)
    assert (f"report {BLACKPOOL} is damaged in the index (its judgements are not readable): it is left out; "
            f"remove it with `findings remove {BLACKPOOL}` and ingest its file again") in caplog.text
    assert caplog.text.count("is damaged") == 1  # once, however often it is read


@pytest.mark.parametrize("column, value", [("text", "x'00ff'"), ("page", "'seven'"), ("number", "'nine'")])
def test_a_damaged_paragraph_is_left_out_and_the_rest_of_its_report_stays(copy, caplog, column, value):
    store = Store(copy)
    victim, other = [p for p in store.paragraphs(BLACKPOOL) if p.number and not p.boilerplate and len(p.text) > 300][:2]
    store.close()
    damage(copy, f"UPDATE paragraphs SET {column} = {value} WHERE id = '{victim.id}'")
    library = Library(Settings.load(copy), embedder=FakeEmbedder(), create=False)
    with caplog.at_level(logging.WARNING, logger="findings.store"):
        kept = [p.id for p in library.store.paragraphs(BLACKPOOL)]
        assert victim.id not in kept and other.id in kept
        for mode in ("keyword", "semantic", "hybrid"):
            hits = library.search(victim.text[:80], k=10, mode=mode)
            assert victim.id not in [h.paragraph.id for h in hits]
            assert library.search(other.text, k=1, mode=mode)[0].paragraph.id == other.id
    assert f"report {BLACKPOOL} is damaged in the index (paragraph {victim.key}: its {column}" in caplog.text


def test_a_short_vector_is_left_out_of_meaning_search_and_reindex_repairs_it(copy, caplog):
    store = Store(copy)
    victim = [p for p in store.paragraphs(BLACKPOOL) if p.number and not p.boilerplate and len(p.text) > 300][0]
    whole = store.db.execute("SELECT length(e.vectors) FROM embeddings e JOIN paragraphs p"
                             " ON p.text_hash = e.text_hash WHERE p.id = ?", (victim.id,)).fetchone()[0]
    store.close()
    damage(copy, f"UPDATE embeddings SET vectors = substr(vectors, 1, 10) WHERE text_hash ="
                 f" (SELECT text_hash FROM paragraphs WHERE id = '{victim.id}')")
    (copy / "vectors.faiss").unlink()  # the vector index must be rebuilt from the stored vectors
    library = Library(Settings.load(copy), embedder=FakeEmbedder(), create=False)
    with caplog.at_level(logging.WARNING, logger="findings.store"):
        hits = library.search(victim.text, k=5, mode="semantic")
    assert hits and victim.id not in [h.paragraph.id for h in hits]
    assert (f"report {BLACKPOOL} is damaged in the index (a stored vector blob is 10 bytes, not {whole}): that "
            f"paragraph is left out of meaning search; run `findings reindex --index {copy}`") in caplog.text
    assert not (copy / "vectors.faiss").exists()  # a search never writes
    repairer = FakeEmbedder()
    writer = Library(Settings.load(copy), embedder=repairer)
    writer.reindex()
    assert repairer.calls, "the damaged vector was not embedded again"
    fresh = Library(Settings.load(copy), embedder=FakeEmbedder(), create=False)
    assert fresh.search(victim.text, k=1, mode="semantic")[0].paragraph.id == victim.id


def test_a_lost_change_counter_is_told_and_searches_stay_right_until_an_ingest_repairs_it(copy, caplog):
    damage(copy, "DELETE FROM meta WHERE key = 'generation'")
    reader = Library(Settings.load(copy), embedder=FakeEmbedder(), create=False)
    with caplog.at_level(logging.WARNING, logger="findings.store"):
        before = reader.search("care leavers", k=5, mode="hybrid")
    assert before and "has lost its change counter 'generation'" in caplog.text
    writer = Library(Settings.load(copy), embedder=FakeEmbedder())
    extra = copy.parent / "extra.txt"
    extra.write_text("Lambeth Council\n\n1. Zebra crossings near schools were unsafe for children.\n")
    assert writer.ingest([extra]).added
    assert writer.store.generation > 0  # written afresh
    # The reader that opened before the ingest sees the new paragraph, by meaning too.
    zebra = "Zebra crossings near schools were unsafe for children."
    assert reader.search(zebra, k=1, mode="semantic")[0].paragraph.text == zebra
    state = json.loads((copy / "vectors-state.json").read_text())
    assert state["generation"] == writer.store.generation


@pytest.mark.parametrize("table", ["paragraphs_fts", "embeddings", "meta", "corrections", "collections"])
def test_a_dropped_table_is_one_sentence(copy, table):
    damage(copy, f"DROP TABLE {table}")
    for command in (["reports"], ["search", "care", "--mode", "keyword"], ["ingest", "--no-embed", str(SEEDS)]):
        result = run(*command, "--index", str(copy))
        assert result.exit_code == 1
        assert one_sentence(result.output) == (
            f"Error: the index database {copy / DB_NAME} is damaged (its table {table} is missing); move the "
            "folder aside and ingest the reports again"
        )


def test_a_damaged_vector_state_file_is_rebuilt_not_a_traceback(copy):
    for state in ("[1, 2]", json.dumps({"format": 2, "generation": None}), json.dumps({"generation": "x"})):
        (copy / "vectors-state.json").write_text(state)
        library = Library(Settings.load(copy), embedder=FakeEmbedder(), create=False)
        assert library.search("care leavers", k=3, mode="semantic")


def test_an_hnsw_index_reads_its_codes_from_the_database_and_leaves_a_damaged_one_out(tmp_path, monkeypatch, caplog):
    """An HNSW index (here past a threshold lowered to the seeds' size) copies its codes from
    the database as it loads, a stretch of paragraphs at a time: the same codes one-by-one
    reading gives, and a damaged blob left out with a warning naming its report."""
    import numpy as np

    monkeypatch.setattr("findings.vectors.HNSW_THRESHOLD", 100)
    monkeypatch.setattr("findings.vectors._ATTACH_CHUNK", 500)  # many stretches, on two threads
    folder = tmp_path / "index"
    library = Library(Settings.load(folder), embedder=FakeEmbedder())
    assert not library.ingest([SEEDS]).failed
    assert library.vectors().index_type == "hnsw"
    query = "care leavers personal adviser"
    answer = [h.paragraph.id for h in library.search(query, k=10, mode="semantic")]
    store, model = library.store, library.embedder.name
    rowids = store.snapshot().rowids
    first, last = int(rowids[0]), int(rowids[-1])
    ids, codes = store.codes_between(model, first, last, 64)
    one_by_one = store.paragraph_codes(model, rowids.tolist(), 64)
    np.testing.assert_array_equal(ids, one_by_one[0])
    np.testing.assert_array_equal(codes, one_by_one[1])
    victim = next(p for p in store.paragraphs(BLACKPOOL) if p.number and not p.boilerplate and len(p.text) > 300)
    library.store.close()
    damage(folder, "UPDATE embeddings SET vectors = substr(vectors, 1, 10) WHERE text_hash ="
                   f" (SELECT text_hash FROM paragraphs WHERE id = '{victim.id}')")

    reader = Library(Settings.load(folder), embedder=FakeEmbedder(), create=False)
    with caplog.at_level(logging.WARNING, logger="findings.store"):
        assert reader.vectors().index_type == "hnsw"  # loaded, not rebuilt
        kept = reader.store.codes_between(model, first, last, 64)[0]
    assert f"report {BLACKPOOL} is damaged in the index (a stored vector blob is 10 bytes" in caplog.text
    victim_rowid = reader.store.rowid_of(victim.id)
    assert not np.isin(victim_rowid, kept >> 10) and kept.size < ids.size
    got = [h.paragraph.id for h in reader.search(query, k=10, mode="semantic")]
    assert [i for i in got if i != victim.id][:8] == [i for i in answer if i != victim.id][:8]
