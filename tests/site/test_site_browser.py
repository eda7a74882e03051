"""The registry site as a person sees it: a real headless Chromium (Debian's `chromium`,
driven by Playwright's Python API with `executable_path`; Playwright downloads nothing).

One browser for the module, one small generated repository, two sites: relative links opened
from `file://`, and `--base-url` links served over HTTP on 127.0.0.1 under a sub-path. Every
page reachable from the catalog is loaded once and must log no console error and fail no
request; every internal link must resolve. Screenshots of the catalog and a prompt page are
written under pytest's base temp directory (the path is printed at the end of the run).

Skipped, saying why, only where Chromium or Playwright is missing: `.ci/run` installs
Chromium on a fresh machine and `make test` installs Playwright with the dev extra.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from promptreg.cli import main
from tests.conftest import GIT_IDENTITY, Result, Workspace
from tests.site_support import XSS, build_site_repo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (it is in the dev extra)"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (`apt-get install chromium`; .ci/run does)"
)


def _cli(*args: str) -> Result:
    code = main(list(args))
    return Result(int(code), "", "")


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as mp:
        home = base / "home"
        home.mkdir()
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_GLOBAL"):
            mp.delenv(var, raising=False)
        for key, value in GIT_IDENTITY.items():
            mp.setenv(key, value)
        (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        root = base / "repo"
        root.mkdir()
        mp.chdir(root)
        ws = Workspace(root)
        ws.write("prompts/partials/tone.j2", "Be brief.\n")
        build_site_repo(ws, _cli)
        assert _cli("site", "-o", str(base / "site")).code == 0
        served = base / "www"
        assert _cli("site", "-o", str(served / "sub"), "--base-url", "/sub/").code == 0
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {
            "file": (base / "site").as_uri() + "/",
            "http": f"http://127.0.0.1:{server.server_address[1]}/sub/",
            "shots": tmp_path_factory.getbasetemp() / "site-screenshots",
        }
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield launched
        launched.close()


def _crawl(browser: Any, start: str) -> dict[str, list[str]]:
    """Every page reachable from `start` under the same root: each one's problems (console
    errors, failed requests, links that do not resolve)."""
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
    seen: dict[str, list[str]] = {}
    todo = [start + "index.html"]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        problems.clear()
        response = page.goto(url)
        if response is None or not response.ok:
            problems.append(f"not found: {url}")
        seen[url] = problems[:]
        if problems:
            continue
        for link in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target, _ = urldefrag(link)
            if target.startswith(start):
                todo.append(target)
            else:
                seen.setdefault(f"external link {link} on {url}", ["external"])
    context.close()
    return seen


@pytest.mark.parametrize("kind", ["file", "http"])
def test_every_page_loads_cleanly_and_every_link_resolves(
    browser: Any, sites: dict[str, Any], kind: str
) -> None:
    seen = _crawl(browser, sites[kind])
    bad = {url: p for url, p in seen.items() if p}
    assert not bad
    pages = sorted(urlsplit(u).path.removeprefix(urlsplit(sites[kind]).path) for u in seen)
    assert pages == [
        "audit.html",
        "environments.html",
        "index.html",
        "prompts/summarize.html",
        "prompts/support/triage.html",
    ]


def test_the_filter_narrows_the_catalog(browser: Any, sites: dict[str, Any]) -> None:
    page = browser.new_page()
    page.goto(sites["file"] + "index.html")
    rows = page.locator("#catalog tbody tr")
    assert rows.count() == 2
    page.fill("input[data-key=text]", "summ")
    assert page.locator("#catalog tbody tr:visible").count() == 1
    page.fill("input[data-key=text]", "")
    page.select_option("select[data-key=status]", "fresh")
    visible = page.locator("#catalog tbody tr:visible")
    assert visible.count() == 1 and "support/triage" in visible.inner_text()
    page.select_option("select[data-key=status]", "")
    page.select_option("select[data-key=env]", "prod")
    assert page.locator("#catalog tbody tr:visible").count() == 1
    assert "1 of 2 shown" in page.inner_text("#catalog-count")
    page.close()


def test_pages_work_with_javascript_off(browser: Any, sites: dict[str, Any]) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(sites["file"] + "index.html")
    assert page.locator("#catalog tbody tr:visible").count() == 2
    assert not page.locator(".filters").is_visible()  # no dead controls
    context.close()


def test_the_chart_has_one_point_per_evaluated_version(
    browser: Any, sites: dict[str, Any], pytestconfig: pytest.Config
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(sites["file"] + "prompts/support/triage.html")
    chart = page.locator("figure[data-metric=accuracy] svg")
    assert chart.locator("circle.point").count() == 3  # 1.0.0, 1.1.0, 1.2.0 all evaluated
    deployed = chart.locator("circle.point.deployed")
    versions = sorted(
        deployed.nth(i).get_attribute("data-version") for i in range(deployed.count())
    )
    assert versions == ["1.0.0", "1.1.0"]  # prod runs 1.0.0; dev (rolled back) and staging 1.1.0
    assert chart.locator("line.threshold").count() == 1
    assert XSS in page.inner_text("main")  # shown as text, and no dialog was opened
    shots: Path = sites["shots"]
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "prompt.png"), full_page=True)
    page.goto(sites["file"] + "index.html")
    page.screenshot(path=str(shots / "catalog.png"), full_page=True)
    assert (shots / "catalog.png").stat().st_size > 10_000
    page.close()
    _say_at_the_end(pytestconfig, f"site screenshots: {shots}/catalog.png, {shots}/prompt.png")


class _Summary:
    """A plugin registered during the run: one line in pytest's closing summary."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(self.line)


def _say_at_the_end(config: pytest.Config, line: str) -> None:
    name = "promptreg-site-screenshots"
    if not config.pluginmanager.has_plugin(name):
        config.pluginmanager.register(_Summary(line), name)
