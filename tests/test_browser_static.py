"""The static folder in real Chromium, opened from file:// (and, for slider moves and a share
link, from a local static server too), every request to another origin aborted: a slider move
repaints what torch decodes, a grid is the server's grid, a map click decodes a point's latent or
the weighted latent of empty space, a drawing lands on the map, a share link restores its view,
the curves show, names are written with coloured letters, an interpolation and an arithmetic are
the Tools tab's, Gibbs chains stream, the judge says what a digit looks like. No request leaves
the folder's origin."""
import json

import numpy as np
import pytest
import torch
from playwright.sync_api import Page, expect

from playground import projection as proj
from playground.bench.static import serve_folder
from playground.static import weights as W

pytestmark = pytest.mark.browser

FIRST_PAINT_MS = 1500   # the budget for the first decoded digit, from a local server

CANVAS_PIXELS = """sel => {
  const c = document.querySelector(sel);
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return [c.width, c.height, Array.from(d.filter((_, i) => i % 4 === 0))];
}"""


@pytest.fixture(scope="module")
def folder(static_site):
    return static_site[0]


@pytest.fixture(scope="module")
def server(folder):
    """python's http.server on 127.0.0.1, serving the folder, in a thread."""
    with serve_folder(folder) as url:
        yield url


@pytest.fixture(params=["file"])
def base(request, folder):
    """The folder's URL: from the disk (what the folder must work from), or from the local static
    server (a static Space) for the journeys marked BOTH: the page reads its files the same way
    from either, so the rest run once."""
    return folder.as_uri() + "/" if request.param == "file" else request.getfixturevalue("server")


BOTH = pytest.mark.parametrize("base", ["file", "http"], indirect=True)


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


@BOTH
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


@BOTH
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


# ---- Explore's caption: the judge classifier in the page ---------------------------------------
SAYS = r"looks like an? (\d) \((\d+) %\)"


def test_the_caption_says_what_the_digit_looks_like(page: Page, folder):
    """From file://, every other request aborted: the first paint and a slider move are read by
    the judge, loaded from its script as the page loads weights, and said under the canvas
    (aria-live) and in the canvas's label, as torch's judge reads the same decoded values. A
    point model's planes empty the caption."""
    import re

    from playground import judge
    base = folder.as_uri() + "/"
    outside = []
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
               else (outside.append(r.request.url), r.abort()))
    open_explore(page, base + "index.html?model=vae-mnist-2d")
    caption, canvas = page.locator("#decoded-caption"), page.locator("#decoded-canvas")
    expect(caption).to_have_attribute("aria-live", "polite")
    expect(caption).to_have_attribute("data-judge", "models/classifier-mnist.judge.js")
    expect(caption).to_have_text(re.compile(SAYS))                     # the first paint
    model = judge.load()
    for value in ("1.5", "-2"):
        before = paints(page)
        page.locator("#slider-0-input").fill(value)
        page.wait_for_function(f"() => Number(document.querySelector('#decoded-canvas').dataset.paints) > {before}")
        image = page.evaluate("() => { const e = window.latentStatic.explore;"
                              " return window.latentWeb.page.decodeBatch([e.z], [e.label])[0]; }")
        with torch.inference_mode():
            p = model.predict_proba(torch.tensor(image).reshape(1, 1, 28, 28))[0].double().numpy()
        k, pct = int(p.argmax()), 100 * float(p.max())
        near = "|".join(str(v) for v in range(int(np.ceil(pct - 1)), int(np.floor(pct + 1)) + 1))
        expect(caption).to_have_text(re.compile(rf"looks like an? {k} \(({near}) %\)"))
        expect(canvas).to_have_attribute("aria-label", f"the decoded image, which {caption.inner_text()}")
    page.locator("#explore-model").select_option("flow-moons")
    expect(caption).to_have_text("")        # no digit to describe; the planes keep their own label
    expect(canvas).to_have_attribute("aria-label", re.compile(r"latent z .* data x = f\(z\)"))
    assert outside == []


# ---- the tabs that came with the page's GPT, paths and chains ---------------------------------
def test_names_are_written_in_the_page_with_coloured_letters(page: Page, base, requests):
    """The character GPT runs in the page: a prefix, greedy and sampled names, each letter
    coloured by its probability (a legend says how), the same names for the same seed, and a
    bad input answered in words."""
    page.goto(base + "index.html?tab=names")
    expect(page.locator("#names-note")).to_contain_text("within", timeout=30_000)
    page.locator("#names-prefix").fill("ma")
    page.locator("#names-count").fill("6")
    page.locator("#names-seed").fill("3")
    page.get_by_role("button", name="Generate names").click()
    names = page.locator("#names-list li")
    expect(names).to_have_count(6)
    first = [names.nth(i).get_attribute("data-text") for i in range(6)]
    assert all(n.startswith("ma") and len(n) > 2 for n in first)
    letters = page.locator("#names-list li").first.locator(".letter")
    assert letters.first.get_attribute("class") == "letter typed"
    p = float(letters.nth(2).get_attribute("data-p"))
    want = page.evaluate("""p => {   // the app's letter_span colour for p, as the browser paints it
      const el = document.createElement('span');
      el.style.background = `hsl(${Math.round(30 + 90 * p)},70%,${Math.round(88 - 30 * p)}%)`;
      return el.style.background;
    }""", p)
    assert 0 < p <= 1 and letters.nth(2).evaluate("el => el.style.background") == want
    expect(page.locator(".legend")).to_contain_text("Probability the sampler gave each letter")
    page.get_by_role("button", name="Generate names").click()     # the same seed: the same names
    expect(page.locator("#names-list")).to_have_attribute("data-runs", "2")
    assert [names.nth(i).get_attribute("data-text") for i in range(6)] == first
    page.locator("#names-top-k").fill("1.5")
    page.get_by_role("button", name="Generate names").click()
    expect(page.locator("#names-error")).to_contain_text("topK must be a whole number")
    expect(names).to_have_count(0)


def test_the_name_model_agrees_with_torch_in_chromium(page: Page, base, requests, backend, folder):
    from playground.static.text import TOLERANCE
    from tests.test_static import data_file, random_sequences, softmax
    model_id = backend.models("text")[0].id
    spec = data_file(folder / "models" / f"{model_id}.text.js")[2]
    ids = random_sequences(spec, 24, seed=9)
    page.goto(base + "index.html?tab=names")
    got = page.evaluate("""async ([id, ids]) => {
      const gpt = await window.latentStatic.text(id);
      return ids.map(seq => gpt.forward(seq).map(r => Array.from(r)));
    }""", [model_id, ids.tolist()])
    with torch.inference_mode():
        want = backend.model(model_id)(torch.from_numpy(ids)).numpy()
    assert np.abs(softmax(np.array(got)) - softmax(want)).max() <= TOLERANCE


def test_interpolate_and_arithmetic_are_the_servers(page: Page, base, requests, backend):
    """A prior sample to a validation digit: the path's latents and its decoded strip are the
    Tools tab's; then mean(3) − mean(8) added to validation digits, as the server adds it."""
    from playground.images import grid
    from playground.tools import Tools
    from playground.tools.arithmetic import arithmetic
    from playground.tools.interpolation import interpolate
    tools = Tools(backend)
    page.goto(base + "index.html?tab=interpolate")
    page.locator("#interp-model").select_option("vae-mnist-16d")
    page.locator("#interp-a-number").fill("3")
    page.locator("#interp-b-source").select_option("data")
    page.locator("#interp-b-number").fill("17")
    expect(page.locator("#interp-b-what")).to_contain_text("(of 1000)")
    page.locator("#interp-steps").fill("8")
    page.get_by_role("button", name="Interpolate").click()
    strip = page.locator("#interp-strip")
    expect(strip).to_have_attribute("data-runs", "1", timeout=30_000)
    want = interpolate(tools, "vae-mnist-16d", ("sample", 3, None), ("data", 17, None),
                       method="slerp", steps=8)
    assert np.abs(np.array(json.loads(strip.get_attribute("data-latents"))) - want.latents).max() <= 1e-5
    assert grey_levels(pixels(page, "#interp-strip"), grid(want.frames, ncol=8)) <= LEVELS
    page.locator("#arith-plus").select_option("3")
    page.locator("#arith-minus").select_option("8")
    page.locator("#arith-source").select_option("data")
    page.locator("#arith-number").fill("40")
    page.locator("#arith-count").fill("3")
    page.get_by_role("button", name="Add the difference").click()
    expect(page.locator("#arith-strip")).to_have_attribute("data-runs", "1", timeout=30_000)
    want = arithmetic(tools, "vae-mnist-16d", "3", "8", "data", 40, count=3)
    got = np.array(json.loads(page.locator("#arith-strip").get_attribute("data-results")))
    assert np.abs(got - want.results).max() <= 1e-5
    assert grey_levels(pixels(page, "#arith-strip"), grid(want.images, ncol=3)) <= LEVELS
    page.locator("#interp-steps").fill("1")                        # refused in words
    page.get_by_role("button", name="Interpolate").click()
    expect(page.locator("#interp-info")).to_contain_text("steps must be a whole number in [2, 32]")


def test_a_drawing_is_an_endpoint(page: Page, base, requests):
    page.goto(base + "index.html?tab=interpolate")
    page.locator("#interp-model").select_option("vae-mnist-16d")
    page.locator("#interp-a-source").select_option("drawing")
    pad = page.locator("#interp-a-pad")
    expect(pad).to_be_visible()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    for t in np.linspace(0, 1, 8):
        page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + (0.15 + 0.7 * t) * box["height"])
    page.mouse.up()
    page.get_by_role("button", name="Interpolate").click()
    expect(page.locator("#interp-strip")).to_have_attribute("data-runs", "1", timeout=30_000)
    assert len(json.loads(page.locator("#interp-strip").get_attribute("data-latents"))) == 10


def test_gibbs_chains_stream_their_frames(page: Page, base, requests, folder):
    """Chains from noise, painted as they run; the last frame is what chain.py's `gibbs` gives
    with torch's random numbers on the page's weights."""
    from playground.static.chain import gibbs
    from playground.webrun import unpack
    from tests.test_static import data_file, inline
    page.goto(base + "index.html?tab=chain")
    expect(page.locator("#chain-note")).to_contain_text("16-bit", timeout=30_000)
    page.locator("#chain-count").fill("2")
    page.locator("#chain-steps").fill("40")
    page.locator("#chain-seed").fill("4")
    page.get_by_role("button", name="Run chains from noise").click()
    canvas = page.locator("#chain-canvas")
    expect(canvas).to_have_attribute("data-done", "1", timeout=30_000)
    assert canvas.get_attribute("data-step") == "40" and int(canvas.get_attribute("data-frames")) >= 2
    value = data_file(folder / "models" / "rbm-mnist.stepwise.js")[2]
    layers = [tuple(torch.from_numpy(unpack(inline(folder, value[p][k]))) for k in ("w", "b"))
              for p in ("up", "down")]
    want, _ = gibbs(*layers, 2, 40, 1.0, torch.Generator().manual_seed(4))
    got = np.array(json.loads(canvas.get_attribute("data-frame")))
    assert np.abs(got - want[-1].numpy().ravel()).max() <= 1e-5
    page.locator("#chain-temperature").fill("0")
    page.get_by_role("button", name="Run chains from noise").click()
    expect(page.locator("#chain-status")).to_contain_text("temperature must be a number in (0, 5]")


def test_lessons_show_me_in_the_page_or_say_what_the_full_app_adds(page: Page, server):
    """The app's lessons in the static page: "Show me" opens Explore and Names here with the
    step's model and knobs; a step whose tab needs a server says what the full app adds."""
    page.goto(server + "index.html?lesson=latent-space&step=2")
    expect(page.locator("#lesson-step-title")).to_have_text("Walk along one axis", timeout=30_000)
    page.locator("#lesson-show").click()
    expect(page.locator("#explore-model")).to_have_value("vae-mnist-2d")
    expect(page.locator("#slider-0-input")).to_have_value("-2")
    page.locator("#lesson-next").click()   # the Latent map step: its own tab here
    page.locator("#lesson-show").click()
    expect(page.locator("#panel-map")).to_be_visible()
    page.goto(server + "index.html?lesson=temperature&step=4")
    page.locator("#lesson-show").click()
    expect(page.locator("#names-prefix")).to_have_value("ma", timeout=15_000)
    expect(page.locator("input[name=names-kind][value=female]")).to_be_checked()
    page.goto(server + "index.html?lesson=gans&step=2")
    expect(page.locator("#lesson-server")).to_contain_text("needs the full app (python app.py): "
                                                           "Train live", timeout=30_000)
    expect(page.locator("#lesson-show")).to_be_hidden()
