"""The classroom's HTTP API under /classroom/ (JSON), served by the same FastAPI app as the Gradio
page but outside Gradio's per-event queue: launch_kwargs() hands these routes to Gradio's app.
Routes and examples are in the README. Every refusal is a 4xx with {"error": message}.

Keys travel as `Authorization: Bearer <key>`; the two reading routes also take `?key=`, because a
browser's EventSource cannot set headers."""
from __future__ import annotations

import json
import threading

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from sqlalchemy.exc import OperationalError

from playground.classroom.checks import RoomError
from playground.errors import PlaygroundError
from playground.classroom.live import Live
from playground.classroom.service import RoomService

PREFIX = "/classroom"


class Classroom:
    """The service and its live updates, made on the first request (importing the app opens no
    database)."""

    def __init__(self, make_service=None):
        self._make = make_service or default_service
        self._lock = threading.Lock()
        self._service: RoomService | None = None
        self._live: Live | None = None

    @property
    def service(self) -> RoomService:
        with self._lock:
            if self._service is None:
                self._service = self._make()
            return self._service

    @property
    def live(self) -> Live:
        if self._live is None:
            self._live = Live(self.service)
        return self._live


def default_service() -> RoomService:
    """Rooms from PLAYGROUND_DB (or the default file), models from pretrained/ (the shipped ones,
    as a view may name them: never a session's model, never a path)."""
    from playground.store import ModelStore
    service = RoomService(models={m.id: m for m in ModelStore().models()})
    service.sweep()  # rooms that expired while no server ran
    return service


class RefusalsAreJSON(APIRoute):
    """A refusal (RoomError, or any PlaygroundError: 400) becomes its status with
    {"error": message}; a database too busy to answer in time, 503. The server carries on."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except PlaygroundError as err:
                return JSONResponse({"error": str(err)}, status_code=getattr(err, "status", 400))
            except OperationalError:
                return JSONResponse({"error": "the room database is busy; try again"},
                                    status_code=503, headers={"Retry-After": "1"})
        return route


def key_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return request.query_params.get("key")


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


async def read_json(request: Request, limit: int):
    """The body as JSON, refused past `limit` bytes before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RoomError(f"the body is {int(declared)} bytes; the most is {limit}", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RoomError(f"the body is over {limit} bytes", 413)
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise RoomError("the body must be JSON") from None


def query_int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise RoomError(f"{name} must be a whole number") from None
    if not lo <= value <= hi:
        raise RoomError(f"{name} must be between {lo} and {hi}")
    return value


def build_router(classroom: Classroom) -> APIRouter:
    router = APIRouter(prefix=PREFIX, route_class=RefusalsAreJSON)
    call = run_in_threadpool  # database calls block: they run in the server's thread pool

    async def teacher(request: Request, code: str):
        return await call(classroom.service.teacher, code, key_of(request), client_of(request))

    async def changed(room, version: int) -> dict:
        await classroom.live.changed(room.id)
        return {"version": version}

    @router.post("/rooms", status_code=201)
    async def create_room(request: Request):
        made = await call(classroom.service.create_room, client_of(request))
        return {"code": made.code, "teacher_key": made.teacher_key, "expires_at": made.expires_at}

    @router.get("/rooms/{code}")
    async def room_info(code: str, request: Request):
        s = classroom.service
        room = await teacher(request, code)
        version, state = await call(s.teacher_state, room)
        return {"code": room.code, "expires_at": room.expires_at, "version": version,
                "state": state, "students": await call(s.roster, room),
                "limits": {"students": s.config.max_students,
                           "submissions": s.config.max_submissions,
                           "submissions_per_student": s.config.max_student_submissions,
                           "stored_bytes": s.config.max_room_bytes}}

    @router.delete("/rooms/{code}")
    async def close_room(code: str, request: Request):
        room = await teacher(request, code)
        await call(classroom.service.close, room)
        await classroom.live.changed(room.id)
        return {"closed": room.code}

    @router.post("/rooms/{code}/students", status_code=201)
    async def join(code: str, request: Request):
        body = await read_json(request, classroom.service.config.max_body_bytes)
        name = body.get("name") if isinstance(body, dict) else None
        joined = await call(classroom.service.join, code, name, client_of(request))
        return {"student_id": joined.student_id, "student_key": joined.student_key,
                "name": joined.name}

    @router.get("/rooms/{code}/view")
    async def read_view(code: str, request: Request):
        """The room's view, question and round. With ?since=<version>, waits (up to ?wait=
        seconds, 25 at most) until the version is above it: a long-poll."""
        s = classroom.service
        room = await call(s.member, code, key_of(request), client_of(request))
        since = query_int(request, "since", -1, -1, 2**62)
        wait = query_int(request, "wait", int(s.config.long_poll_s), 0, int(s.config.long_poll_s))
        w = await classroom.live.wait(room, since, wait if since >= 0 else 0)
        if w.gone:
            raise RoomError(f"room {room.code} was closed", 404)
        return Response(w.payload, media_type="application/json")

    @router.get("/rooms/{code}/events")
    async def events(code: str, request: Request):
        """Server-sent events: `state` (the view, question and round as JSON, its version as the
        event id) now and on every change; `closed` when the room goes. A reconnecting
        EventSource sends Last-Event-ID and gets only what is newer."""
        s = classroom.service
        room = await call(s.member, code, key_of(request), client_of(request))
        last = request.headers.get("last-event-id", "")
        since = int(last) if last.isdigit() and len(last) < 15 else -1

        async def stream():
            nonlocal since
            yield "retry: 1000\n\n"  # reconnect after a second, not the browser's default 3
            while True:
                w = await classroom.live.wait(room, since, s.config.heartbeat_s)
                if w.gone:
                    yield "event: closed\ndata: {}\n\n"
                    return
                if w.version > since:
                    since = w.version
                    yield f"id: {w.version}\nevent: state\ndata: {w.payload}\n\n"
                else:
                    yield ": still here\n\n"  # a heartbeat; also finds a closed connection
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.put("/rooms/{code}/view")
    async def push_view(code: str, request: Request):
        room = await teacher(request, code)
        body = await read_json(request, classroom.service.config.max_body_bytes)
        return await changed(room, await call(classroom.service.push_view, room, body))

    @router.put("/rooms/{code}/question")
    async def set_question(code: str, request: Request):
        room = await teacher(request, code)
        body = await read_json(request, classroom.service.config.max_body_bytes)
        return await changed(room, await call(classroom.service.set_question, room, body))

    @router.put("/rooms/{code}/round")
    async def start_round(code: str, request: Request):
        room = await teacher(request, code)
        body = await read_json(request, classroom.service.config.max_body_bytes)
        items = body.get("items") if isinstance(body, dict) else None
        return await changed(room, await call(classroom.service.start_round, room, items))

    @router.post("/rooms/{code}/round/reveal")
    async def reveal_round(code: str, request: Request):
        room = await teacher(request, code)
        return await changed(room, await call(classroom.service.reveal_round, room))

    @router.post("/rooms/{code}/submissions", status_code=201)
    async def submit(code: str, request: Request):
        s = classroom.service
        room, student = await call(s.student, code, key_of(request), client_of(request))
        body = await read_json(request, s.config.max_body_bytes)
        return {"id": await call(s.submit, room, student, body)}

    @router.get("/rooms/{code}/submissions")
    async def read_submissions(code: str, request: Request):
        """The room's submissions with ids above ?after= (oldest first, ?limit= at most 1,000)."""
        room = await teacher(request, code)
        after = query_int(request, "after", 0, 0, 2**62)
        limit = query_int(request, "limit", 500, 1, 1000)
        found = await call(classroom.service.submissions, room, after, limit)
        return {"submissions": found, "last_id": found[-1]["id"] if found else after}

    @router.get("/rooms/{code}/results")
    async def results(code: str, request: Request):
        room = await teacher(request, code)
        return await call(classroom.service.results, room)

    return router


CLASSROOM = Classroom()


def classroom_routes() -> list:
    """The routes for Gradio's FastAPI app (launch(app_kwargs={"routes": ...}))."""
    return build_router(CLASSROOM).routes
