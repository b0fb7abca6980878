"""The classroom's HTTP API (/classroom/) against the real launched app, over HTTP: a room's whole
flow, refusals, a restart between push and read, two app processes on one database (a SQLite file,
and PostgreSQL: tests/postgres.py)."""
import base64
import json
import threading
import time

import httpx
import pytest

from playground.bench import Server

INK = base64.b64encode(bytes([0] * 392 + [255] * 392)).decode()  # a 28x28 drawing, half ink


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def create_room(http):
    r = http.post("/classroom/rooms")
    assert r.status_code == 201, r.text
    room = r.json()
    assert len(room["code"]) == 6 and room["teacher_key"]
    return room["code"], bearer(room["teacher_key"])


def join(http, code, name="Ann"):
    r = http.post(f"/classroom/rooms/{code}/students", json={"name": name})
    assert r.status_code == 201, r.text
    return bearer(r.json()["student_key"])


def sse_states(http, code, key_header, until_version, timeout=10.0):
    """The `state` events of the room's event stream until one has `until_version` or more."""
    seen = []
    with http.stream("GET", f"/classroom/rooms/{code}/events", headers=key_header,
                     timeout=timeout) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "state":
                seen.append(json.loads(line[6:]))
                if seen[-1]["version"] >= until_version:
                    return seen
    return seen


@pytest.fixture(scope="module")
def http(app_url):
    with httpx.Client(base_url=app_url, timeout=30) as c:
        yield c


def test_a_room_from_start_to_results(http):
    code, teacher = create_room(http)
    ann, bob = join(http, code.lower(), "Ann"), join(http, code, "<b>Bob</b>")  # codes forgive case
    # the teacher pushes a view; a student's long-poll, waiting on the version before it, sees it
    got = {}
    poll = threading.Thread(target=lambda: got.update(http.get(
        f"/classroom/rooms/{code}/view", params={"since": 0, "wait": 10}, headers=ann).json()))
    poll.start()
    time.sleep(0.3)
    view = {"tab": "explore", "model": "vae-mnist-2d", "z": [0.5, -1.0], "t": 0.8, "seed": 3,
            "lesson": "latent-spaces", "step": 2}
    t0 = time.perf_counter()
    assert http.put(f"/classroom/rooms/{code}/view", json=view, headers=teacher).json() == {"version": 1}
    poll.join(10)
    assert got["version"] == 1 and got["view"] == view and time.perf_counter() - t0 < 1.0
    # a student who comes back gets the current view at once, by event stream too
    assert sse_states(http, code, bob, 1)[-1]["view"] == view
    # submissions: a latent, a drawing, an answer to a question, votes in a round
    submit = lambda who, body: http.post(f"/classroom/rooms/{code}/submissions", json=body, headers=who)  # noqa: E731
    assert submit(ann, {"kind": "latent", "model": "vae-mnist-2d", "z": [1.0, 2.0]}).status_code == 201
    assert submit(bob, {"kind": "drawing", "pixels": INK}).status_code == 201
    http.put(f"/classroom/rooms/{code}/question", json={"text": "Which digit?", "choices": ["3", "8"]},
             headers=teacher)
    for who, answer in ((ann, "3"), (bob, "8"), (ann, "8")):  # Ann changes her mind: her last counts
        assert submit(who, {"kind": "answer", "value": answer}).status_code == 201
    r = http.put(f"/classroom/rooms/{code}/round", headers=teacher,
                 json={"items": [{"pixels": INK, "real": True}, {"pixels": INK, "real": False}]})
    state = http.get(f"/classroom/rooms/{code}/view", headers=ann).json()
    assert state["version"] == r.json()["version"]
    assert all("real" not in item for item in state["round"]["items"]), "answers stay hidden"
    for who, item, real in ((ann, 0, True), (ann, 1, True), (bob, 0, True), (bob, 1, False)):
        assert submit(who, {"kind": "vote", "item": item, "real": real}).status_code == 201
    results = http.get(f"/classroom/rooms/{code}/results", headers=teacher).json()
    assert results["question"]["counts"] == {"3": 0, "8": 2}
    assert results["round"]["accuracy"] == 0.75 and results["round"]["items"][1]["accuracy"] == 0.5
    http.post(f"/classroom/rooms/{code}/round/reveal", headers=teacher)
    revealed = http.get(f"/classroom/rooms/{code}/view", headers=bob).json()["round"]
    assert revealed["revealed"] and revealed["results"]["accuracy"] == 0.75
    assert [i["real"] for i in revealed["items"]] == [True, False]
    # the teacher reads every submission, with names as typed (pages show them as text)
    subs = http.get(f"/classroom/rooms/{code}/submissions", headers=teacher).json()
    assert [s["kind"] for s in subs["submissions"]] == ["latent", "drawing"] + ["answer"] * 3 + ["vote"] * 4
    assert subs["submissions"][1]["name"] == "<b>Bob</b>"
    newer = http.get(f"/classroom/rooms/{code}/submissions", params={"after": subs["last_id"]},
                     headers=teacher).json()
    assert newer == {"submissions": [], "last_id": subs["last_id"]}
    info = http.get(f"/classroom/rooms/{code}", headers=teacher).json()
    assert [s["name"] for s in info["students"]] == ["Ann", "<b>Bob</b>"]
    assert http.delete(f"/classroom/rooms/{code}", headers=teacher).status_code == 200
    assert http.get(f"/classroom/rooms/{code}/view", headers=ann).status_code == 404


def test_wrong_keys_are_refused(http):
    code, teacher = create_room(http)
    other_code, other_teacher = create_room(http)
    student = join(http, code)
    view = {"model": "vae-mnist-2d", "z": [0.0, 0.0]}
    refused = [
        http.put(f"/classroom/rooms/{code}/view", json=view, headers=student),   # a student pushing
        http.get(f"/classroom/rooms/{code}/submissions", headers=student),       # ... reading others'
        http.get(f"/classroom/rooms/{code}/results", headers=student),
        http.put(f"/classroom/rooms/{code}/view", json=view, headers=other_teacher),  # another room's
        http.get(f"/classroom/rooms/{other_code}/view", headers=student),
        http.put(f"/classroom/rooms/{code}/view", json=view),                     # no key
        http.put(f"/classroom/rooms/{code}/view", json=view, headers=bearer("t.guess")),
        http.post(f"/classroom/rooms/{code}/submissions", headers=bearer("1.guess"),
                  json={"kind": "drawing", "pixels": INK}),
        http.post(f"/classroom/rooms/{code}/submissions", headers=teacher,       # teachers don't submit
                  json={"kind": "drawing", "pixels": INK}),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    assert all("key" in r.json()["error"] for r in refused)
    assert http.get(f"/classroom/rooms/{code}/view", headers=student).json()["view"] is None


@pytest.mark.parametrize("body,match", [
    ({"kind": "latent", "model": "vae-mnist-2d", "z": [1.0, 2.0, 3.0]}, "expects 2"),
    ({"kind": "latent", "model": "vae-mnist-2d", "z": [1.0, "NaN"]}, "numbers|NaN"),
    ({"kind": "latent", "model": "vae-mnist-2d", "z": [1e9, 0]}, "within"),
    ({"kind": "latent", "model": "../../etc/passwd", "z": [0, 0]}, "model"),
    ({"kind": "latent", "model": "nope", "z": [0, 0]}, "unknown model"),
    ({"kind": "drawing", "pixels": "not base64!"}, "base64"),
    ({"kind": "drawing", "pixels": base64.b64encode(bytes(100)).decode()}, "784"),
    ({"kind": "drawing", "pixels": base64.b64encode(bytes(784)).decode()}, "empty"),
    ({"kind": "answer", "value": "7"}, "no question"),
    ({"kind": "vote", "item": 0, "real": True}, "no round"),
    ({"kind": "file", "path": "/etc/passwd"}, "kind must be"),
    ([1, 2, 3], "JSON object"),
])
def test_bad_submissions_get_clear_errors(http, body, match):
    import re
    code, _ = create_room(http)
    r = http.post(f"/classroom/rooms/{code}/submissions", json=body, headers=join(http, code))
    assert r.status_code in (400, 409) and re.search(match, r.json()["error"]), r.text


def test_bad_names_views_and_bodies_get_clear_errors(http):
    code, teacher = create_room(http)
    for name, status in (("", 400), ("x" * 41, 400), ("a\x00b", 400), (None, 400)):
        assert http.post(f"/classroom/rooms/{code}/students", json={"name": name}).status_code == status
    for view in ({"model": "vae-mnist-2d", "z": [0.0] * 3}, {"model": "vae-mnist-2d", "t": -1},
                 {"model": "vae-mnist-2d", "seed": 1.5}, {"seed": 1}, {"colour": "red"}, "explore",
                 {"model": "nope"}, {"model": "../../etc/passwd"}, {"tab": "classroom"}):
        r = http.put(f"/classroom/rooms/{code}/view", json=view, headers=teacher)
        assert r.status_code == 400 and r.json()["error"], view
    r = http.post(f"/classroom/rooms/{code}/students", content=b"x" * 100_000)
    assert r.status_code == 413
    assert http.post(f"/classroom/rooms/{code}/students", content=b"{not json").status_code == 400
    assert http.post("/classroom/rooms/../../etc/students", json={"name": "x"}).status_code == 404
    assert http.post("/classroom/rooms/ZZZZZZ/students", json={"name": "x"}).status_code == 404
    assert http.get(f"/classroom/rooms/{code}/view", params={"since": "x"},
                    headers=teacher).status_code == 400
    assert http.get("/").status_code == 200, "the server is still up"


# ---- persistence and several processes --------------------------------------------------------
def replica_env(database) -> dict:
    return {"LATENT_PLAYGROUND_WARMUP": "0", "PLAYGROUND_DB": str(database)}


@pytest.fixture
def two_servers(app_server, second_app):
    """The session app and a second process on its database (a load balancer's two replicas)."""
    return second_app.env, [second_app.server, app_server]


@pytest.fixture(scope="module")
def two_servers_on_postgresql(postgres):
    """Two app processes on one PostgreSQL database (tests/postgres.py), started side by side as
    replicas would be: the rooms' tables are made by whichever asks first."""
    from concurrent.futures import ThreadPoolExecutor
    env = replica_env(postgres.new_database())
    with ThreadPoolExecutor(2) as pool:
        starts = [pool.submit(Server, env=env) for _ in range(2)]
    servers = [f.result() for f in starts if f.exception() is None]
    if len(servers) < 2:
        for server in servers:
            server.close()
        raise next(f.exception() for f in starts if f.exception() is not None)
    yield env, servers
    for server in servers:
        server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def replicas(request):
    """(env, [server A, server B]): two app processes on one database of each kind."""
    return request.getfixturevalue("two_servers" if request.param == "sqlite"
                                   else "two_servers_on_postgresql")


def test_two_processes_on_one_database_share_a_room(replicas):
    _, (a, b) = replicas
    with httpx.Client(base_url=a.url, timeout=30) as on_a, httpx.Client(base_url=b.url, timeout=30) as on_b:
        code, teacher = create_room(on_a)
        student = join(on_b, code)                               # the student's requests go to B
        assert on_b.get(f"/classroom/rooms/{code}/view", headers=student).json()["version"] == 0
        got = {}

        def follow():
            t0 = time.perf_counter()
            got["states"] = sse_states(on_b, code, student, 1)
            got["s"] = time.perf_counter() - t0
        watcher = threading.Thread(target=follow)
        watcher.start()
        time.sleep(0.5)                                          # B is streaming version 0
        t0 = time.perf_counter()
        on_a.put(f"/classroom/rooms/{code}/view", json={"model": "cvae-mnist", "class": "7"},
                 headers=teacher)                                # the teacher's push goes to A
        watcher.join(10)
        assert got["states"][-1]["view"] == {"tab": "explore", "model": "cvae-mnist", "class": "7"}
        assert time.perf_counter() - t0 < 1.0, "B noticed A's push within its version poll"
        assert on_b.post(f"/classroom/rooms/{code}/submissions", headers=student,
                         json={"kind": "drawing", "pixels": INK}).status_code == 201
        subs = on_a.get(f"/classroom/rooms/{code}/submissions", headers=teacher).json()
        assert [s["kind"] for s in subs["submissions"]] == ["drawing"]
        assert [s["name"] for s in on_b.get(f"/classroom/rooms/{code}", headers=teacher)
                .json()["students"]] == ["Ann"]
        # numbers past a 32-bit id find nothing (PostgreSQL once failed them: a 500)
        assert on_a.get(f"/classroom/rooms/{code}/submissions", params={"after": 2**62},
                        headers=teacher).json()["submissions"] == []
        forged = on_b.post(f"/classroom/rooms/{code}/submissions", headers=bearer("99999999999.x"),
                           json={"kind": "drawing", "pixels": INK})
        assert forged.status_code == 403 and "key" in forged.json()["error"]
        assert on_b.put(f"/classroom/rooms/{code}/view", json={"lesson": "latent-spaces"},
                        headers=student).status_code == 403, "a student cannot push"


def test_a_restart_between_push_and_read_loses_nothing(second_app):
    with httpx.Client(base_url=second_app.server.url, timeout=30) as http:
        code, teacher = create_room(http)
        student = join(http, code)
        view = {"tab": "explore", "model": "vae-mnist-16d", "z": [0.25] * 12, "t": 0.5}
        http.put(f"/classroom/rooms/{code}/view", json=view, headers=teacher)
        http.post(f"/classroom/rooms/{code}/submissions", headers=student,
                  json={"kind": "latent", "model": "vae-mnist-16d", "z": [0.5] * 16})
    second_app.restart()                                         # a fresh process, same database
    with httpx.Client(base_url=second_app.server.url, timeout=30) as http:
        state = http.get(f"/classroom/rooms/{code}/view", headers=student).json()
        assert state["version"] == 1 and state["view"] == view
        subs = http.get(f"/classroom/rooms/{code}/submissions", headers=teacher).json()["submissions"]
        assert subs[0]["body"] == {"model": "vae-mnist-16d", "z": [0.5] * 16}
        assert http.post(f"/classroom/rooms/{code}/submissions", headers=student,
                         json={"kind": "drawing", "pixels": INK}).status_code == 201, "keys still work"
