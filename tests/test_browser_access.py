"""Access for everyone, in real Chromium: the Explore tab works from the keyboard alone, with the
focus visible (tests/test_browser_webdecoder.py: a server gone is said in words); a phone's
screen and touch; what the decoded digit looks like, in words."""
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


# A finger's drag through Chromium's touch input (CDP): start, two moves, lift.
def drag(page: Page, box: dict, points: list[tuple[float, float]]) -> None:
    cdp = page.context.new_cdp_session(page)
    at = [{"x": box["x"] + u * box["width"], "y": box["y"] + v * box["height"]} for u, v in points]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [at[0]]})
    for p in at[1:]:
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [p]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.fixture
def phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


def test_a_phone_sees_no_sideways_scroll_and_drags_the_touch_pad(phone: Page, app_url):
    """At 390x844 the page is no wider than the screen; a drag on the pad moves both of the
    first two sliders to where the finger lifts (right and up: both high) and the canvas repaints."""
    phone.goto(app_url)
    phone.wait_for_function(f"() => ({PAINTS})() > 0", timeout=30_000)
    assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    pad = phone.locator("canvas.touch-pad").first
    pad.scroll_into_view_if_needed()
    expect(pad).to_be_visible()
    before = phone.evaluate(PAINTS)
    drag(phone, pad.bounding_box(), [(0.5, 0.5), (0.7, 0.3), (0.9, 0.1)])
    phone.wait_for_function(f"b => ({PAINTS})() > b", arg=before)
    values = [float(phone.locator(f"#slider-{i} input[type=range]").input_value()) for i in (0, 1)]
    lo, hi = (float(phone.locator("#slider-0 input[type=range]").get_attribute(a)) for a in ("min", "max"))
    want = lo + 0.9 * (hi - lo)
    assert abs(values[0] - want) < 0.1 * (hi - lo) and abs(values[1] - want) < 0.1 * (hi - lo), values


def test_the_page_says_what_the_digit_looks_like(page: Page, app_url, backend):
    """Under the canvas, in its label and to screen readers (aria-live): the judge classifier,
    run in the page, reads the decoded digit, as torch's judge reads the server's decode."""
    import re

    import torch

    from playground import judge
    page.goto(app_url + "?model=vae-mnist-2d")
    page.wait_for_function(f"() => ({PAINTS})() > 0", timeout=30_000)
    page.locator("#slider-0 input[type=range]").fill("1.5")
    caption = page.locator("#decoded-caption")
    expect(caption).to_have_attribute("aria-live", "polite")
    expect(caption).to_have_text(re.compile(r"looks like an? \d \(\d+ %\)"))
    expect(caption).to_contain_text("looks like", timeout=10_000)
    z = torch.tensor(backend.latent_from_sliders("vae-mnist-2d", [1.5, 0.0]), dtype=torch.float32)
    with torch.inference_mode():
        image = backend.model("vae-mnist-2d").decode(z[None]).float()
        p = judge.load(backend.root).predict_proba(image)[0]
    k = int(p.argmax())
    said = re.search(r"looks like an? (\d) \((\d+) %\)", caption.inner_text())
    assert int(said.group(1)) == k and abs(int(said.group(2)) - 100 * float(p[k])) <= 1
    assert caption.inner_text() in page.locator("#decoded-canvas").get_attribute("aria-label")
