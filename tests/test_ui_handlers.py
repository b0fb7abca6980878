"""The Tools sub-tabs' handlers called directly (no HTTP, no browser) on the shipped models: each
one's happy path and a bad input that must come back as a gr.Error with a clear message; and the
page build when no model has what a tab needs."""
import csv
import os

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from playground import tools as T
from playground.backend import Backend
from playground.data import split
from playground.store import SLIDERS
from playground.ui.common import default_model
from playground.ui.tools import arithmetic, completion, digit, export, interpolation, neighbours, style
from playground.ui.tools.widgets import select_tool_model


@pytest.fixture(scope="module")
def tools(backend):
    return T.Tools(backend)


def pixels(image) -> np.ndarray:
    """The picture of an image output: an array, or a component update holding a cached file."""
    if isinstance(image, gr.Image):
        image = image.value["path"]
    return np.asarray(Image.open(image).convert("L")) if isinstance(image, str) else image


def rows_of(files) -> list[dict]:
    with open(next(f for f in files if f.endswith(".csv"))) as f:
        return list(csv.DictReader(f))


def a_one(size=200) -> np.ndarray:
    img = np.full((size, size), 255, np.uint8)
    img[size // 5:size * 4 // 5, size * 9 // 20:size * 11 // 20] = 0
    return img


def refused(call, match):
    with pytest.raises(gr.Error, match=match):
        result = call()
        if hasattr(result, "__next__"):   # a stream fails on its first frame
            next(result)


# ---- each sub-tab ---------------------------------------------------------------------------------
def test_select_tool_model(tools):
    update = select_tool_model(tools, "style_grid", False, "cvae-mnist")
    assert update.visible and update.value == "0" and len(update.choices) == 10
    assert select_tool_model(tools, "complete", True, "pixelcnn-mnist").value is None
    refused(lambda: select_tool_model(tools, "style_grid", False, "vae-mnist-16d"),
            "cannot be used here.*Models that fit: .*cvae-mnist")
    refused(lambda: select_tool_model(tools, "export", False, "../etc"), "unknown model")


def test_interpolate_handler(tools):
    sheet, plot, curves, files, note = interpolation.interpolate(
        tools, "vae-mnist-16d", "lerp", 5, None, 1.0, "sample", 0, None, "data", 3, None)
    assert pixels(sheet).shape == (30, 5 * 29 + 1) and sheet.visible and not plot.visible
    assert sorted(f.rsplit(".", 1)[1] for f in files) == ["csv", "gif", "png"]
    assert {t.name for t in curves.data} == {"lerp", "slerp"} and "lerp, 5 frames" in note
    assert len(rows_of(files)) == 5 and "z15" in rows_of(files)[0]
    sheet, plot, *_ = interpolation.interpolate(tools, "flow-moons", "slerp", 4, None, 1.0, "data",
                                                0, None, "data", 500, None)
    assert not sheet.visible and plot.visible                       # points: a path plot
    refused(lambda: interpolation.interpolate(tools, "vae-mnist-16d", "lerp", 1000, None, 1.0,
                                              "sample", 0, None, "sample", 1, None),
            "steps must be between 2 and 32")


def test_arithmetic_handler(tools):
    means, sheet, files, note = arithmetic.latent_arithmetic(
        tools, "vae-mnist-16d", "7", "1", 1.0, "data", 0, 4, None, None, 1.0)
    assert pixels(means).shape == (30, 59) and pixels(sheet).shape == (59, 4 * 29 + 1)
    assert "mean(7)" in note and "4,000 encoded training digits" in note and len(files) == 2
    # the slider's ends: temperature 3 and strength 3 (prior draws past ±10 were refused)
    arithmetic.latent_arithmetic(tools, "vae-mnist-16d", "7", "1", 3.0, "sample", 0, 6, None, None,
                                 3.0)
    refused(lambda: arithmetic.latent_arithmetic(tools, "vae-mnist-16d", "77", "1", 1.0, "data", 0,
                                                 4, None, None, 1.0), "unknown class '77'")


def test_style_grid_handler(tools):
    sheet, files = style.style_grid(tools, "cgan-mnist", "sample", 5, 3, None, None, 1.0)
    assert pixels(sheet).shape == (3 * 29 + 1, 10 * 29 + 1) and len(rows_of(files)) == 3
    refused(lambda: style.style_grid(tools, "cgan-mnist", "data", 5, 3, None, None, 1.0),
            "no encoder")


def test_your_digit_handlers(tools):
    encoded, recon, plot, text, latent = digit.reconstruct(tools, "vae-mnist-16d", a_one(), None)
    assert encoded.shape == recon.shape == (28, 28) and len(latent) == 16
    assert "Reconstruction error" in text
    hist, score, gallery = digit.anomaly(tools, "vae-mnist-16d", a_one(), None)
    assert "Anomaly score" in score and len(gallery) == T.digit.TOP_ANOMALIES
    assert gallery[0][0].shape == (28, 28 + 2 + 28)                  # original | gap | recon
    asked = []

    def restore(request):                                            # Explore's share-link opener
        asked.append(dict(request.query_params))
        return ("vae-mnist-16d", "principal")
    *shown, note, switch = digit.send_to_explore(tools, restore, True, "vae-mnist-16d", latent, None,
                                                 1.0, 0)
    assert shown == ["vae-mnist-16d", "principal"] and "principal directions" in note
    assert asked[0]["mode"] == "principal" and len(asked[0]["z"].split(",")) == SLIDERS
    assert isinstance(switch, gr.Tabs)
    refused(lambda: digit.send_to_explore(tools, restore, True, "vae-mnist-16d", [], None, 1.0, 0),
            "encode a digit first")
    refused(lambda: digit.reconstruct(tools, "vae-mnist-16d", None, None), "draw a digit")
    refused(lambda: digit.anomaly(tools, "cvae-mnist", a_one(), "eleven"), "class")


def test_neighbours_handler(tools):
    sheet, table, note, files = neighbours.nearest_neighbours(tools, "dcgan-mnist", None, 1.0, 2, 2)
    k = T.neighbours.NEIGHBOURS
    assert sheet.shape == (2 * 29 + 1, (2 * k + 3) * 29 + 1) and len(table) == 2 * 2 * k
    assert "median distance" in note and len(rows_of(files)) == 2 * 2 * k
    refused(lambda: neighbours.nearest_neighbours(tools, "dcgan-mnist", None, 1.0, 2, 500),
            "count must be between 1 and 8")


def test_completion_handler_streams(tools):
    frames = list(completion.complete_digit(tools, "pixelcnn-mnist", "data", 3, None, "bottom half",
                                            2, 0, 1.0, ""))
    sheet, progress, files = frames[-1]
    assert progress.startswith("Done") and sheet.shape == (30, 5 * 29 + 1) and len(files) == 2
    row = rows_of(files)[0]
    x, y = split("mnist", "val")
    assert row["number"] == "3" and row["label"] == str(int(y[3]))   # the digit's own class
    refused(lambda: completion.complete_digit(tools, "pixelcnn-mnist", "sample", 3, None,
                                              "bottom half", 2, 0, 1.0, ""), "real digit")


def test_export_handler(tools):
    sheet, files = export.export_grid(tools, "dcgan-mnist", None, 3.0, 0, 64)   # T=3: the bug
    rows = rows_of(files)
    assert sheet.shape == (8 * 29 + 1, 8 * 29 + 1) and len(rows) == 64 and "z0" in rows[0]
    assert max(abs(float(v)) for r in rows for k, v in r.items() if k.startswith("z")) > 10
    refused(lambda: export.export_grid(tools, "dcgan-mnist", None, 1.0, None, 4),
            "seed must be a number")
    refused(lambda: export.export_grid(tools, "dcgan-mnist", None, 1.0, 1e308, 4),
            "seed must be between")


# ---- defaults and the page without models for a tab ------------------------------------------------
def test_default_model_is_the_first_listed(backend):
    models = backend.models("decode")
    assert default_model(models) is models[0] and default_model([]) is None


def only(backend, model, tmp_path):
    """A Backend over a folder that holds just this shipped model (a link to it)."""
    os.symlink(backend.root / model.id, tmp_path / model.id)
    return Backend(root=tmp_path)


def notes(demo) -> list[str]:
    return [c.value for c in demo.blocks.values() if isinstance(c, gr.Markdown)
            and str(c.value).startswith("No model here can")]


@pytest.mark.parametrize("lacks", ["decode", "images"])
def test_the_page_builds_when_no_model_has_what_a_tab_needs(backend, tmp_path, lacks):
    """Before, Explore and Tools took the first model of an empty list and the build crashed."""
    from playground.ui import build_demo
    if lacks == "decode":   # e.g. a text model only: no Explore, no Tools at all
        model = next(m for m in backend.models() if not (m.has("decode") or T.makes_images(m)))
    else:                   # e.g. a 2-D point model only: Explore and Interpolate, no image tools
        model = next(m for m in backend.models() if m.has("points"))
    demo = build_demo(only(backend, model, tmp_path))
    shown = notes(demo)
    assert any("sample images" in n for n in shown)                    # Export a grid
    assert any("both encode and decode images" in n for n in shown)   # arithmetic, your digit
    ids = {getattr(c, "id", None) for c in demo.blocks.values()}
    assert {"tools-export", "tools-interpolate", "tools-complete"} <= ids
    assert ("No model here can decode a latent." in shown) == (lacks == "decode")  # Explore
