"""Rooms: create, join, push what the class sees, submit, read the results. Every input passes one
validator (checks.py); every call that acts for a teacher or a student checks its key; limits give
clear errors (RoomError with an HTTP status). No Gradio, no HTTP: http.py and the page call this.

Keys: a room has a short code students type and a secret teacher key; a student gets a key on
joining. Only sha256 hashes of keys are stored, compared with hmac.compare_digest. A student key
is "<student id>.<secret>" (the hash is of the secret), so checking it reads one row."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Mapping

import playground.classroom.checks as checks
from playground.classroom.checks import RoomError
from playground.classroom.config import ClassroomConfig
from playground.classroom.store import Store
from playground.errors import check_int
from playground.lru import LRU
from playground.view import View

# Codes avoid look-alikes (0/O, 1/I/L) so a code read off a projector is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6   # 31^6 ≈ 890 million codes: at 30 guesses a minute a client finds a room in ~years


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Room:
    """What a checked call acts on."""
    id: int
    code: str
    expires_at: float


@dataclass(frozen=True)
class Created:
    code: str
    teacher_key: str
    expires_at: float


@dataclass(frozen=True)
class Joined:
    student_id: int
    student_key: str
    name: str


class RoomService:
    """`models`: {id: ModelInfo} of the models a view may name (playground/view.py checks views
    against them); `latent_dims`: {id: latent dims} of the models whose latents students may send
    (default: those of `models` with a decoder; None with no models: any plausible id and length)."""

    def __init__(self, config: ClassroomConfig | None = None, *, models: Mapping | None = None,
                 latent_dims: dict | None = None, clock: Callable[[], float] = time.time):
        self.config = config or ClassroomConfig.from_env()
        self.store = Store(self.config.url)
        self.models = dict(models or {})
        if latent_dims is None and models is not None:
            latent_dims = {m.id: m.latent_dim for m in self.models.values() if m.has("decode")}
        self.latent_dims = latent_dims
        self.clock = clock
        # per client (per process: behind a load balancer each process counts its own)
        self._failures = Recent(60.0)      # wrong codes and keys in the last minute
        self._creations = Recent(3600.0)   # rooms made in the last hour

    def _guard(self, client: str) -> None:
        wait = self._failures.wait(client, self.config.failures_per_minute, self.clock())
        if wait:
            raise RoomError(f"too many wrong codes or keys from your address; wait {wait:.0f} s", 429)

    def _failed(self, client: str, err: RoomError) -> RoomError:
        self._failures.add(client, self.clock())
        return err

    # ---- rooms -------------------------------------------------------------------------------
    def create_room(self, client: str = "") -> Created:
        wait = self._creations.wait(client, self.config.rooms_per_hour, self.clock())
        if wait:
            raise RoomError(f"your address has made {self.config.rooms_per_hour} rooms this hour; "
                            f"wait {wait / 60:.0f} min", 429)
        self.sweep()
        key = "t." + secrets.token_urlsafe(24)
        for _ in range(10):  # a taken code is rare (1 in ~1e6 at 1,000 rooms); try another
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                row = self.store.create_room(code, hash_key(key), self.clock(), self.config.room_ttl_s,
                                             self.config.max_rooms)
            except LookupError:
                raise RoomError(f"this server holds {self.config.max_rooms} rooms, its most; "
                                f"try again when one expires", 503) from None
            if row is not None:
                self._creations.add(client, self.clock())
                return Created(code, key, row["expires_at"])
        raise RoomError("no free room code; try again", 503)

    def room(self, code, client: str = "") -> Room:
        """The live room of this code (an expired one is deleted and is gone)."""
        row = self._row(code, client)
        return Room(row["id"], row["code"], row["expires_at"])

    def _row(self, code, client: str) -> dict:
        self._guard(client)
        try:
            code = checks.check_code(code)
        except RoomError as err:
            raise self._failed(client, err)
        row = self.store.room(code)
        if row is not None and row["expires_at"] <= self.clock():
            self.store.delete_room(row["id"])
            row = None
        if row is None:
            raise self._failed(client, RoomError(f"no room {code} (rooms expire after "
                                                 f"{self.config.room_ttl_s / 3600:g} hours)", 404))
        return row

    def teacher(self, code, key, client: str = "") -> Room:
        """The room, if `key` is its teacher key."""
        row = self._row(code, client)
        if not isinstance(key, str) or not hmac.compare_digest(hash_key(key), row["teacher_hash"]):
            raise self._failed(client, RoomError("this is not the teacher key of room "
                                                 f"{row['code']}", 403))
        return Room(row["id"], row["code"], row["expires_at"])

    def student(self, code, key, client: str = "") -> tuple[Room, dict]:
        """(room, student row), if `key` is the key of a student of this room."""
        room = self.room(code, client)
        sid, _, secret = key.partition(".") if isinstance(key, str) else ("", "", "")
        row = self.store.student(room.id, int(sid)) if sid.isdigit() and len(sid) < 12 else None
        if row is None or not hmac.compare_digest(hash_key(secret), row["key_hash"]):
            raise self._failed(client, RoomError(f"this is not a student key of room {room.code}",
                                                 403))
        return room, row

    def member(self, code, key, client: str = "") -> Room:
        """The room, for its teacher or any of its students (who may all read what it shows)."""
        if isinstance(key, str) and key.startswith("t."):
            return self.teacher(code, key, client)
        return self.student(code, key, client)[0]

    def close(self, room: Room) -> None:
        self.store.delete_room(room.id)

    def sweep(self) -> int:
        """Delete every expired room; how many."""
        gone = self.store.expired(self.clock())
        for room_id in gone:
            self.store.delete_room(room_id)
        return len(gone)

    # ---- joining -----------------------------------------------------------------------------
    def join(self, code, name, client: str = "") -> Joined:
        room = self.room(code, client)
        name = checks.check_name(name)
        secret = secrets.token_urlsafe(24)
        sid = self.store.add_student(room.id, name, hash_key(secret), self.config.max_students)
        if sid is None:
            raise RoomError(f"room {room.code} is full ({self.config.max_students} students)", 409)
        return Joined(sid, f"{sid}.{secret}", name)

    # ---- what the class sees -----------------------------------------------------------------
    def teacher_state(self, room: Room) -> tuple[int, dict]:
        """(version, the whole state): a round's answers included."""
        found = self.store.state(room.id)
        if found is None:
            raise RoomError(f"room {room.code} was closed", 404)
        return found

    def state(self, room: Room) -> tuple[int, dict]:
        """(version, what students see): view, question, round (without the answers until it is
        revealed)."""
        version, state = self.teacher_state(room)
        return version, public(state)

    def _change(self, room: Room, change) -> int:
        try:
            return self.store.update_state(room.id, change)[0]
        except KeyError:
            raise RoomError(f"room {room.code} changed or was closed; try again", 409) from None

    def push_view(self, room: Room, view) -> int:
        """The view every student's page follows: playground/view.py's View, checked once."""
        view = checks.refuse(lambda: View.from_dict(view, self.models).to_dict())
        return self._change(room, lambda s: {**s, "view": view})

    def set_question(self, room: Room, question) -> int:
        question = checks.check_question(question)

        def change(s):
            if question is None:
                return {**s, "question": None}
            return {**s, "question": {**question, "id": (s.get("question") or {}).get("id", 0) + 1}}
        return self._change(room, change)

    def start_round(self, room: Room, items) -> int:
        items = checks.check_round(items)
        return self._change(room, lambda s: {**s, "round": {
            "id": (s.get("round") or {}).get("id", 0) + 1, "items": items, "revealed": False}})

    def reveal_round(self, room: Room) -> int:
        def change(s):
            if not s.get("round"):
                raise RoomError("there is no round to reveal", 409)
            return {**s, "round": {**s["round"], "revealed": True,
                                   "results": self.round_results(room, s["round"])}}
        return self._change(room, change)

    # ---- submissions -------------------------------------------------------------------------
    def submit(self, room: Room, student: dict, body) -> int:
        """A student's latent, drawing, answer or vote, validated against what the room shows."""
        body = checks.check_object(body, "a submission")
        kind, ref = body.get("kind"), 0
        if kind == "latent":
            model, z = checks.check_room_latent(body.get("model"), body.get("z"), self.latent_dims)
            clean = {"model": model, "z": z}
        elif kind == "drawing":
            clean = {"pixels": checks.check_drawing(body.get("pixels"))}
        elif kind in ("answer", "vote"):
            _, state = self.teacher_state(room)
            if kind == "answer":
                question = state.get("question")
                if not question:
                    raise RoomError("there is no question to answer now", 409)
                ref, clean = question["id"], {"value": checks.check_answer(body.get("value"),
                                                                           question)}
            else:
                rnd = state.get("round")
                if not rnd or rnd["revealed"]:
                    raise RoomError("there is no round to vote in now", 409)
                item = body.get("item")
                if isinstance(item, bool) or not isinstance(item, int) or \
                        not 0 <= item < len(rnd["items"]):
                    raise RoomError(f"item must be an image number from 0 to "
                                    f"{len(rnd['items']) - 1}")
                if not isinstance(body.get("real"), bool):
                    raise RoomError("real must be true or false")
                ref, clean = rnd["id"], {"item": item, "real": body["real"]}
        else:
            raise RoomError("kind must be latent, drawing, answer or vote")
        got = self.store.add_submission(room.id, student["id"], kind, ref, clean, (
            self.config.max_submissions, self.config.max_room_bytes,
            self.config.max_student_submissions))
        if isinstance(got, str):
            raise RoomError({
                "room": f"room {room.code} holds {self.config.max_submissions} submissions, its most",
                "bytes": f"room {room.code} holds {self.config.max_room_bytes / 1e6:g} MB of "
                         "submissions, its most",
                "student": f"you have sent {self.config.max_student_submissions} submissions, "
                           "the most one student may"}[got], 409)
        return got

    def submissions(self, room: Room, after=0, limit=500) -> list[dict]:
        after = checks.refuse(check_int, after, "after", 0, 2**62)
        limit = checks.refuse(check_int, limit, "limit", 1, 1000)
        return self.store.submissions(room.id, after, limit)

    def roster(self, room: Room) -> list[dict]:
        return self.store.roster(room.id)

    def results(self, room: Room) -> dict:
        """The class's answers to the current question (a count per answer) and its votes in the
        current round (per image and its accuracy): each student's last word counts."""
        _, state = self.teacher_state(room)
        out = {"question": None, "round": None}
        question = state.get("question")
        if question:
            last = {s["student_id"]: s["body"]["value"]
                    for s in self.store.submissions(room.id, kinds=["answer"], ref=question["id"],
                                                    limit=10**9)}
            counts = {c: 0 for c in question.get("choices", [])}
            for value in last.values():
                counts[value] = counts.get(value, 0) + 1
            out["question"] = {**question, "counts": counts, "answers": len(last)}
        if state.get("round"):
            out["round"] = {"id": state["round"]["id"], "revealed": state["round"]["revealed"],
                            **self.round_results(room, state["round"])}
        return out

    def round_results(self, room: Room, rnd: dict) -> dict:
        votes = {}
        for s in self.store.submissions(room.id, kinds=["vote"], ref=rnd["id"], limit=10**9):
            votes[(s["student_id"], s["body"]["item"])] = s["body"]["real"]
        items, right, total = [], 0, 0
        for i, item in enumerate(rnd["items"]):
            said = [real for (_, j), real in votes.items() if j == i]
            correct = sum(real == item["real"] for real in said)
            right, total = right + correct, total + len(said)
            items.append({"real": item["real"], "votes_real": sum(said),
                          "votes_generated": len(said) - sum(said),
                          "accuracy": round(correct / len(said), 3) if said else None})
        return {"items": items, "votes": total,
                "accuracy": round(right / total, 3) if total else None}


class Recent:
    """Events per client within the last `window` seconds (bounded: the LRU forgets clients idle
    for a window, and the least recent beyond 10,000)."""

    def __init__(self, window: float):
        self.window = window
        self._times: LRU[deque] = LRU(10_000, ttl=window)
        self._lock = threading.Lock()

    def add(self, client: str, now: float) -> None:
        with self._lock:
            times = self._times.get(client)
            if times is None:
                times = self._times.put(client, deque())
            times.append(now)

    def wait(self, client: str, limit: int, now: float) -> float:
        """0 when `client` may act now, else the seconds until it may."""
        with self._lock:
            times = self._times.get(client)
            while times and now - times[0] > self.window:
                times.popleft()
            return self.window - (now - times[0]) if times and len(times) >= limit else 0.0


def public(state: dict) -> dict:
    """What students may see of a room's state: a round's answers only once revealed."""
    out = {"view": state.get("view"), "question": state.get("question"), "round": None}
    rnd = state.get("round")
    if rnd:
        out["round"] = {"id": rnd["id"], "revealed": rnd["revealed"],
                        "items": [{"pixels": it["pixels"], **({"real": it["real"]}
                                                            if rnd["revealed"] else {})}
                                  for it in rnd["items"]],
                        **({"results": rnd["results"]} if rnd["revealed"] else {})}
    return out
