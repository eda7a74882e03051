"""The public API of `import promptreg`: one list of names, every public error class in
errors.py and exported, `dir()` showing exactly that, and nothing imported before it is used."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import promptreg
from promptreg.errors import PromptregError

INIT = Path(promptreg.__file__)


def _every_module() -> None:
    for info in pkgutil.walk_packages(promptreg.__path__, "promptreg."):
        if info.name != "promptreg.__main__":  # that one runs the command line
            importlib.import_module(info.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_public_error_class_lives_in_errors_and_is_exported():
    _every_module()
    errors = {c for c in _subclasses(PromptregError) if not c.__name__.startswith("_")}
    assert len(errors) > 20  # the walk imported the package
    elsewhere = sorted(
        f"{c.__module__}.{c.__name__}" for c in errors if c.__module__ != "promptreg.errors"
    )
    assert elsewhere == [], "move these into promptreg/errors.py"
    for cls in (PromptregError, *errors):
        assert cls.__name__ in promptreg.__all__, cls.__name__
        assert getattr(promptreg, cls.__name__) is cls


def test_dir_and_all_are_the_one_list_and_every_name_resolves():
    assert dir(promptreg) == sorted(promptreg.__all__) == promptreg.__all__
    assert {"Registry", "load", "Prompt", "Project", "BundleError", "GitError"} <= set(
        dir(promptreg)
    )
    for name in promptreg.__all__:
        assert getattr(promptreg, name).__name__ == name


def test_the_type_checking_imports_mirror_the_list():
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test)
    )
    mirrored = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name  # `X as X`: re-exported to type checkers
    }
    assert mirrored == promptreg._PUBLIC


def test_an_unknown_name_is_an_attribute_error():
    try:
        promptreg.NoSuchThing  # noqa: B018
    except AttributeError as err:
        assert "NoSuchThing" in str(err)
    else:
        raise AssertionError("promptreg.NoSuchThing resolved")


def test_import_promptreg_imports_nothing_until_a_name_is_used():
    code = (
        "import json, sys, promptreg\n"
        "before = sorted(m for m in sys.modules if m.startswith('promptreg'))\n"
        "promptreg.BundleError\n"
        "after = sorted(m for m in sys.modules if m.startswith('promptreg'))\n"
        "import promptreg.registry.tags\n"
        "print(json.dumps([before, after, 'promptreg.registry.runtime' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, runtime = json.loads(out.stdout)
    assert before == ["promptreg"]
    assert after == ["promptreg", "promptreg.errors"]
    assert runtime is False  # promptreg.registry exposes Registry lazily
