"""Latent map: a 2-D projection (latent plane, UMAP, PCA, t-SNE) of a model's encoded validation
digits that you can click to decode, with Explore's current latent and your own drawing placed on it.

Clicks reach Python through a small gr.HTML bridge: its js_on_load listens for clicks on the plotly
map, turns the pixel into data coordinates with the axes' p2d, and triggers the bridge's `submit`
event with {"x", "y"}. The same decoding is public as /decode_map_point (two numbers)."""
from __future__ import annotations

import json

import gradio as gr

from playground import projection as proj
from playground.backend import Backend
from playground.errors import PlaygroundError, check_number
from playground.store import SLIDERS
from playground.ui.common import card_markdown, default_model, no_model, user_errors
from playground.ui.plots import map_figure
from playground.ui.view import Target, given

# Registered once per page; each (re)mount of the bridge points it at its own props/trigger.
CLICK_JS = """
window.__latentMapBridge = {props: props, trigger: trigger};
if (!window.__latentMapListening) {
  window.__latentMapListening = true;
  let last = 0;
  document.addEventListener('click', function (e) {
    const host = document.getElementById('latent-map');
    const gd = host && host.querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) return;
    if (e.target.closest && (e.target.closest('.modebar') || e.target.closest('.legend'))) return;
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
    const px = e.clientX - r.left - xa._offset, py = e.clientY - r.top - ya._offset;
    if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
    const now = Date.now();
    if (now - last < 300) return;  // plotly may re-dispatch the same click
    last = now;
    const b = window.__latentMapBridge;
    b.props.value = JSON.stringify({x: xa.p2d(px), y: ya.p2d(py), t: now});
    b.trigger('submit');
  }, true);
}
"""


def method_choices(backend: Backend, model_id: str) -> list[tuple[str, str]]:
    return [(proj.METHODS[m], m) for m in backend.map_methods(model_id)]


def params_of(method, n_neighbors, min_dist, perplexity) -> dict:
    """The parameters the controls describe, for the method that uses them. The others are
    checked too (finite, in their sliders' ranges): an endpoint takes no garbage, used or not."""
    for value, name, hi in ((n_neighbors, "n_neighbors", 200), (min_dist, "min_dist", 1.0),
                            (perplexity, "perplexity", 100.0)):
        check_number(value, name, 0.0, hi)
    if method == "umap":
        return {"n_neighbors": n_neighbors, "min_dist": min_dist}
    if method == "tsne":
        return {"perplexity": perplexity}
    return {}


def create_latent_map_tab(backend: Backend, explore: dict | None = None) -> None:
    models = backend.map_models()
    # First in UI order, like Explore's default: "where Explore's latent lands" works at once.
    first = default_model(models)
    if first is None:
        with gr.Tab("Latent map", id="latent-map-tab"):
            no_model("map its latent space (an image model with an encoder or a decoder)")
        return
    umap_defaults, tsne_defaults = proj.DEFAULT_PARAMS["umap"], proj.DEFAULT_PARAMS["tsne"]

    def figure(model_id, method, params, markers=None):
        p = backend.projection(model_id, method, params)
        info = backend.info(model_id)
        names = list(info.class_names) or [str(k) for k in range(int(p.labels.max()) + 1)]
        title = f"{info.id}: {proj.METHODS[method]} of {len(p.points):,} points"
        revision = json.dumps([model_id, method, p.params], sort_keys=True)
        return map_figure(p.points, p.labels, names, markers=markers or {}, title=title,
                          revision=revision)

    def status(model_id, method, params) -> tuple[str, str]:
        p = backend.projection(model_id, method, params)
        where = {"shipped": "precomputed, shipped with the model",
                 "cache": "from the on-disk cache",
                 "computed": f"computed now in {p.seconds:.1f} s and cached"}[p.source]
        shown = ", ".join(f"{k}={v:g}" for k, v in p.params.items())
        return (f"**{len(p.points):,} points**: {backend.map_source(model_id)}.  \n"
                f"Map: {proj.METHODS[method]}{f' ({shown})' if shown else ''}, {where}.",
                p.how_clicks_work())

    def projected(model_id, method, params, progress) -> None:
        """Make sure the map exists, reporting progress while it is fitted."""
        backend.projection(model_id, method, params,
                           progress=lambda f, text: progress(f, desc=text))

    @user_errors
    def show_map(model_id, method, n_neighbors, min_dist, perplexity, progress=gr.Progress()):
        """The map of `model_id` by `method` with these parameters (UMAP: n_neighbors, min_dist;
        t-SNE: perplexity): from the shipped file or the disk cache, else fitted now and cached."""
        params = params_of(method, n_neighbors, min_dist, perplexity)
        projected(model_id, method, params, progress)
        return (figure(model_id, method, params), *status(model_id, method, params), {},
                None, None, "")

    def param_updates(method):
        return (gr.Slider(value=umap_defaults["n_neighbors"], visible=method == "umap"),
                gr.Slider(value=umap_defaults["min_dist"], visible=method == "umap"),
                gr.Slider(value=tsne_defaults["perplexity"], visible=method == "tsne"))

    @user_errors
    def select_model(model_id, progress=gr.Progress()):
        """Pick a model: its methods (the raw plane first for a 2-D latent), default parameters
        and its precomputed map."""
        info = backend.info(model_id)
        method = first_method(model_id)
        params = proj.DEFAULT_PARAMS[method]
        projected(model_id, method, params, progress)
        return (card_markdown(info), gr.Radio(choices=method_choices(backend, model_id), value=method),
                *param_updates(method), figure(model_id, method, params),
                *status(model_id, method, params), {}, None, None, "",
                gr.Dropdown(choices=list(info.class_names), value=(info.class_names or [None])[0],
                            visible=info.has("condition") and info.has("encode")),
                gr.Button(interactive=info.has("encode")))

    @user_errors
    def set_method(model_id, method, progress=gr.Progress()):
        """Switch method: its default parameters and its map."""
        params = proj.DEFAULT_PARAMS.get(method, {})
        projected(model_id, method, params, progress)
        return (*param_updates(method), figure(model_id, method, params),
                *status(model_id, method, params), {}, None, None, "")

    @user_errors
    def decode_point(model_id, method, n_neighbors, min_dist, perplexity, x, y, markers):
        """Decode the latent at map position (x, y): a click on a digit decodes its latent; on
        empty space, the exact latent (2-D latent plane) or the inverse-distance-weighted average
        of the 10 nearest digits' latents. Also returns the nearest original digit."""
        if x is None or y is None:
            raise PlaygroundError("click the map, or give both x and y")
        params = params_of(method, n_neighbors, min_dist, perplexity)
        z, how = backend.map_latent(model_id, method, params, x, y)
        info = backend.info(model_id)
        decoded = backend.decode(model_id, z, how.get("class_name"))  # 28x28: CSS scales it
        original = backend.map_images(model_id)[how["index"]]
        name = info.class_names[how["label"]] if how["label"] < len(info.class_names) else how["label"]
        where = "on digit" if how["snapped"] else "between digits, nearest is digit"
        text = (f"Clicked ({float(x):.2f}, {float(y):.2f}), {where} #{how['index']} "
                f"(class {name}). Decoded: {how['how']}"
                + (f", with class {how['class_name']}" if "class_name" in how else "") + ".  \n"
                + f"z = [{', '.join(f'{v:.2f}' for v in z[:8])}{', …' if len(z) > 8 else ''}]")
        markers = dict(markers or {}) | {"clicked": [float(x), float(y)]}
        return (decoded, original, text, figure(model_id, method, params, markers), markers,
                round(float(x), 4), round(float(y), 4))

    @user_errors
    def decode_click(model_id, method, n_neighbors, min_dist, perplexity, clicked, markers):
        """The bridge's click, {"x", "y"} as JSON, decoded like decode_point."""
        try:
            xy = json.loads(clicked or "")
            x, y = float(xy["x"]), float(xy["y"])
        except (ValueError, TypeError, KeyError):
            raise PlaygroundError("could not read the click position") from None
        return decode_point(model_id, method, n_neighbors, min_dist, perplexity, x, y, markers)

    @user_errors
    def place_explore(model_id, method, n_neighbors, min_dist, perplexity, markers,
                      ex_model, ex_mode, ex_rest_seed, ex_temperature, *ex_sliders):
        """Mark where the Explore tab's current latent lands on this map."""
        if ex_model != model_id:
            raise PlaygroundError(f"Explore shows {ex_model}; pick it here too (or pick "
                                  f"{model_id} there) to see where its latent lands")
        k = backend.info(model_id).slider_count
        z = backend.latent_from_sliders(ex_model, list(ex_sliders)[:k], mode=ex_mode,
                                        rest_seed=ex_rest_seed, temperature=ex_temperature)
        params = params_of(method, n_neighbors, min_dist, perplexity)
        xy, how = backend.place_on_map(model_id, method, params, z)
        markers = dict(markers or {}) | {"Explore's latent": [float(xy[0]), float(xy[1])]}
        return (figure(model_id, method, params, markers), markers,
                f"★ Explore's latent lands at ({xy[0]:.2f}, {xy[1]:.2f}) ({how}).")

    @user_errors
    def place_drawing(model_id, method, n_neighbors, min_dist, perplexity, markers, drawing, label):
        """Encode a drawing (Sketchpad value) or an uploaded image file (cropped, scaled to 20x20
        and centred by mass like MNIST) and mark where it lands; returns the 28x28 digit that was
        encoded."""
        info = backend.info(model_id)
        z, digit = backend.encode_drawing(model_id, drawing, label if info.has("condition") else None)
        params = params_of(method, n_neighbors, min_dist, perplexity)
        xy, how = backend.place_on_map(model_id, method, params, z)
        markers = dict(markers or {}) | {"your drawing": [float(xy[0]), float(xy[1])]}
        return (figure(model_id, method, params, markers), markers, digit,
                f"✕ Your drawing lands at ({xy[0]:.2f}, {xy[1]:.2f}) ({how}).")

    def first_method(model_id) -> str:
        """The plane for a 2-D latent; else UMAP if its map is at hand, else PCA (fits in a blink:
        a model shipped without maps never waits on UMAP's compilation)."""
        methods = backend.map_methods(model_id)
        if methods[0] == "latent":
            return "latent"
        return "umap" if backend.cached_projection(model_id, "umap") is not None else "pca"

    method0 = first_method(first.id)
    # The first map only if it is at hand (shipped or cached): building the page never fits one.
    ready = backend.cached_projection(first.id, method0, proj.DEFAULT_PARAMS[method0]) is not None

    def initial_map():
        """The first model's map, drawn when a page loads (not at start-up: plotly's first
        figure costs ~0.25 s of a cold start)."""
        return figure(first.id, method0, proj.DEFAULT_PARAMS[method0]) if ready else None
    status0, help0 = (status(first.id, method0, proj.DEFAULT_PARAMS[method0]) if ready
                      else ("No precomputed map for this model: press *Recompute the map*.", ""))
    with gr.Tab("Latent map", id="latent-map-tab"):
        markers = gr.State({})
        with gr.Row():
            with gr.Column(scale=6):
                plot = gr.Plot(initial_map, label="Latent map (click to decode)", elem_id="latent-map")
                map_status = gr.Markdown(status0, elem_id="map-status")
                click_help = gr.Markdown(help0, elem_id="map-click-help")
                bridge = gr.HTML("", html_template="<span class='map-bridge'></span>",
                                 js_on_load=CLICK_JS, elem_id="map-click-bridge",
                                 apply_default_css=False)
            with gr.Column(scale=4):
                model_dd = gr.Dropdown([m.id for m in models], value=first.id, label="Model",
                                       elem_id="map-model")
                card = gr.Markdown(card_markdown(first))
                method = gr.Radio(method_choices(backend, first.id), value=method0,
                                  label="Projection", elem_id="map-method")
                n_neighbors = gr.Slider(2, 200, value=umap_defaults["n_neighbors"], step=1,
                                        label="UMAP n_neighbors", info="local ↔ global structure",
                                        visible=method0 == "umap", elem_id="map-n-neighbors")
                min_dist = gr.Slider(0.0, 1.0, value=umap_defaults["min_dist"], step=0.01,
                                     label="UMAP min_dist", info="how tightly points pack",
                                     visible=method0 == "umap", elem_id="map-min-dist")
                perplexity = gr.Slider(2, 100, value=tsne_defaults["perplexity"], step=1,
                                       label="t-SNE perplexity", visible=method0 == "tsne")
                recompute = gr.Button("Recompute the map", elem_id="map-recompute")
                with gr.Row():
                    decoded = gr.Image(label="Decoded at the click", format="png", height=180,
                                       interactive=False, elem_id="map-decoded",
                                       elem_classes="pixelated")
                    original = gr.Image(label="Nearest original digit", format="png", height=180,
                                        interactive=False, elem_id="map-original",
                                        elem_classes="pixelated")
                click_info = gr.Markdown(elem_id="map-click-info")
                with gr.Accordion("Decode at map coordinates", open=False):
                    with gr.Row():
                        map_x = gr.Number(label="x", elem_id="map-x")
                        map_y = gr.Number(label="y", elem_id="map-y")
                    decode_btn = gr.Button("Decode here", elem_id="map-decode-here")
                explore_btn = gr.Button("Show where Explore's latent lands ★", elem_id="map-explore",
                                        visible=explore is not None)
                with gr.Accordion("Place your own digit", open=True):
                    sketch = gr.Sketchpad(label="Draw a digit", type="numpy", image_mode="RGBA",
                                          canvas_size=(280, 280), height=300, elem_id="map-sketch")
                    draw_label = gr.Dropdown(list(first.class_names), label="Class of your drawing",
                                             value=(first.class_names or [None])[0],
                                             visible=first.has("condition") and first.has("encode"),
                                             allow_custom_value=True)
                    draw_btn = gr.Button("Place my drawing ✕", elem_id="map-place-drawing",
                                         interactive=first.has("encode"))
                    upload = gr.File(label="…or upload a digit image (dark on light or light on "
                                     "dark, up to 2 MB)", file_types=["image"], type="filepath",
                                     elem_id="map-upload")
                    with gr.Row():
                        encoded = gr.Image(label="What was encoded (28x28)", format="png",
                                           height=130, interactive=False, elem_classes="pixelated")
                        place_info = gr.Markdown(elem_id="map-place-info")

    params_in = [model_dd, method, n_neighbors, min_dist, perplexity]
    map_outs = [plot, map_status, click_help, markers, decoded, original, click_info]
    model_dd.change(select_model, model_dd,
                    [card, method, n_neighbors, min_dist, perplexity, *map_outs, draw_label, draw_btn],
                    api_name="select_map_model", concurrency_limit=2)
    method.input(set_method, [model_dd, method], [n_neighbors, min_dist, perplexity, *map_outs],
                 api_name="set_map_method", concurrency_limit=2)
    recompute.click(show_map, params_in, map_outs, api_name="latent_map", concurrency_limit=1)
    click_outs = [decoded, original, click_info, plot, markers, map_x, map_y]
    bridge.submit(decode_click, [*params_in, bridge, markers], click_outs,
                  api_visibility="private", show_progress="hidden", trigger_mode="always_last")
    decode_btn.click(decode_point, [*params_in, map_x, map_y, markers], click_outs,
                     api_name="decode_map_point")
    draw_btn.click(place_drawing, [*params_in, markers, sketch, draw_label],
                   [plot, markers, encoded, place_info], api_name="place_drawing")
    upload.upload(place_drawing, [*params_in, markers, upload, draw_label],
                  [plot, markers, encoded, place_info], api_name="place_upload")
    if explore is not None:
        ex = [explore[k] for k in ("model", "mode", "rest_seed", "temperature")]
        explore_btn.click(place_explore, [*params_in, markers, *ex, *explore["sliders"][:SLIDERS]],
                          [plot, markers, place_info], api_name="place_explore_latent")
    # A view sets the model; its .change draws the map, as a pick does.
    target = Target(("latent-map-tab",), [model_dd], lambda v: (given(v.model),))
    return {"plot": plot, "model": model_dd, "method": method, "target": target}
