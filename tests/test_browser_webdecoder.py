"""In-page decoding in real Chromium: the page's decoder equals PyTorch's (the image decoders and
the flow), slider moves make no requests, and the canvas keeps repainting with the server gone."""
import io
import re

import numpy as np
import pytest
import torch
from PIL import Image
from playwright.sync_api import Page, expect

from playground import webdecoder
from playground.base import FAMILIES
from playground.bench import FORCE_SERVER_JS
from tests.test_browser import move_slider, open_page, pick

pytestmark = pytest.mark.browser

CANVAS_PIXELS = """() => {
  const c = document.querySelector('#decoded-canvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return Array.from(d.filter((_, i) => i % 4 === 0));
}"""


def wait_for_decoder(page: Page, model_id: str) -> None:
    page.wait_for_function(
        "id => { const p = window.latentWeb && window.latentWeb.page;"
        " return p && p.decoder && p.decoder.spec.model === id"
        " && document.body.classList.contains('web-decoding'); }", arg=model_id, timeout=60_000)
    expect(page.locator("#decoded-canvas")).to_be_visible()


# The page's heartbeats: Gradio's session stream (it lasts as long as the page) and the
# connection check of assets/connection.js (every 5 s, whatever the person does).
HEARTBEATS = ("/heartbeat/", "/gradio_api/app_id")


def beat(url: str) -> bool:
    return any(h in url for h in HEARTBEATS)


def track_requests(page: Page) -> set:
    """The requests `page` has in flight from now on, the heartbeats aside."""
    in_flight = set()
    page.on("request", lambda r: in_flight.add(r) if not beat(r.url) else None)
    page.on("requestfinished", lambda r: in_flight.discard(r))
    page.on("requestfailed", lambda r: in_flight.discard(r))
    return in_flight


def wait_for_model_pick_to_end(page: Page, model_id: str, in_flight: set) -> None:
    """A model pick ends with its weights and its rest-dims noise, and then nothing is in flight
    (`in_flight` from track_requests, set up before the page was opened)."""
    page.wait_for_function("id => { const p = window.latentWeb.page;"
                           " return p.rest && p.rest.model === id; }", arg=model_id, timeout=60_000)
    for _ in range(600):              # Playwright delivers the page's events while it waits
        if not in_flight:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still in flight after 30 s: {[r.url for r in in_flight]}")


def paints(page: Page) -> int:
    return int(page.locator("#decoded-canvas").get_attribute("data-paints") or 0)


def open_model(page: Page, url: str, model_id: str) -> None:
    open_page(page, url) if model_id == "vae-mnist-2d" else page.goto(url)
    if model_id != "vae-mnist-2d":
        expect(page.locator("#explore-model input")).to_be_visible(timeout=30_000)
        pick(page, "#explore-model", model_id)
    wait_for_decoder(page, model_id)


def test_page_decoder_equals_pytorch(page: Page, app_url, backend):
    """Every shipped decoder (the registry's list; test_webdecoder.py checks the export) runs in
    the page and matches PyTorch (at the knobs a diffusion sampler's copy was made for), but one
    its family keeps on the server: each model picked in turn on one page."""
    open_page(page, app_url)
    first = page.locator("#explore-model input").input_value()
    in_page = [m for m in backend.models("decode")
               if "decoder" not in FAMILIES[m.family].server_parts]
    for info in sorted(in_page, key=lambda m: m.id != first):
        if info.id != first:
            pick(page, "#explore-model", info.id)
        wait_for_decoder(page, info.id)
        rng = np.random.default_rng(0)
        z = (rng.normal(size=(20, info.latent_dim)) * 1.5).clip(-4, 4).astype(np.float32)
        y = rng.integers(0, info.n_classes, 20) if info.n_classes else None
        got = np.array(page.evaluate("([zs, ys]) => window.latentWeb.page.decodeBatch(zs, ys)",
                                     [z.tolist(), None if y is None else y.tolist()]), np.float32)
        model = backend.model(info.id)
        knobs = webdecoder.spec_knobs(backend.web_decoder(info.id), model)
        with torch.inference_mode():
            want = model.decode(torch.from_numpy(z), None if y is None else torch.from_numpy(y),
                                **knobs)
        err = np.abs(got - want.numpy().reshape(20, -1)).max()
        bound = webdecoder.tolerance(backend.web_decoder(info.id))
        assert err <= bound, f"{info.id}: max |page - torch| = {err:.2g}"
        # the principal-direction sliders map to the same latent in the page as on the server
        values = rng.uniform(-3, 3, info.slider_count).round(2)
        zp = page.evaluate("([v]) => Array.from(window.latentWeb.latentFromSliders("
                           "window.latentWeb.page.decoder.spec, v, 'principal', null, 1))",
                           [values.tolist()])
        assert np.allclose(zp, backend.latent_from_sliders(info.id, values, mode="principal"),
                           atol=1e-5), info.id


@pytest.mark.parametrize("model_id", ["cvae-mnist", "ldm-mnist"])
def test_slider_moves_make_no_requests_and_paint_what_the_server_would(page: Page, app_url, backend,
                                                                       model_id):
    """A decoder, and a latent diffusion model's whole sampler, repaint in the page alone."""
    in_flight = track_requests(page)
    open_model(page, app_url, model_id)
    wait_for_model_pick_to_end(page, model_id, in_flight)
    seen = []  # the session's heartbeat stream may reconnect at any time: not a slider's doing
    page.on("request", lambda r: seen.append(r.url) if not beat(r.url) else None)
    for i, value in enumerate([1.5, -2.0, 0.7, 2.9, -0.3]):
        before = paints(page)
        move_slider(page, i % 3, value)
        page.wait_for_function(f"Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
    # A request of the page's own, sent after the moves and awaited: any request the moves made
    # was sent before it, so Playwright has reported it by the time this one has finished.
    sentinel = f"{app_url}/gradio_api/info?after-the-slider-moves"
    page.evaluate("url => fetch(url).then(r => r.text())", sentinel)
    assert seen == [sentinel], f"slider moves reached the server: {seen}"
    k = backend.info(model_id).slider_count
    values = [float(page.locator(f"#slider-{i} input[type=number]").input_value()) for i in range(k)]
    knobs = webdecoder.spec_knobs(backend.web_decoder(model_id), backend.model(model_id))
    mode = page.locator("#explore-mode input:checked").input_value()   # a diffusion model opens
    assert mode == backend.info(model_id).ui.slider_mode                # on principal directions
    want = backend.decode(model_id, backend.latent_from_sliders(model_id, values, mode=mode), "0",
                          knobs)
    got = np.array(page.evaluate(CANVAS_PIXELS)).reshape(28, 28)
    assert np.abs(got - want.astype(int)).max() <= 1
    assert seen == [sentinel], f"a late request after the slider moves: {seen}"


def test_share_link_paints_its_latent_in_the_page(page: Page, app_url, backend):
    page.goto(f"{app_url}/?model=cvae-mnist&mode=axes&t=1&seed=4&class=7&rest=-1&z=1.5,-2")
    wait_for_decoder(page, "cvae-mnist")
    expect(page.locator("#slider-1 input[type=number]")).to_have_value("-2")
    want = backend.decode("cvae-mnist", [1.5, -2] + [0] * 6, "7").astype(int)
    page.wait_for_function("want => { const c = document.querySelector('#decoded-canvas');"
                           " const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
                           " return want.every((v, i) => Math.abs(d[4 * i] - v) <= 1); }",
                           arg=want.ravel().tolist(), timeout=15_000)


def test_server_path_paints_when_the_page_cannot_decode(page: Page, app_url):
    """A model the page has no decoder for (as when an export fails its check) goes through the
    server's /decode: the page is told so, and a slider move brings a new image from the server."""
    open_page(page, app_url)
    wait_for_decoder(page, "vae-mnist-2d")
    page.evaluate(FORCE_SERVER_JS)
    move_slider(page, 0, 0.9)
    expect(page.locator("#decoded img")).to_be_visible(timeout=15_000)
    expect(page.locator("#decoded-canvas")).to_be_hidden()
    before = page.locator("#decoded img").get_attribute("src")
    move_slider(page, 1, -1.3)
    expect(page.locator("#decoded img")).not_to_have_attribute("src", before, timeout=15_000)


def test_page_keeps_repainting_with_the_server_stopped(page: Page, app_url):
    """A digit, and the flow's two planes (their background decoded in the page too), each in a
    page of its own, loaded from the app, which the pages then cannot reach: the browser is put
    offline, so every request fails as it would with the server stopped (the session's app stays
    up for the other tests, and no second app is launched). A banner says the server is gone."""
    cases = {"vae-mnist-16d": 3, "flow-moons": 1}
    pages = {model_id: page if i == 0 else page.context.new_page()
             for i, model_id in enumerate(cases)}
    for model_id, p in pages.items():
        in_flight = track_requests(p)
        open_model(p, app_url, model_id)
        wait_for_model_pick_to_end(p, model_id, in_flight)  # "after load": nothing in flight
    page.context.set_offline(True)
    for model_id, p in pages.items():
        before, pixels = paints(p), p.evaluate(CANVAS_PIXELS)
        move_slider(p, cases[model_id], 2.5)
        p.wait_for_function(f"Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
        assert p.evaluate(CANVAS_PIXELS) != pixels, f"{model_id}: the canvas did not change"
    # and the page says so (assets/connection.js: its check runs every 5 s; here at once), in
    # words and to screen readers, until the server answers again
    banner = page.get_by_role("alert").filter(has_text="The server is not answering")
    assert page.evaluate("() => window.latentConnection.probe()") is False
    expect(banner).to_be_visible()
    page.context.set_offline(False)
    assert page.evaluate("() => window.latentConnection.probe()") is True
    expect(banner).to_be_hidden()


def test_rest_dims_and_principal_mode_paint_in_the_page(page: Page, app_url, backend):
    """The dims beyond the 12 sliders (seeded on the server, fetched once per seed) and the
    principal-direction mode give the picture the server would."""
    open_model(page, app_url, "vae-mnist-16d")
    page.get_by_role("radio", name="principal directions of the data").check()
    page.get_by_role("button", name="Randomise the rest").click()
    move_slider(page, 2, 1.25)
    page.wait_for_function("() => { const r = window.latentWeb.page.rest;"
                           " return r && r.seed === 0 && r.noise.length === 4; }", timeout=30_000)
    values = [0.0, 0.0, 1.25] + [0.0] * 9
    z = backend.latent_from_sliders("vae-mnist-16d", values, mode="principal", rest_seed=0)
    want = backend.decode("vae-mnist-16d", z).astype(int)
    page.wait_for_function("want => { const c = document.querySelector('#decoded-canvas');"
                           " const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
                           " return want.every((v, i) => Math.abs(d[4 * i] - v) <= 1); }",
                           arg=want.ravel().tolist(), timeout=15_000)


# A drag's worth of slider moves inside one task, so no frame can come between them: slider 0
# through `a`, slider 1 through `b`, interleaved, the range inputs' own DOM events. Decodes are
# logged with the frame they ran in (document.timeline's time is the frame's own), or null when
# outside a frame callback.
BURST_JS = """({a, b}) => {
  const p = window.latentWeb.page, dec = p.decoder, run = dec.run;
  if (!window.inFrame) {
    const raf = window.requestAnimationFrame.bind(window);
    window.inFrame = false;
    window.requestAnimationFrame = f => raf(t => {
      window.inFrame = true;
      try { f(t); } finally { window.inFrame = false; }
    });
  }
  window.decodeFrames = [];
  if (!dec.logged) {
    dec.logged = true;
    dec.run = (...args) => {
      window.decodeFrames.push(window.inFrame ? document.timeline.currentTime : null);
      return run(...args);
    };
  }
  const input = i => document.querySelector(`#slider-${i} input[type=range]`);
  a.forEach((v, k) => {
    for (const [i, value] of [[0, v], [1, b[k]]]) {
      input(i).value = value;
      input(i).dispatchEvent(new Event('input', {bubbles: true}));
    }
  });
}"""


def test_a_burst_of_slider_moves_paints_once_per_frame_the_last_values(page: Page, app_url, backend):
    """Twenty moves of two sliders within one frame: one decode, in a frame callback, of the last
    values (what the server draws for them), no request; Gradio's sliders end on those values too,
    so a share link and a server decode see them. Later moves, a frame or more apart, paint each."""
    model_id = "vae-mnist-16d"
    in_flight = track_requests(page)
    open_model(page, app_url, model_id)
    wait_for_model_pick_to_end(page, model_id, in_flight)
    seen = []
    page.on("request", lambda r: seen.append(r.url) if not beat(r.url) else None)
    before = paints(page)
    a = np.linspace(-2.5, 1.75, 20).round(2).tolist()
    b = np.linspace(2.0, -0.5, 20).round(2).tolist()
    page.evaluate(BURST_JS, {"a": a, "b": b})
    page.wait_for_function(f"Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    frames = page.evaluate("window.decodeFrames")
    assert len(frames) == 1 and frames[0] is not None and paints(page) == before + 1, frames
    values = [a[-1], b[-1]] + [0.0] * 10
    want = backend.decode(model_id, backend.latent_from_sliders(model_id, values)).astype(int)
    got = np.array(page.evaluate(CANVAS_PIXELS)).reshape(28, 28)
    assert np.abs(got - want).max() <= 1
    # moves a frame apart: one decode each, each in a frame of its own
    for v in (0.5, -1.0, 1.25):
        page.evaluate(BURST_JS, {"a": [v], "b": [b[-1]]})
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        frames += page.evaluate("window.decodeFrames")
    assert len(frames) == 4 and None not in frames and len(set(frames)) == 4, frames
    sentinel = f"{app_url}/gradio_api/info?after-the-slider-moves"
    page.evaluate("url => fetch(url).then(r => r.text())", sentinel)
    assert seen == [sentinel], f"slider moves reached the server: {seen}"
    # Gradio's own values: what a share link and the server path read
    expect(page.locator("#slider-0 input[type=number]")).to_have_value("1.25")
    expect(page.locator("#slider-1 input[type=number]")).to_have_value(str(b[-1]))
    page.locator("#share-link").click()
    expect(page.locator("#share-url textarea")).to_have_value(re.compile(rf"z=1\.25%2C{b[-1]}(&|$)"))
    page.evaluate(FORCE_SERVER_JS)
    image = page.locator("#decoded img")
    shown = image.get_attribute("src") if image.count() else None
    page.evaluate("document.querySelector('#server-decode').click()")
    expect(image).to_be_visible(timeout=15_000)
    if shown:
        expect(image).not_to_have_attribute("src", shown, timeout=15_000)
    png = page.request.get(image.get_attribute("src")).body()
    values = [1.25, b[-1]] + [0.0] * 10
    want = backend.decode(model_id, backend.latent_from_sliders(model_id, values)).astype(int)
    assert np.abs(np.array(Image.open(io.BytesIO(png)).convert("L"), int) - want).max() <= 1


def test_a_mouse_drag_paints_in_the_page_and_leaves_gradio_on_the_released_value(page: Page,
                                                                                 app_url, backend):
    """A person's drag (trusted pointer events): the canvas follows in the page, and once the
    mouse is released Gradio's slider (its number box, what share links and server calls read)
    holds the value the range input was released on, and the canvas shows that value's picture."""
    model_id = "vae-mnist-2d"
    open_model(page, app_url, model_id)
    before = paints(page)
    track = page.locator("#slider-1 input[type=range]").bounding_box()
    y = track["y"] + track["height"] / 2
    page.mouse.move(track["x"] + track["width"] * 0.5, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.8, y, steps=12)
    page.mouse.up()
    released = page.locator("#slider-1 input[type=range]").input_value()
    assert float(released) != 0
    expect(page.locator("#slider-1 input[type=number]")).to_have_value(released)
    assert paints(page) > before
    want = backend.decode(model_id, backend.latent_from_sliders(model_id, [0.0, float(released)]))
    page.wait_for_function("want => { const c = document.querySelector('#decoded-canvas');"
                           " const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
                           " return want.every((v, i) => Math.abs(d[4 * i] - v) <= 1); }",
                           arg=want.astype(int).ravel().tolist(), timeout=15_000)
    page.locator("#share-link").click()
    expect(page.locator("#share-url textarea")).to_have_value(re.compile(rf"z=0%2C{released}(&|$)"))
