"""Benchmark:  python -m playground.bench [--quick] [--out bench-results/latest.json]

Measures what a user feels, on this machine, and saves it as JSON. The server-side figures are
taken once the server is idle (its background warm-up of digits and UMAP done), so they are the
steady state a classroom meets, not start-up work:
- decode latency of one latent and of a 64-sample grid, per image model (in-process, warm);
- cold start of `python app.py` until the page answers, and the server's RSS with every model loaded;
- slider-to-pixels in real Chromium, both paths on the first image model and the first point model
  whose decoders run in the page (a digit, a flow's planes): the in-page decoder (set a slider
  inside the page, time until the canvas holds the new pixels, and until the next animation frame)
  and the server path (forced in the page; time until the new PNG is decoded, or the plotly figure
  shows the new point), median and p90 over 30 moves, with the requests the page sent per move;
- concurrent users: N gradio_client clients moving sliders (and now and then sampling a grid) against
  the same server, paced like students ("classroom": a think time after each answer) and flat out
  ("stress"): latency p50/p95, throughput, errors, the server's CPU (per request too) and the
  clients' own, RSS growth; and, for reference, the same stress on the smallest Gradio app that
  decodes a slider value to a PNG: Gradio's own floor on this machine.

server.py measures the server (decode latency, cold start, RSS); browser.py slider-to-pixels in
Chromium; clients.py concurrent API clients and the reference app; report.py the table and CLI.
"""
from playground.bench.browser import (CHROMIUM_ARGS, FORCE_SERVER_JS, bench_browser,  # noqa: F401
                                      in_page_models)
from playground.bench.clients import (bench_concurrent, playground_calls,  # noqa: F401
                                      reference_app, reference_calls)
from playground.bench.report import main, table  # noqa: F401
from playground.bench.server import (ROOT, Server, bench_decode, free_port,  # noqa: F401
                                     load_every_model, pct, rss_mb, summary)
