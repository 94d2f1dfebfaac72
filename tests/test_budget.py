"""One time and memory budget for the whole of a file's processing: reading, splitting, embedding.

Slow cases are slow by construction (an embedder that sleeps, a splitter that never ends) and the
budget is passed small, so nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from findings import sandbox
from findings.budget import Budget, FileLimits
from findings.config import Settings
from findings.ingest import EMBED_BATCH, embed_new
from findings.library import Library
from findings.models import Paragraph
from findings.readers import ReadError
from findings.store import Store

HERE = Path(__file__).resolve().parent
SEEDS = HERE.parent / "seeds"
ILACS_2022 = SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"
SLEEP_S = 1.0
TINY = FileLimits(base_seconds=4, seconds_per_mb=0, base_mb=1024, mb_per_mb=0)


class SleepyEmbedder(FakeEmbedder):
    """The fake embedder, taking `SLEEP_S` seconds for every batch it is given."""

    def encode_spans(self, texts, spans, batch_size: int = 16):
        time.sleep(SLEEP_S)
        return super().encode_spans(texts, spans, batch_size)


def long_report(path: Path, paragraphs: int) -> Path:
    rng = random.Random(3)
    words = ILACS_2022.read_text(encoding="utf-8").split()
    lines = ["Blackburn with Darwen Borough Council", "Inspection of children's services"]
    lines += [f"{n}. " + " ".join(rng.choice(words) for _ in range(40)) + "." for n in range(1, paragraphs + 1)]
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_file_that_embeds_past_its_budget_fails_with_one_sentence_and_the_next_is_stored(tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    big = long_report(batch / "a-long.txt", paragraphs=12 * EMBED_BATCH)  # 12 batches: at least 12 s
    shutil.copy(ILACS_2022, batch / "b-report.txt")
    embedder = SleepyEmbedder()
    library = Library(Settings.load(tmp_path / "index", limits=TINY), embedder=embedder)
    summary = library.ingest([batch])
    size_kb = big.stat().st_size // 1024
    assert summary.failed == [(str(big), "reading, splitting and embedding took longer than 4 s, the time limit "
                                         f"for a file of {size_kb} KB; the file was not stored")]
    assert summary.added == [str(batch / "b-report.txt")]
    assert len(embedder.calls) <= 4 + 1 + 1  # stopped within the batch that overran, not after twelve
    assert [r.file for r in library.store.reports()] == ["b-report.txt"]
    assert library.search("Over-optimism about parental capacity", k=1, mode="semantic")  # whole and searchable


def test_the_app_names_the_file_and_its_budget_too(tmp_path):
    from findings.webapp import reports as uploads

    library = Library(Settings.load(tmp_path / "index", limits=TINY), embedder=SleepyEmbedder())
    data = long_report(tmp_path / "long.txt", paragraphs=12 * EMBED_BATCH).read_bytes()
    outcome = uploads.ingest_uploads(library, [("Our long report.txt", data)], tmp_path / "index")
    (name, reason), = outcome.failed
    assert name == "Our long report.txt" and reason.startswith("reading, splitting and embedding took longer than 4 s")
    assert ("error", f"Our long report.txt: {reason}") in uploads.outcome_messages(outcome)


def test_splitting_is_inside_the_budget(tmp_path, test_readers, monkeypatch):
    monkeypatch.setattr(sandbox, "PARSE_JOB", "fault_readers:read_then_split_forever")
    path = shutil.copy(ILACS_2022, tmp_path / "report.txt")
    limits = FileLimits(base_seconds=1.5, seconds_per_mb=0, base_mb=1024, mb_per_mb=0)
    library = Library(Settings.load(tmp_path / "index", limits=limits), embed=False)
    summary = library.ingest([path])
    assert summary.failed == [(str(path), "reading, splitting and embedding took longer than 1.5 s, the time limit for "
                                          f"a file of {Path(path).stat().st_size // 1024} KB; the file was not stored")]
    assert Store(tmp_path / "index").reports() == []


def test_embedding_that_holds_more_than_the_memory_budget_fails():
    paragraphs = [Paragraph("r", f"p{i}", i, "numbered", "", 1, i, f"Paragraph {i}: children, plans and visits.")
                  for i in range(300)]

    class NoStore:
        def cached_hashes(self, model, hashes):
            return set()

    budget = Budget(seconds=1e9, memory_mb=0.05, size_bytes=40_000)
    with pytest.raises(ReadError, match=r"^reading, splitting and embedding needed more than 0.05 MB, the memory "
                                        r"limit for a file of 39 KB; the file was not stored$"):
        list(embed_new(paragraphs, NoStore(), FakeEmbedder(), budget))


def test_the_budget_grows_with_the_file():
    limits = FileLimits()
    report, long_text = limits.budget(300 * 1024), limits.budget(5 * 1024 * 1024)
    assert report.seconds == pytest.approx(120 + 60 * 300 / 1024) and long_text.seconds == pytest.approx(420)
    assert report.memory_mb < long_text.memory_mb
    assert "a file of 5.0 MB" in long_text.over_time() and "a file of 300 KB" in report.over_time()


@pytest.mark.slow
def test_the_issues_5_mb_text_of_14240_paragraphs_is_stored_within_its_budget(tmp_path):
    """The file the issue names: it used to run on unbounded; now its 420 s budget covers it."""
    path = long_report(tmp_path / "long.txt", paragraphs=14_240)
    while path.stat().st_size < 5 * 1024 * 1024:  # the issue's 5 MB: longer paragraphs, same count
        path.write_text(path.read_text().replace(".\n\n", " and reviewed.\n\n"), encoding="utf-8")
    library = Library(Settings.load(tmp_path / "index"), embedder=FakeEmbedder())
    summary = library.ingest([path])
    assert summary.added == [str(path)], summary.failed
    assert library.store.reports()[0].paragraph_count >= 14_240
