"""`python -m playground.train <recipe> --dry-run` for every shipped recipe: the whole pipeline
(build, fit, after_fit, latent PCA, metrics, save, card, samples) on a tiny config in seconds."""
import dataclasses
import json

import pytest

from playground.base import GenerativeModel
from playground.models import RECIPES
from playground.train import main


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_dry_run(name, tmp_path):
    main([name, "--dry-run", "--out", str(tmp_path)])
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["family"] == RECIPES[name].family and "train_seconds" in meta["metrics"]
    recipe = RECIPES[name]   # typed UI hints, with the recipe's summary for the picker
    assert GenerativeModel.read_hints(meta) == dataclasses.replace(recipe.ui, summary=recipe.summary)
    assert (tmp_path / "README.md").read_text().startswith("---")
    GenerativeModel.from_pretrained(tmp_path)  # what was written loads back
