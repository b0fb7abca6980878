"""Journeys in real Chromium (Playwright): they wait on what a person sees, not on network calls."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(decoded(page)).to_be_visible(timeout=30_000)


def decoded(page: Page):
    """The decoded digit as shown: the server's image or the in-page canvas."""
    return page.locator("#decoded img:visible, #decoded-canvas:visible").first


def pick(page: Page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def image_src(page: Page, selector: str) -> str:
    return page.locator(f"{selector} img").get_attribute("src") or ""


def move_slider(page: Page, index: int, value: float) -> None:
    page.locator(f"#slider-{index} input[type=range]").fill(str(value))


def decoded_state(page: Page) -> tuple:
    """What the Explore tab shows: the server's image, or the in-page canvas and its paint count
    (models with a small decoder repaint in the page, see test_browser_webdecoder.py)."""
    return page.evaluate("""() => {
      const c = document.querySelector('#decoded-canvas'), img = document.querySelector('#decoded img');
      const inPage = document.body.classList.contains('web-decoding');
      return [inPage, inPage ? c.dataset.paints || '0' : (img ? img.src : '')];
    }""")


def expect_repaint(page: Page, before: tuple) -> None:
    page.wait_for_function("""before => {
      const c = document.querySelector('#decoded-canvas'), img = document.querySelector('#decoded img');
      const inPage = document.body.classList.contains('web-decoding');
      const now = inPage ? c.dataset.paints || '0' : (img ? img.src : '');
      return inPage !== before[0] || now !== before[1];
    }""", arg=before, timeout=15_000)


def test_tabs_and_default_model(page: Page, app_url):
    open_page(page, app_url)
    for tab in ["Explore latent space", "Conditional samples"]:
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    expect(page.locator("#explore-card")).to_contain_text("vae-mnist-2d")


def test_pick_every_model_and_slide(page: Page, app_url, backend):
    """One page, as a person would: pick each of Explore's image models in turn (the registry's
    list; the flow's planes have their own test), see its sliders, and see each move repaint."""
    open_page(page, app_url)
    first = page.locator("#explore-model input").input_value()
    models = sorted((m for m in backend.models("decode") if not m.has("points")),
                    key=lambda m: m.id != first)          # the one the page opened on, first
    assert models[0].id == first
    for info in models:
        sliders = info.slider_count
        if info.id != first:
            before = image_src(page, "#decoded")
            pick(page, "#explore-model", info.id)
            expect(page.locator("#explore-card")).to_contain_text(info.id)
            expect(page.locator("#decoded img")).not_to_have_attribute("src", before, timeout=15_000)
        expect(page.locator(f"#slider-{sliders - 1}")).to_be_visible()
        if sliders < 12:
            expect(page.locator(f"#slider-{sliders}")).to_be_hidden()
        for value in (2.0, -1.5):
            before = decoded_state(page)
            move_slider(page, 0, value)
            expect_repaint(page, before)


def test_sample_a_grid(page: Page, app_url):
    open_page(page, app_url)
    page.locator("#sample-grid").click()
    expect(page.locator("#grid img")).to_be_visible(timeout=15_000)


def test_conditional_grid(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Conditional samples").click()
    page.locator("#cond-class").get_by_text("7", exact=True).click()
    page.locator("#cond-sample").click()
    expect(page.locator("#cond-grid img")).to_be_visible(timeout=15_000)
    first = image_src(page, "#cond-grid")
    page.locator("#cond-class").get_by_text("3", exact=True).click()
    page.locator("#cond-sample").click()
    expect(page.locator("#cond-grid img")).not_to_have_attribute("src", first, timeout=15_000)


def test_bad_input_shows_an_error_and_page_survives(page: Page, app_url):
    open_page(page, app_url)
    page.locator("#temperature input[type=number]").fill("0")
    page.locator("#temperature input[type=number]").press("Enter")
    page.locator("#sample-grid").click()
    expect(page.get_by_text(re.compile("temperature must be above 0"))).to_be_visible(timeout=15_000)
    before = decoded_state(page)
    move_slider(page, 1, 1.0)
    expect_repaint(page, before)


def test_latent_map_click_decodes(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Latent map").click()
    area = page.locator("#latent-map .nsewdrag").first
    expect(area).to_be_visible(timeout=30_000)
    expect(page.locator("#map-status")).to_contain_text("1,000 points")
    expect(page.locator("#map-decoded img")).to_have_count(0)
    box = area.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(page.locator("#map-decoded img")).to_be_visible(timeout=30_000)
    expect(page.locator("#map-original img")).to_be_visible()
    expect(page.locator("#map-click-info")).to_contain_text("exact")
    # Explore shows the same model by default: its latent lands on the map
    page.locator("#map-explore").click()
    expect(page.locator("#map-place-info")).to_contain_text("Explore's latent lands", timeout=15_000)
    # another model, another map; a click far from every digit decodes its neighbours' average
    pick(page, "#map-model", "vae-mnist-16d")
    expect(page.locator("#latent-map .gtitle")).to_contain_text("vae-mnist-16d", timeout=15_000)
    box = area.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + 3)
    expect(page.locator("#map-click-info")).to_contain_text("nearest digits", timeout=15_000)


def test_watch_a_gibbs_chain(page: Page, app_url):
    """Four chains for 200 steps, set by the person (the model's defaults, 16 and 1,000, cost the
    page half a minute of frames and show nothing more)."""
    open_page(page, app_url)
    page.get_by_role("tab", name="Step by step").click()
    pick(page, "#steps-model", "rbm-mnist")
    expect(page.locator("#steps-model input")).to_have_value("rbm-mnist")
    for knob, value in (("#steps-count input[type=number]", "4"),
                        ("input[aria-label='number input for Gibbs steps']", "200")):
        page.locator(knob).fill(value)
        page.locator(knob).press("Enter")
    page.locator("#steps-run").click()
    expect(page.locator("#steps-progress textarea, #steps-progress input").first).to_have_value(
        re.compile("Gibbs step"), timeout=90_000)
    expect(page.locator("#steps-image img")).to_be_visible()
    expect(page.locator("#steps-progress textarea, #steps-progress input").first).to_have_value(
        "Gibbs step 200", timeout=90_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()


def live_samples(page: Page) -> str:
    """The first few model-sample coordinates drawn in the Train live scatter ('' before any)."""
    return page.evaluate("""() => {
      const gd = document.querySelector('#live-scatter .js-plotly-plot');
      const trace = gd && gd._fullData && gd._fullData.find(t => t.name === 'model samples');
      return trace ? Array.from(trace.x).slice(0, 5).join(',') : '';
    }""")


def test_train_live_updates_the_scatter(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Train live").click()
    page.locator("#live-family").get_by_text("VAE", exact=True).click()
    page.locator("#live-start").click()
    expect(page.locator("#live-status")).to_contain_text("Training", timeout=30_000)
    seen = [live_samples(page)]
    for _ in range(2):                                   # the scatter changes at least twice
        page.wait_for_function("before => { const gd = document.querySelector("
                               "'#live-scatter .js-plotly-plot'); const t = gd && gd._fullData && "
                               "gd._fullData.find(t => t.name === 'model samples'); return t && "
                               "Array.from(t.x).slice(0, 5).join(',') !== before; }",
                               arg=seen[-1], timeout=45_000)
        seen.append(live_samples(page))
    assert len(set(seen[1:])) == 2 and all(seen[1:])
    expect(page.locator("#live-diag .js-plotly-plot")).to_be_visible()
    page.locator("#live-pause").click()
    expect(page.locator("#live-status")).to_contain_text("Paused", timeout=15_000)


def test_a_trained_toy_model_opens_in_explore(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Train live").click()
    page.locator("#live-family").get_by_text("GAN", exact=True).click()
    page.locator("#live-start").click()
    expect(page.locator("#live-status")).to_contain_text("Training", timeout=30_000)
    page.locator("#live-pause").click()
    expect(page.locator("#live-status")).to_contain_text("Paused", timeout=15_000)
    page.locator("#live-explore").get_by_text("Explore the trained model").click()
    page.locator("#live-keep").click()
    # Explore opens on the kept model: its card, two sliders, the latent and data planes
    expect(page.get_by_role("tab", name="Explore latent space")).to_have_attribute(
        "aria-selected", "true", timeout=15_000)
    expect(page.locator("#explore-card")).to_contain_text("live gan", timeout=15_000)
    expect(page.locator("#explore-model input")).to_have_value(re.compile("your GAN on two moons"))
    expect(page.locator("#slider-1")).to_be_visible()
    expect(page.locator("#slider-2")).to_be_hidden()
    # the kept generator runs in the page too: its planes on the canvas, repainted per move
    canvas = page.locator("#decoded-canvas")
    expect(canvas).to_have_attribute("aria-label", re.compile(r"latent z .* data x = f\(z\)"),
                                      timeout=30_000)
    expect(page.locator("#decoded-plot")).to_be_hidden()
    image = re.compile(r"f\(z\) = \((\S+), (\S+)\)")
    before = image.search(canvas.get_attribute("aria-label")).groups()
    move_slider(page, 0, 2.0)
    expect(canvas).to_have_attribute("aria-label", re.compile(r"z = \(2\.000, "), timeout=15_000)
    assert image.search(canvas.get_attribute("aria-label")).groups() != before


def test_flow_shows_latent_and_data_planes(page: Page, app_url, backend):
    """The flow's latent plane beside its data plane, drawn in the page (the server's plotly figure
    stays for the first render and the API): a slider moves the latent marker and its image."""
    # the mean column of the red marker's pixels (#e4572e) in the left and the right plane
    markers = """() => {
      const c = document.querySelector('#decoded-canvas'), sums = [[0, 0], [0, 0]];
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] > 200 && d[i + 1] < 110 && d[i + 2] < 80) {
          const x = (i / 4) % c.width, half = x < c.width / 2 ? 0 : 1;
          sums[half][0] += x; sums[half][1] += 1;
        }
      }
      return sums.map(([s, n]) => n ? s / n : 0);
    }"""
    open_page(page, app_url)
    pick(page, "#explore-model", "flow-moons")
    canvas = page.locator("#decoded-canvas")
    expect(canvas).to_have_attribute("aria-label", re.compile(r"latent z .* data x = f\(z\)"),
                                      timeout=30_000)
    expect(canvas).to_be_visible()
    expect(page.locator("#decoded-plot")).to_be_hidden()
    before = page.evaluate(markers)
    assert before[0] and before[1], "a marker in each plane"
    move_slider(page, 0, 2.0)
    expect(canvas).to_have_attribute("aria-label", re.compile(r"z = \(2\.000, 0\.000\)"),
                                      timeout=15_000)
    x = re.search(r"f\(z\) = \((\S+), (\S+)\)", canvas.get_attribute("aria-label")).groups()
    assert abs(backend.decode("flow-moons", [2.0, 0.0])[0] - [float(v) for v in x]).max() <= 1e-3
    after = page.evaluate(markers)
    assert after[0] > before[0], "the latent marker moved right"
    assert after[1] != before[1], "its image moved"
    # a new temperature redraws the background cloud in the page
    page.locator("#temperature input[type=number]").fill("2")
    page.locator("#temperature input[type=number]").blur()
    expect(canvas).to_have_attribute("aria-label", re.compile(r"T = 2: z = \(2\.000, 0\.000\)"))


def test_share_link_restores_the_view(page: Page, app_url):
    page.goto(f"{app_url}/?model=cvae-mnist&mode=axes&t=0.5&seed=4&class=7&rest=-1&z=1.5,-2")
    expect(page.locator("#explore-card")).to_contain_text("cvae-mnist", timeout=30_000)
    expect(page.locator("#slider-0 input[type=number]")).to_have_value("1.5")
    expect(page.locator("#slider-1 input[type=number]")).to_have_value("-2")
    expect(page.locator("#seed input")).to_have_value("4")
    page.locator("#share-link").click()
    url = page.locator("#share-url textarea")
    expect(url).to_have_value(re.compile(r"model=cvae-mnist.*seed=4.*class=7.*z=1\.5%2C-2"))


def test_a_broken_share_link_warns_and_keeps_the_page(page: Page, app_url):
    page.goto(f"{app_url}/?model=../../etc/passwd&z=nan")
    expect(page.get_by_text(re.compile("could not be opened"))).to_be_visible(timeout=30_000)
    expect(decoded(page)).to_be_visible()


def test_generate_names(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Generate names").click()
    page.locator("#text-kind").get_by_text("male", exact=True).click()
    page.locator("#text-prefix textarea, #text-prefix input").first.fill("jo")
    page.locator("#text-generate").click()
    names = page.locator("#text-names ol.names li")
    expect(names.first).to_be_visible(timeout=15_000)
    expect(names).to_have_count(20)
    expect(page.locator("#text-names")).to_contain_text("are new")
    assert names.first.locator(".letter").first.get_attribute("title").startswith("p = ")


def test_pixelcnn_writes_digits_row_by_row(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Step by step").click()
    pick(page, "#steps-model", "pixelcnn-mnist")
    page.locator("#steps-class").get_by_text("3", exact=True).click()
    page.locator("#steps-count input[type=number]").fill("4")
    page.locator("#steps-count input[type=number]").press("Enter")
    page.locator("#steps-run").click()
    progress = page.locator("#steps-progress textarea, #steps-progress input").first
    expect(progress).to_have_value(re.compile(r"\d+ of 784 pixels written"), timeout=30_000)
    expect(progress).to_have_value("784 of 784 pixels written", timeout=120_000)
    expect(page.locator("#steps-image img")).to_be_visible()
