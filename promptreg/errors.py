"""The one error hierarchy: every failure a user can cause is a `PromptregError`.

Each error carries the exit code the CLI returns for it and, where it has one, the file, line
and field at fault. The CLI turns them into one-line messages; nothing here prints.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from promptreg.findings import Finding


class ExitCode(enum.IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    UNEXPECTED = 3


class PromptregError(Exception):
    """Base of every expected error. `str(err)` is the full user-facing message."""

    exit_code: ExitCode = ExitCode.FINDINGS

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path + (f":{self.line}" if self.line is not None else "") + ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class UsageError(PromptregError):
    """The command line or its arguments are wrong."""

    exit_code = ExitCode.USAGE


class ConfigError(PromptregError):
    """`promptreg.yaml` is invalid."""

    exit_code = ExitCode.USAGE


class PromptNotFoundError(UsageError):
    """A prompt name or path names nothing."""


class InputError(PromptregError):
    """An input given to `render` breaks the prompt's `inputs` declaration."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, input_name: str, prompt: str | None = None) -> None:
        self.input_name = input_name
        super().__init__(message, path=prompt, field=f"input `{input_name}`")


class RenderError(PromptregError):
    """The template failed while rendering (sandbox refusal, undefined name, runtime error)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        super().__init__(message, path=path, line=line)


class LimitError(RenderError):
    """Compiling or rendering the template went over a limit (`limits:` in promptreg.yaml):
    `limit` names the key (`max_steps`, `render_timeout`, ...)."""

    def __init__(
        self, message: str, *, limit: str, path: str | None = None, line: int | None = None
    ) -> None:
        self.limit = limit
        super().__init__(message, path=path, line=line)


class BudgetError(PromptregError):
    """The rendered prompt is over `budget.max_input_tokens`."""

    def __init__(self, message: str, *, path: str | None, tokens: int, budget: int) -> None:
        self.tokens = tokens
        self.budget = budget
        super().__init__(message, path=path, field="budget.max_input_tokens")


class PromptFileError(PromptregError):
    """A prompt file is invalid; `findings` holds every problem, each with file and line."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        first = self.findings[0]
        more = len(self.findings) - 1
        suffix = f" (and {more} more finding{'s' if more > 1 else ''})" if more else ""
        super().__init__(first.format() + suffix)

    def _format(self) -> str:
        return self.message


class WriteError(PromptregError):
    """A file could not be written; nothing was changed."""

    exit_code = ExitCode.UNEXPECTED


class GitError(PromptregError):
    """A git command failed, or there is no git repository."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        self.stderr = stderr
        super().__init__(message)


class NotARepositoryError(GitError):
    """There is no git repository where one is needed (a usage error: run it in one)."""

    exit_code = ExitCode.USAGE


class TagExistsError(GitError):
    def __init__(self, name: str) -> None:
        self.tag = name
        super().__init__(f"tag {name} already exists")


class StaleLockError(GitError):
    """A ref's `.lock` file stays in the way: a git process died while updating it."""

    def __init__(self, name: str, lock: Path) -> None:
        self.tag = name
        self.lock = lock
        super().__init__(
            f"cannot create tag {name}: the lock file {lock} exists and has not gone away. "
            "Another git process may be updating that ref, or one died and left its lock "
            f"behind; if no git process is running, remove it (`rm '{lock}'`) and try again"
        )


class PushRejectedError(GitError):
    def __init__(self, remote: str, stderr: str) -> None:
        super().__init__(f"push to {remote} was rejected", stderr=stderr)


class PushRefusedError(GitError):
    """The remote refused a push for a reason of its own (a hook declined, a protected ref,
    no permission), not because one of its refs moved: trying again cannot help. Not a
    PushRejectedError, which the deploy and sync loops take for a race and retry."""

    def __init__(self, remote: str, stderr: str, said: str) -> None:
        self.remote = remote
        super().__init__(
            f"{remote} refused the push (not a race: nothing is retried):\n{said}", stderr=stderr
        )


class RemoteError(GitError):
    """The remote could not be reached (or did not answer like a git remote)."""

    def __init__(self, remote: str, stderr: str, *, kept: str = "") -> None:
        self.remote = remote
        first = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "no answer")
        why = first.removeprefix("fatal: ").removeprefix("error: ")
        tail = f"; {kept}" if kept else ""
        super().__init__(f"cannot reach remote {remote!r}: {why}{tail}", stderr=stderr)

    def keeping(self, kept: str) -> RemoteError:
        """The same error, saying what was kept locally (the caller knows)."""
        return RemoteError(self.remote, self.stderr, kept=kept)


class SyncError(PromptregError):
    """`promptreg sync` could not finish; nothing was pushed."""


class StateError(PromptregError):
    """A state commit that is not promptreg's format (it is then ignored: tags decide)."""


class HookExistsError(PromptregError):
    """A hook that promptreg did not write is in the way."""


class BundleError(PromptregError):
    """A bundle that cannot be trusted or read."""


class SignatureError(PromptregError):
    """A signature could not be made, or does not verify."""


class DatasetError(UsageError):
    """A dataset is missing or has malformed lines; the message names the file and line."""


class IncompleteRunError(PromptregError):
    """Some cases got no output: scores measured without them would flatter or wrong the
    prompt, so they are not recorded."""


class DeployError(PromptregError):
    """A release, promotion or rollback was refused; the message says why and what to do."""


class BatchRefused(DeployError):
    """Some prompts of an all-or-nothing command cannot go, so none did. `refusals`: (name,
    error) for each, in the order asked; `details`: one line per refusal or finding, for the
    CLI to print above `summary`. A misspelt name is a usage error (exit 2), as everywhere."""

    def __init__(self, refusals: Sequence[tuple[str, PromptregError]], summary: str) -> None:
        self.refusals = tuple(refusals)
        self.exit_code = max(err.exit_code for _, err in refusals)
        self.summary = summary
        details: list[str] = []
        for name, err in refusals:
            findings = err.findings if isinstance(err, PromptFileError) else ()
            if findings:
                details.append(f"{name}: {len(findings)} finding(s):")
                details += [f"  {f.format()}" for f in findings]
            else:
                details.append(f"{name}: {err}")
        self.details = tuple(details)
        super().__init__("\n".join([summary + ":", *details]))


class ReleaseRefused(BatchRefused):
    """Some prompts cannot be released, so none was."""

    def __init__(self, refusals: Sequence[tuple[str, PromptregError]], total: int) -> None:
        super().__init__(
            refusals,
            f"nothing released: {len(refusals)} of {total} prompt(s) cannot be released, and "
            "a release tags all or nothing; fix them (or name the prompts to release) and run "
            "it again",
        )

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "message": str(err),
                "findings": [
                    f.to_json() for f in (err.findings if isinstance(err, PromptFileError) else ())
                ],
            }
            for name, err in self.refusals
        ]


class PromotionRefused(BatchRefused):
    """Some prompts may not be promoted, so none was."""

    def __init__(self, refusals: Sequence[tuple[str, PromptregError]], total: int) -> None:
        super().__init__(
            refusals,
            f"nothing promoted: {len(refusals)} of {total} prompt(s) may not be promoted, and "
            "a promotion of several prompts is all or nothing. To override the order or the "
            "gate, add --force --reason '<why>' (the override is recorded in each tag)",
        )
