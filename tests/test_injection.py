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

import pytest
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


# --- the web app: Markdown in names and values ------------------------------------------------------

EVIL = "**Evil** [a link](http://evil.example) $x^2$ ~~gone~~"
EVIL_SHOWN = r"\*\*Evil\*\* \[a link\](http://evil.example) \$x^2\$ \~\~gone\~\~"
COLLECTION = "Board_paper_ ~~draft~~ $x$"  # what check_name lets through: no * [ ] < > ` | \ { }
COLLECTION_SHOWN = r"Board\_paper\_ \~\~draft\~\~ \$x\$"
PRESS_RELEASE = "blackburn-with-darwen-2022-press-release"


@pytest.fixture
def evil_app(tmp_path_factory, tmp_path, monkeypatch):
    """The app on a copy of the seeded index where a user has named a council and a collection
    with Markdown in them."""
    from streamlit.testing.v1 import AppTest
    from test_app import APP, seeded_index_folder

    from findings.saved import check_name
    from findings.store import Store

    seeded, _ = seeded_index_folder(tmp_path_factory)
    folder = tmp_path / "index"
    shutil.copytree(seeded, folder)
    store = Store(folder)
    store.correct(PRESS_RELEASE, "authority", EVIL)
    assert store.saved.create_collection(check_name(COLLECTION))
    store.close()
    monkeypatch.setenv("FINDINGS_INDEX", str(folder))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.session_state["current_collection"] = COLLECTION
    return at.run()


def markdown_shown(at) -> list[str]:
    """Every Markdown body and widget label on the page."""
    bodies = [e.value for kind in ("caption", "markdown", "warning", "error", "info", "success", "subheader")
              for e in at.get(kind)]
    labels = [getattr(e, "label", None) or getattr(e.proto, "label", "") for e in at.get("button")]
    return [*bodies, *[text for text in labels if text]]


@pytest.mark.model
def test_app_messages_show_council_and_collection_names_as_typed(evil_app):
    at = evil_app
    assert not at.exception, [e.value for e in at.exception]
    assert f"Adding to “{COLLECTION_SHOWN}”" in at.sidebar.caption[0].value
    at.text_input(key="query").set_value("domestic abuse over-optimism").run()
    assert any(label == f"Add to “{COLLECTION_SHOWN}”" for label in markdown_shown(at))
    at.sidebar.radio(key="view").set_value("reports").run()
    at.selectbox(key="history_council").set_value(EVIL).run()
    assert f"No dated judgements for {EVIL_SHOWN}." in [c.value for c in at.caption]
    at.selectbox(key="remove_choice").set_value(PRESS_RELEASE).run()
    assert any(w.value.startswith(f"Remove {PRESS_RELEASE}: {EVIL_SHOWN}, ") for w in at.warning)
    at.sidebar.radio(key="view").set_value("collections").run()
    assert at.subheader[0].value == f"{COLLECTION_SHOWN} · 0 paragraphs"
    assert not at.exception, [e.value for e in at.exception]
    for text in markdown_shown(at):
        assert "**Evil**" not in text and "](http" not in text.replace(r"\](http", "") and "$x" not in text.replace(
            r"\$x", ""), text


@pytest.mark.model
def test_app_upload_failures_and_link_problems_show_names_as_typed(evil_app):
    from streamlit.testing.v1 import AppTest
    from test_app import APP

    at = evil_app
    at.sidebar.radio(key="view").set_value("reports").run()
    at.session_state["messages"] = {f"upload_go:error:{EVIL}.exe": ("error", f"{EVIL}.exe: unsupported file type")}
    at.run()
    assert [e.value for e in at.error] == [f"{EVIL_SHOWN}.exe: unsupported file type"]
    tampered = AppTest.from_file(str(APP), default_timeout=300)
    tampered.query_params.update({"q": "neglect", "council": "**Atlantis** [x](http://e.x)"})
    tampered.run()
    problems = [w.value for w in tampered.warning]
    assert any(r"'\*\*Atlantis\*\* \[x\](http://e.x)' in the link" in p for p in problems), problems
