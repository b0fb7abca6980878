"""Live training of tiny 2-D generative models, small enough to watch learn in the page.

Three families, keyed like the shipped ones they mirror (playground/base.FAMILIES):
- "gan": an MLP generator against an MLP discriminator (non-saturating loss), with a D:G step ratio.
- "vae": an MLP encoder/decoder with a Gaussian decoder of fixed width and a β on the KL term.
- "flow": the shipped RealNVP's affine couplings, alternating which coordinate they transform.

playground/live/models.py holds the families (LIVE_FAMILIES) and the kept copy the backend serves
to the other tabs; playground/live/trainer.py the knobs, targets, trainer loop and presets.
"""
from playground.live.models import (GRID, LIVE_FAMILIES, KeptConfig, KeptModel, LiveFlow,  # noqa: F401
                                    LiveGAN, LiveModel, LiveVAE, live_family)
from playground.live.trainer import (MAX_STEPS, N_DATA, N_VIEW, PRESETS, RATIOS,  # noqa: F401
                                     TARGETS, LiveConfig, LiveTrainer, checked_config, coverage, keep,
                                     mmd, points_from_drawing, target_points)
