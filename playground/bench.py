"""Benchmark:  python -m playground.bench [--quick] [--out bench-results/latest.json]

Measures what a user feels, on this machine, and saves it as JSON. The server-side figures are
taken once the server is idle (its background warm-up of digits and UMAP done), so they are the
steady state a classroom meets, not start-up work:
- decode latency of one latent and of a 64-sample grid, per image model (in-process, warm);
- cold start of `python app.py` until the page answers, and the server's RSS with every model loaded;
- slider-to-pixels in real Chromium, both paths on each of IN_PAGE_MODELS (a digit, the flow's
  planes): the in-page decoder (set a slider inside the page, time until the canvas holds the new
  pixels, and until the next animation frame) and the server path (forced in the page; time until
  the new PNG is decoded, or the plotly figure shows the new point), median and p90 over 30 moves,
  with the requests the page sent per move;
- concurrent users: N gradio_client clients moving sliders (and now and then sampling a grid) against
  the same server, paced like students ("classroom": a think time after each answer) and flat out
  ("stress"): latency p50/p95, throughput, errors, the server's CPU (per request too) and the
  clients' own, RSS growth; and, for reference, the same stress on the smallest Gradio app that
  decodes a slider value to a PNG: Gradio's own floor on this machine.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(values_ms) -> dict:
    return {"median_ms": round(pct(values_ms, 50), 3), "p90_ms": round(pct(values_ms, 90), 3),
            "n": len(values_ms)}


# ---- in-process decode latency -------------------------------------------------------------
def bench_decode(reps: int) -> dict:
    from playground.backend import Backend
    backend = Backend()
    out = {}
    for info in backend.models("decode"):
        label = info.class_names[0] if info.has("condition") else None
        rng = np.random.default_rng(0)
        backend.decode(info.id, np.zeros(info.latent_dim), label)  # load + warm
        one, grid = [], []
        for _ in range(reps):
            z = rng.normal(size=info.latent_dim).clip(-3, 3)
            t = time.perf_counter()
            backend.decode(info.id, z, label)
            one.append((time.perf_counter() - t) * 1e3)
        for s in range(max(5, reps // 20)):
            t = time.perf_counter()
            backend.sample(info.id, min(64, 5000), temperature=1.0, seed=s, label=label)
            grid.append((time.perf_counter() - t) * 1e3)
        out[info.id] = {"one_latent": summary(one), "grid_64": summary(grid)}
    return out


# ---- a real server in a subprocess -----------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Server:
    """`python app.py` (or `args`) on a free port; cold start = spawn until the page answers 200."""

    def __init__(self, env: dict | None = None, args: tuple = ("app.py",)):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, *args], cwd=ROOT,
                                     env={**os.environ, "PORT": str(self.port), **(env or {})},
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        else:
            self.close()
            raise RuntimeError("app.py did not answer within 120 s")
        self.cold_start_s = time.perf_counter() - t0

    def rss_mb(self) -> float:
        return rss_mb(self.proc.pid)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, timeout: float = 300.0, cores: float = 0.1, window: float = 3.0) -> float:
        """Seconds until the server has used under `cores` CPU cores over `window` seconds: its
        background start-up work (preloading digits, compiling UMAP) done, so what the concurrent
        clients measure, RSS growth included, is theirs."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            cpu0 = self.cpu_s()
            time.sleep(window)
            if (self.cpu_s() - cpu0) / window < cores:
                break
        return time.perf_counter() - t0

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def load_every_model(url: str) -> None:
    from gradio_client import Client
    from playground.backend import Backend
    client = Client(url, verbose=False)
    for info in Backend().models("decode"):
        client.predict(info.id, "axes", 1.0, 0, api_name="/select_model")


# ---- slider-to-pixels in Chromium ----------------------------------------------------------
# Set the slider inside the page, then wait until #decoded shows a new image and it is decoded.
SLIDER_JS = """async ({idx, value}) => {
  const box = document.querySelector('#decoded');
  const img = () => box.querySelector('img');
  const before = img() ? img().src : null;
  const input = document.querySelector(`#slider-${idx} input[type=range]`);
  const changed = new Promise(resolve => {
    const check = () => { const el = img(); if (el && el.src !== before) { obs.disconnect(); resolve(el); } };
    const obs = new MutationObserver(check);
    obs.observe(box, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  });
  const t0 = performance.now();
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const el = await changed;
  await el.decode();
  return performance.now() - t0;
}"""


# The in-page path (assets/webdecoder.js): wait until the canvas has been repainted (its
# data-paints counter moves), then for the next animation frame, when the pixels reach the screen.
PAGE_SLIDER_JS = """async ({idx, value}) => {
  const canvas = document.querySelector('#decoded-canvas');
  const before = canvas.dataset.paints;
  const painted = new Promise(resolve => {
    const obs = new MutationObserver(() => {
      if (canvas.dataset.paints !== before) { obs.disconnect(); resolve(); }
    });
    obs.observe(canvas, {attributes: true, attributeFilter: ['data-paints']});
  });
  const input = document.querySelector(`#slider-${idx} input[type=range]`);
  const t0 = performance.now();
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await painted;
  const t1 = performance.now();
  await new Promise(requestAnimationFrame);
  return [t1 - t0, performance.now() - t0];
}"""
# The server path of a point model: wait until the plotly figure holds the new decoded point.
PLOT_SLIDER_JS = """async ({idx, value}) => {
  const box = document.querySelector('#decoded-plot');
  const point = () => { const gd = box.querySelector('.js-plotly-plot');
    const t = gd && gd.data && gd.data.find(t => t.name === 'its image');
    return t ? JSON.stringify([Array.from(t.x), Array.from(t.y)]) : null; };
  const before = point();
  const changed = new Promise(resolve => {
    const obs = new MutationObserver(() => { if (point() !== before) { obs.disconnect(); resolve(); } });
    obs.observe(box, {subtree: true, childList: true, attributes: true});
  });
  const input = document.querySelector(`#slider-${idx} input[type=range]`);
  const t0 = performance.now();
  input.value = value;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await changed;
  await new Promise(requestAnimationFrame);
  return performance.now() - t0;
}"""
# The server path on the same model: the page pretends it has no decoder for it.
FORCE_SERVER_JS = """() => { window.latentWeb.page.forceServer = true;
  document.body.classList.remove('web-decoding', 'web-points'); }"""
# Timed on both paths: the default digit model, and the flow (its latent and data planes).
IN_PAGE_MODELS = ["vae-mnist-2d", "flow-moons"]


def bench_browser(url: str, moves: int) -> dict:
    from playwright.sync_api import sync_playwright
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        return {"skipped": "chromium not installed (make test installs it)"}
    out = {"models": {}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests = []
        page.on("request", lambda r: requests.append(r.url))
        rng = random.Random(0)
        for model_id in IN_PAGE_MODELS:
            page.goto(f"{url}/?model={model_id}")  # a share link: opens the model
            page.wait_for_function("id => { const p = window.latentWeb && window.latentWeb.page;"
                                   " return p && p.decoder && p.decoder.spec.model === id &&"
                                   " document.body.classList.contains('web-decoding'); }",
                                   arg=model_id, timeout=60_000)
            page.wait_for_timeout(500)
            m = out["models"][model_id] = {"weights_json_mb": round(page.evaluate(
                "JSON.stringify(window.latentWeb.page.decoder.spec).length") / 1e6, 2)}
            points = page.evaluate("window.latentWeb.page.decoder.spec.output") == "points"
            for path_name, js in (("in_page", PAGE_SLIDER_JS),
                                  ("server_path", PLOT_SLIDER_JS if points else SLIDER_JS)):
                if path_name == "server_path":
                    page.evaluate(FORCE_SERVER_JS)
                times, frames, n_requests = [], [], 0
                for i in range(moves + 3):
                    value = round(rng.uniform(-3, 3), 2)
                    before = len(requests)
                    ms = page.evaluate(js, {"idx": i % 2, "value": value})
                    page.wait_for_timeout(50)
                    if i >= 3:  # the first moves warm up caches and connections
                        n_requests += len(requests) - before
                        times.append(ms[0] if isinstance(ms, list) else ms)
                        if isinstance(ms, list):
                            frames.append(ms[1])
                m[path_name] = {**summary(times), "requests_per_move": round(n_requests / moves, 2)}
                if frames:
                    m[path_name]["next_frame"] = summary(frames)
        browser.close()
    return out


# ---- concurrent clients --------------------------------------------------------------------
def playground_calls(k: int):
    """Client k's calls on the playground: 9 slider decodes of one model (by k), then a 64-grid."""
    from playground.backend import Backend
    models = [m for m in Backend().models("decode") if not m.has("points")]
    info = models[k % len(models)]
    label = info.class_names[0] if info.has("condition") else None

    def call(c, rng, i) -> str:
        if i % 10 == 9:
            c.predict(info.id, label, 1.0, rng.randrange(1000), api_name="/sample_grid")
            return "grid"
        values = [round(rng.uniform(-3, 3), 2) for _ in range(12)]
        c.predict(info.id, "axes", label, -1, 1.0, 0, *values, api_name="/decode")
        return "decode"
    return call


def reference_calls(k: int):
    """Client k's calls on the minimal reference app: one slider value → a 28x28 PNG."""
    def call(c, rng, i) -> str:
        c.predict(round(rng.uniform(-3, 3), 2), api_name="/decode")
        return "decode"
    return call


def reference_app():
    """The smallest Gradio app that does what a slider decode does (a number in, a 28x28 PNG out,
    queue=False, the playground's launch settings and fixes): the floor of Gradio's own cost per
    call here."""
    import gradio as gr
    from playground.ui import launch_kwargs, tune_gradio

    def decode(v: float) -> np.ndarray:
        return np.full((28, 28), min(abs(v) * 80, 255), np.uint8)
    tune_gradio()  # as build_demo does
    with gr.Blocks() as demo:
        value, image = gr.Slider(-3, 3, value=0), gr.Image(format="png")
        gr.Button().click(decode, value, image, api_name="decode", queue=False)
    demo.queue(default_concurrency_limit=4)
    demo.launch(**(launch_kwargs() | {"head": None, "css_paths": None}))


def bench_concurrent(server: Server, clients: int, seconds: float, think_s: tuple = (0, 0),
                     calls=playground_calls) -> dict:
    """`clients` gradio_client users, each in its own thread, making `calls(k)` over and over and
    waiting a random think time in `think_s` (seconds) after each answer. (0, 0) is a stress test;
    a student dragging a slider through the API is closer to (0.5, 1.5)."""
    from gradio_client import Client
    latencies, errors, warmup_errors, lock = {"decode": [], "grid": []}, [], [], threading.Lock()
    rss0 = server.rss_mb()
    ready, go = threading.Barrier(clients + 1), threading.Event()

    def user(k: int):
        rng, call = random.Random(k), calls(k)
        time.sleep(rng.uniform(0, 3))  # students do not all connect in the same instant
        c = None
        for _ in range(3):
            try:
                # ssl_verify=False: gradio_client builds a fresh httpx client for every call, and
                # with verification on each build parses the CA bundle (~10 ms of CPU, measured
                # with py-spy) although nothing is verified on http://localhost. A student's client
                # runs on their own machine; here it would take that CPU from the measured server.
                c = Client(server.url, verbose=False, ssl_verify=False)
                for i in range(3):  # warm-up: session created, first-call imports paid
                    call(c, rng, 8 + i)
                break
            except Exception as err:  # noqa: BLE001 - counted apart from the measured calls
                with lock:
                    warmup_errors.append(repr(err)[:200])
        ready.wait()
        go.wait()
        i = 0
        while c is not None and time.time() < stop:
            t = time.perf_counter()
            try:
                kind = call(c, rng, i)
                with lock:
                    latencies[kind].append((time.perf_counter() - t) * 1e3)
            except Exception as err:  # noqa: BLE001
                with lock:
                    errors.append(repr(err)[:200])
            i += 1
            time.sleep(rng.uniform(*think_s))

    threads = [threading.Thread(target=user, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    rss_warm = server.rss_mb()
    cpu0, client_cpu0, t0 = server.cpu_s(), time.process_time(), time.perf_counter()
    stop = time.time() + seconds
    go.set()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    server_cpu, client_cpu = server.cpu_s() - cpu0, time.process_time() - client_cpu0
    rss1 = server.rss_mb()
    every = latencies["decode"] + latencies["grid"]
    return {"clients": clients, "think_s": list(think_s), "seconds": round(wall, 1),
            "requests": len(every), "throughput_rps": round(len(every) / wall, 1),
            "p50_ms": round(pct(every, 50), 1), "p95_ms": round(pct(every, 95), 1),
            **{f"{kind}_{q}_ms": round(pct(v, int(q[1:])), 1)
               for kind, v in latencies.items() for q in ("p50", "p95")},
            "errors": len(errors), "error_examples": sorted(set(errors))[:3],
            "warmup_errors": len(warmup_errors), "warmup_error_examples": sorted(set(warmup_errors))[:3],
            "server_cpu_cores": round(server_cpu / wall, 2),
            # the clients share this machine's cores with the server (gradio_client, 30 threads)
            "client_cpu_cores": round(client_cpu / wall, 2),
            "server_cpu_ms_per_request": round(server_cpu / max(len(every), 1) * 1e3, 1),
            "rss_before_mb": round(rss0, 1), "rss_after_warmup_mb": round(rss_warm, 1),
            "rss_after_mb": round(rss1, 1), "rss_growth_mb": round(rss1 - rss0, 1),
            "rss_growth_after_warmup_mb": round(rss1 - rss_warm, 1)}


def table(report: dict) -> str:
    lines = ["decode latency (in-process, warm)      one latent     64-grid"]
    for mid, r in report["decode"].items():
        lines.append(f"  {mid:34s} {r['one_latent']['median_ms']:8.3f} ms {r['grid_64']['median_ms']:8.2f} ms")
    s = report["server"]
    lines += [f"cold start of app.py to first page     {s['cold_start_s']:.2f} s",
              f"server RSS, every model loaded        {s['rss_all_models_mb']:.0f} MB",
              f"server idle (background warm-up done) {s['settled_after_s']:.0f} s after every model loaded"]
    b = report["browser_slider_to_pixels"]
    for mid, m in b.get("models", {}).items():
        for name in ("in_page", "server_path"):
            r = m[name]
            frame = (f", next frame {r['next_frame']['median_ms']:.1f} ms"
                     if "next_frame" in r else "")
            lines.append(f"slider-to-pixels, {mid:12s} {name:11s} median {r['median_ms']:.1f} ms, "
                         f"p90 {r['p90_ms']:.1f} ms{frame} (n={r['n']}), "
                         f"{r['requests_per_move']} requests/move")
    if "models" not in b:
        lines.append(f"slider-to-pixels in Chromium          {b}")
    for name, c in report["concurrent"].items():
        lines.append(f"{c['clients']} API clients, {name} (think {c['think_s'][0]:g}-{c['think_s'][1]:g} s), "
                     f"{c['seconds']} s: p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms (slider decodes "
                     f"p50 {c['decode_p50_ms']} / p95 {c['decode_p95_ms']} ms, 64-grids p50 "
                     f"{c['grid_p50_ms']} / p95 {c['grid_p95_ms']} ms), "
                     f"{c['throughput_rps']} req/s, {c['errors']} errors, server CPU "
                     f"{c['server_cpu_cores']} cores ({c['server_cpu_ms_per_request']} ms/request), "
                     f"clients' CPU {c['client_cpu_cores']} cores, RSS +{c['rss_growth_mb']} MB "
                     f"(+{c['rss_growth_after_warmup_mb']} MB after warm-up)")
    for mid, m in b.get("models", {}).items():
        lines.append(f"  a page user moving {mid}'s sliders sends {m['server_path']['requests_per_move']} "
                     f"requests/move on the server path, {m['in_page']['requests_per_move']} "
                     f"in the page")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m playground.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, to check the bench works")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                        help="classroom scenario: seconds each API client waits between calls")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "latest.json")
    parser.add_argument("--reference-app", action="store_true", help=argparse.SUPPRESS)  # serves it
    args = parser.parse_args(argv)
    if args.reference_app:
        return reference_app()
    reps, moves = (20, 5) if args.quick else (500, 30)
    clients, seconds = (4, 3.0) if args.quick else (args.clients, args.seconds)

    import torch
    report = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "torch_threads": torch.get_num_threads(), "python": platform.python_version()},
              "when": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick}
    report["decode"] = bench_decode(reps)
    server = Server()
    try:
        rss_start = server.rss_mb()
        load_every_model(server.url)
        report["server"] = {"cold_start_s": round(server.cold_start_s, 2),
                            "rss_at_start_mb": round(rss_start, 1),
                            "rss_all_models_mb": round(server.rss_mb(), 1)}
        report["server"]["settled_after_s"] = round(server.wait_idle(timeout=30 if args.quick else 300), 1)
        report["browser_slider_to_pixels"] = bench_browser(server.url, moves)
        report["concurrent"] = {
            name: bench_concurrent(server, clients, seconds, think)
            for name, think in (("classroom", args.think), ("stress", (0.0, 0.0)))}
    finally:
        server.close()
    # The same stress on the minimal app: what any Gradio app costs per call on this machine.
    server = Server(args=("-m", "playground.bench", "--reference-app"))
    try:
        report["concurrent"]["stress_minimal_gradio_app"] = bench_concurrent(
            server, clients, seconds, (0.0, 0.0), calls=reference_calls)
    finally:
        server.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"saved {args.out}")
    return report


if __name__ == "__main__":
    main()
