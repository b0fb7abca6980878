"""A malformed request to the HTTP API gets a 4xx, never a 5xx.

Gradio (6.31) answers 500 when a well-formed JSON body has the wrong shape for the endpoint it
names: too few values (`{"data": []}` on /gradio_api/run/decode: "didn't receive enough input
values", raised inside the route and sent back as a server error), an unknown endpoint name on
/run/<name> or /call/<name> (an uncaught FnIndexInferError), or an fn_index no event has (a
KeyError). Broken JSON, a missing or non-list `data` already get FastAPI's 422. This middleware
checks what Gradio does not before the route runs: the endpoint exists and `data` holds one value
per input. Bodies it does not understand (not JSON, no list) pass through untouched, for FastAPI's
own 422. The app's own refusals of bad values (a gr.Error, which Gradio answers with 500 on these
routes) get 400. tests/test_http_errors.py fails when Gradio starts refusing these bodies by itself,
so the module can go.

Install it with Gradio's launch: `demo.launch(app_kwargs={"middleware": MIDDLEWARE})`, or on a
FastAPI app that has not served a request yet with `install(app)`.
"""
from __future__ import annotations

import json
import re

from starlette.middleware import Middleware

# The direct-call routes (not /queue/join, the page's own route, which already answers 400/422).
# Matched at the end of the path: under gr.mount_gradio_app the path keeps its mount prefix.
_ROUTE = re.compile(r"/gradio_api/(?:run|api|call)/(?P<name>[^/]+)/?$")


def problem(blocks, name: str, body: bytes) -> tuple[int, str] | None:
    """(status, message) for a body Gradio would answer with a 5xx, else None."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None                      # FastAPI's 422 says what is wrong with the JSON
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
        return None                      # likewise: not an object, or no list under "data"
    index = payload.get("fn_index")
    if index is not None and not isinstance(index, bool) and isinstance(index, int):
        fn = blocks.fns.get(index)
        if fn is None:
            return 422, f"no event has fn_index {index}"
    else:
        fn = next((f for f in blocks.fns.values() if f.api_name == name), None)
        if fn is None:
            return 404, f"no API endpoint /{name[:64]}: see the page's 'Use via API' for the names"
    inputs = len(fn.inputs)
    visible = sum(not block.skip_api for block in fn.inputs)
    got = len(payload["data"])
    if got not in (inputs, visible):
        return 422, f"/{fn.api_name} takes {visible} values in data, got {got}"
    return None


def with_state_slots(blocks, name: str, body: bytes) -> bytes:
    """The body with a null for each input the API does not list (gr.State: the session's, empty
    for a direct call): Gradio's queue fills those, its direct route does not and fails with "didn't
    receive enough input values" on a call made exactly as the API page says."""
    try:
        payload = json.loads(body)
        data = payload["data"]
        fn = next(f for f in blocks.fns.values() if f.api_name == name)
    except (ValueError, KeyError, TypeError, StopIteration):
        return body
    hidden = [i for i, block in enumerate(fn.inputs) if block.skip_api]
    if not hidden or not isinstance(data, list) or len(data) != len(fn.inputs) - len(hidden):
        return body
    values = iter(data)
    payload["data"] = [None if i in hidden else next(values) for i in range(len(fn.inputs))]
    return json.dumps(payload).encode()


class RefuseMalformedBodies:
    """Pure ASGI (streamed answers pass through untouched): read a direct call's body, answer a
    wrong-shaped one with 404/422 and a JSON {"error": ...}, else hand the same body on."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        match = (scope["type"] == "http" and scope["method"] == "POST"
                 and _ROUTE.search(scope["path"]))
        get_blocks = getattr(scope.get("app"), "get_blocks", None)  # Gradio's App, not a parent
        if not match or get_blocks is None:
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        blocks = get_blocks()
        found = problem(blocks, match["name"], body)
        body = with_state_slots(blocks, match["name"], body)
        if found is not None:
            status, text = found
            content = json.dumps({"error": text}).encode()
            await send({"type": "http.response.start", "status": status,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(content)).encode())]})
            await send({"type": "http.response.body", "body": content})
            return
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()       # after the body: the client's disconnect
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, UserErrorsAre400(send))


class UserErrorsAre400:
    """Gradio's direct-call routes answer a gr.Error (the app's message for a bad value: NaN, out
    of range, unknown model) with 500, as if the server had failed. Such a 500 (its JSON has the
    error's message and title) becomes 400: the request was wrong, the server is fine. Any other
    exception stays a 500."""

    def __init__(self, send):
        self.send, self.start = send, None

    async def __call__(self, message):
        if message["type"] == "http.response.start" and message["status"] == 500:
            self.start = message                 # held until the body says what it is
            return
        if self.start is not None and message["type"] == "http.response.body":
            start, self.start = self.start, None
            try:  # a gr.Error's payload has its title; any other exception's has none
                payload = json.loads(message.get("body", b""))
                is_user_error = isinstance(payload.get("error"), str) and "title" in payload
            except (ValueError, AttributeError):
                is_user_error = False
            if is_user_error and not message.get("more_body", False):
                start = {**start, "status": 400}
            await self.send(start)
        await self.send(message)


MIDDLEWARE = [Middleware(RefuseMalformedBodies)]


def install(app) -> None:
    """Add the middleware to a FastAPI app before it serves its first request."""
    app.add_middleware(RefuseMalformedBodies)
