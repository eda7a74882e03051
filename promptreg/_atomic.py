"""Write files so that a crash, a full disk or a racing writer never leaves half a file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from promptreg.errors import WriteError


def atomic_write(path: Path, data: bytes, *, exclusive: bool = False) -> None:
    """Write `data` to `path` via a temp file in the same directory, then rename over it.

    With `exclusive`, refuse (raise `FileExistsError`) when `path` already exists; the check
    and the create are one atomic `link`, so two writers cannot both win.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and not exclusive:
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        if exclusive:
            os.link(tmp, path)
        else:
            os.replace(tmp, path)
    except FileExistsError:
        raise
    except OSError as err:
        raise WriteError(f"cannot write: {err.strerror or err}", path=str(path)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
