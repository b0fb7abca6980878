"""Tools › Latent arithmetic: z + s·(mean(A) − mean(B)) with the class means of the encoded
training digits, for bases from prior samples, validation digits or a drawing."""
from __future__ import annotations

import gradio as gr

from playground.tools import Tools, arithmetic
from playground.tools.export import latent_columns, save_csv, save_png
from playground.ui.common import user_errors
from playground.ui.tools.widgets import (DATA_HINT, SOURCE_CHOICES, bind, class_dropdown, downloads,
                                         first_model, image_out, knob_row, model_picker,
                                         number_and_count, select_tool_model, sketchpad,
                                         temperature_slider, tiles)


@user_errors
def latent_arithmetic(tools: Tools, model_id, plus, minus, strength, source, number, count, drawing,
                      label, temperature):
    """z + strength·(mean(plus) − mean(minus)) with class means of the encoded training
    digits, for `count` bases z (prior samples from seed `number`, validation digits from index
    `number`, or a drawing); rows: the bases decoded, then the results."""
    r = arithmetic.arithmetic(tools, model_id, plus, minus, source, number, drawing, count=count,
                              strength=strength, label=label, temperature=temperature)
    sheet = tiles(r.images, len(r.bases))
    rows = [knob_row(row=kind, column=i, model=r.model, plus=r.plus, minus=r.minus,
                     strength=r.strength, label=r.label, base=str(r.what[i]), **latent_columns(z))
            for kind, zs in (("base", r.bases), ("result", r.results))
            for i, z in enumerate(zs)]
    files = [save_png("arithmetic", sheet), save_csv("arithmetic", rows)]
    trained_on = len(tools.train_split(tools.backend.info(r.model).dataset)[1])
    note = (f"Top row: the bases. Bottom row: base + {r.strength:g} · (mean({r.plus}) − "
            f"mean({r.minus})), class means over the {trained_on:,} encoded training digits.")
    return tiles(r.mean_images, 2), sheet, files, note


def create_arithmetic_tab(tools: Tools) -> None:
    with gr.Tab("Latent arithmetic", id="tools-arithmetic"):
        first = first_model(tools, "arithmetic", "both encode and decode images")
        if first is None:
            return
        names = tools.class_names(first)
        # 7 − 1 adds the bar of a seven; other data sets start from their last and first class
        plus0, minus0 = ("7", "1") if {"7", "1"} <= set(names) else (names[-1], names[0])
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "arithmetic", first, "arith-model")
                with gr.Row():
                    plus = gr.Dropdown(names, value=plus0, label="+ mean of class",
                                       allow_custom_value=True, elem_id="arith-plus")
                    minus = gr.Dropdown(names, value=minus0, label="− mean of class",
                                        allow_custom_value=True, elem_id="arith-minus")
                strength = gr.Slider(-arithmetic.MAX_STRENGTH, arithmetic.MAX_STRENGTH, value=1.0,
                                     step=0.1, label="strength")
                source = gr.Radio(SOURCE_CHOICES, value="sample", label="Bases z from")
                number, count = number_and_count("seed / first validation index",
                                                 "how many bases", 6, hint=DATA_HINT)
                label = class_dropdown(first, "arith-class", "Decode as class")
                temperature = temperature_slider(label="Temperature of prior samples")
                with gr.Accordion("Drawing (bases from my drawing)", open=False):
                    drawing = sketchpad("arith-draw")
                go_ = gr.Button("Compute", variant="primary", elem_id="arith-go")
            with gr.Column(scale=6):
                means = image_out("mean(+) and mean(−), decoded", "arith-means", 120)
                sheet = image_out("bases (top) and results (bottom)", "arith-sheet")
                # No first look: the class means need every training digit encoded (seconds).
                note = gr.Markdown(f"Press **Compute** to add mean({plus0}) − mean({minus0}) to "
                                   f"{count.value} prior samples. The first press encodes the "
                                   "training digits for the class means (a few seconds, once).",
                                   elem_id="arith-note")
                files = downloads("arith-files")
    model.input(bind(select_tool_model, tools, "arithmetic", False), model, label,
                api_name="select_arithmetic_model")
    go_.click(bind(latent_arithmetic, tools), [model, plus, minus, strength, source, number, count,
                                               drawing, label, temperature],
              [means, sheet, files, note], api_name="latent_arithmetic")
