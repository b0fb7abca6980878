"""The one interface every model family implements, the family registry, and the on-disk format.

A pretrained model is a folder: config.json {"family", "format_version", "config", "data", "ui",
"metrics"}, model.safetensors (weights and buffers, never pickle), README.md (the model card).
The UI never branches on a family's name: it reads `capabilities`, `latent_dim` and the `ui` block
(`UIHints`), and calls the protocol methods the capabilities promise:
    "likelihood"  likelihood(x, condition) -> Likelihood
    "decode"      web_modules("decoder"), "encode": web_modules("encoder") (for the page to run)
    "stepwise"    sample_steps(n, ...) yielding (frame, stats); "complete": with given=, mask=;
    "path": stats["state"] is the sampler's state, a vector path_space(x) maps data into
    "text"        sample_text(n, ...) -> [(text, probabilities)], is_novel(text, condition);
                  web_modules("text") with text_tokens() (for the page to write names itself)
Sampler knobs beyond temperature and seed (a diffusion model's guidance, steps, sampler) are
declared as `knobs`: one control each in the UI, each value checked against its `Knob`, then
passed as keyword arguments to sample, sample_steps, decode and encode (only where declared).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator

import torch
from safetensors.torch import load_model, save_model
from torch import Tensor, nn

from playground.files import write_atomic

FORMAT_VERSION = 1

# Capabilities a family may declare; the UI shows a control only where its capability is present.
CAPABILITIES = frozenset({"encode", "decode", "condition", "likelihood", "text", "points",
                          "stepwise", "complete", "path"})

FAMILIES: dict[str, type["GenerativeModel"]] = {}


def all_knobs() -> tuple["Knob", ...]:
    """Every knob a registered family declares, once, in first-seen order: the UI shows one
    control each, the services check any value against it. Families may differ only in a knob's
    default (`own_default`: the control moves to it when such a model is picked)."""
    import playground.models  # noqa: F401  (registers every family)
    seen: dict[str, Knob] = {}
    for family in FAMILIES.values():
        for knob in family.knobs:
            first = seen.setdefault(knob.name, knob)
            assert dataclasses.replace(first, default=knob.default) == knob, \
                f"knob {knob.name!r} differs beyond its default"
    return tuple(seen.values())


def own_default(knob: "Knob", declared) -> float | str:
    """The default of `knob` in the knobs a model declares (its family may set its own), else
    the shared one."""
    return next((k.default for k in declared if k.name == knob.name), knob.default)


def register(cls: type["GenerativeModel"]) -> type["GenerativeModel"]:
    """Class decorator: make a family loadable by its `family` key."""
    unknown = cls.capabilities - CAPABILITIES
    assert not unknown, f"{cls.__name__} declares unknown capabilities {sorted(unknown)}"
    assert cls.family not in FAMILIES, f"family {cls.family!r} registered twice"
    FAMILIES[cls.family] = cls
    return cls


@dataclass(frozen=True)
class Knob:
    """One sampler knob a family declares (`GenerativeModel.knobs`): a number in [low, high]
    (whole when `integer`) or one of `choices`."""
    name: str                       # the keyword argument the sampling methods take
    label: str                      # what the control says
    default: float | str
    low: float = 0.0
    high: float = 1.0
    integer: bool = False
    choices: tuple[str, ...] = ()   # non-empty: a choice, not a number
    info: str = ""                  # one line under the control: what turning it does


# Classifier-free guidance, one knob for every family that learns "no class" beside its classes
# (diffusion, PixelCNN): the UI shows one control, so they must share it.
GUIDANCE = Knob("guidance", "Guidance scale w", 2.0, 0.0, 8.0,
                info="0 = unconditional, 1 = conditional, > 1 = classifier-free guidance: clearer "
                     "digits of the asked class, less variety")


@dataclass(frozen=True)
class UIHints:
    """What the page needs to know about one model beyond its capabilities (config.json "ui")."""
    summary: str = ""                   # one line shown in the model picker
    order: int = 100                    # pickers list models by (order, id); each tab's default is
                                        # the first model with the capability it needs
    slider_range: float = 3.0           # sliders span ±range: 3 covers 99.7 % of an N(0, 1) prior
    slider_min: float | None = None     # lower end when the latent is one-sided (RBM: 0); None: -range
    class_names: tuple[str, ...] = ()   # names of the condition's classes, in label order
    max_prompt: int = 12                # text models: the longest prefix a person may type
    stream_every: int = 1               # stepwise samplers: show every k-th step (PixelCNN: a row)
    chain_steps: int = 0                # Markov-chain samplers: default number of steps (0: the
                                        # sampler is not a chain and takes no step count or start)
    panels: tuple[str, ...] = ()        # stepwise frames of k side-by-side panels (n, 1, H, k·W):
                                        # their names (a diffusion model: x_t, its guess of x_0);
                                        # the last frame's first panel is the sample
    slider_mode: str = "axes"           # Explore's sliders on opening the model: "principal" where
                                        # raw axes mean nothing (a diffusion model's noise)

    @classmethod
    def from_dict(cls, ui: dict | None) -> "UIHints":
        """The hints of a config.json "ui" block; unknown keys are an error, so a typo in a recipe
        fails loudly instead of being ignored."""
        ui = dict(ui or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(ui) - names)
        if unknown:
            raise ValueError(f"unknown UI hints {unknown}; known: {sorted(names)}")
        for key in ("class_names", "panels"):
            if key in ui:
                ui[key] = tuple(str(c) for c in ui[key])
        return cls(**ui)

    def as_dict(self) -> dict:
        """Only what differs from the defaults, as config.json stores it."""
        default = UIHints()
        return {f.name: (list(v) if isinstance(v, tuple) else v) for f in dataclasses.fields(self)
                if (v := getattr(self, f.name)) != getattr(default, f.name)}


# What a likelihood number is; the Evaluate tab names and explains each (metrics.LIKELIHOOD_NOTES).
LIKELIHOOD_KINDS = frozenset({
    "exact",    # log p(x) itself (autoregressive models, flows)
    "bound",    # a lower bound on log p(x), so the true value is at least this (a VAE's ELBO)
    "pseudo",   # a stand-in where the normaliser is intractable (an RBM's pseudo-likelihood
                # Σ_i log p(x_i | x_rest)): it ranks items of one model, it is not log p(x)
})


@dataclass(frozen=True)
class Likelihood:
    """The answer of `GenerativeModel.likelihood` for N items."""
    kind: str           # one of LIKELIHOOD_KINDS
    log_p: Tensor       # (N,) per-item log-likelihood or its stand-in, in nats (higher = better)
    dims: Tensor        # (N,) dimensions of each item, for bits/dim (text: letters + the end token)
    parts: dict[str, Tensor] = field(default_factory=dict)  # optional (N,) terms in nats (a VAE's
                                                            # "rec" and "kl": -log_p = rec + kl)

    def __post_init__(self):
        if self.kind not in LIKELIHOOD_KINDS:
            raise ValueError(f"likelihood kind {self.kind!r} is not one of {sorted(LIKELIHOOD_KINDS)}")
        shapes = {k: tuple(v.shape) for k, v in {"log_p": self.log_p, "dims": self.dims,
                                                 **self.parts}.items()}
        if len(set(shapes.values())) != 1 or len(shapes["log_p"]) != 1:
            raise ValueError(f"likelihood terms must all be (N,), got {shapes}")


@dataclass(frozen=True)
class TextTokens:
    """What the token ids of a text model's `web_modules("text")` mean, and its sampler's length
    rules, so a sampler outside torch (the page's, playground/webgpt.py) writes what `sample_text`
    would. A sequence is [class token, tokens..., end]."""
    tokens: tuple[str, ...]         # id → the text it writes; the end's entry is ""
    end: int                        # the id that ends a text
    class_names: tuple[str, ...]    # the condition's classes, in label order
    class_tokens: tuple[int, ...]   # class k's start token (the first input)
    min_letters: int                # the end is barred before this many tokens are written
    max_letters: int                # at this many the end is forced; also the longest prefix


@dataclass
class TrainConfig:
    """How a recipe trains; families with their own loop (GANs) read the same fields."""
    epochs: int = 30
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0        # one seed drives init, shuffling and noise: reruns reproduce the weights
    dry_run_steps: int = 3  # --dry-run trains this many batches on a tiny config, to test the pipeline


@dataclass
class Recipe:
    """Everything `python -m playground.train <name>` needs to reproduce one shipped model."""
    name: str                      # becomes the folder name under pretrained/ and the model id
    family: str
    config: Any                    # the family's config dataclass
    data: str                      # a loader name in playground.data.DATASETS
    train: TrainConfig = field(default_factory=TrainConfig)
    ui: UIHints = field(default_factory=UIHints)  # hints for the UI: order, slider range, classes
    summary: str = ""              # one line shown in the model picker (train.py copies it into ui)
    limits: str = ""               # honest list of what the model does badly, for its card
    tiny: dict = field(default_factory=dict)  # config overrides that make --dry-run fast
    notes: str = ""                # how training/sampling departs from the default loop, for its card

    def __post_init__(self):
        if not isinstance(self.ui, UIHints):  # a dict would skip the check of its key names
            raise TypeError(f"recipe {self.name}: ui must be a UIHints, got {type(self.ui).__name__}")


class GenerativeModel(nn.Module):
    """Base class. Subclasses set `family`, `capabilities`, `config_class` and implement the methods
    their capabilities promise. Tensors are float32; images are (B, C, H, W) in [0, 1]."""

    family: ClassVar[str]
    capabilities: ClassVar[frozenset[str]] = frozenset()
    config_class: ClassVar[type]
    # False for helper models that share the format but generate nothing (the judge classifier):
    # the UI's model picker and the sampling tests skip them.
    is_generative: ClassVar[bool] = True
    knobs: ClassVar[tuple[Knob, ...]] = ()   # sampler knobs beyond temperature and seed
    decodes_slowly: ClassVar[bool] = False   # decode/encode run a U-Net sampler: heavy gate
    server_parts: ClassVar[frozenset[str]] = frozenset()  # parts ("decoder", "encoder") the
                                             # page cannot run: they keep the server path
    no_likelihood_note: ClassVar[str] = ""   # no "likelihood": why not (Evaluate's table)

    def __init__(self, config):
        super().__init__()
        self.config = config
        d = self.latent_dim
        if d:
            # Principal directions of the encoded training data (or of prior samples), so sliders can
            # move along the directions the data actually varies in. Identity until fitted.
            self.register_buffer("latent_mean", torch.zeros(d))
            self.register_buffer("latent_components", torch.eye(d))  # rows are directions
            self.register_buffer("latent_scales", torch.ones(d))     # std along each direction

    # ---- the interface -------------------------------------------------------------------
    @property
    def latent_dim(self) -> int:
        return self.latent_size(self.config)

    @classmethod
    def latent_size(cls, config) -> int:
        """The latent's size for a config, without building the model (the store lists models)."""
        return getattr(config, "latent_dim", 0)

    def loss(self, batch) -> Tensor:
        raise NotImplementedError

    def sample(self, n: int, *, temperature: float = 1.0, condition: Tensor | None = None,
               prompt=None, generator: torch.Generator | None = None):
        raise NotImplementedError

    def encode(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        raise NotImplementedError(f"{self.family} has no encoder")

    def decode(self, z: Tensor, condition: Tensor | None = None) -> Tensor:
        raise NotImplementedError(f"{self.family} has no decoder")

    # ---- protocols, each promised by a capability ------------------------------------------
    def likelihood(self, x, condition: Tensor | None = None, *,
                   generator: torch.Generator | None = None) -> Likelihood:
        """"likelihood": how well the model explains each item of a batch `x` as its data loader
        yields it (images (N, 1, H, W) in [0, 1], points (N, d), padded letter ids (N, W) for text)
        given `condition` (N,). A bound that draws noise (a VAE's z) takes it from `generator`,
        so the same generator gives the same numbers. See `Likelihood` for the kinds."""
        raise NotImplementedError(f"{self.family} defines no likelihood (capability 'likelihood')")

    def web_modules(self, part: str = "decoder") -> list:
        """The `part` ("decoder" with "decode", "encoder" with "encode") as a flat chain the page
        can run (playground/webdecoder.py): nn.Modules (Linear, Conv2d, ConvTranspose2d,
        BatchNorm2d after a linear or conv layer, activations, Flatten), ("reshape", shape) steps,
        ("coupling_inverse" | "coupling_forward", coupling) steps (a coupling with `mask`, `net`,
        `max_log_scale`), ("keep_tail", k, [steps]) steps (run the steps on all but the last k
        inputs and append those k unchanged) and a ("ddim", {...}) step (a latent diffusion
        model's deterministic sampler with an MLP denoiser: the fields in webdecoder.py).
        Input layout, one row per item: the decoder reads the latent (D,) followed by the one-hot
        class (K,) of a conditional model and returns what `decode` does; the encoder reads the
        flattened item ((H·W,) for an image (1, H, W), (d,) for a point) followed by the one-hot
        class, and returns the posterior mean (D,), what `encode` does.
        "text" (with "text", playground/webgpt.py): the next-token network on token ids (B, T), the
        class token first (ids as `text_tokens` says): ("embed", token nn.Embedding, position
        nn.Embedding), then ("residual", [steps]) (x + steps(x)), ("causal_attention", n_head) steps
        (rows [q | k | v] as nn.Linear(C, 3C) lays them out → (B, T, C)), LayerNorm, GELU, Linear;
        it returns the logits of the next token at every position (B, T, vocab).
        "judge" (the judge classifier): the flattened image (H·W,) → its class logits (K,), with
        MaxPool2d steps (k x k windows, stride k) among the layers."""
        raise NotImplementedError(f"{self.family} has no {part} the page can run")

    def text_tokens(self) -> TextTokens:
        """"text": what the ids of web_modules("text") mean and how long a text may be."""
        raise NotImplementedError(f"{self.family} does not write text (capability 'text')")

    def sample_steps(self, n: int, *, temperature: float = 1.0, condition: Tensor | None = None,
                     generator: torch.Generator | None = None, steps: int | None = None,
                     start: Tensor | None = None, given: Tensor | None = None,
                     mask: Tensor | None = None) -> Iterator[tuple[Tensor, dict[str, Tensor]]]:
        """"stepwise": sample n images while showing the work. Yields (frame (n, 1, H, W) in [0, 1],
        stats {name: (n,) or (1,) tensor}) as the sampler goes and once at the end; the last frame
        is a sample. A stat named "step" is the chain step of the frame; others are per-image
        numbers worth plotting (an RBM's free energy).
        `steps` and `start` (images (n, 1, H, W) the chains begin from) are for Markov chains only
        (UIHints.chain_steps > 0); any other sampler raises ValueError when given them.
        "complete": `given` images and a boolean `mask` (True = given), both (n or 1, 1, H, W):
        the given pixels are kept, the rest sampled. "path": stats also hold "state" (n, D), the
        sampler's state after the step (a latent diffusion model's x_t)."""
        raise NotImplementedError(f"{self.family} does not sample step by step (capability "
                                  f"'stepwise')")

    def path_space(self, x: Tensor, condition: Tensor | None = None) -> Tensor:
        """"path": items (N, ...) as (N, D) points of the space the sampler's state moves in."""
        raise NotImplementedError(f"{self.family} draws no sampler path (capability 'path')")

    def sample_text(self, n: int, *, temperature: float = 1.0, condition=None, prompt: str = "",
                    generator: torch.Generator | None = None, top_k: int | None = None,
                    top_p: float | None = None) -> list[tuple[str, Tensor]]:
        """"text": n strings that start with `prompt`, each with the probability (len(text) + 1,)
        the sampler gave each chosen letter, then the end (typed prompt letters get 1).
        temperature divides the logits (0 = greedy); top_k / top_p cut the unlikely tail."""
        raise NotImplementedError(f"{self.family} does not write text (capability 'text')")

    def is_novel(self, text: str, condition=None) -> bool:
        """"text": True when `text` is not in the model's training data (of that class)."""
        raise NotImplementedError(f"{self.family} does not write text (capability 'text')")

    def _not_a_chain(self, steps, start) -> None:
        """Samplers that are not Markov chains call this: chain knobs are refused, never ignored."""
        if steps is not None or start is not None:
            raise ValueError(f"{self.family} is not a Markov chain: it takes no `steps` or `start` "
                             f"(only samplers with UIHints.chain_steps > 0 do)")

    def evaluate(self, x: Tensor, y: Tensor) -> dict[str, float]:
        """Held-out metrics for the model card; families override."""
        return {}

    def fit(self, data, tcfg: TrainConfig, *, max_steps: int | None = None,
            log: Callable[[dict], None] = lambda m: None) -> None:
        """The training loop: Adam with cosine decay over `tcfg.epochs` shuffled passes, one
        `batch_loss` per mini-batch, logging its values averaged per item after each epoch (and
        `epoch_metrics`). Families change what a batch costs, not the loop; only a family with
        another kind of loop (a GAN's two players) overrides this."""
        x, y = data
        g = torch.Generator().manual_seed(tcfg.seed)  # shuffling, augmentation, chains: one stream
        self.before_fit(x, g)
        opt = torch.optim.Adam(self.parameters(), lr=tcfg.lr)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=tcfg.epochs)
        step = 0
        self.train()
        for epoch in range(tcfg.epochs):
            perm = torch.randperm(len(x), generator=g)
            totals: dict[str, float] = {}
            count = 0
            for i in range(0, len(x), tcfg.batch_size):
                idx = perm[i:i + tcfg.batch_size]
                loss, logged = self.batch_loss(x[idx], y[idx], g)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                self.after_step()
                for k, v in logged.items():
                    totals[k] = totals.get(k, 0.0) + v * len(idx)
                count, step = count + len(idx), step + 1
                if max_steps is not None and step >= max_steps:
                    log({"epoch": epoch, **{k: v / count for k, v in totals.items()}})
                    return
            sched.step()
            log({"epoch": epoch, **{k: v / count for k, v in totals.items()}, **self.epoch_metrics(x)})

    def batch_loss(self, x: Tensor, y: Tensor, generator: torch.Generator) -> tuple[Tensor, dict]:
        """The loss to minimise on one mini-batch, and per-item means to log (default: `loss`).
        `generator` is the run's one random stream (augmentation, Gibbs steps)."""
        loss = self.loss((x, y))
        return loss, {"loss": loss.item()}

    def after_step(self) -> None:
        """After every optimiser step (a diffusion model's EMA)."""

    def before_fit(self, x: Tensor, generator: torch.Generator) -> None:
        """Set up what training needs besides the weights (persistent chains, data-based init)."""

    def epoch_metrics(self, x: Tensor) -> dict[str, float]:
        """Extra numbers to log after each epoch (computed without gradients)."""
        return {}

    def after_fit(self, x: Tensor, y: Tensor) -> None:
        """Called by the trainer once `fit` returns, in eval mode and under no_grad, with the
        training split: fit what the weights imply but gradient descent does not learn (a latent
        prior for a plain autoencoder, principal directions of a GAN's latent). Default: nothing."""

    # ---- helpers shared by latent-variable families -----------------------------------------
    def prior(self, n: int, temperature: float, generator: torch.Generator | None) -> Tensor:
        """z ~ N(0, T² I): temperature scales the prior's spread (truncation-like for T < 1)."""
        device = self.latent_mean.device
        return torch.randn(n, self.latent_dim, generator=generator, device=device) * temperature

    @torch.no_grad()
    def fit_latent_pca(self, codes: Tensor) -> None:
        """Principal directions of `codes` (N, D) for the sliders. Fewer codes than dimensions (a
        dry run of a 784-D latent): the basis is completed, at the smallest scale seen."""
        mean, d = codes.mean(0), codes.shape[1]
        _, s, vh = torch.linalg.svd(codes - mean, full_matrices=len(codes) < d)
        scales = s / max(len(codes) - 1, 1) ** 0.5
        if len(scales) < d:
            floor = scales[scales > 0].min() if (scales > 0).any() else torch.tensor(1.0)
            scales = torch.cat([scales, floor.expand(d - len(scales))])
        self.latent_mean.copy_(mean)
        self.latent_components.copy_(vh)
        self.latent_scales.copy_(scales.clamp(min=1e-6))

    # ---- persistence ----------------------------------------------------------------------
    def save_pretrained(self, path: str | Path, *, data: dict | None = None,
                        ui: UIHints | dict | None = None, metrics: dict | None = None,
                        card: str | None = None) -> None:
        """Write config.json (the "ui" block as `UIHints.as_dict`; a dict is checked as hints
        first), model.safetensors and, when given, the model card README.md."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        hints = ui if isinstance(ui, UIHints) else UIHints.from_dict(ui)
        meta = {"family": self.family, "format_version": FORMAT_VERSION,
                "config": dataclasses.asdict(self.config), "data": data or {},
                "ui": hints.as_dict(), "metrics": metrics or {}}
        write_atomic(path / "config.json", json.dumps(meta, indent=2) + "\n")
        # save_model handles tied weights, unlike save_file
        write_atomic(path / "model.safetensors", lambda tmp: save_model(self, str(tmp)))
        if card is not None:
            write_atomic(path / "README.md", card)

    @staticmethod
    def read_meta(path: str | Path) -> dict:
        meta = json.loads((Path(path) / "config.json").read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: format_version {meta.get('format_version')!r}, "
                             f"this code reads {FORMAT_VERSION}")
        if meta.get("family") not in FAMILIES:
            raise ValueError(f"{path}: unknown family {meta.get('family')!r}; "
                             f"known: {sorted(FAMILIES)}")
        return meta

    @staticmethod
    def read_hints(meta: dict) -> UIHints:
        """The typed UI hints of a config.json (from `read_meta`); unknown keys raise ValueError."""
        return UIHints.from_dict(meta.get("ui"))

    @classmethod
    def from_pretrained(cls, path: str | Path, device: str = "cpu") -> "GenerativeModel":
        """Load any registered family from a folder; weights through safetensors only."""
        import playground.models  # noqa: F401  (registers every family)
        meta = cls.read_meta(path)
        family = FAMILIES[meta["family"]]
        model = family(family.config_class(**meta["config"]))
        load_model(model, str(Path(path) / "model.safetensors"), strict=True, device=device)
        return model.to(device).eval()


def one_hot(labels: Tensor, n_classes: int) -> Tensor:
    """(B,) int64 → (B, n_classes) float32, with a clear error for out-of-range labels."""
    if labels.numel() and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"class labels must be in [0, {n_classes - 1}], got {labels.tolist()}")
    return nn.functional.one_hot(labels.long(), n_classes).float()
