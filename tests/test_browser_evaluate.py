"""The Evaluate tab in real Chromium: shipped curves appear at once, models toggle, the histogram
and the likelihood table are there."""
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def legend(page: Page, plot: str):
    return page.locator(f"{plot} .legendtext")


def test_evaluate_tab_shows_shipped_curves_and_histogram(page: Page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="Evaluate").click()
    curves = legend(page, "#eval-curves")
    # The default selection's shipped curves, without pressing Recompute.
    expect(curves.filter(has_text="vae-mnist-16d")).to_have_count(1, timeout=30_000)
    expect(curves.filter(has_text="dcgan-mnist")).to_have_count(1)
    expect(curves.filter(has_text="real digits")).to_have_count(1)
    expect(page.locator("#eval-status")).to_contain_text("shipped, 1,000 samples per temperature")
    # Untick a model: its line goes, the other stays.
    page.locator("#eval-models").get_by_label("dcgan-mnist").uncheck()
    expect(curves.filter(has_text="dcgan-mnist")).to_have_count(0, timeout=15_000)
    expect(curves.filter(has_text="vae-mnist-16d")).to_have_count(1)
    # Mode collapse: the model's bars beside the real digits'.
    hist = page.locator("#eval-hist")
    hist.scroll_into_view_if_needed()
    expect(legend(page, "#eval-hist").filter(has_text="real digits")).to_have_count(1)
    expect(legend(page, "#eval-hist").filter(has_text="vae-mnist-2d at T=1")).to_have_count(1)
    expect(hist.locator(".bars path")).to_have_count(20)
    expect(page.locator("#eval-hist-text")).to_contain_text("effective classes")
    expect(page.locator("#eval-likelihood")).to_contain_text("no likelihood")
