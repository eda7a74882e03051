from __future__ import annotations

from pathlib import Path

import pytest

from promptreg.errors import ConfigError
from promptreg.project.config import default_pricing, find_root, load_config


def test_defaults_without_a_config_file(tmp_path: Path):
    config = load_config(tmp_path)
    assert config.prompts_dir == tmp_path / "prompts"
    assert config.environments == ("dev", "staging", "prod")
    assert config.lint.require_budget is False
    assert config.path is None


def test_a_full_config(tmp_path: Path):
    (tmp_path / "promptreg.yaml").write_text(
        "prompts_dir: llm/prompts\n"
        "environments: [dev, canary, prod]\n"
        "lint: {require_budget: true, allowed_models: [gpt-4o-mini], max_file_bytes: 2048}\n"
        "pricing:\n  as_of: '2026-11-01'\n  models:\n    my-model: {input: 1, output: 2.5}\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path)
    assert config.prompts_dir == (tmp_path / "llm/prompts").resolve()
    assert config.environments == ("dev", "canary", "prod")
    assert config.lint.allowed_models == ("gpt-4o-mini",)
    assert config.lint.max_file_bytes == 2048
    pricing = config.pricing
    assert pricing.as_of == "2026-11-01"
    assert pricing.models["my-model"].output == 2.5
    # The shipped table is still there underneath the override.
    assert "gpt-4o-2024-08-06" in pricing.models


def test_the_shipped_price_table_is_dated():
    table = default_pricing()
    assert table.as_of is not None and table.as_of[:2] == "20"
    assert all(p.input >= 0 and p.output >= 0 for p in table.models.values())


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("prompt_dir: x\n", 1, "prompt_dir", "unknown key"),
        ("prompts_dir: ../elsewhere\n", 1, "prompts_dir", "must stay inside the repository"),
        ("prompts_dir: 3\n", 1, "prompts_dir", "must be a directory path"),
        ("environments: prod\n", 1, "environments", "must be a list"),
        ("environments: []\n", 1, "environments", "at least one"),
        ("environments:\n  - dev\n  - dev\n", 3, "environments.1", "listed twice"),
        ("environments: [dev, 1.0]\n", 1, "environments.1", "not an environment name"),
        ("lint:\n  require_budget: yes\n", 2, "lint.require_budget", "true or false"),
        ("lint:\n  strict: true\n", 2, "lint.strict", "unknown key"),
        ("lint: {max_file_bytes: 0}\n", 1, "lint.max_file_bytes", "positive"),
        (
            "pricing:\n  models:\n    m: {input: 1}\n",
            3,
            "pricing.models.m",
            "exactly `input` and `output`",
        ),
        (
            "pricing:\n  models:\n    m: {input: one, output: 2}\n",
            3,
            "pricing.models.m.input",
            "price",
        ),
        ("a: 1\na: 2\n", 2, None, "duplicate key `a`"),
        ("[unclosed\n", 2, None, "expected"),
        ("- a list\n", 1, None, "must be a mapping"),
    ],
)
def test_config_errors_name_line_and_field(tmp_path: Path, text, line, field, message):
    (tmp_path / "promptreg.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    err = caught.value
    assert err.path == "promptreg.yaml"
    assert err.line == line
    assert err.field == field
    assert message in err.message


def test_find_root_prefers_the_config_then_git(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert find_root(nested) == tmp_path.resolve()
    (tmp_path / "a" / "promptreg.yaml").write_text("", encoding="utf-8")
    assert find_root(nested) == (tmp_path / "a").resolve()
