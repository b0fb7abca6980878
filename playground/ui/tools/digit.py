"""Tools › Your digit: draw or upload a digit, see what the model encodes and reconstructs, its
latent, its anomaly score among the validation digits, and open its latent in Explore."""
from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from playground.store import SLIDERS
from playground.errors import PlaygroundError
from playground.tools import Tools, digit
from playground.ui.common import user_errors
from playground.ui.tools.widgets import (bind, blank, class_dropdown, example_knobs, example_note,
                                         first_model, image_out, model_picker, select_tool_model,
                                         sketchpad)

GO = "Encode, reconstruct and score"


def latent_figure(z: np.ndarray) -> go.Figure:
    fig = go.Figure(go.Bar(x=[f"z[{i}]" for i in range(len(z))], y=z, marker_color="#4e79a7"))
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=30, b=10), title="Your digit's latent")
    return fig


def anomaly_figure(errors: np.ndarray, mine: float, percentile: float) -> go.Figure:
    fig = go.Figure(go.Histogram(x=errors, nbinsx=50, marker_color="#9aa8d8",
                                 name="validation digits"))
    fig.add_vline(x=mine, line_color="#d62728", line_width=3,
                  annotation_text=f"your digit ({percentile:.1f}th percentile)",
                  annotation_position="top")
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=40, b=10), bargap=0.05,
                      xaxis_title="reconstruction error (mean squared, per pixel)",
                      yaxis_title="validation digits", title=f"Your digit among {len(errors):,} real ones")
    return fig


@user_errors
def reconstruct(tools: Tools, model_id, drawing, label):
    """Encode a drawing (Sketchpad value) or uploaded image and decode it again: the digit that
    was encoded (prepared like the model's data), its reconstruction, its latent (a bar per
    dimension) and the reconstruction error."""
    r = digit.reconstruct(tools, model_id, drawing, label)
    text = (f"Reconstruction error **{r.error:.4f}** (mean squared per pixel). "
            f"{len(r.latent)}-D latent.")
    return r.digit, r.reconstruction, latent_figure(r.latent), text, [float(v) for v in r.latent]


@user_errors
def anomaly(tools: Tools, model_id, drawing, label):
    """Anomaly score of a drawing or upload: its reconstruction error against the errors of the
    validation digits (histogram with a marker), and the most anomalous validation digits
    (original | reconstruction)."""
    r = digit.anomaly(tools, model_id, drawing, label)
    verdict = "unusual for this model" if r.percentile >= 95 else "within the range of real digits"
    text = (f"**Anomaly score: {r.digit.error:.4f}**, higher than **{r.percentile:.1f} %** of the "
            f"validation digits: {verdict}.")
    gallery = [(np.concatenate([a.original, blank(len(a.original), 2), a.reconstruction], 1),
                f"#{a.index} (a {a.label}): error {a.error:.4f}") for a in r.top]
    return anomaly_figure(r.validation_errors, r.digit.error, r.percentile), text, gallery


@user_errors
def send_to_explore(tools: Tools, restore, switch_tab: bool, model_id, latent, label, temperature,
                    seed):
    """Open the digit's latent in the Explore tab: the same model, the sliders at its values
    (raw axes when the latent has at most 12 dims, else the 12 leading principal directions)."""
    if not latent:
        raise PlaygroundError("encode a digit first")
    info = tools.backend.info(model_id)
    mode = "axes" if info.latent_dim <= SLIDERS else "principal"
    values = tools.backend.sliders_for_latent(info.id, latent, mode)
    query = {"model": info.id, "mode": mode, "t": temperature, "seed": seed, "rest": -1,
             "z": ",".join(f"{v:g}" for v in values)}
    if info.has("condition") and label:
        query["class"] = label
    # Explore opens any view a share link describes; this is such a link, built here.
    outputs = restore(SimpleNamespace(query_params=query))
    how = ("exactly" if mode == "axes" else
           f"along its {SLIDERS} leading principal directions (the other "
           f"{info.latent_dim - SLIDERS} at the data's mean), so Explore's digit is close to, "
           "not identical with, the reconstruction")
    note = f"Explore now shows {info.id} with the sliders set {how}."
    return (*outputs, note, *([gr.Tabs(selected="explore")] if switch_tab else []))


def first_knobs(tools: Tools, first) -> dict:
    """`reconstruct`'s and `anomaly`'s arguments as the tab opens on the model `first`: its data's
    example digit (a validation index, drawn on the sketchpad) and the class input's value."""
    return example_knobs(first)


def create_digit_tab(tools: Tools, explore: dict | None = None, tabs=None,
                     look: tuple | None = None, score: tuple | None = None) -> None:
    """`look`, `score`: the stored first looks of `reconstruct` and `anomaly` (the example drawing,
    then the handler's outputs at `first_knobs`), or None: the tab then opens empty."""
    with gr.Tab("Your digit", id="tools-digit"):
        first = first_model(tools, "reconstruct", "both encode and decode images")
        if first is None:
            return
        k = first_knobs(tools, first)
        if look and score:  # the button runs both: the example shows both or neither
            look = (*look[:4], f"{example_note(first, GO)}  \n{look[4]}", *look[5:])
            score = score[1:]   # its drawing is look's
        else:  # without stored looks: the validation digits' errors cost seconds on a fresh start
            look, score = (None,) * 5 + ([],), (None,) * 3
        latent = gr.State(look[5])
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "reconstruct", first, "digit-model")
                label = class_dropdown(first, "digit-class", "The class I drew", value=k["label"])
                drawing = sketchpad("digit-draw", "Draw a digit", 300, look[0])
                go_ = gr.Button(GO, variant="primary", elem_id="digit-go")
                upload = gr.File(label="…or upload a digit image (up to 2 MB)",
                                 file_types=["image"], type="filepath", elem_id="digit-upload")
            with gr.Column(scale=6):
                with gr.Row():
                    encoded = image_out("What was encoded (28x28)", "digit-encoded", 160, look[1])
                    recon = image_out("Reconstruction", "digit-recon", 160, look[2])
                text = gr.Markdown(look[4] or f"Draw a digit on the left (or upload an image) and "
                                   f"press **{GO}**: what the model makes of it, its latent, and "
                                   "how unusual it is among real digits.", elem_id="digit-text")
                latent_plot = gr.Plot(look[3], label="Latent values", elem_id="digit-latent")
                to_explore = gr.Button("Set Explore's sliders to this latent",
                                       elem_id="digit-to-explore", visible=explore is not None)
                explore_note = gr.Markdown(elem_id="digit-explore-note")
                score_text = gr.Markdown(score[1], elem_id="digit-anomaly")
                hist = gr.Plot(score[0], label="Anomaly score", elem_id="digit-hist")
                gallery = gr.Gallery(score[2], label="The most anomalous validation digits "
                                     "(original | reconstruction)", columns=4, height=300,
                                     object_fit="contain", elem_id="digit-gallery")
    model.input(bind(select_tool_model, tools, "reconstruct", False), model, label,
                api_name="select_digit_model")
    rec_out = [encoded, recon, latent_plot, text, latent]
    an_out = [hist, score_text, gallery]
    go_.click(bind(reconstruct, tools), [model, drawing, label], rec_out,
              api_name="reconstruct_drawing")
    go_.click(bind(anomaly, tools), [model, drawing, label], an_out, api_name="anomaly_score")
    upload.upload(bind(reconstruct, tools), [model, upload, label], rec_out,
                  api_name="reconstruct_upload")
    upload.upload(bind(anomaly, tools), [model, upload, label], an_out,
                  api_name="anomaly_score_upload")
    if explore is not None:
        restore, restore_out = explore["restore"]
        to_explore.click(bind(send_to_explore, tools, restore, tabs is not None),
                         [model, latent, label, explore["temperature"], explore["seed"]],
                         [*restore_out, explore_note, *([tabs] if tabs is not None else [])],
                         api_name="send_latent_to_explore")
