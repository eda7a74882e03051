"""The shared `git cat-file --batch` reader survives any object name it is asked for."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.errors import GitError
from promptreg.registry.catfile import object_name_problem
from promptreg.registry.gitstore import GitStore
from tests.conftest import Workspace

_PIECES = st.sampled_from(
    ["HEAD", ":", "/", ".", "..", "./", "../", "\n", "\r", "\0", "1", "~", "^", "{", "}", "@",
     "prompts", "triage.prompt", "etc", "passwd", " ", "-", "*", "é"]
)  # fmt: skip


@pytest.mark.parametrize(
    "spec",
    [
        "HEAD:../../../../etc/passwd",
        "HEAD:./prompts/triage.prompt",
        ":../x",
        ":1:../x",
        "HEAD:prompts/../prompts/triage.prompt",
        "HEAD:a\nHEAD:b",
        "HEAD:a\0b",
    ],
)
def test_names_git_would_die_on_or_that_inject_a_request_are_refused(spec):
    assert object_name_problem(spec) is not None


@given(st.lists(_PIECES, max_size=8).map("".join) | st.text(max_size=20))
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_object_name_leaves_the_reader_working(repo: Workspace, spec: str):
    with GitStore(repo.root) as store:
        with contextlib.suppress(GitError):  # refused names raise; nothing else may
            store.read_objects([spec, "HEAD:prompts/triage.prompt"])
        assert store.read("HEAD", "prompts/triage.prompt") is not None
