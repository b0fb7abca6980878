"""Interactive plotly figures (no torch here)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def flow_figure(z_cloud: np.ndarray, x_cloud: np.ndarray, z: np.ndarray | None = None,
                x: np.ndarray | None = None, title: str = "") -> go.Figure:
    """Latent space beside data space: prior samples and their images under the model, with the
    current latent point and where it lands. A latent of other than 2 dims shows its first two
    (a 1-D latent on the line y = 0)."""
    def plane(a):
        a = np.atleast_2d(np.asarray(a, np.float32))[:, :2]
        return np.pad(a, ((0, 0), (0, 2 - a.shape[1])))
    dims = "z" if np.shape(z_cloud)[-1] == 2 else "z₁, z₂"
    z_cloud = plane(z_cloud)
    z = None if z is None else plane(z)[0]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"latent {dims} ~ N(0, T²I)", "data x = f(z)"))
    for col, cloud in ((1, z_cloud), (2, x_cloud)):
        fig.add_trace(go.Scattergl(x=cloud[:, 0], y=cloud[:, 1], mode="markers",
                                   marker=dict(size=3, color="#6b7fd7", opacity=0.5),
                                   name="samples", showlegend=col == 1), row=1, col=col)
    if z is not None and x is not None:
        for col, p in ((1, z), (2, x)):
            fig.add_trace(go.Scatter(x=[p[0]], y=[p[1]], mode="markers",
                                     marker=dict(size=14, color="#e4572e", symbol="x"),
                                     name="current latent" if col == 1 else "its image",
                                     showlegend=True), row=1, col=col)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), title=title,
                      legend=dict(orientation="h", y=-0.1))
    fig.update_yaxes(scaleanchor="x", row=1, col=1)
    fig.update_yaxes(scaleanchor="x2", row=1, col=2)
    return fig


# One colour and one marker shape per digit class: Paul Tol's "muted" scheme (nine colours made to
# stay apart for the common colour blindnesses, and pale grey), each with its own shape, so a
# class never rests on colour alone. The static page reads both from its catalog.
CLASS_COLOURS = ["#332288", "#88ccee", "#44aa99", "#117733", "#999933",
                 "#ddcc77", "#cc6677", "#882255", "#aa4499", "#bbbbbb"]
CLASS_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down",
                 "cross", "x", "pentagon", "hexagon", "star-triangle-up"]
# Markers laid over the map: what they are → (symbol, colour, size).
MAP_MARKERS = {"clicked": ("circle-open", "#111111", 16),
               "Explore's latent": ("star", "#111111", 20),
               "your drawing": ("x", "#d62728", 18)}


def map_figure(points: np.ndarray, labels: np.ndarray, class_names, *, markers: dict | None = None,
               title: str = "", revision: str = "") -> go.Figure:
    """A latent map: one trace per class (hover: class and index of the digit), then the markers
    {name: (x, y)}. `revision` keeps the person's zoom while only the markers change."""
    fig = go.Figure()
    idx = np.arange(len(points))
    for k in np.unique(labels):
        sel = labels == k
        name = class_names[k] if k < len(class_names) else str(k)
        fig.add_trace(go.Scatter(
            x=points[sel, 0], y=points[sel, 1], mode="markers", name=name,
            marker=dict(size=5, color=CLASS_COLOURS[int(k) % len(CLASS_COLOURS)], opacity=0.8,
                        symbol=CLASS_SYMBOLS[int(k) % len(CLASS_SYMBOLS)]),
            customdata=np.stack([idx[sel], labels[sel]], 1),
            hovertemplate=f"digit {name} · #%{{customdata[0]}}<extra></extra>"))
    for name, xy in (markers or {}).items():
        symbol, colour, size = MAP_MARKERS.get(name, ("diamond", "#111111", 14))
        fig.add_trace(go.Scatter(x=[xy[0]], y=[xy[1]], mode="markers", name=name,
                                 marker=dict(symbol=symbol, size=size, color=colour,
                                             line=dict(width=2, color=colour)),
                                 hovertemplate=f"{name}<extra></extra>"))
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=40, b=10), title=title,
                      hovermode="closest", uirevision=revision or None, plot_bgcolor="white",
                      legend=dict(itemsizing="constant", title="class"))
    fig.update_xaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#eee", zeroline=False)
    return fig
