"""The project config, `promptreg.yaml` at the repository root (optional; defaults below)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from functools import cache
from pathlib import Path
from typing import Any

from promptreg._lazyre import DIGITS, LOWER, is_word
from promptreg._record import record
from promptreg.codecache import code_cache_for
from promptreg.errors import ConfigError
from promptreg.frontmatter._yaml import read_yaml
from promptreg.frontmatter.yamldoc import YamlDoc, YamlError
from promptreg.limits import Limits
from promptreg.repository import work_tree_root

CONFIG_FILE = "promptreg.yaml"
DATA_DIR = Path(__file__).parent.parent / "data"
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")


@record(frozen=True)
class Price:
    """USD per 1,000,000 tokens."""

    input: float
    output: float


@record(frozen=True)
class Pricing:
    as_of: str | None
    models: Mapping[str, Price]


@record(frozen=True)
class LintConfig:
    require_budget: bool = False
    allowed_models: tuple[str, ...] = ()
    max_file_bytes: int = 1_000_000


@record(frozen=True)
class EvalsConfig:
    """`evals:` in promptreg.yaml: how `promptreg eval` runs and how strict `check` is."""

    runner: str = "openai"  # openai, openai:BASE_URL, command:CMD or python:MODULE:FUNCTION
    jobs: int = 4  # requests in flight at once
    timeout: float = 60.0  # seconds per request
    retries: int = 3  # extra attempts after a 429, 5xx or timeout
    backoff: float = 1.0  # seconds before the first retry; doubles each time
    tolerance: float = 0.0  # how far a score may fall below the deployed one
    cache_dir: str = ".promptreg/cache"  # relative to the repository root
    # Environments whose gate accepts only scores from a run of the prompt's pinned model.
    require_model_run: tuple[str, ...] = ()


@record(frozen=True)
class SigningConfig:
    """`signing:` in promptreg.yaml: environments whose deployments count only when their tag
    carries a good signature by an allowed key: an ssh key listed in `allowed_signers` (git's
    allowed-signers format) or an OpenPGP key in `allowed_gpg_keys` (armored public keys),
    files committed in the repository (read as committed at HEAD)."""

    environments: tuple[str, ...] = ()
    allowed_signers: str | None = None  # ssh keys: path relative to the repository root
    allowed_gpg_keys: str | None = None  # OpenPGP public keys (ASCII-armored): path, too
    # accept | refuse: whether a deployment or release recorded under content-hash scheme 1
    # counts where that scheme does not prove the same request (the prompt has input
    # defaults, which scheme 1 does not cover). Refused always in `environments`.
    legacy_hashes: str = "accept"

    def refuses_legacy(self, env: str | None) -> bool:
        """Whether a legacy (scheme-1, defaults not covered) record in `env` (None: a
        release) is rejected rather than served with a warning."""
        return self.legacy_hashes == "refuse" or (env is not None and env in self.environments)


@record(frozen=True)
class Config:
    root: Path
    prompts_dir: Path
    environments: tuple[str, ...] = DEFAULT_ENVIRONMENTS
    lint: LintConfig = field(default_factory=LintConfig)
    pricing_overrides: Pricing = field(default_factory=lambda: Pricing(None, {}))
    path: Path | None = None
    evals: EvalsConfig = field(default_factory=EvalsConfig)
    signing: SigningConfig = field(default_factory=SigningConfig)
    limits: Limits = field(default_factory=Limits)
    # The shared remote (issue 10): `remote:` names it (default: origin, when there is one);
    # `push: false` keeps promote/rollback local unless --push is given.
    remote: str | None = None
    push: bool = True

    @property
    def pricing(self) -> Pricing:
        """The shipped, dated default price table with this project's overrides on top."""
        default = default_pricing()
        models = {**default.models, **self.pricing_overrides.models}
        return Pricing(self.pricing_overrides.as_of or default.as_of, models)


def find_root(start: Path) -> Path:
    """The nearest ancestor of `start` holding `promptreg.yaml`, else the root of the git work
    tree `start` is in (`repository.work_tree_root`), else `start`."""
    start = start.resolve()
    if (start / "HEAD").is_file() and (start / "objects").is_dir() and (start / "refs").is_dir():
        return start  # a bare repository (a mirror) is its own root, wherever it sits
    for directory in (start, *start.parents):
        if (directory / CONFIG_FILE).exists():
            return directory
    return work_tree_root(start) or start


def load_config(root: Path) -> Config:
    """Read `root/promptreg.yaml` if present. Raises `ConfigError` naming file, line and field."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config(root=root, prompts_dir=root / "prompts")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not valid UTF-8", path=CONFIG_FILE) from None
    return config_from_text(root, text, shown=CONFIG_FILE)


def config_from_text(root: Path, text: str, *, shown: str) -> Config:
    """The config in `text` (a bare repository's promptreg.yaml is read from a commit)."""
    try:
        doc = read_yaml(text, cache=code_cache_for(root))
    except YamlError as err:
        raise ConfigError(err.message, path=shown, line=err.line) from None
    return _parse(doc, root, root / CONFIG_FILE, shown)


Where = tuple[str | int, ...]


class _Checker:
    """Raises `ConfigError`s that name the file, the line and the dotted field."""

    def __init__(self, doc: YamlDoc, shown: str) -> None:
        self.doc = doc
        self.shown = shown

    def fail(self, where: Where, message: str) -> ConfigError:
        field_name = ".".join(str(p) for p in where) or None
        line = self.doc.position(where)[0]
        return ConfigError(message, path=self.shown, line=line, field=field_name)

    def expect(self, where: Where, value: Any, kind: type | tuple[type, ...], what: str) -> None:
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise self.fail(where, f"must be {what}, not {value!r}")


def _parse(doc: YamlDoc, root: Path, path: Path, shown: str) -> Config:
    data = {} if doc.data is None else doc.data
    check = _Checker(doc, shown)
    fail, expect = check.fail, check.expect

    expect((), data, dict, "a mapping")
    known = {
        *("prompts_dir", "environments", "lint", "pricing", "evals", "signing", "limits"),
        *("remote", "push"),
    }
    for key in data:
        if key not in known:
            raise fail((key,), f"unknown key; expected one of {', '.join(sorted(known))}")

    prompts_dir = data.get("prompts_dir", "prompts")
    expect(("prompts_dir",), prompts_dir, str, "a directory path relative to the root")
    resolved = (root / prompts_dir).resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise fail(("prompts_dir",), "must stay inside the repository")

    envs = data.get("environments", list(DEFAULT_ENVIRONMENTS))
    expect(("environments",), envs, list, "a list of environment names in promotion order")
    if not envs:
        raise fail(("environments",), "must name at least one environment")
    for i, env in enumerate(envs):
        if not isinstance(env, str) or not is_word(env, LOWER, LOWER + DIGITS + "_-"):
            raise fail(
                ("environments", i),
                f"{env!r} is not an environment name (lower-case letter first, then a-z 0-9 _ -)",
            )
        if envs.index(env) != i:
            raise fail(("environments", i), f"environment {env!r} is listed twice")

    lint_data = data.get("lint", {})
    expect(("lint",), lint_data, dict, "a mapping")
    lint_known = {"require_budget", "allowed_models", "max_file_bytes"}
    for key in lint_data:
        if key not in lint_known:
            raise fail(
                ("lint", key), f"unknown key; expected one of {', '.join(sorted(lint_known))}"
            )
    require_budget = lint_data.get("require_budget", False)
    expect(("lint", "require_budget"), require_budget, bool, "true or false")
    allowed = lint_data.get("allowed_models", [])
    expect(("lint", "allowed_models"), allowed, list, "a list of model names")
    for i, name in enumerate(allowed):
        expect(("lint", "allowed_models", i), name, str, "a model name")
    max_bytes = lint_data.get("max_file_bytes", 1_000_000)
    expect(("lint", "max_file_bytes"), max_bytes, int, "a positive number of bytes")
    if max_bytes <= 0:
        raise fail(("lint", "max_file_bytes"), "must be a positive number of bytes")

    pricing = _parse_pricing(data.get("pricing", {}), ("pricing",), check)
    evals = _parse_evals(data.get("evals", {}), check, tuple(envs))
    signing = _parse_signing(data.get("signing", {}), tuple(envs), check)
    limits = _parse_limits(data.get("limits", {}), check)
    remote = data.get("remote")
    if remote is not None:
        expect(("remote",), remote, str, "the name or URL of a git remote")
        if not remote or remote.startswith("-") or any(c in remote for c in "\n\0"):
            raise fail(("remote",), f"{remote!r} is not a remote name or URL")
    push = data.get("push", True)
    expect(("push",), push, bool, "true or false")
    return Config(
        root=root,
        prompts_dir=resolved,
        environments=tuple(envs),
        lint=LintConfig(require_budget, tuple(allowed), max_bytes),
        pricing_overrides=pricing,
        path=path,
        evals=evals,
        signing=signing,
        limits=limits,
        remote=remote,
        push=push,
    )


def _parse_signing(data: Any, environments: tuple[str, ...], check: _Checker) -> SigningConfig:
    fail, expect = check.fail, check.expect
    where: Where = ("signing",)
    expect(where, data, dict, "a mapping with `environments` and `allowed_signers`")
    known = ("allowed_gpg_keys", "allowed_signers", "environments", "legacy_hashes")
    for key in data:
        if key not in known:
            raise fail((*where, key), f"unknown key; expected one of {', '.join(known)}")
    envs = data.get("environments", [])
    expect((*where, "environments"), envs, list, "a list of environments")
    for i, env in enumerate(envs):
        if env not in environments:
            raise fail(
                (*where, "environments", i),
                f"{env!r} is not one of the environments ({', '.join(environments)})",
            )
    files: dict[str, str | None] = {}
    for key in ("allowed_signers", "allowed_gpg_keys"):
        value = files[key] = data.get(key)
        if value is not None:
            at = (*where, key)
            expect(at, value, str, "a file path relative to the repository root")
            parts = value.split("/")
            if value.startswith("/") or any(p in ("", ".", "..") for p in parts):
                raise fail(at, "must be a plain relative path inside the repository (no `..`)")
    if envs and not any(files.values()):
        raise fail(
            where,
            "needs `allowed_signers` (ssh keys) or `allowed_gpg_keys` (OpenPGP keys): the "
            "committed file listing the keys that may sign",
        )
    legacy = data.get("legacy_hashes", "accept")
    if legacy not in ("accept", "refuse"):
        raise fail((*where, "legacy_hashes"), "must be `accept` or `refuse`")
    return SigningConfig(tuple(envs), files["allowed_signers"], files["allowed_gpg_keys"], legacy)


def _parse_limits(data: Any, check: _Checker) -> Limits:
    """`limits:`: how much time and memory compiling and rendering one template may take."""
    fail, expect = check.fail, check.expect
    where: Where = ("limits",)
    expect(where, data, dict, "a mapping")
    known = Limits.__dataclass_fields__
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise fail((*where, key), f"unknown key; expected one of {', '.join(known)}")
        if key == "render_timeout":
            expect((*where, key), value, (int, float), "a positive number of seconds")
            ok = 0 < value <= 3600
            what = "a number of seconds from 0 to 3600"
        elif key == "max_int_bits":  # Python prints integers of up to 4,300 digits
            expect((*where, key), value, int, "a positive whole number")
            ok = 0 < value <= 14_000
            what = "a whole number from 1 to 14000"
        else:
            expect((*where, key), value, int, "a positive whole number")
            ok = 0 < value <= 10**12
            what = "a whole number from 1 to 10**12"
        if not ok:
            raise fail((*where, key), f"must be {what}, not {value!r}")
        values[key] = float(value) if key == "render_timeout" else value
    return Limits(**values)


def _parse_evals(data: Any, check: _Checker, environments: tuple[str, ...]) -> EvalsConfig:
    fail, expect = check.fail, check.expect
    where: Where = ("evals",)
    expect(where, data, dict, "a mapping")
    defaults = EvalsConfig()
    for key in data:
        if key not in EvalsConfig.__dataclass_fields__:
            known = ", ".join(EvalsConfig.__dataclass_fields__)
            raise fail((*where, key), f"unknown key; expected one of {known}")
    runner = data.get("runner", defaults.runner)
    expect((*where, "runner"), runner, str, "a runner name")
    if runner != defaults.runner:  # the default is valid; an application start skips the import
        from promptreg.project.runner_spec import parse_runner

        try:
            parse_runner(runner)
        except ValueError as err:
            raise fail((*where, "runner"), str(err)) from None
    number = (int, float)
    checks: dict[str, tuple[type | tuple[type, ...], Any, str]] = {
        "jobs": (int, lambda v: v >= 1, "a positive number of requests in flight"),
        "timeout": (number, lambda v: v > 0, "a positive number of seconds"),
        "retries": (int, lambda v: v >= 0, "a number of retries, 0 or more"),
        "backoff": (number, lambda v: v >= 0, "a number of seconds, 0 or more"),
        "tolerance": (number, lambda v: 0 <= v <= 1, "a number from 0 to 1"),
    }
    values: dict[str, Any] = {}
    for key, (kind, ok, what) in checks.items():
        value = data.get(key, getattr(defaults, key))
        expect((*where, key), value, kind, what)
        if not ok(value):
            raise fail((*where, key), f"must be {what}, not {value!r}")
        values[key] = value
    cache_dir = data.get("cache_dir", defaults.cache_dir)
    expect((*where, "cache_dir"), cache_dir, str, "a directory (relative to the root)")
    if not cache_dir:
        raise fail((*where, "cache_dir"), "must be a directory (relative to the root)")
    required = data.get("require_model_run", [])
    expect((*where, "require_model_run"), required, list, "a list of environment names")
    for i, env in enumerate(required):
        if env not in environments:
            raise fail(
                (*where, "require_model_run", i),
                f"{env!r} is not an environment (environments: {', '.join(environments)})",
            )
    return EvalsConfig(
        runner=runner, cache_dir=cache_dir, require_model_run=tuple(required), **values
    )


def _parse_pricing(data: Any, where: Where, check: _Checker) -> Pricing:
    fail, expect = check.fail, check.expect
    expect(where, data, dict, "a mapping with `as_of` and `models`")
    for key in data:
        if key not in ("as_of", "models"):
            raise fail((*where, key), "unknown key; expected as_of or models")
    as_of = data.get("as_of")
    if as_of is not None:
        expect((*where, "as_of"), as_of, str, 'a date string such as "2026-01-31"')
    models = data.get("models", {})
    expect((*where, "models"), models, dict, "a mapping of model name to {input, output}")
    prices: dict[str, Price] = {}
    for model, entry in models.items():
        at = (*where, "models", model)
        expect(at, entry, dict, "a mapping {input: USD per 1M tokens, output: USD per 1M tokens}")
        if set(entry) != {"input", "output"}:
            raise fail(at, "needs exactly `input` and `output` (USD per 1M tokens)")
        for side in ("input", "output"):
            expect((*at, side), entry[side], (int, float), "a price in USD per 1M tokens")
        prices[str(model)] = Price(float(entry["input"]), float(entry["output"]))
    return Pricing(as_of, prices)


@cache
def default_pricing() -> Pricing:
    """The dated price table shipped in the package (`promptreg/data/pricing.yaml`)."""
    shown = "promptreg/data/pricing.yaml"
    text = (DATA_DIR / "pricing.yaml").read_text("utf-8")
    doc = read_yaml(text)
    return _parse_pricing(doc.data, (), _Checker(doc, shown))
