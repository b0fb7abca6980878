"""A view: where the playground is, as a small validated value that links, lessons and the
classroom share. Pure: no Gradio, no torch; it checks against the models' facts (ModelInfo).

The contract (one mechanism for Explore's share links, lesson steps and "follow the teacher"):

  field   query/JSON key  value                                       applies to
  tab     tab             a key of TABS (e.g. "explore", "text",       which tab shows; a view with a
                          "train-live", "tools-neighbours")            model and no tab opens Explore
  model   model           a registered model id the tab lists          the tab's model picker
  mode    mode            "axes" | "principal"                         Explore's sliders
  t       t               temperature, 0 … MAX_TEMPERATURE             the tab's temperature
  seed    seed            0 … MAX_SEED, whole                          the tab's seed
  label   class           one of the model's class names               class / kind of name
  rest    rest            -1 … MAX_SEED, whole (-1: rest dims 0)       Explore's rest seed
  z       z               ≤ the model's sliders (≤ 12) finite values,  Explore's sliders
                          |v| ≤ MAX_LATENT_ABS ("1.5,-2" in a query)
  knobs   knobs ({} JSON; the knob's own key in a query: top_k=5)
                          the tab's knobs (TABS[tab].knobs: top_k, top_p, prefix, count, preset)
                          and the model's sampler knobs (guidance, sampling_steps, sampler)
  lesson  lesson          a lesson id (a-z, 0-9, -), ≤ 40 chars        the lesson panel
  step    step            1 … MAX_STEPS, whole (with a lesson)

Every field is optional; what a view leaves out stays as the page has it. Fields that depend on a
model (mode, class, z, rest, t, seed, a sampler knob) need the model in the same view, and each
field only goes to a tab that takes it (TABS[tab].fields, .knobs). Bad input raises
PlaygroundError naming the field. View.from_dict(d, models) / from_query(q, models) check (models:
id → ModelInfo of the shipped models, Backend.models()); to_dict() gives the JSON shape back.

In the page (assets/view.js in the app; assets/static/core.js over the static folder's tabs):
  window.latentWeb.applyView(view)  apply a view object (to_dict's shape); the app's server
                                    checks it again (View.from_dict) and sets the tabs' controls
  window.latentWeb.currentView()    (app) the view the page shows now, in the same shape: the tab,
                                    its model, Explore's share-link fields when Explore shows, and
                                    the open lesson and step
  window.latentWeb.canApplyView(v)  true in the app; in the static page false where it lacks the
                                    tab or the model (a lesson then shows TABS[tab].full_app)
On the server, playground/ui/view.py applies a view: each tab gives a Target (its components, a
View → updates function) and one handler (apply_view) sets them all, behind the hidden
#apply-view button that applyView clicks and behind a link's query on page load.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from playground.errors import (MAX_LATENT_ABS, MAX_SAMPLES, MAX_SEED, MAX_TEMPERATURE,
                               MAX_TEXTS, MAX_TOP_K, PlaygroundError, check_choice, check_int,
                               check_knob, check_number)

SLIDERS = 12                    # Explore's sliders (playground.store.SLIDERS, a test keeps them equal)
MAX_STEPS = 50                  # a lesson's steps (lessons have 4–8)
LESSON_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_PREFIX = 32                 # Generate names' prefix box
MODES = ("axes", "principal")
MODEL_FIELDS = ("mode", "t", "seed", "label", "rest", "z", "knobs")


@dataclass(frozen=True)
class TabSpec:
    """What a view may set on one tab, and what a page without a server says instead of opening
    it. `models`: which models the tab lists (None: it takes no model). `fields`: the view fields
    it applies besides the model. `knobs`: its own knobs (the model's sampler knobs come on top
    when `sampler_knobs`)."""
    title: str
    models: Callable | None = None
    fields: frozenset = frozenset()
    knobs: tuple[str, ...] = ()
    sampler_knobs: bool = False
    full_app: str = ""          # one sentence: what this tab does in the full app, with a server


def _images(info) -> bool:
    return info.makes_images


TABS: dict[str, TabSpec] = {
    "explore": TabSpec("Explore latent space", lambda i: i.has("decode"),
                       frozenset(MODEL_FIELDS), sampler_knobs=True,
                       full_app="It decodes every model there, diffusion models included."),
    "conditional": TabSpec("Conditional samples",
                           lambda i: i.has("condition") and i.makes_images,
                           frozenset({"t", "seed", "label", "knobs"}), ("count",),
                           sampler_knobs=True,
                           full_app="It samples any class of the cVAE, cGAN, PixelCNN and "
                                    "diffusion models."),
    "latent-map-tab": TabSpec("Latent map", lambda i: i.mappable,
                              full_app="It also refits UMAP and t-SNE with your parameters."),
    "tools": TabSpec("Tools", full_app="Its experiments run on the server."),
    "tools-interpolate": TabSpec("Tools › Interpolate",
                                 full_app="It adds the likelihood along the path."),
    "tools-arithmetic": TabSpec("Tools › Latent arithmetic"),
    "tools-style": TabSpec("Tools › Class × style", full_app="It rewrites one style as every digit."),
    "tools-digit": TabSpec("Tools › Your digit",
                           full_app="It reconstructs your drawing and scores it as an "
                                    "anomaly against 1,000 validation digits."),
    "tools-invert": TabSpec("Tools › Drawing → noise",
                            full_app="It inverts a drawing to a diffusion model's noise."),
    "tools-neighbours": TabSpec("Tools › Nearest neighbours",
                                full_app="It finds each sample's closest training digits."),
    "tools-complete": TabSpec("Tools › Completion",
                              full_app="The PixelCNN or the RBM fills in a hidden half."),
    "tools-export": TabSpec("Tools › Export a grid", full_app="It exports grids with their seeds and latents."),
    "text": TabSpec("Generate names", lambda i: i.has("text"),
                    frozenset({"t", "seed", "label", "knobs"}), ("top_k", "top_p", "prefix", "count"),
                    full_app="It also marks each name new or copied from the training names."),
    "steps": TabSpec("Step by step", lambda i: i.has("stepwise"),
                     frozenset({"t", "seed", "label", "knobs"}), sampler_knobs=True,
                     full_app="It streams a PixelCNN writing digits and a diffusion model denoising."),
    "train-live": TabSpec("Train live", knobs=("preset",),
                          full_app="It trains a GAN, VAE, flow or diffusion model on a server while you watch."),
    "evaluate": TabSpec("Evaluate", _images, frozenset({"t"}),
                        full_app="It recomputes the curves and histograms with your settings."),
}


def _text(value, name: str, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise PlaygroundError(f"{name} must be text of at most {limit} characters")
    return value


def _presets() -> tuple[str, ...]:
    from playground.live.trainer import PRESETS  # imported when a view names a preset only
    return tuple(PRESETS)


# The tab knobs: name → its check. Sampler knobs are checked against the model's own Knob.
TAB_KNOBS: dict[str, Callable] = {
    "top_k": lambda v: check_int(v, "top-k", 0, MAX_TOP_K),
    "top_p": lambda v: check_number(v, "top-p", 0.05, 1.0),
    "prefix": lambda v: _text(v, "prefix", MAX_PREFIX),
    "count": lambda v: check_int(v, "count", 1, min(MAX_SAMPLES, MAX_TEXTS)),
    "preset": lambda v: check_choice(v, "preset", _presets()),
}


@dataclass(frozen=True)
class View:
    """Where the playground is (see the module docstring); build it with from_dict/from_query,
    which check every field once."""
    tab: str | None = None
    model: str | None = None
    mode: str | None = None
    t: float | None = None
    seed: int | None = None
    label: str | None = None
    rest: int | None = None
    z: tuple[float, ...] = ()
    knobs: Mapping[str, float | str] = field(default_factory=dict)
    lesson: str | None = None
    step: int | None = None

    @property
    def spec(self) -> TabSpec | None:
        return TABS.get(self.tab) if self.tab else None

    def to_dict(self) -> dict:
        """The JSON shape (what applyView takes and currentView gives): only the fields set."""
        out = {"tab": self.tab, "model": self.model, "mode": self.mode, "t": self.t,
               "seed": self.seed, "class": self.label, "rest": self.rest,
               "z": list(self.z) or None, "knobs": dict(self.knobs) or None,
               "lesson": self.lesson, "step": self.step}
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_query(cls, query: Mapping[str, str], models: Mapping) -> "View":
        """A view from a link's query (?model=&z=1.5,-2&top_k=5...); other keys are ignored."""
        d: dict = {k: query[k] for k in ("tab", "model", "mode", "t", "seed", "class", "rest",
                                         "lesson", "step") if k in query}
        if query.get("z", "").strip():
            d["z"] = [v for v in query["z"].split(",") if v.strip()][:SLIDERS + 1]
        knobs = {k: query[k] for k in known_knobs() if k in query}
        if knobs:
            d["knobs"] = knobs
        return cls.from_dict(d, models)

    @classmethod
    def from_dict(cls, d, models: Mapping) -> "View":
        """Check a view object (to_dict's keys). `models`: id → ModelInfo of the registered
        models (Backend.models()); an id not among them is refused, never looked up as a path."""
        if not isinstance(d, Mapping):
            raise PlaygroundError("a view must be an object of fields")
        unknown = set(d) - {"tab", "model", "mode", "t", "seed", "class", "rest", "z", "knobs",
                            "lesson", "step"}
        if unknown:
            raise PlaygroundError(f"a view has no field {sorted(unknown)[0][:20]!r}")
        got = {k: v for k, v in d.items() if v is not None}
        tab = got.get("tab")
        if tab is None and "model" in got:
            tab = "explore"                     # share links name a model and mean Explore
        if tab is not None:
            tab = check_choice(tab, "tab", list(TABS))
        spec = TABS.get(tab) if tab else None
        info = None
        if "model" in got:
            if spec is None or spec.models is None:
                raise PlaygroundError(f"the {spec.title if spec else 'lesson'} tab takes no model")
            model = _text(got["model"], "model", 64)
            info = models.get(model)
            if info is None:
                raise PlaygroundError(f"unknown model {model[:64]!r}")
            if not spec.models(info):
                raise PlaygroundError(f"{model} is not a model of the {spec.title} tab")
        given = [k for k in MODEL_FIELDS if k in got or (k == "label" and "class" in got)]
        for k in given:
            if spec is None or (spec.models is not None and info is None and k != "knobs"):
                raise PlaygroundError(f"{'class' if k == 'label' else k} needs a model in the view")
            if k not in spec.fields and not (k == "knobs" and spec.knobs):
                raise PlaygroundError(f"the {spec.title} tab takes no "
                                      f"{'class' if k == 'label' else k}")
        view = dict(tab=tab, model=info.id if info else None)
        if "mode" in got:
            view["mode"] = check_choice(got["mode"], "slider mode", MODES)
        if "t" in got:
            view["t"] = check_number(got["t"], "temperature", 0.0, MAX_TEMPERATURE)
        if "seed" in got:
            view["seed"] = check_int(got["seed"], "seed", 0, MAX_SEED)
        if "rest" in got:
            view["rest"] = check_int(got["rest"], "rest seed", -1, MAX_SEED)
        if "class" in got:
            names = list(info.class_names) if info.has("condition") else []
            if not names:
                raise PlaygroundError(f"{info.id} takes no class")
            view["label"] = check_choice(str(got["class"]), "class", names)
        if "z" in got:
            z = got["z"]
            if isinstance(z, str) or not isinstance(z, (list, tuple)):
                raise PlaygroundError("z must be a list of numbers")
            k = info.slider_count
            if len(z) > k:
                raise PlaygroundError(f"z has {len(z)} values, {info.id} has {k} sliders")
            view["z"] = tuple(check_number(v, f"z[{i}]", -MAX_LATENT_ABS, MAX_LATENT_ABS)
                              for i, v in enumerate(z))
        if "knobs" in got:
            view["knobs"] = _knobs(got["knobs"], spec, info)
        if "lesson" in got:
            lesson = _text(got["lesson"], "lesson", 40)
            if not LESSON_ID.fullmatch(lesson):
                raise PlaygroundError("a lesson id is lower-case letters, digits and dashes")
            view["lesson"] = lesson
        if "step" in got:
            if "lesson" not in view:
                raise PlaygroundError("a step needs a lesson")
            view["step"] = check_int(got["step"], "step", 1, MAX_STEPS)
        return cls(**view)


def known_knobs() -> tuple[str, ...]:
    from playground.base import all_knobs
    return (*TAB_KNOBS, *(k.name for k in all_knobs()))


def _knobs(knobs, spec: TabSpec, info) -> dict:
    if not isinstance(knobs, Mapping):
        raise PlaygroundError("knobs must be an object of knob values")
    sampler = {k.name: k for k in info.knobs} if info is not None and spec.sampler_knobs else {}
    out = {}
    for name, value in knobs.items():
        if name in spec.knobs:
            out[name] = TAB_KNOBS[name](value)
        elif name in sampler:
            out[name] = check_knob(sampler[name], value)
        else:
            whose = f"{info.id} on the {spec.title} tab" if info else f"the {spec.title} tab"
            raise PlaygroundError(f"{str(name)[:20]!r} is not a knob of {whose}")
    return out

