"""Access for everyone, in real Chromium: the Explore tab works from the keyboard alone, with the
focus visible."""
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

FOCUSED_SLIDER = """() => { const el = document.activeElement;
  return el && el.type === 'range' && el.closest('#slider-0') !== null; }"""
PAINTS = "() => Number(document.querySelector('#decoded-canvas').dataset.paints || 0)"


def test_tab_to_a_latent_slider_and_move_it_with_the_arrow_keys(page: Page, app_url):
    page.goto(app_url)
    expect(page.locator("#decoded-canvas")).to_be_visible(timeout=30_000)
    page.wait_for_function(f"() => ({PAINTS})() > 0")
    for _ in range(80):                       # Tab from the top of the page, as a person would
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_SLIDER):
            break
    else:
        pytest.fail("the first latent slider cannot be reached with Tab")
    outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                            " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert outline[0] != "none" and outline[1] >= 2, f"focus not visible: {outline}"
    value = page.evaluate("() => document.activeElement.value")
    before = page.evaluate(PAINTS)
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"b => ({PAINTS})() > b", arg=before)
    assert float(page.evaluate("() => document.activeElement.value")) > float(value)
