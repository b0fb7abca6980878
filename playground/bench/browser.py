"""Slider-to-pixels in real Chromium: the in-page decoder against the server path, on one image
model and one point model whose decoders run in the page."""
from __future__ import annotations

import random
import shutil

from playground.bench.server import summary

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

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


def in_page_models() -> list[str]:
    """The first image model and the first point model (in model order) whose decoder runs in
    the page: both of the page's drawings, a digit on a canvas and a point model's two planes."""
    from playground.backend import Backend
    backend, picked = Backend(), {}
    for info in backend.models("decode"):
        kind = "points" if info.has("points") else "image"
        if kind not in picked and backend.web_decoder(info.id) is not None:
            picked[kind] = info.id
    return list(picked.values())


def bench_browser(url: str, moves: int, models: list[str] | None = None) -> dict:
    """Both paths on each of `models` (default: in_page_models()), median and p90 over `moves`."""
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
        for model_id in models if models is not None else in_page_models():
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
