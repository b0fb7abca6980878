"""Rooms, students and submissions in one database (SQLAlchemy Core): a SQLite file by default, any
SQLAlchemy URL (PostgreSQL for several app processes) by config. Every counter a limit reads is
updated in the same statement that checks it, so two processes never both take the last seat;
the one count that cannot be (rooms) is read under a lock taken first in its transaction.
Knows rows, not rules: validation, keys and limits' messages live in service.py."""
from __future__ import annotations

import json
import time
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()
# Ids: 64-bit on PostgreSQL, where a plain Integer is int4 and a student key's or ?after='s number
# beyond 2^31 fails the query ("integer out of range", a 500) instead of finding no row; SQLite's
# auto-increment needs its own INTEGER PRIMARY KEY, which is 64-bit already.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# PostgreSQL advisory locks (transaction-scoped) of this module: any two distinct numbers
CREATE_TABLES_LOCK, CREATE_ROOM_LOCK = 7474611, 7474612

rooms = sa.Table(
    "rooms", metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("teacher_hash", sa.String(64), nullable=False),   # sha256 of the teacher key
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False, default=0),  # +1 per change students follow
    sa.Column("state", sa.Text, nullable=False, default="{}"),    # JSON: view, question, round
    sa.Column("students", sa.Integer, nullable=False, default=0),
    sa.Column("submissions", sa.Integer, nullable=False, default=0),
    sa.Column("stored_bytes", sa.Integer, nullable=False, default=0),
)
students = sa.Table(
    "students", metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("room_id", Id, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False),
    sa.Column("joined_at", sa.Float, nullable=False),
    sa.Column("submissions", sa.Integer, nullable=False, default=0),
)
submissions = sa.Table(
    "submissions", metadata,
    sa.Column("id", Id, primary_key=True),
    sa.Column("room_id", Id, sa.ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False),
    sa.Column("student_id", Id, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("ref", sa.Integer, nullable=False, default=0),  # the question or round it answers
    sa.Column("body", sa.Text, nullable=False),                # JSON, validated
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_submissions_room_id", "room_id", "id"),
)


def open_engine(url: str) -> sa.Engine:
    """An engine with the tables created. SQLite: write-ahead log (readers never wait for the
    writer, and several processes share the file), a 10 s wait on a busy file instead of an error."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn, _record):
            cur = conn.cursor()
            for pragma in ("journal_mode=WAL", "busy_timeout=10000", "synchronous=NORMAL",
                           "foreign_keys=ON"):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            # app processes starting together would race to CREATE TABLE (one fails on a
            # duplicate type); a transaction-scoped lock lets one create, the others find them
            c.execute(sa.text(f"SELECT pg_advisory_xact_lock({CREATE_TABLES_LOCK})"))
        metadata.create_all(c)
    return engine


class Store:
    """Row operations, each one transaction. Times are wall-clock seconds (time.time()): rooms
    outlive processes."""

    def __init__(self, url: str):
        self.engine = open_engine(url)

    # ---- rooms -------------------------------------------------------------------------------
    def create_room(self, code: str, teacher_hash: str, now: float, ttl_s: float,
                    max_rooms: int) -> dict | None:
        """The new room's row; None when the code is taken. Raises LookupError at max_rooms."""
        with self.engine.begin() as c:
            # count-then-insert: unless the transaction holds a lock from its start, processes
            # (engines) asking at once all see the last free room and all take it (8 of 8 did,
            # on both databases). Creating rooms is rare: serialise it.
            if c.dialect.name == "postgresql":
                c.execute(sa.text(f"SELECT pg_advisory_xact_lock({CREATE_ROOM_LOCK})"))
            else:  # SQLite: a write first (of no row) takes the file's writer lock before the count
                c.execute(rooms.update().where(sa.false()).values(version=rooms.c.version))
            if c.scalar(sa.select(sa.func.count()).select_from(rooms)) >= max_rooms:
                raise LookupError("too many rooms")
            try:
                with c.begin_nested():
                    room_id = c.execute(rooms.insert().values(
                        code=code, teacher_hash=teacher_hash, created_at=now,
                        expires_at=now + ttl_s, version=0, state="{}", students=0,
                        submissions=0, stored_bytes=0)).inserted_primary_key[0]
            except sa.exc.IntegrityError:
                return None
        return self.room(code)

    def room(self, code: str) -> dict | None:
        with self.engine.connect() as c:
            row = c.execute(rooms.select().where(rooms.c.code == code)).mappings().first()
        return dict(row) if row else None

    def versions(self, room_ids) -> dict[int, int]:
        """{room id: version} of the rooms that still exist: the cheap poll of other processes'
        pushes."""
        with self.engine.connect() as c:
            return dict(c.execute(sa.select(rooms.c.id, rooms.c.version)
                                  .where(rooms.c.id.in_(list(room_ids)))).all())

    def state(self, room_id: int) -> tuple[int, dict] | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(rooms.c.version, rooms.c.state)
                            .where(rooms.c.id == room_id)).first()
        return None if row is None else (row[0], json.loads(row[1]))

    def update_state(self, room_id: int, change) -> tuple[int, dict]:
        """Apply `change(state) -> state` and bump the version, in one transaction (a pushed view
        and a question set at once from two processes both land)."""
        with self.engine.begin() as c:
            row = c.execute(sa.select(rooms.c.version, rooms.c.state).where(rooms.c.id == room_id)
                            .with_for_update()).first()
            if row is None:
                raise KeyError(room_id)
            state = change(json.loads(row[1]))
            version = row[0] + 1
            # the version guard makes a concurrent writer (SQLite's lock aside) retry, not overwrite
            done = c.execute(rooms.update().where(rooms.c.id == room_id, rooms.c.version == row[0])
                             .values(version=version, state=json.dumps(state))).rowcount
            if not done:
                raise KeyError(room_id)
        return version, state

    def delete_room(self, room_id: int) -> None:
        with self.engine.begin() as c:
            for table in (submissions, students):
                c.execute(table.delete().where(table.c.room_id == room_id))
            c.execute(rooms.delete().where(rooms.c.id == room_id))

    def expired(self, now: float) -> list[int]:
        with self.engine.connect() as c:
            return list(c.scalars(sa.select(rooms.c.id).where(rooms.c.expires_at <= now)))

    # ---- students ----------------------------------------------------------------------------
    def add_student(self, room_id: int, name: str, key_hash: str, max_students: int) -> int | None:
        """The new student's id; None when the room is full."""
        with self.engine.begin() as c:
            seated = c.execute(rooms.update().where(rooms.c.id == room_id,
                                                    rooms.c.students < max_students)
                               .values(students=rooms.c.students + 1)).rowcount
            if not seated:
                return None
            return c.execute(students.insert().values(
                room_id=room_id, name=name, key_hash=key_hash, joined_at=time.time(),
                submissions=0)).inserted_primary_key[0]

    def student(self, room_id: int, student_id: int) -> dict | None:
        with self.engine.connect() as c:
            row = c.execute(students.select().where(students.c.id == student_id,
                                                    students.c.room_id == room_id)).mappings().first()
        return dict(row) if row else None

    def roster(self, room_id: int) -> list[dict]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(
                sa.select(students.c.id, students.c.name, students.c.joined_at,
                          students.c.submissions)
                .where(students.c.room_id == room_id).order_by(students.c.id)).mappings()]

    # ---- submissions -------------------------------------------------------------------------
    def add_submission(self, room_id: int, student_id: int, kind: str, ref: int, body: dict,
                       limits: tuple[int, int, int]) -> int | str:
        """The submission's id, or which limit refused it: "room", "bytes" or "student".
        `limits`: (per room, stored bytes per room, per student)."""
        text = json.dumps(body, separators=(",", ":"))
        size = len(text.encode())
        max_room, max_bytes, max_student = limits
        try:
            with self.engine.begin() as c:
                if not c.execute(rooms.update().where(rooms.c.id == room_id,
                                                      rooms.c.submissions < max_room,
                                                      rooms.c.stored_bytes + size <= max_bytes)
                                 .values(submissions=rooms.c.submissions + 1,
                                         stored_bytes=rooms.c.stored_bytes + size)).rowcount:
                    row = c.execute(sa.select(rooms.c.submissions)
                                    .where(rooms.c.id == room_id)).first()
                    return "room" if row is not None and row[0] >= max_room else "bytes"
                if not c.execute(students.update().where(students.c.id == student_id,
                                                         students.c.submissions < max_student)
                                 .values(submissions=students.c.submissions + 1)).rowcount:
                    raise _Rollback  # the room's counters go back too
                return c.execute(submissions.insert().values(
                    room_id=room_id, student_id=student_id, kind=kind, ref=ref, body=text,
                    created_at=time.time())).inserted_primary_key[0]
        except _Rollback:
            return "student"

    def submissions(self, room_id: int, after: int = 0, limit: int = 1000,
                    kinds=None, ref: int | None = None) -> list[dict]:
        """Submissions with their student's name, oldest first, ids above `after`."""
        q = (sa.select(submissions.c.id, submissions.c.student_id, students.c.name,
                       submissions.c.kind, submissions.c.ref, submissions.c.body,
                       submissions.c.created_at)
             .join(students, students.c.id == submissions.c.student_id)
             .where(submissions.c.room_id == room_id, submissions.c.id > after)
             .order_by(submissions.c.id).limit(limit))
        if kinds is not None:
            q = q.where(submissions.c.kind.in_(list(kinds)))
        if ref is not None:
            q = q.where(submissions.c.ref == ref)
        with self.engine.connect() as c:
            return [{**r, "body": json.loads(r["body"])} for r in c.execute(q).mappings()]


class _Rollback(Exception):
    """Raised inside a transaction to undo it."""
