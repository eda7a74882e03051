"""`promptreg review BASE [HEAD]`: a change through a partial, a bump missed, the old
version's environments; and markdown that always fits a comment and never breaks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st

from promptreg.evals.gate import GateProblem, GateResult
from promptreg.review.markdown import LIMIT, MARKER, markdown
from promptreg.review.model import PartialChange, PromptChange, Review, Side
from tests.conftest import VALID_PROMPT, Result, Workspace, bump, commit, git


def _pr(repo: Workspace, run: Callable[..., Result]) -> None:
    """main: triage (includes partials/tone.j2) deployed to dev; a branch changes the partial
    (triage's own file untouched, no bump), bumps and edits summarize, adds `fresh`."""
    repo.prompt("summarize", VALID_PROMPT.replace("You triage tickets.", "You summarize."))
    commit(repo, "summarize")
    assert run("promote", "triage", "--to", "dev").code == 0
    git(repo.root, "checkout", "-q", "-b", "change")
    repo.write("prompts/partials/tone.j2", "Be brief | and `kind`.\n")
    bump(repo, "summarize", "1.0.1", ("You summarize.", "You summarize <b>well</b>."))
    repo.prompt("fresh", VALID_PROMPT)
    commit(repo, "change")


def test_review_lists_each_change_with_what_a_reviewer_needs(
    repo: Workspace, run: Callable[..., Result]
) -> None:
    _pr(repo, run)
    result = run("review", "main", "--format", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    by = {p["name"]: p for p in data["prompts"]}
    assert sorted(by) == ["fresh", "summarize", "triage"]
    triage = by["triage"]
    assert triage["via_partials"] == ["partials/tone.j2"] and triage["file_changed"] is False
    assert triage["version_bump"]["ok"] is False
    assert triage["version_bump"]["problem"].startswith("PR070")
    assert triage["environments_running_old_version"] == ["dev"]
    assert any("Be brief | and `kind`." in line for line in triage["rendered_diff"])
    summarize = by["summarize"]
    assert summarize["version_bump"]["ok"] is True
    assert summarize["old"]["version"] == "1.0.0" and summarize["new"]["version"] == "1.0.1"
    assert summarize["new"]["sample_tokens"] > summarize["old"]["sample_tokens"]
    assert "version changed from '1.0.0' to '1.0.1'" in summarize["metadata_changes"]
    assert by["fresh"]["status"] == "added" and by["fresh"]["old"] is None
    assert '+You triage tickets. {% include "partials/tone.j2" %}' in by["fresh"]["body_diff"]
    assert data["partials"] == [
        {
            "path": "partials/tone.j2",
            "diff": data["partials"][0]["diff"],
            "included_by": ["fresh", "summarize", "triage"],
        }
    ]


def test_review_markdown_and_text(repo: Workspace, run: Callable[..., Result]) -> None:
    _pr(repo, run)
    md = run("review", "main", "HEAD", "--format", "markdown")
    assert md.code == 0, md.err
    assert md.out.startswith(MARKER + "\n")
    assert "**needs a bump**" in md.out and "You summarize &lt;b&gt;well&lt;/b&gt;" not in md.out
    assert "+You summarize <b>well</b>." in md.out  # inside a code fence: shown as written
    _check_markdown(md.out)
    text = run("review", "main")
    assert "triage (changed): 1.0.0 → 1.0.0" in text.out
    assert "changed through partials/tone.j2 (its own file is unchanged)" in text.out


def test_review_of_an_unknown_revision_is_a_usage_error(
    repo: Workspace, run: Callable[..., Result]
) -> None:
    result = run("review", "no-such-branch")
    assert result.code == 2 and "does not name a commit" in result.err


# -- markdown that fits and stays whole ------------------------------------------------------


def _unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def _check_markdown(out: str, limit: int = LIMIT) -> None:
    assert len(out) <= limit
    fence: str | None = None
    columns: int | None = None
    for line in out.split("\n"):
        if fence is not None:
            if re.fullmatch(r"`{3,}", line) and len(line) >= len(fence):
                fence = None
            continue
        opening = re.match(r"(`{3,})", line)
        if opening:
            fence = opening.group(1)
            continue
        if line.startswith("|"):
            if columns is None:
                columns = _unescaped_pipes(line)
            assert _unescaped_pipes(line) == columns, line
        else:
            columns = None if not line.strip() else columns
    assert fence is None, "a code fence is left open"
    assert out.count("<details>") == out.count("</details>")


_wild = st.text(alphabet=st.sampled_from(list("ab |`\\<>*_-+@#\n~")), max_size=80)


@st.composite
def reviews(draw: st.DrawFn) -> Review:
    n = draw(st.integers(0, 30))
    prompts = []
    for i in range(n):
        lines = draw(st.lists(_wild, max_size=draw(st.sampled_from([3, 50, 400]))))
        gate = GateResult(
            f"p{i}",
            tuple(GateProblem("below", "acc", m) for m in draw(st.lists(_wild, max_size=2))),
            {},
        )
        prompts.append(
            PromptChange(
                name=f"team/p{i}",
                status="changed",
                old=Side("1.0.0", draw(st.integers(0, 999)), 0.5, {"acc": 0.9}),
                new=Side("1.0.1", 10, None, {"acc": draw(st.floats(0, 1))}),
                via=tuple(draw(st.lists(_wild, max_size=2))),
                changes=draw(st.lists(_wild, max_size=5)),
                body=lines,
                partials=[("p|`x`", lines[:20])],
                rendered=lines[::-1],
                bump=draw(st.none() | _wild),
                gate=gate,
                running_old=("prod",),
            )
        )
    partials = [PartialChange(draw(_wild), draw(st.lists(_wild, max_size=30)), ("team/p0",))]
    return Review("a" * 40, draw(_wild) or "main", "b" * 40, "HEAD", prompts, partials)


@example(  # a label of backticks made a line that starts like a code fence
    review=Review("a" * 40, "``", "b" * 40, "HEAD", [], [PartialChange("", [], ("p",))]),
    limit=3_000,
)
@settings(max_examples=60, deadline=None)
@given(review=reviews(), limit=st.sampled_from([3_000, 12_000, LIMIT]))
def test_markdown_always_fits_and_never_breaks_a_table_or_a_fence(
    review: Review, limit: int
) -> None:
    out = markdown(review, limit=limit)
    _check_markdown(out, limit)
    assert out.startswith(MARKER)


def test_a_huge_review_is_cut_with_a_note() -> None:
    lines = [f"+line {i} " + "x" * 60 for i in range(3_000)]
    prompts = [
        PromptChange(
            f"p{i}", "changed", Side("1.0.0", 1, None, {}), Side("1.0.1", 1, None, {}), body=lines
        )
        for i in range(5)
    ]
    out = markdown(Review("a" * 40, "main", "b" * 40, "HEAD", prompts, []))
    _check_markdown(out)
    assert "more lines left out; see `promptreg diff p0@main p0@HEAD`" in out
    assert out.count("| `p") == 5  # every row of the table is kept


def test_no_change_and_a_removed_prompt(repo: Workspace, run: Callable[..., Result]) -> None:
    same = run("review", "HEAD", "HEAD", "--format", "markdown")
    assert same.code == 0 and "No prompt or partial changed." in same.out
    git(repo.root, "rm", "-q", "prompts/triage.prompt")
    commit(repo, "remove triage")
    data = json.loads(run("review", "HEAD~1", "--format", "json").out)
    (removed,) = data["prompts"]
    assert removed["name"] == "triage" and removed["status"] == "removed"
    assert removed["new"] is None and removed["version_bump"]["ok"] is True
    assert removed["body_diff"][:2] == ["--- triage@HEAD~1", "+++ /dev/null"]


def test_unrelated_histories_compare_the_revisions_themselves(
    repo: Workspace, run: Callable[..., Result]
) -> None:
    git(repo.root, "checkout", "-q", "--orphan", "other")
    repo.prompt("triage", VALID_PROMPT.replace("version: 1.0.0", "version: 2.0.0"))
    commit(repo, "other history")
    data = json.loads(run("review", "main", "other", "--format", "json").out)
    assert [(p["name"], p["old"]["version"], p["new"]["version"]) for p in data["prompts"]] == [
        ("triage", "1.0.0", "2.0.0")
    ]


def test_eval_scores_and_the_gate_of_a_change(repo: Workspace, run: Callable[..., Result]) -> None:
    from tests.site_support import build_site_repo

    build_site_repo(repo, run)
    first = git(repo.root, "rev-list", "--max-parents=0", "HEAD").split()[0]
    second = git(repo.root, "rev-list", "HEAD").split()[
        1
    ]  # triage 1.0.0 (its first commit: the fixture's)
    data = json.loads(run("review", second, "HEAD", "--format", "json").out)
    (triage,) = [p for p in data["prompts"] if p["name"] == "support/triage"]
    assert (triage["old"]["version"], triage["new"]["version"]) == ("1.1.0", "1.2.0")
    assert triage["old"]["scores"] == triage["new"]["scores"] == {"accuracy": 0.75}
    assert triage["gate"]["ok"] is True and triage["gate"]["baseline"] == {"accuracy": 0.75}
    assert triage["environments_running_old_version"] == ["dev", "staging"]
    md = run("review", first, "HEAD", "--format", "markdown").out
    assert "accuracy" in md and "gate passes" in md  # added with its scores: the gate, no baseline
