"""`promptreg site`: every page kind, escaping of everything a user wrote, determinism, and
the atomic, incremental write."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from promptreg.errors import UsageError, WriteError
from promptreg.site.html import el, render
from promptreg.site.output import MARKER, write_site
from tests.conftest import Result, Workspace
from tests.site_support import REASON, XSS, build_site_repo

PAGES = (
    "index.html",
    "environments.html",
    "audit.html",
    "prompts/support/triage.html",
    "prompts/summarize.html",
)


@pytest.fixture
def site_repo(repo: Workspace, run: Callable[..., Result]) -> Workspace:
    build_site_repo(repo, run)
    return repo


class Parsed(HTMLParser):
    """Every element (tag, attributes) and all text of a page, as a browser's parser sees it."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def generate(run: Callable[..., Result], out: Path, *extra: str) -> Result:
    result = run("site", "-o", str(out), *extra)
    assert result.code == 0, result.err
    return result


def test_every_page_kind_is_generated(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = generate(run, out)
    assert f"{out / 'index.html'}" in result.out
    for page in (*PAGES, "assets/site.css", "assets/site.js"):
        assert (out / page).is_file(), page
    catalog = (out / "index.html").read_text()
    for expected in ("support/triage", "summarize", "1.2.0", "fresh", "missing"):
        assert expected in catalog
    prompt = (out / "prompts/support/triage.html").read_text()
    for expected in ("Running now", "Deployment timeline", "Eval scores by version", "1.1.0"):
        assert expected in prompt
    assert "cost per 1,000 calls" in prompt and "sample tokens" in prompt


def test_everything_a_user_wrote_is_text_never_markup(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    generate(run, out)
    for page in PAGES:
        parsed = Parsed((out / page).read_text(encoding="utf-8"))
        tags = {tag for tag, _ in parsed.elements}
        assert not tags & {"img", "b", "i"}, (page, tags)
        scripts = [a for tag, a in parsed.elements if tag == "script"]
        assert len(scripts) == 1 and str(scripts[0].get("src")).endswith("assets/site.js")
        for tag, attrs in parsed.elements:
            assert not any(name.startswith("on") for name in attrs), (page, tag, attrs)
    texts = {page: "".join(Parsed((out / page).read_text()).text) for page in PAGES}
    assert f"Label a ticket {XSS}" in texts["index.html"]  # description: shown as text
    assert "<b>eve</b>" in texts["index.html"]  # owner
    prompt = texts["prompts/support/triage.html"]
    assert "<img src=x onerror=alert(2)>" in prompt  # metadata
    assert f"Never output {XSS} or </pre> as such." in prompt  # prompt text, rendered sample
    assert "the <i>ticket</i>" in prompt  # an input's description
    assert REASON in prompt and REASON in texts["audit.html"]  # the reason in a tag message


@settings(max_examples=200, deadline=None)
@given(text=st.text(), value=st.text())
def test_text_and_attribute_values_round_trip_through_a_parser(text: str, value: str) -> None:
    """Whatever the string, it comes back as the same text and attribute value: one element,
    no other markup."""
    text = text.replace("\r", "").replace("\0", "")  # what HTML's parser normalises anyway
    value = value.replace("\r", "").replace("\0", "")
    parsed = Parsed(render(el("td", {"title": value}, text)))
    assert parsed.elements == [("td", {"title": value})]
    assert "".join(parsed.text) == text


def test_same_repository_same_bytes(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    generate(run, a)
    generate(run, b)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def _inodes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): p.stat().st_ino
        for p in root.rglob("*")
        if p.is_file() and p.name != MARKER
    }


def test_regenerating_rewrites_only_the_pages_that_changed(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    generate(run, out)
    before = _inodes(out)
    again = generate(run, out, "--json")
    assert '"written": []' in again.out
    assert _inodes(out) == before  # nothing touched at all
    assert run("promote", "summarize", "--to", "staging").code == 0
    result = generate(run, out)
    after = _inodes(out)
    changed = sorted(rel for rel in after if after[rel] != before.get(rel))
    assert changed == ["audit.html", "environments.html", "index.html", "prompts/summarize.html"]
    assert "4 page(s) written" in result.out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # no leftovers


def test_base_url_makes_every_link_absolute_under_it(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    generate(run, out, "--base-url", "https://example.org/team/registry/")
    for page in PAGES:
        for tag, attrs in Parsed((out / page).read_text()).elements:
            link = attrs.get("href") or (attrs.get("src") if tag == "script" else None)
            if link and not link.startswith(("#", "data:,")):  # (the empty icon)
                assert link.startswith("https://example.org/team/registry/"), (page, link)


def test_every_relative_link_resolves_to_a_file(
    site_repo: Workspace, run: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    generate(run, out)
    checked = 0
    for path in out.rglob("*.html"):
        page = path.relative_to(out).as_posix()
        for tag, attrs in Parsed(path.read_text()).elements:
            link = attrs.get("href") or (attrs.get("src") if tag == "script" else None)
            if not link or link.startswith("#") or link == "data:,":  # (the empty icon)
                continue
            assert not urlsplit(link).scheme, (page, link)  # nothing external
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(link)))
            assert (out / target.split("#")[0]).is_file(), (page, link)
            checked += 1
    assert checked > 20


def test_refuses_a_directory_it_did_not_create(tmp_path: Path) -> None:
    mine = tmp_path / "home"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="did not create"):
        write_site(mine, {"index.html": b"x"})
    assert (mine / "notes.txt").read_text() == "keep me"
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        write_site(tmp_path / "file", {"index.html": b"x"})
    empty = tmp_path / "empty"
    empty.mkdir()
    write_site(empty, {"index.html": b"x"})
    assert (empty / "index.html").read_bytes() == b"x"


def test_a_failed_write_leaves_the_old_site_whole(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"old", "a.html": b"old a"})
    # "a.html/b.html" cannot be written once "a.html" is a file: the write fails half-way.
    with pytest.raises(WriteError):
        write_site(out, {"a.html": b"new a", "a.html/b.html": b"x", "index.html": b"new"})
    assert (out / "index.html").read_bytes() == b"old"
    assert (out / "a.html").read_bytes() == b"old a"
    assert sorted(os.listdir(tmp_path)) == ["site"]


def test_pages_removed_from_the_site_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, {"index.html": b"i", "prompts/gone.html": b"g"})
    done = write_site(out, {"index.html": b"i"})
    assert done.removed == ["prompts/gone.html"] and done.written == []
    assert not (out / "prompts").exists()
