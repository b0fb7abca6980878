"""Six Tools sub-tabs open on a result stored when the app was shipped
(assets/tools-first-look.json, playground/ui/tools/first_look.py): the file must be today's (default
model, its weights, the controls' opening knobs), a stale entry is never shown, a stored picture is
what the tab's handler draws, and the two drawing sub-tabs' example, pressed as it opens, gives
exactly the result shown beside it."""
import inspect
import json

import gradio as gr
import numpy as np
import plotly.graph_objects as go
import pytest
from gradio.components.image_editor import EditorData

from playground import judge
from playground.images import drawing_from_digit
from playground.tools import Tools
from playground.ui.tools import first_look
from playground.ui.tools.widgets import CANVAS, EXAMPLES

RUN = "run python -m playground.ui.tools.first_look and commit assets/tools-first-look.json"


@pytest.fixture(scope="module")
def tools(backend):
    return Tools(backend)


@pytest.fixture(scope="module")
def looks(tools):
    return first_look.shipped(tools)


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
    if look.files is not None:
        assert entry["outputs"][look.files] is None                 # downloads are not stored
    if look.drawing:  # the example is the validation digit the knobs name, a digit of its class
        index, name_ = EXAMPLES[first.dataset]
        assert entry["knobs"]["example"] == index
        np.testing.assert_array_equal(first_look._restored(entry["example_digit"]),
                                      first_look.example_digit(tools, first.id, index))
    assert first_look.shipped(tools)[name] is not None


def opened(tools, looks, name):
    """The look's sub-tab built as the app builds it (with the shipped looks), and its button's
    event for the look's handler."""
    look = first_look.LOOKS[name]
    module = inspect.getmodule(look.handler)
    create = getattr(module, f"create_{module.__name__.rsplit('.', 1)[1]}_tab")
    given = (dict(look=looks["digit"], score=looks["anomaly"]) if name in ("digit", "anomaly")
             else dict(look=looks[name]))
    with gr.Blocks() as demo:
        create(tools, **given)
    fn, = (f for f in demo.fns.values() if f.api_name == (look.api_name or look.handler.__name__))
    return fn


def sent(fn) -> list:
    """What the button sends the handler before anyone touches a control: each input's value, a
    sketchpad's as Gradio hands it over (read back from the PNG the page was given)."""
    return [c.preprocess(EditorData(**c.value)) if isinstance(c, gr.ImageEditor) and c.value
            else c.value for c in fn.inputs]


@pytest.mark.parametrize("name", first_look.LOOKS)
def test_the_controls_open_at_the_looks_knobs(tools, looks, name):
    """The sub-tab's button sends, before anyone touches a control, exactly the stored look's
    model and knobs (and, for a drawing sub-tab, its example drawing): the picture cannot show
    other knobs than the controls."""
    look = first_look.LOOKS[name]
    first = tools.models(look.tool)[0]
    knobs = look.knobs(tools, first)
    values = sent(opened(tools, looks, name))
    if look.drawing:
        canvas = drawing_from_digit(first_look.example_digit(tools, first.id, knobs["example"]),
                                    CANVAS)
        pad = next(v for v in values if isinstance(v, dict))
        np.testing.assert_array_equal(pad["composite"], canvas)
        knobs["drawing"] = pad
    assert values == [first.id, *first_look.arguments(look.handler, knobs)]


def same(a, b) -> bool:
    """Outputs equal as the page shows them: pixels, figures' JSON, texts; pairs = lists."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if isinstance(a, go.Figure):
        return json.loads(a.to_json()) == json.loads(b.to_json())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("name", [n for n, look in first_look.LOOKS.items() if look.drawing])
def test_pressing_the_button_on_the_example_gives_what_is_shown(tools, looks, name):
    """The drawing sub-tabs open with an example digit drawn and its result beside it; pressing
    the button on the untouched example must give that result exactly (the sketchpad carries the
    drawing losslessly), not a near miss."""
    fn = opened(tools, looks, name)
    shown = looks[name][1:]                               # after the drawing
    again = fn.fn(*sent(fn))
    assert len(again) == len(shown)
    for i, (a, b) in enumerate(zip(again, shown)):
        assert same(a, b), f"{name}'s output {i} differs from the stored one"


def test_the_example_reads_back_as_the_validation_digit(tools, looks):
    """Drawn on the canvas and prepared like the data again, the example is (about) the
    validation digit it was drawn from: the note's "validation digit 359 (a 3) as if drawn"."""
    first = tools.models("reconstruct")[0]
    index, _ = EXAMPLES[first.dataset]
    encoded = looks["digit"][1]                                   # "What was encoded"
    original = first_look.example_digit(tools, first.id, index)
    assert np.abs(encoded / 255.0 - original / 255.0).mean() < 0.05


def test_the_file_is_small():
    assert first_look.PATH.stat().st_size < 200_000


def test_a_stale_or_missing_look_is_refused_and_the_others_shown(tools, stored, tmp_path, caplog):
    stale = json.loads(json.dumps(stored))
    stale["arithmetic"]["knobs"]["count"] += 1
    stale["style"]["weights_sha256"] = "0" * 64
    stale["inversion"]["knobs"]["example"] += 1
    del stale["completion"]
    path = tmp_path / "looks.json"
    first_look.write(stale, path)
    looks = first_look.shipped(tools, path)
    assert looks["arithmetic"] is None and looks["style"] is None and looks["completion"] is None
    assert looks["inversion"] is None and looks["digit"] is not None
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
    again = first_look._restored(first_look.compute(tools, "style")["outputs"][0])
    assert files is None and sheet.dtype == np.uint8
    np.testing.assert_array_equal(again, sheet)
