"""Tools › Interpolate: frames between two endpoints by lerp or slerp, with the likelihood and the
latent norm along both paths, as a strip (images) or a path plot (points), GIF/PNG/CSV."""
from __future__ import annotations

import gradio as gr
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground.tools import Tools, interpolation
from playground.tools.export import latent_columns, save_csv, save_gif, save_png, strip
from playground.ui.common import first_look, user_errors
from playground.ui.tools.widgets import (DATA_HINT, SOURCE_CHOICES, bind, class_dropdown, downloads,
                                         first_model, image_out, knob_row, model_picker, select_tool_model,
                                         sketchpad, temperature_slider)

COLOURS = {"lerp": "#e4572e", "slerp": "#4e79a7"}


def path_figure(r: interpolation.Interpolation) -> go.Figure:
    """Likelihood (when the model has one) and latent norm along both paths; the chosen one bold."""
    rows = 2 if r.likelihood_name else 1
    titles = ([r.likelihood_name] if rows == 2 else []) + ["latent norm |z|"]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.12)
    for name, c in r.curves.items():
        width = 4 if name == r.method else 2
        if rows == 2:
            fig.add_trace(go.Scatter(x=r.t, y=c.likelihood, name=name, mode="lines+markers",
                                     line=dict(color=COLOURS[name], width=width)), row=1, col=1)
        fig.add_trace(go.Scatter(x=r.t, y=c.norm, name=name, mode="lines+markers",
                                 showlegend=rows == 1, line=dict(color=COLOURS[name], width=width)),
                      row=rows, col=1)
    fig.add_hline(y=r.typical_norm, line_dash="dot", line_color="#888", row=rows, col=1,
                  annotation_text=f"typical prior sample √D·T = {r.typical_norm:.2f}",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="t (fraction of the way from A to B)", row=rows, col=1)
    fig.update_layout(height=220 * rows + 80, margin=dict(l=10, r=10, t=70, b=10),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig


def points_figure(r: interpolation.Interpolation) -> go.Figure:
    """A point model's path in data space, over samples from the model."""
    fig = go.Figure(go.Scattergl(x=r.cloud[:, 0], y=r.cloud[:, 1], mode="markers",
                                 marker=dict(size=3, color="#6b7fd7", opacity=0.35), name="samples"))
    p = r.frames
    fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines+markers+text", name=r.method,
                             text=[str(i) for i in range(len(p))], textposition="top center",
                             line=dict(color=COLOURS[r.method], width=3)))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10),
                      title=f"{r.method} path decoded into data space")
    fig.update_yaxes(scaleanchor="x")
    return fig


def describe(endpoint: dict) -> str:
    if endpoint["source"] == "sample":
        return f"prior sample (seed {endpoint['seed']})"
    if endpoint["source"] == "data":
        return f"validation item #{endpoint['index']} (label {endpoint['label']})"
    return "your drawing"


@user_errors
def interpolate(tools: Tools, model_id, method, steps, label, temperature, src_a, num_a, draw_a,
                src_b, num_b, draw_b):
    """Interpolate between endpoints A and B (each a prior sample by seed, a validation item by
    index, or a drawing) by lerp or slerp in `steps` frames; returns the strip (images) or a
    path plot (points), the likelihood/norm curves of both methods, and GIF/PNG/CSV files."""
    r = interpolation.interpolate(tools, model_id, (src_a, num_a, draw_a), (src_b, num_b, draw_b),
                                  method=method, steps=steps, label=label, temperature=temperature)
    scores = r.curves[r.method].likelihood
    rows = [knob_row(frame=i, t=round(float(t), 6), method=r.method, model=r.model,
                     temperature=r.temperature, label=r.label,
                     endpoint_a=str(r.endpoints[0]), endpoint_b=str(r.endpoints[1]),
                     likelihood=None if scores is None else round(float(scores[i]), 4),
                     **({"x": float(r.frames[i][0]), "y": float(r.frames[i][1])} if r.points else {}),
                     **latent_columns(z))
            for i, (t, z) in enumerate(zip(r.t, r.latents))]
    files = [save_csv("interpolation", rows)]
    if r.points:
        sheet, plot = gr.Image(value=None, visible=False), gr.Plot(points_figure(r), visible=True)
    else:
        sheet = gr.Image(value=strip(r.frames), visible=True)
        plot = gr.Plot(value=None, visible=False)
        files = [save_gif("interpolation", r.frames), save_png("interpolation", strip(r.frames))] + files
    return sheet, plot, path_figure(r), files, summary(r)


def summary(r: interpolation.Interpolation) -> str:
    ends = " → ".join(describe(e) for e in r.endpoints)
    return (f"**{r.model}**, {r.method}, {r.steps} frames: {ends}. The lower plot shows why "
            "slerp exists: a straight line between two typical latents passes closer to the "
            "origin than any typical sample.")


def first_interpolation(tools: Tools, model_id: str) -> tuple:
    """The tab's first look: what "Interpolate" gives at the tab's defaults (slerp between the
    prior samples of seeds 0 and 1, 10 frames): (strip, curves figure, note). Prior samples, not
    validation digits: loading the digits would add ~3 s to every start."""
    r = interpolation.interpolate(tools, model_id, ("sample", 0, None), ("sample", 1, None),
                                  method="slerp", steps=10, label=None, temperature=1.0)
    return (None if r.points else strip(r.frames)), path_figure(r), summary(r)


def create_interpolation_tab(tools: Tools) -> None:
    with gr.Tab("Interpolate", id="tools-interpolate"):
        first = first_model(tools, "interpolate", "decode a latent")
        if first is None:
            return
        with gr.Row():
            with gr.Column(scale=4):
                model = model_picker(tools, "interpolate", first, "interp-model")
                label = class_dropdown(first, "interp-class")
                with gr.Row():
                    method = gr.Radio(["lerp", "slerp"], value="slerp", label="Interpolation",
                                      elem_id="interp-method")
                    steps = gr.Slider(2, interpolation.MAX_STEPS, value=10, step=1, label="Frames",
                                      elem_id="interp-steps")
                temperature = temperature_slider(label="Temperature of prior samples")
                ends = []
                for name, seed0 in (("A", 0), ("B", 1)):
                    with gr.Group():
                        src = gr.Radio(SOURCE_CHOICES, value="sample", label=f"Endpoint {name}",
                                       elem_id=f"interp-source-{name.lower()}")
                        num = gr.Number(seed0, precision=0, minimum=0,
                                        label="seed / validation index", info=DATA_HINT,
                                        elem_id=f"interp-number-{name.lower()}")
                    ends.append((src, num))
                with gr.Accordion("Drawings for endpoints A and B", open=False):
                    with gr.Row():
                        draw_a = sketchpad("interp-draw-a", "A", 200)
                        draw_b = sketchpad("interp-draw-b", "B", 200)
                go_ = gr.Button("Interpolate", variant="primary", elem_id="interp-go")
            with gr.Column(scale=6):
                look = first_look(lambda: first_interpolation(tools, first.id),
                                  "interpolation") or (None, None, "")
                sheet = image_out("Frames from A to B", "interp-strip", 140, look[0])
                points = gr.Plot(label="Path in data space", visible=False)
                curves = gr.Plot(look[1], label="Along the path: lerp vs slerp",
                                 elem_id="interp-curves")
                note = gr.Markdown(look[2])
                files = downloads("interp-files")
    model.input(bind(select_tool_model, tools, "interpolate", False), model, label,
                api_name="select_interpolate_model")
    go_.click(bind(interpolate, tools), [model, method, steps, label, temperature, ends[0][0],
                                         ends[0][1], draw_a, ends[1][0], ends[1][1], draw_b],
              [sheet, points, curves, files, note], api_name="interpolate")
