"""The pre-commit variant of the synthetic repository (issue 4): two commits to compare.

A copy of the synthetic repository (its own directory: the synthetic repository's commit must
stay what `synthetic.py` and `registry_repo.py` expect) with two more commits:

- `base`: adds a `.pre-commit-config.yaml` whose `repo: local` hooks mirror promptreg's
  `.pre-commit-hooks.yaml` (ids, `files`, `require_serial`) but run this checkout's
  `.venv/bin/python -m promptreg hook ...` with `language: unsupported` (pre-commit >= 4.4),
  so pre-commit neither clones nor pip-installs anything; plus `bench-noop`, the same `files`
  with `entry: true`, to measure pre-commit's own overhead.
- `head` (checked out): every prompt's body gets one more line AND a patch version bump, so
  `promptreg-version-bump` from `base` to `head` checks all of them and passes.

Rebuilt only when the stamp file says the generator, the base repository or the interpreter
path changed.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from registry_repo import _git

HOOKS_VERSION = 1
STAMP = ".hooks.json"
CONFIG = "bench-pre-commit-config.yaml"  # the stamp's name for .pre-commit-config.yaml
VALIDATE_FILES = r"^(prompts/|promptreg\.yaml$|evals/.*\.jsonl$)"


@dataclass(frozen=True)
class HooksRepo:
    root: Path
    base: str  # the commit that adds the config
    head: str  # every prompt changed and bumped
    prompts: int  # prompt files changed from base to head


def pre_commit_config(python: Path) -> str:
    """`repo: local` entries mirroring .pre-commit-hooks.yaml, run from this checkout."""
    hooks = [
        ("promptreg-validate", f"{python} -m promptreg hook validate", VALIDATE_FILES),
        ("promptreg-version-bump", f"{python} -m promptreg hook version-bump", "^prompts/"),
        ("bench-noop", "true", VALIDATE_FILES),
    ]
    lines = [
        "# promptreg bench: promptreg's hooks from this checkout, no environment to install",
        'minimum_pre_commit_version: "4.4.0"',
        "repos:",
        "  - repo: local",
        "    hooks:",
    ]
    for hook_id, entry, files in hooks:
        lines += [
            f"      - id: {hook_id}",
            f"        name: {hook_id}",
            f"        entry: {json.dumps(entry)}",
            "        language: unsupported",
            f"        files: {files}",
            "        require_serial: true",
        ]
    return "\n".join(lines) + "\n"


def _bump_all(root: Path) -> int:
    """Add a line to every prompt's body and bump its patch version; returns how many."""
    count = 0
    for path in sorted((root / "prompts").rglob("*.prompt")):
        text = path.read_text(encoding="utf-8")
        match = re.search(r"^version: (\d+)\.(\d+)\.(\d+)$", text, re.M)
        if match is None:
            raise ValueError(f"{path} has no version line")
        major, minor, patch = (int(x) for x in match.groups())
        text = text[: match.start()] + f"version: {major}.{minor}.{patch + 1}" + text[match.end() :]
        path.write_text(text + "Answer in one short paragraph.\n", encoding="utf-8")
        count += 1
    return count


def _build(base_repo: Path, root: Path, python: Path) -> HooksRepo:
    shutil.copytree(base_repo, root, symlinks=True)
    (root / ".pre-commit-config.yaml").write_text(pre_commit_config(python), encoding="utf-8")
    _git(root, "add", ".pre-commit-config.yaml")
    _git(root, "commit", "-q", "-m", "pre-commit config for the bench")
    base = _git(root, "rev-parse", "HEAD").strip()
    count = _bump_all(root)
    _git(root, "commit", "-q", "-a", "-m", "Change and bump every prompt")
    head = _git(root, "rev-parse", "HEAD").strip()
    return HooksRepo(root, base, head, count)


def ensure_hooks_repo(work: Path, base_repo: Path, python: Path) -> tuple[HooksRepo, bool]:
    """The hooks repo under `work` (built from `base_repo` when needed), whether it was built."""
    root = work / "hooks"
    stamp = work / STAMP
    want = {
        "version": HOOKS_VERSION,
        "base_commit": _git(base_repo, "rev-parse", "HEAD").strip(),
        CONFIG: pre_commit_config(python),
    }
    if stamp.is_file() and (root / ".git").is_dir():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("key") == want:
            info = saved["repo"]
            return HooksRepo(root, info["base"], info["head"], info["prompts"]), False
    if root.exists():
        shutil.rmtree(root)
    repo = _build(base_repo, root, python)
    info = {"base": repo.base, "head": repo.head, "prompts": repo.prompts}
    stamp.write_text(json.dumps({"key": want, "repo": info}, indent=2), encoding="utf-8")
    return repo, True
