"""Import a user's `module:function` from the repository root (python runners and metrics)."""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from promptreg.errors import UsageError
from promptreg.project.runner_spec import check_reference

_lock = threading.Lock()


def load_callable(reference: str, root: Path, *, what: str) -> Callable[..., Any]:
    """The function `module:function`, its module imported with `root` first on `sys.path`.

    `what` names the setting in errors (e.g. "--runner", "evals.metrics[2].function").
    The root is on the path only while importing: the user's module is imported once, up front.
    """
    try:
        module_name, function_name = check_reference(reference)
    except ValueError as err:
        raise UsageError(str(err), field=what) from None
    entry = str(root)
    with _lock:
        added = entry not in sys.path
        if added:
            sys.path.insert(0, entry)
        importlib.invalidate_caches()
        try:
            module = importlib.import_module(module_name)
        except Exception as err:  # the user's module failed to import: say why, no traceback
            raise UsageError(
                f"cannot import {module_name!r} from {root}: {type(err).__name__}: {err}",
                field=what,
            ) from None
        finally:
            if added:
                sys.path.remove(entry)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise UsageError(f"module {module_name!r} has no function {function_name!r}", field=what)
    return function  # type: ignore[no-any-return]
