"""Runners: how the prompt's model (or a judge's) is called with rendered messages.

A runner answers one request: `complete(messages, model, timeout=...) -> Completion`, raising
`CallError` when it cannot (`retryable` for rate limits, server errors and timeouts; `calls.py`
retries those). Runners are shared between worker threads.

Every request says which call it is (`call`: "prompt" for the prompt's own calls, "judge" for
a judge metric's, with that metric's name), so a stub can answer both kinds.

- `command:CMD` runs `CMD` with `sh -c` in the repository root, the messages as JSON on stdin,
  and `PROMPTREG_PROVIDER`, `PROMPTREG_MODEL`, `PROMPTREG_MODEL_PARAMS` (JSON),
  `PROMPTREG_CALL` and, for judge calls, `PROMPTREG_METRIC` in its environment; its stdout
  (less one trailing newline) is the output. Exit status 75 (EX_TEMPFAIL) asks for a retry.
- `python:MODULE:FUNCTION` calls `FUNCTION(messages, model)` (`model` a `ModelSpec`), adding
  `call=` and `metric=` keywords when the function's signature takes them (so functions
  written before they existed still work); it returns the output text. It runs in a worker
  thread, so the timeout cannot stop it.
- `openai[:BASE_URL]` (`openai_runner.py`) uses the official SDK.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from promptreg.evals.pyref import load_callable
from promptreg.frontmatter.spec import ModelSpec
from promptreg.template.render import ChatMessage

EX_TEMPFAIL = 75

CallKind = Literal["prompt", "judge"]
"""Which call a request is: the prompt's own, or a judge metric's."""


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class Completion:
    """A model's reply: its text, the token usage when the runner reports it, and the model
    that answered when the runner knows it (an OpenAI-compatible server says so in its reply);
    None from `command` and `python` runners, which are not known to call any model."""

    text: str
    usage: Usage | None = None
    model: str | None = None


class CallError(Exception):
    """One request failed. `retryable`: worth trying again (429, 5xx, timeout)."""

    def __init__(
        self, message: str, *, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


class Runner(Protocol):
    @property
    def cache_id(self) -> str:
        """What the response cache keys on besides the request: answers from another
        runner (another server, a stub command) are never mixed up with this one's."""
        ...

    def complete(
        self,
        messages: Sequence[ChatMessage],
        model: ModelSpec,
        *,
        timeout: float,
        call: CallKind = "prompt",
        metric: str | None = None,
    ) -> Completion:
        """Answer one request. `call` says whose it is; `metric` names the judge metric
        (None for the prompt's own calls)."""
        ...


class CommandRunner:
    def __init__(self, command: str, root: Path) -> None:
        self.command = command
        self.root = root
        self.cache_id = f"command:{command}"

    def complete(
        self,
        messages: Sequence[ChatMessage],
        model: ModelSpec,
        *,
        timeout: float,
        call: CallKind = "prompt",
        metric: str | None = None,
    ) -> Completion:
        env = {
            **os.environ,
            "PROMPTREG_PROVIDER": model.provider,
            "PROMPTREG_MODEL": model.name,
            "PROMPTREG_MODEL_PARAMS": json.dumps(dict(model.params)),
            "PROMPTREG_CALL": call,
        }
        # Set for judge calls only; never inherited, so its presence means a judge call.
        env.pop("PROMPTREG_METRIC", None)
        if metric is not None:
            env["PROMPTREG_METRIC"] = metric
        try:
            # A new session, so a timeout kills the whole pipeline, not just `sh`.
            proc = subprocess.Popen(
                self.command,
                shell=True,
                cwd=self.root,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as err:
            raise CallError(f"cannot run {self.command!r}: {err.strerror or err}") from None
        payload = json.dumps(list(messages), ensure_ascii=False).encode("utf-8")
        try:
            out, err_bytes = proc.communicate(payload, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise CallError(f"timed out after {timeout:g}s", retryable=True) from None
        if proc.returncode != 0:
            lines = err_bytes.decode("utf-8", "replace").strip().splitlines()
            why = f": {lines[-1]}" if lines else ""
            raise CallError(
                f"command exited with status {proc.returncode}{why}",
                retryable=proc.returncode == EX_TEMPFAIL,
            )
        return Completion(out.decode("utf-8", "replace").removesuffix("\n"))


def _kill(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (OSError, AttributeError):
        proc.kill()
    proc.communicate()


class PythonRunner:
    def __init__(self, reference: str, root: Path) -> None:
        self.function = load_callable(reference, root, what="runner")
        self.cache_id = f"python:{reference}"
        self.accepts = _keywords(self.function, ("call", "metric"))

    def complete(
        self,
        messages: Sequence[ChatMessage],
        model: ModelSpec,
        *,
        timeout: float,
        call: CallKind = "prompt",
        metric: str | None = None,
    ) -> Completion:
        try:
            extra = {"call": call, "metric": metric}
            kwargs = {name: extra[name] for name in self.accepts}
            text = self.function([dict(m) for m in messages], model, **kwargs)
        except Exception as err:  # the user's function failed: a per-case error, not a crash
            raise CallError(f"{type(err).__name__}: {err}") from None
        if not isinstance(text, str):
            raise CallError(f"the runner function returned {type(text).__name__}, not a string")
        return Completion(text)


def _keywords(function: Any, names: tuple[str, ...]) -> tuple[str, ...]:
    """Which of `names` `function` takes as keywords (all of them with `**kwargs`). Read once,
    when the runner is built: a function written before a keyword existed is not handed it."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # no readable signature (some builtins): hand it nothing
        return ()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return names
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(n for n in names if n in parameters and parameters[n].kind in keyword)
