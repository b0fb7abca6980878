"""Access for everyone, in real Chromium: the Explore tab works from the keyboard alone, with the
focus visible; a server that has gone away is said in words, while in-page decoding goes on."""
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

FOCUSED_SLIDER = """() => { const el = document.activeElement;
  return el && el.type === 'range' && el.closest('#slider-0') !== null; }"""
PAINTS = "() => Number(document.querySelector('#decoded-canvas')?.dataset.paints || 0)"


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


def test_a_server_gone_is_said_and_in_page_decoding_goes_on(page: Page):
    """A server of its own, stopped under the page: a banner says so (role=alert), and a slider
    of a model decoded in the page still repaints."""
    from playground.bench import Server
    server = Server(env={"LATENT_PLAYGROUND_WARMUP": "0"})
    try:
        page.goto(server.url)
        page.wait_for_function(f"() => ({PAINTS})() > 0", timeout=60_000)
        assert page.evaluate("() => window.latentConnection.probe()") is True
        expect(page.locator("#connection-banner")).to_have_count(0)
    finally:
        server.close()
    assert page.evaluate("() => window.latentConnection.probe()") is False
    banner = page.get_by_role("alert").filter(has_text="The server is not answering")
    expect(banner).to_be_visible()
    before = page.evaluate(PAINTS)
    page.locator("#slider-0 input[type=range]").fill("1.5")
    page.wait_for_function(f"b => ({PAINTS})() > b", arg=before)
