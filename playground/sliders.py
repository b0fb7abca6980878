"""Slider maths and the page's copy of each model: the latent a row of sliders stands for (raw
axes or principal directions), the way back, and the exported decoder/encoder specs the page runs
itself (playground/webdecoder.py), checked against torch once per process and model."""
from __future__ import annotations

import logging

import numpy as np
import torch

from playground import webdecoder
from playground.errors import (MAX_SEED, PlaygroundError, check_choice, check_int, check_latent,
                               check_temperature)
from playground.lru import LRU
from playground.store import ModelStore

log = logging.getLogger(__name__)

SLIDER_MODES = ("axes", "principal")
WEB_PARTS = ("decoder", "encoder")
WEB_SPECS = 128   # exported specs kept (shipped models and recent session models, ~1 MB each)


def check_rest_seed(value) -> int:
    """-1 (the dims beyond the sliders are 0) or a seed for drawing them."""
    return check_int(value, "rest seed", -1, MAX_SEED)


def _rest(n: int, seed: int) -> np.ndarray:
    """N(0, 1) draws for the n dims beyond the sliders: zeros for seed -1."""
    if seed < 0 or n <= 0:
        return np.zeros(max(n, 0), np.float32)
    return torch.randn(n, generator=torch.Generator().manual_seed(seed)).numpy()


class Sliders:
    def __init__(self, store: ModelStore):
        self.store, self.device = store, store.device
        self._specs: LRU[dict | None] = LRU(WEB_SPECS)
        store.on_forget(self._forget)

    def latent_from_sliders(self, model_id, values, *, mode: str = "axes", rest_seed=-1,
                            temperature=1.0) -> np.ndarray:
        """The full latent (latent_dim,) for slider `values` (first `slider_count` coordinates).

        mode "axes": the values are raw latent coordinates. mode "principal": they are steps along
        the principal directions of the encoded training data, in units of each direction's spread.
        Coordinates beyond the sliders are 0 (rest_seed -1) or drawn from N(0, T²) with rest_seed.
        """
        info = self.store.info(model_id)
        mode = check_choice(mode, "slider mode", SLIDER_MODES)
        if not info.latent_dim:
            raise PlaygroundError(f"{info.id} has no latent space to slide through")
        head = check_latent(values, info.slider_count, "slider values")
        t = check_temperature(temperature, allow_zero=True)
        coeffs = np.zeros(info.latent_dim, np.float32)
        coeffs[:len(head)] = head
        coeffs[len(head):] = _rest(info.latent_dim - len(head), check_rest_seed(rest_seed)) * t
        if mode == "axes":
            return coeffs
        m = self.store.model(info.id)
        z = m.latent_mean + (torch.from_numpy(coeffs).to(self.device) * m.latent_scales) @ m.latent_components
        return z.cpu().numpy()

    def rest_noise(self, model_id, rest_seed) -> list[float]:
        """The N(0, 1) draws latent_from_sliders uses for the dims beyond the sliders with this
        rest seed (before × temperature); [] for rest seed -1 or no dims beyond the sliders."""
        info = self.store.info(model_id)
        seed, n = check_rest_seed(rest_seed), info.latent_dim - info.slider_count
        return _rest(n, seed).tolist() if seed >= 0 and n > 0 else []

    def sliders_for_latent(self, model_id, z, mode: str = "axes") -> list[float]:
        """Inverse of latent_from_sliders for the visible sliders (rounded to the slider step)."""
        info = self.store.info(model_id)
        mode = check_choice(mode, "slider mode", SLIDER_MODES)
        z = check_latent(z, info.latent_dim)
        if mode == "principal":
            m = self.store.model(info.id)
            zt = torch.from_numpy(z).to(self.device)
            z = (((zt - m.latent_mean) @ m.latent_components.T) / m.latent_scales).cpu().numpy()
        return [round(float(np.clip(v, info.slider_min, info.slider_range)), 2)
                for v in z[:info.slider_count]]

    # ---- the page's copy ----
    def web_spec(self, model_id, part: str = "decoder") -> dict | None:
        """The model's decoder or encoder as a spec the page runs itself, with what the sliders
        need (slider_count, class_names); None: this model keeps the server path for that part."""
        info = self.store.info(model_id)
        part = check_choice(part, "part", WEB_PARTS)

        def export() -> dict | None:
            try:
                spec = webdecoder.export(self.store.model(info.id), info.id, part=part)
            except webdecoder.NotExportable as err:
                log.info("%s's %s runs on the server: %s", info.id, part, err)
                return None
            spec.update(slider_count=info.slider_count, class_names=list(info.class_names))
            return spec
        return self._specs.get_or_create((info.id, part), export)

    def web_decoder(self, model_id) -> dict | None:
        return self.web_spec(model_id, "decoder")

    def _forget(self, model_id: str) -> None:
        for part in WEB_PARTS:
            self._specs.pop((model_id, part))
