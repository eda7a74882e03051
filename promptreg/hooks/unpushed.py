"""The pre-push gate under the pre-commit framework, which does not hand hooks git's ref list.

git writes one line per ref being pushed to a pre-push hook's stdin; pre-commit reads those
lines itself and gives its hooks only the remote (`PRE_COMMIT_REMOTE_NAME`) and one range of
commits. So when `promptreg hook pre-push` runs with no ref lines under pre-commit, it judges
every tag under `refs/tags/prompts/` that the remote lacks or holds differently (one `git
ls-remote`): a superset of what this push sends, never less. pre-commit also skips its pre-push
hooks entirely for a push that carries no new commits (tags on pushed commits, the usual
`promote`), which is why `promptreg install-hooks` puts the plain hook, which git hands the
ref list, behind pre-commit's (see the README, "Pre-commit").
"""

from __future__ import annotations

from pathlib import Path

from promptreg.registry.gitstore import GitStore
from promptreg.registry.tags import PREFIX

_ZERO = "0" * 40


def unpushed_tag_lines(root: Path, remote: str) -> str:
    """Pre-push input lines (`<ref> <sha> <ref> <remote sha or zeros>`) for every local tag
    under `refs/tags/prompts/` that `remote` does not have with the same object."""
    pattern = f"refs/tags/{PREFIX}"
    with GitStore(root) as store:
        theirs = _refs(store.run("ls-remote", "--tags", "--refs", remote, f"{pattern}*"))
        ours = _refs(store.run("for-each-ref", "--format=%(objectname) %(refname)", pattern))
    return "".join(
        f"{ref} {sha} {ref} {theirs.get(ref, _ZERO)}\n"
        for ref, sha in sorted(ours.items())
        if theirs.get(ref) != sha
    )


def _refs(listing: str) -> dict[str, str]:
    refs = {}
    for line in listing.splitlines():
        fields = line.split(None, 1)  # ls-remote: `sha<TAB>ref`; for-each-ref: `sha ref`
        if len(fields) == 2:
            refs[fields[1].strip()] = fields[0]
    return refs
