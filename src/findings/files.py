"""Files written whole or not at all, and files' content hashes: the one helper of each.

`atomic_write` writes a temp file in the target's folder, fsyncs it, then renames it onto the
target (or, with `overwrite=False`, links it there, which fails if something appeared
meanwhile) and fsyncs the folder; a crash leaves the old file or the new one, never half of
one.  The temp file is removed on any failure.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

TEMP_SUFFIX = ".tmp"


class TargetExists(FileExistsError):
    """`atomic_write(..., overwrite=False)` found something at the target."""


def atomic_write(
    target: str | os.PathLike[str],
    data: bytes | Callable[[Path], None],
    *,
    overwrite: bool = True,
    mode: int | None = None,
) -> None:
    """Write `data` (bytes, or a function that writes a given path) to `target` atomically."""
    target = Path(target)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
    tmp = Path(name)
    try:
        if callable(data):
            os.close(handle)
            data(tmp)
        else:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
        with open(tmp, "rb+") as stream:
            os.fsync(stream.fileno())
        os.chmod(tmp, mode if mode is not None else new_file_mode(target))
        if overwrite:
            os.replace(tmp, target)
        else:
            _link_new(tmp, target)
        fsync_folder(target.parent)
    finally:
        if os.path.lexists(tmp):
            tmp.unlink()


def _link_new(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except FileExistsError as exc:
        raise TargetExists(str(target)) from exc
    except OSError:  # a file system without hard links: check, then rename
        if os.path.lexists(target):
            raise TargetExists(str(target)) from None
        os.replace(tmp, target)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def new_file_mode(target: Path) -> int:
    """The mode of the file being replaced, or what the process umask allows a new file."""
    if target.is_file():
        return target.stat().st_mode & 0o777
    try:  # Linux reports the umask without changing it (os.umask would race other threads)
        status = Path("/proc/self/status").read_text()
        umask = int(re.search(r"^Umask:\s*([0-7]+)", status, re.MULTILINE).group(1), 8)
    except (OSError, AttributeError, ValueError):
        umask = 0o022
    return 0o666 & ~umask


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
