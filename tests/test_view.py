"""The view (playground/view.py): every field checked once, a clear error for bad input, the same
view from a share link's query as from the page's JSON; and the one handler that applies it."""
import json

import gradio as gr
import pytest

from playground.errors import PlaygroundError
from playground.store import SLIDERS
from playground.view import SLIDERS as VIEW_SLIDERS
from playground.view import TABS, View


@pytest.fixture(scope="module")
def models(backend):
    return {m.id: m for m in backend.models()}


def test_a_share_link_and_its_json_are_the_same_view(models):
    q = {"model": "cvae-mnist", "mode": "axes", "t": "0.5", "seed": "4", "class": "7",
         "rest": "-1", "z": "1.5,-2", "utm": "ignored"}
    view = View.from_query(q, models)
    assert view == View(tab="explore", model="cvae-mnist", mode="axes", t=0.5, seed=4, label="7",
                        rest=-1, z=(1.5, -2.0))
    assert View.from_dict(json.loads(json.dumps(view.to_dict())), models) == view
    assert VIEW_SLIDERS == SLIDERS


def test_tab_knobs_and_lessons(models):
    v = View.from_query({"tab": "text", "model": "chargpt-names", "class": "female", "t": "0",
                         "top_k": "5", "top_p": "0.9", "prefix": "ma"}, models)
    assert v.knobs == {"top_k": 5, "top_p": 0.9, "prefix": "ma"} and v.t == 0
    v = View.from_dict({"tab": "train-live", "knobs": {"preset": "GAN mode collapse"}}, models)
    assert v.to_dict() == {"tab": "train-live", "knobs": {"preset": "GAN mode collapse"}}
    v = View.from_dict({"model": "ddpm-mnist", "knobs": {"guidance": 3, "sampler": "ddpm"}}, models)
    assert v.tab == "explore" and v.knobs == {"guidance": 3.0, "sampler": "ddpm"}
    assert View.from_query({"lesson": "latent-space", "step": "3"}, models).step == 3
    assert "tools-neighbours" in TABS


@pytest.mark.parametrize("bad, message", [
    ({"model": "../../etc/passwd"}, "unknown model"),
    ({"model": "chargpt-names"}, "not a model of the Explore"),
    ({"tab": "nowhere"}, "tab must be one of"),
    ({"tab": "train-live", "model": "vae-mnist-2d"}, "takes no model"),
    ({"model": "vae-mnist-2d", "t": float("nan")}, "temperature must be finite"),
    ({"model": "vae-mnist-2d", "t": 99}, "temperature must be between"),
    ({"model": "vae-mnist-2d", "seed": 1.5}, "seed must be a whole number"),
    ({"model": "vae-mnist-2d", "z": [1, 2, 3]}, "3 values, vae-mnist-2d has 2 sliders"),
    ({"model": "vae-mnist-2d", "z": [1e9]}, "z[0] must be between"),
    ({"model": "vae-mnist-2d", "class": "7"}, "takes no class"),
    ({"model": "cvae-mnist", "class": "eleven"}, "class must be one of"),
    ({"tab": "explore", "seed": 3}, "seed needs a model"),
    ({"tab": "latent-map-tab", "model": "vae-mnist-2d", "t": 1}, "takes no t"),
    ({"model": "vae-mnist-2d", "knobs": {"guidance": 2}}, "'guidance' is not a knob of vae-mnist-2d"),
    ({"tab": "train-live", "knobs": {"preset": "make it work"}}, "preset must be one of"),
    ({"tab": "text", "knobs": {"prefix": "x" * 99}}, "prefix must be text of at most"),
    ({"lesson": "../x"}, "lower-case letters"),
    ({"lesson": "latent-space", "step": 0}, "step must be between"),
    ({"step": 2}, "a step needs a lesson"),
    ({"colour": "red"}, "no field 'colour'"),
    ("not a view", "must be an object"),
])
def test_bad_views_are_refused_with_their_reason(models, bad, message):
    with pytest.raises(PlaygroundError, match=message.replace("[", r"\[").replace("(", r"\(")):
        View.from_dict(bad, models)


def test_the_handler_sets_the_tab_and_refuses_a_bad_view(backend):
    from playground.ui.view import Target, apply_view, skips
    calls = []
    target = Target(("conditional",), ["a", "b"], lambda v: calls.append(v) or ("A", "B"))
    out = apply_view(backend, [target], json.dumps({"tab": "conditional", "model": "cvae-mnist",
                                                    "class": "3"}))
    assert out[0].selected == "conditional" and out[2:] == ["A", "B"]
    assert calls[0].label == "3"
    out = apply_view(backend, [target], json.dumps({"tab": "tools-neighbours"}))
    assert out[0].selected == "tools" and out[1].selected == "tools-neighbours"
    assert len(skips([target])) == 4
    for bad in ('{"model": "nope"}', "{", "x" * 5000, None):
        with pytest.raises(gr.Error, match="could not be opened"):
            apply_view(backend, [target], bad)
