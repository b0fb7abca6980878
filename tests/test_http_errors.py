"""playground/ui/http_errors.py: a wrong-shaped body gets a 4xx from the middleware, and Gradio
itself still answers those bodies with a 5xx (when it stops, the module can go). In-process, on a
one-endpoint app; the launched app is checked in test_fuzz.py."""
import gradio as gr
import pytest
from fastapi.testclient import TestClient
from gradio.routes import App

from playground.ui.http_errors import MIDDLEWARE, problem

# Bodies Gradio 6.31 answers with 500 on /run/<name> or /call/<name>, and what they get instead.
WRONG_SHAPE = [("run/add", b'{"data": []}', 422), ("run/add", b'{"data": [1]}', 422),
               ("api/add", b'{"data": [1]}', 422),
               ("run/add", b'{"data": [1, 2], "fn_index": 99}', 422),
               ("run/nope", b'{"data": [1, 2]}', 404), ("call/nope", b'{"data": [1, 2]}', 404)]


def add(x, y):
    if x < 0:
        raise gr.Error("x must not be negative")   # the app refusing a value
    if x == 13:
        raise RuntimeError("a bug")                # the app failing
    return x + y


def make_app(middleware):
    with gr.Blocks() as demo:
        a, b, out = gr.Number(), gr.Number(), gr.Number()
        gr.Button().click(add, [a, b], out, api_name="add")
    return TestClient(App.create_app(demo, app_kwargs={"middleware": middleware}),
                      raise_server_exceptions=False)  # a crash is a 500 here, as over HTTP


@pytest.fixture(scope="module")
def fixed():
    with make_app(MIDDLEWARE) as client:
        yield client


@pytest.mark.parametrize("route,body,status", WRONG_SHAPE)
def test_wrong_shapes_get_a_clear_4xx(fixed, route, body, status):
    r = fixed.post(f"/gradio_api/{route}", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status and len(r.json()["error"]) > 12, (r.status_code, r.text)


def test_extra_values_are_refused_not_dropped(fixed):
    """Gradio ignores values beyond its inputs: a caller who sent three meant something else."""
    r = fixed.post("/gradio_api/run/add", json={"data": [1, 2, 3]})
    assert r.status_code == 422 and "takes 2 values" in r.json()["error"]


@pytest.mark.parametrize("body", [b"", b"{", b"[1, 2]", b'{"data": 5}', b"\xff\xfe" * 10])
def test_bodies_fastapi_refuses_still_get_its_422(fixed, body):
    r = fixed.post("/gradio_api/run/add", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422


def test_a_well_formed_call_passes_through_unchanged(fixed):
    r = fixed.post("/gradio_api/run/add", json={"data": [2, 3]})
    assert r.status_code == 200 and r.json()["data"] == [5]
    r = fixed.post("/gradio_api/call/add", json={"data": [2, 3]})
    assert r.status_code == 200 and r.json()["event_id"]


def test_gradio_alone_still_answers_these_with_a_5xx():
    """When this fails, Gradio refuses wrong shapes itself: drop playground/ui/http_errors.py."""
    with make_app([]) as bare:
        statuses = {route + body.decode(): bare.post(f"/gradio_api/{route}", content=body,
                                                     headers={"Content-Type": "application/json"}
                                                     ).status_code
                    for route, body, _ in WRONG_SHAPE}
    assert all(s >= 500 for s in statuses.values()), statuses


def test_problem_reads_only_what_it_understands():
    with gr.Blocks() as demo:
        gr.Button().click(lambda x: x, gr.Number(), gr.Number(), api_name="echo")
    assert problem(demo, "echo", b'{"data": [1]}') is None
    assert problem(demo, "echo", b"not json") is None and problem(demo, "echo", b"[1]") is None
    assert problem(demo, "echo", b'{"data": [1, 2]}')[0] == 422
    assert problem(demo, "other", b'{"data": [1]}')[0] == 404


def test_a_refused_value_is_a_400_with_the_message_and_a_crash_stays_a_500(fixed):
    r = fixed.post("/gradio_api/run/add", json={"data": [-1, 2]})
    assert r.status_code == 400 and r.json()["error"] == "x must not be negative"
    r = fixed.post("/gradio_api/run/add", json={"data": [13, 2]})
    assert r.status_code == 500


def test_gradio_alone_answers_a_refused_value_with_a_500():
    """When this fails, Gradio says 4xx for gr.Error by itself: drop UserErrorsAre400."""
    with make_app([]) as bare:
        assert bare.post("/gradio_api/run/add", json={"data": [-1, 2]}).status_code == 500


def test_a_direct_call_without_the_session_state_gets_it_filled():
    """The API lists no gr.State input; a direct call sent as listed must work, as on the queue."""
    with gr.Blocks() as demo:
        kept = gr.State()
        gr.Button().click(lambda x, k: x * 2 if k is None else -1, [gr.Number(), kept], gr.Number(),
                          api_name="double")
    with TestClient(App.create_app(demo, app_kwargs={"middleware": MIDDLEWARE}),
                    raise_server_exceptions=False) as client:
        r = client.post("/gradio_api/run/double", json={"data": [21]})
        assert r.status_code == 200 and r.json()["data"] == [42]
