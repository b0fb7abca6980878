"""Four Tools sub-tabs open on a result stored when the app was shipped
(assets/tools-first-look.json, playground/ui/tools/first_look.py): the file must be today's (default
model, its weights, the controls' opening knobs), a stale entry is never shown, and a stored picture
is what the tab's handler draws."""
import inspect
import json

import gradio as gr
import numpy as np
import pytest

from playground import judge
from playground.tools import Tools
from playground.ui.tools import first_look

RUN = "run python -m playground.ui.tools.first_look and commit assets/tools-first-look.json"


@pytest.fixture(scope="module")
def tools(backend):
    return Tools(backend)


@pytest.fixture(scope="module")
def stored():
    return json.loads(first_look.PATH.read_text())


@pytest.mark.parametrize("name", first_look.LOOKS)
def test_the_shipped_look_is_today_s_default(tools, stored, name):
    """A retrained model or new opening knobs must regenerate the file, or the sub-tab would open
    on its hint instead of a result."""
    look, entry = first_look.LOOKS[name], stored[name]
    first = tools.models(look.tool)[0]          # the sub-tab's default model
    assert entry["model"] == first.id, f"{name} now opens on {first.id}: {RUN}"
    assert entry["weights_sha256"] == tools.backend.store.weights_sha(first.id), \
        f"{first.id} was retrained: {RUN}"
    assert entry["knobs"] == look.knobs(tools, first), f"{name}'s opening knobs changed: {RUN}"
    if look.judge:
        assert entry["judge_sha256"] == judge.sha(tools.backend.root), f"the judge changed: {RUN}"
    assert entry["outputs"][look.files] is None                     # downloads are not stored
    assert first_look.shipped(tools)[name] is not None


@pytest.mark.parametrize("name", first_look.LOOKS)
def test_the_controls_open_at_the_looks_knobs(tools, name):
    """The sub-tab's button sends, before anyone touches a control, exactly the stored look's
    model and knobs: the picture cannot show other knobs than the controls."""
    look = first_look.LOOKS[name]
    module = inspect.getmodule(look.handler)
    create = getattr(module, f"create_{module.__name__.rsplit('.', 1)[1]}_tab")
    with gr.Blocks() as demo:
        create(tools)
    fn, = (f for f in demo.fns.values() if f.api_name == look.handler.__name__)
    params = list(inspect.signature(look.handler).parameters)[1:]   # after the tools
    sent = {p: c.value for p, c in zip(params, fn.inputs)}
    first = tools.models(look.tool)[0]
    assert sent == {"model_id": first.id, **look.knobs(tools, first)}


def test_the_file_is_small():
    assert first_look.PATH.stat().st_size < 200_000


def test_a_stale_or_missing_look_is_refused_and_the_others_shown(tools, stored, tmp_path, caplog):
    stale = json.loads(json.dumps(stored))
    stale["arithmetic"]["knobs"]["count"] += 1
    stale["style"]["weights_sha256"] = "0" * 64
    del stale["completion"]
    path = tmp_path / "looks.json"
    first_look.write(stale, path)
    looks = first_look.shipped(tools, path)
    assert looks["arithmetic"] is None and looks["style"] is None and looks["completion"] is None
    assert looks["neighbours"] is not None
    assert "knobs differ" in caplog.text and "weights_sha256 differ" in caplog.text
    assert "python -m playground.ui.tools.first_look" in caplog.text
    assert set(first_look.shipped(tools, tmp_path / "none.json").values()) == {None}
    stale["neighbours"]["outputs"][0]["png"] = "bm90IGEgUE5H"     # unreadable: refused, no crash
    first_look.write(stale, path)
    assert first_look.shipped(tools, path)["neighbours"] is None


def test_a_stored_picture_is_exactly_what_the_handler_draws(tools):
    """The cheapest look (class × style, ~0.5 s) recomputed at today's defaults: pixel for pixel
    the stored PNG (lossless, and the handler is deterministic for its seed)."""
    sheet, files = first_look.shipped(tools)["style"]
    again = first_look._image(first_look.compute(tools, "style")["outputs"][0])
    assert files is None and sheet.dtype == np.uint8
    np.testing.assert_array_equal(again, sheet)
