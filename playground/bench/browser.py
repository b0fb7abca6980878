"""Slider-to-frame in real Chromium: the in-page decoder against the server path, on every model
whose decoder runs in the page, and the page's decode alone.

Slider-to-frame is timed in the page, from the input event to the end of the animation frame
that shows the new pixels: the first frame whose requestAnimationFrame callbacks find the canvas
repainted (a callback queued right after the event runs after any the page queued in it, so a
canvas drawn in a frame callback counts at that frame; one drawn outside a callback shows, and
counts, at the next), timed when that frame's rendering on the main thread is done (the page's
other frame callbacks, style, layout and paint: Gradio's own work for the move included). Each move is dispatched after a random delay of up to one frame, so that moves land
anywhere in a frame, as a person's do (moves a fixed time apart would land at one phase of the
frame clock): on a 60 Hz page about half a frame (8 ms) of every median is the wait for the next
frame, and up to a whole frame of a p90. The bench reports the page's frame interval too."""
from __future__ import annotations

import random
import shutil

from playground.bench.server import summary

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# Helpers of every slider script. frameWhen(shown) resolves with performance.now() when the first
# animation frame (callbacks queued from now on) for which shown() is true has been rendered: a
# message posted from the frame's callback is handled once the frame's rendering (every other
# callback, style, layout, paint) is done. move(el, u) sets the range input `el` to the fraction
# u of its range, on its step, never to the value it has (a move that changes nothing paints
# nothing), and dispatches its input event. within(p) is p, or null after 10 s: a bench must end.
HELPERS_JS = """
const frameWhen = shown => new Promise(resolve => {
  const done = new MessageChannel();
  done.port1.onmessage = () => resolve(performance.now());
  const check = () => shown() ? done.port2.postMessage(0) : requestAnimationFrame(check);
  requestAnimationFrame(check);
});
const move = (el, u) => {
  const lo = Number(el.min), hi = Number(el.max), step = Number(el.step) || 0.01;
  let v = lo + Math.round(u * (hi - lo) / step) * step;
  if (Math.abs(v - Number(el.value)) < step / 2) v = v - lo > (hi - lo) / 2 ? lo : hi;
  el.value = v;
  el.dispatchEvent(new Event('input', {bubbles: true}));
};
const within = p => Promise.race([p, new Promise(resolve => setTimeout(() => resolve(null), 10000))]);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
"""

# The in-page path: the canvas's data-paints counter moves. Works on any page that counts its
# paints on the canvas (the Gradio page, the static page).
PAGE_SLIDER_JS = """async ({input, canvas, u, delay}) => {
  %s
  const c = document.querySelector(canvas), before = c.dataset.paints;
  const el = document.querySelector(input);
  await sleep(delay);
  const t0 = performance.now();
  move(el, u);
  const t = await within(frameWhen(() => c.dataset.paints !== before));
  return t === null ? null : t - t0;
}""" % HELPERS_JS

# The server path of an image model: #decoded's <img> has a new, decoded src.
SLIDER_JS = """async ({input, u, delay}) => {
  %s
  const box = document.querySelector('#decoded');
  const img = () => box.querySelector('img');
  const before = img() ? img().src : null;
  const changed = new Promise(resolve => {
    const check = () => { const el = img(); if (el && el.src !== before) { obs.disconnect(); resolve(el); } };
    const obs = new MutationObserver(check);
    obs.observe(box, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
  });
  const el = document.querySelector(input);
  await sleep(delay);
  const t0 = performance.now();
  move(el, u);
  const shown = await within(changed);
  if (shown === null) return null;
  await shown.decode();
  return await frameWhen(() => true) - t0;
}""" % HELPERS_JS
# The server path of a point model: the plotly figure holds the new decoded point.
PLOT_SLIDER_JS = """async ({input, u, delay}) => {
  %s
  const box = document.querySelector('#decoded-plot');
  const point = () => { const gd = box.querySelector('.js-plotly-plot');
    const t = gd && gd.data && gd.data.find(t => t.name === 'its image');
    return t ? JSON.stringify([Array.from(t.x), Array.from(t.y)]) : null; };
  const before = point();
  const changed = new Promise(resolve => {
    const obs = new MutationObserver(() => { if (point() !== before) { obs.disconnect(); resolve(true); } });
    obs.observe(box, {subtree: true, childList: true, attributes: true});
  });
  const el = document.querySelector(input);
  await sleep(delay);
  const t0 = performance.now();
  move(el, u);
  if (await within(changed) === null) return null;
  return await frameWhen(() => true) - t0;
}""" % HELPERS_JS
# The server path on the same model: the page pretends it has no decoder for it.
FORCE_SERVER_JS = """() => { window.latentWeb.page.forceServer = true;
  document.body.classList.remove('web-decoding', 'web-points'); }"""
# The page's frame interval: the median gap between `n` animation frames, in ms.
FRAME_INTERVAL_JS = """async ({n}) => {
  const t = [];
  await new Promise(resolve => {
    const tick = now => { t.push(now); t.length > n ? resolve() : requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const gaps = t.slice(1).map((v, i) => v - t[i]).sort((a, b) => a - b);
  return gaps[gaps.length >> 1];
}"""
# The page's decoder alone on `n` latents (uniform in the sliders' range), in ms each; with
# `js`, a copy of it that keeps its sums in JavaScript (a browser without WebAssembly SIMD).
DECODE_JS = """({n, js}) => {
  const page = window.latentWeb.page, times = [];
  const dec = js ? window.latentWeb.load(page.decoder.spec, {simd: false}) : page.decoder;
  const d = dec.spec.latent_dim;
  let s = 1;
  const rand = () => (s = (s * 16807) % 2147483647) / 2147483647 * 6 - 3;
  for (let i = 0; i < n + 5; i++) {
    const z = Array.from({length: d}, rand), t0 = performance.now();
    dec.run(z, i % Math.max(1, dec.spec.n_classes));
    if (i >= 5) times.push(performance.now() - t0);  // the first runs warm the JIT up
  }
  return times;
}"""


def in_page_models() -> list[str]:
    """Every model (in model order) whose decoder runs in the page."""
    from playground.backend import Backend
    backend = Backend()
    return [info.id for info in backend.models("decode") if backend.web_decoder(info.id) is not None]


def slider_moves(page, js: str, arg: dict, moves: int, requests: list, rng) -> dict:
    """`moves` slider moves timed by `js` (3 more first, to warm up), alternating between the
    first two sliders (arg["input"]: a selector with %d for the slider's index), each to a random
    place on its range, about 50 ms apart: median and p90, the requests the page sent per move,
    and how many moves showed nothing within 10 s (left out of the figures)."""
    times, n_requests, lost = [], 0, 0
    for i in range(moves + 3):
        before = len(requests)
        ms = page.evaluate(js, {**arg, "u": rng.random(), "input": arg["input"] % (i % 2),
                                "delay": rng.uniform(0, 1000 / 60)})
        page.wait_for_timeout(50)
        if i >= 3:  # the first moves warm up caches and connections
            n_requests += len(requests) - before
            if ms is None:
                lost += 1
            else:
                times.append(ms)
    return {**summary(times), "requests_per_move": round(n_requests / moves, 2),
            "timed_out": lost}


def bench_browser(url: str, moves: int, models: list[str] | None = None,
                  decodes: int = 200) -> dict:
    """Both paths on each of `models` (default: in_page_models()), median and p90 over `moves`,
    and the page's decode alone over `decodes` latents."""
    from playwright.sync_api import sync_playwright
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        return {"skipped": "chromium not installed (make test installs it)"}
    out = {"models": {}}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests = []
        # every request but the page's heartbeats (Gradio's session stream, the connection
        # check of assets/connection.js every 5 s): what the moves cost
        page.on("request", lambda r: requests.append(r.url)
                if "/heartbeat/" not in r.url and "/gradio_api/app_id" not in r.url else None)
        rng = random.Random(0)
        for model_id in models if models is not None else in_page_models():
            page.goto(f"{url}/?model={model_id}")  # a share link: opens the model
            page.wait_for_function("id => { const p = window.latentWeb && window.latentWeb.page;"
                                   " return p && p.decoder && p.decoder.spec.model === id &&"
                                   " document.body.classList.contains('web-decoding'); }",
                                   arg=model_id, timeout=60_000)
            page.wait_for_timeout(500)
            m = out["models"][model_id] = {
                "weights_json_mb": round(page.evaluate(
                    "JSON.stringify(window.latentWeb.page.decoder.spec).length") / 1e6, 2),
                "simd": page.evaluate("window.latentWeb.page.decoder.simd"),
                "decode_alone": summary(page.evaluate(DECODE_JS, {"n": decodes, "js": False})),
                "decode_alone_js": summary(page.evaluate(DECODE_JS, {"n": decodes, "js": True}))}
            points = page.evaluate("window.latentWeb.page.decoder.spec.output") == "points"
            slider = {"input": "#slider-%d input[type=range]", "canvas": "#decoded-canvas"}
            m["frame_interval_ms"] = round(page.evaluate(FRAME_INTERVAL_JS, {"n": 60}), 2)
            m["in_page"] = slider_moves(page, PAGE_SLIDER_JS, slider, moves, requests, rng)
            page.evaluate(FORCE_SERVER_JS)
            m["server_path"] = slider_moves(page, PLOT_SLIDER_JS if points else SLIDER_JS, slider,
                                            moves, requests, rng)
        browser.close()
    return out
