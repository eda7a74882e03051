"""Content hashes of committed prompts, kept as data: what judging a tag needs, without code.

The read model checks every deployment and release it counts: the content hash of the
prompt at the tag's commit must be the one the message records. Computing that hash needs
the prompt's include closure, i.e. the analysed template of the prompt and of each partial
(~0.25 ms of unmarshalling code per prompt from the code cache): `get_all` of 2,000 prompts
and a `release` with nothing to do spent about a third of their time there.

What a commit holds never changes, so the hash of `path` at `commit` is a fact: it is kept
in the code cache (`codecache.py`) under the commit id, the path, and everything else the
answer depends on (the hash scheme, the analysis format, the limits that decide whether the
template compiles, the largest partial read). A cached hash is a string, not code; the
cache's HMAC (a per-user key outside the repository) makes an edited or planted entry a
miss, and a miss computes the hash from the file as before. A hash is kept only once it was
computed: a prompt that failed to load is judged afresh every time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from promptreg._lazyre import is_digest
from promptreg.codecache import memoize
from promptreg.errors import PromptregError
from promptreg.template.analysis import FORMAT as ANALYSIS_FORMAT
from promptreg.template.content_hash import HASH_SCHEME

if TYPE_CHECKING:
    from promptreg.codecache import CodeCache
    from promptreg.project.config import Config
    from promptreg.template.prompt import Prompt

FORMAT = "content-hash-1"


def with_known_hash(
    prompt: Prompt, cache: CodeCache | None, *, commit: str, path: str, config: Config
) -> Prompt:
    """`prompt` (read from `path` at `commit`) with its content hash known: from the cache
    when it was computed before, else computed now and kept. A hash that cannot be computed
    (a template that does not compile, a missing include) is left to whoever asks for it,
    with the error they would have had without this cache."""
    if cache is None or prompt.hash_known:
        return prompt
    parts = key_parts(commit=commit, path=path, name=prompt.name, config=config)
    try:
        found = memoize(cache, parts, lambda: prompt.content_hash, str, _as_hash)
    except (PromptregError, RecursionError, ValueError, OverflowError):
        return prompt
    prompt.know_content_hash(found)
    return prompt


def key_parts(*, commit: str, path: str, name: str, config: Config) -> tuple[str, ...]:
    """What the hash of `path` at `commit` depends on: the commit's content, and the name
    (it decides where includes are looked up), the template node limit (whether it compiles)
    and the largest partial read (whether an include is read at all)."""
    return (
        FORMAT,
        str(HASH_SCHEME),
        ANALYSIS_FORMAT,
        commit,
        path,
        name,
        str(config.limits.max_template_nodes),
        str(config.lint.max_file_bytes),
    )


def _as_hash(data: Any) -> str:
    if not isinstance(data, str) or not is_digest(data):
        raise ValueError("not a content hash")
    return data
