"""Reliability: kill -9 during ingest, damaged index files, threads and two ingests at once.

Every test injects one fault and checks what a user would notice: the index still opens, its
integrity check passes, the FAISS index holds exactly the stored paragraphs' vectors, nothing is
half stored, nothing has to be embedded again, and searches give the answers a clean index gives.
The fake embedder keeps this fast; the twenty kill trials are marked slow (CI runs them).
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import queue
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder

from findings.cli import main
from findings.config import Settings
from findings.errors import IngestLocked
from findings.library import Library
from findings.search import Filters
from findings.store import DB_NAME, Store, StoreError

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
N_VARIANTS = 50
CRASH_TRIALS = 20
MODEL = FakeEmbedder.name


# --- fifty distinct reports ----------------------------------------------------------------


def marker(i: int) -> str:
    return f"zqmark{i:02d}x"


def marker_sentence(i: int) -> str:
    return f"Variant note {i}: this copy of the report carries the marker word {marker(i)}."


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> Path:
    """Fifty copies of the seeds, each with a small change and a paragraph of its own."""
    folder = tmp_path_factory.mktemp("variants")
    seeds = sorted(SEEDS.iterdir())
    for i in range(N_VARIANTS):
        seed = seeds[i % len(seeds)]
        text = seed.read_text(encoding="utf-8").replace(" the ", f" the {'' if i % 2 else 'very '}", i % 7 + 1)
        (folder / f"v{i:02d}-{seed.name}").write_text(f"{text}\n\n{marker_sentence(i)}\n", encoding="utf-8")
    return folder


def variant_number(name: str) -> int:
    return int(name[1:3])


# --- the crash runner ------------------------------------------------------------------------


class Runner:
    """tests/crash_runner.py: forks ingests that the test kills with SIGKILL."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "crash_runner.py")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        assert self.next_line(120) == "ready"

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float) -> str:
        return self.lines.get(timeout=timeout)

    def start(self, index: Path, source: Path) -> int:
        self.process.stdin.write(f"ingest {index} {source}\n")
        self.process.stdin.flush()
        line = self.next_line(30)
        assert line.startswith("start "), line
        return int(line.split()[1])

    def finish(self, pid: int, timeout: float = 120, until_done: int | None = None):
        """(exit code, names of files reported stored, other lines) of the ingest `pid`; with
        `until_done`, return (None, ...) as soon as that many files are reported stored."""
        done, other = [], []
        while until_done is None or len(done) < until_done:
            line = self.next_line(timeout)
            if line.startswith("done "):
                done.append(Path(line[5:]).name)
            elif line.startswith(f"exit {pid} "):
                return int(line.split()[2]), done, other
            else:
                other.append(line)
        return None, done, other

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(30)


@pytest.fixture(scope="module")
def runner():
    runner = Runner()
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def reference(runner, variants, tmp_path_factory) -> dict:
    """A clean ingest of the fifty reports: paragraphs per file, and how long it took."""
    index = tmp_path_factory.mktemp("reference") / "index"
    started = time.monotonic()
    code, done, other = runner.finish(runner.start(index, variants))
    seconds = time.monotonic() - started
    assert code == 0 and len(done) == N_VARIANTS, other
    counts = {Path(r.source).name: r.paragraph_count for r in Store(index).reports()}
    assert len(counts) == N_VARIANTS
    return {"counts": counts, "seconds": seconds, "index": index}


def check_index(index: Path, counts: dict[str, int], done: list[str], searches: int = 50) -> set[str]:
    """Everything a crash must not break; returns the names of the files stored.

    Searchability is proved for all reports at once (the FTS5 index checks itself against the
    paragraphs; FAISS holds exactly the stored paragraphs' vectors), and by real searches for
    the marker paragraphs of up to `searches` of them.
    """
    if (index / DB_NAME).exists():
        with sqlite3.connect(index / DB_NAME) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db.execute("INSERT INTO paragraphs_fts(paragraphs_fts, rank) VALUES ('integrity-check', 1)")
    embedder = FakeEmbedder()
    library = Library(Settings.load(index), embedder=embedder)
    vectors = library.vectors()
    stored_ids, _ = library.store.paragraph_vectors(MODEL)
    assert sorted(vectors.ids.tolist()) == sorted(stored_ids.tolist()), "FAISS and store disagree"
    rowids = {row[0] for row in library.store.db.execute("SELECT rowid FROM paragraphs")}
    assert {int(i) >> 10 for i in vectors.ids} == rowids, "a stored paragraph has no vector"
    assert embedder.calls == [], "opening after a crash re-embedded text"
    reports = {Path(r.source).name: r for r in library.store.reports()}
    for name, report in reports.items():
        assert report.paragraph_count == counts[name], f"{name} is half stored"
    assert set(done) <= set(reports), "a file reported stored is missing"
    assert len(set(reports) - set(done)) <= 1, "more than the file in flight is stored"
    for name, report in sorted(reports.items(), key=lambda item: hash(item[0]))[:searches]:
        i = variant_number(name)
        (hit,) = library.search(marker(i), k=1, mode="keyword")
        assert hit.report.id == report.id
        only = Filters(report_ids=(report.id,), include_boilerplate=True)
        (hit,) = library.search(marker_sentence(i), k=1, mode="semantic", filters=only)
        assert marker(i) in hit.paragraph.text
    library.store.close()
    return set(reports)


def crash_trials(runner, variants, reference, tmp_path, trials: int, seed: int) -> dict:
    rng = random.Random(seed)
    figures = {"trials": 0, "killed mid-ingest": 0, "finished before the kill": 0, "reports lost": 0}
    per_file = reference["seconds"] / N_VARIANTS
    for trial in range(trials):
        index = tmp_path / f"trial-{trial}"
        pid = runner.start(index, variants)
        # The kill lands inside the ingest by construction, whatever the machine's speed: after
        # a random number of files are reported stored, then within about one file's time.
        code, done, other = runner.finish(pid, until_done=rng.randrange(N_VARIANTS))
        if code is None:
            time.sleep(rng.uniform(0, per_file))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            code, more, rest = runner.finish(pid)
            done, other = done + more, other + rest
        assert not [line for line in other if line.startswith("error")], other
        figures["trials"] += 1
        figures["killed mid-ingest" if code == -signal.SIGKILL else "finished before the kill"] += 1
        check_index(index, reference["counts"], done, searches=8)
        # The same ingest resumes and completes.
        code, done, other = runner.finish(runner.start(index, variants))
        assert code == 0 and len(done) == N_VARIANTS, other
        stored = check_index(index, reference["counts"], done, searches=0)
        figures["reports lost"] += N_VARIANTS - len(stored)
        assert stored == set(reference["counts"])
        shutil.rmtree(index)
    return figures


def test_kill_during_ingest_then_resume(runner, variants, reference, tmp_path):
    figures = crash_trials(runner, variants, reference, tmp_path, trials=2, seed=7)
    assert figures["reports lost"] == 0


@pytest.mark.slow
def test_kill_9_at_random_moments_twenty_trials(runner, variants, reference, tmp_path, capsys):
    figures = crash_trials(runner, variants, reference, tmp_path, trials=CRASH_TRIALS, seed=2024)
    with capsys.disabled():
        print(f"\ncrash trials: {figures}")
    assert figures["trials"] == CRASH_TRIALS and figures["reports lost"] == 0
    assert figures["killed mid-ingest"] >= CRASH_TRIALS // 2


# --- damaged index files ---------------------------------------------------------------------


QUERIES = ("domestic abuse over-optimism", "care leavers personal adviser", "management oversight")


@pytest.fixture(scope="module")
def seed_fake_index(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fake-seed-index") / "index"
    library = Library(Settings.load(folder), embedder=FakeEmbedder())
    assert not library.ingest([SEEDS]).failed
    library.store.close()
    return folder


def answers(library: Library) -> list[list[tuple[str, float]]]:
    return [
        [(h.paragraph.id, round(h.score, 6)) for h in library.search(q, k=10, mode=mode)]
        for q in QUERIES
        for mode in ("semantic", "hybrid")
    ]


@pytest.fixture(scope="module")
def clean_answers(seed_fake_index) -> list:
    return answers(Library(Settings.load(seed_fake_index), embedder=FakeEmbedder()))


def _flip(path: Path, where: float) -> None:
    data = bytearray(path.read_bytes())
    data[int(len(data) * where)] ^= 0x5A
    path.write_bytes(bytes(data))


class Boom:
    """Unpickling this would create a file: proof that a pickle was loaded."""

    target = ""

    def __reduce__(self):
        return (Path.touch, (Path(self.target),))


def _pickle_bomb(path: Path, proof: Path) -> None:
    Boom.target = str(proof)
    path.write_bytes(pickle.dumps(Boom()))


DAMAGES = {
    "truncated": lambda f, p: (f / "vectors.faiss").write_bytes((f / "vectors.faiss").read_bytes()[:1000]),
    "bit flipped in the vectors": lambda f, p: _flip(f / "vectors.faiss", 0.7),
    "bit flipped in the header": lambda f, p: _flip(f / "vectors.faiss", 0.0005),
    "missing": lambda f, p: (f / "vectors.faiss").unlink(),
    "manifest missing": lambda f, p: (f / "manifest.json").unlink(),
    "manifest garbage": lambda f, p: (f / "manifest.json").write_text("{not json"),
    "manifest of another model": lambda f, p: (f / "manifest.json").write_text(
        json.dumps({**json.loads((f / "manifest.json").read_text()), "model": "other-model", "dim": 384})
    ),
    "state file missing": lambda f, p: (f / "vectors-state.json").unlink(),
    "a pickle in place of the index": lambda f, p: _pickle_bomb(f / "vectors.faiss", p),
}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and p.suffix != ".lock"}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_vector_index_is_rebuilt_without_embedding_and_answers_stay_right(
    damage, seed_fake_index, clean_answers, tmp_path, caplog
):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    proof = tmp_path / "pickle-was-loaded"
    DAMAGES[damage](folder, proof)
    damaged = {name: data for name, data in _files(folder).items() if not name.startswith("findings.db")}
    embedder = FakeEmbedder()
    library = Library(Settings.load(folder), embedder=embedder)
    with caplog.at_level(logging.INFO, logger="findings.library"):
        assert answers(library) == clean_answers
    assert embedder.calls == [], "the rebuild re-embedded text"
    if damage != "state file missing":
        warning = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning and "rebuild" in warning[0].lower(), caplog.text
    assert not proof.exists()
    # A search only reads: the damaged files are as they were until a writer repairs them.
    after = {name: data for name, data in _files(folder).items() if not name.startswith("findings.db")}
    assert after == damaged
    repairer = FakeEmbedder()
    assert Library(Settings.load(folder), embedder=repairer).reindex() == 0
    assert repairer.calls == [], "the repair re-embedded text"
    # The rebuilt files are whole: a fresh Library loads them without another rebuild.
    caplog.clear()
    again = Library(Settings.load(folder), embedder=FakeEmbedder())
    with caplog.at_level(logging.INFO, logger="findings.library"):
        assert answers(again) == clean_answers
    assert "rebuilding" not in caplog.text.lower()


def test_an_older_intact_vector_index_restored_from_backup_is_not_used(tmp_path):
    """Intact files of an earlier generation would point vector ids at the wrong paragraphs."""
    folder = tmp_path / "index"
    seeds = sorted(SEEDS.iterdir())
    library = Library(Settings.load(folder), embedder=FakeEmbedder())
    library.ingest(seeds[:4])
    backup = tmp_path / "backup"
    backup.mkdir()
    for name in ("vectors.faiss", "manifest.json"):
        shutil.copy(folder / name, backup / name)
    library.remove(library.store.reports()[-1].id)  # frees the highest rowids ...
    library.ingest(seeds[4:])  # ... which the new report takes again
    expected = answers(Library(Settings.load(folder), embedder=FakeEmbedder()))
    for name in ("vectors.faiss", "manifest.json"):
        shutil.copy(backup / name, folder / name)
    embedder = FakeEmbedder()
    assert answers(Library(Settings.load(folder), embedder=embedder)) == expected
    assert embedder.calls == []


def test_no_pickle_named_like_an_index_file_is_ever_loaded(seed_fake_index, clean_answers, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    proof = tmp_path / "pickle-was-loaded"
    for name in ("vectors.pkl", "index.pkl", "vectors.npy", "embeddings.npy", "ids.pkl", "findings.pickle",
                 "vectors.faiss.pkl", "manifest.pkl", "store.joblib"):
        _pickle_bomb(folder / name, proof)
    library = Library(Settings.load(folder), embedder=FakeEmbedder())
    assert answers(library) == clean_answers
    library.reindex()
    result = CliRunner().invoke(main, ["reports", "--index", str(folder)])
    assert result.exit_code == 0
    assert not proof.exists()


def test_the_code_reads_no_pickle():
    source = HERE.parent / "src" / "findings"
    needles = ("pickle.load", "pickle.loads", "allow_pickle=True", "torch.load", "joblib.load", "import dill",
               "np.load(", "numpy.load(", "shelve.")
    offenders = [
        f"{path.name}: {needle}"
        for path in source.rglob("*.py")
        for needle in needles
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


# --- a damaged database ----------------------------------------------------------------------


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("kind", ["garbage", "zeroed header", "a text file"])
def test_a_damaged_database_gives_one_sentence_and_is_never_overwritten(kind, seed_fake_index, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    db = folder / DB_NAME
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    if kind == "garbage":
        db.write_bytes(random.Random(1).randbytes(64 * 1024))
    elif kind == "zeroed header":
        db.write_bytes(b"\0" * 100 + db.read_bytes()[100:])
    else:
        db.write_text("These are my notes, not a database.\n" * 100)
    before = db.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store(folder)
    message = str(caught.value)
    assert message.startswith(f"the index database {db} cannot be opened") and "\n" not in message
    for command in (["reports"], ["search", "care leavers"], ["ingest", str(SEEDS), "--no-embed"]):
        result = _cli(*command, "--index", str(folder))
        assert result.exit_code == 1
        assert result.output.startswith("Error: the index database") and "Traceback" not in result.output
    assert db.read_bytes() == before


def test_a_truncated_database_gives_one_sentence(seed_fake_index, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    Store(folder).db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = folder / DB_NAME
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])
    before = db.read_bytes()
    result = _cli("reports", "--index", str(folder))
    assert result.exit_code == 1 and result.output.startswith("Error: the index database"), result.output
    assert db.read_bytes() == before


# --- threads -----------------------------------------------------------------------------------


SEARCHES = [
    (q, mode, filters)
    for q in ("domestic abuse", "care leavers personal adviser", "management oversight of practice",
              "children missing from education", "Ofsted")
    for mode in ("hybrid", "semantic", "keyword")
    for filters in (None, Filters(from_year=2017, to_year=2017), Filters(sections=("care leavers",)))
]


def run_searches(library: Library) -> list[list[tuple[str, float]]]:
    return [
        [(h.paragraph.id, round(h.score, 6)) for h in library.search(q, k=10, mode=mode, filters=filters)]
        for q, mode, filters in SEARCHES
    ]


def in_threads(n: int, work) -> list:
    results, errors = [None] * n, []

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors
    return results


def test_eight_threads_search_a_shared_library_and_agree_with_one_thread(seed_fake_index):
    library = Library(Settings.load(seed_fake_index), embedder=FakeEmbedder())
    expected = run_searches(library)
    fresh = Library(Settings.load(seed_fake_index), embedder=FakeEmbedder())  # nothing cached yet
    results = in_threads(8, lambda i: [run_searches(fresh) for _ in range(2)])
    assert all(r == expected for rounds in results for r in rounds)


def test_searches_during_an_ingest_never_fail_and_return_only_real_paragraphs(
    seed_fake_index, variants, tmp_path
):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    library = Library(Settings.load(folder), embedder=FakeEmbedder())
    library.vectors()
    done = threading.Event()
    seen: set[str] = set()
    counts = {"searches": 0}

    def ingest(_: int) -> None:
        try:
            library.ingest([variants])
        finally:
            done.set()

    def search(i: int) -> None:
        while not done.is_set():
            q, mode, filters = SEARCHES[(i * 7 + counts["searches"]) % len(SEARCHES)]
            hits = library.search(q, k=10, mode=mode, filters=filters)
            seen.update(h.paragraph.id for h in hits)
            counts["searches"] += 1

    in_threads(9, lambda i: ingest(i) if i == 0 else search(i))
    assert counts["searches"] >= 16
    store = Store(folder)
    stored = {row[0] for row in store.db.execute("SELECT id FROM paragraphs")}
    assert seen and seen <= stored
    assert len(store.reports()) == 5 + N_VARIANTS
    assert run_searches(library) == run_searches(Library(Settings.load(folder), embedder=FakeEmbedder()))


def test_two_ingests_at_once_are_serialised_or_refused_never_interleaved(variants, reference, tmp_path):
    folder = tmp_path / "index"
    outcomes: list[str] = []

    def ingest(_: int) -> str:
        library = Library(Settings.load(folder), embedder=FakeEmbedder())
        try:
            summary = library.ingest([variants])
        except IngestLocked as exc:
            assert str(exc) == f"another ingest is running on {folder}; try again when it ends"
            outcomes.append("refused")
            return "refused"
        outcomes.append(summary.line())
        return summary.line()

    in_threads(2, ingest)
    assert sorted(outcomes) == sorted(["refused", f"{N_VARIANTS} added, 0 replaced, 0 unchanged, 0 failed"]) or (
        f"{N_VARIANTS} added, 0 replaced, 0 unchanged, 0 failed" in outcomes
        and f"0 added, 0 replaced, {N_VARIANTS} unchanged, 0 failed" in outcomes
    )
    assert check_index(folder, reference["counts"], list(reference["counts"])) == set(reference["counts"])


HOLD_LOCK = (
    "import fcntl, sys, time; h = open(sys.argv[1], 'w'); fcntl.flock(h, fcntl.LOCK_EX);"
    " print('locked', flush=True); time.sleep(60)"
)


def test_ingest_refused_while_another_process_holds_the_lock(variants, tmp_path):
    folder = tmp_path / "index"
    folder.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder / "ingest.lock")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = _cli("ingest", "--no-embed", "--index", str(folder), str(variants))
        assert result.exit_code == 1
        assert result.output == f"Error: another ingest is running on {folder}; try again when it ends\n"
    finally:
        holder.kill()
        holder.wait()
    assert _cli("ingest", "--no-embed", "--index", str(folder), str(variants)).exit_code == 0


# --- a kill while the vector index is saved --------------------------------------------------------


SAVE_THEN_HANG = """
import sys, time
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from fakes import FakeEmbedder
import faiss
from findings.config import Settings
from findings.library import Library

real_write = faiss.write_index

def write_then_hang(index, path):
    real_write(index, path)  # the temp file is whole: the kill lands before the rename
    print("saving", flush=True)
    time.sleep(600)

faiss.write_index = write_then_hang
Library(Settings.load(sys.argv[1]), embedder=FakeEmbedder()).ingest([sys.argv[3]])
"""


def test_temp_files_left_by_a_kill_during_a_save_are_cleared_by_the_next_writer(seed_fake_index, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    extra = tmp_path / "extra.txt"
    extra.write_text((SEEDS / "blackpool-2012-child-protection-inspection.md").read_text() + "\n\nzqextra.\n")
    saver = subprocess.Popen([sys.executable, "-c", SAVE_THEN_HANG, str(folder), str(HERE), str(extra)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert saver.stdout.readline().strip() == "saving"
        saver.kill()
    finally:
        saver.wait()
    left = sorted(p.name for p in folder.glob(".*.tmp"))
    assert len(left) == 1 and left[0].startswith(".vectors.faiss.")
    assert (folder / left[0]).stat().st_size > 10_000  # as large as the index
    reader = Library(Settings.load(folder), embedder=FakeEmbedder(), create=False)
    assert reader.search("zqextra", k=1, mode="keyword")  # the report was stored before the save
    assert sorted(p.name for p in folder.glob(".*.tmp")) == left  # a search never writes, nor deletes
    writer = Library(Settings.load(folder), embedder=FakeEmbedder())
    assert writer.ingest([extra]).unchanged == [str(extra)]
    assert list(folder.glob(".*.tmp")) == []
    fresh = Library(Settings.load(folder), embedder=FakeEmbedder(), create=False)
    stored_ids, _ = fresh.store.paragraph_vectors(MODEL)
    assert sorted(fresh.vectors().ids.tolist()) == sorted(stored_ids.tolist())


def _snapshot_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_search_never_writes_to_the_index_even_when_the_vector_index_is_behind(seed_fake_index, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(seed_fake_index, folder)
    assert _cli("remove", "blackpool-2012-child-protection", "--index", str(folder)).exit_code == 0  # no re-save
    before = _snapshot_of(folder)
    reader = Library(Settings.load(folder), embedder=FakeEmbedder(), create=False)
    assert reader.vectors().ids.size  # caught up in memory: the saved index still holds Blackpool
    for mode in ("keyword", "semantic", "hybrid"):
        hits = reader.search("child protection in Blackpool", k=10, mode=mode)
        assert hits and all(h.report.id != "blackpool-2012-child-protection" for h in hits)
    assert reader.similar("care leavers personal adviser")
    result = _cli("search", "care leavers", "--mode", "keyword", "--index", str(folder))
    assert result.exit_code == 0 and "Blackpool" not in result.output
    for command in (["reports"], ["collections"], ["paragraphs", "blackburn-with-darwen-2022-ilacs"]):
        assert _cli(*command, "--index", str(folder)).exit_code == 0
    reader.store.close()
    after = _snapshot_of(folder)
    assert set(after) - set(before) <= {f"{DB_NAME}-wal", f"{DB_NAME}-shm"}  # SQLite's own reader files
    kept = {name for name in before if not name.endswith("-shm")}  # -shm: readers' marks, not data
    assert {name: after[name] for name in kept} == {name: before[name] for name in kept}
