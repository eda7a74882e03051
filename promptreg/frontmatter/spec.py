"""The typed front-matter of a prompt file: what `schema.parse_spec` builds from YAML."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from promptreg.frontmatter.structured import OutputSpec, ToolSpec

INPUT_TYPES: Final = ("string", "integer", "number", "boolean", "array", "object")
METRIC_KINDS: Final = (
    "exact",
    "contains",
    "regex",
    "json_valid",
    "json_schema",
    "similarity",
    "judge",
    "python",
)


class _Missing:
    """Marks an input with no default (None is a legitimate default)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True)
class ModelSpec:
    provider: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "name": self.name, "params": dict(self.params)}


@dataclass(frozen=True)
class InputSpec:
    name: str
    type: str
    required: bool = False
    default: Any = MISSING
    enum: tuple[Any, ...] | None = None
    max_chars: int | None = None
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "required": self.required}
        if self.default is not MISSING:
            out["default"] = self.default
        if self.enum is not None:
            out["enum"] = list(self.enum)
        if self.max_chars is not None:
            out["max_chars"] = self.max_chars
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Budget:
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str
    threshold: float | None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Evals:
    dataset: str | None = None
    metrics: tuple[Metric, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    content_hash: str | None = None
    evaluated_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    # What the scores were measured on and by (see promptreg/evals/provenance.py): the
    # dataset's sha256, the metric definitions' (thresholds aside), the files metrics read
    # (path -> sha256; None: not recorded) and the runner (`{kind, model, host, command,
    # function}`; None: not recorded, runner unknown).
    dataset_hash: str | None = None
    metrics_hash: str | None = None
    metric_files: Mapping[str, str] | None = None
    runner: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PromptSpec:
    """Everything the front-matter says, typed. `raw` is the parsed YAML as written."""

    version: str
    model: ModelSpec | None
    inputs: Mapping[str, InputSpec]
    description: str | None = None
    owners: tuple[str, ...] = ()
    budget: Budget | None = None
    sample: Mapping[str, Any] | None = None
    evals: Evals | None = None
    output: OutputSpec | None = None  # the response asked for (issue 12 §4)
    tools: tuple[ToolSpec, ...] = ()  # function tools the model may call
    metadata: Mapping[str, Any] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)
    # A `.prompty` file (issue 12 §1): `prompty1`/`prompty2`, whose rendering rules apply
    # (promptreg/prompty.py); `soft_names` are names a Mustache section may find in its item.
    dialect: str | None = None
    # `whitespace: keep` (issue 12 §3): messages byte for byte (template/render.py keep_edges)
    whitespace: str = "trim"
    soft_names: frozenset[str] = frozenset()
    source_body: str | None = None  # the `.prompty` body as written (what `diff` shows)
