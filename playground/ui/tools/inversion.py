"""Tools › Your drawing → its noise: invert a drawing to the noise a diffusion model would turn
into it, regenerate it from that noise (with the error), and decode the same noise as every class:
the style stays, the digit changes. Any conditional model that encodes and decodes fits (a cVAE
keeps its code the same way)."""
from __future__ import annotations

import gradio as gr
import numpy as np

from playground.tools import Tools, inversion
from playground.ui.common import knob_controls, knob_values, opening_knobs, user_errors
from playground.ui.tools.widgets import (bind, class_dropdown, example_knobs, example_note,
                                         first_model, image_out, model_picker, select_tool_model,
                                         sketchpad, tiles)

GO = "Invert, regenerate, change the class"


@user_errors
def invert_drawing(tools: Tools, model_id, drawing, label, *knobs):
    """Invert a drawing or upload with its class to its noise (DDIM inversion for a diffusion
    model), regenerate it from that noise, and decode the same noise as every class. Returns the
    digit as encoded, the noise as a picture (when it is one), the regeneration, a row of every
    class, and a line with the regeneration error."""
    r = inversion.invert(tools, model_id, drawing, label, knob_values(knobs))
    text = (f"Inverted as a **{r.label}** to a {r.latent.size}-D noise; regenerated with mean "
            f"squared error **{r.error:.4f}** per pixel. Below: the same noise decoded as every "
            f"class — the style is kept, the digit changes.")
    noise = r.noise if r.noise is not None else np.full_like(r.digit, 255)
    return r.digit, noise, r.regenerated, tiles(r.classes, len(r.classes)), text


def first_knobs(tools: Tools, first) -> dict:
    """`invert_drawing`'s arguments as the tab opens on the model `first`: its data's example
    digit (a validation index, drawn on the sketchpad), the example's class and the sampler knobs
    by name (the handler takes them in `all_knobs()` order)."""
    return dict(example_knobs(first), **knob_values(opening_knobs(first)))


def create_inversion_tab(tools: Tools, look: tuple | None = None) -> None:
    """`look`: the stored first look (the example drawing, then the handler's outputs at
    `first_knobs`), or None: the tab then opens empty."""
    with gr.Tab("Drawing → noise", id="tools-invert"):
        first = first_model(tools, "invert", "invert a drawing with a class (a conditional "
                                             "model that encodes and decodes)")
        if first is None:
            return
        k = first_knobs(tools, first)
        # without a stored look: DDIM inversion and a row of every class cost ~1 s
        look = ((*look[:5], f"{example_note(first, GO)}  \n{look[5]}") if look else
                (None,) * 5 + (f"Draw a digit on the left, pick its class and press **{GO}** (or "
                               "upload an image).",))
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "invert", first, "invert-model")
                label = class_dropdown(first, "invert-class", "The class I drew", value=k["label"])
                drawing = sketchpad("invert-draw", "Draw a digit", 300, look[0])
                knobs = knob_controls(first, "invert")
                go_ = gr.Button(GO, variant="primary", elem_id="invert-go")
                upload = gr.File(label="…or upload a digit image (up to 2 MB)",
                                 file_types=["image"], type="filepath", elem_id="invert-upload")
            with gr.Column(scale=6):
                with gr.Row():
                    encoded = image_out("Your digit (28x28)", "invert-encoded", 160, look[1])
                    noise = image_out("Its noise x_T", "invert-noise", 160, look[2])
                    regen = image_out("Regenerated from the noise", "invert-regen", 160, look[3])
                text = gr.Markdown(look[5], elem_id="invert-text")
                classes = image_out("The same noise as every class", "invert-classes", 140,
                                    look[4])
    model.input(bind(select_tool_model, tools, "invert", False), model, label,
                api_name="select_invert_model")
    out = [encoded, noise, regen, classes, text]
    go_.click(bind(invert_drawing, tools), [model, drawing, label, *knobs], out,
              api_name="invert_drawing")
    upload.upload(bind(invert_drawing, tools), [model, upload, label, *knobs], out,
                  api_name="invert_upload")
