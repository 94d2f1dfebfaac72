"""Untrusted input kept at arm's length: parsing under limits, and upload file names.

`parse_limited(path, budget)` reads, screens, splits and describes a file (`findings.parse`) in
a child process with a wall-clock time limit and an address-space limit (`RLIMIT_AS`) taken
from the file's budget (`findings.budget`), so one hostile or broken file cannot hang a batch or
exhaust the machine, however long its reading or its splitting takes; it returns the parsed file
and charges the budget with the child's own time, or raises `ReadError` with one sentence.
`read_pages_limited(path)` only reads a PDF or Word file so (plain text and Markdown in-process),
under the fixed limits `TIMEOUT_S` and `MAX_MEMORY_MB`.

The children are forked by one long-lived worker (`python -m findings.sandbox`, started on the
first PDF) that has imported the readers once: PyMuPDF takes seconds to import, so each file
costs a fork, not an interpreter start.  Forking from that single-threaded worker never copies
the threads of the parent (the web app, FAISS), and never re-runs the parent's main script as
multiprocessing's spawn and forkserver do.  Answers come back as JSON, never pickle.  The
worker ends when its standard input closes, that is when the parent ends, however it ends.

`safe_upload_path(store_dir, filename)` and `write_upload(store_dir, filename, data)` turn a
name a browser sent into a new file directly inside `store_dir`: base name only, plain
characters, never following a symbolic link, never replacing an existing file.
"""

from __future__ import annotations

import errno
import importlib
import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING

from findings.models import Page
from findings.readers import ReadError, check_file, read_pages

if TYPE_CHECKING:
    from findings.budget import Budget
    from findings.parse import Parsed

logger = logging.getLogger(__name__)

TIMEOUT_S = 120.0  # a 2,000-page report reads in well under a minute
MAX_MEMORY_MB = 2048  # on top of what the child holds before it opens the file
SANDBOXED_SUFFIXES = (".pdf", ".docx")
WORKER_GRACE_S = 30.0  # beyond the time limit, before the worker itself is deemed stuck
_MB = 1024 * 1024
_PRELOAD = ("findings.readers.pdf", "findings.readers.docx", "pymupdf", "docx", "findings.parse",
            "findings.split", "findings.metadata", "findings.tagging")
PARSE_JOB = "findings.parse:parse_file"


def read_pages_limited(
    path: str | Path, timeout: float | None = None, max_mb: int | None = None
) -> list[Page]:
    """`read_pages(path)` for PDF and Word files in a child process under a time limit in
    seconds and a memory limit in MB (default `TIMEOUT_S`, `MAX_MEMORY_MB`); text files
    in-process.  Raises ReadError with one sentence."""
    timeout = TIMEOUT_S if timeout is None else timeout
    max_mb = MAX_MEMORY_MB if max_mb is None else max_mb
    path = Path(path)
    suffix = check_file(path)
    if suffix not in SANDBOXED_SUFFIXES:
        return read_pages(path)
    return _read_in_child(path, timeout, max_mb)


def parse_limited(path: str | Path, budget: Budget, name: str = "") -> Parsed:
    """`findings.parse.parse_file(path, name)` in a child process, under what is left of the
    file's budget; the child's time is charged to the budget.  Raises ReadError."""
    from findings.parse import from_json

    path = Path(path)
    check_file(path)  # type and size, before any work
    kind, value, elapsed = _run_in_child(path, budget.left, int(budget.memory_mb), PARSE_JOB, [name])
    budget.charge(elapsed)
    if kind == "data":
        return from_json(value)
    if kind == "timeout":
        raise ReadError(budget.over_time())
    if kind == "memory":
        raise ReadError(budget.over_memory())
    if kind == "signal":
        raise ReadError(f"the reader crashed on this file ({value}); it is damaged or hostile")
    raise ReadError(value)


def _run_in_child(path: Path, timeout: float, max_mb: int, job: str, args: list | None = None) -> list:
    """[kind, value, seconds the child took] of `job` ("module:function") run on `path`."""
    request = {"path": str(path), "timeout": timeout, "max_mb": max_mb, "reader": job, "args": args or []}
    with _worker_lock:
        answer = _worker().ask(request, deadline=timeout + WORKER_GRACE_S)
    return answer if len(answer) == 3 else [*answer, 0.0]  # the worker's own failure: no time known


def _read_in_child(
    path: Path, timeout: float, max_mb: int, reader: str = "findings.readers:read_pages"
) -> list[Page]:
    """Run `reader` ("module:function", path -> pages) on `path` in a limited child."""
    kind, value, _ = _run_in_child(path, timeout, max_mb, reader)
    if kind == "pages":
        return [Page(*row) for row in value]  # (number, text, printed label)
    if kind == "timeout":
        raise ReadError(f"parsing took longer than {timeout:g} s, the time limit for one file")
    if kind == "memory":
        raise ReadError(f"parsing needed more than {max_mb} MB, the memory limit for one file")
    if kind == "signal":
        raise ReadError(f"the reader crashed on this file ({value}); it is damaged or hostile")
    raise ReadError(value)


# --- the worker, in the parent ---------------------------------------------------------------

_worker_lock = threading.Lock()
_the_worker: _Worker | None = None


class _Worker:
    """The parent's handle on the worker: one JSON request a line out, one answer a line in."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "findings.sandbox"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True,
        )
        self.buffer = b""
        self.owner = os.getpid()  # a forked copy of this process must start its own worker

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, request: dict, deadline: float) -> list:
        try:
            self.process.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            self.process.stdin.flush()
            return json.loads(self._read_line(time.monotonic() + deadline))
        except (OSError, ValueError, TimeoutError) as exc:
            logger.warning("the reader worker failed (%s); a new one starts with the next file", exc)
            self.stop()
            return ["error", "the reader stopped on this file without an answer"]

    def _read_line(self, until: float) -> bytes:
        fd = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            left = until - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer in time")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise OSError("the worker ended")
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


def _worker() -> _Worker:
    global _the_worker
    if _the_worker is None or _the_worker.owner != os.getpid() or not _the_worker.alive():
        _the_worker = _Worker()
    return _the_worker


# --- the worker process, and its children ------------------------------------------------------


def _serve() -> None:
    """The worker's loop: a request a line on stdin, an answer a line on the original stdout."""
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answers
    for module in _PRELOAD:
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    _warm()
    for line in sys.stdin.buffer:
        answer = _fork_and_read(json.loads(line))
        answers.write(json.dumps(answer).encode("utf-8") + b"\n")
        answers.flush()


def _warm() -> None:
    """Load what splitting, metadata and tagging read once (tables, patterns, the tagging
    model), so each child starts warm."""
    try:
        from findings.metadata import extract_metadata
        from findings.parse import with_tags
        from findings.split import split_pages

        pages = [Page(1, "Blackpool Council\n\n1. Leaders know their services well. They act on it.")]
        with_tags(split_pages(pages))  # the sentence splitter (NLTK) and the tagging model
        extract_metadata(pages, "warm.txt")
    except Exception as exc:  # noqa: BLE001 - warming is an optimisation, never a failure
        logger.info("the reader worker did not warm up (%s)", exc)


def _fork_and_read(request: dict) -> list:
    """Fork a child to read one file; kill it when it overruns; its answer, or why not, and
    the seconds it took."""
    started = time.monotonic()
    answer = _fork_and_wait(request)
    return [*answer, time.monotonic() - started]


def _fork_and_wait(request: dict) -> list:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: writes its answer and exits, never returns
        code = 0
        try:
            os.close(read_fd)
            with os.fdopen(write_fd, "wb") as sink:
                sink.write(_child(request["path"], request["max_mb"], request["reader"], request.get("args", [])))
        except BaseException:  # noqa: BLE001 - a child must never fall back into the loop
            code = 70
        os._exit(code)
    os.close(write_fd)
    chunks, until, timed_out = [], time.monotonic() + request["timeout"], False
    with os.fdopen(read_fd, "rb", buffering=0) as source:
        while True:
            left = until - time.monotonic()
            if left <= 0 or not select.select([source], [], [], left)[0]:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            chunk = source.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return ["timeout", ""]
    if os.WIFSIGNALED(status):
        return ["signal", signal.Signals(os.WTERMSIG(status)).name]
    try:
        return json.loads(b"".join(chunks))
    except ValueError:
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 70:
            return ["memory", ""]  # the child could not even write its answer
        return ["error", "the reader stopped on this file without an answer"]


def _child(path: str, max_mb: int, reader: str, args: list) -> bytes:
    """In the child: limit memory, run the job, answer ["pages", [[n, text, label], ...]] (a
    reader) or ["data", {...}] (a job that returns JSON-ready data), or a reason."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    _limit_address_space(max_mb)
    try:
        module, _, function = reader.partition(":")
        result = getattr(importlib.import_module(module), function)(Path(path), *args)
        if isinstance(result, dict):
            payload = json.dumps(["data", result])
        else:
            payload = json.dumps(["pages", [[p.number, p.text, p.label] for p in result]])
    except MemoryError:
        payload = json.dumps(["memory", ""])
    except ReadError as exc:
        payload = json.dumps(["memory" if _out_of_memory(exc) else "error", str(exc)])
    except Exception as exc:  # noqa: BLE001 - any failure of a reader is a reason, not a crash
        payload = json.dumps(["error", f"the file could not be read ({type(exc).__name__})"])
    return payload.encode("utf-8")


def _limit_address_space(max_mb: int) -> None:
    import resource

    try:
        with open("/proc/self/statm") as handle:
            current = int(handle.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        current = 0  # no /proc: the limit counts from zero
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + max_mb * _MB
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # pragma: no cover - a platform without RLIMIT_AS
        pass


def _out_of_memory(exc: BaseException) -> bool:
    """True when a reader's error comes from a failed allocation (MuPDF says so in words)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, MemoryError) or re.search(
            r"malloc|out of memory|cannot allocate", str(seen), re.IGNORECASE
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# --- upload file names -----------------------------------------------------------------------

MAX_NAME_CHARS = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_upload_name(filename: str) -> str:
    """The base name of `filename` in plain characters: no folders (either slash style), no
    leading dots, no control characters; "upload" when nothing is left."""
    name = unicodedata.normalize("NFKC", str(filename)).replace("\x00", "")
    name = PureWindowsPath(PurePosixPath(name).name).name
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _UNSAFE.sub("-", stem).strip(" .-")[:MAX_NAME_CHARS] or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:10]
    return f"{stem}.{suffix}" if suffix else stem


def safe_upload_path(store_dir: str | Path, filename: str) -> Path:
    """A new, empty file directly inside `store_dir` named after `filename` (sanitised; "-2",
    "-3", ... added when taken).  Created with O_EXCL|O_NOFOLLOW, so it never follows a
    symbolic link and never replaces a file; the caller writes into the returned path."""
    path, fd = _create(store_dir, filename)
    os.close(fd)
    return path


def write_upload(store_dir: str | Path, filename: str, data: bytes) -> Path:
    """`data` written to a new file made by the rules of `safe_upload_path`; returns its path."""
    path, fd = _create(store_dir, filename)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _create(store_dir: str | Path, filename: str) -> tuple[Path, int]:
    folder = Path(store_dir)
    folder.mkdir(parents=True, exist_ok=True)
    folder = folder.resolve()
    name = safe_upload_name(filename)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for n in range(1, 10_000):
        candidate = folder / (f"{stem}{'' if n == 1 else f'-{n}'}" + (f".{suffix}" if suffix else ""))
        if candidate.parent != folder:  # pragma: no cover - the name has no separators left
            raise ValueError(f"unsafe upload name {filename!r}")
        try:
            fd = os.open(candidate, flags, 0o600)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symbolic link sits at that name
                continue
            raise
        return candidate, fd
    raise OSError(errno.EEXIST, f"no free name for {name!r} in {folder}")


if __name__ == "__main__":
    _serve()
