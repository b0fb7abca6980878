"""Journeys in real Chromium (Playwright): they wait on what a person sees, not on network calls."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#decoded img")).to_be_visible(timeout=30_000)


def pick(page: Page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def image_src(page: Page, selector: str) -> str:
    return page.locator(f"{selector} img").get_attribute("src") or ""


def move_slider(page: Page, index: int, value: float) -> None:
    page.locator(f"#slider-{index} input[type=range]").fill(str(value))


def test_tabs_and_default_model(page: Page, app_url):
    open_page(page, app_url)
    for tab in ["Explore latent space", "Conditional samples"]:
        expect(page.get_by_role("tab", name=tab)).to_be_visible()
    expect(page.locator("#explore-card")).to_contain_text("vae-mnist-2d")


@pytest.mark.parametrize("model,sliders", [("vae-mnist-2d", 2), ("vae-mnist-16d", 12), ("cvae-mnist", 8)])
def test_pick_model_and_slide(page: Page, app_url, model, sliders):
    open_page(page, app_url)
    if model != "vae-mnist-2d":
        before = image_src(page, "#decoded")
        pick(page, "#explore-model", model)
        expect(page.locator("#explore-card")).to_contain_text(model)
        expect(page.locator("#decoded img")).not_to_have_attribute("src", before, timeout=15_000)
    expect(page.locator(f"#slider-{sliders - 1}")).to_be_visible()
    if sliders < 12:
        expect(page.locator(f"#slider-{sliders}")).to_be_hidden()
    for value in (2.0, -1.5):
        before = image_src(page, "#decoded")
        move_slider(page, 0, value)
        expect(page.locator("#decoded img")).not_to_have_attribute("src", before, timeout=15_000)


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
    before = image_src(page, "#decoded")
    move_slider(page, 1, 1.0)
    expect(page.locator("#decoded img")).not_to_have_attribute("src", before, timeout=15_000)
