"""The `openai` runner: the official SDK, against OpenAI or any OpenAI-compatible server.

`pip install 'git-promptreg[openai]'`. The key comes from `OPENAI_API_KEY`; the base URL from
`--runner openai:BASE_URL`, else `OPENAI_BASE_URL`, else OpenAI's. A server of your own (vLLM,
Ollama, LiteLLM, …) usually needs no key, so none is required once a base URL is given.
The SDK's own retries are off: `calls.py` retries every runner the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, cast

from promptreg.errors import UsageError
from promptreg.evals.runners import CallError, CallKind, Completion, Usage
from promptreg.frontmatter.spec import ModelSpec
from promptreg.template.render import ChatMessage

_MAX_RETRY_AFTER = 60.0


class OpenAIRunner:
    def __init__(self, base_url: str | None) -> None:
        try:
            import openai
        except ImportError:
            raise UsageError(
                "the openai runner needs the `openai` package: pip install 'git-promptreg[openai]'"
            ) from None
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            if base_url is None and not os.environ.get("OPENAI_BASE_URL"):
                raise UsageError(
                    "OPENAI_API_KEY is not set: export it, or give an OpenAI-compatible server "
                    "with --runner openai:BASE_URL"
                )
            key = "unused"  # the SDK insists on a key; local servers ignore it
        self._client = openai.OpenAI(api_key=key, base_url=base_url, max_retries=0)
        self.base_url = str(self._client.base_url)
        self.cache_id = f"openai:{self.base_url}"

    def complete(
        self,
        messages: Sequence[ChatMessage],
        model: ModelSpec,
        *,
        timeout: float,
        call: CallKind = "prompt",  # a real model needs no telling: the messages say it all
        metric: str | None = None,
    ) -> Completion:
        import openai

        try:
            reply = self._client.chat.completions.create(
                model=model.name,
                messages=cast(Any, list(messages)),
                timeout=timeout,
                # params pass through as written: the SDK's typed keywords would refuse any
                # parameter a compatible server adds.
                extra_body=dict(model.params) or None,
            )
        except openai.APITimeoutError:
            raise CallError(f"timed out after {timeout:g}s", retryable=True) from None
        except openai.APIConnectionError as err:
            raise CallError(f"cannot reach {self.base_url}: {err}", retryable=True) from None
        except openai.APIStatusError as err:
            status = err.status_code
            raise CallError(
                f"HTTP {status} from {self.base_url}: {_detail(err)}",
                retryable=status in (408, 409, 429) or status >= 500,
                retry_after=_retry_after(err),
            ) from None
        except openai.OpenAIError as err:
            raise CallError(f"{type(err).__name__}: {err}") from None
        if not reply.choices or reply.choices[0].message.content is None:
            raise CallError("the reply has no message content")
        usage = reply.usage
        return Completion(
            reply.choices[0].message.content,
            Usage(usage.prompt_tokens, usage.completion_tokens) if usage is not None else None,
            # What the server says answered (an alias resolves to a dated model here); a server
            # that does not say answered the model it was asked for.
            reply.model if isinstance(reply.model, str) and reply.model else model.name,
        )


def _detail(err: Any) -> str:
    body = err.body
    if isinstance(body, dict):
        message = body.get("message") or body.get("error", {})
        if isinstance(message, dict):
            message = message.get("message")
        if isinstance(message, str):
            return message
    return str(err.message)


def _retry_after(err: Any) -> float | None:
    value = err.response.headers.get("retry-after")
    try:
        return min(float(value), _MAX_RETRY_AFTER) if value is not None else None
    except ValueError:
        return None
