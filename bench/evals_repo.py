"""A scratch copy of the synthetic repository for `promptreg eval` (issue 5).

The copy (its own directory, so no eval state reaches the other repositories) gets, in its
working tree only:

- an `evals:` block on one synthetic prompt (`target`): a `CASES`-case dataset and three cheap
  metrics, `exact`, `contains` and `similarity`, each with a threshold the runner's answers
  meet (an eval below threshold exits 1, which the bench treats as a failure);
- `evals/<target>.jsonl`: case i has the prompt's main input `#i <sentence>` and, as
  `expected`, the runner's answer for it, except every tenth case (a different answer);
- `bench_runner.py` at the root, the `python:` runners: `instant` answers at once, `slow`
  sleeps `SLOW_S` first. Both read `#i` from the rendered messages and answer `ANSWERS[i % 7]`.

Rebuilt only when the stamp file says the generator or the base repository changed. The
response cache (`.promptreg/cache/`) is deleted at the start of every bench run.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from registry_repo import _git, prompt_path
from synthetic import _sentence

EVALS_VERSION = 1
STAMP = ".evals.json"
CASES = 1000
SLOW_S = 0.2
ANSWERS = (
    "billing: the customer was charged twice; refund the second charge and confirm by email.",
    "account: the password reset link expired; send a new one and check the spam folder.",
    "shipping: the parcel is delayed at the depot; share the tracking link and a new date.",
    "bug: the app crashes on photo upload; ask for the version and a screenshot.",
    "plan: the customer wants to upgrade to pro; explain the price and the trial.",
    "other: the message has no question; ask politely what they need help with.",
    "refund: the return arrived; issue the refund within five working days.",
)
METRICS = (
    "  metrics:\n"
    "    - {name: accuracy, kind: exact, threshold: 0.8}\n"
    "    - {name: mentions, kind: contains, threshold: 0.8}\n"
    "    - {name: closeness, kind: similarity, threshold: 0.8}\n"
)
RUNNER = f'''\
"""promptreg bench: python runners that do no work (`instant`) or wait (`slow`)."""

import re
import time

ANSWERS = {ANSWERS!r}
CASE = re.compile(r"#(\\d+) ")


def instant(messages, model):
    case = int(CASE.search(messages[-1]["content"]).group(1))
    return ANSWERS[case % len(ANSWERS)]


def slow(messages, model):
    time.sleep({SLOW_S!r})
    return instant(messages, model)
'''


@dataclass(frozen=True)
class EvalsRepo:
    root: Path
    target: str  # the prompt with the evals block
    cases: int

    @property
    def cache(self) -> Path:
        return self.root / ".promptreg" / "cache"


def _add_evals(root: Path, name: str) -> str:
    """Declare the dataset and metrics in `name`'s front-matter; return its main input."""
    path = root / prompt_path(name)
    text = path.read_text(encoding="utf-8")
    main = re.search(r"^inputs:\n  (\w+): \{type: string, required: true", text, re.M)
    end = text.find("\n---\n", 4)
    if main is None or end < 0:
        raise ValueError(f"{path}: not the generator's front-matter")
    block = f"\nevals:\n  dataset: evals/{name}.jsonl\n{METRICS}".rstrip("\n")
    path.write_text(text[:end] + block + text[end:], encoding="utf-8")
    return main.group(1)


def _dataset(root: Path, name: str, field: str) -> None:
    rng = random.Random(5)
    lines = []
    for i in range(CASES):
        answer = ANSWERS[(i + (i % 10 == 9)) % len(ANSWERS)]
        case = {"id": f"case-{i:04d}", "inputs": {field: f"#{i} {_sentence(rng, 8, 20)}"}}
        lines.append(json.dumps({**case, "expected": answer}))
    path = root / "evals" / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def ensure_evals_repo(work: Path, base_repo: Path, target: str) -> tuple[EvalsRepo, bool]:
    """The evals copy under `work` (built from `base_repo` when needed), whether it was built."""
    root = work / "evals"
    stamp = work / STAMP
    want = {
        "version": EVALS_VERSION,
        "base_commit": _git(base_repo, "rev-parse", "HEAD").strip(),
        "target": target,
        "cases": CASES,
    }
    built = False
    saved = json.loads(stamp.read_text(encoding="utf-8")) if stamp.is_file() else {}
    if saved.get("key") != want or not (root / ".git").is_dir():
        if root.exists():
            shutil.rmtree(root)
        shutil.copytree(base_repo, root, symlinks=True)
        _dataset(root, target, _add_evals(root, target))
        (root / "bench_runner.py").write_text(RUNNER, encoding="utf-8")
        stamp.write_text(json.dumps({"key": want}, indent=2), encoding="utf-8")
        built = True
    repo = EvalsRepo(root, target, CASES)
    shutil.rmtree(repo.cache, ignore_errors=True)
    return repo, built
