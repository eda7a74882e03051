from __future__ import annotations

import pytest

from promptreg.project import Project
from tests.conftest import VALID_PROMPT, Workspace


def _hash(ws: Workspace, text: str = VALID_PROMPT) -> str:
    ws.prompt("p", text)
    return Project.open(ws.root).load("p").content_hash


def test_hash_shape(ws: Workspace):
    digest = _hash(ws)
    assert digest.startswith("sha256:") and len(digest) == 7 + 64


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("You triage tickets.", "You triage tickets!"),  # the body
        ("temperature: 0.2", "temperature: 0.3"),  # a model parameter
        ("name: gpt-4o-2024-08-06", "name: gpt-4o-2024-11-20"),  # the model
    ],
)
def test_what_the_model_sees_changes_the_hash(ws: Workspace, old, new):
    assert _hash(ws) != _hash(ws, VALID_PROMPT.replace(old, new))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("version: 1.0.0", "version: 1.0.1"),
        ("description: Classify a ticket", "description: Classify a ticket, politely"),
        ("params: {temperature: 0.2}", "params:\n    temperature: 0.20  # a comment"),
        ('sample: {ticket: "My invoice is wrong"}', "sample: {ticket: other}"),
    ],
)
def test_metadata_and_formatting_do_not_change_the_hash(ws: Workspace, old, new):
    assert _hash(ws) == _hash(ws, VALID_PROMPT.replace(old, new))


def test_a_partial_change_changes_the_hash_of_every_prompt_that_includes_it(ws: Workspace):
    before = _hash(ws)
    ws.write("prompts/partials/tone.j2", "Be very brief.\n")
    assert _hash(ws) != before


def test_nested_partials_are_in_the_closure(ws: Workspace):
    ws.write("prompts/partials/tone.j2", 'Be brief. {% include "partials/deeper.j2" %}\n')
    ws.write("prompts/partials/deeper.j2", "Really.\n")
    before = _hash(ws)
    prompt = Project.open(ws.root).load("p")
    assert prompt.partials == ("partials/tone.j2", "partials/deeper.j2")
    ws.write("prompts/partials/deeper.j2", "Really!\n")
    assert _hash(ws) != before


def test_crlf_checkouts_hash_the_same(ws: Workspace):
    assert _hash(ws) == _hash(ws, VALID_PROMPT.replace("\n", "\r\n"))
