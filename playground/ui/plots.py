"""Interactive plotly figures (no torch here)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def flow_figure(z_cloud: np.ndarray, x_cloud: np.ndarray, z: np.ndarray | None = None,
                x: np.ndarray | None = None, title: str = "") -> go.Figure:
    """Latent space beside data space: prior samples and their images under the model, with the
    current latent point and where it lands."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("latent z ~ N(0, T²I)", "data x = f(z)"))
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
