"""Every dataset loads offline from the packages that ship it, with fixed splits."""
import torch

from playground import data


def test_mnist_split_is_fixed_stratified_and_disjoint():
    x, y = data.mnist("train")
    xv, yv = data.mnist("val")
    assert x.shape == (4000, 1, 28, 28) and xv.shape == (1000, 1, 28, 28)
    assert x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert torch.bincount(yv).tolist() == [100] * 10
    train_rows = {r.numpy().tobytes() for r in x.flatten(1)}
    assert not any(r.numpy().tobytes() in train_rows for r in xv.flatten(1)[:200])
    assert torch.equal(data.mnist("val")[0], xv)


def test_sklearn_digits():
    x, y = data.digits("train")
    assert x.shape[1:] == (1, 8, 8) and x.max() <= 1 and len(set(y.tolist())) == 10


def test_toy_sets():
    for name in data.TOYS:
        x, y = data.toy2d(name, n=300, seed=1)
        assert x.shape == (300, 2) and torch.isfinite(x).all() and len(y) == 300
        assert torch.equal(x, data.toy2d(name, n=300, seed=1)[0])


def test_census_names():
    for kind, n in (("female", 4275), ("male", 1219), ("last", 88799)):
        names = data.census_names(kind)
        assert len(names) == n and all(s.isalpha() and s.islower() for s in names[:100])
    assert "mary" in data.census_names("female")
