"""What the Tools sub-tabs share: their controls (model picker, class, temperature, the "seed /
first validation index + count" row, sketchpads, outputs, downloads), the model-selection handler,
and `bind`, which gives a module-level handler its service at wiring time."""
from __future__ import annotations

import functools

import gradio as gr
import numpy as np

from playground.images import grid
from playground.tools import MAX_TOOL_IMAGES, Tools
from playground.ui.common import default_model, no_model, user_errors

SOURCE_CHOICES = [("prior sample (seed)", "sample"), ("validation digit (index)", "data"),
                  ("my drawing", "drawing")]
BLANK = 255             # a white tile: the gap between groups of digits in a sheet
DATA_HINT = "validation digits are sorted by class: 0-99 are 0s, 100-199 are 1s, …"
CANVAS = 280            # a sketchpad's side in pixels: ten screen pixels per MNIST pixel
# The digit a drawing sub-tab opens with, by data set: a clear validation digit (its index, its
# class), drawn on the sketchpad as a user's drawing arrives (first_look.py). 359 is a bold 3 that
# even the 2-D VAE reconstructs as a 3, well within the real digits' errors. The class is written
# here, not read from the data, so that building the page loads no data (seconds on a fresh start).
EXAMPLES = {"mnist": (359, "3")}


def bind(handler, *services):
    """`handler` with its first arguments (the tools, ...) given: Gradio sees the remaining
    parameters as the event's inputs, and the handler's own name and docstring (the API's and MCP's
    description)."""
    bound = functools.partial(handler, *services)
    bound.__name__, bound.__doc__ = handler.__name__, handler.__doc__
    return bound


def first_model(tools: Tools, tool: str, what: str):
    """The tool's default model, or None after a note saying that no model here can `what`."""
    first = default_model(tools.models(tool))
    if first is None:
        no_model(what)
    return first


# ---- controls ---------------------------------------------------------------------------------
def model_picker(tools: Tools, tool: str, first, elem_id: str) -> gr.Dropdown:
    return gr.Dropdown([m.id for m in tools.models(tool)], value=first.id, label="Model",
                       elem_id=elem_id)


def sketchpad(elem_id: str, label: str = "Draw a digit", height: int = 240,
              drawing: np.ndarray | None = None) -> gr.Sketchpad:
    """`drawing`: a (CANVAS, CANVAS, 4) canvas it opens with (`drawn`). PNG, not Gradio's lossy
    WebP, carries it to the page, so pressing the button on it sends exactly these pixels."""
    return gr.Sketchpad(None if drawing is None else drawn(drawing), label=label, type="numpy",
                        image_mode="RGBA", canvas_size=(CANVAS, CANVAS), height=height,
                        elem_id=elem_id, format="png")


def drawn(canvas: np.ndarray) -> dict:
    """The sketchpad's value (as a handler receives it) with `canvas` as its background: the page
    shows a background it is given (not layers) and its Clear button removes it."""
    return {"background": canvas, "layers": [], "composite": canvas}


def image_out(label: str, elem_id: str, height: int = 220, value=None) -> gr.Image:
    return gr.Image(value, label=label, format="png", interactive=False, height=height,
                    elem_id=elem_id, elem_classes="pixelated", buttons=["download"])


def downloads(elem_id: str, value=None) -> gr.File:
    return gr.File(value, label="Downloads (PNG / GIF and the latents, seeds and knobs as CSV)",
                   file_count="multiple", interactive=False, elem_id=elem_id)


def temperature_slider(minimum: float = 0.0, label: str = "Temperature T",
                       value: float = 1.0) -> gr.Slider:
    return gr.Slider(minimum, 3.0, value=value, step=0.05, label=label)


def number_and_count(number_label: str, count_label: str, count: int, *, number: int = 0,
                     hint: str | None = None, count_max: int = MAX_TOOL_IMAGES,
                     count_first: bool = False) -> tuple[gr.Number, gr.Slider]:
    """One row: a seed (or first validation index) and how many; returns (number, count)."""
    make = {"number": lambda: gr.Number(number, precision=0, minimum=0, label=number_label,
                                        info=hint),
            "count": lambda: gr.Slider(1, count_max, value=count, step=1, label=count_label)}
    with gr.Row():
        made = {k: make[k]() for k in (("count", "number") if count_first else ("number", "count"))}
    return made["number"], made["count"]


def opening_class(info, empty: bool = False):
    """The class a class input opens at for the model `info`: its first class; None for a model
    without classes or when `empty` (no class chosen)."""
    return None if empty else (list(info.class_names) or [None])[0]


def example_knobs(first) -> dict:
    """What a drawing sub-tab opens with on the model `first`: the validation index of its data's
    example digit (None where its data has none) and the class its class input opens at: the
    example's for a model with classes, so the example is encoded as what it is."""
    index, name = EXAMPLES.get(first.dataset, (None, None))
    return dict(example=index,
                label=name if index is not None and first.class_names else opening_class(first))


def example_note(first, button: str) -> str:
    """What a drawing sub-tab shows before anyone draws, and what to do next."""
    index, name = EXAMPLES[first.dataset]
    return (f"Shown: validation digit {index} (a {name}) as if drawn. Draw over it, or clear it "
            f"and draw your own, then press **{button}**.")


def class_dropdown(first, elem_id: str, label: str = "Class", empty: bool = False,
                   value: str | None = None) -> gr.Dropdown:
    """The class input of a conditional model (hidden for others); `empty`: no class chosen;
    `value`: the class it opens at instead of the first (a drawn example's)."""
    return gr.Dropdown(list(first.class_names), label=label, elem_id=elem_id,
                       value=opening_class(first, empty) if value is None else value,
                       visible=first.has("condition"), allow_custom_value=True)


# ---- handlers and helpers ---------------------------------------------------------------------
@user_errors
def select_tool_model(tools: Tools, tool: str, empty: bool, model_id):
    """A model for this tool: its classes (shown for conditional models)."""
    info = tools.require(model_id, tool)
    return gr.Dropdown(choices=list(info.class_names), value=opening_class(info, empty),
                       visible=info.has("condition"))


def knob_row(**knobs) -> dict:
    """The knobs of a request as CSV columns (None dropped)."""
    return {k: v for k, v in knobs.items() if v is not None}


def tiles(images: np.ndarray, ncol: int) -> np.ndarray:
    return grid(np.asarray(images, np.uint8), ncol=ncol)


def blank(height: int, width: int) -> np.ndarray:
    """A white tile of this size: the gap between groups of digits in a sheet."""
    return np.full((height, width), BLANK, np.uint8)
