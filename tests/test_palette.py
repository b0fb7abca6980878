"""The class palette stays apart for colour-blind eyes, and no class rests on colour alone: the
ten colours simulated for protanopia, deuteranopia and tritanopia (Machado, Oliveira & Fernandes
2009, full severity) keep every pair more than 10 CIELAB units apart (the Tableau 10 it replaced
put two classes 0.9 apart for a deuteranope), and each class has its own marker shape, on the
app's map and in the static page's catalog."""
import itertools

import numpy as np

from playground.ui import plots

SIMULATIONS = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def linear_rgb(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ np.clip(rgb, 0, 1)
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest_pair(colours, matrix=np.eye(3)) -> float:
    labs = [lab(np.asarray(matrix) @ linear_rgb(c)) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(labs, 2))


def test_class_colours_stay_apart_for_colour_blind_eyes():
    assert len(plots.CLASS_COLOURS) == 10
    assert closest_pair(plots.CLASS_COLOURS) > 20
    for name, matrix in SIMULATIONS.items():
        assert closest_pair(plots.CLASS_COLOURS, matrix) > 10, name


def test_every_class_has_its_own_shape_on_the_map():
    labels = np.arange(10).repeat(3)
    fig = plots.map_figure(np.random.default_rng(0).normal(size=(30, 2)), labels,
                           [str(k) for k in range(10)])
    symbols = [t.marker.symbol for t in fig.data]
    assert len(set(symbols)) == 10 and len(set(t.marker.color for t in fig.data)) == 10


def test_the_static_page_reads_the_same_palette(static_site):
    from tests.test_static import catalog
    palette = catalog(static_site[0])["palette"]
    assert palette["colours"] == plots.CLASS_COLOURS
    assert palette["symbols"] == plots.CLASS_SYMBOLS
