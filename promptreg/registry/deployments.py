"""The one read model of deployments: which tags count, and why the others do not.

Every path that asks "what does ENV run?" or "what did it run?" (the first and later
`Registry.get`, `get_all`, `export`, `status`, `history`, `rollback`, `promote`, the pre-push
hook, `promptreg verify`) reads deployments through `DeploymentReader`. A tag under
`prompts/<name>@<env>/` counts only if

1. its name is canonical: a valid prompt name, a declared environment, and a seq of exactly
   the ASCII digits `promote` writes;
2. it is annotated: the ref points at a tag object, that object's own `tag` header is the
   ref's name (an old deployment's object under a new name is a replay), and it points at a
   commit;
3. its message is promptreg's and agrees with the tag: prompt, environment, the commit it
   points at, and the prompt's own path under `prompts_dir`;
4. that commit holds the prompt at that path, and the prompt there has the version and the
   content hash the message records;
5. its signature verifies, where `signing:` requires one for the environment.

A content hash recorded under scheme 1 (earlier releases) still counts where it proves the
same request: when the prompt has no input defaults (which scheme 1 does not cover). Where
the prompt has one, the match is *legacy* (`Deployment.legacy`): served with a warning from
`promptreg verify`, or rejected where `signing.legacy_hashes: refuse` or the environment is
listed under `signing.environments` (see `LEGACY_HINT`).

Anything else is `Rejected`, with the reason, and skipped: the newest *valid* deployment is
what an environment runs, so a bad tag never hides a good one. Verdicts are cached by (ref,
tag object id): neither a tag object nor what a commit holds can change.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from promptreg.errors import GitError, PromptregError
from promptreg.registry import catfile
from promptreg.registry.catfile import tags_over_limit
from promptreg.registry.tagobject import TagObject, is_object_id, parse_tag_object
from promptreg.registry.tags import (
    PREFIX,
    Deployment,
    canonical_seq,
    deployment_from_message,
    recorded_hash,
    release_problem,
    split_deployment_ref,
)
from promptreg.registry.verdicts import (
    Candidate,
    DeploymentLog,
    Rejected,
    Release,
    SignatureChecker,
    Verdict,
    content_matches,
    filed_scores,
    is_legacy_match,
    legacy_hint,
    make_log,
    newest_first,
    one_line,
    rejection,
)

if TYPE_CHECKING:
    from promptreg.registry.gitstore import GitStore
    from promptreg.template.prompt import Prompt


class DeploymentReader:
    """Lists and judges deployment tags for a registry. Thread-safety is the caller's (the
    Registry holds its lock around every call)."""

    def __init__(
        self,
        store: GitStore,
        *,
        environments: Sequence[str],
        prompt_path: Callable[[str], str],
        load: Callable[[str, str, str], Prompt],
        prefetch: Callable[[list[tuple[str, str]]], None] | None = None,
        signatures: SignatureChecker | None = None,
        refuses_legacy: Callable[[str | None], bool] | None = None,
    ) -> None:
        """`load(commit, name, path)`: the prompt at a commit, its hash computed from what is
        there; `prefetch([(commit, path)])`: read many files in one exchange before loading."""
        self.store = store
        self.environments = tuple(environments)
        self._prompt_path = prompt_path
        self._load = load
        self._prefetch = prefetch
        self._signatures = signatures
        self._refuses_legacy = refuses_legacy or (lambda env: False)
        self._verdicts: dict[tuple[str, str], Verdict] = {}
        self._releases: dict[tuple[str, str], Release] = {}
        self._tag_bytes = 0  # of the tag objects read (see `_read`)

    # -- listing -------------------------------------------------------------------------------

    def candidates(self, name: str, envs: Iterable[str] | None = None) -> list[Candidate]:
        """Every ref under `prompts/<name>@<env>/` for the given (default: all) environments."""
        envs = tuple(envs) if envs is not None else self.environments
        patterns = [f"refs/tags/{PREFIX}{name}@{env}/" for env in envs]
        return [c for c in self.list_refs(patterns) if c.name == name and c.env in envs]

    def list_refs(self, patterns: Sequence[str]) -> list[Candidate]:
        """Deployment-shaped refs matching `patterns` (under refs/tags/), for declared
        environments only."""
        found = []
        for ref, obj, kind in self.store.ref_objects(
            *(p.removeprefix("refs/tags/") for p in patterns)
        ):
            parts = split_deployment_ref(ref)
            if parts is None or parts[1] not in self.environments:
                continue
            found.append(Candidate(ref, obj, kind, *parts[:2], canonical_seq(*parts)))
        return found

    # -- judging -------------------------------------------------------------------------------

    def judge(self, candidates: Sequence[Candidate]) -> list[Verdict]:
        """The verdict on each candidate (cached by ref and object id). Tag objects are read
        in one pipelined exchange with git."""
        todo = [c for c in candidates if (c.ref, c.object) not in self._verdicts]
        objects = self._read([c.object for c in todo if c.kind == "tag" and c.seq is not None])
        tags = {o: parse_tag_object(o, data) for o, data in objects.items() if data is not None}
        if self._prefetch is not None and len(todo) > 1:
            wanted = []
            for candidate in todo:
                tag = tags.get(candidate.object)
                if tag is not None and tag.target_type == "commit":
                    wanted.append((tag.target, self._prompt_path(candidate.name)))
            self._prefetch(wanted)
        judged = [(c, tags.get(c.object), self._judge(c, tags.get(c.object))) for c in todo]
        judged = self._commits_only(judged)
        unsigned: list[tuple[Candidate, Deployment, TagObject]] = []
        for candidate, tag, verdict in judged:
            if isinstance(verdict, Deployment) and tag is not None and self._must_sign(candidate):
                unsigned.append((candidate, verdict, tag))  # cached once its signature checks
            else:
                self._verdicts[(candidate.ref, candidate.object)] = verdict
        problems = self._signature_problems([tag for _, _, tag in unsigned])
        for (candidate, found, tag), problem in zip(unsigned, problems, strict=True):
            verdict = found
            if problem is not None:
                verdict = rejection(candidate, problem, tag, signature=True)
            self._verdicts[(candidate.ref, candidate.object)] = verdict
        return [self._verdicts[(c.ref, c.object)] for c in candidates]

    def _commits_only(
        self, judged: list[tuple[Candidate, TagObject | None, Verdict]]
    ) -> list[tuple[Candidate, TagObject | None, Verdict]]:
        """Reject deployments whose target is not really a commit. A tag object's `type`
        header is the tagger's word: `type commit` on a tree or on another tag reads the
        prompt all the same (`<tree>:<path>` works), and a bundle would then record a tree as
        the deployed commit. Asked only for tags that passed everything else, so what is read
        is a commit (or a tree or tag a liar named), never a large blob; one exchange."""
        passed = list(
            dict.fromkeys(tag.target for _, tag, v in judged if isinstance(v, Deployment) and tag)
        )  # (once per commit: a bulk promotion points thousands of tags at one)
        kinds = dict(zip(passed, self.store.object_types(passed), strict=True))
        out: list[tuple[Candidate, TagObject | None, Verdict]] = []
        for candidate, tag, verdict in judged:
            kind = kinds.get(tag.target, "commit") if tag is not None else "commit"
            if isinstance(verdict, Deployment) and kind != "commit":
                reason = f"the tag object says it points at a commit, but that object is a {kind}"
                verdict = rejection(candidate, reason, tag)
            out.append((candidate, tag, verdict))
        return out

    def _must_sign(self, candidate: Candidate) -> bool:
        return self._signatures is not None and self._signatures.required(candidate.env)

    def _signature_problems(self, tags: Sequence[TagObject]) -> list[str | None]:
        """Each tag's signature problem (None: it verifies). A verification is a `git
        verify-tag` process (~10 ms, it runs ssh-keygen or gpg): many run side by side."""
        checker = self._signatures
        if checker is None or not tags:
            return [None] * len(tags)
        first = checker.problem(tags[0])  # sets the checker up (key files) before threads
        if len(tags) == 1:
            return [first]
        workers = min(8, os.cpu_count() or 1)
        from concurrent.futures import ThreadPoolExecutor  # (not on an application's start)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            return [first, *pool.map(checker.problem, tags[1:])]

    def newest(
        self, groups: Mapping[tuple[str, str], Sequence[Candidate]]
    ) -> dict[tuple[str, str], Deployment | None]:
        """The newest valid deployment of each group (None: none is valid). Candidates are
        judged newest first, one round per group at a time, so the usual case (the newest
        tag is valid) reads one tag object per group, all in one exchange."""
        ordered = {key: newest_first(cands) for key, cands in groups.items()}
        result: dict[tuple[str, str], Deployment | None] = {key: None for key in ordered}
        depth = 0
        while True:
            batch = {key: cands[depth] for key, cands in ordered.items() if depth < len(cands)}
            if not batch:
                return result
            verdicts = self.judge(list(batch.values()))
            for key, verdict in zip(batch, verdicts, strict=True):
                if isinstance(verdict, Deployment):
                    result[key] = verdict
                    del ordered[key]
            depth += 1

    def log(self, name: str, env: str | None = None) -> DeploymentLog:
        """Every deployment tag of `name` (to `env`, or to every environment), judged."""
        candidates = self.candidates(name, [env] if env else None)
        return make_log(self.judge(candidates), env)

    def rejected_seen(self) -> list[Rejected]:
        """The tags judged so far that do not count (a follower's health reports them)."""
        return [v for v in list(self._verdicts.values()) if isinstance(v, Rejected)]

    def judge_ref(self, ref: str, obj: str) -> Verdict | None:
        """The verdict on `ref` if it pointed at object `obj` (what a push would create);
        None when `ref` is not under `prompts/<name>@<env>/`."""
        parts = split_deployment_ref(ref)
        if parts is None:
            return None
        name, env, _ = parts
        if env not in self.environments:
            reason = f"environment {env!r} is not declared in promptreg.yaml"
            return Rejected(ref, obj, name, env, None, reason)
        kind = self.store.object_type(obj) if is_object_id(obj) else "missing"
        candidate = Candidate(ref, obj, kind, name, env, canonical_seq(*parts))
        return self.judge([candidate])[0]

    def _read(self, objects: Sequence[str]) -> dict[str, bytes | None]:
        """Tag objects by id. Their verdicts are kept (by tag object), so their bytes are
        counted as long as this reader lives: one tag at a time (`newest` reads junk tags
        above a valid one round by round) adds up to catfile.MAX_TAGS_TOTAL_BYTES at most."""
        wanted = sorted({o for o in objects if is_object_id(o)})
        found = dict(zip(wanted, self.store.read_objects(wanted), strict=True))
        self._tag_bytes += sum(len(data) for data in found.values() if data is not None)
        if self._tag_bytes > catfile.MAX_TAGS_TOTAL_BYTES:
            raise GitError(tags_over_limit(self._tag_bytes))
        return found

    def _judge(self, candidate: Candidate, tag: TagObject | None) -> Verdict:
        """The verdict on everything but the signature (`judge` checks that, in parallel)."""

        def reject(reason: str, tag: TagObject | None = None) -> Rejected:
            return rejection(candidate, reason, tag)

        if candidate.seq is None:
            return reject("not a canonical deployment tag name (seq: six ASCII digits)")
        if candidate.kind != "tag":
            return reject(f"a lightweight tag (it points at a {candidate.kind}), not a deployment")
        if tag is None:
            return reject("the tag object cannot be read")
        if tag.tag != candidate.ref:
            return reject(f"the tag object was made for {tag.tag!r}, not for this name (a copy)")
        if tag.target_type != "commit":
            return reject(f"the tag points at a {tag.target_type}, not at a commit")
        if not tag.tagger or not tag.date:
            # The tagger and date are the audit record: who deployed, and when.
            return reject("the tag object has no tagger, or a tagger date that is not one", tag)
        own_path = self._prompt_path(candidate.name)
        found = deployment_from_message(
            tag=candidate.ref,
            commit=tag.target,
            tagger=tag.tagger,
            date=tag.date,
            message=tag.message,
            own_path=own_path,
        )
        if isinstance(found, str):
            return reject(found, tag)
        problem, legacy = self._content_problem(
            found.commit, found.name, own_path, found.version, found.content_hash or "", found
        )
        if problem is not None:
            return reject(problem, tag)
        if legacy:
            if self._refuses_legacy(found.env):
                hint = legacy_hint(found.name, found.env, found.version)
                return reject(f"{hint} (legacy hashes are refused here)", tag)
            return replace(found, legacy=True)
        return found

    def _content_problem(
        self,
        commit: str,
        name: str,
        path: str,
        version: str,
        recorded: str,
        deployment: Deployment | None = None,
    ) -> tuple[str | None, bool]:
        """Why the prompt at `commit` is not the version and content a tag records (and, for
        a deployment, the eval scores: promote copies them from the file, and the gate
        compares the next promotion with them); and whether it matches only as a legacy
        (scheme-1, defaults not covered) record."""
        try:
            prompt = self._load(commit, name, path)
            matches = content_matches(prompt, recorded)
            legacy = matches and is_legacy_match(prompt, recorded)
        except (PromptregError, RecursionError, ValueError, OverflowError) as err:
            # Whatever a tag points at is attacker-controlled: one that does not load is a
            # rejected tag, never an error that stops another prompt from being served.
            return f"{path} does not load at commit {commit[:12]}: {one_line(err)}", False
        if prompt.version != version:
            return (
                f"the message records version {version!r}, but {path} at "
                f"{commit[:12]} is {prompt.version}"
            ), False
        if not matches:
            return (
                f"the content of {path} at {commit[:12]} is not what the message records "
                f"(content hash {prompt.content_hash[:19]}…, recorded "
                f"{recorded[:19]}…)"
            ), False
        if deployment is not None:
            filed = filed_scores(prompt)
            if filed is not None and dict(deployment.scores) != filed:
                return (
                    f"the message records scores {dict(deployment.scores)}, but {path} at "
                    f"{commit[:12]} records {filed}"
                ), False
        return None, legacy

    # -- releases ------------------------------------------------------------------------------

    def release(self, name: str, version: str, ref: str, obj: str, kind: str) -> Release:
        """The verdict on the release tag `ref` of `name` `version`: the same rules as a
        deployment, with promptreg's release message. Cached by (ref, object id)."""
        key = (ref, obj)
        cached = self._releases.get(key)
        if cached is None:
            cached = self._releases[key] = self._release(name, version, ref, obj, kind)
        return cached

    def releases(self, items: Sequence[tuple[str, str, str, str, str]]) -> list[Release]:
        """`release` for many (name, version, ref, object, kind) at once: the tag objects
        and the files they point at are read in two pipelined exchanges, not two per tag."""
        todo = [i for i in items if (i[2], i[3]) not in self._releases and i[4] == "tag"]
        data = self._read([i[3] for i in todo])
        wanted = []
        for name, _, _, obj, _ in todo:
            raw = data.get(obj)
            tag = parse_tag_object(obj, raw) if raw is not None else None
            if tag is not None and tag.target_type == "commit":
                wanted.append((tag.target, self._prompt_path(name)))
        if self._prefetch is not None and len(todo) > 1:
            self._prefetch(wanted)
        # What each target really is, once per commit and in one exchange (see `_release`).
        targets = sorted({commit for commit, _ in wanted}) if len(todo) > 1 else []
        kinds = dict(zip(targets, self.store.object_types(targets), strict=True))
        out = []
        for name, version, ref, obj, kind in items:
            key = (ref, obj)
            if key not in self._releases:
                found = self._release(name, version, ref, obj, kind, data, kinds=kinds)
                self._releases[key] = found
            out.append(self._releases[key])
        return out

    def _release(
        self,
        name: str,
        version: str,
        ref: str,
        obj: str,
        kind: str,
        data_read: Mapping[str, bytes | None] | None = None,
        *,
        kinds: Mapping[str, str] | None = None,
    ) -> Release:
        if kind != "tag":
            return Release(ref, None, f"a lightweight tag (it points at a {kind}), not a release")
        data = (data_read if data_read is not None else self._read([obj])).get(obj)
        tag = parse_tag_object(obj, data) if data is not None else None
        if tag is None:
            return Release(ref, None, "the tag object cannot be read")
        if tag.tag != ref:
            return Release(ref, None, f"the tag object was made for {tag.tag!r} (a copy)")
        if tag.target_type != "commit":
            return Release(ref, None, f"the tag points at a {tag.target_type}, not at a commit")
        own_path = self._prompt_path(name)
        problem = release_problem(
            tag=ref, commit=tag.target, message=tag.message, own_path=own_path
        )
        if problem is None:
            # A scheme-1 release counts either way: a tag name is never reused, so it cannot
            # be re-recorded, and `promote --version` (the re-recording) needs it.
            recorded = recorded_hash(tag.message) or ""
            problem, _ = self._content_problem(tag.target, name, own_path, version, recorded)
        if problem is None:
            known = kinds.get(tag.target) if kinds is not None else None
            kind = known or self.store.object_types([tag.target])[0]
            if kind != "commit":  # see `_commits_only`
                problem = f"the tag object says it points at a commit, but that object is a {kind}"
        return Release(ref, tag.target, problem)
