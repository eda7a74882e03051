"""Scores are bound to what they were measured on and by: the dataset's bytes, the files the
metrics read, and the runner that produced the outputs. Real files, real git repositories,
the real CLI, and the loopback OpenAI-compatible server; the gate's judgement is checked on
every path that uses it (check, show, the evals-fresh and pre-push hooks, promote)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg.evals.gate import check_gate
from promptreg.evals.provenance import Source, safe_relative, tree_source
from promptreg.project.project import Project
from promptreg.registry.gitstore import GitStore
from promptreg.registry.tags import deployment_message
from tests.conftest import Workspace, bump, commit, git
from tests.evals_support import (
    CASES,
    EVAL_PROMPT,
    LABELLER,
    completion,
    eval_project,
    fake_openai,
    jsonl,
    label_reply,
    python_runner,
)
from tests.hooks.test_hooks_git import git_run, install

PINNED = "gpt-4o-2024-08-06"
EDITED = jsonl([*CASES, {"id": "e", "inputs": {"ticket": "bug: new case"}, "expected": "bug"}])


@pytest.fixture(autouse=True)
def _openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def sha(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return "sha256:" + hashlib.sha256(data).hexdigest()


def short(digest: str) -> str:
    return digest[: len("sha256:") + 12]


def stale_dataset(old: str, new: str) -> str:
    return (
        "PR072 stale: the dataset evals/triage.jsonl changed since the scores were measured "
        f"(dataset_hash {short(old)}, now {short(new)}): run `promptreg eval triage --write`"
    )


def evaluated(ws: Workspace, run: Any, prompt: str = EVAL_PROMPT) -> str:
    """The eval project, evaluated with the canned python model and recorded; its runner."""
    eval_project(ws, prompt)
    runner = python_runner(ws, LABELLER)
    result = run("eval", "triage", "--runner", runner, "--write")
    assert result.code == 0, result.err
    return runner


# -- the dataset ----------------------------------------------------------------------------------


def test_check_and_show_fail_when_the_dataset_changed_after_the_scores(ws: Workspace, run):
    evaluated(ws, run)
    assert run("check").code == 0
    assert json.loads(run("show", "triage", "--json").out)["evals_fresh"] is True
    ws.write("evals/triage.jsonl", EDITED)
    result = run("check", "triage")
    assert result.code == 1
    assert result.out.splitlines() == [
        "FAIL  triage",
        "      " + stale_dataset(sha(jsonl(CASES)), sha(EDITED)),
    ]
    assert json.loads(run("show", "triage", "--json").out)["evals_fresh"] is False
    assert "(STALE: run `promptreg check`)" in run("show", "triage").out
    problem = json.loads(run("check", "--json").out)["prompts"][0]["problems"][0]
    assert (problem["kind"], problem["code"]) == ("stale", "PR072")
    # the file gone is stale too, and a new measurement makes it fresh again
    (ws.root / "evals/triage.jsonl").unlink()
    assert "the dataset evals/triage.jsonl is not in the working tree" in run("check").out
    ws.write("evals/triage.jsonl", EDITED)
    assert run("eval", "triage", "--runner", python_runner(ws, LABELLER), "--write").code == 0
    assert run("check").code == 0


def test_scores_without_a_dataset_hash_or_dataset_are_stale(ws: Workspace, run):
    eval_project(ws)
    fresh = Project.open().load("triage").content_hash
    scored = EVAL_PROMPT.replace(
        "---\nuser:", f"  scores: {{accuracy: 0.9}}\n  content_hash: {fresh}\n---\nuser:"
    )
    ws.prompt("triage", scored)
    assert run("check").out.splitlines()[1] == (
        "      PR072 stale: the scores were recorded without a hash of the dataset "
        "evals/triage.jsonl: run `promptreg eval triage --write`"
    )
    ws.prompt("triage", scored.replace("  dataset: evals/triage.jsonl\n", ""))
    assert "the scores are bound to no dataset" in run("check").out


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    recorded=st.binary(max_size=64),
    now=st.one_of(st.none(), st.binary(max_size=64)),
    schema_recorded=st.binary(max_size=16),
    schema_now=st.one_of(st.none(), st.binary(max_size=16)),
)
def test_stale_exactly_when_a_measured_file_differs(
    ws: Workspace, recorded: bytes, now: bytes | None, schema_recorded: bytes, schema_now: bytes
):
    """The class, not the example: whatever the bytes, the gate calls the scores stale exactly
    when the dataset's or the schema file's bytes are not those recorded (or are gone), and
    names the file with both short hashes."""
    prompt = EVAL_PROMPT.replace(
        "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
        "    - {name: accuracy, kind: exact, threshold: 0.5}\n"
        "    - {name: shape, kind: json_schema, schema: evals/shape.json}\n",
    )
    ws.prompt("triage", prompt)
    fresh = Project.open().load("triage").content_hash
    block = (
        f"  scores: {{accuracy: 0.9, shape: 1}}\n  content_hash: {fresh}\n"
        f"  dataset_hash: {sha(recorded)}\n"
        f"  metric_files: {{evals/shape.json: {sha(schema_recorded)}}}\n"
    )
    ws.prompt("triage", prompt.replace("---\nuser:", block + "---\nuser:"))
    files = {"evals/triage.jsonl": now, "evals/shape.json": schema_now}
    source = Source(files.get, "prompts", "a test state")
    result = check_gate(Project.open().load("triage"), source=source)
    messages = [p.message for p in result.problems if p.kind == "stale"]
    dataset_changed = [m for m in messages if "evals/triage.jsonl" in m]
    schema_changed = [m for m in messages if "evals/shape.json" in m]
    assert bool(dataset_changed) is (now != recorded)
    assert bool(schema_changed) is (schema_now != schema_recorded)
    assert len(messages) == len(dataset_changed) + len(schema_changed)
    if now is not None and now != recorded:
        assert f"(dataset_hash {short(sha(recorded))}, now {short(sha(now))})" in messages[0]
    if now is None:
        assert "is not in a test state" in dataset_changed[0]
    assert all(p.code == "PR072" for p in result.problems if p.kind == "stale")


@pytest.mark.parametrize(
    ("path", "clean"),
    [
        ("evals/a.jsonl", "evals/a.jsonl"),
        ("./evals//a.jsonl", "evals/a.jsonl"),
        ("evals/../a.jsonl", "a.jsonl"),
        ("../a.jsonl", None),
        ("evals/../../a.jsonl", None),
        ("/etc/passwd", None),
        ("", None),
        (".", None),
        ("a\0b", None),
    ],
)
def test_a_dataset_path_never_leaves_the_repository(path: str, clean: str | None):
    assert safe_relative(path) == clean


# -- files the metrics read: a judge's rubric (and its partials), a schema file -----------------

RUBRIC_PROMPT = EVAL_PROMPT.replace(
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n",
    "    - {name: accuracy, kind: exact, threshold: 0.5}\n"
    "    - {name: grounded, kind: judge, rubric: partials/grounded.j2}\n"
    "    - {name: shape, kind: json_schema, schema: evals/shape.json}\n",
)


def test_a_changed_rubric_partial_or_schema_makes_the_scores_stale(ws: Workspace, run):
    ws.write(
        "prompts/partials/grounded.j2", 'Output: {{ output }}\n{% include "partials/scale.j2" %}'
    )
    ws.write("prompts/partials/scale.j2", "Score 1 when it is a single word.\n")
    ws.write("evals/shape.json", '{"type": "string"}')
    evaluated(ws, run, RUBRIC_PROMPT)
    evals = Project.open().load("triage").evals
    assert evals is not None and evals.metric_files == {
        "evals/shape.json": sha('{"type": "string"}'),
        "prompts/partials/grounded.j2": sha(
            'Output: {{ output }}\n{% include "partials/scale.j2" %}'
        ),
        "prompts/partials/scale.j2": sha("Score 1 when it is a single word.\n"),
    }
    assert run("check").code == 0
    for path, text in [
        ("prompts/partials/scale.j2", "Score 1 when it is polite.\n"),
        ("prompts/partials/grounded.j2", "Judge {{ output }}"),
        ("evals/shape.json", '{"type": "object"}'),
    ]:
        before = (ws.root / path).read_text(encoding="utf-8")
        ws.write(path, text)
        result = run("check")
        assert result.code == 1, path
        assert (
            f"PR072 stale: {path}, which a metric reads, changed since the scores were measured "
            f"(recorded {short(sha(before))}, now {short(sha(text))})"
        ) in result.out
        ws.write(path, before)
    assert run("check").code == 0
    # a metric that now reads another file was not measured with it
    moved = RUBRIC_PROMPT.replace("schema: evals/shape.json", "schema: evals/other.json")
    text = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    ws.write("evals/other.json", '{"type": "string"}')
    ws.prompt(
        "triage", text.replace(RUBRIC_PROMPT.split("---\nuser:")[0], moved.split("---\nuser:")[0])
    )
    assert "metric `shape` reads evals/other.json, which the scores were not measured with" in (
        run("check").out
    )


# -- the runner ---------------------------------------------------------------------------------


def _runner_of(ws: Workspace) -> Any:
    evals = Project.open(ws.root).load("triage").evals
    assert evals is not None
    return evals.runner


def test_the_runner_is_recorded_for_python_command_and_openai(ws: Workspace, run):
    runner = evaluated(ws, run)
    assert _runner_of(ws) == {"kind": "python", "function": runner.removeprefix("python:")}

    ws.write(
        "label.py",
        "import json, sys\nm = json.load(sys.stdin)\n"
        "print(m[-1]['content'].split(': ', 1)[1].split(':', 1)[0])\n",
    )
    command = f"{sys.executable} label.py"
    assert run("eval", "triage", "--runner", f"command:{command}", "--write").code == 0
    assert _runner_of(ws) == {"kind": "command", "command": command}
    assert run("validate").code == 0

    with fake_openai() as server:
        result = run("eval", "triage", "--runner", f"openai:{server.url}", "--write")
        assert result.code == 0, result.err
        port = server.url.split(":")[2].split("/")[0]
    assert _runner_of(ws) == {"kind": "openai", "model": PINNED, "host": f"127.0.0.1:{port}"}
    text = (ws.prompts / "triage.prompt").read_text(encoding="utf-8")
    assert "sk-test" not in text and "/v1" not in text  # the host only: no key, no path

    # the model the server says answered is recorded, not the one asked for
    def alias(request: dict[str, Any], nth: int) -> tuple[int, Any, float]:
        _, label, _ = label_reply(request, nth)
        return 200, completion(label, model="gpt-4o-mini-2024-07-18"), 0.0

    with fake_openai(alias) as server:
        result = run("eval", "triage", "--runner", f"openai:{server.url}", "--write", "--no-cache")
        assert result.code == 0, result.err
        assert _runner_of(ws)["model"] == "gpt-4o-mini-2024-07-18"
        ws.write("evals/triage.jsonl", jsonl(CASES[:3]))  # a new dataset, answers all cached
        assert run("eval", "triage", "--runner", f"openai:{server.url}", "--write").code == 0
        assert server.count == 4  # none asked again: a cached answer keeps who gave it
    assert _runner_of(ws)["model"] == "gpt-4o-mini-2024-07-18"


RUNNER_CASES = [
    (None, "the scores do not record the runner that produced them (runner unknown)"),
    ("{kind: python, function: 'stub:answer'}", "the python runner `stub:answer`, not by a model"),
    ("{kind: command, command: echo hi}", "the command runner `echo hi`, not by a model"),
    (
        "{kind: openai, model: gpt-4o-mini-2024-07-18, host: api.openai.com}",
        "the openai runner (gpt-4o-mini-2024-07-18 at api.openai.com), not by the pinned model "
        "gpt-4o-2024-08-06",
    ),
    (
        f"{{kind: openai, model: [{PINNED}, gpt-4o-mini-2024-07-18]}}",
        f"the openai runner ({PINNED}, gpt-4o-mini-2024-07-18), not by the pinned model",
    ),
    (f"{{kind: openai, model: {PINNED}, host: api.openai.com}}", None),
]


@pytest.mark.parametrize(("runner", "why"), RUNNER_CASES)
def test_an_environment_that_requires_a_model_run(ws: Workspace, runner: str | None, why: str):
    eval_project(ws)
    project = Project.open()
    fresh = project.load("triage").content_hash
    block = (
        f"  scores: {{accuracy: 0.9}}\n  content_hash: {fresh}\n"
        f"  dataset_hash: {sha(jsonl(CASES))}\n"
    )
    if runner is not None:
        block += f"  runner: {runner}\n"
    ws.prompt("triage", EVAL_PROMPT.replace("---\nuser:", block + "---\nuser:"))
    prompt = project.load("triage")
    source = tree_source(project)
    assert check_gate(prompt, source=source).ok  # where no model run is required: any runner
    result = check_gate(prompt, source=source, require_model_run="prod")
    if why is None:
        assert result.ok
        return
    (problem,) = result.problems
    assert (problem.kind, problem.code) == ("runner", "PR076")
    assert why in problem.message
    assert "prod requires scores from a run of the pinned model (evals.require_model_run)" in (
        problem.message
    )


def test_a_malformed_runner_record_is_a_finding(ws: Workspace, run):
    eval_project(ws)
    bad = EVAL_PROMPT.replace(
        "---\nuser:", "  runner: {kind: stub, model: 3, secret: x}\n  metric_files: [a]\n---\nuser:"
    )
    ws.prompt("triage", bad)
    result = run("validate")
    assert result.code == 1
    assert result.out.splitlines() == [
        "prompts/triage.prompt:15:12: PR060 evals.runner.kind: must be openai, command or python",
        "prompts/triage.prompt:15:24: PR060 evals.runner.model: must be a non-empty string, "
        "not an integer",
        "prompts/triage.prompt:15:34: PR060 evals.runner.secret: unknown key `secret`; "
        "expected one of: kind, model, host, command, function",
        "prompts/triage.prompt:16:3: PR060 evals.metric_files: must be a mapping of path to "
        "sha256, not a list",
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("evals: {require_model_run: [qa]}\n", "'qa' is not an environment"),
        ("evals: {require_model_run: prod}\n", "must be a list of environment names"),
    ],
)
def test_require_model_run_names_configured_environments(ws, run, config, message):
    ws.write("promptreg.yaml", config)
    ws.prompt("triage")
    result = run("validate")
    assert result.code == 2
    assert "promptreg.yaml:1" in result.err and "evals.require_model_run" in result.err
    assert message in result.err


# -- at a commit: promote and pre-push read the files there, never the working tree -----------


@pytest.mark.usefixtures("isolated_git")
def test_promote_reads_the_dataset_at_the_commit_not_the_working_tree(ws: Workspace, run):
    git(ws.root, "init", "-q")
    evaluated(ws, run)
    ws.write("evals/triage.jsonl", EDITED)
    commit(ws, "scores measured on another dataset than the one committed")
    ws.write("evals/triage.jsonl", jsonl(CASES))  # the working tree looks fine...
    assert run("check").code == 0
    refused = run("promote", "triage", "--to", "dev")  # ...but the commit is what ships
    assert refused.code == 1
    assert stale_dataset(sha(jsonl(CASES)), sha(EDITED)) in refused.err

    # the other way round: a good commit ships whatever the working tree holds
    commit(ws, "the dataset the scores were measured on")
    bump(ws, "triage", "1.0.1")
    commit(ws, "1.0.1")
    ws.write("evals/triage.jsonl", EDITED)
    assert run("check").code == 1
    promoted = run("promote", "triage", "--to", "dev")
    assert promoted.code == 0, promoted.err


@pytest.mark.usefixtures("isolated_git")
def test_evals_fresh_hook_reads_the_index_and_a_dataset_selects_its_prompts(ws: Workspace, run):
    git(ws.root, "init", "-q")
    evaluated(ws, run)
    commit(ws, "scored")
    ws.write("evals/triage.jsonl", EDITED)
    assert run("hook", "evals-fresh", "evals/triage.jsonl").code == 0  # not staged: not committed
    git(ws.root, "add", "evals/triage.jsonl")
    line = next(
        i
        for i, text in enumerate((ws.prompts / "triage.prompt").read_text().splitlines(), 1)
        if text.startswith("  dataset_hash:")
    )
    expected = f"prompts/triage.prompt:{line}: PR072 triage: " + stale_dataset(
        sha(jsonl(CASES)), sha(EDITED)
    ).removeprefix("PR072 ")
    for args in (("evals/triage.jsonl",), ()):  # named by pre-commit, or found from the diff
        result = run("hook", "evals-fresh", *args)
        assert (result.code, result.out) == (1, expected + "\n"), args


@pytest.mark.usefixtures("isolated_git")
def test_prod_refuses_scores_from_a_stub(ws: Workspace, run):
    git(ws.root, "init", "-q")
    ws.write("promptreg.yaml", "evals: {require_model_run: [prod]}\n")
    runner = evaluated(ws, run)
    commit(ws, "scored by a stub")
    assert run("promote", "triage", "--to", "dev").code == 0  # dev and staging take any runner
    assert run("promote", "triage", "--to", "staging").code == 0
    refused = run("promote", "triage", "--to", "prod")
    assert refused.code == 1
    assert (
        f"PR076 runner: the scores were produced by the python runner "
        f"`{runner.removeprefix('python:')}`, not by a model; prod requires scores from a run "
        "of the pinned model (evals.require_model_run)"
    ) in refused.err
    check = run("check", "--against", "prod")
    assert check.code == 1 and "PR076 runner:" in check.out
    assert run("check", "--against", "staging").code == 0

    # pre-push refuses a prod tag made by hand for those scores
    remote = ws.root.parent / "remote.git"
    git(ws.root.parent, "init", "-q", "--bare", str(remote))
    git(ws.root, "remote", "add", "origin", str(remote))
    assert install(ws).returncode == 0
    head = git(ws.root, "rev-parse", "HEAD").strip()
    prompt = Project.open().load("triage")
    message = deployment_message(
        action="promote",
        name="triage",
        env="prod",
        version="1.0.0",
        content_hash=prompt.content_hash,
        commit=head,
        path="prompts/triage.prompt",
        previous=None,
        reason=None,
        forced=False,
        scores={"accuracy": 0.75},
    )
    with GitStore(ws.root) as store:
        store.create_tag("prompts/triage@prod/000001", head, message)
    pushed = git_run(ws.root, "push", "origin", "prompts/triage@prod/000001")
    assert pushed.returncode != 0
    assert "PR076 runner: the scores were produced by the python runner" in (
        pushed.stdout + pushed.stderr
    )
    assert git(remote, "tag", "--list") == ""


@pytest.mark.usefixtures("isolated_git")
def test_prod_accepts_scores_from_the_pinned_model(ws: Workspace, run):
    git(ws.root, "init", "-q")
    ws.write("promptreg.yaml", "evals: {require_model_run: [prod]}\n")
    evaluated(ws, run)
    commit(ws, "scored by a stub")
    assert run("promote", "triage", "--to", "dev").code == 0
    with fake_openai() as server:
        assert run("eval", "triage", "--runner", f"openai:{server.url}", "--write").code == 0
    bump(ws, "triage", "1.1.0")  # 1.0.0 was released with the stub's scores
    commit(ws, "scored by the pinned model")
    for env in ("dev", "staging", "prod"):
        promoted = run("promote", "triage", "--to", env)
        assert promoted.code == 0, (env, promoted.err)
    assert run("check", "--against", "prod").code == 0


def test_paths_are_relative_to_the_project_root(ws: Workspace):
    ws.prompt("triage")
    source = tree_source(Project.open())
    assert source.prompts_rel == "prompts"
    assert source.read("prompts/triage.prompt") == (ws.prompts / "triage.prompt").read_bytes()
    assert source.read("../outside") is None
    outside = Path(ws.root).parent / "secret.txt"
    outside.write_text("x", encoding="utf-8")
    (ws.root / "link").symlink_to(outside)
    assert source.read("link") is None  # a symlink out of the repository is not followed


@pytest.mark.usefixtures("isolated_git")
def test_a_dataset_left_unstaged_is_not_what_the_commit_holds(ws: Workspace, run):
    git(ws.root, "init", "-q")
    evaluated(ws, run)
    git(ws.root, "add", "prompts")  # the dataset is only in the working tree
    result = run("hook", "evals-fresh", "prompts/triage.prompt")
    assert result.code == 1
    assert "PR072 triage: stale: the dataset evals/triage.jsonl is not in the index" in result.out
    git(ws.root, "add", "evals")
    assert run("hook", "evals-fresh", "prompts/triage.prompt").code == 0


def test_a_changed_metric_definition_makes_the_scores_stale(ws: Workspace, run):
    exact = "{name: accuracy, kind: exact, threshold: 0.5}"
    evaluated(ws, run, EVAL_PROMPT.replace(exact, exact + "\n    - {name: tone, kind: similarity}"))
    path = ws.prompts / "triage.prompt"
    scored = path.read_text(encoding="utf-8")
    assert run("check").code == 0
    changes = {
        "an option": exact.replace("exact,", "exact, ignore_case: true,"),
        "the kind": exact.replace("exact", "contains"),
    }
    for what, line in changes.items():
        path.write_text(scored.replace(exact, line), encoding="utf-8")
        assert (
            "PR072 stale: a metric's definition (kind or options; thresholds aside) changed"
        ) in run("check").out, what
    # a threshold judges a score without changing it; the order of the list means nothing
    path.write_text(scored.replace("threshold: 0.5", "threshold: 0.6"), encoding="utf-8")
    assert run("check").code == 0
    lines = scored.splitlines(keepends=True)
    i = next(n for n, line in enumerate(lines) if exact in line)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    path.write_text("".join(lines), encoding="utf-8")
    assert run("check").code == 0


@pytest.mark.usefixtures("isolated_git")
def test_pre_push_reads_the_dataset_at_the_tagged_commit(ws: Workspace, run):
    git(ws.root, "init", "-q")
    evaluated(ws, run)
    ws.write("evals/triage.jsonl", EDITED)
    commit(ws, "scores measured on another dataset than the one committed")
    ws.write("evals/triage.jsonl", jsonl(CASES))  # the working tree would pass
    remote = ws.root.parent / "remote.git"
    git(ws.root.parent, "init", "-q", "--bare", str(remote))
    git(ws.root, "remote", "add", "origin", str(remote))
    assert install(ws).returncode == 0
    head = git(ws.root, "rev-parse", "HEAD").strip()
    message = deployment_message(
        action="promote",
        name="triage",
        env="dev",
        version="1.0.0",
        content_hash=Project.open().load("triage").content_hash,
        commit=head,
        path="prompts/triage.prompt",
        previous=None,
        reason=None,
        forced=False,
        scores={"accuracy": 0.75},
    )
    with GitStore(ws.root) as store:
        store.create_tag("prompts/triage@dev/000001", head, message)
    pushed = git_run(ws.root, "push", "origin", "prompts/triage@dev/000001")
    assert pushed.returncode != 0
    assert stale_dataset(sha(jsonl(CASES)), sha(EDITED)) in pushed.stdout + pushed.stderr
    assert git(remote, "tag", "--list") == ""
