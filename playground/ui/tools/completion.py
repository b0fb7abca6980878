"""Tools › Completion: hide part of a real digit or a drawing and watch a step-by-step model fill
it in, streamed as it samples."""
from __future__ import annotations

import time

import gradio as gr
import numpy as np

from playground.tools import Tools, completion
from playground.tools.export import save_csv, save_png
from playground.ui.common import user_errors
from playground.ui.tools.widgets import (DATA_HINT, SOURCE_CHOICES, bind, blank, class_dropdown,
                                         downloads, first_model, image_out, knob_row, model_picker,
                                         number_and_count, opening_class, select_tool_model,
                                         sketchpad, temperature_slider, tiles)

STREAM_EVERY_S = 0.15   # completion frames sent at most this often: the page repaints, not floods
# The controls' opening values, also those of the stored first look (playground/ui/tools/
# first_look.py), which the tab shows only while they are these.
FIRST_KNOBS = dict(source="data", number=0, drawing=None, hide="bottom half", count=4, seed=0,
                   temperature=1.0)


@user_errors
def complete_digit(tools: Tools, model_id, source, number, drawing, hide, count, seed, temperature,
                   label):
    """Hide part of a validation digit (by index) or a drawing and let a step-by-step model
    fill it in `count` times (PixelCNN: raster-order sampling copying the given pixels; RBM:
    Gibbs sampling with the given pixels clamped). Streams: original | masked | completions."""
    start, frames = completion.complete(tools, model_id, source, number, drawing, hide=hide,
                                        count=count, seed=seed, temperature=temperature, label=label)
    head = np.stack([start.digit, start.masked, blank(*start.digit.shape)])
    last, sheet, text = 0.0, None, ""
    for images, text in frames:
        sheet = tiles(np.concatenate([head, images]), 3 + len(images))
        if time.monotonic() - last >= STREAM_EVERY_S:
            last = time.monotonic()
            yield sheet, text, None
    row = knob_row(model=start.model, source=start.source, number=start.number, hide=start.hide,
                   count=start.count, seed=start.seed, temperature=start.temperature,
                   label=start.label)
    yield sheet, f"Done: {text}", [save_png("completion", sheet), save_csv("completion", [row])]


def first_knobs(tools: Tools, first) -> dict:
    """`complete_digit`'s arguments as the tab's controls open on the model `first` (no class:
    a validation digit's own)."""
    return dict(FIRST_KNOBS, label=opening_class(first, empty=True))


def create_completion_tab(tools: Tools, look: tuple | None = None) -> None:
    """`look`: the stored first look (its handler's outputs at `first_knobs`), or None."""
    with gr.Tab("Completion", id="tools-complete"):
        first = first_model(tools, "complete", "sample images step by step")
        if first is None:
            return
        k = first_knobs(tools, first)
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "complete", first, "complete-model")
                source = gr.Radio(SOURCE_CHOICES[1:], value=k["source"], label="Digit")
                number = gr.Number(k["number"], precision=0, minimum=0, label="validation index",
                                   info=DATA_HINT)
                hide = gr.Radio(list(completion.MASKS), value=k["hide"], label="Hide",
                                elem_id="complete-hide")
                label = class_dropdown(first, "complete-class",
                                       "Class (a validation digit's own if empty)", empty=True)
                seed, count = number_and_count("Seed", "completions", k["count"], number=k["seed"],
                                               count_first=True)
                temperature = temperature_slider(0.05, value=k["temperature"])
                with gr.Accordion("Drawing (complete my drawing)", open=False):
                    drawing = sketchpad("complete-draw")
                go_ = gr.Button("Complete", variant="primary", elem_id="complete-go")
            with gr.Column(scale=6):
                # without a stored look: a validation digit and pixel-by-pixel sampling cost seconds
                look = ((look[0], f"Shown: validation digit {k['number']}, its {k['hide']} "
                         f"hidden, completed {k['count']} times (seed {k['seed']}). {look[1]}. "
                         "Press Complete to sample again.") if look else (None, None))
                progress = gr.Textbox(look[1], label="Progress", interactive=False,
                                      placeholder="Press Complete: the model fills in the hidden "
                                                  "part, as many times as you ask.",
                                      elem_id="complete-progress")
                sheet = image_out("original | what the model sees (grey = hidden) | completions",
                                  "complete-sheet", 200, look[0])
                files = downloads("complete-files")
    model.input(bind(select_tool_model, tools, "complete", True), model, label,
                api_name="select_complete_model")
    go_.click(bind(complete_digit, tools), [model, source, number, drawing, hide, count, seed,
                                            temperature, label],
              [sheet, progress, files], api_name="complete_digit", concurrency_limit=2)
