"""The room service in-process (no server): guessing limits, expiry, per-room limits, hashed keys."""
import base64

import pytest

from playground.classroom import ClassroomConfig, RoomError, RoomService

INK = base64.b64encode(bytes([255] * 784)).decode()


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def make(tmp_path):
    def make(**limits):
        clock = Clock()
        config = ClassroomConfig(database=str(tmp_path / "rooms.db"), **limits)
        return RoomService(config, latent_dims={"vae-mnist-2d": 2}, clock=clock), clock
    return make


def refused(status, fn, *args):
    with pytest.raises(RoomError) as err:
        fn(*args)
    assert err.value.status == status, err.value
    return str(err.value)


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
    service, _ = make()
    made = service.create_room()
    joined = service.join(made.code, "Ann")
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("rooms.db*"))
    assert made.teacher_key.encode() not in raw
    assert joined.student_key.split(".")[1].encode() not in raw


def test_limits_are_checked_when_the_config_is_made():
    with pytest.raises(ValueError, match="max_students"):
        ClassroomConfig(max_students=0)
    with pytest.raises(ValueError, match="room_ttl_s"):
        ClassroomConfig(room_ttl_s=-1)
