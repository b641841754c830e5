"""A loopback fake of an OpenAI-compatible ``POST /v1/chat/completions`` endpoint.

It checks the bearer key, records the messages, and answers the queued replies
(``reply_with``), else ``"You said: <last user message>"``. An empty queued reply
answers with empty content, as real models sometimes do.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, Fault, Recorded

PATH = "/v1/chat/completions"


class FakeOpenAI(FakeServer):
    def __init__(self, api_key: str = "sk-fake") -> None:
        super().__init__()
        self.api_key = api_key
        self.replies: list[str] = []
        self.route("POST", PATH, self._complete)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def reply_with(self, *texts: str) -> None:
        self.replies.extend(texts)

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        body = {"error": {"message": str(fault.body or "fake failure"), "type": "server_error"}}
        return web.json_response(body, status=fault.status, headers=fault.headers)

    async def _complete(self, request: web.Request, recorded: Recorded) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response(
                {
                    "error": {
                        "message": "Incorrect API key provided",
                        "type": "invalid_request_error",
                    }
                },
                status=401,
            )
        body: dict[str, Any] = recorded.json()
        users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
        text = self.replies.pop(0) if self.replies else f"You said: {users[-1] if users else ''}"
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.get("model"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }
        )
