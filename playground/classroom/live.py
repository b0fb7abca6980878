"""Live updates for one process: the rooms someone here waits on (an event stream or a long-poll),
each with its current version and public state, read once per version and shared by every waiter.

A push through this process wakes its waiters at once (`changed`). A push through another process
on the same database is seen by one poll of the watched rooms' versions every `poll_s` (~4 reads a
second per process, however many students), which reads the new state once. Nothing here goes
through Gradio's queue: 100 students waiting cost 100 idle coroutines, no threads."""
from __future__ import annotations

import asyncio
import json
import time

from playground.classroom.service import Room, RoomService, public

IDLE_S = 60.0   # a room nobody has waited on for this long is no longer polled


class Watch:
    """One room as this process knows it. `payload`: the state as an event's data, serialised once
    per version for every student; `changed` is set (and replaced) on every new version."""

    def __init__(self, version: int, state: dict):
        self.version, self.gone, self.waiters, self.seen = version, False, 0, time.monotonic()
        self.changed = asyncio.Event()
        self.set(version, state)

    def set(self, version: int, state: dict) -> None:
        self.version, self.state = version, {"version": version, **public(state)}
        self.payload = json.dumps(self.state, separators=(",", ":"))

    def wake(self) -> None:
        event, self.changed = self.changed, asyncio.Event()
        event.set()


class Live:
    def __init__(self, service: RoomService):
        self.service = service
        self.rooms: dict[int, Watch] = {}
        self._poller: asyncio.Task | None = None
        self._last_sweep = time.monotonic()

    async def watch(self, room: Room) -> Watch:
        w = self.rooms.get(room.id)
        if w is None:
            found = await asyncio.to_thread(self.service.store.state, room.id)
            if found is None:
                return _gone()
            w = self.rooms.get(room.id)  # another waiter may have read it meanwhile
            if w is None:
                w = self.rooms[room.id] = Watch(*found)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        w.seen = time.monotonic()
        return w

    async def wait(self, room: Room, since: int, timeout: float) -> Watch:
        """The room's watch once its version is above `since` (or it is gone), or after `timeout`
        seconds with the version unchanged."""
        w = await self.watch(room)
        w.waiters += 1
        try:
            deadline = time.monotonic() + timeout
            while w.version <= since and not w.gone:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(w.changed.wait(), left)
                except asyncio.TimeoutError:
                    break
        finally:
            w.waiters -= 1
            w.seen = time.monotonic()
        return w

    async def changed(self, room_id: int) -> None:
        """A push through this process: read the room's new state once and wake its waiters."""
        if room_id in self.rooms:
            await self._refresh(room_id)

    async def _refresh(self, room_id: int) -> None:
        found = await asyncio.to_thread(self.service.store.state, room_id)
        w = self.rooms.get(room_id)
        if w is None:
            return
        if found is None:
            w.gone = True
            self.rooms.pop(room_id, None)
        elif found[0] > w.version:
            w.set(*found)
        else:
            return
        w.wake()

    async def _poll(self) -> None:
        """Every poll_s: the versions of the watched rooms in one query; a changed or deleted room
        is re-read and its waiters woken. Rooms idle for IDLE_S are dropped; expired rooms are
        swept every sweep_s. Stops when no room is watched (the next waiter restarts it)."""
        config = self.service.config
        while self.rooms:
            await asyncio.sleep(config.poll_s)
            now = time.monotonic()
            for room_id, w in list(self.rooms.items()):
                if not w.waiters and now - w.seen > IDLE_S:
                    self.rooms.pop(room_id, None)
            try:
                if now - self._last_sweep > config.sweep_s:
                    self._last_sweep = now
                    await asyncio.to_thread(self.service.sweep)
                ids = list(self.rooms)
                versions = await asyncio.to_thread(self.service.store.versions, ids) if ids else {}
                for room_id in ids:
                    w = self.rooms.get(room_id)
                    if w is not None and versions.get(room_id, -1) != w.version:
                        await self._refresh(room_id)
            except Exception:  # noqa: BLE001 - a database hiccup must not end live updates
                await asyncio.sleep(1.0)


def _gone() -> Watch:
    w = Watch(-1, {})
    w.gone = True
    return w
