"""Release: tag each prompt's version at HEAD as `prompts/<name>@v<version>`, all or nothing.
A version is never reused: releasing it again with other content is refused."""

from __future__ import annotations

from collections.abc import Sequence

from promptreg.errors import (
    DeployError,
    PromptFileError,
    PromptNotFoundError,
    PromptregError,
    ReleaseRefused,
    TagExistsError,
)
from promptreg.names import name_problem
from promptreg.registry.deployed import Released
from promptreg.registry.runtime import Registry
from promptreg.registry.tagging import check_ref, head_commit
from promptreg.registry.tags import PREFIX, release_message, release_tag
from promptreg.registry.verdicts import Release, content_matches
from promptreg.template.prompt import Prompt


def release(registry: Registry, names: Sequence[str]) -> list[Released]:
    """Tag each prompt's version at HEAD as `prompts/<name>@v<version>` (default: every
    prompt), all or nothing.

    Every prompt is checked first (it loads at HEAD, its tag name fits git, its version is
    not released with other content); if any is refused, no tag is created and the error
    lists every refusal. Then all the new tags are created in one ref transaction. A release
    is a snapshot of one commit: a half-made one (some prompts tagged here, the rest at a
    later commit once fixed) is what a team would have to untangle by hand.
    """
    wanted = list(dict.fromkeys(names)) if names else _names_at_head(registry)
    return _release_at(registry, wanted, head_commit(registry))


def _release_at(registry: Registry, wanted: Sequence[str], head: str) -> list[Released]:
    for _ in range(2):
        checked = check_releases(registry, wanted, head)
        new = [r for r in checked if r.created]
        store = registry.store
        objects = store.make_tag_objects(
            [(r.tag, head, message_for_release(registry, r), False) for r in new]
        )
        try:
            store.publish_tags([(r.tag, obj) for r, obj in zip(new, objects, strict=True)])
        except TagExistsError:
            continue  # someone released one of them a moment ago: check everything again
        return checked
    raise DeployError(
        "could not release: release tags keep appearing while we release (another release "
        "running?); run `promptreg release` again"
    )


def check_releases(registry: Registry, names: Sequence[str], head: str) -> list[Released]:
    """What releasing `names` at `head` would do (`created`: a new tag is needed); raises
    ReleaseRefused listing every prompt that cannot be released. One listing of the release
    tags, one `git diff` and a few pipelined reads, however many prompts."""
    store = registry.store
    existing = {ref: (obj, kind) for ref, obj, kind in store.ref_objects(f"{PREFIX}**/*@v*")}
    registry._prefetch([(head, registry.prompt_path(n)) for n in names if not name_problem(n)])
    refusals: list[tuple[str, PromptregError]] = []
    at_head: dict[str, Prompt] = {}
    for name in names:
        try:
            at_head[name] = _load_for_release(registry, name, head, full=False)
        except PromptregError as err:
            refusals.append((name, _full_refusal(registry, name, head, err)))
    listed = [
        (name, p.version, tag, *existing[tag])
        for name, p in at_head.items()
        if (tag := release_tag(name, p.version)) in existing
    ]
    with registry.lock:
        judged = {
            item[0]: r for item, r in zip(listed, registry.reader.releases(listed), strict=True)
        }
    dirty = _changed_in_tree(registry)
    new = [(head, registry.prompt_path(n)) for n in at_head if n not in judged]
    registry._prefetch(new, full=True)  # a new release loads with every check: one exchange
    checked: list[Released] = []
    for name, prompt in at_head.items():
        try:
            checked.append(_plan_release(registry, prompt, judged.get(name), head, dirty))
        except PromptregError as err:
            refusals.append((name, err))
    if refusals:
        order = {name: n for n, name in enumerate(names)}
        raise ReleaseRefused(sorted(refusals, key=lambda r: order[r[0]]), len(names))
    return checked


def _plan_release(
    registry: Registry,
    prompt: Prompt,
    existing: Release | None,
    head: str,
    dirty: frozenset[str] | None,
) -> Released:
    """What releasing `prompt` (as loaded at `head`) does: a new tag, or nothing when its
    version is already released with the same content. Raises PromptregError if it may not."""
    name = prompt.name
    tag = release_tag(name, prompt.version)
    check_ref(tag)
    if existing is None:
        registry.load_at(head, name)  # a new release: the file passes every check of validate
        note = _uncommitted_note(registry, name, prompt, dirty)
        return Released(name, prompt.version, tag, head, True, note)
    commit = _same_release(registry, prompt, existing)
    return Released(
        name, prompt.version, tag, commit, False, _uncommitted_note(registry, name, prompt, dirty)
    )


def _load_for_release(registry: Registry, name: str, head: str, *, full: bool) -> Prompt:
    """`name` at `head`: `full`, every check `validate` makes; otherwise the front-matter and
    the content hash, which is all an already released version needs (same hash, same file)."""
    problem = name_problem(name)
    if problem is not None:
        raise PromptNotFoundError(problem)
    if full:
        return registry.load_at(head, name)
    return registry._load_deployed(head, name, registry.prompt_path(name))


def _full_refusal(registry: Registry, name: str, head: str, err: PromptregError) -> PromptregError:
    """The error that lists every finding of a file that does not load (a light load stops
    at the front-matter)."""
    if not isinstance(err, PromptFileError):
        return err
    try:
        _load_for_release(registry, name, head, full=True)
    except PromptregError as full:
        return full
    return err


def _same_release(registry: Registry, prompt: Prompt, release: Release) -> str:
    """The commit of the existing release of `prompt`'s version; DeployError unless that
    tag counts and holds the same content (a version is never reused)."""
    name = prompt.name
    if release.problem is not None or release.commit is None:
        raise DeployError(
            f"the release tag {release.tag} is rejected ({release.problem}) and a "
            f"tag is never moved: bump the version (e.g. `promptreg bump {name}`), "
            "commit, and release again"
        )
    # The read model loaded it to judge the tag (its hash computed from the file).
    released = registry._load_deployed(release.commit, name, registry.prompt_path(name))
    if not content_matches(released, prompt.content_hash):
        raise DeployError(
            f"{name} {prompt.version} was already released with different content "
            f"(tag {release.tag} at {release.commit[:12]}): a version is never "
            f"reused; bump the version (e.g. `promptreg bump {name}`) and commit"
        )
    return release.commit


def _changed_in_tree(registry: Registry) -> frozenset[str] | None:
    """Paths under the prompts directory whose working-tree copy differs from HEAD (one
    `git diff`); None where there is no working tree."""
    store = registry.store
    if store.bare:
        return None
    prefix = registry.prompts_prefix
    out = store.run("diff", "HEAD", "--name-only", "-z", "--no-renames", "--", prefix or ".")
    return frozenset(p for p in out.split("\0") if p)


def message_for_release(registry: Registry, r: Released) -> str:
    prompt = registry.load_at(r.commit, r.name)
    return release_message(
        name=r.name,
        version=r.version,
        content_hash=prompt.content_hash,
        path=registry.prompt_path(r.name),
    )


def release_one(registry: Registry, name: str, head: str) -> Released:
    """Release one prompt (promote releases the version it deploys when needed)."""
    (released,) = _release_at(registry, [name], head)
    return released


def _names_at_head(registry: Registry) -> list[str]:
    return registry.project.names()


def _uncommitted_note(
    registry: Registry, name: str, committed: Prompt, dirty: frozenset[str] | None = None
) -> str | None:
    """A note when the working tree's copy of `name` (or a partial it includes) is not what
    HEAD has. `dirty`: the paths `git diff HEAD` lists; a prompt none of whose files is
    listed needs no second load."""
    if dirty is not None:
        if not dirty:
            return None  # a clean tree: no need to read the closure
        prefix = registry.prompts_prefix
        files = [registry.prompt_path(name), *(prefix + p for p in committed.partials)]
        if not dirty.intersection(files):
            return None
    elif registry.store.bare:
        return None
    try:
        tree = registry.project.load(name, serving_checks=False)
    except PromptregError:
        return "the working tree copy differs from HEAD (and does not load): released HEAD's"
    if tree.content_hash != committed.content_hash or tree.version != committed.version:
        return "the working tree has uncommitted changes to this prompt: released HEAD's"
    return None
