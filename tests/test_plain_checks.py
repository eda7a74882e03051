"""The name checks that replaced patterns on the runtime path accept exactly what the patterns
accepted (they compile nothing at an application's start: ~0.05-0.3 ms a pattern), and a
prompt's name worked out by string is the one pathlib gives (validate asks 2,000 times)."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptreg._lazyre import DIGITS, LETTERS, LOWER, is_digest, is_word
from promptreg.names import MAX_REF, MAX_REF_PART, name_for_path, ref_problem
from promptreg.project.project import Project
from promptreg.registry.tagobject import is_object_id
from promptreg.registry.tags import canonical_seq
from promptreg.versions import SEMVER, is_semver
from tests.conftest import Workspace

# Characters that sit at the edges of the sets: Unicode digits and letters, `\n` (which `$`
# would accept at the end), upper case, separators.
_EDGES = "09afgzAFZ_-.+@/: \n\t\0٣²９éß" + "0" * 4 + "1" * 4 + "a" * 4
TEXT = st.text(alphabet=st.sampled_from(_EDGES), max_size=12) | st.text(max_size=8)
WORDS = [
    (LOWER, LOWER + DIGITS + "_-", r"[a-z][a-z0-9_-]*\Z"),
    (LOWER + DIGITS, LOWER + DIGITS + "._-", r"[a-z0-9][a-z0-9._-]*\Z"),
    (LETTERS, LETTERS + DIGITS + "_", r"[A-Za-z][A-Za-z0-9_]*\Z"),
]


@given(TEXT)
@settings(max_examples=400, deadline=None)
def test_is_word_is_the_pattern(text: str):
    for first, rest, pattern in WORDS:
        assert is_word(text, first, rest) == bool(re.match(pattern, text))


@given(st.text(alphabet=st.sampled_from("0123456789abcdefABCDEF\n٣"), max_size=70), TEXT)
@settings(max_examples=300, deadline=None)
def test_ids_digests_and_seqs_are_the_patterns(hexish: str, text: str):
    for candidate in (hexish, hexish[:40], hexish[:64], "a" * 40 + text, "sha256:" + hexish[:64]):
        assert is_object_id(candidate) == bool(
            re.match(r"(?:[0-9a-f]{40}|[0-9a-f]{64})\Z", candidate)
        )
        assert is_digest(candidate) == bool(re.match(r"sha256:[0-9a-f]{64}\Z", candidate))
    for seq in (text, hexish[:8], "0" + text, text + "0" * 6):
        canonical = re.match(r"[0-9]{6,12}\Z", seq) and not (len(seq) > 6 and seq[0] == "0")
        assert (canonical_seq("t", "prod", seq) is not None) == bool(canonical)


@given(st.lists(TEXT | st.sampled_from(["0", "1", "01", "10", "99", "1-rc.1", "0+b"]), max_size=4))
@settings(max_examples=300, deadline=None)
def test_is_semver_is_the_pattern(parts: list[str]):
    version = ".".join(parts)
    assert is_semver(version) == bool(SEMVER.match(version))
    assert is_semver("1.4.0") and not is_semver("01.4.0") and not is_semver("1.٣.0")


@given(st.lists(st.sampled_from(["a", "b.c", "x-1", "..", ".", "é", "p.prompt"]), max_size=4))
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_prompts_name_by_string_is_the_name_pathlib_gives(ws: Workspace, parts: list[str]):
    project = Project.open(ws.root)
    for suffix in (".prompt", ".prompty", ".j2"):
        path = project.prompts_dir.joinpath(*parts, "n" + suffix)
        expected = name_for_path(path, project.prompts_dir)  # what name_for answered before
        assert project.name_for(path) == expected
    assert project.name_for(ws.root / "elsewhere" / "n.prompt") == "n"
    assert project.name_for(Path("prompts") / "r.prompt") == "r"  # relative: resolved


@given(
    st.lists(st.integers(1, 300), min_size=1, max_size=5),
    st.sampled_from(["a", "é", "日"]),
)
@settings(max_examples=150, deadline=None)
def test_ref_problem_says_what_the_sizes_say(sizes: list[int], char: str):
    tag = "/".join(char * n for n in sizes)
    too_long = len(f"refs/tags/{tag}".encode()) > MAX_REF
    part_too_long = any(len((char * n).encode()) > MAX_REF_PART for n in sizes)
    assert (ref_problem(tag) is None) == (not too_long and not part_too_long)
