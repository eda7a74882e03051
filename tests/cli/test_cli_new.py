"""`promptreg new` promises a file that validates as is: it writes one, or nothing."""

from __future__ import annotations

import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Workspace


def test_an_unpinned_model_is_refused_with_the_pinning_hint(ws: Workspace, run):
    result = run("new", "support/reply", "--model", "anthropic/claude-sonnet-4-5")
    assert result.code == 2
    assert "PR031" in result.err and "claude-sonnet-4-5-20250929" in result.err
    assert "not written" in result.err
    assert not (ws.prompts / "support" / "reply.prompt").exists()
    latest = run("new", "support/reply", "--model", "openai/gpt-latest")
    assert latest.code == 2 and "PR030" in latest.err


def test_a_model_listed_as_allowed_is_written(ws: Workspace, run):
    ws.write("promptreg.yaml", "lint:\n  allowed_models: [claude-sonnet-4-5]\n")
    result = run("new", "reply", "--model", "anthropic/claude-sonnet-4-5")
    assert result.code == 0, result.err
    assert run("validate", "reply").code == 0


MODELS = st.sampled_from(
    [
        "openai/gpt-4o-2024-08-06",
        "openai/gpt-4o",
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-sonnet-4-5-20250929",
        "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0",
        "bedrock/claude",
        "local/llama-latest",
        "local/llama3",
    ]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(model=MODELS, description=st.text(max_size=30))
def test_new_writes_a_file_that_validates_or_nothing(ws: Workspace, run, model, description):
    shutil.rmtree(ws.prompts, ignore_errors=True)
    ws.prompts.mkdir()
    result = run("new", "p", "--model", model, "--description", description)
    path = ws.prompts / "p.prompt"
    if result.code == 0:
        assert run("validate", "p").code == 0, run("validate", "p").out
    else:
        assert result.code == 2 and not path.exists()
        assert "internal error" not in result.err
