"""A prompt's page: what it is, what it costs, where it runs, how it got there, and how
its eval scores moved from version to version."""

from __future__ import annotations

from typing import Any

from promptreg.app.diff import PromptDiff
from promptreg.app.report import limit_text, tokens_text
from promptreg.errors import PromptregError
from promptreg.site.chart import score_chart
from promptreg.site.html import Html, el
from promptreg.site.layout import Links, action, badge, page, prompt_page, table, when, who
from promptreg.site.lists import rejected_table
from promptreg.site.model import PromptEntry, SiteData
from promptreg.template.media import content_text
from promptreg.template.prompt import Prompt


def prompt_html(data: SiteData, entry: PromptEntry, links: Links) -> bytes:
    here = prompt_page(entry.name)
    shown = entry.newest
    body: list[Html] = [
        el(
            "h1",
            None,
            entry.name,
            " ",
            el("span", {"class": "muted"}, shown.version if shown else ""),
        )
    ]
    if entry.tree_error:
        body.append(el("p", {"class": "muted"}, f"Working tree: {entry.tree_error}"))
    if shown is not None:
        body += _about(entry, shown)
    body += _running(entry, data.environments)
    body += _evals(entry)
    body += _timeline(entry, data.environments)
    body += _versions(entry)
    # No commit in the footer: a page changes only when what it shows does (see output.py).
    return page(links, here, entry.name, body, head=None)


def _about(entry: PromptEntry, p: Prompt) -> list[Html]:
    spec = p.spec
    facts: list[tuple[str, Any]] = [("file", p.shown_path)]
    if spec.description:
        facts.append(("description", spec.description))
    facts.append(("owners", ", ".join(spec.owners) or "none"))
    if spec.model:
        params = ", ".join(f"{k}={v}" for k, v in spec.model.params.items())
        facts.append(
            (
                "model",
                f"{spec.model.provider}/{spec.model.name}" + (f" ({params})" if params else ""),
            )
        )
    facts.append(("content hash", el("code", None, p.content_hash)))
    facts.append(("partials", ", ".join(p.partials) or "none"))
    facts.append(("eval status", badge(entry.eval_status)))
    for key, value in sorted(spec.metadata.items()):
        facts.append((f"metadata.{key}", str(value)))
    out = [el("dl", {"class": "facts"}, [[el("dt", None, k), el("dd", None, v)] for k, v in facts])]
    if spec.inputs:
        out.append(el("h2", None, "Inputs"))
        rows = []
        for name, s in spec.inputs.items():
            facts_ = []
            if s.default is not None and repr(s.default) != "MISSING":
                facts_.append(f"default {s.default!r}")
            if s.enum:
                facts_.append("one of " + "|".join(str(v) for v in s.enum))
            if s.max_chars:
                facts_.append(f"max {s.max_chars:,} chars")
            rows.append(
                el(
                    "tr",
                    None,
                    el("td", None, el("code", None, name)),
                    el("td", None, s.type),
                    el("td", None, "required" if s.required else "optional"),
                    el("td", None, ", ".join(facts_)),
                    el("td", None, s.description or ""),
                )
            )
        out.append(table(("Input", "Type", "", "Constraints", "Description"), rows))
    out += _budget(entry)
    out += _sample(p)
    return out


def _budget(entry: PromptEntry) -> list[Html]:
    r = entry.report
    if r is None:
        return []
    budget = r.prompt.spec.budget
    facts: list[tuple[str, str]] = []
    if budget:
        facts.append(("max input tokens", limit_text(budget.max_input_tokens)))
        facts.append(("max output tokens", limit_text(budget.max_output_tokens)))
    if r.sample_tokens:
        t = r.sample_tokens
        facts.append(("sample tokens", tokens_text(t)))
    elif r.sample_error:
        facts.append(("sample tokens", f"the sample does not render: {r.sample_error}"))
    if r.cost:
        c = r.cost
        out = (
            f"output at most {c.output_tokens:,} tokens"
            if c.output_tokens
            else "output not included"
        )
        facts.append(
            (
                "cost per 1,000 calls",
                f"${c.per_call * 1000:,.2f} ({out}; prices as of {c.prices_as_of or 'unknown'})",
            )
        )
    if not facts:
        return []
    return [
        el("h2", None, "Budget and cost"),
        el("dl", {"class": "facts"}, [[el("dt", None, k), el("dd", None, v)] for k, v in facts]),
    ]


def _sample(p: Prompt) -> list[Html]:
    if p.sample is None:
        return []
    out = [el("h2", None, "Rendered sample")]
    try:
        rendered = p.render_inputs(p.sample, check_budget=False)
    except PromptregError as err:
        return [*out, el("p", None, f"The sample does not render: {err.message}")]
    if rendered.text is not None:
        return [*out, el("pre", None, rendered.text)]
    for m in rendered.messages:
        text = content_text(m["content"])  # a media part as `[image: URL]`, never fetched
        out += [el("div", {"class": "role"}, str(m["role"])), el("pre", None, text)]
    return out


def _running(entry: PromptEntry, envs: tuple[str, ...]) -> list[Html]:
    rows = []
    for env in envs:
        d = entry.running[env]
        if d is None:
            rows.append(
                el(
                    "tr",
                    None,
                    el("td", None, env),
                    el("td", {"colspan": 4, "class": "muted"}, "not deployed"),
                )
            )
        else:
            rows.append(
                el(
                    "tr",
                    None,
                    el("td", None, env),
                    el("td", None, d.version),
                    el("td", None, when(d.date)),
                    el("td", None, who(d.tagger)),
                    el("td", None, el("code", None, d.tag)),
                )
            )
    return [
        el("h2", None, "Running now"),
        table(("Environment", "Version", "Since", "Who", "Tag"), rows),
    ]


def _timeline(entry: PromptEntry, envs: tuple[str, ...]) -> list[Html]:
    out = [el("h2", None, "Deployment timeline")]
    was = {d.tag: d.version for d in entry.deployments}  # what the tag before each one deployed
    if not entry.deployments:
        out.append(el("p", {"class": "muted"}, "Never deployed."))
    for env in envs:
        ds = [d for d in entry.deployments if d.env == env]
        if not ds:
            continue
        rows = [
            el(
                "tr",
                None,
                el("td", None, str(d.seq)),
                el("td", None, when(d.date)),
                el("td", {"class": "forced" if d.forced else None}, action(d)),
                el(
                    "td",
                    None,
                    d.version + (f" (was {was[d.previous]})" if d.previous in was else ""),
                ),
                el("td", None, who(d.tagger)),
                el("td", None, d.reason or ""),
            )
            for d in ds
        ]
        out += [
            el("h3", {"id": f"env-{env}"}, env),
            table(("Seq", "When", "Action", "Version", "Who", "Reason"), rows),
        ]
    if entry.rejected:
        out += [el("h3", None, "Tags that do not count"), rejected_table(entry.rejected)]
    return out


def _evals(entry: PromptEntry) -> list[Html]:
    metrics: dict[str, float | None] = {}
    for v in entry.versions:
        ev = v.prompt.evals if v.prompt is not None else None
        if ev is None:
            continue
        for m in ev.metrics:
            metrics[m.name] = m.threshold  # the newest version's threshold wins
        for name in ev.scores:
            metrics.setdefault(name, None)
    shown = entry.newest
    if shown is not None and shown.evals is not None:
        for m in shown.evals.metrics:
            metrics[m.name] = m.threshold
    if not metrics:
        return []
    deployed: dict[str, list[str]] = {}
    for env, d in entry.running.items():
        if d is not None:
            deployed.setdefault(d.version, []).append(env)
    out = [el("h2", None, "Eval scores by version")]
    for name in sorted(metrics):
        points = [(v.version, float(v.scores[name])) for v in entry.versions if name in v.scores]
        out.append(el("h3", None, name))
        if not points:
            out.append(el("p", {"class": "muted"}, "No released version has a score for it."))
            continue
        out.append(
            el(
                "figure",
                {"class": "chart", "data_metric": name},
                score_chart(name, points, metrics[name], deployed),
            )
        )
    return out


def _versions(entry: PromptEntry) -> list[Html]:
    out = [el("h2", None, "Versions")]
    if not entry.versions:
        return [*out, el("p", {"class": "muted"}, "No released or deployed version.")]
    for v in reversed(entry.versions):
        kind = "released" if v.released else "deployed (no release tag)"
        out.append(
            el(
                "h3",
                {"id": f"v{v.version}"},
                v.version,
                " ",
                el("span", {"class": "muted"}, f"{kind}, commit {v.commit[:12]}"),
            )
        )
        if v.error:
            out.append(el("p", None, f"Does not load: {v.error}"))
        elif v.diff is None:
            out.append(el("p", {"class": "muted"}, "The first version."))
        else:
            out += _diff(v.diff)
    return out


def _diff(d: PromptDiff) -> list[Html]:
    if not d.differs:
        return [el("p", {"class": "muted"}, "No differences.")]
    out: list[Html] = []
    if d.changes:
        out.append(el("ul", None, [el("li", None, c) for c in d.changes]))
    lines = [*d.body, *(x for _, diff in d.partials for x in diff)]
    if lines:
        out.append(el("details", {"open": True}, el("summary", None, "body diff"), diff_pre(lines)))
    if d.rendered:
        out.append(
            el("details", None, el("summary", None, "rendered sample diff"), diff_pre(d.rendered))
        )
    return out


def diff_pre(lines: list[str]) -> Html:
    spans = []
    for line in lines:
        cls = None
        if line.startswith(("+++", "---")):
            cls = "muted"
        elif line.startswith("+"):
            cls = "add"
        elif line.startswith("-"):
            cls = "del"
        elif line.startswith("@@"):
            cls = "hunk"
        spans.append(el("span", {"class": cls}, line or " "))
    return el("pre", {"class": "diff"}, spans)
