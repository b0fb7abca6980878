"""The static folder in real Chromium, opened from file:// and from a local static server, every
request to another origin aborted: a slider move repaints what torch decodes, a grid is the
server's grid, a map click decodes a point's latent or the weighted latent of empty space, a
drawing lands on the map, a share link restores its view, the curves show. No request leaves the
folder's origin."""
import functools
import http.server
import json
import threading

import numpy as np
import pytest
import torch
from playwright.sync_api import Page, expect

from playground import projection as proj
from playground.static import weights as W

pytestmark = pytest.mark.browser

FIRST_PAINT_MS = 1500   # the budget for the first decoded digit, from a local server

CANVAS_PIXELS = """sel => {
  const c = document.querySelector(sel);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return [c.width, c.height, Array.from(d.filter((_, i) => i % 4 === 0))];
}"""


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def folder(static_site):
    return static_site[0]


@pytest.fixture(scope="module")
def server(folder):
    """python's http.server on 127.0.0.1, serving the folder, in a thread."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(params=["file", "http"])
def base(request, folder):
    """The folder's URL: from the disk, or from the local static server."""
    return folder.as_uri() + "/" if request.param == "file" else request.getfixturevalue("server")


@pytest.fixture
def requests(page: Page, base):
    """Every request the page makes; any to another origin is aborted (and recorded)."""
    seen = {"all": [], "aborted": []}

    def route(r):
        if r.request.url.startswith(base):
            r.continue_()
        else:
            seen["aborted"].append(r.request.url)
            r.abort()
    page.route("**/*", route)
    page.on("request", lambda r: seen["all"].append(r.url))
    yield seen
    outside = [u for u in seen["all"] if not u.startswith((base, "data:", "blob:"))]
    assert outside == [] and seen["aborted"] == [], outside or seen["aborted"]


def pixels(page: Page, selector: str) -> np.ndarray:
    w, h, values = page.evaluate(CANVAS_PIXELS, selector)
    return np.array(values).reshape(h, w)


def paints(page: Page) -> int:
    return int(page.locator("#decoded-canvas").get_attribute("data-paints") or 0)


def open_explore(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => Number(document.querySelector('#decoded-canvas')"
                           "?.dataset.paints || 0) > 0", timeout=30_000)


def grey_levels(got: np.ndarray, want: np.ndarray) -> int:
    return int(np.abs(got.astype(int) - want.astype(int)).max())


# The page's weights are within one grey level of torch's output (W.TOLERANCE); rounding both
# to 8 bits adds at most one more.
LEVELS = int(np.ceil(W.TOLERANCE * 255)) + 1


def test_slider_moves_repaint_what_torch_decodes(page: Page, base, requests, backend):
    open_explore(page, base + "index.html")
    model_id = page.locator("#explore-model").input_value()
    first = page.evaluate("() => window.latentStatic.firstPaint")
    if base.startswith("http"):
        assert first <= FIRST_PAINT_MS, f"first paint {first:.0f} ms"
    before = paints(page)
    page.locator("#slider-0-input").fill("1.5")
    page.wait_for_function(f"() => Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
    slider = page.get_by_label("z[1]")          # labelled, and operable from the keyboard
    slider.focus()
    before = paints(page)
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function(f"() => Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
    expect(slider).to_have_value("-0.1")
    info = backend.info(model_id)
    values = [1.5, -0.1] + [0.0] * (info.slider_count - 2)
    want = backend.decode(model_id, backend.latent_from_sliders(model_id, values))
    assert grey_levels(pixels(page, "#decoded-canvas"), want) <= LEVELS


def test_a_grid_is_the_servers_grid(page: Page, base, requests, backend):
    open_explore(page, base + "index.html?model=vae-mnist-16d&t=0.8&seed=3")
    page.get_by_role("button", name="Sample a grid").click()
    expect(page.locator("#grid-canvas")).to_be_visible()
    from playground.images import grid
    want = grid(backend.sample("vae-mnist-16d", 64, temperature=0.8, seed=3), ncol=8)
    assert grey_levels(pixels(page, "#grid-canvas"), want) <= LEVELS


def test_a_share_link_restores_its_view(page: Page, base, requests, backend):
    """The app's query, with the dims beyond the sliders drawn by torch's generator."""
    query = "model=vae-mnist-16d&mode=principal&t=0.8&seed=2&rest=3&z=1.5,-2"
    open_explore(page, base + "index.html?" + query)
    expect(page.locator("#slider-1-input")).to_have_value("-2")
    z = backend.latent_from_sliders("vae-mnist-16d", [1.5, -2] + [0.0] * 10, mode="principal",
                                    rest_seed=3, temperature=0.8)
    page.wait_for_function("() => Number(document.querySelector('#decoded-canvas').dataset.paints) > 0")
    assert grey_levels(pixels(page, "#decoded-canvas"), backend.decode("vae-mnist-16d", z)) <= LEVELS
    page.get_by_role("button", name="Link to this view").click()
    link = page.locator("#share-url").input_value()
    assert link.split("?")[0] == page.url.split("?")[0]
    assert dict(p.split("=") for p in link.split("?")[1].split("&")) == dict(
        p.split("=") for p in (query + "").split("&")) | {"z": "1.5%2C-2"}


def map_open(page: Page, base: str, model_id: str, method: str) -> None:
    page.goto(base + "index.html?tab=map")
    page.wait_for_function("() => Number(document.querySelector('#latent-map')?.dataset.renders || 0) > 0",
                           timeout=30_000)
    if page.locator("#map-model").input_value() != model_id:
        page.locator("#map-model").select_option(model_id)
        page.wait_for_function(f"() => document.querySelector('#latent-map').layout.title.text.startsWith('{model_id}')")
    radio = page.locator(f"#map-method-{method}")
    if not radio.is_checked():
        renders = page.locator("#latent-map").get_attribute("data-renders")
        radio.check()
        page.wait_for_function(f"() => document.querySelector('#latent-map').dataset.renders"
                               f" !== '{renders}'")


def click_at(page: Page, x: float, y: float) -> None:
    """A mouse click at data coordinates (x, y) of the map."""
    px, py = page.evaluate("""([x, y]) => {
      const gd = document.querySelector('#latent-map'), r = gd.getBoundingClientRect();
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      return [r.left + xa._offset + xa.d2p(x), r.top + ya._offset + ya.d2p(y)];
    }""", [float(x), float(y)])
    before = int(page.locator("#map-decoded").get_attribute("data-clicks") or 0)
    page.mouse.click(px, py)
    page.wait_for_function("b => Number(document.querySelector('#map-decoded').dataset.clicks) > b",
                           arg=before)


def test_a_map_click_decodes_a_point_or_empty_space(page: Page, base, requests, backend):
    map_open(page, base, "vae-mnist-16d", "umap")
    p = proj.load(proj.shipped_path(backend.root / "vae-mnist-16d", "umap"),
                  backend.store.weights_sha("vae-mnist-16d"))
    click_at(page, *p.points[123])                          # on a digit: its exact latent
    z = json.loads(page.locator("#map-decoded").get_attribute("data-z"))
    assert np.array_equal(np.float32(z), p.codes[123])
    expect(page.locator("#map-click-info")).to_contain_text("on digit #123")
    lo, hi = p.points.min(0), p.points.max(0)               # empty space: the weighted latent
    g = np.random.default_rng(0)
    snap = proj.SNAP_FRACTION * np.linalg.norm(hi - lo)
    empty = next(c for c in g.uniform(lo, hi, (500, 2))
                 if np.linalg.norm(p.points - c, axis=1).min() > 3 * snap)
    click_at(page, *empty)
    xy = json.loads(page.locator("#map-decoded").get_attribute("data-xy"))
    want, how = p.from_map(xy)
    assert not how["snapped"]
    assert np.allclose(json.loads(page.locator("#map-decoded").get_attribute("data-z")), want, atol=1e-5)
    decoded = backend.decode("vae-mnist-16d", want)
    assert grey_levels(pixels(page, "#map-decoded"), decoded) <= LEVELS
    names = page.evaluate("() => document.querySelector('#latent-map').data.map(t => t.name)")
    assert "clicked" in names


def test_a_drawing_is_encoded_in_the_page_and_placed(page: Page, base, requests, backend):
    map_open(page, base, "vae-mnist-16d", "pca")
    box = page.locator("#map-sketch").bounding_box()
    page.mouse.move(box["x"] + 0.55 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    for t in np.linspace(0, 1, 12):                        # a slanted "1"
        page.mouse.move(box["x"] + (0.55 - 0.12 * t) * box["width"], box["y"] + (0.15 + 0.7 * t) * box["height"])
    page.mouse.up()
    page.get_by_role("button", name="Place my drawing ✕").click()
    expect(page.locator("#map-place-info")).to_contain_text("Your drawing lands at")
    digit = np.float32(json.loads(page.locator("#map-encoded").get_attribute("data-digit")))
    assert digit.max() > 0.5 and digit.reshape(28, 28)[:, :4].max() == 0  # inked, centred
    model = backend.model("vae-mnist-16d")
    with torch.inference_mode():
        want = model.encode(torch.from_numpy(digit).reshape(1, 1, 28, 28))[0].numpy()
    z = np.float32(json.loads(page.locator("#map-decoded").get_attribute("data-z")))
    assert np.abs(z - want).max() <= W.TOLERANCE * max(1.0, np.abs(want).max())
    names = page.evaluate("() => document.querySelector('#latent-map').data.map(t => t.name)")
    assert "your drawing" in names


def test_the_shipped_curves_show_with_what_the_full_app_adds(page: Page, base, requests):
    page.goto(base + "index.html?tab=evaluate")
    expect(page.locator("#panel-evaluate")).to_have_attribute("data-ready", "1", timeout=30_000)
    expect(page.get_by_text("The full app recomputes these with your own temperatures and seeds.")).to_be_visible()
    assert page.locator("#panel-evaluate .js-plotly-plot").count() >= 1
    expect(page.locator("#eval-likelihood tbody tr").first).to_be_visible()
    expect(page.locator("footer")).to_contain_text("Train live")
    expect(page.locator("footer")).to_contain_text("ddpm-mnist")


def test_every_part_agrees_with_torch_in_chromium(page: Page, base, requests, backend, folder):
    """Each exported decoder and encoder, loaded as the page loads it, on inputs of its own."""
    from tests.test_static import catalog, random_jobs, relative
    page.goto(base + "index.html")
    page.wait_for_function("() => window.latentStatic && window.latentStatic.catalog")
    jobs, wants = zip(*random_jobs(catalog(folder), backend.store, n=4, seed=13))
    got = page.evaluate("""async jobs => {
      const S = window.latentStatic, out = [];
      for (const j of jobs) {
        const part = await S.part(j.kind, j.id);
        out.push(j.inputs.map((x, i) => Array.from(part.run(x, j.labels ? j.labels[i] : 0))));
      }
      return out;
    }""", list(jobs))
    for job, want, values in zip(jobs, wants, got):
        assert relative(np.float32(values), want) <= W.TOLERANCE, f"{job['id']} {job['kind']}"

