"""tests/factories.py: the tiny models other tests build, and the lists they derive."""
import torch

from playground.backend import Backend
from playground.base import FAMILIES
from playground.models import RECIPES
from tests import factories


def test_every_recipe_builds_tiny_and_the_seed_alone_sets_the_weights():
    for name in RECIPES:
        before = torch.random.get_rng_state()
        a, b = factories.tiny(name), factories.tiny(name)
        assert torch.equal(torch.random.get_rng_state(), before), f"{name}: global RNG moved"
        assert not a.training and type(a) is FAMILIES[RECIPES[name].family]
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
        full = sum(p.numel() for p in FAMILIES[RECIPES[name].family](RECIPES[name].config).parameters())
        assert sum(p.numel() for p in a.parameters()) <= full, f"{name}: tiny is not smaller"


def test_lists_come_from_the_registry():
    assert set(factories.FAMILY_RECIPES) == set(FAMILIES)
    assert factories.families("decode") == sorted(f for f in FAMILIES if "decode" in FAMILIES[f].capabilities)
    assert set(factories.shipped()) == {m.id for m in Backend().models()}
    assert set(factories.shipped("condition")) == {m.id for m in Backend().models("condition")}


def test_the_tiny_root_is_a_pretrained_root_the_backend_serves(tiny_root):
    b = Backend(tiny_root)
    assert {m.id for m in b.models()} == {n for n, r in RECIPES.items() if FAMILIES[r.family].is_generative}
    for info in b.models("decode"):
        image = b.decode(info.id, [0.0] * info.latent_dim, *(["0"] if info.has("condition") else []))
        assert image.shape[-2:] in ((28, 28), (8, 8)) or image.shape[-1] == 2
