"""A new family is one file plus a recipe: a toy family defined in the test tree (tests/toy/)
appears in Explore, Tools, Latent map and Evaluate by its capabilities alone, decodes in the page,
and trains with the project's own trainer."""
import shutil

import gradio as gr
import numpy as np
import pytest

from playground import webdecoder
from playground.backend import Backend
from playground.base import FAMILIES
from playground.judge import JUDGE
from playground.store import PRETRAINED
from playground.tools import Tools
from playground.train import run


@pytest.fixture(scope="module")
def toy_root(tmp_path_factory):
    """A pretrained/ folder with the judge and one toy model trained by playground.train."""
    from tests.toy import toy_family
    root = tmp_path_factory.mktemp("pretrained")
    shutil.copytree(PRETRAINED / JUDGE, root / JUDGE)
    shutil.copytree(PRETRAINED / "vae-mnist-2d", root / "vae-mnist-2d")  # a shipped neighbour
    run(toy_family.RECIPES["toy-mnist"], root / "toy-mnist", dry_run=True, judge_samples=100)
    yield root
    FAMILIES.pop("toy", None)  # other tests iterate the registry


def choices(block) -> list[str]:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in block.choices]


def test_the_toy_family_appears_by_its_capabilities(toy_root):
    from playground.ui import build_demo
    backend = Backend(toy_root)
    info = backend.info("toy-mnist")
    assert info.family == "toy" and info.has("encode") and info.has("decode")
    demo = build_demo(backend)
    pickers = {b.elem_id: b for b in demo.blocks.values()
               if isinstance(b, (gr.Dropdown, gr.CheckboxGroup)) and b.elem_id}
    tools = Tools(backend)
    expected = {"explore-model", "map-model", "eval-models"}
    expected |= {elem for tool, elem in [("interpolate", "interp-model"), ("arithmetic", "arith-model"),
                                         ("reconstruct", "digit-model"), ("export", "export-model"),
                                         ("neighbours", "nn-model")]
                 if info in tools.models(tool)}
    assert {"interp-model", "arith-model", "digit-model", "export-model"} <= expected
    for elem in sorted(expected):
        assert "toy-mnist" in choices(pickers[elem]), f"{elem} does not offer the toy model"
    for elem in ("cond-model", "steps-model", "style-model", "complete-model"):  # it lacks those
        assert elem not in pickers or "toy-mnist" not in choices(pickers[elem])


def test_the_toy_model_works_through_the_services(toy_root):
    backend = Backend(toy_root)
    z = backend.latent_from_sliders("toy-mnist", [0.5, -0.5, 0.0])
    assert backend.decode("toy-mnist", z).shape == (28, 28)
    assert backend.sample("toy-mnist", 4, seed=1).shape == (4, 28, 28)
    spec = backend.web_decoder("toy-mnist")          # decodes in the page, checked against torch
    assert spec is not None and spec["latent_dim"] == 3
    got = webdecoder.run(spec, z[None])[0, 0]
    assert np.abs(got * 255 - backend.decode("toy-mnist", z)).max() <= 1
    assert backend.web_spec("toy-mnist", "encoder")["output_shape"] == [3]
    assert backend.projection("toy-mnist", "pca").points.shape == (1000, 2)
