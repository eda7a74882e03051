"""`promptreg release`, as its user sees it: what it answers for a version already released,
for a refusal, for a release made by someone else while it runs, and when the working tree
is not what HEAD holds (the note says which copy was released: HEAD's)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import promptreg.registry.release as release_module
from promptreg.errors import DeployError, ReleaseRefused
from promptreg.registry import Registry
from promptreg.registry.deployed import Released
from promptreg.registry.gitstore import GitStore
from promptreg.registry.release import message_for_release, release
from promptreg.registry.tags import release_message
from tests.conftest import VALID_PROMPT, Workspace, commit, git

NOTE_CHANGED = "the working tree has uncommitted changes to this prompt: released HEAD's"
NOTE_BROKEN = "the working tree copy differs from HEAD (and does not load): released HEAD's"
TAG = "prompts/triage@v1.0.0"


def head(ws: Workspace) -> str:
    return git(ws.root, "rev-parse", "HEAD").strip()


def released(ws: Workspace, names: Sequence[str] = ()) -> list[Released]:
    with Registry(ws.root) as reg:
        return release(reg, names)


def notes(ws: Workspace, names: Sequence[str] = ()) -> dict[str, str | None]:
    return {r.name: r.note for r in released(ws, names)}


# -- a version released before -------------------------------------------------------------


def test_releasing_again_names_the_existing_tag_and_its_commit(repo: Workspace):
    first = head(repo)
    (made,) = released(repo)
    assert (made.tag, made.commit, made.created) == (TAG, first, True)
    repo.write("README.txt", "not a prompt\n")
    commit(repo, "an unrelated commit")
    (again,) = released(repo)
    assert (again.tag, again.commit, again.created) == (TAG, first, False)


def test_a_rejected_release_tag_is_never_taken_for_the_release(repo: Workspace):
    """A hand-made release tag on HEAD (the right commit) whose message records another
    content hash does not count: release refuses rather than call the version released."""
    message = release_message(
        name="triage",
        version="1.0.0",
        content_hash="sha256:" + "0" * 64,
        path="prompts/triage.prompt",
    )
    with GitStore(repo.root) as store:
        store.create_tag(TAG, head(repo), message)
    with pytest.raises(ReleaseRefused) as refused:
        released(repo)
    text = str(refused.value)
    assert f"the release tag {TAG} is rejected (the content of prompts/triage.prompt" in text
    assert "a tag is never moved: bump the version" in text


def test_other_content_under_a_released_version_names_the_tag_and_commit(repo: Workspace):
    first = head(repo)
    released(repo)
    repo.prompt("triage", VALID_PROMPT.replace("You triage tickets.", "You sort tickets."))
    commit(repo, "same version, other text")
    with pytest.raises(ReleaseRefused) as refused:
        released(repo)
    assert (
        f"triage 1.0.0 was already released with different content (tag {TAG} at "
        f"{first[:12]}): a version is never reused"
    ) in str(refused.value)


# -- refusals -------------------------------------------------------------------------------


def test_refusals_are_listed_in_the_order_the_prompts_were_asked_for(repo: Workspace):
    with pytest.raises(ReleaseRefused) as refused:
        released(repo, ["zeta", "Bad Name", "alpha"])
    text = str(refused.value)
    at = [text.index(name) for name in ("zeta", "Bad Name", "alpha")]
    assert at == sorted(at), text
    assert "invalid name segment 'Bad Name' in 'Bad Name'" in text
    assert git(repo.root, "tag", "--list") == ""


def test_a_file_that_does_not_load_is_refused_with_every_finding(repo: Workspace):
    """The light load (enough for a version already released) stops at the front-matter;
    the refusal lists what a full load finds in the template too."""
    broken = VALID_PROMPT.replace("version: 1.0.0", "version: 1.0.0\ncolour: blue").replace(
        "{{ ticket }}", "{{ ticket }"
    )
    repo.prompt("triage", broken)
    commit(repo, "broken")
    with pytest.raises(ReleaseRefused) as refused:
        released(repo)
    text = str(refused.value)
    assert "PR020 colour: unknown key `colour`" in text
    assert "PR040 unexpected '}'" in text


# -- a release made by someone else meanwhile -------------------------------------------------


def _racing(monkeypatch: pytest.MonkeyPatch, ws: Workspace) -> list[str]:
    """Another releaser that, each time `release` has checked, releases one of the prompts it
    is about to tag (the same content, at the same commit) before it can: as two people
    running `promptreg release` at once would."""
    real = release_module.check_releases
    raced: list[str] = []

    def check_then_race(registry: Registry, names: Sequence[str], at: str) -> list[Released]:
        checked = real(registry, names, at)
        new = [r for r in checked if r.created]
        if new:
            with GitStore(ws.root) as store:
                store.create_tag(new[0].tag, at, message_for_release(registry, new[0]))
            raced.append(new[0].tag)
        return checked

    monkeypatch.setattr(release_module, "check_releases", check_then_race)
    return raced


def test_a_release_made_meanwhile_is_checked_again_and_taken(
    repo: Workspace, monkeypatch: pytest.MonkeyPatch
):
    raced = _racing(monkeypatch, repo)
    (made,) = released(repo)
    assert raced == [TAG]
    assert (made.tag, made.commit, made.created) == (TAG, head(repo), False)


def test_releases_that_keep_appearing_are_given_up_on_after_two_checks(
    repo: Workspace, monkeypatch: pytest.MonkeyPatch
):
    repo.prompt("other")
    commit(repo, "a second prompt")
    raced = _racing(monkeypatch, repo)
    with pytest.raises(DeployError) as gave_up:
        released(repo)
    assert str(gave_up.value) == (
        "could not release: release tags keep appearing while we release (another release "
        "running?); run `promptreg release` again"
    )
    assert len(raced) == 2  # checked twice, beaten twice: nothing of ours was created


# -- the working tree ----------------------------------------------------------------------


def test_a_clean_tree_gets_no_note(repo: Workspace):
    assert notes(repo) == {"triage": None}


def test_a_text_change_under_the_same_version_is_noted(repo: Workspace):
    repo.prompt("triage", VALID_PROMPT.replace("You triage tickets.", "You sort tickets."))
    assert notes(repo) == {"triage": NOTE_CHANGED}


def test_a_version_change_alone_is_noted(repo: Workspace):
    repo.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 1.0.1"))
    assert notes(repo) == {"triage": NOTE_CHANGED}


def test_an_edit_that_changes_nothing_sent_is_not_noted(repo: Workspace):
    """A Jinja comment is not part of the request (nor of the content hash)."""
    repo.prompt("triage", VALID_PROMPT.replace("user:\n", "user:\n{# a note #}"))
    assert notes(repo) == {"triage": None}


def test_a_staged_change_is_noted(repo: Workspace):
    """`git diff HEAD`: staged changes are uncommitted too."""
    repo.prompt("triage", VALID_PROMPT.replace("You triage tickets.", "You sort tickets."))
    git(repo.root, "add", "prompts/triage.prompt")
    assert notes(repo) == {"triage": NOTE_CHANGED}


def test_a_prompt_renamed_in_the_tree_is_noted(repo: Workspace):
    """A rename staged with `git mv` is still two paths for the note: the old one is gone."""
    git(repo.root, "mv", "prompts/triage.prompt", "prompts/sorting.prompt")
    assert notes(repo, ["triage"]) == {"triage": NOTE_BROKEN}


def test_a_deleted_prompts_directory_is_noted(repo: Workspace):
    git(repo.root, "rm", "-rq", "prompts")
    assert notes(repo, ["triage"]) == {"triage": NOTE_BROKEN}


def test_with_prompts_at_the_root_a_changed_prompt_is_noted(ws: Workspace, isolated_git: None):
    ws.write("promptreg.yaml", "prompts_dir: .\n")
    ws.write("partials/tone.j2", "Be brief.\n")
    ws.write("triage.prompt", VALID_PROMPT)
    git(ws.root, "init", "-q")
    commit(ws, "prompts at the root")
    ws.write("triage.prompt", VALID_PROMPT.replace("You triage tickets.", "You sort tickets."))
    assert notes(ws) == {"triage": NOTE_CHANGED}


def test_a_tree_copy_that_only_showing_accepts_is_noted_as_changed(repo: Workspace):
    """The tree copy is compared, not served: an unpinned model there (a serving check) is
    still a change to note, not a copy that does not load."""
    repo.prompt("triage", VALID_PROMPT.replace("gpt-4o-2024-08-06", "gpt-4o"))
    assert notes(repo) == {"triage": NOTE_CHANGED}


def test_an_already_released_version_is_not_held_to_checks_added_since(repo: Workspace):
    """A version released by an earlier promptreg, whose checks were looser (here: text
    before the first role marker, PR048 today), is released already: releasing again is a
    no-op, not a refusal. A new version is held to today's checks."""
    repo.prompt("triage", VALID_PROMPT.replace("system:\n", ""))
    at = commit(repo, "text before the first role marker")
    with Registry(repo.root) as reg:
        content_hash = reg._load_deployed(at, "triage", "prompts/triage.prompt").content_hash
    message = release_message(
        name="triage", version="1.0.0", content_hash=content_hash, path="prompts/triage.prompt"
    )
    with GitStore(repo.root) as store:
        store.create_tag(TAG, at, message)
    (again,) = released(repo)
    assert (again.tag, again.commit, again.created) == (TAG, at, False)
    repo.prompt("triage", VALID_PROMPT.replace("system:\n", "").replace("1.0.0", "1.0.1"))
    commit(repo, "a new version")
    with pytest.raises(ReleaseRefused) as refused:
        released(repo)
    assert "PR048 text before the first role marker" in str(refused.value)
