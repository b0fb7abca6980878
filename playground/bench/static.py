"""The static page in real Chromium (python -m playground.static's folder, no server behind it):
first paint from a local static server and from file://, and slider-to-frame per model, timed
exactly as the Gradio page's in-page path (browser.py: from the input event to the animation
frame that shows the new pixels).

First paint is the page's own `latentStatic.firstPaint` (ms from navigation to the first decoded
digit on the canvas), each load in a fresh browser context, so nothing is cached: what a person
meets the first time they open the folder."""
from __future__ import annotations

import contextlib
import functools
import http.server
import random
import shutil
import tempfile
import threading
from pathlib import Path

from playground.bench.browser import CHROMIUM_ARGS, PAGE_SLIDER_JS, slider_moves
from playground.bench.server import summary


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve_folder(folder: Path):
    """python's http.server on 127.0.0.1 serving `folder` from a thread: the folder's URL
    (ending in /). A static host at its simplest."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def built_folder(site: Path | None):
    """`site` if given (an earlier build), else a fresh build in a temporary folder."""
    if site is not None:
        yield Path(site)
        return
    from playground.static import build
    with tempfile.TemporaryDirectory(prefix="static-bench-") as tmp:
        out = Path(tmp) / "site"
        build(out, log=lambda *a: None)
        yield out


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _first_paints(browser, url: str, loads: int) -> list[float]:
    times = []
    for _ in range(loads):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => window.latentStatic && window.latentStatic.firstPaint > 0",
                               timeout=30_000)
        times.append(page.evaluate("() => window.latentStatic.firstPaint"))
        context.close()
    return times


def bench_static(moves: int, models: list[str] | None = None, site: Path | None = None,
                 loads: int = 5, browser=None) -> dict:
    """The folder's size; first paint over `loads` cold loads from a local server and from
    file://; slider-to-frame (median, p90, requests per move) over `moves` per model, from the
    local server, every request to another origin aborted and counted. In `browser` (a
    Playwright Browser), else in a Chromium of its own."""
    if browser is not None:
        with built_folder(site) as folder:
            return _bench_static(browser, folder, moves, models, loads)
    from playwright.sync_api import sync_playwright
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        return {"skipped": "chromium not installed (make test installs it)"}
    with built_folder(site) as folder, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            return _bench_static(browser, folder, moves, models, loads)
        finally:
            browser.close()


def _bench_static(browser, folder: Path, moves: int, models: list[str] | None, loads: int) -> dict:
    with serve_folder(folder) as base:
        out = {"folder_mb": round(folder_bytes(folder) / 1e6, 2), "models": {}}
        out["first_paint_http"] = summary(_first_paints(browser, base + "index.html", loads))
        out["first_paint_file"] = summary(_first_paints(browser, folder.as_uri() + "/index.html",
                                                        loads))
        context = browser.new_context()
        page = context.new_page()
        requests, outside = [], []
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                   else (outside.append(r.request.url), r.abort()))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(base + "index.html")
        page.wait_for_function("() => window.latentStatic && window.latentStatic.catalog")
        ids = page.evaluate("() => window.latentStatic.catalog.models.map(m => m.id)")
        rng = random.Random(0)
        slider = {"input": "#slider-%d input[type=range]", "canvas": "#decoded-canvas"}
        for model_id in models if models is not None else ids:
            if model_id not in ids:
                out["models"][model_id] = {"skipped": "not in the static folder"}
                continue
            page.goto(f"{base}index.html?model={model_id}")  # a share link opens the model
            page.wait_for_function(
                "id => { const p = window.latentWeb.page; return p.decoder && p.decoder.spec.model"
                " === id && Number(document.querySelector('#decoded-canvas').dataset.paints) > 0; }",
                arg=model_id, timeout=60_000)
            page.wait_for_timeout(300)
            out["models"][model_id] = {"in_page": slider_moves(page, PAGE_SLIDER_JS, slider, moves,
                                                               requests, rng)}
        out["requests_outside_the_folder"] = len(outside)
        context.close()
    return out
