"""One model call as an eval makes it: from the cache, else from the runner, with retries.

Retryable failures (HTTP 429 and 5xx, timeouts, a command's exit 75) are tried again up to
`retries` times, waiting `backoff`, then twice that, and so on (at most a minute; longer when
the server's `Retry-After` asks for it). The caller counts requests, cache hits, retries and
the tokens each model used, for the report.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from promptreg.evals.cache import ResponseCache, cache_key
from promptreg.evals.runners import CallError, CallKind, Completion, Runner
from promptreg.frontmatter.spec import ModelSpec
from promptreg.template.render import ChatMessage

MAX_DELAY = 60.0


@dataclass(frozen=True)
class ModelUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    unreported: int = 0  # replies that came without usage


@dataclass(frozen=True)
class CallStats:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    by_model: Mapping[str, ModelUsage] = field(default_factory=dict)


class Caller:
    """Makes calls for one eval run; shared by its worker threads."""

    def __init__(
        self,
        runner: Runner,
        cache: ResponseCache | None,
        *,
        timeout: float,
        retries: int,
        backoff: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.runner = runner
        self.cache = cache
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._lock = threading.Lock()
        self._requests = self._hits = self._retries = self._failures = 0
        self._usage: dict[str, ModelUsage] = {}

    def call(
        self,
        messages: Sequence[ChatMessage],
        model: ModelSpec,
        key_parts: Mapping[str, Any],
        *,
        call: CallKind = "prompt",
        metric: str | None = None,
    ) -> Completion:
        """The completion for `messages`. `call` and `metric` tell the runner whose call it is
        (the prompt's, or the judge metric `metric`'s); the cache key does not need them, as
        `key_parts` already differ. Raises `CallError` once retries are used up."""
        key = cache_key({"runner": self.runner.cache_id, **key_parts})
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                with self._lock:
                    self._hits += 1
                return cached
        completion = self._with_retries(messages, model, call, metric)
        self._count(model, completion)
        if self.cache is not None:
            self.cache.put(key, completion)
        return completion

    def _with_retries(
        self,
        messages: Sequence[ChatMessage],
        model: ModelSpec,
        call: CallKind,
        metric: str | None,
    ) -> Completion:
        attempt = 0
        while True:
            with self._lock:
                self._requests += 1
            try:
                return self.runner.complete(
                    messages, model, timeout=self.timeout, call=call, metric=metric
                )
            except CallError as err:
                if not err.retryable or attempt >= self.retries:
                    with self._lock:
                        self._failures += 1
                    if attempt:
                        raise CallError(
                            f"{err.message} (after {attempt + 1} attempts)",
                            retryable=err.retryable,
                        ) from None
                    raise
                delay = min(self.backoff * 2**attempt, MAX_DELAY)
                delay *= 1 + random.random() / 10  # keep parallel workers from retrying in step
                if err.retry_after is not None:
                    delay = max(delay, err.retry_after)
                with self._lock:
                    self._retries += 1
                attempt += 1
                self._sleep(delay)

    def _count(self, model: ModelSpec, completion: Completion) -> None:
        name = model.name
        with self._lock:
            seen = self._usage.get(name, ModelUsage())
            usage = completion.usage
            self._usage[name] = ModelUsage(
                seen.input_tokens + (usage.input_tokens if usage else 0),
                seen.output_tokens + (usage.output_tokens if usage else 0),
                seen.requests + 1,
                seen.unreported + (usage is None),
            )

    def stats(self) -> CallStats:
        with self._lock:
            return CallStats(
                self._requests, self._hits, self._retries, self._failures, dict(self._usage)
            )
