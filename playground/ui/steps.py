"""Step by step: watch a sampler work. An autoregressive model writes digits pixel by pixel; a
Markov chain (an RBM under Gibbs sampling) turns noise into digits while its free energy falls; a
diffusion model denoises, showing x_t beside its guess of x_0 at every step, and a latent diffusion
model's x_t is drawn as a path on a map of real digits' latents (capability "path"). A scrubber
goes back and forth over the frames of the last run."""
from __future__ import annotations

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from playground.backend import Backend
from playground.errors import MAX_CHAIN_STEPS, MAX_STEP_IMAGES, PlaygroundError, check_int
from playground.images import grid
from playground.ui.common import (card_markdown, default_model, first_look, knob_controls,
                                  knob_updates, knob_values, opening_knobs, user_errors)
from playground.ui.plots import map_figure
from playground.ui.view import Target, given, sampler_knobs
from playground.view import View

MAX_KEPT_FRAMES = 100   # frames the scrubber keeps per session (~30 KB each; longer runs are thinned)


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
                      xaxis_title="step", yaxis_title=name)
    return fig


def path_figure(pmap: dict, states: list[np.ndarray], class_names, title: str) -> go.Figure:
    """The map of real digits' latents (validation digits on the two directions that best
    separate their classes) with each sample's path so far: states (steps, n, D) projected the
    same way, a ring at the current x_t."""
    fig = map_figure(pmap["points"], pmap["labels"], class_names, title=title, revision="path")
    xy = (np.stack(states) - pmap["mean"]) @ pmap["components"].T          # (steps, n, 2)
    xs = [v for j in range(xy.shape[1]) for v in (*xy[:, j, 0], None)]
    ys = [v for j in range(xy.shape[1]) for v in (*xy[:, j, 1], None)]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="paths from noise",
                             line=dict(width=1.5, color="#111111"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=xy[-1, :, 0], y=xy[-1, :, 1], mode="markers", name="x_t now",
                             marker=dict(size=9, color="#111111", symbol="circle-open",
                                         line=dict(width=2)),
                             customdata=np.arange(1, xy.shape[1] + 1),
                             hovertemplate="sample %{customdata}<extra></extra>"))
    e1, e2 = pmap["explained"]
    fig.update_xaxes(title=f"discriminant direction 1 of real digits' latents ({e1:.0%})")
    fig.update_yaxes(title=f"direction 2 ({e2:.0%})")
    fig.update_layout(height=460)
    return fig


def create_steps_tab(backend: Backend) -> Target | None:
    """The tab; returns what a view sets on it (None when no step-by-step model)."""
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
                gr.Radio(visible=chain), gr.Number(visible=chain),
                gr.Plot(visible=has_stats(info), value=None),
                gr.Plot(visible=info.has("path"), value=None), *knob_updates(info))

    def has_stats(info) -> bool:
        return info.ui.chain_steps > 0 or bool(info.ui.panels)

    def progress_line(info, k, step, images) -> str:
        if info.ui.chain_steps:
            return f"Gibbs step {step}"
        if info.ui.panels:
            left, right = info.ui.panels[0], info.ui.panels[-1]
            return f"step {k + 1}, noise level t = {step}: each pair is {left} | {right}"
        every = info.ui.stream_every
        return f"{min((k + 1) * every, images[0].size)} of {images[0].size} pixels written"

    @user_errors
    def select_steps_model(model_id):
        """Pick a step-by-step model: autoregressive ones ask for a class, chains for a start."""
        return controls(backend.info(model_id))

    @user_errors
    def sample_steps(model_id, label, temperature, seed, count, steps, start, start_index, *knobs):
        """Stream the sampler: frames as it goes (rows written, chain steps, or denoising steps
        with x_t beside the guess of x_0), with its statistics (free energy per chain for an RBM,
        how much the guess of x_0 still changes for a diffusion model) and, for a latent
        diffusion model, each sample's path on a map of real digits' latents (last output). The
        frames are kept for the scrubber (`show_frame`)."""
        info = backend.info(model_id)
        frames = backend.sample_steps(model_id, count, temperature=temperature, seed=seed,
                                      label=label, steps=steps, start=start,
                                      start_index=start_index, knobs=knob_values(knobs))
        pmap = backend.path_map(info.id) if info.has("path") else None
        trace, plot, path, states, kept = [], gr.skip(), gr.skip(), [], []
        for k, (images, stats) in enumerate(frames):
            step = int(stats.pop("step", [k])[0])
            if "state" in stats:
                states.append(stats.pop("state"))
                path = path_figure(pmap, states, info.class_names,
                                   f"x_t moving onto real digits' latents · t = {step}")
            for name, values in stats.items():
                trace.append((step, values))
                plot = trace_figure(trace, name.replace("_", " "))
            done = progress_line(info, k, step, images)
            picture = grid(images, ncol=min(4, len(images)))
            kept.append((picture, done))
            yield picture, plot, done, gr.skip(), gr.skip(), path
        if not kept:
            return
        # The last frame again, with the frames for the scrubber.
        thin = kept[::-(-len(kept) // MAX_KEPT_FRAMES)][:MAX_KEPT_FRAMES - 1] + kept[-1:]
        yield kept[-1][0], plot, kept[-1][1], thin, gr.Slider(
            0, len(thin) - 1, value=len(thin) - 1, step=1, visible=len(thin) > 1), path

    @user_errors
    def show_frame(kept, index):
        """Scrub the last run: frame `index` (0 = the first step) and its progress line."""
        if not kept:
            raise PlaygroundError("nothing to scrub yet: press 'Sample step by step' first")
        i = check_int(index, "frame", 0, len(kept) - 1)
        return kept[i][0], kept[i][1]

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
                knobs = knob_controls(first, "steps")
                go_btn = gr.Button("Sample step by step", variant="primary", elem_id="steps-run")
            with gr.Column(scale=6):
                # first look: the default run's last frame, statistics, path and scrubber
                look = first_look(lambda: list(sample_steps(
                    first.id, (first.class_names or [None])[0], 1.0, 0, 16,
                    first.ui.chain_steps or 1000, "noise", 0,
                    *opening_knobs(first)))[-1], "step by step")
                picture, stats, done, frames, _, path = look or (None,) * 6
                progress = gr.Textbox(done, label="Progress", interactive=False,
                                      elem_id="steps-progress")
                image = gr.Image(picture, label="Samples as they are made", format="png",
                                 interactive=False, height=420, elem_classes="pixelated",
                                 elem_id="steps-image")
                n = len(frames) if frames else 0
                scrub = gr.Slider(0, max(1, n - 1), value=max(0, n - 1), step=1,
                                  label="Frame (scrub back and forth)", visible=n > 1,
                                  elem_id="steps-scrub")
                figure = lambda v: v if isinstance(v, go.Figure) else None  # noqa: E731 (not a skip)
                plot = gr.Plot(figure(stats), label="Sampler statistics", visible=has_stats(first))
                path_plot = gr.Plot(figure(path), label="Latent map: each sample's path from noise",
                                    visible=first.has("path"), elem_id="steps-path")
                kept = gr.State(frames or [])
    model_dd.input(select_steps_model, model_dd,
                   [card, label, steps, start, start_index, plot, path_plot, *knobs],
                   api_name="select_steps_model")
    go_btn.click(sample_steps, [model_dd, label, temperature, seed, count, steps, start,
                                start_index, *knobs],
                 [image, plot, progress, kept, scrub, path_plot], api_name="sample_steps",
                 concurrency_limit=2)
    scrub.input(show_frame, [kept, scrub], [image, progress], api_name="show_frame",
                show_progress="hidden")

    def apply(v: View):
        """A view's model (its controls, as picking it), class, temperature, seed, knobs."""
        info = backend.info(v.model) if v.model else None
        if info is None:
            model = [gr.skip()] * (8 + len(knobs))
        else:
            model = [info.id, *controls(info)]
            if v.label is not None:
                model[2] = gr.Radio(choices=list(info.class_names), value=v.label, visible=True)
        n = len(knobs)
        return (*model[:len(model) - n], *sampler_knobs(v, info), given(v.t), given(v.seed))

    return Target(("steps",), [model_dd, card, label, steps, start, start_index, plot, path_plot,
                               *knobs, temperature, seed], apply)
