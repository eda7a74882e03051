"""The plain git hooks, for teams that do not use the pre-commit framework.

The text lives here, so an installed promptreg can write it (`promptreg install-hooks`); the
copies in the repository's `hooks/` directory are `script(name)` with no interpreter filled in,
and a test keeps them equal. POSIX sh, so they run wherever git does.
"""

from __future__ import annotations

import shlex

MARKER = "# promptreg-hook: "
_PYTHON_LINE = "PROMPTREG_PYTHON=''"

_RUNNER = """\
# The interpreter promptreg was installed with (`promptreg install-hooks` fills it in); when it
# is empty or gone, `promptreg` from PATH is used.
PROMPTREG_PYTHON=''

promptreg() {
    if [ -n "$PROMPTREG_PYTHON" ] && [ -x "$PROMPTREG_PYTHON" ]; then
        # -P: never import from the repository root, where a promptreg/ or yaml.py of the
        # project's own would shadow the installed packages.
        "$PROMPTREG_PYTHON" -P -m promptreg "$@"
    elif command -v promptreg >/dev/null 2>&1; then
        command promptreg "$@"
    else
        echo "promptreg hook: promptreg is not installed (pip install git-promptreg, then run" \\
            "\\`promptreg install-hooks\\` again)" >&2
        return 1
    fi
}
"""

_TEXTS = {
    "pre-commit": f"""\
#!/bin/sh
{MARKER}pre-commit (written by `promptreg install-hooks`)
#
# Checks what is being committed: the staged prompts and partials, with the same checks as
# promptreg's pre-commit framework hooks (validate, version-bump, evals-fresh, no-secrets).
# Skip it once with `git commit --no-verify`.

{_RUNNER}
status=0
for hook in validate version-bump evals-fresh no-secrets; do
    promptreg hook "$hook" || status=1
done
exit "$status"
""",
    "pre-push": f"""\
#!/bin/sh
{MARKER}pre-push (written by `promptreg install-hooks`)
#
# Refuses to push a deployment tag (refs/tags/prompts/<name>@<env>/<seq>) whose evals gate
# fails. git passes the remote as $1 and $2, and one line per ref on stdin.
# Skip it once with `git push --no-verify`.

{_RUNNER}
refs=$(cat)
case "$refs" in
    *refs/tags/prompts/*) ;;
    *) exit 0 ;;  # no deployment tag in this push: do not even start Python
esac
printf '%s\\n' "$refs" | promptreg hook pre-push "$@"
""",
}

NAMES = tuple(_TEXTS)


def script(name: str, python: str | None = None) -> str:
    """The hook script `name` (`pre-commit` or `pre-push`), running promptreg with `python`
    when given (else `promptreg` from PATH)."""
    text = _TEXTS[name]
    if python:
        text = text.replace(_PYTHON_LINE, f"PROMPTREG_PYTHON={shlex.quote(python)}", 1)
    return text


def is_ours(text: str) -> bool:
    """Whether a hook file was written by promptreg (any version)."""
    lines = text.split("\n", 2)
    return len(lines) > 1 and lines[1].startswith(MARKER)
