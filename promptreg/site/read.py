"""Read everything the site shows in one pass: every ref under `prompts/` listed once, the
tags judged in pipelined batches by the read model (deployments.py), and each prompt's page
data built, unless the cache (cache.py) says its page is unchanged since the last run."""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from promptreg.names import SUFFIX
from promptreg.registry.runtime import Registry
from promptreg.registry.tags import PREFIX, Deployment, parse_release
from promptreg.registry.verdicts import Candidate, Rejected, Verdict
from promptreg.site.cache import SiteCache, fingerprint
from promptreg.site.layout import prompt_page
from promptreg.site.model import Listing, SiteData, Summary, build_entry


def collect(
    registry: Registry, cache: SiteCache | None = None, out: Path | None = None
) -> SiteData:
    """Everything the site shows. With `cache` (and the `out` directory it describes), pages
    whose fingerprint is unchanged are not rebuilt (`Listing.detail` None)."""
    store = registry.store
    envs = registry.environments
    with registry.lock:
        candidates = registry.reader.list_refs([f"refs/tags/{PREFIX}"])
        verdicts = _judge(registry, candidates, cache)
        releases, release_refs = _releases(registry, cache)
    valid = sorted(
        (v for v in verdicts if isinstance(v, Deployment)), key=lambda d: d.order, reverse=True
    )
    rejected = sorted(
        (v for v in verdicts if isinstance(v, Rejected)),
        key=lambda r: (r.date, r.tag),
        reverse=True,
    )
    by_name: dict[str, list[Deployment]] = {}
    for d in valid:
        by_name.setdefault(d.name, []).append(d)
    rejected_by: dict[str, list[Rejected]] = {}
    for r in rejected:
        rejected_by.setdefault(r.name, []).append(r)
    refs: dict[str, list[bytes]] = {}
    for c in candidates:
        refs.setdefault(c.name, []).append(f"{c.ref}\0{c.object}".encode())
    for name, ref, obj in release_refs:
        refs.setdefault(name, []).append(f"{ref}\0{obj}".encode())
    project = registry.project
    in_tree = set(project.names())
    use_cache = cache is not None and cache.enabled and out is not None
    shared = _partials(project.prompts_dir) if use_cache else b""
    listings = []
    for name in sorted(in_tree | set(by_name) | set(releases)):
        deployments = by_name.get(name, [])
        running: dict[str, Deployment | None] = {env: None for env in envs}
        for d in reversed(deployments):  # oldest first: the newest valid one is what runs
            running[d.env] = d
        key = None
        if use_cache:
            assert cache is not None and out is not None
            key = _page_key(project.prompts_dir, name, name in in_tree, shared, refs.get(name, []))
            kept = cache.page(name, key, out / prompt_page(name)) if key else None
            if kept is not None:
                listings.append(Listing(Summary.from_json(kept), running, deployments, None, key))
                continue
        detail = build_entry(
            registry,
            name,
            in_tree=name in in_tree,
            deployments=deployments,
            rejected=rejected_by.get(name, []),
            released=releases.get(name, {}),
        )
        listings.append(Listing(Summary.of(detail), running, deployments, detail, key))
    head = store.rev_parse_commit("HEAD") if store.has_head() else None
    return SiteData(head, envs, listings, valid, rejected)


def _judge(
    registry: Registry, candidates: list[Candidate], cache: SiteCache | None
) -> list[Verdict]:
    """The read model's verdict on each candidate: kept ones from the cache, the rest judged
    in one batch."""
    if cache is None or not cache.enabled:
        return registry.reader.judge(candidates)
    found: dict[tuple[str, str], Verdict] = {}
    todo = []
    for c in candidates:
        kept = cache.verdict(c.ref, c.object)
        if kept is None:
            todo.append(c)
        else:
            found[(c.ref, c.object)] = kept
    for c, verdict in zip(todo, registry.reader.judge(todo), strict=True):
        found[(c.ref, c.object)] = verdict
        cache.keep_verdict(c.ref, c.object, verdict)
    return [found[(c.ref, c.object)] for c in candidates]


def _releases(
    registry: Registry, cache: SiteCache | None
) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, str]]]:
    """name → version → commit for every release tag that counts; and (name, ref, object)
    of every release-shaped tag (what a page's fingerprint covers)."""
    items = []
    for ref, obj, kind in registry.store.ref_objects(PREFIX):
        parsed = parse_release(ref)
        if parsed is not None:
            items.append((parsed[0], parsed[1], ref, obj, kind))
    use = cache is not None and cache.enabled
    kept = {i[2]: cache.release(i[2], i[3]) for i in items} if use and cache else {}
    todo = [i for i in items if kept.get(i[2]) is None]
    judged = dict(zip([i[2] for i in todo], registry.reader.releases(todo), strict=True))
    out: dict[str, dict[str, str]] = {}
    for name, version, ref, obj, _ in items:
        release = kept.get(ref) or judged[ref]
        if use and cache and ref in judged:
            cache.keep_release(ref, obj, release)
        if release.problem is None and release.commit is not None:
            out.setdefault(name, {})[version] = release.commit
    return out, [(i[0], i[2], i[3]) for i in items]


def _partials(prompts_dir: Path) -> bytes:
    """Every file under the prompts directory that is not a prompt (what includes reach),
    path and bytes: one change rebuilds every page (cheaper to hash than to trace)."""
    parts: list[bytes] = []
    for dirpath, dirs, names in os.walk(prompts_dir):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(SUFFIX):
                path = Path(dirpath) / name
                try:
                    parts += [os.fsencode(path), path.read_bytes()]
                except OSError:
                    parts += [os.fsencode(path), b"?"]
    return fingerprint(parts).encode()


def _page_key(
    prompts_dir: Path, name: str, in_tree: bool, shared: bytes, refs: list[bytes]
) -> str | None:
    """What the page of `name` is built from; None when that cannot be told cheaply (the
    file does not read, or it has an `evals:` block whose freshness reads other files)."""
    data = b""
    if in_tree:
        try:
            data = (prompts_dir / (name + SUFFIX)).read_bytes()
        except OSError:
            return None
        if b"evals:" in data:
            return None
    return fingerprint([name.encode(), data, shared, *sorted(refs)])


def summaries(data: SiteData) -> dict[str, tuple[str, dict[str, Any], str]]:
    """What the cache keeps of this run's pages: name → (fingerprint, summary, page)."""
    return {
        p.name: (p.fingerprint, asdict(p.summary), prompt_page(p.name))
        for p in data.prompts
        if p.fingerprint is not None
    }
