"""Explore latent space: a slider per latent dimension (or principal direction), live decoding,
temperature and seed, and a grid of samples."""
from __future__ import annotations

import gradio as gr
import numpy as np

from playground.backend import SLIDERS, Backend
from playground.ui.common import card_markdown, upscale, user_errors
from playground.ui.plots import flow_figure

MODES = [("latent axes", "axes"), ("principal directions of the data", "principal")]
DEFAULT_MODEL = "vae-mnist-2d"  # the simplest picture: the latent plane is the map
GRID = 64
CLOUD = 1000  # prior samples drawn behind the current point of a 2-D point model


def skip_none(*outputs):
    """Leave an output untouched (no transfer, no repaint) where there is nothing for it."""
    return tuple(gr.skip() if o is None else o for o in outputs)


def slider_label(mode: str, i: int) -> str:
    return f"z[{i}]" if mode == "axes" else f"PC {i + 1} (in σ)"


def create_explore_tab(backend: Backend) -> None:
    models = backend.models("decode")
    first = next((m for m in models if m.id == DEFAULT_MODEL), models[0])

    def render(model_id, mode, label, rest_seed, temperature, seed, values):
        """Decoded output for slider values: (image, None) or (None, plot)."""
        info = backend.info(model_id)
        z = backend.latent_from_sliders(model_id, values, mode=mode, rest_seed=rest_seed,
                                        temperature=temperature)
        if not info.has("points"):
            return upscale(backend.decode(model_id, z, label)), None
        zc = backend.prior_samples(model_id, CLOUD, temperature=temperature, seed=seed)
        return None, flow_figure(zc, backend.decode(model_id, zc), z,
                                      backend.decode(model_id, z)[0])

    def slider_updates(info, mode, values=None):
        r, k = info.slider_range, info.slider_count
        values = list(values or []) + [0.0] * SLIDERS
        return [gr.Slider(minimum=-r, maximum=r, value=values[i] if i < k else 0,
                          label=slider_label(mode, i), visible=i < k) for i in range(SLIDERS)]

    @user_errors
    def select_model(model_id, mode, temperature, seed):
        """Pick a model: its card, one slider per latent dimension (up to 12), the decoded origin."""
        info = backend.info(model_id)
        label = info.class_names[0] if info.has("condition") else None
        image, plot = render(model_id, mode, label, -1, temperature, seed, [0.0] * info.slider_count)
        more = info.latent_dim - info.slider_count
        return (card_markdown(info),
                gr.Dropdown(choices=list(info.class_names), value=label, visible=info.has("condition")),
                *slider_updates(info, mode),
                gr.Number(value=-1, visible=more > 0, label=f"seed of the other {more} dims (-1: all 0)"),
                gr.Button(visible=more > 0),
                gr.Image(value=image, visible=not info.has("points")),
                gr.Plot(value=plot, visible=info.has("points")),
                gr.Image(value=None, visible=not info.has("points")),
                gr.Plot(value=None, visible=info.has("points")))

    @user_errors
    def decode(model_id, mode, label, rest_seed, temperature, seed, *values):
        """Decode the latent the sliders describe (values are raw latent coordinates in 'axes'
        mode, steps along principal directions in σ units in 'principal' mode)."""
        k = backend.info(model_id).slider_count
        return skip_none(*render(model_id, mode, label, rest_seed, temperature, seed, values[:k]))

    @user_errors
    def random_latent(model_id, mode, label, temperature, seed):
        """Set the sliders to a draw from N(0, T²) with this seed (the other dims too), and decode."""
        info = backend.info(model_id)
        z = backend.random_latent(model_id, seed=seed, temperature=temperature)
        r, k = info.slider_range, info.slider_count
        values = [round(float(np.clip(v, -r, r)), 2) for v in z[:k]]
        rest = int(seed) if info.latent_dim > k else -1
        return (*(values + [0.0] * (SLIDERS - k)), rest,
                *skip_none(*render(model_id, mode, label, rest, temperature, seed, values)))

    @user_errors
    def reset(model_id, mode, temperature, seed):
        """Sliders back to the origin (the mean of the data in 'principal' mode), rest to 0."""
        info = backend.info(model_id)
        return (*slider_updates(info, mode), -1,
                *skip_none(*render(model_id, mode, info.class_names[0] if info.has("condition") else None,
                                   -1, temperature, seed, [0.0] * info.slider_count)))

    @user_errors
    def randomise_rest(rest_seed, seed):
        """A new seed for the dimensions beyond the sliders (shown, so the view is reproducible)."""
        return int(rest_seed) + 1 if rest_seed is not None and rest_seed >= 0 else int(seed)

    @user_errors
    def sample_grid(model_id, label, temperature, seed):
        """64 samples from the prior at this temperature and seed (a point cloud for 2-D models)."""
        info = backend.info(model_id)
        if info.has("points"):
            zc = backend.prior_samples(model_id, 2000, temperature=temperature, seed=seed)
            return gr.skip(), flow_figure(zc, backend.decode(model_id, zc),
                                          title=f"2,000 samples at T={temperature:g}")
        from playground.backend import grid
        images = backend.sample(model_id, GRID, temperature=temperature, seed=seed, label=label)
        return upscale(grid(images, ncol=8), size=480), gr.skip()

    with gr.Tab("Explore latent space", id="explore"):
        with gr.Row():
            with gr.Column(scale=5):
                model_dd = gr.Dropdown([m.id for m in models], value=first.id, label="Model",
                                       elem_id="explore-model")
                card = gr.Markdown(card_markdown(first), elem_id="explore-card")
                mode = gr.Radio(MODES, value="axes", label="Sliders move along", elem_id="explore-mode")
                class_dd = gr.Dropdown(list(first.class_names), value=(first.class_names or [None])[0],
                                       label="Class", visible=first.has("condition"),
                                       allow_custom_value=True)  # choices change per model: the backend validates
                with gr.Column(elem_classes="latent-sliders"):
                    r = first.slider_range
                    sliders = [gr.Slider(-r, r, value=0, step=0.01, label=slider_label("axes", i),
                                         visible=i < first.slider_count, elem_id=f"slider-{i}")
                               for i in range(SLIDERS)]
                more = first.latent_dim - first.slider_count
                rest_seed = gr.Number(-1, precision=0, visible=more > 0, minimum=-1,
                                      label=f"seed of the other {more} dims (-1: all 0)")
                with gr.Row():
                    random_btn = gr.Button("Random latent", elem_id="random-latent")
                    reset_btn = gr.Button("Reset", elem_id="reset-latent")
                    rest_btn = gr.Button("Randomise the rest", visible=more > 0)
            with gr.Column(scale=5):
                z0 = [0.0] * first.slider_count
                image0, plot0 = render(first.id, "axes", (first.class_names or [None])[0], -1, 1.0, 0, z0)
                image = gr.Image(value=image0, label="Decoded",
                                 format="png", height=300, interactive=False, elem_id="decoded",
                                 elem_classes="pixelated", buttons=["download"],
                                 visible=not first.has("points"))
                plot = gr.Plot(value=plot0, label="Latent and data space",
                               visible=first.has("points"), elem_id="decoded-plot")
                with gr.Row():
                    temperature = gr.Slider(0.0, 3.0, value=1.0, step=0.05, label="Temperature T",
                                            info="prior samples z ~ N(0, T²I)", elem_id="temperature")
                    seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="seed")
                grid_btn = gr.Button("Sample a grid", variant="primary", elem_id="sample-grid")
                grid_img = gr.Image(label="Samples", format="png", interactive=False, elem_id="grid",
                                    elem_classes="pixelated", buttons=["download"],
                                    visible=not first.has("points"))
                grid_plot = gr.Plot(label="Samples", visible=first.has("points"))

    outs = [image, plot]
    model_dd.change(select_model, [model_dd, mode, temperature, seed],
                    [card, class_dd, *sliders, rest_seed, rest_btn, image, plot, grid_img, grid_plot],
                    api_name="select_model")
    gr.on([s.input for s in sliders] + [class_dd.input, rest_seed.submit], decode,
          [model_dd, mode, class_dd, rest_seed, temperature, seed, *sliders], outs,
          api_name="decode", trigger_mode="always_last", show_progress="hidden")
    mode.input(reset, [model_dd, mode, temperature, seed], [*sliders, rest_seed, *outs],
               api_name="set_mode", show_progress="hidden")
    reset_btn.click(reset, [model_dd, mode, temperature, seed], [*sliders, rest_seed, *outs],
                    api_name="reset_latent", show_progress="hidden")
    random_btn.click(random_latent, [model_dd, mode, class_dd, temperature, seed],
                     [*sliders, rest_seed, *outs], api_name="random_latent", show_progress="hidden")
    rest_btn.click(randomise_rest, [rest_seed, seed], rest_seed, api_name="randomise_rest").then(
        decode, [model_dd, mode, class_dd, rest_seed, temperature, seed, *sliders], outs,
        api_visibility="private", show_progress="hidden")
    grid_btn.click(sample_grid, [model_dd, class_dd, temperature, seed], [grid_img, grid_plot],
                   api_name="sample_grid")
