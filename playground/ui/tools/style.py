"""Tools › Class × style: one row per style latent, one column per class of a conditional model."""
from __future__ import annotations

import gradio as gr

from playground.tools import Tools, arithmetic
from playground.tools.export import latent_columns, save_csv, save_png
from playground.ui.common import user_errors
from playground.ui.tools.widgets import (DATA_HINT, SOURCE_CHOICES, bind, class_dropdown, downloads,
                                         first_model, image_out, knob_row, model_picker,
                                         number_and_count, opening_class, select_tool_model,
                                         sketchpad, temperature_slider, tiles)

# The controls' opening values, also those of the stored first look (playground/ui/tools/
# first_look.py), which the tab shows only while they are these.
FIRST_KNOBS = dict(source="sample", number=0, rows=6, drawing=None, temperature=1.0)


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


def first_knobs(tools: Tools, first) -> dict:
    """`style_grid`'s arguments as the tab's controls open on the model `first`."""
    return dict(FIRST_KNOBS, label=opening_class(first))


def create_style_tab(tools: Tools, look: tuple | None = None) -> None:
    """`look`: the stored first look (its handler's outputs at `first_knobs`), or None."""
    with gr.Tab("Class × style", id="tools-style"):
        first = first_model(tools, "style_grid", "decode a latent as a chosen class")
        if first is None:
            return
        k = first_knobs(tools, first)
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "style_grid", first, "style-model")
                source = gr.Radio(SOURCE_CHOICES, value=k["source"], label="Styles from")
                number, rows = number_and_count("seed / first validation index", "rows (styles)",
                                                k["rows"], number=k["number"], hint=DATA_HINT)
                temperature = temperature_slider(label="Temperature of prior samples",
                                                 value=k["temperature"])
                with gr.Accordion("Drawing (style from my drawing)", open=False):
                    drawing = sketchpad("style-draw")
                    label = class_dropdown(first, "style-class", "The class I drew")
                go_ = gr.Button("Make the grid", variant="primary", elem_id="style-go")
            with gr.Column(scale=6):
                # without a stored look: six rows of every class from a diffusion model cost ~0.6 s
                look = look or (None,)
                # a fixed note (the handler returns no text): "opens on" stays true after a press
                gr.Markdown("Each row is one style (a prior sample, a validation digit or your "
                            "drawing), decoded as every class" +
                            (f"; the grid opens on {k['rows']} prior samples (seed {k['number']}). "
                             "Press **Make the grid** for others." if look[0] is not None else
                             ". Press **Make the grid**."), elem_id="style-hint")
                sheet = image_out("rows: style latents · columns: classes", "style-sheet", 360,
                                  look[0])
                files = downloads("style-files")
    model.input(bind(select_tool_model, tools, "style_grid", False), model, label,
                api_name="select_style_model")
    go_.click(bind(style_grid, tools), [model, source, number, rows, drawing, label, temperature],
              [sheet, files], api_name="style_grid")
