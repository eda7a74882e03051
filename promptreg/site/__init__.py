"""`promptreg site`: the registry as a static web site, with no server.

    generate(registry, Path("site"))         # all of the below, with the cache (cache.py)
    data = collect(registry)                 # read.py: one read of tree, tags, releases
    pages = build_pages(data, base_url=None) # path → bytes, deterministic
    write_site(Path("site"), pages)          # output.py: atomic swap, unchanged pages kept

Pages are built by construction from escaped parts (html.py), never from a template engine.
A layer after hooks/: it shows what the layers below compute (the read model of deployments,
`show`'s report, `diff`, the eval gate's freshness) and decides nothing about prompts itself.
"""

from __future__ import annotations

from pathlib import Path

from promptreg.registry.runtime import Registry
from promptreg.site.assets import CSS, JS
from promptreg.site.cache import SiteCache
from promptreg.site.layout import (
    AUDIT,
    CATALOG,
    CSS_PATH,
    ENVIRONMENTS,
    JS_PATH,
    Links,
    prompt_page,
)
from promptreg.site.lists import audit, catalog, environments
from promptreg.site.model import SiteData
from promptreg.site.output import KEEP, Keep, Written, write_site
from promptreg.site.prompt_view import prompt_html
from promptreg.site.read import collect, summaries

__all__ = ["SiteData", "Written", "build_pages", "collect", "generate", "write_site"]


def build_pages(data: SiteData, *, base_url: str | None = None) -> dict[str, bytes | Keep]:
    """Every file of the site, by relative path (KEEP: the page the last run wrote)."""
    links = Links(base_url)
    pages: dict[str, bytes | Keep] = {
        CSS_PATH: CSS.encode("utf-8"),
        JS_PATH: JS.encode("utf-8"),
        CATALOG: catalog(data, links),
        ENVIRONMENTS: environments(data, links),
        AUDIT: audit(data, links),
    }
    for listing in data.prompts:
        page = prompt_page(listing.name)
        detail = listing.detail
        pages[page] = KEEP if detail is None else prompt_html(data, detail, links)
    return pages


def generate(
    registry: Registry, out: Path, *, base_url: str | None = None, cache: bool = True
) -> Written:
    """Generate the site of `registry` into `out` (replaced atomically). `cache`: keep what
    this run judged and built for the next (cache.py), and use what the last one kept."""
    kept = SiteCache.open(registry, out, base_url) if cache else None
    data = collect(registry, kept, out)
    done = write_site(out, build_pages(data, base_url=base_url))
    if kept is not None:
        kept.save(out, summaries(data))
    return done
