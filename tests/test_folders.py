"""What a folder can do to an ingest: odd file names, symbolic links, the same file twice, and
`remove` given several ids.  Nothing a folder holds stops the work or leaks a file from outside it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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
