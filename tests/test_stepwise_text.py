"""Autoregressive and energy-based families (char_gpt, pixelcnn, rbm): temperature semantics, the
stepwise generators the UI streams from, and quality checks on the shipped models. No API, no UI."""
import dataclasses
from pathlib import Path

import pytest
import torch

from playground.base import GenerativeModel
from playground.models import RECIPES

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def build_tiny(name):
    from playground.base import FAMILIES
    r = RECIPES[name]
    torch.manual_seed(0)
    return FAMILIES[r.family](dataclasses.replace(r.config, **r.tiny)).eval()


def shipped(name):
    path = PRETRAINED / name
    if not (path / "model.safetensors").exists():
        pytest.skip(f"{name} is not shipped yet (python -m playground.train {name})")
    return GenerativeModel.from_pretrained(path)


def gen(seed):
    return torch.Generator().manual_seed(seed)


# ---- temperature ------------------------------------------------------------------------------
def test_chargpt_temperature_zero_is_deterministic_greedy():
    m = build_tiny("chargpt-names")
    kinds = torch.tensor([0, 1, 2, 0])
    a = m.sample(4, temperature=0, condition=kinds, generator=gen(1))
    b = m.sample(4, temperature=0, condition=kinds, generator=gen(2))
    assert a == b and a[0] == a[3]            # same kind, same greedy name, whatever the seed


@pytest.mark.parametrize("w", [1.0, 0.0, 2.5])
def test_pixelcnn_temperature_zero_is_deterministic_greedy_and_matches_forward(w):
    m = build_tiny("pixelcnn-mnist")
    labels = torch.tensor([3, 3, 7])
    a = m.sample(3, temperature=0, condition=labels, generator=gen(1), guidance=w)
    b = m.sample(3, temperature=0, condition=labels, generator=gen(2), guidance=w)
    assert torch.equal(a, b) and torch.equal(a[0], a[1])
    # The cached sampler must compute the same logits as the full causal forward pass: a greedy
    # image is exactly the set of pixels whose forward logit (given the pixels before) is > 0,
    # the guided logit l_none + w (l_label - l_none) when guided.
    with torch.no_grad():
        asked, free = m(a, labels), m(a, torch.full_like(labels, m.config.n_classes))
    logits = free + w * (asked - free)
    decided = logits.abs() > 1e-4
    assert torch.equal(a[decided], (logits > 0).float()[decided])


def test_pixelcnn_guidance_is_checked_and_labels_drop_in_training():
    m = build_tiny("pixelcnn-mnist")
    for bad in (float("nan"), -1.0, 9.0, None):
        with pytest.raises(ValueError, match="[Gg]uidance"):
            m.sample(1, condition=torch.tensor([1]), guidance=bad)
    with pytest.raises(ValueError, match="class labels"):
        m.sample(1, condition=torch.tensor([m.config.n_classes]))  # "no label" is not askable
    x = (torch.rand(64, 1, 28, 28, generator=gen(0)) > 0.5).float()
    y = torch.zeros(64, dtype=torch.long)
    m.config.p_uncond = 1.0                      # every label dropped: the label's bias is unused
    loss, _ = m.batch_loss(x, y, gen(0))
    loss.backward()
    assert m.cond.weight.grad.abs().sum() == 0


def test_rbm_temperature_zero_chain_is_deterministic():
    m = build_tiny("rbm-mnist")
    v0 = m.noise(3, gen(0))
    runs = [[f for f, _ in m.gibbs_chain(v0, steps=5, temperature=0, generator=gen(s))]
            for s in (1, 2)]
    assert all(torch.equal(x, y) for x, y in zip(*runs))


def test_very_high_temperature_still_gives_valid_output():
    g = gen(0)
    names = build_tiny("chargpt-names").sample(6, temperature=1e4, condition=torch.arange(6) % 3,
                                               generator=g, top_k=5, top_p=0.9)
    assert all(isinstance(s, str) and s.isalpha() or s == "" for s in names)
    assert all(len(s) <= RECIPES["chargpt-names"].config.block - 2 for s in names)
    img = build_tiny("pixelcnn-mnist").sample(2, temperature=1e4, condition=torch.tensor([0, 1]),
                                              generator=g)
    assert img.shape == (2, 1, 28, 28) and set(img.unique().tolist()) <= {0.0, 1.0}
    out = build_tiny("rbm-mnist").sample(2, temperature=1e4, generator=g)
    assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("name", ["chargpt-names", "pixelcnn-mnist", "rbm-mnist"])
@pytest.mark.parametrize("t", [-0.5, float("nan")])
def test_negative_temperature_raises_a_clear_error(name, t):
    m = build_tiny(name)
    cond = torch.arange(2) % m.config.n_classes if "condition" in m.capabilities else None
    with pytest.raises(ValueError, match="temperature"):
        m.sample(2, temperature=t, condition=cond, generator=gen(0))


# ---- stepwise generators ----------------------------------------------------------------------
def test_pixelcnn_sample_steps_fill_the_image_in_raster_order():
    m = build_tiny("pixelcnn-mnist")
    labels = torch.tensor([1, 8])
    out = list(m.sample_steps(2, temperature=1.0, condition=labels, generator=gen(5), every=28))
    assert all(stats == {} for _, stats in out)          # rows need no statistics to plot
    frames = [f for f, _ in out]
    assert len(frames) == 28 and all(f.shape == (2, 1, 28, 28) for f in frames)
    for row, frame in enumerate(frames):
        assert frame[:, :, row + 1:].abs().sum() == 0           # nothing below the written row
        if row:
            assert torch.equal(frame[:, :, :row], frames[row - 1][:, :, :row])  # written stays
    final = m.sample(2, temperature=1.0, condition=labels, generator=gen(5))
    assert torch.equal(frames[-1], final)
    every_pixel = list(m.sample_steps(1, temperature=1.0, condition=3, generator=gen(0), every=1))
    assert len(every_pixel) == 28 * 28


def test_rbm_gibbs_chain_yields_frames_and_free_energies():
    m = build_tiny("rbm-mnist")
    out = list(m.gibbs_chain(m.noise(2, gen(0)), steps=10, temperature=1.0, generator=gen(1),
                             every=3))
    assert len(out) == 1 + 4                                   # step 0, 3, 6, 9, 10
    for frame, fe in out:
        assert frame.shape == (2, 1, 28, 28) and fe.shape == (2,) and torch.isfinite(fe).all()
    assert torch.equal(m.decode(m.encode(out[0][0])), m.decode(m.encode(out[0][0])))


# ---- shipped models ---------------------------------------------------------------------------
def test_rbm_free_energy_of_real_digits_is_below_noise():
    from playground.data import mnist
    m = shipped("rbm-mnist")
    x, _ = mnist("val")
    with torch.no_grad():
        real = m.free_energy((x > 0.5).float()).mean()
        noise = m.free_energy(m.noise(len(x), gen(0))).mean()
    assert real < noise - 100, (real.item(), noise.item())


def test_chargpt_names_are_mostly_novel_and_respect_the_prompt():
    m = shipped("chargpt-names")
    kinds = torch.arange(150) % 3
    names = m.sample(150, temperature=1.0, condition=kinds, generator=gen(0))
    novel = sum(m.is_novel(s, int(k)) for s, k in zip(names, kinds)) / len(names)
    assert novel >= 0.8, novel
    assert all(s for s in names)
    with_prefix = m.sample(20, temperature=1.0, condition="female", prompt="Mar", generator=gen(1))
    assert all(s.startswith("mar") for s in with_prefix)
    scored = m.sample_text(5, temperature=1.0, condition=2, prompt="o", generator=gen(2))
    for name, probs in scored:
        assert name.startswith("o") and probs.shape == (len(name) + 1,)   # letters + the end
        assert probs[0] == 1.0 and ((0 < probs) & (probs <= 1)).all()
    with pytest.raises(ValueError, match="a-z"):
        m.sample(2, condition=0, prompt="jo3", generator=gen(0))
    assert not m.is_novel("mary", "female") and m.is_novel("zqxvbn")


def test_rbm_sample_steps_streams_chain_frames_with_free_energy():
    m = build_tiny("rbm-mnist")
    out = list(m.sample_steps(2, temperature=1.0, generator=gen(0), steps=300))
    assert 2 <= len(out) <= 1 + 300                           # step 0, ..., the last step
    frame, stats = out[-1]
    assert frame.shape == (2, 1, 28, 28) and stats["free_energy"].shape == (2,)
