"""The site's list pages: the catalog, the environments (drift) and the audit log."""

from __future__ import annotations

from promptreg.registry.verdicts import Rejected
from promptreg.site.html import Html, el, row
from promptreg.site.layout import (
    AUDIT,
    CATALOG,
    ENVIRONMENTS,
    Links,
    action,
    badge,
    filters,
    joined,
    page,
    prompt_page,
    select_filter,
    table,
    text_filter,
    when,
    who,
)
from promptreg.site.model import BELOW, FRESH, MISSING, STALE, SiteData


def catalog(data: SiteData, links: Links) -> bytes:
    envs = list(data.environments)
    rows = []
    for entry in data.prompts:
        s = entry.summary
        running = [(env, d) for env, d in entry.running.items() if d is not None]
        last = entry.last
        text = " ".join([s.name, *s.owners, s.model or "", s.description or ""])
        rows.append(
            el(
                "tr",
                {
                    "data_text": text,
                    "data_owner": joined(list(s.owners)),
                    "data_model": s.model or "",
                    "data_env": joined([env for env, _ in running]),
                    "data_status": s.eval_status,
                },
                el("td", None, el("a", {"href": links.href(CATALOG, prompt_page(s.name))}, s.name)),
                el("td", None, s.version or "—"),
                el(
                    "td",
                    None,
                    s.description or "" if s.version else el("span", {"class": "muted"}, s.note),
                ),
                el("td", None, ", ".join(s.owners)),
                el("td", None, s.model or ""),
                [el("td", None, d.version if d else "—") for d in (entry.running[e] for e in envs)],
                el(
                    "td",
                    None,
                    f"{when(last.date)[:16]} {last.env}, {who(last.tagger)}" if last else "never",
                ),
                el("td", None, badge(s.eval_status)),
            )
        )
    owners_all = sorted({o for e in data.prompts for o in e.summary.owners})
    models = sorted({e.summary.model for e in data.prompts if e.summary.model})
    body = [
        el("h1", None, "Prompts"),
        el(
            "p",
            {"class": "muted"},
            f"{_n(len(data.prompts), 'prompt')}, {_n(len(data.audit), 'deployment')}.",
        ),
        filters(
            "catalog",
            [
                text_filter("Filter by name, owner, model, description"),
                select_filter("owner", "owner", owners_all),
                select_filter("model", "model", models),
                select_filter("env", "environment", envs),
                select_filter("status", "eval status", [FRESH, STALE, MISSING, BELOW]),
            ],
        ),
        table(
            (
                "Prompt",
                "Version",
                "Description",
                "Owners",
                "Model",
                *envs,
                "Last deployment",
                "Evals",
            ),
            rows,
            id="catalog",
        ),
    ]
    return page(links, CATALOG, "Prompts", body, head=data.head)


def environments(data: SiteData, links: Links) -> bytes:
    envs = list(data.environments)
    rows: list[Html] = []
    drift = 0
    for entry in data.prompts:
        versions = [d.version if d else None for d in (entry.running[e] for e in envs)]
        if not any(versions):
            continue
        differs = len(set(versions)) > 1
        drift += differs
        tree = entry.summary.tree_version
        rows.append(
            el(
                "tr",
                {
                    "class": "drift" if differs else None,
                    "data_text": entry.name,
                    "data_drift": "differs" if differs else "same",
                },
                el(
                    "td",
                    None,
                    el(
                        "a", {"href": links.href(ENVIRONMENTS, prompt_page(entry.name))}, entry.name
                    ),
                ),
                [el("td", None, v or "—") for v in versions],
                el("td", None, tree or "—"),
                el("td", None, "differs" if differs else "same"),
            )
        )
    summary = [
        el(
            "li",
            None,
            f"{env}: {_n(sum(1 for e in data.prompts if e.running[env] is not None), 'prompt')}",
        )
        for env in envs
    ]
    body = [
        el("h1", None, "Environments"),
        el("ul", None, summary),
        el(
            "p",
            None,
            f"{_n(drift, 'prompt')} {'runs' if drift == 1 else 'run'} different versions across "
            "environments (highlighted).",
        ),
        filters(
            "envs",
            [text_filter("Filter by prompt"), select_filter("drift", "rows", ["differs", "same"])],
        ),
        table(("Prompt", *envs, "Working tree", "Drift"), rows, id="envs"),
    ]
    return page(links, ENVIRONMENTS, "Environments", body, head=data.head)


def audit(data: SiteData, links: Links) -> bytes:
    anchors: dict[str, Html] = {}  # one link per prompt, reused by its every row
    for d in data.audit:
        if d.name not in anchors:
            anchors[d.name] = el("a", {"href": links.href(AUDIT, prompt_page(d.name))}, d.name)
    rows = [
        row(
            {"data_text": d.name, "data_env": d.env, "data_person": who(d.tagger)},
            (
                when(d.date),
                d.env,
                anchors[d.name],
                el("span", {"class": "forced"}, action(d)) if d.forced else action(d),
                d.version,
                who(d.tagger),
                d.reason or "",
                el("code", None, d.tag),
            ),
        )
        for d in data.audit
    ]
    people = sorted({who(d.tagger) for d in data.audit})
    body: list[Html] = [
        el("h1", None, "Audit log"),
        el("p", {"class": "muted"}, f"Every deployment, newest first ({len(data.audit):,})."),
        filters(
            "audit",
            [
                text_filter("Filter by prompt"),
                select_filter("env", "environment", list(data.environments)),
                select_filter("person", "person", people),
            ],
        ),
        table(
            ("When", "Env", "Prompt", "Action", "Version", "Who", "Reason", "Tag"), rows, id="audit"
        ),
    ]
    if data.rejected:
        body += [
            el("h2", None, f"Tags that do not count ({len(data.rejected):,})"),
            el(
                "p",
                {"class": "muted"},
                "Deployment-shaped tags the read model rejects (see `promptreg verify`).",
            ),
            rejected_table(data.rejected),
        ]
    return page(links, AUDIT, "Audit log", body, head=data.head)


def rejected_table(rejected: list[Rejected]) -> Html:
    return table(
        ("Tag", "When", "Who", "Why it does not count"),
        [
            el(
                "tr",
                None,
                el("td", None, el("code", None, r.tag)),
                el("td", None, when(r.date)),
                el("td", None, who(r.tagger)),
                el("td", None, r.reason),
            )
            for r in rejected
        ],
    )


__all__ = ["audit", "catalog", "environments", "rejected_table"]


def _n(count: int, word: str) -> str:
    """`1 prompt`, `2,000 prompts`: the word agreeing with the count."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
