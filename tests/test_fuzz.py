"""Hostile input on every API endpoint, through gradio_client and raw HTTP, against the launched app.

Every call either succeeds or gets a clear error message; the server stays up; no file appears in
the repository tree. Endpoints are read from the app's own API description, so new tabs are covered
without editing this file.
"""
import concurrent.futures
import json
import re
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

ROOT = Path(__file__).resolve().parent.parent
HUGE = "x" * 10_000_000
BAD_STRINGS = ["", "../../../../etc/passwd", "/etc/passwd", "..", "pretrained/vae-mnist-2d",
               "C:\\Windows\\system32", "%2e%2e%2f", None, 12, [], {"a": 1}]
BAD_NUMBERS = [1e308, -1e308, -1, -10**12, 10**12, 2.5, "abc", "", None, [], True]
FILE_COMPONENTS = {"Image", "Sketchpad", "ImageEditor", "File"}


def endpoints(client):
    return client.view_api(return_format="dict")["named_endpoints"]


def default_args(spec):
    return [p["parameter_default"] if p["parameter_has_default"] else p["example_input"]
            for p in spec["parameters"]]


def bad_values(param):
    if param["component"] in FILE_COMPONENTS:
        return []  # uploads are fuzzed in test_bad_uploads
    if param["python_type"]["type"] in ("float", "int"):
        return BAD_NUMBERS
    return BAD_STRINGS


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


def call(client, name, args):
    try:
        client.predict(*args, api_name=name)
        return None
    except AppError as err:
        return err
    except Exception as err:  # noqa: BLE001 - a dropped connection or a crash: never clear
        return RuntimeError(f"{type(err).__name__}: {err}")


def test_every_parameter_of_every_endpoint(client, app_url, files_before):
    jobs = []
    for name, spec in endpoints(client).items():
        base = default_args(spec)
        for i, param in enumerate(spec["parameters"][:8]):  # the 12 latent sliders share one type
            for bad in bad_values(param):
                jobs.append((name, i, bad, base[:i] + [bad] + base[i + 1:]))
        jobs.append((name, 0, "10 MB", [HUGE] + base[1:]))
    local = threading.local()

    def run(job):  # one client per worker thread: a shared one mixes up concurrent streams
        if not hasattr(local, "client"):
            local.client = Client(app_url, verbose=False, download_files=False)
        return job, call(local.client, job[0], job[3])

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, jobs))
    unclear = [(n, i, repr(b)[:30], str(e)[:80]) for (n, i, b, _), e in results
               if e is not None and not is_clear(e)]
    assert not unclear, f"errors without a clear message: {unclear[:10]}"
    refused = sum(e is not None for _, e in results)
    assert refused > len(results) // 2, "most hostile inputs must be refused"
    # still up: a valid request works
    assert client.predict("vae-mnist-2d", None, 1.0, 0, api_name="/sample_grid")[0]


def post(url, body: bytes):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_over_raw_http(app_url, literal):
    body = f'{{"data": ["vae-mnist-2d", "axes", null, -1, 1.0, 0, {literal}, {", ".join(["0"] * 11)}]}}'
    status, text = post(f"{app_url}/gradio_api/run/decode", body.encode())
    assert status in (422, 500) and json.loads(text)["error"]
    status, text = post(f"{app_url}/gradio_api/run/decode",
                        body.replace(f"1.0, 0, {literal}", f"{literal}, 0, 0").encode())
    assert re.search("temperature|maximum|minimum", json.loads(text)["error"])


@pytest.mark.parametrize("body", [b"", b"{", b'{"data": 5}', b'{"data": [1, 2', b"\xff\xfe" * 100])
def test_malformed_bodies(app_url, body):
    status, _ = post(f"{app_url}/gradio_api/run/decode", body)
    assert 400 <= status < 600


def test_bad_uploads(client, tmp_path):
    """Every file input refuses non-images and truncated images with a clear message."""
    png = tmp_path / "truncated.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    checked = 0
    for name, spec in endpoints(client).items():
        base = default_args(spec)
        for i, param in enumerate(spec["parameters"]):
            if param["component"] not in FILE_COMPONENTS:
                continue
            for f in (png, text):
                value = handle_file(str(f))
                if param["component"] in ("Sketchpad", "ImageEditor"):
                    value = {"background": value, "layers": [], "composite": value}
                err = call(client, name, base[:i] + [value] + base[i + 1:])
                assert err is not None, f"{name} accepted {f.name}"
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
