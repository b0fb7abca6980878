"""The Tools tab in real Chromium: draw a digit, see its reconstruction and anomaly score, and send
its latent to Explore."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def draw_a_seven(page: Page, sketchpad: str) -> None:
    """Pick the brush (Gradio's sketchpad starts with no tool), then two strokes with the mouse in
    the middle of the canvas, where the drawing area sits: the bar and the stem of a 7."""
    page.locator(f"{sketchpad} button[aria-label='Brush']").click()
    canvas = page.locator(f"{sketchpad} canvas").last
    expect(canvas).to_be_visible(timeout=15_000)
    box = canvas.bounding_box()

    def at(fx, fy):
        return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy

    for stroke in ([(0.4, 0.3), (0.6, 0.3)], [(0.6, 0.3), (0.47, 0.7)]):
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for k in range(1, 11):
            fx = stroke[0][0] + (stroke[1][0] - stroke[0][0]) * k / 10
            fy = stroke[0][1] + (stroke[1][1] - stroke[0][1]) * k / 10
            page.mouse.move(*at(fx, fy))
        page.mouse.up()


def test_draw_a_digit_see_its_reconstruction_and_anomaly_score(page: Page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Tools").click()
    page.get_by_role("tab", name="Your digit").click()
    model = page.locator("#digit-model input").input_value()   # the sub-tab's default, whichever
    assert model, "the Your digit sub-tab shows no model"
    # the sub-tab opens with an example digit drawn (its sketchpad's background, shown once the
    # editor has loaded it); clear it, as its note says, to draw your own: nothing to encode then
    example = page.locator("#digit-draw button[aria-label='Image']")
    expect(example).to_be_visible(timeout=15_000)
    page.locator("#digit-draw button[aria-label='Clear canvas']").click()
    expect(example).to_be_hidden()
    page.locator("#digit-go").click()
    expect(page.get_by_text("draw a digit or upload an image first")).to_be_visible(
        timeout=30_000)
    draw_a_seven(page, "#digit-draw")
    page.locator("#digit-go").click()
    expect(page.locator("#digit-recon img")).to_be_visible(timeout=30_000)
    expect(page.locator("#digit-encoded img")).to_be_visible()
    expect(page.locator("#digit-text")).to_contain_text("Reconstruction error")
    expect(page.locator("#digit-anomaly")).to_contain_text(re.compile(r"Anomaly score: \d\.\d{4}"),
                                                           timeout=30_000)
    expect(page.locator("#digit-hist .js-plotly-plot")).to_be_visible()
    expect(page.locator("#digit-gallery img").first).to_be_visible()
    # one click sets Explore to this model and latent
    page.locator("#digit-to-explore").click()
    expect(page.locator("#digit-explore-note")).to_contain_text(f"Explore now shows {model}",
                                                                timeout=15_000)
    expect(page.get_by_role("tab", name="Explore latent space")).to_have_attribute(
        "aria-selected", "true", timeout=15_000)        # the page switches to Explore by itself
    expect(page.locator("#explore-card")).to_contain_text(model)
    expect(page.locator("#slider-0 input[type=number]")).not_to_have_value("0")
