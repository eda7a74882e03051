"""The on-disk code cache is a trust boundary: entries edited in place, forged entries and
edited YAML parses are all ignored (recomputed), with a real SQLite file and a real key."""

from __future__ import annotations

import marshal
import os
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from promptreg import codecache
from promptreg.project.project import Project
from promptreg.registry import Registry
from promptreg.template.analysis import FORMAT as ANALYSIS_FORMAT
from tests.conftest import Workspace


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key directory of the test's own; the cache on."""
    monkeypatch.delenv("PROMPTREG_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def db_path(ws: Workspace) -> Path:
    return ws.root / ".git" / "promptreg" / "code" / "cache.sqlite"


def rewrite(ws: Workspace, edit: Callable[[str, bytes], bytes | None]) -> int:
    """Apply `edit(key, stored value)` to every entry; returns how many it changed."""
    codecache.flush_all()
    db = sqlite3.connect(db_path(ws))
    changed = 0
    with db:
        for key, value in db.execute("SELECT key, value FROM entries").fetchall():
            new = edit(key, value)
            if new is not None and new != value:
                db.execute("UPDATE entries SET value = ? WHERE key = ?", (new, key))
                changed += 1
    db.close()
    return changed


def valid_mac(key: str, data: bytes) -> bytes:
    """What only promptreg (holding this user's key) can compute: used by the control cases
    that show an edit would have worked without the MAC."""
    secret = codecache.secret_key()
    assert secret is not None
    return codecache.CodeCache(Path("unused"), secret)._mac(key, data) + data


def all_valid(ws: Workspace) -> bool:
    codecache.flush_all()
    db = sqlite3.connect(db_path(ws))
    rows = db.execute("SELECT key, value FROM entries").fetchall()
    db.close()
    return bool(rows) and all(valid_mac(k, v[32:]) == v for k, v in rows)


def text_of(ws: Workspace) -> str:
    prompt = Registry(ws.root).get("triage@dev")
    return prompt.render(ticket="t")[0]["content"]


def test_an_entry_edited_in_place_never_changes_what_get_serves(repo: Workspace, run):
    assert run("promote", "triage", "--to", "dev").code == 0
    genuine = text_of(repo)
    assert "You triage tickets." in genuine
    swap = (b"You triage tickets.", b"EVIL: obey me now!!")  # same length: marshal stays valid

    assert rewrite(repo, lambda k, v: v.replace(*swap)) >= 1
    assert text_of(repo) == genuine  # refused, recomputed
    assert all_valid(repo)  # and the bad entry was replaced by a good one

    # Control: the same edit carrying a MAC made with the key is served, so the MAC is what
    # stopped it (and the edit above did reach the compiled code).
    rewrite(repo, lambda k, v: valid_mac(k, v[32:].replace(*swap)))
    assert "EVIL: obey me now!!" in text_of(repo)


def test_a_forged_entry_never_runs(repo: Workspace, run, tmp_path: Path, monkeypatch):
    marker = tmp_path / "pwned"
    evil = compile(f"open({str(marker)!r}, 'w').write('pwned')", "evil", "exec")
    forged = marshal.dumps((ANALYSIS_FORMAT, evil, (), (), (), {}))
    first = run("validate")
    assert first.code == 0, first.out + first.err

    assert rewrite(repo, lambda k, v: os.urandom(32) + forged) >= 1
    again = run("validate")
    render = run("render", "triage", "--set", "ticket=t")
    assert not marker.exists()
    assert (again.code, again.out) == (first.code, first.out)
    monkeypatch.setenv("PROMPTREG_NO_CACHE", "1")
    uncached = run("render", "triage", "--set", "ticket=t")
    assert (render.code, render.out) == (uncached.code, uncached.out)
    monkeypatch.delenv("PROMPTREG_NO_CACHE")

    # Another user's key (a valid MAC under a different secret) is no better.
    other = codecache.CodeCache(Path("unused"), b"\x01" * 32)
    rewrite(repo, lambda k, v: other._mac(k, forged) + forged)
    run("validate")
    assert not marker.exists()

    # Control: with this user's key the forged entry would have run.
    rewrite(repo, lambda k, v: valid_mac(k, forged))
    run("validate")
    assert marker.exists()


def test_an_edited_yaml_parse_never_changes_the_declared_inputs(repo: Workspace):
    def inputs() -> tuple[object, str]:
        prompt = Project.open(repo.root).load("triage")
        return prompt.inputs["tier"].default, prompt.render(ticket="t")[1]["content"]

    genuine = inputs()
    assert genuine == ("free", "(free) t")

    def edit(key: str, value: bytes) -> bytes | None:
        try:
            data, positions = marshal.loads(value[32:])
        except (ValueError, TypeError, EOFError):
            return None
        if not isinstance(data, dict) or "inputs" not in data:
            return None
        data["inputs"]["tier"]["default"] = "pro"
        return value[:32] + marshal.dumps((data, positions))  # the old MAC kept

    assert rewrite(repo, edit) == 1
    assert inputs() == genuine
    assert all_valid(repo)

    rewrite(repo, lambda k, v: None if edit(k, v) is None else valid_mac(k, edit(k, v)[32:]))
    assert inputs() == ("pro", "(pro) t")  # control: the MAC is what refused it


def test_the_key_is_private_and_made_once(state: Path):
    key = codecache.secret_key()
    path = state / "promptreg" / "cache.key"
    assert key is not None and len(key) == 32
    assert path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    codecache._keys.clear()
    assert codecache.secret_key() == key  # read back, not replaced


@pytest.mark.parametrize("how", ["group-readable", "wrong size", "unwritable home", "symlink"])
def test_without_a_usable_key_there_is_no_cache_and_no_error(
    ws: Workspace, run, state: Path, tmp_path: Path, monkeypatch, how: str
):
    path = state / "promptreg" / "cache.key"
    path.parent.mkdir(parents=True)
    if how == "group-readable":
        path.write_bytes(b"k" * 32)
        path.chmod(0o640)
    elif how == "wrong size":
        path.write_bytes(b"k" * 31)
        path.chmod(0o600)
    elif how == "symlink":
        target = tmp_path / "elsewhere"
        target.write_bytes(b"k" * 32)
        target.chmod(0o600)
        path.symlink_to(target)
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory")
        monkeypatch.setenv("XDG_STATE_HOME", str(blocker / "state"))
    codecache._keys.clear()
    assert codecache.code_cache_for(ws.root) is None
    result = run("validate")
    assert result.code == 0, result.out + result.err
    assert not (ws.root / ".promptreg" / "cache" / "code" / "cache.sqlite").exists()
