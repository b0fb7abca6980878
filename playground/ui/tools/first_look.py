"""The first looks of four Tools sub-tabs (latent arithmetic, class × style, nearest neighbours,
completion): each sub-tab's own handler at the knobs its controls open at, for its default model,
computed once when the app is shipped and stored in one small JSON file, because computing them
while the page is built would cost seconds of every start (class means, a diffusion grid, the
judge's index, pixel-by-pixel sampling) and loading the file takes milliseconds.

    python -m playground.ui.tools.first_look     # again after retraining a model or changing knobs

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
from PIL import Image

from playground import judge
from playground.files import write_atomic
from playground.tools import Tools
# modules by their full names: `from playground.ui(.tools) import …` would make a package that
# imports this module one of its imports (tests/test_imports.py: no cycles)
import playground.ui.common as common
import playground.ui.tools.arithmetic as arithmetic
import playground.ui.tools.completion as completion
import playground.ui.tools.neighbours as neighbours
import playground.ui.tools.style as style

log = logging.getLogger(__name__)
PATH = Path(__file__).resolve().parents[3] / "assets" / "tools-first-look.json"
COMMAND = "python -m playground.ui.tools.first_look"


@dataclass(frozen=True)
class Look:
    """How to make one sub-tab's first look."""
    tool: str            # the Tools tool whose first model the sub-tab opens on
    handler: Callable    # the sub-tab's own handler: (tools, model_id, **knobs) -> its outputs
    knobs: Callable      # (tools, first) -> the handler's keyword arguments as the controls open
    files: int           # which output is the downloads: not part of a first look (None)
    judge: bool = False  # the result depends on the judge classifier's weights too


LOOKS = {"arithmetic": Look("arithmetic", arithmetic.latent_arithmetic, arithmetic.first_knobs, 2),
         "style": Look("style_grid", style.style_grid, style.first_knobs, 1),
         "neighbours": Look("neighbours", neighbours.nearest_neighbours, neighbours.first_knobs, 3,
                            judge=True),
         "completion": Look("complete", completion.complete_digit, completion.first_knobs, 2)}


def today(tools: Tools, name: str) -> dict | None:
    """What the sub-tab's look depends on today (model, weights, knobs), as JSON values; None when
    no model here fits the sub-tab."""
    look = LOOKS[name]
    first = common.default_model(tools.models(look.tool))
    if first is None:
        return None
    made = {"model": first.id, "weights_sha256": tools.backend.store.weights_sha(first.id),
            "knobs": look.knobs(tools, first)}
    if look.judge:
        made["judge_sha256"] = judge.sha(tools.backend.root)
    return json.loads(json.dumps(made))  # as it reads back from the file: compared with ==


def compute(tools: Tools, name: str) -> dict:
    """The sub-tab's look at today's model and knobs: its entry in the file."""
    look, made = LOOKS[name], today(tools, name)
    outputs = look.handler(tools, made["model"], **made["knobs"])
    if inspect.isgenerator(outputs):  # a streaming handler: its last frame is its result
        *_, outputs = outputs
    return {**made, "outputs": [None if i == look.files else _png(v) if isinstance(v, np.ndarray)
                                else v for i, v in enumerate(outputs)]}


def _png(image: np.ndarray) -> dict:
    """A uint8 image as base64 PNG: lossless (a test compares pixels) and a few KB."""
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", optimize=True)
    return {"png": base64.b64encode(buf.getvalue()).decode("ascii")}


def _image(value):
    if isinstance(value, dict) and "png" in value:
        with Image.open(io.BytesIO(base64.b64decode(value["png"]))) as im:
            return np.asarray(im)
    return value


def write(looks: dict, path: Path = PATH) -> None:
    write_atomic(path, json.dumps(looks, allow_nan=False, ensure_ascii=False,
                                  separators=(",", ":")) + "\n")


def shipped(tools: Tools, path: Path = PATH) -> dict:
    """Each sub-tab's stored look as its handler's outputs (images as arrays, downloads None), or
    None where it is missing, stale or unreadable (logged: the sub-tab then shows its hint)."""
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
    return tuple(_image(v) for v in entry["outputs"])


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
