"""The read model reads ahead: the deployments and releases of many prompts cost a few
exchanges with git (pipelined `git cat-file --batch` requests), not a few per tag. Counted on
real repositories by wrapping `GitStore.read_typed`, the one way objects are read: a change
that reads tag by tag again gives the same answers, and only these tests notice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from promptreg.registry import Registry
from promptreg.registry.gitstore import GitStore
from tests.conftest import Result, Workspace, commit


@pytest.fixture
def exchanges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of objects asked for in each exchange with git, in order (asking for
    none is no exchange)."""
    asked: list[int] = []
    real = GitStore.read_typed

    def read_typed(self: GitStore, specs: list[str]) -> list[tuple[str, bytes] | None]:
        if specs:
            asked.append(len(specs))
        return real(self, specs)

    monkeypatch.setattr(GitStore, "read_typed", read_typed)
    monkeypatch.setenv("PROMPTREG_NO_CACHE", "1")  # every prompt is read from git
    return asked


def _add(repo: Workspace, names: list[str]) -> None:
    for name in names:
        repo.prompt(name)
    commit(repo, f"add {' '.join(names)}")


def _get_all(repo: Workspace, asked: list[int], env: str) -> tuple[int, int]:
    """(exchanges, prompts served) of a first `get_all` by a new registry."""
    asked.clear()
    with Registry(repo.root) as registry:
        served = registry.get_all(env)
    return len(asked), len(served)


def test_serving_every_prompt_costs_the_same_exchanges_for_two_prompts_or_eight(
    repo: Workspace, run: Callable[..., Result], exchanges: list[int]
):
    """One commit's prompts: their tags in one exchange, their files in one, and what each
    commit needs once (its partials). Per prompt, nothing."""
    names = ["a", "b", "c", "d", "e", "f", "g", "h"]
    _add(repo, names)
    assert run("promote", *names, "--to", "dev").code == 0
    assert run("promote", "a", "b", "--to", "staging").code == 0
    few, served = _get_all(repo, exchanges, "staging")
    assert served == 2
    many, served = _get_all(repo, exchanges, "dev")
    assert served == 8
    assert many == few


def test_a_newer_deployment_that_does_not_count_costs_one_more_round_not_one_per_tag(
    repo: Workspace, run: Callable[..., Result], exchanges: list[int]
):
    """Each prompt's newest tag is judged first, all together; where it does not count, the
    next ones are judged in the next round, again all together."""
    names = ["a", "b", "c", "d"]
    _add(repo, names)
    assert run("promote", *names, "--to", "dev").code == 0
    clean, _ = _get_all(repo, exchanges, "dev")
    for name in names:  # a lightweight tag above each deployment: rejected, never served
        head = repo.root / ".git" / "refs" / "tags" / "prompts" / f"{name}@dev"
        (head / "000009").write_text((head / "000001").read_text(encoding="utf-8"))
    rounds, served = _get_all(repo, exchanges, "dev")
    assert served == 4
    assert rounds <= clean + 2


def test_promoting_released_prompts_judges_their_releases_together(
    repo: Workspace, run: Callable[..., Result], exchanges: list[int]
):
    """A second environment finds every release tag already made: judged in a few
    exchanges, for two prompts as for six."""
    _add(repo, ["a", "b", "c", "d", "e", "f"])
    assert run("promote", "a", "b", "c", "d", "e", "f", "--to", "dev").code == 0
    counts = []
    for names in (["a", "b"], ["c", "d", "e", "f"]):
        exchanges.clear()
        assert run("promote", *names, "--to", "staging").code == 0
        counts.append(len(exchanges))
    assert counts[0] == counts[1]
