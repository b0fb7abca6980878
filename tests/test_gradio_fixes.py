"""The Gradio patches in playground/ui/gradio_fixes.py: each one still applies to the Gradio that is
installed, and still does what it is for."""
import inspect

import pytest

from PIL import Image

from playground.ui.gradio_fixes import write_image_cache_atomically


def test_image_cache_patch_still_needed_and_compatible():
    """Fails when Gradio changes the function the patch replaces: then re-read Gradio's code, and
    drop the patch if Gradio now writes its cache atomically itself."""
    from gradio import processing_utils as pu
    write_image_cache_atomically()
    original = pu.save_pil_to_cache.replaces
    source = inspect.getsource(original)
    assert ".write_bytes(" in source and "os.replace" not in source and "rename" not in source, \
        "Gradio's save_pil_to_cache changed: check whether it is atomic now and drop the patch"
    assert list(inspect.signature(original).parameters) == \
        list(inspect.signature(pu.save_pil_to_cache).parameters)


def test_image_cache_patch_writes_whole_files_once(tmp_path):
    from gradio import processing_utils as pu
    write_image_cache_atomically()
    img = Image.new("L", (28, 28), 128)
    first = pu.save_pil_to_cache(img, str(tmp_path), format="png")
    again = pu.save_pil_to_cache(img, str(tmp_path), format="png")
    assert first == again
    assert open(first, "rb").read() == pu.encode_pil_to_bytes(img, "png")
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["image.png"]  # no temp left


def test_unreadable_inputs_patch_still_needed():
    """Fails when Gradio stops wrapping a component's preprocessing failure in a plain exception:
    then check whether it shows a clear message itself, and drop refuse_unreadable_inputs."""
    from gradio import blocks, exceptions
    from playground.ui.gradio_fixes import refuse_unreadable_inputs
    refuse_unreadable_inputs()
    source = inspect.getsource(blocks.Blocks.preprocess_data.replaces)
    assert "ComponentProcessingError(" in source
    assert not issubclass(exceptions.ComponentProcessingError, exceptions.Error)


def test_unreadable_inputs_get_a_clear_error():
    import asyncio

    import gradio as gr
    from gradio import exceptions
    from playground.ui.gradio_fixes import refuse_unreadable_inputs
    refuse_unreadable_inputs()
    with gr.Blocks() as demo:
        seed = gr.Number(0, precision=0, label="Seed")
        gr.Button().click(lambda s: s, seed, gr.Number(), api_name="echo")
    fn = next(iter(demo.fns.values()))
    def run(values):  # in a thread of its own: the suite may already run an event loop here
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, demo.preprocess_data(fn, values, None)).result()

    for bad, says in ((float("nan"), "nan"), (2.5, "whole number")):
        try:
            run([bad])
        except exceptions.Error as err:
            assert "Seed" in str(err) and says in str(err).lower()
        else:
            raise AssertionError(f"{bad} was accepted by a whole-number input")
    assert run([3.0]) == [3]


# Eight frames asked for after a pause: for each, when its frame began (the callback's timestamp)
# relative to the request. A page on the display's clock begins the frame after the request
# (0 to 16.7 ms later); an idle page runs the frame at once, stamped at the last tick (before).
FRAME_AFTER_A_PAUSE_JS = """async () => {
  const out = [];
  for (let i = 0; i < 8; i++) {
    await new Promise(r => setTimeout(r, 120 + 17 * Math.random()));
    const t0 = performance.now();
    out.push(await new Promise(r => requestAnimationFrame(r)) - t0);
  }
  return out;
}"""


@pytest.mark.browser
def test_an_idle_page_leaves_the_frame_clock_alone(page, app_url):
    """FirstInHead's script is the first thing in the page, and Gradio's leftover loading-screen
    loops no longer ask for a frame every frame: a frame asked for after a pause starts at once.
    Fails when Gradio renames its status tracker's module (re-read its code) or fixes the leak
    itself (then drop the patch)."""
    page.goto(app_url)
    first = page.evaluate("() => document.head.firstElementChild.textContent")
    assert "statustracker" in first
    page.wait_for_function("() => Number(document.querySelector('#decoded-canvas')"
                           "?.dataset.paints || 0) > 0", timeout=30_000)
    page.wait_for_timeout(1000)
    starts = page.evaluate(FRAME_AFTER_A_PAUSE_JS)
    assert sum(s <= 0.5 for s in starts) >= 6, starts
