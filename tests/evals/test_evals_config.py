"""The `evals:` section of promptreg.yaml, and agreement statistics."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptreg.errors import ConfigError
from promptreg.evals.stats import mean_absolute_error, ranks, spearman
from promptreg.project.config import EvalsConfig, load_config


def test_defaults(tmp_path: Path):
    assert load_config(tmp_path).evals == EvalsConfig(
        runner="openai",
        jobs=4,
        timeout=60.0,
        retries=3,
        backoff=1.0,
        tolerance=0.0,
        cache_dir=".promptreg/cache",
    )


def test_a_full_evals_section(tmp_path: Path):
    (tmp_path / "promptreg.yaml").write_text(
        "evals:\n"
        "  runner: openai:http://127.0.0.1:8000/v1\n"
        "  jobs: 16\n"
        "  timeout: 30\n"
        "  retries: 5\n"
        "  backoff: 0.5\n"
        "  tolerance: 0.02\n"
        "  cache_dir: .cache/evals\n",
        encoding="utf-8",
    )
    assert load_config(tmp_path).evals == EvalsConfig(
        "openai:http://127.0.0.1:8000/v1", 16, 30, 5, 0.5, 0.02, ".cache/evals"
    )


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("evals: fast\n", 1, "evals", "must be a mapping"),
        ("evals:\n  runners: openai\n", 2, "evals.runners", "unknown key; expected one of runner,"),
        ("evals:\n  runner: gemini\n", 2, "evals.runner", "'gemini' is not a runner"),
        ("evals:\n  runner: python:nocolon\n", 2, "evals.runner", "is not MODULE:FUNCTION"),
        ("evals:\n  jobs: 0\n", 2, "evals.jobs", "must be a positive number of requests"),
        ("evals:\n  jobs: 2.5\n", 2, "evals.jobs", "must be a positive number of requests"),
        ("evals:\n  timeout: -1\n", 2, "evals.timeout", "must be a positive number of seconds"),
        ("evals:\n  retries: true\n", 2, "evals.retries", "must be a number of retries"),
        ("evals:\n  backoff: soon\n", 2, "evals.backoff", "must be a number of seconds"),
        ("evals:\n  tolerance: 5\n", 2, "evals.tolerance", "must be a number from 0 to 1"),
        ("evals:\n  cache_dir: ''\n", 2, "evals.cache_dir", "must be a directory"),
    ],
)
def test_bad_evals_config(tmp_path: Path, text: str, line: int, field: str, message: str):
    (tmp_path / "promptreg.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    err = caught.value
    assert (err.path, err.line, err.field) == ("promptreg.yaml", line, field)
    assert message in err.message


def test_a_bad_config_is_a_usage_error_on_the_command_line(tmp_path: Path, run, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "promptreg.yaml").write_text("evals:\n  jobs: 0\n", encoding="utf-8")
    result = run("check")
    assert result.code == 2
    assert result.err.startswith("promptreg: error: promptreg.yaml:2: evals.jobs: must be")


# -- agreement statistics ----------------------------------------------------------------------


def test_ranks_share_ties():
    assert ranks([10, 20, 20, 30]) == [1.0, 2.5, 2.5, 4.0]
    assert ranks([0.5, 0.5, 0.5]) == [2.0, 2.0, 2.0]
    assert ranks([]) == []


@pytest.mark.parametrize(
    ("xs", "ys", "rho"),
    [
        ([1, 2, 3, 4], [10, 20, 30, 40], 1.0),
        ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
        ([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8),  # classic: 1 - 6*4/(5*24)
        # ties: ranks [1.5, 1.5, 4, 4, 4] against [1, 3, 2, 4, 5]; r = 5 / sqrt(7.5 * 10)
        ([0, 0, 1, 1, 1], [0.1, 0.3, 0.2, 0.8, 0.9], 5 / 75**0.5),
        # ties on both sides: [3.5, 3.5, 1, 2] against [4, 2.5, 1, 2.5]; r = 3.75 / 4.5
        ([1.0, 1.0, 0.0, 0.5], [0.9, 0.7, 0.1, 0.7], 3.75 / 4.5),
    ],
)
def test_spearman(xs, ys, rho):
    assert spearman(xs, ys) == pytest.approx(rho)


def test_spearman_is_undefined_for_constants_and_single_pairs():
    assert spearman([1, 1, 1], [0.1, 0.2, 0.3]) is None
    assert spearman([1], [1]) is None


def test_mean_absolute_error():
    assert mean_absolute_error([0.9, 0.7], [1.0, 0.5]) == pytest.approx(0.15)
    with pytest.raises(ValueError):
        mean_absolute_error([], [])
