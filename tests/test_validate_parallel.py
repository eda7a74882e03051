"""`validate` says the same thing however it runs: one process or forked workers, with no
cache, filling the cache (cold) or reading it (warm). Same codes, lines, columns, messages
and order, on a set that trips most of the loader's and the lints' rules."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

import promptreg.app.validate as validate_module
from promptreg import codecache
from promptreg.app.fanout import batches_of, can_fork, fan_out
from promptreg.template import tokens
from tests.conftest import VALID_PROMPT, Result, Workspace

HEAD = """\
---
version: 1.0.0
description: d
model: {provider: openai, name: gpt-4o-2024-08-06}
inputs:
  ticket: {type: string, required: true}
"""

VARIANTS = {
    "ok": VALID_PROMPT,
    "syntax": HEAD + "sample: {ticket: t}\n---\nuser:\n{{ ticket }\n",  # PR040
    "unused": HEAD + "  extra: {type: string}\nsample: {ticket: t}\n---\nuser:\n{{ ticket }}\n",
    "nosample": HEAD + "---\nuser:\n{{ ticket }}\n",  # PR051
    "leading": HEAD + "sample: {ticket: t}\n---\nhello\nuser:\n{{ ticket }}\n",  # PR048
    "missing": HEAD
    + 'sample: {ticket: t}\n---\nuser:\n{% include "partials/no.j2" %}{{ ticket }}\n',
    "undeclared": HEAD + "sample: {ticket: t}\n---\nuser:\n{{ ticket }} {{ other }}\n",
    "yaml": "---\nversion: 1.0.0\nversion: 2.0.0\n---\nuser:\nx\n",  # PR011
    "badyaml": "---\nversion: [1.0.0\n---\nuser:\nx\n",  # PR010
    "secret": HEAD
    + "sample: {ticket: t}\n---\nuser:\n{{ ticket }} AKIAIOSFODNN7EXAMPLE\n",  # PR074
    "lookalike": HEAD + "sample: {ticket: t}\n---\nuser:\n{{ ticket }}\nSystem :\nmore\n",
    "private": HEAD + "sample: {ticket: t}\n---\nuser:\n{{ ticket.__class__ }}\n",  # PR047
    "budget": HEAD.replace("inputs:", "budget: {max_input_tokens: 9}\ninputs:")
    + "sample: {ticket: one two three four five six}\n---\nuser:\n{{ ticket }}\n",  # PR053
    "empty": HEAD
    + "sample: {ticket: t}\n---\nsystem:\n{% if false %}x{% endif %}\nuser:\n{{ ticket }}\n",
}


@pytest.fixture
def varied(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("PROMPTREG_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(validate_module, "PARALLEL_THRESHOLD", 2)
    for copy in range(3):  # each variant in every worker's share, each copy its own text
        for name, text in VARIANTS.items():
            ws.prompt(f"team{copy}/{name}", text.replace("---\n", f"---\n# copy {copy}\n", 1))
    return ws


def findings(run: Callable[..., Result], *args: str) -> list[dict[str, object]]:
    result = run("validate", "--json", *args)
    assert result.code == 1, result.err
    found: list[dict[str, object]] = json.loads(result.out)["findings"]
    return found


def cache_file(ws: Workspace) -> Path:
    return ws.root / ".promptreg" / "cache" / "code" / "cache.sqlite"


def cache_entries(ws: Workspace) -> int:
    codecache.flush_all()
    db = sqlite3.connect(cache_file(ws))
    try:
        return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])
    finally:
        db.close()


def test_same_findings_cold_warm_one_process_and_workers(
    varied: Workspace, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = findings(run, "--jobs", "1")
    entries = cache_entries(varied)
    assert entries > 3 * len(VARIANTS)
    db = sqlite3.connect(cache_file(varied))
    with db:
        db.execute("DELETE FROM entries")
    db.close()
    cold = findings(run, "--jobs", "3")  # forked workers fill the cache
    assert cache_entries(varied) == entries  # every worker's entries were written
    warm = findings(run, "--jobs", "3")
    warm_one = findings(run, "--jobs", "1")
    monkeypatch.setenv("PROMPTREG_NO_CACHE", "1")
    uncached = findings(run, "--jobs", "1")
    uncached_workers = findings(run, "--jobs", "2")
    assert one == cold == warm == warm_one == uncached == uncached_workers
    codes = {f["code"] for f in cold}
    expected = {"PR040", "PR042", "PR051", "PR048", "PR043", "PR041", "PR011", "PR010"}
    assert expected | {"PR074", "PR087", "PR047", "PR052", "PR053"} <= codes
    assert len({f["path"] for f in cold}) == 3 * (len(VARIANTS) - 1)  # all but "ok", each copy


def test_fan_out_runs_every_batch_once_in_this_process_and_children() -> None:
    if not can_fork():
        pytest.skip("fan_out forks only where multiprocessing does")
    items = list(range(100))
    batches = batches_of(items, 3)
    assert [i for batch in batches for i in batch] == items
    finished: list[int] = []

    def work(batch: Sequence[int]) -> list[tuple[int, int]]:
        time.sleep(0.005)  # long enough for every process to take some
        return [(i, os.getpid()) for i in batch]

    done = fan_out(
        work,
        batches,
        processes=3,
        finish=lambda: finished.append(os.getpid()),
    )
    assert sorted(i for i, _ in done) == items
    assert os.getpid() in {pid for _, pid in done}  # this process takes batches too
    assert finished == [os.getpid()]  # (the children's calls happened in the children)
    assert batches_of([], 2) == [] and len(batches_of(list(range(10**6)), 2)) <= 1024


class Refused(Exception):
    pass


def test_fan_out_raises_a_childs_exception_here() -> None:
    if not can_fork():
        pytest.skip("fan_out forks only where multiprocessing does")

    def work(batch: list[int]) -> list[int]:
        if os.getpid() != parent:
            raise Refused(f"batch {batch}")
        time.sleep(0.01)  # leave batches to the child
        return batch

    parent = os.getpid()
    with pytest.raises(Refused, match="batch"):
        fan_out(work, [[0], [1], [2]], processes=2)

    def unpicklable(batch: list[int]) -> list[int]:
        if os.getpid() != parent:
            raise Refused(lambda: batch)  # the lambda does not pickle: its text comes back
        time.sleep(0.01)
        return batch

    with pytest.raises(RuntimeError, match="Refused"):
        fan_out(unpicklable, [[0], [1], [2]], processes=2)


def test_a_child_that_dies_without_an_answer_is_an_error() -> None:
    if not can_fork():
        pytest.skip("fan_out forks only where multiprocessing does")
    parent = os.getpid()

    def finish() -> None:  # every process calls it, whether it took a batch or not
        if os.getpid() != parent:
            os._exit(7)

    with pytest.raises(RuntimeError, match="without an answer"):
        fan_out(lambda batch: batch, [[0], [1], [2]], processes=2, finish=finish)


def test_a_warm_validate_loads_no_tokenizer_and_a_new_sample_is_counted_again(
    varied: Workspace, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact counts of the sample renders (PR053) come from the cache when warm."""
    cold = [str(f["message"]) for f in findings(run, "--jobs", "1") if f["code"] == "PR053"]
    assert len(cold) == 3 and "tokens, over the budget of 9" in cold[0]
    monkeypatch.setattr(tokens, "_loaded", {})
    warm = [f["message"] for f in findings(run, "--jobs", "1") if f["code"] == "PR053"]
    assert warm == cold
    assert tokens._loaded == {}  # every count came from the cache
    path = varied.prompts / "team0" / "budget.prompt"
    path.write_text(path.read_text().replace("five six", "five six seven"))
    changed = [f for f in findings(run, "--jobs", "1") if f["code"] == "PR053"]
    assert "o200k_base" in tokens._loaded  # a text not counted before
    counted = {f["path"]: f["message"] for f in changed}
    assert counted[str(Path("prompts/team0/budget.prompt"))] != cold[0]


def test_a_message_with_media_parts_is_counted_by_its_parts_cold_and_warm(
    ws: Workspace, run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept count's key holds a media message's parts: warm says what cold said, and a
    changed text beside the part is counted again, not answered from the cache."""
    monkeypatch.delenv("PROMPTREG_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    body = (
        "sample: {ticket: one two}\n---\nuser:\n{{ ticket }}\n{% media 'https://x.test/a.png' %}\n"
    )
    ws.prompt("look", HEAD.replace("inputs:", "budget: {max_input_tokens: 1000}\ninputs:") + body)

    def over() -> str:
        found = [f for f in findings(run, "--jobs", "1") if f["code"] == "PR053"]
        assert len(found) == 1
        return str(found[0]["message"])

    cold = over()
    monkeypatch.setattr(tokens, "_loaded", {})
    assert over() == cold and tokens._loaded == {}
    path = ws.prompts / "look.prompt"
    path.write_text(path.read_text().replace("one two", "one two three four five"))
    assert over() != cold and "o200k_base" in tokens._loaded
