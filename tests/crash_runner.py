"""Fault-injection helper: forks one ingest at a time so that a test can kill -9 it.

Started once by tests/test_reliability.py.  It imports the library and warms the sentence
tokenizer (several seconds), then reads commands on stdin, one a line:

    ingest INDEX_DIR SOURCE_DIR

forks a child that runs `Library(..., embedder=FakeEmbedder()).ingest([SOURCE_DIR])`, exactly
what `findings ingest` does, and prints `start PID`; the child prints `done PATH` after each
file is stored; the parent prints `exit PID CODE` (CODE is -9 after a SIGKILL) when it ends.
Forking from this warm, single-threaded process makes each trial start in milliseconds, so the
kill lands inside the ingest rather than inside Python's start-up.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fakes import FakeEmbedder

from findings.config import Settings
from findings.library import Library
from findings.sentences import split_sentences


def say(line: str) -> None:
    os.write(1, (line + "\n").encode("utf-8"))  # one write: lines from parent and child never mix


def ingest(index_dir: str, source: str) -> None:
    library = Library(Settings.load(index_dir), embedder=FakeEmbedder())

    def progress(files):
        for path in files:
            yield path
            say(f"done {path}")

    summary = library.ingest([source], progress=progress)
    say(f"summary {summary.line()}")


def main() -> None:
    split_sentences("Warm the tokenizer. It takes seconds to load.")
    say("ready")
    for line in sys.stdin:
        command, *args = line.split()
        if command != "ingest":
            continue
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ingest(*args)
            except BaseException as exc:  # noqa: BLE001 - reported to the test, not swallowed
                say(f"error {type(exc).__name__}: {exc}")
                code = 1
            os._exit(code)
        say(f"start {pid}")
        _, status = os.waitpid(pid, 0)
        say(f"exit {pid} {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
