"""The shape of the package, pinned so it cannot drift (issue 9): small modules, and calls
whose arguments cannot be swapped by position."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "promptreg"
MAX_LINES = 400
MAX_POSITIONAL = 6


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_modules_to_check():
    assert len(_modules()) > 50  # the walk below would pass vacuously on a wrong root


def test_no_module_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (at most {MAX_LINES} lines each): {long}"


def _positional(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def test_no_function_takes_more_than_6_positional_parameters():
    wide = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = _positional(node)
                if len(names) > MAX_POSITIONAL:
                    wide.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}{names}")
    assert wide == [], "make the parameters after the first few keyword-only (`*,`):\n" + (
        "\n".join(wide)
    )


def test_the_counts_see_what_they_pin():
    """The two rules catch what they are about: a wide signature and a long module."""
    wide = ast.parse("def f(self, a, b, c, d, e, g, h): ...").body[0]
    assert isinstance(wide, ast.FunctionDef)
    assert len(_positional(wide)) == 7
    narrow = ast.parse("def f(a, b, *, c, d, e, g, h, i): ...").body[0]
    assert isinstance(narrow, ast.FunctionDef)
    assert len(_positional(narrow)) == 2
