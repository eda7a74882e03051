"""The README is the front door: it must document every rule, command and option."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from promptreg.cli import cli
from promptreg.findings import RULES

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The README is the front door; docs/ holds the longer reference it links to.
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def test_quick_start_is_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("##", 1)[0]
    assert re.findall(r"^make (\w+)", quick, re.M) == ["demo", "test"]


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_code_is_in_the_rule_table(code):
    assert f"| {code} | {RULES[code]} |" in README


def test_the_rule_table_lists_no_unknown_code():
    assert set(re.findall(r"^\| (PR\d{3}) \|", README, re.M)) == set(RULES)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_and_option_is_documented(name):
    command = cli.commands[name]
    assert f"### `promptreg {name}" in DOCS
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in DOCS for opt in param.opts), (name, param.opts)
