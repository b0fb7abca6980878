"""In-page decoding in real Chromium: the page's decoder equals PyTorch's (the image decoders and
the flow), slider moves make no requests, and the canvas keeps repainting with the server gone."""
import numpy as np
import pytest
import torch
from playwright.sync_api import Page, expect

from playground.backend import Backend
from playground.bench import FORCE_SERVER_JS
from tests.test_browser import move_slider, open_page, pick

pytestmark = pytest.mark.browser

# Every shipped decoder runs in the page (test_webdecoder.py checks the export) and must match PyTorch.
DECODERS = [m.id for m in Backend().models("decode")]
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


def wait_for_model_pick_to_end(page: Page, model_id: str) -> None:
    """A model pick ends with its weights and its rest-dims noise: after that, nothing is in flight."""
    page.wait_for_function("id => { const p = window.latentWeb.page;"
                           " return p.rest && p.rest.model === id; }", arg=model_id, timeout=60_000)
    page.wait_for_timeout(1000)


def paints(page: Page) -> int:
    return int(page.locator("#decoded-canvas").get_attribute("data-paints") or 0)


def open_model(page: Page, url: str, model_id: str) -> None:
    open_page(page, url) if model_id == "vae-mnist-2d" else page.goto(url)
    if model_id != "vae-mnist-2d":
        expect(page.locator("#explore-model input")).to_be_visible(timeout=30_000)
        pick(page, "#explore-model", model_id)
    wait_for_decoder(page, model_id)


@pytest.mark.parametrize("model_id", DECODERS)
def test_page_decoder_equals_pytorch(page: Page, app_url, backend, model_id):
    open_model(page, app_url, model_id)
    info = backend.info(model_id)
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(20, info.latent_dim)) * 1.5).clip(-4, 4).astype(np.float32)
    y = rng.integers(0, info.n_classes, 20) if info.n_classes else None
    got = np.array(page.evaluate("([zs, ys]) => window.latentWeb.page.decodeBatch(zs, ys)",
                                 [z.tolist(), None if y is None else y.tolist()]), np.float32)
    with torch.inference_mode():
        want = backend.model(model_id).decode(torch.from_numpy(z),
                                              None if y is None else torch.from_numpy(y))
    err = np.abs(got - want.numpy().reshape(20, -1)).max()
    assert err <= 1e-4, f"{model_id}: max |page - torch| = {err:.2g}"
    # the principal-direction sliders map to the same latent in the page as on the server
    values = rng.uniform(-3, 3, info.slider_count).round(2)
    zp = page.evaluate("([v]) => Array.from(window.latentWeb.latentFromSliders("
                       "window.latentWeb.page.decoder.spec, v, 'principal', null, 1))",
                       [values.tolist()])
    assert np.allclose(zp, backend.latent_from_sliders(model_id, values, mode="principal"), atol=1e-5)


def test_slider_moves_make_no_requests_and_paint_what_the_server_would(page: Page, app_url, backend):
    open_model(page, app_url, "cvae-mnist")
    wait_for_model_pick_to_end(page, "cvae-mnist")
    seen = []  # the session's heartbeat stream may reconnect at any time: not a slider's doing
    page.on("request", lambda r: seen.append(r.url) if "/heartbeat/" not in r.url else None)
    for i, value in enumerate([1.5, -2.0, 0.7, 2.9, -0.3]):
        before = paints(page)
        move_slider(page, i % 3, value)
        page.wait_for_function(f"Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
    page.wait_for_timeout(300)
    assert seen == [], f"slider moves reached the server: {seen}"
    values = [float(page.locator(f"#slider-{i} input[type=number]").input_value()) for i in range(8)]
    want = backend.decode("cvae-mnist", backend.latent_from_sliders("cvae-mnist", values), "0")
    got = np.array(page.evaluate(CANVAS_PIXELS)).reshape(28, 28)
    assert np.abs(got - want.astype(int)).max() <= 1


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


@pytest.mark.parametrize("model_id,slider", [("vae-mnist-16d", 3), ("flow-moons", 1)])
def test_page_keeps_repainting_with_the_server_stopped(page: Page, backend, model_id, slider):
    """A digit, and the flow's two planes (their background decoded in the page too)."""
    from playground.ui import build_demo, launch_kwargs
    from playground.bench import free_port
    demo = build_demo(backend)
    demo.launch(**(launch_kwargs() | {"server_name": "127.0.0.1", "server_port": free_port(),
                                      "prevent_thread_lock": True, "quiet": True}))
    try:
        open_model(page, demo.local_url.rstrip("/"), model_id)
        wait_for_model_pick_to_end(page, model_id)  # "after load": nothing in flight
    finally:
        demo.close()
    before, pixels = paints(page), page.evaluate(CANVAS_PIXELS)
    move_slider(page, slider, 2.5)
    page.wait_for_function(f"Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
    assert page.evaluate(CANVAS_PIXELS) != pixels


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
