"""The Evaluate tab in real Chromium: shipped curves appear at once, models toggle, the histogram
and the likelihood table are there. Which models are ticked follows the model order."""
import re

import pytest
from playwright.sync_api import Page, expect

from playground.backend import Backend
from playground.evaluate import Evaluator
from playground.ui.evaluate import DEFAULT_COUNT

pytestmark = pytest.mark.browser


def legend(page: Page, plot: str):
    return page.locator(f"{plot} .legendtext")


def exactly(text: str) -> re.Pattern:
    """A legend entry that is `text`, not one that contains it (ae-mnist is inside cvae-mnist)."""
    return re.compile(f"^{re.escape(text)}$")


def defaults() -> tuple[list[str], str]:
    """The image models ticked when the page opens that have shipped curves, and the histogram's
    model: the first curve models in the backend's order."""
    ev = Evaluator(Backend())
    models = ev.curve_models()
    ticked = [m.id for m in models[:DEFAULT_COUNT] if ev.space(m) == "judge" and ev.shipped(m.id)]
    return ticked, next(m.id for m in models if ev.space(m) == "judge")


def test_evaluate_tab_shows_shipped_curves_and_histogram(page: Page, app_url):
    ticked, hist_model = defaults()
    assert len(ticked) >= 2, "two ticked image models with shipped curves, to untick one"
    page.goto(app_url)
    page.get_by_role("tab", name="Evaluate").click()
    curves = legend(page, "#eval-curves")
    # The default selection's shipped curves, without pressing Recompute.
    expect(curves.filter(has_text=exactly(ticked[0]))).to_have_count(1, timeout=30_000)
    expect(curves.filter(has_text=exactly(ticked[-1]))).to_have_count(1)
    expect(curves.filter(has_text="real digits")).to_have_count(1)
    expect(page.locator("#eval-status")).to_contain_text("shipped, 1,000 samples per temperature")
    # Untick a model: its line goes, the other stays.
    page.locator("#eval-models").get_by_label(ticked[-1], exact=True).uncheck()
    expect(curves.filter(has_text=exactly(ticked[-1]))).to_have_count(0, timeout=15_000)
    expect(curves.filter(has_text=exactly(ticked[0]))).to_have_count(1)
    # Mode collapse: the model's bars beside the real digits'.
    hist = page.locator("#eval-hist")
    hist.scroll_into_view_if_needed()
    expect(legend(page, "#eval-hist").filter(has_text="real digits")).to_have_count(1)
    expect(legend(page, "#eval-hist").filter(has_text=f"{hist_model} at T=1")).to_have_count(1)
    expect(hist.locator(".bars path")).to_have_count(20)
    expect(page.locator("#eval-hist-text")).to_contain_text("effective classes")
    expect(page.locator("#eval-likelihood")).to_contain_text("no likelihood")
