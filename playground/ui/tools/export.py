"""Tools › Export a grid: the grid Explore and Conditional sample, as PNG, with its latents, seed
and knobs as CSV."""
from __future__ import annotations

import gradio as gr

from playground.errors import MAX_SAMPLES
from playground.tools import Tools, export
from playground.ui.common import first_look, user_errors
from playground.ui.tools.widgets import (bind, class_dropdown, downloads, first_model, image_out,
                                         knob_row, model_picker, number_and_count, select_tool_model,
                                         temperature_slider, tiles)


@user_errors
def export_grid(tools: Tools, model_id, label, temperature, seed, count):
    """The grid the Explore/Conditional tabs sample for these knobs, as PNG, with its latents
    (when the sampler decodes prior draws), seed and knobs as CSV, one row per sample."""
    r = export.sample_grid(tools, model_id, count=count, seed=seed, temperature=temperature,
                           label=label)
    sheet = tiles(r.images, min(8, len(r.images)))
    rows = [knob_row(sample=i, model=r.model, seed=r.seed, temperature=r.temperature, label=r.label,
                     **(export.latent_columns(r.latents[i]) if r.latents is not None else
                        {"latent": "not exposed by this model's sampler"}))
            for i in range(r.count)]
    return sheet, [export.save_png("grid", sheet), export.save_csv("grid", rows)]


def create_export_tab(tools: Tools) -> None:
    with gr.Tab("Export a grid", id="tools-export"):
        first = first_model(tools, "export", "sample images")
        if first is None:
            return
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "export", first, "export-model")
                label = class_dropdown(first, "export-class")
                temperature = temperature_slider()
                seed, count = number_and_count("Seed", "How many", 64, count_max=MAX_SAMPLES)
                go_ = gr.Button("Sample and export", variant="primary", elem_id="export-go")
            with gr.Column(scale=6):
                look = first_look(lambda: export_grid(tools, first.id, label.value, temperature.value,
                                                      seed.value, count.value),
                                  "export") or (None, None)
                sheet = image_out("Samples", "export-sheet", 400, look[0])
                files = downloads("export-files", look[1])
    model.input(bind(select_tool_model, tools, "export", False), model, label,
                api_name="select_export_model")
    go_.click(bind(export_grid, tools), [model, label, temperature, seed, count], [sheet, files],
              api_name="export_grid")
