"""The first looks of the Tools sub-tabs whose result costs seconds (latent arithmetic, class ×
style, nearest neighbours, completion) or needs a drawing (your digit, drawing → noise): each
sub-tab's own handler at the knobs its controls open at, for its default model, computed once when
the app is shipped and stored in one small JSON file, because computing them while the page is
built would cost seconds of every start (class means, a diffusion grid, the judge's index,
pixel-by-pixel sampling, the validation digits' errors, DDIM inversion, loading the data for an
example digit) and loading the file takes milliseconds.

    python -m playground.ui.tools.first_look     # again after retraining a model or changing knobs

The drawing sub-tabs open with an example: a validation digit of the model's data
(widgets.EXAMPLES) drawn on the sketchpad as a user's drawing arrives; the file stores that
drawing with the outputs it gives, and the sketchpad opens with it, so pressing the button on it
gives the stored result again.

Each entry records what its result depends on: the model, the sha256 of its weights (and of the
judge's, for neighbours) and the knobs. `shipped` gives a sub-tab its look only while all of them
are today's (a retrained model or a restricted model list must never show a stale picture), and so
does a test of the shipped file.
"""
from __future__ import annotations

import base64
import inspect
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from PIL import Image

from playground import judge
from playground.base import all_knobs
from playground.data import split
from playground.files import write_atomic
from playground.images import drawing_from_digit, png_base64, to_uint8
from playground.tools import Tools
# modules by their full names: `from playground.ui(.tools) import …` would make a package that
# imports this module one of its imports (tests/test_imports.py: no cycles)
import playground.ui.common as common
import playground.ui.tools.arithmetic as arithmetic
import playground.ui.tools.completion as completion
import playground.ui.tools.digit as digit
import playground.ui.tools.inversion as inversion
import playground.ui.tools.neighbours as neighbours
import playground.ui.tools.style as style
from playground.ui.tools.widgets import CANVAS, EXAMPLES, drawn

log = logging.getLogger(__name__)
PATH = Path(__file__).resolve().parents[3] / "assets" / "tools-first-look.json"
COMMAND = "python -m playground.ui.tools.first_look"


@dataclass(frozen=True)
class Look:
    """How to make one sub-tab's first look."""
    tool: str            # the Tools tool whose first model the sub-tab opens on
    handler: Callable    # the sub-tab's own handler: (tools, model_id, **knobs) -> its outputs
    knobs: Callable      # (tools, first) -> the handler's arguments by name as the controls open
    files: int | None    # which output is the downloads: not part of a first look (None)
    judge: bool = False  # the result depends on the judge classifier's weights too
    drawing: bool = False  # the handler's drawing is the example digit knobs["example"], drawn
    api_name: str | None = None  # the button's event, where not named as the handler


LOOKS = {"arithmetic": Look("arithmetic", arithmetic.latent_arithmetic, arithmetic.first_knobs, 2),
         "style": Look("style_grid", style.style_grid, style.first_knobs, 1),
         "neighbours": Look("neighbours", neighbours.nearest_neighbours, neighbours.first_knobs, 3,
                            judge=True),
         "completion": Look("complete", completion.complete_digit, completion.first_knobs, 2),
         # Your digit's one button runs both: one example drawing, two stored results
         "digit": Look("reconstruct", digit.reconstruct, digit.first_knobs, None, drawing=True,
                       api_name="reconstruct_drawing"),
         "anomaly": Look("reconstruct", digit.anomaly, digit.first_knobs, None, drawing=True,
                         api_name="anomaly_score"),
         "inversion": Look("invert", inversion.invert_drawing, inversion.first_knobs, None,
                           drawing=True)}


def today(tools: Tools, name: str) -> dict | None:
    """What the sub-tab's look depends on today (model, weights, knobs), as JSON values; None when
    no model here fits the sub-tab."""
    look = LOOKS[name]
    first = common.default_model(tools.models(look.tool))
    if first is None:
        return None
    knobs = look.knobs(tools, first)
    if look.drawing and knobs["example"] is None:  # its data has no example: the hint instead
        return None
    made = {"model": first.id, "weights_sha256": tools.backend.store.weights_sha(first.id),
            "knobs": knobs}
    if look.judge:
        made["judge_sha256"] = judge.sha(tools.backend.root)
    return json.loads(json.dumps(made))  # as it reads back from the file: compared with ==


def compute(tools: Tools, name: str) -> dict:
    """The sub-tab's look at today's model and knobs: its entry in the file."""
    look, made = LOOKS[name], today(tools, name)
    knobs, entry = dict(made["knobs"]), dict(made)
    if look.drawing:  # the validation digit is stored (300 bytes), its canvas drawn from it
        example = example_digit(tools, made["model"], knobs["example"])
        knobs["drawing"], entry["example_digit"] = drawn(drawing_from_digit(example, CANVAS)), \
            _png(example)
    outputs = look.handler(tools, made["model"], *arguments(look.handler, knobs))
    if inspect.isgenerator(outputs):  # a streaming handler: its last frame is its result
        *_, outputs = outputs
    return {**entry, "outputs": [None if i == look.files else _stored(v)
                                 for i, v in enumerate(outputs)]}


def example_digit(tools: Tools, model_id: str, index: int) -> np.ndarray:
    """Validation digit `index` of the model's data, (H, W) uint8: a drawing sub-tab's example."""
    info = tools.backend.info(model_id)
    x, y = split(info.dataset, "val")
    said, is_ = EXAMPLES[info.dataset][1], tools.class_names(info)[int(y[index])]
    if is_ != said:
        raise ValueError(f"validation digit {index} of {info.dataset} is a {is_}, not the {said} "
                         "that widgets.EXAMPLES names: fix EXAMPLES")
    return to_uint8(x[index:index + 1])[0]


def arguments(handler: Callable, knobs: dict) -> list:
    """The handler's arguments after (tools, model_id), in its order, as its button sends them:
    each named parameter from `knobs` (one with a default, as gr.Progress, may be left out); a
    `*knobs` parameter (the sampler knobs' controls, common.knob_controls) takes the knobs named in
    `all_knobs()`, in that order."""
    params = list(inspect.signature(handler).parameters.values())[2:]
    return [v for p in params if p.name in knobs or p.default is p.empty
            for v in ([knobs[k.name] for k in all_knobs()] if p.kind is p.VAR_POSITIONAL
                      else [knobs[p.name]])]


def _png(image: np.ndarray) -> dict:
    """A uint8 image as base64 PNG: lossless (a test compares pixels) and a few KB."""
    return {"png": png_base64(image, optimize=True)}


def _stored(value):
    """An output as JSON: images as PNG, Plotly figures as Plotly's own JSON (arrays in base64)
    less the template (7 KB each; restored from the same default), a gallery's (image, caption)
    pairs item by item."""
    if isinstance(value, np.ndarray):
        return _png(value)
    if isinstance(value, go.Figure):
        figure = json.loads(value.to_json())
        if figure["layout"].get("template") == json.loads(go.Figure().to_json())["layout"][
                "template"]:  # the default: a figure made without one gets it again
            del figure["layout"]["template"]
        return {"plotly": figure}
    if isinstance(value, (list, tuple)):
        return [_stored(v) for v in value]
    return value


def _restored(value):
    """A stored output as the handler returned it (`_stored` undone; pairs come back as lists)."""
    if isinstance(value, dict) and "png" in value:
        with Image.open(io.BytesIO(base64.b64decode(value["png"]))) as im:
            return np.asarray(im)
    if isinstance(value, dict) and "plotly" in value:
        return pio.from_json(json.dumps(value["plotly"]))
    if isinstance(value, list):
        return [_restored(v) for v in value]
    return value


def write(looks: dict, path: Path = PATH) -> None:
    write_atomic(path, json.dumps(looks, allow_nan=False, ensure_ascii=False,
                                  separators=(",", ":")) + "\n")


def shipped(tools: Tools, path: Path = PATH) -> dict:
    """Each sub-tab's stored look as its handler's outputs (images as arrays, figures as figures,
    downloads None), after the example drawing (CANVAS² RGBA) for a drawing sub-tab; or None
    where it is missing, stale or unreadable (logged: the sub-tab then shows its hint)."""
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        log.warning("no Tools first looks (%s): run %s", err, COMMAND)
        stored = {}
    return {name: common.first_look(lambda: _checked(tools, name, stored.get(name)),
                                    f"Tools › {name}") for name in LOOKS}


def _checked(tools: Tools, name: str, entry: dict | None) -> tuple | None:
    """The entry's outputs when it was made from today's model, weights and knobs."""
    now = today(tools, name)
    if now is None:   # no model fits: the sub-tab says so instead
        return None
    stale = [k for k in now if (entry or {}).get(k) != now[k]]
    if stale:  # another default model is a deployment's choice; other weights or knobs a slip
        (log.info if "model" in stale else log.warning)(
            "no stored first look for Tools › %s: its %s differ from today's (run %s)",
            name, ", ".join(stale), COMMAND)
        return None
    drawing = ((drawing_from_digit(_restored(entry["example_digit"]), CANVAS),)
               if LOOKS[name].drawing else ())
    return (*drawing, *(_restored(v) for v in entry["outputs"]))


if __name__ == "__main__":
    import time

    from playground.backend import Backend
    tools, looks = Tools(Backend()), {}
    for name in LOOKS:
        start = time.perf_counter()
        looks[name] = compute(tools, name)
        print(f"{name}: {looks[name]['model']}, {time.perf_counter() - start:.1f} s")
    write(looks)
    print(f"wrote {PATH} ({PATH.stat().st_size / 1024:.0f} KB)")
