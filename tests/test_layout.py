"""The shape of the package, pinned so it cannot drift (issue 9): small modules, and calls
whose arguments cannot be swapped by position."""

from __future__ import annotations

import ast
import re
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


# -- the import graph --------------------------------------------------------------------------

# Each layer imports only from layers before it (and from itself); the shared leaves at the top
# of the package come first. `promptreg/__init__.py` and `__main__.py` sit above everything.
LAYERS = (
    *("", "frontmatter", "template", "project", "registry", "evals", "app", "formats"),
    *(
        "hooks",
        "site",
        "review",
        "cli",
    ),  # what people read: they show what the layers below compute
)


def _module_names() -> dict[str, Path]:
    names = {}
    for path in _modules():
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _owner(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Nodes under `if TYPE_CHECKING:`, which never run."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return hidden


def import_graph() -> dict[str, set[str]]:
    """Module -> the promptreg modules it imports when it runs: at the top, inside functions
    (deferred), and through `importlib.import_module("...")`; not under TYPE_CHECKING."""
    known = _module_names()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hidden = _type_checking_only(tree)
        targets: set[str | None] = set()
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in known else _owner(node.module, known))
            elif isinstance(node, ast.Import):
                targets.update(_owner(a.name, known) for a in node.names)
            elif (
                isinstance(node, ast.Call)
                and ast.unparse(node.func).endswith("import_module")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                targets.add(_owner(node.args[0].value, known))
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of `graph`, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_there_is_no_import_cycle_deferred_or_not():
    graph = import_graph()
    assert "promptreg.registry.runtime" in graph["promptreg.registry.deploy"]  # sees imports
    assert "promptreg.registry.explain" in graph["promptreg.registry.runtime"]  # deferred ones
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_deferred_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def _layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return len(LAYERS)  # the package's own __init__ and `python -m promptreg`
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else 0  # a shared leaf


def test_the_layers_only_import_downward():
    upward = [
        f"{module} -> {target}"
        for module, targets in sorted(import_graph().items())
        for target in sorted(targets)
        if _layer(target) > _layer(module)
        or (_layer(target) == _layer(module) > 0 and target.split(".")[1] != module.split(".")[1])
    ]
    assert upward == [], "\n".join(upward)
    assert _layer("promptreg.frontmatter.schema") < _layer("promptreg.template.prompt")
    assert _layer("promptreg.errors") == 0


def _imported_by(package: str) -> set[str]:
    """The modules loaded by importing every module of `package`, in a fresh interpreter."""
    import json
    import subprocess
    import sys

    code = (
        "import importlib, json, pkgutil, sys\n"
        f"import {package} as p\n"
        "for m in pkgutil.iter_modules(p.__path__):\n"
        "    importlib.import_module(p.__name__ + '.' + m.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


def test_the_prompt_files_text_layer_imports_no_jinja():
    loaded = _imported_by("promptreg.frontmatter")
    assert "promptreg.frontmatter.schema" in loaded
    assert not {m for m in loaded if m == "jinja2" or m.startswith("jinja2.")}


def test_the_jinja_layer_reads_no_yaml():
    loaded = _imported_by("promptreg.template")
    assert "promptreg.template.environment" in loaded
    assert not loaded & {"yaml", "ruamel.yaml", "promptreg.frontmatter._yaml"}


# -- the README's map of the package -----------------------------------------------------------

_PACKAGE_LINE = re.compile(r"^  (\w+)/ ")
_MODULES_LINE = re.compile(r"^( {2}| {4})(\w+\.py(?:, \w+\.py)*)(?:\s|$)")


def readme_map() -> dict[str, set[str]]:
    """Package ("" for the top) -> the modules the README's Development map lists in it: the
    names that start a line at the package's indentation (descriptions are indented deeper)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("```\npromptreg/ ")
    block = text[start + 4 : text.index("```", start + 4)]
    listed: dict[str, set[str]] = {"": set()}
    package = ""
    for line in block.splitlines():
        if line and not line.startswith(" "):
            package = ""  # prompts/, tests/, ...: past the package
            continue
        if header := _PACKAGE_LINE.match(line):
            package = header.group(1)
            listed.setdefault(package, set())
        elif found := _MODULES_LINE.match(line):
            where = "" if len(found.group(1)) == 2 else package
            listed.setdefault(where, set()).update(found.group(2).split(", "))
    return listed


def _actual_map() -> dict[str, set[str]]:
    actual: dict[str, set[str]] = {}
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if path.name != "__init__.py":
            actual.setdefault(rel.parent.as_posix().replace(".", ""), set()).add(path.name)
    return actual


def test_the_readme_maps_every_module_and_only_modules_that_exist():
    listed, actual = readme_map(), _actual_map()
    assert set(listed) == set(actual), "packages: README vs promptreg/"
    for package in sorted(actual):
        missing, stale = actual[package] - listed[package], listed[package] - actual[package]
        assert not missing, f"promptreg/{package}: not in the README map: {sorted(missing)}"
        assert not stale, f"promptreg/{package}: in the README map, not in the package: {stale}"


def test_the_readme_map_reader_reads_what_it_should():
    listed = readme_map()
    assert {"errors.py", "__main__.py"} <= listed[""]
    assert "limits.py" not in listed["template"]  # named in a description, listed at the top
    assert {"sandbox.py", "estimates.py"} <= listed["template"]


def test_the_tests_mirror_the_layers():
    """A test directory names the layer (subpackage) whose code its tests exercise, so a
    reader finds a module's tests where its code is."""
    layers = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    directories = {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()}
    directories -= {"data", "__pycache__"}
    assert directories and directories <= layers, directories - layers
