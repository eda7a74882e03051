"""The git hooks: what `.pre-commit-hooks.yaml` and the plain hooks in `hooks/` run.

One small module per hook, each pure functions first, then one `run_*` function the CLI
(`promptreg hook <id>`) calls with keyword arguments. They return a `HookReport`; nothing here
prints or exits.

- `validate.py`      everything `promptreg validate` checks, on the changed files
- `version_bump.py`  changed content needs a higher version than at the base revision
- `evals_fresh.py`   recorded eval scores must be for this content and meet their thresholds
- `secrets.py`       no API keys, tokens or private keys in prompts, samples or partials
- `pre_push.py`      no deployment tag is pushed whose gate fails
- `unpushed.py`      which tags that is under pre-commit, which keeps git's ref list
- `install.py`       `promptreg install-hooks`: the plain git hooks

Shared: `revisions.py` (which revisions are compared, and reading files at them through one
`git cat-file --batch`), `selection.py` (which prompts a list of changed files stands for) and
`fingerprint.py` (version and content hash of a prompt's bytes, without compiling anything).
"""

from __future__ import annotations

HOOK_IDS = (
    "promptreg-validate",
    "promptreg-version-bump",
    "promptreg-evals-fresh",
    "promptreg-no-secrets",
    "promptreg-pre-push",  # stage pre-push: judges the tags being pushed, not files
)
