"""Train live's figures: data against samples, each family's view inside the model, the losses.
Plain functions of a trainer snapshot (playground/live/trainer.py) that return plotly figures."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from playground import live

DATA_COLOUR, SAMPLE_COLOUR = "#9aa0a6", "#e4572e"


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), title=title,
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.08),
                      uirevision="live")  # keep the person's zoom while frames replace the data
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    return fig


def _square(fig: go.Figure, data: np.ndarray, pad: float = 0.6) -> None:
    """Fixed axes around the data (samples that fly off are clipped, the view never jumps)."""
    lo, hi = float(data.min()) - pad, float(data.max()) + pad
    fig.update_xaxes(range=[lo, hi])
    fig.update_yaxes(range=[lo, hi])


def _points(xy: np.ndarray, name: str, colour: str, size: int = 4, opacity: float = 0.6):
    return go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", name=name, hoverinfo="skip",
                      marker=dict(size=size, color=colour, opacity=opacity))


def scatter_figure(snap: dict, marker: np.ndarray | None = None, title: str = "") -> go.Figure:
    """Target points against model samples (same fixed noise every frame: one mapping moving)."""
    fig = go.Figure([_points(snap["data"], "data", DATA_COLOUR),
                     _points(snap["samples"], "model samples", SAMPLE_COLOUR)])
    if marker is not None:
        fig.add_trace(go.Scatter(x=marker[:, 0], y=marker[:, 1], mode="markers",
                                 name="decoded latent", marker=dict(size=16, symbol="x",
                                                                    color="#111111")))
    _square(fig, snap["data"])
    return _layout(fig, title or f"data vs model · step {snap['steps_done']}")


def diagnostic_figure(snap: dict) -> go.Figure:
    """Each family's view inside the model, drawn by the diagnostic's kind."""
    diag, fig = snap["diagnostic"], go.Figure()
    if diag["kind"] == "surface":
        fig.add_trace(go.Heatmap(x=diag["axis"], y=diag["axis"], z=diag["values"], zmin=0, zmax=1,
                                 colorscale="RdBu", reversescale=True, opacity=0.75,
                                 colorbar=dict(title="D(x)", thickness=10), hoverinfo="skip"))
        fig.add_trace(_points(snap["data"], "data", "#333333", 3, 0.5))
        fig.add_trace(_points(snap["samples"], "model samples", SAMPLE_COLOUR, 3, 0.7))
        _square(fig, snap["data"], pad=0.5)
    elif diag["kind"] == "lines":
        xs, ys = [], []
        for line in diag["lines"]:
            xs += [*line[:, 0], None]
            ys += [*line[:, 1], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="warped latent grid",
                                 line=dict(width=1, color="#4e79a7"), hoverinfo="skip"))
        fig.add_trace(_points(snap["data"], "data", DATA_COLOUR, 3, 0.5))
        _square(fig, snap["data"])
    elif diag["kind"] == "field":
        _field(fig, diag)
        fig.add_trace(_points(snap["data"], "data", DATA_COLOUR, 3, 0.5))
        _square(fig, snap["data"])
    elif diag["kind"] == "latent":
        t = np.linspace(0, 2 * np.pi, 100)
        for r in (1, 2):
            fig.add_trace(go.Scatter(x=r * np.cos(t), y=r * np.sin(t), mode="lines",
                                     line=dict(color="#bbbbbb", dash="dot"), hoverinfo="skip",
                                     name="prior N(0, I): 1σ, 2σ", showlegend=r == 1))
        fig.add_trace(_points(diag["codes"], "posterior means of the data", "#4e79a7", 4, 0.6))
        fig.update_xaxes(range=[-3, 3], title="z₁")
        fig.update_yaxes(range=[-3, 3], title="z₂")
    return _layout(fig, diag["title"])


def _field(fig: go.Figure, diag: dict) -> None:
    """Arrows from each grid point (a line and an arrowhead at its tip) and the reverse paths,
    each from a grey start (noise) to a dot at its end (a sample)."""
    xs, ys, sizes = [], [], []
    for (x, y), (dx, dy) in zip(diag["points"], diag["arrows"]):
        xs += [x, x + dx, None]
        ys += [y, y + dy, None]
        sizes += [0, 7, 0]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name="denoising direction",
                             line=dict(width=1, color="#4e79a7"), hoverinfo="skip",
                             marker=dict(symbol="arrow", angleref="previous", size=sizes,
                                         color="#4e79a7")))
    for i, path in enumerate(diag["paths"]):
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", hoverinfo="skip",
                                 line=dict(width=1.5, color=SAMPLE_COLOUR),
                                 name="reverse paths", legendgroup="paths", showlegend=i == 0))
    ends = diag["paths"]
    fig.add_trace(go.Scatter(x=ends[:, 0, 0], y=ends[:, 0, 1], mode="markers", name="noise",
                             marker=dict(size=6, color="#bbbbbb"), hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=ends[:, -1, 0], y=ends[:, -1, 1], mode="markers", name="sample",
                             marker=dict(size=7, color=SAMPLE_COLOUR), hoverinfo="skip"))


def _smooth(values: np.ndarray, points: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Bucket means: at most `points` points per curve, whatever the step count (small frames)."""
    n = len(values)
    if n <= points:
        return np.arange(1, n + 1), values
    edges = np.linspace(0, n, points + 1).astype(int)
    return edges[1:], np.array([values[a:b].mean() for a, b in zip(edges[:-1], edges[1:])])


def loss_figure(snap: dict) -> go.Figure:
    """The family's training losses, and the distance of its samples to the data (MMD²), which
    means the same thing for every family."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("training losses",
                                                        "MMD² samples ↔ data (lower is better)"))
    colours = ["#4e79a7", "#e4572e", "#59a14f"]
    for colour, (name, values) in zip(colours, snap["history"].items()):
        x, y = _smooth(values)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=colour)),
                      row=1, col=1)
    m = snap["mmd"]
    fig.add_trace(go.Scatter(x=m[:, 0], y=np.maximum(m[:, 1], 1e-5), mode="lines+markers",
                             name="MMD²", line=dict(color="#111111"), marker=dict(size=3)),
                  row=1, col=2)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_xaxes(title="step", range=[0, snap["steps"]])
    _layout(fig, "", height=300)
    fig.update_layout(uirevision=None)
    return fig


def measures_text(snap: dict) -> str:
    """A frame's numbers: each loss over its last steps, MMD², coverage, the diagnostic's note."""
    note = snap["diagnostic"].get("note", "")
    losses = " · ".join(f"{k} {v:.3g}" for k, v in snap["recent_loss"].items())
    return (f"{losses or 'no steps yet'} · MMD² {snap['mmd'][-1, 1]:.3g} · "
            f"coverage {snap['coverage']:.0%} of the data has a sample nearby"
            + (f"  \n{note}" if note else ""))


def status_text(trainer: live.LiveTrainer, snap: dict, state: str) -> str:
    rate = trainer.steps_done / trainer.seconds if trainer.seconds else 0.0
    return (f"**{state}** · step {trainer.steps_done} of {trainer.config.steps} · "
            f"{rate:.0f} steps/s of CPU  \n" + measures_text(snap))
