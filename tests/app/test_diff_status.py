"""diff, status, log and the git textconv driver."""

from __future__ import annotations

import json
import subprocess
import sys

from promptreg.app.diff import front_matter_changes, textconv
from tests.conftest import VALID_PROMPT, Workspace, commit, git


def test_front_matter_changes_read_as_sentences():
    old = {
        "version": "1.0.0",
        "model": {
            "provider": "openai",
            "name": "gpt-4o-2024-08-06",
            "params": {"temperature": 0.2},
        },
        "inputs": {"ticket": {"type": "string"}, "old": {"type": "string"}},
        "owners": ["a"],
        "evals": {"scores": {"accuracy": 0.91}},
    }
    new = {
        "version": "1.1.0",
        "model": {
            "provider": "openai",
            "name": "gpt-4o-2024-11-20",
            "params": {"temperature": 0.2, "seed": 7},
        },
        "inputs": {"ticket": {"type": "string", "max_chars": 100}, "tier": {"type": "string"}},
        "owners": ["a", "b"],
        "evals": {"scores": {"accuracy": 0.88}},
    }
    assert front_matter_changes(old, new) == [
        "version changed from '1.0.0' to '1.1.0'",
        "owners: 'b' added",
        "model.name changed from 'gpt-4o-2024-08-06' to 'gpt-4o-2024-11-20'",
        "model.params.seed added: 7",
        "input `old` removed",
        "input `ticket`: max_chars added (100)",
        "input `tier` added (string)",
        "evals.scores.accuracy 0.91 → 0.88 (−0.03)",
    ]


def test_diff_between_selectors_shows_partials_and_rendered(repo: Workspace, run):
    assert run("promote", "triage", "--to", "dev").code == 0
    repo.write("prompts/partials/tone.j2", "Be brief and kind.\n")
    repo.prompt(
        "triage",
        VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0").replace(
            "temperature: 0.2", "temperature: 0.4"
        ),
    )
    result = run("diff", "triage@dev", "--rendered")
    assert result.code == 0, result.err
    out = result.out
    assert "version changed from '1.0.0' to '1.1.0'" in out
    assert "model.params.temperature changed from 0.2 to 0.4" in out
    assert "--- partials/tone.j2 (triage@dev)" in out
    assert "-Be brief." in out and "+Be brief and kind." in out
    assert "+You triage tickets. Be brief and kind." in out  # the rendered sample
    data = json.loads(run("diff", "triage@dev", "--json").out)
    assert data["same_content"] is False
    assert list(data["partials"]) == ["partials/tone.j2"]
    assert data["rendered"] is None
    assert data["stat"]["partials_changed"] == 1
    stat = run("diff", "triage@dev", "--stat")
    assert stat.out.strip() == "2 metadata change(s), +1 -1 lines, 1 partial(s) changed"
    commit(repo, "kinder")
    same = run("diff", "triage@HEAD", "triage")
    assert same.out.strip().startswith("no differences")


def test_status_matrix_and_markers(repo: Workspace, run):
    run("promote", "triage", "--to", "dev")
    run("promote", "triage", "--to", "staging")
    run("promote", "triage", "--to", "prod")
    repo.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 1.1.0"))
    repo.prompt("fresh", VALID_PROMPT)
    data = json.loads(run("status", "--json").out)
    rows = {r["name"]: r for r in data["prompts"]}
    assert data["environments"] == ["dev", "staging", "prod"]
    assert rows["triage"]["environments"]["prod"]["version"] == "1.0.0"
    assert rows["triage"]["working_tree"]["version"] == "1.1.0"
    assert rows["triage"]["markers"] == ["unreleased", "ahead of prod"]
    assert rows["fresh"]["environments"] == {"dev": None, "staging": None, "prod": None}
    repo.prompt("triage", VALID_PROMPT.replace("You triage", "You sort"))  # 1.0.0, new content
    rows = {r["name"]: r for r in json.loads(run("status", "--json").out)["prompts"]}
    assert rows["triage"]["markers"] == ["changed since release (bump the version)"]
    text = run("status").out.splitlines()
    assert text[0].split() == ["PROMPT", "TREE", "DEV", "STAGING", "PROD", "NOTES"]


def test_log_lists_commits_touching_the_prompt_or_its_partials(repo: Workspace, run):
    repo.write("prompts/partials/tone.j2", "Be kind.\n")
    commit(repo, "tone only")
    repo.write("README.txt", "unrelated\n")
    commit(repo, "unrelated")
    repo.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 1.0.1"))
    commit(repo, "bump")
    data = json.loads(run("log", "triage", "--json").out)["commits"]
    assert [(c["subject"], c["version"]) for c in data] == [
        ("bump", "1.0.1"),
        ("tone only", "1.0.0"),
        ("add triage", "1.0.0"),
    ]


def test_textconv_and_git_diff(repo: Workspace):
    converted = textconv(VALID_PROMPT)
    assert "model.name: gpt-4o-2024-08-06\n" in converted
    assert "inputs.tier.enum: [free, pro]\n" in converted
    assert converted.endswith(
        '--- body ---\nsystem:\nYou triage tickets. {% include "partials/tone.j2" %}\n\nuser:\n({{ tier }}) {{ ticket }}\n'
    )
    (repo.root / ".gitattributes").write_text("*.prompt diff=promptreg\n", encoding="utf-8")
    git(repo.root, "config", "diff.promptreg.textconv", f"{sys.executable} -m promptreg textconv")
    repo.prompt(
        "triage",
        VALID_PROMPT.replace("params: {temperature: 0.2}", "params:\n    temperature: 0.3"),
    )
    out = subprocess.run(
        ["git", "diff"], cwd=repo.root, capture_output=True, text=True, check=True
    ).stdout
    assert "-model.params.temperature: 0.2" in out
    assert "+model.params.temperature: 0.3" in out
