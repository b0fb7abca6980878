"""Plain HTTP routes of the page's own files, beside Gradio's (launch(app_kwargs={"routes": ...})):
outside the per-event queue and cacheable by the browser, for what every page loads once."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from playground import judge


def judge_json(request: Request) -> Response:
    """GET /web/judge.json: the judge classifier for the page (assets/webdecoder.js runs it to say
    what a decoded digit looks like); 404 when it is not shipped. Cached by the browser for a day,
    revalidated by its weights' hash."""
    body = judge.web_spec()
    if body is None:
        return JSONResponse({"error": "the judge classifier is not available"}, status_code=404)
    tag = f'"{judge.sha()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def web_routes() -> list[Route]:
    return [Route("/web/judge.json", judge_json, methods=["GET"])]
