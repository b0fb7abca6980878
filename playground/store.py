"""The model store: which models exist (folders under pretrained/ found at start-up, plus models
trained in the page and kept for their session), their facts (ModelInfo), and the loaded models in
a bounded LRU. Model ids are folder names; any other string is refused before it could touch the
file system. Weights load through safetensors only (base.from_pretrained)."""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from playground.base import FAMILIES, GenerativeModel, Knob, UIHints
from playground.data import IMAGE_SIZES
from playground.errors import PlaygroundError
from playground.files import weights_sha256
from playground.lru import LRU

log = logging.getLogger(__name__)

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
SLIDERS = 12             # latents with more dims show the first 12 plus "randomise the rest"
MAP_DATASETS = ("mnist", "digits")  # image data sets a latent map can show (validation split)
MAX_SESSION_MODELS = 64  # models trained in the page and kept for their session (LRU, ~100 KB each)
SESSION_MODEL_TTL = 2 * 3600  # seconds a session model stays after it was last used
SESSION_PREFIX = "session:"  # ids of models trained in the page; ':' never occurs in a folder id
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class ModelInfo:
    """What the UI and the services know about a model without loading it."""
    id: str
    family: str
    capabilities: frozenset[str]
    latent_dim: int
    n_classes: int
    ui: UIHints = field(default_factory=UIHints, hash=False, compare=False)
    metrics: dict = field(default_factory=dict, hash=False, compare=False)
    dataset: str = ""    # the data it was trained on (config.json "data.name")
    knobs: tuple[Knob, ...] = field(default=(), hash=False, compare=False)  # GenerativeModel.knobs
    decodes_slowly: bool = False  # decode/encode run a sampler: through the heavy gate

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def summary(self) -> str:
        return self.ui.summary

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.ui.class_names or tuple(str(i) for i in range(self.n_classes))

    @property
    def image_size(self) -> int:
        """Side of the model's square images (0 for points and text)."""
        return IMAGE_SIZES.get(self.dataset, 0)

    @property
    def makes_images(self) -> bool:
        return not (self.has("points") or self.has("text"))

    @property
    def mappable(self) -> bool:
        """Whether the latent map applies: image data, a latent, and an encoder (maps encoded
        validation digits) or a decoder (maps prior samples)."""
        return (self.latent_dim > 0 and self.dataset in MAP_DATASETS and self.makes_images
                and (self.has("encode") or self.has("decode")))

    @property
    def slider_count(self) -> int:
        return min(SLIDERS, self.latent_dim)

    @property
    def slider_range(self) -> float:
        return float(self.ui.slider_range)

    @property
    def slider_min(self) -> float:
        """Lower end of the sliders: -range, unless the latent is one-sided (RBM probabilities)."""
        return -self.slider_range if self.ui.slider_min is None else float(self.ui.slider_min)

    def as_dict(self) -> dict:
        return {"id": self.id, "family": self.family, "capabilities": sorted(self.capabilities),
                "latent_dim": self.latent_dim, "n_classes": self.n_classes,
                "class_names": list(self.class_names), "summary": self.summary,
                "metrics": self.metrics}


class ModelStore:
    """Discovers models under `root` and loads them lazily into a bounded LRU (one load per id,
    even when many requests ask at once). Safe to call from many threads."""

    def __init__(self, root: str | Path = PRETRAINED, cache_size: int = 8, device: str = "cpu"):
        import playground.models  # noqa: F401  (registers every family)
        self.root, self.device = Path(root), device
        self._infos = self._discover()
        self._loaded: LRU[GenerativeModel] = LRU(cache_size)
        # Models trained in the page (Train live), kept under an unguessable id: id → (info,
        # model). Never listed by `models()`, never read from disk; idle ones expire on next use.
        self._session: LRU[tuple[ModelInfo, GenerativeModel]] = LRU(
            MAX_SESSION_MODELS, ttl=SESSION_MODEL_TTL, on_evict=self._forgotten)
        self._forget_hooks: list[Callable[[str], None]] = []

    def _discover(self) -> dict[str, ModelInfo]:
        infos = {}
        for folder in sorted(p for p in self.root.iterdir() if (p / "config.json").is_file()):
            try:
                meta = GenerativeModel.read_meta(folder)
                ui = UIHints.from_dict(meta.get("ui"))
            except ValueError as err:
                log.warning("skipping %s: %s", folder.name, err)
                continue
            family = FAMILIES[meta["family"]]
            if not family.is_generative:
                continue  # e.g. the judge classifier: used by metrics, not shown in pickers
            cfg = meta["config"]
            infos[folder.name] = ModelInfo(
                id=folder.name, family=meta["family"], capabilities=family.capabilities,
                latent_dim=family.latent_size(family.config_class(**cfg)),
                n_classes=int(cfg.get("n_classes", 0)), knobs=family.knobs,
                decodes_slowly=family.decodes_slowly,
                ui=ui, metrics=meta.get("metrics", {}),
                dataset=str(meta.get("data", {}).get("name", "")))
        return infos

    def models(self, capability: str | None = None) -> list[ModelInfo]:
        """Shipped models (with `capability`), in picker order: UI hint `order`, then id. Each
        tab's default model is the first of its list."""
        found = [i for i in self._infos.values() if capability is None or i.has(capability)]
        return sorted(found, key=lambda i: (i.ui.order, i.id))

    def info(self, model_id) -> ModelInfo:
        if isinstance(model_id, str) and model_id.startswith(SESSION_PREFIX):
            return self._session_entry(model_id)[0]
        if not isinstance(model_id, str) or not _ID.match(model_id) or model_id not in self._infos:
            known = ", ".join(self._infos)
            raise PlaygroundError(f"unknown model {str(model_id)[:64]!r}; available: {known}")
        return self._infos[model_id]

    def require(self, model_id, capability: str, doing: str) -> ModelInfo:
        """The model's info if it has `capability`, else a clear error saying what it cannot do."""
        info = self.info(model_id)
        if not info.has(capability):
            raise PlaygroundError(f"{info.id} {doing}")
        return info

    def model(self, model_id) -> GenerativeModel:
        """The loaded model (eval mode), from the cache when possible."""
        info = self.info(model_id)
        if info.id.startswith(SESSION_PREFIX):
            return self._session_entry(info.id)[1]
        def load() -> GenerativeModel:
            # A first use may come inside inference mode; weights made there could never be
            # trained or exported with gradients again, so they are loaded outside it.
            with torch.inference_mode(False):
                return GenerativeModel.from_pretrained(self.root / info.id, device=self.device)
        return self._loaded.get_or_create(info.id, load)

    def card(self, model_id) -> str:
        info = self.info(model_id)
        if info.id.startswith(SESSION_PREFIX):
            return f"# {info.family}\n\n{info.summary}\n"
        return (self.root / info.id / "README.md").read_text()

    def weights_sha(self, model_id) -> str:
        """sha256 of a shipped model's weights (keys every artefact derived from them)."""
        info = self.info(model_id)
        if info.id.startswith(SESSION_PREFIX):
            raise PlaygroundError("a model trained in the page has no weights file")
        return weights_sha256(self.root / info.id / "model.safetensors")

    # ---- models trained in the page, kept for one session ----
    def add_session_model(self, model: GenerativeModel, *, family: str, summary: str,
                          metrics: dict | None = None, dataset: str = "") -> str:
        """Keep a model trained in the page (eval mode) for the session that trained it; returns
        its id. The least recently used go beyond MAX_SESSION_MODELS, idle ones after
        SESSION_MODEL_TTL seconds."""
        model_id = SESSION_PREFIX + secrets.token_hex(8)
        info = ModelInfo(id=model_id, family=family, capabilities=model.capabilities,
                         latent_dim=model.latent_dim, n_classes=0, knobs=model.knobs,
                         decodes_slowly=model.decodes_slowly,
                         ui=UIHints(summary=summary),
                         metrics=dict(metrics or {}), dataset=dataset)
        self._session.put(model_id, (info, model.eval()))
        return model_id

    def drop_session_model(self, model_id) -> None:
        self._session.pop(model_id)

    def on_forget(self, hook: Callable[[str], None]) -> None:
        """`hook(model_id)` runs when a session model goes (dropped, expired or evicted), so what
        was derived from it (its page decoder) goes too."""
        self._forget_hooks.append(hook)

    def _forgotten(self, model_id: str, _entry) -> None:
        for hook in self._forget_hooks:
            hook(model_id)

    def _session_entry(self, model_id: str) -> tuple[ModelInfo, GenerativeModel]:
        entry = self._session.get(model_id)
        if entry is None:
            raise PlaygroundError("that model was trained in another session or has expired: "
                                  "train it again in the Train live tab")
        return entry
