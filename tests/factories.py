"""Tiny models for tests, and model lists derived from the registry and the recipes.

Every recipe (playground/models/*.py) carries `tiny` config overrides that make its model build and
run in milliseconds; tests use those instead of writing their own configs, and ask the registry
which families or shipped models have a capability instead of listing ids by hand. `tiny_root()`
saves one tiny model per recipe as a pretrained/ folder, for tests that need a Backend over models
they may break (conftest builds it once per session: the `tiny_root` fixture).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

import playground.models  # noqa: F401  (registers every family, collects RECIPES)
from playground.base import FAMILIES, GenerativeModel, Recipe
from playground.models import RECIPES

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"

# One recipe per family where a test needs "a model of family X" (the first recipe by name).
FAMILY_RECIPES: dict[str, Recipe] = {r.family: r for r in reversed(list(RECIPES.values()))}
# Helper models (the judge classifier) share the format but generate nothing.
GENERATIVE = sorted(f for f in FAMILIES if FAMILIES[f].is_generative)


def families(capability: str | None = None) -> list[str]:
    """Registered families (sorted), those declaring `capability` if given."""
    return sorted(f for f in FAMILIES if capability is None or capability in FAMILIES[f].capabilities)


def recipe(name: str) -> Recipe:
    """A recipe by its name ("vae-mnist-2d") or, for "a model of this family", by family ("vae")."""
    return RECIPES[name] if name in RECIPES else FAMILY_RECIPES[name]


def tiny(name: str, *, seed: int = 0, **overrides) -> GenerativeModel:
    """A random-weight model of recipe or family `name` with the recipe's tiny config (plus
    `overrides`), in eval mode. The weights depend on `seed` only: the global RNG is forked, so
    building a model leaves the caller's random state as it was."""
    r = recipe(name)
    config = dataclasses.replace(r.config, **{**r.tiny, **overrides})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return FAMILIES[r.family](config).eval()


def save_tiny(name: str, folder: Path, **overrides) -> Path:
    """`tiny(name)` written as a pretrained folder the Backend discovers (config.json with the
    recipe's data and UI hints, weights, a short card): the layout `python -m playground.train`
    writes, without the training."""
    r = recipe(name)
    model = tiny(name, **overrides)
    model.save_pretrained(folder, data={"name": r.data},
                          ui=dataclasses.replace(r.ui, summary=r.summary),
                          card=f"# {folder.name}\n\nA tiny random-weight {r.family} for tests.\n\n"
                               "## Metrics\n\nnone (untrained)\n")
    return folder


def tiny_root(root: Path, names=None) -> Path:
    """A pretrained/ root holding a tiny model of every recipe (or of `names`)."""
    for name in sorted(names or RECIPES):
        save_tiny(name, Path(root) / name)
    return Path(root)


def shipped(capability: str | None = None) -> list[str]:
    """Ids of the models shipped under pretrained/ that the pickers show (generative ones), those
    with `capability` if given: the same discovery the app uses, without loading any weights."""
    ids = []
    for folder in sorted(p for p in PRETRAINED.iterdir() if (p / "config.json").is_file()):
        family = FAMILIES[GenerativeModel.read_meta(folder)["family"]]
        if family.is_generative and (capability is None or capability in family.capabilities):
            ids.append(folder.name)
    return ids
