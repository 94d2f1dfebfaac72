"""Files written whole or not at all, files' content hashes, and telling a full disk: the one
helper of each.

`atomic_write` writes a temp file in the target's folder, fsyncs it, then renames it onto the
target (or, with `overwrite=False`, links it there, which fails if something appeared
meanwhile) and fsyncs the folder; a crash leaves the old file or the new one, never half of
one.  The temp file is removed on any failure.
"""

from __future__ import annotations

import errno
import glob
import hashlib
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

TEMP_SUFFIX = ".tmp"
LOW_SPACE_BYTES = 1 << 20  # less free space than this, and a failed write is taken for a full disk
_SQLITE_FULL, _SQLITE_IOERR = 13, 10


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


def remove_stale_temps(folder: str | os.PathLike[str], names: tuple[str, ...]) -> int:
    """Remove the temp files `atomic_write` left for these target names in `folder` when its
    process was killed mid-write; only safe while no other process writes them (a writer holds
    the folder's lock).  Returns how many were removed."""
    removed = 0
    for name in names:
        for stale in Path(folder).glob(f".{glob.escape(name)}.*{TEMP_SUFFIX}"):
            stale.unlink(missing_ok=True)
            removed += 1
    return removed


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


def disk_is_full(exc: BaseException, folder: str | os.PathLike[str]) -> bool:
    """True when `exc` (or what caused it) comes from the disk holding `folder` being full:
    ENOSPC or EDQUOT, SQLite's "database or disk is full", or an I/O error while that disk has
    (almost) no free space left (SQLite says only "disk I/O error" when it cannot even grow
    its shared-memory file)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if isinstance(seen, sqlite3.Error):
            code = getattr(seen, "sqlite_errorcode", 0) & 0xFF
            if code == _SQLITE_FULL or "disk is full" in str(seen):
                return True
            if (code == _SQLITE_IOERR or "disk I/O error" in str(seen)) and free_bytes(folder) < LOW_SPACE_BYTES:
                return True
        seen = seen.__cause__ or seen.__context__
    return False


def free_bytes(folder: str | os.PathLike[str]) -> int:
    """Free space on the disk holding `folder` (its nearest existing parent); large when unknown."""
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 1 << 62
