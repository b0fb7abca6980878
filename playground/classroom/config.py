"""The classroom's settings: where rooms live, how long they last, how much one room may hold.
Checked once, when the config is made (a bad limit fails at start-up, not mid-lesson)."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from playground.errors import PlaygroundError

# The default database lives in data/ beside the code, ignored by git: one file a teacher can copy
# or delete, found again by the next `python app.py` in the same checkout (a restart loses nothing),
# and never among the tracked files. PLAYGROUND_DB overrides it (a path or a SQLAlchemy URL).
DEFAULT_DB = Path(__file__).resolve().parent.parent.parent / "data" / "classroom.db"


@dataclass(frozen=True)
class ClassroomConfig:
    database: str = str(DEFAULT_DB)  # a file path (SQLite) or a URL: postgresql+psycopg://... for several processes
    room_ttl_s: float = 12 * 3600    # a school day: a room outlives its lesson, then it and its data are deleted
    max_students: int = 200          # a lecture hall; beyond that it is a broadcast, not a class
    max_submissions: int = 10_000    # per room: 100 students submitting every 30 s for 50 minutes
    max_student_submissions: int = 500  # one student (or a script) cannot fill the room for everyone
    max_room_bytes: int = 20_000_000  # stored submissions per room: ~10,000 drawings; the disk stays small
    max_body_bytes: int = 16_384     # one request: a drawing (784 bytes, base64) or a 1,024-dim latent fits
    max_rooms: int = 1000            # live rooms on one database; creating more waits for expiry
    failures_per_minute: int = 30    # wrong codes or keys per client before 429: guessing a code takes years
    rooms_per_hour: int = 100        # rooms one address may make: a school behind one NAT, not a script filling max_rooms
    poll_s: float = 0.25             # how often a process reads the versions of rooms it serves (other
                                     # processes' pushes); ~4 reads/s per process, not per student
    long_poll_s: float = 25.0        # the longest a long-poll waits; under common 30 s proxy timeouts
    heartbeat_s: float = 15.0        # a comment on idle event streams so proxies keep them open
    sweep_s: float = 300.0           # how often expired rooms are deleted

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "database" and not (isinstance(value, (int, float)) and value > 0):
                raise PlaygroundError(f"classroom setting {f.name} must be a positive number, "
                                      f"got {value!r}")
        if not self.database:
            raise PlaygroundError("classroom database must be a path or a URL")

    @property
    def url(self) -> str:
        """The SQLAlchemy URL: a plain path means a SQLite file; a bare postgresql:// (or a
        libpq-style postgres://) URL gets the installed driver, psycopg 3 (SQLAlchemy's default
        for it, psycopg2, is not installed)."""
        if "://" not in self.database:
            return f"sqlite:///{self.database}"
        scheme, rest = self.database.split("://", 1)
        return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else self.database

    @classmethod
    def from_env(cls, env=os.environ) -> "ClassroomConfig":
        """PLAYGROUND_DB: database path or URL; PLAYGROUND_ROOM_TTL_HOURS: room lifetime."""
        kw = {}
        if env.get("PLAYGROUND_DB"):
            kw["database"] = env["PLAYGROUND_DB"]
        if env.get("PLAYGROUND_ROOM_TTL_HOURS"):
            try:
                kw["room_ttl_s"] = float(env["PLAYGROUND_ROOM_TTL_HOURS"]) * 3600
            except ValueError:
                raise PlaygroundError("PLAYGROUND_ROOM_TTL_HOURS must be a number of hours")
        return cls(**kw)
