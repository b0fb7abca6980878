"""Tools: hands-on experiments (interpolate, latent arithmetic, class x style, your digit with its
anomaly score, nearest training neighbours, completion, export). The logic is playground/tools.py;
this file lays out the controls, draws the figures and writes the downloads. Each experiment lists
only the models with the capabilities it needs."""
from __future__ import annotations

import time
from types import SimpleNamespace

import gradio as gr
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground import tools as T
from playground.backend import MAX_SAMPLES, SLIDERS, Backend, PlaygroundError, grid
from playground.ui.common import user_errors

SOURCE_CHOICES = [("prior sample (seed)", "sample"), ("validation digit (index)", "data"),
                  ("my drawing", "drawing")]
STREAM_EVERY_S = 0.15   # completion frames sent at most this often: the page repaints, not floods
BLANK = 255             # a white tile: the gap between groups of digits in a sheet
DATA_HINT = "validation digits are sorted by class: 0-99 are 0s, 100-199 are 1s, …"


def sketchpad(elem_id: str, label: str = "Draw a digit", height: int = 240) -> gr.Sketchpad:
    return gr.Sketchpad(label=label, type="numpy", image_mode="RGBA", canvas_size=(280, 280),
                        height=height, elem_id=elem_id)


def image_out(label: str, elem_id: str, height: int = 220) -> gr.Image:
    return gr.Image(label=label, format="png", interactive=False, height=height, elem_id=elem_id,
                    elem_classes="pixelated", buttons=["download"])


def downloads(elem_id: str) -> gr.File:
    return gr.File(label="Downloads (PNG / GIF and the latents, seeds and knobs as CSV)",
                   file_count="multiple", interactive=False, elem_id=elem_id)


def temperature_slider(minimum: float = 0.0, label: str = "Temperature T") -> gr.Slider:
    return gr.Slider(minimum, 3.0, value=1.0, step=0.05, label=label)


def class_dropdown(first, elem_id: str, label: str = "Class", empty: bool = False) -> gr.Dropdown:
    """The class input of a conditional model (hidden for others); `empty`: no class chosen."""
    names = list(first.class_names) if first else []
    return gr.Dropdown(names, value=None if empty else (names or [None])[0], label=label,
                       elem_id=elem_id, visible=bool(first and first.has("condition")),
                       allow_custom_value=True)


def class_update(info, empty: bool = False) -> gr.Dropdown:
    names = list(info.class_names)
    return gr.Dropdown(choices=names, value=None if empty else (names or [None])[0],
                       visible=info.has("condition"))


def knob_row(**knobs) -> dict:
    """The knobs of a request as CSV columns (None dropped)."""
    return {k: v for k, v in knobs.items() if v is not None}


# ---- figures ----------------------------------------------------------------------------------
COLOURS = {"lerp": "#e4572e", "slerp": "#4e79a7"}


def path_figure(r: dict) -> go.Figure:
    """Likelihood (when the model has one) and latent norm along both paths; the chosen one bold."""
    rows = 2 if r["likelihood_name"] else 1
    titles = ([r["likelihood_name"]] if rows == 2 else []) + ["latent norm |z|"]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.12)
    for name, c in r["curves"].items():
        width = 4 if name == r["method"] else 2
        if rows == 2:
            fig.add_trace(go.Scatter(x=r["t"], y=c["likelihood"], name=name, mode="lines+markers",
                                     line=dict(color=COLOURS[name], width=width)), row=1, col=1)
        fig.add_trace(go.Scatter(x=r["t"], y=c["norm"], name=name, mode="lines+markers",
                                 showlegend=rows == 1, line=dict(color=COLOURS[name], width=width)),
                      row=rows, col=1)
    fig.add_hline(y=r["typical_norm"], line_dash="dot", line_color="#888", row=rows, col=1,
                  annotation_text=f"typical prior sample √D·T = {r['typical_norm']:.2f}",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="t (fraction of the way from A to B)", row=rows, col=1)
    fig.update_layout(height=220 * rows + 80, margin=dict(l=10, r=10, t=70, b=10),
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig


def points_figure(r: dict) -> go.Figure:
    """A point model's path in data space, over samples from the model."""
    fig = go.Figure(go.Scattergl(x=r["cloud"][:, 0], y=r["cloud"][:, 1], mode="markers",
                                 marker=dict(size=3, color="#6b7fd7", opacity=0.35), name="samples"))
    p = r["frames"]
    fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="lines+markers+text", name=r["method"],
                             text=[str(i) for i in range(len(p))], textposition="top center",
                             line=dict(color=COLOURS[r["method"]], width=3)))
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10),
                      title=f"{r['method']} path decoded into data space")
    fig.update_yaxes(scaleanchor="x")
    return fig


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
                      yaxis_title="validation digits", title="Your digit among 1,000 real ones")
    return fig


def tiles(images: np.ndarray, ncol: int) -> np.ndarray:
    return grid(np.asarray(images, np.uint8), ncol=ncol)


# ---- the tab ----------------------------------------------------------------------------------
def create_tools_tab(backend: Backend, explore: dict | None = None, tabs=None) -> dict:
    tools = T.Tools(backend)

    def ids(tool):
        return [m.id for m in tools.models(tool)]

    def model_picker(tool, m, elem_id):
        return gr.Dropdown(ids(tool), value=m.id, label="Model", elem_id=elem_id)

    def first(tool, prefer=None):
        models = tools.models(tool)
        return next((m for m in models if m.id == prefer), models[0] if models else None)

    def select(tool, empty=False):
        @user_errors
        def select_tool_model(model_id):
            """A model for this tool: its classes (shown for conditional models)."""
            return class_update(tools.require(model_id, tool), empty)
        return select_tool_model

    # ---- interpolate ----
    @user_errors
    def interpolate(model_id, method, steps, label, temperature, src_a, num_a, draw_a,
                    src_b, num_b, draw_b):
        """Interpolate between endpoints A and B (each a prior sample by seed, a validation item by
        index, or a drawing) by lerp or slerp in `steps` frames; returns the strip (images) or a
        path plot (points), the likelihood/norm curves of both methods, and GIF/PNG/CSV files."""
        r = tools.interpolate(model_id, (src_a, num_a, draw_a), (src_b, num_b, draw_b),
                              method=method, steps=steps, label=label, temperature=temperature)
        rows = [knob_row(frame=i, t=round(float(t), 6), method=method, model=r["model"],
                         temperature=r["temperature"], label=r["label"],
                         endpoint_a=str(r["endpoints"][0]), endpoint_b=str(r["endpoints"][1]),
                         likelihood=(None if r["curves"][method]["likelihood"] is None
                                     else round(float(r["curves"][method]["likelihood"][i]), 4)),
                         **({"x": float(r["frames"][i][0]), "y": float(r["frames"][i][1])}
                            if r["points"] else {}),
                         **T.latent_columns(z))
                for i, (t, z) in enumerate(zip(r["t"], r["latents"]))]
        files = [T.save_csv("interpolation", rows)]
        if r["points"]:
            sheet, plot = gr.Image(value=None, visible=False), gr.Plot(points_figure(r), visible=True)
        else:
            sheet = gr.Image(value=T.strip(r["frames"]), visible=True)
            plot = gr.Plot(value=None, visible=False)
            files = [T.save_gif("interpolation", r["frames"]),
                     T.save_png("interpolation", T.strip(r["frames"]))] + files
        ends = " → ".join(describe(e) for e in r["endpoints"])
        note = (f"**{r['model']}**, {method}, {r['steps']} frames: {ends}. The lower plot shows why "
                "slerp exists: a straight line between two typical latents passes closer to the "
                "origin than any typical sample.")
        return sheet, plot, path_figure(r), files, note

    # ---- arithmetic ----
    @user_errors
    def arithmetic(model_id, plus, minus, strength, source, number, count, drawing, label,
                   temperature):
        """z + strength·(mean(plus) − mean(minus)) with class means of the encoded training
        digits, for `count` bases z (prior samples from seed `number`, validation digits from index
        `number`, or a drawing); rows: the bases decoded, then the results."""
        r = tools.arithmetic(model_id, plus, minus, source, number, drawing, count=count,
                             strength=strength, label=label, temperature=temperature)
        sheet = tiles(r["images"], r["n"])
        rows = [knob_row(row=kind, column=i, model=r["model"], plus=r["plus"], minus=r["minus"],
                         strength=r["strength"], label=r["label"], base=str(r["what"][i]),
                         **T.latent_columns(z))
                for kind, zs in (("base", r["bases"]), ("result", r["results"]))
                for i, z in enumerate(zs)]
        files = [T.save_png("arithmetic", sheet), T.save_csv("arithmetic", rows)]
        note = (f"Top row: the bases. Bottom row: base + {r['strength']:g} · (mean({r['plus']}) − "
                f"mean({r['minus']})), class means over the 4,000 encoded training digits.")
        return tiles(r["mean_images"], 2), sheet, files, note

    # ---- class x style ----
    @user_errors
    def style_grid(model_id, source, number, rows, drawing, label, temperature):
        """A class x style grid for a conditional model: one row per style latent (prior samples
        from seed `number`, encoded validation digits from index `number`, or a drawing encoded
        with `label`), one column per class."""
        r = tools.style_grid(model_id, source, number, drawing, rows=rows, label=label,
                             temperature=temperature)
        sheet = tiles(r["images"], len(r["classes"]))
        csv_rows = [knob_row(row=i, model=r["model"], style=str(r["what"][i]),
                             classes="|".join(r["classes"]), **T.latent_columns(z))
                    for i, z in enumerate(r["styles"])]
        return sheet, [T.save_png("style-grid", sheet), T.save_csv("style-grid", csv_rows)]

    # ---- your digit ----
    @user_errors
    def reconstruct(model_id, drawing, label):
        """Encode a drawing (Sketchpad value) or uploaded image and decode it again: the 28x28
        digit that was encoded, its reconstruction, its latent (a bar per dimension) and the
        reconstruction error."""
        r = tools.reconstruct(model_id, drawing, label)
        text = (f"Reconstruction error **{r['error']:.4f}** (mean squared per pixel). "
                f"{len(r['latent'])}-D latent.")
        return r["digit"], r["reconstruction"], latent_figure(r["latent"]), text, \
            [float(v) for v in r["latent"]]

    @user_errors
    def anomaly(model_id, drawing, label):
        """Anomaly score of a drawing or upload: its reconstruction error against the errors of the
        1,000 validation digits (histogram with a marker), and the most anomalous validation
        digits (original | reconstruction)."""
        r = tools.anomaly(model_id, drawing, label)
        verdict = ("unusual for this model" if r["percentile"] >= 95
                   else "within the range of real digits")
        text = (f"**Anomaly score: {r['error']:.4f}**, higher than **{r['percentile']:.1f} %** of the "
                f"validation digits: {verdict}.")
        gallery = [(np.concatenate([a["original"], np.full((28, 2), BLANK, np.uint8),
                                    a["reconstruction"]], 1),
                    f"#{a['index']} (a {a['label']}): error {a['error']:.4f}") for a in r["top"]]
        return anomaly_figure(r["validation_errors"], r["error"], r["percentile"]), text, gallery

    def send_to_explore(model_id, latent, label, temperature, seed):
        """Open the digit's latent in the Explore tab: the same model, the sliders at its values
        (raw axes when the latent has at most 12 dims, else the 12 leading principal directions)."""
        if not latent:
            raise gr.Error("encode a digit first", print_exception=False)
        try:
            info = backend.info(model_id)
            mode = "axes" if info.latent_dim <= SLIDERS else "principal"
            values = backend.sliders_for_latent(info.id, latent, mode)
        except PlaygroundError as err:
            raise gr.Error(str(err), print_exception=False) from None
        query = {"model": info.id, "mode": mode, "t": temperature, "seed": seed, "rest": -1,
                 "z": ",".join(f"{v:g}" for v in values)}
        if info.has("condition") and label:
            query["class"] = label
        restore, _ = explore["restore"]
        # Explore opens any view a share link describes; this is such a link, built here.
        outputs = restore(SimpleNamespace(query_params=query))
        how = ("exactly" if mode == "axes" else
               f"along its {SLIDERS} leading principal directions (the other "
               f"{info.latent_dim - SLIDERS} at the data's mean), so Explore's digit is close to, "
               "not identical with, the reconstruction")
        note = f"Explore now shows {info.id} with the sliders set {how}."
        return (*outputs, note, *([gr.Tabs(selected="explore")] if tabs is not None else []))

    # ---- neighbours ----
    @user_errors
    def neighbours(model_id, label, temperature, seed, count, progress=gr.Progress()):
        """`count` samples (seed, temperature, class as in the other tabs) and each one's 5 nearest
        training digits in pixel space and in the judge classifier's feature space, with
        distances: a memorisation check."""
        # The first request of a fresh machine computes the judge features of 5,000 digits (~10 s).
        progress(0.1, desc="indexing the training digits (once; later requests reuse it)")
        tools.training_index()
        r = tools.neighbours(model_id, count=count, seed=seed, temperature=temperature,
                             label=label)
        k, blank = T.NEIGHBOURS, np.full((1, 28, 28), BLANK, np.uint8)
        rows, table = [], []
        for i, sample in enumerate(r["samples"]):
            rows += [sample[None], blank, r["pixel"]["images"][i * k:(i + 1) * k], blank,
                     r["judge"]["images"][i * k:(i + 1) * k]]
            for space in ("pixel", "judge"):
                for j in range(k):
                    table.append([i, space, j + 1, int(r[space]["index"][i, j]),
                                  int(r[space]["labels"][i, j]),
                                  round(float(r[space]["distance"][i, j]), 3)])
        sheet = tiles(np.concatenate(rows), 2 * k + 3)
        base = r["baseline"]
        closest = {s: float(r[s]["distance"][:, 0].min()) for s in ("pixel", "judge")}
        note = (f"Each row: the sample | its {k} nearest training digits in pixel space | in judge "
                f"space. For scale: an unseen validation digit's nearest training digit is at a "
                f"median distance of **{base['pixel']:.2f}** (pixels) and **{base['judge']:.2f}** "
                f"(judge). Closest here: {closest['pixel']:.2f} and {closest['judge']:.2f}"
                + (" — far below: look for copies." if closest["pixel"] < 0.5 * base["pixel"]
                   else "."))
        csv_rows = [dict(zip(["sample", "space", "rank", "train_index", "train_label", "distance"],
                             row), model=r["model"], seed=r["seed"],
                         temperature=r["temperature"], **knob_row(label=r["label"]))
                    for row in table]
        files = [T.save_png("neighbours", sheet), T.save_csv("neighbours", csv_rows)]
        return sheet, table, note, files

    # ---- completion ----
    @user_errors
    def complete(model_id, source, number, drawing, hide, count, seed, temperature, label):
        """Hide part of a validation digit (by index) or a drawing and let a step-by-step model
        fill it in `count` times (PixelCNN: raster-order sampling copying the given pixels; RBM:
        Gibbs sampling with the given pixels clamped). Streams: original | masked | completions."""
        meta, frames = tools.complete(model_id, source, number, drawing, hide=hide, count=count,
                                      seed=seed, temperature=temperature, label=label)
        head = np.stack([meta["digit"], meta["masked"], np.full_like(meta["digit"], BLANK)])
        last, sheet, text = 0.0, None, ""
        for images, text in frames:
            sheet = tiles(np.concatenate([head, images]), 3 + len(images))
            if time.monotonic() - last >= STREAM_EVERY_S:
                last = time.monotonic()
                yield sheet, text, None
        row = knob_row(model=meta["model"], source=meta["source"], number=meta["number"],
                       hide=meta["hide"], count=meta["count"], seed=meta["seed"],
                       temperature=meta["temperature"], label=meta["label"])
        yield sheet, f"Done: {text}", [T.save_png("completion", sheet), T.save_csv("completion", [row])]

    # ---- export ----
    @user_errors
    def export_grid(model_id, label, temperature, seed, count):
        """The grid the Explore/Conditional tabs sample for these knobs, as PNG, with its latents
        (when the sampler decodes prior draws), seed and knobs as CSV, one row per sample."""
        r = tools.sample_grid(model_id, count=count, seed=seed, temperature=temperature,
                              label=label)
        sheet = tiles(r["images"], min(8, len(r["images"])))
        rows = [knob_row(sample=i, model=r["model"], seed=r["seed"], temperature=r["temperature"],
                         label=r["label"],
                         **(T.latent_columns(r["latents"][i]) if r["latents"] is not None else
                            {"latent": "not exposed by this model's sampler"}))
                for i in range(r["count"])]
        return sheet, [T.save_png("grid", sheet), T.save_csv("grid", rows)]

    # ---- layout ----
    with gr.Tab("Tools", id="tools"):
        with gr.Tabs():
            m = first("interpolate", "vae-mnist-16d")
            with gr.Tab("Interpolate", id="tools-interpolate"):
                with gr.Row():
                    with gr.Column(scale=4):
                        i_model = model_picker("interpolate", m, "interp-model")
                        i_label = class_dropdown(m, "interp-class")
                        with gr.Row():
                            i_method = gr.Radio(["lerp", "slerp"], value="slerp",
                                                label="Interpolation", elem_id="interp-method")
                            i_steps = gr.Slider(2, T.MAX_STEPS, value=10, step=1, label="Frames",
                                                elem_id="interp-steps")
                        i_temp = temperature_slider(label="Temperature of prior samples")
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
                        i_go = gr.Button("Interpolate", variant="primary", elem_id="interp-go")
                    with gr.Column(scale=6):
                        i_sheet = image_out("Frames from A to B", "interp-strip", 140)
                        i_points = gr.Plot(label="Path in data space", visible=False)
                        i_curves = gr.Plot(label="Along the path: lerp vs slerp",
                                           elem_id="interp-curves")
                        i_note = gr.Markdown()
                        i_files = downloads("interp-files")
            i_model.input(select("interpolate"), i_model, i_label, api_name="select_interpolate_model")
            i_go.click(interpolate, [i_model, i_method, i_steps, i_label, i_temp, ends[0][0],
                                     ends[0][1], draw_a, ends[1][0], ends[1][1], draw_b],
                       [i_sheet, i_points, i_curves, i_files, i_note], api_name="interpolate")

            m = first("arithmetic", "vae-mnist-16d")
            if m:
                names = tools.class_names(m)
                with gr.Tab("Latent arithmetic", id="tools-arithmetic"):
                    with gr.Row():
                        with gr.Column(scale=4):
                            a_model = model_picker("arithmetic", m, "arith-model")
                            with gr.Row():
                                a_plus = gr.Dropdown(names, value="7", label="+ mean of class",
                                                     allow_custom_value=True, elem_id="arith-plus")
                                a_minus = gr.Dropdown(names, value="1", label="− mean of class",
                                                      allow_custom_value=True, elem_id="arith-minus")
                            a_strength = gr.Slider(-T.MAX_STRENGTH, T.MAX_STRENGTH, value=1.0,
                                                   step=0.1, label="strength")
                            a_source = gr.Radio(SOURCE_CHOICES, value="sample", label="Bases z from")
                            with gr.Row():
                                a_number = gr.Number(0, precision=0, minimum=0,
                                                     label="seed / first validation index",
                                                     info=DATA_HINT)
                                a_count = gr.Slider(1, T.MAX_TOOL_IMAGES, value=6, step=1,
                                                    label="how many bases")
                            a_label = class_dropdown(m, "arith-class", "Decode as class")
                            a_temp = temperature_slider(label="Temperature of prior samples")
                            with gr.Accordion("Drawing (bases from my drawing)", open=False):
                                a_draw = sketchpad("arith-draw")
                            a_go = gr.Button("Compute", variant="primary", elem_id="arith-go")
                        with gr.Column(scale=6):
                            a_means = image_out("mean(+) and mean(−), decoded", "arith-means", 120)
                            a_sheet = image_out("bases (top) and results (bottom)", "arith-sheet")
                            a_note = gr.Markdown()
                            a_files = downloads("arith-files")
                a_model.input(select("arithmetic"), a_model, a_label,
                              api_name="select_arithmetic_model")
                a_go.click(arithmetic, [a_model, a_plus, a_minus, a_strength, a_source, a_number,
                                        a_count, a_draw, a_label, a_temp],
                           [a_means, a_sheet, a_files, a_note], api_name="latent_arithmetic")

            m = first("style_grid", "cvae-mnist")
            if m:
                with gr.Tab("Class × style", id="tools-style"):
                    with gr.Row():
                        with gr.Column(scale=4):
                            s_model = model_picker("style_grid", m, "style-model")
                            s_source = gr.Radio(SOURCE_CHOICES, value="sample", label="Styles from")
                            with gr.Row():
                                s_number = gr.Number(0, precision=0, minimum=0,
                                                     label="seed / first validation index",
                                                     info=DATA_HINT)
                                s_rows = gr.Slider(1, T.MAX_TOOL_IMAGES, value=6, step=1,
                                                   label="rows (styles)")
                            s_temp = temperature_slider(label="Temperature of prior samples")
                            with gr.Accordion("Drawing (style from my drawing)", open=False):
                                s_draw = sketchpad("style-draw")
                                s_label = class_dropdown(m, "style-class", "The class I drew")
                            s_go = gr.Button("Make the grid", variant="primary", elem_id="style-go")
                        with gr.Column(scale=6):
                            s_sheet = image_out("rows: style latents · columns: classes",
                                                "style-sheet", 360)
                            s_files = downloads("style-files")
                s_model.input(select("style_grid"), s_model, s_label, api_name="select_style_model")
                s_go.click(style_grid, [s_model, s_source, s_number, s_rows, s_draw, s_label, s_temp],
                           [s_sheet, s_files], api_name="style_grid")

            m = first("reconstruct", "vae-mnist-16d")
            if m:
                with gr.Tab("Your digit", id="tools-digit"):
                    latent = gr.State([])
                    with gr.Row():
                        with gr.Column(scale=4):
                            d_model = model_picker("reconstruct", m, "digit-model")
                            d_label = class_dropdown(m, "digit-class", "The class I drew")
                            d_draw = sketchpad("digit-draw", "Draw a digit", 300)
                            d_go = gr.Button("Encode, reconstruct and score", variant="primary",
                                             elem_id="digit-go")
                            d_upload = gr.File(label="…or upload a digit image (up to 2 MB)",
                                               file_types=["image"], type="filepath",
                                               elem_id="digit-upload")
                        with gr.Column(scale=6):
                            with gr.Row():
                                d_digit = image_out("What was encoded (28x28)", "digit-encoded", 160)
                                d_recon = image_out("Reconstruction", "digit-recon", 160)
                            d_text = gr.Markdown(elem_id="digit-text")
                            d_latent = gr.Plot(label="Latent values")
                            d_explore = gr.Button("Set Explore's sliders to this latent",
                                                  elem_id="digit-to-explore",
                                                  visible=explore is not None)
                            d_explore_note = gr.Markdown(elem_id="digit-explore-note")
                            d_score = gr.Markdown(elem_id="digit-anomaly")
                            d_hist = gr.Plot(label="Anomaly score", elem_id="digit-hist")
                            d_gallery = gr.Gallery(label="The most anomalous validation digits "
                                                   "(original | reconstruction)", columns=4,
                                                   height=300, object_fit="contain",
                                                   elem_id="digit-gallery")
                d_model.input(select("reconstruct"), d_model, d_label, api_name="select_digit_model")
                rec_out = [d_digit, d_recon, d_latent, d_text, latent]
                an_out = [d_hist, d_score, d_gallery]
                d_go.click(reconstruct, [d_model, d_draw, d_label], rec_out,
                           api_name="reconstruct_drawing")
                d_go.click(anomaly, [d_model, d_draw, d_label], an_out, api_name="anomaly_score")
                d_upload.upload(reconstruct, [d_model, d_upload, d_label], rec_out,
                                api_name="reconstruct_upload")
                d_upload.upload(anomaly, [d_model, d_upload, d_label], an_out,
                                api_name="anomaly_score_upload")
                if explore is not None:
                    d_explore.click(send_to_explore, [d_model, latent, d_label,
                                                      explore["temperature"], explore["seed"]],
                                    [*explore["restore"][1], d_explore_note,
                                     *([tabs] if tabs is not None else [])],
                                    api_name="send_latent_to_explore")

            m = first("neighbours", "dcgan-mnist")
            if m:
                with gr.Tab("Nearest neighbours", id="tools-neighbours"):
                    with gr.Row():
                        with gr.Column(scale=4):
                            n_model = model_picker("neighbours", m, "nn-model")
                            n_label = class_dropdown(m, "nn-class")
                            n_temp = temperature_slider(0.05)
                            with gr.Row():
                                n_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                                n_count = gr.Slider(1, T.MAX_TOOL_IMAGES, value=4, step=1,
                                                    label="samples")
                            n_go = gr.Button("Find the nearest training digits", variant="primary",
                                             elem_id="nn-go")
                        with gr.Column(scale=6):
                            n_sheet = image_out("sample | 5 nearest in pixels | 5 nearest in judge "
                                                "features", "nn-sheet", 300)
                            n_note = gr.Markdown(elem_id="nn-note")
                            n_table = gr.Dataframe(headers=["sample", "space", "rank", "train index",
                                                            "label", "distance"],
                                                   interactive=False, max_height=260)
                            n_files = downloads("nn-files")
                n_model.input(select("neighbours"), n_model, n_label, api_name="select_neighbours_model")
                n_go.click(neighbours, [n_model, n_label, n_temp, n_seed, n_count],
                           [n_sheet, n_table, n_note, n_files], api_name="nearest_neighbours",
                           concurrency_limit=2)

            m = first("complete", "pixelcnn-mnist")
            if m:
                with gr.Tab("Completion", id="tools-complete"):
                    with gr.Row():
                        with gr.Column(scale=4):
                            c_model = model_picker("complete", m, "complete-model")
                            c_source = gr.Radio(SOURCE_CHOICES[1:], value="data", label="Digit")
                            c_number = gr.Number(0, precision=0, minimum=0, label="validation index",
                                                 info=DATA_HINT)
                            c_hide = gr.Radio(list(T.MASKS), value="bottom half", label="Hide",
                                              elem_id="complete-hide")
                            c_label = class_dropdown(m, "complete-class",
                                                     "Class (a validation digit's own if empty)",
                                                     empty=True)
                            with gr.Row():
                                c_count = gr.Slider(1, T.MAX_TOOL_IMAGES, value=4, step=1,
                                                    label="completions")
                                c_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                            c_temp = temperature_slider(0.05)
                            with gr.Accordion("Drawing (complete my drawing)", open=False):
                                c_draw = sketchpad("complete-draw")
                            c_go = gr.Button("Complete", variant="primary", elem_id="complete-go")
                        with gr.Column(scale=6):
                            c_progress = gr.Textbox(label="Progress", interactive=False,
                                                    elem_id="complete-progress")
                            c_sheet = image_out("original | what the model sees (grey = hidden) | "
                                                "completions", "complete-sheet", 200)
                            c_files = downloads("complete-files")
                c_model.input(select("complete", empty=True), c_model, c_label,
                              api_name="select_complete_model")
                c_go.click(complete, [c_model, c_source, c_number, c_draw, c_hide, c_count, c_seed,
                                      c_temp, c_label], [c_sheet, c_progress, c_files],
                           api_name="complete_digit", concurrency_limit=2)

            m = first("export", "vae-mnist-16d")
            with gr.Tab("Export a grid", id="tools-export"):
                with gr.Row():
                    with gr.Column(scale=4):
                        e_model = model_picker("export", m, "export-model")
                        e_label = class_dropdown(m, "export-class")
                        e_temp = temperature_slider()
                        with gr.Row():
                            e_seed = gr.Number(0, precision=0, minimum=0, label="Seed")
                            e_count = gr.Slider(1, MAX_SAMPLES, value=64, step=1, label="How many")
                        e_go = gr.Button("Sample and export", variant="primary", elem_id="export-go")
                    with gr.Column(scale=6):
                        e_sheet = image_out("Samples", "export-sheet", 400)
                        e_files = downloads("export-files")
            e_model.input(select("export"), e_model, e_label, api_name="select_export_model")
            e_go.click(export_grid, [e_model, e_label, e_temp, e_seed, e_count], [e_sheet, e_files],
                       api_name="export_grid")
    return {"tools": tools}


def describe(endpoint: dict) -> str:
    if endpoint["source"] == "sample":
        return f"prior sample (seed {endpoint['seed']})"
    if endpoint["source"] == "data":
        return f"validation item #{endpoint['index']} (label {endpoint['label']})"
    return "your drawing"
