"""Family-specific promises of the model-zoo files (ae, flow, gan, classifier), on tiny configs."""
import dataclasses

import torch

from playground.models import RECIPES
from playground.base import FAMILIES


def tiny(name):
    r = RECIPES[name]
    torch.manual_seed(0)
    return FAMILIES[r.family](dataclasses.replace(r.config, **r.tiny)).eval()


def test_ae_after_fit_standardises_codes_and_keeps_reconstructions():
    model = tiny("ae-mnist")
    x = torch.rand(200, 1, 28, 28)
    with torch.no_grad():
        before = model.decode(model.encode(x))
        model.after_fit(x, torch.zeros(200, dtype=torch.long))
        codes = model.encode(x)
        after = model.decode(codes)
    assert torch.allclose(before, after, atol=1e-5)       # the folded affine map is exact
    assert torch.allclose(codes.mean(0), torch.zeros(codes.shape[1]), atol=1e-4)
    assert torch.allclose(codes.std(0), torch.ones(codes.shape[1]), atol=1e-3)
    assert torch.allclose(model.gmm_weights.sum(), torch.tensor(1.0, dtype=model.gmm_weights.dtype))
    assert model.reconstruction_error(x).shape == (200,)


def test_flow_is_invertible_and_its_density_integrates_to_one():
    model = tiny("flow-moons")
    for p in model.parameters():  # a non-identity map
        torch.nn.init.normal_(p, std=0.3)
    x = torch.randn(64, 2)
    with torch.no_grad():
        assert torch.allclose(model.decode(model.encode(x)), x, atol=1e-4)
        g = torch.linspace(-8, 8, 400)
        grid = torch.stack(torch.meshgrid(g, g, indexing="ij"), -1).reshape(-1, 2)
        mass = model.log_prob(grid).exp().sum() * (g[1] - g[0]) ** 2
    assert abs(mass.item() - 1) < 0.02


def test_gan_principal_directions_are_unit_latent_vectors():
    for name in ("dcgan-mnist", "cgan-mnist"):
        model = tiny(name)
        with torch.no_grad():
            model.after_fit(None, None)
        norms = model.latent_components.norm(dim=1)
        assert torch.allclose(norms, torch.ones_like(norms), atol=1e-5)
        assert not torch.equal(model.latent_components, torch.eye(model.latent_dim))


def test_minibatch_spread_sees_a_generator_that_repeats_itself():
    from playground.models.gan import MinibatchStd
    layer = MinibatchStd(4)
    varied = torch.randn(8, 3, 2, 2, generator=torch.Generator().manual_seed(0))
    same = varied[:1].expand(8, -1, -1, -1)               # one image eight times
    out = layer(varied)
    assert out.shape == (8, 4, 2, 2) and torch.equal(out[:, :3], varied)
    assert (out[:, 3] > 0.5).all() and layer(same)[:, 3].abs().max() < 1e-3
    # members i and i + B/G form a group: its statistic is shared, and a batch the group
    # size does not divide is one group
    assert torch.equal(out[0, 3], out[2, 3]) and layer(torch.randn(6, 3, 2, 2)).shape[1] == 4
    d = tiny("dcgan-mnist").discriminator
    assert any(isinstance(m, MinibatchStd) for m in d.modules())
    assert not any(isinstance(m, MinibatchStd) for m in tiny("cgan-mnist").discriminator.modules())


def test_classifier_outputs():
    model = tiny("classifier-mnist")
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        p = model.predict_proba(x)
        f = model.features(x)
    assert p.shape == (5, 10) and torch.allclose(p.sum(1), torch.ones(5), atol=1e-5)
    assert f.shape == (5, model.config.features)
    assert not model.is_generative
