"""Explore latent space: a slider per latent dimension (or principal direction), live decoding,
temperature and seed, and a grid of samples."""
from __future__ import annotations

import gradio as gr
import numpy as np

from playground.backend import Backend
from playground.base import all_knobs
from playground.errors import MAX_SEED, PlaygroundError, check_int, check_seed
from playground.store import SLIDERS
from playground.ui.common import (card_markdown, default_model, first_look, knob_controls,
                                  knob_updates, knob_values, no_model, opening_knobs,
                                  sampling_progress, user_errors)
from playground.ui.plots import flow_figure
from playground.ui.view import Target, registered
from playground.view import View

MODES = [("latent axes", "axes"), ("principal directions of the data", "principal")]
GRID = 64
CLOUD = 1000  # prior samples drawn behind the current point of a 2-D point model


# Builds the share link in the page (the browser knows the public URL, the server may not).
SHARE_JS = """(model, mode, t, seed, label, rest, ...z) => {
  const q = new URLSearchParams({model, mode, t, seed, rest});
  if (label !== null && label !== undefined && label !== '') q.set('class', label);
  while (z.length && Number(z[z.length - 1]) === 0) z.pop();
  if (z.length) q.set('z', z.map(Number).join(','));
  return window.location.origin + window.location.pathname + '?' + q.toString();
}"""


# In-page decoding (assets/webdecoder.js, playground/webdecoder.py): models with a small decoder
# repaint a canvas in the page on every slider move (a digit, or a point model's latent and data
# planes in place of the server's plotly figure), at most once per animation frame; the others
# press the hidden #server-decode. The page hears the sliders' range inputs itself, before
# Gradio does, and tells Gradio when a move ends or pauses (one input event with the last value:
# this route then finds it painted), so Gradio's slider values, which share links and server
# calls read, are what the person set; a move the page cannot paint goes to Gradio at once.
ROUTE_JS = """(...inputs) => {
  if (window.latentWeb) window.latentWeb.page.route(...inputs);
  else document.querySelector('#server-decode').click();
}"""
# Values the server sets (random latent, reset, share link, mode) repaint the canvas too.
PAINT_JS = "(...inputs) => { if (window.latentWeb) window.latentWeb.page.paint(...inputs); }"
# A model picked: until its decoder arrives, the page's own slider listener must not paint the
# old model's decoder (the route then finds the model changed and asks the server).
TRACK_JS = "(...inputs) => { if (window.latentWeb) window.latentWeb.page.track(...inputs); }"
SET_SPEC_JS = """(spec, ...inputs) => {
  if (!window.latentWeb || (spec && spec.model !== inputs[0])) return;
  window.latentWeb.page.setSpec(spec); window.latentWeb.page.paint(...inputs);
}"""
SET_REST_JS = """(rest, ...inputs) => {
  if (!window.latentWeb || !rest) return;
  window.latentWeb.page.setRest(rest); window.latentWeb.page.paint(...inputs);
}"""
CANVAS_HTML = ('<div class="web-decoded"><span class="web-label">Decoded in your browser</span>'
               '<canvas id="decoded-canvas" width="28" height="28"></canvas>'
               # assets/webdecoder.js: what the judge classifier, run in the page, reads there
               '<p id="decoded-caption" aria-live="polite" data-judge="web/judge.json"></p>'
               # assets/touchpad.js: both of the first two sliders under one finger
               '<div class="touch-pad-box" hidden><canvas class="touch-pad" width="240" height="240" role="img" aria-label="touch pad"></canvas><span class="web-label">Drag here to move the first two sliders at once</span></div></div>'
               # the planes of a point model: a wide, smooth, white canvas instead of the figure
               '<style>body.web-points #decoded-plot { display: none !important; }'
               ' body.web-points #decoded-canvas { height: auto; width: 100%; aspect-ratio: auto;'
               ' image-rendering: auto; background: #fff; }</style>')


def slider_label(mode: str, i: int) -> str:
    return f"z[{i}]" if mode == "axes" else f"PC {i + 1} (in σ)"


def create_explore_tab(backend: Backend) -> dict | None:
    """Build the tab; returns its components so other tabs can read the current latent (None when
    no model has a decoder: the tab then says so, and other tabs leave Explore out)."""
    models = backend.models("decode")
    first = default_model(models)
    if first is None:
        with gr.Tab("Explore latent space", id="explore"):
            no_model("decode a latent")
        return None

    def render(model_id, mode, label, rest_seed, temperature, seed, values, knobs=()):
        """Decoded output for slider values: (image, None) or (None, plot). The seed is checked
        even where only point models use it (for their cloud): an endpoint takes no garbage.
        `knobs`: the knob controls' values (a diffusion model's guidance and steps)."""
        info, seed = backend.info(model_id), check_seed(seed)
        z = backend.latent_from_sliders(model_id, values, mode=mode, rest_seed=rest_seed,
                                        temperature=temperature)
        if not info.has("points"):
            return backend.decode(model_id, z, label, knob_values(knobs)), None
        zc = backend.prior_samples(model_id, CLOUD, temperature=temperature, seed=seed)
        return None, flow_figure(zc, backend.decode(model_id, zc), z,
                                      backend.decode(model_id, z)[0])

    def slider_updates(info, mode, values=None):
        r, k = info.slider_range, info.slider_count
        values = list(values or []) + [0.0] * SLIDERS
        return [gr.Slider(minimum=info.slider_min, maximum=r, value=values[i] if i < k else 0,
                          label=slider_label(mode, i), visible=i < k) for i in range(SLIDERS)]

    def view(model_id, mode, temperature, seed, label=None, values=(), rest_seed=-1, knobs=()):
        """Everything that depends on the model: card, class, sliders, rest seed, outputs,
        which sampler knobs show."""
        info = backend.info(model_id)
        if info.has("condition") and label is None:
            label = info.class_names[0]
        values = list(values)[:info.slider_count]
        values += [0.0] * (info.slider_count - len(values))
        image, plot = render(model_id, mode, label, rest_seed, temperature, seed, values, knobs)
        more = info.latent_dim - info.slider_count
        return (card_markdown(info),
                gr.Dropdown(choices=list(info.class_names), value=label, visible=info.has("condition")),
                *slider_updates(info, mode, values),
                gr.Number(value=rest_seed, visible=more > 0, info=f"{more} more dims beyond the sliders"),
                gr.Button(visible=more > 0),
                gr.Image(value=image, visible=not info.has("points")),
                gr.Plot(value=plot, visible=info.has("points")),
                gr.Image(value=None, visible=not info.has("points")),
                gr.Plot(value=None, visible=info.has("points")), *knob_updates(info))

    @user_errors
    def select_model(model_id, mode, temperature, seed, *knobs):
        """Pick a model: its card, one slider per latent dimension (up to 12), the decoded origin
        (a diffusion model decodes with the knobs' guidance and steps), and last the slider mode:
        kept, except that a model whose raw axes mean nothing opens on principal directions."""
        hint = backend.info(model_id).ui.slider_mode
        mode = mode if hint == "axes" else hint
        return *view(model_id, mode, temperature, seed, knobs=knobs), mode

    def apply(v: View):
        """Open a view (playground/view.py) on this tab: its model, slider mode (the model's hint
        when the view names none), temperature, seed, class, rest seed, sliders, sampler knobs."""
        if v.model is None:
            return [gr.skip()] * (4 + len(view_outputs))
        info = backend.info(v.model)
        mode_ = v.mode or info.ui.slider_mode
        t, seed_ = 1.0 if v.t is None else v.t, v.seed or 0
        knob_vals = [v.knobs.get(k.name, d) for k, d in zip(all_knobs(), opening_knobs(info))]
        rest = -1 if v.rest is None else v.rest
        outputs = view(info.id, mode_, t, seed_, v.label, v.z, rest, knob_vals)
        n = len(knob_vals)
        knobs_shown = [gr.update(visible=u.get("visible"), value=val)
                       for u, val in zip(outputs[-n:], knob_vals)] if n else []
        return (info.id, mode_, t, seed_, *outputs[:len(outputs) - n], *knobs_shown)

    def restore(request: gr.Request):
        """Open the view a share link describes (?model=&mode=&t=&seed=&class=&rest=&z=v1,v2,..);
        the Tools tab's "Set Explore's sliders" builds such a link."""
        try:
            return apply(View.from_query(dict(request.query_params), registered(backend)))
        except PlaygroundError as err:
            gr.Warning(f"This link could not be opened: {err}")
            return [gr.skip()] * (4 + len(view_outputs))

    @user_errors
    def decode(model_id, mode, label, rest_seed, temperature, seed, *values):
        """Decode the latent the sliders describe (values: the 12 sliders, raw latent
        coordinates in 'axes' mode, steps along principal directions in σ units in 'principal'
        mode; then the sampler knobs, for a diffusion model's guidance and steps)."""
        k = backend.info(model_id).slider_count
        return render(model_id, mode, label, rest_seed, temperature, seed, values[:k],
                      values[SLIDERS:])

    @user_errors
    def random_latent(model_id, mode, label, temperature, seed, *knobs):
        """Set the sliders to a draw from N(0, T²) with this seed (the other dims too), and decode."""
        info = backend.info(model_id)
        z = backend.random_latent(model_id, seed=seed, temperature=temperature)
        r, k = info.slider_range, info.slider_count
        values = [round(float(np.clip(v, info.slider_min, r)), 2) for v in z[:k]]
        rest = check_seed(seed) if info.latent_dim > k else -1
        return (*(values + [0.0] * (SLIDERS - k)), rest,
                *render(model_id, mode, label, rest, temperature, seed, values, knobs))

    @user_errors
    def reset(model_id, mode, temperature, seed, *knobs):
        """Sliders back to the origin (the mean of the data in 'principal' mode), rest to 0."""
        info = backend.info(model_id)
        return (*slider_updates(info, mode), -1,
                *render(model_id, mode, info.class_names[0] if info.has("condition") else None,
                        -1, temperature, seed, [0.0] * info.slider_count, knobs))

    @user_errors
    def randomise_rest(rest_seed, seed):
        """A new seed for the dimensions beyond the sliders (shown, so the view is reproducible)."""
        rest = check_int(-1 if rest_seed is None else rest_seed, "rest seed", -1, MAX_SEED - 1)
        return rest + 1 if rest >= 0 else check_int(seed, "seed", 0, MAX_SEED)

    @user_errors
    def sample_grid(model_id, label, temperature, seed, progress=gr.Progress(), *knobs):
        """64 samples from the prior at this temperature and seed (a point cloud for 2-D models);
        a diffusion model samples with the knobs' guidance, steps and sampler, reporting its
        progress."""
        info = backend.info(model_id)
        if info.has("points"):
            zc = backend.prior_samples(model_id, 2000, temperature=temperature, seed=seed)
            return None, flow_figure(zc, backend.decode(model_id, zc),
                                     title=f"2,000 samples at T={temperature:g}")
        from playground.images import grid
        images = backend.sample(model_id, GRID, temperature=temperature, seed=seed, label=label,
                                knobs=knob_values(knobs), progress=sampling_progress(progress, GRID))
        return grid(images, ncol=8), None

    @user_errors
    def web_decoder(model_id):
        """The model's decoder for the page to run itself (ops + float32 weights as base64, see
        playground/webdecoder.py), or None when the model decodes on the server."""
        return backend.web_decoder(model_id)

    @user_errors
    def rest_noise(model_id, rest_seed):
        """The N(0, 1) values of the latent dims beyond the sliders for this rest seed."""
        rest = check_int(-1 if rest_seed is None else rest_seed, "rest seed", -1, MAX_SEED)
        return {"model": model_id, "seed": rest, "noise": backend.rest_noise(model_id, rest)}

    with gr.Tab("Explore latent space", id="explore"):
        with gr.Row():
            with gr.Column(scale=5):
                model_dd = gr.Dropdown([m.id for m in models], value=first.id, label="Model",
                                       elem_id="explore-model")
                card = gr.Markdown(card_markdown(first), elem_id="explore-card", label="Model card")
                mode = gr.Radio(MODES, value="axes", label="Sliders move along", elem_id="explore-mode")
                class_dd = gr.Dropdown(list(first.class_names), value=(first.class_names or [None])[0],
                                       label="Class", visible=first.has("condition"),
                                       elem_id="explore-class",
                                       allow_custom_value=True)  # choices change per model: the backend validates
                with gr.Column(elem_classes="latent-sliders"):
                    r = first.slider_range
                    sliders = [gr.Slider(first.slider_min, r, value=0, step=0.01, label=slider_label("axes", i),
                                         visible=i < first.slider_count, elem_id=f"slider-{i}")
                               for i in range(SLIDERS)]
                more = first.latent_dim - first.slider_count
                rest_seed = gr.Number(-1, precision=0, visible=more > 0, minimum=-1,
                                      elem_id="explore-rest",
                                      label="Seed of the other dims (-1: all 0)",
                                      info=f"{more} more dims beyond the sliders")
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
                gr.HTML(CANVAS_HTML, elem_id="decoded-web", js_on_load=None)
                web_spec = gr.JSON(visible=False)
                web_rest = gr.JSON(visible=False)
                server_decode = gr.Button("decode on the server", visible="hidden",
                                          elem_id="server-decode")
                plot = gr.Plot(value=plot0, label="Latent and data space",
                               visible=first.has("points"), elem_id="decoded-plot")
                with gr.Row():
                    temperature = gr.Slider(0.0, 3.0, value=1.0, step=0.05, label="Temperature T",
                                            info="prior samples z ~ N(0, T²I)", elem_id="temperature")
                    seed = gr.Number(0, precision=0, minimum=0, label="Seed", elem_id="seed")
                knobs = knob_controls(first, "explore")
                grid_btn = gr.Button("Sample a grid", variant="primary", elem_id="sample-grid")
                with gr.Row():
                    share_btn = gr.Button("Link to this view", size="sm", elem_id="share-link")
                    share_box = gr.Textbox(show_label=False, buttons=["copy"], interactive=False,
                                           placeholder="a URL that reopens this model, seed, "
                                           "temperature and slider values", elem_id="share-url")
                look = first_look(lambda: sample_grid(
                    first.id, first.class_names[0] if first.has("condition") else None, 1.0, 0,
                    gr.Progress(), *opening_knobs(first)), "Explore's grid") or (None, None)
                grid_img = gr.Image(look[0], label="Samples", format="png", interactive=False,
                                    elem_id="grid", height=480, elem_classes="pixelated",
                                    buttons=["download"], visible=not first.has("points"))
                grid_plot = gr.Plot(look[1], label="Samples", visible=first.has("points"))

    outs = [image, plot]
    view_outputs = [card, class_dd, *sliders, rest_seed, rest_btn, image, plot, grid_img, grid_plot,
                    *knobs]
    model_dd.input(select_model, [model_dd, mode, temperature, seed, *knobs], [*view_outputs, mode],
                   api_name="select_model")
    share_btn.click(None, [model_dd, mode, temperature, seed, class_dd, rest_seed, *sliders],
                    share_box, js=SHARE_JS)
    decode_in = [model_dd, mode, class_dd, rest_seed, temperature, seed, *sliders, *knobs]
    gr.on([s.input for s in sliders] + [class_dd.input, rest_seed.submit] +
          [k.input for k in knobs], None, decode_in, None, js=ROUTE_JS)
    server_decode.click(decode, decode_in, outs, api_name="decode", trigger_mode="always_last",
                        show_progress="hidden", queue=False)
    # temperature: the rest dims' noise and a point model's background cloud scale with it
    gr.on([s.change for s in sliders] + [class_dd.change, mode.change, temperature.release], None,
          decode_in, None, js=PAINT_JS)
    model_dd.change(None, decode_in, None, js=TRACK_JS)
    gr.on(None, web_decoder, model_dd, web_spec, api_name="web_decoder",
          trigger_mode="always_last", show_progress="hidden").then(
        None, [web_spec, *decode_in], None, js=SET_SPEC_JS)
    gr.on(None, rest_noise, [model_dd, rest_seed], web_rest, api_name="rest_noise",
          trigger_mode="always_last", show_progress="hidden").then(
        None, [web_rest, *decode_in], None, js=SET_REST_JS)
    mode.input(reset, [model_dd, mode, temperature, seed, *knobs], [*sliders, rest_seed, *outs],
               api_name="set_mode", show_progress="hidden")
    reset_btn.click(reset, [model_dd, mode, temperature, seed, *knobs],
                    [*sliders, rest_seed, *outs],
                    api_name="reset_latent", show_progress="hidden")
    random_btn.click(random_latent, [model_dd, mode, class_dd, temperature, seed, *knobs],
                     [*sliders, rest_seed, *outs], api_name="random_latent", show_progress="hidden")
    rest_btn.click(randomise_rest, [rest_seed, seed], rest_seed, api_name="randomise_rest").then(
        decode, decode_in, outs,
        api_visibility="private", show_progress="hidden")
    # 8 at once, not 4: a Gibbs-chain grid waits for the backend's one heavy-sampler slot while it
    # holds its event slot, and a VAE's 15 ms grid should not queue behind it.
    grid_btn.click(sample_grid, [model_dd, class_dd, temperature, seed, *knobs], [grid_img, grid_plot],
                   api_name="sample_grid", concurrency_limit=8)
    target = Target(("explore",), [model_dd, mode, temperature, seed, *view_outputs], apply)
    return {"restore": (restore, target.outputs), "target": target,
            "select": (select_model, [model_dd, mode, temperature, seed, *knobs],
                       [*view_outputs, mode]),
            "model": model_dd, "mode": mode, "label": class_dd, "rest_seed": rest_seed,
            "temperature": temperature, "seed": seed, "sliders": sliders, "image": image}
