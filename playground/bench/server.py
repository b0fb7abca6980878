"""The benchmark's measurements of the server itself: in-process decode latency, and `python
app.py` in a subprocess (cold start, RSS, CPU, when its start-up work is done)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent


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
        slow = info.decodes_slowly     # a sampler run per decode: a few, not hundreds
        for _ in range(min(reps, 10) if slow else reps):
            z = rng.normal(size=info.latent_dim).clip(-3, 3)
            t = time.perf_counter()
            backend.decode(info.id, z, label)
            one.append((time.perf_counter() - t) * 1e3)
        for s in range(2 if slow else max(5, reps // 20)):
            t = time.perf_counter()
            backend.sample(info.id, min(64, 5000), temperature=1.0, seed=s, label=label)
            grid.append((time.perf_counter() - t) * 1e3)
        out[info.id] = {"one_latent": summary(one), "grid_64": summary(grid)}
    return out


def bench_samplers(url: str, reps: int) -> dict:
    """What a person waits for a many-step sampler (a model with sampler knobs) through the real
    server, at the knobs' defaults: 16 digits of one class (Conditional samples) and a 64-grid
    (Explore), a fresh seed each time so no answer comes from the cache."""
    from gradio_client import Client
    from playground.backend import Backend
    client, out = Client(url, verbose=False), {}
    for info in Backend().models("decode"):
        if not info.knobs:
            continue
        knobs = [k.default for k in info.knobs]
        label = info.class_names[0] if info.has("condition") else None
        times = {"16_of_a_class": [], "grid_64": []}
        for seed in range(1000, 1000 + reps):
            t = time.perf_counter()
            if label is not None:
                client.predict(info.id, label, 1.0, seed, 16, *knobs, api_name="/sample_class")
                times["16_of_a_class"].append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            client.predict(info.id, label, 1.0, seed, *knobs, api_name="/sample_grid")
            times["grid_64"].append((time.perf_counter() - t) * 1e3)
        out[info.id] = {"knobs": dict(zip((k.name for k in info.knobs), knobs)),
                        **{k: summary(v) for k, v in times.items() if v}}
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
