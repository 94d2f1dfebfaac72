"""One time and memory budget for the whole of a file's processing: reading, splitting, embedding.

A file's budget grows with its size (`FileLimits.budget`): a base that any report fits in, and
more for each megabyte, so a long file gets longer but never for ever.  Reading and splitting run
in the sandbox's child process, killed when it overruns what is left and limited in memory by
the address space it may take; embedding runs in batches, and the budget is checked after each
(`Budget.check`), so a file that would embed for too long is stopped within a batch.  Only the
file's own work is counted: time a file spends waiting for the one before it is not.  When the
budget runs out the file fails with one sentence (`ReadError`) and the ingest goes on.
"""

from __future__ import annotations

from dataclasses import dataclass

from findings.readers import ReadError

_MB = 1024 * 1024


@dataclass(frozen=True)
class FileLimits:
    """How a file's budget is scaled to its size.  A 300 KB inspection report reads, splits and
    embeds in a few seconds (docs/performance.md: about 95 paragraphs a second on two cores);
    a 5 MB text of 14,000 paragraphs needs two or three minutes, within its 420 s."""

    base_seconds: float = 120.0
    seconds_per_mb: float = 60.0
    base_mb: float = 2048.0
    mb_per_mb: float = 20.0

    def budget(self, size_bytes: int) -> Budget:
        size_mb = max(size_bytes, 0) / _MB
        return Budget(
            seconds=self.base_seconds + self.seconds_per_mb * size_mb,
            memory_mb=self.base_mb + self.mb_per_mb * size_mb,
            size_bytes=size_bytes,
        )


@dataclass
class Budget:
    """What one file may spend, and what it has spent so far."""

    seconds: float
    memory_mb: float
    size_bytes: int
    spent: float = 0.0  # seconds of the file's own work so far

    @property
    def left(self) -> float:
        return max(self.seconds - self.spent, 0.0)

    def charge(self, seconds: float) -> None:
        self.spent += max(seconds, 0.0)

    def check(self, held_bytes: int = 0) -> None:
        """Raise ReadError when the time is spent, or `held_bytes` (what the embedding holds
        for this file) is over the memory budget."""
        if self.spent > self.seconds:
            raise ReadError(self.over_time())
        if held_bytes > self.memory_mb * _MB:
            raise ReadError(self.over_memory())

    def over_time(self) -> str:
        return (f"reading, splitting and embedding took longer than {_amount(self.seconds)} s, the time limit for a "
                f"file of {_size(self.size_bytes)}; the file was not stored")

    def over_memory(self) -> str:
        return (f"reading, splitting and embedding needed more than {_amount(self.memory_mb)} MB, the memory limit "
                f"for a file of {_size(self.size_bytes)}; the file was not stored")


def _amount(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:g}"


def _size(size_bytes: int) -> str:
    if size_bytes >= _MB:
        return f"{size_bytes / _MB:.1f} MB"
    return f"{max(size_bytes // 1024, 1)} KB"
