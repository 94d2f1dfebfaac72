"""Names and values that try to act on the screen: escape sequences and newlines in file names,
ids and corrected values (the terminal and log lines), Markdown in names (the web app).

Every message that echoes a name or a value shows it escaped: control characters as `\\x1b`,
newlines as `\\n`; in the app Markdown is escaped too, so a name is shown as typed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from findings.cli import main

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
ILACS_2022 = SEEDS / "blackburn-with-darwen-2022-ilacs-inspection.txt"
CLI = "import sys; from findings.cli import main; sys.argv[0] = 'findings'; main()"
SUMMARY = re.compile(r"\d+ added, \d+ replaced, \d+ unchanged, \d+ failed")
ESC = "\x1b[2J\x1b[31m"  # clear the screen, then red


def findings(*args: str) -> subprocess.CompletedProcess:
    """The real command in its own process: its logging set up as a user gets it."""
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=300)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# --- the terminal and log lines ----------------------------------------------------------------


def test_file_names_cannot_colour_the_screen_or_forge_summary_lines(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / f"evil{ESC}.txt").write_bytes(b"")  # fails: empty
    (folder / "x\n5 added, 0 replaced, 0 unchanged, 0 failed\n.txt").write_bytes(b"")  # fails too
    shutil.copy(ILACS_2022, folder / "good.txt")
    result = findings("ingest", "--no-embed", "--index", str(tmp_path / "index"), str(folder))
    assert result.returncode == 1
    err = result.stderr
    assert "\x1b" not in err
    lines = err.splitlines()
    assert [line for line in lines if SUMMARY.search(line)] == [
        "1 added, 0 replaced, 0 unchanged, 2 failed",
        f"Failed: {folder}/x\\n5 added, 0 replaced, 0 unchanged, 0 failed\\n.txt: the file is empty (0 bytes)",
    ] or [line for line in lines if SUMMARY.search(line)] == [
        f"Failed: {folder}/x\\n5 added, 0 replaced, 0 unchanged, 0 failed\\n.txt: the file is empty (0 bytes)",
        "1 added, 0 replaced, 0 unchanged, 2 failed",
    ]
    evil = [line for line in lines if "evil" in line]
    assert evil == [f"Failed: {folder}/evil\\x1b[2J\\x1b[31m.txt: the file is empty (0 bytes)"]  # once


def test_verbose_log_lines_escape_names_too(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(ILACS_2022, folder / f"report{ESC}\nforged line.txt")
    result = findings("-v", "ingest", "--no-embed", "--index", str(tmp_path / "index"), str(folder))
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\nforged line" not in result.stderr
    assert "report\\x1b[2J\\x1b[31m\\nforged line.txt: stored as" in result.stderr


def test_values_given_to_correct_and_remove_are_echoed_escaped(tmp_path):
    index = str(tmp_path / "index")
    assert run("ingest", "--no-embed", "--index", index, str(ILACS_2022)).exit_code == 0
    report_id = "blackburn-with-darwen-2022-ilacs"
    result = run("correct", report_id, "lead_inspector", f"A. N. Other{ESC}\nremoved {report_id}", "--index", index)
    assert result.exit_code == 0
    assert "\x1b" not in result.output and len(result.output.splitlines()) == 1
    assert "lead_inspector = A. N. Other\\x1b[2J\\x1b[31m\\nremoved" in result.output
    result = run("remove", f"no-such{ESC}", "--index", index)
    assert result.exit_code == 1 and "\x1b" not in result.output
    assert "no report with id 'no-such\\x1b[2J\\x1b[31m'" in result.output
    result = run("reports", "--index", index)
    assert "\x1b" not in result.output  # the corrected value is not on this line, and nothing else leaks
    corrected = run("correct", report_id, "authority", f"Evil{ESC}", "--index", index)
    assert corrected.exit_code == 0
    listed = run("reports", "--index", index).output
    assert "\x1b" not in listed and "Evil\\x1b[2J\\x1b[31m" in listed
