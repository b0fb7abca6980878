"""The facade the UI calls: one object holding the services (store, inference, sliders and web
export, maps) with the method names the tabs and the API have always used. Each method is one
line to the service that owns the work; the work, the validation and the caches live there.
"""
from __future__ import annotations

from pathlib import Path

from playground.inference import Inference
from playground.maps import Maps
from playground.runtime import default_device, set_torch_threads
from playground.sliders import Sliders
from playground.store import PRETRAINED, ModelInfo, ModelStore


class Backend:
    """Discovers models under `root`, loads them lazily into a bounded LRU, and serves validated
    requests. Safe to call from many threads."""

    def __init__(self, root: str | Path = PRETRAINED, cache_size: int = 8, device: str | None = None,
                 torch_threads: int | None = 1):
        set_torch_threads(torch_threads)
        self.store = ModelStore(root, cache_size, device or default_device())
        self.infer = Inference(self.store)
        self.sliders = Sliders(self.store)
        self.maps = Maps(self.store, self.infer, cache_size)
        self.root, self.device = self.store.root, self.store.device

    # ---- models ----
    def models(self, capability: str | None = None) -> list[ModelInfo]:
        return self.store.models(capability)

    def info(self, model_id) -> ModelInfo:
        return self.store.info(model_id)

    def model(self, model_id):
        return self.store.model(model_id)

    def card(self, model_id) -> str:
        return self.store.card(model_id)

    def add_session_model(self, model, **facts) -> str:
        return self.store.add_session_model(model, **facts)

    def drop_session_model(self, model_id) -> None:
        self.store.drop_session_model(model_id)

    # ---- inference ----
    def condition(self, info: ModelInfo, label, n: int):
        return self.infer.condition(info, label, n)

    def knobs(self, info: ModelInfo, values):
        return self.infer.knobs(info, values)

    def generator(self, seed):
        return self.infer.generator(seed)

    def decode(self, model_id, z, label=None, knobs=None):
        return self.infer.decode(model_id, z, label, knobs)

    def render(self, model_id, z, label=None, knobs=None):
        return self.infer.render(model_id, z, label, knobs)

    def prior_samples(self, model_id, n, *, temperature=1.0, seed=0):
        return self.infer.prior_samples(model_id, n, temperature=temperature, seed=seed)

    def random_latent(self, model_id, *, seed, temperature=1.0):
        return self.infer.random_latent(model_id, seed=seed, temperature=temperature)

    def sample(self, model_id, n, *, temperature=1.0, seed=0, label=None, knobs=None,
               progress=None):
        return self.infer.sample(model_id, n, temperature=temperature, seed=seed, label=label,
                                 knobs=knobs, progress=progress)

    def sample_steps(self, model_id, n, **knobs):
        return self.infer.sample_steps(model_id, n, **knobs)

    def path_map(self, model_id) -> dict:
        return self.infer.path_map(model_id)

    def sample_text(self, model_id, n, **knobs) -> list[dict]:
        return self.infer.sample_text(model_id, n, **knobs)

    def encode(self, model_id, images, label=None, knobs=None):
        return self.infer.encode(model_id, images, label, knobs)

    def encode_drawing(self, model_id, image, label=None, knobs=None):
        return self.infer.encode_drawing(model_id, image, label, knobs)

    # ---- sliders and the page's copy of a model ----
    def latent_from_sliders(self, model_id, values, **knobs):
        return self.sliders.latent_from_sliders(model_id, values, **knobs)

    def sliders_for_latent(self, model_id, z, mode: str = "axes") -> list[float]:
        return self.sliders.sliders_for_latent(model_id, z, mode)

    def rest_noise(self, model_id, rest_seed) -> list[float]:
        return self.sliders.rest_noise(model_id, rest_seed)

    def web_decoder(self, model_id) -> dict | None:
        return self.sliders.web_spec(model_id, "decoder")

    def web_spec(self, model_id, part: str = "decoder") -> dict | None:
        return self.sliders.web_spec(model_id, part)

    # ---- latent maps ----
    def map_models(self) -> list[ModelInfo]:
        return self.maps.map_models()

    def map_methods(self, model_id) -> list[str]:
        return self.maps.methods(model_id)

    def map_source(self, model_id) -> str:
        return self.maps.source(model_id)

    def map_codes(self, model_id):
        return self.maps.codes(model_id)

    def map_images(self, model_id):
        return self.maps.images(model_id)

    def preload_map_data(self) -> None:
        self.maps.preload()

    def cached_projection(self, model_id, method, params=None):
        return self.maps.cached(model_id, method, params)

    def projection(self, model_id, method, params=None, *, progress=None):
        return self.maps.projection(model_id, method, params, progress=progress)

    def write_shipped_projection(self, model_id, method) -> Path:
        return self.maps.write_shipped(model_id, method)

    def map_latent(self, model_id, method, params, x, y):
        return self.maps.map_latent(model_id, method, params, x, y)

    def place_on_map(self, model_id, method, params, z):
        return self.maps.place(model_id, method, params, z)

