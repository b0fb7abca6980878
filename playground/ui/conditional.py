"""Conditional samples: pick a class, a temperature, a seed and a count; see a grid of that class."""
from __future__ import annotations

import gradio as gr

from playground.backend import Backend
from playground.errors import MAX_SAMPLES
from playground.images import grid
from playground.ui.common import (card_markdown, default_model, first_look, knob_controls,
                                  knob_updates, knob_values, opening_knobs, sampling_progress,
                                  user_errors)
from playground.ui.view import Target, given, sampler_knobs
from playground.view import View


def create_conditional_tab(backend: Backend) -> Target | None:
    """The tab; returns what a view sets on it (None when no model fits)."""
    # Image models with a class input; text models have their own tab.
    models = [m for m in backend.models("condition") if not (m.has("text") or m.has("points"))]
    first = default_model(models)
    if first is None:
        return

    @user_errors
    def select_conditional_model(model_id):
        """Pick a conditional model: its card, its classes and its sampler's knobs."""
        info = backend.info(model_id)
        return (card_markdown(info), gr.Radio(choices=list(info.class_names),
                                              value=info.class_names[0]), *knob_updates(info))

    @user_errors
    def sample_class(model_id, label, temperature, seed, count, progress=gr.Progress(), *knobs):
        """`count` samples of class `label` at temperature T, deterministic in `seed`; a diffusion
        model also takes its guidance scale, denoising steps and sampler (a slow sampler reports
        its progress)."""
        images = backend.sample(model_id, count, temperature=temperature, seed=seed, label=label,
                                knobs=knob_values(knobs), progress=sampling_progress(progress, count))
        return grid(images, ncol=min(8, len(images)))

    with gr.Tab("Conditional samples", id="conditional"):
        with gr.Row():
            with gr.Column(scale=4):
                model_dd = gr.Dropdown([m.id for m in models], value=first.id, label="Model",
                                       elem_id="cond-model")
                card = gr.Markdown(card_markdown(first), label="Model card")
                label = gr.Radio(list(first.class_names), value=first.class_names[0], label="Class",
                                 elem_id="cond-class")
                temperature = gr.Slider(0.05, 3.0, value=1.0, step=0.05, label="Temperature T")
                seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="cond-seed")
                count = gr.Slider(1, MAX_SAMPLES, value=16, step=1, label="How many",
                                  elem_id="cond-count")
                knobs = knob_controls(first, "cond")
                go = gr.Button("Sample", variant="primary", elem_id="cond-sample")
            with gr.Column(scale=6):
                out = gr.Image(label="Samples of the chosen class", format="png", interactive=False, height=480,
                               elem_id="cond-grid", elem_classes="pixelated", buttons=["download"],
                               value=first_look(lambda: sample_class(
                                   first.id, first.class_names[0], 1.0, 0, 16, gr.Progress(),
                                   *opening_knobs(first)), "conditional samples"))
    model_dd.input(select_conditional_model, model_dd, [card, label, *knobs],
                   api_name="select_conditional_model")
    go.click(sample_class, [model_dd, label, temperature, seed, count, *knobs], out,
             api_name="sample_class")

    def apply(v: View):
        """A view's model (its card and classes), class, temperature, seed, count, knobs."""
        info = backend.info(v.model) if v.model else None
        model = [info.id, card_markdown(info), gr.Radio(
            choices=list(info.class_names), value=v.label or info.class_names[0])] if info else \
            [gr.skip()] * 3
        return (*model, given(v.t), given(v.seed), given(v.knobs.get("count")),
                *sampler_knobs(v, info))

    return Target(("conditional",), [model_dd, card, label, temperature, seed, count, *knobs],
                  apply)
