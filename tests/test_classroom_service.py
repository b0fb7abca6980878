"""The room service in-process (no server): a room's flow, guessing limits, expiry, per-room
limits, hashed keys; each on a SQLite file and on PostgreSQL (tests/postgres.py), the two databases
the classroom supports."""
import base64

import pytest

from playground.classroom import ClassroomConfig, RoomError, RoomService

INK = base64.b64encode(bytes([255] * 784)).decode()


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def make(request, tmp_path):
    """make(**limits) -> (service, clock): a service on a new, empty database (a SQLite file, or a
    PostgreSQL database by URL, as PLAYGROUND_DB would give it)."""
    services = []

    def make(**limits):
        clock = Clock()
        if request.param == "sqlite":
            database = str(tmp_path / f"rooms{len(services)}.db")
        else:
            database = request.getfixturevalue("postgres").new_database()
        config = ClassroomConfig(database=database, **limits)
        services.append(RoomService(config, latent_dims={"vae-mnist-2d": 2}, clock=clock))
        return services[-1], clock
    yield make
    for service in services:
        service.store.engine.dispose()


def refused(status, fn, *args):
    with pytest.raises(RoomError) as err:
        fn(*args)
    assert err.value.status == status, err.value
    return str(err.value)


def test_a_room_from_start_to_submissions(make):
    service, _ = make()
    made = service.create_room()
    room = service.teacher(made.code, made.teacher_key)
    assert service.state(room) == (0, {"view": None, "question": None, "round": None})
    ann = service.join(made.code.lower(), "Ann")                # codes forgive case
    bob = service.join(made.code, "Bob")
    assert (ann.student_id, bob.student_id) != (bob.student_id, ann.student_id)
    view = {"lesson": "latent-spaces", "step": 2}
    assert service.push_view(room, view) == 1
    assert service.push_view(room, {"lesson": "latent-spaces", "step": 3}) == 2
    assert service.state(service.member(made.code, ann.student_key)) == (
        2, {"view": {"lesson": "latent-spaces", "step": 3}, "question": None, "round": None})
    _, ann_row = service.student(made.code, ann.student_key)
    _, bob_row = service.student(made.code, bob.student_key)
    first = service.submit(room, ann_row, {"kind": "latent", "model": "vae-mnist-2d", "z": [1.5, -2]})
    service.submit(room, bob_row, {"kind": "drawing", "pixels": INK})
    service.set_question(room, {"text": "Which digit?", "choices": ["3", "8"]})
    for who, value in ((ann_row, "3"), (bob_row, "8"), (ann_row, "8")):
        service.submit(room, who, {"kind": "answer", "value": value})
    subs = service.submissions(room)
    assert [(s["name"], s["kind"]) for s in subs] == [
        ("Ann", "latent"), ("Bob", "drawing"), ("Ann", "answer"), ("Bob", "answer"), ("Ann", "answer")]
    assert subs[0]["id"] == first and subs[0]["body"] == {"model": "vae-mnist-2d", "z": [1.5, -2.0]}
    assert isinstance(subs[0]["created_at"], float) and subs[0]["created_at"] > 1e9
    assert [s["id"] for s in service.submissions(room, after=subs[2]["id"])] == \
        [s["id"] for s in subs[3:]]
    assert service.submissions(room, after=2**62) == []
    assert service.results(room)["question"]["counts"] == {"3": 0, "8": 2}
    assert [(s["name"], s["submissions"]) for s in service.roster(room)] == [("Ann", 3), ("Bob", 2)]
    # wrong keys: another room's teacher, a student as teacher, a made-up or huge student id
    other = service.create_room()
    refused(403, service.teacher, made.code, other.teacher_key)
    refused(403, service.teacher, made.code, ann.student_key)
    refused(403, service.student, other.code, ann.student_key)
    refused(403, service.student, made.code, "99999999999." + ann.student_key.split(".")[1])
    refused(403, service.student, made.code, f"{bob.student_id}." + ann.student_key.split(".")[1])
    service.close(room)
    assert "no room" in refused(404, service.room, made.code)
    assert service.store.submissions(room.id) == [] and service.store.roster(room.id) == []


def test_guessing_codes_and_keys_is_rate_limited(make):
    service, clock = make(failures_per_minute=5)
    code = service.create_room().code
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        refused(404, service.join, guess, "Eve", "10.0.0.9")
    for key in ("t.x", "1.y"):
        refused(403, service.member, code, key, "10.0.0.9")
    assert "too many" in refused(429, service.join, code, "Eve", "10.0.0.9"), "even the right code"
    service.join(code, "Ann", "10.0.0.1")                        # other clients are not blocked
    clock.now += 61
    service.join(code, "Eve", "10.0.0.9")                        # a minute later, Eve may try again


def test_making_rooms_is_rate_limited(make):
    service, clock = make(rooms_per_hour=2)
    service.create_room("10.0.0.9"), service.create_room("10.0.0.9")
    assert "this hour" in refused(429, service.create_room, "10.0.0.9")
    service.create_room("10.0.0.1")
    clock.now += 3601
    service.create_room("10.0.0.9")


def test_rooms_expire_and_are_deleted(make):
    service, clock = make(room_ttl_s=3600)
    code = service.create_room().code
    service.join(code, "Ann")
    clock.now += 3599
    assert service.room(code).code == code
    clock.now += 2
    assert "expire" in refused(404, service.room, code)
    assert service.store.room(code) is None, "deleted, not only hidden"
    other = service.create_room().code
    clock.now += 3601
    assert service.sweep() == 1 and service.store.room(other) is None


def test_room_limits_give_clear_errors(make):
    service, _ = make(max_students=2, max_submissions=5, max_student_submissions=3,
                      max_room_bytes=10_000)
    code = service.create_room().code
    students = [service.student(code, service.join(code, n).student_key) for n in ("Ann", "Bob")]
    assert "full" in refused(409, service.join, code, "Cy")
    (room, ann), (_, bob) = students
    for _ in range(3):
        service.submit(room, ann, {"kind": "latent", "model": "vae-mnist-2d", "z": [0, 0]})
    assert "one student" in refused(409, service.submit, room, ann, {"kind": "drawing", "pixels": INK})
    service.submit(room, bob, {"kind": "drawing", "pixels": INK})
    service.submit(room, bob, {"kind": "drawing", "pixels": INK})
    assert "5 submissions" in refused(409, service.submit, room, bob, {"kind": "drawing", "pixels": INK})
    small, _ = make(max_room_bytes=2_000)
    code = small.create_room().code
    room, cy = small.student(code, small.join(code, "Cy").student_key)
    small.submit(room, cy, {"kind": "drawing", "pixels": INK})
    assert "MB" in refused(409, small.submit, room, cy, {"kind": "drawing", "pixels": INK})


def test_only_hashes_of_keys_are_stored(make, tmp_path):
    import sqlalchemy as sa
    service, _ = make()
    made = service.create_room()
    joined = service.join(made.code, "Ann")
    secrets = (made.teacher_key, joined.student_key.split(".")[1])
    with service.store.engine.connect() as c:  # every row of every table, as text
        rows = repr([c.execute(sa.text(f"SELECT * FROM {t}")).all()
                     for t in ("rooms", "students", "submissions")])
    assert made.code in rows and not any(s in rows for s in secrets)
    files = b"".join(p.read_bytes() for p in tmp_path.glob("rooms*.db*"))  # SQLite: the files too
    assert not any(s.encode() in files for s in secrets)


def test_postgresql_urls_get_the_installed_driver():
    url = lambda db: ClassroomConfig(database=db).url  # noqa: E731
    assert url("postgresql://u@/rooms?host=/run/pg") == "postgresql+psycopg://u@/rooms?host=/run/pg"
    assert url("postgres://u:pw@db:5432/rooms") == "postgresql+psycopg://u:pw@db:5432/rooms"
    assert url("postgresql+psycopg://u@/rooms") == "postgresql+psycopg://u@/rooms"
    assert url("/tmp/rooms.db") == "sqlite:////tmp/rooms.db"


def test_processes_starting_together_make_the_tables_once(postgres):
    """App processes behind a load balancer start at once: each opens the database and makes the
    tables it lacks. Unguarded, PostgreSQL's CREATE TABLEs collide (IntegrityError)."""
    import threading
    from playground.classroom.store import Store
    url, stores, errors = postgres.new_database(), [], []

    def start():
        try:
            stores.append(Store(url))
        except Exception as err:  # noqa: BLE001 - collected, asserted below
            errors.append(err)
    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 6
    assert stores[0].create_room("ABCDEF", "h", 0.0, 60.0, 10)["code"] == "ABCDEF"
    assert stores[5].room("ABCDEF") is not None
    for store in stores:
        store.engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_last_free_room_goes_to_one_process(kind, tmp_path, request):
    """max_rooms is counted and the room inserted in one transaction: 8 processes (engines) asking
    at once for the 3 rooms left make 3."""
    import threading
    from playground.classroom.store import Store
    url = (f"sqlite:///{tmp_path / 'rooms.db'}" if kind == "sqlite"
           else request.getfixturevalue("postgres").new_database())
    stores = [Store(url) for _ in range(8)]
    made, barrier = [], threading.Barrier(len(stores))

    def create(i, store):
        barrier.wait()
        try:
            made.append(store.create_room(f"ROOM{i:02d}", "h", 0.0, 60.0, 3))
        except LookupError:
            pass
    threads = [threading.Thread(target=create, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(made) == 3
    for store in stores:
        store.engine.dispose()


def test_limits_are_checked_when_the_config_is_made():
    with pytest.raises(ValueError, match="max_students"):
        ClassroomConfig(max_students=0)
    with pytest.raises(ValueError, match="room_ttl_s"):
        ClassroomConfig(room_ttl_s=-1)
