"""Tools › Nearest neighbours: each sample next to its closest training digits, in pixels and in
the judge classifier's features — a memorisation check."""
from __future__ import annotations

import gradio as gr
import numpy as np

from playground.tools import Tools, neighbours
from playground.tools.export import save_csv, save_png
from playground.ui.common import user_errors
from playground.ui.tools.widgets import (bind, blank, class_dropdown, downloads, first_model, image_out,
                                         knob_row, model_picker, number_and_count, opening_class,
                                         select_tool_model, temperature_slider, tiles)

COLUMNS = ["sample", "space", "rank", "train index", "label", "distance"]
# The controls' opening values, also those of the stored first look (playground/ui/tools/
# first_look.py), which the tab shows only while they are these.
FIRST_KNOBS = dict(temperature=1.0, seed=0, count=4)


@user_errors
def nearest_neighbours(tools: Tools, model_id, label, temperature, seed, count,
                       progress=gr.Progress()):
    """`count` samples (seed, temperature, class as in the other tabs) and each one's 5 nearest
    training digits in pixel space and in the judge classifier's feature space, with
    distances: a memorisation check."""
    # The first request of a fresh machine computes the judge features of 5,000 digits (~10 s).
    progress(0.1, desc="indexing the training digits (once; later requests reuse it)")
    neighbours.training_index(tools)
    r = neighbours.neighbours(tools, model_id, count=count, seed=seed, temperature=temperature,
                              label=label)
    k, gap = neighbours.NEIGHBOURS, blank(*r.samples.shape[1:])[None]
    rows, table = [], []
    for i, sample in enumerate(r.samples):
        rows += [sample[None], gap, r.pixel.images[i * k:(i + 1) * k], gap,
                 r.judge.images[i * k:(i + 1) * k]]
        for space, found in (("pixel", r.pixel), ("judge", r.judge)):
            for j in range(k):
                table.append([i, space, j + 1, int(found.index[i, j]), int(found.labels[i, j]),
                              round(float(found.distance[i, j]), 3)])
    sheet = tiles(np.concatenate(rows), 2 * k + 3)
    base = r.baseline
    closest = {"pixel": float(r.pixel.distance[:, 0].min()),
               "judge": float(r.judge.distance[:, 0].min())}
    note = (f"Each row: the sample | its {k} nearest training digits in pixel space | in judge "
            f"space. For scale: an unseen validation digit's nearest training digit is at a "
            f"median distance of **{base['pixel']:.2f}** (pixels) and **{base['judge']:.2f}** "
            f"(judge). Closest here: {closest['pixel']:.2f} and {closest['judge']:.2f}"
            + (" — far below: look for copies." if closest["pixel"] < 0.5 * base["pixel"] else "."))
    csv_rows = [dict(zip(["sample", "space", "rank", "train_index", "train_label", "distance"], row),
                     model=r.model, seed=r.seed, temperature=r.temperature, **knob_row(label=r.label))
                for row in table]
    files = [save_png("neighbours", sheet), save_csv("neighbours", csv_rows)]
    return sheet, table, note, files


def first_knobs(tools: Tools, first) -> dict:
    """`nearest_neighbours`'s arguments as the tab's controls open on the model `first`."""
    return dict(FIRST_KNOBS, label=opening_class(first))


def create_neighbours_tab(tools: Tools, look: tuple | None = None) -> None:
    """`look`: the stored first look (its handler's outputs at `first_knobs`), or None."""
    with gr.Tab("Nearest neighbours", id="tools-neighbours"):
        first = first_model(tools, "neighbours",
                            "draw digits like the judge classifier's training digits")
        if first is None:
            return
        k = first_knobs(tools, first)
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "neighbours", first, "nn-model")
                label = class_dropdown(first, "nn-class")
                temperature = temperature_slider(0.05, value=k["temperature"])
                seed, count = number_and_count("Seed", "samples", k["count"], number=k["seed"])
                go_ = gr.Button("Find the nearest training digits", variant="primary",
                                elem_id="nn-go")
            with gr.Column(scale=6):
                if look:
                    look = (look[0], look[1], f"Shown: {k['count']} samples of {first.id} (seed "
                            f"{k['seed']}). Press **Find the nearest training digits** for other "
                            f"knobs.  \n{look[2]}")
                else:  # the training digits' index costs ~10 s on a fresh machine
                    look = (None, None, "Press **Find the nearest training digits**. The first "
                            "press indexes the training digits (about 10 s, once).")
                sheet = image_out("sample | 5 nearest in pixels | 5 nearest in judge features",
                                  "nn-sheet", 300, look[0])
                note = gr.Markdown(look[2], elem_id="nn-note")
                table = gr.Dataframe(look[1], headers=COLUMNS, interactive=False, max_height=260)
                files = downloads("nn-files")
    model.input(bind(select_tool_model, tools, "neighbours", False), model, label,
                api_name="select_neighbours_model")
    go_.click(bind(nearest_neighbours, tools), [model, label, temperature, seed, count],
              [sheet, table, note, files], api_name="nearest_neighbours", concurrency_limit=2)
