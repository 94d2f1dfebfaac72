"""What a folder can do to an ingest: odd file names, symbolic links, the same file twice, and
`remove` given several ids.  Nothing a folder holds stops the work or leaks a file from outside it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from findings.cli import main
from findings.store import Store

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ILACS_2022 = SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"
SIF_2017 = SEEDS / "blackburn-with-darwen-2017-sif-inspection.txt"
BLACKPOOL = SEEDS / "blackpool-2012-child-protection-inspection.md"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def stored_files(index: Path) -> set[str]:
    return {r.file for r in Store(index, create=False).reports()}


# --- a file name that is not UTF-8 ------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_neither_stops_the_ingest_nor_is_lost(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    bad = folder / os.fsdecode(b"bad-\xff.txt")
    shutil.copy(SIF_2017, bad)
    shutil.copy(ILACS_2022, folder / "z.txt")
    index = tmp_path / "index"
    result = run("ingest", "--no-embed", "--index", str(index), str(folder))
    assert result.exit_code == 0, result.output
    assert "2 added, 0 replaced, 0 unchanged, 0 failed" in result.output
    assert stored_files(index) == {"bad-\\xff.txt", "z.txt"}  # the byte shown, never a raw one
    again = run("ingest", "--no-embed", "--index", str(index), str(folder))
    assert "0 added, 0 replaced, 2 unchanged, 0 failed" in again.output  # the same file, known again
    from findings.pages import source_file

    report = next(r for r in Store(index).reports() if r.file == "bad-\\xff.txt")
    assert source_file(report).usable and source_file(report).path == bad  # the source page finds it


# --- symbolic links ---------------------------------------------------------------------------------


@pytest.fixture
def linked_folder(tmp_path) -> Path:
    """A folder with a report of its own, a link to a private file elsewhere, a link to a folder
    elsewhere, and a link back to itself (a loop)."""
    private = tmp_path / "private"
    (private / "sub").mkdir(parents=True)
    shutil.copy(SIF_2017, private / "secret.txt")
    shutil.copy(BLACKPOOL, private / "sub" / "other.md")
    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(ILACS_2022, folder / "own.txt")
    (folder / "link.txt").symlink_to(private / "secret.txt")
    (folder / "linked-folder").symlink_to(private / "sub")
    (folder / "loop").symlink_to(folder)
    return folder


def test_symbolic_links_in_a_folder_are_skipped_with_a_line_saying_so(linked_folder, tmp_path):
    index = tmp_path / "index"
    result = run("ingest", "--no-embed", "--index", str(index), str(linked_folder))
    assert result.exit_code == 0, result.output
    assert stored_files(index) == {"own.txt"}  # nothing from outside the folder
    assert "1 added, 0 replaced, 0 unchanged, 0 failed, 3 skipped" in result.output
    for name in ("link.txt", "linked-folder", "loop"):
        assert (f"Skipped: {linked_folder / name}: a symbolic link; pass --follow-links to ingest what it points to"
                in result.output.splitlines())


def test_follow_links_ingests_what_links_point_to_once_and_never_loops(linked_folder, tmp_path):
    index = tmp_path / "index"
    result = run("ingest", "--no-embed", "--follow-links", "--index", str(index), str(linked_folder))
    assert result.exit_code == 0, result.output
    assert "3 added, 0 replaced, 0 unchanged, 0 failed" in result.output
    assert "Skipped" not in result.output
    sources = {Path(r.source).name for r in Store(index).reports()}
    assert sources == {"own.txt", "secret.txt", "other.md"}  # each file once, the loop walked once


# --- the same file twice ------------------------------------------------------------------------------


def test_the_same_file_from_two_paths_is_one_report_and_the_second_is_named_a_duplicate(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    shutil.copy(ILACS_2022, first / "report.txt")
    shutil.copy(ILACS_2022, second / "copy of report.txt")
    shutil.copy(ILACS_2022, second / "another copy.txt")  # twice in one batch as well
    index = tmp_path / "index"
    assert run("ingest", "--no-embed", "--index", str(index), str(first)).exit_code == 0
    result = run("ingest", "--no-embed", "--index", str(index), str(second))
    assert result.exit_code == 0, result.output
    assert "0 added, 0 replaced, 0 unchanged, 0 failed, 2 duplicates" in result.output
    for name in ("another copy.txt", "copy of report.txt"):
        assert (f"Duplicate: {second / name}: the same file as blackburn-with-darwen-2022-ilacs, "
                f"already indexed from {(first / 'report.txt').resolve()}") in result.output.splitlines()
    assert [r.id for r in Store(index).reports()] == ["blackburn-with-darwen-2022-ilacs"]


# --- remove, given several ids --------------------------------------------------------------------


def test_remove_goes_on_past_an_unknown_id_and_names_it(tmp_path):
    index = str(tmp_path / "index")
    assert run("ingest", "--no-embed", "--index", index, str(ILACS_2022), str(BLACKPOOL)).exit_code == 0
    result = run("remove", "blackburn-with-darwen-2022-ilacs", "no-such-report", "blackpool-2012-child-protection",
                 "--index", index)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "removed blackburn-with-darwen-2022-ilacs",
        "Error: no report with id 'no-such-report' (see `findings reports`)",
        "removed blackpool-2012-child-protection",
    ]
    assert Store(index).reports() == []


def test_an_upload_of_a_file_already_indexed_from_disk_is_named_a_duplicate_and_not_kept(tmp_path):
    from findings.config import Settings
    from findings.library import Library
    from findings.webapp import reports as uploads

    index = tmp_path / "index"
    library = Library(Settings(index, "unused"), embed=False)
    assert library.ingest([ILACS_2022]).added
    outcome = uploads.ingest_uploads(library, [("ours.txt", ILACS_2022.read_bytes())], index)
    assert outcome.added == [] and outcome.failed == []
    assert outcome.duplicates == [
        ("ours.txt", f"the same file as blackburn-with-darwen-2022-ilacs, already indexed from {ILACS_2022}")
    ]
    assert ("info", f"ours.txt: {outcome.duplicates[0][1]}") in uploads.outcome_messages(outcome)
    assert list((index / "uploads").iterdir()) == []  # uploads/ holds only files that are indexed
    assert len(library.store.reports()) == 1
