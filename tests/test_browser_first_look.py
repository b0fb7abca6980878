"""A new user's first look, in real Chromium: tabs show a result before any button is pressed
(computed once while the page is built, not requested by each page), and a fresh page sends only
its few light start-up calls."""
import json
import re

import pytest
from playwright.sync_api import Page, expect

from playground.ui.tools.first_look import PATH

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh(browser, browser_context_args, app_url):
    """One page, loaded once for the tests here that only open tabs and read them (a load of the
    whole app costs seconds): (page, the fn_index of every event it has asked the server for)."""
    context = browser.new_context(**browser_context_args)
    page, asked = context.new_page(), []
    page.on("request", lambda r: asked.append(r.post_data_json.get("fn_index"))
            if "/gradio_api/queue/join" in r.url else None)
    page.goto(app_url)
    yield page, asked
    context.close()


def test_tabs_open_with_something_to_look_at(fresh):
    page, calls = fresh
    page.get_by_role("tab", name="Explore latent space").click()
    expect(page.locator("#grid img")).to_be_visible(timeout=30_000)          # Explore's 8x8 grid
    page.get_by_role("tab", name="Conditional samples").click()
    expect(page.locator("#cond-grid img")).to_be_visible()
    page.get_by_role("tab", name="Generate names").click()
    expect(page.locator("#text-names li")).to_have_count(20)
    page.wait_for_timeout(1000)
    # the start-up calls: share-link restore, the page's decoder and its rest noise; no sampling
    assert len(calls) <= 4, calls


def test_tools_open_on_an_interpolation_at_their_defaults(fresh):
    page, _ = fresh
    page.get_by_role("tab", name="Tools").click()
    page.get_by_role("tab", name="Interpolate", exact=True).click()
    expect(page.locator("#interp-strip img")).to_be_visible(timeout=30_000)
    expect(page.locator("#interp-curves .js-plotly-plot")).to_be_visible()
    expect(page.get_by_text("prior sample (seed 0) → prior sample (seed 1)")).to_be_visible()



def test_every_tools_sub_tab_opens_on_a_result_or_says_what_to_do(fresh, app_url):
    """Export shows its grid at the tab's defaults (and its files); arithmetic, class × style,
    neighbours and completion show their result at their defaults, and the two that need a drawing
    an example digit's, stored when the app was shipped (assets/tools-first-look.json: seconds of
    work each), so the page asks the server for none of them."""
    page, asked = fresh
    page.get_by_role("tab", name="Tools").click()
    page.get_by_role("tab", name="Export a grid", exact=True).click()
    expect(page.locator("#export-sheet img")).to_be_visible(timeout=30_000)
    expect(page.locator("#export-files")).to_contain_text(".csv")
    shown = {"Latent arithmetic": ("#arith-sheet", "#arith-note", "Shown: mean(7) − mean(1)"),
             "Class × style": ("#style-sheet", "#style-hint", "the grid opens on 6 prior samples"),
             "Nearest neighbours": ("#nn-sheet", "#nn-note", "Shown: 4 samples"),
             "Completion": ("#complete-sheet", None, None)}
    for tab, (image, where, text) in shown.items():
        page.get_by_role("tab", name=tab, exact=True).click()
        expect(page.locator(f"{image} img")).to_be_visible()
        if where:
            expect(page.locator(where)).to_contain_text(text)
    progress = page.locator("#complete-progress textarea, #complete-progress input").first
    expect(progress).to_have_value(re.compile("^Shown: validation digit 0"))
    example = re.compile(r"Shown: validation digit \d+ \(a \d\) as if drawn")
    page.get_by_role("tab", name="Your digit", exact=True).click()
    for image in ("#digit-encoded", "#digit-recon", "#digit-gallery"):
        expect(page.locator(f"{image} img").first).to_be_visible()
    for plot in ("#digit-latent", "#digit-hist"):
        expect(page.locator(f"{plot} .js-plotly-plot")).to_be_visible()
    expect(page.locator("#digit-text")).to_contain_text(example)
    expect(page.locator("#digit-anomaly")).to_contain_text("Anomaly score")
    page.get_by_role("tab", name="Drawing → noise", exact=True).click()
    for image in ("#invert-encoded", "#invert-regen", "#invert-classes"):
        expect(page.locator(f"{image} img")).to_be_visible()
    expect(page.locator("#invert-text")).to_contain_text(example)
    config = page.request.get(f"{app_url.rstrip('/')}/config").json()
    api = {d["id"]: d.get("api_name") for d in config["dependencies"]}
    heavy = {"latent_arithmetic", "style_grid", "nearest_neighbours", "complete_digit",
             "reconstruct_drawing", "anomaly_score", "invert_drawing"}
    assert all(i in api for i in asked), asked       # the calls are read right: events of this app
    assert not heavy & {api[i] for i in asked}, [api[i] for i in asked]


def test_pressing_the_button_on_a_drawing_sub_tab_s_example_gives_what_it_showed(page: Page,
                                                                                app_url):
    """The example digit is in the sketchpad, not only beside it: pressing the button before
    drawing sends it, and the page shows again the result it opened on (same error, to the
    digit: the sketchpad carries the drawing losslessly), now without the note."""
    stored = json.loads(PATH.read_text())

    def said(name, i):       # a stored Markdown output as the page shows it
        return stored[name]["outputs"][i].replace("**", "")

    def press(tab, go, where, look, text):
        page.get_by_role("tab", name=tab, exact=True).click()
        expect(page.locator(where)).to_contain_text("Shown: validation digit")
        page.locator(go).click()
        expect(page.locator(where)).not_to_contain_text("Shown:", timeout=30_000)
        expect(page.locator(where)).to_contain_text(said(look, text))

    page.goto(app_url)
    page.get_by_role("tab", name="Tools").click()
    press("Your digit", "#digit-go", "#digit-text", "digit", 3)
    expect(page.locator("#digit-anomaly")).to_contain_text(said("anomaly", 1))
    press("Drawing → noise", "#invert-go", "#invert-text", "inversion", 4)


def test_step_by_step_opens_on_a_finished_run_to_scrub(fresh):
    page, _ = fresh
    page.get_by_role("tab", name="Step by step").click()
    expect(page.locator("#steps-image img")).to_be_visible(timeout=30_000)
    expect(page.locator("#steps-scrub")).to_be_visible()
    progress = page.locator("#steps-progress textarea, #steps-progress input").first
    expect(progress).not_to_have_value("")


def test_train_live_opens_on_the_default_run_s_final_frame(fresh):
    """Precomputed at ship time (assets/live-first-look.json): three plots and a status that says
    what they are, before Start is pressed."""
    page, _ = fresh
    page.get_by_role("tab", name="Train live").click()
    for plot in ("#live-scatter", "#live-diag", "#live-loss"):
        expect(page.locator(f"{plot} .js-plotly-plot")).to_be_visible(timeout=30_000)
    expect(page.locator("#live-scatter")).to_contain_text("step 2000")
    expect(page.locator("#live-status")).to_contain_text("The default run's final frame")
    expect(page.locator("#live-status")).to_contain_text("press Start to watch it learn")
