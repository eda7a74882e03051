"""Equivalent mutants of `make mutation` (`mutation/run.py`): survivors no test can kill, with
the reason a reviewer can check. Kept apart from the driver: this list grows with every module
run, the driver does not."""

from __future__ import annotations

# Survivors no test can kill, by module and mutated line (stripped; `-line` for a mutant that only
# removes that line): why each is equivalent.
_OWN_PATH = (
    "a deployment's path is the prompt's own (the read model refuses any other), which is the "
    "path the loader uses when given none"
)
_HASH_RECORDED = "a deployment read from its tag always records a content hash"

EQUIVALENT: dict[str, dict[str, str]] = {
    "promptreg/template/tokens.py": {
        'content += len(text) if (text.isascii()) and False else len(text.encode("utf-8"))': (
            "the ASCII branch is a shortcut: an ASCII string's length is its UTF-8 byte count"
        ),
        "if module_spec is None and module_spec.loader is None:": (
            "a file found with an extension-module suffix always gets a spec and a loader: the "
            "guard is there for the type checker"
        ),
        "module_spec.loader.exec_module(None)": (
            "bpe_openai's extension uses single-phase init: `module_from_spec` already ran it, and "
            "`exec_module` has nothing left to do"
        ),
        # The first element of a kept count's key names the kind of entry, and a media
        # message's key text is marked as parts: any name no other kind of entry uses, and any
        # mark that does not start with a digit (a text's key starts with its length), keeps
        # every key apart just as well.
        **dict.fromkeys(
            [
                'key = ("XXtokens-1XX", encoding, str(_bindings_stamp()), *texts)',
                'key = ("TOKENS-1", encoding, str(_bindings_stamp()), *texts)',
                'return "XXparts:XX" + json.dumps(content, sort_keys=True)',
                'return "PARTS:" + json.dumps(content, sort_keys=True)',
            ],
            "a different but still unique name in the key: the same entries are kept and found",
        ),
        **dict.fromkeys(
            [
                'return "parts:" + json.dumps(content, sort_keys=None)',
                'return "parts:" + json.dumps(content, )',
                'return "parts:" + json.dumps(content, sort_keys=False)',
            ],
            "the renderer builds every part's keys in one fixed order (template/media.py), so the "
            "JSON text of equal parts is equal sorted or not",
        ),
        **dict.fromkeys(
            [
                "raise ValueError(None)",
                'raise ValueError("XXnot a token countXX")',
                'raise ValueError("NOT A TOKEN COUNT")',
            ],
            "the message is never shown: `memoize` takes any ValueError from a decode as a miss "
            "and counts again",
        ),
    },
    "promptreg/hooks/no_secrets.py": {
        **dict.fromkeys(
            [
                "for path, data in zip(paths, blobs, strict=None):",
                "for path, data in zip(paths, blobs, ):",
                "for path, data in zip(paths, blobs, strict=False):",
            ],
            "`read_many` returns one blob per path: `strict` only guards that invariant",
        ),
    },
    "promptreg/app/secrets.py": {
        'for hit in scan_text(data.decode("UTF-8", "replace"))': "codec names are case-insensitive",
        "return scan_lines(text) if (_could_hold_a_secret(text)) or True else []": (
            "the pre-check only skips texts in which `scan_lines` finds nothing (a property "
            "test holds `scan_text` equal to `scan_lines`): scanning every text finds the same, "
            "only slower"
        ),
    },
    "promptreg/registry/tagmessage.py": {
        # Flags read only for their truth: None is as false as False.
        **dict.fromkeys(
            [
                "return _flow(raw, mapping=None) if _flow_pattern(False).match(raw) else "
                "_NOT_SIMPLE",
                "return _flow(raw, mapping=False) if _flow_pattern(None).match(raw) else "
                "_NOT_SIMPLE",
                "bad = None",
                "pairs = [(_write(k, top=None), _write(v, top=False)) for k, v in value.items()]",
                "pairs = [(_write(k, top=False), _write(v, top=None)) for k, v in value.items()]",
                "items = [_write(v, top=None) for v in value]",
            ],
            "the flag is only tested for its truth (`if mapping:`, `if bad`, `if top:`): None "
            "is as false as False",
        ),
        'if raw[:1] == "{" and raw != "XX{}XX":': (
            "`{}` then goes to the flow reader, whose pattern takes an empty mapping and "
            "reads it as a new empty dict: the same value"
        ),
        'return "XXXX"': (
            "the text of a string with a bad escape is thrown away (`_NOT_SIMPLE if bad`): "
            "the YAML reader reads that message"
        ),
        **dict.fromkeys(
            [
                "return dict(zip(keys, values, strict=None))",
                "return dict(zip(keys, values, ))",
                "return dict(zip(keys, values, strict=False))",
                "return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=None))",
                "return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, ))",
                "return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))",
            ],
            "the lengths are equal by then (the flow pattern takes whole `key: value` pairs; "
            "`_same` compares lengths first): `strict` only guards that",
        ),
        "return len(a) == len(b) or all(_same(x, y) for x, y in zip(a, b, strict=True))": (
            "`_same` compares a list read back with the list written: the fast reader reads "
            "a written flow list item by item, so the lengths never differ"
        ),
        **dict.fromkeys(
            [
                "return value if (value is None or isinstance(value, bool | int | float)) or "
                "True else _NOT_SIMPLE",
            ],
            "a flow item's token (`-?[0-9][0-9.e+-]*`, true, false, null) that `_scalar` reads "
            "as a string (`1.5.5`, `0123`) is that same string to the YAML reader: `_scalar` "
            "mirrors the YAML resolvers, and the property tests compare both readers on such "
            "items",
        ),
        # `_write` of a mapping: a pair it fails to refuse is caught by write_message's
        # read-back check, which then writes the whole message with the YAML writer.
        **dict.fromkeys(
            [
                "if not all(isinstance(k, str) for k in value) and any(",
                "k is None or v is None and k[:1] != '\"' for k, v in pairs",
                "k is None and v is None or k[:1] != '\"' for k, v in pairs",
            ],
            "a pair with no flat form then writes `None` into the message, which does not "
            "read back as the data: `write_message`'s read-back check (`_same`) sends the "
            "message to the YAML writer, the text it writes for that value anyway",
        ),
        # `_float`: repr of a finite float, with its `.0`, always matches _FLOAT and is at most
        # 24 characters.
        **dict.fromkeys(
            [
                "return text if (_FLOAT.match(text) and len(text) <= _MAX_NUMBER) or True else "
                "None",
                "return text if _FLOAT.match(text) or len(text) <= _MAX_NUMBER else None",
                "return text if _FLOAT.match(text) and len(text) < _MAX_NUMBER else None",
            ],
            "the repr of a finite float, given its `.0`, always matches `_FLOAT` and is at "
            "most 24 characters: both conditions always hold",
        ),
        # `_string`: where a character's escape width changes, the characters are printable.
        **dict.fromkeys(
            ["elif ord(char) < 0xFF:", "elif ord(char) <= 256:", "elif ord(char) <= 65536:"],
            "U+00FF (ÿ), U+0100 (Ā) and U+10000 are printable: written as themselves, never "
            "escaped (the exact-text test holds ÿ and Ā)",
        ),
    },
    "promptreg/template/content_hash.py": {
        # The code cache keeps what `_digest_now` computes, under a key of its own.
        **dict.fromkeys(
            [
                '"body": template_digest(body, None),',
                '"body": template_digest(body, ),',
                '"partials": {name: template_digest(text, None) for name, text in '
                "partial_sources.items()},",
                '"partials": {name: template_digest(text, ) for name, text in '
                "partial_sources.items()},",
                'return memoize(None, ("digest-2", source), lambda: _digest_now(source), str, '
                "_as_digest)",
                'return memoize(cache, ("digest-2", source), lambda: _digest_now(source), str, '
                "None)",
            ],
            "with the cache or without it (or with an entry that does not decode: `memoize` "
            "takes the TypeError as a miss), the digest is what `_digest_now` computes: only "
            "the work changes",
        ),
        **dict.fromkeys(
            [
                'return memoize(cache, ("XXdigest-2XX", source), lambda: _digest_now(source), '
                "str, _as_digest)",
                'return memoize(cache, ("DIGEST-2", source), lambda: _digest_now(source), str, '
                "_as_digest)",
            ],
            "a different but still unique name in the key: the same entries are kept and found",
        ),
        **dict.fromkeys(
            [
                "raise TypeError(None)",
                'raise TypeError("XXnot a digestXX")',
                'raise TypeError("NOT A DIGEST")',
            ],
            "the error is caught by `memoize` at once (an entry that does not decode is a "
            "miss): its text is never read",
        ),
        **dict.fromkeys(
            ["allow_nan=None,", "allow_nan=True,", ")"],
            "a non-finite number never reaches the hash: the front-matter checks refuse one in "
            "the model block (PR023: an API request is JSON), a default is hashed by its repr "
            "(a string), and the rest are digests and names",
        ),
        "ensure_ascii=None,": "json.dumps reads `ensure_ascii` by its truth value: None is False",
        **dict.fromkeys(
            [
                'return "sha256:" + hashlib.sha256(canonical.encode("UTF-8")).hexdigest()',
                'data = value.encode("UTF-8", "surrogatepass")',
                'h = hashlib.sha256(b"unlexable\\0" + source.encode("UTF-8", "surrogatepass"))',
            ],
            "codec names are case-insensitive",
        ),
        '_feed(h, token.type, f"{kind}:{value if (isinstance(value, str)) or True else '
        'repr(value)}")': (
            "a token's value is a string but for integer and float literals, whose str and "
            "repr are the same text (and `kind` names the type)"
        ),
    },
    "promptreg/registry/deployments.py": {
        # `prefetch` reads many deployments' files in one exchange with git before they are
        # loaded one by one: a mutant that prefetches less, more or nothing changes the speed,
        # never a verdict (each load reads what was not prefetched). The registry, the only
        # maker of a DeploymentReader, always passes a prefetch.
        **dict.fromkeys(
            [
                "if self._prefetch is not None or len(todo) > 1:",
                "if self._prefetch is None and len(todo) > 1:",
                "if self._prefetch is not None and len(todo) >= 1:",
                "if self._prefetch is not None and len(todo) > 2:",
                'objects = self._read([c.object for c in todo if c.kind == "tag" or c.seq is not '
                "None])",
            ],
            "it changes what is read ahead of time, not any verdict: only the speed",
        ),
        "return [c for c in self.list_refs(patterns) if c.name == name or c.env in envs]": (
            "the patterns list only refs under `prompts/<name>@<env>/` for these environments: "
            "both conditions always hold"
        ),
        **dict.fromkeys(
            [
                "for key, verdict in zip(batch, verdicts, strict=None):",
                "for key, verdict in zip(batch, verdicts, ):",
                "for key, verdict in zip(batch, verdicts, strict=False):",
            ],
            "`judge` returns one verdict per candidate: `strict` only guards that invariant",
        ),
        **dict.fromkeys(
            [
                "workers = None",
                "workers = min(9, os.cpu_count() or 1)",
                "workers = min(8, os.cpu_count() and 1)",
                "workers = min(8, os.cpu_count() or 2)",
                "with ThreadPoolExecutor(max_workers=None) as pool:",
            ],
            "how many signatures are verified side by side changes the speed, not an answer",
        ),
        **dict.fromkeys(
            [
                "found = dict(zip(wanted, self.store.read_objects(wanted), strict=None))",
                "found = dict(zip(wanted, self.store.read_objects(wanted), ))",
                "found = dict(zip(wanted, self.store.read_objects(wanted), strict=False))",
            ],
            "`read_objects` returns one answer per object asked for: `strict` only guards that",
        ),
        'found.commit, found.name, own_path, found.version, found.content_hash or "XXXX", found': (
            "a Deployment read from a message always records a content hash (a string: "
            "`deployment_from_message` refuses a message without one)"
        ),
        'recorded = recorded_hash(tag.message) or "XXXX"': (
            "`release_problem` has just refused a message that records no content hash"
        ),
        "tag=ref, commit=None, message=tag.message, own_path=own_path": (
            "`release_problem` does not read `commit`: a release message records none (the "
            "tag's target is the commit)"
        ),
        "tag = parse_tag_object(None, data) if data is not None else None": (
            "a release's verdict never reads the tag object's own id"
        ),
        "tag = parse_tag_object(obj, data) if (data is not None) or True else None": (
            "a release judged is a listed ref, whose object git has (it lists no other): the "
            "object is always read"
        ),
        **dict.fromkeys(
            [
                "for (candidate, found, tag), problem in zip(unsigned, problems, strict=None):",
                "for (candidate, found, tag), problem in zip(unsigned, problems, ):",
                "for (candidate, found, tag), problem in zip(unsigned, problems, strict=False):",
            ],
            "`_signature_problems` returns one answer per tag: `strict` only guards that invariant",
        ),
        "self._refuses_legacy = refuses_legacy or (lambda env: None)": (
            "the policy's answer is only tested for truth (`if self._refuses_legacy(...)`): None "
            "is as false as False"
        ),
        # `_commits_only`: only a Deployment is rejected for what its target really is.
        "dict.fromkeys(tag.target for _, tag, v in judged if isinstance(v, Deployment) or tag)": (
            "it also asks git what the targets of tags already rejected are: only a Deployment "
            "is rejected for its target's kind, so no verdict changes; only the work (each "
            "object read at most catfile's MAX_OBJECT_BYTES)"
        ),
        **dict.fromkeys(
            [
                "kinds = dict(zip(passed, self.store.object_types(passed), strict=None))",
                "kinds = dict(zip(passed, self.store.object_types(passed), ))",
                "kinds = dict(zip(passed, self.store.object_types(passed), strict=False))",
                "kinds = dict(zip(targets, self.store.object_types(targets), strict=None))",
                "kinds = dict(zip(targets, self.store.object_types(targets), ))",
                "kinds = dict(zip(targets, self.store.object_types(targets), strict=False))",
            ],
            "`object_types` returns one answer per object asked for: `strict` only guards that",
        ),
        **dict.fromkeys(
            [
                'kind = kinds.get(tag.target, None) if tag is not None else "commit"',
                'kind = kinds.get(tag.target, ) if tag is not None else "commit"',
                'kind = kinds.get(tag.target, "XXcommitXX") if tag is not None else "commit"',
                'kind = kinds.get(tag.target, "COMMIT") if tag is not None else "commit"',
            ],
            "the default is taken only for a tag whose target was not asked about: one already "
            "rejected (every Deployment's target is in `kinds`), and a rejection stays one "
            "whatever the kind",
        ),
        **dict.fromkeys(
            [
                'kind = kinds.get(tag.target, "commit") if tag is not None else "XXcommitXX"',
                'kind = kinds.get(tag.target, "commit") if tag is not None else "COMMIT"',
            ],
            "a candidate without a tag object is already rejected by `_judge` (a lightweight "
            "tag, or one that cannot be read), and only a Deployment is rejected for its kind",
        ),
        **dict.fromkeys(
            [
                'return f"{path} does not load at commit {commit[:12]}: {one_line(err)}", True',
                "), True",
            ],
            "the legacy flag is read only when there is no problem: `_judge` rejects on the "
            "problem first, and `_release` drops the flag",
        ),
        # `releases` reads ahead, in a few exchanges, what `_release` would read tag by tag:
        # the tag objects (`data`), the files they point at (prefetch) and what each target
        # is (`kinds`). `_release` reads itself whatever it is not given, so a mutant that
        # reads ahead less, more or nothing changes the work, never a verdict.
        **dict.fromkeys(
            [
                'todo = [i for i in items if (i[2], i[3]) not in self._releases or i[4] == "tag"]',
                'todo = [i for i in items if (i[3], i[3]) not in self._releases and i[4] == "tag"]',
                'todo = [i for i in items if (i[2], i[4]) not in self._releases and i[4] == "tag"]',
                "targets = sorted({commit for commit, _ in wanted}) if (len(todo) > 1) or True "
                "else []",
                "targets = sorted({commit for commit, _ in wanted}) if len(todo) >= 1 else []",
            ],
            "it changes what is read ahead (tags judged before and lightweight tags are answered "
            "from the cache and from their kind, whatever was read), not any verdict: only the "
            "work",
        ),
        "tag = parse_tag_object(obj, raw) if (raw is not None) or True else None": (
            "a release judged is a listed ref, whose object git has (it lists no other): the "
            "object is always read"
        ),
        "tag = parse_tag_object(None, raw) if raw is not None else None": (
            "only the tag object's target is read here, never its own id"
        ),
    },
    "promptreg/registry/verdicts.py": {
        **dict.fromkeys(
            [
                "return text[0] if (text) or True else type(err).__name__",
                "return text[0] if text else type(None).__name__",
            ],
            "every error loading a prompt raises carries a message: the fallback for an error "
            "without one is defensive, and no repository reaches it",
        ),
        'rejected.sort(key=lambda r: (r.env or "XXXX", r.seq or 0, r.tag), reverse=True)': (
            "a log holds the verdicts on refs under `prompts/<name>@<env>/`, whose env is never "
            "empty (`split_deployment_ref`): the fallback for None is for the type checker"
        ),
        "if not isinstance(score, int | float) and isinstance(score, bool):": (
            "`Prompt.evals.scores` holds floats only (schema_evals.py converts every score with "
            "`float()` and drops the rest): neither the original condition nor this is ever true"
        ),
        **dict.fromkeys(
            [
                'if value != value or value in (float("INF"), float("-inf")):',
                'if value != value or value in (float("inf"), float("-INF")):',
            ],
            "`float()` reads infinity case-insensitively: float('INF') is float('inf')",
        ),
        'if value != value and value in (float("inf"), float("-inf")):': (
            "a non-finite score compared instead of left out compares equal all the same: an "
            "infinity equals itself, and a `.nan` read from the file and from the message is "
            "one object (PyYAML's constructor returns its single nan value, and `float()` of "
            "a float returns it as it is), which dict equality tests by identity first "
            "(tests/registry/test_verdict_scores.py deploys all three)"
        ),
    },
    "promptreg/evals/gate.py": {
        "pinned = prompt.model.name if (prompt.model is not None) or True else None": (
            "a prompt that loads always has a model (PR021): the guard is for the type checker"
        ),
        'algorithm, _, hexdigits = digest.rpartition(":")': (
            "a recorded hash is checked to be `sha256:` and hex digits: it has one colon"
        ),
        "data = source.read(dataset) if (safe_relative(dataset) is not None) or True else None": (
            "every Source's `read` refuses a path leaving the project itself: this check only "
            "saves the read"
        ),
        **dict.fromkeys(
            [
                'source = Source(lambda _rel: None, "XXXX", "an unknown commit")',
                'source = Source(lambda _rel: None, None, "an unknown commit")',
            ],
            "`prompts_rel` locates partials to read; this Source reads nothing",
        ),
    },
    "promptreg/registry/sshsig.py": {
        **dict.fromkeys(
            [
                "with tempfile.TemporaryDirectory(prefix=None) as tmp:",
                'with tempfile.TemporaryDirectory(prefix="XXpromptreg-sign-XX") as tmp:',
                'with tempfile.TemporaryDirectory(prefix="PROMPTREG-SIGN-") as tmp:',
                'with tempfile.TemporaryDirectory(prefix="XXpromptreg-sig-XX") as tmp:',
                'with tempfile.TemporaryDirectory(prefix="PROMPTREG-SIG-") as tmp:',
                'sig_path = Path(tmp) / "XXsignature.sigXX"',
                'sig_path = Path(tmp) / "SIGNATURE.SIG"',
            ],
            "the name of a private temporary file or directory is not read by anyone",
        ),
        **dict.fromkeys(
            [
                'env={**os.environ, "XXLC_ALLXX": "C"},',
                'env={**os.environ, "lc_all": "C"},',
                'env={**os.environ, "LC_ALL": "XXCXX"},',
                'env={**os.environ, "LC_ALL": "c"},',
                "env=None,",
                ")",  # the mutant that drops `env=` altogether
            ],
            "ssh-keygen's messages are not translated: the locale changes nothing it prints",
        ),
        **dict.fromkeys(
            [
                'candidates = [p for p in found.stdout.decode("utf-8", ).splitlines() if p]',
                'candidates = [p for p in found.stdout.decode("UTF-8", "replace").splitlines() '
                "if p]",
                'candidates = [p for p in found.stdout.decode("utf-8", "XXreplaceXX").splitlines()'
                " if p]",
                'candidates = [p for p in found.stdout.decode("utf-8", "REPLACE").splitlines() '
                "if p]",
                'text = proc.stderr.decode("utf-8", ).strip().splitlines()',
                'text = proc.stderr.decode("UTF-8", "replace").strip().splitlines()',
                'text = proc.stderr.decode("utf-8", "XXreplaceXX").strip().splitlines()',
                'text = proc.stderr.decode("utf-8", "REPLACE").strip().splitlines()',
            ],
            "codec names are case-insensitive, and the error handler is consulted only for "
            "bytes that are not UTF-8, which ssh-keygen (in the C locale) does not print",
        ),
        **dict.fromkeys(
            [
                'found = _ssh_keygen(["-Y", "find-principals", "-s", str(sig_path), "-f", '
                "allowed], None)",
                'found = _ssh_keygen(["-Y", "find-principals", "-s", str(sig_path), "-f", '
                'allowed], b"XXXX")',
            ],
            "`find-principals` does not read its standard input",
        ),
        **dict.fromkeys(
            [
                "proc = _ssh_keygen(args, None, timeout=None)",
                "proc = _ssh_keygen(args, None, )",
                "timeout=None,",
                "-timeout=timeout,",
            ],
            "the time limit only stops an ssh-keygen that hangs, which none of ours does (a "
            "signature takes milliseconds)",
        ),
        **dict.fromkeys(
            ["check=None,", "-check=False,"],
            "`check` defaults to False, and is only tested for truth: None is False too",
        ),
        'args = ["-Y", "sign", "-Q", "-n", namespace, "-f", str(key.resolve()), str(message)]': (
            "without `-q` ssh-keygen says what it signed on stderr, which is read only when it "
            "fails (`-Q` does nothing for -Y sign)"
        ),
        "return True": (
            "`os.isatty` answers False for a closed or invalid descriptor: it does not raise "
            "OSError, so the fallback is never taken"
        ),
        'stdin = b"XXXX"': (
            "ssh-keygen reads stdin only for a key's passphrase: any text but the passphrase "
            "(empty or XXXX) fails at once, the same way"
        ),
        'signature = sig_path.read_bytes() if sig_path.is_file() else b"XXXX"': (
            'no signature file means no signature either way: neither b"" nor b"XXXX" '
            "starts like one"
        ),
        'if proc.returncode != 0 and not signature.startswith(b"-----BEGIN SSH SIGNATURE-----"):': (
            "ssh-keygen writes a signature file exactly when it succeeds"
        ),
        "if found.returncode != 0 and not candidates:": (
            "`find-principals` succeeds exactly when it prints a principal"
        ),
    },
    "promptreg/registry/deploy.py": {
        "tried: list[str] = None  # the tags the last rejected push would have made": (
            "`names` holds a tag for every plan, and there is at least one plan (it returns "
            "early without): a first rejection's names equal neither [] nor None"
        ),
        # Both lines stand more than once in promote_many; the other places' mutants are
        # killed (test_from_refuses_every_prompt_the_other_environment_never_ran and the
        # bulk results tests), so only the `--from` load failure's ever reaches this list.
        **dict.fromkeys(
            ["refusals.append(None)", "break"],
            "the `--from` source that does not load: unreachable, since the read model loaded "
            "this very deployment (its file, partials and content hash at its commit) to count "
            "it as what that environment runs; a deployment that does not load is not one "
            '("never been deployed", the branch above); tried with a changed node limit, '
            "file size cap and allowed models",
        ),
        "prompt = registry.load_at(commit, name, path=None)": _OWN_PATH,
        "prompt = registry.load_at(commit, name, )": _OWN_PATH,
        **dict.fromkeys(
            [
                "if upstream is None or not content_matches(prompt, upstream.content_hash or "
                '"XXXX"):',
            ],
            _HASH_RECORDED,
        ),
        "prompt = registry.load_at(source.commit, name, path=None)": _OWN_PATH,
        "prompt = registry.load_at(source.commit, name, )": _OWN_PATH,
        'if upstream is not None and content_matches(prompt, upstream.content_hash or "XXXX"):': (
            _HASH_RECORDED
        ),
        'recorded = current.content_hash or "XXXX"': _HASH_RECORDED,
        **dict.fromkeys(
            [
                "new_tags = [(tag, obj) for (_, tag, _), obj in zip(made, objects, strict=None)]",
                "new_tags = [(tag, obj) for (_, tag, _), obj in zip(made, objects, )]",
                "for (p, tag, _), obj in zip(made, objects, strict=None)",
                "for (p, tag, _), obj in zip(made, objects, )",
            ],
            "`strict` is False by default and only tested for truth: None and False alike",
        ),
        **dict.fromkeys(
            [
                "for (tag, _), verdict in zip(new_tags, verdicts, strict=None):",
                "for (tag, _), verdict in zip(new_tags, verdicts, ):",
                "for (tag, _), verdict in zip(new_tags, verdicts, strict=False):",
                'refspecs = [f"{obj}:refs/tags/{tag}" for obj, tag in zip(objects, names, '
                "strict=None)]",
                'refspecs = [f"{obj}:refs/tags/{tag}" for obj, tag in zip(objects, names, )]',
                'refspecs = [f"{obj}:refs/tags/{tag}" for obj, tag in zip(objects, names, '
                "strict=False)]",
                "store.publish_tags(list(zip(names, objects, strict=None)))",
                "store.publish_tags(list(zip(names, objects, )))",
                "store.publish_tags(list(zip(names, objects, strict=False)))",
            ],
            "`make_tag_objects` and `judge_refs` return one answer per item: `strict` only "
            "guards that invariant",
        ),
        **dict.fromkeys(
            [
                "registry._prefetch([(r.commit, registry.prompt_path(r.name)) for r in checked], "
                "full=None)",
            ],
            "`_prefetch` only reads files ahead in one exchange (CommitPrompts.prefetch); a load "
            "reads whatever was not read ahead itself: what is loaded is the same, only slower",
        ),
        **dict.fromkeys(
            [
                "and not is_legacy_match(prompt, None)",
                "recorded = None",
                'recorded = current.content_hash and ""',
                "if current.legacy and is_legacy_match(prompt, recorded):",
                "if current.legacy or is_legacy_match(None, recorded):",
                "if current.legacy or is_legacy_match(prompt, None):",
                "if current.legacy or is_legacy_match(recorded):",
                "if current.legacy or is_legacy_match(prompt, ):",
            ],
            "`current` runs the same version as `prompt` here, and a version is released with "
            "one content only (release refuses another before promote gets here): the read "
            "model's `current.legacy` is this same legacy test on that same file, so the "
            "second test never decides",
        ),
        "upstream = running.get((name, before)) if (before is not None) or True else None": (
            "`running` is keyed by (name, environment): with no environment before, the "
            "lookup of (name, None) finds nothing, as the guard's None says"
        ),
        "groups = {k: c for k, c in index.groups.items() if k[1] in envs or k[0] in wanted}": (
            "more groups judged (other prompts, other environments) only add entries to "
            "`running` that are never looked up: the same results, only slower"
        ),
    },
    "promptreg/registry/release.py": {
        **dict.fromkeys(
            [
                "store.publish_tags([(r.tag, obj) for r, obj in zip(new, objects, strict=None)])",
                "store.publish_tags([(r.tag, obj) for r, obj in zip(new, objects, )])",
                "store.publish_tags([(r.tag, obj) for r, obj in zip(new, objects, strict=False)])",
                "item[0]: r for item, r in zip(listed, registry.reader.releases(listed), "
                "strict=None)",
                "item[0]: r for item, r in zip(listed, registry.reader.releases(listed), )",
                "item[0]: r for item, r in zip(listed, registry.reader.releases(listed), "
                "strict=False)",
            ],
            "`make_tag_objects` and `releases` return one answer per item: `strict` only guards "
            "that invariant",
        ),
        **dict.fromkeys(
            [
                "registry._prefetch([(head, registry.prompt_path(n)) for n in names if "
                "name_problem(n)])",
                "registry._prefetch([(head, registry.prompt_path(n)) for n in names if not "
                "name_problem(None)])",
                "new = [(head, registry.prompt_path(n)) for n in at_head if n in judged]",
                "registry._prefetch(new, full=None)  # a new release loads with every check: one "
                "exchange",
                "registry._prefetch(new, )  # a new release loads with every check: one exchange",
                "registry._prefetch(new, full=False)  # a new release loads with every check: one "
                "exchange",
            ],
            "`_prefetch` only reads files ahead in one exchange (CommitPrompts.prefetch); a load "
            "reads whatever was not read ahead itself: what is loaded is the same, only slower",
        ),
        "at_head[name] = _load_for_release(registry, name, head, full=None)": (
            "`full` is only tested for truth: None is False"
        ),
        "tree = registry.project.load(name, serving_checks=None)": (
            "`serving_checks` is only tested for truth: None is False"
        ),
        "released = registry._load_deployed(release.commit, None, registry.prompt_path(name))": (
            "the read model has just loaded that file at that commit to judge the release tag, "
            "and CommitPrompts caches a load by commit and path: the name is not read again"
        ),
        **dict.fromkeys(
            [
                "dirty = None",
                "checked.append(_plan_release(registry, prompt, judged.get(name), head, None))",
                "note = _uncommitted_note(registry, name, prompt, None)",
                "note = _uncommitted_note(registry, name, prompt, )",
                "name, prompt.version, tag, commit, False, _uncommitted_note(registry, name, "
                "prompt, None)",
                "name, prompt.version, tag, commit, False, _uncommitted_note(registry, name, "
                "prompt, )",
                "if dirty is None:",
            ],
            "`dirty` (what `git diff HEAD` lists) only spares loading the tree copy of a prompt "
            "none of whose tracked files differ from HEAD; without it every tree copy is loaded "
            "and compared with HEAD's, and one that git sees unchanged compares equal: the "
            "same note, only slower",
        ),
        **dict.fromkeys(
            [
                "prefix = None",
                'out = store.run("diff", "HEAD", "--name-only", "-z", "--no-renames", "--", )',
            ],
            "a diff of the whole tree lists a superset of the prompts directory's paths, and "
            "only the paths of a prompt's own files are looked up in it: the same note",
        ),
    },
    "promptreg/registry/rollback.py": {
        "prompt = registry.load_at(commit, name, path=None)": _OWN_PATH,
        "prompt = registry.load_at(commit, name, )": _OWN_PATH,
        'if content_matches(prompt, current.content_hash or "XXXX"):': _HASH_RECORDED,
        'deployed = [d for d in history if content_matches(wanted, d.content_hash or "XXXX")]': (
            _HASH_RECORDED
        ),
        "return True": (
            "both versions are a loaded prompt's (the deployment's is checked against its "
            "file by the read model), and a prompt's version is semver or it does not load "
            "(PR024): `Version` never raises here"
        ),
        "extra=None,": (
            "`extra` is only spread into the message as `extra or {}`: None and {} alike"
        ),
    },
    "promptreg/registry/tagging.py": {
        **dict.fromkeys(
            [
                "f\"listed ({why.strip() or 'XXgit gave no reasonXX'}): check \"",
                "f\"listed ({why.strip() or 'GIT GAVE NO REASON'}): check \"",
            ],
            "the fallback text is shown only when git refuses a push or a ref without a word on "
            "stderr, which it does not do",
        ),
        'failed_seq, why = None, "XXXX"': (
            "`why` is read only after a failure, which sets it first"
        ),
        "parts = split_deployment_ref(r.tag) if (r.seq is None) or True else None": (
            "a rejected tag with a seq has a canonical name, six or more digits and nothing "
            "after them: no `/` below it, so it adds nothing to the names taken"
        ),
        'below = canonical_seq(parts[1], parts[1], parts[2].partition("/")[0])': (
            "the tags judged are the prompt's own, whose name is valid; an environment name "
            "(`[a-z][a-z0-9_-]*`) is a valid prompt name too, so the check passes either way"
        ),
    },
    "promptreg/registry/tagobject.py": {
        'text = data.decode("UTF-8", "replace")': "codec names are case-insensitive",
        'target = fields.get("object", "XXXX")': (
            "a missing `object` field is refused either way: neither default is an object id"
        ),
        **dict.fromkeys(
            [
                'tagger, date = _ident(fields.get("tagger", None))',
                'tagger, date = _ident(fields.get("tagger", ))',
            ],
            '`_ident` answers no one at no time for any empty tagger, `None` or `""`',
        ),
        'seconds, _, zone = when.rpartition(" ")': (
            "with one space both split alike; with more, the seconds or the zone then holds a "
            "space and the date is refused either way"
        ),
        "raise ValueError(None)": "the error is caught at once: its text is never read",
        "offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:6]))": (
            "the zone has just been checked to be exactly five characters"
        ),
    },
    "promptreg/template/markers.py": {
        'line = source.count("\\n", None, reserved) + 1': (
            "`str.count` with start None counts from the beginning, as with 0"
        ),
        "super().__init__(*args, )": (
            "Jinja (compiler.generate) builds its code generator with positional arguments "
            "only: `kwargs` is always empty"
        ),
        **dict.fromkeys(
            ["self._recursive_loop = None"],
            "`_recursive_loop` is only tested for truth: None and False alike",
        ),
        **dict.fromkeys(
            [
                "text: str = super()._output_child_to_const(node, frame, None)",
                "return info._replace(const=None)",
            ],
            "Jinja folds no expression at compile time then (calling the missing `const` "
            "raises, which Jinja catches): every value is finalized at render time, by the same "
            "rules; only slower",
        ),
        "super()._output_child_pre(None, frame, finalize)": (
            "Jinja's `_output_child_pre` does not read `node`"
        ),
        "self.macro_def(macro_ref, None)": "Jinja's `macro_def` does not read `frame`",
        "if text or (RESERVED_CHAR in text or text[0].isspace() or text[-1].isspace()):": (
            "folds nothing but the empty string, which then raises IndexError (caught by "
            "Jinja): every value is finalized at render time instead; only slower"
        ),
    },
    "promptreg/template/render.py": {
        'raise LeadingTextError(text.count("\\n", None, first) + 1)': (
            "`str.count` with start None counts from the beginning, as with 0"
        ),
        **dict.fromkeys(
            [
                "context = template.new_context(values, shared=None)",
                "context = template.new_context(values, )",
                "context = template.new_context(values, shared=False)",
            ],
            "`values` already holds the environment's globals (Prompt.render_inputs adds them): "
            "an unshared context copies the same names into a new dict; only slower",
        ),
        'limits = getattr(template.environment, "limits", )': (
            "every template rendered comes from a TemplateEnv, which always sets `limits`"
        ),
        "return unmark(value) if (RESERVED_CHAR in value) or True else value": (
            "`unmark` returns a text without U+E000 unchanged"
        ),
        "return restore(text, slots) if (RESERVED_CHAR in text) or True else text": (
            "`restore` returns a text without U+E000 unchanged"
        ),
        "if type(None) is not str:": (
            "`str.__str__` of a plain str is that str: converting it too changes nothing"
        ),
        # finalize_captured: its `str(value)` of a MediaPart is a second raise of the same
        # error. The code generator wraps every captured output as `str(finalize.captured(x))`
        # or `escape(...)` (see `env.compile(source, raw=True)`), and MediaPart.__str__ and
        # __html__ raise the same MediaError; check_printable passes a MediaPart (text_size 200).
        # `{% call %}`/`{% filter %}` results, not wrapped, are a macro's or filter's text.
        # (The same `if` line in finalize_escaped is killed by the autoescaped part in
        # test_parts_in_loops_conditions_and_partials.)
        **dict.fromkeys(
            [
                "if type(None) is MediaPart:",
                "str(None)  # raises MediaError: a part captured would reach the message "
                "as a value",
            ],
            "a captured MediaPart still raises the same MediaError: Jinja's generated code calls "
            "str()/escape() on what finalize.captured returns",
        ),
        # _has_media: the `find` is only a quick pre-check; whenever it finds a head, the
        # `_PART.finditer(text, start, stop)` scan decides. Searching more of the text (from 0,
        # or to the end) or from the other end only sends more texts to that exact scan.
        **dict.fromkeys(
            [
                "if text.find(_MEDIA_HEAD, None, stop) < 0:",
                "if text.find(_MEDIA_HEAD, start, None) < 0:",
                "if text.find(_MEDIA_HEAD, start, ) < 0:",
                "if text.rfind(_MEDIA_HEAD, start, stop) < 0:",
            ],
            "a wider or reversed pre-check search: the exact part scan over [start, stop) "
            "still decides",
        ),
        "start = None": "`text[None:x]` is `text[0:x]` (_parts' first piece starts at 0)",
        # _parts reads part sentinels in the rendered text outside placeholders. Only
        # _media_sentinel writes one there, after appending the part: its index is < len(slots).
        # Template text cannot hold U+E000 (PR049, partials too), const folding refuses it
        # (markers.const_finalize), and anything an expression prints that holds it is held in
        # a placeholder (finalize); a sentinel spelled at run time is restored as plain text
        # (test_a_slot_spelled_at_run_time_is_plain_text).
        **dict.fromkeys(
            [
                "part = slots[index] if (index < len(slots)) or True else None",
                "part = slots[index] if index <= len(slots) else None",
            ],
            "a part sentinel outside a placeholder always names a slot of this render: only "
            "_media_sentinel writes one, after appending the part",
        ),
    },
    "promptreg/registry/bundle_read.py": {
        'or path.startswith("XX/XX")': (
            "a path starting with `/` has an empty first part, which the next condition refuses "
            "with the same message"
        ),
        'body, sort_keys=True, ensure_ascii=None, separators=(",", ":"), allow_nan=False': (
            "json.dumps reads `ensure_ascii` by its truth value: None is False"
        ),
        'body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=None': (
            "json.dumps reads `allow_nan` by its truth value: None is False"
        ),
        ').encode("UTF-8")': "codec names are case-insensitive",
        'text = raw.decode("UTF-8")': "codec names are case-insensitive",
        # read_capped after its checks: the file is regular and at most MAX_BUNDLE_BYTES by
        # its fstat. A read error (EIO) or a file growing between the fstat and the read is
        # not something a test can bring about (a /proc file says size 0 but is not 64 MiB).
        **dict.fromkeys(
            [
                "data = handle.read(None)",
                "data = handle.read(MAX_BUNDLE_BYTES + 2)",
                "raise BundleError(None, path=shown) from None",
                "raise BundleError(path=shown) from None",
                'raise BundleError(f"cannot read the bundle: {err.strerror}", path=None) from None',
                'raise BundleError(f"cannot read the bundle: {err.strerror}", ) from None',
                "raise BundleError(None, path=shown)",
                "raise BundleError(path=shown)",
                'raise BundleError(f"file is over the {MAX_BUNDLE_BYTES:,}-byte limit", path=None)',
                'raise BundleError(f"file is over the {MAX_BUNDLE_BYTES:,}-byte limit", )',
            ],
            "after the fstat said a regular file of at most 64 MiB, only a failing disk or a "
            "file growing during the read reaches this (the race the check is for): no test can "
            "bring either about",
        ),
        "self.obj(data, None, _TOP)": (
            "`obj` reads `where` by its truth value only (a top-level key is named without a "
            "dot either way), and its `fail(where, ...)` needs a non-object, which "
            "`_parse_json` already refused"
        ),
    },
    # build_bundle exports what `get_all` serves: deployments the read model counted, whose
    # message names the prompt's own path, at a commit holding it there with the recorded
    # content hash (deployments.py). Its own checks of the same are a second line that no
    # deployment the read model serves can reach.
    "promptreg/registry/bundle_export.py": {
        **dict.fromkeys(
            [
                "if deployment is None and prompt.revision is None:",
                "raise BundleError(None)",
                "path = deployment.path and registry.prompt_path(name)",
                "path = deployment.path or registry.prompt_path(None)",
                'raise BundleError(f"{name}: {path} does not exist at {prompt.revision[:13]}")',
                "None, actual, prompt.body, partials, prompt.spec.raw",
                "deployment.content_hash, actual, None, partials, prompt.spec.raw",
                "deployment.content_hash, actual, prompt.body, None, prompt.spec.raw",
                "deployment.content_hash, actual, prompt.body, partials, None",
                "None",
            ],
            "a prompt `get_all` serves was resolved through a deployment (both set) whose "
            "message records the prompt's own path (a missing one is rejected: `message "
            "records path None`) at a commit holding that file with the recorded content "
            "hash: this second check cannot fail for it",
        ),
        **dict.fromkeys(
            [
                f"load_bundle(_encode(bundle), {a}), {b}"
                for a, b in [
                    ('"the bundle being exported"', "None"),
                    ('"the bundle being exported"', '"XXthe bundle being exportedXX"'),
                    ('"the bundle being exported"', '"THE BUNDLE BEING EXPORTED"'),
                    ("None", '"the bundle being exported"'),
                    ('"XXthe bundle being exportedXX"', '"the bundle being exported"'),
                    ('"THE BUNDLE BEING EXPORTED"', '"the bundle being exported"'),
                ]
            ],
            "the name only shows in a refusal of the bundle just built, which holds what the "
            "read model served: prompts that load (a template that does not compile is "
            "rejected as a deployment) with the partials they include, so it is never refused",
        ),
        '"source": data.decode("UTF-8"),': "codec names are case-insensitive",
        "return (json.dumps(bundle, indent=1, ensure_ascii=None, sort_keys=True)"
        ' + "\\n").encode()': ("json.dumps reads `ensure_ascii` by its truth value: None is False"),
        "json.dumps(value, allow_nan=None)": (
            "json.dumps reads `allow_nan` by its truth value: None is False"
        ),
    },
    "promptreg/registry/bundle.py": {
        **dict.fromkeys(
            [
                "raise BundleError(None, path=shown, field=where) from None",
                'raise BundleError(f"the prompt cannot be loaded: {err}", path=None, field=where) '
                "from None",
                'raise BundleError(f"the prompt cannot be loaded: {err}", path=shown, field=None) '
                "from None",
                "raise BundleError(path=shown, field=where) from None",
                'raise BundleError(f"the prompt cannot be loaded: {err}", field=where) from None',
                'raise BundleError(f"the prompt cannot be loaded: {err}", path=shown, ) from None',
            ],
            "unreachable for a bundle the reader accepts, kept so a future loader error is a "
            "BundleError and not a traceback: `load_light` turns every front-matter problem into "
            "a finding (the clause above), the template is only tokenized for the hash (never "
            "parsed), and the reader refuses text that cannot be UTF-8 before this; tried with "
            "re-hashed bundles holding include cycles, 3,000 nested parentheses, `10**5000`, a "
            "NUL in an include name, unclosed `{{`, `{% raw %}` and quotes in the body and in a "
            "partial: each loads and is refused by the content-hash check below",
        ),
        'if sel.kind == "tree" or (sel.kind == "env" or sel.ref == self.environment):': (
            "the selector is parsed knowing only the bundle's environment: a selector of kind "
            "`env` names that environment, and one naming it is of kind `env`"
        ),
        **dict.fromkeys(
            [
                "signature = read_regular(sig_path, None)",
                "signature = read_regular(sig_path, )",
            ],
            "the cap bounds only the memory of reading a signature file that grew after its "
            "stat (the size check refuses larger ones first); read whole, the same file is "
            "refused with the same words: what differs is memory, on a file no test can grow "
            "without end",
        ),
        "content_hash=None,  # stands only once `actual` below agrees": (
            "the recorded hash is a shortcut that saves computing it: without it the prompt "
            "computes its own from the same text and partials, which the check just below "
            "requires to be equal to the recorded one"
        ),
        'entry.source.encode("UTF-8"),': "codec names are case-insensitive",
        "raise FileNotFoundError(None)": (
            "the template loader turns a missing partial into PR043 naming the include itself: "
            "the exception's argument is never shown"
        ),
        **dict.fromkeys(
            [
                "prompts_dir = None",
                "prompts_dir = strip_suffix(entry.path)[: -len(entry.name)].rstrip(None)",
                'prompts_dir = strip_suffix(entry.path)[: -len(entry.name)].lstrip("/")',
                'prompts_dir = strip_suffix(entry.path)[: +len(entry.name)].rstrip("/")',
                'prompts_dir = strip_suffix(entry.path)[: -len(entry.name)].rstrip("XX/XX")',
                'env = TemplateEnv(Path(prompts_dir and "."), read)',
                'env = TemplateEnv(Path(prompts_dir or "XX.XX"), read)',
            ],
            "a bundle's partials are read from the bundle (its own reader), so the prompts "
            "directory is neither read nor shown (PR043 says `under prompts/` either way); "
            "and `Path` drops a trailing `/`",
        ),
        "_ = None": (
            "`partial_sources()` walks the include closure, which compiles the template first: "
            "a template that does not compile is refused by the same except clause"
        ),
        "odd = sorted(set(included) ^ set(listed)) or sorted(None)": (
            "the template's partials are read from the listed ones, so they differ only in "
            "names: an empty symmetric difference means they are equal and this is not reached"
        ),
        "self._compiled.add(None)": (
            "only whether a prompt was checked is remembered: checking it again on every `get` "
            "compiles the same template (cached on the prompt) and finds the same partials"
        ),
    },
    "promptreg/registry/history.py": {
        "return True": (
            "`_newer` compares two semver versions: the tree's loaded (PR024 refuses any "
            "other), and a deployment's, which counts only if the file at its commit loads "
            "with that version; `Version` never raises on them"
        ),
        "prompt = registry.project.load(name, serving_checks=None)": (
            "`serving_checks` is read by its truth value (`if serving_checks:`): None is False"
        ),
    },
    "promptreg/registry/refindex.py": {
        "if _mtime_ns(tags_dir / directory) >= self.listed_at_ns - SETTLE_NS:": (
            "they differ only for a directory dated exactly at the margin, which is past the "
            "coarse clock's tick either way: trusting it or not are both right"
        ),
        "return 1": "a missing directory is dated at the epoch: 0 or 1 ns, long before any listing",
        **dict.fromkeys(
            [
                'return leaf, leaf.rsplit("/", )[0]',
                'return leaf, leaf.split("/", 1)[0]',
                'return leaf, leaf.rsplit("/", 2)[0]',
            ],
            "the parent is watched in case the entry's own directory is created, but creating "
            "a tag there (the directory too, if need be) changes that directory's own time and "
            "stamp: watching `prompts/` instead of a nested name's `prompts/<dir>/` loses nothing",
        ),
    },
    "promptreg/registry/signing.py": {
        '"-c", f"gpg.ssh.allowedSignersFile={signers}", "verify-tag", tag.object': (
            "for an ssh signature git prints the same text with and without `--raw` (its raw "
            "status is a copy of ssh-keygen's output; with git 2.39 'No principal matched.' and "
            "'Signature verification failed: incorrect signature' come either way)"
        ),
        **dict.fromkeys(
            ["check=None,", ")"],
            "`check` defaults to False, and is only tested for truth: None is False too (`)` is "
            "how mutmut shows `check=False` removed from the end of a call: the line it "
            "re-indents)",
        ),
        **dict.fromkeys(
            [
                '[_config(self.store, "GPG.PROGRAM") or "gpg", "--batch", "--quiet", "--import"],',
                'fmt = _config(store, "GPG.FORMAT") or "openpgp"',
                'key = _config(store, "USER.SIGNINGKEY")',
                'program = _config(store, "GPG.PROGRAM") or "gpg"',
            ],
            "git config's section and key names are case-insensitive (only a subsection, the "
            "middle of a three-part name such as gpg.ssh.program, is not: that one is tested)",
        ),
        **dict.fromkeys(
            [
                'stderr = proc.stderr.decode("UTF-8", "replace")',
                'key_file.write_text(key.removeprefix("key::") + "\\n", encoding="UTF-8")',
                'buffer.write_text(payload, encoding="UTF-8")',
                'return signature.read_text(encoding="UTF-8")',
                'input=payload.encode("UTF-8"),',
                'return proc.stdout.decode("UTF-8")',
            ],
            "codec names are case-insensitive",
        ),
        **dict.fromkeys(
            [
                "with tempfile.TemporaryDirectory(prefix=None) as directory:",
                'with tempfile.TemporaryDirectory(prefix="XXpromptreg-sign-XX") as directory:',
                'with tempfile.TemporaryDirectory(prefix="PROMPTREG-SIGN-") as directory:',
                'buffer = Path(directory) / "XXpayloadXX"',
                'buffer = Path(directory) / "PAYLOAD"',
            ],
            "names inside a private temporary directory that lives only while ssh-keygen signs: "
            "never shown, and ssh-keygen writes `<file>.sig` beside whatever file it signs, which "
            "is where the signature is read from",
        ),
        **dict.fromkeys(
            [
                'key_file = Path(directory) / "XXkey.pubXX"',
                'key_file = Path(directory) / "KEY.PUB"',
            ],
            "ssh-keygen reads the public key from whatever path `-f` names and signs with the "
            "agent's private half; without the agent it looks for a private key beside the file "
            "(the name less `.pub`), which a fresh temporary directory never holds, by any name",
        ),
        "return signature.read_text(encoding=None)": (
            "an ssh signature is ASCII armor (base64 between BEGIN/END lines), read alike in every "
            "locale encoding (all are ASCII-compatible on POSIX)"
        ),
        **dict.fromkeys(
            [
                'return ident.partition("<")[2].rpartition(">")[0]',
                'return ident.rpartition("<")[2].partition(">")[0]',
            ],
            "git drops '<', '>' and newlines from a name and an email when it makes an ident "
            "(name `a<b>c`, email `x<y>z@e` give `abc <xyz@e> ...`): an ident has one of each",
        ),
        'return store.run("config", key).strip() or None': (
            "`git config <name>` is git's own short form of `git config --get <name>` (same value, "
            "same exit 1 when unset); the names are promptreg's constants, never an option"
        ),
    },
}
