"""Step by step: watch a sampler work. An autoregressive model writes digits pixel by pixel; a
Markov chain (an RBM under Gibbs sampling) turns noise into digits while its free energy falls."""
from __future__ import annotations

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from playground.backend import Backend
from playground.errors import MAX_CHAIN_STEPS, MAX_STEP_IMAGES
from playground.images import grid
from playground.ui.common import card_markdown, default_model, user_errors


def trace_figure(trace: list[tuple[int, np.ndarray]], name: str) -> go.Figure:
    """Mean ± spread of a per-chain statistic (free energy) against the frame index."""
    steps = [s for s, _ in trace]
    values = np.stack([v for _, v in trace])              # (frames, chains)
    fig = go.Figure()
    for j in range(values.shape[1]):
        fig.add_trace(go.Scatter(x=steps, y=values[:, j], mode="lines", line=dict(width=1),
                                 opacity=0.35, showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=steps, y=values.mean(1), mode="lines", name=f"mean {name}",
                             line=dict(width=3, color="#e4572e")))
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), title=f"{name} per chain",
                      xaxis_title="Gibbs step", yaxis_title=name)
    return fig


def create_steps_tab(backend: Backend) -> None:
    models = backend.models("stepwise")
    first = default_model(models)
    if first is None:
        return

    def controls(info):
        chain = info.ui.chain_steps > 0
        return (card_markdown(info),
                gr.Radio(choices=list(info.class_names), value=(info.class_names or [None])[0],
                         visible=info.has("condition")),
                gr.Slider(visible=chain, value=info.ui.chain_steps or 1000),
                gr.Radio(visible=chain), gr.Number(visible=chain), gr.Plot(visible=chain, value=None))

    @user_errors
    def select_steps_model(model_id):
        """Pick a step-by-step model: autoregressive ones ask for a class, chains for a start."""
        return controls(backend.info(model_id))

    @user_errors
    def sample_steps(model_id, label, temperature, seed, count, steps, start, start_index):
        """Stream the sampler: frames as it goes (rows written, or chain steps), with its
        statistics (free energy per chain for an RBM)."""
        info = backend.info(model_id)
        frames = backend.sample_steps(model_id, count, temperature=temperature, seed=seed,
                                      label=label, steps=steps, start=start, start_index=start_index)
        trace, plot = [], gr.skip()
        every = info.ui.stream_every
        for k, (images, stats) in enumerate(frames):
            step = int(stats.pop("step", [k])[0])
            for name, values in stats.items():
                trace.append((step, values))
                plot = trace_figure(trace, name.replace("_", " "))
            done = (f"Gibbs step {step}" if info.ui.chain_steps else
                    f"{min((k + 1) * every, images[0].size)} of {images[0].size} pixels written")
            yield grid(images, ncol=min(4, len(images))), plot, done

    with gr.Tab("Step by step", id="steps"):
        with gr.Row():
            with gr.Column(scale=4):
                model_dd = gr.Dropdown([m.id for m in models], value=first.id, label="Model",
                                       elem_id="steps-model")
                card = gr.Markdown(card_markdown(first), label="Model card")
                label = gr.Radio(list(first.class_names), value=(first.class_names or [None])[0],
                                 label="Class", visible=first.has("condition"), elem_id="steps-class")
                temperature = gr.Slider(0.0, 3.0, value=1.0, step=0.05, label="Temperature T",
                                        info="autoregressive: logits / T (0 = greedy); "
                                             "chains: β = 1/T")
                with gr.Row():
                    count = gr.Slider(1, MAX_STEP_IMAGES, value=16, step=1, label="How many",
                                      elem_id="steps-count")
                    seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                chain = first.ui.chain_steps > 0
                steps = gr.Slider(0, MAX_CHAIN_STEPS, value=first.ui.chain_steps or 1000, step=10,
                                  label="Gibbs steps", visible=chain)
                start = gr.Radio([("noise", "noise"), ("real digits", "digit")], value="noise",
                                 label="Chains start from", visible=chain)
                start_index = gr.Number(0, precision=0, minimum=0, label="first validation digit",
                                        visible=chain)
                go_btn = gr.Button("Sample step by step", variant="primary", elem_id="steps-run")
            with gr.Column(scale=6):
                progress = gr.Textbox(label="Progress", interactive=False, elem_id="steps-progress")
                image = gr.Image(label="Samples as they are made", format="png", interactive=False,
                                 height=420, elem_classes="pixelated", elem_id="steps-image")
                plot = gr.Plot(label="Chain statistics", visible=chain)
    model_dd.input(select_steps_model, model_dd, [card, label, steps, start, start_index, plot],
                   api_name="select_steps_model")
    go_btn.click(sample_steps, [model_dd, label, temperature, seed, count, steps, start, start_index],
                 [image, plot, progress], api_name="sample_steps", concurrency_limit=2)
