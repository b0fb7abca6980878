"""Concurrent users: gradio_client clients moving sliders against one server, paced like a
classroom or flat out; and the smallest Gradio app doing the same, for Gradio's own floor."""
from __future__ import annotations

import random
import threading
import time

import numpy as np

from playground.bench.server import Server, pct


def playground_calls(k: int):
    """Client k's calls on the playground: 9 slider decodes of one model (by k), then a 64-grid."""
    from playground.backend import Backend
    # slider models: a diffusion model's decode is a whole sampler run (the server path, gated)
    models = [m for m in Backend().models("decode") if not m.has("points") and not m.decodes_slowly]
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
