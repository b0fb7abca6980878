"""Importing this package registers every family (one module per family) and collects the recipes
of shipped models: adding a family is adding a file here, nothing else."""
import pkgutil
from importlib import import_module

RECIPES = {}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    RECIPES.update(getattr(import_module(f"{__name__}.{_info.name}"), "RECIPES", {}))
