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
    view = page.evaluate("() => window.latentWeb.currentView()")
    assert view["tab"] == "text" and view["class"] == "female" and view["t"] == 0.5, view
    assert view["knobs"]["top_k"] == 5 and view["knobs"]["prefix"] == "ma", view
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


def test_a_lesson_link_show_me_a_question_and_progress_after_reload(page: Page, app_url):
    """One journey: a link opens a lesson at a step, "Show me" sets Explore up, a prediction is
    checked with its explanation, and all of it is still there after a reload."""
    page.goto(f"{app_url}/?lesson=latent-space&step=2")
    expect(page.locator("#lesson-step-title")).to_have_text("Walk along one axis", timeout=30_000)
    expect(page.locator("#lesson-count")).to_contain_text("step 2 of 6")
    page.locator("#lesson-show").click()
    expect(page.locator("#explore-card")).to_contain_text("vae-mnist-2d")
    expect(page.locator("#slider-0 input[type=number]")).to_have_value("-2", timeout=15_000)
    expect(page.locator("#lesson-explanation")).to_be_hidden()
    page.get_by_label("3", exact=True).check()
    page.locator("#lesson-check").click()
    expect(page.locator("#lesson-verdict")).to_have_text("Not quite: the answer is 0.")
    expect(page.locator("#lesson-explanation")).to_contain_text("Left of the origin")
    page.reload()
    expect(page.locator("#lesson-step-title")).to_have_text("Walk along one axis", timeout=30_000)
    expect(page.locator("#lesson-verdict")).to_have_text("Not quite: the answer is 0.")
    page.locator("#lesson-next").click()
    expect(page.locator("#lesson-count")).to_contain_text("step 3 of 6")
    expect(page.locator("#lesson-pick option:checked")).to_have_text(re.compile(r"\(3/6\)"))


def test_show_me_opens_a_break_it_preset_and_a_bad_link_says_so(page: Page, app_url):
    page.goto(f"{app_url}/?lesson=gans&step=2")
    expect(page.locator("#lesson-step-title")).to_have_text("Break it: mode collapse",
                                                           timeout=30_000)
    page.locator("#lesson-show").click()
    expect(page.locator("#live-why")).to_contain_text("GAN mode collapse", timeout=15_000)
    page.goto(f"{app_url}/?lesson=no-such-lesson&step=3")
    expect(page.locator("#lesson-message")).to_contain_text("There is no lesson “no-such-lesson”",
                                                            timeout=30_000)
    page.goto(f"{app_url}/?lesson=gans&step=99")
    expect(page.locator("#lesson-message")).to_contain_text("has steps 1 to 5, not 99",
                                                            timeout=30_000)
    expect(page.locator("#lesson-count")).to_contain_text("step 1 of 5")
