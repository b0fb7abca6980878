"""Diffusion in real Chromium, as a new user tries it: watch a digit denoise step by step and scrub
back over it, turn the guidance scale and see the grid change, invert a drawing and see it as
every class."""
import re

import pytest
from playwright.sync_api import Page, expect

from tests.test_browser import image_src, open_page, pick
from tests.test_browser_tools import draw_a_seven

pytestmark = pytest.mark.browser


def set_number(page: Page, selector: str, value) -> None:
    page.locator(selector).fill(str(value))
    page.locator(selector).press("Enter")


def test_watch_a_digit_denoise_and_scrub_back(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Step by step").click()
    pick(page, "#steps-model", "ddpm-mnist")
    expect(page.locator("#steps-knob-guidance")).to_be_visible()
    page.locator("#steps-class").get_by_text("4", exact=True).click()
    set_number(page, "#steps-count input[type=number]", 4)
    set_number(page, "#steps-knob-sampling_steps input[type=number]", 10)
    page.locator("#steps-run").click()
    progress = page.locator("#steps-progress textarea, #steps-progress input").first
    expect(progress).to_have_value(re.compile(r"step \d+, noise level t = \d+"), timeout=60_000)
    expect(progress).to_have_value(re.compile(r"step 10, noise level t = 0"), timeout=60_000)
    last = image_src(page, "#steps-image")
    scrub = page.locator("#steps-scrub input[type=number]")
    expect(scrub).to_be_visible(timeout=15_000)
    set_number(page, "#steps-scrub input[type=number]", 0)
    expect(progress).to_have_value(re.compile(r"step 1, noise level t = 999"), timeout=15_000)
    expect(page.locator("#steps-image img")).not_to_have_attribute("src", last, timeout=15_000)


def test_guidance_changes_the_grid(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Conditional samples").click()
    pick(page, "#cond-model", "ddpm-mnist")
    expect(page.locator("#cond-knob-guidance")).to_be_visible()
    set_number(page, "#cond-knob-sampling_steps input[type=number]", 10)
    set_number(page, "#cond-knob-guidance input[type=number]", 0)
    page.locator("#cond-sample").click()
    expect(page.locator("#cond-grid img")).to_be_visible(timeout=60_000)
    first = image_src(page, "#cond-grid")
    set_number(page, "#cond-knob-guidance input[type=number]", 5)
    page.locator("#cond-sample").click()
    expect(page.locator("#cond-grid img")).not_to_have_attribute("src", first, timeout=60_000)
    pick(page, "#cond-model", "cvae-mnist")
    expect(page.locator("#cond-knob-guidance")).to_be_hidden()


def test_invert_a_drawing_and_change_its_class(page: Page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Tools").click()
    page.get_by_role("tab", name="Drawing → noise").click()
    pick(page, "#invert-model", "ddpm-mnist")
    pick(page, "#invert-class", "7")
    set_number(page, "#invert-knob-sampling_steps input[type=number]", 10)
    draw_a_seven(page, "#invert-draw")
    page.locator("#invert-go").click()
    expect(page.locator("#invert-classes img")).to_be_visible(timeout=90_000)
    for part in ("#invert-noise", "#invert-regen"):
        expect(page.locator(f"{part} img")).to_be_visible()
    expect(page.locator("#invert-text")).to_contain_text(re.compile(r"Inverted as a \*?\*?7"))


def diagnostic_traces(page: Page) -> list[str]:
    return page.evaluate("""() => {
      const gd = document.querySelector('#live-diag .js-plotly-plot');
      return gd && gd._fullData ? gd._fullData.map(t => t.name) : [];
    }""")


def test_break_a_2d_diffusion_then_resample_it(page: Page, app_url):
    """Train live's "too few steps" preset: the denoising field and reverse paths are drawn; the
    same trained model, started again with 25 sampling steps, is resampled without training."""
    open_page(page, app_url)
    page.get_by_role("tab", name="Train live").click()
    pick(page, "#live-preset", "Diffusion with too few steps")
    expect(page.locator("#live-why")).to_contain_text("only 3 DDIM steps")
    steps = page.locator("#live-sampling-steps input[type=number]")
    expect(steps).to_have_value("3")
    expect(page.locator("#live-schedule")).to_be_visible()
    set_number(page, "#live-steps input[type=number]", 300)
    page.locator("#live-start").click()
    status = page.locator("#live-status")
    expect(status).to_contain_text("step 300 of 300", timeout=60_000)
    expect(status).to_contain_text("through 3 DDIM steps")
    page.wait_for_function("() => { const gd = document.querySelector('#live-diag .js-plotly-plot');"
                           " return gd && gd._fullData && gd._fullData.some(t => t.name === "
                           "'reverse paths'); }", timeout=30_000)
    assert "denoising direction" in diagnostic_traces(page)
    set_number(page, "#live-sampling-steps input[type=number]", 25)
    page.locator("#live-start").click()
    expect(status).to_contain_text("through 25 DDIM steps", timeout=30_000)
    expect(status).to_contain_text("step 300 of 300")
    page.locator("#live-family").get_by_text("GAN", exact=True).click()
    expect(page.locator("#live-sampling-steps")).to_be_hidden()


def test_a_latent_s_path_is_drawn_on_the_map(page: Page, app_url):
    """Step by step with ldm-mnist: each sample's 16-D latent drawn on a map of real digits'
    latents as it moves from noise onto them, one point per step; a pixel model shows no map."""
    open_page(page, app_url)
    page.get_by_role("tab", name="Step by step").click()
    pick(page, "#steps-model", "ldm-mnist")
    page.locator("#steps-class").get_by_text("2", exact=True).click()
    set_number(page, "#steps-count input[type=number]", 3)
    set_number(page, "#steps-knob-sampling_steps input[type=number]", 8)
    page.locator("#steps-run").click()
    progress = page.locator("#steps-progress textarea, #steps-progress input").first
    expect(progress).to_have_value(re.compile(r"step 8, noise level t = 0"), timeout=60_000)
    points = page.wait_for_function("""() => {
      const gd = document.querySelector('#steps-path .js-plotly-plot');
      const t = gd && gd._fullData && gd._fullData.find(t => t.name === 'paths from noise');
      const n = t ? Array.from(t.x).filter(v => v !== null).length : 0;
      return n === 3 * 8 ? n : false; }""", timeout=30_000)
    assert points.json_value() == 24
    page.screenshot(path="/tmp/steps-path.png", full_page=True)
    pick(page, "#steps-model", "ddpm-mnist")
    expect(page.locator("#steps-path")).to_be_hidden()


def test_a_64_grid_of_a_slow_sampler_shows_its_progress(page: Page, app_url):
    open_page(page, app_url)
    page.get_by_role("tab", name="Conditional samples").click()
    pick(page, "#cond-model", "ddpm-mnist")
    set_number(page, "#cond-count input[type=number]", 64)
    set_number(page, "#cond-seed input[type=number]", 11)
    page.locator("#cond-sample").click()
    expect(page.locator("#cond-grid")).to_contain_text(re.compile(r"sampling 64 images: (16|32|48) done"),
                                                       timeout=60_000)
    # the shown progress keeps its elapsed-time clock running (gradio_fixes.FirstInHead)
    clock = page.locator("#cond-grid [data-testid=status-tracker]")
    seconds = float(re.search(r"(\d+\.\d)s", clock.inner_text()).group(1))
    page.wait_for_function("([sel, s]) => { const m = document.querySelector(sel).innerText"
                           ".match(/(\\d+\\.\\d)s/); return m && Number(m[1]) > s; }",
                           arg=["#cond-grid [data-testid=status-tracker]", seconds], timeout=10_000)
    expect(page.locator("#cond-grid img")).to_be_visible(timeout=90_000)
