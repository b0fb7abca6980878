"""Views and lessons in real Chromium: the page's latentWeb.applyView switches tab and model and
currentView reads it back; a lesson opens from a link, "Show me" sets the playground up, a
question is checked in the page with its explanation, progress survives a reload."""
import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_apply_view_switches_tab_and_model_and_current_view_reads_it(page: Page, app_url):
    page.goto(app_url)
    page.wait_for_function("() => window.latentWeb && window.latentWeb.applyView"
                           " && document.querySelector('#apply-view')", timeout=30_000)
    page.evaluate("() => window.latentWeb.applyView({tab: 'text', model: 'chargpt-names',"
                  " class: 'female', t: 0.5, knobs: {top_k: 5, prefix: 'ma'}})")
    expect(page.locator("#text-top-k input")).to_have_value("5", timeout=15_000)
    expect(page.locator("#text-prefix textarea, #text-prefix input").first).to_have_value("ma")
    expect(page.locator("#text-kind input[value=female]")).to_be_checked()
    page.evaluate("() => window.latentWeb.applyView({model: 'cvae-mnist', class: '7', t: 0.5,"
                  " seed: 4, z: [1.5, -2]})")
    expect(page.locator("#explore-card")).to_contain_text("cvae-mnist", timeout=15_000)
    expect(page.locator("#slider-1 input[type=number]")).to_have_value("-2")
    view = page.evaluate("() => window.latentWeb.currentView()")
    assert view["tab"] == "explore" and view["model"] == "cvae-mnist", view
    assert view["class"] == "7" and view["seed"] == 4 and view["t"] == 0.5, view
    assert view["z"] == [1.5, -2], view
    page.evaluate("() => window.latentWeb.applyView({model: 'no-such-model'})")
    expect(page.get_by_text(re.compile("could not be opened: unknown model"))).to_be_visible()
