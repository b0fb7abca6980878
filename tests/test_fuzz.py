"""Hostile input on every API endpoint, over raw HTTP and through gradio_client, against the launched
app.

Every parameter of every endpoint gets one value of each class of hostile input (not-a-number,
infinite, huge, negative, a fraction where a whole number is due, the wrong type, a path, None,
empty text, oversized; a run of alike parameters shares the classes out) while the other
parameters keep their defaults: every call either succeeds
or gets a clear error message; the server stays up; no file appears in the repository tree. A
body that is not a call at all (broken JSON, the wrong shape, no data) gets a 4xx. Endpoints are
read from the app's own API description, so new tabs are covered without editing this file.
The calls go over Gradio's own HTTP API (POST /gradio_api/run/<name>, the queue's handlers and
checks without its event stream), with JSON's NaN and Infinity, which gradio_client cannot send.
"""
import concurrent.futures
import json
import math
import re
import secrets
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

ROOT = Path(__file__).resolve().parent.parent
HUGE_BODY = "x" * 10_000_000          # 10 MB in one value: the request size limit
PATH = "../../../../etc/passwd"
OVERSIZED = "x" * 100_000              # 1,000 times any field's sensible length
FILE_COMPONENTS = {"image", "sketchpad", "imageeditor", "file"}   # view_api spells "Imageeditor"
# What gradio_client shows for an error whose message the app does not send (show_error=False).
HIDDEN = ("The upstream Gradio app has raised an exception but has not enabled verbose error "
          "reporting. To enable, set show_error=True in launch().")

# One value per class of hostile input, by the kind of parameter: each class takes its own path
# through the validators (non-finite, out of range, not whole, not a number, missing, too long,
# a path, empty, a bad item), so one value stands for the class. A class whose value equals the
# parameter's default is skipped (it is not hostile).
BY_KIND = {
    "int": {"NaN": math.nan, "infinite": math.inf, "huge": 1e308, "negative": -1,
            "fraction": 2.5, "path": PATH, "None": None},
    "float": {"NaN": math.nan, "infinite": -math.inf, "huge": 1e308, "path": PATH, "None": None},
    "text": {"path": PATH, "oversized": OVERSIZED, "None": None, "empty": "", "number": math.nan,
             "wrong type": {"a": 1}},
    "list": {"not a list": PATH, "None": None, "empty": [], "bad item": [PATH],
             "non-finite item": [math.nan], "oversized": [0.0] * 100_000},
}


def endpoints(client):
    return client.view_api(return_format="dict")["named_endpoints"]


def is_file(param) -> bool:
    return param["component"].lower() in FILE_COMPONENTS


def kind(param) -> str:
    t = param["python_type"]["type"]
    return t if t in ("int", "float") else "list" if t.startswith("list") else "text"


def default_args(spec, image=None):
    """The endpoint's defaults; a file input (whose API example is a URL on the internet) gets
    `image`, a digit drawn on paper, so that hostile values elsewhere reach the handler."""
    return [image(p) if is_file(p) and image else
            p["parameter_default"] if p["parameter_has_default"] else p["example_input"]
            for p in spec["parameters"]]


def hostile_values(param, default) -> dict:
    """{class: value} for one parameter; uploads are fuzzed in test_bad_uploads."""
    if is_file(param):
        return {}
    return {c: v for c, v in BY_KIND[kind(param)].items()
            if not (type(v) is type(default) and v == default)}


def is_clear(err: Exception) -> bool:
    msg = str(err)
    if not isinstance(err, AppError):
        return False
    return len(msg) > 12 and "Traceback" not in msg and msg.strip() != "Error"


def repo_files():
    out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all", "--ignored"],
                         cwd=ROOT, capture_output=True, text=True).stdout
    return {line for line in out.splitlines() if "__pycache__" not in line and ".venv" not in line}


@pytest.fixture(scope="module")
def files_before(client):
    return repo_files()


@pytest.fixture(scope="module")
def digit(tmp_path_factory):
    """A "1" in dark ink on white paper, as a person draws or uploads one."""
    import numpy as np
    from PIL import Image
    img = np.full((200, 200), 255, np.uint8)
    img[40:160, 90:110] = 0
    path = tmp_path_factory.mktemp("fuzz") / "one.png"
    Image.fromarray(img).save(path)
    return path


def upload(url: str, path: Path) -> dict:
    """The file on the server, as a FileData value a call can name."""
    boundary = secrets.token_hex(8)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"{path.name}\"\r\nContent-Type: image/png\r\n\r\n").encode() \
        + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{url}/gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        server_path = json.loads(r.read())[0]
    return {"path": server_path, "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}


def file_value(param, value):
    if param["component"].lower() in ("sketchpad", "imageeditor"):
        return {"background": value, "layers": [], "composite": value}
    return value


_local = threading.local()


def session() -> str:
    """One session per worker thread, as one browser tab has: without a session_hash Gradio
    builds a fresh session state (every component's config, ~50 ms) on every direct call."""
    if not hasattr(_local, "hash"):
        _local.hash = secrets.token_hex(8)
    return _local.hash


def raw_call(url: str, name: str, args: list) -> Exception | None:
    """One call on Gradio's direct route (POST /gradio_api/run/<name>: the same handler and
    validation as the queue's, without its event stream, so ~50 ms a call), with NaN and Infinity
    allowed in the JSON. None when the app accepts the input (for a streaming endpoint: its first
    frame). A refusal must be a 4xx with the app's message; anything else is never clear."""
    body = {"data": args, "session_hash": session()}
    status, text = post(f"{url}/gradio_api/run/{name.lstrip('/')}", json.dumps(body).encode(),
                        timeout=300)
    if status == 200:
        return None
    try:
        message = json.loads(text).get("error")
    except (ValueError, AttributeError):
        message = None
    if 400 <= status < 500:
        return AppError(message if message else HIDDEN)
    return RuntimeError(f"HTTP {status}: {text[:200]}")


def fuzz_jobs(api: dict, image) -> list[tuple]:
    """(endpoint, parameter index, class, args): every class for each parameter, but a parameter
    alike an earlier one of the same endpoint (same component, kind and default: the twelve
    sliders of a latent) gets one class in turn; and one
    10 MB value in the first parameter of one endpoint per kind of component there (the size
    limit and the body check act before any handler: ~0.5 s a call, so not on all ~60)."""
    jobs, huge = [], set()
    for name, spec in api.items():
        base = default_args(spec, image)
        seen: dict[tuple, int] = {}          # alike parameters (a latent's sliders) -> how many
        for i, param in enumerate(spec["parameters"]):
            values = list(hostile_values(param, base[i]).items())
            alike = (param["component"], kind(param), repr(base[i]))
            repeat = seen[alike] = seen.get(alike, -1) + 1
            if repeat and values:  # the same validator again: one class each, in turn, so the
                values = [values[(repeat - 1) % len(values)]]   # group still meets every class
            for cls, bad in values:
                jobs.append((name, i, cls, base[:i] + [bad] + base[i + 1:]))
        first = spec["parameters"][0] if spec["parameters"] else None
        if first and not is_file(first) and first["component"] not in huge:
            huge.add(first["component"])
            jobs.append((name, 0, "10 MB", [HUGE_BODY] + base[1:]))
    return jobs


def test_every_parameter_of_every_endpoint(client, app_url, files_before, digit):
    api = endpoints(client)
    on_server = upload(app_url, digit)
    jobs = fuzz_jobs(api, lambda param: file_value(param, on_server))
    assert {(n, i) for n, i, _, _ in jobs} == {
        (n, i) for n, s in api.items() for i, p in enumerate(s["parameters"]) if not is_file(p)
    }, "every parameter that is not an upload is fuzzed"
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        errors = list(pool.map(lambda job: raw_call(app_url, job[0], job[3]), jobs))
    unclear = [(n, i, c, str(e)[:80]) for (n, i, c, _), e in zip(jobs, errors)
               if e is not None and not is_clear(e)]
    assert not unclear, f"errors without a clear message: {unclear[:10]}"
    refused = sum(e is not None for e in errors)
    assert refused > len(jobs) // 2, "most hostile inputs must be refused"
    # still up: a valid request works
    assert client.predict("vae-mnist-2d", None, 1.0, 0, api_name="/sample_grid")[0]


def post(url, body: bytes, timeout: float = 30):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_over_raw_http(app_url, literal):
    knobs = '2, 25, "ddim"'                    # guidance, steps, sampler: unused by a VAE
    body = (f'{{"data": ["vae-mnist-2d", "axes", null, -1, 1.0, 0, {literal}, '
            f'{", ".join(["0"] * 11)}, {knobs}]}}')
    status, text = post(f"{app_url}/gradio_api/run/decode", body.encode())
    assert status in (400, 422) and json.loads(text)["error"]
    status, text = post(f"{app_url}/gradio_api/run/decode",
                        body.replace(f"1.0, 0, {literal}", f"{literal}, 0, 0").encode())
    assert re.search("temperature|maximum|minimum", json.loads(text)["error"])


def launched_with_the_body_check() -> bool:
    from playground.ui import launch_kwargs
    from playground.ui.http_errors import RefuseMalformedBodies
    middleware = launch_kwargs().get("app_kwargs", {}).get("middleware", [])
    return any(m.cls is RefuseMalformedBodies for m in middleware)


MALFORMED = [b"", b"{", b"null", b"[1, 2]", b'"data"', b"{}", b'{"data": 5}', b'{"data": null}',
             b'{"data": [1, 2', b"\xff\xfe" * 100, b'{"data": []}', b'{"data": ["vae-mnist-2d"]}',
             b'{"data": [' + b", ".join([b"0"] * 40) + b"]}",
             b'{"data": ["vae-mnist-2d", "axes", null, -1, 1.0, 0], "fn_index": 100000}']


# Until app.py's launch installs playground/ui/http_errors.py (launch_kwargs' app_kwargs), Gradio
# answers the wrong shapes with a 500: strict, so the marker goes when the fix is wired.
@pytest.mark.xfail(not launched_with_the_body_check(), strict=True,
                   reason="launch_kwargs() does not install http_errors.MIDDLEWARE yet")
@pytest.mark.parametrize("route", ["run/decode", "call/decode", "run/no_such_endpoint",
                                   "call/no_such_endpoint"])
def test_malformed_bodies_get_a_4xx(app_url, route):
    statuses = {body[:40]: post(f"{app_url}/gradio_api/{route}", body)[0] for body in MALFORMED}
    assert all(400 <= s < 500 for s in statuses.values()), statuses
    # the page's own route: no session, no call
    for body in MALFORMED:
        assert 400 <= post(f"{app_url}/gradio_api/queue/join", body)[0] < 500


def client_call(client, name, args) -> Exception | None:
    try:
        client.predict(*args, api_name=name)
        return None
    except AppError as err:
        return err
    except Exception as err:  # noqa: BLE001 - a dropped connection or a crash: never clear
        return RuntimeError(f"{type(err).__name__}: {err}")


def test_bad_uploads(client, tmp_path, digit):
    """Through gradio_client, as a script uploads: every file input refuses non-images and
    truncated images with a clear message. Pickers that offer 'drawing' are set to it, so that
    the drawing is what the endpoint reads; the other file inputs hold a good digit."""
    png = tmp_path / "truncated.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    checked = 0
    for name, spec in endpoints(client).items():
        params = spec["parameters"]
        if not any(is_file(p) for p in params):
            continue
        base = default_args(spec, lambda p: file_value(p, handle_file(str(digit))))
        base = ["drawing" if not is_file(p) and "'drawing'" in p["python_type"]["type"] else v
                for p, v in zip(params, base)]
        for i, param in enumerate(params):
            if not is_file(param):
                continue
            for f in (png, text):
                err = client_call(client, name, base[:i] + [file_value(param, handle_file(str(f)))]
                                  + base[i + 1:])
                assert err is not None, f"{name} accepted {f.name} in {param['parameter_name']}"
                assert is_clear(err), f"{name}: unclear error for {f.name}: {err}"
                checked += 1
    assert checked, "the latent map's upload endpoint takes a file"


def test_oversized_uploads_are_refused_by_the_server(app_url):
    """The server itself (not only the client library) enforces max_file_size."""
    boundary = "fuzzboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + b"\0" * 3_000_000 + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{app_url}/gradio_api/upload", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    assert status == 413 and "size" in text.lower(), (status, text[:200])


def test_no_file_appears_in_the_repository(client, files_before):
    assert repo_files() == files_before
