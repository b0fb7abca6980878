"""A live classroom under load: N simulated students in one room against the real server, in one
asyncio loop (httpx), so 100 students cost 100 coroutines, not 100 threads.

Each student joins, follows the room's event stream (server-sent events) and submits a latent
every 2-5 s; the teacher pushes a new view every `push_every_s`. Measured: push to the last
student seeing it (each push's time until every student's stream delivered its version; p50, p95,
max), submit latency, errors (any refused call or broken stream), the server's RSS growth and CPU;
and, in another process beside them, another user's slider decodes (`/decode` through gradio_client,
paced like a person) before and during the run: the classroom must not slow the rest of the app."""
from __future__ import annotations

import asyncio
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from playground.bench.server import Server, pct


def _stats(values_ms) -> dict:
    return {"p50_ms": round(pct(values_ms, 50), 1), "p95_ms": round(pct(values_ms, 95), 1),
            "max_ms": round(max(values_ms), 1) if values_ms else float("nan"), "n": len(values_ms)}


def decode_user(url: str, seconds: float, think_s=(0.3, 0.7)) -> list[float]:
    """A person moving Explore's sliders through the API (the server path) for `seconds`: each
    decode's latency in ms. Runs in its own process, so the students' event loop in this one does
    not hold its GIL and slow what it measures."""
    from gradio_client import Client
    c, rng = Client(url, verbose=False, ssl_verify=False), random.Random(7)
    c.predict("vae-mnist-16d", "axes", None, -1, 1.0, 0, *[0.0] * 12, api_name="/decode")
    out, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        values = [round(rng.uniform(-3, 3), 2) for _ in range(12)]
        t = time.perf_counter()
        c.predict("vae-mnist-16d", "axes", None, -1, 1.0, 0, *values, api_name="/decode")
        out.append((time.perf_counter() - t) * 1e3)
        time.sleep(rng.uniform(*think_s))
    return out


async def _run(url: str, students: int, seconds: float, push_every_s: float,
               submit_every_s: tuple) -> dict:
    import httpx
    errors: list[str] = []
    seen: dict[int, dict[int, float]] = {}      # version -> {student: when its stream delivered it}
    pushed: dict[int, float] = {}               # version -> when the teacher sent it
    submit_ms: list[float] = []
    # idle connections are dropped before uvicorn's 5 s keep-alive ends them: a reused connection
    # the server is closing at that moment fails the request (a browser retries; this client not)
    limits = httpx.Limits(max_connections=students * 2 + 20, max_keepalive_connections=students + 20,
                          keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=url, limits=limits,
                                 timeout=httpx.Timeout(30.0, read=60.0)) as http:
        made = (await http.post("/classroom/rooms")).json()
        code, teacher = made["code"], {"Authorization": f"Bearer {made['teacher_key']}"}
        # joins a few at a time, as a class arrives
        gate = asyncio.Semaphore(10)

        async def join(k):
            async with gate:
                r = await http.post(f"/classroom/rooms/{code}/students", json={"name": f"student {k}"})
                r.raise_for_status()
                return {"Authorization": f"Bearer {r.json()['student_key']}"}
        keys = await asyncio.gather(*(join(k) for k in range(students)))
        stop = asyncio.Event()
        connected = [asyncio.Event() for _ in range(students)]

        async def follow(k):
            """Student k's event stream; a dropped stream reconnects (and is an error)."""
            while not stop.is_set():
                try:
                    async with http.stream("GET", f"/classroom/rooms/{code}/events",
                                           headers=keys[k]) as r:
                        r.raise_for_status()
                        async for line in r.aiter_lines():
                            if line.startswith("id: "):
                                version = int(line[4:])
                                seen.setdefault(version, {}).setdefault(k, time.perf_counter())
                                connected[k].set()
                            if stop.is_set():
                                return
                except (httpx.HTTPError, ValueError) as err:
                    if not stop.is_set():
                        errors.append(f"stream: {err!r}"[:200])
                        await asyncio.sleep(0.5)

        async def submit(k):
            rng = random.Random(k)
            await asyncio.sleep(rng.uniform(0, submit_every_s[1]))
            while not stop.is_set():
                z = [round(rng.uniform(-3, 3), 3) for _ in range(16)]
                t = time.perf_counter()
                try:
                    r = await http.post(f"/classroom/rooms/{code}/submissions", headers=keys[k],
                                        json={"kind": "latent", "model": "vae-mnist-16d", "z": z})
                    if r.status_code == 201:
                        submit_ms.append((time.perf_counter() - t) * 1e3)
                    else:
                        errors.append(f"submit {r.status_code}: {r.text[:120]}")
                except httpx.HTTPError as err:
                    errors.append(f"submit: {err!r}"[:200])
                await asyncio.sleep(rng.uniform(*submit_every_s))

        followers = [asyncio.create_task(follow(k)) for k in range(students)]
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in connected)), 60)
        submitters = [asyncio.create_task(submit(k)) for k in range(students)]
        rng, t_end, step = random.Random(0), time.perf_counter() + seconds, 0
        while time.perf_counter() < t_end:
            await asyncio.sleep(push_every_s)
            step += 1
            view = {"tab": "explore", "model": "vae-mnist-16d", "seed": step,
                    "z": [round(rng.uniform(-3, 3), 3) for _ in range(12)]}
            t = time.perf_counter()
            r = await http.put(f"/classroom/rooms/{code}/view", json=view, headers=teacher)
            if r.status_code == 200:
                pushed[r.json()["version"]] = t
            else:
                errors.append(f"push {r.status_code}: {r.text[:120]}")
        await asyncio.sleep(min(2.0, push_every_s))  # the last push reaches everyone
        stop.set()
        for task in followers + submitters:
            task.cancel()
        await asyncio.gather(*followers, *submitters, return_exceptions=True)
        stored = len((await http.get(f"/classroom/rooms/{code}/submissions",
                                     params={"limit": 1000}, headers=teacher)).json()["submissions"])
    to_last, missed = [], 0
    for version, t in pushed.items():
        got = seen.get(version, {})
        missed += students - len(got)
        if len(got) == students:
            to_last.append((max(got.values()) - t) * 1e3)
    return {"pushes": len(pushed), "push_to_last_student": _stats(to_last),
            "missed_deliveries": missed, "submit": _stats(submit_ms), "submissions": len(submit_ms),
            "stored_first_1000": stored, "errors": len(errors),
            "error_examples": sorted(set(errors))[:3]}


def bench_classroom(server: Server, students: int = 100, seconds: float = 60.0,
                    push_every_s: float = 3.0, submit_every_s: tuple = (2.0, 5.0),
                    baseline_s: float = 10.0) -> dict:
    """The run described above, against a running `server`; the slider user's usual latency is
    measured alone for `baseline_s` first."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        baseline = pool.submit(decode_user, server.url, baseline_s).result()
        rss0, cpu0, t0 = server.rss_mb(), server.cpu_s(), time.perf_counter()
        during = pool.submit(decode_user, server.url, seconds)
        # its own thread: the caller's thread may run an event loop already (Playwright's, in tests)
        with ThreadPoolExecutor(1) as loop_thread:
            out = loop_thread.submit(asyncio.run, _run(server.url, students, seconds, push_every_s,
                                                       submit_every_s)).result()
        during = during.result()
    wall = time.perf_counter() - t0
    rss1 = server.rss_mb()
    return {"students": students, "seconds": seconds, "push_every_s": push_every_s,
            "submit_every_s": list(submit_every_s), **out,
            "server_cpu_cores": round((server.cpu_s() - cpu0) / wall, 2),
            "rss_before_mb": round(rss0, 1), "rss_after_mb": round(rss1, 1),
            "rss_growth_mb": round(rss1 - rss0, 1),
            "decode_before": _stats(baseline), "decode_during": _stats(during)}


def table_lines(c: dict) -> list[str]:
    p, s = c["push_to_last_student"], c["submit"]
    b, d = c["decode_before"], c["decode_during"]
    return [f"classroom: {c['students']} students in one room, {c['seconds']:g} s (event streams; a "
            f"push every {c['push_every_s']:g} s, a submission per student every "
            f"{c['submit_every_s'][0]:g}-{c['submit_every_s'][1]:g} s)",
            f"  push to the last student  p50 {p['p50_ms']} ms, p95 {p['p95_ms']} ms, max "
            f"{p['max_ms']} ms over {p['n']} pushes ({c['missed_deliveries']} deliveries missed)",
            f"  submit                    p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms "
            f"({s['n']} submissions), {c['errors']} errors",
            f"  server                    RSS +{c['rss_growth_mb']} MB, CPU {c['server_cpu_cores']} cores",
            f"  another user's slider decodes (server path): before p50 {b['p50_ms']} / p95 "
            f"{b['p95_ms']} ms (n={b['n']}), during p50 {d['p50_ms']} / p95 {d['p95_ms']} ms "
            f"(n={d['n']})"]
