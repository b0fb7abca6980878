"""Tools › Nearest neighbours: each sample next to its closest training digits, in pixels and in
the judge classifier's features — a memorisation check."""
from __future__ import annotations

import gradio as gr
import numpy as np

from playground.tools import Tools, neighbours
from playground.tools.export import save_csv, save_png
from playground.ui.common import user_errors
from playground.ui.tools.widgets import (bind, blank, class_dropdown, downloads, first_model, image_out,
                                         knob_row, model_picker, number_and_count, select_tool_model,
                                         temperature_slider, tiles)

COLUMNS = ["sample", "space", "rank", "train index", "label", "distance"]


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


def create_neighbours_tab(tools: Tools) -> None:
    with gr.Tab("Nearest neighbours", id="tools-neighbours"):
        first = first_model(tools, "neighbours",
                            "draw digits like the judge classifier's training digits")
        if first is None:
            return
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "neighbours", first, "nn-model")
                label = class_dropdown(first, "nn-class")
                temperature = temperature_slider(0.05)
                seed, count = number_and_count("Seed", "samples", 4)
                go_ = gr.Button("Find the nearest training digits", variant="primary",
                                elem_id="nn-go")
            with gr.Column(scale=6):
                sheet = image_out("sample | 5 nearest in pixels | 5 nearest in judge features",
                                  "nn-sheet", 300)
                # No first look: the training digits' index costs ~10 s on a fresh machine.
                note = gr.Markdown("Press **Find the nearest training digits**. The first press "
                                   "indexes the training digits (about 10 s, once).",
                                   elem_id="nn-note")
                table = gr.Dataframe(headers=COLUMNS, interactive=False, max_height=260)
                files = downloads("nn-files")
    model.input(bind(select_tool_model, tools, "neighbours", False), model, label,
                api_name="select_neighbours_model")
    go_.click(bind(nearest_neighbours, tools), [model, label, temperature, seed, count],
              [sheet, table, note, files], api_name="nearest_neighbours", concurrency_limit=2)
