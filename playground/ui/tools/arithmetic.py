"""Tools › Latent arithmetic: z + s·(mean(A) − mean(B)) with the class means of the encoded
training digits, for bases from prior samples, validation digits or a drawing."""
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
FIRST_KNOBS = dict(strength=1.0, source="sample", number=0, count=6, drawing=None, temperature=1.0)


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


def first_knobs(tools: Tools, first) -> dict:
    """`latent_arithmetic`'s arguments as the tab's controls open on the model `first`."""
    names = tools.class_names(first)
    # 7 − 1 adds the bar of a seven; other data sets start from their last and first class
    plus, minus = ("7", "1") if {"7", "1"} <= set(names) else (names[-1], names[0])
    return dict(FIRST_KNOBS, plus=plus, minus=minus, label=opening_class(first))


def create_arithmetic_tab(tools: Tools, look: tuple | None = None) -> None:
    """`look`: the stored first look (its handler's outputs at `first_knobs`), or None."""
    with gr.Tab("Latent arithmetic", id="tools-arithmetic"):
        first = first_model(tools, "arithmetic", "both encode and decode images")
        if first is None:
            return
        names, k = tools.class_names(first), first_knobs(tools, first)
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "arithmetic", first, "arith-model")
                with gr.Row():
                    plus = gr.Dropdown(names, value=k["plus"], label="+ mean of class",
                                       allow_custom_value=True, elem_id="arith-plus")
                    minus = gr.Dropdown(names, value=k["minus"], label="− mean of class",
                                        allow_custom_value=True, elem_id="arith-minus")
                strength = gr.Slider(-arithmetic.MAX_STRENGTH, arithmetic.MAX_STRENGTH,
                                     value=k["strength"], step=0.1, label="strength")
                source = gr.Radio(SOURCE_CHOICES, value=k["source"], label="Bases z from")
                number, count = number_and_count("seed / first validation index",
                                                 "how many bases", k["count"], number=k["number"],
                                                 hint=DATA_HINT)
                label = class_dropdown(first, "arith-class", "Decode as class")
                temperature = temperature_slider(label="Temperature of prior samples",
                                                 value=k["temperature"])
                with gr.Accordion("Drawing (bases from my drawing)", open=False):
                    drawing = sketchpad("arith-draw")
                go_ = gr.Button("Compute", variant="primary", elem_id="arith-go")
            with gr.Column(scale=6):
                what = (f"mean({k['plus']}) − mean({k['minus']}) added to {k['count']} prior "
                        f"samples (seed {k['number']})")
                if look:
                    look = (*look[:3], f"Shown: {what}. Press **Compute** for other knobs.  \n"
                                       f"{look[3]}")
                else:  # the class means need every training digit encoded: seconds
                    look = (None, None, None,
                            f"Press **Compute** to see {what}. The first press encodes the "
                            "training digits for the class means (a few seconds, once).")
                means = image_out("mean(+) and mean(−), decoded", "arith-means", 120, look[0])
                sheet = image_out("bases (top) and results (bottom)", "arith-sheet", value=look[1])
                note = gr.Markdown(look[3], elem_id="arith-note")
                files = downloads("arith-files")
    model.input(bind(select_tool_model, tools, "arithmetic", False), model, label,
                api_name="select_arithmetic_model")
    go_.click(bind(latent_arithmetic, tools), [model, plus, minus, strength, source, number, count,
                                               drawing, label, temperature],
              [means, sheet, files, note], api_name="latent_arithmetic")
