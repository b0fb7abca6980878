"""Evaluate: sample quality against diversity as the temperature turns, mode collapse in a class
histogram, and a likelihood table. Shipped curves (pretrained/<id>/evaluation.json) show at once;
"Recompute" measures afresh with the chosen knobs (playground/evaluate/ does the work)."""
from __future__ import annotations

import dataclasses

import gradio as gr
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from playground.backend import Backend
from playground.errors import MAX_SEED, PlaygroundError, check_number
from playground.evaluate import (IMAGE_METRICS, MAX_SAMPLES, MAX_TEMPERATURE, MAX_TEMPERATURES,
                                 MIN_SAMPLES, MIN_TEMPERATURE, POINT_METRICS, SAMPLES, SEED,
                                 TEMPERATURES, Curve, Evaluator, likelihood_cell,
                                 temperature_grid)
from playground.metrics import effective_classes
from playground.ui.common import user_errors
from playground.ui.plots import CLASS_COLOURS, CLASS_SYMBOLS
from playground.ui.view import Target
from playground.view import View

DEFAULT_COUNT = 4  # models ticked when the page opens: the first curve models in model order
REAL = "#555555"
# Well-separated line colours, one per model; D3's grey is left to the real-data lines.
MODEL_COLOURS = [c for c in qualitative.D3 if c != "#7F7F7F"]
LIKELIHOOD_HEADERS = ["model", "measured", "value (held-out data)", "bits/dim", "what it means"]

INTRO = """\
**How good are a model's samples, and how varied?** Every curve scores samples against the 1,000
held-out validation digits with the *judge* classifier (pretrained/classifier-mnist): its
penultimate features stand in for Inception-v3's, so the numbers compare models here, not with
published FIDs. Dashed grey lines are real training digits scored the same way: what a perfect
generator would get.
- **Fréchet distance** ↓ between Gaussians fitted to sample and real features (quality and variety).
- **Inception-Score analogue** ↑ exp(E KL(p(y|x) ‖ p(y))): clear digits *and* all ten classes give 10.
- **Precision** ↑ share of samples inside the real digits' k-NN manifold (quality);
  **recall** ↑ share of real digits inside the samples' manifold (coverage).
- **Diversity** ↑ mean judge-feature distance between samples (a perceptual distance);
  **SSIM** ↓ mean structural similarity of sample pairs (1 = identical).

Low temperature trades recall and diversity for precision; high temperature the reverse.
"""


def curves_figure(curves: list[Curve], metrics: dict, lo: float, hi: float, title: str,
                  colours: dict[str, str] | None = None, knob: str = "T",
                  axis: str = "temperature T") -> go.Figure:
    """One panel per metric, one line per model against temperature (or, with `knob` and `axis`,
    against another knob: the curves' points keyed by its values), real data as a dashed line.
    Fréchet distances span orders of magnitude across temperatures: that panel is log-scaled.
    `colours` keeps a model's colour when others are ticked or unticked."""
    colours = colours or {}
    cols = 4
    rows = -(-len(metrics) // cols)
    names = [f"{t} {'↓' if better == 'lower' else '↑'}" for t, better in metrics.values()]
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.06,
                        vertical_spacing=0.16)
    for k, key in enumerate(metrics):
        r, c = divmod(k, cols)
        ref = next((cv.reference.get(key) for cv in curves if cv.reference.get(key) is not None), None)
        if ref is not None:
            fig.add_trace(go.Scatter(x=[lo, hi], y=[ref, ref], mode="lines", name="real digits"
                                     if curves[0].space == "judge" else "real points",
                                     line=dict(color=REAL, dash="dash", width=1.5),
                                     legendgroup="real", showlegend=k == 0,
                                     hovertemplate=f"real data: {ref:.4g}<extra></extra>"),
                          row=r + 1, col=c + 1)
        if key == "frechet":
            fig.update_yaxes(type="log", row=r + 1, col=c + 1)
        for i, cv in enumerate(curves):
            colour = colours.get(cv.model, CLASS_COLOURS[i % len(CLASS_COLOURS)])
            # a shape per model too, so no line is told apart by its colour alone
            symbol = CLASS_SYMBOLS[(CLASS_COLOURS.index(colour) if colour in CLASS_COLOURS else i)
                                   % len(CLASS_SYMBOLS)]
            temps = [t for t in cv.temperatures(lo, hi) if cv.points[t].get(key) is not None]
            if not temps:
                continue
            fig.add_trace(go.Scatter(
                x=temps, y=[cv.points[t][key] for t in temps], mode="lines+markers", name=cv.model,
                line=dict(color=colour, width=2), marker=dict(size=7, symbol=symbol),
                legendgroup=cv.model,
                showlegend=k == 0,
                hovertemplate=f"{cv.model}<br>{knob}=%{{x:g}}: %{{y:.4g}}<br>{cv.samples:,} samples"
                              "<extra></extra>"), row=r + 1, col=c + 1)
    fig.update_xaxes(title_text=axis, title_standoff=2, showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee")
    fig.update_layout(height=330 * rows + 40, margin=dict(l=10, r=10, t=60, b=10), title=title,
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.3 / rows),
                      hovermode="closest")
    fig.update_annotations(font_size=12)
    return fig


def guidance_figure(curves: list[Curve], colours: dict[str, str]) -> go.Figure | None:
    """The image metrics against the guidance scale at T = 1, for models that have a guidance
    knob and shipped such points (a diffusion model's classifier-free guidance); None if none."""
    guided = [dataclasses.replace(c, points=c.guidance) for c in curves if c and c.guidance]
    if not guided:
        return None
    ws = [w for c in guided for w in c.guidance]
    return curves_figure(guided, IMAGE_METRICS, min(ws), max(ws),
                         "Against the guidance scale w at T = 1 (0 = unconditional, 1 = "
                         "conditional, > 1 = guided)", colours, knob="w", axis="guidance scale w")


def histogram_figure(curve: Curve | None, temperature: float, class_names,
                     colour: str = CLASS_COLOURS[0]) -> go.Figure:
    """Class histogram of a model's samples (judge's verdict) beside the real digits'."""
    fig = go.Figure()
    if curve is not None:
        real = curve.reference.get("class_hist")
        if real:
            fig.add_trace(go.Bar(x=list(class_names), y=real, name="real digits (validation)",
                                 marker_color="#bbbbbb",
                                 hovertemplate="real: %{y:.1%} are %{x}<extra></extra>"))
        point = curve.points.get(temperature, {})
        if point.get("class_hist"):
            fig.add_trace(go.Bar(x=list(class_names), y=point["class_hist"],
                                 name=f"{curve.model} at T={temperature:g}",
                                 marker_color=colour,
                                 hovertemplate="samples: %{y:.1%} judged %{x}<extra></extra>"))
    fig.add_hline(y=1 / max(len(class_names), 1), line_dash="dot", line_color=REAL,
                  annotation_text="even share", annotation_position="top left")
    fig.update_layout(barmode="group", height=340, margin=dict(l=10, r=10, t=40, b=10),
                      title="Which digits does the judge see in the samples?",
                      xaxis_title="digit (judge's verdict)", yaxis_title="fraction of samples",
                      yaxis_tickformat=".0%", plot_bgcolor="white", legend=dict(orientation="h", y=-0.2))
    return fig


def create_evaluate_tab(backend: Backend) -> Target | None:
    """The tab, when at least one model has a curve (a judge-readable image model or a point
    model); defaults are the first such models in the backend's model order. Returns what a view
    sets on it: the histogram's model and temperature."""
    evaluator = Evaluator(backend)
    models = evaluator.curve_models()
    if not models:  # nothing to measure: no tab rather than an empty one
        return
    ids = [m.id for m in models]
    colours = {m: MODEL_COLOURS[i % len(MODEL_COLOURS)] for i, m in enumerate(ids)}
    default = ids[:DEFAULT_COUNT]
    image_ids = [m.id for m in models if evaluator.space(m) == "judge"]
    hist_default = image_ids[0] if image_ids else None

    def status_line(model_id, curve: Curve | None) -> str:
        if curve is None:
            return (f"- **{model_id}**: no curve for these weights yet; press *Recompute*, or run "
                    f"`python -m playground.evaluate --model {model_id}`")
        return f"- {curve.describe()}"

    def view(model_ids, t_min, t_max, samples, seed):
        """(image figure, points figure, status) for the chosen models from what is at hand
        (nothing is computed); a figure is None where no chosen model lives in that space."""
        infos = evaluator.check_models(model_ids)
        lo, hi = sorted(check_number(t, "temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
                        for t in (t_min, t_max))
        curves = {i.id: evaluator.curve(i.id, samples, seed) for i in infos}
        lines = [status_line(m, c) for m, c in curves.items()]
        out = []
        for space, metrics, title in (("judge", IMAGE_METRICS, "Image models, judge features"),
                                      ("points", POINT_METRICS, "2-D point models, raw coordinates")):
            group = [c for i in infos if evaluator.space(i) == space and (c := curves[i.id])]
            out.append(curves_figure(group, metrics, lo, hi, title, colours) if group else None)
        outside = [c.model for c in curves.values() if c and not c.temperatures(lo, hi)]
        if outside:
            lines.append(f"*No computed temperature lies in {lo:g}–{hi:g} for "
                         f"{', '.join(outside)}: press Recompute.*")
        return (*out, "\n".join(lines))

    def shown(figures_and_status):
        image_fig, points_fig, text = figures_and_status
        return (gr.Plot(value=image_fig, visible=image_fig is not None),
                gr.Plot(value=points_fig, visible=points_fig is not None), text)

    def judged_model(model_id):
        info = backend.info(model_id)
        if evaluator.space(info) != "judge":
            raise PlaygroundError(f"{info.id} does not make digits the judge can read; class "
                                  f"histograms are for image models")
        return info

    def histogram(model_id, temperature, samples, seed):
        """(figure, text, measured temperatures, the temperature shown)."""
        info = judged_model(model_id)
        curve = evaluator.curve(info.id, samples, seed)
        temps = curve.temperatures() if curve else []
        if temps and temperature not in temps:  # the closest temperature that was measured
            temperature = min(temps, key=lambda t: abs(t - float(temperature)))
        point = curve.points.get(temperature, {}) if curve else {}
        if not point.get("class_hist"):
            text = f"No samples of {info.id} measured yet: press *Recompute* with it selected."
        else:
            real_eff = effective_classes(curve.reference["class_hist"])
            hist = point["class_hist"]
            rare = min(range(len(hist)), key=hist.__getitem__)
            text = (f"**{effective_classes(hist):.1f}** effective classes out of {len(hist)} "
                    f"(exp of the histogram's entropy; real digits: {real_eff:.1f}). Rarest: "
                    f"**{info.class_names[rare] if rare < len(info.class_names) else rare}** at "
                    f"{hist[rare]:.1%}. {curve.samples:,} samples at T={temperature:g}"
                    f"{', class-balanced requests' if info.has('condition') else ''}.")
        names = info.class_names or [str(k) for k in range(10)]
        return (histogram_figure(curve, temperature, names, colours[info.id]), text, temps,
                temperature)

    def histogram_outputs(model_id, temperature, samples, seed):
        fig, text, temps, t = histogram(model_id, temperature, samples, seed)
        return fig, text, gr.Dropdown(choices=[f"{x:g}" for x in temps] or [f"{t:g}"], value=f"{t:g}")

    def likelihood_rows() -> list[list[str]]:
        rows = []
        for info in backend.models():
            row = evaluator.likelihood(info.id)
            value, bpd = likelihood_cell(row)
            measured = {"bound": "ELBO (bound)", "pseudo": "pseudo-likelihood",
                        "none": "—"}.get(row["kind"], "exact likelihood") if row else "—"
            note = row["note"] if row else ("not measured for these weights yet: run `python -m "
                                            f"playground.evaluate --model {info.id}`")
            rows.append([info.id, measured, value, bpd, note])
        return rows

    @user_errors
    def evaluation_curves(model_ids, t_min, t_max, samples, seed):
        """Quality/diversity metrics against temperature for the chosen models, from the shipped
        curves or ones recomputed with these samples and seed; nothing is computed here."""
        return shown(view(model_ids, t_min, t_max, samples, seed))

    @user_errors
    def recompute_evaluation(model_ids, t_min, t_max, n_temps, samples, seed, hist_model,
                             hist_t, progress=gr.Progress()):
        """Measure the chosen models afresh at n_temps temperatures from t_min to t_max with
        `samples` samples each (100–1,000) and this seed; one evaluation per server at a time.
        Also refreshes the histogram and the likelihood table."""
        temps = temperature_grid(t_min, t_max, n_temps)
        # The histogram's knobs are checked before a minute of sampling, not after it.
        check_number(hist_t, "temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
        judged_model(hist_model)
        evaluator.compute(model_ids, temps, samples, seed,
                          progress=lambda f, text: progress(f, desc=text))
        return (*shown(view(model_ids, t_min, t_max, samples, seed)),
                *mode_collapse(hist_model, hist_t, samples, seed), likelihood_rows())

    @user_errors
    def mode_collapse(model_id, temperature, samples, seed):
        """Class histogram (by the judge) of a model's samples at one measured temperature,
        beside the real digits': a missing or swollen bar is mode collapse."""
        t = check_number(temperature, "temperature", MIN_TEMPERATURE, MAX_TEMPERATURE)
        return histogram_outputs(model_id, t, samples, seed)

    def guidance_view(model_ids):
        infos = evaluator.check_models(model_ids)
        return guidance_figure([evaluator.shipped(i.id) for i in infos], colours)

    @user_errors
    def guidance_curves(model_ids):
        """The chosen models' image metrics against the guidance scale at T = 1 (models with
        classifier-free guidance, from their shipped curves): diversity falls and "judged as
        the asked class" rises as w grows."""
        fig = guidance_view(model_ids)
        return gr.Plot(value=fig, visible=fig is not None)

    @user_errors
    def likelihood_table():
        """Held-out likelihood of every model: exact bits/dim, an ELBO bound, a pseudo-likelihood,
        or 'no likelihood' (GANs), each with a one-line explanation."""
        return likelihood_rows()

    # Initial view: shipped curves only, so the page opens without computing anything.
    first_plots = view(default, min(TEMPERATURES), max(TEMPERATURES), SAMPLES, SEED)
    first_hist = (histogram(hist_default, 1.0, SAMPLES, SEED) if hist_default
                  else (None, "", [], 1.0))

    with gr.Tab("Evaluate", id="evaluate") as tab:
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=3):
                pick = gr.CheckboxGroup(ids, value=default, label="Models", elem_id="eval-models")
            with gr.Column(scale=2):
                with gr.Row():
                    t_min = gr.Slider(MIN_TEMPERATURE, MAX_TEMPERATURE, value=min(TEMPERATURES),
                                      step=0.05, label="Lowest T", elem_id="eval-tmin")
                    t_max = gr.Slider(MIN_TEMPERATURE, MAX_TEMPERATURE, value=max(TEMPERATURES),
                                      step=0.05, label="Highest T", elem_id="eval-tmax")
                with gr.Accordion("Recompute settings", open=False):
                    n_temps = gr.Slider(1, MAX_TEMPERATURES, value=len(TEMPERATURES), step=1,
                                        label="Temperatures (evenly spaced)")
                    samples = gr.Slider(MIN_SAMPLES, MAX_SAMPLES, value=SAMPLES, step=100,
                                        label="Samples per temperature",
                                        info="fewer: faster but noisier; precision/recall and "
                                             "Fréchet distance depend on the count")
                    seed = gr.Number(SEED, precision=0, minimum=0, maximum=MAX_SEED, label="Seed")
                go_btn = gr.Button("Recompute", variant="secondary", elem_id="eval-recompute")
        status = gr.Markdown(first_plots[2], elem_id="eval-status")
        image_plot = gr.Plot(first_plots[0], visible=first_plots[0] is not None,
                             label="Quality and diversity against temperature",
                             elem_id="eval-curves")
        points_plot = gr.Plot(first_plots[1], visible=first_plots[1] is not None,
                              label="2-D point models against temperature", elem_id="eval-points")
        first_guidance = guidance_view(default)
        guidance_plot = gr.Plot(first_guidance, visible=first_guidance is not None,
                                label="Against the guidance scale", elem_id="eval-guidance")
        gr.Markdown("### Mode collapse\nA generator that forgets a digit shows a hole; one that "
                    "favours a digit shows a tower. The judge reads each sample's digit.")
        with gr.Row():
            with gr.Column(scale=1):
                hist_model = gr.Dropdown(image_ids, value=hist_default, label="Model",
                                         elem_id="eval-hist-model")
                hist_t = gr.Dropdown([f"{t:g}" for t in first_hist[2]] or ["1"],
                                     value=f"{first_hist[3]:g}", label="Temperature",
                                     allow_custom_value=True,  # choices follow each recompute
                                     elem_id="eval-hist-t")
                hist_text = gr.Markdown(first_hist[1], elem_id="eval-hist-text")
            with gr.Column(scale=3):
                hist_plot = gr.Plot(first_hist[0], label="Class histogram", elem_id="eval-hist")
        gr.Markdown("### Likelihood of held-out data\nLower is better within a row's kind only: "
                    "an exact value, a bound and a pseudo-likelihood measure different things, "
                    "and binarised or 2-D data are other data sets.")
        table = gr.Dataframe(likelihood_rows(), headers=LIKELIHOOD_HEADERS, interactive=False,
                             wrap=True, column_widths=["14%", "12%", "20%", "8%", "46%"],
                             elem_id="eval-likelihood")

    knobs = [pick, t_min, t_max, samples, seed]
    curve_outputs = [image_plot, points_plot, status]
    hist_outputs = [hist_plot, hist_text, hist_t]
    gr.on([pick.input, t_min.release, t_max.release], evaluation_curves, knobs, curve_outputs,
          api_name="evaluation_curves", show_progress="hidden")
    pick.input(guidance_curves, pick, guidance_plot, api_name="guidance_curves",
               show_progress="hidden")
    go_btn.click(recompute_evaluation, [pick, t_min, t_max, n_temps, samples, seed, hist_model,
                                        hist_t], curve_outputs + hist_outputs + [table],
                 api_name="recompute_evaluation")
    gr.on([hist_model.input, hist_t.input], mode_collapse, [hist_model, hist_t, samples, seed],
          hist_outputs, api_name="mode_collapse")
    tab.select(likelihood_table, None, table, api_name="likelihood_table")

    def apply(v: View):
        """A view's model and temperature go to the mode-collapse histogram (shipped curves)."""
        if v.model is None or v.model not in image_ids:
            return [gr.skip()] * 4
        return (v.model, *histogram_outputs(v.model, 1.0 if v.t is None else v.t, SAMPLES, SEED))

    return Target(("evaluate",), [hist_model, *hist_outputs], apply)
