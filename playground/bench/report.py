"""Benchmark:  python -m playground.bench [--quick] [--out bench-results/latest.json]

Measures what a user feels, on this machine, and saves it as JSON (with the load average at the
start and end: a busy machine is seen in the figures). --browser-only: the page figures alone. The server-side figures are
taken once the server is idle (its background warm-up of digits and UMAP done), so they are the
steady state a classroom meets, not start-up work:
- decode latency of one latent and of a 64-sample grid, per image model (in-process, warm);
- many-step samplers (diffusion) through the real server at their default knobs: 16 digits of a
  class and a 64-grid, each with a fresh seed;
- cold start of `python app.py` until the page answers, and the server's RSS with every model loaded;
- slider-to-frame in real Chromium, on every model whose decoder runs in the page: the in-page
  decoder (set a slider inside the page, time from the input event to the animation frame that
  shows the new pixels, see browser.py) and the server path (forced in the page; until the frame
  after the new PNG is decoded, or after the plotly figure shows the new point), median and p90
  over 30 moves (--moves), with the requests the page sent per move; and the page's decode alone
  (latentWeb.page.decoder.run), median and p90 over 200 latents, with its WebAssembly SIMD sums
  and with JavaScript's alone;
- the static page (python -m playground.static, built afresh unless --site names a build): its
  size, first paint (navigation to the first decoded digit, cold) from a local static server and
  from file://, and slider-to-frame per model, timed as the Gradio page's (see static.py);
- concurrent users: N gradio_client clients moving sliders (and now and then sampling a grid) against
  the same server, paced like students ("classroom": a think time after each answer) and flat out
  ("stress"): latency p50/p95, throughput, errors, the server's CPU (per request too) and the
  clients' own, RSS growth; and, for reference, the same stress on the smallest Gradio app that
  decodes a slider value to a PNG: Gradio's own floor on this machine.

- the live classroom (classroom.py; --classroom-only runs it alone): 100 simulated students in
  one room following the teacher's pushes over server-sent events and submitting every 2-5 s
  for 60 s: push to the last student, submit latency, errors, RSS growth, and another user's
  slider decodes before and during the run.

server.py measures the server (decode latency, cold start, RSS); browser.py slider-to-pixels in
Chromium; static.py the static page; clients.py concurrent API clients and the reference app; report.py the table and CLI.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from playground.bench.browser import bench_browser
from playground.bench.classroom import bench_classroom, table_lines as classroom_lines
from playground.bench.static import bench_static
from playground.files import write_atomic
from playground.bench.clients import bench_concurrent, reference_app, reference_calls
from playground.bench.server import ROOT, Server, bench_decode, bench_samplers, load_every_model


def table(report: dict) -> str:
    lines = []
    if "decode" in report:
        lines.append("decode latency (in-process, warm)      one latent     64-grid")
        for mid, r in report["decode"].items():
            lines.append(f"  {mid:34s} {r['one_latent']['median_ms']:8.3f} ms "
                         f"{r['grid_64']['median_ms']:8.2f} ms")
    if "server" in report:
        s = report["server"]
        lines += [f"cold start of app.py to first page     {s['cold_start_s']:.2f} s",
                  f"server RSS, every model loaded        {s['rss_all_models_mb']:.0f} MB",
                  f"server idle (background warm-up done) {s['settled_after_s']:.0f} s after every model loaded"]
    for mid, r in report.get("samplers", {}).items():
        knobs = ", ".join(f"{k} {v}" for k, v in r["knobs"].items())
        lines.append(f"sampler via the API, {mid} ({knobs}): 16 of a class median "
                     f"{r['16_of_a_class']['median_ms'] / 1e3:.2f} s, 64-grid median "
                     f"{r['grid_64']['median_ms'] / 1e3:.2f} s (n={r['grid_64']['n']})")
    b = report.get("browser_slider_to_pixels", {"models": {}})
    if b.get("models"):
        lines.append("in Chromium, per model: slider-to-frame (input event to the frame that shows "
                     "the new pixels), median / p90, and the page's decode alone")
    for mid, m in b.get("models", {}).items():
        if "decode_alone" in m:
            r, j = m["decode_alone"], m.get("decode_alone_js")
            js = f", in JavaScript alone {j['median_ms']:.2f} / {j['p90_ms']:.2f} ms" if j else ""
            lines.append(f"  {mid:14s} decode alone {r['median_ms']:6.2f} / {r['p90_ms']:6.2f} ms "
                         f"(n={r['n']}, {'WebAssembly SIMD' if m.get('simd') else 'JavaScript'}{js})"
                         + (f"; frames every {m['frame_interval_ms']:.1f} ms"
                            if "frame_interval_ms" in m else ""))
        for name in ("in_page", "server_path"):
            r = m[name]
            lost = f", {r['timed_out']} moves showed nothing in 10 s" if r.get("timed_out") else ""
            lines.append(f"  {mid:14s} {name:11s}  {r['median_ms']:6.1f} / {r['p90_ms']:6.1f} ms "
                         f"(n={r['n']}), {r['requests_per_move']} requests/move{lost}")
    if b and "models" not in b:
        lines.append(f"slider-to-frame in Chromium           {b}")
    st = report.get("static")
    if st and "models" in st:
        fh, ff = st["first_paint_http"], st["first_paint_file"]
        lines += [f"static page: {st['folder_mb']:.2f} MB; first paint (cold) median / p90 "
                  f"{fh['median_ms']:.0f} / {fh['p90_ms']:.0f} ms from a local server, "
                  f"{ff['median_ms']:.0f} / {ff['p90_ms']:.0f} ms from file:// (n={fh['n']}); "
                  f"{st['requests_outside_the_folder']} requests left the folder",
                  "static page, per model: slider-to-frame median / p90"]
        for mid, m in st["models"].items():
            r = m.get("in_page")
            lines.append(f"  {mid:14s} {r['median_ms']:6.1f} / {r['p90_ms']:6.1f} ms (n={r['n']}), "
                         f"{r['requests_per_move']} requests/move" if r else f"  {mid:14s} {m}")
    elif st:
        lines.append(f"static page                           {st}")
    for name, c in report.get("concurrent", {}).items():
        lines.append(f"{c['clients']} API clients, {name} (think {c['think_s'][0]:g}-{c['think_s'][1]:g} s), "
                     f"{c['seconds']} s: p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms (slider decodes "
                     f"p50 {c['decode_p50_ms']} / p95 {c['decode_p95_ms']} ms, 64-grids p50 "
                     f"{c['grid_p50_ms']} / p95 {c['grid_p95_ms']} ms), "
                     f"{c['throughput_rps']} req/s, {c['errors']} errors, server CPU "
                     f"{c['server_cpu_cores']} cores ({c['server_cpu_ms_per_request']} ms/request), "
                     f"clients' CPU {c['client_cpu_cores']} cores, RSS +{c['rss_growth_mb']} MB "
                     f"(+{c['rss_growth_after_warmup_mb']} MB after warm-up)")
    if "classroom" in report:
        lines += classroom_lines(report["classroom"])
    if "load" in report:
        lines.append(f"load average (1, 5, 15 min) at start {report['load']['start']}, "
                     f"at end {report['load']['end']}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m playground.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs, to check the bench works")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                        help="classroom scenario: seconds each API client waits between calls")
    parser.add_argument("--out", type=Path, help="where the JSON goes (default: bench-results/"
                        "latest.json, or browser-latest.json with --browser-only)")
    parser.add_argument("--browser-only", action="store_true",
                        help="only the page figures: slider-to-frame and decode alone in Chromium")
    parser.add_argument("--static-only", action="store_true",
                        help="only the static page's figures (size, first paint, slider-to-frame)")
    parser.add_argument("--site", type=Path, metavar="DIR",
                        help="time this static build instead of building one afresh")
    parser.add_argument("--moves", type=int, default=30,
                        help="slider moves timed per model and path in Chromium (default 30)")
    parser.add_argument("--models", nargs="+", metavar="ID",
                        help="the models timed in Chromium (default: every one the page decodes)")
    parser.add_argument("--classroom-only", action="store_true",
                        help="only the live classroom: simulated students in one room")
    parser.add_argument("--students", type=int, default=100, help="classroom: students in the room")
    parser.add_argument("--reference-app", action="store_true", help=argparse.SUPPRESS)  # serves it
    args = parser.parse_args(argv)
    if args.reference_app:
        return reference_app()
    if args.classroom_only:
        return classroom_only(args)
    reps, moves = (20, 5) if args.quick else (500, max(1, min(args.moves, 1000)))
    clients, seconds = (4, 3.0) if args.quick else (args.clients, args.seconds)

    import torch
    report = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "torch_threads": torch.get_num_threads(), "python": platform.python_version()},
              "when": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick,
              "load": {"start": list(os.getloadavg())}}
    if not (args.browser_only or args.static_only):
        report["decode"] = bench_decode(reps)
    report["static"] = bench_static(moves, args.models, args.site, loads=2 if args.quick else 5)
    if args.static_only:
        return _save(report, args, "static-latest.json")
    server = Server(env={"PLAYGROUND_DB": str(scratch_db())})
    try:
        rss_start = server.rss_mb()
        load_every_model(server.url)
        report["server"] = {"cold_start_s": round(server.cold_start_s, 2),
                            "rss_at_start_mb": round(rss_start, 1),
                            "rss_all_models_mb": round(server.rss_mb(), 1)}
        report["server"]["settled_after_s"] = round(server.wait_idle(timeout=30 if args.quick else 300), 1)
        if not args.browser_only:
            report["samplers"] = bench_samplers(server.url, 1 if args.quick else 3)
        report["browser_slider_to_pixels"] = bench_browser(server.url, moves, args.models,
                                                           decodes=20 if args.quick else 200)
        if not args.browser_only:
            report["concurrent"] = {
                name: bench_concurrent(server, clients, seconds, think)
                for name, think in (("classroom", args.think), ("stress", (0.0, 0.0)))}
            report["classroom"] = bench_classroom(server, args.students, 10.0 if args.quick
                                                  else args.seconds)
    finally:
        server.close()
    if not args.browser_only:
        # The same stress on the minimal app: what any Gradio app costs per call on this machine.
        server = Server(args=("-m", "playground.bench", "--reference-app"))
        try:
            report["concurrent"]["stress_minimal_gradio_app"] = bench_concurrent(
                server, clients, seconds, (0.0, 0.0), calls=reference_calls)
        finally:
            server.close()
    return _save(report, args, "browser-latest.json" if args.browser_only else "latest.json")


def _save(report: dict, args, name: str) -> dict:
    report["load"]["end"] = list(os.getloadavg())
    return save(report, args.out or ROOT / "bench-results" / name)


def save(report: dict, out: Path) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, json.dumps(report, indent=2) + "\n")
    print(table(report))
    print(f"saved {out}")
    return report


def scratch_db() -> Path:
    """A fresh database for the bench's rooms, beside its results (never the app's own rooms)."""
    path = ROOT / "bench-results" / "classroom.db"
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    return path


def classroom_only(args) -> dict:
    """The classroom alone, on a server without the UMAP warm-up (the room never needs it)."""
    report = {"when": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick,
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
              "load": {"start": list(os.getloadavg())}}
    server = Server(env={"PLAYGROUND_DB": str(scratch_db()), "LATENT_PLAYGROUND_WARMUP": "0"})
    try:
        report["classroom"] = bench_classroom(server, 10 if args.quick else args.students,
                                              10.0 if args.quick else args.seconds)
    finally:
        server.close()
    report["load"]["end"] = list(os.getloadavg())
    return save(report, args.out or ROOT / "bench-results" / "classroom-latest.json")

