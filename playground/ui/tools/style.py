"""Tools › Class × style: one row per style latent, one column per class of a conditional model."""
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
def style_grid(tools: Tools, model_id, source, number, rows, drawing, label, temperature):
    """A class x style grid for a conditional model: one row per style latent (prior samples
    from seed `number`, encoded validation digits from index `number`, or a drawing encoded
    with `label`), one column per class."""
    r = arithmetic.style_grid(tools, model_id, source, number, drawing, rows=rows, label=label,
                              temperature=temperature)
    sheet = tiles(r.images, len(r.classes))
    csv_rows = [knob_row(row=i, model=r.model, style=str(r.what[i]), classes="|".join(r.classes),
                         **latent_columns(z))
                for i, z in enumerate(r.styles)]
    return sheet, [save_png("style-grid", sheet), save_csv("style-grid", csv_rows)]


def create_style_tab(tools: Tools) -> None:
    with gr.Tab("Class × style", id="tools-style"):
        first = first_model(tools, "style_grid", "decode a latent as a chosen class")
        if first is None:
            return
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "style_grid", first, "style-model")
                source = gr.Radio(SOURCE_CHOICES, value="sample", label="Styles from")
                number, rows = number_and_count("seed / first validation index", "rows (styles)", 6,
                                                hint=DATA_HINT)
                temperature = temperature_slider(label="Temperature of prior samples")
                with gr.Accordion("Drawing (style from my drawing)", open=False):
                    drawing = sketchpad("style-draw")
                    label = class_dropdown(first, "style-class", "The class I drew")
                go_ = gr.Button("Make the grid", variant="primary", elem_id="style-go")
            with gr.Column(scale=6):
                # No first look: six rows of every class from a diffusion model cost ~0.6 s.
                gr.Markdown("Press **Make the grid**: each row is one style (a prior sample, a "
                            "validation digit or your drawing), decoded as every class.",
                            elem_id="style-hint")
                sheet = image_out("rows: style latents · columns: classes", "style-sheet", 360)
                files = downloads("style-files")
    model.input(bind(select_tool_model, tools, "style_grid", False), model, label,
                api_name="select_style_model")
    go_.click(bind(style_grid, tools), [model, source, number, rows, drawing, label, temperature],
              [sheet, files], api_name="style_grid")
