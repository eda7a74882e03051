"""The on-disk response cache: an unchanged request is never paid for twice.

A request's key is the sha256 of its parts as canonical JSON: for the prompt's own calls the
prompt's content hash, model, params and the case's inputs; for a judge's, its model, params
and rendered messages; and, for both, the runner (`Runner.cache_id`), so answers from a stub
command never stand in for a real model's. Entries are small JSON files under
`.promptreg/cache/` at the repository root (`evals.cache_dir`), which keeps its own
`.gitignore`: the cache is local and disposable, delete it whenever you like.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from promptreg.errors import WriteError
from promptreg.evals.runners import Completion, Usage

FORMAT = 1
_GITIGNORE = "# The promptreg eval response cache: local and disposable.\n*\n"


def cache_key(parts: Mapping[str, Any]) -> str:
    """The key of a request described by `parts` (any JSON-able values)."""
    text = json.dumps(
        {"format": FORMAT, **parts},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """Completions by key, one file each. Safe to share between threads and processes:
    entries are written to a temp file and renamed into place."""

    def __init__(self, directory: Path, *, reuse: bool = True) -> None:
        """`reuse=False` (`eval --no-cache`): never answer from the cache, but store the new
        answers, so the next run reuses them."""
        self.directory = directory
        self.reuse = reuse
        try:
            directory.mkdir(parents=True, exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                ignore.write_text(_GITIGNORE, encoding="utf-8")
        except OSError as err:
            raise WriteError(
                f"cannot create the eval cache: {err.strerror or err}", path=str(directory)
            ) from None

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The cached completion, or None (absent, or unreadable: then it is simply redone)."""
        if not self.reuse:
            return None
        try:
            data = json.loads(self._path(key).read_bytes())
            usage = data.get("usage")
            model = data.get("model")
            return Completion(
                data["text"],
                Usage(int(usage["input_tokens"]), int(usage["output_tokens"])) if usage else None,
                model if isinstance(model, str) else None,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, completion: Completion) -> None:
        """Store a completion. A failure to write is ignored: the answer is not lost, only
        not cached."""
        usage = completion.usage
        data = {
            "text": completion.text,
            "usage": None
            if usage is None
            else {"input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens},
            "model": completion.model,
        }
        path = self._path(key)
        with contextlib.suppress(OSError):
            path.parent.mkdir(exist_ok=True)
            # No fsync: a torn entry reads as absent and is redone; fsync per case would cost
            # more than the rest of a local run.
            fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(json.dumps(data, ensure_ascii=False).encode("utf-8"))
                os.replace(tmp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
