"""The registry variant of the synthetic repository: the same prompts plus deployment tags.

A copy of the synthetic repository (its own directory, so the validate and render rows keep a
repository without tags) with five deployments per prompt, 10,000 annotated tags for 2,000
prompts, created in one `git fast-import` and packed. Each tag is what `promptreg promote`
writes: its name comes from `promptreg.registry.tags.deployment_tag`, its message from
`promptreg.registry.tags.deployment_message`, with the prompt's real content hash.

One prompt (`PROMOTED`) also gets a second commit with a new version, and both versions are
released by promptreg's own `release`, so that the bench can alternate
`promptreg promote NAME --to dev --version A/B` and create a real tag on every run.

Rebuilt only when the stamp file says the generator, the base repository or promptreg's
message format changed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from synthetic import GIT_ENV, prompt_name

REGISTRY_VERSION = 1
STAMP = ".registry.json"
# The deployments of every prompt, in the order they were made: (environment, seq).
PLAN: tuple[tuple[str, int], ...] = (
    ("dev", 1),
    ("dev", 2),
    ("staging", 1),
    ("prod", 1),
    ("prod", 2),
)
PROMOTED = 2  # the index of the prompt that gets two released versions
TAGGER = "promptreg bench <bench@promptreg.invalid>"
EPOCH = 1767225600  # 2026-01-01T00:00:00Z, the synthetic commit's date
REASON = "synthetic deployment"


@dataclass(frozen=True)
class RegistryRepo:
    root: Path
    count: int
    base_commit: str  # every seeded deployment points here
    promoted: str  # the prompt with two released versions
    versions: tuple[str, str]  # its version at base_commit (deployed to dev), and the next

    @property
    def names(self) -> list[str]:
        return [prompt_name(i) for i in range(self.count)]

    @property
    def seeded_dev_seqs(self) -> int:
        return max(seq for env, seq in PLAN if env == "dev")

    @property
    def code_cache(self) -> Path:
        """promptreg's compiled-template cache in this repository."""
        return self.root / ".git" / "promptreg" / "code"


def newest_tag(name: str, env: str) -> str:
    """The seeded tag `env` runs for `name` (the bench adds dev tags to the promoted prompt
    only)."""
    from promptreg.registry.tags import deployment_tag

    return deployment_tag(name, env, max(seq for e, seq in PLAN if e == env))


def prompt_path(name: str) -> str:
    return f"prompts/{name}.prompt"


def _git(root: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=root, env=env, input=stdin, capture_output=True, check=True
    )
    return proc.stdout.decode("utf-8")


def _stamp_key(base: Path, count: int) -> dict[str, object]:
    from promptreg.registry.tags import MESSAGE_FORMAT

    return {
        "version": REGISTRY_VERSION,
        "count": count,
        "plan": [list(step) for step in PLAN],
        "base_commit": _git(base, "rev-parse", "HEAD").strip(),
        "message_format": MESSAGE_FORMAT,
    }


def _tag_stream(root: Path, count: int, commit: str) -> Iterator[bytes]:
    """`git fast-import` commands for every deployment tag, as promote would write them."""
    from promptreg.project.project import Project
    from promptreg.registry.tags import deployment_message, deployment_tag

    project = Project.open(root)
    when = EPOCH
    for i in range(count):
        name = prompt_name(i)
        prompt = project.load(name)
        previous: dict[str, str] = {}
        for env, seq in PLAN:
            tag = deployment_tag(name, env, seq)
            message = deployment_message(
                action="promote",
                name=name,
                env=env,
                version=prompt.version,
                content_hash=prompt.content_hash,
                commit=commit,
                path=prompt_path(name),
                previous=previous.get(env),
                reason=REASON,
                forced=False,
                scores=dict(prompt.evals.scores) if prompt.evals else {},
            ).encode("utf-8")
            previous[env] = tag
            when += 1
            head = f"tag {tag}\nfrom {commit}\ntagger {TAGGER} {when} +0000\n"
            yield head.encode("utf-8") + b"data %d\n" % len(message) + message + b"\n"


def _bump(root: Path, name: str) -> str:
    """Commit a new version of `name` (patch bumped, one more line): returns that version."""
    path = root / prompt_path(name)
    text = path.read_text(encoding="utf-8")
    match = re.search(r"^version: (\d+)\.(\d+)\.(\d+)$", text, re.M)
    if match is None:
        raise ValueError(f"{path} has no version line")
    major, minor, patch = (int(x) for x in match.groups())
    version = f"{major}.{minor}.{patch + 1}"
    text = text[: match.start()] + f"version: {version}" + text[match.end() :]
    path.write_text(text + "Answer in one short paragraph.\n", encoding="utf-8")
    _git(root, "commit", "-q", "-a", "-m", f"Bump {name} to {version}")
    return version


def _release(root: Path, name: str) -> str:
    """Release `name` at HEAD with promptreg itself; returns the released version."""
    from promptreg.registry.release import release
    from promptreg.registry.runtime import Registry

    with Registry(root) as registry:
        (released,) = release(registry, [name])
    return released.version


def _build(base: Path, root: Path, count: int) -> RegistryRepo:
    shutil.copytree(base, root, symlinks=True)
    # promote and release need an identity: pin one in the repository's own config.
    _git(root, "config", "user.name", "promptreg bench")
    _git(root, "config", "user.email", "bench@promptreg.invalid")
    commit = _git(root, "rev-parse", "HEAD").strip()
    stream = b"".join(_tag_stream(root, count, commit)) + b"done\n"
    _git(root, "fast-import", "--quiet", "--done", stdin=stream)
    promoted = prompt_name(PROMOTED)
    first = _release(root, promoted)
    _bump(root, promoted)
    second = _release(root, promoted)
    _git(root, "pack-refs", "--all")
    return RegistryRepo(root, count, commit, promoted, (first, second))


def ensure_registry(work: Path, base: Path, count: int) -> tuple[RegistryRepo, bool]:
    """The registry repo under `work` (built from `base` when needed), whether it was built."""
    root = work / "registry"
    stamp = work / STAMP
    want = _stamp_key(base, count)
    if stamp.is_file() and (root / ".git").is_dir():
        saved = json.loads(stamp.read_text(encoding="utf-8"))
        if saved.get("key") == want:
            info = saved["repo"]
            return RegistryRepo(
                root, count, info["base_commit"], info["promoted"], tuple(info["versions"])
            ), False
    if root.exists():
        shutil.rmtree(root)
    repo = _build(base, root, count)
    info = {k: v for k, v in asdict(repo).items() if k not in ("root", "count")}
    stamp.write_text(json.dumps({"key": want, "repo": info}, indent=2), encoding="utf-8")
    return repo, True


PLAIN_TAGS = "bench-plain/"  # tags the plain `git tag -a` alternative creates


def reset_bench_tags(repo: RegistryRepo) -> None:
    """Delete the tags earlier bench runs added (dev deployments of the promoted prompt, and
    the plain alternative's), so that every run starts from the seeded state: dev runs the
    promoted prompt's first version."""
    from promptreg.registry.tags import deployments_prefix

    patterns = [f"refs/tags/{deployments_prefix(repo.promoted, 'dev')}", f"refs/tags/{PLAIN_TAGS}"]
    out = _git(repo.root, "for-each-ref", "--format=%(refname)", *patterns)
    for ref in out.split():
        seq = ref.rsplit("/", 1)[1]
        if ref.startswith(patterns[1]) or int(seq) > repo.seeded_dev_seqs:
            _git(repo.root, "update-ref", "-d", ref)
